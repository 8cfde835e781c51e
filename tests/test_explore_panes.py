"""Pilot tests of the explorer's tabs, help, palette, badges and several models at once, driven
by the deterministic fake probe, opened by the ``explorer`` fixture (tests/explore_fixtures.py)."""

from __future__ import annotations

from textual.widgets import DataTable

from senti_tui.apps.explore.help_screen import HelpScreen
from senti_tui.apps.explore.widgets.model_card import ModelCard
from senti_tui.apps.explore.widgets.utterance_pane import UtterancePane
from tests.explore_fixtures import settle, status, text_of, wait_for
from tests.fake_probe import FakeProbe


async def test_tabs_compute_their_figures_in_the_background(explorer):
    probe = FakeProbe(model_names=("senti-ifusion", "lnln", "dar"))
    async with explorer(probe) as (app, pilot):
        assert "curve" not in probe.split_calls, "a tab's figures are computed only when it is shown"
        for tab, kind in (("curves", "curve"), ("cases", "cases"), ("confusion", "confusion"), ("calibration", "calibration")):
            await pilot.press("right_square_bracket")
            await settle(pilot, app)
            assert app.active_tab == tab
            assert kind in probe.split_calls
            assert app.split_results[tab]
        await pilot.press("right_square_bracket")
        assert app.active_tab == "probe"
        # a switch changes the curves (and the rest) only when their tab is shown again
        await pilot.press("a")
        await settle(pilot, app)
        calls = probe.split_calls.count("curve")
        app.show_tab("curves")
        await settle(pilot, app)
        assert probe.split_calls.count("curve") == calls + 1


async def test_a_case_opens_in_the_probe(explorer):
    probe = FakeProbe()
    async with explorer(probe) as (app, pilot):
        await pilot.press("3")
        app.show_tab("cases")
        await settle(pilot, app)
        cases = app.split_results["cases"]
        assert cases, "mode 3 (vision only) gives failure cases"
        table = app.query_one("#cases-table", DataTable)
        table.focus()
        await pilot.press("down", "enter")
        await settle(pilot, app)
        assert app.active_tab == "probe"
        assert app.index == cases[1].index and app.result.index == cases[1].index
        assert app.query_one(UtterancePane).current == cases[1].index


async def test_a_failing_split_computation_is_a_notification(explorer):
    async with explorer(FakeProbe(fail_split=True), settled=False) as (app, pilot):
        await wait_for(pilot, app, lambda: app.errors)
        assert app.errors == ["the evaluate of this split cannot be computed (fake)"]
        assert app.is_running and app.result is not None


async def test_several_models_share_the_mask_and_say_what_they_do_not_estimate(explorer):
    probe = FakeProbe(model_names=("senti-ifusion", "lnln", "dar"), test_selected=("lnln",))
    async with explorer(probe) as (app, _pilot):
        assert len(app.result.predictions) == 3
        text = status(app)
        assert " | senti-ifusion pred=" in text and " | lnln pred=" in text and " dom=text | " in text
        assert " | dar pred=" in text and "dar pred=" in text and text.endswith(f"dom=none | label={app.result.label:+.2f}")
        cards = {card.info.model: card.plain for card in app.query(ModelCard)}
        assert "LNLN estimates language integrity only, dominant is always language" in cards["lnln"]
        assert "DAR estimates no integrity and has no dominant modality" in cards["dar"]
        assert "◀ dominant" in cards["senti-ifusion"] and "◀ dominant" in cards["lnln"] and "◀ dominant" not in cards["dar"]
        assert [line.split()[0] for line in cards["senti-ifusion"].split("\n")[2:5]] == ["text", "audio", "vision"]
        assert [line.split()[0] for line in cards["lnln"].split("\n")[2:3]] == ["text"]
        header = text_of(app, "#explore-header")
        assert "SYNTHETIC" in header and "TEST-SELECTED lnln" in header


async def test_no_badge_on_real_data_selected_on_valid(explorer):
    async with explorer(FakeProbe(synthetic=False)) as (app, _pilot):
        header = text_of(app, "#explore-header")
        assert "SYNTHETIC" not in header and "TEST-SELECTED" not in header


async def test_help_screen_and_quit(explorer):
    async with explorer() as (app, pilot):
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape", "q")
        await pilot.pause()
    assert app.return_code == 0


async def test_the_command_palette_runs_modes(explorer):
    async with explorer() as (app, pilot):
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Mode 3")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot, app)
        assert app.settings.enabled == (False, False, True) and app.settings.mode == 3
        titles = [command.title for command in app.get_system_commands(app.screen)]
        for title in ("Resample mask", "Reset settings", "Show Curves", "Show Calibration", "Search utterances", "Toggle audio"):
            assert title in titles


async def test_tab_keys_work_whatever_has_focus(explorer):
    # A focused slider sits in the probe tab; switching tabs must not bounce back to it.
    async with explorer() as (app, pilot):
        for focused in ("#slider-text", "#switch-audio", "#utterance-table"):
            app.query_one(focused).focus()
            await pilot.press("right_square_bracket")
            await settle(pilot, app)
            assert app.active_tab == "curves", focused
            await pilot.press("left_square_bracket")
            await settle(pilot, app)
            assert app.active_tab == "probe"
            assert app.focused is app.query_one("#utterance-table")
