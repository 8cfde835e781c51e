"""Reusing each model's per-modality work across settings (the probe and ``senti-tui eval``).

A model's eval forward pass splits into a per-modality stage (:meth:`MSAModel.embed_modality`:
the modality's embedding stack and whatever else the model derives from that modality alone —
Senti-iFusion's integrity estimate and semantic encoding h^s, LNLN's language completeness,
DAR's common stream and gated specific stream) and the rest
(:meth:`MSAModel.forward_from_embeddings`). A stage is a pure function of its modality's masked
input, so it is cached, at two grains:

- **one utterance** (the explorer's probe): per (model, utterance, modality, mask), the mask
  being the kept positions of that modality. A slider moves one modality: the other two come
  from the cache, and a step of the slider that erases nothing new reuses even the moved
  modality's stage. Always computed on a batch of one, so a result never depends on what the
  cache held.
- **the whole split**: per (model, modality, that modality's rates over the split, mask seed),
  the stage of every evaluation batch of 64. A setting that leaves a modality's rates alone (a
  slider or switch of another modality, the modes protocol's kept modalities, any seed at r = 0
  or 1) reuses it. Computed on the same batches of 64 as the plain forward pass, so whole-split
  predictions are bit-identical to it, whatever was cached.
- **the whole split, row by row** (CPU): a setting that moves a modality's rate changes only the
  rows with a position whose ``u`` lies between the two rates; a recent stage of that modality is
  patched with those rows embedded again (below), and a model whose output is per sample
  (:meth:`MSAModel.rows_independent`) predicts again only the rows whose masks changed in any
  modality. ``senti-tui eval`` gains too: each rate of the sweep is patched from the one before
  (about 14 % of its CPU time on the demo).

Both caches are LRUs bounded by the bytes of the tensors they hold; the whole-split one holds at
least two settings' worth (the one on screen and the one before it), however large the data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable

import numpy as np
import torch

from core.missingness import MaskDraw, Masked
from core.probe.cache import TensorLRU, nbytes  # noqa: F401 - their home before core/probe/cache.py

ROW_CACHE_BYTES = 32 * 2**20  # one-utterance stages: a few KB each
# Whole-split stages: 1.4-2.8 MB per model and modality on the demo, ~40 MB at MOSEI's paper size;
# the budget grows to two settings' worth when one setting needs more (see Probe.predict_split).
SPLIT_CACHE_BYTES = 128 * 2**20


def row_mask_keys(masked: Masked, row: int = 0) -> tuple[bytes, bytes, bytes]:
    """Per modality, the kept positions of one masked row (packed bits): the masked input of a
    modality is a function of its original row and of these alone."""
    return tuple(np.packbits(keep[row]).tobytes() for keep in (masked.keep_text, masked.keep_audio, masked.keep_vision))  # type: ignore[return-value]


def split_modality_keys(draw: MaskDraw) -> tuple[Hashable, Hashable, Hashable] | None:
    """Per modality, what its masks over a whole split depend on: its column of rates and the
    mask seed (not the seed when every rate is 0 or 1: ``u`` lies in (0, 1]). None when the
    modalities share their noise (LNLN's faithful training masks): no reuse then."""
    if draw.shared_noise:
        return None
    keys = []
    for m in range(3):
        column = np.ascontiguousarray(draw.rates[:, m], dtype=np.float64)
        exact = bool(np.all((column == 0.0) | (column == 1.0)))
        digest = hashlib.blake2b(column.tobytes(), digest_size=16).digest()
        keys.append((m, digest, None if exact else int(draw.mask_seed)))
    return tuple(keys)  # type: ignore[return-value]


# ----- row-level reuse: a rate change re-embeds only the rows whose mask it changed ------------
#
# A slider step of 0.05 on text changes the mask of about half the utterances (the others have no
# position with u between the two rates), so the whole-split stage of the setting before can be
# patched: the changed rows are embedded again and written over a copy of it. Changed rows of full
# evaluation batches (64) are embedded in batches of 64, the last one filled up with repeats: in a
# batch of 64 a row's stage does not depend on which rows share it or where it sits (measured bit
# for bit on CPU: tests/test_probe.py). A shorter batch (the split's last) is not a whole number of
# the matrix kernels' tiles, and the rows in its tail tile come out 1 ulp different elsewhere, so
# it is embedded again as it is. The patched stage is thus the one the plain batches give, and
# whole-split figures stay bit-identical whatever was cached.

PATCH_HISTORY = 8  # per (model, modality): the recent whole-split stages a patch may start from


def packed_keep(keep: np.ndarray) -> np.ndarray:
    """keep [N, positions] bool as packed bits per row (what a row's masked input depends on)."""
    return np.packbits(keep, axis=1)


def patch_batches(rows: np.ndarray, spans: list[tuple[int, int]], full: int) -> list[np.ndarray]:
    """The changed ``rows`` as batches to embed: those of full evaluation batches (``full`` rows)
    packed by ``full``, the last batch filled up with repeats of its first row; a shorter
    evaluation batch with a changed row whole, as it is."""
    batches: list[np.ndarray] = []
    packed = []
    for start, stop in spans:
        inside = rows[(rows >= start) & (rows < stop)]
        if not len(inside):
            continue
        if stop - start == full:
            packed.append(inside)
        else:
            batches.append(np.arange(start, stop))
    if packed:
        group = np.concatenate(packed)
        for k in range(0, len(group), full):
            chunk = group[k : k + full]
            if len(chunk) < full:
                chunk = np.concatenate([chunk, np.full(full - len(chunk), chunk[0])])
            batches.append(chunk)
    return batches


def patch_stages(base: list, spans: list[tuple[int, int]], batches: list[np.ndarray], outputs: list) -> list:
    """A copy of ``base`` (one stage per evaluation batch) with the rows of ``batches`` replaced
    by ``outputs`` (their stages); batches no row touches are shared, not copied."""
    starts = np.array([start for start, _ in spans])
    patched = list(base)
    copied: set[int] = set()
    for rows, stage in zip(batches, outputs):
        owner = np.searchsorted(starts, rows, side="right") - 1
        for s in np.unique(owner):
            s = int(s)
            if s not in copied:
                patched[s] = tuple(t.clone() for t in patched[s])
                copied.add(s)
            pick = np.flatnonzero(owner == s)
            local = torch.as_tensor(rows[pick] - starts[s])
            source = torch.as_tensor(pick)
            for target, values in zip(patched[s], stage):
                target[local] = values[source]
    return patched
