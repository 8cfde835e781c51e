"""Issue 9: an explorer tab is described once. Adding one is one pane class (here in this module),
one entry in the app's tab tuple, and one probe method (here on a FakeProbe subclass) — and it is
computed in the background when shown, recomputed when the settings change, listed in the tab
keys, the command palette and the help screen, with nothing else edited."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Console
from textual.widgets import Static

from core.probe.types import ProbeSettings
from senti_tui.apps.explore.app import ExploreApp
from senti_tui.apps.explore.backend import Cancelled
from senti_tui.apps.explore.help_screen import HelpScreen
from senti_tui.apps.explore.split_pane import SplitPane, SplitRequest
from tests.explore_fixtures import settle, text_of
from tests.fake_probe import FakeProbe


@dataclass
class KeptTokensProbe(FakeProbe):
    """The probe method the new tab needs (a real tab adds it to core's Probe and to FakeProbe)."""

    def kept_tokens(self, settings: ProbeSettings, cancelled: Callable[[], bool] | None = None) -> int:
        self._split("kept_tokens", cancelled)
        return sum(sum(self._masks(i, settings)[0][1:-1]) for i in range(self.size))


class KeptTokensPane(SplitPane, Static):
    """The whole new tab."""

    key = "kept"
    title = "Kept tokens"
    help = (("Kept tokens", "how many text tokens the mask keeps over the whole split."),)

    DEFAULT_CSS = """
    KeptTokensPane {
        height: 1fr;
        padding: 0 1;
    }
    """

    def compute(self, probe, request: SplitRequest, cancelled: Cancelled) -> int:
        return probe.kept_tokens(request.settings, cancelled=cancelled)

    def show(self, result: int) -> None:
        self.update(f"{result} text tokens kept under {self.shown.settings.status()}")


TABS = (*ExploreApp.TABS, KeptTokensPane)


def plain(static: Static, width: int = 100) -> str:
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(static.content)
    return console.export_text()


async def test_a_new_tab_is_a_pane_a_tuple_entry_and_a_probe_method(explorer):
    probe = KeptTokensProbe(size=8)
    async with explorer(probe, tabs=TABS) as (app, pilot):
        assert "kept_tokens" not in probe.split_calls, "a tab's figure is computed only when it is shown"
        await pilot.press("left_square_bracket")  # from the first tab back round to the last
        await settle(pilot, app)
        assert app.active_tab == "kept"
        kept = probe.kept_tokens(app.settings)
        assert text_of(app, "#kept") == f"{kept} text tokens kept under l:0.00 a:0.00 v:0.00 seed:1111"
        assert app.split_results["kept"] == kept
        await pilot.press("m")  # another mask seed: recomputed while the tab is shown
        await settle(pilot, app)
        assert text_of(app, "#kept").endswith("seed:1112")

        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Show Kept tokens" in titles
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        help_text = plain(app.screen.query_one("#help-text", Static))
        assert "previous / next tab (Probe, Curves, Cases, Confusion, Calibration, Kept tokens)" in help_text
        assert "Kept tokens  how many text tokens the mask keeps over the whole split." in help_text


async def test_a_subclass_with_its_own_tab_tuple_is_the_same_extension_point():
    class KeptTokensExplorer(ExploreApp):
        TABS = TABS

    app = KeptTokensExplorer(KeptTokensProbe(size=8), split_debounce_s=0.02)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        app.show_tab("kept")
        await settle(pilot, app)
        assert text_of(app, "#kept").startswith(f"{app.backend.kept_tokens(app.settings)} text tokens kept")
