"""Snapshots of the training app at 120×36 (the fake's figures never depend on a clock).

Update with ``pytest tests/test_train_snapshots.py --snapshot-update`` after a deliberate change,
and look at the SVGs before committing them. NO_COLOR must be unset.
"""

from __future__ import annotations

import asyncio

from senti_tui.apps.train.app import TrainApp
from senti_tui.event_sources import FileSource, SessionSource
from tests.fake_training import FakeRun, FakeSession, Pause

SIZE = (120, 36)


def until(condition, pause: Pause | None = None):
    """A run_before that waits for the fake run to reach a point, then draws every pane."""

    async def run_before(pilot) -> None:
        app = pilot.app
        if pause is not None:
            assert await asyncio.to_thread(pause.reached.wait, 10)
        for _ in range(500):
            if condition(app):
                break
            await pilot.pause(0.02)
        assert condition(app)
        app.flush()
        await pilot.pause()

    return run_before


def test_mid_run_in_stage_two(snap_compare):
    pause = Pause(epoch=6, step=3)
    app = TrainApp(SessionSource(FakeSession(FakeRun(epochs=8, steps=4, stage1_epochs=2), pause=pause)))
    reached = lambda app: app.state.step is not None and app.state.step.global_step == 22  # noqa: E731
    assert snap_compare(app, terminal_size=SIZE, run_before=until(reached, pause))


def test_quit_asks_for_confirmation(snap_compare):
    pause = Pause(epoch=3, step=2)
    app = TrainApp(SessionSource(FakeSession(FakeRun(epochs=4, steps=4), pause=pause)))
    reached = lambda app: app.state.step is not None and app.state.step.global_step == 9  # noqa: E731
    assert snap_compare(app, terminal_size=SIZE, press=["q"], run_before=until(reached, pause))


def test_finished_senti_ifusion(snap_compare):
    app = TrainApp(SessionSource(FakeSession(FakeRun(epochs=6, steps=5, stage1_epochs=2))))
    assert snap_compare(app, terminal_size=SIZE, run_before=until(lambda app: app.state.over))


def test_finished_lnln_test_selected(snap_compare):
    app = TrainApp(SessionSource(FakeSession(FakeRun(model="lnln", epochs=5, steps=5, selection="paper", early_stop_at=4))))
    assert snap_compare(app, terminal_size=SIZE, run_before=until(lambda app: app.state.over))


def test_finished_dar_says_it_has_no_integrity(snap_compare):
    app = TrainApp(SessionSource(FakeSession(FakeRun(model="dar", epochs=4, steps=5, synthetic=False))))
    assert snap_compare(app, terminal_size=SIZE, run_before=until(lambda app: app.state.over))


def test_failed_run_shows_the_error(snap_compare):
    app = TrainApp(SessionSource(FakeSession(FakeRun(epochs=4, steps=4, fail_at=(3, 2)))))
    assert snap_compare(app, terminal_size=SIZE, run_before=until(lambda app: app.state.over))


def test_watch_replays_a_finished_run(snap_compare, tmp_path):
    FakeRun(run_dir="checkpoints/watched-run", epochs=5, steps=5).write_events(tmp_path / "events.jsonl")
    app = TrainApp(FileSource(tmp_path), mode="watch")
    assert snap_compare(app, terminal_size=SIZE, run_before=until(lambda app: app.state.over))
