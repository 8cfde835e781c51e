"""7-class confusion tables, one per model: rows are the true class, columns the predicted one.

Cells are shaded by the share of their row, so a model that collapses onto one class under heavy
loss shows as a single bright column.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from core.probe.types import CLASS7_NAMES
from senti_tui.apps.explore.backend import Cancelled, ProbeBackend
from senti_tui.apps.explore.split_pane import SplitPane, SplitRequest

CLASSES = list(range(-3, 4))


def _shade(share: float, diagonal: bool) -> str:
    level = int(40 + 160 * share)
    colour = f"#{level // 3:02x}{level // 2:02x}{level:02x}" if not diagonal else f"#{level // 3:02x}{level:02x}{level // 3:02x}"
    return f"on {colour}" if share > 0 else ""


def confusion_table(key: str, matrix: list[list[int]]) -> Table:
    total = sum(sum(row) for row in matrix)
    correct = sum(matrix[i][i] for i in range(min(len(matrix), 7)))
    accuracy = f"Acc-7 {100.0 * correct / total:.1f}%" if total else "no utterances"
    table = Table(
        title=f"[b]{key}[/]  {accuracy}  (rows: true class, columns: predicted)",
        title_justify="left",
        expand=False,
        box=None,
        padding=(0, 1),
    )
    table.add_column("true \\ pred", justify="left", no_wrap=True)
    for c in CLASSES:
        table.add_column(f"{c:+d}" if c else "0", justify="right", width=5)
    table.add_column("n", justify="right", style="dim")
    for r, row in enumerate(matrix):
        n = sum(row)
        cells = []
        for c, count in enumerate(row):
            share = count / n if n else 0.0
            style = _shade(share, r == c) + (" bold" if r == c else "")
            cells.append(Text(str(count), style=style.strip(), justify="right"))
        label = CLASSES[r]
        sign = f"{label:+d}" if label else " 0"
        table.add_row(Text(f"{sign} {CLASS7_NAMES.get(label, str(label))}"), *cells, str(n))
    return table


class ConfusionPane(SplitPane, VerticalScroll):
    key = "confusion"
    title = "Confusion"
    help = (("Confusion", "7-class confusion tables: a model collapsing onto one class shows as one bright column."),)
    focus_target = "#confusion"

    DEFAULT_CSS = """
    ConfusionPane {
        height: 1fr;
        padding: 0 1;
    }
    ConfusionPane #confusion-summary {
        height: auto;
        margin-bottom: 1;
    }
    ConfusionPane .confusion-table {
        height: auto;
        margin-bottom: 1;
    }
    """

    def compose(self) -> ComposeResult:
        yield Static("computing the confusion tables…", id="confusion-summary")
        for index, _info in enumerate(self.models):
            yield Static("", id=f"confusion-{index}", classes="confusion-table")

    def compute(self, probe: ProbeBackend, request: SplitRequest, cancelled: Cancelled) -> dict[str, list[list[int]]]:
        return probe.confusion(request.settings, cancelled=cancelled)

    def show(self, result: dict[str, list[list[int]]]) -> None:
        assert self.shown is not None  # show() follows a compute() for self.shown
        matrices = result
        self.query_one("#confusion-summary", Static).update(f"Under [b]{self.shown.settings.status()}[/]")
        for index, info in enumerate(self.models):
            matrix = matrices.get(info.key)
            widget = self.query_one(f"#confusion-{index}", Static)
            widget.update(confusion_table(info.key, matrix) if matrix is not None else f"{info.key}: no table")
