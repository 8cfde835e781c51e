"""One model's answer for the utterance on screen: its score, class and error, the score on the
gauge with the true label, and its integrity estimates beside the true integrity with the
dominant modality marked — or, for models that have none, a plain sentence saying so.

```
Senti-iFusion +1.23  weakly positive    err −0.17
−3 ├──────┼──────┼──────┼━━━━━━┿━━●───┼──▲───┤ +3
  text   ██████████ 0.98  ██████████ 1.00  ◀ dominant
  audio  ██████░░░░ 0.61  ███████░░░ 0.70
  vision ██████████ 0.97  ██████████ 1.00
  whole split: MAE 0.712 · Corr 0.650 · Acc-7 41.2
```
"""

from __future__ import annotations

from rich.console import Group
from rich.padding import Padding
from rich.text import Text
from textual.widgets import Static

from core.models.registry import display_name as model_display_name
from core.models.registry import find_spec
from core.probe.types import MODALITY_NAMES, ModelInfo, ModelPrediction
from senti_tui.apps.explore.widgets.score_gauge import gauge_text
from senti_tui.metric_names import display_name, format_metric
from senti_tui.widgets.palette import hex_colour, modality_colour

TRUE_STYLE = "#bcbcbc"
SPLIT_KEYS = ("MAE", "Corr", "Mult_acc_7", "Mult_acc_2")


def integrity_note(info: ModelInfo) -> str | None:
    """What the model does not estimate, said plainly (None when it estimates all three)."""
    estimates = info.estimates_integrity
    spec = find_spec(info.model)
    if spec is not None and spec.explorer_note:
        return spec.explorer_note
    if not any(estimates) and not info.has_dominant:
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


def header_line(title: str, prediction: ModelPrediction, width: int = 56) -> Text:
    colour = "#87d787" if prediction.prediction >= 0 else "#ff8787"
    text = Text(f"{title:<14}", style="bold", no_wrap=True, overflow="ellipsis")
    text.append(f"{prediction.prediction:+.2f}", style="bold " + colour)
    # aligned columns when there is room, packed when the pane is narrow
    text.append(f"  {prediction.class7:<17}" if width >= 52 else f" {prediction.class7}")
    text.append(f"  err {prediction.error:+.2f}", style="bold #ff8787" if abs(prediction.error) >= 1.5 else "")
    return text


def split_line(metrics: dict[str, float] | None, busy: bool) -> Text:
    """The model over the whole split under the same settings (the utterance is one of them)."""
    if metrics is None:
        return Text("  whole split: " + ("computing…" if busy else "–"), style="dim")
    figures = " · ".join(f"{display_name(k)} {format_metric(k, metrics[k])}" for k in SPLIT_KEYS if k in metrics)
    return Text(f"  whole split: {figures}", style="dim")


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
    """Redrawn from the stored answer on every resize (the gauge and bars follow the width);
    a Static with auto height, so lines that wrap at a narrow width are still all shown."""

    def __init__(self, info: ModelInfo, title: str, **kwargs) -> None:
        super().__init__(Text(f"{title}  running…", style="dim"), **kwargs)
        self.info = info
        self.title = title
        self._shown: tuple | None = None
        self.plain = ""  # the card as plain text, one line per item (tests and scripts read it)

    def show(
        self,
        prediction: ModelPrediction,
        integrity_true: tuple[float, float, float],
        label: float,
        split_metrics: dict[str, float] | None,
        busy: bool,
    ) -> None:
        self._shown = (prediction, integrity_true, label, split_metrics, busy)
        self._redraw()

    def on_resize(self) -> None:
        self._redraw()

    def _redraw(self) -> None:
        if self._shown is None:
            return
        prediction, true, label, split_metrics, busy = self._shown
        width = self.content_size.width or 56
        lines: list[Text | Padding]
        lines = [header_line(self.title, prediction, width), gauge_text(prediction.prediction, label, width)]
        lines += integrity_lines(self.info, prediction, true, width)
        note = integrity_note(self.info)
        if note:
            lines.append(Padding(Text(note, style="italic #d7af5f"), (0, 0, 0, 2)))
        lines.append(split_line(split_metrics, busy))
        self.plain = "\n".join(str(line.renderable) if isinstance(line, Padding) else line.plain for line in lines)
        self.update(Group(*lines))
