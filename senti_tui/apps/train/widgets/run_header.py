"""One line naming the run: model, data, device, batch, run folder, and the labels that matter.

**SYNTHETIC** marks data from the generator (every figure on screen is about made-up data);
**TEST-SELECTED** marks LNLN's paper selection (best checkpoints chosen on the test split).
"""

from __future__ import annotations

from textual.markup import escape
from textual.widgets import Static

from senti_tui.run_state import RunState, model_display_name


class RunHeader(Static):
    def show(self, state: RunState, source_label: str, mode: str) -> None:
        started = state.started
        if started is None:
            self.update(f"[b]senti-tui {mode}[/]  {escape(source_label)}  [dim]waiting for the run to start…[/]")
            return
        parts = [
            f"[b]{escape(model_display_name(started.model))}[/]",
            f"data [b]{escape(started.dataset)}[/]",
            f"device {escape(started.device)}",
            f"batch {started.batch_size} × {started.steps_per_epoch} steps",
            f"run {escape(started.run_dir)}",
        ]
        badges = []
        if started.synthetic:
            badges.append("[b #000000 on #ffaf5f] SYNTHETIC [/]")
        if started.selection == "paper":
            badges.append("[b #ffffff on #d75f5f] TEST-SELECTED [/]")
        self.update(" │ ".join(parts) + ("  " + " ".join(badges) if badges else ""))
