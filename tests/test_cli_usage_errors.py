"""Usage mistakes are one line on stderr, exit 2, no traceback (the CLI's own contract)."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # every test here starts the CLI in a new interpreter

CASES = [
    (["data", "check"], "error: Missing argument 'PATH'. (see 'senti-tui data check --help')"),
    (["nope"], "error: No such command 'nope'. (see 'senti-tui --help')"),
    (
        ["data", "synth", "--seed", "abc"],
        "error: Invalid value for '--seed': Input should be a valid integer, unable to parse string as an integer"
        " (see 'senti-tui data synth --help')",
    ),
]


def run_cli(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from senti_tui.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("args,message", CASES)
def test_usage_error_is_one_line_exit_2(args: list[str], message: str) -> None:
    result = run_cli(args)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [message]
    assert "Traceback" not in result.stdout + result.stderr


def test_bare_command_shows_help_and_exits_0() -> None:
    result = run_cli([])
    assert result.returncode == 0
    assert "Usage" in result.stdout
