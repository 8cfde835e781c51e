"""Display names, order and number formats of the metrics (MMSA key names in, table text out).

Shared by the training app, the headless printer and any other table of metrics, so that every
surface shows the same figure the same way: accuracies and F1 as percentages with one decimal
(as the papers print them), MAE and Corr with three decimals.
"""

from __future__ import annotations

import math

# MMSA key -> short column name. The order is the papers' (MOSI/MOSEI, then SIMS-only keys).
DISPLAY_NAMES: dict[str, str] = {
    "MAE": "MAE",
    "Corr": "Corr",
    "Mult_acc_7": "Acc-7",
    "Mult_acc_5": "Acc-5",
    "Mult_acc_3": "Acc-3",
    "Mult_acc_2": "Acc-2",
    "Has0_acc_2": "Acc-2 Has0",
    "Has0_F1_score": "F1 Has0",
    "Non0_acc_2": "Acc-2 Non0",
    "Non0_F1_score": "F1 Non0",
    "F1_score": "F1",
    "val_loss": "val loss",
}

# The few figures a one-line summary shows (the rest are in the table).
SUMMARY_KEYS: tuple[str, ...] = ("MAE", "Corr", "Mult_acc_7", "Non0_acc_2", "Non0_F1_score", "Mult_acc_2", "F1_score")

_PERCENT_PREFIXES = ("Mult_acc", "Has0", "Non0", "F1")


def display_name(key: str) -> str:
    return DISPLAY_NAMES.get(key, key)


def ordered_keys(keys) -> list[str]:
    """Known keys in the papers' order, then any unknown ones in the order given."""
    keys = list(keys)
    known = [key for key in DISPLAY_NAMES if key in keys]
    return known + [key for key in keys if key not in DISPLAY_NAMES]


def is_percent(key: str) -> bool:
    return key.startswith(_PERCENT_PREFIXES)


def format_metric(key: str, value: float | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if is_percent(key):
        return f"{100.0 * value:.1f}"
    if key in ("MAE", "Corr"):
        return f"{value:.3f}"
    return f"{value:.4g}"


def summary(metrics: dict[str, float], keys: tuple[str, ...] = SUMMARY_KEYS) -> str:
    """``MAE 0.712 · Corr 0.650 · Acc-7 41.2 · ...`` with only the keys present."""
    parts = [f"{display_name(key)} {format_metric(key, metrics[key])}" for key in keys if key in metrics]
    return " · ".join(parts)


def format_duration(seconds: float | None) -> str:
    """``1h02m``, ``3m07s`` or ``12s``; ``–`` when unknown."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "–"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def format_loss(value: float | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return f"{value:.4f}" if abs(value) < 100 else f"{value:.4g}"
