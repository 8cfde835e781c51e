"""``train.text_lr``: the text encoder's own learning rate (MMSA's ``learning_rate_bert``)."""

from __future__ import annotations

import pytest
import torch

from core.errors import ConfigError
from core.runtime.checkpoint import build_model_from_checkpoint, load_checkpoint
from core.training.config_file import parse_set
from core.training.options import TrainOptions
from core.training.presets import DEMO_PRETRAINED_TEXT_LR, resolve_config
from core.training.session import prepare_training


def test_a_rate_that_is_not_positive_is_refused():
    for bad in ("0", "-1e-5"):
        with pytest.raises(ConfigError, match="text_lr"):
            resolve_config(TrainOptions(preset="tiny", overrides=parse_set([f"train.text_lr={bad}"])))
    assert resolve_config(TrainOptions(preset="tiny")).text_lr is None


def test_the_demo_preset_fine_tunes_a_pretrained_encoder_at_its_own_rate():
    """The demo's lr 1e-3 fits its scratch encoder; a pretrained one gets 5e-5 unless set, and
    the run says so at start. The papers' presets train everything at their one rate."""
    demo = resolve_config(TrainOptions(preset="demo", text_encoder="minilm"))
    assert demo.text_lr == DEMO_PRETRAINED_TEXT_LR and any("train.text_lr=5e-05" in note for note in demo.notes)
    chosen = resolve_config(TrainOptions(preset="demo", text_encoder="minilm", overrides=parse_set(["train.text_lr=1e-4"])))
    assert chosen.text_lr == 1e-4 and not any("text_lr" in note for note in chosen.notes)
    assert resolve_config(TrainOptions(preset="demo")).text_lr is None
    assert resolve_config(TrainOptions(preset="demo", text_encoder="bert-base-config")).text_lr is None


@pytest.mark.slow  # a tiny training run
def test_the_text_encoder_trains_in_its_own_group_at_its_own_rate(tmp_path):
    out = tmp_path / "run"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        options = TrainOptions(model="lnln", preset="tiny", epochs=1, out=str(out), overrides=parse_set(["train.text_lr=2e-5"]))
        prepare_training(options).run([])
    finally:
        torch.set_num_threads(threads)
    last = load_checkpoint(out / "last.pt")
    groups, config = last.training_state["optimizer"]["param_groups"], last.training
    text_parameters = [p for p in build_model_from_checkpoint(last).text_encoder.parameters() if p.requires_grad]
    assert config["text_lr"] == 2e-5
    text_groups = [g for g in groups if g["lr_scale"] == pytest.approx(2e-5 / config["lr"])]
    assert len(text_groups) == 1 and len(text_groups[0]["params"]) == len(text_parameters)
    assert all(g["lr"] == pytest.approx(g["lr_scale"] * groups[-1]["lr"]) for g in groups)
