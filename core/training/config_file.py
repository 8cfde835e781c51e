"""Run configuration as YAML: ``train --config run.yaml``, ``--set section.name=value``,
``--print-config`` and the ``config.yaml`` of every run folder.

OmegaConf does the parsing, merging and type checking: its dotlist parser reads ``--set`` values
as YAML scalars (``3``, ``5e-5``, ``true``), and structured configs built from the project's own
dataclasses (:class:`~core.training.presets.TrainConfig` and each model's config class) reject a
value of the wrong type with the key's name. We chose it over hand-written merging because it is
the configuration library of the field's training code (Hydra) and works on plain dataclasses, so
there is no second schema to keep in step.

The file has four sections; a run folder's ``config.yaml`` holds every resolved value, so passing
it back to ``--config`` repeats the run::

    model:    {name: senti-ifusion, stage1_epochs: 5, d: 64, ...}   # name + the model's options
    data:     {path: synthetic}        # and family: mosi | mosei | sims | custom for a data file
    train:    {preset: demo, epochs: 15, lr: 0.001, seed: 1111, ...}  # TrainConfig fields
    protocol: {droprate: 0.5, ...}                                   # training missingness options

Precedence, lowest first: the preset, the ``--config`` file, the command-line options
(``--epochs``, ``--lr``, ...), then ``--set``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, cast

from core.errors import ConfigError

SECTIONS = ("model", "data", "train", "protocol")
# Keys of the file that name what the command line names with its own options.
OPTION_KEYS = {
    "model.name": "model",
    "data.path": "data",
    "data.family": "dataset",
    "train.preset": "preset",
    "train.selection": "selection",
    "train.device": "device",
    "train.precision": "precision",
}


def named_option(options, attr: str) -> Any:
    """The value of an option the command line, ``--set`` and a ``--config`` file can all give
    (:data:`OPTION_KEYS`), with :func:`~core.training.presets.resolve_config`'s precedence: the
    command line when it is not the default, else ``--set``, else the file, else the default."""
    from core.training.options import TrainOptions

    given = getattr(options, attr)
    if given not in (None, getattr(TrainOptions, attr)):
        return given
    key = next(k for k, a in OPTION_KEYS.items() if a == attr)
    if key in options.overrides:
        return options.overrides[key]
    if options.config:
        value = read_config_file(options.config).get(key)
        if value is not None:
            return value
    return given


def parse_set(items: list[str]) -> dict[str, Any]:
    """``["model.d=32", "train.lr=5e-5"]`` -> ``{"model.d": 32, "train.lr": 5e-05}`` (typed scalars)."""
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    for item in items:
        key, sep, _ = item.partition("=")
        if not sep or "." not in key or not key.split(".", 1)[1]:
            raise ConfigError(
                f"--set {item}: expected section.name=value with section one of {', '.join(SECTIONS)} (e.g. model.stage1_epochs=3)"
            )
    try:
        return flatten(cast(dict, OmegaConf.to_container(OmegaConf.from_dotlist(items))))  # a DictConfig's container: a dict
    except OmegaConfBaseException as error:
        raise ConfigError(f"--set: {_first_line(error)}") from None


def read_config_file(path: str | Path) -> dict[str, Any]:
    """A YAML run configuration as flat ``section.name`` keys; one-line errors."""
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file: pass a YAML file (a run folder's config.yaml repeats that run)")
    try:
        data = OmegaConf.to_container(OmegaConf.load(path))
    except (OmegaConfBaseException, ValueError, OSError) as error:
        raise ConfigError(f"{path}: not a readable YAML config ({_first_line(error)}): fix the file or use --set") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a config file is a mapping with sections {', '.join(SECTIONS)}, not a {type(data).__name__}")
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        raise ConfigError(f"{path}: unknown section {', '.join(unknown)}: the sections are {', '.join(SECTIONS)}")
    for section, values in data.items():
        if values is not None and not isinstance(values, dict):
            raise ConfigError(f"{path}: section {section!r} must be a mapping of name: value")
    return flatten({k: v for k, v in data.items() if v is not None})


def flatten(tree: dict, prefix: str = "") -> dict[str, Any]:
    """Two levels (section, name): ``{"model": {"d": 32}}`` -> ``{"model.d": 32}``; deeper values
    (a dict-valued option) stay whole."""
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        if not prefix and isinstance(value, dict):
            flat.update(flatten(value, f"{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def check_types(schema: type, values: dict[str, Any], what: str) -> None:
    """Raise a one-line ConfigError when a value cannot be the dataclass field's type."""
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    names = {f.name for f in dataclasses.fields(schema)}
    typed = {k: v for k, v in values.items() if k in names}
    try:
        OmegaConf.merge(OmegaConf.structured(schema), typed)
    except OmegaConfBaseException as error:
        key = getattr(error, "full_key", None) or "?"
        raise ConfigError(f"{what}.{key}: {_first_line(error)}") from None


def to_yaml(training: dict, model_config: dict) -> str:
    """The YAML of a resolved run: ``training`` is TrainConfig.to_dict(); ``model_config`` the
    model's full config (dims and text width are left out: they come from the data)."""
    from omegaconf import OmegaConf

    train = {k: v for k, v in training.items() if k not in ("model", "data", "model_overrides", "protocol", "notes", "family")}
    model = {"name": training["model"], **{k: v for k, v in model_config.items() if k not in ("dims", "text_hidden")}}
    data = {"path": training["data"]}
    if training.get("family") and training["family"] != "synthetic":
        data["family"] = training["family"]
    tree = {"model": model, "data": data, "train": train, "protocol": dict(training.get("protocol") or {})}
    return OmegaConf.to_yaml(OmegaConf.create(tree))


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
