"""A one-line float slider (Textual ships none; ``textual-slider`` is integer-only).

Drag it with the mouse (the mouse is captured while the button is down, so the drag may leave
the track) or move it with the keys: left/right by ``step``, shift+left/right or page up/down by
``big_step``, home/end to the ends. Every change of value posts :class:`FloatSlider.Changed`;
the initial value and :meth:`FloatSlider.set_value` with ``quiet=True`` post nothing, so an app
can show a setting without it coming back as a user's change.

Track: ``━━━━━━━●──────────`` — filled up to the thumb, dim after it.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


class FloatSlider(Widget, can_focus=True):
    BINDINGS = [
        Binding("left", "nudge(-1)", "Less", show=False),
        Binding("right", "nudge(1)", "More", show=False),
        Binding("shift+left,pagedown", "nudge(-5)", "Much less", show=False),
        Binding("shift+right,pageup", "nudge(5)", "Much more", show=False),
        Binding("home", "to_end(0)", "Minimum", show=False),
        Binding("end", "to_end(1)", "Maximum", show=False),
    ]

    COMPONENT_CLASSES = {"float-slider--filled", "float-slider--empty", "float-slider--thumb"}

    DEFAULT_CSS = """
    FloatSlider {
        height: 1;
        min-width: 8;
        width: 1fr;
        pointer: pointer;
        & > .float-slider--filled { color: $accent 70%; }
        & > .float-slider--empty { color: $foreground 30%; }
        & > .float-slider--thumb { color: $foreground; text-style: bold; }
        &:focus > .float-slider--thumb { color: $accent; }
        &:focus > .float-slider--filled { color: $accent; }
        &.-off > .float-slider--filled { color: $foreground 30%; }
        &.-off > .float-slider--thumb { color: $foreground 50%; }
    }
    """

    value: reactive[float] = reactive(0.0, init=False)

    class Changed(Message):
        """The value changed by the user (a key or the mouse) or by ``set_value(quiet=False)``."""

        def __init__(self, slider: FloatSlider, value: float) -> None:
            super().__init__()
            self.slider = slider
            self.value = value

        @property
        def control(self) -> FloatSlider:
            return self.slider

    def __init__(
        self,
        value: float = 0.0,
        *,
        minimum: float = 0.0,
        maximum: float = 1.0,
        step: float = 0.01,
        big_step: float | None = None,
        decimals: int = 2,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        if not maximum > minimum:
            raise ValueError(f"FloatSlider needs maximum > minimum, got {minimum}..{maximum}")
        self.minimum = minimum
        self.maximum = maximum
        self.step = step
        self.big_step = big_step if big_step is not None else step * 5
        self.decimals = decimals
        self._dragging = False
        # The initial value is a setting being shown, not a change: no message.
        self.set_reactive(FloatSlider.value, self.validate_value(value))

    # --- value ----------------------------------------------------------------------------------
    def validate_value(self, value: float) -> float:
        clamped = min(self.maximum, max(self.minimum, float(value)))
        return round(clamped, self.decimals)

    def watch_value(self, value: float) -> None:
        self.post_message(self.Changed(self, value))

    def set_value(self, value: float, *, quiet: bool = False) -> None:
        """Set the value; ``quiet`` sets it without posting ``Changed`` (e.g. after a reset)."""
        if quiet:
            self.set_reactive(FloatSlider.value, self.validate_value(value))
            self.refresh()
        else:
            self.value = value

    @property
    def fraction(self) -> float:
        return (self.value - self.minimum) / (self.maximum - self.minimum)

    # --- keys -----------------------------------------------------------------------------------
    def action_nudge(self, steps: int) -> None:
        size = self.step if abs(steps) == 1 else self.big_step
        self.value = self.value + (size if steps > 0 else -size)

    def action_to_end(self, which: int) -> None:
        self.value = self.maximum if which else self.minimum

    # --- mouse ----------------------------------------------------------------------------------
    def _value_at(self, screen_x: int) -> float:
        region = self.content_region
        if region.width <= 1:
            return self.value
        offset = min(max(screen_x - region.x, 0), region.width - 1)
        return self.minimum + (self.maximum - self.minimum) * offset / (region.width - 1)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        if event.button != 1:
            return
        event.stop()
        self.focus()
        self._dragging = True
        self.capture_mouse()
        self.value = self._value_at(event.screen_x)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self._dragging:
            event.stop()
            self.value = self._value_at(event.screen_x)

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if self._dragging:
            event.stop()
            self._dragging = False
            self.release_mouse()

    def on_mouse_release(self, _event: events.MouseRelease) -> None:
        self._dragging = False

    # --- drawing --------------------------------------------------------------------------------
    def render(self) -> Text:
        width = self.content_region.width or self.size.width
        if width <= 0:
            return Text("")
        thumb = round(self.fraction * (width - 1))
        filled = self.get_component_rich_style("float-slider--filled")
        empty = self.get_component_rich_style("float-slider--empty")
        knob = self.get_component_rich_style("float-slider--thumb")
        text = Text(no_wrap=True, overflow="crop")
        text.append("━" * thumb, filled)
        text.append("●", knob)
        text.append("─" * (width - thumb - 1), empty)
        return text
