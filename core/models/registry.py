"""Build a model by name.

Each model file defines a config dataclass with ``for_dataset(family, dims, text_hidden)`` giving
the paper's defaults for a data set family (mosi, mosei, sims, synthetic, text-only) and the model
class taking ``(config, text_encoder)``. The registry maps names to those pairs, imported lazily
so that importing the registry is cheap.
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any

from torch import nn

from core.data.dataset import FeatureDims
from core.errors import ConfigError
from core.models.base import MSAModel

# name -> (module, model class, config class)
MODELS: dict[str, tuple[str, str, str]] = {
    "senti-ifusion": ("core.models.senti_ifusion", "SentiIFusion", "SentiIFusionConfig"),
    "lnln": ("core.models.lnln", "LNLN", "LNLNConfig"),
    "dar": ("core.models.dar", "DAR", "DARConfig"),
}


def model_names() -> list[str]:
    return list(MODELS)


def config_class(name: str) -> type:
    """The config dataclass of model ``name``."""
    return _classes(name)[1]


def _classes(name: str) -> tuple[type[MSAModel], Any]:  # the config classes share no base
    if name not in MODELS:
        raise ConfigError(f"unknown model {name!r}: choose one of {', '.join(MODELS)}")
    module_name, model_cls, config_cls = MODELS[name]
    module = importlib.import_module(module_name)
    return getattr(module, model_cls), getattr(module, config_cls)


def default_config(name: str, family: str, dims: FeatureDims, text_hidden: int, overrides: dict[str, Any] | None = None):
    """The paper's config for ``family``, with ``overrides`` (unknown keys refused)."""
    _, config_cls = _classes(name)
    config = config_cls.for_dataset(family, dims, text_hidden)
    return apply_overrides(name, config, overrides or {})


def apply_overrides(name: str, config, overrides: dict[str, Any]):
    known = {f.name for f in dataclasses.fields(config)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ConfigError(f"model {name!r} has no option {', '.join(unknown)}: known options are {', '.join(sorted(known))}")
    return dataclasses.replace(config, **overrides)


def build_model(
    name: str,
    family: str,
    dims: FeatureDims,
    text_encoder: nn.Module,
    overrides: dict[str, Any] | None = None,
) -> MSAModel:
    """Build ``name`` for feature ``dims`` around ``text_encoder`` (which has ``hidden_size``)."""
    model_cls, _ = _classes(name)
    config = default_config(name, family, dims, int(text_encoder.hidden_size), overrides)  # type: ignore[arg-type]  # an int attribute, Tensor | Module to mypy
    return model_cls(config, text_encoder)


def build_model_from_config(name: str, config: dict[str, Any], text_encoder: nn.Module) -> MSAModel:
    """Rebuild a model from the plain config dict a checkpoint stores."""
    model_cls, config_cls = _classes(name)
    known = {f.name for f in dataclasses.fields(config_cls)}
    return model_cls(config_cls(**{k: v for k, v in config.items() if k in known}), text_encoder)


def config_to_dict(config) -> dict[str, Any]:
    """Plain types only: checkpoints are loaded with ``weights_only=True``."""
    return dataclasses.asdict(config)
