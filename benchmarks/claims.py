"""The papers' qualitative claims, checked on the shipped demo checkpoints (SYNTHETIC test split,
mean over mask seeds 1111, 1112, 1113 as eval by default); exits 1 when a claim FAILs.

Each line gives the claim, the figures it rests on and PASS / FAIL. A claim the synthetic data
cannot show says so and why (NOT SHOWN), with the figures; it is never hidden. The linear probe
(ridge least squares on bag-of-words and frame statistics, fit on train, R² on test;
core/data/linear_probe.py), on intact inputs and masked as each mode masks them, tells how much
each kept subset carries in this data (a rough guide, not a bound: models beat it on masked text).

    python benchmarks/claims.py
    python benchmarks/claims.py --senti-ifusion runs/si/synthetic_best.pt --lnln ... --dar ...
    python benchmarks/claims.py --senti-ifusion runs/si-demo    # train --seeds: the mean over seed-*/

Claims (docs/models.md §6 has the papers' tables):
  C1  removing text hurts each model most: MAE({a,v}) above MAE({l,v}) and MAE({l,a})
  C2  text alone carries the sentiment: mode {l} Corr >= 0.45 (Senti-iFusion), >= 0.40 (DAR);
      beside it, what a text-only reference learner reaches on the same masked text
      (benchmarks/text_ceiling.py): a model below its target but within the reference's seed range is
      NOT SHOWN (the target is within the spread of training seeds; one checkpoint cannot settle it),
      below both is a FAIL
  C3  every model: all modalities at r = 0 beat text off (audio and vision intact)
  C4  Senti-iFusion Table III ordering (MOSI, droprate 1.0): {l,a}, {l,v} < {l};
      text-keeping modes < {a,v}; {a,v} < {a}, {v}  (MAE)
  C5  Senti-iFusion <= LNLN in MAE at droprate 0.5 (Table II); a mean paired difference (same
      utterances and masks) within two standard errors of 0 is a tie: NOT SHOWN
  C6  Senti-iFusion all-modality r = 0: MAE <= 1.1 x LNLN's
  C7  no collapse onto one class at r = 0.9: prediction std >= 0.1 and the majority predicted
      polarity <= 90 % of the utterances, every model
  C8  Senti-iFusion's integrity estimator: R² >= 0.8 per modality (valid split), under its own
      validation setting and with r ~ U(0,1) and no drops (Fig. 7: 0.80 / 0.79 / 0.89 on MOSI)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CHECKPOINTS = ROOT / "checkpoints"
MASK_SEEDS = (1111, 1112, 1113)  # eval's default mask seeds (core.evaluation.DEFAULT_SEEDS)
MODES = {0: ("audio", "vision"), 1: ("text", "vision"), 2: ("text", "audio"), 3: ("vision",), 4: ("audio",), 5: ("text",)}
MODE_NAMES = {0: "{a,v}", 1: "{l,v}", 2: "{l,a}", 3: "{v}", 4: "{a}", 5: "{l}"}


class Verdicts:
    def __init__(self) -> None:
        self.failed: list[str] = []

    def say(self, name: str, claim: str, ok: bool | None, figures: str, reason: str = "") -> None:
        verdict = "PASS" if ok else ("NOT SHOWN" if ok is None else "FAIL")
        if ok is False:
            self.failed.append(name)
        print(f"{name:<4} {verdict:<9} {claim}\n{'':14}{figures}" + (f"\n{'':14}{reason}" if reason else ""))


def checkpoints_of(path: Path) -> list[Path]:
    """A checkpoint file, or a run folder: its best checkpoint, or one per ``seed-*`` run of
    ``train --seeds`` (the model is then the mean over its training seeds, as the papers report)."""
    if path.is_file():
        return [path]
    found = sorted(path.glob("seed-*/*_best.pt")) or sorted(path.glob("*_best.pt"))
    if not found:
        sys.exit(f"{path}: no checkpoint (a .pt file, or a run folder with *_best.pt or seed-*/*_best.pt)")
    return found


def measure(groups: dict[str, list[Path]]) -> dict[str, dict]:
    """Each model's figures, the mean over its checkpoints (training seeds) where it has several."""
    entries = [(name, path) for name, paths in groups.items() for path in paths]
    per_checkpoint = measure_checkpoints(entries)
    labels = per_checkpoint.pop("_synthetic")["labels"]
    figures: dict[str, dict] = {"_synthetic": {"labels": labels}}
    for name in groups:
        runs = [per_checkpoint[i] for i, (n, _) in enumerate(entries) if n == name]
        merged: dict = {}
        for key, value in runs[0].items():
            if isinstance(value, dict):  # MAE and Corr at a setting
                merged[key] = {m: float(np.mean([r[key][m] for r in runs])) for m in value}
            elif key == "drop0.5_abs_error":  # per mask seed: |error| per utterance, mean over training seeds
                merged[key] = [np.mean([r[key][i] for r in runs], axis=0) for i in range(len(value))]
            elif key == "collapse":  # (prediction std, majority polarity share), mean over training seeds
                merged[key] = tuple(float(np.mean([r[key][j] for r in runs])) for j in range(2))
            elif key.startswith("r2"):
                merged[key] = value if key == "r2_ceiling" else mean_r2([r[key] for r in runs])
        figures[name] = merged
    return figures


