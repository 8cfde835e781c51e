"""The ``senti-tui`` command line.

Each command group lives in ``senti_tui/commands/<name>.py`` and registers itself on the typer
app. Heavy imports (torch, transformers, textual) happen inside the command functions, so that
``senti-tui --help`` stays fast.

Every user mistake raises :class:`core.errors.SentiError`; :func:`main` prints its one line on
stderr and exits 2, never a traceback.
"""

from __future__ import annotations

import sys
import warnings

import typer
# typer 0.29 vendors click; its usage errors are formatted here as one line.
from typer._click import exceptions as click_exceptions

from core.errors import DataWarning, SentiError
from senti_tui.commands import REGISTERED

app = typer.Typer(
    name="senti-tui",
    help="Train, evaluate and interactively probe multimodal sentiment models under missing data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for register in REGISTERED:
    register(app)


def fail(message: str) -> None:
    """Print one line on stderr and exit 2."""
    typer.echo(f"error: {message}", err=True)
    raise SystemExit(2)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Data warnings (e.g. -inf set to 0) are one ``warning:`` line, not Python's two."""
    if issubclass(category, DataWarning):
        typer.echo(f"warning: {message}", err=True)
    else:
        _python_showwarning(message, category, filename, lineno, file, line)


_python_showwarning = warnings.showwarning


def main() -> None:
    warnings.showwarning = _show_warning
    try:
        # standalone_mode=False lets us format click's usage errors ourselves: one line, exit 2.
        code = app(standalone_mode=False, prog_name="senti-tui")
    except SentiError as error:
        fail(str(error))
    except click_exceptions.NoArgsIsHelpError as error:
        # A bare `senti-tui` or `senti-tui data` asks for help; that is not an error.
        typer.echo(error.ctx.get_help() if error.ctx else str(error))
        sys.exit(0)
    except click_exceptions.UsageError as error:
        hint = f" (see '{error.ctx.command_path} --help')" if error.ctx else ""
        fail(f"{error.format_message()}{hint}")
    except click_exceptions.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
