"""What every explorer tab is: a pane that computes one whole-split figure and shows it.

A tab is described once, by its pane class: its key and title, its lines in the help screen,
the widget that takes focus when it is shown, its styles (``DEFAULT_CSS``), what its figure
depends on (:meth:`SplitPane.request_for`), how the figure is computed (:meth:`SplitPane.compute`,
on the split-job thread, calling the probe) and how it is shown (:meth:`SplitPane.show`, on the
UI thread). The app lists the tab classes in a tuple and knows nothing else about them.

Adding a tab: one pane file (a subclass of :class:`SplitPane` and of a Textual container), one
entry in :attr:`ExploreApp.TABS` (and its import), and the probe method it calls: on ``Probe``, its
fake in ``tests/fake_probe.py`` (same signature, tests/test_fake_probe_contract.py) and its line
in :class:`ProbeBackend` for type checkers. ``tests/test_explore_new_tab.py`` does it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from core.probe.types import ModelInfo, ProbeSettings, SplitEvaluation, Utterance
from senti_tui.apps.explore.backend import Cancelled, ProbeBackend


@dataclass(frozen=True)
class SplitRequest:
    """What a whole-split figure is asked for. Two requests are equal when their figures are:
    the switches, the rates (None for a figure that sweeps the rates itself) and the mask seed.
    ``settings`` is what the controls said (``mode`` included), handed to the probe as it is."""

    enabled: tuple[bool, bool, bool]
    rates: tuple[float, float, float] | None
    mask_seed: int
    settings: ProbeSettings = field(compare=False)

    @classmethod
    def of(cls, settings: ProbeSettings, *, sweeps_rates: bool = False) -> SplitRequest:
        return cls(settings.enabled, None if sweeps_rates else settings.rates, settings.mask_seed, settings)


class SplitPane:
    """The interface of an explorer tab (mixed into a Textual container: ``class X(SplitPane, Vertical)``).

    The app keeps each pane's state on the pane: :attr:`requested` (the newest request sent to the
    job thread), :attr:`shown` and :attr:`result` (the figure on screen and what it was asked
    for), :attr:`busy` (a computation is on its way). A result whose request is no longer the
    pane's newest is dropped by the app.
    """

    key: ClassVar[str]  # names the tab ("curves"); its TabPane is "tab-<key>", the pane's id ``pane_id``
    title: ClassVar[str]  # the tab's label, and "Show <title>" in the command palette
    help: ClassVar[tuple[tuple[str, str], ...]] = ()  # rows of "Reading the screen" in the help screen
    focus_target: ClassVar[str | None] = None  # a selector in the pane that takes focus when the tab is shown
    pane_id: ClassVar[str | None] = None  # the pane's id when it is not the key
    always_fresh: ClassVar[bool] = False  # computed whatever tab is on screen (else only while shown)
    framed: ClassVar[bool] = True  # drawn in the explorer's pane frame (class "pane-frame", explore.tcss)

    def __init__(self, models: list[ModelInfo], utterances: list[Utterance], **kwargs: Any) -> None:
        super().__init__(**kwargs)  # the Textual container's
        self.models = models
        self.utterances = utterances
        self.requested: SplitRequest | None = None
        self.shown: SplitRequest | None = None
        self.result: Any = None
        self._busy = False

    @classmethod
    def dom_id(cls) -> str:
        return cls.pane_id or cls.key

    # --- what a tab says about itself ------------------------------------------------------------
    def request_for(self, settings: ProbeSettings) -> SplitRequest:
        """What this tab's figure is under ``settings`` (all of it by default)."""
        return SplitRequest.of(settings)

    def compute(self, probe: ProbeBackend, request: SplitRequest, cancelled: Cancelled) -> Any:
        """The figure, on the split-job thread: call the probe (passing ``cancelled``), touch nothing
        on screen."""
        raise NotImplementedError

    def show(self, result: Any) -> None:
        """Show what :meth:`compute` returned for :attr:`shown` (on the UI thread)."""
        raise NotImplementedError

    def show_busy(self, busy: bool) -> None:
        """Say a computation is on its way (a loading indicator by default)."""
        self.loading = busy

    def follow(self, settings: ProbeSettings, evaluations: list[SplitEvaluation] | None) -> None:
        """The controls' settings and the split's evaluation under them (None until it arrives):
        called when the evaluation arrives, when the tab is shown, and before a result is shown."""

    # --- used by the app -------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._busy

    @busy.setter
    def busy(self, busy: bool) -> None:
        self._busy = busy
        self.show_busy(busy)

    def present(self, request: SplitRequest, result: Any) -> None:
        self.shown, self.result = request, result
        self.show(result)

    def current(self, settings: ProbeSettings) -> Any:
        """The result on screen if it is the figure for ``settings``, else None."""
        return self.result if self.shown is not None and self.shown == self.request_for(settings) else None
