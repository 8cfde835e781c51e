"""One model's answer for the utterance on screen: its score, class and error, the score on the
gauge with the true label, and its integrity estimates beside the true integrity with the
dominant modality marked — or, for models that have none, a plain sentence saying so.

```
Senti-iFusion  +1.23  weakly positive   err −0.17   split MAE 0.712
−3 ├──────┼──────┼──────┼━━━━━━┿━━●───┼──▲───┤ +3
  text   ██████████ 0.98  ██████████ 1.00  ◀ dominant
  audio  ██████░░░░ 0.61  ███████░░░ 0.70
```
"""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.widgets import Static

from core.probe.types import MODALITY_NAMES, ModelInfo, ModelPrediction
from senti_tui.apps.explore.widgets.score_gauge import gauge_text
from senti_tui.run_state import model_display_name
from senti_tui.widgets.palette import hex_colour, modality_colour

TRUE_STYLE = "#bcbcbc"


def integrity_note(info: ModelInfo) -> str | None:
    """What the model does not estimate, said plainly (None when it estimates all three)."""
    estimates = info.estimates_integrity
    if info.model == "lnln":
        return "LNLN estimates language integrity only, dominant is always language"
    if info.model == "dar" or (not any(estimates) and not info.has_dominant):
        return f"{model_display_name(info.model)} estimates no integrity and has no dominant modality"
    if not all(estimates):
        named = ", ".join(name for name, on in zip(MODALITY_NAMES, estimates) if on) or "no modality"
        return f"{model_display_name(info.model)} estimates integrity for {named} only"
    return None


def bar(value: float | None, cells: int, style: str) -> Text:
    if value is None:
        return Text("·" * cells, style="dim")
    filled = round(min(1.0, max(0.0, value)) * cells)
    return Text("█" * filled, style=style) + Text("░" * (cells - filled), style="#444444")


def header_line(title: str, prediction: ModelPrediction, split_mae: float | None, busy: bool) -> Text:
    colour = "#87d787" if prediction.prediction >= 0 else "#ff8787"
    text = Text(f"{title:<14}", style="bold")
    text.append(f"{prediction.prediction:+.2f}", style="bold " + colour)
    text.append(f"  {prediction.class7:<17}")
    text.append(f" err {prediction.error:+.2f}", style="bold #ff8787" if abs(prediction.error) >= 1.5 else "")
    if split_mae is not None:
        text.append(f"   split MAE {split_mae:.3f}", style="dim")
    elif busy:
        text.append("   split MAE …", style="dim")
    return text


def integrity_lines(info: ModelInfo, prediction: ModelPrediction, true: tuple[float, float, float], width: int) -> list[Text]:
    cells = max(4, min(10, (width - 33) // 2))
    lines = []
    for modality, name in enumerate(MODALITY_NAMES):
        if not info.estimates_integrity[modality]:
            continue
        colour = hex_colour(modality_colour(name))
        dominant = prediction.dominant == modality
        line = Text("  ")
        line.append(f"{name:<6}", style=f"bold #000000 on {colour}" if dominant else f"bold {colour}")
        line.append(" ")
        estimate = prediction.integrity[modality]
        line.append_text(bar(estimate, cells, colour))
        line.append(" –   " if estimate is None else f" {estimate:.2f}")
        line.append("  ")
        line.append_text(bar(true[modality], cells, TRUE_STYLE))
        line.append(f" {true[modality]:.2f}", style=TRUE_STYLE)
        if dominant:
            line.append("  ◀ dominant", style="bold")
        lines.append(line)
    return lines


class ModelCard(Static):
    def __init__(self, info: ModelInfo, title: str, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.info = info
        self.title = title
        self._shown: tuple | None = None

    def show(self, prediction: ModelPrediction, integrity_true: tuple[float, float, float], label: float, split_mae: float | None, busy: bool) -> None:
        self._shown = (prediction, integrity_true, label, split_mae, busy)
        self.refresh(layout=True)

    def render(self):
        if self._shown is None:
            return Text(f"{self.title}  running…", style="dim")
        prediction, true, label, split_mae, busy = self._shown
        width = self.content_region.width or self.size.width or 56
        lines = [header_line(self.title, prediction, split_mae, busy), gauge_text(prediction.prediction, label, width)]
        lines += integrity_lines(self.info, prediction, true, width)
        note = integrity_note(self.info)
        if note:
            lines.append(Text("  " + note, style="italic #d7af5f"))
        return Group(*lines)

    def get_content_height(self, container, viewport, width: int) -> int:
        if self._shown is None:
            return 1
        note = 1 if integrity_note(self.info) else 0
        return 2 + sum(self.info.estimates_integrity) + note
