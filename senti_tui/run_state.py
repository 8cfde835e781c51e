"""What is known about a training run, folded from its event stream.

The training app, ``senti-tui watch`` and the headless printer all read a run through this one
object: ``apply(event)`` folds an event in and says which parts changed, so a view redraws only
those. Plain Python only (no Textual, no torch), so it is tested without a terminal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from core.models.registry import display_name, find_spec
from core.training.events import (
    CheckpointSaved,
    EarlyStop,
    EpochEnd,
    Event,
    Failed,
    Finished,
    RunStarted,
    StageChange,
    Step,
)

# Parts of the view an event can change; ``apply`` returns a set of these.
PROGRESS, LOSSES, EPOCHS, STAGE, CHECKPOINT, HEADER, END = (
    "progress",
    "losses",
    "epochs",
    "stage",
    "checkpoint",
    "header",
    "end",
)


def model_display_name(model: str) -> str:
    return display_name(model)


class DecimatedSeries:
    """Points (x, y) kept at most ``cap`` long however long the run: when full, neighbours are
    averaged in pairs and each later point stands for twice as many steps. A 200-epoch run of
    thousands of steps costs the same to draw as a short one."""

    def __init__(self, cap: int = 2048) -> None:
        self.cap = cap
        self.xs: list[float] = []
        self.ys: list[float] = []
        self.stride = 1  # steps averaged into one kept point
        self._sum_x = self._sum_y = 0.0
        self._count = 0

    def add(self, x: float, y: float) -> None:
        self._sum_x += x
        self._sum_y += y
        self._count += 1
        if self._count < self.stride:
            return
        self.xs.append(self._sum_x / self._count)
        self.ys.append(self._sum_y / self._count)
        self._sum_x = self._sum_y = 0.0
        self._count = 0
        if len(self.xs) > self.cap:
            self.xs = _pair_means(self.xs)
            self.ys = _pair_means(self.ys)
            self.stride *= 2

    def drop_from(self, x: float) -> None:
        keep = [i for i, value in enumerate(self.xs) if value < x]
        self.xs = [self.xs[i] for i in keep]
        self.ys = [self.ys[i] for i in keep]
        self._sum_x = self._sum_y = 0.0
        self._count = 0

    def binned(self, bins: int) -> tuple[list[float], list[float]]:
        """At most ``bins`` points: means over consecutive groups (one per plot column)."""
        xs, ys = self.xs, self.ys
        if len(xs) <= bins or bins <= 0:
            return list(xs), list(ys)
        size = len(xs) / bins
        out_x, out_y = [], []
        for b in range(bins):
            lo, hi = int(b * size), max(int((b + 1) * size), int(b * size) + 1)
            out_x.append(sum(xs[lo:hi]) / (hi - lo))
            out_y.append(sum(ys[lo:hi]) / (hi - lo))
        return out_x, out_y


def _pair_means(values: list[float]) -> list[float]:
    pairs = [(values[i] + values[i + 1]) / 2 for i in range(0, len(values) - 1, 2)]
    return pairs + ([values[-1]] if len(values) % 2 else [])


@dataclass
class LossHistory:
    """Every loss term per step, on an x axis in epochs (epoch 3, step 5 of 10 -> 2.5)."""

    series: dict[str, DecimatedSeries] = field(default_factory=dict)

    def add(self, x: float, losses: dict[str, float]) -> None:
        for term, value in losses.items():
            if value is None or not math.isfinite(value):
                continue  # a NaN step is reported in the progress pane, not drawn
            self.series.setdefault(term, DecimatedSeries()).add(x, float(value))

    def terms(self) -> list[str]:
        """``total`` first, then the named terms in the order they first appeared."""
        names = list(self.series)
        return (["total"] if "total" in names else []) + [name for name in names if name != "total"]

    def drop_from(self, x: float) -> None:
        """Forget points at or after ``x`` (a resumed run recomputes those epochs)."""
        for series in self.series.values():
            series.drop_from(x)

    def binned(self, term: str, bins: int) -> tuple[list[float], list[float]]:
        series = self.series.get(term)
        return series.binned(bins) if series is not None else ([], [])


@dataclass
class RunState:
    started: RunStarted | None = None
    step: Step | None = None
    epochs: list[EpochEnd] = field(default_factory=list)
    stage: int | None = None
    stage_description: str = ""
    checkpoints: list[CheckpointSaved] = field(default_factory=list)
    early_stop: EarlyStop | None = None
    finished: Finished | None = None
    failed: Failed | None = None
    stopping: bool = False  # the user asked to stop; waiting for Finished
    losses: LossHistory = field(default_factory=LossHistory)
    lr: DecimatedSeries = field(default_factory=DecimatedSeries)  # the schedule, whole run

    # --- folding -------------------------------------------------------------------------------
    def apply(self, event: Event) -> set[str]:
        handler = getattr(self, f"_on_{type(event).__name__}", None)
        return handler(event) if handler else set()

    def _on_RunStarted(self, event: RunStarted) -> set[str]:
        self.started = event
        self.finished = self.failed = self.early_stop = None
        self.step = None
        # A resumed run replays from start_epoch: drop what it will recompute.
        self.epochs = [e for e in self.epochs if e.epoch < event.start_epoch]
        self.losses.drop_from(event.start_epoch - 1)
        self.lr.drop_from(event.start_epoch - 1)
        self.stage = self._stage_of(event.start_epoch)
        self.stage_description = self._stage_description(self.stage)
        return {HEADER, PROGRESS, STAGE, EPOCHS, LOSSES, END}

    def _on_Step(self, event: Step) -> set[str]:
        self.step = event
        x = event.epoch - 1 + event.step / max(event.steps_per_epoch, 1)
        self.losses.add(x, event.losses)
        if math.isfinite(event.lr):
            self.lr.add(x, event.lr)
        return {PROGRESS, LOSSES}

    def _on_EpochEnd(self, event: EpochEnd) -> set[str]:
        self.epochs = [e for e in self.epochs if e.epoch != event.epoch] + [event]
        if event.stage != self.stage:
            self.stage = event.stage
            self.stage_description = self._stage_description(event.stage) or self.stage_description
        return {EPOCHS, PROGRESS, LOSSES, STAGE}

    def _on_StageChange(self, event: StageChange) -> set[str]:
        self.stage = event.stage
        self.stage_description = stage_text(event.description)
        return {STAGE, PROGRESS}

    def _on_CheckpointSaved(self, event: CheckpointSaved) -> set[str]:
        self.checkpoints.append(event)
        return {CHECKPOINT}

    def _on_EarlyStop(self, event: EarlyStop) -> set[str]:
        self.early_stop = event
        return {PROGRESS, END}

    def _on_Finished(self, event: Finished) -> set[str]:
        self.finished = event
        self.stopping = False
        return {PROGRESS, END, EPOCHS, LOSSES}

    def _on_Failed(self, event: Failed) -> set[str]:
        self.failed = event
        self.stopping = False
        return {PROGRESS, END}

    # --- questions the views ask ---------------------------------------------------------------
    @property
    def over(self) -> bool:
        return self.finished is not None or self.failed is not None

    @property
    def model(self) -> str:
        return self.started.model if self.started else ""

    @property
    def epochs_total(self) -> int | None:
        return self.started.epochs if self.started else None

    @property
    def stage_count(self) -> int:
        return len(self.started.stages) if self.started and self.started.stages else 1

    @property
    def current_epoch(self) -> int:
        if self.step is not None:
            return self.step.epoch
        if self.epochs:
            return self.epochs[-1].epoch
        return self.started.start_epoch if self.started else 0

    @property
    def latest_epoch(self) -> EpochEnd | None:
        return self.epochs[-1] if self.epochs else None

    @property
    def best_epoch(self) -> EpochEnd | None:
        """The epoch end that holds the latest view of "best so far"."""
        return self.epochs[-1] if self.epochs else None

    @property
    def test_selected(self) -> bool:
        return bool(self.started and self.started.selection == "paper")

    @property
    def status_word(self) -> str:
        if self.failed is not None:
            return "failed"
        if self.finished is not None:
            if self.finished.stopped_by_user:
                return "stopped"
            return "early-stopped" if self.early_stop is not None else "finished"
        if self.stopping:
            return "stopping…"
        if self.started is None:
            return "starting"
        return "running"

    def integrity_note(self) -> str | None:
        """Plain words for a model whose integrity estimate is partial or absent (its spec's)."""
        spec = find_spec(self.model) if self.model else None
        return spec.integrity_note if spec is not None else None

    def last_checkpoint(self, kind_prefix: str) -> CheckpointSaved | None:
        for saved in reversed(self.checkpoints):
            if saved.kind.startswith(kind_prefix):
                return saved
        return None

    def _stage_of(self, epoch: int) -> int | None:
        stages = self.started.stages if self.started else []
        for stage in stages:
            if stage.get("first_epoch", 1) <= epoch <= stage.get("last_epoch", 10**9):
                return stage.get("stage")
        return stages[0].get("stage") if stages else None

    def _stage_description(self, stage: int | None) -> str:
        for entry in self.started.stages if self.started else []:
            if entry.get("stage") == stage:
                return stage_text(str(entry.get("description", "")))
        return ""

    @property
    def patience_total(self) -> int | None:
        """The early-stopping patience from the resolved config (flat or under "training")."""
        config = self.started.config if self.started else {}
        value = config.get("patience", (config.get("training") or {}).get("patience"))
        return value if isinstance(value, int) else None


def stage_text(description: str) -> str:
    """A stage's description without a leading "stage 2:" (the views say the number already)."""
    head, sep, rest = description.partition(":")
    if sep and head.strip().lower().startswith("stage") and head.strip()[5:].strip().isdigit():
        return rest.strip()
    return description.strip()
