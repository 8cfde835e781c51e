"""The training loop, top to bottom; the machinery lives in small helper modules.

    data      batches.py     whole split tensors, seeded (seed, epoch) order, masks per batch
    device    device.py      auto = CUDA, else CPU; precision fp32 (CPU default) or bf16 autocast
    schedule  schedule.py    LNLN's per-epoch warm-up + cosine
    stages    stages.py      which parameters train in which stage (Senti-iFusion)
    validate  validation.py  whole-split predictions at the evaluation setting
    select    selection.py   best epoch (valid, or LNLN's per-metric test selection), patience
    save      checkpoint.py  atomic, weights_only-loadable checkpoints
    ranks     distributed.py DDP wrapping, gathering, the stop flag across ranks

Reproducibility: torch, numpy and Python are seeded once; the order of epoch e and its masks
are functions of (seed, e); the only other randomness (dropout) draws from torch's global
generator, whose state ``last.pt`` stores with everything else. So on CPU the same seed gives
bit-identical weights, and a run resumed from ``last.pt`` — at an epoch end, or at the batch
where the user stopped it — continues exactly as if it had never stopped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from core.data.dataset import MSADataset
from core.data.family import best_checkpoint_name
from core.errors import ConfigError
from core.missingness.settings import MaskSetting
from core.models.base import MSAModel
from core.models.registry import config_to_dict
from core.runtime.checkpoint import FORMAT_VERSION, Checkpoint, save_checkpoint
from core.runtime.device import DeviceChoice
from core.runtime.dropout import dropout_masks
from core.training import distributed
from core.training.batches import SplitTensors, draw_rates, epoch_batches, make_batch
from core.training.distributed import DistContext
from core.training.events import CheckpointSaved, EarlyStop, EpochEnd, Event, Finished, RunStarted, StageChange, Step
from core.training.presets import TrainConfig
from core.training.rng import capture_rng, restore_rng
from core.training.run_folder import LAST_NAME, RunFolder
from core.training.schedule import WarmupCosine
from core.training.selection import Selector
from core.training.stages import describe_stage, enter_stage, stage_plan
from core.training.step import optimisation_step
from core.training.validation import integrity_report, predict_split


@dataclass
class TrainingRun:
    """Everything the loop needs, prepared and validated by :mod:`core.training.session`."""

    config: TrainConfig
    resolved: dict  # config.json: the training config plus model config, protocol, data, encoder
    dataset: MSADataset
    model: MSAModel  # on its device already
    text_encoder_spec: dict
    text_encoder_config: dict
    device: DeviceChoice
    dist: DistContext
    run_dir: Path
    train_protocol: MaskSetting
    eval_setting: MaskSetting
    folder: RunFolder | None  # rank 0 only
    resume: Checkpoint | None = None


def _auxiliary_optimizer(model: MSAModel, parameters: list) -> torch.optim.Optimizer | None:
    """The auxiliary part's own Adam (DAR's CLUB networks), at the lr its spec names."""
    if not parameters:
        return None
    if model.auxiliary_lr is None:
        raise ConfigError(
            f"model {model.name!r} has auxiliary parameters but its spec names no auxiliary optimiser: "
            "set auxiliary=AuxiliaryOptimiser(lr_option=...) in its ModelSpec"
        )
    return torch.optim.Adam(parameters, lr=model.auxiliary_lr)


def validated_weights(last: Checkpoint) -> dict:
    """The weights a best checkpoint holds, read from ``last.pt``: its own, or with
    ``train.ema_decay`` the average its training state carries (``AveragedModel``'s state, the
    model's under ``module.``), which is what was validated."""
    average = (last.training_state or {}).get("ema")
    if average is None:
        return last.state_dict
    return {name[len("module.") :]: value for name, value in average.items() if name.startswith("module.")}


def _param_groups(model: MSAModel, parameters: list[nn.Parameter], text_scale: float | None = None) -> list[dict]:
    """The main optimiser's groups: one at the base rate, plus one per learning-rate multiplier
    the model asks for (:meth:`MSAModel.lr_scales`; none by default, so one group) and one for
    the text encoder when ``train.text_lr`` gives it its own rate (``text_scale`` = text_lr / lr)."""
    scales = model.lr_scales()
    if text_scale is not None:
        scales.update({id(p): text_scale for p in model.text_encoder.parameters()})
    by_scale: dict[float, list[nn.Parameter]] = {}
    for p in parameters:
        by_scale.setdefault(scales.get(id(p), 1.0), []).append(p)
    return [{"params": ps, "lr_scale": scale} for scale, ps in sorted(by_scale.items())]


def train(run: TrainingRun, emit: Callable[[Event], None], stop_requested: Callable[[], bool]) -> Finished:
    cfg, dataset, raw_model, dev, ctx = run.config, run.dataset, run.model, run.device, run.dist
    started = time.perf_counter()

    # ------------------------------------------------------------------ data, once, in memory
    special = dataset.special_ids
    train_set = SplitTensors.from_split(dataset.split("train"), pin_memory=dev.is_cuda)
    valid_set = SplitTensors.from_split(dataset.split("valid"), pin_memory=dev.is_cuda)
    test_set = SplitTensors.from_split(dataset.split("test"), pin_memory=dev.is_cuda) if cfg.selection == "paper" else None
    valid_draw = draw_rates(run.eval_setting, valid_set, dataset.present, epoch=0)  # fixed seed: same masks every epoch
    test_draw = draw_rates(run.eval_setting, test_set, dataset.present, epoch=0) if test_set is not None else None
    steps_per_epoch = len(epoch_batches(len(train_set), cfg.batch_size, cfg.seed, 1, ctx))

    # ------------------------------------------------------------------ optimisers and schedule
    aux_params = list(raw_model.auxiliary_parameters())
    aux_ids = {id(p) for p in aux_params}
    main_params = [p for p in raw_model.parameters() if p.requires_grad and id(p) not in aux_ids]
    optimizer = torch.optim.AdamW(
        _param_groups(raw_model, main_params, cfg.text_lr / cfg.lr if cfg.text_lr is not None else None),
        lr=cfg.lr,
        weight_decay=cfg.weight_decay,
        fused=cfg.fused_optimizer or None,
    )
    aux_optimizer = _auxiliary_optimizer(raw_model, aux_params)
    aux_names = [name for name, p in raw_model.named_parameters() if id(p) in aux_ids]
    schedule = WarmupCosine(cfg.lr, cfg.epochs, cfg.warmup_epochs)
    # the weights' moving average (train.ema_decay): what is validated, selected and saved as best
    averaged = (
        AveragedModel(raw_model, multi_avg_fn=get_ema_multi_avg_fn(cfg.ema_decay), use_buffers=True) if cfg.ema_decay else None
    )
    eval_model = cast(MSAModel, averaged.module) if averaged is not None else raw_model
    # compiled graphs draw their own masks; the packed ones are a torch-function mode dynamo need not trace
    dropout = dropout_masks("torch" if cfg.compile else cfg.dropout_masks, dev.device)
    selector = Selector(cfg.selection, cfg.select_on, cfg.patience, cfg.patience_stage, dataset.metric_family)
    history: list[dict] = []
    start_epoch, start_step, sums, global_step, elapsed_before = 1, 0, {}, 0, 0.0

    # ------------------------------------------------------------------ resume from last.pt
    if run.resume is not None:
        state = run.resume.training_state
        assert state is not None  # last.pt has one (checked when loaded for resuming)
        raw_model.load_state_dict(run.resume.state_dict)
        optimizer.load_state_dict(state["optimizer"])
        if aux_optimizer is not None:
            aux_optimizer.load_state_dict(state["aux_optimizer"])
        schedule = WarmupCosine.from_state_dict(state["schedule"])
        selector = Selector.from_state_dict(state["selection"])
        history = list(run.resume.history)
        start_epoch, start_step = state["next_epoch"], state["next_step"]
        sums, global_step, elapsed_before = dict(state["epoch_sums"]), state["global_step"], state["elapsed_s"]
        restore_rng(state["rng"])
        if averaged is not None and state.get("ema") is not None:
            averaged.load_state_dict(state["ema"])
    # a run that stopped early is over: resuming it only reports the end
    last_epoch = start_epoch - 1 if run.resume is not None and (run.resume.training_state or {}).get("early_stop") else cfg.epochs

    def elapsed() -> float:
        return elapsed_before + time.perf_counter() - started

    def checkpoint(kind: str, epoch: int, best: dict, training_state: dict | None = None) -> Checkpoint:
        # last.pt carries the trained weights (a resume continues from them, the average rides in its
        # training state); a best checkpoint carries the weights that were validated
        weights = raw_model if kind == "last" else eval_model
        return Checkpoint(
            path=run.run_dir,
            format_version=FORMAT_VERSION,
            kind=kind,
            model=raw_model.name,
            model_config=config_to_dict(raw_model.config),
            data=dataset.describe(),
            text_encoder=run.text_encoder_spec,
            text_encoder_config=run.text_encoder_config,
            training={**cfg.to_dict(), "precision": dev.precision},  # "fp32" | "bf16", as resolved
            protocol={"train": run.train_protocol.to_dict(), "eval": run.eval_setting.to_dict()},
            history=history,
            best=best,
            epoch=epoch,
            state_dict={k: v.detach().cpu() for k, v in weights.state_dict().items()},
            training_state=training_state,
            versions={"torch": str(torch.__version__), "senti_tui": _version()},
            provenance=dict(run.resolved.get("provenance") or {}),
        )

    def save_last(
        epoch_done: int,
        next_epoch: int,
        next_step: int,
        pending: Sequence[str] = (),
        early_stop: bool = False,
        announce: bool = True,
    ) -> CheckpointSaved | None:
        """``last.pt``: everything needed to continue at (next_epoch, next_step) exactly.

        ``pending``: the best checkpoints of this epoch end, written after it; a run killed before
        they are all written gets them from this ``last.pt`` on resume (same weights, same epoch).
        ``early_stop``: the run is over; a resume only finishes it."""
        state = {
            "optimizer": optimizer.state_dict(),
            "aux_optimizer": aux_optimizer.state_dict() if aux_optimizer is not None else None,
            "schedule": schedule.state_dict(),
            "selection": selector.state_dict(),
            "rng": capture_rng(),
            "next_epoch": next_epoch,
            "next_step": next_step,
            "epoch_sums": dict(sums),
            "global_step": global_step,
            "elapsed_s": elapsed(),
            "pending_saves": list(pending),
            "early_stop": early_stop,
            "ema": averaged.state_dict() if averaged is not None else None,
        }
        if not ctx.is_main:
            return None
        path = save_checkpoint(checkpoint("last", epoch_done, selector.summary(), state), run.run_dir / LAST_NAME)
        event = CheckpointSaved(epoch=epoch_done, path=str(path), kind="last")
        if announce:
            emit(event)
        return event

    # ------------------------------------------------------------------ go
    emit(
        RunStarted(
            run_dir=str(run.run_dir),
            model=raw_model.name,
            dataset=dataset.name,
            synthetic=dataset.synthetic,
            device=dev.describe() + (f" x{ctx.world_size} (DDP)" if ctx.enabled else ""),
            epochs=cfg.epochs,
            steps_per_epoch=steps_per_epoch,
            train_size=len(train_set),
            batch_size=cfg.batch_size,
            stages=stage_plan(raw_model, cfg.epochs),
            selection=cfg.selection,
            config=run.resolved,
            start_epoch=start_epoch,
            time=time.time(),
        )
    )
    model: nn.Module = raw_model
    stage = 0
    steps_this_session = 0
    last_epoch_done = start_epoch - 1
    for epoch in range(start_epoch, last_epoch + 1):
        # -- stage: (re)freeze parameters and (re)wrap DDP, which fixes its parameters when built
        if raw_model.stage_of_epoch(epoch) != stage:
            stage = raw_model.stage_of_epoch(epoch)
            enter_stage(raw_model, stage, main_params)
            model = distributed.wrap_model(raw_model, ctx, dev.device, ignore=aux_names)
            if cfg.compile:  # compiled afresh per stage: the trainable set is part of the graph
                model = cast(nn.Module, torch.compile(model))
            if raw_model.num_stages > 1:
                emit(StageChange(epoch=epoch, stage=stage, description=describe_stage(raw_model, stage)))
        lr = schedule.apply(optimizer, epoch)
        draw = draw_rates(run.train_protocol, train_set, dataset.present, epoch)  # redrawn every epoch
        batches = epoch_batches(len(train_set), cfg.batch_size, cfg.seed, epoch, ctx)
        skip = start_step if epoch == start_epoch else 0
        if skip == 0:
            sums = {}
        model.train()
        epoch_started, samples_this_epoch = time.perf_counter(), 0

        # -- one pass over the training split
        for step in range(skip + 1, len(batches) + 1):
            if distributed.any_rank(stop_requested(), ctx, dev.device):
                save_last(last_epoch_done, epoch, step - 1)
                return _finish(emit, last_epoch_done, selector, run, elapsed(), stopped=True)
            batch = make_batch(train_set, batches[step - 1], draw, special, dev.device, with_complete=True)

            output, aux_loss = optimisation_step(
                model,
                batch,
                stage,
                optimizer,
                aux_optimizer,
                raw_model=raw_model,
                autocast=dev.autocast,
                dropout=dropout,
                sync_auxiliary=lambda: distributed.average_gradients(aux_params, ctx),
            )
            if averaged is not None:
                averaged.update_parameters(raw_model)

            losses = {name: float(value.detach()) for name, value in output.losses.items()}
            assert output.loss is not None  # training batches have labels
            losses["total"] = float(output.loss.detach())
            if aux_loss is not None:
                losses["aux"] = float(aux_loss.detach())
            for name, value in losses.items():
                sums[name] = sums.get(name, 0.0) + value
            sums["_batches"] = sums.get("_batches", 0.0) + 1
            global_step += 1
            steps_this_session += 1
            samples_this_epoch += len(batches[step - 1]) * ctx.world_size
            steps_left = cfg.epochs * steps_per_epoch - global_step
            emit(
                Step(
                    epoch=epoch,
                    step=step,
                    steps_per_epoch=len(batches),
                    global_step=global_step,
                    losses=losses,
                    lr=lr,
                    samples_per_s=samples_this_epoch / max(time.perf_counter() - epoch_started, 1e-9),
                    elapsed_s=elapsed(),
                    eta_s=(time.perf_counter() - started) / steps_this_session * max(steps_left, 0),
                )
            )

        # -- validate on the whole split at the protocol's evaluation setting
        valid = predict_split(eval_model, valid_set, valid_draw, special, dev, cfg.eval_batch_size, ctx, stage)
        metrics = {"valid": valid.metrics(dataset.name)}
        if test_set is not None and test_draw is not None:  # LNLN's paper protocol selects on test; labelled test-selected
            test = predict_split(eval_model, test_set, test_draw, special, dev, cfg.eval_batch_size, ctx, stage, with_loss=False)
            metrics["test"] = test.metrics(dataset.name)
        scatter, r2 = integrity_report(valid, eval_model.estimates_integrity)
        decision = selector.update(epoch, stage, valid.loss, metrics)
        train_losses = {k: v / sums["_batches"] for k, v in sums.items() if k != "_batches"}
        history.append(
            {
                "epoch": epoch,
                "stage": stage,
                "lr": lr,
                "train_losses": train_losses,
                "val_loss": valid.loss,
                "metrics": metrics,
                "is_best": decision.is_best,
                "integrity_r2": r2,
                "elapsed_s": elapsed(),
            }
        )
        last_epoch_done = epoch

        # -- save: last.pt first (it names the best checkpoints still to write, so a run killed in
        #    between completes them on resume), then the best ones, metrics.csv; then report
        sums = {}
        pending = (["best"] if decision.is_best else []) + [f"best_{key}" for key in decision.improved_paper_keys]
        saved: list[CheckpointSaved] = []
        last_saved = save_last(epoch, epoch + 1, 0, pending=pending, early_stop=decision.stop, announce=False)
        if ctx.is_main:
            if decision.is_best:
                path = save_checkpoint(
                    checkpoint("best", epoch, selector.summary()),
                    run.run_dir / best_checkpoint_name(cfg.family or None, cfg.data, dataset.name),
                )
                saved.append(CheckpointSaved(epoch=epoch, path=str(path), kind="best"))
            for key in decision.improved_paper_keys:
                summary = selector.paper_summary(key, metrics["test"])
                path = save_checkpoint(checkpoint(f"best_{key}", epoch, summary), run.run_dir / f"best_{key}.pt")
                saved.append(CheckpointSaved(epoch=epoch, path=str(path), kind=f"best_{key}"))
            assert run.folder is not None  # rank 0 has the folder
            run.folder.write_metrics(history)
        emit(
            EpochEnd(
                epoch=epoch,
                stage=stage,
                train_losses=train_losses,
                metrics=metrics,
                val_loss=valid.loss,
                lr=lr,
                is_best=decision.is_best,
                best_epoch=selector.best_epoch,
                best_metrics=selector.best_metrics,
                patience_left=decision.patience_left,
                elapsed_s=elapsed(),
                integrity_scatter=scatter,
                integrity_r2=r2,
            )
        )
        for event in saved + ([last_saved] if last_saved is not None else []):
            emit(event)
        if decision.stop:
            assert cfg.patience is not None  # only patience stops early
            emit(EarlyStop(epoch=epoch, best_epoch=selector.best_epoch, patience=cfg.patience))
            break

    return _finish(emit, last_epoch_done, selector, run, elapsed(), stopped=False)


def _finish(
    emit: Callable[[Event], None], epoch: int, selector: Selector, run: TrainingRun, elapsed_s: float, stopped: bool
) -> Finished:
    event = Finished(
        epoch=epoch,
        best_epoch=selector.best_epoch,
        best_metrics=dict(selector.best_metrics),
        run_dir=str(run.run_dir),
        stopped_by_user=stopped,
        elapsed_s=elapsed_s,
    )
    emit(event)
    return event


def _version() -> str:
    from core.provenance import package_version

    return package_version()
