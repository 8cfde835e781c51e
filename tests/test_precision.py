"""Precision as a setting (``--precision fp32|bf16|auto``): how it resolves per device, that the
bf16 autocast path runs on CPU and stays close to fp32, and that checkpoints and eval exports
record it.

Tolerance for bf16 vs fp32 on the trained demo checkpoints: bfloat16 keeps an 8-bit significand,
so rounding to it costs up to 2^-9 ≈ 0.2 % (relative) per rounding; autocast rounds the inputs
of every matrix product and attention (accumulating in fp32), and a prediction passes through
some 25 of them, so independent errors add up to about sqrt(25) · 0.2 % ≈ 1 % of the
activations' scale. The demo predictions are O(1) (labels in [-3, 3]), which makes ~0.01 the
expected error; measured: max |Δ| 0.012 (LNLN), 0.010 (Senti-iFusion, per-sample dominant),
0.007 (DAR) over the valid split at r = 0.5. Allowed: 0.05 per prediction (4x headroom), 0.02
per integrity estimate (a sigmoid output in [0, 1]), and 0.01 on MAE and Corr (means over the
split: the per-sample errors mostly cancel; measured <= 0.0005).

Senti-iFusion is compared with its per-sample dominant modality: with the paper's per-batch
choice, a batch whose two best modalities have nearly equal mean integrity may switch its
dominant modality under bf16, which moves the whole batch's predictions (a discrete choice, not
a rounding error). Per sample the same can happen to a sample whose two best estimates are
within the estimates' tolerance of each other: allowed there only (and for at most 2 % of the
samples), and such a sample's prediction is not compared.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from core.errors import ConfigError
from core.missingness import RateSetting
from core.runtime.device import resolve_device

CHECKPOINTS = Path(__file__).resolve().parents[1] / "checkpoints"
DEMOS = ["demo.pt", "demo_lnln.pt", "demo_dar.pt"]


# ----- resolution -------------------------------------------------------------------------------


def test_cpu_defaults_to_fp32_and_runs_bf16_when_asked():
    auto = resolve_device("cpu")
    assert auto.precision == "fp32" and auto.autocast_dtype is None and auto.describe() == "cpu (fp32)"
    assert isinstance(auto.autocast(), contextlib.nullcontext)
    assert resolve_device("cpu", precision="fp32").precision == "fp32"
    bf16 = resolve_device("cpu", precision="bf16")
    assert bf16.precision == "bf16" and bf16.autocast_dtype == torch.bfloat16 and bf16.describe() == "cpu (bf16 autocast)"
    with bf16.autocast():
        out = torch.nn.Linear(4, 4)(torch.ones(2, 4))
    assert out.dtype == torch.bfloat16


def test_an_unknown_precision_is_one_line():
    with pytest.raises(ConfigError) as error:
        resolve_device("cpu", precision="fp16")
    assert str(error.value) == "unknown precision 'fp16': choose one of auto, fp32, bf16"


@pytest.mark.parametrize(
    "supported, requested, expected",
    [
        (True, "auto", "bf16"),
        (False, "auto", "fp32"),
        (True, "fp32", "fp32"),
        (True, "bf16", "bf16"),
    ],
)
def test_cuda_defaults_to_bf16_where_supported(monkeypatch, supported, requested, expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: supported)
    assert resolve_device("auto", precision=requested).precision == expected


def test_bf16_on_a_gpu_without_it_is_refused(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    with pytest.raises(ConfigError, match="does not support bfloat16: use --precision fp32"):
        resolve_device("cuda", precision="bf16")


# ----- bf16 close to fp32 -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_predictions():
    from core.probe.session import Probe

    paths = [str(CHECKPOINTS / name) for name in DEMOS]
    out = {}
    for precision in ("fp32", "bf16"):
        probe = Probe.open(paths, split="valid", split_dominant="sample", precision=precision)
        assert probe.precision == precision
        out[precision] = (
            probe.models,
            probe.predict_split(RateSetting(0.5, 1111))[1],
            probe.evaluate_setting(RateSetting(0.5, 1111)),
        )
    return out


def test_bf16_predictions_are_close_to_fp32(demo_predictions):
    models, fp32, _ = demo_predictions["fp32"]
    _, bf16, _ = demo_predictions["bf16"]
    for info, a, b in zip(models, fp32, bf16):
        assert a.prediction.dtype == b.prediction.dtype == np.float32  # converted before any metric
        assert not np.array_equal(a.prediction, b.prediction), info.key  # bf16 really ran
        estimated = np.isfinite(a.integrity_est)
        assert np.array_equal(estimated, np.isfinite(b.integrity_est))
        if estimated.any():
            assert np.abs(a.integrity_est[estimated] - b.integrity_est[estimated]).max() <= 0.02, info.key
        # the dominant modality may change only where the two best estimates are within the
        # estimates' own tolerance of each other (an argmax over a near-tie), and rarely
        flipped = a.dominant != b.dominant
        assert flipped.mean() <= 0.02, info.key
        if flipped.any():
            best_two = np.sort(a.integrity_est[flipped], axis=1)[:, -2:]
            assert (best_two[:, 1] - best_two[:, 0] <= 2 * 0.02).all(), info.key
        assert np.abs(a.prediction - b.prediction)[~flipped].max() <= 0.05, info.key


def test_bf16_metrics_are_close_to_fp32(demo_predictions):
    fp32, bf16 = demo_predictions["fp32"][2], demo_predictions["bf16"][2]
    for key in fp32:
        assert abs(fp32[key]["MAE"] - bf16[key]["MAE"]) <= 0.01, key
        assert abs(fp32[key]["Corr"] - bf16[key]["Corr"]) <= 0.01, key


def test_the_probe_of_one_utterance_runs_in_bf16():
    from core.probe.session import Probe
    from core.probe.types import ProbeSettings

    settings = ProbeSettings(rates=(0.3, 0.6, 0.1))
    fp32 = Probe.open([str(CHECKPOINTS / "demo_lnln.pt")], precision="fp32").run(5, settings)
    bf16 = Probe.open([str(CHECKPOINTS / "demo_lnln.pt")], precision="bf16").run(5, settings)
    assert isinstance(bf16.predictions[0].prediction, float)
    assert bf16.predictions[0].prediction == pytest.approx(fp32.predictions[0].prediction, abs=0.05)


# ----- recorded ---------------------------------------------------------------------------------------


def test_eval_exports_record_the_precision(tmp_path):
    from core.evaluation import evaluate_checkpoints, read_csv
    from tests.probe_checkpoints import make_checkpoint

    path = str(make_checkpoint(tmp_path / "lnln.pt", "lnln", seed=1))
    default = evaluate_checkpoints([path], seeds=[1111])
    assert default.metadata["precision"] == "fp32"
    report = evaluate_checkpoints([path], seeds=[1111], precision="bf16")
    assert report.metadata["precision"] == "bf16"
    assert json.loads(report.to_json(tmp_path / "r.json").read_text())["metadata"]["precision"] == "bf16"
    assert set(read_csv(report.to_csv(tmp_path / "r.csv"))["precision"]) == {"bf16"}


def test_training_in_bf16_records_it_in_checkpoints_and_config(tmp_path):
    from core.runtime.checkpoint import load_checkpoint
    from core.training.options import TrainOptions
    from core.training.session import prepare_training

    out = tmp_path / "run"
    session = prepare_training(TrainOptions(model="lnln", preset="tiny", device="cpu", precision="bf16", epochs=1, out=str(out)))
    assert "train:" in session.config_yaml and "precision: bf16" in session.config_yaml
    session.run([])
    for name in ("last.pt", "synthetic_best.pt"):
        assert load_checkpoint(out / name).training["precision"] == "bf16"
    config = json.loads((out / "config.json").read_text())
    assert config["precision"] == "bf16" and config["device"] == "cpu (bf16 autocast)"
    # --config with the run's own config.yaml repeats the precision; the default stays fp32 on CPU
    (tmp_path / "run.yaml").write_text(session.config_yaml)
    again = prepare_training(TrainOptions(config=str(tmp_path / "run.yaml"), device="cpu", out=str(tmp_path / "again")))
    assert "precision: bf16" in again.config_yaml
    plain = prepare_training(TrainOptions(model="lnln", preset="tiny", device="cpu", out=str(tmp_path / "plain")))
    assert "precision: fp32" in plain.config_yaml
