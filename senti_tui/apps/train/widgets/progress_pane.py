"""Where the run is: stage, epoch and step bars, ETA, samples/s, elapsed, loss, learning rate.

Every figure comes from the events (the trainer's own clock), never from this process's clock,
so a replayed run shows what the run saw and snapshots are deterministic.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, ProgressBar, Sparkline

from senti_tui.metric_names import format_duration, format_loss
from senti_tui.run_state import RunState


class ProgressPane(Vertical):
    def compose(self) -> ComposeResult:
        yield Label("waiting for the run to start…", id="stage-line")
        with Horizontal(classes="bar-row"):
            yield Label("Epoch", id="epoch-label", classes="bar-label")
            yield ProgressBar(total=1, show_eta=False, id="epoch-bar")
        with Horizontal(classes="bar-row"):
            yield Label("Step", id="step-label", classes="bar-label")
            yield ProgressBar(total=1, show_eta=False, id="step-bar")
        yield Label("", id="figures-line")
        with Horizontal(id="lr-row"):
            yield Label("lr –", id="lr-label")
            yield Sparkline([], id="lr-spark")

    def show(self, state: RunState) -> None:
        self.query_one("#stage-line", Label).update(_stage_line(state))
        started, step = state.started, state.step
        epochs = state.epochs_total or 1
        steps = step.steps_per_epoch if step else (started.steps_per_epoch if started else 1)
        epoch = state.current_epoch
        step_no = step.step if step else 0
        done_epochs = epoch - 1 + (step_no / max(steps, 1)) if step else len(state.epochs)
        if state.finished is not None:
            done_epochs = max(done_epochs, float(state.finished.epoch))
        self.query_one("#epoch-label", Label).update(f"Epoch {epoch}/{epochs}" if started else "Epoch")
        self.query_one("#epoch-bar", ProgressBar).update(total=epochs, progress=min(done_epochs, epochs))
        self.query_one("#step-label", Label).update(f"Step {step_no}/{steps}" if started else "Step")
        self.query_one("#step-bar", ProgressBar).update(total=max(steps, 1), progress=step_no)
        self.query_one("#figures-line", Label).update(_figures_line(state))
        lr = step.lr if step else (state.latest_epoch.lr if state.latest_epoch else None)
        self.query_one("#lr-label", Label).update(f"lr {lr:.2e}" if lr is not None else "lr –")
        self.query_one("#lr-spark", Sparkline).data = list(state.lr.ys)  # the whole schedule so far


def _stage_line(state: RunState) -> str:
    if state.failed is not None:
        return "[b $error]failed[/] — see the error below"
    if state.finished is not None:
        took = format_duration(state.finished.elapsed_s)
        if state.finished.stopped_by_user:
            return f"[b $success]stopped by you[/] in epoch {state.finished.epoch + 1} after {took}; last.pt saved"
        how = "finished by early stopping" if state.early_stop is not None else "finished"
        return f"[b $success]{how}[/] after epoch {state.finished.epoch} in {took}"
    prefix = "[b $warning]stopping… (saving last.pt)[/] · " if state.stopping else ""
    if state.started is None:
        return prefix + "waiting for the run to start…"
    stage = state.stage
    stage_text = f"Stage {stage}/{state.stage_count}" if stage is not None else "Stage –"
    if state.stage_description:
        stage_text += f" · {state.stage_description}"
    return prefix + stage_text


def _figures_line(state: RunState) -> str:
    step = state.step
    if step is None:
        return ""
    loss = step.losses.get("total")
    parts = [
        f"ETA {format_duration(step.eta_s)}" if not state.over else "ETA –",
        f"{step.samples_per_s:,.0f} samples/s",
        f"elapsed {format_duration(step.elapsed_s)}",
        f"loss {format_loss(loss)}",
    ]
    return " · ".join(parts)
