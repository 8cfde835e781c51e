"""Whole-split computations (evaluate, curves, cases, confusion, calibration) off the UI thread.

They take up to a second or more each, and slider drags ask for a new one many times a second.
Textual's thread workers would run the stale ones side by side on a 2-core machine, and quitting
waits for every one of them (``App.run`` joins the executor). So one daemon thread runs them one
at a time and keeps only the newest request of each kind: a drag costs at most one computation
in flight plus one pending, and ``q`` returns at once. Each job gets a ``cancelled`` callable
(True once a newer request of its kind came, or the app closed) to hand to the probe, which stops
at its next batch. Results go back as messages with a token; the app shows a result only if its
token is still the newest for that kind.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from textual.message import Message

from senti_tui.apps.explore.messages import SplitJobDone, SplitJobFailed


class SplitJobs:
    def __init__(self, post: Callable[[Message], Any]) -> None:
        self._post = post
        self._pending: dict[str, tuple[int, Callable[[Callable[[], bool]], Any]]] = {}
        self._latest: dict[str, int] = {}
        self._running: str | None = None
        self._closed = False
        self._lock = threading.Condition()
        self._thread: threading.Thread | None = None

    def submit(self, kind: str, token: int, job: Callable[[Callable[[], bool]], Any]) -> None:
        """Queue ``job(cancelled)``; an older request of the same kind is dropped if it has not
        started, and told it is cancelled if it has."""
        with self._lock:
            if self._closed:
                return
            self._latest[kind] = token
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

    def _cancelled_check(self, kind: str, token: int) -> Callable[[], bool]:
        def cancelled() -> bool:
            return self._closed or self._latest.get(kind) != token

        return cancelled

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
                message: Message = SplitJobDone(kind, token, job(self._cancelled_check(kind, token)))
            except Exception as error:  # shown as a notification by the app (if still wanted)
                message = SplitJobFailed(kind, token, error)
            with self._lock:
                self._running = None
                closed = self._closed
            if not closed:
                self._post(message)
