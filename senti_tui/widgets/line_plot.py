"""Named curves in one plotext plot, with the legend drawn as a line of text under it.

plotext's own legend sits inside the canvas and hides the curves once there are more than a few
series, so :class:`LinePlot` draws none and :meth:`legend_markup` gives a one-line legend in the
same colours for a label beside the plot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from textual_plotext import PlotextPlot

from senti_tui.widgets.palette import hex_colour, series_colour


@dataclass
class Series:
    name: str
    xs: list[float]
    ys: list[float]
    colour: tuple[int, int, int] | None = None
    points: bool = False  # markers only (few points, e.g. one per epoch) instead of a line


class LinePlot(PlotextPlot):
    """``show(series, ...)`` clears, draws and refreshes (plotext needs the explicit refresh)."""

    def show(
        self,
        series: list[Series],
        xlabel: str = "",
        ylabel: str = "",
        xlim: tuple[float, float] | None = None,
        empty_text: str = "no data yet",
    ) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.xlabel(xlabel)
        plt.ylabel(ylabel)
        drawn = 0
        for index, item in enumerate(series):
            xs, ys = _finite(item.xs, item.ys)
            if not xs:
                continue
            colour = item.colour or series_colour(index)
            if item.points or len(xs) == 1:
                plt.scatter(xs, ys, color=colour, marker="dot" if not item.points else "●")
            else:
                plt.plot(xs, ys, color=colour, marker="braille")
            drawn += 1
        if drawn == 0:
            plt.title(empty_text)
        if xlim is not None:
            plt.xlim(*xlim)
        self.refresh()

    @staticmethod
    def legend_markup(series: list[Series]) -> str:
        parts = []
        for index, item in enumerate(series):
            colour = hex_colour(item.colour or series_colour(index))
            marker = "●" if item.points else "━"
            parts.append(f"[{colour}]{marker}[/] {_escape(item.name)}")
        return "  ".join(parts)


def _finite(xs: list[float], ys: list[float]) -> tuple[list[float], list[float]]:
    pairs = [(x, y) for x, y in zip(xs, ys) if math.isfinite(x) and math.isfinite(y)]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _escape(text: str) -> str:
    return text.replace("[", r"\[")
