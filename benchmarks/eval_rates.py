"""How long ``senti-tui eval`` takes for the rate protocol (r = 0.0..0.9) with 3 mask seeds on the
demo checkpoint (issue 12 target: <= 10 s on a 2-core CPU, start-up included).

Run: ``python benchmarks/eval_rates.py [CHECKPOINT ...] [--seeds 1111,1112,1113] [--protocols
rates,modes] [--precision fp32|bf16] [--runs 5]`` (default ``checkpoints/demo.pt``, rates). Runs
the real command ``--runs`` times, each in a fresh process (``senti-tui eval ... --no-plot --out
results.json``: imports, opening the checkpoints, rebuilding their data, every setting x seed over
the test split, the tables), and prints the median and p95 wall time and the median CPU time of
the process (all its threads: what the sweep costs whatever the load), then the overall and AUC
figures of the last run. The eval runs the distinct settings side by side, one per batch worker
(one per usable core; ``OMP_NUM_THREADS`` caps them: ``--threads 1`` measures one core). r = 0
is the same mask for every seed and is evaluated once; a modality whose rates a setting leaves as
another setting had them (the modes protocol's dropped modalities) is not embedded again.

The load average is printed with the figures: on a shared machine the wall times are noisy, the
CPU times much less so.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT = "checkpoints/demo.pt"
HINT = (
    "{path} not found: train the demo with `senti-tui train --preset demo --model senti-ifusion --out RUN` "
    "and pass RUN/synthetic_best.pt (or copy it to checkpoints/demo.pt)"
)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def one_run(command: list[str], env: dict) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child: user + system, all threads)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"senti-tui eval failed (exit {done.returncode}): {done.stderr.strip().splitlines()[-1:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="*", default=[DEFAULT])
    parser.add_argument("--seeds", default="1111,1112,1113")
    parser.add_argument("--protocols", default="rates")
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--runs", type=int, default=5, help="fresh processes timed (median and p95 over them)")
    parser.add_argument("--threads", type=int, default=None, help="OMP_NUM_THREADS for the eval (default: as set here)")
    args = parser.parse_args()
    for path in args.checkpoints:
        if not Path(path).is_file():
            print(HINT.format(path=path))
            raise SystemExit(1)
    env = dict(os.environ)
    if args.threads is not None:
        env["OMP_NUM_THREADS"] = str(args.threads)
    exe = str(Path(sys.executable).with_name("senti-tui"))
    print(f"load average {load()} on {os.cpu_count()} cores; OMP_NUM_THREADS={env.get('OMP_NUM_THREADS', '(unset)')}", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "results.json"
        command = [
            exe,
            "eval",
            *args.checkpoints,
            "--protocol",
            args.protocols,
            "--seeds",
            args.seeds,
            "--precision",
            args.precision,
            "--no-plot",
            "--out",
            str(out),
        ]
        walls, cpus = [], []
        for i in range(args.runs):
            wall, cpu = one_run(command, env)
            walls.append(wall)
            cpus.append(cpu)
            print(f"  run {i + 1}: {wall:.2f} s wall, {cpu:.2f} s CPU; load {load()}", flush=True)
        data = json.loads(out.read_text())
    seeds = args.seeds.count(",") + 1
    print(
        f"senti-tui eval {args.protocols} x {seeds} seeds, {len(args.checkpoints)} checkpoint(s), start-up included, "
        f"{args.runs} runs: median {statistics.median(walls):.2f} s, p95 {p95(walls):.2f} s wall; median CPU "
        f"{statistics.median(cpus):.2f} s (target <= 10 s wall for the demo's rates)"
    )
    print(f"precision {data['metadata'].get('precision')} · device {data['metadata'].get('device')} · split {data['split']}")
    for result in data["checkpoints"]:
        rates = result["protocols"].get("rates")
        if rates:
            print(
                f"{result['key']}: overall MAE {rates['overall']['mean']['MAE']:.3f} ± {rates['overall']['std']['MAE']:.3f}, "
                f"Acc-7 {100 * rates['overall']['mean']['Mult_acc_7']:.1f}; AUC MAE {rates['auc']['mean']['MAE']:.3f}, "
                f"Acc-7 {100 * rates['auc']['mean']['Mult_acc_7']:.1f}"
            )
    print(f"load average {load()}")


if __name__ == "__main__":
    main()
