"""What the explorer derives from whole-split predictions: failure cases, the 7-class confusion
table and integrity calibration. Pure numpy on :class:`~core.runtime.inference.SplitPredictions`.
"""

from __future__ import annotations

import warnings

import numpy as np

from core.data.dataset import MODALITIES
from core.probe.types import CLASS7_NAMES, Calibration, Case
from core.runtime.inference import SplitPredictions

CASE_KINDS = ("error", "polarity flip", "integrity misestimate")


def class7(values: np.ndarray | float) -> np.ndarray:
    """MOSI's 7 classes as MMSA computes Acc-7: clip to [-3, 3], round half to even."""
    return np.round(np.clip(np.asarray(values, dtype=np.float64), -3.0, 3.0)).astype(np.int64)


def class7_name(value: float) -> str:
    return CLASS7_NAMES[int(class7(value))]


def _signed(value: float) -> str:
    return f"{value:+.2f}"


def error_cases(key: str, preds: SplitPredictions, labels: np.ndarray, complete: SplitPredictions, limit: int) -> list[Case]:
    """The largest absolute errors."""
    errors = np.abs(preds.prediction.astype(np.float64) - labels)
    order = np.argsort(-errors, kind="stable")[:limit]
    return [
        Case(
            index=int(i),
            model_key=key,
            kind="error",
            score=float(errors[i]),
            detail=f"pred {_signed(preds.prediction[i])} vs label {_signed(labels[i])} (complete: {_signed(complete.prediction[i])})",
        )
        for i in order
    ]


def polarity_flips(key: str, preds: SplitPredictions, labels: np.ndarray, complete: SplitPredictions, limit: int) -> list[Case]:
    """Samples whose predicted polarity (>= 0 vs < 0, Has0's split) differs from the model's own
    prediction on the complete input; the score is how far the prediction moved."""
    now, before = preds.prediction.astype(np.float64), complete.prediction.astype(np.float64)
    flipped = np.flatnonzero((now >= 0) != (before >= 0))
    moved = np.abs(now - before)
    order = flipped[np.argsort(-moved[flipped], kind="stable")][:limit]
    return [
        Case(
            index=int(i),
            model_key=key,
            kind="polarity flip",
            score=float(moved[i]),
            detail=f"pred {_signed(now[i])} vs complete {_signed(before[i])} (label {_signed(labels[i])})",
        )
        for i in order
    ]


def integrity_misestimates(key: str, preds: SplitPredictions, integrity_true: np.ndarray, limit: int) -> list[Case]:
    """Samples whose estimated integrity is furthest from the truth (worst estimated modality)."""
    gap = np.abs(preds.integrity_est - integrity_true)
    if np.isnan(gap).all():
        return []  # DAR estimates nothing
    gap = np.where(np.isnan(gap), -np.inf, gap)
    worst = gap.argmax(axis=1)
    score = gap[np.arange(len(worst)), worst]
    order = np.argsort(-score, kind="stable")[:limit]
    cases = []
    for i in order:
        m = int(worst[i])
        cases.append(
            Case(
                index=int(i),
                model_key=key,
                kind="integrity misestimate",
                score=float(score[i]),
                detail=f"{MODALITIES[m]} integrity est {preds.integrity_est[i, m]:.2f} vs true {integrity_true[i, m]:.2f}",
            )
        )
    return cases


def confusion7(preds: SplitPredictions, labels: np.ndarray) -> list[list[int]]:
    """Counts [true class][predicted class], classes -3..3 in that order."""
    table = np.zeros((7, 7), dtype=np.int64)
    np.add.at(table, (class7(labels) + 3, class7(preds.prediction) + 3), 1)
    return table.tolist()


def calibration(key: str, preds: SplitPredictions, integrity_true: np.ndarray, estimates: tuple[bool, bool, bool]) -> Calibration:
    """R² and slope of estimated vs true integrity per estimated modality (None where the model
    does not estimate it, or where the truth does not vary and R² is undefined)."""
    from core.metrics import r2_and_slope

    r2: list[float | None] = []
    slope: list[float | None] = []
    points: dict[str, dict[str, list[float]]] = {}
    for m, name in enumerate(MODALITIES):
        if not estimates[m]:
            r2.append(None)
            slope.append(None)
            continue
        est, true = preds.integrity_est[:, m], integrity_true[:, m]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            fit = r2_and_slope(est, true)
        r2.append(fit.r2 if np.isfinite(fit.r2) else None)
        slope.append(fit.slope if np.isfinite(fit.slope) else None)
        points[name] = {"true": [round(float(v), 4) for v in true], "est": [round(float(v), 4) for v in est]}
    return Calibration(model_key=key, r2=tuple(r2), slope=tuple(slope), points=points)  # type: ignore[arg-type]
