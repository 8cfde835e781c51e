"""Estimated vs true integrity on valid, refreshed each epoch, with R² per modality.

A model that estimates only part of it (LNLN: language) or none of it (DAR) gets a plain
sentence saying so, never an empty plot that looks like a bug.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from senti_tui.run_state import RunState
from senti_tui.widgets.integrity_scatter import IntegrityScatter


class IntegrityPane(Vertical):
    def compose(self) -> ComposeResult:
        yield Static("", id="integrity-note")
        yield IntegrityScatter(id="integrity-plot")
        yield Static("", id="integrity-legend")

    def show(self, state: RunState) -> None:
        note = self.query_one("#integrity-note", Static)
        plot = self.query_one(IntegrityScatter)
        legend = self.query_one("#integrity-legend", Static)
        latest = next((e for e in reversed(state.epochs) if e.integrity_scatter), None)
        model_note = state.integrity_note()
        if latest is None:
            text = model_note if state.epochs or model_note else "waiting for the first validation epoch"
            note.update(text or "this model reported no integrity estimate")
            note.set_class(True, "alone")
            plot.display = legend.display = False
            self.border_subtitle = ""
            return
        note.update(model_note or "")
        note.set_class(False, "alone")
        note.display = bool(model_note)
        plot.display = legend.display = True
        plot.show(latest.integrity_scatter)
        legend.update(IntegrityScatter.legend_markup(list(latest.integrity_scatter), latest.integrity_r2))
        self.border_subtitle = f"x true · y estimated · epoch {latest.epoch}"
