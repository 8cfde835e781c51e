"""``senti-tui models``: the registered models and their parameter counts for given shapes.

The counting is :func:`core.models.summary.parameter_table` (plain dicts); this module only lays
the rows out with rich.
"""

from __future__ import annotations

import typer

SHAPES_HELP = (
    "Feature shapes: mosi (unaligned: text 50, audio 375x5, vision 500x20), mosei (50, 500x74, 500x35), "
    "sims (39, 400x33, 55x709) or synthetic (the demo data's)."
)
ENCODER_HELP = (
    "Text encoder: bert-base-config (bert-base size, random weights, offline), scratch, minilm, "
    "a Hugging Face name in the local cache, or a folder."
)


def register(app: typer.Typer) -> None:
    app.command("models")(models)


def models(
    shapes: str = typer.Option("mosi", "--shapes", help=SHAPES_HELP),
    text_encoder: str = typer.Option("bert-base-config", "--text-encoder", help=ENCODER_HELP),
) -> None:
    """List the registered models with their parameter counts, in all and outside the text encoder."""
    from rich.console import Console
    from rich.table import Table

    from core.models.summary import parameter_table, shape_set

    chosen = shape_set(shapes)  # an unknown name fails here, before building anything
    rows = parameter_table(shapes, text_encoder)
    d = chosen.dims
    table = Table(
        title=f"Models for {chosen.name} shapes (text {d.text_len}, audio {d.audio_len}x{d.audio_dim}, "
        f"vision {d.vision_len}x{d.vision_dim})",
        caption=f"text encoder: {rows[0]['encoder']}, {rows[0]['text_encoder']:,} parameters" if rows else None,
    )
    table.add_column("model")
    table.add_column("parameters", justify="right")
    table.add_column("outside text encoder", justify="right")
    for row in rows:
        table.add_row(row["model"], f"{row['total']:,}", f"{row['outside_text_encoder']:,}")
    Console().print(table)
