"""The training app: live panes for a run, fed by an event source.

The same app serves ``senti-tui train`` (a :class:`~senti_tui.event_sources.SessionSource`
running the trainer in a thread worker) and ``senti-tui watch`` (a
:class:`~senti_tui.event_sources.FileSource` following ``events.jsonl``). Events arrive as
messages, are folded into a :class:`~senti_tui.run_state.RunState`, and only the panes they
change are redrawn; per-step redraws are throttled so a fast trainer cannot flood the screen.
"""

from __future__ import annotations

import traceback

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import Footer
from textual.worker import Worker, WorkerState

from core.training.events import Event, Failed
from senti_tui.apps.train.confirm_quit import ConfirmQuit
from senti_tui.apps.train.messages import EventsArrived, SourceWarning
from senti_tui.apps.train.widgets.best_pane import BestPane
from senti_tui.apps.train.widgets.epoch_table import EpochTable
from senti_tui.apps.train.widgets.error_pane import ErrorPane
from senti_tui.apps.train.widgets.integrity_pane import IntegrityPane
from senti_tui.apps.train.widgets.loss_pane import LossPane
from senti_tui.apps.train.widgets.progress_pane import ProgressPane
from senti_tui.apps.train.widgets.run_header import RunHeader
from senti_tui.apps.train.widgets.status_line import StatusLine
from senti_tui.event_sources import EventSource
from senti_tui.run_state import (
    CHECKPOINT,
    END,
    EPOCHS,
    HEADER,
    LOSSES,
    PROGRESS,
    STAGE,
    RunState,
)

# Step events only move the progress and the loss curves; redraw those at most this often.
PROGRESS_INTERVAL_S = 0.1
LOSS_INTERVAL_S = 1.0


class _AppSink:
    """Runs in the worker thread: hands everything to the app as messages."""

    def __init__(self, app: TrainApp) -> None:
        self.app = app

    def events(self, events: list[Event]) -> None:
        self.app.post_message(EventsArrived(events))

    def warning(self, text: str) -> None:
        self.app.post_message(SourceWarning(text))


