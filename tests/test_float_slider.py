"""The float slider on its own: keys, mouse drags, clamping, and no message for values set by the app."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult

from senti_tui.widgets.float_slider import FloatSlider

# The slider fills a 41-column screen: cell x is the value x / 40.
SIZE = (41, 3)


class SliderApp(App[None]):
    def __init__(self, value: float = 0.3, **kwargs) -> None:
        super().__init__()
        self.start = value
        self.kwargs = kwargs
        self.changes: list[float] = []

    def compose(self) -> ComposeResult:
        yield FloatSlider(self.start, id="slider", **self.kwargs)

    def on_mount(self) -> None:
        self.query_one(FloatSlider).focus()

    def on_float_slider_changed(self, message: FloatSlider.Changed) -> None:
        self.changes.append(message.value)


def slider(app: SliderApp) -> FloatSlider:
    return app.query_one(FloatSlider)


async def test_the_initial_value_posts_nothing_and_is_drawn():
    app = SliderApp(0.5)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert slider(app).value == 0.5
        assert app.changes == []
        track = slider(app).render().plain
        assert len(track) == 41 and track.index("●") == 20
        assert track[:20] == "━" * 20 and track[21:] == "─" * 20


async def test_arrow_keys_step_and_clamp():
    app = SliderApp(0.3, step=0.05, big_step=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right", "right")
        assert slider(app).value == pytest.approx(0.4)
        await pilot.press("left")
        assert slider(app).value == pytest.approx(0.35)
        await pilot.press("shift+right")
        assert slider(app).value == pytest.approx(0.55)
        await pilot.press("pagedown")
        assert slider(app).value == pytest.approx(0.35)
        await pilot.press("end", "right")  # clamped at the top: the second press changes nothing
        assert slider(app).value == 1.0
        await pilot.press("home", "left")
        assert slider(app).value == 0.0
        await pilot.pause()
        # one message per change; the presses at an end changed nothing and posted nothing
        assert app.changes == pytest.approx([0.35, 0.4, 0.35, 0.55, 0.35, 1.0, 0.0])


async def test_values_are_rounded_to_the_slider_decimals():
    app = SliderApp(0.1, step=0.1)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right", "right")  # 0.1 + 0.1 + 0.1 is 0.30000000000000004 in floats
        assert slider(app).value == 0.3
        assert repr(slider(app).value) == "0.3"


async def test_a_click_sets_the_value_under_the_mouse():
    app = SliderApp(0.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#slider", offset=(30, 0))
        await pilot.pause()
        assert slider(app).value == pytest.approx(0.75)
        assert app.changes[-1] == pytest.approx(0.75)


async def test_a_drag_follows_the_mouse_even_beyond_the_track():
    app = SliderApp(0.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.mouse_down("#slider", offset=(4, 0))
        await pilot.pause()
        assert slider(app).value == pytest.approx(0.1)
        await pilot.hover("#slider", offset=(20, 0))
        await pilot.pause()
        assert slider(app).value == pytest.approx(0.5)
        await pilot.hover("#slider", offset=(40, 1))  # off the one-line track, still captured
        await pilot.pause()
        assert slider(app).value == 1.0
        await pilot.mouse_up("#slider", offset=(40, 0))
        await pilot.pause()
        assert app.changes == pytest.approx([0.1, 0.5, 1.0])
        # the drag is over: moving the mouse no longer moves the slider
        await pilot.hover("#slider", offset=(10, 0))
        await pilot.pause()
        assert slider(app).value == 1.0


async def test_set_value_quietly_posts_nothing():
    app = SliderApp(0.2)
    async with app.run_test(size=SIZE) as pilot:
        slider(app).set_value(0.7, quiet=True)
        await pilot.pause()
        assert slider(app).value == 0.7 and app.changes == []
        assert slider(app).render().plain.index("●") == 28
        slider(app).set_value(1.5)  # clamped, and this one is a change
        await pilot.pause()
        assert app.changes == [1.0]


def test_a_range_must_not_be_empty():
    with pytest.raises(ValueError):
        FloatSlider(0.0, minimum=1.0, maximum=1.0)
