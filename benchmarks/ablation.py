"""Ablation of the training resolutions behind Senti-iFusion's stage 1 ([A13]/[A18]) and DAR's
alignment and CLUB settings ([A21]/[A25]/[A28]); docs/models.md §"Ablations" holds its tables.

Each variant is one ``senti-tui train --headless`` run (a subprocess: the user's path, and runs
can share the cores with ``--jobs``), then its best checkpoint is measured:

- on the synthetic set (``--data synthetic``, the demo preset): the TEST split, mask seed 1111:
  all modalities at r = 0, text only and text gone (the ``modes`` protocol: kept modalities
  r ~ U(0, 1)), droprate 0.5, the prediction std at r = 0.9; for Senti-iFusion the integrity R²
  on valid under both of ``demo_quality.py``'s settings;
- on a label.csv (real MOSI transcripts: text only, no test fold): the VALID split at r = 0, and
  the validation Corr after stage 2's first epoch (does the model leave the constant predictor?).

    python benchmarks/ablation.py --model senti-ifusion --variants projections,no-stage1 --jobs 2
    python benchmarks/ablation.py --model dar --data ../shared/data/cmu-mosi/label_trainval.csv \\
        --text-encoder minilm --epochs 4 --set model.stage1_epochs=1 --variants conv,masked

Results are appended to ``<out>/results.jsonl`` (one line per run) and printed as a table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SENTI_TUI = Path(sys.executable).with_name("senti-tui")

# The demo preset as it was when the claim-C8 rows were run (20 epochs, stage 1 = 4), which those
# rows start from; today's preset is the row marked "= the demo preset" (senti_ifusion_spec.py).
DEMO_SI: dict[str, object] = {
    "model.stage1_trainable": "nonverbal",
    "train.epochs": 20,
    "model.stage1_epochs": 4,
    "model.dominant_selection": "sample",
}
# The claim-C8 combination (docs/models.md §8.1): 28 epochs, stage 1 = 6, the expected target,
# padding out of attention, IE heads at 3x; then without L_rec in stage 1.
C8_COMBO: dict[str, object] = {
    **DEMO_SI,
    "train.epochs": 28,
    "model.stage1_epochs": 6,
    "model.integrity_target": "expected",
    "model.attend_padding": False,
    "model.integrity_lr_scale": 3.0,
}
C8_COMBO_NO_REC: dict[str, object] = {**C8_COMBO, "model.stage1_reconstruction": False}

# variant name -> --set overrides, per model.
VARIANTS: dict[str, dict[str, dict[str, object]]] = {
    "senti-ifusion": {
        "projections": {"model.stage1_trainable": "projections"},
        "projections-no-rec": {"model.stage1_trainable": "projections", "model.stage1_reconstruction": False},
        "projections-completion": {"model.stage1_trainable": "projections", "model.stage1_completion": True},
        "projections-detach": {"model.stage1_trainable": "projections", "model.detach_targets": True},
        "projections-extra-token": {"model.stage1_trainable": "projections", "model.prediction_readout": "extra_token"},
        "nonverbal-long": {
            "model.stage1_trainable": "nonverbal",
            "train.epochs": 20,
            "model.stage1_epochs": 4,
        },  # = the demo preset
        "nonverbal": {"model.stage1_trainable": "nonverbal"},
        "nonverbal-long-sample": {
            "model.stage1_trainable": "nonverbal",
            "train.epochs": 20,
            "model.stage1_epochs": 4,
            "model.dominant_selection": "sample",
        },
        "nonverbal-long-sample-s1-6": {
            "model.stage1_trainable": "nonverbal",
            "train.epochs": 20,
            "model.stage1_epochs": 6,
            "model.dominant_selection": "sample",
        },
        "nonverbal-28-sample-s1-6": {
            "model.stage1_trainable": "nonverbal",
            "train.epochs": 28,
            "model.stage1_epochs": 6,
            "model.dominant_selection": "sample",
        },
        "nonverbal-long-sample-no-rec": {
            "model.stage1_trainable": "nonverbal",
            "train.epochs": 20,
            "model.stage1_epochs": 4,
            "model.dominant_selection": "sample",
            "model.stage1_reconstruction": False,
        },
        "nonverbal-28-sample-s1-6-no-rec": {
            "model.stage1_trainable": "nonverbal",
            "train.epochs": 28,
            "model.stage1_epochs": 6,
            "model.dominant_selection": "sample",
            "model.stage1_reconstruction": False,
        },
        "nonverbal-28-sample-s1-6-lr5e-4": {
            "model.stage1_trainable": "nonverbal",
            "train.epochs": 28,
            "model.stage1_epochs": 6,
            "model.dominant_selection": "sample",
            "train.lr": 0.0005,
        },
        "nonverbal-28-sample-s1-6-batch64": {
            "model.stage1_trainable": "nonverbal",
            "train.epochs": 28,
            "model.stage1_epochs": 6,
            "model.dominant_selection": "sample",
            "train.batch_size": 64,
        },
        "nonverbal-long-lr2e-3": {
            "model.stage1_trainable": "nonverbal",
            "train.epochs": 20,
            "model.stage1_epochs": 4,
            "train.lr": 0.002,
        },
        # Claim C8 (integrity R² >= 0.8 with no drops): the demo preset plus one change each.
        "demo-alpha3": {**DEMO_SI, "model.alpha": 3.0},
        "demo-alpha9": {**DEMO_SI, "model.alpha": 9.0},
        "demo-droprate0.3": {**DEMO_SI, "protocol.droprate": 0.3},
        "demo-mask-padding": {**DEMO_SI, "model.attend_padding": False},
        "demo-ie-lr3": {**DEMO_SI, "model.integrity_lr_scale": 3.0},
        "demo-expected": {**DEMO_SI, "model.integrity_target": "expected"},
        "demo-integrity-token": {**DEMO_SI, "model.integrity_token": True},
        "demo-linear-head": {**DEMO_SI, "model.integrity_head": "linear"},
        "demo-linear-head-expected": {**DEMO_SI, "model.integrity_head": "linear", "model.integrity_target": "expected"},
        "demo-expected-integrity-token": {**DEMO_SI, "model.integrity_target": "expected", "model.integrity_token": True},
        "28-6-expected-mask-padding-ie-lr3": C8_COMBO,
        "28-6-no-rec-expected-mask-padding-ie-lr3": C8_COMBO_NO_REC,
        "28-6-no-rec-expected-mask-padding-ie-lr3-alpha2": {**C8_COMBO_NO_REC, "model.alpha": 2.0},
        "28-6-no-rec-expected-mask-padding-ie-lr3-alpha1.5": {**C8_COMBO_NO_REC, "model.alpha": 1.5},
        "28-6-no-rec-expected-mask-padding-ie-lr3-av2.2": {
            **C8_COMBO_NO_REC,
            "model.nonverbal_ie_weight": 2.2,
        },  # = the demo preset
        "demo-expected-mask-padding-ie-lr3-integrity-token": {
            **DEMO_SI,
            "model.integrity_target": "expected",
            "model.attend_padding": False,
            "model.integrity_lr_scale": 3.0,
            "model.integrity_token": True,
        },
        "demo-expected-mask-padding-ie-lr3": {
            **DEMO_SI,
            "model.integrity_target": "expected",
            "model.attend_padding": False,
            "model.integrity_lr_scale": 3.0,
        },
        "nonverbal-detach": {"model.stage1_trainable": "nonverbal", "model.detach_targets": True},
        "embeddings": {"model.stage1_trainable": "embeddings"},
        "embeddings-detach": {"model.stage1_trainable": "embeddings", "model.detach_targets": True},
        "first-resolution": {"model.stage1_trainable": "text_encoder"},
        "no-stage1": {"model.stage1_epochs": 0},
    },
    "dar": {
        "masked": {"model.alignment": "masked"},
        "conv": {"model.alignment": "conv"},
        "masked-club-lr": {"model.alignment": "masked", "model.club_lr": 5e-4},
        "masked-detach": {"model.alignment": "masked", "model.stop_gradient_targets": True},
        "conv-club-lr": {"model.alignment": "conv", "model.club_lr": 5e-4},
        "masked-k0.6": {"model.alignment": "masked", "protocol.k": 0.6},
        "masked-long": {"model.alignment": "masked", "train.epochs": 12},
        "masked-long-club0": {"model.alignment": "masked", "train.epochs": 12, "model.club_nonnegative": True},
        "masked-club0": {"model.alignment": "masked", "model.club_nonnegative": True},
        "pooled": {"model.alignment": "pooled", "model.club_nonnegative": True},
        "pooled-long-club0": {"model.alignment": "pooled", "train.epochs": 12, "model.club_nonnegative": True},
        "club0-20": {"train.epochs": 20, "model.club_nonnegative": True},
        "club0-20-lr1e-3": {"train.epochs": 20, "model.club_nonnegative": True, "train.lr": 1e-3},
        "long-club0-k0.6": {"train.epochs": 12, "model.club_nonnegative": True, "protocol.k": 0.6},
    },
    "lnln": {"default": {}},
}


# The synthetic Senti-iFusion variants share one budget unless they say otherwise: the demo
# preset's width with 15 epochs, 5 of them stage 1 (the budget the ablation of docs/models.md §8 ran).
SYNTHETIC_BASE = {"senti-ifusion": {"train.epochs": 15, "model.stage1_epochs": 5}}


def train(model: str, variant: str, args: argparse.Namespace, out: Path) -> tuple[Path, float]:
    base = SYNTHETIC_BASE.get(model, {}) if args.data == "synthetic" else {}
    sets = {
        **dict(s.split("=", 1) for s in args.set),
        **{k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in {**base, **VARIANTS[model][variant]}.items()},
    }
    command = [str(SENTI_TUI), "train", "--headless", "--model", model, "--data", args.data, "--out", str(out)]
    if args.data == "synthetic":
        command += ["--preset", "demo"]
    if args.text_encoder:
        command += ["--text-encoder", args.text_encoder]
    if args.epochs:
        command += ["--epochs", str(args.epochs)]
    for key, value in sets.items():
        command += ["--set", f"{key}={value}"]
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
    started = time.perf_counter()
    with (out.parent / f"{out.name}.log").open("w") as log:
        code = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, env=env).returncode
    if code != 0:
        raise SystemExit(f"{model}/{variant} failed (exit {code}); see {out.parent / f'{out.name}.log'}")
    return next(out.glob("*_best.pt")), time.perf_counter() - started


def stage2_first_corr(run: Path) -> float | None:
    """Validation Corr at the end of the first stage-2 epoch (the first epoch of a 1-stage model)."""
    events = [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()]
    stage = 1
    for event in events:
        if event["type"] == "StageChange":
            stage = event["stage"]
        if event["type"] == "EpochEnd" and (
            stage == 2 or not any(e["type"] == "StageChange" and e["stage"] == 2 for e in events)
        ):
            return event["metrics"]["valid"].get("Corr")
    return None


def measure(path: Path, synthetic: bool) -> dict:
    from core.missingness import DroprateSetting, ModeSetting, RateSetting, setting_from_dict
    from core.probe import analysis
    from core.probe.session import Probe
    from core.probe.types import ProbeSettings
    from core.runtime.checkpoint import load_checkpoint

    figures: dict = {}
    probe = Probe.open([str(path)], split="test" if synthetic else "valid")
    info = probe.models[0]

    def metrics(setting) -> dict:
        return probe.evaluate_setting(setting)[info.key]

    figures["all_r0"] = metrics(RateSetting(rate=0.0))
    if not synthetic:
        return figures
    figures["text_only"] = metrics(ModeSetting(mode=5))
    figures["text_gone"] = metrics(ModeSetting(mode=0))
    figures["drop_0.5"] = metrics(DroprateSetting(droprate=0.5))
    figures["modes"] = {m: metrics(ModeSetting(mode=m)) for m in range(6)}
    _, preds = probe.predict_split(RateSetting(rate=0.9))
    figures["std_r0.9"] = float(np.std(preds[0].prediction))
    if any(info.estimates_integrity):
        valid = Probe.open([str(path)], split="valid")
        own = setting_from_dict(load_checkpoint(path).protocol["eval"])
        truth, p = valid.predict_split(own)
        figures["r2_own"] = list(analysis.calibration(info.key, p[0], truth, info.estimates_integrity).r2)
        figures["r2_uniform"] = list(valid.calibration(ProbeSettings())[0].r2)
    return figures


def row(model: str, variant: str, f: dict, wall: float) -> str:
    def mc(m: dict) -> str:
        return f"{m['MAE']:.3f} / {m['Corr']:.3f}"

    cells = [model, variant, mc(f["all_r0"])]
    if "text_only" in f:
        cells += [mc(f["text_only"]), mc(f["text_gone"]), mc(f["drop_0.5"]), f"{f['std_r0.9']:.3f}"]
        for key in ("r2_own", "r2_uniform"):
            cells.append(" / ".join("–" if r is None else f"{r:.2f}" for r in f[key]) if key in f else "")
    else:
        first = f.get("stage2_first_corr")
        cells.append("" if first is None else f"{first:.3f}")
    cells.append(f"{wall:.0f}")
    return "| " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, choices=sorted(VARIANTS))
    parser.add_argument("--variants", default="all", help="comma-separated names, or 'all'")
    parser.add_argument("--data", default="synthetic")
    parser.add_argument("--text-encoder", default=None)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--set", action="append", default=[], help="extra --set for every variant")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2, help="OMP threads per run")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "ablation")
    parser.add_argument(
        "--measure", type=Path, nargs="*", help="measure these checkpoints (e.g. the shipped demo) instead of training"
    )
    args = parser.parse_args()
    if args.measure:
        for path in args.measure:
            figures = measure(path, args.data == "synthetic")
            figures["stage2_first_corr"] = stage2_first_corr(path.parent) if (path.parent / "events.jsonl").is_file() else None
            print(row(args.model, str(path.parent.name or path.name), figures, 0.0), flush=True)
        return
    names = list(VARIANTS[args.model]) if args.variants == "all" else args.variants.split(",")
    unknown = [n for n in names if n not in VARIANTS[args.model]]
    if unknown:
        sys.exit(f"unknown variants {unknown}: choose from {', '.join(VARIANTS[args.model])}")
    synthetic = args.data == "synthetic"
    tag = "synthetic" if synthetic else Path(args.data).stem
    args.out.mkdir(parents=True, exist_ok=True)

    def one(variant: str) -> tuple[str, Path, float]:
        run = args.out / f"{tag}-{args.model}-{variant}"
        best, wall = train(args.model, variant, args, run)
        return variant, best, wall

    with ThreadPoolExecutor(args.jobs) as pool:
        # Every run is submitted up front and measured as it finishes: a failure in one run or
        # measurement is reported and does not cancel the others.
        futures = [pool.submit(one, name) for name in names]
        for future in as_completed(futures):
            try:
                variant, best, wall = future.result()
                figures = measure(best, synthetic)
            except (Exception, SystemExit) as error:  # noqa: BLE001 - report and go on
                print(f"| {args.model} | failed: {error} |", flush=True)
                continue
            figures["stage2_first_corr"] = stage2_first_corr(best.parent)
            record = {
                "model": args.model,
                "variant": variant,
                "data": tag,
                "sets": VARIANTS[args.model][variant],
                "extra_sets": args.set,
                "epochs": args.epochs,
                "text_encoder": args.text_encoder,
                "wall_s": wall,
                "checkpoint": str(best),
                **figures,
            }
            with (args.out / "results.jsonl").open("a") as handle:
                handle.write(json.dumps(record) + "\n")
            print(row(args.model, variant, figures, wall), flush=True)


if __name__ == "__main__":
    main()
