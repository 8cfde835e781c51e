"""``train --out`` (issue 11): a folder that holds a run is refused unless the user says
``--overwrite``; an unusable folder, an impossible option or data the selection cannot use is one
line (exit 2) before anything is loaded or written."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

import pytest
import torch

from core.errors import ConfigError
from core.runtime.checkpoint import load_checkpoint
from core.training.events import Finished
from core.training.options import TrainOptions
from core.training.run_folder import RunFolder, run_is_active
from core.training.session import prepare_training
from tests.data_files import GOOD_CSV_ROWS, csv_text


def options(out: Path | str, overwrite: bool | None = None, **extra) -> TrainOptions:
    result = TrainOptions(model="lnln", preset="tiny", epochs=1, out=str(out), **extra)
    if overwrite is not None:
        result.overwrite = overwrite  # the lead adds the field to TrainOptions; read with getattr
    return result


def refusal(opts: TrainOptions) -> str:
    with pytest.raises(ConfigError) as error:
        prepare_training(opts)
    return str(error.value)


@pytest.mark.parametrize("name", ["events.jsonl", "config.json", "synthetic_best.pt", "last.pt", "best_MAE.pt"])
def test_a_folder_holding_a_run_is_refused(tmp_path, name):
    out = tmp_path / "r"
    out.mkdir()
    (out / name).write_text("x")
    assert refusal(options(out)) == (
        f"{out}: already holds a run ({name}): resume it with --resume {out}, "
        "or choose another --out folder (--overwrite replaces it)"
    )
    assert sorted(p.name for p in out.iterdir()) == [name]  # nothing written


def test_the_cli_says_it_in_one_line_exit_2(run_cli, tmp_path):
    out = tmp_path / "r"
    out.mkdir()
    for name in ("config.json", "events.jsonl", "last.pt", "metrics.csv", "synthetic_best.pt"):
        (out / name).write_text("x")
    code, stdout, err = run_cli("train", "--headless", "--preset", "tiny", "--model", "dar", "--out", str(out))
    assert code == 2 and stdout == ""
    assert err == (
        f"error: {out}: already holds a run (config.json, events.jsonl, last.pt, metrics.csv): "
        f"resume it with --resume {out}, or choose another --out folder (--overwrite replaces it)\n"
    )


def test_an_empty_or_unrelated_folder_is_fine(tmp_path):
    out = tmp_path / "r"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    session = prepare_training(options(out))
    assert session.run_dir == out


@pytest.mark.parametrize("kind", ["file", "proc", "through_a_file", "sys"])
def test_an_unusable_out_is_one_line(tmp_path, kind):
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    out, message = {
        "file": (
            a_file,
            "{out}: is a file, not a folder: choose another --out folder "
            "(a run folder holds config.json, events.jsonl and the checkpoints)",
        ),
        "proc": (
            Path("/proc/self/run"),
            "{out}: is under /proc, a system folder, not a place for a run: choose another --out folder",
        ),
        "sys": (Path("/sys/run"), "{out}: is under /sys, a system folder, not a place for a run: choose another --out folder"),
        "through_a_file": (
            a_file / "run",
            f"{{out}}: {a_file} is a file, so no folder can be made there: choose another --out folder",
        ),
    }[kind]
    assert refusal(options(out)) == message.replace("{out}", str(out))


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_a_read_only_parent_is_one_line(tmp_path):
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        assert refusal(options(parent / "run")) == (
            f"{parent / 'run'}: cannot write in {parent} (permission denied or a read-only disk): choose another --out folder"
        )
    finally:
        parent.chmod(0o755)


def test_resume_and_overwrite_together_are_refused(tmp_path):
    opts = TrainOptions(resume=str(tmp_path))
    opts.overwrite = True
    assert refusal(opts) == f"--overwrite starts a new run and --resume {tmp_path} continues one: pass only one of them"


def test_a_folder_a_live_run_writes_is_refused_even_with_overwrite(tmp_path):
    out = tmp_path / "r"
    out.mkdir()
    with (out / "events.jsonl").open("a") as events:
        fcntl.flock(events.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # what a running RunFolder holds
        assert run_is_active(out) is True
        assert refusal(options(out, overwrite=True)) == (
            f"{out}: a senti-tui run is writing this folder now: choose another --out folder, or wait for it to end"
        )
        assert refusal(TrainOptions(resume=str(out))) == (
            f"{out}: a senti-tui run is writing this folder now: wait for it to end before resuming it"
        )
    assert run_is_active(out) is False


def test_overwrite_replaces_the_old_run(tmp_path):
    out = tmp_path / "r"
    out.mkdir()
    (out / "events.jsonl").write_text('{"type": "old"}\n')
    (out / "mosi_best.pt").write_text("old")  # another data set's best: not this run's
    (out / "best_MAE.pt").write_text("old")
    (out / "notes.txt").write_text("mine")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        result = prepare_training(options(out, overwrite=True)).run([])
    finally:
        torch.set_num_threads(threads)
    assert isinstance(result, Finished)
    assert sorted(p.name for p in out.iterdir()) == [
        "config.json",
        "config.yaml",
        "events.jsonl",
        "last.pt",
        "metrics.csv",
        "notes.txt",
        "synthetic_best.pt",
    ]
    events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    assert events[0]["type"] == "RunStarted" and [e["type"] for e in events].count("RunStarted") == 1
    assert load_checkpoint(out / "last.pt").model == "lnln"


def test_run_folder_holds_its_lock_while_open(tmp_path):
    folder = RunFolder(tmp_path / "r")
    folder.open({"a": 1})
    try:
        assert run_is_active(tmp_path / "r") is True
        second = RunFolder(tmp_path / "r")
        with pytest.raises(Exception) as error:
            second.open({"a": 1})
        assert str(error.value) == (
            f"{tmp_path / 'r'}: another senti-tui run is writing this folder now; "
            "wait for it to end, or choose another --out folder"
        )
    finally:
        folder.close()
    assert run_is_active(tmp_path / "r") is False


def test_impossible_learning_rate_and_epochs_are_one_line(tmp_path):
    assert refusal(options(tmp_path / "a", lr=float("inf"))) == "--lr must be a finite positive number, not inf"
    opts = options(tmp_path / "c")
    opts.epochs = 10**20
    assert refusal(opts) == f"--epochs {10**20} is more than 100,000: pass a number of epochs a run can finish"


def test_paper_selection_without_a_test_split_is_one_line(tmp_path):
    data = tmp_path / "label.csv"
    data.write_text(csv_text([row for row in GOOD_CSV_ROWS if row[4] != "test"]))
    opts = TrainOptions(
        model="lnln", preset="tiny", data=str(data), text_encoder="scratch", selection="paper", out=str(tmp_path / "r")
    )
    assert refusal(opts) == (
        f"{data}: has no test split, and --selection paper selects on test: use --selection valid, or data with a test split"
    )


def test_cli_epochs_in_float_notation(run_cli, tmp_path):
    code, _out, err = run_cli("train", "--headless", "--preset", "tiny", "--epochs", "1e20", "--out", str(tmp_path / "r"))
    assert code == 2 and len(err.splitlines()) == 1 and "Traceback" not in err
