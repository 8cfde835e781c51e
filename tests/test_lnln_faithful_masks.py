"""LNLN's ``faithful_masks`` training option ([A1]): the default stays bit-identical; with it,
rows served by the DataLoader workers that never refresh keep their masks across epochs, the
refreshed rows are exactly those a real 8-worker DataLoader serves from a refreshed copy,
same-shaped modalities (MOSEI audio and vision) erase the same frames, and the rates keep
LNLN's half-zero reset."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import multiprocessing

import numpy as np
import pytest
import torch

from core.data.dataset import SpecialIds
from core.missingness import (
    LnlnProtocol,
    MaskDraw,
    apply_missingness,
    apply_missingness_torch,
    lnln_loader_positions,
    lnln_refreshed_rows,
    noise_modalities,
    setting_from_dict,
)
from core.training.batches import SplitTensors, epoch_batches, make_batch
from core.training.distributed import DistContext

SPECIAL = SpecialIds()
N_MOSI = 1284  # MOSI's training split: 21 loader batches of 64 over 8 workers
L, T = 50, 500  # MOSEI (unaligned_50): text 50 tokens, audio and vision both 500 frames
FAITHFUL = LnlnProtocol(seed=1112, faithful_masks=True)


def mosei_like(n: int, seed: int = 0, same_lengths: bool = False) -> dict:
    """Random MOSEI-shaped inputs with varied lengths (no real zeros, so "zeroed" is unambiguous)."""
    rng = np.random.default_rng(seed)
    text_len = rng.integers(3, L + 1, n)
    attention = (np.arange(L)[None, :] < text_len[:, None]).astype(np.int64)
    tokens = rng.integers(1000, 30000, (n, L)) * attention
    tokens[:, 0] = SPECIAL.cls
    tokens[np.arange(n), text_len - 1] = SPECIAL.sep
    text = np.stack([tokens, attention, np.zeros_like(tokens)], axis=1)
    audio_len = rng.integers(1, T + 1, n)
    vision_len = audio_len.copy() if same_lengths else rng.integers(1, T + 1, n)

    def frames(lengths, dim):
        x = rng.uniform(0.5, 1.5, size=(n, T, dim)).astype(np.float32)
        return x * (np.arange(T)[None, :] < lengths[:, None])[..., None]

    return dict(
        text_bert=text,
        audio=frames(audio_len, 74),
        audio_lengths=audio_len,
        vision=frames(vision_len, 35),
        vision_lengths=vision_len,
    )


def masks(data: dict, ids: np.ndarray, draw: MaskDraw, rows: np.ndarray):
    return apply_missingness(
        data["text_bert"][rows],
        data["audio"][rows],
        data["audio_lengths"][rows],
        data["vision"][rows],
        data["vision_lengths"][rows],
        ids[rows],
        draw.rates[rows],
        draw.mask_seed,
        SPECIAL,
        shared_noise=draw.shared_noise,
    )


# --- the default path -------------------------------------------------------------------------

# Computed with the committed core/missingness.py before this option existed (the procedure is
# the body of the test): LNLN's default rates, mask seeds and masks must not move by one bit.
DEFAULT_DIGEST = "895613aa9f8d53c27fb3c3107ad9c8cdaefe01ad7e118bbaf3095b6c05d88c40"


def test_default_path_is_bit_identical_to_before():
    ids = np.arange(N_MOSI, dtype=np.int64)
    digest = hashlib.sha256()
    for epoch in (1, 2, 7):
        draw = LnlnProtocol(seed=1112).draw(ids, epoch=epoch)
        assert draw.shared_noise is False
        digest.update(draw.rates.tobytes())
        digest.update(str(draw.mask_seed).encode())
    rng = np.random.default_rng(0)
    n = 64
    text = np.stack([rng.integers(1000, 2000, (n, L)), np.ones((n, L), dtype=np.int64), np.zeros((n, L), dtype=np.int64)], 1)
    audio = rng.normal(size=(n, T, 3)).astype(np.float32)
    vision = rng.normal(size=(n, T, 2)).astype(np.float32)
    lengths = rng.integers(1, T + 1, n)
    draw = LnlnProtocol(seed=1112).draw(ids, epoch=3)
    out = apply_missingness(text, audio, lengths, vision, lengths, ids[:n], draw.rates[:n], draw.mask_seed)
    for keep in (out.keep_text, out.keep_audio, out.keep_vision):
        digest.update(np.packbits(keep).tobytes())
    assert digest.hexdigest() == DEFAULT_DIGEST
    assert LnlnProtocol(seed=3) == LnlnProtocol(seed=3, faithful_masks=False)


def test_default_path_redraws_every_row_every_epoch():
    """The contrast to the faithful option: by default no row keeps its rates across epochs."""
    ids = np.arange(N_MOSI)
    one, two = LnlnProtocol(seed=1112).draw(ids, epoch=1), LnlnProtocol(seed=1112).draw(ids, epoch=2)
    assert one.mask_seed != two.mask_seed
    assert (one.rates == two.rates).all(axis=1).mean() < 0.2  # only rows reset to 0 on all three twice


# --- which rows see which epoch's masks ---------------------------------------------------------


def test_modelled_loader_order_is_the_trainers_one_process_order():
    for epoch in (1, 2, 9):
        batches = epoch_batches(N_MOSI, 64, 1112, epoch, DistContext())
        order = torch.cat(batches).numpy()
        positions = lnln_loader_positions(N_MOSI, 1112, epoch)
        np.testing.assert_array_equal(positions[order], np.arange(N_MOSI))


class _RefreshOnItemZero(torch.utils.data.Dataset):
    """LNLN's dataset reduced to its refresh: a copy's generation is bumped when it fetches item 0."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.generation = 0

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index: int) -> torch.Tensor:
        if index == 0:
            self.generation += 1
        return torch.tensor([index, self.generation])


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_refreshed_rows_are_those_a_real_eight_worker_dataloader_refreshes():
    dataset = _RefreshOnItemZero(N_MOSI)
    for epoch in (1, 2):
        order = np.argsort(lnln_loader_positions(N_MOSI, 1112, epoch)).tolist()
        loader = torch.utils.data.DataLoader(dataset, batch_size=64, sampler=order, num_workers=8, multiprocessing_context="fork")
        served = torch.cat(list(loader))
        refreshed = np.zeros(N_MOSI, dtype=bool)
        refreshed[served[:, 0].numpy()] = served[:, 1].numpy() == 1
        assert served[:, 1].max() == 1  # the refresh never reaches the next epoch's workers
        np.testing.assert_array_equal(refreshed, lnln_refreshed_rows(N_MOSI, 1112, epoch))
    assert dataset.generation == 0  # the main process never fetches


