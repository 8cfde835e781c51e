"""What the rest of the tool knows about a model, in one plain-data record per model.

Presets, the training protocol, the trainer's optimisers, the training panes and the explorer
read a model's facts from its :class:`ModelSpec` and never branch on its name. A spec holds no
tensors and imports no torch: the terminal UI shows display names and notes without loading
the model code. The model itself is named by dotted paths (``"package.module:Class"``) that
the registry imports only when a model is built (core/models/registry.py).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.errors import ConfigError


@dataclass(frozen=True)
class AuxiliaryOptimiser:
    """A part of the model with its own Adam (DAR's CLUB networks), stepped before the main step.

    The parameters are the model's ``auxiliary_parameters()``; the learning rate is the model
    config's option ``lr_option`` (so ``--set model.<option>=…`` changes it)."""

    lr_option: str
    description: str = ""


@dataclass(frozen=True)
class ModelSpec:
    """One model: identity, code, capabilities, training protocol, presets, UI notes.

    - ``model`` / ``config``: ``"module:Class"`` of the ``MSAModel`` subclass taking
      ``(config, text_encoder)`` and of its config dataclass (``for_dataset(family, dims,
      text_hidden)`` gives the defaults for a data family).
    - ``estimates_integrity`` (text, audio, vision), ``has_dominant`` and ``fixed_dominant`` (the
      modality index a model always names dominant, e.g. LNLN's language): what its
      :class:`~core.models.base.ModelOutput` carries. ``stages``: how many training stages it
      has; which parameters train in each and the words describing it are the model's
      ``stage_parameters`` / ``describe_stage`` (they depend on its config).
    - ``protocol``: the kind of training protocol in :mod:`core.missingness.protocols` (``lnln``,
      ``ifusion``, ``dar``; the protocol also names the validation setting used to select the
      checkpoint); ``protocol_by_family`` its options per data family; ``protocol_from_config``
      protocol options read from the built model's config (option -> config field).
    - ``paper``: seed, epochs, select_on, patience, patience_stage of the papers' presets;
      ``paper_by_preset`` what one paper preset changes (e.g. ``{"mosei-paper": {"epochs": 200}}``);
      ``demo``: epochs, lr and model_overrides of the demo preset; ``tiny``: the tiny preset's
      model overrides.
    - ``auxiliary``: a separately optimised part, or None.
    - ``integrity_note``: the training panes' words for a partial or absent integrity estimate;
      ``explorer_note``: the explorer's, where the generic sentence would not say it right.
    """

    name: str
    display_name: str
    model: str
    config: str
    estimates_integrity: tuple[bool, bool, bool] = (False, False, False)
    has_dominant: bool = False
    fixed_dominant: int | None = None
    stages: int = 1
    protocol: str = "ifusion"
    protocol_by_family: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    protocol_from_config: Mapping[str, str] = field(default_factory=dict)
    paper: Mapping[str, Any] = field(default_factory=dict)
    paper_by_preset: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    demo: Mapping[str, Any] = field(default_factory=dict)
    tiny: Mapping[str, Any] = field(default_factory=dict)
    auxiliary: AuxiliaryOptimiser | None = None
    integrity_note: str | None = None
    explorer_note: str | None = None

    def model_class(self) -> type:
        return import_object(self.model, f"model {self.name!r}")

    def config_class(self) -> type:
        return import_object(self.config, f"model {self.name!r}")


def import_object(path: str, what: str) -> Any:
    """The object at ``"package.module:attribute"`` (a one-line error when it is not there)."""
    module_name, _, attribute = path.partition(":")
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"{what}: cannot import {path!r} ({exc}): fix the dotted path in its spec or registry line") from None
