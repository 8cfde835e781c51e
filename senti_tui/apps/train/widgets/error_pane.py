"""The error of a failed run (its one line, then the end of the traceback), shown in the app."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from senti_tui.run_state import RunState

TRACEBACK_LINES = 6


class ErrorPane(Static):
    def show(self, state: RunState) -> None:
        failed = state.failed
        self.display = failed is not None
        if failed is None:
            return
        text = Text()
        text.append("Training failed: ", style="bold")
        text.append(failed.error)
        tail = [line for line in failed.traceback.strip().splitlines() if line.strip()][-TRACEBACK_LINES:]
        if tail:
            text.append("\n" + "\n".join(tail), style="dim")
        self.update(text)
