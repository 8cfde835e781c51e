"""``prepare_training`` validates everything up front; ``TrainingSession.run`` trains.

    session = prepare_training(TrainOptions(model="lnln", preset="demo"))  # SentiError: one line
    session.run_dir                      # where config.json, events.jsonl, checkpoints go
    result = session.run(callbacks=[print])   # blocking; Finished or Failed, never raises
    session.request_stop()               # from any thread; honoured at the next batch

Every user mistake surfaces in :func:`prepare_training`, before any file is written: an unknown
model or preset, data that does not exist or fails validation, an unavailable text encoder, CUDA
asked for but absent, a resume folder of another model, a checkpoint of another format version,
other feature dims or other data. During :meth:`TrainingSession.run` a crash is logged, written to
``events.jsonl`` and returned as a :class:`~core.training.events.Failed` event.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import threading
import traceback
from collections.abc import Iterable
from pathlib import Path

from core.data.dataset import MSADataset
from core.data.fingerprint import fingerprint_matches, fingerprint_of, recorded_version
from core.data.sources import SYNTHETIC, check_token_ids, first_samples, load_with_encoder
from core.errors import ConfigError, DataError, SentiError
from core.missingness.protocols import TrainingProtocol, training_protocol
from core.models.base import MSAModel
from core.models.registry import build_model, config_to_dict
from core.provenance import collect as collect_provenance
from core.runtime.checkpoint import Checkpoint, check_dims, load_checkpoint, save_checkpoint
from core.runtime.device import resolve_device
from core.text.encoders import TextEncoderSpec, build_text_encoder
from core.training import distributed
from core.training.config_file import named_option
from core.training.events import Callback, CheckpointSaved, EpochEnd, Event, Failed, Finished
from core.training.options import TrainOptions
from core.training.presets import TrainConfig, resolve_config
from core.training.rng import seed_everything
from core.training.run_folder import (
    EVENTS_NAME,
    LAST_NAME,
    RunFolder,
    default_run_dir,
    holds_run,
    run_files,
    run_is_active,
)
from core.training.selection import Selector
from core.training.trainer import TrainingRun, train, validated_weights

log = logging.getLogger("senti_tui.training")

SYNTHETIC_DATA_SEED = 0  # the embedded data set is always the seed-0 one (the explorer's too)


class TrainingSession:
    """A prepared run. Thread-safe :meth:`request_stop`; :meth:`run` once."""

    def __init__(self, run: TrainingRun, tensorboard: str | None = None) -> None:
        self._run = run
        self._stop = threading.Event()
        self.tensorboard = tensorboard  # a TensorBoard log folder (train --tensorboard), or None

    @property
    def run_dir(self) -> Path:
        return self._run.run_dir

    @property
    def config(self) -> dict:
        """The fully resolved configuration (what ``config.json`` holds)."""
        return self._run.resolved

    @property
    def notes(self) -> list[str]:
        """What resolving the configuration changed on its own (e.g. a scaled stage 1), to say at start."""
        return list(self._run.config.notes)

    @property
    def config_yaml(self) -> str:
        """The resolved configuration as the YAML ``--config`` reads (``config.yaml``)."""
        from core.training.config_file import to_yaml

        return to_yaml(self._run.resolved["training"], self._run.resolved["model_config"])

    @property
    def model(self) -> MSAModel:
        """The model being trained (unwrapped; on its device). For tools and tests."""
        return self._run.model

    @property
    def is_main_process(self) -> bool:
        """False on DDP ranks other than 0, which write nothing and emit nothing."""
        return self._run.dist.is_main

    def request_stop(self) -> None:
        """Ask the loop to stop at the next batch; it saves ``last.pt`` and finishes."""
        self._stop.set()

    def run(self, callbacks: Iterable[Callback] = ()) -> Finished | Failed:
        run = self._run
        listeners: list[Callback] = [run.folder] if run.folder is not None else []
        if run.dist.is_main:
            listeners += list(callbacks)
            if self.tensorboard is not None:  # train --tensorboard DIR: the same events as scalars
                from core.training.tensorboard_log import TensorBoardListener

                listeners.append(TensorBoardListener(self.tensorboard))

        def emit(event: Event) -> None:
            for listener in listeners:
                listener(event)

        try:
            if run.folder is not None:
                run.folder.open(run.resolved)
                if run.resume is not None:
                    for event in _complete_epoch_end(run):
                        emit(event)
            return train(run, emit, self._stop.is_set)
        except Exception as error:
            # Not printed (the caller shows the one line): a user's problem (a full disk) has no
            # traceback worth keeping; a bug's goes into the Failed event, i.e. events.jsonl.
            log.debug("training failed", exc_info=True)
            failed = Failed(error=_one_line(error), traceback="" if isinstance(error, SentiError) else traceback.format_exc())
            reporters: tuple[Callback, ...] = (run.folder, *callbacks) if run.folder is not None else tuple(callbacks)
            for listener in reporters:
                try:
                    listener(failed)
                except Exception:
                    log.debug("a training callback failed while reporting a failure", exc_info=True)
            return failed
        finally:
            if run.folder is not None:
                run.folder.close()
            distributed.destroy_process_group(run.dist)


def prepare_training(options: TrainOptions) -> TrainingSession:
    """Resolve, validate and build everything; raise :class:`SentiError` (one line) on a mistake."""
    overwrite = bool(options.overwrite)
    if options.resume and overwrite:
        raise ConfigError(f"--overwrite starts a new run and --resume {options.resume} continues one: pass only one of them")
    if options.out and not options.resume:
        check_out_folder(Path(options.out), overwrite)
    if options.tensorboard is not None:
        from core.training.tensorboard_log import check_available

        check_available(options.tensorboard)
    ctx = distributed.context_from_environment()
    precision = str(named_option(options, "precision"))
    device = resolve_device(options.device, ctx.local_rank, precision)
    resume = _resume_checkpoint(options) if options.resume else None
    recorded = resume.training.get("precision") if resume is not None else None
    if recorded in ("fp32", "bf16") and precision == "auto":  # a resumed run keeps its precision
        device = resolve_device(options.device, ctx.local_rank, recorded)
    config = TrainConfig.from_dict({**resume.training, "device": options.device}) if resume else resolve_config(options)

    _check_config(config)
    dataset, spec = _load_data(config)
    if config.selection == "paper" and "test" not in dataset.splits:
        raise ConfigError(
            f"{config.data}: has no test split, and --selection paper selects on test: "
            "use --selection valid, or data with a test split"
        )
    if resume is not None:  # the stored spec: the encoder the weights belong to
        spec = TextEncoderSpec.from_dict(resume.text_encoder)
    seed_everything(config.seed)  # before building: same seed, same initial weights
    text_encoder = build_text_encoder(spec)
    check_token_ids(
        dataset,
        int(text_encoder.bert.config.vocab_size),
        spec.label,
        "tokenize the data with this encoder's tokenizer, or train with --text-encoder scratch",
    )
    model = build_model(config.model, dataset.name, dataset.dims, text_encoder, config.model_overrides)
    if resume is not None:
        _check_resume_data(resume, dataset)
    train_protocol = _training_protocol(config, dataset, model)
    eval_setting = train_protocol.validation_setting()

    if options.resume:  # i.e. resume is not None
        run_dir = Path(options.resume)
    elif options.out:
        run_dir = Path(options.out)
    else:
        run_dir = default_run_dir(config.model, dataset.name)
        check_out_folder(run_dir, overwrite=False)
    distributed.init_process_group(ctx, device.device)
    resolved = {
        "training": {**config.to_dict(), "precision": device.precision},
        "model": config.model,
        "model_config": config_to_dict(model.config),
        "protocol": {"train": train_protocol.to_dict(), "eval": eval_setting.to_dict()},
        "data": dataset.describe(),
        "text_encoder": {**spec.to_dict(), "vocab": None, "vocab_entries": len(spec.vocab or [])},
        "device": device.describe(),
        "precision": device.precision,
        "world_size": ctx.world_size,
        "run_dir": str(run_dir),
        "provenance": collect_provenance(
            device=device.device,
            precision=device.precision,
            data=None if config.data == SYNTHETIC else str(Path(config.data).expanduser()),
        ),
    }
    run = TrainingRun(
        config=config,
        resolved=resolved,
        dataset=dataset,
        model=model.to(device.device),
        text_encoder_spec=spec.to_dict(),
        text_encoder_config=text_encoder.bert.config.to_dict(),
        device=device,
        dist=ctx,
        run_dir=run_dir,
        train_protocol=train_protocol,
        eval_setting=eval_setting,
        folder=RunFolder(run_dir, replace=overwrite and not resume) if ctx.is_main else None,
        resume=resume,
    )
    return TrainingSession(run, tensorboard=options.tensorboard)


# -- helpers --------------------------------------------------------------------------------

_SYSTEM_FOLDERS = ("/proc", "/sys", "/dev")


def check_out_folder(folder: Path, overwrite: bool) -> None:
    """A folder a new run can write: not a file, not a system folder, not through a file, writable,
    and not holding a run already (unless ``overwrite``). One line naming the remedy otherwise."""
    again = "choose another --out folder"
    try:
        resolved = folder.expanduser().resolve()
    except (OSError, RuntimeError) as error:  # a symlink loop
        raise ConfigError(f"{folder}: not a usable folder ({getattr(error, 'strerror', None) or error}): {again}") from None
    for root in _SYSTEM_FOLDERS:
        if str(resolved) == root or str(resolved).startswith(root + "/"):
            raise ConfigError(f"{folder}: is under {root}, a system folder, not a place for a run: {again}")
    if folder.exists() and not folder.is_dir():
        raise ConfigError(
            f"{folder}: is a file, not a folder: {again} (a run folder holds config.json, events.jsonl and the checkpoints)"
        )
    existing = resolved
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"{folder}: {existing} is a file, so no folder can be made there: {again}")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"{folder}: cannot write in {existing} (permission denied or a read-only disk): {again}")
    if folder.is_dir() and holds_run(folder):
        if run_is_active(folder):
            raise ConfigError(f"{folder}: a senti-tui run is writing this folder now: {again}, or wait for it to end")
        if not overwrite:
            found = ", ".join(path.name for path in run_files(folder)[:4])
            raise ConfigError(
                f"{folder}: already holds a run ({found}): resume it with --resume {folder}, or {again} (--overwrite replaces it)"
            )


MAX_EPOCHS = 100_000  # a typo guard: the schedule and the stage plan loop over every epoch


def _check_config(config: TrainConfig) -> None:
    """Values the presets let through but the loop cannot use: one line each."""
    if not isinstance(config.lr, (int, float)) or not math.isfinite(config.lr) or config.lr <= 0:
        raise ConfigError(f"--lr must be a finite positive number, not {config.lr}")
    if config.epochs > MAX_EPOCHS:
        raise ConfigError(f"--epochs {config.epochs} is more than {MAX_EPOCHS:,}: pass a number of epochs a run can finish")


def _load_data(config: TrainConfig) -> tuple[MSADataset, TextEncoderSpec]:
    """The data set and the completed text-encoder spec (a scratch vocabulary comes from the data)."""
    if config.data != SYNTHETIC and not Path(config.data).expanduser().exists():
        raise DataError(f"{config.data}: no such data file: pass an MMSA pickle (.pkl), a label.csv or 'synthetic'")
    family = config.family if config.family not in ("", "synthetic") else None  # "": a run from before families
    dataset, spec = load_with_encoder(
        config.data, config.text_encoder, SYNTHETIC_DATA_SEED, freeze=config.freeze_text, family=family
    )
    return (first_samples(dataset, config.max_samples) if config.max_samples else dataset), spec


def _training_protocol(config: TrainConfig, dataset: MSADataset, model: MSAModel) -> TrainingProtocol:
    """The model's own protocol (its spec's), keyed by the run's seed, with ``--set protocol.*``."""
    protocol = training_protocol(config.model, dataset.name, config.seed, model.config, config.protocol)
    problem = model.training_protocol_problem(protocol.intra_uniform_range())
    if problem is not None:
        raise ConfigError(problem)
    return protocol


