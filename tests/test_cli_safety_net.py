"""The CLI's safety net (issue 11): a bug is one line and exit 1 with its traceback in a log file
(or on stderr under SENTI_TUI_TRACEBACK=1), a user mistake one line and exit 2, never a second
traceback from the net itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import core.data.sources as sources
from core.errors import DataError


def _raise(error: BaseException):
    def load_dataset(*args, **kwargs):
        raise error

    return load_dataset


def test_a_bug_is_one_line_exit_1_with_the_traceback_in_a_log_file(run_cli, monkeypatch):
    monkeypatch.delenv("SENTI_TUI_TRACEBACK", raising=False)
    monkeypatch.setattr(sources, "load_dataset", _raise(ZeroDivisionError("division by zero")))
    code, out, err = run_cli("data", "check", "synthetic")
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    found = re.fullmatch(
        r"internal error: ZeroDivisionError: division by zero \(a bug in senti-tui; the traceback is in (\S+); "
        r"SENTI_TUI_TRACEBACK=1 prints it\)",
        lines[0],
    )
    assert found, lines[0]
    log = Path(found.group(1))
    try:
        text = log.read_text()
        assert "Traceback (most recent call last)" in text and "ZeroDivisionError: division by zero" in text
        assert "AttributeError" not in text  # the net itself does not fail
    finally:
        log.unlink()


def test_the_traceback_on_stderr_under_the_environment_variable(run_cli, monkeypatch):
    monkeypatch.setenv("SENTI_TUI_TRACEBACK", "1")
    monkeypatch.setattr(sources, "load_dataset", _raise(KeyError("x")))
    code, _out, err = run_cli("data", "check", "synthetic")
    assert code == 1
    assert err.startswith("Traceback (most recent call last)")
    assert err.splitlines()[-1] == "internal error: KeyError: 'x' (a bug in senti-tui; the traceback is above)"
    assert "AttributeError" not in err


def test_a_user_mistake_is_one_line_exit_2(run_cli, monkeypatch):
    monkeypatch.setattr(sources, "load_dataset", _raise(DataError("x.pkl: no such file; check the path")))
    code, out, err = run_cli("data", "check", "synthetic")
    assert (code, out, err) == (2, "", "error: x.pkl: no such file; check the path\n")


@pytest.mark.parametrize("error,expected", [(KeyboardInterrupt(), "interrupted\n")])
def test_an_interrupt_is_one_line_exit_130(run_cli, monkeypatch, error, expected):
    monkeypatch.setattr(sources, "load_dataset", _raise(error))
    code, _out, err = run_cli("data", "check", "synthetic")
    assert code == 130 and "Traceback" not in err


def test_typer_abort_is_one_line_exit_130(run_cli, monkeypatch):
    from typer.exceptions import Abort

    monkeypatch.setattr(sources, "load_dataset", _raise(Abort()))
    code, _out, err = run_cli("data", "check", "synthetic")
    assert (code, err) == (130, "aborted\n")
