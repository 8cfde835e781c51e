"""Robustness and training history.

Left: a metric against the fraction erased from every modality that is switched on, over the
whole split, one curve per model, with the current setting marked (a vertical line at the mean
rate of the modalities on, and each model's figure there). Right: the same metric per epoch from
the checkpoint's training history (valid, and test where it was recorded).
"""

from __future__ import annotations

import math

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Select, Static
from textual_plotext import PlotextPlot

from core.probe.types import MODALITY_NAMES, Curve, ModelInfo, ProbeSettings, SplitEvaluation, Utterance
from senti_tui.apps.explore.backend import Cancelled, ProbeBackend
from senti_tui.apps.explore.settings import erased_fraction
from senti_tui.apps.explore.split_pane import SplitPane, SplitRequest
from senti_tui.metric_names import display_name, is_percent, ordered_keys
from senti_tui.widgets.line_plot import LinePlot, Series, integer_ticks
from senti_tui.widgets.palette import hex_colour, series_colour

DEFAULT_METRICS = ("MAE", "Corr", "Mult_acc_7", "Mult_acc_5", "Mult_acc_3", "Has0_acc_2", "Non0_acc_2", "Non0_F1_score")
CURRENT_COLOUR = (255, 215, 95)


def _scaled(key: str, value: float | None) -> float:
    """Percent metrics drawn in percent, as every table shows them."""
    if value is None:
        return math.nan
    return 100.0 * value if is_percent(key) else value


def switches_text(settings: ProbeSettings) -> str:
    on = [name for name, enabled in zip(MODALITY_NAMES, settings.enabled) if enabled]
    return ", ".join(on) if on else "nothing"


class RobustnessPlot(PlotextPlot):
    def show(self, curves: list[Curve], metric: str, marker: float, current: list[tuple[int, float]]) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.xlabel("erased fraction")
        plt.ylabel(display_name(metric))
        drawn = 0
        for index, curve in enumerate(curves):
            xs = [p.rate for p in curve.points]
            ys = [_scaled(metric, p.metrics.get(metric)) for p in curve.points]
            pairs = [(x, y) for x, y in zip(xs, ys) if math.isfinite(y)]
            if pairs:
                plt.plot([p[0] for p in pairs], [p[1] for p in pairs], color=series_colour(index), marker="braille")
                drawn += 1
        if drawn == 0:
            plt.title("no curve yet")
        plt.vertical_line(marker, color=CURRENT_COLOUR)
        for index, value in current:
            if math.isfinite(value):
                plt.scatter([marker], [value], color=series_colour(index), marker="●")
        plt.xlim(0.0, 1.0)
        self.refresh()


