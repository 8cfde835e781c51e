"""What bf16 costs and gains: the demo checkpoints evaluated in fp32 and in bf16 (autocast).

For each demo checkpoint (``checkpoints/demo.pt``, ``demo_lnln.pt``, ``demo_dar.pt``) on the test
split of the synthetic data, the probe's whole-split evaluation (:meth:`core.probe.session.Probe.
evaluate_setting`: batches of 64 in fixed order, the checkpoint's own dominant selection) at the
``rates`` setting r = 0 and r = 0.5 (mask seed 1111), in fp32 and in bf16: MAE and Corr in both
and their absolute difference. Then inference speed: samples/s over whole-split evaluations at
fresh settings (r = 0.3, other mask seeds: nothing cached), median over ``--repeats``.

Run: ``python benchmarks/precision.py [CHECKPOINT ...] [--repeats 3] [--split test]``. Prints the
load average and whether the CPU has native bf16 (avx512_bf16 / amx_bf16): without it bf16 is
emulated and slower. Speed figures on a shared machine are noisy; the metric differences are not.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

DEFAULT = ["checkpoints/demo.pt", "checkpoints/demo_lnln.pt", "checkpoints/demo_dar.pt"]
PRECISIONS = ("fp32", "bf16")
RATES = (0.0, 0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="*", default=DEFAULT)
    parser.add_argument("--split", default="test")
    parser.add_argument("--repeats", type=int, default=3, help="timed whole-split evaluations per precision")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    missing = [p for p in args.checkpoints if not Path(p).is_file()]
    if missing:
        print(f"{missing[0]} not found: run from the repository root (the demo checkpoints are in checkpoints/)")
        raise SystemExit(1)

    import torch

    from core.missingness import RateSetting
    from core.probe.session import Probe
    from core.runtime.device import cpu_bf16_support

    print(
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores · "
        f"native bf16: {cpu_bf16_support()} · torch {torch.__version__}"
    )
    rows, speeds = [], []
    for path in args.checkpoints:
        figures: dict[str, dict[float, dict[str, float]]] = {}
        rate: dict[str, float] = {}
        for precision in PRECISIONS:
            probe = Probe.open([path], split=args.split, device=args.device, precision=precision)
            key = probe.models[0].key
            figures[precision] = {r: probe.evaluate_setting(RateSetting(r, 1111))[key] for r in RATES}
            times = []
            for i in range(args.repeats):
                start = time.perf_counter()
                probe.evaluate_setting(RateSetting(0.3, 2001 + i))
                times.append(time.perf_counter() - start)
            rate[precision] = len(probe) / statistics.median(times)
            model = probe.models[0].model
        for r in RATES:
            fp32, bf16 = figures["fp32"][r], figures["bf16"][r]
            rows.append((Path(path).name, model, r, fp32["MAE"], bf16["MAE"], fp32["Corr"], bf16["Corr"]))
        speeds.append((Path(path).name, model, rate["fp32"], rate["bf16"]))

    print(f"\nmetrics on the {args.split} split (rates protocol, mask seed 1111)")
    print(
        f"{'checkpoint':<16} {'model':<14} {'r':>4} {'MAE fp32':>9} {'MAE bf16':>9} {'|dMAE|':>8} "
        f"{'Corr fp32':>10} {'Corr bf16':>10} {'|dCorr|':>8}"
    )
    for name, model, r, mae32, mae16, corr32, corr16 in rows:
        print(
            f"{name:<16} {model:<14} {r:>4.1f} {mae32:>9.4f} {mae16:>9.4f} {abs(mae16 - mae32):>8.4f} "
            f"{corr32:>10.4f} {corr16:>10.4f} {abs(corr16 - corr32):>8.4f}"
        )
    print(f"\ninference over the whole {args.split} split (samples/s, median of {args.repeats}; noisy on a shared machine)")
    print(f"{'checkpoint':<16} {'model':<14} {'fp32':>8} {'bf16':>8} {'bf16/fp32':>10}")
    for name, model, fp32, bf16 in speeds:
        print(f"{name:<16} {model:<14} {fp32:>8.0f} {bf16:>8.0f} {bf16 / fp32:>9.2f}x")
    print(f"\nload average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
