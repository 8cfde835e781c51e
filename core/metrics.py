"""Evaluation metrics, exactly as MMSA's ``utils/metricsTop.py`` computes them (docs/models.md §5).

- MOSI family (``mosi``, ``mosei``, ``synthetic``, ``text-only``): MAE, Corr, Acc-7/5/3 (clip to
  [-k, k], round half-to-even, fraction equal), Has0 Acc-2/F1 (y >= 0 vs ŷ >= 0 on all samples),
  Non0 Acc-2/F1 (samples with y != 0 only, y > 0 vs ŷ > 0); every value rounded to 4 decimals
  with numpy's rounding, as MMSA's ``round(np.float64, 4)`` does.
- SIMS: ŷ and y clipped to [-1, 1], then binned with intervals closed on the right; MAE and Corr
  on the clipped values; F1 over the two bins; not rounded.

F1 is sklearn's weighted F1 with the truth as the first argument, and Acc-2 its
``accuracy_score``, both computed here in numpy with sklearn's very operations (the same float64
values to the last bit, tested against sklearn): importing sklearn costs ~1 s, more than a whole
evaluation of the demo. Constant predictions (or labels) make Pearson's correlation undefined:
``Corr`` is NaN and a warning says why; nothing crashes.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.errors import ConfigError

MOSI_FAMILY = ("mosi", "mosei", "synthetic", "text-only")
MOSI_KEYS = (
    "MAE",
    "Corr",
    "Mult_acc_7",
    "Mult_acc_5",
    "Mult_acc_3",
    "Has0_acc_2",
    "Has0_F1_score",
    "Non0_acc_2",
    "Non0_F1_score",
)
SIMS_KEYS = ("Mult_acc_2", "Mult_acc_3", "Mult_acc_5", "F1_score", "MAE", "Corr")

# Inner bin edges for SIMS; a value v falls in class #(edges < v), i.e. intervals (a, b].
SIMS_EDGES = {
    2: np.array([0.0]),
    3: np.array([-0.1, 0.1]),
    5: np.array([-0.7, -0.1, 0.1, 0.7]),
}


def metric_keys(dataset: str) -> tuple[str, ...]:
    return SIMS_KEYS if metric_family(dataset) == "sims" else MOSI_KEYS


def metric_family(dataset: str) -> str:
    """The one switch between the two metric sets: "sims" for SIMS, "mosi" for MOSI, MOSEI, the
    synthetic set and text-only data (a "sims" or "mosi" family passes through)."""
    if dataset == "sims":
        return "sims"
    if dataset in MOSI_FAMILY:
        return "mosi"
    raise ConfigError(f"no metrics for data set {dataset!r}; use one of mosi, mosei, sims, synthetic, text-only")


def metric_family_of_keys(keys) -> str:
    """The metric family a table of ``keys`` was computed for (only SIMS has ``Mult_acc_2``)."""
    return "sims" if "Mult_acc_2" in keys else "mosi"


def _flat(values: Any) -> np.ndarray:
    """Any array-like (numpy, list, a CPU/GPU torch tensor) as a flat float array.

    A float32 input stays float32: MMSA computes on float32 tensors, and that matters exactly at
    the SIMS bin edges (float32 0.1 is not greater than the edge 0.1 compared in float32).
    """
    if hasattr(values, "detach"):  # a torch tensor; half precision has no numpy twin here
        values = values.detach().cpu()
        values = (values.float() if values.element_size() < 4 else values).numpy()
    array = np.asarray(values)
    if array.dtype not in (np.float32, np.float64):
        array = array.astype(np.float64)
    return array.reshape(-1)


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """``np.corrcoef(a, b)[0, 1]``, NaN with a warning (not numpy's RuntimeWarning) when undefined."""
    if a.size < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        which = "predictions" if a.size >= 2 and np.ptp(a) == 0 else "labels" if a.size >= 2 else "samples"
        warnings.warn(f"Corr is undefined (constant {which}); reported as NaN", RuntimeWarning, stacklevel=3)
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def _multiclass_acc(pred: np.ndarray, true: np.ndarray) -> float:
    return float(np.sum(np.round(pred) == np.round(true)) / float(len(true)))


def accuracy_score(true: np.ndarray, pred: np.ndarray) -> float:
    """sklearn's ``accuracy_score(true, pred)``: ``np.average(true == pred)``."""
    return float(np.average(np.asarray(true) == np.asarray(pred)))


def _weighted_f1(true: np.ndarray, pred: np.ndarray) -> float:
    """sklearn's ``f1_score(true, pred, average="weighted", zero_division=0)``: per label of
    either array (sorted), F1 = 2 tp / (#true + #pred), 0 where that is 0/0; then
    ``np.average`` weighted by #true (unweighted if every weight is 0, as sklearn)."""
    true, pred = np.asarray(true).reshape(-1), np.asarray(pred).reshape(-1)
    labels = np.union1d(true, pred)
    is_true = true[None, :] == labels[:, None]
    is_pred = pred[None, :] == labels[:, None]
    tp = np.count_nonzero(is_true & is_pred, axis=1).astype(np.int64)
    true_sum = np.count_nonzero(is_true, axis=1).astype(np.int64)
    pred_sum = np.count_nonzero(is_pred, axis=1).astype(np.int64)
    denominator = 1.0 * true_sum.astype(np.float64) + pred_sum.astype(np.float64)
    empty = denominator == 0
    denominator[empty] = 1
    f1 = (2.0 * tp.astype(np.float64)) / denominator
    f1[empty] = 0.0
    if labels.size == 0:
        return float("nan")
    if true_sum.sum() == 0:
        return float(np.average(f1))
    return float(np.average(f1, weights=true_sum))


def _round4(value: float) -> float:
    return float(np.round(np.float64(value), 4))


def _mosi_metrics(pred: np.ndarray, true: np.ndarray) -> dict[str, float]:
    results = {
        "MAE": float(np.mean(np.abs(pred - true))),
        "Corr": pearson(pred, true),
        "Mult_acc_7": _multiclass_acc(np.clip(pred, -3.0, 3.0), np.clip(true, -3.0, 3.0)),
        "Mult_acc_5": _multiclass_acc(np.clip(pred, -2.0, 2.0), np.clip(true, -2.0, 2.0)),
        "Mult_acc_3": _multiclass_acc(np.clip(pred, -1.0, 1.0), np.clip(true, -1.0, 1.0)),
    }
    has0_true, has0_pred = true >= 0, pred >= 0
    results["Has0_acc_2"] = float(accuracy_score(has0_true, has0_pred))
    results["Has0_F1_score"] = _weighted_f1(has0_true, has0_pred)
    nonzero = true != 0
    if nonzero.any():
        non0_true, non0_pred = true[nonzero] > 0, pred[nonzero] > 0
        results["Non0_acc_2"] = float(accuracy_score(non0_true, non0_pred))
        results["Non0_F1_score"] = _weighted_f1(non0_true, non0_pred)
    else:
        warnings.warn("Non0 metrics are undefined (every label is 0); reported as NaN", RuntimeWarning, stacklevel=3)
        results["Non0_acc_2"] = results["Non0_F1_score"] = float("nan")
    return {key: _round4(results[key]) for key in MOSI_KEYS}


def sims_bins(values: np.ndarray, classes: int) -> np.ndarray:
    """SIMS class index of each (already clipped) value: intervals closed on the right.

    The edges are compared in the values' own dtype, as MMSA's ``values > edge`` does.
    """
    return np.searchsorted(SIMS_EDGES[classes].astype(values.dtype), values, side="left")


def _sims_metrics(pred: np.ndarray, true: np.ndarray) -> dict[str, float]:
    pred, true = np.clip(pred, -1.0, 1.0), np.clip(true, -1.0, 1.0)
    bins = {k: (sims_bins(pred, k), sims_bins(true, k)) for k in (2, 3, 5)}
    results = {f"Mult_acc_{k}": float(np.mean(p == t)) for k, (p, t) in bins.items()}
    results["F1_score"] = _weighted_f1(bins[2][1], bins[2][0])
    results["MAE"] = float(np.mean(np.abs(pred - true)))
    results["Corr"] = pearson(pred, true)
    return {key: results[key] for key in SIMS_KEYS}


def compute_metrics(y_pred: Any, y_true: Any, dataset: str) -> dict[str, float]:
    """MMSA's regression metrics for ``dataset`` (mosi/mosei/synthetic/text-only or sims)."""
    pred, true = _flat(y_pred), _flat(y_true)
    if pred.shape != true.shape:
        raise ValueError(f"predictions {pred.shape} and labels {true.shape} differ in size")
    if pred.size == 0:
        raise ValueError("cannot compute metrics on zero samples")
    return _sims_metrics(pred, true) if metric_family(dataset) == "sims" else _mosi_metrics(pred, true)


@dataclass(frozen=True)
class Calibration:
    """How well an estimate tracks the truth (e.g. estimated vs. true integrity).

    ``r2`` is the coefficient of determination of the estimate as a predictor of the truth,
    1 - Σ(est - true)² / Σ(true - mean(true))² (sklearn's ``r2_score(true, est)``); it is not
    refitted, so a biased or mis-scaled estimate is penalised. ``slope``/``intercept`` are the
    least-squares fit est ≈ intercept + slope · true (1 and 0 when perfectly calibrated);
    ``corr`` is Pearson's r.
    """

    r2: float
    slope: float
    intercept: float
    corr: float
    n: int


def r2_and_slope(est: Any, true: Any) -> Calibration:
    """Calibration of ``est`` against ``true``; NaN fields (with a warning) when undefined."""
    e, t = _flat(est), _flat(true)
    keep = np.isfinite(e) & np.isfinite(t)
    e, t = e[keep], t[keep]
    if e.size < 2 or np.ptp(t) == 0:
        warnings.warn("R² is undefined (fewer than two samples or constant truth); reported as NaN", RuntimeWarning, stacklevel=2)
        nan = float("nan")
        return Calibration(nan, nan, nan, nan, int(e.size))
    residual = np.sum((e - t) ** 2)
    total = np.sum((t - t.mean()) ** 2)
    slope, intercept = np.polyfit(t, e, 1)
    corr = float(np.corrcoef(e, t)[0, 1]) if np.ptp(e) > 0 else float("nan")
    return Calibration(float(1.0 - residual / total), float(slope), float(intercept), corr, int(e.size))
