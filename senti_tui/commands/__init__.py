"""One module per command group; each exposes ``register(app)``.

Add a group by writing its module and adding its ``register`` to :data:`REGISTERED` (an import
error in a command module is an error, never a silently missing command).
"""

from __future__ import annotations

from collections.abc import Callable

import typer

from senti_tui.commands import data, eval, explore, models, train, watch

REGISTERED: tuple[Callable[[typer.Typer], None], ...] = (
    data.register,
    models.register,
    train.register,
    watch.register,
    explore.register,
    eval.register,
)
