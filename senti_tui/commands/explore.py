"""``senti-tui explore [CHECKPOINT ...] [--data PATH] [--split test|valid|train]``.

Opens the probe before the app starts, so that a missing or bad checkpoint, or data that does not
match it, is one line on stderr and exit 2 (cli.main) instead of an app that opens onto an
error. With no checkpoint it opens the shipped demo, ``checkpoints/demo.pt``, found beside the
package (an editable install or a clone), else in the current directory.

torch is imported by the probe, inside this command, never at the top of this module.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from core.errors import CheckpointError, ConfigError

SPLITS = ("test", "valid", "train")
DEMO_NAME = "demo.pt"


def register(app: typer.Typer) -> None:
    app.command(
        "explore", help="Probe checkpoints interactively: erase modalities and watch predictions, integrity and dominance."
    )(explore)


def explore(
    checkpoints: list[Path] | None = typer.Argument(
        None, help="Checkpoint files (.pt); several are compared under the identical mask. Default: the shipped demo."
    ),
    data: str | None = typer.Option(
        None, "--data", help="The data file, when it is not where the checkpoint recorded it (same dims and fingerprint)."
    ),
    split: str = typer.Option("test", "--split", help="test | valid | train"),
    device: str = typer.Option("cpu", "--device", help="cpu | cuda | cuda:N | auto"),
    precision: str = typer.Option("auto", "--precision", help="fp32 | bf16 | auto (auto: fp32 on CPU)."),
) -> None:
    if split not in SPLITS:
        raise ConfigError(f"--split {split!r} is unknown; use test, valid or train")
    paths = [str(p) for p in checkpoints] if checkpoints else [str(demo_checkpoint())]
    typer.echo(f"opening {', '.join(paths)} …", err=True)
    from senti_tui.apps.explore.backend import open_probe

    probe = open_probe(paths, data=data, split=split, precision=precision, device=device)  # SentiError -> one line, exit 2
    if not sys.stdout.isatty() or not sys.stdin.isatty():
        # checked after opening, so that a bad checkpoint is reported the same way everywhere
        raise ConfigError("senti-tui explore is an interactive app and needs a terminal (stdin and stdout)")
    from senti_tui.apps.explore.app import ExploreApp
    from senti_tui.apps.explore.quick_quit import quick_quit_driver

    app = ExploreApp(probe)
    app.driver_class = quick_quit_driver(app.driver_class)
    app.run()
    exit_now()


def exit_now() -> None:
    """The app is closed and the terminal restored: end the process without Python's teardown.

    Unloading torch's thousands of modules takes 0.2 s on a quiet 2-core machine and over a
    second under load, and ``q`` must give the shell back within 0.3 s. Nothing is left to clean
    up: an export started with ``e`` has been written (``App.run`` returns once its worker
    thread is done: asyncio waits for its executor), and a whole-split evaluation still running
    on a daemon thread is abandoned (it was told so when ``q`` was pressed)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def demo_candidates() -> list[Path]:
    """Where the demo checkpoint may be: the repository beside the package, then the cwd."""
    import senti_tui

    return [Path(senti_tui.__file__).resolve().parents[1] / "checkpoints" / DEMO_NAME, Path.cwd() / "checkpoints" / DEMO_NAME]


def demo_checkpoint() -> Path:
    for candidate in demo_candidates():
        if candidate.is_file():
            return candidate
    raise CheckpointError(
        f"the demo checkpoint checkpoints/{DEMO_NAME} is not here (looked in {demo_candidates()[0].parent}); "
        f"train it with 'senti-tui train --preset demo --out checkpoints/demo-run' and copy its synthetic_best.pt "
        f"to checkpoints/{DEMO_NAME}, or pass a checkpoint: senti-tui explore PATH.pt"
    )
