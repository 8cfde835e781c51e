"""Every file senti-tui writes is written atomically (issue 11): a temporary file in the same
folder, then a rename. A failed write (a full disk, a folder in the way) leaves the previous file
whole and no temporary file, and is one line; a run folder's start-up removes the temporary files
a killed writer left."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

import core.atomic_write as atomic
from core.atomic_write import remove_stale_temporaries, temporary_target, write_atomic
from core.errors import DataError, SentiError
from core.training.run_folder import RunFolder

SENTI_TUI = Path(sys.executable).with_name("senti-tui")


def full_disk_after(limit: int):
    """A content writer that fills the disk after ``limit`` bytes."""

    def write(stream) -> None:
        stream.write(b"x" * limit)
        raise OSError(errno.ENOSPC, "No space left on device")

    return write


def test_a_full_disk_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    monkeypatch.setattr(atomic, "_free_bytes", lambda folder: 1_200_000)
    target = tmp_path / "results.json"
    target.write_text("previous results")
    with pytest.raises(SentiError) as error:
        write_atomic(target, full_disk_after(1000), size_hint=5_000_000, remedy="choose another --out path")
    assert str(error.value) == (
        f"{target}: cannot write the file: the disk of {tmp_path} is full (1.2 MB free, 5.0 MB needed); choose another --out path"
    )
    assert target.read_text() == "previous results"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]


def test_a_failed_fsync_is_a_failed_write(tmp_path, monkeypatch):
    target = tmp_path / "metrics.csv"
    target.write_text("old")

    def fsync(fd):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(atomic.os, "fsync", fsync)
    with pytest.raises(DataError) as error:
        write_atomic(target, "new", error=DataError, remedy="try again")
    assert str(error.value) == f"{target}: cannot write the file (Input/output error); try again"
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["metrics.csv"]


def test_an_error_of_the_writer_itself_removes_the_temporary(tmp_path):
    def broken(stream):
        stream.write(b"half")
        raise ValueError("a bug")

    with pytest.raises(ValueError):
        write_atomic(tmp_path / "x.pkl", broken)
    assert list(tmp_path.iterdir()) == []


def test_written_files_get_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        path = write_atomic(tmp_path / "a.txt", "hi")
    finally:
        os.umask(umask)
    assert path.read_text() == "hi" and (path.stat().st_mode & 0o777) == 0o644


def test_eval_export_onto_a_full_disk_keeps_the_previous_results(tmp_path, monkeypatch):
    from core.evaluation import _write

    monkeypatch.setattr(atomic, "_free_bytes", lambda folder: 0)
    target = tmp_path / "results.json"
    target.write_text('{"previous": true}\n')
    real_fdopen = os.fdopen

    class Full:
        def __init__(self, stream):
            self.stream = stream

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.stream.close()

        def write(self, data):
            self.stream.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fdopen", lambda *a, **k: Full(real_fdopen(*a, **k)))
    with pytest.raises(SentiError) as error:
        _write(target, '{"new": true}\n')
    assert str(error.value) == (
        f"{target}: cannot write the file: the disk of {tmp_path} is full "
        "(0.0 MB free, more needed); choose another --out path, or free some space"
    )
    assert target.read_text() == '{"previous": true}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]


def test_data_synth_onto_a_folder_is_one_line_and_leaves_nothing(run_cli, tmp_path):
    folder = tmp_path / "out.pkl"
    folder.mkdir()
    code, out, err = run_cli("data", "synth", "--out", str(folder))
    assert (code, out) == (2, "")
    assert err == f"error: {folder}: cannot write the file: it is a folder; choose another --out\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.pkl"] and list(folder.iterdir()) == []


def test_data_synth_with_a_negative_seed_is_one_line(run_cli, tmp_path):
    code, out, err = run_cli("data", "synth", "--out", str(tmp_path / "s.pkl"), "--seed", "-1")
    assert (code, out) == (2, "")
    assert err == "error: --seed -1 is negative: the generator takes a seed >= 0\n"
    assert list(tmp_path.iterdir()) == []


def test_stale_temporaries_are_recognised_and_only_a_run_folders_own_removed(tmp_path):
    assert temporary_target(".last.pt.ab3_x9zq.tmp") == "last.pt"
    assert temporary_target(".last.pt.tmp") is None and temporary_target("last.pt") is None
    folder = tmp_path / "run"
    folder.mkdir()
    stale = [".last.pt.ab3_x9zq.tmp", ".synthetic_best.pt.0123abcd.tmp", ".metrics.csv.zzzzzzzz.tmp", ".config.json.a1b2c3d4.tmp"]
    kept = [".notes.txt.a1b2c3d4.tmp", "notes.txt", ".hidden"]
    for name in stale + kept:
        (folder / name).write_text("x")
    run = RunFolder(folder)
    run.open({"a": 1})
    run.close()
    assert sorted(p.name for p in folder.iterdir()) == sorted([*kept, "config.json", "events.jsonl"])
    assert remove_stale_temporaries(folder) == [folder / ".notes.txt.a1b2c3d4.tmp"]


# --- a real full disk: a small tmpfs (root only) -------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.slow
def test_data_synth_onto_a_full_disk(small_disk):
    target = small_disk / "synthetic.pkl"
    target.write_bytes(b"previous")
    result = subprocess.run([str(SENTI_TUI), "data", "synth", "--out", str(target)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {target}: cannot write the file: the disk of {small_disk} is full (")
    assert lines[0].endswith(" MB needed); choose another --out")
    assert target.read_bytes() == b"previous" and sorted(p.name for p in small_disk.iterdir()) == ["synthetic.pkl"]


@pytest.mark.slow
def test_training_onto_a_full_disk_is_one_line(small_disk):
    out = small_disk / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CI": "1"}
    result = subprocess.run(
        [str(SENTI_TUI), "train", "--headless", "--model", "lnln", "--preset", "tiny", "--epochs", "1", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""
    failed = [line for line in result.stdout.splitlines() if line.startswith("training failed:")]
    assert len(failed) == 1, result.stdout
    assert failed[0].startswith(f"training failed: {out / 'last.pt'}: cannot write the file: the disk of {out} is full (")
    assert failed[0].endswith(" MB needed); free some space, or write the run to another disk (--out)")
    assert not any(p.name.endswith(".tmp") for p in out.iterdir())
