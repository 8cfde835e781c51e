"""Who goes first: a single-utterance probe (a slider drag) before whole-split batches.

The explorer runs whole-split work (curves, cases, the table) in background workers while the
user drags a slider. A background batch waits, before it starts, until no probe is in progress
(at most :data:`FOREGROUND_WAIT_S`, so a stream of probes cannot starve it), and a sweep whose
result is no longer wanted stops there with :class:`~core.runtime.inference.ProbeCancelled`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from core.runtime.inference import ProbeCancelled

FOREGROUND_WAIT_S = 0.25  # a background batch waits at most this long for a probe to finish


class Scheduler:
    """Counts the probes in progress; background batches wait for none to be."""

    def __init__(self, wait_s: float = FOREGROUND_WAIT_S) -> None:
        self.wait_s = wait_s
        self._foreground = 0
        self._idle = threading.Condition()

    @contextmanager
    def foreground(self) -> Iterator[None]:
        """Around a probe: background batches hold back until it is done."""
        with self._idle:
            self._foreground += 1
        try:
            yield
        finally:
            with self._idle:
                self._foreground -= 1
                if self._foreground == 0:
                    self._idle.notify_all()

    def before_batch(self, cancelled: Callable[[], bool] | None) -> None:
        """Before a background batch: stop if unwanted, let a probe in progress finish first."""
        if cancelled is not None and cancelled():
            raise ProbeCancelled("the result is no longer wanted")
        with self._idle:
            self._idle.wait_for(lambda: self._foreground == 0, timeout=self.wait_s)
        if cancelled is not None and cancelled():
            raise ProbeCancelled("the result is no longer wanted")
