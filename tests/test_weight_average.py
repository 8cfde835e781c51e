"""``train.ema_decay``: the best checkpoint holds the moving average of the weights (what was
validated), ``last.pt`` the trained weights, and a stopped run resumes its average exactly."""

from __future__ import annotations

import pytest
import torch

from core.errors import ConfigError
from core.runtime.checkpoint import load_checkpoint
from core.training.config_file import parse_set
from core.training.events import Finished, Step
from core.training.options import TrainOptions
from core.training.presets import resolve_config
from core.training.session import prepare_training

pytestmark = pytest.mark.slow  # three tiny training runs


def options(out, epochs: int, decay: float | None, **extra) -> TrainOptions:
    overrides = parse_set([f"train.ema_decay={decay}"]) if decay is not None else {}
    return TrainOptions(model="lnln", preset="tiny", epochs=epochs, out=str(out), overrides=overrides, **extra)


def run(opts: TrainOptions, listeners=()) -> Finished:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        result = prepare_training(opts).run(list(listeners))
    finally:
        torch.set_num_threads(threads)
    assert isinstance(result, Finished)
    return result


def same_weights(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_ema_decay_outside_zero_one_is_refused():
    for bad in ("1.0", "-0.1"):
        with pytest.raises(ConfigError, match="ema_decay"):
            resolve_config(TrainOptions(preset="tiny", overrides=parse_set([f"train.ema_decay={bad}"])))


def test_best_checkpoint_holds_the_average_and_last_the_trained_weights(tmp_path):
    plain, averaged = tmp_path / "plain", tmp_path / "ema"
    run(options(plain, 1, None))
    run(options(averaged, 1, 0.5))
    # one epoch: the best is that epoch, so without averaging best and last hold the same weights
    assert same_weights(load_checkpoint(plain / "synthetic_best.pt").state_dict, load_checkpoint(plain / "last.pt").state_dict)
    # the same training (same seed) gives the same trained weights; the average differs from them
    last = load_checkpoint(averaged / "last.pt")
    best = load_checkpoint(averaged / "synthetic_best.pt")
    assert same_weights(last.state_dict, load_checkpoint(plain / "last.pt").state_dict)
    trained = [k for k, v in last.state_dict.items() if v.is_floating_point() and "text_encoder" not in k]
    assert any(not torch.equal(best.state_dict[k], last.state_dict[k]) for k in trained)
    assert best.training["ema_decay"] == 0.5
    assert last.training_state is not None and last.training_state["ema"] is not None


def test_a_stopped_run_resumes_its_average_exactly(tmp_path):
    reference, stopped = tmp_path / "reference", tmp_path / "stopped"
    run(options(reference, 2, 0.7))

    session = None

    def stop_in_epoch_2(event):
        if isinstance(event, Step) and event.epoch == 2 and event.step == 1:
            assert session is not None
            session.request_stop()

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        session = prepare_training(options(stopped, 2, 0.7))
        assert session.run([stop_in_epoch_2]).stopped_by_user
        session = prepare_training(TrainOptions(model="lnln", resume=str(stopped)))
        assert not session.run([]).stopped_by_user
    finally:
        torch.set_num_threads(threads)
    for name in ("synthetic_best.pt", "last.pt"):
        assert same_weights(load_checkpoint(stopped / name).state_dict, load_checkpoint(reference / name).state_dict)


def test_a_best_checkpoint_completed_on_resume_holds_the_average(tmp_path):
    """A run killed between last.pt and its best checkpoint writes the best on resume from last.pt:
    with averaging it must be the average (what was validated), not last.pt's trained weights."""
    out = tmp_path / "run"
    run(options(out, 1, 0.5))
    best = out / "synthetic_best.pt"
    written = load_checkpoint(best).state_dict
    best.unlink()  # as if killed right after last.pt
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        prepare_training(TrainOptions(model="lnln", resume=str(out))).run([])
    finally:
        torch.set_num_threads(threads)
    assert same_weights(load_checkpoint(best).state_dict, written)
