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
import threading
from collections import OrderedDict
from typing import Hashable

import numpy as np
import torch

from core.missingness import Masked, MaskDraw

ROW_CACHE_BYTES = 32 * 2**20  # one-utterance stages: a few KB each
# Whole-split stages: 1.4-2.8 MB per model and modality on the demo, ~40 MB at MOSEI's paper size;
# the budget grows to two settings' worth when one setting needs more (see Probe.predict_split).
SPLIT_CACHE_BYTES = 128 * 2**20


def nbytes(value) -> int:
    """Bytes of the tensors in a stage, or in a list of stages."""
    if isinstance(value, torch.Tensor):
        return value.numel() * value.element_size()
    if isinstance(value, (list, tuple)):
        return sum(nbytes(v) for v in value)
    return 0


class TensorLRU:
    """Least-recently-used cache bounded by bytes; safe to share between threads."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = int(max_bytes)
        self.bytes = 0
        self._items: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable):
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: Hashable, value) -> None:
        size = nbytes(value)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.bytes -= old[1]
            self._items[key] = (value, size)
            self.bytes += size
            while self.bytes > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self.bytes -= dropped

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.bytes = 0


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
