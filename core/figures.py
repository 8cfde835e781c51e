"""Robustness figures for papers: ``eval --figure FILE.pdf|.png|.svg``.

One row of panels per protocol, one panel per key metric:

- ``rates``, ``droprates``, ``lnln-paper``: the metric against the missing rate or the droprate,
  one line per model (a training-seed group, or a checkpoint on its own) with a band of ± one std
  (over training seeds for a group, over mask seeds for a checkpoint);
- ``modes``: grouped bars, one group per retention mode and one bar per model, with the std as
  error bars.

Accuracies and F1 are drawn in %, MAE and Corr raw. The title says SYNTHETIC and TEST-SELECTED
where they apply. matplotlib (the optional extra ``senti-tui[figures]``) draws on a plain
:class:`~matplotlib.figure.Figure` with the Agg canvas: no display, no pyplot state.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import ConfigError, SentiError
from core.metrics import metric_family_of_keys

if TYPE_CHECKING:
    from core.evaluation import EvaluationReport

# the formats --figure writes, each with its metadata (no creation date: a report gives the same bytes)
FIGURE_METADATA = {
    ".png": {"Software": "senti-tui"},
    ".svg": {"Creator": "senti-tui", "Date": None},
    ".pdf": {"Creator": "senti-tui", "CreationDate": None},
}
FORMATS = tuple(FIGURE_METADATA)
KEY_METRICS = {
    "mosi": ("MAE", "Corr", "Mult_acc_7", "Non0_acc_2", "Non0_F1_score"),
    "sims": ("MAE", "Corr", "Mult_acc_5", "Mult_acc_2", "F1_score"),
}
NAMES = {
    "MAE": "MAE",
    "Corr": "Corr",
    "Mult_acc_7": "Acc-7",
    "Mult_acc_5": "Acc-5",
    "Mult_acc_3": "Acc-3",
    "Mult_acc_2": "Acc-2",
    "Non0_acc_2": "Acc-2 (non-0)",
    "Has0_acc_2": "Acc-2 (has-0)",
    "Non0_F1_score": "F1 (non-0)",
    "Has0_F1_score": "F1 (has-0)",
    "F1_score": "F1",
}
AXES = {"rates": "missing rate r", "droprates": "droprate p", "lnln-paper": "missing rate r (mask seed 1111)"}
PANEL_W, PANEL_H, DPI = 3.0, 2.5, 100


def check_path(path: str | Path) -> Path:
    """Refuse (one line) a figure path of another format, or a missing matplotlib."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise ConfigError(f"{path}: --figure must end in .pdf, .png or .svg")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ConfigError(f"{path}: figures need matplotlib: pip install 'senti-tui[figures]'") from None
    return path


def _family(report: EvaluationReport) -> str:
    return metric_family_of_keys(report.metric_keys)


def _scale(key: str) -> float:
    return 1.0 if key in ("MAE", "Corr") else 100.0


def _label(key: str) -> str:
    return NAMES.get(key, key) + ("" if key in ("MAE", "Corr") else " (%)")


def _entry_label(entry) -> str:
    label = entry.key
    if getattr(entry, "train_seeds", None):
        label += f" (n={len(entry.train_seeds)} seeds)"
    if entry.test_selected:
        label += " †"
    return label


def build_figure(report: EvaluationReport):
    """The :class:`matplotlib.figure.Figure` of ``report`` (see the module docstring)."""
    from matplotlib.figure import Figure

    keys = KEY_METRICS[_family(report)]
    protocols = list(report.protocols)
    entries = report.entries
    figure = Figure(figsize=(PANEL_W * len(keys), PANEL_H * len(protocols) + 1.1), dpi=DPI, layout="constrained")
    axes = figure.subplots(len(protocols), len(keys), squeeze=False)
    colours = [f"C{i % 10}" for i in range(len(entries))]
    for row, name in enumerate(protocols):
        members = [(e, c) for e, c in zip(entries, colours) if name in e.protocols]
        for column, key in enumerate(keys):
            ax = axes[row][column]
            if name == "modes":
                _bars(ax, members, name, key)
            else:
                _curves(ax, members, name, key)
            ax.set_title(f"{name} · {NAMES.get(key, key)}", fontsize=9)
            ax.set_ylabel(_label(key), fontsize=8)
            ax.tick_params(labelsize=7)
            ax.grid(True, alpha=0.3, linewidth=0.5)
    handles, labels = axes[0][0].get_legend_handles_labels()
    if handles:
        figure.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 4), fontsize=8, frameon=False)
    tag = report.labels
    over = "training seeds (models of several seeds) / mask seeds (single checkpoints)" if report.groups else "mask seeds"
    title = f"senti-tui eval · {report.split} split · mean ± std over {over}"
    figure.suptitle(title + (f"\n{tag}" if tag else ""), fontsize=10, color="black")
    if tag:
        figure.text(0.995, 0.995, tag, ha="right", va="top", fontsize=11, color="#b00020", fontweight="bold")
    return figure


