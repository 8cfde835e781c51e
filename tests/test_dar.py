"""DAR reconstructed from the paper (docs/models.md §4 with the resolutions of §7)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from core.data.dataset import FeatureDims
from core.errors import ConfigError
from core.models.dar import DAR, DARConfig, club_log_likelihood, club_upper_bound, info_nce
from core.models.registry import build_model, build_model_from_config, config_to_dict
from tests.model_inputs import SMALL_DIMS, random_input
from tests.tiny_text_encoder import TinyTextEncoder

MOSI = FeatureDims(text_len=50, audio_len=375, audio_dim=5, vision_len=500, vision_dim=20)
LOSS_NAMES = {"task", "boot", "sim", "diff", "re", "recon"}


@pytest.fixture(scope="module")
def model() -> DAR:
    torch.manual_seed(0)
    return build_model("dar", "mosi", SMALL_DIMS, TinyTextEncoder())


def grads_of(model: DAR, loss: torch.Tensor) -> dict[str, torch.Tensor]:
    model.zero_grad(set_to_none=True)
    loss.backward()
    grads = {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}
    model.zero_grad(set_to_none=True)
    return grads


def reached(grads: dict[str, torch.Tensor], prefix: str) -> bool:
    return any(name.startswith(prefix) and g.abs().sum() > 0 for name, g in grads.items())


# -- config -----------------------------------------------------------------------------------


def test_config_defaults_per_family():
    for family, k in [("mosi", 0.3), ("mosei", 0.4), ("sims", 0.3), ("synthetic", 0.3), ("text-only", 0.3)]:
        config = DARConfig.for_dataset(family, SMALL_DIMS, 768)
        assert config.train_rate_k == k
        assert (config.lambda_, config.alpha, config.beta, config.temperature) == (0.7, 0.1, 0.1, 0.1)
        assert (config.d, config.tokens, config.task_loss, config.club_lr) == (128, 8, "mse", 1e-4)
        assert not config.stop_gradient_targets and config.positive_in_denominator
    with pytest.raises(ConfigError, match="family 'imdb'"):
        DARConfig.for_dataset("imdb", SMALL_DIMS, 768)
    with pytest.raises(ConfigError, match="task_loss='huber'"):
        DARConfig(dims=SMALL_DIMS, task_loss="huber")


def test_config_round_trips_through_a_checkpoint_dict(model):
    stored = config_to_dict(model.config)
    rebuilt = build_model_from_config("dar", stored, TinyTextEncoder())
    assert rebuilt.config == model.config
    assert sum(p.numel() for p in rebuilt.parameters()) == sum(p.numel() for p in model.parameters())


def test_auxiliary_part_is_exactly_the_club_networks(model):
    auxiliary = {id(p) for p in model.auxiliary_parameters()}
    club = {id(p) for p in model.club.parameters()}
    assert auxiliary == club and len(club) > 0
    main = {id(p) for p in model.stage_parameters(1)}
    assert main.isdisjoint(auxiliary)
    assert len(main) + len(auxiliary) == len(list(model.parameters()))
    assert model.auxiliary_lr == 1e-4


# -- the loss functions on hand-made cases ----------------------------------------------------


def test_info_nce_matches_its_definition_in_both_denominator_forms():
    z = torch.tensor([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [-1.0, 0.0]])
    positive = torch.zeros(4, 4, dtype=torch.bool)
    positive[0, 1] = positive[1, 0] = True
    negative = torch.zeros(4, 4, dtype=torch.bool)
    negative[0, 2:] = negative[1, 2:] = True
    tau = 0.5
    cos = F.normalize(z, dim=-1) @ F.normalize(z, dim=-1).T / tau
    expected_with, expected_without = [], []
    for a, p in [(0, 1), (1, 0)]:
        negatives = sum(math.exp(cos[a, n]) for n in (2, 3))
        expected_with.append(-math.log(math.exp(cos[a, p]) / (math.exp(cos[a, p]) + negatives)))
        expected_without.append(-math.log(math.exp(cos[a, p]) / negatives))
    assert info_nce(z, positive, negative, tau, True).item() == pytest.approx(sum(expected_with) / 2, rel=1e-5)
    assert info_nce(z, positive, negative, tau, False).item() == pytest.approx(sum(expected_without) / 2, rel=1e-5)
    # An anchor without negatives contributes nothing; with no usable pair the loss is 0.
    assert info_nce(z, positive, torch.zeros_like(negative), tau, False).item() == 0.0


def test_club_upper_bound_equals_the_pairwise_definition():
    g = torch.Generator().manual_seed(1)
    mu, logvar, c = (torch.randn(5, 3, 4, generator=g) for _ in range(3))
    logvar = logvar.tanh()

    def log_q(c_, mu_, logvar_):  # Gaussian log-likelihood, summed over dims, averaged over time
        return (-0.5 * ((c_ - mu_) ** 2 / logvar_.exp() + logvar_ + math.log(2 * math.pi))).sum(-1).mean(-1)

    pairwise = torch.stack([log_q(c, mu[i : i + 1], logvar[i : i + 1]) for i in range(5)])  # [i, j]
    expected = (pairwise.diagonal() - pairwise.mean(dim=1)).mean()
    assert club_upper_bound(mu, logvar, c).item() == pytest.approx(expected.item(), abs=1e-5)
    assert club_log_likelihood(mu, logvar, c).item() == pytest.approx(pairwise.diagonal().mean().item(), rel=1e-5)


# -- forward, losses and gradients ------------------------------------------------------------


def test_training_forward_gives_every_named_loss_and_the_weighted_total(model):
    out = model(random_input(batch=4))
    assert out.prediction.shape == (4,)
    assert out.integrity is None and out.dominant is None
    assert set(out.losses) == LOSS_NAMES
    assert all(torch.isfinite(v) and v.dim() == 0 for v in out.losses.values())
    losses = out.losses
    expected = (
        losses["task"] + losses["boot"] + 0.1 * (0.7 * (losses["sim"] + losses["diff"]) + losses["re"]) + 0.1 * losses["recon"]
    )
    assert torch.allclose(out.loss, expected)


def test_loss_weights_come_from_the_config():
    torch.manual_seed(0)
    overrides = {"lambda_": 0.5, "alpha": 0.2, "beta": 0.3}
    model = build_model("dar", "mosi", SMALL_DIMS, TinyTextEncoder(), overrides=overrides)
    out = model(random_input(batch=4))
    losses = out.losses
    expected = (
        losses["task"] + losses["boot"] + 0.2 * (0.5 * (losses["sim"] + losses["diff"]) + losses["re"]) + 0.3 * losses["recon"]
    )
    assert torch.allclose(out.loss, expected)


# Which parameters each loss term must reach (and which it must not).
REACHES = {
    "task": [
        "text_encoder.",
        "align.",
        "common_encoders.",
        "specific_encoders.",
        "common_reconstructors.",
        "common_gates.",
        "cross_blocks.",
        "head.",
    ],
    "boot": ["text_encoder.", "align.", "common_encoders.", "boot_head."],
    "sim": ["align.", "common_encoders.", "specific_encoders."],
    "diff": ["align.", "common_encoders.", "specific_encoders."],
    "re": ["align.", "common_encoders.", "specific_encoders.", "restore_decoders."],
    "recon": [
        "align.",
        "common_encoders.",
        "common_mix.",
        "common_reconstructors.",
        "specific_reconstructors.",
        "recouple_decoders.",
    ],
}
AVOIDS = {
    "boot": ["head.", "specific_encoders.", "cross_blocks."],
    "sim": ["restore_decoders.", "head.", "boot_head."],
    "diff": ["restore_decoders.", "head."],
    "re": ["head.", "common_reconstructors."],
    "recon": ["head.", "boot_head.", "restore_decoders."],
}


@pytest.mark.parametrize("term", sorted(LOSS_NAMES))
def test_each_loss_term_is_differentiable_and_reaches_its_parts_never_the_club(model, term):
    grads = grads_of(model, model(random_input(batch=4, seed=1)).losses[term])
    assert all(torch.isfinite(g).all() for g in grads.values())
    for prefix in REACHES[term]:
        assert reached(grads, prefix), f"{term} does not reach {prefix}"
    for prefix in [*AVOIDS.get(term, []), "club."]:
        assert not reached(grads, prefix), f"{term} reaches {prefix}"


def test_total_loss_reaches_every_main_parameter_and_no_club_parameter(model):
    grads = grads_of(model, model(random_input(batch=4, seed=2)).loss)
    club = {name for name, _ in model.club.named_parameters(prefix="club")}
    encoder = {name for name, _ in model.text_encoder.named_parameters(prefix="text_encoder")}
    for name, _ in model.named_parameters():
        if name in club:
            assert name not in grads, name
        elif name not in encoder:  # the tiny encoder's unused segment row may get a zero gradient
            assert name in grads and grads[name].abs().sum() > 0, name
    assert reached(grads, "text_encoder.words")


def test_difference_loss_reaches_both_features_through_the_frozen_club():
    """L_diff's gradient flows into the encoders through q_theta's input, not into q_theta (the
    bound unfloored: a modality whose estimate the floor clips at 0 passes no gradient at all)."""
    torch.manual_seed(0)
    model = build_model("dar", "mosi", SMALL_DIMS, TinyTextEncoder(), overrides={"club_nonnegative": False})
    inputs = random_input(batch=4, seed=3)
    u = model.aligned(inputs.text, inputs.audio, inputs.vision)
    common, specific = model.decouple(u)
    common = [c.detach().requires_grad_(True) for c in common]
    specific = [s.detach().requires_grad_(True) for s in specific]
    model.zero_grad(set_to_none=True)
    model.difference_loss(common, specific).backward()
    assert all(c.grad.abs().sum() > 0 for c in common) and all(s.grad.abs().sum() > 0 for s in specific)
    assert all(p.grad is None for p in model.club.parameters())


def test_auxiliary_loss_reaches_only_the_club_networks(model):
    inputs = random_input(batch=4, seed=4)
    grads = grads_of(model, model.auxiliary_loss(inputs))
    club = {name for name, _ in model.club.named_parameters(prefix="club")}
    assert set(grads) == club
    assert all(g.abs().sum() > 0 for g in grads.values())


def test_alternating_club_step_raises_the_log_likelihood():
    """The trainer's protocol: CLUB's own Adam on the auxiliary loss, then the main step."""
    torch.manual_seed(0)
    model = build_model("dar", "synthetic", SMALL_DIMS, TinyTextEncoder())
    inputs = random_input(batch=6, seed=5)
    club_opt = torch.optim.Adam(model.auxiliary_parameters(), lr=1e-3)
    main_opt = torch.optim.AdamW(model.stage_parameters(1), lr=1e-4)
    before = model.auxiliary_loss(inputs).item()
    for _ in range(15):
        club_opt.zero_grad()
        model.auxiliary_loss(inputs).backward()
        club_opt.step()
        club_snapshot = [p.detach().clone() for p in model.auxiliary_parameters()]
        main_opt.zero_grad()
        model(inputs).loss.backward()
        main_opt.step()
        assert all(torch.equal(a, p) for a, p in zip(club_snapshot, model.auxiliary_parameters()))
    assert model.auxiliary_loss(inputs).item() < before


def test_recon_targets_are_not_detached_by_default_and_are_with_the_option():
    torch.manual_seed(0)
    for stop, expect_grad in [(False, True), (True, False)]:
        model = build_model("dar", "mosi", SMALL_DIMS, TinyTextEncoder(), overrides={"stop_gradient_targets": stop})
        inputs = random_input(batch=3, seed=6)
        inputs.complete_audio = inputs.complete_audio.clone().requires_grad_(True)
        model(inputs).losses["recon"].backward()
        got = inputs.complete_audio.grad is not None and inputs.complete_audio.grad.abs().sum() > 0
        assert got == expect_grad
    # The boot head keeps training the encoders on the complete input either way.
    inputs.complete_audio.grad = None
    model(inputs).losses["boot"].backward()
    assert inputs.complete_audio.grad.abs().sum() > 0


def test_l1_task_loss_option():
    torch.manual_seed(0)
    model = build_model("dar", "mosi", SMALL_DIMS, TinyTextEncoder(), overrides={"task_loss": "l1"})
    inputs = random_input(batch=4, seed=7)
    out = model(inputs)
    assert torch.allclose(out.losses["task"], (out.prediction - inputs.labels).abs().mean())


# -- evaluation -------------------------------------------------------------------------------


def test_eval_without_complete_inputs_or_labels(model):
    model.eval()
    try:
        with torch.no_grad():
            out = model(random_input(batch=3, with_complete=False))
            unlabelled = random_input(batch=3, with_complete=False)
            unlabelled.labels = None
            bare = model(unlabelled)
            single = model(random_input(batch=1, with_complete=False))
    finally:
        model.train()
    assert set(out.losses) == {"task", "sim", "diff", "re"}
    losses = out.losses
    assert torch.allclose(out.loss, losses["task"] + 0.1 * (0.7 * (losses["sim"] + losses["diff"]) + losses["re"]))
    assert bare.loss is None and "task" not in bare.losses
    assert single.prediction.shape == (1,) and all(torch.isfinite(v) for v in single.losses.values())


def test_complete_inputs_do_not_change_the_prediction(model):
    """The complete input shares the encoders in one concatenated pass; the prediction must be the
    same function of the incomplete input either way."""
    model.eval()
    try:
        with torch.no_grad():
            joint = model(random_input(batch=3, seed=8))
            alone = model(random_input(batch=3, seed=8, with_complete=False))
    finally:
        model.train()
    assert torch.allclose(joint.prediction, alone.prediction, atol=1e-5)
    for name in ("sim", "diff", "re"):
        assert torch.allclose(joint.losses[name], alone.losses[name], atol=1e-5)


# -- shapes -----------------------------------------------------------------------------------


def test_unaligned_mosi_lengths_go_through_the_length_mixing_conv():
    torch.manual_seed(0)
    model = build_model("dar", "mosi", MOSI, TinyTextEncoder(max_len=50), overrides={"alignment": "masked"})
    u = model.aligned(*(getattr(random_input(MOSI, batch=2), k) for k in ("text", "audio", "vision")))
    assert [x.shape for x in u] == [torch.Size([2, 8, 128])] * 3
    out = model(random_input(MOSI, batch=2, seed=9))
    assert out.prediction.shape == (2,) and set(out.losses) == LOSS_NAMES
    assert torch.isfinite(out.loss)
    with pytest.raises(ValueError, match="375 time steps, got 374"):
        model.align[1](torch.zeros(2, 374, 5))


def test_aligned_length_is_configurable():
    torch.manual_seed(0)
    model = build_model("dar", "mosi", SMALL_DIMS, TinyTextEncoder(), overrides={"tokens": 5, "d": 32, "dim_head": 8})
    inputs = random_input(batch=2)
    assert [x.shape for x in model.aligned(inputs.text, inputs.audio, inputs.vision)] == [torch.Size([2, 5, 32])] * 3
    assert torch.isfinite(model(inputs).loss)


@pytest.mark.parametrize("floored", [True, False])
def test_difference_loss_is_floored_at_zero_only_with_club_nonnegative(monkeypatch, floored):
    """A q_theta that no longer fits (c_i far from mu_i, the batch mean near it) makes the CLUB
    estimate negative; with ``club_nonnegative`` (default) L_diff is 0 there and gives no gradient."""
    torch.manual_seed(0)
    model = build_model("dar", "mosi", SMALL_DIMS, TinyTextEncoder(), {"club_nonnegative": floored})
    mu = torch.randn(6, 4, 8)
    monkeypatch.setattr(model, "frozen_club", lambda index, s: (mu, torch.zeros_like(mu)))
    common = [(-3 * mu).clone().requires_grad_(True) for _ in range(3)]
    specific = [torch.zeros_like(mu) for _ in range(3)]
    assert club_upper_bound(mu, torch.zeros_like(mu), common[0]) < 0
    loss = model.difference_loss(common, specific)
    if floored:
        assert loss.item() == 0.0
        loss.backward()
        assert all(c.grad is None or c.grad.abs().sum() == 0 for c in common)
    else:
        assert loss.item() < 0
    assert DARConfig(dims=SMALL_DIMS, text_hidden=8).club_nonnegative is True
