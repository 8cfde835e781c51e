"""Presets, and the fully resolved training configuration.

A preset fills every setting the user did not give. ``demo`` trains on the embedded synthetic
set with the scratch text encoder and is sized for a 2-core CPU (each model well within five
minutes and 2 GB). ``mosi-paper``, ``mosei-paper`` and ``sims-paper`` are the papers'
hyper-parameters per model (docs/models.md §2.4, §3.5, §4, [A19], [A31]); they need ``--data``.
``tiny`` is for tests and smoke checks: a few dozen synthetic samples, two epochs.

Without a preset: no ``--data`` (or ``--data synthetic``) means ``demo``; a data file means the
paper preset of its family: ``--dataset`` / ``data.family``, else the one inference rule of
:mod:`core.data.family` (the nearest path component naming MOSI, MOSEI or SIMS, e.g.
``.../MOSEI/unaligned_50.pkl``; ``custom`` with the mosi-paper hyper-parameters when none does),
stated at start.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from core.errors import ConfigError
from core.models.registry import config_class, model_spec
from core.runtime.dropout import DROPOUT_MASKS
from core.text.encoders import CONFIG_KINDS
from core.training.options import DEFAULT_MODEL, TrainOptions
from core.training.schedule import scaled_warmup

PRESETS = ("demo", "mosi-paper", "mosei-paper", "sims-paper", "tiny")
SELECTIONS = ("valid", "paper")


@dataclass
class TrainConfig:
    """Everything a run needs, as plain values (``config.json`` and the checkpoints hold it)."""

    model: str
    data: str
    preset: str
    text_encoder: str
    freeze_text: bool
    epochs: int
    batch_size: int
    lr: float
    weight_decay: float
    warmup_epochs: int
    seed: int
    device: str
    selection: str  # valid | paper
    select_on: str  # the validation criterion: "MAE" or "val_loss" (see selection.py)
    patience: int | None  # early stopping; None = off
    patience_stage: int  # early stopping counts from this stage on
    eval_batch_size: int = 64  # fixed and unshuffled ([A16])
    model_overrides: dict = field(default_factory=dict)
    protocol: dict = field(default_factory=dict)  # training missingness options, e.g. {"droprate": 0.5}
    max_samples: int | None = None  # keep only the first N samples of each split (tiny)
    allow_incomplete_stages: bool = False  # train even when a stage gets no epoch (e.g. stage 1 only)
    # torch.compile the training forward pass (``--set train.compile=true``); off by default: on
    # this CPU it compiles for minutes and steps no faster (benchmarks/model_speed.py --compile)
    compile: bool = False
    # How a CPU run draws its dropout masks: "packed" (four masks per 64-bit draw, on every thread:
    # core/runtime/dropout.py) or "torch" (F.dropout's bernoulli_, one thread; the runs before it)
    dropout_masks: str = "packed"
    # AdamW's fused kernel (one pass over each parameter; the same update rule as torch's default
    # per-parameter loop on the CPU, rounded differently): 0.49 -> 0.12 s per step at LNLN's MOSI shapes on this CPU
    fused_optimizer: bool = True
    # An exponential moving average of the weights (``torch.optim.swa_utils``), updated after every
    # optimiser step: validation, selection and the best checkpoints use the averaged weights.
    # 0 = off (the papers train without one); e.g. 0.99 averages over the last ~100 steps.
    ema_decay: float = 0.0
    # The text encoder's own learning rate (MMSA's ``learning_rate_bert``: a pretrained encoder is
    # fine-tuned at a small rate while the rest trains at ``lr``); None = ``lr`` for every parameter.
    # It follows the same warm-up and cosine schedule, scaled by text_lr / lr.
    text_lr: float | None = None
    family: str = ""  # mosi | mosei | sims | custom | synthetic (core/data/family.py); "" in older runs
    notes: list[str] = field(default_factory=list)  # what the resolution changed, said at start

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        before_options = {"dropout_masks": "torch", "fused_optimizer": False}  # what runs saved before them did
        return cls(**{**before_options, **{k: v for k, v in data.items() if k in known}})


# Shared by every model in the papers' presets; each model's own values are its spec's ``paper``
# (docs/models.md §2.4, §3.5, §4) and ``paper_by_preset``.
PAPER_COMMON = {"batch_size": 64, "lr": 1e-4, "weight_decay": 1e-4}
PAPER_TEXT_ENCODER = {"mosi-paper": "bert-base-uncased", "mosei-paper": "bert-base-uncased", "sims-paper": "bert-base-chinese"}


def paper_preset(preset: str, model: str) -> dict:
    spec = model_spec(model)
    values = {
        **PAPER_COMMON,
        **copy.deepcopy(dict(spec.paper)),
        "text_encoder": PAPER_TEXT_ENCODER[preset],
        "model_overrides": {},
    }
    values.update(copy.deepcopy(dict(spec.paper_by_preset.get(preset, {}))))
    values["warmup_epochs"] = scaled_warmup(values["epochs"])  # 20 of 200, 15 of 150
    return values


# The demo: synthetic data, scratch encoder, sized for this 2-core CPU (see checkpoints/README.md
# for the measured figures). Higher learning rates than the papers' (a scratch encoder and small
# data need them to converge in a few epochs), no warm-up (LNLN's 10% of 8-14 epochs would spend
# the whole first epoch at lr 0), and narrower attention (d 64, 4 heads x 16: ~4x faster, and
# checkpoints small enough to ship). Measured quiet on this machine (benchmarks/train_demo.py):
# see checkpoints/README.md. Each model's epochs, lr and model overrides are its spec's ``demo``
# (why each differs is said there).
def demo_preset(model: str) -> dict:
    return {
        "data": "synthetic",
        "text_encoder": "scratch",
        "batch_size": 32,
        "weight_decay": 1e-4,
        "warmup_epochs": 0,
        "seed": 1111,
        "select_on": "MAE",
        "patience": None,
        "patience_stage": 1,
        "model_overrides": {},
        # The shipped demo checkpoints were trained with F.dropout's masks and the per-parameter
        # AdamW, before packed masks and the fused kernel became the CPU default. The preset keeps
        # them, so that it reproduces the shipped runs bit for bit; it costs Senti-iFusion 19 s of
        # its 2.6 minutes (checkpoints/README.md).
        "dropout_masks": "torch",
        "fused_optimizer": False,
        **copy.deepcopy(dict(model_spec(model).demo)),
    }


# Narrower models where the config allows it (the spec's ``tiny``): tiny is about the loop, not
# the model's quality.
def tiny_preset(model: str) -> dict:
    return {
        "data": "synthetic",
        "text_encoder": "scratch",
        "epochs": 2,
        "batch_size": 16,
        "lr": 1e-3,
        "weight_decay": 1e-4,
        "warmup_epochs": 0,
        "seed": 7,
        "select_on": "MAE",
        "patience": None,
        "patience_stage": 1,
        "model_overrides": copy.deepcopy(dict(model_spec(model).tiny)),
        "max_samples": 32,
    }


def paper_preset_of(family: str) -> str:
    """The paper preset of a data family (custom data: MOSI's)."""
    return f"{family}-paper" if family in ("mosi", "mosei", "sims") else "mosi-paper"


OVERRIDE_SECTIONS = ("model", "protocol", "train")
# TrainConfig fields a "train." override may not set: they come from their own options.
NOT_OVERRIDABLE = {"model", "data", "preset", "device", "selection", "model_overrides", "protocol", "notes", "family"}


def apply_overrides(values: dict, overrides: dict) -> None:
    """``--set`` overrides into the preset's values. Model and protocol options are checked
    when the model and the protocol are built (unknown names are one-line errors there)."""
    trainable = {f.name: f for f in fields(TrainConfig)}
    for key, value in overrides.items():
        section, _, name = key.partition(".")
        if section not in OVERRIDE_SECTIONS or not name:
            raise ConfigError(
                f"--set {key}: use section.name=value with section one of {', '.join(OVERRIDE_SECTIONS)} (e.g. model.stage1_epochs=3)"
            )
        if section == "model":
            values.setdefault("model_overrides", {})[name] = value
        elif section == "protocol":
            values.setdefault("protocol", {})[name] = value
        elif name not in trainable or name in NOT_OVERRIDABLE:
            allowed = sorted(set(trainable) - NOT_OVERRIDABLE)
            raise ConfigError(f"--set {key}: no training setting {name!r}: use one of {', '.join(allowed)}")
        else:
            values[name] = value


def resolve_config(options: TrainOptions) -> TrainConfig:
    """Merge, lowest first: the preset, the ``--config`` file, the command-line options, ``--set``
    (core/training/config_file.py). Unknown names and wrong types are one-line errors."""
    from core.training.config_file import OPTION_KEYS, check_types, read_config_file

    from_file = read_config_file(options.config) if options.config else {}
    from_set = dict(options.overrides)
    named = {
        attr: merged for key, attr in OPTION_KEYS.items() if (merged := from_set.pop(key, from_file.pop(key, None))) is not None
    }
    chosen = {attr: value for attr, value in named.items() if getattr(options, attr) in (None, getattr(TrainOptions, attr))}
    options = replace(options, **{k: str(v) for k, v in chosen.items()})  # type: ignore[arg-type]  # OPTION_KEYS name str fields only
    model = options.model if options.model is not None else DEFAULT_MODEL
    options = replace(options, model=model)
    model_spec(model)  # an unknown name: one line naming the choices
    if options.preset is not None and options.preset not in PRESETS:
        raise ConfigError(f"unknown preset {options.preset!r}: choose one of {', '.join(PRESETS)}")
    if options.selection not in SELECTIONS:
        raise ConfigError(f"unknown selection {options.selection!r}: choose valid or paper")
    for name in ("epochs", "batch_size"):
        value = getattr(options, name)
        if value is not None and value < 1:
            raise ConfigError(f"--{name.replace('_', '-')} must be at least 1, not {value}")
    if options.lr is not None and not options.lr > 0:
        raise ConfigError(f"--lr must be positive, not {options.lr}")

    from core.data.family import resolve_family

    family, how = resolve_family(options.dataset, options.data if options.data is not None else "synthetic")
    preset = options.preset
    if preset is None:
        preset = "demo" if options.data in (None, "synthetic") else paper_preset_of(family)
    if preset == "demo":
        values = demo_preset(model)
    elif preset == "tiny":
        values = tiny_preset(model)
    else:
        values = paper_preset(preset, model)
        if options.data is None:
            raise ConfigError(f"preset {preset} trains on real data: pass --data PATH (an MMSA pickle or label.csv)")

    data = options.data if options.data is not None else values.pop("data")
    values.pop("data", None)
    preset_epochs = values["epochs"]
    apply_overrides(values, from_file)
    for name in ("text_encoder", "epochs", "batch_size", "lr", "seed"):
        given = getattr(options, name)
        if given is not None:
            values[name] = given
    if options.epochs is not None and values["warmup_epochs"] > 0:  # the warm-up keeps its share
        values["warmup_epochs"] = scaled_warmup(options.epochs)
    if options.selection == "paper":
        values["patience"] = None  # LNLN's paper protocol runs every epoch ([A5])
    values["freeze_text"] = bool(options.freeze_text or values.get("freeze_text", False))
    apply_overrides(values, from_set)
    check_types(TrainConfig, values, "train")
    if not 0.0 <= float(values.get("ema_decay", TrainConfig.ema_decay)) < 1.0:
        raise ConfigError(f"train.ema_decay must be in [0, 1) (0 = no averaging), not {values['ema_decay']}")
    if values.get("text_lr") is not None and not float(values["text_lr"]) > 0:
        raise ConfigError(f"train.text_lr must be positive (or null for train.lr), not {values['text_lr']}")
    if values.get("dropout_masks", TrainConfig.dropout_masks) not in DROPOUT_MASKS:
        raise ConfigError(f"unknown train.dropout_masks {values['dropout_masks']!r}: choose {' or '.join(DROPOUT_MASKS)}")
    model_config = config_class(model)
    check_types(model_config, values.get("model_overrides", {}), "model")
    stage1_given = any(key == "model.stage1_epochs" for key in (*from_file, *from_set))
    text_lr_given = any(key == "train.text_lr" for key in (*from_file, *from_set))
    values["notes"] = [
        *family_notes(family, how, str(data), preset, options.preset is None),
        *demo_text_rate(values, preset, text_lr_given),
        *schedule_stages(values, model_config, preset_epochs, scale=options.epochs is not None and not stage1_given),
    ]
    return TrainConfig(
        family=family,
        model=model,
        data=str(data),
        preset=preset,
        device=options.device,
        selection=options.selection,
        **values,
    )


def family_notes(family: str, how: str, data: str, preset: str, preset_inferred: bool) -> list[str]:
    """The data family and how it was decided, said at start (not for the synthetic set)."""
    if family == "synthetic":
        return []
    rules = (
        "MOSI's label range [-3, 3] and metrics"
        if family in ("mosi", "mosei", "custom")
        else "SIMS's label range [-1, 1] and metrics"
    )
    chosen = f", preset {preset}" if preset_inferred else ""
    named = f"{family}_best.pt" if family != "custom" else f"the best checkpoint named after {Path(data).name}"
    return [f"data family {family} ({how}): {rules}{chosen}, {named}; state it with --dataset mosi|mosei|sims|custom"]


# The demo's lr (1e-3) fits a scratch encoder; a pretrained one trained at it loses what it knows.
# 5e-5 is the usual BERT fine-tuning rate, and what docs/models.md §8.4 measured with MiniLM.
DEMO_PRETRAINED_TEXT_LR = 5e-5


def demo_text_rate(values: dict, preset: str, given: bool) -> list[str]:
    """The demo preset with a pretrained text encoder fine-tunes it at its own, smaller rate
    (``train.text_lr``) unless the user set one; the papers' presets train everything at 1e-4."""
    if preset != "demo" or given or values["text_encoder"] in CONFIG_KINDS:
        return []
    values["text_lr"] = DEMO_PRETRAINED_TEXT_LR
    return [
        f"demo preset with the pretrained text encoder {values['text_encoder']}: it fine-tunes at "
        f"train.text_lr={DEMO_PRETRAINED_TEXT_LR:g}, the rest at train.lr={values['lr']:g}; set train.text_lr to change it"
    ]


def schedule_stages(values: dict, model_config: type, preset_epochs: int, scale: bool) -> list[str]:
    """A staged model's stage-1 length (a ``stage1_epochs`` option): scaled with ``--epochs``
    when the user did not set it (the preset's share, e.g. the paper's 40 of 150), and refused
    when it leaves no epoch for stage 2 unless ``train.allow_incomplete_stages``. Returns the
    notes to print at start."""
    field_default = {f.name: f.default for f in fields(model_config)}.get("stage1_epochs")
    if field_default is None:
        return []
    overrides = values.setdefault("model_overrides", {})
    stage1, epochs = int(overrides.get("stage1_epochs", field_default)), int(values["epochs"])
    notes = []
    if scale and stage1 > 0 and epochs != preset_epochs:
        scaled = min(max(1, round(stage1 * epochs / preset_epochs)), epochs - 1) if epochs > 1 else 0
        notes.append(
            f"stage 1 scaled with --epochs: {scaled} of {epochs} epochs (the preset's {stage1} of {preset_epochs}); set it with --set model.stage1_epochs=N"
        )
        overrides["stage1_epochs"] = stage1 = scaled
    if stage1 >= epochs and not values.get("allow_incomplete_stages"):
        raise ConfigError(
            f"model.stage1_epochs={stage1} leaves no stage-2 epoch in train.epochs={epochs}, so the model would never learn to predict: "
            "lower it (--set model.stage1_epochs=N), raise --epochs, or --set train.allow_incomplete_stages=true"
        )
    return notes