def _resume_checkpoint(options: TrainOptions) -> Checkpoint:
    assert options.resume is not None  # called only with --resume
    folder = Path(options.resume)
    if not folder.is_dir():
        raise ConfigError(f"{folder}: no such run folder to resume: pass a folder written by senti-tui train")
    if run_is_active(folder):
        raise ConfigError(f"{folder}: a senti-tui run is writing this folder now: wait for it to end before resuming it")
    if not (folder / LAST_NAME).is_file():
        if not holds_run(folder):
            raise ConfigError(
                f"{folder}: no {LAST_NAME} to resume from: it is not a run folder (no config.json or events.jsonl either): "
                "pass a folder written by senti-tui train"
            )
        # last.pt is the first file written at an epoch end, so without it no epoch ever finished
        raise ConfigError(
            f"{folder}: no {LAST_NAME} to resume from: the run ended before it finished its first epoch, "
            f"so there is nothing to resume: start it again with --out {folder} --overwrite"
        )
    checkpoint = load_checkpoint(folder / LAST_NAME)
    if checkpoint.training_state is None:
        raise ConfigError(f"{folder / LAST_NAME}: holds no training state: it is not a last.pt written by senti-tui train")
    if options.model is not None and checkpoint.model != options.model:
        raise ConfigError(
            f"{folder}: that run trains {checkpoint.model}, not {options.model}: pass --model {checkpoint.model} or another folder"
        )
    stored = TrainConfig.from_dict(checkpoint.training)
    for name in ("data", "preset", "text_encoder", "epochs", "batch_size", "lr", "seed"):
        given = getattr(options, name)
        if given is not None and str(given) != str(getattr(stored, name)):
            flag = "--" + name.replace("_", "-")
            raise ConfigError(
                f"{folder}: {flag} {given} differs from the run's {getattr(stored, name)}: a resumed run keeps its settings; drop {flag}"
            )
    return checkpoint


