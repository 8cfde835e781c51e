"""The epoch boundary (issue 11): a run SIGKILLed at any point of an epoch end -- after
``EpochEnd``, while writing the best checkpoint, while writing ``last.pt`` -- and resumed ends
with weights identical to a run never interrupted, and with the same best checkpoint.

Each run is a real ``senti-tui train`` in a subprocess whose ``os.replace`` (the rename that
completes every atomic write) or run-folder callback kills the process at the chosen moment.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from core.runtime.checkpoint import load_checkpoint
from core.training.events import Finished
from core.training.options import TrainOptions
from core.training.session import prepare_training

EPOCHS = 3
SENTI_TUI = Path(sys.executable).with_name("senti-tui")
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "CI": "1"}

# argv: <mode> <file name or event> <occurrence> -- senti-tui arguments...
HARNESS = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path

    mode, target, occurrence = sys.argv[1], sys.argv[2], int(sys.argv[3])
    seen = [0]

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    if mode == "rename":  # killed when the temporary file of `target` is complete, before its rename
        real_replace = os.replace

        def replace(src, dst, *args, **kwargs):
            if Path(dst).name == target:
                seen[0] += 1
                if seen[0] == occurrence:
                    die()
            return real_replace(src, dst, *args, **kwargs)

        os.replace = replace
    elif mode == "event":  # killed right after the run folder wrote the event (of that epoch)
        from core.training import run_folder

        real_call = run_folder.RunFolder.__call__

        def call(self, event):
            real_call(self, event)
            if type(event).__name__ == target and getattr(event, "epoch", None) == occurrence:
                die()

        run_folder.RunFolder.__call__ = call
    sys.argv = ["senti-tui", *sys.argv[5:]]
    from senti_tui.cli import main

    main()
    """
)


def same_weights(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The run never interrupted: its folder (last.pt, synthetic_best.pt, events.jsonl)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        out = tmp_path_factory.mktemp("reference") / "run"
        result = prepare_training(TrainOptions(model="lnln", preset="tiny", epochs=EPOCHS, out=str(out))).run([])
    finally:
        torch.set_num_threads(threads)
    assert isinstance(result, Finished) and result.epoch == EPOCHS
    return out


def killed_run(tmp_path: Path, mode: str, target: str, occurrence: int) -> Path:
    out = tmp_path / "run"
    script = tmp_path / "harness.py"
    script.write_text(HARNESS)
    process = subprocess.run(
        [
            sys.executable,
            str(script),
            mode,
            target,
            str(occurrence),
            "--",
            "train",
            "--headless",
            "--model",
            "lnln",
            "--preset",
            "tiny",
            "--epochs",
            str(EPOCHS),
            "--out",
            str(out),
        ],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert process.returncode == -signal.SIGKILL, process.stderr
    return out


def resume(out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SENTI_TUI), "train", "--headless", "--resume", str(out)], env=ENV, capture_output=True, text=True, timeout=300
    )


def assert_same_as_reference(out: Path, reference: Path) -> None:
    final, expected = load_checkpoint(out / "last.pt"), load_checkpoint(reference / "last.pt")
    assert final.epoch == EPOCHS and [h["epoch"] for h in final.history] == list(range(1, EPOCHS + 1))
    assert same_weights(final.state_dict, expected.state_dict)
    best, expected_best = load_checkpoint(out / "synthetic_best.pt"), load_checkpoint(reference / "synthetic_best.pt")
    assert best.epoch == expected_best.epoch and best.best == expected_best.best
    assert same_weights(best.state_dict, expected_best.state_dict)
    events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    assert sorted(e["epoch"] for e in events if e["type"] == "EpochEnd") == list(range(1, EPOCHS + 1))
    rows = (out / "metrics.csv").read_text().splitlines()
    assert [row.split(",")[0] for row in rows[1:]] == [str(e) for e in range(1, EPOCHS + 1)]
    assert sorted(p.name for p in out.iterdir()) == [
        "config.json",
        "config.yaml",
        "events.jsonl",
        "last.pt",
        "metrics.csv",
        "synthetic_best.pt",
    ]  # no temporary file left


@pytest.mark.slow
def test_killed_right_after_epoch_end_then_resume(reference, tmp_path):
    out = killed_run(tmp_path, "event", "EpochEnd", 1)
    assert load_checkpoint(out / "last.pt").epoch == 1  # written before EpochEnd was reported
    result = resume(out)
    assert result.returncode == 0, result.stderr
    assert_same_as_reference(out, reference)


@pytest.mark.slow
def test_killed_while_writing_the_best_checkpoint_then_resume(reference, tmp_path):
    out = killed_run(tmp_path, "rename", "synthetic_best.pt", 1)  # the best of epoch 1, complete but not renamed
    last = load_checkpoint(out / "last.pt")
    assert last.epoch == 1 and last.training_state["pending_saves"] == ["best"]
    assert not (out / "synthetic_best.pt").exists()
    result = resume(out)
    assert result.returncode == 0, result.stderr
    assert_same_as_reference(out, reference)


@pytest.mark.slow
def test_killed_while_writing_last_pt_then_resume(reference, tmp_path):
    out = killed_run(tmp_path, "rename", "last.pt", 2)  # last.pt of epoch 2; epoch 1's is on disk
    assert load_checkpoint(out / "last.pt").epoch == 1
    result = resume(out)
    assert result.returncode == 0, result.stderr
    assert_same_as_reference(out, reference)


@pytest.mark.slow
def test_killed_while_writing_the_first_last_pt_resume_says_so_truly(tmp_path):
    out = killed_run(tmp_path, "rename", "last.pt", 1)
    # last.pt is the first file of an epoch end: no epoch finished, so no checkpoint at all
    assert not any(p.suffix == ".pt" for p in out.iterdir())
    result = resume(out)
    assert result.returncode == 2
    assert result.stderr == (
        f"error: {out}: no last.pt to resume from: the run ended before it finished its first epoch, "
        f"so there is nothing to resume: start it again with --out {out} --overwrite\n"
    )


def test_a_run_that_stopped_early_stays_stopped_on_resume(tmp_path):
    """last.pt of the stopping epoch says the run is over: a run killed right after it (or
    resumed by mistake) does not train the epochs early stopping skipped."""
    from core.training.events import EarlyStop, Step

    out = tmp_path / "run"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        seen: list = []
        first = prepare_training(
            TrainOptions(model="lnln", preset="tiny", epochs=8, out=str(out), overrides={"train.patience": 1})
        ).run([seen.append])
        stopped = [e for e in seen if isinstance(e, EarlyStop)]
        assert isinstance(first, Finished) and stopped and first.epoch == stopped[0].epoch < 8
        before = load_checkpoint(out / "last.pt")
        assert before.training_state["early_stop"] is True
        seen = []
        again = prepare_training(TrainOptions(resume=str(out))).run([seen.append])
    finally:
        torch.set_num_threads(threads)
    assert isinstance(again, Finished) and again.epoch == first.epoch
    assert not any(isinstance(e, Step) for e in seen)
    after = load_checkpoint(out / "last.pt")
    assert after.epoch == before.epoch and same_weights(after.state_dict, before.state_dict)
