"""What the explorer needs from a probe, as a Protocol.

The real implementation is :class:`core.probe.session.Probe` (torch, in core); the UI tests use a
fast deterministic fake (``tests/fake_probe.py``). The app only ever calls these methods, from
background threads, and only ever receives the plain types of :mod:`core.probe.types`.

The whole-split methods take ``cancelled``: a callable the probe checks between batches, raising
(any exception) once it returns True, so that a computation nobody wants any more — a newer
setting was asked for, or the app is closing — stops early instead of holding a core.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from core.probe.types import (
    Calibration,
    Case,
    Curve,
    ModelInfo,
    ProbeResult,
    ProbeSettings,
    SplitEvaluation,
    Utterance,
)

Cancelled = Callable[[], bool] | None


class ProbeBackend(Protocol):
    @property
    def models(self) -> list[ModelInfo]: ...

    @property
    def utterances(self) -> list[Utterance]: ...

    @property
    def dataset_label(self) -> str: ...

    @property
    def synthetic(self) -> bool: ...

    @property
    def precision(self) -> str: ...  # "fp32" or "bf16" (autocast)

    def run(self, index: int, settings: ProbeSettings) -> ProbeResult: ...

    def evaluate(self, settings: ProbeSettings, cancelled: Cancelled = None) -> list[SplitEvaluation]: ...

    def curve(self, settings: ProbeSettings, *, cancelled: Cancelled = None) -> list[Curve]: ...

    def cases(self, settings: ProbeSettings, limit: int, cancelled: Cancelled = None) -> list[Case]: ...

    def confusion(self, settings: ProbeSettings, cancelled: Cancelled = None) -> dict[str, list[list[int]]]: ...

    def calibration(self, settings: ProbeSettings, cancelled: Cancelled = None) -> list[Calibration]: ...


def open_probe(
    paths: Sequence[str], data: str | None = None, split: str = "test", precision: str = "auto", device: str = "cpu"
) -> ProbeBackend:
    """Open the real probe (imports torch; a bad checkpoint or data file raises SentiError)."""
    from core.probe.session import Probe

    return Probe.open(list(paths), data=data, split=split, precision=precision, device=device)
