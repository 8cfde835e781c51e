"""The headless printer: the same figures as the app, as plain lines without a terminal."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from core.training.events import Finished
from senti_tui.event_sources import FileSource, SessionSource
from senti_tui.headless import HeadlessPrinter, run_headless
from tests.fake_training import FakeRun, FakeSession


def plain_console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=False, width=80, highlight=False), buffer


def test_a_run_prints_start_steps_epochs_stage_checkpoints_and_summary():
    console, buffer = plain_console()
    session = FakeSession(FakeRun(epochs=3, steps=8, stage1_epochs=1), sleep_s=0.0)
    result = run_headless(SessionSource(session), HeadlessPrinter(console))
    assert isinstance(result, Finished)
    lines = buffer.getvalue().splitlines()
    assert lines[0] == (
        "training Senti-iFusion on synthetic  SYNTHETIC · device cpu · 3 epochs × 8 steps "
        "(batch 32, 256 samples) · selection on valid"
    )
    assert lines[1] == "run folder checkpoints/fake-run"
    assert "  stage 2 (epochs 2–3): completion and fusion" in lines
    # Plain step lines at each quarter of an epoch (not at its last step: the epoch line says it).
    steps = [line for line in lines if line.startswith("epoch 1/3 step")]
    assert [line.split(" · ")[0] for line in steps] == ["epoch 1/3 step 2/8", "epoch 1/3 step 4/8", "epoch 1/3 step 6/8"]
    assert steps[0].endswith("· 640 samples/s · ETA 11s")
    epoch_lines = [line for line in lines if line.startswith("epoch ") and " step " not in line]
    assert len(epoch_lines) == 3
    first = epoch_lines[0]
    for piece in (
        "epoch 1/3",
        "stage 1",
        "val 1.1000",
        "MAE 1.100",
        "Corr 0.500",
        "Acc-7 32.5",
        "Acc-2 Non0 71.0",
        "F1 Has0 69.0",
        "R² text 0.88 audio 0.88 vision 0.88",
        "best epoch 1 ★",
        "patience 3",
    ):
        assert piece in first, piece
    assert "stage 2 from epoch 2: completion and fusion" in lines
    assert "  saved best checkpoint checkpoints/fake-run/synthetic_best.pt (epoch 1)" in lines
    assert "finished 3 epochs in 12s" in lines
    assert any(line.startswith("best epoch 3 on valid: MAE 0.900 · Corr 0.700") for line in lines)
    assert lines[-1] == "run folder checkpoints/fake-run"
    # No line is wrapped, whatever its length (logs are grepped).
    assert max(len(line) for line in lines) > 80


def test_a_stopped_run_says_last_pt_was_saved_and_how_to_resume():
    console, buffer = plain_console()
    session = FakeSession(FakeRun(epochs=3, steps=4), sleep_s=0.0)
    printer = HeadlessPrinter(console)

    def stop_after_first_epoch(event):
        if type(event).__name__ == "EpochEnd":
            session.request_stop()

    session.run([printer, stop_after_first_epoch])
    text = buffer.getvalue()
    assert "stopped by you in epoch 2 after 2s; last.pt saved (continue with --resume checkpoints/fake-run)" in text
    assert "saved last checkpoint checkpoints/fake-run/last.pt (epoch 1)" in text


def test_a_failed_run_prints_the_error():
    console, buffer = plain_console()
    run_headless(SessionSource(FakeSession(FakeRun(epochs=2, steps=4, fail_at=(1, 2)), sleep_s=0.0)), HeadlessPrinter(console))
    assert buffer.getvalue().splitlines()[-1] == "training failed: loss is NaN at epoch 1 step 2; lower --lr"


def test_paper_selection_and_early_stopping_are_said():
    console, buffer = plain_console()
    run = FakeRun(model="lnln", epochs=5, steps=4, selection="paper", early_stop_at=3)
    run_headless(SessionSource(FakeSession(run, sleep_s=0.0)), HeadlessPrinter(console))
    text = buffer.getvalue()
    assert "TEST-SELECTED" in text.splitlines()[0] and "selection on test (paper)" in text.splitlines()[0]
    assert "early stopping at epoch 3: no better epoch than 3 in 3" in text
    assert "finished by early stopping at epoch 3" in text
    assert "best epoch 3 on test (TEST-SELECTED):" in text
    assert "stage" not in text  # one stage: no stage lines or columns


def test_with_a_terminal_it_draws_a_bar_per_epoch_and_still_prints_the_epoch_lines():
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=120, highlight=False, color_system=None)
    result = run_headless(SessionSource(FakeSession(FakeRun(epochs=2, steps=4), sleep_s=0.0)), HeadlessPrinter(console))
    assert isinstance(result, Finished)
    text = buffer.getvalue()
    assert "epoch 1/2 · stage 1 · train" in text and "finished 2 epochs" in text
    assert "epoch 1/2 step" not in text  # the bar replaces the plain step lines


def test_watch_headless_replays_a_file(tmp_path):
    FakeRun(run_dir=str(tmp_path), epochs=2, steps=4).write_events(tmp_path / "events.jsonl")
    console, buffer = plain_console()
    result = run_headless(FileSource(tmp_path), HeadlessPrinter(console))
    assert isinstance(result, Finished)
    assert "finished 2 epochs in 4s" in buffer.getvalue()


@pytest.mark.slow
def test_ctrl_c_asks_the_run_to_stop_and_save_instead_of_killing_it():
    import os
    import signal

    console, buffer = plain_console()
    session = FakeSession(FakeRun(epochs=3, steps=4), sleep_s=0.0)
    fake_run = session.run
    before = signal.getsignal(signal.SIGINT)  # SIG_IGN under nohup or a background job

    def run_and_interrupt(callbacks):
        def interrupt_after_first_epoch(event):
            if type(event).__name__ == "EpochEnd" and event.epoch == 1:
                os.kill(os.getpid(), signal.SIGINT)  # as if ctrl+c were pressed

        return fake_run([*callbacks, interrupt_after_first_epoch])

    session.run = run_and_interrupt
    result = run_headless(SessionSource(session), HeadlessPrinter(console))
    assert isinstance(result, Finished) and result.stopped_by_user
    assert "stopping after the current batch; saving last.pt (ctrl+c again to abort)" in buffer.getvalue()
    assert signal.getsignal(signal.SIGINT) is before  # restored afterwards
