"""One fingerprint for a whole data set, the same whichever loader built it.

Checkpoints record it, so a data set generated in memory, written with ``write_mmsa_pickle`` and
read back must hash identically: the arrays are hashed in the canonical dtypes every loader
produces (int64 ids, float32 features and labels), split by split in train/valid/test order --
the same arrays, in the same order, that the synthetic generator hashes. Lengths are left out
for that reason; the zero padding of the features already reflects them.
"""

from __future__ import annotations

import numpy as np

from core.data.dataset import SPLITS, Split, fingerprint_arrays


def fingerprint_splits(splits: dict[str, Split]) -> str:
    arrays: list[np.ndarray] = []
    ordered = [name for name in SPLITS if name in splits] + sorted(set(splits) - set(SPLITS))
    for name in ordered:
        split = splits[name]
        arrays += [
            np.asarray(split.text_bert, dtype=np.int64),
            np.asarray(split.audio, dtype=np.float32),
            np.asarray(split.vision, dtype=np.float32),
            np.asarray(split.labels, dtype=np.float32),
        ]
    return fingerprint_arrays(*arrays)
