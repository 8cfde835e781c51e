"""Senti-iFusion's integrity-estimator options (docs/models.md §3.2, §3.6, §8.1): what L_ie is
trained against (``integrity_target``), whether audio/vision padding is attended to
(``attend_padding``), the IE heads' learning-rate multiplier (``integrity_lr_scale``), E^ie's form
(``integrity_head``), an E^emb token for E^ie alone (``integrity_token``) and the weight of the
audio/vision terms in L_ie (``nonverbal_ie_weight``). Every default is the faithful model."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from core.data.sources import load_dataset
from core.errors import ConfigError
from core.missingness import DroprateSetting, mask_split
from core.missingness.protocols import DarProtocol, IFusionProtocol, LnlnProtocol
from core.models.blocks import ModalityEmbedding
from core.models.senti_ifusion import SentiIFusion, SentiIFusionConfig
from core.training.batches import SplitTensors, draw_rates, expected_integrity, make_batch
from core.training.schedule import WarmupCosine
from core.training.trainer import _param_groups
from tests.model_inputs import SMALL_DIMS, random_input
from tests.tiny_text_encoder import TinyTextEncoder


def make_model(seed: int = 0, **overrides) -> SentiIFusion:
    torch.manual_seed(seed)
    config = SentiIFusionConfig.for_dataset("mosi", SMALL_DIMS, 32)
    return SentiIFusion(dataclasses.replace(config, **overrides), TinyTextEncoder(vocab_size=200))


def test_defaults_are_the_faithful_model():
    config = SentiIFusionConfig(dims=SMALL_DIMS)
    assert (config.integrity_target, config.attend_padding, config.integrity_lr_scale) == ("nominal", True, 1.0)
    assert (config.integrity_head, config.integrity_token, config.nonverbal_ie_weight) == ("completeness", False, 1.0)
    assert make_model().lr_scales() == {}


@pytest.mark.parametrize("field, value", [("integrity_target", "realised"), ("integrity_head", "mlp")])
def test_unknown_values_are_refused(field, value):
    with pytest.raises(ConfigError, match=field):
        SentiIFusionConfig(dims=SMALL_DIMS, **{field: value})


# ----- integrity_target="expected" ------------------------------------------------------------


def test_expected_integrity_is_the_posterior_mean_and_zero_when_dropped():
    integrity = torch.tensor([[0.7, 0.0, 0.2]])
    kept = torch.tensor([[3.0, 0.0, 0.0]])
    erasable = torch.tensor([[8.0, 10.0, 10.0]])
    # (k + 1) / (n + 2); the dropped audio keeps its 0; vision, k = 0 but not dropped: 1 / 12
    assert torch.allclose(expected_integrity(integrity, kept, erasable), torch.tensor([[4 / 10, 0.0, 1 / 12]]))


def test_batches_carry_the_expected_integrity_of_their_masks():
    data = load_dataset("synthetic")
    split = data.split("valid")
    setting = DroprateSetting(droprate=0.5, seed=1111)
    tensors = SplitTensors.from_split(split)
    draw = draw_rates(setting, tensors, data.present, 0)
    batch = make_batch(tensors, torch.arange(len(tensors)), draw, data.special_ids, torch.device("cpu"), False)
    masked = mask_split(split, setting, data.present, data.special_ids)
    truth = 1.0 - masked.rates
    for m, (keep, lengths) in ((1, (masked.keep_audio, split.audio_lengths)), (2, (masked.keep_vision, split.vision_lengths))):
        n = np.minimum(lengths, keep.shape[1])
        want = np.where(truth[:, m] == 0, 0.0, (keep.sum(axis=1) + 1) / (n + 2))
        assert batch.integrity_expected is not None
        np.testing.assert_allclose(batch.integrity_expected[:, m].numpy(), want, atol=1e-6)
    assert ((batch.integrity_expected[:, 0] == 0) == (batch.integrity[:, 0] == 0)).all()


@pytest.mark.parametrize("target", ["nominal", "expected"])
def test_l_ie_reads_the_chosen_target(target):
    model = make_model(integrity_target=target).eval()
    x = random_input(seed=1)
    x.integrity_expected = torch.full_like(x.integrity, 0.5)
    with torch.no_grad():
        output = model(x)
    truth = x.integrity_expected if target == "expected" else x.integrity
    want = sum(torch.nn.functional.mse_loss(output.integrity[:, m], truth[:, m]) for m in range(3))
    assert torch.allclose(output.losses["ie"], want)


@pytest.mark.parametrize(
    "protocol, refused",
    [
        (IFusionProtocol(), False),
        (IFusionProtocol(intra_high=0.6), True),
        (LnlnProtocol(), True),  # half of the rates reset to 0: not U(0,1)
        (DarProtocol(variant="uniform", k=1.0), False),
        (DarProtocol(), True),  # a fixed rate
    ],
)
def test_the_expected_target_needs_uniform_intra_rates(protocol, refused):
    problem = make_model(integrity_target="expected").training_protocol_problem(protocol.intra_uniform_range())
    assert (problem is not None) is refused
    assert make_model().training_protocol_problem(protocol.intra_uniform_range()) is None  # nominal: any law


def test_nonverbal_ie_weight_weighs_the_audio_and_vision_terms():
    x = random_input(seed=4)
    losses = {}
    for weight in (1.0, 2.5):
        model = make_model(nonverbal_ie_weight=weight).eval()
        with torch.no_grad():
            output = model(x)
        terms = [torch.nn.functional.mse_loss(output.integrity[:, m], x.integrity[:, m]) for m in range(3)]
        assert torch.allclose(output.losses["ie"], terms[0] + weight * (terms[1] + terms[2]))
        losses[weight] = output.losses["ie"]
    assert losses[2.5] > losses[1.0]


# ----- attend_padding=False -------------------------------------------------------------------


@pytest.mark.parametrize("attend_padding", [True, False])
def test_padding_frames_out_of_attention(attend_padding):
    torch.manual_seed(0)
    embedding = ModalityEmbedding(5, 12, tokens=4, dim=16, heads=2, dim_head=8, attend_padding=attend_padding).eval()
    x = torch.randn(2, 12, 5)
    lengths = torch.tensor([4, 9])
    other = x.clone()
    other[0, 4:] = 3.0  # only padding changes
    other[1, 9:] = -2.0
    with torch.no_grad():
        same = torch.allclose(embedding(x, lengths), embedding(other, lengths))
    assert same is not attend_padding


def test_attend_padding_needs_lengths():
    embedding = ModalityEmbedding(5, 12, tokens=4, dim=16, heads=2, dim_head=8, attend_padding=False)
    with pytest.raises(ValueError, match="lengths"):
        embedding(torch.randn(1, 12, 5))


# ----- integrity_lr_scale ---------------------------------------------------------------------


def test_integrity_lr_scale_gives_the_ie_heads_their_own_rate():
    model = make_model(integrity_lr_scale=3.0)
    params = list(model.parameters())
    groups = _param_groups(model, params)
    assert [g["lr_scale"] for g in groups] == [1.0, 3.0]
    ie = {id(p) for p in model.integrity_heads.parameters()}
    assert {id(p) for p in groups[1]["params"]} == ie
    assert sum(len(g["params"]) for g in groups) == len(params)
    optimizer = torch.optim.AdamW(groups, lr=1e-3)
    base = WarmupCosine(1e-3, 10, 0).apply(optimizer, 1)
    assert [g["lr"] for g in optimizer.param_groups] == [base, 3 * base]


def test_one_group_by_default():
    model = make_model()
    assert [g["lr_scale"] for g in _param_groups(model, list(model.parameters()))] == [1.0]


# ----- integrity_head and integrity_token -----------------------------------------------------


@pytest.mark.parametrize("overrides", [{"integrity_head": "linear"}, {"integrity_token": True}])
def test_estimator_forms_keep_the_model_s_shapes(overrides):
    model = make_model(**overrides).eval()
    x = random_input(seed=2)
    with torch.no_grad():
        output = model(x)
        embedded, _ = model.embed(x)
    assert ((output.integrity > 0) & (output.integrity < 1)).all()
    tokens = model.config.tokens + (1 if model.config.integrity_token else 0)
    assert all(h.shape[1] == tokens for h in embedded)  # E^ie reads them all; the rest, the first T
    assert set(output.losses) >= {"ie", "pred"}
