"""The tabs' whole-split computations (evaluate, curves, cases, confusion, calibration) off the UI thread.

They take up to a second or more each, and slider drags ask for a new one many times a second.
Textual's thread workers would run the stale ones side by side on a 2-core machine, and quitting
waits for every one of them (``App.run`` joins the executor). So one daemon thread runs them one
at a time and keeps only the newest request of each tab: a drag costs at most one computation
in flight plus one pending, and ``q`` returns at once. Each job gets a ``cancelled`` callable
(True once a newer request for its tab came, or the app closed) to hand to the probe, which stops
at its next batch. Results go back as messages carrying their :class:`SplitRequest`; the app
shows a result only if its request is still the tab's newest. A job that fails after it was
cancelled was abandoned, not broken: it posts nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from textual.message import Message

from senti_tui.apps.explore.messages import SplitJobDone, SplitJobFailed
from senti_tui.apps.explore.split_pane import SplitRequest

Job = Callable[[Callable[[], bool]], Any]  # job(cancelled) -> the figure


class SplitJobs:
    def __init__(self, post: Callable[[Message], Any]) -> None:
        self._post = post
        self._pending: dict[str, tuple[int, SplitRequest, Job]] = {}  # tab key -> its newest request
        self._latest: dict[str, int] = {}  # tab key -> number of its newest submission
        self._submitted = 0
        self._running: str | None = None
        self._closed = False
        self._lock = threading.Condition()
        self._thread: threading.Thread | None = None

    def submit(self, key: str, request: SplitRequest, job: Job) -> None:
        """Queue ``job(cancelled)`` for tab ``key``; an older request of that tab is dropped if it
        has not started, and told it is cancelled if it has."""
        with self._lock:
            if self._closed:
                return
            self._submitted += 1
            self._latest[key] = self._submitted
            self._pending.pop(key, None)  # re-insert: the newest request goes to the back
            self._pending[key] = (self._submitted, request, job)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="explore-split-jobs", daemon=True)
                self._thread.start()
            self._lock.notify()

    def busy(self, key: str) -> bool:
        with self._lock:
            return key in self._pending or self._running == key

    def idle(self) -> bool:
        with self._lock:
            return not self._pending and self._running is None

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._pending.clear()
            self._lock.notify()

    def newest_cancelled(self, key: str) -> bool:
        """Would the newest job of tab ``key`` stop at its next batch (the app is closing)?"""
        return self._cancelled_check(key, self._latest.get(key, 0))()

    def _cancelled_check(self, key: str, number: int) -> Callable[[], bool]:
        def cancelled() -> bool:
            return self._closed or self._latest.get(key) != number

        return cancelled

    def _loop(self) -> None:
        while True:
            with self._lock:
                while not self._pending and not self._closed:
                    self._lock.wait()
                if self._closed:
                    return
                key = next(iter(self._pending))
                number, request, job = self._pending.pop(key)
                self._running = key
            cancelled = self._cancelled_check(key, number)
            message: Message | None
            try:
                message = SplitJobDone(key, request, job(cancelled))
            except Exception as error:  # noqa: BLE001 - shown as a notification by the app (if still wanted)
                message = None if cancelled() else SplitJobFailed(key, request, error)
            with self._lock:
                self._running = None
                closed = self._closed
            if not closed and message is not None:
                self._post(message)
