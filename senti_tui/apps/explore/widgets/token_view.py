"""The text as the model sees it: erased tokens read [UNK] on red, [CLS]/[SEP] dimmed.

The [UNK] text itself (not only its colour) marks an erasure, so a screen capture shows it too.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from core.probe.types import DisplayInputs

SPECIAL = {"[CLS]", "[SEP]", "[PAD]"}
ERASED_STYLE = "bold #1c1c1c on #d75f5f"


def token_text(inputs: DisplayInputs) -> Text:
    if not inputs.present[0]:
        return Text("no text in this data set", style="italic dim")
    text = Text()
    for position, (token, erased) in enumerate(zip(inputs.tokens, inputs.token_erased)):
        if position:
            text.append(" ")
        if erased:
            text.append("[UNK]", style=ERASED_STYLE)
        elif token in SPECIAL:
            text.append(token, style="dim")
        else:
            text.append(token)
    return text


class TokenView(Static):
    def show(self, inputs: DisplayInputs) -> None:
        self.update(token_text(inputs))
