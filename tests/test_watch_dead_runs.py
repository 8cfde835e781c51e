"""``events.jsonl`` lines that are JSON but not objects do not crash ``watch`` or ``--resume``;
``watch`` on a run that was killed says the run is not running and returns, while a live run
(which holds the lock on its events.jsonl) is followed (issue 11)."""

from __future__ import annotations

import fcntl
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from core.training.events import event_to_json
from senti_tui.event_sources import FileSource, read_event_log
from tests.fake_training import FakeRun

SENTI_TUI = Path(sys.executable).with_name("senti-tui")


class Sink:
    def __init__(self) -> None:
        self.got: list = []
        self.warnings: list[str] = []

    def events(self, events) -> None:
        self.got.extend(events)

    def warning(self, text: str) -> None:
        self.warnings.append(text)


def write_events(folder: Path, lines: list[str]) -> Path:
    path = folder / "events.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "line,kind", [("null", "null"), ("0", "number"), ('"x"', "string"), ("[1]", "array"), ("true", "boolean")]
)
def test_non_object_lines_are_skipped_with_a_warning(tmp_path, line, kind):
    events = list(FakeRun(run_dir=str(tmp_path), epochs=1, steps=2).events())
    write_events(tmp_path, [event_to_json(events[0]), line] + [event_to_json(e) for e in events[1:]])
    sink = Sink()
    FileSource(tmp_path, follow=False).run(sink)
    assert sink.got == events
    assert sink.warnings == [f"events.jsonl line 2 skipped: JSON {kind}, not an event object"]
    got, bad = read_event_log(tmp_path)  # what train --resume reads for its panes
    assert got == events and bad == 1


def test_watch_headless_with_null_lines(run_cli, tmp_path):
    events = list(FakeRun(run_dir=str(tmp_path), epochs=1, steps=2).events())
    write_events(tmp_path, ["null", "0"] + [event_to_json(e) for e in events])
    code, out, _err = run_cli("watch", "--headless", str(tmp_path))
    assert code == 0 and "finished 1 epochs" in out
    assert "warning: events.jsonl line 1 skipped: JSON null, not an event object" in out


def unfinished(tmp_path: Path) -> list:
    events = [e for e in FakeRun(run_dir=str(tmp_path), epochs=2, steps=2).events() if type(e).__name__ not in ("Finished",)]
    cut = next(i for i, e in enumerate(events) if type(e).__name__ == "EpochEnd")
    write_events(tmp_path, [event_to_json(e) for e in events[: cut + 1]])
    return events[: cut + 1]


def test_a_killed_run_is_said_to_be_not_running(tmp_path):
    events = unfinished(tmp_path)
    sink = Sink()
    started = time.monotonic()
    FileSource(tmp_path, poll_s=0.02, idle_s=0.3).run(sink)
    assert time.monotonic() - started < 5
    assert sink.got == events
    assert sink.warnings == [
        f"{tmp_path}: the run is not running (no process writes it and it has not ended; it was killed "
        f"or crashed): resume it with senti-tui train --resume {tmp_path}"
    ]


def test_a_live_run_is_followed_as_long_as_it_holds_its_lock(tmp_path):
    unfinished(tmp_path)
    source = FileSource(tmp_path, poll_s=0.02, idle_s=0.1)
    sink = Sink()
    with (tmp_path / "events.jsonl").open("a") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)  # what the training process holds while it runs
        thread = threading.Thread(target=source.run, args=(sink,))
        thread.start()
        thread.join(0.6)
        assert thread.is_alive() and not sink.warnings  # quiet, but alive: still following
    thread.join(5)  # the writer died (lock released): the source says so and returns
    assert not thread.is_alive() and len(sink.warnings) == 1 and "the run is not running" in sink.warnings[0]


@pytest.mark.slow
def test_watch_headless_on_a_killed_run_returns(tmp_path):
    unfinished(tmp_path)
    started = time.monotonic()
    result = subprocess.run([str(SENTI_TUI), "watch", "--headless", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and time.monotonic() - started < 30
    assert result.stdout.splitlines()[-1] == (
        f"warning: {tmp_path}: the run is not running (no process writes it and it has not ended; it was killed or "
        f"crashed): resume it with senti-tui train --resume {tmp_path}"
    )
