"""One module per command group; each exposes ``register(app)``.

Add a group by appending its ``register`` to :data:`REGISTERED`.
"""

from __future__ import annotations

from typing import Callable

import typer

REGISTERED: list[Callable[[typer.Typer], None]] = []


def _collect() -> None:
    import importlib

    for name in ("data", "models", "train", "explore", "eval"):
        try:
            module = importlib.import_module(f"senti_tui.commands.{name}")
        except ModuleNotFoundError as error:  # a group not written yet
            if error.name != f"senti_tui.commands.{name}":
                raise
            continue
        REGISTERED.append(module.register)


_collect()
