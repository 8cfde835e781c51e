"""What the user asked for, as plain values straight from the CLI (no torch here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEFAULT_MODEL = "senti-ifusion"


@dataclass
class TrainOptions:
    """``None`` means "the preset's (or the model's paper) default"."""

    model: str | None = None  # None: senti-ifusion for a new run, the run's own model on --resume
    data: str | None = None  # pickle path, label.csv path or "synthetic"
    dataset: str | None = None  # the data family: mosi | mosei | sims | custom (None: inferred, core/data/family.py)
    preset: str | None = None  # demo | mosi-paper | mosei-paper | sims-paper
    text_encoder: str | None = None  # scratch | minilm | bert-base-config | bert-base-uncased | PATH
    freeze_text: bool = False
    epochs: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    seed: int | None = None
    device: str = "auto"  # auto | cpu | cuda
    precision: str = "auto"  # auto | fp32 | bf16 (auto: bf16 on a CUDA GPU that supports it, else fp32)
    selection: str = "valid"  # valid | paper
    out: str | None = None
    resume: str | None = None
    config: str | None = None  # a YAML run configuration (core/training/config_file.py)
    overwrite: bool = False  # train into a folder that already holds a run
    tensorboard: str | None = None  # also write the event stream as TensorBoard scalars to this folder
    # ``--set section.name=value``: "model.<option>" (the model's config), "protocol.<option>" (the
    # training missingness protocol) or "train.<setting>" (a TrainConfig field); values parsed.
    overrides: dict[str, Any] = field(default_factory=dict)
