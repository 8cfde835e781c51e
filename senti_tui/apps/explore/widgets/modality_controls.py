"""Per modality: a switch (on/off written beside it — a switch's state is colour only), a slider
for the fraction of tokens or frames erased, its value, and the realised kept fraction.

User changes post :class:`ControlsChanged`; :meth:`ModalityControls.show` sets every control
quietly to what the app's settings say (after a mode key, a reset or a resample).
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Switch

from core.probe.types import MODALITY_NAMES, ProbeSettings
from senti_tui.apps.explore.messages import ControlsChanged
from senti_tui.widgets.float_slider import FloatSlider

SLIDER_STEP = 0.05
SLIDER_BIG_STEP = 0.2


class ModalityRow(Horizontal):
    DEFAULT_CSS = """
    ModalityRow {
        height: 1;
    }
    ModalityRow .modality-name {
        width: 7;
        text-style: bold;
    }
    ModalityRow Switch {
        border: none;
        padding: 0;
        height: 1;
        width: 4;
        margin-right: 1;
    }
    ModalityRow Switch:focus {
        border: none;
        text-style: reverse;
    }
    ModalityRow .switch-state {
        width: 4;
        color: $text-muted;
    }
    ModalityRow.-off .modality-name {
        color: $text-disabled;
        text-style: strike;
    }
    ModalityRow .rate-value {
        width: 5;
        margin-left: 1;
        text-style: bold;
    }
    ModalityRow .kept-value {
        width: 10;
        margin-left: 1;
        color: $text-muted;
    }
    """

    def __init__(self, modality: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.modality = modality

    def compose(self) -> ComposeResult:
        name = MODALITY_NAMES[self.modality]
        yield Label(name, classes="modality-name")
        yield Switch(value=True, animate=False, id=f"switch-{name}")
        yield Label("on", classes="switch-state")
        yield FloatSlider(0.0, step=SLIDER_STEP, big_step=SLIDER_BIG_STEP, id=f"slider-{name}")
        yield Label("0.00", classes="rate-value")
        yield Label("", classes="kept-value")

    @property
    def switch(self) -> Switch:
        return self.query_one(Switch)

    @property
    def slider(self) -> FloatSlider:
        return self.query_one(FloatSlider)

    def show(self, on: bool, rate: float) -> None:
        with self.switch.prevent(Switch.Changed):
            self.switch.value = on
        self.slider.set_value(rate, quiet=True)
        self._describe(on, self.slider.value)

    def show_kept(self, present: bool, nominal: float, realised: float) -> None:
        label = self.query_one(".kept-value", Label)
        label.update("absent" if not present else f"kept {realised:.2f}")
        # A modality the data set does not have (label.csv: text only) cannot be switched or erased.
        self.switch.disabled = not present
        self.slider.disabled = not present

    def _describe(self, on: bool, rate: float) -> None:
        self.query_one(".switch-state", Label).update("on" if on else "off")
        self.query_one(".rate-value", Label).update(f"{rate:.2f}")
        self.set_class(not on, "-off")
        self.slider.set_class(not on, "-off")

    @on(Switch.Changed)
    def _switched(self, event: Switch.Changed) -> None:
        event.stop()
        self._describe(event.value, self.slider.value)
        self.post_message(ControlsChanged(self.modality, enabled=event.value))

    @on(FloatSlider.Changed)
    def _slid(self, event: FloatSlider.Changed) -> None:
        event.stop()
        self._describe(self.switch.value, event.value)
        self.post_message(ControlsChanged(self.modality, rate=event.value))


class ModalityControls(Vertical):
    def compose(self) -> ComposeResult:
        for modality in range(3):
            yield ModalityRow(modality, id=f"row-{MODALITY_NAMES[modality]}")

    def rows(self) -> list[ModalityRow]:
        return list(self.query(ModalityRow))

    def show(self, settings: ProbeSettings) -> None:
        for row, enabled, rate in zip(self.rows(), settings.enabled, settings.rates):
            row.show(enabled, rate)

    def show_kept(self, present: tuple[bool, bool, bool], nominal, realised) -> None:
        for row, p, n, r in zip(self.rows(), present, nominal, realised):
            row.show_kept(p, n, r)
