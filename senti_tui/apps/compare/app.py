"""The compare app: several run folders, their curves overlaid, re-read every second.

One panel per entry of :data:`senti_tui.run_compare.PANELS` (training loss, validation loss, valid
MAE and Corr against the epoch), one line per run in a fixed colour, and a table of each run's
status and best epoch. The folders' ``events.jsonl`` are re-read in a thread worker every
``interval`` seconds, so runs going on elsewhere grow as they train; ``q`` quits.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.widgets import DataTable, Footer, Static

from core.errors import SentiError
from senti_tui.run_compare import PANELS, SUMMARY_HEADER, RunCurves, read_runs, summary_rows
from senti_tui.widgets.line_plot import LinePlot, Series, integer_ticks
from senti_tui.widgets.palette import series_colour

CSS = """
#runs { height: auto; max-height: 12; }
#panels { grid-size: 2 2; height: 1fr; }
.panel { border: round $primary-darken-2; height: 1fr; }
.panel LinePlot { height: 1fr; }
.legend { height: auto; }
"""


class CompareApp(App[None]):
    CSS = CSS
    TITLE = "senti-tui watch"
    BINDINGS = [Binding("q", "quit", "Quit")]

    def __init__(self, folders: Sequence[str | Path], interval: float = 1.0) -> None:
        super().__init__()
        self.folders = [Path(f) for f in folders]
        self.interval = interval
        self.runs: list[RunCurves] = []
        self.errors: list[str] = []

    def compose(self) -> ComposeResult:
        yield DataTable(id="runs", cursor_type="none", zebra_stripes=True)
        with Grid(id="panels"):
            for index in range(len(PANELS)):
                with Vertical(classes="panel", id=f"panel-{index}"):
                    yield LinePlot(id=f"plot-{index}")
                    yield Static("", classes="legend", id=f"legend-{index}")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#runs", DataTable)
        table.add_columns(*SUMMARY_HEADER)
        for index, (title, _) in enumerate(PANELS):
            self.query_one(f"#panel-{index}").border_title = title
        self.sub_title = f"{len(self.folders)} runs"
        self._reload()
        self.set_interval(self.interval, self._reload)

    @work(thread=True, exclusive=True, group="reload", exit_on_error=False)
    def _reload(self) -> None:
        try:
            runs = read_runs(self.folders)
        except SentiError as error:
            self.call_from_thread(self._failed, str(error))
            return
        self.call_from_thread(self.show, runs)

    def _failed(self, text: str) -> None:
        if not self.errors or self.errors[-1] != text:
            self.errors.append(text)
            self.notify(text, title="watch", severity="error", timeout=8, markup=False)

    def show(self, runs: list[RunCurves]) -> None:
        self.runs = runs
        table = self.query_one("#runs", DataTable)
        table.clear()
        for index, row in enumerate(summary_rows(runs)):
            red, green, blue = series_colour(index)
            colour = f"#{red:02x}{green:02x}{blue:02x}"
            table.add_row(f"[{colour}]━[/] {row[0]}", *row[1:])
        last = max((r.epochs[-1] for r in runs if r.epochs), default=1)
        for index, (_title, key) in enumerate(PANELS):
            series = [Series(run.name, *run.curve(key), colour=series_colour(i)) for i, run in enumerate(runs)]
            self.query_one(f"#plot-{index}", LinePlot).show(
                series, xlabel="epoch", xlim=(0, max(last, 1)), xticks=integer_ticks(max(last, 1))
            )
            self.query_one(f"#legend-{index}", Static).update(LinePlot.legend_markup(series, width=60))
