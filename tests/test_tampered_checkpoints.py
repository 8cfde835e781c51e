"""Tampered or hand-made checkpoints (issue 11): the metadata is checked against a schema and
the weights against the model the config describes (built on torch's meta device, no memory)
before anything is built or any data regenerated; each problem is one line naming the file and
the remedy, and the explorer and eval refuse such a checkpoint at start (exit 2)."""

from __future__ import annotations

import time

import pytest

from core.errors import CheckpointError
from core.runtime.checkpoint import load_checkpoint
from tests.data_files import tampered_checkpoints
from tests.probe_checkpoints import make_checkpoint

COUNT = 22


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    root = tmp_path_factory.mktemp("tampered")
    return tampered_checkpoints(make_checkpoint(root / "good.pt", "lnln"), root / "bad")


def test_the_corpus(cases):
    assert len(cases) == COUNT


@pytest.mark.parametrize("index", range(COUNT))
def test_each_tampered_checkpoint_is_one_exact_line(cases, index):
    case = cases[index]
    started = time.perf_counter()
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(case.path)
    assert str(error.value) == case.message, case.name
    assert time.perf_counter() - started < 10, case.name  # nothing of the recorded size is built


def test_the_explorer_refuses_them_at_start(run_cli, cases):
    for case in cases:
        code, _out, err = run_cli("explore", str(case.path))
        assert code == 2, case.name
        assert err.splitlines()[-1] == f"error: {case.message}", case.name  # after the "opening ..." line
        assert len(err.splitlines()) == 2


def test_eval_refuses_them_too(run_cli, cases, tmp_path):
    for case in cases[:6] + cases[-3:]:
        code, _out, err = run_cli("eval", str(case.path), "--out", str(tmp_path / "r.json"))
        assert (code, err.splitlines()[-1]) == (2, f"error: {case.message}"), case.name
    assert not (tmp_path / "r.json").exists()


def test_the_shipped_demo_checkpoints_pass_the_schema():
    from pathlib import Path

    for name in ("demo.pt", "demo_lnln.pt", "demo_dar.pt"):
        path = Path(__file__).resolve().parents[1] / "checkpoints" / name
        if path.is_file():
            load_checkpoint(path)
