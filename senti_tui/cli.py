"""The ``senti-tui`` command line.

Each command group lives in ``senti_tui/commands/<name>.py`` and registers itself on the typer
app. Heavy imports (torch, transformers, textual) happen inside the command functions, so that
``senti-tui --help`` stays fast.

Every user mistake raises :class:`core.errors.SentiError`; :func:`main` prints its one line on
stderr and exits 2, never a traceback. Anything else is a bug: one line naming the error and a
log file holding the traceback, exit 1 (``SENTI_TUI_TRACEBACK=1`` prints the traceback instead).
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
import warnings

import typer

# typer 0.29 vendors click; its usage errors are formatted here as one line. Abort is typer's own.
from typer._click import exceptions as click_exceptions
from typer.exceptions import Abort

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


def _print_version(value: bool) -> None:
    if value:
        from core.provenance import version_line

        typer.echo(version_line())
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", help="Print the version (from git) and exit.", is_eager=True, callback=_print_version
    ),
) -> None:
    """Train, evaluate and interactively probe multimodal sentiment models under missing data."""


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
    except Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:  # e.g. `senti-tui data check x | head -1`: the reader left
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - so the interpreter's final flush is quiet
        sys.exit(1)
    except Exception as error:  # noqa: BLE001 - a bug: one line and where its traceback is, exit 1
        _unexpected(error)
    sys.exit(code if isinstance(code, int) else 0)


TRACEBACK_ENV = "SENTI_TUI_TRACEBACK"


def _unexpected(error: Exception) -> None:
    """An error that is not the user's: one line, the traceback in a log file (or on stderr)."""
    what = " ".join(f"{type(error).__name__}: {error}".split())[:300]
    details = traceback.format_exc()
    if os.environ.get(TRACEBACK_ENV, "").lower() not in ("", "0", "false"):
        typer.echo(details, err=True, nl=False)
        where = "the traceback is above"
    else:
        log = _write_log(details)
        where = (f"the traceback is in {log}" if log else "no log file could be written") + f"; {TRACEBACK_ENV}=1 prints it"
    typer.echo(f"internal error: {what} (a bug in senti-tui; {where})", err=True)
    sys.exit(1)


def _write_log(details: str) -> str | None:
    try:
        handle, path = tempfile.mkstemp(prefix="senti-tui-error-", suffix=".log")
        with os.fdopen(handle, "w", encoding="utf-8") as log:
            log.write(" ".join(sys.argv) + "\n\n" + details)
        return path
    except OSError:
        return None


if __name__ == "__main__":
    main()
