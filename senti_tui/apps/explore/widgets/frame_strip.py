"""A modality's frames as one line of bars: height = the original frame's energy, erased frames
dimmed. One cell per frame when they fit, otherwise frames are binned to the width (a bin is
drawn as erased when most of its frames are). The kept count is written at the end in plain text.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from senti_tui.widgets.palette import hex_colour, modality_colour

BARS = "▁▂▃▄▅▆▇█"
ERASED_STYLE = "#4e4e4e"
LABEL_WIDTH = 7


def bins(energy: list[float], kept: list[bool], width: int) -> list[tuple[float, bool]]:
    """(mean energy, mostly kept) per cell; one cell per frame when ``len(energy) <= width``."""
    count = len(energy)
    if count == 0 or width <= 0:
        return []
    if count <= width:
        return [(e, k) for e, k in zip(energy, kept)]
    cells = []
    for cell in range(width):
        start = cell * count // width
        stop = max(start + 1, (cell + 1) * count // width)
        chunk_e = energy[start:stop]
        chunk_k = kept[start:stop]
        cells.append((sum(chunk_e) / len(chunk_e), 2 * sum(chunk_k) >= len(chunk_k)))
    return cells


def strip_text(name: str, energy: list[float], kept: list[bool], present: bool, width: int) -> Text:
    text = Text(f"{name:<{LABEL_WIDTH}}", style="bold", no_wrap=True, overflow="crop")
    if not present:
        text.append("absent in this data set", style="italic dim")
        return text
    count = f" {sum(kept)}/{len(kept)} kept"
    cells = bins(energy, kept, max(1, width - LABEL_WIDTH - len(count)))
    top = max((e for e, _ in cells), default=0.0) or 1.0
    colour = hex_colour(modality_colour(name))
    for value, is_kept in cells:
        bar = BARS[min(len(BARS) - 1, int(len(BARS) * max(0.0, value) / top))]
        text.append(bar, style=colour if is_kept else ERASED_STYLE)
    text.append(count, style="dim")
    return text


class FrameStrip(Widget):
    DEFAULT_CSS = "FrameStrip { height: 1; }"

    def __init__(self, modality: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.modality = modality
        self._data: tuple[list[float], list[bool], bool] = ([], [], True)

    def show(self, energy: list[float], kept: list[bool], present: bool) -> None:
        self._data = (energy, kept, present)
        self.refresh()

    def render(self) -> Text:
        energy, kept, present = self._data
        return strip_text(self.modality, energy, kept, present, self.content_region.width or self.size.width)
