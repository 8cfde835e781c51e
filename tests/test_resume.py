"""Resuming is exact on CPU: a run killed with SIGKILL (or stopped mid-epoch) and resumed ends
with bit-identical weights to a run never interrupted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from core.runtime.checkpoint import load_checkpoint
from core.training.events import Finished, Step
from core.training.options import TrainOptions
from core.training.session import prepare_training

pytestmark = pytest.mark.slow  # a reference run, a run killed with SIGKILL and resumed

EPOCHS = 3
SENTI_TUI = Path(sys.executable).with_name("senti-tui")


def options(out: Path, **extra) -> TrainOptions:
    return TrainOptions(model="lnln", preset="tiny", epochs=EPOCHS, out=str(out), **extra)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The final weights of the run never interrupted (same thread count as the subprocesses)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        out = tmp_path_factory.mktemp("reference") / "run"
        result = prepare_training(options(out)).run([])
    finally:
        torch.set_num_threads(threads)
    assert isinstance(result, Finished) and result.epoch == EPOCHS
    return load_checkpoint(out / "last.pt")


def same_weights(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def train_command(*args: str) -> list[str]:
    return [str(SENTI_TUI), "train", "--headless", "--model", "lnln", *args]


def wait_for_last_of_epoch_1(process: subprocess.Popen, events: Path, timeout: float = 120.0) -> None:
    """Poll events.jsonl until last.pt of epoch 1 is reported saved."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the run ended before it could be killed"
        if events.exists():
            for line in events.read_text().splitlines():
                event = json.loads(line)
                if event["type"] == "CheckpointSaved" and event["kind"] == "last" and event["epoch"] == 1:
                    return
        time.sleep(0.02)
    raise AssertionError("last.pt of epoch 1 never appeared")


def test_sigkill_then_resume_matches_uninterrupted_run(reference, tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CI": "1"}
    out = tmp_path / "run"
    process = subprocess.Popen(
        train_command("--preset", "tiny", "--epochs", str(EPOCHS), "--out", str(out)),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_last_of_epoch_1(process, out / "events.jsonl")
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    killed_at = load_checkpoint(out / "last.pt").epoch
    assert 1 <= killed_at < EPOCHS  # killed mid-run: there is something left to resume

    resumed = subprocess.run(train_command("--resume", str(out)), env=env, capture_output=True, text=True, timeout=180)
    assert resumed.returncode == 0, resumed.stderr
    final = load_checkpoint(out / "last.pt")
    assert final.epoch == EPOCHS and [h["epoch"] for h in final.history] == list(range(1, EPOCHS + 1))
    assert same_weights(final.state_dict, reference.state_dict)
    starts = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    assert [e["start_epoch"] for e in starts if e["type"] == "RunStarted"] == [1, killed_at + 1]


def test_stop_mid_epoch_then_resume_matches_uninterrupted_run(reference, tmp_path):
    out = tmp_path / "run"

    def stop_in_epoch_2(event):
        if isinstance(event, Step) and event.epoch == 2 and event.step == 1:
            session.request_stop()

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        session = prepare_training(options(out))
        stopped = session.run([stop_in_epoch_2])
        assert isinstance(stopped, Finished) and stopped.stopped_by_user and stopped.epoch == 1
        state = load_checkpoint(out / "last.pt").training_state
        assert (state["next_epoch"], state["next_step"]) == (2, 1)  # mid-epoch: one batch of epoch 2 done

        session = prepare_training(TrainOptions(model="lnln", resume=str(out)))
        finished = session.run([])
    finally:
        torch.set_num_threads(threads)
    assert isinstance(finished, Finished) and not finished.stopped_by_user and finished.epoch == EPOCHS
    final = load_checkpoint(out / "last.pt")
    assert same_weights(final.state_dict, reference.state_dict)
    # the epoch split by the stop reports the same mean training losses as the uninterrupted one
    assert [h["train_losses"] for h in final.history] == [h["train_losses"] for h in reference.history]
