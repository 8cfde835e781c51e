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
        xticks: list[float] | None = None,
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
        if xticks is not None:
            plt.xticks(xticks)
        self.refresh()

    @staticmethod
    def legend_markup(series: list[Series], width: int = 0) -> str:
        """``━ total  ━ pred  ...`` in the curves' colours, broken into lines of ``width`` between
        items (never inside one: a colour swatch apart from its name reads as another series)."""
        items = []
        for index, item in enumerate(series):
            colour = hex_colour(item.colour or series_colour(index))
            marker = "●" if item.points else "━"
            items.append((f"[{colour}]{marker}[/] {_escape(item.name)}", len(item.name) + 2))
        return wrap_items(items, width)


def wrap_items(items: list[tuple[str, int]], width: int, gap: int = 2) -> str:
    """Join (markup, visible length) items with ``gap`` spaces, starting a new line before an item
    that would pass ``width`` (0: one line)."""
    lines: list[str] = []
    line, used = "", 0
    for markup, length in items:
        if line and width and used + gap + length > width:
            lines.append(line)
            line, used = "", 0
        line, used = (line + " " * gap + markup, used + gap + length) if line else (markup, length)
    if line:
        lines.append(line)
    return "\n".join(lines)


def integer_ticks(upper: float, count: int = 6) -> list[float]:
    """0, step, 2·step, ... up to ``upper`` with a whole step (epochs are whole numbers)."""
    step = max(1, math.ceil(upper / max(count - 1, 1)))
    return [float(v) for v in range(0, math.floor(upper) + 1, step)]


def _finite(xs: list[float], ys: list[float]) -> tuple[list[float], list[float]]:
    pairs = [(x, y) for x, y in zip(xs, ys) if math.isfinite(x) and math.isfinite(y)]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _escape(text: str) -> str:
    return text.replace("[", r"\[")