def _check_resume_data(checkpoint: Checkpoint, dataset: MSADataset) -> None:
    check_dims(checkpoint, dataset.dims, dataset.source)
    if not fingerprint_matches(checkpoint.data, dataset):
        ours = fingerprint_of(dataset, recorded_version(checkpoint.data)) or dataset.fingerprint
        raise DataError(
            f"{dataset.source}: not the data the run in {checkpoint.path.parent} was trained on "
            f"(fingerprint {ours} vs {checkpoint.data.get('fingerprint')}): resume with the same data"
        )


def _complete_epoch_end(run: TrainingRun) -> list[Event]:
    """Finish the epoch end a killed run left half done.

    ``last.pt`` is written first at an epoch end and names the best checkpoints still to come
    (``pending_saves``); those not on disk for its epoch are written now from ``last.pt`` itself --
    the same weights, epoch and history. ``metrics.csv`` is rewritten, and the epoch's ``EpochEnd``
    is added to ``events.jsonl`` if the run died before reporting it. Returns the events to emit."""
    resume, folder = run.resume, run.folder
    assert resume is not None  # called only when resuming
    state = resume.training_state or {}
    selector = Selector.from_state_dict(state["selection"])
    events: list[Event] = []
    entry = resume.history[-1] if resume.history else None
    if (
        entry is not None
        and entry.get("epoch") == resume.epoch
        and state.get("next_step") == 0
        and not _reported_epoch_end(run.run_dir / EVENTS_NAME, resume.epoch)
    ):
        active = selector.mode == "valid" and selector.patience is not None and entry["stage"] >= selector.patience_stage
        events.append(
            EpochEnd(
                epoch=entry["epoch"],
                stage=entry["stage"],
                train_losses=dict(entry["train_losses"]),
                metrics=dict(entry["metrics"]),
                val_loss=entry["val_loss"],
                lr=entry["lr"],
                is_best=bool(entry["is_best"]),
                best_epoch=selector.best_epoch,
                best_metrics=dict(selector.best_metrics),
                patience_left=selector.patience - selector.bad_epochs if active and selector.patience is not None else None,
                elapsed_s=entry["elapsed_s"],
                integrity_r2=dict(entry.get("integrity_r2", {})),
            )
        )
    for kind in state.get("pending_saves") or []:
        path = run.run_dir / (run_best_name(run.config, run.dataset) if kind == "best" else f"{kind}.pt")
        if _saved_epoch(path) == resume.epoch:
            continue
        best = resume.best if kind == "best" else selector.paper_summary(kind[len("best_") :], entry["metrics"]["test"])  # type: ignore[index]  # entry: last.pt's epoch, in its history
        save_checkpoint(
            dataclasses.replace(resume, kind=kind, best=best, training_state=None, state_dict=validated_weights(resume)), path
        )
        events.append(CheckpointSaved(epoch=resume.epoch, path=str(path), kind=kind))
    if folder is not None:
        folder.write_metrics(list(resume.history))
    return events


def run_best_name(config: TrainConfig, dataset: MSADataset) -> str:
    """The best checkpoint's file name: after the data family, or a custom data file's stem."""
    from core.data.family import best_checkpoint_name

    return best_checkpoint_name(config.family or None, config.data, dataset.name)


def _saved_epoch(path: Path) -> int | None:
    """The epoch of the checkpoint at ``path`` (None when there is none, or it is unreadable)."""
    if not path.is_file():
        return None
    try:
        return load_checkpoint(path).epoch
    except SentiError:
        return None


def _reported_epoch_end(events: Path, epoch: int) -> bool:
    import json

    try:
        lines = events.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return False
    for line in reversed(lines):
        try:
            payload = json.loads(line)
        except ValueError:
            continue
        if isinstance(payload, dict) and payload.get("type") == "EpochEnd" and payload.get("epoch") == epoch:
            return True
    return False


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    if isinstance(error, SentiError):
        return text
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
