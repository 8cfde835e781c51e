"""Two CPU processes under torchrun (gloo): DDP trains, only rank 0 writes, and the validation
metrics cover the whole validation split (they equal a single-process evaluation of the saved
weights)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.missingness import setting_from_dict
from core.runtime.checkpoint import build_model_from_checkpoint, load_checkpoint
from core.runtime.device import resolve_device
from core.training.batches import SplitTensors, draw_rates
from core.training.distributed import DistContext
from core.training.options import TrainOptions
from core.training.session import prepare_training
from core.training.validation import predict_split

BIN = Path(sys.executable).parent


@pytest.mark.slow
def test_two_gloo_processes_train_dar_for_one_epoch(tmp_path):
    out = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CI": "1"}
    command = [
        str(BIN / "torchrun"), "--standalone", "--nproc-per-node", "2", "--no-python",
        str(BIN / "senti-tui"), "train", "--headless", "--model", "dar", "--preset", "tiny", "--epochs", "1", "--out", str(out),
    ]  # fmt: skip
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]

    events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    kinds = [e["type"] for e in events]
    assert kinds.count("RunStarted") == 1 and kinds.count("EpochEnd") == 1 and kinds[-1] == "Finished"  # rank 0 only
    started = events[0]
    assert "x2 (DDP)" in started["device"] and started["config"]["world_size"] == 2
    assert started["train_size"] == 32 and started["steps_per_epoch"] == 1  # 16 samples per rank, batch 16
    steps = [e for e in events if e["type"] == "Step"]
    assert len(steps) == 1 and "aux" in steps[0]["losses"]  # DAR's CLUB step ran under DDP
    assert sorted(p.name for p in out.iterdir()) == [
        "config.json",
        "config.yaml",
        "events.jsonl",
        "last.pt",
        "metrics.csv",
        "synthetic_best.pt",
    ]

    # whole-split validation: the reported metrics are those of the saved weights on all of valid
    reported = next(e for e in events if e["type"] == "EpochEnd")["metrics"]["valid"]
    best = load_checkpoint(out / "synthetic_best.pt")
    dataset = prepare_training(TrainOptions(model="dar", preset="tiny", out=str(tmp_path / "unused")))._run.dataset
    assert dataset.fingerprint == best.data["fingerprint"]
    tensors = SplitTensors.from_split(dataset.split("valid"))
    draw = draw_rates(setting_from_dict(best.protocol["eval"]), tensors, dataset.present, 0)
    model = build_model_from_checkpoint(best)
    predictions = predict_split(model, tensors, draw, dataset.special_ids, resolve_device("cpu"), 64, DistContext(), None)
    assert len(predictions.prediction) == len(dataset.split("valid")) == 32
    assert predictions.metrics(dataset.name) == reported
