"""One line naming what is probed: the model(s), the data set and split, and the labels that matter.

**SYNTHETIC**: the data comes from the generator, so every figure on screen is about made-up data.
**TEST-SELECTED**: a checkpoint was chosen on the test split (LNLN's paper selection), so its
test figures are optimistic.
"""

from __future__ import annotations

from pathlib import Path

from textual.markup import escape
from textual.widgets import Static

from core.models.registry import display_name as model_display_name
from core.probe.types import ModelInfo

SYNTHETIC_BADGE = "[b #000000 on #ffaf5f] SYNTHETIC [/]"
TEST_SELECTED_STYLE = "b #ffffff on #d75f5f"


def model_title(info: ModelInfo) -> str:
    """``Senti-iFusion (demo.pt, epoch 9)``"""
    return f"{model_display_name(info.model)} ({Path(info.path).name}, epoch {info.epoch})"


class ExploreHeader(Static):
    DEFAULT_CSS = """
    ExploreHeader {
        height: 1;
        padding: 0 1;
        background: $panel;
    }
    """

    def show(self, models: list[ModelInfo], dataset_label: str, synthetic: bool) -> None:
        # Badges first: they are what must never be cropped at the right edge.
        parts = [
            # one model: name, file and epoch; several: their names (each card names its own)
            f"[b]{escape(model_title(models[0]))}[/]"
            if len(models) == 1
            else " + ".join(f"[b]{escape(model_display_name(info.model))}[/]" for info in models),
            f"data [b]{escape(dataset_label)}[/]",
        ]
        badges = []
        if synthetic or any(info.synthetic for info in models):
            badges.append(SYNTHETIC_BADGE)
        test_selected = [info for info in models if info.test_selected]
        if test_selected:
            # with several checkpoints, name the ones selected on test inside the badge
            who = "" if len(models) == 1 else " " + ", ".join(escape(info.key) for info in test_selected)
            badges.append(f"[{TEST_SELECTED_STYLE}] TEST-SELECTED{who} [/]")
        self.update((" ".join(badges) + "  " if badges else "") + " │ ".join(parts))
