"""Quality figures of the shipped demo checkpoints (the numbers in checkpoints/README.md).

For each checkpoint, on the VALIDATION split of its (synthetic) data:
- the metrics at r = 0.5 on every modality (mask seed 1111), beside the constant-mean predictor
  (the train-split mean label predicted for every utterance);
- the integrity estimator's R² and slope per modality, estimated vs true integrity, twice: under
  the checkpoint's own validation setting (Senti-iFusion: r ~ U(0, 1) plus droprate 0.5, what the
  trainer reports and what the paper's Fig. 7 fits on MOSI test), and with r ~ U(0, 1) drawn per
  sample and modality and no dropped modality (what Probe.calibration measures; harder, since a
  dropped modality's integrity 0 is the easiest case).

    python benchmarks/demo_quality.py                       # checkpoints/demo*.pt
    python benchmarks/demo_quality.py run/synthetic_best.pt
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = [ROOT / "checkpoints" / name for name in ("demo.pt", "demo_lnln.pt", "demo_dar.pt")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="*", type=Path, default=DEFAULT)
    args = parser.parse_args()
    missing = [str(p) for p in args.checkpoints if not p.is_file()]
    if missing:
        sys.exit(f"missing {', '.join(missing)}: train them as checkpoints/README.md says")

    from core.data.sources import load_dataset
    from core.metrics import compute_metrics
    from core.missingness import setting_from_dict
    from core.probe import analysis
    from core.probe.session import Probe
    from core.probe.types import ProbeSettings
    from core.runtime.checkpoint import load_checkpoint

    for path in args.checkpoints:
        probe = Probe.open([str(path)], split="valid")
        info = probe.models[0]
        labels = np.array([u.label for u in probe.utterances], dtype=np.float32)
        train_mean = float(load_dataset("synthetic").split("train").labels.mean()) if probe.synthetic else float(labels.mean())
        constant = compute_metrics(np.full_like(labels, train_mean), labels, "synthetic")
        half = probe.evaluate(ProbeSettings(rates=(0.5, 0.5, 0.5)))[0].metrics
        complete = probe.evaluate(ProbeSettings())[0].metrics
        print(
            f"\n{path.name}: {info.model} · epoch {info.epoch} · selected on {info.selected_on} · {probe.dataset_label}"
            f"{' · SYNTHETIC' if probe.synthetic else ''}"
        )
        print(f"  {'':<22} {'MAE':>7} {'Corr':>7} {'Acc-7':>7} {'Acc-2 Non0':>11} {'F1 Non0':>8}")
        for name, m in (("r = 0 (complete)", complete), ("r = 0.5", half), ("constant mean", constant)):
            corr = m["Corr"] if np.isfinite(m["Corr"]) else float("nan")
            print(
                f"  {name:<22} {m['MAE']:>7.3f} {corr:>7.3f} {100 * m['Mult_acc_7']:>7.1f} "
                f"{100 * m['Non0_acc_2']:>11.1f} {100 * m['Non0_F1_score']:>8.1f}"
            )
        if not any(info.estimates_integrity):
            continue
        protocol = setting_from_dict(load_checkpoint(path).protocol["eval"])
        truth, preds = probe.predict_split(protocol)
        own = analysis.calibration(info.key, preds[0], truth, info.estimates_integrity)
        print_integrity(f"integrity ({protocol.kind} validation setting)", own, info.estimates_integrity)
        print_integrity("integrity (r ~ U(0,1), no drops)", probe.calibration(ProbeSettings())[0], info.estimates_integrity)


def print_integrity(title: str, calibration, estimated: tuple[bool, bool, bool]) -> None:
    cells = [
        f"{name} R² {r2:.3f} slope {slope:.2f}"
        if r2 is not None
        else f"{name} {'R² undefined (one true value)' if est else 'not estimated'}"
        for name, r2, slope, est in zip(("text", "audio", "vision"), calibration.r2, calibration.slope, estimated)
    ]
    print(f"  {title}: " + " · ".join(cells))


if __name__ == "__main__":
    main()
