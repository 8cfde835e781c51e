"""The help screen (``?`` or F1): keys, the retention modes, and how to read the panes."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from senti_tui.apps.explore.settings import mode_description, mode_label

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
    ("[ ]", "previous / next tab (Probe, Curves, Cases, Confusion, Calibration)"),
    ("e", "export the split's predictions under the current settings to a CSV file"),
    ("f", "save the Curves tab's figure (metrics against the erased fraction) as a PDF"),
    ("ctrl+p", "command palette: modes, switches, reset, resample, tabs, search, sort"),
    ("? F1", "this help (Escape closes) — q quits"),
)

READING: tuple[tuple[str, str], ...] = (
    ("Probe", "the tokens as the model sees them — erased ones read [UNK] on red; the audio and vision "
     "strips draw each frame's energy with erased frames dimmed; 'kept' is the realised fraction."),
    ("Prediction", "● the score on the −3…+3 axis, ▲ the true label; per modality the estimated integrity "
     "beside the true one, the dominant modality highlighted. LNLN estimates language integrity only and "
     "its dominant modality is always language; DAR estimates no integrity and has no dominant modality."),
    ("Curves", "a metric against the fraction erased from every modality switched on, over the whole split, "
     "the current setting marked; and the training history stored in the checkpoint."),
    ("Cases", "the worst utterances under the current settings; Enter opens one in the probe."),
    ("Confusion", "7-class confusion tables: a model collapsing onto one class shows as one bright column."),
    ("Calibration", "estimated against true integrity per utterance, with R² and slope per modality."),
    ("Status line", "plain text for scripts: the utterance, the settings of the result shown, every "
     "model's prediction and dominant modality, the label."),
    ("Badges", "SYNTHETIC: generated data, every figure is about made-up data. TEST-SELECTED: the "
     "checkpoint was chosen on the test split, so its test figures are optimistic."),
)


def _two_columns(rows: tuple[tuple[str, str], ...], key_style: str) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style=key_style, no_wrap=True)
    table.add_column()
    for key, text in rows:
        table.add_row(key, text)
    return table


def help_renderable() -> Group:
    modes = tuple((str(mode), f"{mode_label(mode)}: {mode_description(mode)}") for mode in range(6))
    return Group(
        Text("Pick an utterance, switch modalities off, drag how much of each is erased, and watch every "
             "model's prediction, its integrity estimates and its dominant modality change.\n"),
        Text("Keys", style="bold underline"),
        _two_columns(KEYS, "bold #ffaf5f"),
        Text("\nRetention modes (Senti-iFusion, Table III: the modalities KEPT)", style="bold underline"),
        _two_columns(modes, "bold #ffaf5f"),
        Text("\nReading the screen", style="bold underline"),
        _two_columns(READING, "bold #5fafff"),
    )


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog"):
            yield Static(help_renderable(), id="help-text")

    def on_mount(self) -> None:
        self.query_one("#help-dialog").border_title = "senti-tui explore — help (Escape closes)"
