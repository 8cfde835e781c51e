"""Training progress as text, for runs without a terminal (CI, logs, ``--headless``).

The same figures as the app: a progress bar per epoch with loss, samples/s and ETA (plain step
lines at each quarter of an epoch when the output is not a terminal), a line per epoch with the
validation metrics, integrity R², best so far and patience, stage changes, checkpoint saves and a
final summary. It reads the same event stream through the same :class:`RunState`.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

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
from senti_tui.event_sources import EventSource
from senti_tui.metric_names import format_duration, format_loss, ordered_keys, summary
from senti_tui.run_state import RunState, model_display_name, stage_text


class HeadlessPrinter:
    """A callback for training events that prints them. ``live``: draw rich progress bars."""

    def __init__(self, console: Console | None = None, live: bool | None = None, step_lines_per_epoch: int = 4) -> None:
        self.console = console or Console(highlight=False)
        self.live = self.console.is_terminal if live is None else live
        self.step_lines_per_epoch = step_lines_per_epoch
        self.state = RunState()
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._task_epoch: int | None = None

    # --- the callback ----------------------------------------------------------------------------
    def __call__(self, event: Event) -> None:
        self.state.apply(event)
        handler = getattr(self, f"_on_{type(event).__name__}", None)
        if handler is not None:
            handler(event)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def _print(self, text: str) -> None:
        target = self._progress.console if self._progress is not None else self.console
        target.print(text, soft_wrap=not self.live, highlight=False)

    # --- one handler per event -------------------------------------------------------------------
    def _on_RunStarted(self, event: RunStarted) -> None:
        labels = ("  [b]SYNTHETIC[/]" if event.synthetic else "") + (
            "  [b]TEST-SELECTED[/]" if event.selection == "paper" else ""
        )
        resumed = f" · resumed at epoch {event.start_epoch}" if event.start_epoch > 1 else ""
        self._print(
            f"training [b]{model_display_name(event.model)}[/] on {escape(event.dataset)}{labels} · device {escape(event.device)} · "
            f"{event.epochs} epochs × {event.steps_per_epoch} steps (batch {event.batch_size}, {event.train_size} samples) · "
            f"selection on {'test (paper)' if event.selection == 'paper' else 'valid'}{resumed}"
        )
        self._print(f"run folder {escape(event.run_dir)}")
        for stage in event.stages if len(event.stages) > 1 else []:
            first, last = stage.get("first_epoch"), stage.get("last_epoch")
            epochs = f"epoch {first}" if first == last else f"epochs {first}–{last}"
            self._print(f"  stage {stage.get('stage')} ({epochs}): {escape(stage_text(str(stage.get('description', ''))))}")

    def _on_Step(self, event: Step) -> None:
        if self.live:
            self._advance_bar(event)
            return
        every = max(1, event.steps_per_epoch // max(self.step_lines_per_epoch, 1))
        if event.step % every == 0 and event.step != event.steps_per_epoch:
            self._print(
                f"epoch {event.epoch}/{self.state.epochs_total} step {event.step}/{event.steps_per_epoch} · "
                f"loss {format_loss(event.losses.get('total'))} · {event.samples_per_s:,.0f} samples/s · "
                f"ETA {format_duration(event.eta_s)}"
            )

    def _on_EpochEnd(self, event: EpochEnd) -> None:
        self._end_bar()
        self._print(epoch_line(event, self.state))

    def _on_StageChange(self, event: StageChange) -> None:
        self._print(f"stage {event.stage} from epoch {event.epoch}: {escape(stage_text(event.description))}")

    def _on_CheckpointSaved(self, event: CheckpointSaved) -> None:
        self._print(f"  saved {escape(event.kind)} checkpoint {escape(event.path)} (epoch {event.epoch})")

    def _on_EarlyStop(self, event: EarlyStop) -> None:
        self._print(f"early stopping at epoch {event.epoch}: no better epoch than {event.best_epoch} in {event.patience}")

    def _on_Finished(self, event: Finished) -> None:
        self._end_bar()
        for line in final_summary(event, self.state):
            self._print(line)
        self.close()

    def _on_Failed(self, event: Failed) -> None:
        self._end_bar()
        self._print(f"[b red]training failed:[/] {escape(event.error)}")
        self.close()

    # --- the per-epoch bar (terminal only) -------------------------------------------------------
    def _advance_bar(self, event: Step) -> None:
        if self._progress is None:
            self._progress = Progress(
                TextColumn("epoch {task.fields[epoch]}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("loss {task.fields[loss]} · {task.fields[speed]} samples/s · ETA {task.fields[eta]}"),
                console=self.console,
                transient=True,
            )
            self._progress.start()
        fields: dict[str, Any] = {
            "epoch": f"{event.epoch}/{self.state.epochs_total}",
            "loss": format_loss(event.losses.get("total")),
            "speed": f"{event.samples_per_s:,.0f}",
            "eta": format_duration(event.eta_s),
        }
        if self._task is None or self._task_epoch != event.epoch:
            self._end_bar()
            self._task = self._progress.add_task("", total=event.steps_per_epoch, **fields)
            self._task_epoch = event.epoch
        self._progress.update(self._task, completed=event.step, **fields)

    def _end_bar(self) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.remove_task(self._task)
        self._task = self._task_epoch = None


def epoch_line(event: EpochEnd, state: RunState) -> str:
    """``epoch 3/20 · stage 2 · train 0.8123 · val 0.9000 · MAE 0.900 · ... · best epoch 3 ★ · patience 5``"""
    parts = [f"epoch {event.epoch}/{state.epochs_total}"]
    if state.stage_count > 1:
        parts.append(f"stage {event.stage}")
    parts.append(f"train {format_loss(event.train_losses.get('total'))}")
    parts.append(f"val {format_loss(event.val_loss)}")
    valid = event.metrics.get("valid", {})
    if valid:
        parts.append(summary(valid, tuple(ordered_keys(valid))))
    if event.integrity_r2:
        parts.append("R² " + " ".join(f"{m} {v:.2f}" for m, v in event.integrity_r2.items()))
    parts.append(f"best epoch {event.best_epoch}" + (" ★" if event.is_best else ""))
    if event.patience_left is not None:
        parts.append(f"patience {event.patience_left}")
    parts.append(f"lr {event.lr:.2e}")
    parts.append(format_duration(event.elapsed_s))
    return " · ".join(parts)


def final_summary(event: Finished, state: RunState) -> list[str]:
    if event.stopped_by_user:
        head = (
            f"stopped by you in epoch {event.epoch + 1} after {format_duration(event.elapsed_s)}; "
            f"last.pt saved (continue with --resume {event.run_dir})"
        )
    elif state.early_stop is not None:
        head = f"finished by early stopping at epoch {event.epoch} in {format_duration(event.elapsed_s)}"
    else:
        head = f"finished {event.epoch} epochs in {format_duration(event.elapsed_s)}"
    lines = [f"[b]{escape(head)}[/]"]
    if event.best_epoch and event.best_metrics:
        split = "test (TEST-SELECTED)" if state.test_selected else "valid"
        lines.append(
            f"best epoch {event.best_epoch} on {split}: {summary(event.best_metrics, tuple(ordered_keys(event.best_metrics)))}"
        )
    best = state.last_checkpoint("best")
    if best is not None:
        lines.append(f"best checkpoint {escape(best.path)}")
    lines.append(f"run folder {escape(str(Path(event.run_dir)))}")
    return lines


class _PrinterSink:
    def __init__(self, printer: HeadlessPrinter) -> None:
        self.printer = printer

    def events(self, events: list[Event]) -> None:
        for event in events:
            self.printer(event)

    def warning(self, text: str) -> None:
        self.printer.console.print(f"warning: {escape(text)}", soft_wrap=True)


def run_headless(source: EventSource, printer: HeadlessPrinter | None = None) -> Event | None:
    """Run ``source`` in this thread, printing as it goes. The first ctrl+c asks the run to stop
    (a live session saves last.pt); a second one interrupts at once."""
    printer = printer or HeadlessPrinter()
    asked: list[bool] = []

    def on_interrupt(signum, frame) -> None:
        if asked:
            raise KeyboardInterrupt
        asked.append(True)
        if source.can_stop:
            printer.console.print("stopping after the current batch; saving last.pt (ctrl+c again to abort)")
        source.request_stop()

    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, on_interrupt) if in_main else None
    try:
        result = source.run(_PrinterSink(printer))
    finally:
        printer.close()
        if in_main:
            signal.signal(signal.SIGINT, previous)
    return result
