"""Pilot tests of the explorer's probe: the utterance table, sliders, switches, modes, resample,
reset, search, sort, newest-result-only and errors — driven by the deterministic fake probe
(tests/fake_probe.py), opened by the ``explorer`` fixture (tests/explore_fixtures.py). Tabs, help,
palette and several models: tests/test_explore_panes.py."""

from __future__ import annotations

import asyncio
import time

import pytest
from textual.widgets import DataTable

from core.probe.types import ProbeSettings
from senti_tui.apps.explore.settings import DEFAULT_SETTINGS
from senti_tui.apps.explore.status import status_text
from senti_tui.apps.explore.widgets.utterance_pane import UtterancePane
from tests.explore_fixtures import settle, slider, status, switch, text_of, wait_for
from tests.fake_probe import FakeProbe


async def test_it_opens_on_the_first_utterance_with_a_plain_status_line(explorer):
    probe = FakeProbe()
    async with explorer(probe) as (app, _pilot):
        expected = probe.run(0, DEFAULT_SETTINGS)
        pred = expected.predictions[0]
        assert status(app) == (
            f"#0 l:0.00 a:0.00 v:0.00 seed:1111 | senti-ifusion pred={pred.prediction:+.2f} "
            f"dom={('text', 'audio', 'vision')[pred.dominant]} | label={expected.label:+.2f}"
        )
        assert "#0 fake00_0" in text_of(app, "#probe-title")
        assert app.first_result_s is not None and app.first_result_s < 4.0
        # the table shows the whole split with the current predictions
        table = app.query_one("#utterance-table", DataTable)
        assert table.row_count == probe.size
        assert probe.split_calls[0] == "evaluate"


async def test_moving_the_cursor_loads_the_utterance(explorer):
    probe = FakeProbe()
    async with explorer(probe) as (app, pilot):
        await pilot.press("down", "down", "down")
        await settle(pilot, app)
        assert app.index == 3 and app.result.index == 3
        assert status(app).startswith("#3 l:0.00 a:0.00 v:0.00 seed:1111 | ")
        assert "fake00_3" in text_of(app, "#probe-title")
        tokens = text_of(app, "#tokens")
        assert tokens.startswith("[CLS] " + probe.utterances[3].text.split()[0])


async def test_slider_arrow_keys_change_the_rate_and_erase_tokens(explorer):
    probe = FakeProbe()
    async with explorer(probe) as (app, pilot):
        slider(app, "text").focus()
        await pilot.press(*["right"] * 10)  # 10 × 0.05
        await settle(pilot, app)
        assert app.settings.rates == (0.5, 0.0, 0.0)
        assert app.result.settings.rates == (0.5, 0.0, 0.0)
        assert status(app).startswith("#0 l:0.50 a:0.00 v:0.00 seed:1111 | ")
        expected = probe.run(0, app.settings)
        assert "[UNK]" in text_of(app, "#tokens")
        assert text_of(app, "#tokens").count("[UNK]") == sum(expected.inputs.token_erased)
        assert f"pred={expected.predictions[0].prediction:+.2f}" in status(app)
        await pilot.press("shift+left")
        await settle(pilot, app)
        assert app.settings.rates[0] == pytest.approx(0.3)


