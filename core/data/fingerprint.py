"""One fingerprint for a whole data set, the same whichever loader built it.

Checkpoints record it, so a data set generated in memory, written with ``write_mmsa_pickle`` and
read back must hash identically: the arrays are hashed in the canonical dtypes every loader
produces (int64 ids and lengths, float32 features and labels), split by split in train/valid/test
order -- the same arrays, in the same order, that the synthetic generator hashes.

Version 2 (:data:`FINGERPRINT_VERSION`) hashes everything a prediction or a display depends on:
the token ids, features, labels, the audio/vision lengths (the models mask frames past them, so
zeroed lengths change every prediction) and the sample ids and raw text the explorer shows.
Version 1 left out the lengths and the strings. A checkpoint records the version next to the
fingerprint (``data["fingerprint_version"]``; absent = 1, as in checkpoints written before), and
:func:`fingerprint_matches` compares by the recorded version's rule, so older checkpoints still
open on their data.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import numpy as np

from core.data.dataset import FINGERPRINT_VERSION, SPLITS, Split, fingerprint_arrays

if TYPE_CHECKING:
    from core.data.dataset import MSADataset


def _ordered(splits: dict[str, Split]) -> list[Split]:
    names = [name for name in SPLITS if name in splits] + sorted(set(splits) - set(SPLITS))
    return [splits[name] for name in names]


def fingerprint_splits(splits: dict[str, Split]) -> str:
    """The current (version 2) fingerprint: 16 hex characters."""
    digest = hashlib.sha256(f"senti-tui data fingerprint v{FINGERPRINT_VERSION}".encode())
    for split in _ordered(splits):
        for array in (
            np.asarray(split.text_bert, dtype=np.int64),
            np.asarray(split.audio, dtype=np.float32),
            np.asarray(split.vision, dtype=np.float32),
            np.asarray(split.labels, dtype=np.float32),
            np.asarray(split.audio_lengths, dtype=np.int64),
            np.asarray(split.vision_lengths, dtype=np.int64),
        ):
            contiguous = np.ascontiguousarray(array)
            digest.update(str(contiguous.shape).encode())
            digest.update(contiguous.tobytes())
        for strings in (split.ids, split.raw_text):
            encoded = [str(text).encode("utf-8", "surrogatepass") for text in strings]
            digest.update(np.asarray([len(item) for item in encoded], dtype=np.int64).tobytes())
            digest.update(b"".join(encoded))
    return digest.hexdigest()[:16]


def legacy_fingerprint_splits(splits: dict[str, Split]) -> str:
    """Version 1 (ids, features and labels only): what checkpoints before version 2 recorded."""
    arrays: list[np.ndarray] = []
    for split in _ordered(splits):
        arrays += [
            np.asarray(split.text_bert, dtype=np.int64),
            np.asarray(split.audio, dtype=np.float32),
            np.asarray(split.vision, dtype=np.float32),
            np.asarray(split.labels, dtype=np.float32),
        ]
    return fingerprint_arrays(*arrays)


def recorded_version(data: dict) -> int:
    """The fingerprint version a checkpoint's ``data`` record was written with."""
    version = data.get("fingerprint_version", 1)
    return version if isinstance(version, int) and not isinstance(version, bool) else -1


def fingerprint_of(dataset: MSADataset, version: int) -> str | None:
    """``dataset``'s fingerprint by the rule of ``version`` (None for a version unknown here)."""
    if version == FINGERPRINT_VERSION:
        return dataset.fingerprint
    if version == 1:
        return legacy_fingerprint_splits(dataset.splits)
    return None


def fingerprint_matches(data: dict, dataset: MSADataset) -> bool:
    """Whether a checkpoint's ``data`` record names ``dataset`` (by the rule it was written with)."""
    recorded = data.get("fingerprint")
    return bool(recorded) and fingerprint_of(dataset, recorded_version(data)) == recorded
