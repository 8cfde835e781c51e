"""Pilot tests of the training app, driven by a fast fake session (tests/fake_training.py) and by
an events.jsonl replayed or followed the way ``senti-tui watch`` does it."""

from __future__ import annotations

import asyncio

from textual.widgets import DataTable

from core.training.events import CheckpointSaved, Failed, Finished, event_to_json
from senti_tui.apps.train.app import TrainApp
from senti_tui.apps.train.confirm_quit import ConfirmQuit
from senti_tui.apps.train.widgets.error_pane import ErrorPane
from senti_tui.apps.train.widgets.loss_pane import LossPane
from senti_tui.event_sources import FileSource, SessionSource
from tests.fake_training import FakeRun, FakeSession, Pause

SIZE = (120, 36)


async def wait_for(pilot, condition, timeout: float = 10.0) -> None:
    """Let the app process messages until ``condition()`` holds (fails the test on timeout)."""
    for _ in range(int(timeout / 0.02)):
        if condition():
            await pilot.pause()
            return
        await pilot.pause(0.02)
    raise AssertionError("timed out waiting for the app")


async def wait_for_thread(event, timeout: float = 10.0) -> None:
    assert await asyncio.to_thread(event.wait, timeout), "the fake trainer never got there"


def text_of(app: TrainApp, selector: str) -> str:
    """The text a widget shows, markup resolved."""
    rendered = app.query_one(selector).render()
    return getattr(rendered, "plain", str(rendered))


def status(app: TrainApp) -> str:
    return text_of(app, "#status-line")


async def test_a_run_goes_through_its_epochs_and_stages_to_finished():
    session = FakeSession(FakeRun(epochs=3, steps=4, stage1_epochs=1))
    app = TrainApp(SessionSource(session))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.state.over)
        app.flush()
        await pilot.pause()
        assert isinstance(app.result, Finished)
        assert status(app).startswith("finished · epoch 3/3 · step 4/4 · loss ")
        assert "best MAE 0.900 @ epoch 3" in status(app)
        table = app.query_one("#epoch-table", DataTable)
        assert table.row_count == 3
        assert "finished" in text_of(app, "#stage-line")
        assert "best epoch 3" in text_of(app, "#best-pane")
        assert "saved synthetic_best.pt (epoch 3)" in text_of(app, "#best-pane")
        assert "SYNTHETIC" in text_of(app, "#run-header") and "TEST-SELECTED" not in text_of(app, "#run-header")
        legend = text_of(app, "#integrity-legend")
        assert "text" in legend and "audio" in legend and "vision" in legend and "R²" in legend
        # Every loss term of both stages has a curve.
        assert set(app.state.losses.terms()) == {"total", "integrity", "pred", "sim", "diff", "recon", "mi"}
        # Finished: q quits at once, no confirmation.
        await pilot.press("q")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmQuit)
    assert not app.is_running
    assert isinstance(app.return_value, Finished) and not app.return_value.stopped_by_user
    assert not session.stop_requested.is_set()


async def test_the_stage_change_shows_in_the_progress_pane_mid_run():
    pause = Pause(epoch=2, step=3)
    session = FakeSession(FakeRun(epochs=3, steps=4, stage1_epochs=1), pause=pause)
    app = TrainApp(SessionSource(session))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_thread(pause.reached)
        await wait_for(pilot, lambda: app.state.step is not None and app.state.step.global_step == 6)
        app.flush()
        await pilot.pause()
        assert text_of(app, "#stage-line") == "Stage 2/2 · completion and fusion"
        assert text_of(app, "#epoch-label") == "Epoch 2/3"
        assert text_of(app, "#step-label") == "Step 2/4"
        assert "ETA 3s · 640 samples/s · elapsed 3s" in text_of(app, "#figures-line")
        assert status(app).startswith("running · epoch 2/3 · step 2/4")
        # Stage 2's terms appear beside stage 1's.
        assert "pred" in app.state.losses.terms() and "integrity" in app.state.losses.terms()
        pause.release()
        await wait_for(pilot, lambda: app.state.over)


async def test_quitting_asks_then_stops_the_run_which_saves_and_exits():
    pause = Pause(epoch=2, step=2)
    session = FakeSession(FakeRun(epochs=3, steps=4), pause=pause)
    session.release_on_stop = False  # keep the trainer "in its batch" until the test says so
    app = TrainApp(SessionSource(session))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_thread(pause.reached)
        # q asks; "n" keeps training.
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmQuit))
        await pilot.press("n")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmQuit))
        assert not session.stop_requested.is_set() and app.is_running
        # ctrl+q asks too; "y" asks the trainer to stop.
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmQuit))
        await pilot.press("y")
        await wait_for(pilot, lambda: session.stop_requested.is_set())
        assert status(app).startswith("stopping…")
        assert "stopping…" in text_of(app, "#stage-line")
        # Another q while stopping neither asks again nor quits.
        await pilot.press("q")
        await pilot.pause()
        assert app.is_running and not isinstance(app.screen, ConfirmQuit)
        pause.release()  # the batch ends; the trainer saves last.pt and finishes
        await wait_for(pilot, lambda: not app.is_running)
    assert isinstance(app.return_value, Finished) and app.return_value.stopped_by_user
    saved = [e for e in session.events_emitted if isinstance(e, CheckpointSaved)]
    assert saved[-1].kind == "last"


