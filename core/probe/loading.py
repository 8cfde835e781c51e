"""Opening checkpoints for probing: the weights, and the very data they were trained on.

A checkpoint records where its data came from (``training.data``: ``"synthetic"`` or a file),
the synthetic seed (``data.source`` reads ``synthetic:seed=N``), the feature dims, the
fingerprint of the arrays and, for the ``tiny`` preset, ``training.max_samples``. From that the
data set is rebuilt exactly -- regenerated for synthetic data, read again for a pickle or a
label.csv (``data`` overrides the path, e.g. when the file moved) -- and then checked: the dims
must match and so must the fingerprint, so a prediction is never shown against the wrong labels.

Several checkpoints are probed together only when they share that data. Every problem is one
line (:class:`~core.errors.SentiError`) naming the file, what is wrong and what to do.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

import torch

from core.data.dataset import MSADataset, Split
from core.data.fingerprint import fingerprint_matches, fingerprint_of, recorded_version
from core.data.sources import SYNTHETIC, check_token_ids, first_samples, in_encoder_tokens, load_dataset
from core.errors import CheckpointError, DataError
from core.models.base import MSAModel
from core.probe.types import ModelInfo
from core.runtime.checkpoint import Checkpoint, build_model_from_checkpoint, check_dims, load_checkpoint

_SYNTHETIC_SEED = re.compile(r"synthetic:seed=(-?\d+)")


@dataclass
class OpenedModel:
    """One checkpoint, its model (eval mode) and how the explorer describes it."""

    checkpoint: Checkpoint
    model: MSAModel
    info: ModelInfo


def data_source(checkpoint: Checkpoint, override: str | None = None) -> str:
    """The data a checkpoint was trained on (``"synthetic"`` or a path), or the override."""
    if override:
        return str(override).strip()
    recorded = str(checkpoint.training.get("data") or checkpoint.data.get("source") or "")
    if recorded == SYNTHETIC or recorded.startswith(f"{SYNTHETIC}:"):
        return SYNTHETIC
    if not recorded:
        raise CheckpointError(f"{checkpoint.path}: records no data source: pass --data with the data it was trained on")
    return recorded


def synthetic_seed(checkpoint: Checkpoint) -> int:
    """The generator seed recorded in ``data.source`` (0, the embedded set, when absent)."""
    found = _SYNTHETIC_SEED.search(str(checkpoint.data.get("source", "")))
    return int(found.group(1)) if found else 0


def synthetic_tokens(checkpoint: Checkpoint) -> str:
    """Whose token ids the synthetic set was read in: "" for its own words (scratch and
    bert-base-config encoders), else the pretrained encoder's name (core.data.sources.in_encoder_tokens)."""
    encoder = checkpoint.text_encoder
    return str(encoder.get("name_or_path", "")) if encoder.get("kind") == "pretrained" else ""


def data_key(checkpoint: Checkpoint, override: str | None = None) -> tuple:
    """What identifies the rebuilt data: two checkpoints with the same key share one data set."""
    source = data_source(checkpoint, override)
    max_samples = checkpoint.training.get("max_samples")
    if source == SYNTHETIC:
        dims = checkpoint.dims
        return (SYNTHETIC, synthetic_seed(checkpoint), dims.audio_len, dims.vision_len, max_samples, synthetic_tokens(checkpoint))
    return (str(Path(source).expanduser().resolve()), max_samples)


def rebuild_dataset(checkpoint: Checkpoint, override: str | None = None) -> MSADataset:
    """The checkpoint's data set, rebuilt as it was for training (not yet checked)."""
    from core.text.encoders import TextEncoderSpec

    source = data_source(checkpoint, override)
    encoder = TextEncoderSpec.from_dict(checkpoint.text_encoder)
    if source == SYNTHETIC:
        dims = checkpoint.dims
        # in the pretrained encoder's tokens when it was trained with one, as training read it
        dataset = in_encoder_tokens(synthetic_dataset(synthetic_seed(checkpoint), dims.audio_len, dims.vision_len), encoder)
    else:
        if not Path(source).expanduser().exists():
            remedy = "pass --data with the file" if override is None else "check the --data path"
            raise DataError(f"{source}: no such data file (the data of {checkpoint.path.name}): {remedy}")
        # A label.csv is tokenized with the checkpoint's own text encoder (a scratch vocabulary is
        # rebuilt from the same file, so the ids agree).
        dataset = load_dataset(source, encoder, family=recorded_family(checkpoint))
    max_samples = checkpoint.training.get("max_samples")
    return first_samples(dataset, int(max_samples)) if max_samples else dataset


def recorded_family(checkpoint: Checkpoint) -> str | None:
    """The data family the checkpoint was trained as (``training.family``; older checkpoints: the
    data set name when it is a family), so that the rebuilt data has the same labels and metrics."""
    family = str(checkpoint.training.get("family") or "")
    if family in ("mosi", "mosei", "sims", "custom"):
        return family
    name = checkpoint.dataset_name
    return name if name in ("mosi", "mosei", "sims") else None


_SYNTHETIC_CACHE: dict[tuple[int, int, int], MSADataset] = {}
_SYNTHETIC_LOCK = threading.Lock()