class CurvesPane(SplitPane, Vertical):
    key = "curves"
    title = "Curves"
    help = (
        (
            "Curves",
            "a metric against the fraction erased from every modality switched on, over the whole split, "
            "the current setting marked; and the training history stored in the checkpoint.",
        ),
    )
    focus_target = "#metric-select"
    framed = False  # its two boxes are

    DEFAULT_CSS = """
    CurvesPane {
        height: 1fr;
    }
    CurvesPane #curves-bar {
        height: 1;
        padding: 0 1;
    }
    CurvesPane #metric-label {
        width: auto;
        color: $text-muted;
    }
    CurvesPane #metric-select {
        width: 18;
    }
    CurvesPane #curves-legend {
        width: 1fr;
        padding: 0 2;
    }
    CurvesPane #curves-plots {
        height: 1fr;
    }
    CurvesPane #robustness-box, CurvesPane #history-box {
        width: 1fr;
        height: 1fr;
    }
    """

    def __init__(self, models: list[ModelInfo], utterances: list[Utterance], **kwargs) -> None:
        super().__init__(models, utterances, **kwargs)
        self.metric = "MAE"
        self._curves: list[Curve] = []
        self._settings: ProbeSettings | None = None
        self._evaluations: list[SplitEvaluation] | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="curves-bar"):
            yield Label("metric ", id="metric-label")
            yield Select(
                [(display_name(k), k) for k in DEFAULT_METRICS], value="MAE", allow_blank=False, compact=True, id="metric-select"
            )
            yield Static("", id="curves-legend")
        with Horizontal(id="curves-plots"):
            with Vertical(id="robustness-box", classes="pane-frame"):
                yield RobustnessPlot(id="robustness-plot")
            with Vertical(id="history-box", classes="pane-frame"):
                yield LinePlot(id="history-plot")

    def on_mount(self) -> None:
        self.query_one("#robustness-box").border_title = "Robustness over the split"
        self.query_one("#history-box").border_title = "Training history (from the checkpoint)"
        self._draw_history()

    @on(Select.Changed, "#metric-select")
    def _metric_changed(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, str) and event.value != self.metric:
            self.metric = event.value
            self._draw_curves()
            self._draw_history()

    def request_for(self, settings: ProbeSettings) -> SplitRequest:
        """The curves sweep the rates themselves: they depend on the switches and the seed only."""
        return SplitRequest.of(settings, sweeps_rates=True)

    def compute(self, probe: ProbeBackend, request: SplitRequest, cancelled: Cancelled) -> list[Curve]:
        return probe.curve(request.settings, cancelled=cancelled)

    def show_busy(self, busy: bool) -> None:
        # on the plot, not its box: the title and the subtitle stay readable while it computes
        self.query_one(RobustnessPlot).loading = busy

    def follow(self, settings: ProbeSettings, evaluations: list[SplitEvaluation] | None) -> None:
        """Where the controls are, marked on the curves: the setting and each model's figure there.
        Redrawn (the curves kept) only when the curves on screen are for these switches and seed."""
        self._settings = settings
        self._evaluations = evaluations
        if self.current(settings) is not None:
            self._draw_curves()

    def show(self, result: list[Curve]) -> None:
        curves = result
        self._curves = curves
        keys = ordered_keys({k for c in curves for p in c.points for k in p.metrics})
        select = self.query_one("#metric-select", Select)
        options = [k for k in keys if k in DEFAULT_METRICS] or list(DEFAULT_METRICS)
        if self.metric not in options:
            self.metric = options[0]
        with select.prevent(Select.Changed):
            select.set_options([(display_name(k), k) for k in options])
            select.value = self.metric
        self._draw_curves()

    def _draw_curves(self) -> None:
        settings = self._settings
        if settings is None:
            return
        marker = erased_fraction(settings)
        keys = [m.key for m in self.models]
        current = []
        for evaluation in self._evaluations or []:
            if evaluation.model_key in keys:
                current.append((keys.index(evaluation.model_key), _scaled(self.metric, evaluation.metrics.get(self.metric))))
        self.query_one(RobustnessPlot).show(self._curves, self.metric, marker, current)
        box = self.query_one("#robustness-box")
        box.border_subtitle = f"rate applied to: {switches_text(settings)} · seed {settings.mask_seed}"
        legend = [f"[{hex_colour(series_colour(i))}]━[/] {m.key}" for i, m in enumerate(self.models)]
        legend.append(f"[{hex_colour(CURRENT_COLOUR)}]│[/] current setting (mean rate of the modalities on: {marker:.2f})")
        self.query_one("#curves-legend", Static).update("   ".join(legend))

    def _draw_history(self) -> None:
        series = []
        any_test = any("test" in entry.get("metrics", {}) for info in self.models for entry in info.history)
        for index, info in enumerate(self.models):
            colour = series_colour(index)
            for split in ("valid", "test"):
                xs: list[float] = []
                ys: list[float] = []
                for entry in info.history:
                    value = entry.get("metrics", {}).get(split, {}).get(self.metric)
                    if value is not None:
                        xs.append(float(entry.get("epoch", len(xs) + 1)))
                        ys.append(_scaled(self.metric, value))
                if xs:
                    name = f"{info.key} {split}" if any_test else info.key
                    series.append(Series(name, xs, ys, colour=colour if split == "valid" else _dim(colour)))
        plot = self.query_one("#history-plot", LinePlot)
        last_epoch = max((max(item.xs) for item in series), default=1.0)
        plot.show(
            series,
            xlabel="epoch",
            ylabel=display_name(self.metric),
            xticks=integer_ticks(last_epoch) if series else None,
            empty_text="no history in the checkpoint",
        )
        box = self.query_one("#history-box")
        box.border_subtitle = LinePlot.legend_markup(series) if series else ""
        if not any_test:
            box.border_title = "Training history on valid (from the checkpoint)"


def _dim(colour: tuple[int, int, int]) -> tuple[int, int, int]:
    return tuple(int(c * 0.55) for c in colour)  # type: ignore[return-value]
