"""Every model's answer for the utterance on screen, one card per model, all under the same mask."""

from __future__ import annotations

from collections import Counter

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from core.models.registry import display_name as model_display_name
from core.probe.types import ModelInfo, ProbeResult, SplitEvaluation
from senti_tui.apps.explore.widgets.model_card import TRUE_STYLE, ModelCard
from senti_tui.apps.explore.widgets.score_gauge import LABEL, POSITIVE


def card_titles(models: list[ModelInfo]) -> list[str]:
    """Display names; the checkpoint key where two checkpoints share a model."""
    counts = Counter(info.model for info in models)
    return [model_display_name(info.model) if counts[info.model] == 1 else info.key for info in models]


def legend() -> Text:
    text = Text()
    text.append("●", style=POSITIVE)
    text.append(" prediction  ")
    text.append("▲", style=LABEL)
    text.append(" true label   bars: ")
    text.append("estimated", style="bold")
    text.append(" then ")
    text.append("true", style=TRUE_STYLE)
    text.append(" integrity")
    return text


class PredictionPane(VerticalScroll):
    DEFAULT_CSS = """
    PredictionPane {
        width: 1fr;
        height: auto;
        max-height: 22;
        padding: 0 1;
    }
    PredictionPane #prediction-legend {
        height: 1;
        color: $text-muted;
    }
    PredictionPane .model-card {
        height: auto;
    }
    """

    def __init__(self, models: list[ModelInfo], **kwargs) -> None:
        super().__init__(**kwargs)
        self.models = models

    def compose(self) -> ComposeResult:
        yield Static(legend(), id="prediction-legend")
        for index, (info, title) in enumerate(zip(self.models, card_titles(self.models))):
            yield ModelCard(info, title, id=f"model-card-{index}", classes="model-card")

    def show(self, result: ProbeResult, evaluations: list[SplitEvaluation] | None, busy: bool) -> None:
        metrics = {e.model_key: e.metrics for e in evaluations or []}
        by_key = {p.model_key: p for p in result.predictions}
        for card in self.query(ModelCard):
            prediction = by_key.get(card.info.key)
            if prediction is not None:
                card.show(prediction, result.integrity_true, result.label, metrics.get(card.info.key), busy)