class TrainApp(App[Event | None]):
    CSS_PATH = "train.tcss"
    TITLE = "senti-tui"
    BINDINGS = [
        Binding("q", "request_quit", "Quit"),
        Binding("ctrl+q", "request_quit", "Quit", show=False, priority=True),
        Binding("l", "cycle_losses", "Loss view"),
        Binding("t", "cycle_split", "Split"),
    ]

    def __init__(self, source: EventSource, mode: str = "train") -> None:
        super().__init__()
        self.source = source
        self.mode = mode  # "train" (live) or "watch"
        self.state = RunState()
        self._dirty: set[str] = set()
        self._progress_timer: Timer | None = None
        self._loss_timer: Timer | None = None
        self._exit_when_over = False
        self.result: Event | None = None  # the Finished/Failed the run ended with

    # --- layout ----------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield RunHeader(id="run-header")
        with Horizontal(id="top-row"):
            yield ProgressPane(id="progress-pane")
            yield BestPane(id="best-pane")
        with Horizontal(id="middle-row"):
            yield LossPane(id="loss-pane")
            yield IntegrityPane(id="integrity-pane")
        yield EpochTable(id="epoch-table")
        yield ErrorPane(id="error-pane")
        yield StatusLine(id="status-line")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#progress-pane").border_title = "Progress"
        self.query_one("#best-pane").border_title = "Best so far"
        self.query_one("#integrity-pane").border_title = "Integrity on valid — estimated vs true"
        self._redraw({HEADER, PROGRESS, LOSSES, EPOCHS, STAGE, CHECKPOINT, END})
        self._pump_events()

    def on_unmount(self) -> None:
        # However the app closes, a run still going must not go on training unseen: ask it to stop
        # (the trainer saves last.pt); a file source just stops following.
        if not self.state.over:
            self.source.request_stop()

    # --- the worker ------------------------------------------------------------------------------
    @work(thread=True, exit_on_error=False, name="event-source")
    def _pump_events(self) -> Event | None:
        return self.source.run(_AppSink(self))

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.name != "event-source":
            return
        if event.state == WorkerState.ERROR and not self.state.over:
            error = event.worker.error
            text = " ".join(str(error).split()) or type(error).__name__
            trace = "".join(traceback.format_exception(error)) if error else ""
            self._apply([Failed(error=f"{type(error).__name__}: {text}", traceback=trace)])

    # --- events ----------------------------------------------------------------------------------
    def on_events_arrived(self, message: EventsArrived) -> None:
        self._apply(message.events)

    def on_source_warning(self, message: SourceWarning) -> None:
        self.notify(message.text, severity="warning", markup=False)

    def _apply(self, events: list[Event]) -> None:
        changed: set[str] = set()
        for event in events:
            changed |= self.state.apply(event)
        end = self.state.failed or self.state.finished
        if end is not None and end is not self.result:
            self._ended(end)
        self._dirty |= changed
        if changed - {PROGRESS, LOSSES}:
            self.flush()  # an epoch or a state change: show it now, whole
        else:
            self._schedule()

    def _ended(self, event: Event) -> None:
        self.result = event
        if isinstance(event, Failed):
            self.notify(event.error, title="Training failed", severity="error", timeout=10, markup=False)
        elif self._exit_when_over:
            self.call_after_refresh(self.exit, event)

    def _schedule(self) -> None:
        if PROGRESS in self._dirty and self._progress_timer is None:
            self._progress_timer = self.set_timer(PROGRESS_INTERVAL_S, self._flush_progress)
        if LOSSES in self._dirty and self._loss_timer is None:
            self._loss_timer = self.set_timer(LOSS_INTERVAL_S, self._flush_losses)

    def _flush_progress(self) -> None:
        self._progress_timer = None
        self._redraw(self._dirty & {PROGRESS})
        self._dirty -= {PROGRESS}

    def _flush_losses(self) -> None:
        self._loss_timer = None
        self._redraw(self._dirty & {LOSSES})
        self._dirty -= {LOSSES}

    def flush(self) -> None:
        """Redraw every pane with pending changes now (tests call it before a snapshot)."""
        for timer in (self._progress_timer, self._loss_timer):
            if timer is not None:
                timer.stop()
        self._progress_timer = self._loss_timer = None
        dirty, self._dirty = self._dirty, set()
        self._redraw(dirty)

    def _redraw(self, parts: set[str]) -> None:
        state = self.state
        if HEADER in parts:
            self.query_one(RunHeader).show(state, self.source.label, self.mode)
        if parts & {PROGRESS, STAGE, END}:
            self.query_one(ProgressPane).show(state)
        if parts & {EPOCHS, CHECKPOINT, END}:
            best = self.query_one(BestPane)
            best.border_title = "Best" if state.over else "Best so far"
            best.show(state)
        if parts & {EPOCHS, HEADER}:
            self.query_one(IntegrityPane).show(state)
            self.query_one(EpochTable).show(state)
        if parts & {LOSSES, HEADER}:
            self.query_one(LossPane).show(state)
        if END in parts:
            self.query_one(ErrorPane).show(state)
        if parts:
            self.query_one(StatusLine).show(state)

    # --- actions ---------------------------------------------------------------------------------
    def action_request_quit(self) -> None:
        if not self.source.can_stop:  # watching: nothing to save, stop following and go
            self.source.request_stop()
            self.exit(self.result)
            return
        if self.state.over:
            self.exit(self.result)
            return
        if self.state.stopping:
            self.notify("Still stopping: waiting for the current batch to end and last.pt to be written.")
            return
        if isinstance(self.screen, ConfirmQuit):
            return
        run_dir = self.state.started.run_dir if self.state.started else self.source.label
        self.push_screen(ConfirmQuit(run_dir), self._quit_answered)

    def _quit_answered(self, stop: bool | None) -> None:
        if not stop or self.state.over:
            if self.state.over:
                self.exit(self.result)
            return
        self._exit_when_over = True
        self.state.stopping = True
        self.source.request_stop()
        self.notify("Stopping after the current batch; saving last.pt…")
        self._dirty |= {PROGRESS}
        self.flush()

    def action_cycle_losses(self) -> None:
        self.query_one(LossPane).cycle_view()
        self._redraw({LOSSES})

    def action_cycle_split(self) -> None:
        self.query_one(EpochTable).cycle_split(self.state)
        self._redraw({EPOCHS})
