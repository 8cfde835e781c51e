"""Messages between the explorer's widgets and the app, and from the split-job thread."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from senti_tui.apps.explore.split_pane import SplitRequest


@dataclass
class UtteranceChosen(Message):
    """The utterance table's cursor moved to this utterance (index into the split)."""

    index: int


@dataclass
class CaseChosen(Message):
    """A failure case was opened: show its utterance in the probe."""

    index: int


@dataclass
class ControlsChanged(Message):
    """A switch or a slider moved (the app turns it into new ProbeSettings)."""

    modality: int
    enabled: bool | None = None
    rate: float | None = None


@dataclass
class SplitJobDone(Message):
    """A tab's whole-split figure was computed for ``request`` (posted from the job thread; thread-safe)."""

    key: str  # the tab's key
    request: SplitRequest
    value: Any


@dataclass
class SplitJobFailed(Message):
    """A tab's whole-split figure could not be computed (a job abandoned as stale posts nothing)."""

    key: str
    request: SplitRequest
    error: BaseException
