"""Missingness: special tokens and padding untouched, determinism, nesting, inter-modality drops,
retention modes, the training protocols' statistics, absent modalities, and numpy == torch."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from core.data.dataset import SpecialIds
from core.data.synthetic import SyntheticConfig, synthesize
from core.errors import ConfigError
from core.missingness import (
    RETENTION_MODES,
    CalibrationSetting,
    CustomSetting,
    DarProtocol,
    DroprateSetting,
    IFusionProtocol,
    LnlnProtocol,
    ModeSetting,
    RateSetting,
    apply_missingness,
    apply_missingness_torch,
    default_training_protocol,
    evaluation_sweep,
    mask_split,
    present_vector,
    setting_from_dict,
)

SPECIAL = SpecialIds()
N, L, TA, DA, TV, DV = 300, 50, 375, 5, 500, 20


@pytest.fixture(scope="module")
def batch():
    """A MOSI-shaped (unaligned) random batch with varied lengths, including edge cases."""
    rng = np.random.default_rng(7)
    text_len = rng.integers(2, L + 1, N)
    text_len[:3] = [2, 3, L]  # only [CLS][SEP]; one real word; unpadded
    ids = rng.integers(1000, 30000, (N, L))
    attention = (np.arange(L)[None, :] < text_len[:, None]).astype(np.int64)
    ids = ids * attention
    ids[:, 0] = SPECIAL.cls
    ids[np.arange(N), text_len - 1] = SPECIAL.sep
    segments = np.zeros_like(ids)
    segments[5, :10] = 1  # segment ids must pass through unchanged
    text = np.stack([ids, attention, segments], axis=1)
    audio_len = rng.integers(1, TA + 1, N)
    audio_len[0] = 0  # no frames at all
    vision_len = rng.integers(1, TV + 1, N)
    audio = rng.normal(size=(N, TA, DA)).astype(np.float32) * (np.arange(TA)[None, :] < audio_len[:, None])[..., None]
    vision = rng.normal(size=(N, TV, DV)).astype(np.float32) * (np.arange(TV)[None, :] < vision_len[:, None])[..., None]
    audio[audio == 0] = 0.5  # make real zeros impossible so "zeroed" is unambiguous...
    audio *= (np.arange(TA)[None, :] < audio_len[:, None])[..., None]  # ...except in the padding
    vision[vision == 0] = 0.5
    vision *= (np.arange(TV)[None, :] < vision_len[:, None])[..., None]
    return dict(
        text_bert=text,
        audio=audio,
        audio_lengths=audio_len,
        vision=vision,
        vision_lengths=vision_len,
        sample_ids=np.arange(1000, 1000 + N),
        text_len=text_len,
    )


def mask(batch, rates, seed=1111, ids=None, rows=None):
    rows = np.arange(N) if rows is None else rows
    rates = np.broadcast_to(np.asarray(rates, dtype=np.float64), (len(rows), 3))
    return apply_missingness(
        batch["text_bert"][rows],
        batch["audio"][rows],
        batch["audio_lengths"][rows],
        batch["vision"][rows],
        batch["vision_lengths"][rows],
        batch["sample_ids"][rows] if ids is None else ids,
        rates,
        seed,
        SPECIAL,
    )


def erased(masked, batch, rows=None):
    """Bool masks of erased real positions (text excludes [CLS]/[SEP]) from the outputs alone."""
    rows = np.arange(N) if rows is None else rows
    tokens = masked.text_bert[:, 0]
    text = (tokens == SPECIAL.unk) & (batch["text_bert"][rows, 0] != SPECIAL.unk)
    audio_real = np.arange(TA)[None, :] < batch["audio_lengths"][rows, None]
    vision_real = np.arange(TV)[None, :] < batch["vision_lengths"][rows, None]
    audio = audio_real & np.all(masked.audio == 0, axis=2)
    vision = vision_real & np.all(masked.vision == 0, axis=2)
    return text, audio, vision


@pytest.mark.parametrize("rate", [0.0, 0.3, 0.7, 1.0])
def test_special_tokens_padding_and_rows_untouched(batch, rate):
    out = mask(batch, rate)
    tokens, original = out.text_bert[:, 0], batch["text_bert"][:, 0]
    text_len = batch["text_len"]
    assert (tokens[:, 0] == SPECIAL.cls).all()
    assert (tokens[np.arange(N), text_len - 1] == SPECIAL.sep).all()
    padding = np.arange(L)[None, :] >= text_len[:, None]
    assert (tokens[padding] == SPECIAL.pad).all()
    changed = tokens != original
    assert (tokens[changed] == SPECIAL.unk).all()  # dropped tokens become [UNK], nothing else
    np.testing.assert_array_equal(out.text_bert[:, 1:], batch["text_bert"][:, 1:])  # mask, segments
    audio_pad = np.arange(TA)[None, :] >= batch["audio_lengths"][:, None]
    vision_pad = np.arange(TV)[None, :] >= batch["vision_lengths"][:, None]
    assert (out.audio[audio_pad] == 0).all() and (out.vision[vision_pad] == 0).all()
    # kept frames are the original values, bit for bit
    np.testing.assert_array_equal(out.audio[out.keep_audio], batch["audio"][out.keep_audio])
    np.testing.assert_array_equal(out.vision[out.keep_vision], batch["vision"][out.keep_vision])
    assert not out.keep_audio[audio_pad].any()


def test_rate_zero_keeps_everything_and_rate_one_erases_everything(batch):
    intact = mask(batch, 0.0)
    np.testing.assert_array_equal(intact.text_bert, batch["text_bert"])
    np.testing.assert_array_equal(intact.audio, batch["audio"])
    np.testing.assert_array_equal(intact.vision, batch["vision"])
    assert np.all(intact.realised == 1.0)
    gone = mask(batch, 1.0)
    text_len = batch["text_len"]
    inner = (np.arange(L)[None, :] > 0) & (np.arange(L)[None, :] < (text_len - 1)[:, None])
    assert (gone.text_bert[:, 0][inner] == SPECIAL.unk).all()
    assert not gone.audio.any() and not gone.vision.any()
    assert np.all(gone.realised == 0.0) and np.all(gone.integrity == 0.0)


def test_same_inputs_same_mask_whatever_the_batch(batch):
    first, second = mask(batch, 0.4), mask(batch, 0.4)
    np.testing.assert_array_equal(first.text_bert, second.text_bert)
    np.testing.assert_array_equal(first.keep_vision, second.keep_vision)
    # one sample alone (the explorer), or in a shuffled subset, gets exactly the same erasures
    rows = np.random.default_rng(0).permutation(N)[:37]
    subset = mask(batch, 0.4, rows=rows)
    np.testing.assert_array_equal(subset.text_bert, first.text_bert[rows])
    np.testing.assert_array_equal(subset.audio, first.audio[rows])
    alone = mask(batch, 0.4, rows=np.array([17]))
    np.testing.assert_array_equal(alone.keep_audio[0], first.keep_audio[17])
    # another mask seed or other sample ids give another mask
    assert not np.array_equal(mask(batch, 0.4, seed=1112).keep_vision, first.keep_vision)
    assert not np.array_equal(mask(batch, 0.4, ids=batch["sample_ids"] + 1).keep_vision, first.keep_vision)


def test_modalities_get_independent_masks(batch):
    # LNLN's reseeding made same-shaped audio and vision share masks; keyed by modality here.
    out = mask(batch, 0.5)
    span = min(TA, TV)
    both = np.arange(span)[None, :] < np.minimum(batch["audio_lengths"], batch["vision_lengths"])[:, None]
    agree = (out.keep_audio[:, :span] == out.keep_vision[:, :span])[both].mean()
    assert 0.45 < agree < 0.55


def test_higher_rate_erases_a_superset(batch):
    rates = [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0]
    previous = None
    for rate in rates:
        current = erased(mask(batch, rate), batch)
        if previous is not None:
            for low, high in zip(previous, current):
                assert not (low & ~high).any()
        previous = current
    # per-modality rates nest independently too
    a = erased(mask(batch, [0.2, 0.6, 0.4]), batch)
    b = erased(mask(batch, [0.3, 0.6, 0.9]), batch)
    assert all(not (x & ~y).any() for x, y in zip(a, b))


def test_realised_fraction_tracks_the_nominal_rate(batch):
    out = mask(batch, 0.3)
    assert np.all(out.integrity == pytest.approx(0.7))
    realised = out.realised
    assert abs(realised[:, 1:].mean() - 0.7) < 0.01
    assert abs(realised[:, 0].mean() - 0.7) < 0.03
    # nothing erasable: [CLS][SEP]-only text and a zero-length audio report the nominal value
    assert realised[0, 0] == pytest.approx(0.7) and realised[0, 1] == pytest.approx(0.7)
    text, _, _ = erased(out, batch)
    erasable = np.maximum(batch["text_len"] - 2, 0)
    with np.errstate(invalid="ignore"):
        expected = 1.0 - text.sum(1) / erasable
    has = erasable > 0
    np.testing.assert_allclose(realised[has, 0], expected[has])


def test_torch_path_is_bit_identical(batch):
    rates = DroprateSetting(0.5).rates(batch["sample_ids"])
    ref = apply_missingness(
        batch["text_bert"],
        batch["audio"],
        batch["audio_lengths"],
        batch["vision"],
        batch["vision_lengths"],
        batch["sample_ids"],
        rates,
        1234,
        SPECIAL,
    )
    got = apply_missingness_torch(
        torch.from_numpy(batch["text_bert"]),
        torch.from_numpy(batch["audio"]),
        torch.from_numpy(batch["audio_lengths"]),
        torch.from_numpy(batch["vision"]),
        torch.from_numpy(batch["vision_lengths"]),
        torch.from_numpy(batch["sample_ids"]),
        torch.from_numpy(rates),
        1234,
        SPECIAL,
    )
    np.testing.assert_array_equal(got.text_bert.numpy(), ref.text_bert)
    np.testing.assert_array_equal(got.audio.numpy(), ref.audio)
    np.testing.assert_array_equal(got.vision.numpy(), ref.vision)
    np.testing.assert_array_equal(got.keep_text.numpy(), ref.keep_text)
    np.testing.assert_allclose(got.integrity.numpy(), ref.integrity, rtol=1e-6)
    np.testing.assert_allclose(got.realised.numpy(), ref.realised, rtol=1e-6)


IDS = np.arange(20000)


def test_droprate_never_drops_all_three_and_is_nested():
    for droprate in (0.0, 0.3, 0.5, 1.0):
        rates = DroprateSetting(droprate).rates(IDS)
        dropped = rates == 1.0
        assert not dropped.all(axis=1).any()
        assert abs(dropped.any(axis=1).mean() - droprate) < 0.015
    # at droprate 1 every sample loses one or two modalities, the six subsets equally often
    dropped = DroprateSetting(1.0).rates(IDS) == 1.0
    assert dropped.any(axis=1).all()
    codes, counts = np.unique(dropped @ np.array([1, 2, 4]), return_counts=True)
    assert sorted(codes.tolist()) == [1, 2, 3, 4, 5, 6]
    assert counts.min() / counts.max() > 0.9
    # samples dropped at a lower droprate are dropped, with the same subset, at a higher one
    low, high = DroprateSetting(0.3).rates(IDS) == 1.0, DroprateSetting(0.6).rates(IDS) == 1.0
    chosen = low.any(axis=1)
    np.testing.assert_array_equal(low[chosen], high[chosen])
    # intra rates are U(0,1) for the modalities that stay
    intra = DroprateSetting(0.5).rates(IDS)
    kept = intra[intra < 1.0]
    assert abs(kept.mean() - 0.5) < 0.01 and kept.min() >= 0.0


@pytest.mark.parametrize("mode", sorted(RETENTION_MODES))
def test_modes_keep_exactly_their_modalities(batch, mode):
    setting = ModeSetting(mode)
    kept = np.array([m in RETENTION_MODES[mode] for m in ("l", "a", "v")])
    rates = setting.rates(batch["sample_ids"])
    assert (rates[:, ~kept] == 1.0).all() and (rates[:, kept] < 1.0).all()
    out = mask(batch, rates)
    _text, _audio, _vision = erased(out, batch)
    if not kept[0]:
        inner = (np.arange(L)[None, :] > 0) & (np.arange(L)[None, :] < (batch["text_len"] - 1)[:, None])
        assert (out.text_bert[:, 0][inner] == SPECIAL.unk).all()
    if not kept[1]:
        assert not out.audio.any()
    if not kept[2]:
        assert not out.vision.any()
    clean = ModeSetting(mode, intra=False).rates(batch["sample_ids"])
    assert (clean[:, kept] == 0.0).all() and (clean[:, ~kept] == 1.0).all()
    with pytest.raises(ConfigError):
        ModeSetting(6)


def test_lnln_protocol_half_zero_uniform_rest_redrawn_each_epoch():
    protocol = LnlnProtocol(seed=3)
    rates = protocol.rates(IDS, epoch=1)
    zero = rates == 0.0
    assert np.all(np.abs(zero.mean(axis=0) - 0.5) < 0.015)  # half of the samples, per modality
    rest = rates[~zero]
    assert abs(rest.mean() - 0.5) < 0.01 and rest.max() < 1.0
    # the halves are chosen independently per modality
    assert abs((zero[:, 0] & zero[:, 1]).mean() - 0.25) < 0.015
    again = protocol.draw(IDS, epoch=1)
    np.testing.assert_array_equal(again.rates, rates)
    other = protocol.draw(IDS, epoch=2)
    assert not np.array_equal(other.rates, rates) and other.mask_seed != again.mask_seed
    assert LnlnProtocol(seed=4).draw(IDS, epoch=1).mask_seed != again.mask_seed


def test_ifusion_and_dar_protocols():
    ifusion = IFusionProtocol(seed=0).rates(IDS, epoch=5)
    dropped = ifusion == 1.0
    assert not dropped.all(axis=1).any()
    assert abs(dropped.any(axis=1).mean() - 0.5) < 0.015
    assert np.all(np.abs(dropped.mean(axis=0) - 0.25) < 0.015)  # each modality is in 3 of 6 subsets
    assert abs(IFusionProtocol(seed=0, droprate=0.2).rates(IDS).__eq__(1.0).any(axis=1).mean() - 0.2) < 0.015
    dar = DarProtocol(seed=0).draw(IDS, epoch=2)
    assert np.all(dar.rates == 0.3)
    assert DarProtocol(seed=0).draw(IDS, epoch=3).mask_seed != dar.mask_seed  # masks redrawn
    uniform = DarProtocol(seed=0, k=0.4, variant="uniform").rates(IDS)
    assert uniform.max() < 0.4 and abs(uniform.mean() - 0.2) < 0.01
    assert default_training_protocol("dar", "mosei").k == 0.4
    assert default_training_protocol("dar", "synthetic").k == 0.3
    assert isinstance(default_training_protocol("senti-ifusion"), IFusionProtocol)
    assert isinstance(default_training_protocol("lnln"), LnlnProtocol)


def test_absent_modalities_always_have_integrity_zero():
    present = {"text": True, "audio": False, "vision": False}
    for setting in (RateSetting(0.0), DroprateSetting(1.0), LnlnProtocol(), IFusionProtocol(), DarProtocol(), CustomSetting()):
        rates = setting.rates(IDS[:500], present)
        assert (rates[:, 1:] == 1.0).all()
        assert (rates[:, 0] < 1.0).all()  # the only present modality is never dropped
    two = DroprateSetting(1.0).rates(IDS[:500], {"text": True, "audio": True, "vision": False})
    assert ((two[:, :2] == 1.0).sum(axis=1) == 1).all()  # exactly one of the two present ones goes


def test_custom_setting_switches_and_rates(batch):
    setting = CustomSetting((0.2, 0.5, 0.9), (True, False, True))
    rates = setting.rates(batch["sample_ids"])
    np.testing.assert_array_equal(rates[0], [0.2, 1.0, 0.9])
    out = mask(batch, rates)
    assert not out.audio.any()
    np.testing.assert_allclose(out.integrity[0], [0.8, 0.0, 0.1])


def test_settings_round_trip_as_plain_dicts():
    settings = [
        RateSetting(0.3),
        DroprateSetting(0.7, seed=5),
        ModeSetting(4, intra=False),
        CustomSetting((0.1, 0.2, 0.3), (True, True, False)),
        LnlnProtocol(9),
        IFusionProtocol(1, droprate=0.3),
        DarProtocol(2, k=0.4, variant="uniform"),
    ]
    for setting in settings:
        as_dict = json.loads(json.dumps(setting.to_dict()))
        assert setting_from_dict(as_dict) == setting
    with pytest.raises(ConfigError):
        setting_from_dict({"kind": "nope"})
    with pytest.raises(ConfigError):
        setting_from_dict({"kind": "rates", "bogus": 1})


def test_evaluation_sweeps():
    assert [s.rate for s in evaluation_sweep("rates")] == [round(0.1 * i, 1) for i in range(10)]
    assert [s.droprate for s in evaluation_sweep("droprates")] == [round(0.1 * i, 1) for i in range(11)]
    assert [s.mode for s in evaluation_sweep("modes")] == [0, 1, 2, 3, 4, 5]
    assert all(s.seed == 1111 for s in evaluation_sweep("rates"))
    with pytest.raises(ConfigError):
        evaluation_sweep("everything")


def test_mask_split_on_the_synthetic_set():
    data = synthesize(SyntheticConfig(sizes=(30, 20, 40), videos=(3, 2, 4))).dataset
    split = data.split("test")
    whole = mask_split(split, RateSetting(0.5), data.present, data.special_ids)
    one = mask_split(split, RateSetting(0.5), data.present, data.special_ids, indices=np.array([7]))
    np.testing.assert_array_equal(one.text_bert[0], whole.text_bert[7])
    np.testing.assert_array_equal(one.vision[0], whole.vision[7])
    assert whole.text_bert.shape == split.text_bert.shape


@pytest.mark.parametrize("setting", [RateSetting(0.35, seed=4), CalibrationSetting(enabled=(True, True, True), seed=9)])
def test_modality_keep_is_the_mask_apply_missingness_makes(setting):
    from core.missingness.appliers import modality_keep

    data = synthesize(SyntheticConfig(sizes=(30, 20, 40), videos=(3, 2, 4))).dataset
    split = data.split("test")
    whole = mask_split(split, setting, data.present, data.special_ids)
    draw = setting.draw(split.sample_ids, present_vector(data.present))
    for m, keep in enumerate((whole.keep_text, whole.keep_audio, whole.keep_vision)):
        np.testing.assert_array_equal(modality_keep(split, m, draw.rates[:, m], draw.mask_seed), keep)
