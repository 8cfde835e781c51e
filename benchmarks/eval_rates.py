"""How long ``senti-tui eval`` takes for the rate protocol (r = 0.0..0.9) with 3 mask seeds on the
demo checkpoint (issue 12 target: <= 10 s on a 2-core CPU, start-up included).

Run: ``python benchmarks/eval_rates.py [CHECKPOINT ...] [--seeds 1111,1112,1113] [--protocols
rates,modes] [--precision fp32|bf16]`` (default ``checkpoints/demo.pt``, rates). Times
:func:`core.evaluation.evaluate_checkpoints` end to end in this process (imports, opening the
checkpoints, rebuilding their data, every setting x seed over the test split; r = 0 is the same
mask for every seed and is evaluated once; a modality whose rates a setting leaves as another
setting had them -- the modes protocol's dropped modalities -- is not embedded again), then
prints the overall and AUC figures it found. The load average is printed with the figures: on a
shared machine they are noisy.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path

DEFAULT = "checkpoints/demo.pt"
HINT = ("{path} not found: train the demo with `senti-tui train --preset demo --model senti-ifusion --out RUN` "
        "and pass RUN/synthetic_best.pt (or copy it to checkpoints/demo.pt)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="*", default=[DEFAULT])
    parser.add_argument("--seeds", default="1111,1112,1113")
    parser.add_argument("--protocols", default="rates")
    parser.add_argument("--precision", default="auto")
    args = parser.parse_args()
    for path in args.checkpoints:
        if not Path(path).is_file():
            print(HINT.format(path=path))
            raise SystemExit(1)
    seeds = [int(s) for s in args.seeds.split(",")]
    protocols = tuple(p.strip() for p in args.protocols.split(",") if p.strip())
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")

    start = time.perf_counter()
    import torch

    from core.evaluation import evaluate_checkpoints

    imported = time.perf_counter() - start
    report = evaluate_checkpoints(list(args.checkpoints), protocols=protocols, seeds=seeds, precision=args.precision)
    total = time.perf_counter() - start
    first = report.checkpoints[0]
    print(f"torch threads: {torch.get_num_threads()} · {', '.join(c.model for c in report.checkpoints)} · "
          f"{first.data_source} · split {report.split} · {report.metadata.get('precision')}")
    print(f"eval {'+'.join(protocols)} x {len(seeds)} seeds, {len(report.checkpoints)} checkpoint(s): {total:.1f} s "
          f"including {imported:.1f} s of imports (target <= 10 s for the demo's rates)")
    for result in report.checkpoints:
        if "rates" in result.protocols:
            rates = result.protocols["rates"]
            print(
                f"{result.key}: overall MAE {rates.overall.mean['MAE']:.3f} ± {rates.overall.std['MAE']:.3f}, "
                f"Acc-7 {100 * rates.overall.mean['Mult_acc_7']:.1f}; AUC MAE {rates.auc.mean['MAE']:.3f}, "
                f"Acc-7 {100 * rates.auc.mean['Mult_acc_7']:.1f}"
            )
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB · load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
