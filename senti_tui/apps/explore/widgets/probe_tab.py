"""The Probe tab: the utterance table over the probe (the utterance as the model sees it, and the
controls) beside every model's prediction.

Its whole-split figure is the split's evaluation under the controls' settings: the table's
prediction and error columns and each card's whole-split line. It is kept fresh whatever tab is
on screen (the Curves tab marks the current setting with it, and ``e`` exports it).
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical

from core.probe.types import ModelInfo, ProbeResult, ProbeSettings, SplitEvaluation, Utterance
from senti_tui.apps.explore.backend import Cancelled, ProbeBackend
from senti_tui.apps.explore.split_pane import SplitPane, SplitRequest
from senti_tui.apps.explore.widgets.prediction_pane import PredictionPane
from senti_tui.apps.explore.widgets.probe_pane import ProbePane
from senti_tui.apps.explore.widgets.utterance_pane import UtterancePane

FRAME = "pane-frame"


class ProbeTab(SplitPane, Vertical):
    key = "probe"
    title = "Probe"
    help = (
        (
            "Probe",
            "the tokens as the model sees them — erased ones read [UNK] on red; the audio and vision "
            "strips draw each frame's energy with erased frames dimmed; 'kept' is the realised fraction.",
        ),
        (
            "Prediction",
            "● the score on the −3…+3 axis, ▲ the true label; per modality the estimated integrity "
            "beside the true one, the dominant modality highlighted. LNLN estimates language integrity only and "
            "its dominant modality is always language; DAR estimates no integrity and has no dominant modality.",
        ),
    )
    focus_target = "#utterance-table"
    pane_id = "probe-tab"
    always_fresh = True
    framed = False

    DEFAULT_CSS = """
    ProbeTab {
        height: 1fr;
    }
    ProbeTab #probe-row {
        height: auto;
        max-height: 75%;
    }
    """

    def __init__(self, models: list[ModelInfo], utterances: list[Utterance], **kwargs: Any) -> None:
        super().__init__(models, utterances, **kwargs)
        self.settings: ProbeSettings | None = None  # what the controls say
        self.probe_result: ProbeResult | None = None  # the utterance on screen

    def compose(self) -> ComposeResult:
        yield UtterancePane(id="utterances", classes=f"{FRAME} focus-ring")
        with Horizontal(id="probe-row"):
            yield ProbePane(id="probe", classes=f"{FRAME} focus-ring")
            yield PredictionPane(self.models, id="prediction", classes=FRAME)

    def on_mount(self) -> None:
        self.query_one(UtterancePane).border_title = "Utterances"
        self.query_one(ProbePane).border_title = "Probe — the utterance as the model sees it"
        prediction = self.query_one(PredictionPane)
        prediction.border_title = "Prediction" + (f" — {len(self.models)} models, identical mask" if len(self.models) > 1 else "")

    @property
    def utterance_pane(self) -> UtterancePane:
        return self.query_one(UtterancePane)

    # --- the utterance on screen ---------------------------------------------------------------
    def show_settings(self, settings: ProbeSettings, *, controls: bool = True) -> None:
        """The controls' settings (and set the controls to them unless they said it themselves)."""
        self.settings = settings
        if controls:
            self.query_one(ProbePane).show_settings(settings)

    def show_probe(self, result: ProbeResult) -> None:
        self.probe_result = result
        self.query_one(ProbePane).show_result(result, self.utterances[result.index])
        self._show_prediction()

    def _show_prediction(self) -> None:
        result = self.probe_result
        if result is None:
            return
        evaluations = self.current(result.settings) if result.settings == self.settings else None
        self.query_one(PredictionPane).show(result, evaluations, self.busy)

    # --- the split's evaluation ------------------------------------------------------------------
    def compute(self, probe: ProbeBackend, request: SplitRequest, cancelled: Cancelled) -> list[SplitEvaluation]:
        return probe.evaluate(request.settings, cancelled=cancelled)

    def show(self, result: list[SplitEvaluation]) -> None:
        if self.settings is not None and self.current(self.settings) is None:
            return  # computed for settings the controls have left since
        first = result[0] if result else None
        self.utterance_pane.set_predictions(first.predictions if first else None, first.model_key if first else "")
        self._show_prediction()

    def show_busy(self, busy: bool) -> None:
        self._show_prediction()
