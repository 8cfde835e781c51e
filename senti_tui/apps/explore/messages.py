"""Messages between the explorer's widgets and the app, and from the split-job thread."""

from __future__ import annotations

from typing import Any

from textual.message import Message


class UtteranceChosen(Message):
    """The utterance table's cursor moved to this utterance (index into the split)."""

    def __init__(self, index: int) -> None:
        super().__init__()
        self.index = index


class CaseChosen(Message):
    """A failure case was opened: show its utterance in the probe."""

    def __init__(self, index: int) -> None:
        super().__init__()
        self.index = index


class ControlsChanged(Message):
    """A switch or a slider moved (the app turns it into new ProbeSettings)."""

    def __init__(self, modality: int, enabled: bool | None = None, rate: float | None = None) -> None:
        super().__init__()
        self.modality = modality
        self.enabled = enabled
        self.rate = rate


class SplitJobDone(Message):
    """A whole-split computation finished (posted from the job thread; thread-safe)."""

    def __init__(self, kind: str, token: int, value: Any) -> None:
        super().__init__()
        self.kind = kind
        self.token = token
        self.value = value


class SplitJobFailed(Message):
    def __init__(self, kind: str, token: int, error: BaseException) -> None:
        super().__init__()
        self.kind = kind
        self.token = token
        self.error = error
