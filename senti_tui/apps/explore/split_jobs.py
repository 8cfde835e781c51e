"""Whole-split computations (evaluate, curves, cases, confusion, calibration) off the UI thread.

They take up to a second or more each, and slider drags ask for a new one many times a second.
Textual's thread workers would run the stale ones side by side on a 2-core machine, and quitting
waits for every one of them (``App.run`` joins the executor). So one daemon thread runs them one
at a time and keeps only the newest request of each kind: a drag costs at most one computation
in flight plus one pending, and ``q`` returns at once. Results go back as messages with a token;
the app shows a result only if its token is still the newest for that kind.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from textual.message import Message

from senti_tui.apps.explore.messages import SplitJobDone, SplitJobFailed


class SplitJobs:
    def __init__(self, post: Callable[[Message], Any]) -> None:
        self._post = post
        self._pending: dict[str, tuple[int, Callable[[], Any]]] = {}
        self._running: str | None = None
        self._closed = False
        self._lock = threading.Condition()
        self._thread: threading.Thread | None = None

    def submit(self, kind: str, token: int, job: Callable[[], Any]) -> None:
        """Queue ``job``; an older request of the same kind not yet started is dropped."""
        with self._lock:
            if self._closed:
                return
            self._pending.pop(kind, None)  # re-insert: the newest request goes to the back
            self._pending[kind] = (token, job)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="explore-split-jobs", daemon=True)
                self._thread.start()
            self._lock.notify()

    def busy(self, kind: str) -> bool:
        with self._lock:
            return kind in self._pending or self._running == kind

    def idle(self) -> bool:
        with self._lock:
            return not self._pending and self._running is None

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._pending.clear()
            self._lock.notify()

    def _loop(self) -> None:
        while True:
            with self._lock:
                while not self._pending and not self._closed:
                    self._lock.wait()
                if self._closed:
                    return
                kind = next(iter(self._pending))
                token, job = self._pending.pop(kind)
                self._running = kind
            try:
                message: Message = SplitJobDone(kind, token, job())
            except Exception as error:  # shown as a notification by the app, never a traceback
                message = SplitJobFailed(kind, token, error)
            with self._lock:
                self._running = None
                closed = self._closed
            if not closed:
                self._post(message)
