"""core.runtime: the thread policy, several settings at once giving the same figures as one at a
time, the evaluation batches shared with training, and the old module paths still naming the
moved modules."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.missingness import evaluation_sweep
from core.probe.session import Probe
from core.runtime.batching import eval_spans
from core.runtime.inference import configure_threads
from core.training.batches import eval_batches
from core.training.distributed import DistContext
from tests.probe_checkpoints import make_checkpoint


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    folder = tmp_path_factory.mktemp("runtime")
    return [str(make_checkpoint(folder / "sif.pt", "senti-ifusion")), str(make_checkpoint(folder / "lnln.pt", "lnln", seed=1))]


def test_one_intra_op_thread_and_omp_num_threads_caps_the_workers(monkeypatch):
    threads = torch.get_num_threads()
    try:
        monkeypatch.setenv("OMP_NUM_THREADS", "1")
        assert configure_threads() == 1 and torch.get_num_threads() == 1
        monkeypatch.setenv("OMP_NUM_THREADS", "64")
        assert 1 <= configure_threads() <= 4 and torch.get_num_threads() == 1  # never more workers than cores
    finally:
        torch.set_num_threads(threads)


def test_several_settings_at_once_equal_one_at_a_time(paths, monkeypatch):
    settings = evaluation_sweep("rates", 1111)[:4] + evaluation_sweep("rates", 1112)[:2]  # r = 0 twice: one mask
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    threads = torch.get_num_threads()
    try:
        together = Probe.open(paths)
        together.workers = 2  # side by side even on a one-core machine
        ready: list[int] = []
        at_once = together.predict_settings(settings, done=ready.append)
        alone = Probe.open(paths)
        one_by_one = [alone.predict_split(s) for s in settings]
    finally:
        torch.set_num_threads(threads)
    assert sorted(ready) == list(range(len(settings)))
    for (truth_a, preds_a), (truth_b, preds_b) in zip(at_once, one_by_one):
        assert np.array_equal(truth_a, truth_b)
        for a, b in zip(preds_a, preds_b):
            assert np.array_equal(a.prediction, b.prediction) and np.array_equal(a.dominant, b.dominant)
            assert np.array_equal(a.integrity_est, b.integrity_est, equal_nan=True)
    assert together.device == torch.device("cpu")


@pytest.mark.parametrize("n", [1, 2, 64, 65, 129, 686])
def test_evaluation_batches_are_the_trainers(n):
    for world in (1, 2):
        for rank in range(world):
            ours = eval_spans(n, 64, rank, world)
            theirs = eval_batches(n, 64, DistContext(rank=rank, world_size=world))
            assert ours == [(int(b[0]), int(b[-1]) + 1) for b in theirs]


def test_text_code_does_not_import_data():
    import subprocess
    import sys

    code = "import sys, core.text.encoders, core.text.tokenizers; print(any(m.startswith('core.data') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"


@pytest.mark.parametrize("n", [65, 129, 193])
def test_a_trailing_batch_of_one_joins_the_previous_one(n):
    """n = 64k + 1: every row exactly once, the last batch 65 rows (it once lost a batch and doubled another)."""
    rows = [r for start, stop in eval_spans(n) for r in range(start, stop)]
    assert rows == list(range(n)) and eval_spans(n)[-1][1] - eval_spans(n)[-1][0] == 65
    from core.training.batches import epoch_batches

    shuffled = sorted(int(r) for b in epoch_batches(n, 64, seed=0, epoch=1, ctx=DistContext()) for r in b)
    assert shuffled == list(range(n))


def test_whole_split_on_two_workers_equals_one(paths):
    """Tasks per (batch, model) on two workers: the same arrays as one worker in order."""
    settings = evaluation_sweep("rates", 1113)[3:5]
    threads = torch.get_num_threads()
    try:
        two, one = Probe.open(paths), Probe.open(paths)
        two.workers, one.workers = 2, 1
        for setting in settings:
            (truth_a, preds_a), (truth_b, preds_b) = two.predict_split(setting), one.predict_split(setting)
            assert np.array_equal(truth_a, truth_b)
            for a, b in zip(preds_a, preds_b):
                assert np.array_equal(a.prediction, b.prediction) and np.array_equal(a.dominant, b.dominant)
                assert np.array_equal(a.integrity_est, b.integrity_est, equal_nan=True)
    finally:
        torch.set_num_threads(threads)
