"""Fixtures shared by the command tests (and the explorer's, from tests/explore_fixtures.py)."""

from __future__ import annotations

import sys
import warnings

import pytest

pytest_plugins = ("tests.explore_fixtures",)


@pytest.fixture
def run_cli(monkeypatch, capsys):
    """Run the real ``main()`` in-process (a SentiError becomes one line and exit 2);
    ``run_cli(*args)`` returns (exit code, stdout, stderr)."""
    from senti_tui import cli

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["senti-tui", *args])
        monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)  # main() swaps it; restore after
        capsys.readouterr()
        try:
            cli.main()
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
        out, err = capsys.readouterr()
        return code, out, err

    return run
