"""Best so far (epoch, metrics, the split it was chosen on), early-stopping patience, checkpoints."""

from __future__ import annotations

from pathlib import Path

from textual.markup import escape
from textual.widgets import Static

from senti_tui.metric_names import format_metric, ordered_keys, summary
from senti_tui.run_state import RunState


class BestPane(Static):
    def show(self, state: RunState) -> None:
        latest = state.latest_epoch
        if latest is None:
            self.update("[dim]no validation epoch yet[/]")
            return
        chosen_on = "[b #ffffff on #d75f5f] TEST-SELECTED [/] on test" if state.test_selected else "on valid"
        lines = [f"best epoch [b]{latest.best_epoch}[/] {chosen_on}", *_metric_lines(latest.best_metrics)]
        lines.append(_patience(state))
        lines.append(_checkpoint(state))
        self.update("\n".join(line for line in lines if line))


def _metric_lines(metrics: dict[str, float]) -> list[str]:
    """Two short lines: regression figures, then the binary ones (Non0/Has0 paired as in LNLN)."""
    if not metrics:
        return ["[dim]no metrics[/]"]
    first = summary(metrics, ("MAE", "Corr", "Mult_acc_7"))
    if "Non0_acc_2" in metrics or "Has0_acc_2" in metrics:
        pairs = []
        for name, non0, has0 in (("Acc-2", "Non0_acc_2", "Has0_acc_2"), ("F1", "Non0_F1_score", "Has0_F1_score")):
            pairs.append(f"{name} {format_metric(non0, metrics.get(non0))}/{format_metric(has0, metrics.get(has0))}")
        second = " · ".join(pairs) + " [dim](Non0/Has0)[/]"
    else:
        shown = {"MAE", "Corr", "Mult_acc_7"}
        second = summary(metrics, tuple(key for key in ordered_keys(metrics) if key not in shown))
    return [line for line in (first, second) if line]


def _patience(state: RunState) -> str:
    if state.early_stop is not None:
        return f"[b]early stop[/] at epoch {state.early_stop.epoch} (patience {state.early_stop.patience})"
    left = state.latest_epoch.patience_left if state.latest_epoch else None
    if left is None:
        return "early stopping off"
    total = state.patience_total
    return f"patience [b]{left}[/]" + (f" of {total}" if total is not None else "") + " epochs left"


def _checkpoint(state: RunState) -> str:
    saved = state.last_checkpoint("best") or state.last_checkpoint("last")
    if saved is None:
        return "[dim]no checkpoint saved yet[/]"
    return f"saved {escape(Path(saved.path).name)} (epoch {saved.epoch})"