def mean_r2(per_run: list[tuple]) -> tuple:
    return tuple(None if any(r[m] is None for r in per_run) else float(np.mean([r[m] for r in per_run])) for m in range(3))


def measure_checkpoints(entries: list[tuple[str, Path]]) -> dict:
    """Per model: metrics per mode, r = 0, text off, droprate 0.5, r = 0.9 predictions, integrity."""
    import dataclasses

    from core.missingness import CalibrationSetting, CustomSetting, DroprateSetting, ModeSetting, RateSetting, setting_from_dict
    from core.probe import analysis
    from core.probe.session import Probe
    from core.probe.types import ProbeSettings
    from core.runtime.checkpoint import load_checkpoint

    paths = [path for _, path in entries]
    probe = Probe.open([str(p) for p in paths], split="test")
    valid = Probe.open([str(p) for p in paths], split="valid")
    figures: dict = {i: {} for i in range(len(entries))}
    keys = [m.key for m in probe.models]
    labels = np.array([u.label for u in probe.utterances], dtype=np.float64)

    def record(label: str, setting) -> None:
        """MAE and Corr at ``setting``, the mean over eval's mask seeds (one draw's modes figures
        move by 0.02-0.04 from seed to seed; the verdicts should not rest on one draw)."""
        runs = [probe.evaluate_setting(dataclasses.replace(setting, seed=seed)) for seed in MASK_SEEDS]
        for i in figures:
            figures[i][label] = {metric: float(np.mean([run[keys[i]][metric] for run in runs])) for metric in ("MAE", "Corr")}

    for mode in MODES:
        record(f"mode{mode}", ModeSetting(mode=mode))
    record("mode5_intact", ModeSetting(mode=5, intra=False))
    record("r0", RateSetting(rate=0.0))
    record("text_off", CustomSetting(enabled=(False, True, True)))
    record("drop0.5", DroprateSetting(droprate=0.5))
    for seed in MASK_SEEDS:  # per-utterance errors at droprate 0.5, for C5's paired comparison
        _, dropped = probe.predict_split(DroprateSetting(droprate=0.5, seed=seed))
        for i, predictions in enumerate(dropped):
            error = np.abs(np.asarray(predictions.prediction, dtype=np.float64) - labels)
            figures[i].setdefault("drop0.5_abs_error", []).append(error)
    _, high = probe.predict_split(RateSetting(rate=0.9))
    for i, predictions in enumerate(high):
        p = np.asarray(predictions.prediction, dtype=np.float64)
        positive = float(np.mean(p >= 0))
        figures[i]["collapse"] = (float(p.std()), max(positive, 1 - positive))
    uniform = valid.calibration(ProbeSettings())
    for i, (info, path) in enumerate(zip(valid.models, paths)):
        if not any(info.estimates_integrity):
            continue
        own = setting_from_dict(load_checkpoint(path).protocol["eval"])
        truth, preds = valid.predict_split(own)
        figures[i]["r2_own"] = analysis.calibration(info.key, preds[i], truth, info.estimates_integrity).r2
        figures[i]["r2_uniform"] = uniform[i].r2
        figures[i]["r2_ceiling"] = (
            integrity_ceiling(own),
            integrity_ceiling(CalibrationSetting(enabled=(True, True, True), seed=1111)),
        )
    figures["_synthetic"] = {"synthetic": probe.synthetic, "labels": labels}
    return figures


