"""The −3…+3 sentiment axis on one line: ticks at the integers, a thick bar from 0 to the
prediction (green positive, red negative) ending in ●, and the true label as ▲.

``−3 ├──────┼──────┼──────┼━━━━━━┿━━●───┼──▲───┤ +3``
"""

from __future__ import annotations

from rich.text import Text

LOW, HIGH = -3.0, 3.0
POSITIVE = "#87d787"
NEGATIVE = "#ff8787"
LABEL = "bold #ffd75f"
AXIS = "#6c6c6c"


def position(value: float, cells: int) -> int:
    clamped = min(HIGH, max(LOW, value))
    return round((clamped - LOW) / (HIGH - LOW) * (cells - 1))


def gauge_text(prediction: float | None, label: float | None, width: int) -> Text:
    cells = max(13, width - 6)
    glyphs = ["─"] * cells
    styles = [AXIS] * cells
    for tick in range(-3, 4):
        glyphs[position(tick, cells)] = "┼"
    glyphs[0], glyphs[-1] = "├", "┤"
    zero = position(0.0, cells)
    styles[zero] = "bold " + AXIS
    if prediction is not None:
        colour = POSITIVE if prediction >= 0 else NEGATIVE
        end = position(prediction, cells)
        for cell in range(min(zero, end), max(zero, end) + 1):
            glyphs[cell] = "┿" if glyphs[cell] == "┼" else "━"
            styles[cell] = colour
        glyphs[end], styles[end] = "●", "bold " + colour
    if label is not None:
        at = position(label, cells)
        glyphs[at] = "◆" if prediction is not None and at == position(prediction, cells) else "▲"
        styles[at] = LABEL
    text = Text("−3 ", style=AXIS, no_wrap=True, overflow="crop")
    for glyph, style in zip(glyphs, styles):
        text.append(glyph, style=style)
    text.append(" +3", style=AXIS)
    return text