def synthetic_dataset(seed: int, audio_len: int, vision_len: int) -> MSADataset:
    """The generated set, kept for the life of the process (about a second to make, a few MB):
    reopening the explorer or evaluating groups of checkpoints does not regenerate it. Callers
    never modify it (truncation makes new arrays' views and a new object)."""
    from core.data.synthetic import generate_synthetic

    key = (int(seed), int(audio_len), int(vision_len))
    with _SYNTHETIC_LOCK:
        if key not in _SYNTHETIC_CACHE:
            if len(_SYNTHETIC_CACHE) >= 2:
                _SYNTHETIC_CACHE.pop(next(iter(_SYNTHETIC_CACHE)))
            _SYNTHETIC_CACHE[key] = generate_synthetic(*key)
        return _SYNTHETIC_CACHE[key]


def check_data(checkpoint: Checkpoint, dataset: MSADataset) -> None:
    """Same dims and the same arrays (fingerprint) as the checkpoint was trained on."""
    check_dims(checkpoint, dataset.dims, dataset.source)
    recorded = checkpoint.data.get("fingerprint")
    if recorded and dataset.fingerprint and not fingerprint_matches(checkpoint.data, dataset):
        # by the rule the checkpoint was written with (version 1 left out lengths and raw text)
        ours = fingerprint_of(dataset, recorded_version(checkpoint.data)) or dataset.fingerprint
        raise DataError(
            f"{dataset.source}: not the data {checkpoint.path} was trained on (fingerprint {ours} "
            f"vs {recorded}): pass --data with the data it was trained on"
        )


def check_split(dataset: MSADataset, split: str) -> Split:
    if split not in dataset.splits or len(dataset.splits[split]) == 0:
        have = ", ".join(name for name, s in dataset.splits.items() if len(s)) or "none"
        raise DataError(f"{dataset.source}: has no split {split!r} (it has {have}): pass --split with one of them")
    return dataset.splits[split]


def load_checkpoints(paths: list[str]) -> list[Checkpoint]:
    if not paths:
        raise CheckpointError("no checkpoint given: pass one or more .pt files written by senti-tui train")
    return [load_checkpoint(path) for path in paths]


def load_shared_dataset(checkpoints: list[Checkpoint], override: str | None = None) -> MSADataset:
    """One data set for all ``checkpoints``; refuse checkpoints trained on different data."""
    first = checkpoints[0]
    key = data_key(first, override)
    for other in checkpoints[1:]:
        other_key = data_key(other, override)
        # fingerprints of different versions are not comparable: check_data compares each with the data
        same_arrays = other.data.get("fingerprint") == first.data.get("fingerprint") or recorded_version(
            other.data
        ) != recorded_version(first.data)
        if other_key != key or not same_arrays:
            raise CheckpointError(
                f"{other.path}: trained on other data than {first.path} ({_describe(other)} vs {_describe(first)}): "
                "open checkpoints of the same data together, or evaluate them separately"
            )
    dataset = rebuild_dataset(first, override)
    for checkpoint in checkpoints:
        check_data(checkpoint, dataset)
        check_token_ids(
            dataset,
            int(checkpoint.text_encoder_config["vocab_size"]),
            f"of {checkpoint.path.name}",
            "pass --data with the data it was trained on",
        )
    return dataset


def _describe(checkpoint: Checkpoint) -> str:
    source = str(checkpoint.data.get("source", "?"))
    if source.startswith(SYNTHETIC):
        source += f" in {synthetic_tokens(checkpoint) or 'its own word'} tokens"
    return f"{source}, fingerprint {checkpoint.data.get('fingerprint', '?')}"


def model_keys(checkpoints: list[Checkpoint]) -> list[str]:
    """Short unique labels: the model name, with the file name when a name repeats."""
    names = [c.model for c in checkpoints]
    keys = [name if names.count(name) == 1 else f"{name} ({c.path.name})" for name, c in zip(names, checkpoints)]
    seen: dict[str, int] = {}
    unique = []
    for key in keys:  # the same file name twice (two run folders): number them
        seen[key] = seen.get(key, 0) + 1
        unique.append(key if keys.count(key) == 1 else f"{key} #{seen[key]}")
    return unique


def open_model(checkpoint: Checkpoint, key: str, device: str | torch.device = "cpu") -> OpenedModel:
    model = build_model_from_checkpoint(checkpoint, device)
    best = checkpoint.best or {}
    info = ModelInfo(
        key=key,
        model=checkpoint.model,
        path=str(checkpoint.path),
        dataset=checkpoint.dataset_name,
        synthetic=checkpoint.synthetic,
        selected_on=checkpoint.selected_on,
        test_selected=checkpoint.test_selected,
        estimates_integrity=tuple(bool(x) for x in model.estimates_integrity),  # type: ignore[arg-type]
        has_dominant=bool(model.has_dominant),
        epoch=int(best.get("epoch", checkpoint.epoch) or checkpoint.epoch),
        best_metrics={k: float(v) for k, v in (best.get("metrics") or {}).items()},
        history=list(checkpoint.history),
    )
    return OpenedModel(checkpoint=checkpoint, model=model, info=info)


def selected_for(checkpoint: Checkpoint) -> str | None:
    """The metric a ``best_<metric>`` checkpoint (LNLN's paper protocol) was selected for."""
    kind = str(checkpoint.kind)
    return kind[len("best_") :] if kind.startswith("best_") else None
