"""The utterance as the model sees it, and the controls that erase parts of it.

A title line (which utterance, its true label), the tokens with erasures as [UNK], the audio and
vision frame strips with erased frames dimmed, then one row of controls per modality.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.markup import escape
from textual.widgets import Static

from core.probe.types import ProbeResult, ProbeSettings, Utterance
from senti_tui.apps.explore.settings import mode_label
from senti_tui.apps.explore.widgets.frame_strip import FrameStrip
from senti_tui.apps.explore.widgets.modality_controls import ModalityControls
from senti_tui.apps.explore.widgets.token_view import TokenView


def title_markup(utterance: Utterance, class7: str | None, settings: ProbeSettings) -> str:
    label = f"label [b]{utterance.label:+.2f}[/]" + (f" {escape(class7)}" if class7 else "")
    mode = f" · [b]{escape(mode_label(settings.mode))}[/]" if settings.mode is not None else ""
    return f"[b]#{utterance.index}[/] {escape(utterance.id)} · {label}{mode}"


class ProbePane(Vertical):
    DEFAULT_CSS = """
    ProbePane {
        width: 1fr;
        height: auto;
        padding: 0 1;
    }
    ProbePane #probe-title {
        height: 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    ProbePane #tokens {
        height: auto;
        max-height: 4;
        margin-bottom: 0;
    }
    ProbePane #controls {
        height: auto;
    }
    """

    def compose(self) -> ComposeResult:
        yield Static("", id="probe-title")
        yield TokenView("", id="tokens")
        yield FrameStrip("audio", id="strip-audio")
        yield FrameStrip("vision", id="strip-vision")
        yield ModalityControls(id="controls")

    @property
    def controls(self) -> ModalityControls:
        return self.query_one(ModalityControls)

    def show_settings(self, settings: ProbeSettings) -> None:
        self.controls.show(settings)

    def show_result(self, result: ProbeResult, utterance: Utterance) -> None:
        inputs = result.inputs
        self.query_one("#probe-title", Static).update(title_markup(utterance, result.label_class7, result.settings))
        self.query_one(TokenView).show(inputs)
        self.query_one("#strip-audio", FrameStrip).show(inputs.audio_energy, inputs.audio_kept, inputs.present[1])
        self.query_one("#strip-vision", FrameStrip).show(inputs.vision_energy, inputs.vision_kept, inputs.present[2])
        self.controls.show_kept(inputs.present, result.integrity_true, result.integrity_realised)
        self.border_subtitle = f"mask seed {result.settings.mask_seed} (m: next) · r: reset"
