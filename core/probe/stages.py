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

Both caches are LRUs bounded by the bytes of the tensors they hold; the whole-split one holds at
least two settings' worth (the one on screen and the one before it), however large the data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable

import numpy as np

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
