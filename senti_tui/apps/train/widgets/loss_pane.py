"""Every loss term as curves over the run (x in epochs), with a view per term.

Terms differ in scale by orders of magnitude, so besides "all terms" the pane cycles (``l``)
through "train vs valid" (the training total per step and the validation loss per epoch) and one
term at a time. Per-step points are averaged into at most one point per column.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from senti_tui.run_state import RunState
from senti_tui.widgets.line_plot import LinePlot, Series, integer_ticks
from senti_tui.widgets.palette import series_colour

ALL = "all terms"
TOTALS = "train vs valid"
VALID_SERIES = "valid"


class LossPane(Vertical):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.view = ALL
        self._terms: list[str] = []
        self._state: RunState | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="loss-legend")
        yield LinePlot(id="loss-plot")

    def views(self) -> list[str]:
        return [ALL, TOTALS, *[term for term in self._terms if term != "total"]]

    def cycle_view(self) -> str:
        views = self.views()
        self.view = views[(views.index(self.view) + 1) % len(views)] if self.view in views else ALL
        return self.view

    def on_resize(self) -> None:
        if self._state is not None:  # re-bin the points and re-wrap the legend for the new width
            self.show(self._state)

    def show(self, state: RunState) -> None:
        self._state = state
        self._terms = state.losses.terms()
        plot = self.query_one(LinePlot)
        bins = max(plot.size.width - 10, 20)
        series = []
        for index, term in enumerate(self._terms):
            if self.view == ALL or self.view == term or (self.view == TOTALS and term == "total"):
                xs, ys = state.losses.binned(term, bins)
                series.append(Series(term, xs, ys, colour=series_colour(index)))
        if self.view == TOTALS and state.epochs:
            series.append(
                Series(
                    VALID_SERIES,
                    [float(e.epoch) for e in state.epochs],
                    [e.val_loss for e in state.epochs],
                    colour=(255, 255, 255),
                    points=True,
                )
            )
        total = state.epochs_total
        plot.show(
            series,
            xlabel="epoch",
            xlim=(0.0, float(total)) if total else None,
            xticks=integer_ticks(total) if total else None,
            empty_text="waiting for the first step",
        )
        legend = self.query_one("#loss-legend", Static)
        width = legend.content_region.width or max(self.size.width - 4, 40)
        legend.update(LinePlot.legend_markup(series, width) if series else "")
        self.border_title = f"Loss terms — {self.view}"
        self.border_subtitle = "l: next view"
