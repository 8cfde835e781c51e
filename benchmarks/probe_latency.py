"""How fast the probe answers (product targets, 2-core CPU, demo checkpoint):

- settings change -> result, per model: median <= 10 ms, p95 <= 25 ms;
- the whole test split (686 utterances) re-evaluated under new settings <= 1.5 s;
- start to first prediction <= 4 s (here: a fresh Python process importing core, opening the
  checkpoint with its data and probing utterance 0; the explorer adds its UI on top);
- peak memory <= 1 GB.

Run: ``python benchmarks/probe_latency.py [CHECKPOINT ...] [--changes 200] [--threads N]``
(default ``checkpoints/demo.pt``). Each settings change is new (random rates on a 0.01 grid, a
switch flipped now and then, a random utterance), so no cached result is ever reused. Reports
per model (a probe holding that checkpoint alone), then all checkpoints together.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

DEFAULT = "checkpoints/demo.pt"
HINT = ("{path} not found: train the demo with `senti-tui train --preset demo --model senti-ifusion --out RUN` "
        "and pass RUN/synthetic_best.pt (or copy it to checkpoints/demo.pt)")


def random_settings(rng: random.Random, count: int, seed: int = 1111):
    from core.probe.types import ProbeSettings

    seen, out = set(), []
    while len(out) < count:
        enabled = tuple(rng.random() > 0.15 for _ in range(3))
        rates = tuple(round(rng.random() * 0.95, 2) for _ in range(3))
        if (enabled, rates) in seen:
            continue
        seen.add((enabled, rates))
        out.append(ProbeSettings(enabled=enabled, rates=rates, mask_seed=seed))
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def probe_latency(probe, changes: int, rng: random.Random) -> list[float]:
    for settings in random_settings(random.Random(99), 10, seed=7):  # warm-up, other seed: no cache reuse
        probe.run(rng.randrange(len(probe)), settings)
    times = []
    for settings in random_settings(rng, changes):
        index = rng.randrange(len(probe))
        start = time.perf_counter()
        probe.run(index, settings)
        times.append(time.perf_counter() - start)
    return times


def split_times(probe, repeats: int, rng: random.Random) -> list[float]:
    times = []
    for settings in random_settings(rng, repeats, seed=4242):
        start = time.perf_counter()
        probe.evaluate(settings)
        times.append(time.perf_counter() - start)
    return times


def start_to_first_prediction(paths: list[str]) -> float:
    code = (
        "import time; t = time.perf_counter()\n"
        "from core.probe.session import Probe\nfrom core.probe.types import ProbeSettings\n"
        f"p = Probe.open({paths!r}); p.run(0, ProbeSettings())\n"
        "print(time.perf_counter() - t)\n"
    )
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        print(f"start-up run failed: {result.stderr.strip().splitlines()[-1:]}")
        return float("nan")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="*", default=[DEFAULT])
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--splits", type=int, default=5, help="whole-split re-evaluations per probe")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: the probe's choice)")
    args = parser.parse_args()
    missing = [p for p in args.checkpoints if not Path(p).is_file()]
    if missing:
        print(HINT.format(path=missing[0]))
        raise SystemExit(1)
    if args.threads is not None:
        os.environ["OMP_NUM_THREADS"] = str(args.threads)

    first = start_to_first_prediction(list(args.checkpoints))
    import torch

    from core.probe.session import Probe

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    rng = random.Random(1234)
    probes = [(Path(p).name, Probe.open([p])) for p in args.checkpoints]
    if len(args.checkpoints) > 1:
        probes.append(("all together", Probe.open(list(args.checkpoints))))
    print(f"torch threads: {torch.get_num_threads()} · {probes[0][1].dataset_label}")
    print(f"start to first prediction (fresh process, {len(args.checkpoints)} checkpoint(s)): {first:.2f} s (target <= 4 s)")
    for name, probe in probes:
        models = ", ".join(m.key for m in probe.models)
        latency = [1e3 * t for t in probe_latency(probe, args.changes, rng)]
        split = split_times(probe, args.splits, rng)
        per = f" ({len(probe.models)} models: per model ~{statistics.median(latency) / len(probe.models):.1f} ms)" if len(probe.models) > 1 else ""
        print(
            f"{name} [{models}]: probe median {statistics.median(latency):.1f} ms, p95 {percentile(latency, 0.95):.1f} ms, "
            f"max {max(latency):.1f} ms over {len(latency)} changes{per} (targets 10 / 25 ms per model); "
            f"whole split ({len(probe)}) median {statistics.median(split):.2f} s, max {max(split):.2f} s (target <= 1.5 s)"
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak_mb:.0f} MB (target <= 1024 MB)")


if __name__ == "__main__":
    main()
