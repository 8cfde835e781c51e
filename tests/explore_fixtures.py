"""The explorer under Pilot, for the explorer's tests (a pytest plugin, registered in conftest.py).

``async with explorer(FakeProbe(...)) as (app, pilot):`` opens the app at 120×36 with a short
whole-split debounce and waits until everything it asked for is on screen. ``settle`` and
``wait_for`` await the app's own "something arrived" event (:meth:`ExploreApp.wait_until`)
instead of polling the clock; the timeout only turns a hang into a failure.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from textual.pilot import Pilot
from textual.widgets import Switch

from senti_tui.apps.explore.app import ExploreApp
from senti_tui.widgets.float_slider import FloatSlider
from tests.fake_probe import FakeProbe

SIZE = (120, 36)
TEST_DEBOUNCE_S = 0.02  # the tests press keys, they do not drag


def open_app(probe: FakeProbe, **kwargs) -> ExploreApp:
    """The explorer with a short whole-split debounce."""
    return ExploreApp(probe, split_debounce_s=kwargs.pop("split_debounce_s", TEST_DEBOUNCE_S), **kwargs)


async def wait_for(pilot: Pilot, app: ExploreApp, condition: Callable[[], object], timeout: float = 10.0, what: str = "") -> None:
    """Let the app run until ``condition()`` holds (re-checked whenever a result, a figure, a
    debounce, an error or a file arrives), then until the screen has caught up."""
    await pilot.pause(0)  # the messages a key press posted are handled (one may post another)
    await pilot.pause(0)
    try:
        await asyncio.wait_for(app.wait_until(condition), timeout)
    except TimeoutError:
        raise AssertionError(what or f"waited {timeout} s in vain (index {app.index}, {app.settings})") from None
    await pilot.pause()


async def settle(pilot: Pilot, app: ExploreApp, timeout: float = 10.0) -> None:
    """Let the app run until everything asked for is on screen."""
    await wait_for(pilot, app, lambda: app.settled, timeout, f"the explorer never settled (index {app.index}, {app.settings})")


def text_of(app: ExploreApp, selector: str) -> str:
    widget = app.query_one(selector)
    rendered = widget.render()
    return getattr(rendered, "plain", str(rendered))


def status(app: ExploreApp) -> str:
    return text_of(app, "#status-line")


def slider(app: ExploreApp, name: str) -> FloatSlider:
    return app.query_one(f"#slider-{name}", FloatSlider)


def switch(app: ExploreApp, name: str) -> Switch:
    return app.query_one(f"#switch-{name}", Switch)


@pytest.fixture
def explorer():
    """``async with explorer(probe=None, settled=True, size=SIZE, **app_kwargs) as (app, pilot)``."""

    @asynccontextmanager
    async def open_explorer(
        probe: FakeProbe | None = None, *, settled: bool = True, size: tuple[int, int] = SIZE, **kwargs
    ) -> AsyncIterator[tuple[ExploreApp, Pilot]]:
        app = open_app(probe if probe is not None else FakeProbe(), **kwargs)
        async with app.run_test(size=size) as pilot:
            if settled:
                await settle(pilot, app)
            yield app, pilot

    return open_explorer
