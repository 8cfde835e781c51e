"""A plain-text line (no colour carries meaning) that scripts can read off the screen.

``running · epoch 3/20 · step 10/41 · loss 0.8123 · best MAE 0.712 @ epoch 2 · patience 8``
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from senti_tui.metric_names import format_loss, format_metric
from senti_tui.run_state import RunState


def status_text(state: RunState) -> str:
    parts = [state.status_word]
    if state.started is not None:
        parts.append(f"epoch {state.current_epoch}/{state.epochs_total}")
    if state.step is not None:
        parts.append(f"step {state.step.step}/{state.step.steps_per_epoch}")
        parts.append(f"loss {format_loss(state.step.losses.get('total'))}")
    latest = state.latest_epoch
    if latest is not None and latest.best_metrics:
        key = "MAE" if "MAE" in latest.best_metrics else next(iter(latest.best_metrics))
        parts.append(f"best {key} {format_metric(key, latest.best_metrics[key])} @ epoch {latest.best_epoch}")
        if latest.patience_left is not None and not state.over:
            parts.append(f"patience {latest.patience_left}")
    if state.failed is not None:
        parts.append(f"error: {state.failed.error}")
    return " · ".join(parts)


class StatusLine(Static):
    def show(self, state: RunState) -> None:
        self.update(Text(status_text(state)))
