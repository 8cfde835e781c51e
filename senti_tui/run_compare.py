"""``senti-tui watch RUN RUN ...``: several runs' curves overlaid.

:func:`read_run` reads a run folder's ``events.jsonl`` into plain per-epoch curves
(:class:`RunCurves`); :data:`PANELS` says what is overlaid (training loss, validation loss and the
key validation metrics), one line per run. The app (``senti_tui/apps/compare.py``) re-reads the
folders every second, so runs going on elsewhere grow as they train; ``--headless`` prints the
same overlay once as text. No torch: only the event log.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.training.events import EpochEnd, Failed, Finished, RunStarted
from senti_tui.event_sources import events_path, read_event_log

# (title, how to read one EpochEnd). Accuracies as fractions, as in the event log.
PANELS: tuple[tuple[str, str], ...] = (
    ("train loss (total)", "train:total"),
    ("validation loss", "val_loss"),
    ("valid MAE", "valid:MAE"),
    ("valid Corr", "valid:Corr"),
)


@dataclass
class RunCurves:
    name: str  # the folder's name (with its parent's when two names repeat)
    folder: Path
    model: str = ""
    dataset: str = ""
    status: str = "starting"  # "training", "finished", "stopped", "failed", "starting"
    epochs_planned: int = 0
    epochs: list[int] = field(default_factory=list)
    values: dict[str, list[float]] = field(default_factory=dict)  # panel key -> one value per epoch
    best_epoch: int | None = None
    best: dict[str, float] = field(default_factory=dict)

    def curve(self, key: str) -> tuple[list[float], list[float]]:
        return [float(e) for e in self.epochs], list(self.values.get(key, []))


def _value(event: EpochEnd, key: str) -> float:
    if key == "val_loss":
        return float(event.val_loss)
    where, _, name = key.partition(":")
    source = event.train_losses if where == "train" else event.metrics.get(where, {})
    value = source.get(name, math.nan)
    return float(value) if value is not None else math.nan


def read_run(folder: str | Path, name: str | None = None) -> RunCurves:
    """The curves of one run folder so far (a missing folder or log: one-line SentiError)."""
    folder = Path(folder)
    events_path(folder)
    events, _bad = read_event_log(folder)
    run = RunCurves(name=name or folder.name, folder=folder)
    by_epoch: dict[int, EpochEnd] = {}
    for event in events:
        if isinstance(event, RunStarted):
            run.model, run.dataset, run.epochs_planned, run.status = event.model, event.dataset, event.epochs, "training"
        elif isinstance(event, EpochEnd):
            by_epoch[event.epoch] = event  # a resumed run may report an epoch again: the last word counts
            run.best_epoch, run.best = event.best_epoch, dict(event.best_metrics)
        elif isinstance(event, Finished):
            run.status = "stopped" if event.stopped_by_user else "finished"
        elif isinstance(event, Failed):
            run.status = "failed"
    run.epochs = sorted(by_epoch)
    run.values = {key: [_value(by_epoch[e], key) for e in run.epochs] for _, key in PANELS}
    return run


def run_names(folders: Sequence[str | Path]) -> list[str]:
    """Folder names, with the parent's name where two are the same (``a/seed-1111``, ``b/seed-1111``)."""
    names = [Path(f).name for f in folders]
    return [n if names.count(n) == 1 else f"{Path(f).parent.name}/{n}" for n, f in zip(names, folders)]


def read_runs(folders: Sequence[str | Path]) -> list[RunCurves]:
    return [read_run(f, n) for f, n in zip(folders, run_names(folders))]


def summary_rows(runs: list[RunCurves]) -> list[list[str]]:
    """Per run: name, model, data, status, epochs, best epoch, best valid MAE and Corr."""
    rows = []
    for run in runs:
        best = run.best
        rows.append(
            [
                run.name,
                run.model or "?",
                run.dataset or "?",
                run.status,
                f"{len(run.epochs)}/{run.epochs_planned or '?'}",
                str(run.best_epoch) if run.best_epoch else "–",
                f"{best['MAE']:.3f}" if "MAE" in best else "–",
                f"{best['Corr']:.3f}" if "Corr" in best else "–",
            ]
        )
    return rows


MARKERS = ("dot", "x", "+", "o", "*", "#", "@", "%")
SYMBOLS = {"dot": "•"}
SUMMARY_HEADER = ["run", "model", "data", "status", "epochs", "best epoch", "best MAE", "best Corr"]


def overlay_text(runs: list[RunCurves], width: int = 120, colour: bool = False) -> str:
    """The panels as plotext text, one line (and marker) per run, two panels side by side
    (``watch --headless`` with several runs). Each panel is its own plotext figure: subplots
    share state with other plots drawn in the same process."""
    import re

    import plotext as plt

    panel_width = max(40, min(width, 200) // 2 - 1)
    panels: list[list[str]] = []
    for title, key in PANELS:
        plt.clear_figure()
        plt.limitsize(False, False)
        plt.plotsize(panel_width, 15)
        if not colour:
            plt.theme("clear")
        for number, run in enumerate(runs):
            xs, ys = run.curve(key)
            pairs = [(x, y) for x, y in zip(xs, ys) if math.isfinite(y)]
            if pairs:  # a marker of its own per run: without colour (a pipe) it is what tells the lines apart
                plt.plot([p[0] for p in pairs], [p[1] for p in pairs], marker=MARKERS[number % len(MARKERS)])
        plt.title(title)
        plt.xlabel("epoch")
        text = plt.build()
        plt.clear_figure()
        text = text if colour else re.sub(r"\x1b\[[0-9;]*m", "", text)
        panels.append(text.rstrip("\n").split("\n"))
    lines: list[str] = []
    for left, right in zip(panels[0::2], panels[1::2]):
        height = max(len(left), len(right))
        left_width = max((len(re.sub(r"\x1b\[[0-9;]*m", "", line)) for line in left), default=0)
        for row in range(height):
            a = left[row] if row < len(left) else ""
            b = right[row] if row < len(right) else ""
            pad = left_width - len(re.sub(r"\x1b\[[0-9;]*m", "", a))
            lines.append(a + " " * (pad + 2) + b)
    # the legend as a line of its own (plotext's in-canvas legend breaks after other plots in a process)
    lines.append(
        "   ".join(
            f"{SYMBOLS.get(MARKERS[n % len(MARKERS)], MARKERS[n % len(MARKERS)])} {run.name}" for n, run in enumerate(runs)
        )
    )
    return "\n".join(lines) + "\n"
