"""Estimated against true integrity over the split, per model: a scatter with the diagonal, and
R² and slope per modality. Models that estimate no integrity say so instead of showing nothing.
"""

from __future__ import annotations

import math

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static

from core.probe.types import MODALITY_NAMES, Calibration, ModelInfo
from senti_tui.apps.explore.backend import Cancelled, ProbeBackend
from senti_tui.apps.explore.split_pane import SplitPane, SplitRequest
from senti_tui.apps.explore.widgets.model_card import integrity_note
from senti_tui.widgets.integrity_scatter import IntegrityScatter
from senti_tui.widgets.palette import hex_colour, modality_colour


def _figure(value: float | None) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:.2f}"


def stats_markup(info: ModelInfo, calibration: Calibration | None) -> str:
    lines = [f"[b]{info.key}[/]", "", "modality   R²     slope   n"]
    for modality, name in enumerate(MODALITY_NAMES):
        if not info.estimates_integrity[modality]:
            continue
        colour = hex_colour(modality_colour(name))
        r2 = calibration.r2[modality] if calibration else None
        slope = calibration.slope[modality] if calibration else None
        n = len(calibration.points.get(name, {}).get("true", [])) if calibration else 0
        lines.append(f"[{colour}]●[/] {name:<7} {_figure(r2):>5}  {_figure(slope):>6}  {n}")
    lines += ["", "[dim]slope 1 and R² 1: estimates match the truth; the grey line is the diagonal[/]"]
    note = integrity_note(info)
    if note:
        lines += ["", f"[i #d7af5f]{note}[/]"]
    return "\n".join(lines)


class CalibrationPane(SplitPane, VerticalScroll):
    key = "calibration"
    title = "Calibration"
    help = (("Calibration", "estimated against true integrity per utterance, with R² and slope per modality."),)
    focus_target = "#calibration"

    DEFAULT_CSS = """
    CalibrationPane {
        height: 1fr;
        padding: 0 1;
    }
    CalibrationPane #calibration-summary {
        height: auto;
        margin-bottom: 1;
    }
    CalibrationPane .calibration-row {
        height: 15;
        margin-bottom: 1;
    }
    CalibrationPane .calibration-plot {
        width: 1fr;
        max-width: 70;
    }
    CalibrationPane .calibration-stats {
        width: 1fr;
        padding: 0 2;
    }
    CalibrationPane .calibration-none {
        height: auto;
        margin-bottom: 1;
    }
    """

    def compose(self) -> ComposeResult:
        yield Static("computing the calibration…", id="calibration-summary")
        for index, info in enumerate(self.models):
            if any(info.estimates_integrity):
                with Horizontal(classes="calibration-row"):
                    yield IntegrityScatter(id=f"calibration-plot-{index}", classes="calibration-plot")
                    yield Static(stats_markup(info, None), id=f"calibration-stats-{index}", classes="calibration-stats")
            else:
                yield Static(f"[b]{info.key}[/]  [i #d7af5f]{integrity_note(info)}[/]", classes="calibration-none")

    def compute(self, probe: ProbeBackend, request: SplitRequest, cancelled: Cancelled) -> list[Calibration]:
        return probe.calibration(request.settings, cancelled=cancelled)

    def show(self, result: list[Calibration]) -> None:
        assert self.shown is not None  # show() follows a compute() for self.shown
        calibrations, settings = result, self.shown.settings
        on = ", ".join(name for name, enabled in zip(MODALITY_NAMES, settings.enabled) if enabled) or "nothing"
        self.query_one("#calibration-summary", Static).update(
            f"Estimated (y) against true (x) integrity per utterance, the split masked with r ~ U(0,1) per "
            f"utterance on [b]{on}[/] (one rate for all would give every utterance the same truth), "
            f"mask seed {settings.mask_seed}"
        )
        by_key = {c.model_key: c for c in calibrations}
        for index, info in enumerate(self.models):
            if not any(info.estimates_integrity):
                continue
            calibration = by_key.get(info.key)
            self.query_one(f"#calibration-stats-{index}", Static).update(stats_markup(info, calibration))
            points = calibration.points if calibration else {}
            self.query_one(f"#calibration-plot-{index}", IntegrityScatter).show(
                {name: points[name] for name in MODALITY_NAMES if name in points}
            )
