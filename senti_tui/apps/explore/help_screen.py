"""The help screen (``?`` or F1): keys, the retention modes, and how to read the panes (each tab
says how to read itself: its ``help`` rows)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from senti_tui.apps.explore.settings import mode_description, mode_label

if TYPE_CHECKING:
    from senti_tui.apps.explore.split_pane import SplitPane

KEYS: tuple[tuple[str, str], ...] = (
    ("↑ ↓", "move through the utterances (the probe follows the cursor)"),
    ("/", "search ids and texts — Enter back to the table, Escape clears"),
    ("s", "sort the utterances: split order → largest error first → label"),
    ("Tab", "move between the table, the switches and the sliders"),
    ("← →", "on a slider: ±0.05 (shift+←/→ or PgUp/PgDn ±0.2, Home/End 0 or 1); or drag it"),
    ("space", "on a switch: toggle it"),
    ("l a v", "switch text (language), audio or vision on/off"),
    ("0 … 5", "a retention mode of Senti-iFusion's Table III (below)"),
    ("m", "resample the mask: the next mask seed, so the same rates erase other tokens/frames"),
    ("r", "reset: everything on, nothing erased, mask seed 1111"),
    ("[ ]", "previous / next tab ({tabs})"),
    ("e", "export the split's predictions under the current settings to a CSV file"),
    ("f", "save the Curves tab's figure (metrics against the erased fraction) as a PDF"),
    ("ctrl+p", "command palette: modes, switches, reset, resample, tabs, search, sort"),
    ("? F1", "this help (Escape closes) — q quits"),
)

# After the tabs' own rows.
READING: tuple[tuple[str, str], ...] = (
    (
        "Status line",
        "plain text for scripts: the utterance, the settings of the result shown, every "
        "model's prediction and dominant modality, the label.",
    ),
    (
        "Badges",
        "SYNTHETIC: generated data, every figure is about made-up data. TEST-SELECTED: the "
        "checkpoint was chosen on the test split, so its test figures are optimistic.",
    ),
)


def _two_columns(rows: tuple[tuple[str, str], ...], key_style: str) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style=key_style, no_wrap=True)
    table.add_column()
    for key, text in rows:
        table.add_row(key, text)
    return table


def help_renderable(tabs: Sequence[type[SplitPane]]) -> Group:
    modes = tuple((str(mode), f"{mode_label(mode)}: {mode_description(mode)}") for mode in range(6))
    titles = ", ".join(tab.title for tab in tabs)
    keys = tuple((key, text.format(tabs=titles) if key == "[ ]" else text) for key, text in KEYS)
    reading = tuple(row for tab in tabs for row in tab.help) + READING
    return Group(
        Text(
            "Pick an utterance, switch modalities off, drag how much of each is erased, and watch every "
            "model's prediction, its integrity estimates and its dominant modality change.\n"
        ),
        Text("Keys", style="bold underline"),
        _two_columns(keys, "bold #ffaf5f"),
        Text("\nRetention modes (Senti-iFusion, Table III: the modalities KEPT)", style="bold underline"),
        _two_columns(modes, "bold #ffaf5f"),
        Text("\nReading the screen", style="bold underline"),
        _two_columns(reading, "bold #5fafff"),
    )


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close")]

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen #help-dialog {
        width: 100;
        max-width: 95%;
        height: 90%;
        border: thick $primary 70%;
        border-title-color: $text;
        background: $surface;
        padding: 0 1;
    }
    """

    def __init__(self, tabs: Sequence[type[SplitPane]]) -> None:
        super().__init__()
        self.tabs = tabs

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog"):
            yield Static(help_renderable(self.tabs), id="help-text")

    def on_mount(self) -> None:
        self.query_one("#help-dialog").border_title = "senti-tui explore — help (Escape closes)"
