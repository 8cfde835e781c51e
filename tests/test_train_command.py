"""``senti-tui train`` / ``watch`` as commands: options reach TrainOptions, headless without a TTY,
user errors are one line with exit 2, silent non-zero torchrun ranks, exit 1 for a failed run.

The trainer is replaced by the fake session (``core.training.session`` is swapped in
``sys.modules``), so these tests check the surface, not the training."""

from __future__ import annotations

import sys
import types

import pytest
from typer.testing import CliRunner

from core.errors import ConfigError
from senti_tui import cli
from tests.fake_training import FakeRun, FakeSession

runner = CliRunner()


@pytest.fixture
def fake_trainer(monkeypatch):
    """Swap in a prepare_training that records its options and returns the fake session."""
    seen: dict = {}

    def prepare_training(options):
        seen["options"] = options
        model = options.model or "senti-ifusion"  # as the real trainer resolves None
        if model not in ("senti-ifusion", "lnln", "dar"):
            raise ConfigError(f"unknown model {options.model!r}; choose senti-ifusion, lnln or dar")
        run = FakeRun(model=model, epochs=options.epochs or 2, steps=3, fail_at=(1, 2) if options.seed == 13 else None)
        return FakeSession(run, sleep_s=0.0)

    module = types.ModuleType("core.training.session")
    module.prepare_training = prepare_training
    monkeypatch.setitem(sys.modules, "core.training.session", module)
    monkeypatch.delenv("RANK", raising=False)
    return seen


def test_options_reach_train_options_and_output_is_headless_without_a_tty(fake_trainer):
    result = runner.invoke(
        cli.app,
        [
            "train",
            "--model",
            "lnln",
            "--data",
            "synthetic",
            "--preset",
            "demo",
            "--text-encoder",
            "scratch",
            "--freeze-text",
            "--epochs",
            "3",
            "--batch-size",
            "16",
            "--lr",
            "0.002",
            "--seed",
            "7",
            "--device",
            "cpu",
            "--selection",
            "paper",
            "--out",
            "runs/x",
            "--resume",
            "runs/y",
        ],
    )
    assert result.exit_code == 0, result.output
    options = fake_trainer["options"]
    assert (options.model, options.data, options.preset, options.text_encoder, options.freeze_text) == (
        "lnln",
        "synthetic",
        "demo",
        "scratch",
        True,
    )
    assert (options.epochs, options.batch_size, options.lr, options.seed, options.device) == (3, 16, 0.002, 7, "cpu")
    assert (options.selection, options.out, options.resume) == ("paper", "runs/x", "runs/y")
    assert result.output.startswith("training LNLN on synthetic")
    assert "finished 3 epochs" in result.output


def test_defaults_leave_the_choice_to_the_trainer(fake_trainer):
    assert runner.invoke(cli.app, ["train"]).exit_code == 0
    options = fake_trainer["options"]
    # No --model: the trainer picks (senti-ifusion for a new run, the run's own model on --resume).
    assert options.model is None and options.preset is None and options.epochs is None
    assert options.device == "auto" and options.selection == "valid"


def test_a_failed_run_exits_1(fake_trainer):
    result = runner.invoke(cli.app, ["train", "--seed", "13"])
    assert result.exit_code == 1
    assert "training failed: loss is NaN" in result.output


def test_non_zero_ranks_train_silently(fake_trainer, monkeypatch):
    monkeypatch.setenv("RANK", "1")
    result = runner.invoke(cli.app, ["train"])
    assert result.exit_code == 0 and result.output == ""


def test_a_user_mistake_is_one_line_and_exit_2(fake_trainer, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["senti-tui", "train", "--model", "bert"])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.err == "error: unknown model 'bert'; choose senti-ifusion, lnln or dar\n"


def test_watch_a_missing_folder_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    for argv, message in (
        (["watch", str(tmp_path / "nope")], "no such run folder"),
        (["watch", str(tmp_path)], "events.jsonl: not found"),
    ):
        monkeypatch.setattr(sys, "argv", ["senti-tui", *argv])
        with pytest.raises(SystemExit) as exit_info:
            cli.main()
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err


def test_watch_without_a_tty_replays_the_run_as_text(tmp_path):
    FakeRun(run_dir=str(tmp_path), epochs=2, steps=3).write_events(tmp_path / "events.jsonl")
    result = runner.invoke(cli.app, ["watch", str(tmp_path)])
    assert result.exit_code == 0
    assert "epoch 2/2 · stage 2" in result.output and "finished 2 epochs" in result.output


@pytest.mark.slow
def test_the_cli_module_does_not_import_torch():
    import subprocess

    code = "import sys, senti_tui.cli, senti_tui.commands.train, senti_tui.headless, senti_tui.apps.train.app; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_no_model_means_senti_ifusion_for_a_new_run():
    from core.training.options import TrainOptions
    from core.training.presets import resolve_config

    assert resolve_config(TrainOptions(preset="tiny")).model == "senti-ifusion"
