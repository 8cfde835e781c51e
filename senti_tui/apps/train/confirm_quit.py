"""Asks before stopping a live training: stopping saves last.pt and can be resumed."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label


class ConfirmQuit(ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "answer(True)", "Stop and save"),
        Binding("n,escape", "answer(False)", "Keep training"),
    ]

    def __init__(self, run_dir: str) -> None:
        super().__init__()
        self.run_dir = run_dir

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog"):
            yield Label("[b]Stop training?[/]", id="confirm-title")
            yield Label(
                "It stops after the current batch and saves last.pt"
                + (f" in {self.run_dir}" if self.run_dir else "")
                + "; continue later with --resume.",
                id="confirm-text",
                markup=False,
            )
            with Horizontal(id="confirm-buttons"):
                yield Button("Stop and save (y)", variant="error", id="confirm-yes")
                yield Button("Keep training (n)", variant="primary", id="confirm-no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
