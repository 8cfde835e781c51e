"""``train --config`` / ``--set`` / ``--print-config`` and the stage schedule (core/training/config_file.py)."""

from __future__ import annotations

import pytest

from core.errors import ConfigError
from core.training.config_file import parse_set
from core.training.options import TrainOptions
from core.training.presets import TrainConfig, resolve_config


def test_set_values_are_typed_scalars():
    assert parse_set(["model.d=32", "train.lr=5e-5", "model.mark_padding=true", "model.prediction_readout=extra_token"]) == {
        "model.d": 32,
        "train.lr": 5e-5,
        "model.mark_padding": True,
        "model.prediction_readout": "extra_token",
    }


def test_set_reaches_model_protocol_and_training():
    config = resolve_config(
        TrainOptions(preset="demo", overrides=parse_set(["model.stage1_epochs=3", "train.lr=5e-5", "protocol.droprate=0.3"]))
    )
    assert config.model_overrides["stage1_epochs"] == 3 and config.lr == 5e-5 and config.protocol == {"droprate": 0.3}


@pytest.mark.parametrize(
    "items, message",
    [
        (["train.lrr=1"], "--set train.lrr: no training setting 'lrr': use one of"),
        (["train.lr=abc"], "train.lr: Value 'abc' of type 'str' could not be converted to Float"),
        (["model.stage1_epochs=x"], "model.stage1_epochs: Value 'x' of type 'str' could not be converted to Integer"),
        (["bogus=1"], "--set bogus=1: expected section.name=value"),
        (["train.dropout_masks=fast"], "unknown train.dropout_masks 'fast': choose packed or torch"),
    ],
)
def test_bad_settings_are_one_line_errors(items, message):
    with pytest.raises(ConfigError) as error:
        resolve_config(TrainOptions(preset="demo", overrides=parse_set(items)))
    assert str(error.value).startswith(message) and "\n" not in str(error.value)


def test_epochs_alone_scale_stage_one_and_say_so():
    config = resolve_config(TrainOptions(preset="demo", epochs=10))  # demo: stage 1 is 6 of 28
    assert config.model_overrides["stage1_epochs"] == 2
    assert config.notes == [
        "stage 1 scaled with --epochs: 2 of 10 epochs (the preset's 6 of 28); set it with --set model.stage1_epochs=N"
    ]
    paper = resolve_config(TrainOptions(data="synthetic", preset="mosi-paper", epochs=3))  # the paper's 40 of 150
    assert paper.model_overrides["stage1_epochs"] == 1
    lnln = resolve_config(TrainOptions(model="lnln", preset="demo", epochs=6))
    assert lnln.notes == [] and "stage1_epochs" not in lnln.model_overrides


def test_a_stage_that_cannot_happen_is_refused_unless_asked_for():
    options = TrainOptions(preset="demo", epochs=3, overrides={"model.stage1_epochs": 3})
    with pytest.raises(ConfigError, match=r"model.stage1_epochs=3 leaves no stage-2 epoch in train.epochs=3"):
        resolve_config(options)
    allowed = TrainOptions(preset="demo", epochs=3, overrides={"model.stage1_epochs": 3, "train.allow_incomplete_stages": True})
    assert resolve_config(allowed).model_overrides["stage1_epochs"] == 3


def test_config_file_and_precedence(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("model:\n  name: lnln\n  d: 32\ntrain:\n  preset: demo\n  epochs: 4\n  lr: 0.002\n")
    config = resolve_config(TrainOptions(config=str(path)))
    assert (config.model, config.preset, config.epochs, config.lr, config.model_overrides["d"]) == ("lnln", "demo", 4, 0.002, 32)
    # command-line options beat the file; --set beats both
    config = resolve_config(TrainOptions(config=str(path), epochs=5, overrides={"train.epochs": 6}))
    assert config.epochs == 6
    assert resolve_config(TrainOptions(config=str(path), epochs=5)).epochs == 5


@pytest.mark.parametrize(
    "text, message",
    [
        ("- a\n- b\n", "a config file is a mapping"),
        ("modle:\n  d: 3\n", "unknown section modle"),
        ("model: 3\n", "section 'model' must be a mapping"),
    ],
)
def test_bad_config_files(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        resolve_config(TrainOptions(config=str(path)))


def test_print_config_round_trips_through_config(run_cli, tmp_path):
    code, printed, err = run_cli(
        "train", "--preset", "tiny", "--model", "dar", "--set", "model.alignment=masked", "--print-config"
    )
    assert code == 0, err
    assert "alignment: masked" in printed and "name: dar" in printed
    path = tmp_path / "config.yaml"
    path.write_text(printed)
    code, again, err = run_cli("train", "--config", str(path), "--print-config")
    assert code == 0, err
    assert again == printed


def test_cli_refuses_unknown_keys_in_one_line(run_cli):
    code, _, err = run_cli("train", "--preset", "tiny", "--set", "model.foo=1", "--print-config")
    assert code == 2
    assert err.strip().splitlines() == [err.strip()] and "has no option foo" in err


@pytest.mark.slow
def test_a_run_folders_config_yaml_repeats_the_run_bit_for_bit(run_cli, tmp_path):
    import torch

    first, second = tmp_path / "first", tmp_path / "second"
    code, _, err = run_cli(
        "train", "--headless", "--preset", "tiny", "--model", "lnln", "--set", "model.d=32", "--out", str(first)
    )
    assert code == 0, err
    code, _, err = run_cli("train", "--headless", "--config", str(first / "config.yaml"), "--out", str(second))
    assert code == 0, err
    a = torch.load(first / "last.pt", weights_only=True)["state_dict"]
    b = torch.load(second / "last.pt", weights_only=True)["state_dict"]
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_dropout_masks_and_fused_adamw_are_on_for_new_runs_and_off_for_older_ones():
    config = resolve_config(TrainOptions(preset="tiny"))
    assert config.dropout_masks == "packed" and config.fused_optimizer
    assert (
        resolve_config(TrainOptions(preset="tiny", overrides=parse_set(["train.dropout_masks=torch"]))).dropout_masks == "torch"
    )
    older = {k: v for k, v in config.to_dict().items() if k not in ("dropout_masks", "fused_optimizer")}
    again = TrainConfig.from_dict(older)  # a run saved before the options: its masks and optimiser
    assert again.dropout_masks == "torch" and not again.fused_optimizer
    assert TrainConfig.from_dict(config.to_dict()) == config


def test_the_demo_preset_keeps_the_masks_and_optimiser_the_shipped_demos_were_trained_with():
    demo = resolve_config(TrainOptions(preset="demo"))
    assert demo.dropout_masks == "torch" and not demo.fused_optimizer
    chosen = resolve_config(
        TrainOptions(preset="demo", overrides=parse_set(["train.dropout_masks=packed", "train.fused_optimizer=true"]))
    )
    assert chosen.dropout_masks == "packed" and chosen.fused_optimizer