def _curves(ax, members, name: str, key: str) -> None:
    scale = _scale(key)
    for entry, colour in members:
        xs, means, stds = entry.protocols[name].curve(key)
        means = [scale * m for m in means]
        stds = [scale * (0.0 if math.isnan(s) else s) for s in stds]
        ax.plot(xs, means, color=colour, marker="o", markersize=2.5, linewidth=1.2, label=_entry_label(entry))
        ax.fill_between(
            xs, [m - s for m, s in zip(means, stds)], [m + s for m, s in zip(means, stds)], color=colour, alpha=0.2, linewidth=0
        )
    ax.set_xlabel(AXES.get(name, name), fontsize=8)


def _bars(ax, members, name: str, key: str) -> None:
    import numpy as np

    scale = _scale(key)
    if not members:
        return
    settings = members[0][0].protocols[name].settings
    x = np.arange(len(settings))
    width = 0.8 / len(members)
    for i, (entry, colour) in enumerate(members):
        result = entry.protocols[name]
        means = [scale * s.result.mean[key] for s in result.settings]
        stds = [scale * (0.0 if math.isnan(s.result.std[key]) else s.result.std[key]) for s in result.settings]
        ax.bar(
            x - 0.4 + width * (i + 0.5),
            means,
            width,
            yerr=stds,
            color=colour,
            capsize=2,
            error_kw={"linewidth": 0.8},
            label=_entry_label(entry),
        )
    ax.set_xticks(x, [s.label.replace("mode ", "") for s in settings], fontsize=6)
    ax.set_xlabel("retention mode (kept modalities)", fontsize=8)


def save_figure(report: EvaluationReport, path: str | Path) -> Path:
    """Draw and write the figure atomically, in the format of ``path``'s suffix."""
    from core.atomic_write import write_atomic

    path = check_path(path)
    figure = build_figure(report)
    buffer = io.BytesIO()
    import matplotlib

    # no creation date and a fixed SVG id salt: the same report gives the same bytes
    with matplotlib.rc_context({"svg.hashsalt": "senti-tui"}):
        figure.savefig(buffer, format=path.suffix.lower().lstrip("."), metadata=FIGURE_METADATA[path.suffix.lower()])
    write_atomic(path, buffer.getvalue(), error=SentiError, remedy="choose another --figure path, or free some space")
    return path


def probe_curves_figure(curves, title: str, synthetic: bool = False, test_selected: bool = False):
    """The explorer's Curves tab as a figure: each key metric against the erased fraction (every
    modality switched on at rate r, one mask seed), one line per model (``curves``: the
    :class:`~core.probe.types.Curve` list of ``Probe.curve``)."""
    from matplotlib.figure import Figure

    present = set(curves[0].points[0].metrics) if curves and curves[0].points else set()
    keys = KEY_METRICS[metric_family_of_keys(present)]
    figure = Figure(figsize=(PANEL_W * len(keys), PANEL_H + 1.0), dpi=DPI, layout="constrained")
    axes = figure.subplots(1, len(keys), squeeze=False)[0]
    for ax, key in zip(axes, keys):
        scale = _scale(key)
        for index, curve in enumerate(curves):
            xs = [p.rate for p in curve.points]
            ys = [scale * float(p.metrics.get(key, math.nan)) for p in curve.points]
            ax.plot(xs, ys, color=f"C{index % 10}", marker="o", markersize=2.5, linewidth=1.2, label=curve.model_key)
        ax.set_title(NAMES.get(key, key), fontsize=9)
        ax.set_ylabel(_label(key), fontsize=8)
        ax.set_xlabel("erased fraction r (modalities on)", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(True, alpha=0.3, linewidth=0.5)
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        figure.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 4), fontsize=8, frameon=False)
    tags = " · ".join(t for t, on in (("SYNTHETIC", synthetic), ("TEST-SELECTED", test_selected)) if on)
    figure.suptitle(title + (f"\n{tags}" if tags else ""), fontsize=10)
    if tags:
        figure.text(0.995, 0.995, tags, ha="right", va="top", fontsize=11, color="#b00020", fontweight="bold")
    return figure


def save_probe_curves(curves, path: str | Path, title: str, synthetic: bool = False, test_selected: bool = False) -> Path:
    """:func:`probe_curves_figure` written atomically in the format of ``path``'s suffix."""
    from core.atomic_write import write_atomic

    path = check_path(path)
    buffer = io.BytesIO()
    probe_curves_figure(curves, title, synthetic, test_selected).savefig(buffer, format=path.suffix.lower().lstrip("."))
    write_atomic(path, buffer.getvalue(), error=SentiError, remedy="free some space, or start the explorer in another folder")
    return path
