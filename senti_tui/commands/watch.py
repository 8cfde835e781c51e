"""``senti-tui watch RUN_DIR...``: the training panes for a run folder's ``events.jsonl``.

One folder: the training app follows a run going on elsewhere and replays a finished one at once
(or prints it as text with ``--headless``, the default without a terminal). Several folders: their
curves overlaid (the compare app, or a table and text plots once).
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from senti_tui.terminal import is_interactive_terminal


def register(app: typer.Typer) -> None:
    app.command("watch", help="Show the training panes for a run folder: follows a run going on, replays a finished one.")(watch)


def watch(
    run_dirs: list[Path] = typer.Argument(
        ..., metavar="RUN_DIR...", help="A run folder (it holds events.jsonl); several: their curves overlaid."
    ),
    headless: bool = typer.Option(False, "--headless", help="Print the run as text instead of the panes."),
) -> None:
    if len(run_dirs) > 1:
        _watch_several(run_dirs, headless)
        return
    from senti_tui.event_sources import FileSource

    source = FileSource(run_dirs[0])  # a missing folder or events.jsonl -> one line, exit 2
    if headless or not is_interactive_terminal():
        from senti_tui.headless import run_headless

        run_headless(source)
        return
    from senti_tui.apps.train.app import TrainApp

    TrainApp(source, mode="watch").run()


def _watch_several(run_dirs: list[Path], headless: bool) -> None:
    """Several runs: their curves overlaid (the compare app, or once as text)."""
    from senti_tui.run_compare import read_runs

    runs = read_runs(run_dirs)  # a missing folder or events.jsonl -> one line, exit 2
    if headless or not is_interactive_terminal():
        from rich.console import Console
        from rich.table import Table

        from senti_tui.run_compare import SUMMARY_HEADER, overlay_text, summary_rows

        console = Console(highlight=False)
        if not console.is_terminal:  # a file or a pipe: room for the table and the four panels
            console = Console(highlight=False, width=max(console.width, 140))
        table = Table(title=f"{len(runs)} runs", title_justify="left")
        for name in SUMMARY_HEADER:
            table.add_column(name, no_wrap=True)
        for row in summary_rows(runs):
            table.add_row(*row)
        console.print(table)
        sys.stdout.write(overlay_text(runs, width=max(console.width, 100)).rstrip("\n") + "\n")
        return
    from senti_tui.apps.compare.app import CompareApp

    CompareApp(run_dirs).run()