def test_rows_of_non_refreshing_workers_keep_their_masks_across_epochs():
    ids = np.arange(N_MOSI, dtype=np.int64)
    data = mosei_like(N_MOSI)
    epochs = range(1, 7)
    draws = {e: FAITHFUL.draw(ids, epoch=e) for e in epochs}
    fresh = {e: lnln_refreshed_rows(N_MOSI, 1112, e) for e in epochs}
    assert len({draws[e].mask_seed for e in epochs}) == 1  # u reseeded identically every call
    for e in epochs:
        assert 0 < fresh[e].sum() <= 3 * 64  # item 0's worker holds at most 3 of the 21 batches
    stale = ~fresh[1] & ~fresh[4]
    np.testing.assert_array_equal(draws[1].rates[stale], draws[4].rates[stale])
    rows = np.flatnonzero(stale)[:300]
    first, later = masks(data, ids, draws[1], rows), masks(data, ids, draws[4], rows)
    for a, b in zip(
        (first.keep_text, first.keep_audio, first.keep_vision), (later.keep_text, later.keep_audio, later.keep_vision)
    ):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(first.audio, later.audio)
    # every epoch's stale rows hold one and the same construction draw
    construction = np.full((N_MOSI, 3), np.nan)
    for e in epochs:
        stale_now = ~fresh[e]
        known = stale_now & ~np.isnan(construction[:, 0])
        np.testing.assert_array_equal(draws[e].rates[known], construction[known])
        construction[stale_now] = draws[e].rates[stale_now]
    # item 0 itself is fetched after its worker's refresh, in every epoch
    assert all(fresh[e][0] for e in epochs)
    assert np.flatnonzero(np.isnan(construction[:, 0])).tolist() == [0]
    # the refreshed rows carry the epoch's own rates: the default path's rates of that epoch
    for e in epochs:
        default = LnlnProtocol(seed=1112).draw(ids, epoch=e).rates
        np.testing.assert_array_equal(draws[e].rates[fresh[e]], default[fresh[e]])
        assert not np.array_equal(draws[e].rates[fresh[e]], construction[fresh[e]])