async def test_a_failed_run_shows_its_error_and_the_app_stays_responsive():
    session = FakeSession(FakeRun(epochs=3, steps=4, fail_at=(2, 3)))
    app = TrainApp(SessionSource(session))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.state.failed is not None)
        assert app.query_one(ErrorPane).display
        assert "Training failed: loss is NaN at epoch 2 step 3; lower --lr" in text_of(app, "#error-pane")
        assert "FloatingPointError" in text_of(app, "#error-pane")
        assert any("loss is NaN" in n.message for n in app._notifications)
        assert status(app).startswith("failed · epoch 2/3")
        assert "error: loss is NaN" in status(app)
        # Still responsive: the loss view and the split keys work.
        pane = app.query_one(LossPane)
        await pilot.press("l")
        assert pane.view == "train vs valid"
        await pilot.press("l")
        assert pane.view != "train vs valid"
        # Over: q quits without asking.
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running)
    assert isinstance(app.return_value, Failed)


async def test_an_exception_out_of_the_trainer_is_shown_not_a_frozen_screen():
    session = FakeSession(FakeRun(epochs=3, steps=4, fail_at=(1, 3), fail_by_raising=True))
    app = TrainApp(SessionSource(session))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.state.failed is not None)
        assert app.is_running
        assert "RuntimeError: CUDA error: an illegal memory access was encountered" in text_of(app, "#error-pane")
        assert "Traceback" in app.state.failed.traceback
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running)
    assert isinstance(app.return_value, Failed)


async def test_models_without_full_integrity_say_so_plainly():
    for model, note, modalities in (
        ("dar", "DAR does not estimate integrity", []),
        ("lnln", "LNLN estimates language integrity only", ["text"]),
    ):
        app = TrainApp(SessionSource(FakeSession(FakeRun(model=model, epochs=2, steps=3))))
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.state.over)  # noqa: B023 - called within this iteration
            assert text_of(app, "#integrity-note") == note
            legend = app.query_one("#integrity-legend")
            assert legend.display == bool(modalities)
            if modalities:
                assert "text" in text_of(app, "#integrity-legend") and "audio" not in text_of(app, "#integrity-legend")
            # One stage: no stage column in the table.
            assert "Stage" not in [str(c.label) for c in app.query_one("#epoch-table", DataTable).columns.values()]


async def test_paper_selection_is_labelled_test_selected_and_t_switches_to_test():
    app = TrainApp(SessionSource(FakeSession(FakeRun(model="lnln", epochs=2, steps=3, selection="paper"))))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.state.over)
        assert "TEST-SELECTED" in text_of(app, "#run-header")
        assert "TEST-SELECTED" in text_of(app, "#best-pane")
        table = app.query_one("#epoch-table", DataTable)
        assert table.border_title == "Metrics per epoch — valid TEST-SELECTED"
        valid_mae = str(table.get_cell("2", "MAE"))
        await pilot.press("t")
        assert table.border_title.startswith("Metrics per epoch — test")
        assert str(table.get_cell("2", "MAE")) != valid_mae


async def test_watch_replays_a_finished_run_and_skips_a_bad_line(tmp_path):
    run = FakeRun(run_dir=str(tmp_path), epochs=3, steps=4)
    events = list(run.events())
    lines = [event_to_json(e) for e in events]
    lines.insert(5, "{not json")
    (tmp_path / "events.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    app = TrainApp(FileSource(tmp_path), mode="watch")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.state.over)
        app.flush()
        await pilot.pause()
        assert app.query_one("#epoch-table", DataTable).row_count == 3
        assert status(app).startswith("finished · epoch 3/3")
        assert any("events.jsonl line 6 skipped" in n.message for n in app._notifications)
        # Watching: q quits at once (nothing to save).
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running)


async def test_watch_follows_a_run_as_its_file_grows(tmp_path):
    run = FakeRun(run_dir=str(tmp_path), epochs=2, steps=3)
    events = list(run.events())
    path = tmp_path / "events.jsonl"
    first_epoch_end = next(i for i, e in enumerate(events) if type(e).__name__ == "EpochEnd")
    path.write_text("".join(event_to_json(e) + "\n" for e in events[: first_epoch_end + 1]), encoding="utf-8")
    app = TrainApp(FileSource(tmp_path, poll_s=0.05), mode="watch")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.state.epochs) == 1)
        assert status(app).startswith("running · epoch 1/2")
        with path.open("a", encoding="utf-8") as handle:
            rest = "".join(event_to_json(e) + "\n" for e in events[first_epoch_end + 1 :])
            handle.write(rest[:40])  # half a line: not an event yet, not an error either
            handle.flush()
            await pilot.pause(0.2)
            handle.write(rest[40:])
        await wait_for(pilot, lambda: app.state.over)
        assert len(app.state.epochs) == 2
        assert not app._notifications  # the half-written line was waited for, not skipped
