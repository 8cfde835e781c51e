"""The split as a table: index, id, true label, text, the current prediction and its error.

``/`` opens a search box (id or text, case-insensitive; Enter goes back to the table, Escape
clears it); ``s`` cycles the order (split order → largest error first → label). Moving the
cursor posts :class:`UtteranceChosen`; rebuilding the table (a search, a sort, new predictions)
keeps the cursor on the same utterance and posts nothing.
"""

from __future__ import annotations

import math

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Input

from core.probe.types import Utterance
from senti_tui.apps.explore.messages import UtteranceChosen

SORTS: tuple[str, ...] = ("index", "error", "label")
SORT_NAMES = {"index": "split order", "error": "largest error first", "label": "label"}
FIXED_COLUMNS = (("#", 5), ("id", 16), ("label", 6), ("pred", 6), ("err", 6))
ID_WIDTH = FIXED_COLUMNS[1][1]


def short_id(text: str, width: int = ID_WIDTH) -> str:
    """Ids that do not fit keep their end: MOSI's ``<video>$_$<clip>`` differ only in the clip."""
    if len(text) <= width:
        return text
    tail = text.rsplit("$_$", 1)[-1] if "$_$" in text else text[-4:]
    tail = tail[-(width // 2) :]
    return text[: width - len(tail) - 1] + "…" + tail


class UtteranceTable(DataTable):
    """A DataTable whose rows are utterance indices (row key = str(index))."""


class SearchBox(Input):
    BINDINGS = [Binding("escape", "close", "Close search", show=False)]

    def action_close(self) -> None:
        self.value = ""
        pane = self.parent
        if isinstance(pane, UtterancePane):
            pane.close_search()


class UtterancePane(Vertical):
    DEFAULT_CSS = """
    UtterancePane {
        height: 1fr;
        min-height: 5;
    }
    UtterancePane #search {
        display: none;
        height: 1;
        border: none;
        padding: 0 1;
        background: $boost;
    }
    UtterancePane #search.-open {
        display: block;
    }
    UtterancePane #utterance-table {
        height: 1fr;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.utterances: list[Utterance] = []
        self.predictions: list[float] | None = None
        self.prediction_model = ""
        self.sort = "index"
        self.query_text = ""
        self.current: int | None = None
        self.shown: list[int] = []

    def compose(self) -> ComposeResult:
        yield SearchBox(placeholder="search id or text (Enter: back to the table, Escape: clear)", id="search")
        table = UtteranceTable(id="utterance-table", cursor_type="row", zebra_stripes=True)
        yield table

    @property
    def table(self) -> UtteranceTable:
        return self.query_one(UtteranceTable)

    # --- data -----------------------------------------------------------------------------------
    def set_utterances(self, utterances: list[Utterance]) -> None:
        self.utterances = utterances
        if self.content_size.width:  # not yet laid out: the first resize builds the table at its width
            self.rebuild()

    def set_predictions(self, predictions: list[float] | None, model_key: str) -> None:
        self.predictions = predictions
        self.prediction_model = model_key
        self.rebuild()

    def error_of(self, index: int) -> float | None:
        if self.predictions is None or index >= len(self.predictions):
            return None
        return self.predictions[index] - self.utterances[index].label

    # --- search and sort ------------------------------------------------------------------------
    def open_search(self) -> None:
        box = self.query_one(SearchBox)
        box.add_class("-open")
        box.focus()

    def close_search(self) -> None:
        box = self.query_one(SearchBox)
        box.remove_class("-open")
        if self.query_text:
            self.search("")
        self.table.focus()

    def search(self, text: str) -> None:
        self.query_text = text.strip().lower()
        self.rebuild()

    def cycle_sort(self) -> str:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self.rebuild()
        return self.sort

    def set_sort(self, sort: str) -> None:
        self.sort = sort
        self.rebuild()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.search(event.value)

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.table.focus()

    @on(DataTable.HeaderSelected)
    def _header_clicked(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        by_column = {"#": "index", "id": "index", "label": "label", "err": "error", "pred": "error"}
        self.set_sort(by_column.get(str(event.label), self.sort))

    # --- rows -----------------------------------------------------------------------------------
    def _order(self) -> list[int]:
        indices = [u.index for u in self.utterances if self._matches(u)]
        if self.sort == "error" and self.predictions is not None:
            indices.sort(key=lambda i: -abs(self.error_of(i) or 0.0))
        elif self.sort == "label":
            indices.sort(key=lambda i: (self.utterances[i].label, i))
        return indices

    def _matches(self, utterance: Utterance) -> bool:
        return not self.query_text or self.query_text in utterance.text.lower() or self.query_text in utterance.id.lower()

    def _text_width(self) -> int:
        fixed = sum(width + 2 for _name, width in FIXED_COLUMNS)
        # minus the text column's padding (2), the vertical scrollbar (2) and a spare column, so
        # that no horizontal scrollbar appears
        return max(16, (self.content_size.width or 116) - fixed - 5)

    def rebuild(self) -> None:
        """Fill the table again and put the cursor back on the current utterance, silently."""
        table = self.table
        self.shown = self._order()
        text_width = self._text_width()
        with table.prevent(DataTable.RowHighlighted):
            table.clear(columns=True)
            for name, width in FIXED_COLUMNS[:3]:
                table.add_column(name, width=width, key=name)
            table.add_column("text", width=text_width, key="text")
            for name, width in FIXED_COLUMNS[3:]:
                table.add_column(name, width=width, key=name)
            table.add_rows(
                [self._row(self.utterances[i], text_width) for i in self.shown],
            )
            # add_rows takes no keys; the row order is self.shown.
            if self.current is not None and self.current in self.shown:
                table.move_cursor(row=self.shown.index(self.current), animate=False)
        self._describe()

    def _row(self, utterance: Utterance, text_width: int) -> tuple:
        error = self.error_of(utterance.index)
        prediction = None if self.predictions is None else self.predictions[utterance.index]
        text = utterance.text if len(utterance.text) <= text_width else utterance.text[: text_width - 1] + "…"
        return (
            Text(str(utterance.index), justify="right"),
            short_id(utterance.id),
            Text(f"{utterance.label:+.2f}", justify="right"),
            text,
            Text("…" if prediction is None else _signed(prediction), justify="right"),
            _error_text(error),
        )

    def _describe(self) -> None:
        shown = f"{len(self.shown)} of {len(self.utterances)}" if self.query_text else f"{len(self.shown)}"
        search = f" · search “{self.query_text}”" if self.query_text else ""
        pred = f" · pred/err: {self.prediction_model} under the current settings" if self.prediction_model else ""
        self.border_subtitle = f"{shown} shown · {SORT_NAMES[self.sort]}{search}{pred}"

    def select(self, index: int) -> None:
        """Put the cursor on an utterance without posting UtteranceChosen (the app loads it)."""
        self.current = index
        if index not in self.shown:
            self.query_text = ""
            self.query_one(SearchBox).value = ""
            self.rebuild()
            return
        with self.table.prevent(DataTable.RowHighlighted):
            self.table.move_cursor(row=self.shown.index(index), animate=False)

    def on_resize(self) -> None:
        if self.utterances:
            self.rebuild()

    @on(DataTable.RowHighlighted, "#utterance-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        row = event.cursor_row
        if 0 <= row < len(self.shown) and self.shown[row] != self.current:
            self.current = self.shown[row]
            self.post_message(UtteranceChosen(self.current))


def _signed(value: float) -> str:
    return "nan" if math.isnan(value) else f"{value:+.2f}"


def _error_text(error: float | None) -> Text:
    if error is None:
        return Text("")
    style = "bold #ff8787" if abs(error) >= 1.5 else ("#ffd75f" if abs(error) >= 0.75 else "")
    return Text(_signed(error), style=style, justify="right")
