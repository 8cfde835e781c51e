"""The help screen (``?`` or F1): keys, the retention modes, and how to read the panes."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

from core.missingness import RETENTION_MODES

HELP = """\
# senti-tui explore

Pick an utterance, switch modalities off, drag how much of each is erased, and watch every
model's prediction, its estimate of each modality's integrity and its dominant modality change.

## Keys
| key | does |
|---|---|
| ↑ ↓ | move through the utterances (the probe follows the cursor) |
| `/` | search ids and texts — Enter back to the table, Escape clears |
| `s` | sort: split order → largest error first → label |
| Tab | move between the table, the switches and the sliders |
| ← → | on a slider: ±0.05 (shift or PgUp/PgDn: ±0.2; Home/End: 0 or 1) |
| space | on a switch: toggle it |
| `l` `a` `v` | switch text, audio or vision on/off |
| `0`…`5` | a retention mode (below) |
| `m` | resample the mask (next mask seed: the same rates erase other tokens and frames) |
| `r` | reset: everything on, nothing erased, seed 1111 |
| `[` `]` | previous / next tab |
| ctrl+p | command palette (modes, reset, resample, tabs, sort, search) |
| `?` F1 | this help — `q` quits |

## Retention modes (Senti-iFusion, Table III)
| key | keeps |
|---|---|
{modes}

## Reading the screen
- **Probe**: the tokens as the model sees them — erased ones read **[UNK]** on red; the audio and
  vision strips draw each frame's energy, erased frames dimmed; `kept` is the realised fraction.
- **Prediction**: ● the score on the −3…+3 axis, ▲ the true label; per modality the model's
  estimated integrity beside the true one, the dominant modality highlighted. LNLN estimates
  language integrity only and its dominant modality is always language; DAR estimates no
  integrity and has no dominant modality.
- **Curves**: a metric against the fraction erased from every modality switched on, over the
  whole split, the current setting marked; and the training history from the checkpoint.
- **Cases**: the worst utterances under the current settings; Enter opens one in the probe.
- **Confusion**, **Calibration**: 7-class confusion tables; estimated vs true integrity with R²
  and slope.
- The **status line** at the bottom is plain text for scripts: the utterance, the settings of the
  result shown, and every model's prediction and dominant modality.
- **SYNTHETIC** in the header: the data is generated, every figure is about made-up data.
  **TEST-SELECTED**: the checkpoint was chosen on the test split, so test figures are optimistic.
"""


def help_markdown() -> str:
    names = {"l": "language", "a": "audio", "v": "vision"}
    modes = "\n".join(
        f"| `{mode}` | {{{','.join(kept)}}} — {', '.join(names[k] for k in kept)} |" for mode, kept in RETENTION_MODES.items()
    )
    return HELP.replace("{modes}", modes)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark,f1", "dismiss", "Close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog"):
            yield Markdown(help_markdown())

    def on_mount(self) -> None:
        self.query_one("#help-dialog").border_title = "Help — Escape closes"
