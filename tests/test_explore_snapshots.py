"""Snapshots of the explorer at 120×36 (and the main screen at 100×30), with the deterministic
fake probe: nothing on screen depends on a clock.

Update with ``pytest tests/test_explore_snapshots.py --snapshot-update`` after a deliberate
change, and look at the SVGs before committing them. NO_COLOR must be unset.
"""

from __future__ import annotations

from core.probe.types import ProbeSettings
from senti_tui.apps.explore.app import ExploreApp
from tests.explore_fixtures import settle
from tests.fake_probe import FakeProbe

SIZE = (120, 36)
THREE = ("senti-ifusion", "lnln", "dar")
# text 40% erased, audio off (mode 1 keeps {l, v}), vision 25% erased
PROBED = ProbeSettings(enabled=(True, False, True), rates=(0.4, 0.0, 0.25), mask_seed=1111, mode=1)


def settled(settings: ProbeSettings | None = None, index: int | None = None, tab: str | None = None, keys: tuple[str, ...] = ()):
    """A run_before: set the utterance, settings and tab, press keys, then wait until every
    figure asked for is on screen."""

    async def run_before(pilot) -> None:
        app: ExploreApp = pilot.app
        await settle(pilot, app)
        if index is not None:
            app.query_one("UtterancePane").select(index)
            app.load(index)
        if settings is not None:
            app.apply_settings(settings)
        if tab is not None:
            app.show_tab(tab)
        # a blinking cursor would be on or off depending on timing
        app.query_one("#search").cursor_blink = False
        if keys:
            await pilot.press(*keys)
        await settle(pilot, app)  # the whole-split debounce included
        assert app.settled

    return run_before


def test_main_screen_one_model(snap_compare):
    app = ExploreApp(FakeProbe(size=40))
    assert snap_compare(app, terminal_size=SIZE, run_before=settled())


def test_main_screen_three_models_under_a_mask(snap_compare):
    app = ExploreApp(FakeProbe(model_names=THREE, size=40, test_selected=("lnln",)))
    assert snap_compare(app, terminal_size=SIZE, run_before=settled(PROBED, index=5))


def test_main_screen_at_100_by_30(snap_compare):
    app = ExploreApp(FakeProbe(size=40))
    assert snap_compare(app, terminal_size=(100, 30), run_before=settled(PROBED, index=5))


def test_search_sorted_by_error(snap_compare):
    app = ExploreApp(FakeProbe(size=40))
    assert snap_compare(app, terminal_size=SIZE, run_before=settled(PROBED, keys=("s", "slash", *"the")))


def test_curves_tab(snap_compare):
    app = ExploreApp(FakeProbe(model_names=THREE, size=40, test_selected=("lnln",)))
    assert snap_compare(app, terminal_size=SIZE, run_before=settled(PROBED, tab="curves"))


def test_cases_tab(snap_compare):
    app = ExploreApp(FakeProbe(model_names=THREE, size=40))
    assert snap_compare(app, terminal_size=SIZE, run_before=settled(PROBED, tab="cases"))


def test_confusion_tab(snap_compare):
    app = ExploreApp(FakeProbe(model_names=("senti-ifusion", "lnln"), size=40))
    assert snap_compare(app, terminal_size=SIZE, run_before=settled(PROBED, tab="confusion"))


def test_calibration_tab(snap_compare):
    app = ExploreApp(FakeProbe(model_names=THREE, size=40))
    assert snap_compare(app, terminal_size=SIZE, run_before=settled(PROBED, tab="calibration"))


def test_help_screen(snap_compare):
    app = ExploreApp(FakeProbe(size=40))
    assert snap_compare(app, terminal_size=SIZE, run_before=settled(keys=("question_mark",)))
