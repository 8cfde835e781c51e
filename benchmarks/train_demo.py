"""Benchmark: ``senti-tui train --preset demo`` for each model, as a user runs it.

Each model trains in its own subprocess (headless); the benchmark prints the wall time from launch
to exit, the training throughput (samples/s, the median over epochs of the samples of an epoch over
the time of its training steps), the CPU time, the peak resident memory of that process (``wait4`` rusage), and
the best validation figures the run reported. Targets (product.md): ≤ 5 minutes and ≤ 2 GB per model.

    python benchmarks/train_demo.py                       # all three models, runs in a temp folder
    python benchmarks/train_demo.py --models lnln --keep runs/demo   # keep the run folders
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODELS = ("senti-ifusion", "lnln", "dar")
SENTI_TUI = Path(sys.executable).with_name("senti-tui")


def run_demo(model: str, out: Path) -> dict:
    command = [str(SENTI_TUI), "train", "--headless", "--preset", "demo", "--model", model, "--out", str(out)]
    log = out.parent / f"{model}.log"
    started = time.perf_counter()
    with log.open("w") as handle:
        process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0:  # negative: killed by that signal
        return {"model": model, "failed": f"exit {code} after {wall:.0f}s; see {log}"}
    events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    last_steps: dict[int, dict] = {}
    for event in events:
        if event["type"] == "Step":
            last_steps[event["epoch"]] = event
    ends = [e for e in events if e["type"] == "EpochEnd"]
    best = next(e for e in reversed(ends) if e["epoch"] == ends[-1]["best_epoch"])
    return {
        "model": model,
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,  # less sensitive than wall time to other load
        "samples_per_s": statistics.median(step["samples_per_s"] for step in last_steps.values()),
        "peak_rss_mb": usage.ru_maxrss / 1024,  # Linux reports KiB
        "epochs": len(ends),
        "best_epoch": best["epoch"],
        "valid_mae": best["metrics"]["valid"]["MAE"],
        "valid_corr": best["metrics"]["valid"]["Corr"],
        "integrity_r2": best.get("integrity_r2", {}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--keep", help="keep the run folders (and logs) under this folder")
    args = parser.parse_args()

    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="train-demo-"))
    root.mkdir(parents=True, exist_ok=True)
    print(f"cpu threads {os.cpu_count()} · runs in {root}")
    print(f"load average {os.getloadavg()[0]:.2f} (other work on the machine slows every figure)")
    print(
        f"{'model':<14} {'wall':>8} {'cpu':>8} {'samples/s':>10} {'peak RSS':>10} {'epochs':>6} {'best':>5} {'val MAE':>8} {'val Corr':>8}  integrity R² (valid)"
    )
    for model in args.models:
        r = run_demo(model, root / model)
        if "failed" in r:
            print(f"{model:<14} FAILED: {r['failed']}", flush=True)
            continue
        r2 = " ".join(f"{k} {v:.3f}" for k, v in r["integrity_r2"].items()) or "-"
        print(
            f"{r['model']:<14} {r['wall_s']:>7.1f}s {r['cpu_s']:>7.1f}s {r['samples_per_s']:>10.1f} {r['peak_rss_mb']:>8.0f}MB "
            f"{r['epochs']:>6} {r['best_epoch']:>5} {r['valid_mae']:>8.4f} {r['valid_corr']:>8.4f}  {r2}",
            flush=True,
        )


if __name__ == "__main__":
    main()
