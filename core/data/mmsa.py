"""MMSA pickles (MOSI/MOSEI ``aligned_50``/``unaligned_50``, SIMS ``unaligned_39``, synthetic).

Layout (docs/models.md §1.1): ``{"train","valid","test"}``, each a dict of arrays. Dims and lengths
are read from the file, never assumed. Loading is strict: anything that would make training
silently wrong stops with one line naming the file, the split and the key. The only repair is
the one MMSA itself does: ``-inf`` (MOSEI audio) and NaN features become 0, counted in
:attr:`MSADataset.cleaned` and reported with a :class:`DataWarning`.

A pickle with a top-level ``"synthetic_meta"`` dict is the synthetic set written by
:func:`write_mmsa_pickle`; the dict may carry its ``vocab`` (id -> token), ``seed`` and
``special_ids``.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from core.atomic_write import write_atomic
from core.data.dataset import LABEL_RANGES, SPLITS, FeatureDims, MSADataset, SpecialIds, Split
from core.data.fingerprint import fingerprint_splits
from core.data.safe_pickle import safe_load
from core.errors import DataError, DataWarning

FEATURE_KEYS = ("audio", "vision")
LENGTH_KEYS = {"audio": "audio_lengths", "vision": "vision_lengths"}
REQUIRED_KEYS = ("text_bert", "audio", "audio_lengths", "vision", "vision_lengths", "regression_labels")
META_KEY = "synthetic_meta"
_CHUNK = 1024  # samples cleaned at a time, so MOSEI's 2.4 GB audio needs no second full-size mask
_LABEL_TOLERANCE = 1e-5  # float32 rounding of the range ends
MAX_TOKEN_ID = 2**18 - 1  # 262,143: above every BERT-family vocabulary (XLM-R has 250,002 tokens)


def infer_family(path: str | Path) -> str | None:
    """mosi | mosei | sims | synthetic from the path: the one rule of :mod:`core.data.family`
    (nearest path component naming a family); None when none does."""
    from core.data.family import infer_family as family_rule

    return family_rule(path)[0]


def load_mmsa_pickle(path: str | Path, name: str | None = None) -> MSADataset:
    """Load and validate an MMSA pickle; ``name`` forces the family (mosi/mosei/sims/synthetic)."""
    source = str(path)
    raw = safe_load(path)
    if not isinstance(raw, dict):
        raise DataError(
            f"{source}: holds a {type(raw).__name__}, not a dict of splits; expected an MMSA pickle with train, valid and test"
        )
    meta = _read_meta(source, raw.get(META_KEY))
    family = _resolve_family(source, name, meta)
    missing = [split for split in SPLITS if split not in raw]
    if missing:
        found = ", ".join(sorted(str(k) for k in raw if k != META_KEY)) or "nothing"
        raise DataError(f"{source}: split '{missing[0]}' is missing (found: {found}); an MMSA pickle holds train, valid and test")
    cleaned: dict[str, int] = {}
    complex_keys: list[str] = []
    vocab_size = len(meta["vocab"]) if meta.get("vocab") else None
    try:
        splits = {split: _read_split(source, split, raw[split], family, cleaned, vocab_size, complex_keys) for split in SPLITS}
    except RecursionError:
        raise DataError(
            f"{source}: nests objects too deeply to be an MMSA pickle; expected an MMSA pickle such as unaligned_50.pkl"
        ) from None
    dims = _shared_dims(source, splits)
    if complex_keys:
        warnings.warn(
            f"{source}: {', '.join(complex_keys)} hold complex numbers; kept their real part "
            "(the imaginary part is dropped): store real features to silence this",
            DataWarning,
            stacklevel=2,
        )
    if cleaned:
        detail = ", ".join(f"{key}: {count}" for key, count in cleaned.items())
        warnings.warn(
            f"{source}: set {sum(cleaned.values())} non-finite feature values (-inf/NaN) to 0 ({detail})",
            DataWarning,
            stacklevel=2,
        )
    return MSADataset(
        name=family,
        source=source,
        synthetic=family == "synthetic",
        splits=splits,
        dims=dims,
        special_ids=meta.get("special_ids", SpecialIds()),
        vocab=meta.get("vocab"),
        cleaned=cleaned,
        fingerprint=fingerprint_splits(splits),
    )


# --- family and metadata ------------------------------------------------------------------------


def _read_meta(source: str, meta: Any) -> dict[str, Any]:
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise DataError(f"{source}: key '{META_KEY}' is a {type(meta).__name__}, expected a dict")
    result: dict[str, Any] = {"synthetic": True}
    vocab = meta.get("vocab")
    if vocab is not None:
        if not isinstance(vocab, (list, tuple)) or not all(isinstance(token, str) for token in vocab):
            raise DataError(f"{source}: key '{META_KEY}' entry 'vocab' must be a list of strings")
        result["vocab"] = list(vocab)
    special = meta.get("special_ids")
    if special is not None:
        try:
            values = dict(special)
            result["special_ids"] = SpecialIds(**{k: int(v) for k, v in values.items()})
        except (TypeError, ValueError, OverflowError):
            raise DataError(f"{source}: key '{META_KEY}' entry 'special_ids' must map pad/unk/cls/sep to ints") from None
        limit = len(result["vocab"]) - 1 if result.get("vocab") else MAX_TOKEN_ID
        for name, value in values.items():
            if not float(value) == int(value) or not 0 <= int(value) <= limit:
                raise DataError(
                    f"{source}: key '{META_KEY}' entry 'special_ids' has {name} = {value}; special ids are "
                    f"token ids, whole numbers from 0 to {limit:,}"
                )
    return result


def _resolve_family(source: str, name: str | None, meta: dict[str, Any]) -> str:
    if name == "custom":  # none of the three (core/data/family.py): MOSI's rules, or the synthetic set it says it is
        return "synthetic" if meta.get("synthetic") else "mosi"
    if name is not None:
        if name not in LABEL_RANGES:
            raise DataError(f"{source}: unknown data set family {name!r}; use one of {', '.join(LABEL_RANGES)}")
        return name
    if meta.get("synthetic"):
        return "synthetic"
    family = infer_family(source)
    if family is None:
        warnings.warn(
            f"{source}: cannot tell MOSI, MOSEI or SIMS from the path; treating it as MOSI "
            "(labels in [-3, 3], MOSI metrics); put the data set name in the folder or file name",
            DataWarning,
            stacklevel=3,
        )
        return "mosi"
    return family


# --- one split ----------------------------------------------------------------------------------


def _read_split(
    source: str,
    split: str,
    data: Any,
    family: str,
    cleaned: dict[str, int],
    vocab_size: int | None = None,
    complex_keys: list[str] | None = None,
) -> Split:
    where = f"{source}: split '{split}'"
    if not isinstance(data, dict):
        raise DataError(f"{where} is a {type(data).__name__}, expected a dict of arrays")
    text_bert = _text_bert(where, data, vocab_size)
    n = text_bert.shape[0]
    if n == 0:
        raise DataError(f"{where} is empty (0 samples); every split needs at least one")
    features: dict[str, np.ndarray] = {}
    lengths: dict[str, np.ndarray] = {}
    for modality in FEATURE_KEYS:
        features[modality] = _features(where, data, modality, n, complex_keys if complex_keys is not None else [], split)
        lengths[modality] = _lengths(where, data, modality, features[modality], text_bert.shape[2])
        count = _clean(features[modality])
        if count:
            cleaned[f"{split}/{modality}"] = count
    labels = _labels(where, data, n, family)
    return Split(
        name=split,
        ids=_strings(where, data, "id", n, default=[f"{split}_{i}" for i in range(n)]),
        raw_text=_strings(where, data, "raw_text", n, default=[""] * n),
        text_bert=text_bert,
        audio=features["audio"],
        audio_lengths=lengths["audio"],
        vision=features["vision"],
        vision_lengths=lengths["vision"],
        labels=labels,
    )


def _array(where: str, data: dict, key: str) -> np.ndarray:
    if key not in data:
        raise DataError(f"{where} has no key '{key}'; an MMSA split needs {', '.join(REQUIRED_KEYS)}")
    value = data[key]
    try:
        array = np.asarray(value)
    except (ValueError, TypeError):  # ragged nested lists
        array = None
    if array is None or not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise DataError(f"{where} key '{key}' is not a numeric array ({type(value).__name__}); expected a numpy array of numbers")
    if np.iscomplexobj(array) and key not in FEATURE_KEYS:
        raise DataError(f"{where} key '{key}' holds complex numbers; expected real numbers")
    return array


def _same_n(where: str, key: str, array: np.ndarray, n: int) -> None:
    if array.ndim == 0 or array.shape[0] != n:
        count = 0 if array.ndim == 0 else array.shape[0]
        raise DataError(
            f"{where} key '{key}' has {count} samples but 'text_bert' has {n}; "
            "every key of a split must have the same number of samples"
        )


def _text_bert(where: str, data: dict, vocab_size: int | None = None) -> np.ndarray:
    array = _array(where, data, "text_bert")
    if array.ndim != 3 or array.shape[1] != 3:
        raise DataError(
            f"{where} key 'text_bert' has shape {list(array.shape)}, expected [N,3,L] (token ids, attention mask, segment ids)"
        )
    if array.size and not np.isfinite(array).all():
        raise DataError(f"{where} key 'text_bert' holds NaN or infinite values; token ids must be whole numbers")
    if array.size and np.abs(array).max() >= 2**62:
        raise DataError(
            f"{where} key 'text_bert' holds values beyond 2**62; token ids must be whole numbers below {MAX_TOKEN_ID + 1:,}"
        )
    as_int = array.astype(np.int64)
    if array.size and (np.any(as_int != array) or as_int.min() < 0):
        raise DataError(f"{where} key 'text_bert' holds negative or fractional values; token ids must be whole numbers >= 0")
    if not array.size:
        return as_int
    ids, mask = as_int[:, 0], as_int[:, 1]
    limit, what = (
        (vocab_size, f"the file's vocabulary of {vocab_size:,} tokens")
        if vocab_size
        else (MAX_TOKEN_ID + 1, f"any vocabulary (ids go up to {MAX_TOKEN_ID:,})")
    )
    if ids.max() >= limit:
        sample = int(np.argmax(ids.max(axis=1)))
        raise DataError(
            f"{where} key 'text_bert' holds token id {int(ids.max()):,} at sample {sample}, beyond {what}; "
            "row 0 of text_bert must hold the tokenizer's ids"
        )
    if mask.max() > 1:
        raise DataError(f"{where} key 'text_bert' attention mask (row 1) holds {int(mask.max())}; it must be 0 or 1")
    empty = mask.sum(axis=1) == 0
    if empty.any():
        raise DataError(
            f"{where} key 'text_bert' has an empty text at sample {int(np.argmax(empty))} (attention mask all 0); "
            "every sample needs at least one token, e.g. [CLS]"
        )
    return as_int


def _features(where: str, data: dict, key: str, n: int, complex_keys: list[str] | None = None, split: str = "") -> np.ndarray:
    array = _array(where, data, key)
    if array.ndim != 3:
        raise DataError(f"{where} key '{key}' has shape {list(array.shape)}, expected [N,T,d] (samples, frames, features)")
    _same_n(where, key, array, n)
    if np.iscomplexobj(array):  # one DataWarning for the file (load_mmsa_pickle), not numpy's ComplexWarning
        if complex_keys is not None:
            complex_keys.append(f"{split}/{key}")
        array = array.real
    # A copy only when the dtype differs; cleaning then writes into the array we return.
    return np.array(array, dtype=np.float32, copy=array.dtype != np.float32 or not array.flags.writeable)


def _lengths(where: str, data: dict, modality: str, features: np.ndarray, text_len: int) -> np.ndarray:
    key = LENGTH_KEYS[modality]
    frames = features.shape[1]
    if key not in data and frames == text_len:
        # Word-aligned files (aligned_50) may come without lengths (MMSA never reads them there):
        # a frame is real up to the last one with any non-zero feature.
        nonzero = np.any(features != 0, axis=2)
        return np.where(nonzero.any(axis=1), frames - np.argmax(nonzero[:, ::-1], axis=1), 0).astype(np.int64)
    array = _array(where, data, key)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise DataError(f"{where} key '{key}' has shape {list(array.shape)}, expected [N]")
    _same_n(where, key, array, features.shape[0])
    lengths = array.astype(np.int64)
    if np.any(lengths != array):
        raise DataError(f"{where} key '{key}' holds fractional lengths; lengths count frames")
    longest = int(np.argmax(lengths))
    if lengths[longest] > frames:
        raise DataError(
            f"{where} key '{key}' is {int(lengths[longest])} at sample {longest}, "
            f"longer than the sequence ({frames} frames in '{modality}')"
        )
    shortest = int(np.argmin(lengths))
    if lengths[shortest] < 0:
        raise DataError(f"{where} key '{key}' is {int(lengths[shortest])} at sample {shortest}; lengths cannot be negative")
    return lengths


def _clean(features: np.ndarray) -> int:
    """Set -inf/+inf/NaN to 0 in place, chunk by chunk; return how many were set."""
    count = 0
    for start in range(0, features.shape[0], _CHUNK):
        chunk = features[start : start + _CHUNK]
        bad = ~np.isfinite(chunk)
        found = int(bad.sum())
        if found:
            chunk[bad] = 0.0
            count += found
    return count


def _labels(where: str, data: dict, n: int, family: str) -> np.ndarray:
    key = "regression_labels"
    array = _array(where, data, key)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise DataError(f"{where} key '{key}' has shape {list(array.shape)}, expected [N]")
    _same_n(where, key, array, n)
    labels = array.astype(np.float32)
    finite = np.isfinite(labels)
    if not finite.all():
        raise DataError(f"{where} key '{key}' is NaN or infinite at sample {int(np.argmin(finite))}; labels must be numbers")
    low, high = LABEL_RANGES[family]
    outside = (labels < low - _LABEL_TOLERANCE) | (labels > high + _LABEL_TOLERANCE)
    if outside.any():
        index = int(np.argmax(outside))
        raise DataError(
            f"{where} key '{key}' is {float(labels[index]):g} at sample {index}, "
            f"outside [{low:g}, {high:g}] for {family}; check the file or the data set name"
        )
    return labels


def _strings(where: str, data: dict, key: str, n: int, default: list[str]) -> list[str]:
    """``id`` and ``raw_text`` are for display only, so they may be absent (then generated)."""
    if key not in data:
        return default
    values = data[key]
    try:
        elements = np.asarray(values, dtype=object).reshape(-1)
    except (TypeError, ValueError, RecursionError):
        raise DataError(f"{where} key '{key}' is not a list of strings") from None
    for index, value in enumerate(elements):  # str() of a nested container could recurse without end
        if not isinstance(value, (str, bytes, int, float, np.generic)):
            raise DataError(f"{where} key '{key}' holds a {type(value).__name__} at sample {index}; expected a list of strings")
    items = [value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value) for value in elements]
    if len(items) != n:
        raise DataError(
            f"{where} key '{key}' has {len(items)} samples but 'text_bert' has {n}; "
            "every key of a split must have the same number of samples"
        )
    return items


def _shared_dims(source: str, splits: dict[str, Split]) -> FeatureDims:
    """Models size their positional tables from the dims, so every split must share them."""
    reference = splits["train"]
    for split in splits.values():
        for key, ref, this in (
            ("text_bert", reference.text_bert.shape[2:], split.text_bert.shape[2:]),
            ("audio", reference.audio.shape[1:], split.audio.shape[1:]),
            ("vision", reference.vision.shape[1:], split.vision.shape[1:]),
        ):
            if ref != this:
                raise DataError(
                    f"{source}: split '{split.name}' key '{key}' has per-sample shape {list(this)} "
                    f"but split 'train' has {list(ref)}; every split must share the feature dims"
                )
    return FeatureDims(
        text_len=int(reference.text_bert.shape[2]),
        audio_len=int(reference.audio.shape[1]),
        audio_dim=int(reference.audio.shape[2]),
        vision_len=int(reference.vision.shape[1]),
        vision_dim=int(reference.vision.shape[2]),
    )


# --- writing ------------------------------------------------------------------------------------


def write_mmsa_pickle(dataset: MSADataset, path: str | Path) -> Path:
    """Write ``dataset`` in the MMSA layout (atomically); synthetic sets carry ``synthetic_meta``."""
    import pickle

    path = Path(path)
    payload: dict[str, Any] = {name: _split_payload(split) for name, split in dataset.splits.items()}
    if dataset.synthetic:
        seed = re.search(r"seed=(\d+)", dataset.source)
        payload[META_KEY] = {
            "vocab": list(dataset.vocab) if dataset.vocab is not None else None,
            "seed": int(seed.group(1)) if seed else None,
            "special_ids": asdict(dataset.special_ids),
            "generated_from": dataset.source,
        }
    size = sum(array.nbytes for split in payload.values() for array in split.values() if isinstance(array, np.ndarray))
    return write_atomic(
        path, lambda out: pickle.dump(payload, out, protocol=4), error=DataError, remedy="choose another --out", size_hint=size
    )


def _split_payload(split: Split) -> dict[str, np.ndarray]:
    # MMSA stores text_bert as floats; ids < 2**24 survive float32 exactly.
    return {
        "text_bert": np.asarray(split.text_bert, dtype=np.float32),
        "audio": np.asarray(split.audio, dtype=np.float32),
        "audio_lengths": np.asarray(split.audio_lengths, dtype=np.int64),
        "vision": np.asarray(split.vision, dtype=np.float32),
        "vision_lengths": np.asarray(split.vision_lengths, dtype=np.int64),
        "regression_labels": np.asarray(split.labels, dtype=np.float32),
        "raw_text": np.array(list(split.raw_text), dtype=object),
        "id": np.array(list(split.ids), dtype=object),
    }
