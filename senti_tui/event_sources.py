"""Where a view of a training run gets its events from.

Two sources feed the same views (the training app and the headless printer):

- :class:`SessionSource` runs a live training session (``core.training.session``) and passes its
  events on as they are emitted; it can be asked to stop (the trainer saves ``last.pt``).
- :class:`FileSource` reads a run folder's ``events.jsonl``: it replays what is there at once and,
  while the run is not over, follows the file as it grows (``senti-tui watch``).

A source's ``run(sink)`` blocks (the app calls it from a thread worker) and hands events to the
sink in lists, so that replaying a long history costs one redraw per batch, not per event.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from core.errors import SentiError
from core.training.events import Event, Failed, Finished, RunStarted, event_from_json
from core.training.run_folder import run_is_active

EVENTS_FILE = "events.jsonl"


class EventSink(Protocol):
    def events(self, events: list[Event]) -> None: ...

    def warning(self, text: str) -> None: ...


class EventSource:
    """Base of the sources. ``can_stop``: stopping means something to the run (asks first)."""

    can_stop: bool = False
    label: str = ""  # where the events come from, for the header before RunStarted arrives

    def run(self, sink: EventSink) -> Event | None:
        raise NotImplementedError

    def request_stop(self) -> None:
        raise NotImplementedError


class SessionSource(EventSource):
    """A live training session. ``history``: earlier events of a resumed run, shown first."""

    can_stop = True

    def __init__(self, session, history: Iterable[Event] = ()) -> None:
        self.session = session
        # The old run's end (e.g. "stopped by user") is superseded by this run: drop it.
        self.history: list[Event] = [event for event in history if not isinstance(event, (Finished, Failed))]
        self.label = str(getattr(session, "run_dir", ""))
        self.result: Event | None = None

    def run(self, sink: EventSink) -> Event | None:
        if self.history:
            sink.events(self.history)
        seen_end = False

        def emit(event: Event) -> None:
            nonlocal seen_end
            seen_end = seen_end or isinstance(event, (Finished, Failed))
            sink.events([event])

        self.result = self.session.run([emit])
        # The contract emits the end event too; pass on the returned one if it did not.
        if not seen_end and isinstance(self.result, (Finished, Failed)):
            sink.events([self.result])
        return self.result

    def request_stop(self) -> None:
        self.session.request_stop()


class FileSource(EventSource):
    """``RUN_DIR/events.jsonl``: replay, then follow while the run is not over.

    A line that is not an event is skipped with a warning (the first few named, then counted).
    A last line without its newline is a line still being written, unless it parses already.

    A run that will never end its file (killed, crashed, the machine rebooted) is not followed
    forever: a live run holds a lock on ``events.jsonl``, so once nobody holds it and the file
    has not grown for ``idle_s`` seconds, the source says so (a warning) and returns.
    """

    can_stop = False
    MAX_NAMED_WARNINGS = 5

    def __init__(
        self, run_dir: str | Path, follow: bool = True, poll_s: float = 0.25, batch: int = 2000, idle_s: float = 10.0
    ) -> None:
        self.path = events_path(run_dir)
        self.label = str(Path(run_dir))
        self.follow = follow
        self.poll_s = poll_s
        self.batch = batch
        self.idle_s = idle_s
        self._stop = threading.Event()
        self._bad_lines = 0
        self.over = False  # the last event read ends the run (Finished or Failed)
        self.abandoned = False  # followed until it was clear that no run writes the file any more

    def request_stop(self) -> None:
        self._stop.set()

    def run(self, sink: EventSink) -> Event | None:
        last: Event | None = None
        line_no = 0
        pending = ""
        quiet_since = time.monotonic()
        with self.path.open("r", encoding="utf-8", errors="replace") as handle:
            while not self._stop.is_set():
                chunk = handle.read(1 << 20)
                if chunk:
                    *lines, pending = (pending + chunk).split("\n")
                    last = self._deliver(lines, line_no, sink) or last
                    line_no += len(lines)
                    quiet_since = time.monotonic()
                    continue
                if pending.strip() and _parses(pending):  # a complete last line without "\n"
                    last = self._deliver([pending], line_no, sink) or last
                    line_no, pending = line_no + 1, ""
                if self.over or not self.follow:
                    break
                if time.monotonic() - quiet_since >= self.idle_s and not run_is_active(self.path.parent):
                    self.abandoned = True
                    folder = self.path.parent
                    sink.warning(
                        f"{folder}: the run is not running (no process writes it and it has not ended; it was "
                        f"killed or crashed): resume it with senti-tui train --resume {folder}"
                    )
                    break
                self._stop.wait(self.poll_s)
        if self._bad_lines > self.MAX_NAMED_WARNINGS:
            sink.warning(f"{self.path}: {self._bad_lines} lines in all were not events and were skipped")
        return last

    def _deliver(self, lines: list[str], first_no: int, sink: EventSink) -> Event | None:
        batch: list[Event] = []
        last = None
        for offset, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                event = parse_event(line)
            except (ValueError, TypeError) as error:  # bad JSON, not an object, unknown type, wrong fields
                self._warn_bad_line(first_no + offset, error, sink)
                continue
            batch.append(event)
            last = event
            if isinstance(event, (Finished, Failed)):
                self.over = True
            elif isinstance(event, RunStarted):
                self.over = False  # a resumed run appends to the same file
            if len(batch) >= self.batch:
                sink.events(batch)
                batch = []
        if batch:
            sink.events(batch)
        return last

    def _warn_bad_line(self, line_no: int, error: Exception, sink: EventSink) -> None:
        self._bad_lines += 1
        if self._bad_lines <= self.MAX_NAMED_WARNINGS:
            reason = " ".join(str(error).split())[:120]
            sink.warning(f"{self.path.name} line {line_no} skipped: {reason}")


def parse_event(line: str) -> Event:
    """One line of ``events.jsonl`` as an event; ValueError/TypeError for anything else, including
    valid JSON that is not an object (``null``, ``0``, ``[]``)."""
    stripped = line.lstrip()
    if not stripped.startswith("{"):
        import json

        value = json.loads(line)  # ValueError for bad JSON
        kind = {list: "array", str: "string", bool: "boolean", int: "number", float: "number"}.get(type(value), "null")
        raise ValueError(f"JSON {kind}, not an event object")
    return event_from_json(line)


def _parses(line: str) -> bool:
    try:
        parse_event(line)
    except (ValueError, TypeError):
        return False
    return True


def events_path(run_dir: str | Path) -> Path:
    """``RUN_DIR/events.jsonl``, or a one-line error saying what is missing."""
    folder = Path(run_dir)
    if not folder.is_dir():
        raise SentiError(f"{folder}: no such run folder; give the folder a training run writes (it holds {EVENTS_FILE})")
    path = folder / EVENTS_FILE
    if not path.is_file():
        raise SentiError(f"{path}: not found; {folder} is not a training run folder (no {EVENTS_FILE} in it)")
    return path


def read_event_log(run_dir: str | Path) -> tuple[list[Event], int]:
    """Every event already in ``RUN_DIR/events.jsonl`` and the number of bad lines skipped."""
    source = FileSource(run_dir, follow=False)
    collected: list[Event] = []

    class _Collect:
        def events(self, events: list[Event]) -> None:
            collected.extend(events)

        def warning(self, text: str) -> None:
            pass

    source.run(_Collect())
    return collected, source._bad_lines
