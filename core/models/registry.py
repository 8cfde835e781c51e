"""Models by name: one line per model, naming where its :class:`~core.models.spec.ModelSpec` is.

A spec is plain data (display name, capabilities, training protocol, presets, notes) and names
its model and config classes by dotted path; nothing here imports torch, so the terminal UI
reads display facts cheaply, and a model's module is imported only when it is built.

Adding a model: write one module with the config dataclass (``for_dataset(family, dims,
text_hidden)``), the :class:`~core.models.base.MSAModel` subclass and its ``SPEC``; then one
line, either in :data:`MODELS` below or at run time ``register_model(SPEC)``
(tests/test_fourth_model.py does that). A spec kept in a torch-free module of its own (as the
three built-in ones are) keeps the UI from importing torch to show its name.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from core.errors import ConfigError
from core.models.spec import ModelSpec, import_object

if TYPE_CHECKING:
    from torch import nn

    from core.data.dataset import FeatureDims
    from core.models.base import MSAModel

# name -> "module:attribute" of its spec (imported when first asked for)
MODELS: dict[str, str] = {
    "senti-ifusion": "core.models.senti_ifusion_spec:SPEC",
    "lnln": "core.models.lnln_spec:SPEC",
    "dar": "core.models.dar_spec:SPEC",
}
_LOADED: dict[str, ModelSpec] = {}


def register_model(spec: ModelSpec | str) -> ModelSpec:
    """Add a model (its spec, or ``"module:SPEC"``); the same name again replaces it."""
    if isinstance(spec, str):
        spec = import_object(spec, "register_model")
    if not isinstance(spec, ModelSpec):
        raise ConfigError(f"register_model: {spec!r} is not a ModelSpec: pass the SPEC of a model module")
    MODELS[spec.name] = f"{spec.model.partition(':')[0]}:SPEC"
    _LOADED[spec.name] = spec
    return spec


def unregister_model(name: str) -> None:
    """Remove a model added by :func:`register_model` (tests clean up with it)."""
    MODELS.pop(name, None)
    _LOADED.pop(name, None)


def model_names() -> list[str]:
    return list(MODELS)


def model_spec(name: str) -> ModelSpec:
    """The spec of model ``name``; an unknown name is a one-line error naming the choices."""
    spec = _LOADED.get(name)
    if spec is not None:
        return spec
    if name not in MODELS:
        raise ConfigError(f"unknown model {name!r}: choose one of {', '.join(MODELS)}")
    spec = import_object(MODELS[name], f"model {name!r}")
    _LOADED[name] = spec
    return spec


def find_spec(name: str) -> ModelSpec | None:
    """The spec of ``name``, or None for a model this process does not know (e.g. a run of a
    model registered elsewhere, shown by ``senti-tui watch``)."""
    return model_spec(name) if name in MODELS else None


def display_name(name: str) -> str:
    """``Senti-iFusion``, ``LNLN``, … (the name itself for a model this process does not know)."""
    spec = find_spec(name)
    return spec.display_name if spec is not None else name


def config_class(name: str) -> type[Any]:
    """The config dataclass of model ``name``."""
    return model_spec(name).config_class()


def default_config(name: str, family: str, dims: FeatureDims, text_hidden: int, overrides: dict[str, Any] | None = None):
    """The paper's config for ``family``, with ``overrides`` (unknown keys refused)."""
    config = config_class(name).for_dataset(family, dims, text_hidden)
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
    hidden = text_encoder.hidden_size  # every text encoder module says its width
    assert isinstance(hidden, int)
    config = default_config(name, family, dims, hidden, overrides)
    return model_spec(name).model_class()(config, text_encoder)


def build_model_from_config(name: str, config: dict[str, Any], text_encoder: nn.Module) -> MSAModel:
    """Rebuild a model from the plain config dict a checkpoint stores."""
    spec = model_spec(name)
    config_cls = spec.config_class()
    known = {f.name for f in dataclasses.fields(config_cls)}
    return spec.model_class()(config_cls(**{k: v for k, v in config.items() if k in known}), text_encoder)


def config_to_dict(config) -> dict[str, Any]:
    """Plain types only: checkpoints are loaded with ``weights_only=True``."""
    return dataclasses.asdict(config)
