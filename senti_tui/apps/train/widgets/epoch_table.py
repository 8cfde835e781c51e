"""The validation metrics of every epoch, newest highlighted; ``t`` switches valid/test."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from senti_tui.metric_names import display_name, format_loss, format_metric, ordered_keys
from senti_tui.run_state import RunState


class EpochTable(DataTable):
    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.split = "valid"
        self._columns: tuple[str, ...] = ()

    def splits(self, state: RunState) -> list[str]:
        names: list[str] = []
        for epoch in state.epochs:
            names += [name for name in epoch.metrics if name not in names]
        return names or ["valid"]

    def cycle_split(self, state: RunState) -> str:
        names = self.splits(state)
        self.split = names[(names.index(self.split) + 1) % len(names)] if self.split in names else names[0]
        return self.split

    def show(self, state: RunState) -> None:
        keys: list[str] = []
        for epoch in state.epochs:
            keys += [k for k in epoch.metrics.get(self.split, {}) if k not in keys]
        keys = ordered_keys(keys)
        with_stage = state.stage_count > 1
        columns = ("Epoch", *(("Stage",) if with_stage else ()), "Train", "Val loss", *keys)
        if columns != self._columns:
            self.clear(columns=True)
            for name in columns:
                self.add_column(Text(display_name(name), justify="right"), key=name)
            self._columns = columns
        else:
            self.clear()
        best = state.latest_epoch.best_epoch if state.latest_epoch else None
        for epoch in state.epochs:
            metrics = epoch.metrics.get(self.split, {})
            mark = "★" if epoch.epoch == best else " "
            cells = [f"{mark}{epoch.epoch}"]
            if with_stage:
                cells.append(str(epoch.stage))
            cells += [format_loss(epoch.train_losses.get("total")), format_loss(epoch.val_loss)]
            cells += [format_metric(key, metrics.get(key)) for key in keys]
            self.add_row(*(Text(cell, justify="right") for cell in cells), key=str(epoch.epoch))
        if state.epochs:
            self.move_cursor(row=len(state.epochs) - 1)
        selected = " TEST-SELECTED" if state.test_selected else ""
        self.border_title = f"Metrics per epoch — {self.split}{selected}"
        legend = "★ best · accuracies and F1 in %"
        self.border_subtitle = legend + (" · t: switch split" if len(self.splits(state)) > 1 else "")
