"""Failure cases under the current settings: largest errors, polarity flips relative to the
complete input, integrity misestimates. Enter (or a click on the highlighted row) opens the case
in the probe.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from core.probe.types import Case, ModelInfo, Utterance
from senti_tui.apps.explore.backend import Cancelled, ProbeBackend
from senti_tui.apps.explore.messages import CaseChosen
from senti_tui.apps.explore.split_pane import SplitPane, SplitRequest
from senti_tui.apps.explore.widgets.utterance_pane import short_id

CASE_LIMIT = 20  # per model and kind of case
FIXED_COLUMNS = (("model", 14), ("kind", 21), ("#", 5), ("id", 16), ("score", 6))
KIND_PLURALS = {"error": "large errors", "polarity flip": "polarity flips", "integrity misestimate": "integrity misestimates"}
KIND_STYLES = {"error": "#ff8787", "polarity flip": "#d7afff", "integrity misestimate": "#ffd75f"}


class CasesTable(DataTable):
    pass


class CasesPane(SplitPane, Vertical):
    key = "cases"
    title = "Cases"
    help = (("Cases", "the worst utterances under the current settings; Enter opens one in the probe."),)
    focus_target = "#cases-table"

    DEFAULT_CSS = """
    CasesPane {
        height: 1fr;
        padding: 0 1;
    }
    CasesPane #cases-summary {
        height: auto;
        margin-bottom: 1;
    }
    CasesPane #cases-table {
        height: 1fr;
    }
    """

    def __init__(self, models: list[ModelInfo], utterances: list[Utterance], **kwargs) -> None:
        super().__init__(models, utterances, **kwargs)
        self.cases: list[Case] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="cases-summary")
        yield CasesTable(id="cases-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self._columns()
        self.query_one("#cases-summary", Static).update("computing the failure cases…")

    def _columns(self) -> None:
        """Fixed columns, and the detail column takes the rest of the width (it is the reason)."""
        table = self.query_one(CasesTable)
        table.clear(columns=True)
        fixed = sum(width + 2 for _name, width in FIXED_COLUMNS)
        detail = max(30, (self.content_size.width or 116) - fixed - 4)
        for name, width in (*FIXED_COLUMNS, ("detail", detail)):
            table.add_column(name, width=width, key=name)

    def on_resize(self) -> None:
        if self.shown is not None:
            self.show(self.cases)  # rows again, in the new widths
        else:
            self._columns()

    def compute(self, probe: ProbeBackend, request: SplitRequest, cancelled: Cancelled) -> list[Case]:
        return probe.cases(request.settings, CASE_LIMIT, cancelled=cancelled)

    def show_busy(self, busy: bool) -> None:
        self.query_one(CasesTable).loading = busy

    def show(self, result: list[Case]) -> None:
        assert self.shown is not None  # show() follows a compute() for self.shown
        cases, utterances = result, self.utterances
        settings = self.shown.settings
        self.cases = cases
        self._columns()
        table = self.query_one(CasesTable)
        for case in cases:
            utterance = utterances[case.index] if 0 <= case.index < len(utterances) else None
            table.add_row(
                case.model_key,
                Text(case.kind, style=KIND_STYLES.get(case.kind, "")),
                Text(str(case.index), justify="right"),
                short_id(utterance.id) if utterance else "?",
                Text(f"{case.score:.2f}", justify="right"),
                case.detail,
            )
        counts: dict[str, int] = {}
        for case in cases:
            counts[case.kind] = counts.get(case.kind, 0) + 1
        summary = ", ".join(f"{n} {KIND_PLURALS.get(kind, kind)}" for kind, n in counts.items()) or "no failure cases"
        self.query_one("#cases-summary", Static).update(
            f"Under [b]{settings.status()}[/]: {summary}.  Enter opens a case in the probe."
        )

    @on(DataTable.RowSelected, "#cases-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if 0 <= event.cursor_row < len(self.cases):
            self.post_message(CaseChosen(self.cases[event.cursor_row].index))
