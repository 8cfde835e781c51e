"""Estimated (y) against true (x) integrity per modality, with the diagonal and R² in the legend.

Used by the training app (on valid, refreshed each epoch) and meant for the explorer's
calibration pane: it takes plain lists, ``{modality: {"true": [...], "est": [...]}}``.
"""

from __future__ import annotations

import math

from textual_plotext import PlotextPlot

from senti_tui.widgets.palette import hex_colour, modality_colour


class IntegrityScatter(PlotextPlot):
    def show(self, scatter: dict[str, dict[str, list[float]]]) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.plot([0.0, 1.0], [0.0, 1.0], color="gray", marker="braille")  # perfect estimates
        for index, (modality, points) in enumerate(scatter.items()):
            pairs = [
                (t, e) for t, e in zip(points.get("true", []), points.get("est", [])) if math.isfinite(t) and math.isfinite(e)
            ]
            if pairs:
                plt.scatter([p[0] for p in pairs], [p[1] for p in pairs], color=modality_colour(modality, index), marker="dot")
        plt.xlim(0.0, 1.0)
        plt.ylim(0.0, 1.0)
        plt.xticks([0.0, 0.5, 1.0])
        plt.yticks([0.0, 0.5, 1.0])
        self.refresh()

    @staticmethod
    def legend_markup(modalities: list[str], r2: dict[str, float]) -> str:
        """``R² ● text 0.91 ● audio 0.85 ● vision 0.88`` (fits 46 columns, negative R² too)."""
        parts = ["R²"]
        for index, modality in enumerate(modalities):
            colour = hex_colour(modality_colour(modality, index))
            value = r2.get(modality)
            figure = "–" if value is None or not math.isfinite(value) else f"{value:.2f}"
            parts.append(f"[{colour}]●[/] {modality} {figure}")
        return " ".join(parts)
