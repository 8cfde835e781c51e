"""The explorer app: pick an utterance, erase parts of it, watch every model answer.

State is three things — the utterance index, the :class:`ProbeSettings` the controls say, and the
newest results — and every input (keys, switches, sliders, the palette, a case opened) goes
through :meth:`ExploreApp.apply_settings` or :meth:`ExploreApp.load`. Two kinds of background work:

- the utterance on screen: a Textual thread worker per request, ``exclusive`` so a new request
  cancels the previous one, and a token check so only the newest result is ever shown;
- whole-split figures (the table's predictions, curves, cases, confusion, calibration): one
  daemon thread (:class:`SplitJobs`) keeping only the newest request per kind, debounced while a
  slider is dragged, and computed for a tab only when it is on screen.

Errors from the probe (a SentiError, or anything else) become notifications, never a traceback.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Iterable, cast

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, TabbedContent, TabPane
from textual.worker import Worker, WorkerState, get_current_worker

from core.errors import SentiError
from core.probe.types import MODALITY_NAMES, ProbeResult, ProbeSettings, SplitEvaluation
from senti_tui.apps.explore import settings as ops
from senti_tui.apps.explore.backend import ProbeBackend
from senti_tui.apps.explore.help_screen import HelpScreen
from senti_tui.apps.explore.messages import CaseChosen, ControlsChanged, SplitJobDone, SplitJobFailed, UtteranceChosen
from senti_tui.apps.explore.split_jobs import SplitJobs
from senti_tui.apps.explore.widgets.calibration_pane import CalibrationPane
from senti_tui.apps.explore.widgets.cases_pane import CasesPane
from senti_tui.apps.explore.widgets.confusion_pane import ConfusionPane
from senti_tui.apps.explore.widgets.curves_pane import CurvesPane
from senti_tui.apps.explore.widgets.explore_header import ExploreHeader
from senti_tui.apps.explore.widgets.prediction_pane import PredictionPane
from senti_tui.apps.explore.widgets.probe_pane import ProbePane
from senti_tui.apps.explore.widgets.status_line import ExploreStatus
from senti_tui.apps.explore.widgets.utterance_pane import UtterancePane

TABS: tuple[str, ...] = ("probe", "curves", "cases", "confusion", "calibration")
TAB_TITLES = {"probe": "Probe", "curves": "Curves", "cases": "Cases", "confusion": "Confusion", "calibration": "Calibration"}
# The whole-split job a tab shows (the probe tab's table uses "evaluate", always kept fresh).
TAB_JOBS = {"curves": "curve", "cases": "cases", "confusion": "confusion", "calibration": "calibration"}
CASE_LIMIT = 20  # per model and kind of case
# While a slider is dragged, whole-split work waits for this long a pause.
SPLIT_DEBOUNCE_S = 0.25


def _job_key(kind: str, settings: ProbeSettings) -> tuple:
    """What a whole-split result depends on: curves only on the switches and the seed (the
    rates are their x axis); the rest on the whole setting (``mode`` is only a record)."""
    if kind == "curve":
        return (settings.enabled, settings.mask_seed)
    return (settings.enabled, settings.rates, settings.mask_seed)


class ExploreApp(App[None]):
    CSS_PATH = "explore.tcss"
    TITLE = "senti-tui explore"
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
        self, backend: ProbeBackend, index: int = 0, split_debounce_s: float = SPLIT_DEBOUNCE_S, export_dir: str | Path | None = None
    ) -> None:
        super().__init__()
        self.backend = backend
        self.export_dir = Path(export_dir) if export_dir is not None else Path.cwd()  # where e writes predictions
        self.exported: list[Path] = []  # every file written by e, newest last (tests read it)
        self.split_debounce_s = split_debounce_s
        self.models = list(backend.models)
        self.utterances = list(backend.utterances)
        self.index = index if 0 <= index < len(self.utterances) else 0
        self.settings: ProbeSettings = ops.DEFAULT_SETTINGS
        self.result: ProbeResult | None = None  # the result on screen (always the newest request's)
        self.evaluations: list[SplitEvaluation] | None = None  # for self.settings, or None
        self.split_results: dict[str, Any] = {}  # kind -> value on screen
        self.errors: list[str] = []  # every error shown, newest last (tests read it)
        self.started_at = time.perf_counter()
        self.first_result_s: float | None = None
        self._probe_token = 0
        self._split_token = 0
        self._split_latest: dict[str, int] = {}  # kind -> token of the newest request
        self._split_requested: dict[str, tuple] = {}  # kind -> key of the newest request
        self._split_shown: dict[str, tuple] = {}  # kind -> key of the result on screen
        self._split_timer: Timer | None = None
        self.jobs = SplitJobs(self.post_message)

    # --- layout ----------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield ExploreHeader(id="explore-header")
        with TabbedContent(id="tabs", initial="tab-probe"):
            with TabPane("Probe", id="tab-probe"):
                with Vertical(id="probe-tab"):
                    yield UtterancePane(id="utterances")
                    with Horizontal(id="probe-row"):
                        yield ProbePane(id="probe")
                        yield PredictionPane(self.models, id="prediction")
            with TabPane("Curves", id="tab-curves"):
                yield CurvesPane(self.models, id="curves")
            with TabPane("Cases", id="tab-cases"):
                yield CasesPane(id="cases")
            with TabPane("Confusion", id="tab-confusion"):
                yield ConfusionPane(self.models, id="confusion")
            with TabPane("Calibration", id="tab-calibration"):
                yield CalibrationPane(self.models, id="calibration")
        yield ExploreStatus("loading…", id="status-line")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(ExploreHeader).show(self.models, self.backend.dataset_label, self.backend.synthetic)
        utterances = self.query_one(UtterancePane)
        utterances.border_title = "Utterances"
        utterances.current = self.index
        utterances.set_utterances(self.utterances)
        self.query_one(ProbePane).border_title = "Probe — the utterance as the model sees it"
        prediction = self.query_one(PredictionPane)
        prediction.border_title = "Prediction" + (f" — {len(self.models)} models, identical mask" if len(self.models) > 1 else "")
        self.query_one(ProbePane).show_settings(self.settings)
        self.query_one("#utterance-table").focus()
        self._request_probe()

    def on_unmount(self) -> None:
        self.jobs.close()

    async def action_quit(self) -> None:
        """Quit at once: a whole-split evaluation in progress is abandoned at its next batch
        (its cancel flag; the job thread and the probe's batch threads are daemons), not awaited."""
        self.jobs.close()
        await super().action_quit()

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
            and all(self._split_shown.get(kind) == key for kind, key in self._split_requested.items())
        )

    # --- the two inputs: which utterance, which settings -----------------------------------------
    def load(self, index: int) -> None:
        if not 0 <= index < len(self.utterances) or index == self.index and self.result is not None and self.result.index == index:
            return
        self.index = index
        self._request_probe()

    def apply_settings(self, settings: ProbeSettings, *, from_controls: bool = False) -> None:
        if settings == self.settings:
            return
        self.settings = settings
        if not from_controls:
            self.query_one(ProbePane).show_settings(settings)
        self.evaluations = None
        self._request_probe()
        self._schedule_split()

    # --- the utterance on screen -----------------------------------------------------------------
    def _request_probe(self) -> None:
        self._probe_token += 1
        self._run_probe(self._probe_token, self.index, self.settings)

    @work(thread=True, exclusive=True, group="probe", exit_on_error=False)
    def _run_probe(self, token: int, index: int, settings: ProbeSettings) -> tuple[int, ProbeResult | None]:
        if get_current_worker().is_cancelled:  # a newer request came before this one started
            return token, None
        return token, self.backend.run(index, settings)

    @on(Worker.StateChanged)
    def _probe_worker_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group != "probe" or worker.is_cancelled:
            return  # a cancelled request's answer is stale by construction
        if event.state == WorkerState.SUCCESS:
            token, result = cast(tuple[int, ProbeResult | None], worker.result)  # _run_probe's
            if token == self._probe_token and result is not None:
                self._show_result(result)
        elif event.state == WorkerState.ERROR:
            self.report(worker.error)

    def _show_result(self, result: ProbeResult) -> None:
        first = self.result is None
        self.result = result
        utterance = self.utterances[result.index]
        self.query_one(ProbePane).show_result(result, utterance)
        self._show_prediction()
        self.query_one(ExploreStatus).show(result)
        if first:
            self.first_result_s = time.perf_counter() - self.started_at
            self._refresh_split()  # the first prediction first, then the whole split

    def _show_prediction(self) -> None:
        if self.result is None:
            return
        busy = self.jobs.busy("evaluate")
        evaluations = self.evaluations if self.result.settings == self.settings else None
        self.query_one(PredictionPane).show(self.result, evaluations, busy)

    # --- whole-split figures ---------------------------------------------------------------------
    def _schedule_split(self) -> None:
        if self._split_timer is not None:
            self._split_timer.stop()
        self._split_timer = self.set_timer(self.split_debounce_s, self._refresh_split)

    def _refresh_split(self) -> None:
        self._split_timer = None
        self._submit("evaluate")
        tab = self.active_tab
        if tab in TAB_JOBS:
            self._submit(TAB_JOBS[tab])

    def _submit(self, kind: str) -> None:
        settings = self.settings
        key = _job_key(kind, settings)
        if self._split_requested.get(kind) == key:
            return  # on screen already, or being computed
        self._split_token += 1
        self._split_latest[kind] = self._split_token
        self._split_requested[kind] = key
        self.jobs.submit(kind, self._split_token, self._job(kind, settings))
        self._set_busy(kind, True)

    def _job(self, kind: str, settings: ProbeSettings) -> Callable[[Callable[[], bool]], Any]:
        backend = self.backend
        jobs: dict[str, Callable[[Callable[[], bool]], Any]] = {
            "evaluate": lambda cancelled: (settings, backend.evaluate(settings, cancelled=cancelled)),
            "curve": lambda cancelled: (settings, backend.curve(settings, cancelled=cancelled)),
            "cases": lambda cancelled: (settings, backend.cases(settings, CASE_LIMIT, cancelled=cancelled)),
            "confusion": lambda cancelled: (settings, backend.confusion(settings, cancelled=cancelled)),
            "calibration": lambda cancelled: (settings, backend.calibration(settings, cancelled=cancelled)),
        }
        return jobs[kind]

    def on_split_job_done(self, message: SplitJobDone) -> None:
        if message.token != self._split_latest.get(message.kind):
            return  # a newer request of this kind is on its way
        self._set_busy(message.kind, False)
        settings, value = message.value
        self._split_shown[message.kind] = _job_key(message.kind, settings)
        self.split_results[message.kind] = value
        if message.kind == "evaluate":
            self._show_evaluation(settings, value)
        elif message.kind == "curve":
            self.query_one(CurvesPane).show(value, self.settings, self.evaluations)
        elif message.kind == "cases":
            self.query_one(CasesPane).show(value, settings, self.utterances)
        elif message.kind == "confusion":
            self.query_one(ConfusionPane).show(value, settings)
        elif message.kind == "calibration":
            self.query_one(CalibrationPane).show(value, settings)

    def on_split_job_failed(self, message: SplitJobFailed) -> None:
        if message.token != self._split_latest.get(message.kind):
            return
        self._set_busy(message.kind, False)
        self._split_requested.pop(message.kind, None)  # let the next change try again
        self.report(message.error)

    def _show_evaluation(self, settings: ProbeSettings, evaluations: list[SplitEvaluation]) -> None:
        if settings != self.settings:
            return
        self.evaluations = evaluations
        first = evaluations[0] if evaluations else None
        table = self.query_one(UtterancePane)
        table.set_predictions(first.predictions if first else None, first.model_key if first else "")
        self._show_prediction()
        if self._split_shown.get("curve") == _job_key("curve", settings):
            self.query_one(CurvesPane).show_marker(settings, evaluations)

    def _set_busy(self, kind: str, busy: bool) -> None:
        panes: dict[str, type[CurvesPane | CasesPane | ConfusionPane | CalibrationPane]] = {"curve": CurvesPane, "cases": CasesPane, "confusion": ConfusionPane, "calibration": CalibrationPane}
        if kind in panes:
            self.query_one(panes[kind]).set_busy(busy)
        elif kind == "evaluate":
            self._show_prediction()

    # --- messages from the widgets ---------------------------------------------------------------
    @on(UtteranceChosen)
    def _utterance_chosen(self, message: UtteranceChosen) -> None:
        self.load(message.index)

    @on(CaseChosen)
    def _case_chosen(self, message: CaseChosen) -> None:
        self.query_one(UtterancePane).select(message.index)
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
            self.query_one(ProbePane).show_settings(self.settings)  # the title's mode may change

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        tab = self.active_tab
        if tab in TAB_JOBS and self.result is not None:
            self._submit(TAB_JOBS[tab])
        if tab == "curves" and self._split_shown.get("curve") is not None:
            self.query_one(CurvesPane).show_marker(self.settings, self.evaluations)

    # --- errors ----------------------------------------------------------------------------------
    def report(self, error: BaseException | None) -> None:
        """A probe error as a notification: a SentiError's one line, or the exception's name and text."""
        if error is None:
            return
        text = str(error) if isinstance(error, SentiError) else f"{type(error).__name__}: {' '.join(str(error).split())}"
        self.errors.append(text)
        self.notify(text, title="Probe error", severity="error", timeout=8, markup=False)

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
        first = {"probe": "#utterance-table", "curves": "#metric-select", "cases": "#cases-table", "confusion": "#confusion", "calibration": "#calibration"}
        try:
            self.query_one(first[name]).focus()
        except NoMatches:  # a pane without that widget: leave focus where Textual put it
            pass

    # --- actions ---------------------------------------------------------------------------------
    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_search(self) -> None:
        self.show_tab("probe")
        self.query_one(UtterancePane).open_search()

    def action_cycle_sort(self) -> None:
        self.show_tab("probe")
        self.query_one(UtterancePane).cycle_sort()  # the pane's subtitle says the order

    def action_mode(self, mode: int) -> None:
        self.apply_settings(ops.with_mode(self.settings, mode))

    def action_toggle(self, modality: int) -> None:  # type: ignore[override]  # the app's "toggle(m)" replaces DOMNode's toggle(attribute)
        self.apply_settings(ops.toggled(self.settings, modality))

    def action_resample(self) -> None:
        self.apply_settings(ops.resampled(self.settings))

    def action_reset(self) -> None:
        self.apply_settings(ops.reset())

    def action_tab(self, step: int) -> None:
        position = TABS.index(self.active_tab)
        self.show_tab(TABS[(position + step) % len(TABS)])

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
        record = {**collect(device=device, precision=getattr(backend, "precision", None)), "settings": settings.status(),
                  "checkpoints": [m.path for m in backend.models]}
        path = write(frame, self.export_dir / export_name(str(getattr(backend, "split_name", "") or "")), provenance=record)
        self.call_from_thread(self._exported, path.resolve(), len(frame), len(evaluations), settings)

    def _exported(self, path: Path, rows: int, models: int, settings: ProbeSettings) -> None:
        self.exported.append(path)
        self.notify(f"wrote {rows:,} rows ({models} model{'s' if models != 1 else ''} × {rows // max(models, 1):,} utterances, "
                    f"{settings.status()}) to {path}", title="Predictions exported", timeout=10, markup=False)

    def action_save_curves(self) -> None:
        """Save the Curves tab's figure (every key metric against the erased fraction, one line per
        model, under the current switches and mask seed) as a PDF in the export folder."""
        settings = self.settings
        shown = self.split_results.get("curve") if self._split_shown.get("curve") == _job_key("curve", settings) else None
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
        path = save_probe_curves(curves, self.export_dir / f"curves-{split}-{stamp}.pdf", title, synthetic=bool(self.backend.synthetic),
                                 test_selected=any(m.test_selected for m in self.models))
        self.call_from_thread(self._curves_saved, path.resolve())

    def _curves_saved(self, path: Path) -> None:
        self.exported.append(path)
        self.notify(f"wrote the curves to {path}", title="Curves saved", timeout=10, markup=False)

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
        for tab in TABS:
            yield SystemCommand(f"Show {TAB_TITLES[tab]}", f"Switch to the {TAB_TITLES[tab]} tab", lambda t=tab: self.show_tab(t))
        yield SystemCommand("Search utterances", "Filter the table by id or text", self.action_search)
        yield SystemCommand("Sort utterances", "Split order → largest error first → label", self.action_cycle_sort)
        yield SystemCommand("Export predictions", "Write the split's predictions under the current settings to a CSV", self.action_export_predictions)
        yield SystemCommand("Save curves", "Write the Curves tab's figure (metrics against the erased fraction) to a PDF", self.action_save_curves)
        yield SystemCommand("Help", "Keys, retention modes and how to read the panes", self.action_help)
