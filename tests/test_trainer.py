"""The trainer: event stream, run folder, reproducibility, stop flag, stage freezing, DAR's
auxiliary step, paper selection, checkpoints and the one-line errors.

Every run uses the ``tiny`` preset (32 synthetic samples per split, batch 16, narrow models).
"""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import torch

from core.data.dataset import FeatureDims
from core.errors import CheckpointError, ConfigError, DataError
from core.missingness import setting_from_dict
from core.runtime.checkpoint import FORMAT_VERSION, build_model_from_checkpoint, check_dims, load_checkpoint
from core.training.distributed import DistContext
from core.training.events import (
    CheckpointSaved,
    EpochEnd,
    Failed,
    Finished,
    RunStarted,
    StageChange,
    Step,
    event_from_json,
)
from core.training.options import TrainOptions
from core.training.session import prepare_training


def snapshot(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def run(options: TrainOptions, on_event=None):
    """Prepare and run; return (session, result, events, initial parameters)."""
    session = prepare_training(options)
    initial = snapshot(session.model)
    events = []

    def record(event):
        events.append(event)
        if on_event is not None:
            on_event(session, event)

    result = session.run([record])
    return session, result, events, initial


@pytest.fixture(scope="module")
def ifusion(tmp_path_factory):
    """Senti-iFusion, 2 epochs: stage 1 (epoch 1) then stage 2; weights kept at the stage change."""
    kept = {}

    def on_event(session, event):
        if isinstance(event, StageChange) and event.stage == 2:
            kept["after_stage1"] = snapshot(session.model)

    out = tmp_path_factory.mktemp("ifusion") / "run"
    session, result, events, initial = run(TrainOptions(model="senti-ifusion", preset="tiny", out=str(out)), on_event)
    return {"session": session, "result": result, "events": events, "initial": initial, "out": out, **kept}


def test_event_sequence_and_run_folder(ifusion):
    events, out = ifusion["events"], ifusion["out"]
    assert isinstance(ifusion["result"], Finished) and not ifusion["result"].stopped_by_user
    kinds = [type(e).__name__ for e in events]
    steps = events[0].steps_per_epoch
    epoch = ["Step"] * steps + ["EpochEnd", "CheckpointSaved", "CheckpointSaved"]
    assert kinds == ["RunStarted", "StageChange", *epoch, "StageChange", *epoch, "Finished"]

    started = events[0]
    assert isinstance(started, RunStarted) and started.model == "senti-ifusion" and started.synthetic
    assert [s["stage"] for s in started.stages] == [1, 2] and started.stages[0]["last_epoch"] == 1
    step = next(e for e in events if isinstance(e, Step))
    assert {"ie", "total"} <= set(step.losses) and step.samples_per_s > 0 and step.eta_s >= 0
    ends = [e for e in events if isinstance(e, EpochEnd)]
    assert [e.stage for e in ends] == [1, 2]
    assert "pred" not in ends[0].train_losses and "pred" in ends[1].train_losses  # stage-1 loss has no L_pred
    for end in ends:
        assert set(end.metrics) == {"valid"} and {"MAE", "Corr", "Non0_acc_2", "Mult_acc_7"} <= set(end.metrics["valid"])
        assert set(end.integrity_scatter) == {"text", "audio", "vision"}  # Senti-iFusion estimates all three
        assert all(len(v["true"]) == len(v["est"]) == 32 for v in end.integrity_scatter.values())
        assert set(end.integrity_r2) == {"text", "audio", "vision"}
    assert ends[1].is_best and ends[1].best_epoch == 2  # a new stage restarts the search
    saved = [e for e in events if isinstance(e, CheckpointSaved)]
    assert [s.kind for s in saved] == ["best", "last", "best", "last"]

    # the run folder: events.jsonl is exactly the stream the callback saw
    lines = (out / "events.jsonl").read_text().splitlines()
    assert [event_from_json(line) for line in lines] == events
    config = json.loads((out / "config.json").read_text())
    assert config["training"]["preset"] == "tiny" and config["protocol"]["train"]["kind"] == "ifusion"
    assert config["protocol"]["eval"]["kind"] == "droprates"  # Senti-iFusion validates at droprate 0.5 + intra
    rows = list(csv.DictReader((out / "metrics.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    assert float(rows[1]["valid_MAE"]) == ends[1].metrics["valid"]["MAE"]
    assert sorted(p.name for p in out.iterdir()) == [
        "config.json",
        "config.yaml",
        "events.jsonl",
        "last.pt",
        "metrics.csv",
        "synthetic_best.pt",
    ]


def test_stage_one_keeps_frozen_parameters_bit_identical(ifusion):
    model = ifusion["session"].model
    stage1 = {id(p) for p in model.stage_parameters(1)}
    names = {name: id(p) in stage1 for name, p in model.named_parameters()}
    initial, after1, final = ifusion["initial"], ifusion["after_stage1"], snapshot(model)
    frozen = [n for n, trained in names.items() if not trained]
    trained = [n for n, t in names.items() if t and not n.startswith("text_encoder.bert.pooler")]
    assert frozen and trained
    # frozen during stage 1: bit-identical (no update, no weight decay)
    assert all(torch.equal(initial[n], after1[n]) for n in frozen)
    # stage-1 parameters did train, and the frozen ones train in stage 2
    assert sum(not torch.equal(initial[n], after1[n]) for n in trained) > 0.9 * len(trained)
    assert sum(not torch.equal(after1[n], final[n]) for n in frozen) > 0.5 * len(frozen)


def test_checkpoint_round_trip(ifusion):
    out = ifusion["out"]
    raw = torch.load(out / "synthetic_best.pt", weights_only=True)  # plain types only
    assert raw["format_version"] == FORMAT_VERSION and raw["model"] == "senti-ifusion"

    best = load_checkpoint(out / "synthetic_best.pt")
    assert best.kind == "best" and best.selected_on == "valid" and not best.test_selected
    assert best.synthetic and best.dataset_name == "synthetic" and best.epoch == 2
    assert best.data["fingerprint"] and best.text_encoder["kind"] == "scratch" and best.text_encoder["vocab"]
    assert best.training["model_overrides"] == {"stage1_epochs": 1}
    assert [h["epoch"] for h in best.history] == [1, 2] and best.training_state is None
    last = load_checkpoint(out / "last.pt")
    assert last.training_state["next_epoch"] == 3 and {"optimizer", "rng", "schedule"} <= set(last.training_state)

    # the rebuilt model reproduces the validation metrics the run reported for its best epoch
    from core.runtime.device import resolve_device
    from core.training.batches import SplitTensors, draw_rates
    from core.training.validation import predict_split

    model = build_model_from_checkpoint(best)
    session = ifusion["session"]
    dataset = session._run.dataset
    tensors = SplitTensors.from_split(dataset.split("valid"))
    draw = draw_rates(setting_from_dict(best.protocol["eval"]), tensors, dataset.present, 0)
    predictions = predict_split(model, tensors, draw, dataset.special_ids, resolve_device("cpu"), 64, DistContext(), None)
    reported = next(e for e in ifusion["events"] if isinstance(e, EpochEnd) and e.epoch == 2)
    # to the metrics' 4 printed decimals: the checkpoint's model runs the eval-mode encoder
    # (core/text/bert_inference.py), whose predictions differ from the training module's by
    # a few ulps (3.6e-7 here), enough to move a last decimal that sits on a rounding edge
    rebuilt, during = predictions.metrics("synthetic"), reported.metrics["valid"]
    assert rebuilt.keys() == during.keys()
    assert all(abs(rebuilt[name] - during[name]) <= 1e-4 + 1e-9 for name in rebuilt), (rebuilt, during)
    assert best.best["metrics"]["MAE"] == reported.metrics["valid"]["MAE"]


def test_checkpoint_errors(ifusion, tmp_path):
    best = ifusion["out"] / "synthetic_best.pt"
    with pytest.raises(CheckpointError, match=r"^.*nowhere\.pt: no such checkpoint file: check the path"):
        load_checkpoint(tmp_path / "nowhere.pt")
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"this is not a checkpoint")
    with pytest.raises(CheckpointError, match=r"garbage\.pt: not a loadable senti-tui checkpoint .*written by senti-tui train$"):
        load_checkpoint(garbage)
    payload = torch.load(best, weights_only=True)
    payload["format_version"] = FORMAT_VERSION + 1
    torch.save(payload, tmp_path / "future.pt")
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(tmp_path / "future.pt")
    assert str(info.value).endswith(
        f"future.pt: checkpoint format version {FORMAT_VERSION + 1}, but this senti-tui reads version {FORMAT_VERSION}: "
        "retrain it with senti-tui train or use the senti-tui version that wrote it"
    )
    ckpt = load_checkpoint(best)
    other = FeatureDims(text_len=50, audio_len=375, audio_dim=5, vision_len=500, vision_dim=20)
    with pytest.raises(CheckpointError) as info:
        check_dims(ckpt, other, "mosi.pkl")
    assert str(info.value) == (
        f"{best}: checkpoint is for other feature dims than mosi.pkl (audio_len 50 (checkpoint) vs 375 (data); "
        "vision_len 50 (checkpoint) vs 500 (data)): use the data it was trained on or retrain"
    )
    check_dims(ckpt, ckpt.dims)  # the same dims pass


def test_same_seed_gives_bit_identical_weights(tmp_path):
    weights = []
    for name in ("a", "b"):
        _session, result, _, initial = run(TrainOptions(model="lnln", preset="tiny", out=str(tmp_path / name)))
        assert isinstance(result, Finished) and result.epoch == 2
        weights.append(load_checkpoint(tmp_path / name / "last.pt").state_dict)
    a, b = weights
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    moved = [k for k in initial if not torch.equal(initial[k], a[k])]
    assert len(moved) > 0.9 * len(initial)  # training did change the weights


def test_stop_flag_saves_last_and_finishes(tmp_path):
    def stop_on_first_step(session, event):
        if isinstance(event, Step):
            session.request_stop()

    _, result, events, _ = run(TrainOptions(model="lnln", preset="tiny", out=str(tmp_path / "run")), stop_on_first_step)
    assert isinstance(result, Finished) and result.stopped_by_user and result.epoch == 0
    assert [type(e).__name__ for e in events] == ["RunStarted", "Step", "CheckpointSaved", "Finished"]
    last = load_checkpoint(tmp_path / "run" / "last.pt")
    assert (last.training_state["next_epoch"], last.training_state["next_step"]) == (1, 1)


def test_dar_auxiliary_step(tmp_path):
    session, result, events, initial = run(TrainOptions(model="dar", preset="tiny", epochs=1, out=str(tmp_path / "run")))
    assert isinstance(result, Finished)
    model = session.model
    club = {name for name, p in model.named_parameters() if any(p is q for q in model.auxiliary_parameters())}
    assert club
    final = snapshot(model)
    assert all(not torch.equal(initial[n], final[n]) for n in club)  # only the aux optimiser holds them
    steps = [e for e in events if isinstance(e, Step)]
    assert all("aux" in s.losses and np.isfinite(s.losses["aux"]) for s in steps)
    last = load_checkpoint(tmp_path / "run" / "last.pt")
    main_params = last.training_state["optimizer"]["param_groups"][0]["params"]
    aux_params = last.training_state["aux_optimizer"]["param_groups"][0]["params"]
    assert len(aux_params) == len(club)
    assert len(main_params) == sum(1 for n, p in model.named_parameters() if n not in club and "pooler" not in n)


def test_paper_selection_is_marked_test_selected(tmp_path):
    out = tmp_path / "run"
    _, result, events, _ = run(TrainOptions(model="lnln", preset="tiny", epochs=1, selection="paper", out=str(out)))
    assert isinstance(result, Finished)
    assert events[0].selection == "paper"
    end = next(e for e in events if isinstance(e, EpochEnd))
    assert set(end.metrics) == {"valid", "test"} and end.patience_left is None
    kinds = {e.kind for e in events if isinstance(e, CheckpointSaved)}
    keys = ("Has0_acc_2", "Non0_acc_2", "MAE", "Mult_acc_5", "Mult_acc_7", "Corr")
    assert {f"best_{k}" for k in keys} <= kinds and "best" in kinds
    for name in ["synthetic_best.pt", *(f"best_{k}.pt" for k in keys)]:
        ckpt = load_checkpoint(out / name)
        assert ckpt.test_selected and ckpt.selected_on == "test"
    assert load_checkpoint(out / "best_Corr.pt").best["criterion"] == "Corr"
    assert load_checkpoint(out / "synthetic_best.pt").best["metrics"] == end.metrics["test"]


def test_crash_becomes_failed_event(tmp_path):
    def explode(session, event):
        if isinstance(event, Step):
            raise RuntimeError("boom\nsecond line")

    out = tmp_path / "run"
    _, result, _events, _ = run(TrainOptions(model="lnln", preset="tiny", out=str(out)), explode)
    assert isinstance(result, Failed) and result.error == "RuntimeError: boom second line"
    assert "Traceback" in result.traceback
    last_line = (out / "events.jsonl").read_text().splitlines()[-1]
    assert event_from_json(last_line) == result


@pytest.mark.parametrize(
    "options, error, message",
    [
        (TrainOptions(model="bert"), ConfigError, "unknown model 'bert': choose one of senti-ifusion, lnln, dar"),
        (
            TrainOptions(preset="fast"),
            ConfigError,
            "unknown preset 'fast': choose one of demo, mosi-paper, mosei-paper, sims-paper, tiny",
        ),
        (
            TrainOptions(data="/nonexistent/mosi.pkl"),
            DataError,
            "/nonexistent/mosi.pkl: no such data file: pass an MMSA pickle (.pkl), a label.csv or 'synthetic'",
        ),
        (
            TrainOptions(preset="mosi-paper"),
            ConfigError,
            "preset mosi-paper trains on real data: pass --data PATH (an MMSA pickle or label.csv)",
        ),
        (TrainOptions(selection="best"), ConfigError, "unknown selection 'best': choose valid or paper"),
        (TrainOptions(device="tpu"), ConfigError, "unknown device 'tpu': choose one of auto, cpu, cuda, cuda:N (e.g. cuda:1)"),
    ],
)
def test_user_errors_are_one_line(options, error, message):
    with pytest.raises(error) as info:
        prepare_training(options)
    assert str(info.value) == message


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_asked_for_but_absent():
    with pytest.raises(ConfigError) as info:
        prepare_training(TrainOptions(preset="tiny", device="cuda"))
    assert str(info.value) == "--device cuda was asked for but no CUDA GPU is available: use --device cpu or --device auto"


def test_resume_refuses_another_model_and_changed_settings(ifusion, tmp_path):
    out = ifusion["out"]
    with pytest.raises(ConfigError) as info:
        prepare_training(TrainOptions(model="lnln", resume=str(out)))
    assert str(info.value) == f"{out}: that run trains senti-ifusion, not lnln: pass --model senti-ifusion or another folder"
    with pytest.raises(ConfigError) as info:
        prepare_training(TrainOptions(model="senti-ifusion", resume=str(out), epochs=9))
    assert str(info.value) == f"{out}: --epochs 9 differs from the run's 2: a resumed run keeps its settings; drop --epochs"
    with pytest.raises(ConfigError) as info:
        prepare_training(TrainOptions(resume=str(tmp_path)))
    assert "no last.pt to resume from" in str(info.value)


def test_schedule_matches_lnln_warmup_then_cosine():
    import math

    from core.training.schedule import WarmupCosine, scaled_warmup

    schedule = WarmupCosine(base_lr=1e-4, epochs=200, warmup_epochs=scaled_warmup(200))
    assert scaled_warmup(200) == 20 and scaled_warmup(150) == 15
    assert schedule.lr_at(1) == 0.0 and schedule.lr_at(11) == pytest.approx(5e-5)
    assert schedule.lr_at(21) == schedule.lr_at(22) == 1e-4  # the chained schedulers repeat the base rate once
    assert schedule.lr_at(23) == pytest.approx(1e-4 * 0.5 * (1 + math.cos(math.pi / 180)))
    assert schedule.lr_at(200) == pytest.approx(3.045864904521188e-08)  # the official code's last rate
    assert WarmupCosine(1e-3, 10, 0).lr_at(1) == 1e-3  # no warm-up: cosine from the first epoch


def test_selector_patience_stage_reset_and_nan():
    from core.training.selection import Selector

    def valid(mae):
        return {"valid": {"MAE": mae}}

    selector = Selector("valid", "val_loss", patience=2, patience_stage=2, metric_family="mosi")
    first = selector.update(1, 1, 0.5, valid(1.0))
    assert first.is_best and first.patience_left is None and not first.stop  # no early stopping in stage 1
    assert not selector.update(2, 1, 0.6, valid(1.0)).is_best
    reset = selector.update(3, 2, 3.0, valid(1.0))  # stage 2 starts: worse loss, still the new best
    assert reset.is_best and reset.patience_left == 2 and selector.best_epoch == 3
    assert not selector.update(4, 2, float("nan"), valid(1.0)).is_best  # NaN never improves
    stop = selector.update(5, 2, 3.5, valid(1.0))
    assert stop.patience_left == 0 and stop.stop and selector.best_epoch == 3
    assert selector.summary() == {
        "epoch": 3,
        "metrics": {"MAE": 1.0, "val_loss": 3.0},
        "split": "valid",
        "criterion": "val_loss",
        "test_selected": False,
    }


def test_selector_paper_keeps_one_best_per_metric_on_test():
    from core.training.selection import Selector

    selector = Selector("paper", "MAE", patience=None, patience_stage=1, metric_family="mosi")
    keys = ("Has0_acc_2", "Non0_acc_2", "MAE", "Mult_acc_5", "Mult_acc_7", "Corr")
    test = {k: 0.5 for k in keys} | {"MAE": 1.2}
    first = selector.update(1, 1, 1.0, {"valid": {"MAE": 0.1}, "test": test})
    assert first.is_best and sorted(first.improved_paper_keys) == sorted(keys)
    second = selector.update(2, 1, 1.0, {"valid": {"MAE": 9.9}, "test": test | {"MAE": 1.3, "Corr": 0.6}})
    assert second.improved_paper_keys == ["Corr"] and not second.is_best  # <dataset>_best.pt follows test MAE
    assert selector.summary()["split"] == "test" and selector.summary()["test_selected"]
    assert selector.paper_best["Corr"] == {"value": 0.6, "epoch": 2} and selector.paper_best["MAE"]["epoch"] == 1


def test_train_compile_compiles_the_training_forward_once_per_stage(tmp_path, monkeypatch):
    compiled = []

    def record(module, *args, **kwargs):  # torch.compile's own cost is measured in benchmarks/model_speed.py
        compiled.append(module)
        return module

    monkeypatch.setattr("core.training.trainer.torch.compile", record)
    out = tmp_path / "run"
    session, result, _, _ = run(
        TrainOptions(model="senti-ifusion", preset="tiny", out=str(out), overrides={"train.compile": True})
    )
    assert isinstance(result, Finished)
    assert compiled == [session.model, session.model]  # stage 1, then stage 2 with its own trainable set
    assert load_checkpoint(out / "last.pt").training["compile"] is True
