"""How long masking takes (product target: the whole 686-utterance MOSI-shaped test split at one
setting in <= 50 ms).

Run: ``OMP_NUM_THREADS=1 python benchmarks/masking.py``. The split is the synthetic test split
with unaligned MOSI's shapes (text 50, audio 375 x 5, vision 500 x 20). Prints best/median over
repeats for: drawing the rates plus masking with numpy (cold: position hashes computed; every
call recomputes the per-sample keys), the torch path on the whole split, the torch path per
training batch of 64, and a whole 10-rate sweep.
"""

from __future__ import annotations

import dataclasses
import statistics
import time

import numpy as np
import torch

from core.data.synthetic import SyntheticConfig, synthesize
from core.missingness import (
    DroprateSetting,
    RateSetting,
    apply_missingness_torch,
    evaluation_sweep,
    mask_split,
)


def timed(fn, repeats: int = 20) -> tuple[float, float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times) * 1e3, statistics.median(times) * 1e3


def main() -> None:
    torch.set_num_threads(1)
    data = synthesize(SyntheticConfig(seed=0, audio_len=375, vision_len=500)).dataset
    split = data.split("test")
    print(
        f"split: {len(split)} utterances, text {split.text_bert.shape[2]}, audio {split.audio.shape[1]}x{split.audio.shape[2]}, "
        f"vision {split.vision.shape[1]}x{split.vision.shape[2]}"
    )
    for setting in (RateSetting(0.5), DroprateSetting(0.5)):
        best, median = timed(lambda setting=setting: mask_split(split, setting, data.present, data.special_ids))
        print(f"numpy, whole split, {setting.label}: best {best:.1f} ms, median {median:.1f} ms (target <= 50 ms)")

    # Worst case: every sequence as long as its padding (real MOSI has a few 500-frame videos;
    # the synthetic ones stop earlier, and masking skips columns beyond the longest sequence).
    full = dataclasses.replace(
        split,
        audio_lengths=np.full(len(split), split.audio.shape[1]),
        vision_lengths=np.full(len(split), split.vision.shape[1]),
    )
    best, median = timed(lambda: mask_split(full, RateSetting(0.5), data.present, data.special_ids))
    print(f"numpy, whole split, r=0.5, all sequences full length: best {best:.1f} ms, median {median:.1f} ms")

    tensors = [
        torch.from_numpy(a) for a in (split.text_bert, split.audio, split.audio_lengths, split.vision, split.vision_lengths)
    ]
    ids = split.sample_ids
    draw = RateSetting(0.5).draw(ids, data.present)
    best, median = timed(lambda: apply_missingness_torch(*tensors, torch.from_numpy(ids), draw.rates, draw.mask_seed))
    print(f"torch (CPU), whole split, r=0.5: best {best:.1f} ms, median {median:.1f} ms")

    rows = np.arange(64)
    batch = [t[rows] for t in tensors]
    best, median = timed(
        lambda: apply_missingness_torch(*batch, torch.from_numpy(ids[rows]), draw.rates[rows], draw.mask_seed), 50
    )
    print(f"torch (CPU), one batch of 64, r=0.5: best {best:.2f} ms, median {median:.2f} ms")

    sweep = evaluation_sweep("rates")
    best, median = timed(lambda: [mask_split(split, s, data.present, data.special_ids) for s in sweep], 5)
    print(f"numpy, whole split, the 10-rate sweep: best {best:.0f} ms, median {median:.0f} ms")


if __name__ == "__main__":
    main()