def data_ceiling(masked: bool) -> dict[int, float]:
    """The linear probe's test R² per mode from the kept modalities; ``masked``: both splits masked
    as the modes protocol masks them (kept modalities r ~ U(0,1); train with another seed)."""
    import dataclasses

    from core.data.linear_probe import subset_r2
    from core.data.sources import load_dataset
    from core.missingness import ModeSetting, mask_split

    data = load_dataset("synthetic")
    train, test = data.split("train"), data.split("test")

    def masked_split(split, mode: int, seed: int):
        m = mask_split(split, ModeSetting(mode=mode, seed=seed), data.present, data.special_ids)
        return dataclasses.replace(split, text_bert=m.text_bert, audio=m.audio, vision=m.vision)

    return {
        mode: subset_r2(
            masked_split(train, mode, 7) if masked else train,
            masked_split(test, mode, 1111) if masked else test,
            len(data.vocab),
            kept,
        )
        for mode, kept in MODES.items()
    }


def integrity_ceiling(setting) -> tuple[float, float, float]:
    """R² against the true integrity 1 - r of the best estimator any model can be (valid split):
    the posterior mean (k + 1) / (n + 2) of 1 - r given k of n erasable positions kept, under
    r ~ U(0,1). A drawn rate is not what the input holds: on short utterances and clips the kept
    share scatters around 1 - r, and no estimator can see the coin, only its outcome. Dropped
    modalities (k = 0 of n at r = 1) count with their exact integrity 0."""
    from core.data.sources import load_dataset
    from core.metrics import r2_and_slope
    from core.missingness import mask_split, text_lengths
    from core.missingness.appliers import text_rule

    data = load_dataset("synthetic")
    split = data.split("valid")
    masked = mask_split(split, setting, data.present, data.special_ids)
    truth = 1.0 - masked.rates
    # n erasable and k kept per modality from the applier's own rule and keep masks: text's
    # erasable positions are the rule's at rate 0 ([CLS]/[SEP] excluded); frames, those within
    # the clip's length, as the applier clips it
    attention = split.text_bert[:, 1]
    rows, width = attention.shape
    ones, zeros = np.ones((rows, width)), np.zeros(rows)
    text_erasable, _ = text_rule(attention != 0, np.arange(width)[None, :], text_lengths(attention), ones, zeros)
    counts = (
        (text_erasable.sum(axis=1), (masked.keep_text & text_erasable).sum(axis=1)),
        (np.minimum(split.audio_lengths, masked.keep_audio.shape[1]), masked.keep_audio.sum(axis=1)),
        (np.minimum(split.vision_lengths, masked.keep_vision.shape[1]), masked.keep_vision.sum(axis=1)),
    )
    ceiling = []
    for m, (n, kept) in enumerate(counts):
        best = np.where(truth[:, m] == 0.0, 0.0, (kept + 1) / (n + 2))
        ceiling.append(r2_and_slope(best, truth[:, m]).r2)
    return tuple(ceiling)  # type: ignore[return-value]


def text_reference(seeds: list[int]) -> np.ndarray | None:
    """Test Corr of the text-only reference learner on mode-{l}-masked text, one per seed."""
    if not seeds:
        return None
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from text_ceiling import train_text_reference

    return np.array([train_text_reference(seed, test_mask_seeds=MASK_SEEDS).test_corr for seed in seeds])


