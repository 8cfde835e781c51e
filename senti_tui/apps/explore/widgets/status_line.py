"""The plain-text status line (see :mod:`senti_tui.apps.explore.status`); no colour carries meaning."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from core.probe.types import ProbeResult
from senti_tui.apps.explore.status import status_text


class ExploreStatus(Static):
    DEFAULT_CSS = """
    ExploreStatus {
        height: auto;
        max-height: 2;
        padding: 0 1;
        background: $boost;
    }
    """

    def show(self, result: ProbeResult | None) -> None:
        # Wraps to a second line (between fields) rather than losing the end: scripts read it all.
        self.update(Text(status_text(result)))
