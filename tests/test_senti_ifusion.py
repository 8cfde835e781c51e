"""Senti-iFusion (docs/models.md §3): losses, stages, integrity, dominant selection, budget."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch import nn

from core.data.dataset import FeatureDims
from core.errors import ConfigError
from core.models.base import ModelInput
from core.models.registry import build_model
from core.models.senti_ifusion import SentiIFusion, SentiIFusionConfig
from tests.model_inputs import SMALL_DIMS, random_input
from tests.tiny_text_encoder import TinyTextEncoder

MOSI_DIMS = FeatureDims(text_len=50, audio_len=375, audio_dim=5, vision_len=500, vision_dim=20)
ALL_TERMS = {"ie", "sim", "diff", "rec_f_mse", "rec_f_mi", "rec_s_mse", "rec_s_mi", "pred"}
VOCAB = 200
ERASE_DIMS = FeatureDims(text_len=10, audio_len=10, audio_dim=5, vision_len=10, vision_dim=7)


def make_model(seed: int = 0, dims: FeatureDims = SMALL_DIMS, **overrides) -> SentiIFusion:
    torch.manual_seed(seed)
    config = SentiIFusionConfig.for_dataset("mosi", dims, 32)
    return SentiIFusion(dataclasses.replace(config, **overrides), TinyTextEncoder(vocab_size=VOCAB))


def grads_by_name(model: nn.Module) -> dict[str, bool]:
    """Parameter name -> whether it received a non-zero gradient."""
    return {n: p.grad is not None and bool(p.grad.abs().sum() > 0) for n, p in model.named_parameters()}


def names_of(model: nn.Module, params: list[nn.Parameter]) -> set[str]:
    ids = {id(p) for p in params}
    return {n for n, p in model.named_parameters() if id(p) in ids}


# ----- configuration and budget ---------------------------------------------------------------


def test_parameter_budget_at_mosi_shapes():
    class NoParamEncoder(nn.Module):
        hidden_size = 768

    model = SentiIFusion(SentiIFusionConfig.for_dataset("mosi", MOSI_DIMS, 768), NoParamEncoder())
    outside = sum(p.numel() for p in model.parameters())
    assert 6_500_000 <= outside <= 8_000_000, outside
    groups = model.parameter_groups()
    assert sum(sum(p.numel() for p in ps) for ps in groups.values()) == outside  # the groups cover it all


def test_dataset_defaults_and_option_checks():
    assert SentiIFusionConfig.for_dataset("mosi", SMALL_DIMS, 32).prediction_depth == 2
    assert SentiIFusionConfig.for_dataset("synthetic", SMALL_DIMS, 32).prediction_depth == 2
    assert SentiIFusionConfig.for_dataset("mosei", SMALL_DIMS, 32).prediction_depth == 4
    assert SentiIFusionConfig.for_dataset("sims", SMALL_DIMS, 32).prediction_depth == 4
    with pytest.raises(ConfigError, match="family 'imdb'"):
        SentiIFusionConfig.for_dataset("imdb", SMALL_DIMS, 32)
    with pytest.raises(ConfigError, match="dominant_selection='soft'"):
        SentiIFusionConfig(dims=SMALL_DIMS, dominant_selection="soft")
    # A checkpoint's plain-dict config rebuilds the same config.
    config = SentiIFusionConfig.for_dataset("mosei", SMALL_DIMS, 32)
    assert SentiIFusionConfig(**dataclasses.asdict(config)) == config


def test_registry_builds_it():
    model = build_model("senti-ifusion", "mosi", SMALL_DIMS, TinyTextEncoder(), {"dominant_selection": "sample"})
    assert isinstance(model, SentiIFusion) and model.config.dominant_selection == "sample"


def test_stage_of_epoch():
    model = make_model()
    assert [model.stage_of_epoch(e) for e in (1, 40, 41, 150)] == [1, 1, 2, 2]
    assert make_model(stage1_epochs=0).stage_of_epoch(1) == 2


# ----- losses and gradients --------------------------------------------------------------------


def test_every_loss_term_finite_and_differentiable():
    model = make_model()
    out = model(random_input(SMALL_DIMS, batch=4, vocab_size=VOCAB), stage=2)
    assert set(out.losses) == ALL_TERMS
    params = [p for p in model.parameters()]
    for name, term in out.losses.items():
        assert term.dim() == 0 and torch.isfinite(term), name
        grads = torch.autograd.grad(term, params, retain_graph=True, allow_unused=True)
        assert any(g is not None and g.abs().sum() > 0 for g in grads), f"{name} reaches no parameter"
    cfg = model.config
    rec = (
        cfg.weight_sim * out.losses["sim"]
        + cfg.weight_diff * out.losses["diff"]
        + cfg.weight_f_mse * out.losses["rec_f_mse"]
        + cfg.weight_f_mi * out.losses["rec_f_mi"]
        + cfg.weight_s_mse * out.losses["rec_s_mse"]
        + cfg.weight_s_mi * out.losses["rec_s_mi"]
    )
    expected = cfg.alpha * out.losses["ie"] + cfg.beta * rec + cfg.gamma * out.losses["pred"]
    assert torch.allclose(out.loss, expected)
    # The MI terms are negated Jensen-Shannon bounds (<= 0), so the losses are >= 0.
    assert out.losses["rec_f_mi"] >= 0 and out.losses["rec_s_mi"] >= 0


STAGE1_PREFIXES = {
    # [A18] revised: the paper's "projection layers and the integrity estimation module".
    "projections": ("embeddings.0.proj.", "embeddings.1.proj.", "embeddings.2.proj.", "integrity_heads."),
    "nonverbal": ("embeddings.0.proj.", "embeddings.1.", "embeddings.2.", "integrity_heads."),
    "embeddings": ("embeddings.", "integrity_heads."),
    "text_encoder": ("text_encoder.", "embeddings.", "integrity_heads."),
}


@pytest.mark.parametrize("trainable", sorted(STAGE1_PREFIXES))
def test_stage1_gradients_reach_exactly_the_stage1_parameters(trainable):
    from core.training.stages import enter_stage

    model = make_model(stage1_trainable=trainable)
    enter_stage(model, 1, list(model.parameters()))  # what the trainer does on entering stage 1
    out = model(random_input(SMALL_DIMS, batch=4, vocab_size=VOCAB), stage=1)
    assert set(out.losses) == ALL_TERMS - {"pred"}
    assert not out.prediction.requires_grad  # the fusion runs only for monitoring
    expected = model.config.alpha * out.losses["ie"] + model.config.beta * sum(
        w * out.losses[k]
        for k, w in (("sim", 0.05), ("diff", 0.1), ("rec_f_mse", 0.5), ("rec_f_mi", 0.4), ("rec_s_mse", 0.3), ("rec_s_mi", 0.2))
    )
    assert torch.allclose(out.loss, expected)
    out.loss.backward()
    reached = {n for n, ok in grads_by_name(model).items() if ok}
    stage1 = names_of(model, model.stage_parameters(1))
    assert stage1 and all(n.startswith(STAGE1_PREFIXES[trainable]) for n in stage1)
    assert reached == stage1
    frozen = [n for n, p in model.named_parameters() if n not in stage1]
    assert frozen and all(dict(model.named_parameters())[n].grad is None for n in frozen)


def test_stage1_completion_option_trains_the_completion_modules_too():
    model = make_model(stage1_completion=True)
    stage1 = names_of(model, model.stage_parameters(1))
    assert any(n.startswith("decoders.") for n in stage1) and not any(n.startswith("text_encoder.") for n in stage1)
    out = model(random_input(SMALL_DIMS, batch=4, vocab_size=VOCAB), stage=1)
    out.loss.backward()
    assert all(p.grad is not None for p in model.decoders.parameters())


def test_detach_targets_stops_the_reconstruction_gradient_into_the_complete_input():
    inputs = random_input(SMALL_DIMS, batch=4, vocab_size=VOCAB)
    grads = {}
    for detach in (False, True):
        model = make_model(detach_targets=detach)
        out = model(inputs, stage=2)
        out.losses["rec_f_mse"].backward()
        grads[detach] = model.embeddings[1].proj.weight.grad.clone()
    # Without the detach, the feature-level MSE pulls the complete-input embedding too.
    assert not torch.allclose(grads[False], grads[True])


def test_stage2_gradients_reach_everything():
    model = make_model()
    out = model(random_input(SMALL_DIMS, batch=4, vocab_size=VOCAB), stage=2)
    out.loss.backward()
    assert names_of(model, model.stage_parameters(2)) == {n for n, _ in model.named_parameters()}
    missed = {n for n, ok in grads_by_name(model).items() if not ok}
    # In batch mode every sample shares the dominant modality, whose own K/V projections (and
    # LayerNorm) in the fusion layers are not used by that batch. And h^0_fuse starts as ones
    # (as LNLN), whose LayerNorm is all zeros, so the first layer's LN gain has no gradient yet.
    # Everything else trains.
    dom = int(out.dominant[0])
    unused = {
        f"fusion_layers.{j}.{part}.{dom}.{w}"
        for j in range(3)
        for part, w in (("to_k", "weight"), ("to_v", "weight"), ("norm_aux", "weight"), ("norm_aux", "bias"))
    } | {"fusion_layers.0.norm_hyper.weight"}
    assert missed == unused


def test_detach_integrity_keeps_prediction_gradient_out_of_the_ie():
    def ie_gets_pred_gradient(detach: bool) -> bool:
        model = make_model(detach_integrity=detach)
        out = model(random_input(SMALL_DIMS, batch=4, vocab_size=VOCAB), stage=2)
        out.losses["pred"].backward()
        return any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.integrity_heads.parameters())

    assert ie_gets_pred_gradient(False)
    assert not ie_gets_pred_gradient(True)


# ----- integrity and dominant selection --------------------------------------------------------


def test_integrity_in_unit_interval():
    model = make_model()
    x = random_input(SMALL_DIMS, batch=6, vocab_size=VOCAB)
    for scale in (1.0, 1e4):  # saturated heads too
        x.audio, x.vision = x.audio * scale, x.vision * scale
        out = model(x)
        assert out.integrity.shape == (6, 3)
        assert torch.all((out.integrity >= 0) & (out.integrity <= 1))
        assert out.dominant.dtype == torch.long and out.dominant.shape == (6,)


def diverse_model(selection: str, x: ModelInput) -> SentiIFusion:
    """A model whose IE heads give logits of spread ~2 on ``x``, so samples disagree on the
    dominant modality (a fresh model's estimates are all close to one value)."""
    model = make_model(seed=3, dominant_selection=selection).eval()
    with torch.no_grad():
        embedded, _ = model.embed(x)
        for head, h in zip(model.integrity_heads, embedded):
            features = head.head[:2](head.encoder(h)[:, 0])  # what the last Linear sees
            final = head.head[2]
            final.weight.mul_(2.0 / (features @ final.weight[0]).std())
            final.bias.fill_(-float((features @ final.weight[0]).mean()))
    return model


def take(x: ModelInput, index: torch.Tensor) -> ModelInput:
    return ModelInput(**{k: (v[index] if isinstance(v, torch.Tensor) else v) for k, v in x.__dict__.items()})


def test_per_sample_dominant_independent_of_batch_size_and_order():
    x = random_input(SMALL_DIMS, batch=8, vocab_size=VOCAB, with_complete=False, seed=5)
    model = diverse_model("sample", x)
    with torch.no_grad():
        full = model(x)
        assert len(set(full.dominant.tolist())) >= 2  # the check below is not vacuous
        perm = torch.randperm(8, generator=torch.Generator().manual_seed(0))
        shuffled = model(take(x, perm))
        assert torch.equal(shuffled.dominant, full.dominant[perm])
        assert torch.allclose(shuffled.prediction, full.prediction[perm], atol=1e-5)
        for i in range(8):
            one = model(take(x, torch.tensor([i])))
            assert int(one.dominant) == int(full.dominant[i])
            assert torch.allclose(one.prediction, full.prediction[i : i + 1], atol=1e-5)
        half = model(take(x, torch.arange(3, 8)))
        assert torch.equal(half.dominant, full.dominant[3:])
        assert torch.allclose(half.prediction, full.prediction[3:], atol=1e-5)


def test_batch_mode_uses_batch_mean_and_equals_sample_mode_for_one():
    x = random_input(SMALL_DIMS, batch=8, vocab_size=VOCAB, with_complete=False, seed=5)
    batch_model, sample_model = diverse_model("batch", x), diverse_model("sample", x)
    with torch.no_grad():
        out = batch_model(x)
        assert torch.all(out.dominant == out.integrity.mean(0).argmax())
        for i in range(8):
            one = take(x, torch.tensor([i]))
            a, b = batch_model(one), sample_model(one)
            assert torch.equal(a.dominant, b.dominant)
            assert torch.equal(a.prediction, b.prediction)


def keep_exactly(share: torch.Tensor, n: int, g: torch.Generator) -> torch.Tensor:
    """[B, n] bool keeping exactly ceil(share * n) random positions per row (share [B])."""
    ranks = torch.rand(share.shape[0], n, generator=g).argsort(dim=1).argsort(dim=1)
    return ranks < torch.ceil(share[:, None] * n)


def erased_batch(
    batch: int, seed: int, erase: int | None = None, dims: FeatureDims = ERASE_DIMS
) -> tuple[ModelInput, torch.Tensor]:
    """Full-length inputs where each sample loses one modality entirely (integrity 0; ``erase``
    fixes which) and the other two keep exactly a share in [0.5, 1] of their words/frames, so that
    the realised integrity matches the label. Returns the batch and the erased modality per sample."""
    g = torch.Generator().manual_seed(seed)
    n_words = dims.text_len - 2
    ids = torch.randint(103, VOCAB, (batch, dims.text_len), generator=g)
    ids[:, 0], ids[:, -1] = 101, 102
    text = torch.stack([ids, torch.ones_like(ids), torch.zeros_like(ids)], dim=1)
    audio = 1.0 + torch.randn(batch, dims.audio_len, dims.audio_dim, generator=g)  # real features are not zero-mean
    vision = 1.0 + torch.randn(batch, dims.vision_len, dims.vision_dim, generator=g)
    erased = torch.randint(0, 3, (batch,), generator=g) if erase is None else torch.full((batch,), erase)
    integrity = torch.empty(batch, 3).uniform_(0.5, 1.0, generator=g)
    integrity[torch.arange(batch), erased] = 0.0
    masked = text.clone()
    masked[:, 0, 1:-1] = torch.where(keep_exactly(integrity[:, 0], n_words, g), ids[:, 1:-1], 100)
    masked_audio = audio * keep_exactly(integrity[:, 1], dims.audio_len, g)[..., None]
    masked_vision = vision * keep_exactly(integrity[:, 2], dims.vision_len, g)[..., None]
    full = lambda n: torch.full((batch,), n)  # noqa: E731
    x = ModelInput(
        text=masked,
        audio=masked_audio,
        vision=masked_vision,
        audio_lengths=full(dims.audio_len),
        vision_lengths=full(dims.vision_len),
        integrity=integrity,
        labels=torch.zeros(batch),
    )
    return x, erased


def test_erased_modality_never_dominant_once_ie_is_trained():
    model = make_model(seed=1, dims=ERASE_DIMS, dominant_selection="sample")
    x_test, erased = erased_batch(256, seed=99_999)  # unseen samples, mixed erasures
    with torch.no_grad():
        assert torch.any(model.eval()(x_test).dominant == erased)  # untrained, it does pick them
    # A short stage 1 (no complete inputs: L_ie and the encoder losses).
    optimiser = torch.optim.AdamW(model.stage_parameters(1), lr=1e-3)
    model.train()
    for step in range(30):
        x, _ = erased_batch(16, seed=step)
        optimiser.zero_grad()
        model(x, stage=1).loss.backward()
        optimiser.step()
    model.eval()
    with torch.no_grad():
        out = model(x_test)
        assert not torch.any(out.dominant == erased)
        assert (out.integrity - x_test.integrity).abs().mean() < 0.2
        # Batch mode (the paper) on batches that all lose the same modality.
        model.config.dominant_selection = "batch"
        for m in range(3):
            x, _ = erased_batch(16, seed=77_000 + m, erase=m)
            assert not torch.any(model(x).dominant == m)


# ----- evaluation ------------------------------------------------------------------------------


def test_eval_without_complete_inputs():
    model = make_model().eval()
    x = random_input(SMALL_DIMS, batch=3, vocab_size=VOCAB, with_complete=False)
    with torch.no_grad():
        out = model(x)
        assert out.prediction.shape == (3,) and torch.all(torch.isfinite(out.prediction))
        assert set(out.losses) == {"ie", "sim", "diff", "pred"}  # no reconstruction targets
        assert out.loss is not None and torch.isfinite(out.loss)
        x.labels, x.integrity = None, None  # pure inference
        bare = model(x)
        assert bare.loss is None and "pred" not in bare.losses and "ie" not in bare.losses
        assert torch.allclose(bare.prediction, out.prediction)


# ----- the mark_padding option ----------------------------------------------------------------


def padding_pair() -> ModelInput:
    """Two clips with the same zero frames 4..9: sample 0 is 4 frames long and complete, sample 1
    is 10 frames long with its last 6 erased. Only the lengths tell them apart."""
    g = torch.Generator().manual_seed(3)
    inputs = random_input(ERASE_DIMS, batch=2, with_complete=False, seed=3)
    audio = torch.randn(1, 10, ERASE_DIMS.audio_dim, generator=g).expand(2, -1, -1).clone()
    vision = torch.randn(1, 10, ERASE_DIMS.vision_dim, generator=g).expand(2, -1, -1).clone()
    audio[:, 4:] = 0
    vision[:, 4:] = 0
    lengths = torch.tensor([4, 10])
    text = inputs.text[:1].expand(2, -1, -1).clone()
    return ModelInput(text=text, audio=audio, vision=vision, audio_lengths=lengths, vision_lengths=lengths.clone())


@pytest.mark.parametrize("mark_padding", [False, True])
def test_mark_padding_tells_padding_from_erasure(mark_padding):
    model = make_model(seed=2, dims=ERASE_DIMS, mark_padding=mark_padding).eval()
    with torch.no_grad():
        embedded, _ = model.embed(padding_pair())
    audio, vision = embedded[1], embedded[2]
    same = torch.allclose(audio[0], audio[1]) and torch.allclose(vision[0], vision[1])
    assert same is not mark_padding  # the faithful model cannot see the difference; the option can
    assert mark_padding == ("embeddings.1.padding" in dict(model.named_parameters()))


def test_mark_padding_off_by_default_and_trained_in_both_stages():
    assert SentiIFusionConfig(dims=SMALL_DIMS).mark_padding is False
    model = make_model(mark_padding=True)
    names = names_of(model, model.stage_parameters(1))
    assert {"embeddings.1.padding", "embeddings.2.padding"} <= names
    assert "embeddings.0.padding" not in dict(model.named_parameters())  # text pads with id 0 already