async def test_dragging_a_slider_sets_the_rate_under_the_mouse(explorer):
    async with explorer() as (app, pilot):
        track = slider(app, "audio")
        width = track.content_region.width
        await pilot.mouse_down("#slider-audio", offset=(0, 0))
        await pilot.hover("#slider-audio", offset=(width // 2, 0))
        await pilot.hover("#slider-audio", offset=(width - 1, 0))
        await pilot.mouse_up("#slider-audio", offset=(width - 1, 0))
        await settle(pilot, app)
        assert app.settings.rates == (0.0, 1.0, 0.0)
        assert status(app).startswith("#0 l:0.00 a:1.00 v:0.00 seed:1111 | ")
        assert "0/" in text_of(app, "#strip-audio")  # every audio frame erased


async def test_only_the_newest_result_is_shown(explorer):
    # The first change (text at 0.05) takes long; the second (0.10) answers at once. The slow,
    # stale answer arrives last and must not replace the newest one.
    slow = {0.05}
    probe = FakeProbe(delay=lambda index, settings: 0.6 if settings.rates[0] in slow else 0.0)
    async with explorer(probe) as (app, pilot):
        slider(app, "text").focus()
        await pilot.press("right")
        await pilot.pause(0.05)
        await pilot.press("right")
        await settle(pilot, app)
        assert app.result.settings.rates[0] == pytest.approx(0.10)
        await asyncio.sleep(0.8)  # the slow request has finished by now
        await pilot.pause()
        assert any(s.rates[0] == 0.05 for _, s in probe.runs), "the slow request did run"
        assert app.result.settings.rates[0] == pytest.approx(0.10)
        assert status(app).startswith("#0 l:0.10 ")


async def test_switches_and_their_keys(explorer):
    async with explorer() as (app, pilot):
        await pilot.click("#switch-vision")
        await settle(pilot, app)
        assert app.settings.enabled == (True, True, False)
        assert status(app).startswith("#0 l:0.00 a:0.00 v:off seed:1111 mode:2 | ")
        assert "0/" in text_of(app, "#strip-vision")
        await pilot.press("l")
        await settle(pilot, app)
        assert switch(app, "text").value is False
        assert status(app).startswith("#0 l:off a:0.00 v:off seed:1111 mode:4 | ")
        await pilot.press("l", "v")
        await settle(pilot, app)
        assert app.settings.enabled == (True, True, True) and app.settings.mode is None
        assert all(switch(app, name).value for name in ("text", "audio", "vision"))


MODES = {
    "0": (False, True, True),
    "1": (True, False, True),
    "2": (True, True, False),
    "3": (False, False, True),
    "4": (False, True, False),
    "5": (True, False, False),
}


async def test_mode_keys_keep_the_modes_modalities(explorer):
    async with explorer() as (app, pilot):
        slider(app, "text").focus()
        await pilot.press("right", "right")  # rates stay what they were
        for key, enabled in MODES.items():
            await pilot.press(key)
            await settle(pilot, app)
            assert app.settings.enabled == enabled and app.settings.mode == int(key)
            assert app.settings.rates[0] == pytest.approx(0.1)
            assert tuple(switch(app, n).value for n in ("text", "audio", "vision")) == enabled
            assert f" mode:{key} | " in status(app)
            assert f"mode {key}" in text_of(app, "#probe-title")


async def test_resample_draws_another_mask_and_reset_restores_everything(explorer):
    probe = FakeProbe()
    async with explorer(probe) as (app, pilot):
        slider(app, "text").focus()
        await pilot.press(*["right"] * 8)
        await settle(pilot, app)
        before = text_of(app, "#tokens")
        await pilot.press("m")
        await settle(pilot, app)
        assert app.settings.mask_seed == 1112 and app.result.settings.mask_seed == 1112
        assert " seed:1112 | " in status(app)
        expected = probe.run(0, app.settings)
        assert text_of(app, "#tokens").count("[UNK]") == sum(expected.inputs.token_erased)
        assert text_of(app, "#tokens") != before  # this fake utterance's masks differ for the two seeds
        await pilot.press("3", "r")
        await settle(pilot, app)
        assert app.settings == DEFAULT_SETTINGS
        assert status(app).startswith("#0 l:0.00 a:0.00 v:0.00 seed:1111 | ")
        assert [slider(app, n).value for n in ("text", "audio", "vision")] == [0.0, 0.0, 0.0]
        assert all(switch(app, n).value for n in ("text", "audio", "vision"))


async def test_search_filters_the_table_and_escape_clears_it(explorer):
    probe = FakeProbe()
    async with explorer(probe) as (app, pilot):
        await pilot.press("slash")
        await pilot.press(*"fake01")
        await pilot.pause()
        pane = app.query_one(UtterancePane)
        assert pane.shown == [4, 5, 6, 7]
        assert app.query_one("#utterance-table", DataTable).row_count == 4
        assert app.index == 0, "typing a search does not load another utterance"
        await pilot.press("enter", "down")
        await settle(pilot, app)
        assert app.index == 5  # Enter went back to the table; the cursor moved within the results
        await pilot.press("slash", "escape")
        await pilot.pause()
        assert len(pane.shown) == probe.size and pane.shown.index(5) == pane.table.cursor_row


async def test_sorting_by_error_puts_the_worst_utterance_first(explorer):
    probe = FakeProbe()
    async with explorer(probe) as (app, pilot):
        await pilot.press("s")
        await pilot.pause()
        pane = app.query_one(UtterancePane)
        errors = [abs(pane.error_of(i)) for i in pane.shown]
        assert errors == sorted(errors, reverse=True)
        assert pane.shown.index(0) == pane.table.cursor_row, "the cursor stays on the loaded utterance"
        await pilot.press("s")
        await pilot.pause()
        labels = [probe.utterances[i].label for i in pane.shown]
        assert labels == sorted(labels)


async def test_a_probe_error_is_a_notification_not_a_crash(explorer):
    probe = FakeProbe(fail_index=1)
    async with explorer(probe) as (app, pilot):
        await pilot.press("down")
        await wait_for(pilot, app, lambda: app.errors)
        assert app.errors == ["utterance #1 cannot be probed: its features are corrupt (fake)"]
        assert any("corrupt" in str(n.message) for n in app._notifications)
        assert app.is_running
        await pilot.press("down")
        await settle(pilot, app)
        assert app.result.index == 2


async def test_a_slider_drag_debounces_the_whole_split(explorer):
    probe = FakeProbe()
    async with explorer(probe, split_debounce_s=0.5) as (app, pilot):  # well above the time between two key presses
        evaluations = probe.split_calls.count("evaluate")
        slider(app, "vision").focus()
        await pilot.press(*["right"] * 12)
        await settle(pilot, app)
        # every step was probed (or cancelled as stale), but the split was evaluated at most twice
        assert probe.split_calls.count("evaluate") - evaluations <= 2
        assert app.evaluations[0].settings == app.settings
        pane = app.query_one(UtterancePane)
        assert pane.predictions == app.evaluations[0].predictions


def test_settings_of_a_result_are_what_the_status_line_prints():
    probe = FakeProbe()
    settings = ProbeSettings(enabled=(True, False, True), rates=(0.3, 0.0, 0.25), mask_seed=7, mode=1)
    result = probe.run(4, settings)
    pred = result.predictions[0]
    assert status_text(result) == (
        f"#4 l:0.30 a:off v:0.25 seed:7 mode:1 | senti-ifusion pred={pred.prediction:+.2f} "
        f"dom={('text', 'audio', 'vision')[pred.dominant]} | label={result.label:+.2f}"
    )
    assert status_text(None) == "loading…"


async def test_a_text_only_data_set_disables_the_absent_modalities(explorer):
    async with explorer(FakeProbe(present=(True, False, False), synthetic=False)) as (app, _pilot):
        assert switch(app, "audio").disabled and slider(app, "vision").disabled
        assert not switch(app, "text").disabled and not slider(app, "text").disabled
        assert "absent in this data set" in text_of(app, "#strip-audio")
        assert text_of(app, "#row-vision .kept-value") == "absent"


async def test_q_does_not_wait_for_a_running_split_evaluation(explorer):
    """Issue 12: q gives the terminal back at once; the split job is abandoned (told it is
    cancelled, on a daemon thread), never awaited."""
    probe = FakeProbe(split_delay=3.0)
    async with explorer(probe, settled=False) as (app, pilot):
        deadline = time.monotonic() + 10
        while not probe.split_calls and time.monotonic() < deadline:  # the job thread's own state: polled
            await pilot.pause(0.02)
        assert probe.split_calls and app.jobs.busy("probe")  # the 3 s evaluation (the Probe tab's figure) is running
        began = time.monotonic()
        await pilot.press("q")
        await pilot.pause()
    # Awaiting the job would take the rest of its 3 s; the 0.3 s target is benchmarks/quick_quit.py's.
    assert time.monotonic() - began < 2.5
    assert app.jobs.newest_cancelled("probe")  # it would stop at its next batch
