"""The explorer app: pick an utterance, erase parts of it, watch every model answer.

State is three things — the utterance index, the :class:`ProbeSettings` the controls say, and the
newest results — and every input (keys, switches, sliders, the palette, a case opened) goes
through :meth:`ExploreApp.apply_settings` or :meth:`ExploreApp.load`. Two kinds of background work:

- the utterance on screen: a Textual thread worker per request, ``exclusive`` so a new request
  cancels the previous one, and a result is shown only if it is for the utterance and settings
  asked for now (a stale one is dropped);
- whole-split figures, one per tab (the table's predictions, curves, cases, confusion,
  calibration): one daemon thread (:class:`SplitJobs`) keeping only the newest request per tab,
  debounced while a slider is dragged, and computed for a tab only when it is on screen (the
  Probe tab's always). Each tab is one pane class (:class:`SplitPane`) listed in
  :attr:`ExploreApp.TABS`; the app holds no per-tab code, and a result is shown only if its
  :class:`SplitRequest` is still the one its pane asked for last.

Errors from the probe (a SentiError, or anything else) become notifications, never a traceback.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Footer, TabbedContent, TabPane
from textual.worker import Worker, WorkerState, get_current_worker

from core.errors import SentiError
from core.probe.types import MODALITY_NAMES, ProbeResult, ProbeSettings, SplitEvaluation
from senti_tui.apps.explore import settings as ops
from senti_tui.apps.explore.backend import ProbeBackend
from senti_tui.apps.explore.help_screen import HelpScreen
from senti_tui.apps.explore.messages import CaseChosen, ControlsChanged, SplitJobDone, SplitJobFailed, UtteranceChosen
from senti_tui.apps.explore.split_jobs import SplitJobs
from senti_tui.apps.explore.split_pane import SplitPane
from senti_tui.apps.explore.widgets.calibration_pane import CalibrationPane
from senti_tui.apps.explore.widgets.cases_pane import CasesPane
from senti_tui.apps.explore.widgets.confusion_pane import ConfusionPane
from senti_tui.apps.explore.widgets.curves_pane import CurvesPane
from senti_tui.apps.explore.widgets.explore_header import ExploreHeader
from senti_tui.apps.explore.widgets.probe_tab import ProbeTab
from senti_tui.apps.explore.widgets.status_line import ExploreStatus

# While a slider is dragged, whole-split work waits for this long a pause.
SPLIT_DEBOUNCE_S = 0.25


class ExploreApp(App[None]):
    CSS_PATH = Path(__file__).with_name("explore.tcss")  # absolute: a subclass elsewhere keeps it
    TITLE = "senti-tui explore"
    # The tabs, in order: each one pane class (key, title, help, styles, what it computes and shows).
    TABS: tuple[type[SplitPane], ...] = (ProbeTab, CurvesPane, CasesPane, ConfusionPane, CalibrationPane)
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark,f1", "help", "Help"),
        Binding("slash", "search", "Search"),
        Binding("s", "cycle_sort", "Sort"),
        Binding("0", "mode(0)", "Modes", key_display="0-5"),
        *[Binding(str(mode), f"mode({mode})", f"Mode {mode}", show=False) for mode in range(1, 6)],
        Binding("l", "toggle(0)", "Switches", key_display="l a v"),
        Binding("a", "toggle(1)", "Audio on/off", show=False),
        Binding("v", "toggle(2)", "Vision on/off", show=False),
        Binding("m", "resample", "New mask"),
        Binding("r", "reset", "Reset"),
        Binding("left_square_bracket", "tab(-1)", "Tab", show=False),
        Binding("right_square_bracket", "tab(1)", "Tabs", key_display="[ ]"),
        Binding("e", "export_predictions", "Export", show=False),
        Binding("f", "save_curves", "Save curves", show=False),
    ]

    def __init__(
        self,
        backend: ProbeBackend,
        index: int = 0,
        split_debounce_s: float = SPLIT_DEBOUNCE_S,
        export_dir: str | Path | None = None,
        tabs: Sequence[type[SplitPane]] | None = None,
    ) -> None:
        super().__init__()
        self.backend = backend
        self.tabs: tuple[type[SplitPane], ...] = tuple(tabs) if tabs is not None else self.TABS
        if self.tabs[0] is not ProbeTab:
            raise ValueError("the explorer's first tab is the Probe tab")
        self.export_dir = Path(export_dir) if export_dir is not None else Path.cwd()  # where e writes predictions
        self.exported: list[Path] = []  # every file written by e, newest last (tests read it)
        self.split_debounce_s = split_debounce_s
        self.models = list(backend.models)
        self.utterances = list(backend.utterances)
        self.index = index if 0 <= index < len(self.utterances) else 0
        self.settings: ProbeSettings = ops.DEFAULT_SETTINGS
        self.result: ProbeResult | None = None  # the result on screen (always the newest request's)
        self.errors: list[str] = []  # every error shown, newest last (tests read it)
        self.started_at = time.perf_counter()
        self.first_result_s: float | None = None
        self._split_timer: Timer | None = None
        self._changed: asyncio.Event | None = None  # set whenever a result, figure, debounce, error or file arrives
        self.jobs = SplitJobs(self.post_message)

    # --- layout ----------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield ExploreHeader(id="explore-header")
        with TabbedContent(id="tabs", initial=f"tab-{self.tabs[0].key}"):
            for tab in self.tabs:
                with TabPane(tab.title, id=f"tab-{tab.key}"):
                    pane = tab(self.models, self.utterances, id=tab.dom_id(), classes="pane-frame" if tab.framed else None)
                    assert isinstance(pane, Widget)  # a SplitPane is also a Textual container
                    yield pane
        yield ExploreStatus("loading…", id="status-line")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(ExploreHeader).show(self.models, self.backend.dataset_label, self.backend.synthetic)
        utterances = self.probe_tab.utterance_pane
        utterances.current = self.index
        utterances.set_utterances(self.utterances)
        self.probe_tab.show_settings(self.settings)
        self.query_one("#utterance-table").focus()
        self._request_probe()

    def on_unmount(self) -> None:
        self.jobs.close()

    async def action_quit(self) -> None:
        """Quit at once: a whole-split evaluation in progress is abandoned at its next batch
        (its cancel flag; the job thread and the probe's batch threads are daemons), not awaited."""
        self.jobs.close()
        await super().action_quit()

    # --- the tabs --------------------------------------------------------------------------------
    @property
    def panes(self) -> list[SplitPane]:
        """Every tab's pane, in tab order."""
        return [self.pane(tab.key) for tab in self.tabs]

    def pane(self, key: str) -> SplitPane:
        tab = next(tab for tab in self.tabs if tab.key == key)
        pane = self.query_one(f"#{tab.dom_id()}")
        assert isinstance(pane, tab)
        return pane

    @property
    def probe_tab(self) -> ProbeTab:
        return self.query_one(ProbeTab)

    @property
    def evaluations(self) -> list[SplitEvaluation] | None:
        """The split's evaluation under the current settings (the Probe tab's figure), or None."""
        return self.probe_tab.current(self.settings)

    @property
    def split_results(self) -> dict[str, Any]:
        """Tab key -> the whole-split figure on screen."""
        return {pane.key: pane.result for pane in self.panes if pane.shown is not None}

    @property
    def settled(self) -> bool:
        """Everything asked for is on screen: the result for the current utterance and settings,
        and every whole-split figure requested (tests and snapshots wait for this)."""
        return (
            self.result is not None
            and self.result.index == self.index
            and self.result.settings == self.settings
            and self._split_timer is None
            and self.jobs.idle()
            and all(pane.shown == pane.requested for pane in self.panes if pane.requested is not None)
        )

    async def wait_until(self, condition: Callable[[], object]) -> None:
        """Return once ``condition()`` holds, checked again whenever a result, a figure, a debounce,
        an error or a written file arrives (tests and snapshots await this instead of polling)."""
        while not condition():
            self._changed = self._changed or asyncio.Event()
            self._changed.clear()
            await self._changed.wait()

    async def wait_until_settled(self) -> None:
        await self.wait_until(lambda: self.settled)

    def _state_changed(self) -> None:
        if self._changed is not None:
            self._changed.set()

    # --- the two inputs: which utterance, which settings -----------------------------------------
    def load(self, index: int) -> None:
        if not 0 <= index < len(self.utterances) or (
            index == self.index and self.result is not None and self.result.index == index
        ):
            return
        self.index = index
        self._request_probe()

    def apply_settings(self, settings: ProbeSettings, *, from_controls: bool = False) -> None:
        if settings == self.settings:
            return
        self.settings = settings
        self.probe_tab.show_settings(settings, controls=not from_controls)
        self._request_probe()
        self._schedule_split()

    # --- the utterance on screen -----------------------------------------------------------------
    def _request_probe(self) -> None:
        self._run_probe(self.index, self.settings)

    @work(thread=True, exclusive=True, group="probe", exit_on_error=False)
    def _run_probe(self, index: int, settings: ProbeSettings) -> ProbeResult | None:
        if get_current_worker().is_cancelled:  # a newer request came before this one started
            return None
        return self.backend.run(index, settings)

    @on(Worker.StateChanged)
    def _probe_worker_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group != "probe" or worker.is_cancelled:
            return  # a cancelled request's answer is stale by construction
        if event.state == WorkerState.SUCCESS:
            result = worker.result
            if result is not None and (result.index, result.settings) == (self.index, self.settings):
                self._show_result(result)
        elif event.state == WorkerState.ERROR:
            self.report(worker.error)

    def _show_result(self, result: ProbeResult) -> None:
        first = self.result is None
        self.result = result
        self.probe_tab.show_probe(result)
        self.query_one(ExploreStatus).show(result)
        if first:
            self.first_result_s = time.perf_counter() - self.started_at
            self._refresh_split()  # the first prediction first, then the whole split
        self._state_changed()

    # --- whole-split figures ---------------------------------------------------------------------
    def _schedule_split(self) -> None:
        if self._split_timer is not None:
            self._split_timer.stop()
        self._split_timer = self.set_timer(self.split_debounce_s, self._refresh_split)

    def _refresh_split(self) -> None:
        """Ask for the figures of the tabs kept fresh and of the tab on screen."""
        self._split_timer = None
        active = self.active_tab
        for pane in self.panes:
            if pane.always_fresh or pane.key == active:
                self._submit(pane)
        self._state_changed()

    def _submit(self, pane: SplitPane) -> None:
        request = pane.request_for(self.settings)
        if pane.requested == request:
            return  # on screen already, or being computed
        pane.requested = request
        backend = self.backend
        self.jobs.submit(pane.key, request, lambda cancelled: pane.compute(backend, request, cancelled))
        pane.busy = True

    def on_split_job_done(self, message: SplitJobDone) -> None:
        pane = self.pane(message.key)
        if message.request == pane.requested:  # else a newer request is on its way
            pane.busy = False
            pane.follow(self.settings, self.evaluations)
            pane.present(message.request, message.value)
            if pane is self.probe_tab:  # the split's evaluation: the other tabs mark the setting with it
                for other in self.panes:
                    if other is not pane:
                        other.follow(self.settings, self.evaluations)
        self._state_changed()

    def on_split_job_failed(self, message: SplitJobFailed) -> None:
        pane = self.pane(message.key)
        if message.request == pane.requested:
            pane.busy = False
            pane.requested = None  # let the next change try again
            self.report(message.error)
        self._state_changed()

    # --- messages from the widgets ---------------------------------------------------------------
    @on(UtteranceChosen)
    def _utterance_chosen(self, message: UtteranceChosen) -> None:
        self.load(message.index)

    @on(CaseChosen)
    def _case_chosen(self, message: CaseChosen) -> None:
        self.probe_tab.utterance_pane.select(message.index)
        self.show_tab("probe")
        self.load(message.index)

    @on(ControlsChanged)
    def _controls_changed(self, message: ControlsChanged) -> None:
        settings = self.settings
        if message.enabled is not None:
            settings = ops.with_enabled(settings, message.modality, message.enabled)
        if message.rate is not None:
            settings = ops.with_rate(settings, message.modality, message.rate)
        self.apply_settings(settings, from_controls=True)
        if message.enabled is not None:
            self.probe_tab.show_settings(self.settings)  # the title's mode may change

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        pane = self.pane(self.active_tab)
        if self.result is not None:
            self._submit(pane)
        pane.follow(self.settings, self.evaluations)

    # --- errors ----------------------------------------------------------------------------------
    def report(self, error: BaseException | None) -> None:
        """A probe error as a notification: a SentiError's one line, or the exception's name and text."""
        if error is None:
            return
        text = str(error) if isinstance(error, SentiError) else f"{type(error).__name__}: {' '.join(str(error).split())}"
        self.errors.append(text)
        self.notify(text, title="Probe error", severity="error", timeout=8, markup=False)
        self._state_changed()

    # --- tabs ------------------------------------------------------------------------------------
    @property
    def active_tab(self) -> str:
        active = self.query_one(TabbedContent).active or "tab-probe"
        return active.removeprefix("tab-")

    def show_tab(self, name: str) -> None:
        tabs = self.query_one(TabbedContent)
        if tabs.active == f"tab-{name}":
            return
        # Focus must not stay on a widget of the pane being hidden: Textual would move it to a
        # neighbour in that pane, and TabbedContent would switch back to the pane holding focus.
        self.set_focus(None)
        tabs.active = f"tab-{name}"
        self._focus_in_tab(name)

    def _focus_in_tab(self, name: str) -> None:
        target = self.pane(name).focus_target
        try:
            if target is not None:
                self.query_one(target).focus()
        except NoMatches:  # a pane without that widget: leave focus where Textual put it
            pass

    # --- actions ---------------------------------------------------------------------------------
    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.tabs))

    def action_search(self) -> None:
        self.show_tab("probe")
        self.probe_tab.utterance_pane.open_search()

    def action_cycle_sort(self) -> None:
        self.show_tab("probe")
        self.probe_tab.utterance_pane.cycle_sort()  # the pane's subtitle says the order

    def action_mode(self, mode: int) -> None:
        self.apply_settings(ops.with_mode(self.settings, mode))

    def action_toggle(self, modality: int) -> None:  # type: ignore[override]  # the app's "toggle(m)" replaces DOMNode's toggle(attribute)
        self.apply_settings(ops.toggled(self.settings, modality))

    def action_resample(self) -> None:
        self.apply_settings(ops.resampled(self.settings))

    def action_reset(self) -> None:
        self.apply_settings(ops.reset())

    def action_tab(self, step: int) -> None:
        keys = [tab.key for tab in self.tabs]
        position = keys.index(self.active_tab)
        self.show_tab(keys[(position + step) % len(keys)])

    def action_export_predictions(self) -> None:
        """Write the split's predictions under the current settings (every model; one row per
        model and utterance, :mod:`core.per_utterance`) to a CSV in the export folder, and say where."""
        settings = self.settings
        evaluations = self.evaluations if self.evaluations is not None else None
        self.notify(f"exporting the predictions under {settings.status()}…", title="Export", timeout=3, markup=False)
        self._export(settings, evaluations)

    @work(thread=True, group="export", exit_on_error=False)
    def _export(self, settings: ProbeSettings, evaluations: list[SplitEvaluation] | None) -> None:
        from core.per_utterance import explorer_frame, export_name, write
        from core.provenance import collect

        if evaluations is None:
            evaluations = self.backend.evaluate(settings)
        frame = explorer_frame(self.backend, settings, evaluations)
        backend = self.backend
        device = getattr(backend, "device", None) or getattr(backend, "_device", None)
        record = {
            **collect(device=device, precision=getattr(backend, "precision", None)),
            "settings": settings.status(),
            "checkpoints": [m.path for m in backend.models],
        }
        path = write(frame, self.export_dir / export_name(str(getattr(backend, "split_name", "") or "")), provenance=record)
        self.call_from_thread(self._exported, path.resolve(), len(frame), len(evaluations), settings)

    def _exported(self, path: Path, rows: int, models: int, settings: ProbeSettings) -> None:
        self.exported.append(path)
        self.notify(
            f"wrote {rows:,} rows ({models} model{'s' if models != 1 else ''} × {rows // max(models, 1):,} utterances, "
            f"{settings.status()}) to {path}",
            title="Predictions exported",
            timeout=10,
            markup=False,
        )
        self._state_changed()

    def action_save_curves(self) -> None:
        """Save the Curves tab's figure (every key metric against the erased fraction, one line per
        model, under the current switches and mask seed) as a PDF in the export folder."""
        settings = self.settings
        shown = self.pane(CurvesPane.key).current(settings)
        self.notify(f"saving the curves under {settings.status()}…", title="Curves", timeout=3, markup=False)
        self._save_curves(settings, shown)

    @work(thread=True, group="export", exit_on_error=False)
    def _save_curves(self, settings: ProbeSettings, curves) -> None:
        from core.figures import save_probe_curves

        if curves is None:
            curves = self.backend.curve(settings)
        split = str(getattr(self.backend, "split_name", "") or "split")
        stamp = time.strftime("%Y%m%d-%H%M%S")
        title = f"{self.backend.dataset_label} · switches {', '.join(n for n, on in zip(MODALITY_NAMES, settings.enabled) if on) or 'none'} · mask seed {settings.mask_seed}"
        path = save_probe_curves(
            curves,
            self.export_dir / f"curves-{split}-{stamp}.pdf",
            title,
            synthetic=bool(self.backend.synthetic),
            test_selected=any(m.test_selected for m in self.models),
        )
        self.call_from_thread(self._curves_saved, path.resolve())

    def _curves_saved(self, path: Path) -> None:
        self.exported.append(path)
        self.notify(f"wrote the curves to {path}", title="Curves saved", timeout=10, markup=False)
        self._state_changed()

    @on(Worker.StateChanged)
    def _export_worker_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "export" and event.state == WorkerState.ERROR:
            self.report(event.worker.error)

    # --- command palette -------------------------------------------------------------------------
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for mode in range(6):
            yield SystemCommand(
                f"Mode {mode}: {ops.mode_label(mode).split(' ', 2)[2]}",
                f"Retention mode {mode} of Senti-iFusion's Table III: {ops.mode_description(mode)}",
                lambda mode=mode: self.action_mode(mode),
            )
        for modality, name in enumerate(MODALITY_NAMES):
            yield SystemCommand(f"Toggle {name}", f"Switch {name} on or off", lambda m=modality: self.action_toggle(m))
        yield SystemCommand("Resample mask", "Next mask seed: the same rates erase other tokens and frames", self.action_resample)
        yield SystemCommand("Reset settings", "Everything on, nothing erased, mask seed 1111", self.action_reset)
        for tab in self.tabs:
            yield SystemCommand(f"Show {tab.title}", f"Switch to the {tab.title} tab", lambda t=tab.key: self.show_tab(t))
        yield SystemCommand("Search utterances", "Filter the table by id or text", self.action_search)
        yield SystemCommand("Sort utterances", "Split order → largest error first → label", self.action_cycle_sort)
        yield SystemCommand(
            "Export predictions",
            "Write the split's predictions under the current settings to a CSV",
            self.action_export_predictions,
        )
        yield SystemCommand(
            "Save curves", "Write the Curves tab's figure (metrics against the erased fraction) to a PDF", self.action_save_curves
        )
        yield SystemCommand("Help", "Keys, retention modes and how to read the panes", self.action_help)
