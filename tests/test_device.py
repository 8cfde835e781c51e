"""``--device auto|cpu|cuda|cuda:N`` for train, eval and explore: parsed and checked in one place
(core/runtime/device.py), one line for a device that is not there, recorded in the exports."""

from __future__ import annotations

import pytest
import torch

from core.errors import ConfigError
from core.runtime.device import parse_device, resolve_device


def test_parse():
    assert parse_device("auto") == ("auto", None) and parse_device("cpu") == ("cpu", None)
    assert (
        parse_device("cuda") == ("cuda", None) and parse_device("cuda:1") == ("cuda", 1) and parse_device("CUDA:0") == ("cuda", 0)
    )
    for bad in ("gpu", "cuda:", "cuda:-1", "cuda:x", "cpu:0", ""):
        with pytest.raises(ConfigError, match="choose one of auto, cpu, cuda, cuda:N"):
            parse_device(bad)


def test_cpu_and_auto_without_a_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("cpu").device == torch.device("cpu")
    assert resolve_device("auto").device == torch.device("cpu")
    with pytest.raises(ConfigError) as error:
        resolve_device("cuda:0")
    assert str(error.value) == "--device cuda:0 was asked for but no CUDA GPU is available: use --device cpu or --device auto"


def test_a_chosen_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    choice = resolve_device("cuda:1", precision="fp32")
    assert choice.device == torch.device("cuda", 1) and choice.describe() == "cuda:1 (fp32)"
    assert resolve_device("cuda", precision="fp32").device == torch.device("cuda", 0)
    assert resolve_device("auto", local_rank=1, precision="fp32").device == torch.device("cuda", 1)  # torchrun's rank
    with pytest.raises(ConfigError) as error:
        resolve_device("cuda:2", precision="fp32")
    assert str(error.value) == "--device cuda:2: this machine has 2 CUDA GPUs (cuda:0..cuda:1): choose one of them"
    with pytest.raises(ConfigError, match="torchrun gives each process its own: use --device cuda"):
        resolve_device("cuda:0", local_rank=1, precision="fp32")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without CUDA")
@pytest.mark.parametrize(
    "command", [("eval", "checkpoints/demo.pt"), ("train", "--preset", "tiny"), ("explore", "checkpoints/demo.pt")]
)
def test_a_missing_gpu_is_one_line_for_every_command(run_cli, command):
    code, out, err = run_cli(*command, "--device", "cuda:1")
    assert (code, out) == (2, "")
    assert (
        err.strip().splitlines()[-1]
        == "error: --device cuda:1 was asked for but no CUDA GPU is available: use --device cpu or --device auto"
    )


def test_the_device_is_recorded_in_eval_exports(tmp_path):
    from core.evaluation import evaluate_checkpoints, read_csv
    from tests.probe_checkpoints import make_checkpoint

    path = make_checkpoint(tmp_path / "dar.pt", "dar")
    report = evaluate_checkpoints([str(path)], protocols=("modes",), seeds=(1111,), device="cpu")
    assert report.metadata["device"] == "cpu" and report.metadata["provenance"]["device"] == "cpu"
    assert set(read_csv(report.to_csv(tmp_path / "r.csv")).device) == {"cpu"}
