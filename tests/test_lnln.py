"""LNLN as its official code does it (docs/models.md §2)."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F

from core.data.dataset import FeatureDims
from core.errors import ConfigError
from core.models.lnln import LNLN, LNLNConfig
from core.models.registry import build_model
from tests.model_inputs import SMALL_DIMS, random_input
from tests.tiny_text_encoder import TinyTextEncoder

MOSI = FeatureDims(text_len=50, audio_len=375, audio_dim=5, vision_len=500, vision_dim=20)
MOSEI = FeatureDims(text_len=50, audio_len=500, audio_dim=74, vision_len=500, vision_dim=35)


def non_encoder_parameters(model: LNLN) -> int:
    encoder = {id(p) for p in model.text_encoder.parameters()}
    return sum(p.numel() for p in model.parameters() if id(p) not in encoder)


@pytest.mark.parametrize(("family", "dims", "expected"), [("mosi", MOSI, 6_483_012), ("mosei", MOSEI, 7_102_404)])
def test_parameter_count_outside_bert_matches_the_official_code(family, dims, expected):
    # docs/models.md §2.6: the official code's non-BERT parameter counts with bert-base (hidden 768).
    model = build_model("lnln", family, dims, TinyTextEncoder(hidden_size=768, max_len=50))
    assert non_encoder_parameters(model) == expected


def test_config_per_family():
    for family, depth, adv in [
        ("mosi", 2, 0.8),
        ("synthetic", 2, 0.8),
        ("text-only", 2, 0.8),
        ("mosei", 4, 0.8),
        ("sims", 4, 0.6),
    ]:
        config = LNLNConfig.for_dataset(family, SMALL_DIMS, 768)
        assert (config.fusion_depth, config.weight_adv) == (depth, adv)
        assert (config.weight_cc, config.weight_rec, config.weight_sp) == (0.9, 0.1, 1.0)
        assert (config.d, config.tokens) == (128, 8)
    with pytest.raises(ConfigError, match="family 'imdb'"):
        LNLNConfig.for_dataset("imdb", SMALL_DIMS, 768)


def test_config_round_trips_through_plain_dicts():
    import dataclasses

    config = LNLNConfig.for_dataset("mosei", SMALL_DIMS, 32)
    assert LNLNConfig(**dataclasses.asdict(config)) == config


@pytest.fixture(scope="module")
def model() -> LNLN:
    torch.manual_seed(0)
    return build_model("lnln", "mosi", SMALL_DIMS, TinyTextEncoder())


def test_outputs_language_integrity_and_language_dominant(model):
    out = model(random_input(batch=5))
    assert out.prediction.shape == (5,)
    assert out.integrity.shape == (5, 3)
    assert ((out.integrity[:, 0] > 0) & (out.integrity[:, 0] < 1)).all()
    assert torch.isnan(out.integrity[:, 1:]).all()
    assert out.dominant.tolist() == [0] * 5


def test_loss_terms_and_weighted_total(model):
    out = model(random_input())
    assert set(out.losses) == {"cc", "adv", "rec", "sp"}
    expected = 0.9 * out.losses["cc"] + 0.8 * out.losses["adv"] + 0.1 * out.losses["rec"] + out.losses["sp"]
    assert torch.allclose(out.loss, expected)

    partial = model(random_input(with_complete=False))
    assert set(partial.losses) == {"cc", "sp"}
    assert torch.allclose(partial.loss, 0.9 * partial.losses["cc"] + partial.losses["sp"])

    unlabelled = random_input(with_complete=False)
    unlabelled.labels = None
    unlabelled.integrity = None
    out = model(unlabelled)
    assert out.losses == {} and out.loss is None


def test_completeness_loss_is_mse_to_language_integrity(model):
    inputs = random_input(with_complete=False)
    out = model(inputs)
    assert torch.allclose(out.losses["cc"], F.mse_loss(out.integrity[:, 0], inputs.integrity[:, 0]))


def test_one_concatenated_pass_equals_separate_passes(model):
    """The complete inputs share the encoders: batching them with the incomplete ones must not
    change the prediction, and the reconstruction targets must be the complete embeddings."""
    model.eval()
    try:
        inputs = random_input(batch=3, seed=4)
        with torch.no_grad():
            joint = model(inputs)
            alone = model(random_input(batch=3, seed=4, with_complete=False))
            h_l, h_a, h_v = model.embed(inputs.text, inputs.audio, inputs.vision)
            full = model.embed(inputs.complete_text, inputs.complete_audio, inputs.complete_vision)
            rec = torch.cat([r(h) for r, h in zip(model.reconstructor, (h_a, h_v, h_l))], dim=1)
            expected_rec = F.mse_loss(rec, torch.cat([full[1], full[2], full[0]], dim=1))
    finally:
        model.train()
    assert torch.allclose(joint.prediction, alone.prediction, atol=1e-5)
    assert torch.allclose(joint.losses["rec"], expected_rec, atol=1e-5)


def test_discriminator_sees_two_b_times_eight_tokens(model):
    seen = []
    handle = model.discriminator.register_forward_hook(lambda module, args, output: seen.append(args[0].shape))
    try:
        model(random_input(batch=3))
    finally:
        handle.remove()
    assert seen == [torch.Size([2 * 3 * 8, 128])]


def test_gradient_reversal_sits_on_the_proxy_feature(model):
    """[A3]: even the sentiment gradient reaches the generator reversed; nothing else is."""
    inputs = random_input(seed=2)
    reference = copy.deepcopy(model)
    reference.grl.alpha = -1.0  # backward multiplies by -alpha = +1: no reversal

    def sentiment_grads(m):
        m.zero_grad()
        m(inputs).losses["sp"].backward()
        return {name: p.grad.clone() for name, p in m.named_parameters() if p.grad is not None}

    reversed_, plain = sentiment_grads(model), sentiment_grads(reference)
    generator = [name for name in plain if name.startswith(("generator.", "h_p"))]
    assert generator and all(torch.allclose(reversed_[n], -plain[n], atol=1e-6) for n in generator)
    assert any(plain[n].abs().sum() > 0 for n in generator)
    others = [name for name in plain if name.startswith(("regressor.", "fusion.", "embed_text."))]
    assert others and all(torch.allclose(reversed_[n], plain[n], atol=1e-6) for n in others)


def test_reconstruction_targets_are_not_detached(model):
    inputs = random_input(seed=3)
    inputs.complete_audio = inputs.complete_audio.clone().requires_grad_(True)
    model(inputs).losses["rec"].backward()
    assert inputs.complete_audio.grad is not None and inputs.complete_audio.grad.abs().sum() > 0
    model.zero_grad()


def test_evaluation_needs_no_complete_inputs(model):
    model.eval()
    try:
        with torch.no_grad():
            out = model(random_input(with_complete=False))
    finally:
        model.train()
    assert torch.isfinite(out.prediction).all()
    assert "adv" not in out.losses and "rec" not in out.losses


def test_unchanged_samples_are_embedded_once_with_the_same_values_and_gradients(model, monkeypatch):
    inputs = random_input(batch=4, seed=6)
    inputs.audio[:2] = inputs.complete_audio[:2]  # r = 0 for these two: nothing erased
    inputs.vision[::2] = inputs.complete_vision[::2]
    sizes = []
    handle = model.embed_audio.register_forward_hook(lambda module, args, output: sizes.append(args[0].shape[0]))

    def run():
        model.zero_grad()
        out = model(inputs)
        out.loss.backward()
        return out, {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}

    try:
        deduplicated, grads = run()
        always_twice = LNLN.embed_pair
        monkeypatch.setattr(LNLN, "embed_pair", staticmethod(lambda embed, x, full, det: always_twice(embed, x, full, False)))
        reference, reference_grads = run()
    finally:
        handle.remove()
        model.zero_grad()
    assert sizes == [4 + 2, 4 + 4]
    for term in reference.losses:
        assert torch.allclose(deduplicated.losses[term], reference.losses[term], atol=1e-6), term
    assert grads.keys() == reference_grads.keys()
    assert all(torch.allclose(grads[n], reference_grads[n], atol=1e-5, rtol=1e-4) for n in grads)


def test_reusing_unchanged_text_is_an_option_off_by_default():
    """With dropout active the faithful default embeds every complete text again (own dropout
    mask); ``reuse_unchanged_text`` embeds the unchanged ones once."""
    inputs = random_input(batch=4, seed=7)
    inputs.text[:3] = inputs.complete_text[:3]
    changed = int((inputs.text != inputs.complete_text).flatten(1).any(1).sum())
    assert changed == 1
    for reuse, expected in [(False, 8), (True, 4 + changed)]:
        torch.manual_seed(0)
        model = build_model("lnln", "mosi", SMALL_DIMS, TinyTextEncoder(), {"reuse_unchanged_text": reuse})
        assert model.training  # so the text encoder counts as stochastic (dropout), like BERT in training
        seen = []
        model.text_encoder.register_forward_hook(lambda module, args, output: seen.append(args[0].shape[0]))  # noqa: B023 - called within this iteration
        out = model(inputs)
        assert seen == [expected]
        assert torch.isfinite(out.loss)