def test_a_refreshed_rows_mask_is_nested_in_or_around_its_construction_mask():
    """Only the rate changes, never u: erasures at the lower rate are a subset of the higher's."""
    ids = np.arange(N_MOSI, dtype=np.int64)
    data = mosei_like(N_MOSI, seed=3)
    epoch = 5
    other = 6
    rows = np.flatnonzero(lnln_refreshed_rows(N_MOSI, 1112, epoch) & ~lnln_refreshed_rows(N_MOSI, 1112, other))
    assert len(rows) > 10
    now, before = masks(data, ids, FAITHFUL.draw(ids, epoch=epoch), rows), masks(data, ids, FAITHFUL.draw(ids, epoch=other), rows)
    for m, keep in ((0, "keep_text"), (1, "keep_audio"), (2, "keep_vision")):
        lower = now.rates[:, m] <= before.rates[:, m]
        assert lower.any() and (~lower).any()
        assert (getattr(now, keep)[lower] >= getattr(before, keep)[lower]).all()
        assert (getattr(now, keep)[~lower] <= getattr(before, keep)[~lower]).all()
    assert not np.array_equal(now.keep_audio, before.keep_audio)


# --- same-shaped modalities share their noise --------------------------------------------------


def test_noise_keys_follow_the_shapes_only_when_shared():
    assert noise_modalities((50, 500, 500)) == (0, 1, 2)
    assert noise_modalities((50, 500, 500), shared=True) == (0, 1, 1)  # MOSEI
    assert noise_modalities((50, 375, 500), shared=True) == (0, 1, 2)  # MOSI
    assert noise_modalities((50, 50, 50), shared=True) == (0, 0, 0)  # aligned_50 files
    assert noise_modalities((39, 400, 55), shared=True) == (0, 1, 2)  # SIMS


def test_mosei_audio_and_vision_erase_the_same_frames():
    ids = np.arange(400, dtype=np.int64)
    data = mosei_like(400, seed=5, same_lengths=True)
    draw = FAITHFUL.draw(ids, epoch=2)
    assert draw.shared_noise
    rows = np.arange(400)
    out = masks(data, ids, draw, rows)
    r_a, r_v = draw.rates[:, 1], draw.rates[:, 2]
    # one u per frame, two thresholds: the modality with the higher rate erases a superset
    a_lower = r_a <= r_v
    assert (out.keep_audio[a_lower] >= out.keep_vision[a_lower]).all()
    assert (out.keep_audio[~a_lower] <= out.keep_vision[~a_lower]).all()
    # at equal rates, identical frames (the official evaluation's constant rate, too)
    equal = dataclasses.replace(draw, rates=np.full((400, 3), 0.4))
    same = masks(data, ids, equal, rows)
    np.testing.assert_array_equal(same.keep_audio, same.keep_vision)
    assert 0.3 < same.keep_audio.sum() / data["audio_lengths"].sum() < 0.9
    np.testing.assert_array_equal(np.all(same.audio == 0, axis=2), np.all(same.vision == 0, axis=2))
    # ...which the default, independent noise does not give
    independent = masks(data, ids, dataclasses.replace(equal, shared_noise=False), rows)
    assert not np.array_equal(independent.keep_audio, independent.keep_vision)
    # text (50 positions) keeps its own noise
    text_u_shared = same.keep_text[:, 1:10] == same.keep_audio[:, 1:10]
    assert not text_u_shared.all()