def mc(m: dict) -> str:
    return f"MAE {m['MAE']:.3f} Corr {m['Corr']:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--senti-ifusion", type=Path, default=CHECKPOINTS / "demo.pt")
    parser.add_argument("--lnln", type=Path, default=CHECKPOINTS / "demo_lnln.pt")
    parser.add_argument("--dar", type=Path, default=CHECKPOINTS / "demo_dar.pt")
    parser.add_argument(
        "--reference-seeds",
        type=int,
        nargs="*",
        default=[0, 1, 2],
        help="seeds of the text-only reference learner for C2 (about 1 min each); none to skip it",
    )
    args = parser.parse_args()
    given = {"Senti-iFusion": args.senti_ifusion, "LNLN": args.lnln, "DAR": args.dar}
    missing = [str(p) for p in given.values() if not p.exists()]
    if missing:
        sys.exit(f"missing {', '.join(missing)}: train them as checkpoints/README.md says")
    paths = {name: checkpoints_of(path) for name, path in given.items()}

    f = measure(paths)
    ceiling, ceiling_masked = data_ceiling(masked=False), data_ceiling(masked=True)
    labels = f.pop("_synthetic")["labels"]
    print(
        f"SYNTHETIC test split (686 utterances), mean over mask seeds {', '.join(map(str, MASK_SEEDS))}; "
        "modes keep r ~ U(0,1) on the kept modalities"
    )
    print(
        "checkpoints: "
        + " · ".join(f"{n} {len(p)}" + (" (mean over training seeds)" if len(p) > 1 else "") for n, p in paths.items())
        + "\n"
    )
    print("linear probe: ridge R² from the kept modalities' simple features, intact / masked as the mode masks them\n")
    print(f"{'mode':<8}{'linear probe':>16}" + "".join(f"{name:>26}" for name in paths))
    for mode in MODES:
        print(
            f"{MODE_NAMES[mode]:<8}{f'{ceiling[mode]:.3f} / {ceiling_masked[mode]:.3f}':>16}"
            + "".join(f"{mc(f[n][f'mode{mode}']):>26}" for n in paths)
        )
    for label, key in (("{l} intact text", "mode5_intact"), ("r = 0", "r0"), ("text off", "text_off"), ("drop 0.5", "drop0.5")):
        print(f"{label:<24}" + "".join(f"{mc(f[n][key]):>26}" for n in paths))
    print()

    v = Verdicts()
    mae = {n: {m: f[n][f"mode{m}"]["MAE"] for m in MODES} for n in paths}
    worst = {n: mae[n][0] > max(mae[n][1], mae[n][2]) for n in paths}
    v.say(
        "C1",
        "removing text hurts each model most",
        all(worst.values()),
        " · ".join(f"{n}: {{a,v}} {mae[n][0]:.3f} vs {{l,v}} {mae[n][1]:.3f}, {{l,a}} {mae[n][2]:.3f}" for n in paths),
    )

    corr_l = {n: f[n]["mode5"]["Corr"] for n in paths}
    floors = {"Senti-iFusion": 0.45, "DAR": 0.40}
    reference = text_reference(args.reference_seeds)
    short = [n for n, t in floors.items() if corr_l[n] < t]
    figures = " · ".join(f"{n} {corr_l[n]:.3f}" for n in paths)
    verdict, reason = not short, ""
    if reference is not None:
        figures += f" · text-only reference learner {reference.mean():.3f} (seeds {', '.join(f'{c:.3f}' for c in reference)})"
        # The reference spends all its capacity on text: a model within its seed range, but under
        # the target, does what a text-only learner does with this masked text; whether it reaches
        # the target is then a matter of the training seed, which one checkpoint cannot settle.
        if short and all(corr_l[n] >= reference.min() for n in short) and all(floors[n] > reference.max() for n in short):
            verdict = None
            reason = (
                f"{', '.join(short)} under the target but within the text-only reference learner's seed range, whose "
                f"best seed reaches {reference.max():.3f} on this masked text: the target lies at the top of what "
                "training seeds give a from-scratch text encoder with this MOSI-sized training set (trained on more "
                "utterances of the same generator, the reference passes it; with a pretrained encoder fine-tuned on the "
                "same utterances, as the papers' models are, the reference and Senti-iFusion pass it: docs/models.md §8.4), "
                "so one checkpoint cannot show it either way (intact text: see the {l} intact row)"
            )
    v.say("C2", "text alone carries the sentiment (mode {l} Corr >= 0.45 Senti-iFusion, >= 0.40 DAR)", verdict, figures, reason)

    beats = {n: f[n]["r0"]["MAE"] < f[n]["text_off"]["MAE"] for n in paths}
    v.say(
        "C3",
        "all modalities at r = 0 beat text off, every model",
        all(beats.values()),
        " · ".join(f"{n} {f[n]['r0']['MAE']:.3f} < {f[n]['text_off']['MAE']:.3f}" for n in paths),
    )

    si = mae["Senti-iFusion"]
    parts = {
        "{l,a},{l,v} < {l}": si[2] < si[5] and si[1] < si[5],
        "text modes < {a,v}": max(si[1], si[2], si[5]) < si[0],
        "{a,v} < {a},{v}": si[0] < min(si[3], si[4]),
    }
    ordering_ok = all(parts.values())
    reason = ""
    lnln_same = mae["LNLN"][5] > mae["LNLN"][0]
    if not parts["text modes < {a,v}"] and ceiling_masked[5] <= ceiling_masked[0] + 0.02 and lnln_same:
        reason = (
            f"masked as the modes protocol masks them, the synthetic data's linear probe does not put {{l}} above {{a,v}} "
            f"(linear R² {ceiling_masked[5]:.3f} vs {ceiling_masked[0]:.3f}; intact {ceiling[5]:.3f} vs {ceiling[0]:.3f}): "
            "LNLN shows the same order, so this part is NOT SHOWN by this data with a from-scratch text encoder "
            "(with a pretrained one, fine-tuned, all three models keep the order: docs/models.md §8.4)"
        )
    v.say(
        "C4",
        "Senti-iFusion Table III ordering (MAE): " + "; ".join(f"{k} {'yes' if ok else 'no'}" for k, ok in parts.items()),
        ordering_ok if ordering_ok or not reason else None,
        " · ".join(f"{MODE_NAMES[m]} {si[m]:.3f}" for m in (2, 1, 5, 0, 4, 3)),
        reason,
    )

    d_si, d_ln = f["Senti-iFusion"]["drop0.5"]["MAE"], f["LNLN"]["drop0.5"]["MAE"]
    # Paired over the same utterances and masks: |error| of Senti-iFusion minus LNLN's. A mean
    # difference within two standard errors of 0 is a tie this test split cannot break.
    # (with several training seeds, each |error| is the mean over them)
    paired = np.concatenate([a - b for a, b in zip(f["Senti-iFusion"]["drop0.5_abs_error"], f["LNLN"]["drop0.5_abs_error"])])
    mean, error = float(paired.mean()), float(paired.std(ddof=1) / np.sqrt(len(paired)))
    tie = d_si > d_ln and mean <= 2 * error
    v.say(
        "C5",
        "Senti-iFusion <= LNLN in MAE at droprate 0.5 (Table II: 1.1595 vs 1.1925 on MOSI)",
        True if d_si <= d_ln else (None if tie else False),
        f"Senti-iFusion {d_si:.3f} · LNLN {d_ln:.3f}; paired per utterance and mask: "
        f"{mean:+.4f} ± {error:.4f} (SE, n = {len(paired)})",
        "a tie: the difference is within two standard errors of 0, so this split cannot rank them (NOT SHOWN)" if tie else "",
    )

    r_si, r_ln = f["Senti-iFusion"]["r0"]["MAE"], f["LNLN"]["r0"]["MAE"]
    v.say(
        "C6",
        "Senti-iFusion all-modality r = 0 MAE <= 1.1 x LNLN's",
        r_si <= 1.1 * r_ln,
        f"Senti-iFusion {r_si:.3f} · LNLN {r_ln:.3f} (x1.1 = {1.1 * r_ln:.3f})",
    )

    collapse = {n: f[n]["collapse"] for n in paths}
    v.say(
        "C7",
        "no collapse onto one class at r = 0.9 (std >= 0.1, majority polarity <= 90 %)",
        all(s >= 0.1 and m <= 0.9 for s, m in collapse.values()),
        " · ".join(f"{n} std {s:.3f} majority {100 * m:.0f} %" for n, (s, m) in collapse.items())
        + f" · labels std {labels.std():.3f}",
    )

    own, uniform = f["Senti-iFusion"].get("r2_own"), f["Senti-iFusion"].get("r2_uniform")
    if own is None or uniform is None:
        v.say("C8", "integrity R² >= 0.8 per modality", False, "the Senti-iFusion checkpoint estimates no integrity")
    else:
        ok = all(r is not None and r >= 0.8 for r in (*own, *uniform))
        fmt = lambda rs: " / ".join("–" if r is None else f"{r:.3f}" for r in rs)  # noqa: E731
        ceiling_own, ceiling_uniform = f["Senti-iFusion"]["r2_ceiling"]
        v.say(
            "C8",
            "Senti-iFusion integrity R² >= 0.8 per modality (valid; l / a / v)",
            ok,
            f"own validation setting {fmt(own)} (best possible {fmt(ceiling_own)}) · "
            f"r ~ U(0,1), no drops {fmt(uniform)} (best possible {fmt(ceiling_uniform)})",
        )

    print(f"\n{'all claims hold' if not v.failed else 'FAILED: ' + ', '.join(v.failed)}")
    sys.exit(1 if v.failed else 0)


if __name__ == "__main__":
    main()
