"""Typed training events.

The trainer emits these to any number of callbacks (``Callable[[Event], None]``). The training
app, the headless printer, ``events.jsonl`` and ``senti-tui watch`` all consume the same stream:
an event is a plain dataclass of JSON-able values (no tensors), written one per line with
:func:`event_to_json` and read back with :func:`event_from_json`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field


@dataclass
class RunStarted:
    run_dir: str
    model: str
    dataset: str  # family name, e.g. "synthetic", "mosi"
    synthetic: bool
    device: str
    epochs: int
    steps_per_epoch: int
    train_size: int
    batch_size: int
    stages: list[dict] = field(default_factory=list)  # [{"stage": 1, "first_epoch": 1, "last_epoch": 40, "description": ...}]
    selection: str = "valid"  # "valid" or "paper" (test-selected)
    config: dict = field(default_factory=dict)  # the fully resolved config
    start_epoch: int = 1  # > 1 when resumed
    time: float = 0.0


@dataclass
class Step:
    epoch: int
    step: int  # 1-based within the epoch
    steps_per_epoch: int
    global_step: int
    losses: dict[str, float]  # named unweighted terms plus "total"
    lr: float
    samples_per_s: float
    elapsed_s: float
    eta_s: float  # for the whole run


@dataclass
class EpochEnd:
    epoch: int
    stage: int
    train_losses: dict[str, float]  # epoch means
    metrics: dict[str, dict[str, float]]  # split -> metric -> value (e.g. {"valid": {...}, "test": {...}})
    val_loss: float
    lr: float
    is_best: bool
    best_epoch: int
    best_metrics: dict[str, float]
    patience_left: int | None  # None when early stopping is off
    elapsed_s: float
    # Senti-iFusion: estimated vs true integrity on valid, per modality (a sample of points).
    integrity_scatter: dict[str, dict[str, list[float]]] = field(
        default_factory=dict
    )  # modality -> {"true": [...], "est": [...]}
    integrity_r2: dict[str, float] = field(default_factory=dict)


@dataclass
class StageChange:
    epoch: int
    stage: int
    description: str


@dataclass
class CheckpointSaved:
    epoch: int
    path: str
    kind: str  # "best", "last" or "best_<metric>" (paper selection)


@dataclass
class EarlyStop:
    epoch: int
    best_epoch: int
    patience: int


@dataclass
class Finished:
    epoch: int
    best_epoch: int
    best_metrics: dict[str, float]
    run_dir: str
    stopped_by_user: bool = False
    elapsed_s: float = 0.0


@dataclass
class Failed:
    error: str  # one line
    traceback: str = ""


Event = RunStarted | Step | EpochEnd | StageChange | CheckpointSaved | EarlyStop | Finished | Failed
Callback = Callable[[Event], None]

EVENT_TYPES: dict[str, type] = {
    cls.__name__: cls for cls in (RunStarted, Step, EpochEnd, StageChange, CheckpointSaved, EarlyStop, Finished, Failed)
}


def event_to_json(event: Event) -> str:
    """One line of ``events.jsonl``."""
    return json.dumps({"type": type(event).__name__, **asdict(event)}, allow_nan=True)


def event_from_json(line: str) -> Event:
    """Parse one line of ``events.jsonl``; raises ValueError on anything else."""
    payload = json.loads(line)
    kind = payload.pop("type", None)
    if kind not in EVENT_TYPES:
        raise ValueError(f"unknown event type {kind!r}")
    return EVENT_TYPES[kind](**payload)
