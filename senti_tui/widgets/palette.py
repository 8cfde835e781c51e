"""One fixed colour per series, shared by plots and the legends drawn beside them.

plotext takes RGB tuples and Textual markup takes hex, so both come from the same table and a
legend always matches its curve. Modalities have fixed colours everywhere in the product.
"""

from __future__ import annotations

SERIES_COLOURS: tuple[tuple[int, int, int], ...] = (
    (95, 175, 255),  # blue
    (255, 175, 95),  # orange
    (135, 215, 135),  # green
    (215, 135, 215),  # magenta
    (255, 215, 95),  # yellow
    (95, 215, 215),  # cyan
    (255, 135, 135),  # red
    (175, 175, 255),  # lavender
    (215, 215, 175),  # sand
    (175, 215, 95),  # lime
)

MODALITY_COLOURS: dict[str, tuple[int, int, int]] = {
    "text": (95, 175, 255),
    "audio": (255, 175, 95),
    "vision": (135, 215, 135),
}


def series_colour(index: int) -> tuple[int, int, int]:
    return SERIES_COLOURS[index % len(SERIES_COLOURS)]


def modality_colour(modality: str, index: int = 0) -> tuple[int, int, int]:
    return MODALITY_COLOURS.get(modality, series_colour(index + 3))


def hex_colour(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)