def test_shared_noise_torch_path_and_training_batches_match_numpy():
    n = 96
    ids = np.arange(n, dtype=np.int64)
    data = mosei_like(n, seed=8, same_lengths=True)
    draw = dataclasses.replace(FAITHFUL.draw(ids, epoch=3), rates=np.tile([0.2, 0.6, 0.6], (n, 1)))
    reference = masks(data, ids, draw, np.arange(n))
    np.testing.assert_array_equal(reference.keep_audio, reference.keep_vision)
    out = apply_missingness_torch(
        torch.from_numpy(data["text_bert"]),
        torch.from_numpy(data["audio"]),
        torch.from_numpy(data["audio_lengths"]),
        torch.from_numpy(data["vision"]),
        torch.from_numpy(data["vision_lengths"]),
        torch.from_numpy(ids),
        draw.rates,
        draw.mask_seed,
        SPECIAL,
        shared_noise=True,
    )
    for name in ("keep_text", "keep_audio", "keep_vision"):
        np.testing.assert_array_equal(getattr(out, name).numpy(), getattr(reference, name))
    # the trainer's batch path passes the draw's flag on
    tensors = SplitTensors(
        text=torch.from_numpy(data["text_bert"]),
        audio=torch.from_numpy(data["audio"]),
        audio_lengths=torch.from_numpy(data["audio_lengths"]),
        vision=torch.from_numpy(data["vision"]),
        vision_lengths=torch.from_numpy(data["vision_lengths"]),
        labels=torch.zeros(n),
        sample_ids=ids,
    )
    rows = torch.arange(10, 74)
    batch = make_batch(tensors, rows, draw, SPECIAL, torch.device("cpu"), with_complete=True)
    np.testing.assert_array_equal((batch.audio == 0).all(-1).numpy(), (batch.vision == 0).all(-1).numpy())
    np.testing.assert_array_equal(batch.audio.numpy(), reference.audio[10:74])


# --- rates and configuration --------------------------------------------------------------------


def test_faithful_rates_keep_the_half_zero_reset():
    n = 16326  # MOSEI's training split
    ids = np.arange(n, dtype=np.int64)
    fresh_rates = []
    for epoch in range(1, 9):
        draw = FAITHFUL.draw(ids, epoch=epoch)
        fresh = lnln_refreshed_rows(n, 1112, epoch)
        fresh_rates.append(draw.rates[fresh])
        stale = draw.rates[~fresh]
    for rates in (stale, np.concatenate(fresh_rates)):
        zero = rates == 0.0
        assert np.all(np.abs(zero.mean(axis=0) - 0.5) < 0.03), zero.mean(axis=0)
        rest = rates[~zero]
        assert abs(rest.mean() - 0.5) < 0.03 and rest.min() > 0.0 and rest.max() < 1.0


def test_faithful_masks_is_a_protocol_option():
    protocol = dataclasses.replace(LnlnProtocol(seed=1112), **{"faithful_masks": True})
    assert protocol == FAITHFUL
    as_dict = json.loads(json.dumps(protocol.to_dict()))
    assert as_dict == {"kind": "lnln", "seed": 1112, "faithful_masks": True}
    assert setting_from_dict(as_dict) == protocol
    assert setting_from_dict({"kind": "lnln", "seed": 4}) == LnlnProtocol(4)  # older checkpoints
