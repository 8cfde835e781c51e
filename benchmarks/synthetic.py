"""How long the synthetic generator takes (product target: <= 2 s for MOSI size on this machine).

Run: ``OMP_NUM_THREADS=1 python benchmarks/synthetic.py``. Prints the best and median of a few
runs for the default (aligned, 50 frames: what the demo trains on) and for unaligned MOSI's frame
counts (375 audio, 500 vision), plus the data set's own statistics (polarity mix, kinds,
covariance shares).
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from core.data.dataset import SPLITS
from core.data.synthetic import KIND_NAMES, SyntheticConfig, synthesize


def timed(config: SyntheticConfig, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        synthesize(config)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    for label, config in (
        ("aligned (T_a = T_v = 50, default)", SyntheticConfig(seed=0)),
        ("unaligned MOSI frames (375 x 5, 500 x 20)", SyntheticConfig(seed=0, audio_len=375, vision_len=500)),
    ):
        times = timed(config, repeats=5)
        print(f"generate {label}: best {min(times):.3f} s, median {statistics.median(times):.3f} s (target <= 2 s)")

    result = synthesize(SyntheticConfig(seed=0))
    data = result.dataset
    labels = np.concatenate([data.split(n).labels for n in SPLITS]).astype(np.float64)
    print(f"sizes: {', '.join(f'{n} {len(data.split(n))}' for n in SPLITS)}; vocabulary {len(data.vocab)} tokens")
    print(
        f"labels: positive {np.mean(labels > 0):.1%}, negative {np.mean(labels < 0):.1%}, zero {np.mean(labels == 0):.1%}, "
        f"std {labels.std():.2f}"
    )
    kinds = np.concatenate([result.truth[n].kind for n in SPLITS])
    print("kinds: " + ", ".join(f"{name} {np.mean(kinds == k):.1%}" for k, name in enumerate(KIND_NAMES)))
    contributions = np.concatenate([result.truth[n].contributions for n in SPLITS])
    shares = [np.cov(contributions[:, m], labels)[0, 1] / labels.var(ddof=1) for m in range(3)]
    print("covariance shares text/audio/vision: " + " / ".join(f"{s:.2f}" for s in shares))


if __name__ == "__main__":
    main()
