"""How long ``senti-tui eval`` takes for the rate protocol (r = 0.0..0.9) with 3 mask seeds on the
demo checkpoint (product target: <= 30 s on a 2-core CPU).

Run: ``python benchmarks/eval_rates.py [CHECKPOINT] [--seeds 1111,1112,1113]`` (default
``checkpoints/demo.pt``). Times :func:`core.evaluation.evaluate_checkpoints` end to end (opening
the checkpoint, rebuilding its data, 10 rates x 3 seeds over the test split; r = 0 is the same
mask for every seed and is evaluated once), then prints the overall and AUC figures it found.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

DEFAULT = "checkpoints/demo.pt"
HINT = ("{path} not found: train the demo with `senti-tui train --preset demo --model senti-ifusion --out RUN` "
        "and pass RUN/synthetic_best.pt (or copy it to checkpoints/demo.pt)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", nargs="?", default=DEFAULT)
    parser.add_argument("--seeds", default="1111,1112,1113")
    args = parser.parse_args()
    if not Path(args.checkpoint).is_file():
        print(HINT.format(path=args.checkpoint))
        raise SystemExit(1)
    seeds = [int(s) for s in args.seeds.split(",")]

    start = time.perf_counter()
    import torch

    from core.evaluation import evaluate_checkpoints

    imported = time.perf_counter() - start
    report = evaluate_checkpoints([args.checkpoint], protocols=("rates",), seeds=seeds)
    total = time.perf_counter() - start
    result = report.checkpoints[0]
    rates = result.protocols["rates"]
    print(f"torch threads: {torch.get_num_threads()} · {result.model} · {result.data_source} · split {report.split}")
    print(f"eval rates x {len(seeds)} seeds: {total:.1f} s including {imported:.1f} s of imports (target <= 30 s)")
    print(
        f"overall MAE {rates.overall.mean['MAE']:.3f} ± {rates.overall.std['MAE']:.3f}, "
        f"Acc-7 {100 * rates.overall.mean['Mult_acc_7']:.1f}; AUC MAE {rates.auc.mean['MAE']:.3f}, "
        f"Acc-7 {100 * rates.auc.mean['Mult_acc_7']:.1f}"
    )
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
