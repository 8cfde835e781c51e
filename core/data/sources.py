"""One entry point for every data source, and the plain-value summary ``data check`` prints.

``load_dataset("synthetic")`` generates the embedded set; ``*.pkl`` is an MMSA pickle;
``*.csv`` is a label.csv (text-only), which needs a tokenizer: the text encoder's, by default
``minilm`` when it is installed. Heavy modules (the generator, transformers) load only when used.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.data.dataset import MODALITIES, MSADataset, Split
from core.data.fingerprint import fingerprint_splits
from core.errors import DataError, EncoderUnavailable

if TYPE_CHECKING:
    from core.text.encoders import TextEncoderSpec

SYNTHETIC = "synthetic"
LABEL_CSV_MAX_LEN = 50  # MMSA's text length for MOSI/MOSEI


def load_dataset(
    source: str, text_encoder: TextEncoderSpec | None = None, seed: int = 0, family: str | None = None
) -> MSADataset:
    """``"synthetic"`` (generated from ``seed``), an MMSA ``.pkl``, or a label ``.csv``.
    ``family`` (mosi | mosei | sims | custom; :mod:`core.data.family`) overrides the path's."""
    source = str(source).strip()
    if source == SYNTHETIC:
        from core.data.synthetic import generate_synthetic

        return in_encoder_tokens(generate_synthetic(seed), text_encoder)
    path = Path(source).expanduser()
    suffix = path.suffix.lower()
    if suffix == ".pkl":
        from core.data.family import loader_name
        from core.data.mmsa import load_mmsa_pickle

        return in_encoder_tokens(load_mmsa_pickle(path, loader_name(family)), text_encoder)
    if suffix == ".csv":
        return _load_csv(path, text_encoder, family)
    if not path.exists():
        raise DataError(f"{source}: no such file; pass an MMSA pickle (.pkl), a label.csv (.csv) or 'synthetic'")
    raise DataError(f"{source}: unknown data source; pass an MMSA pickle (.pkl), a label.csv (.csv) or 'synthetic'")


def load_with_encoder(
    source: str, text_encoder: str, seed: int = 0, freeze: bool = False, family: str | None = None
) -> tuple[MSADataset, TextEncoderSpec]:
    """The data set and the full text-encoder spec for a CLI pair (``--data``, ``--text-encoder``).

    The order matters for label.csv: its text is tokenized by the encoder's tokenizer, and a
    scratch encoder's vocabulary comes from the file -- so the data is loaded with the encoder's
    kind first, then the spec is completed from the data (vocabulary, size, text length).
    """
    from core.text.encoders import TextEncoderSpec, parse_text_encoder

    if text_encoder.strip() == "scratch":
        dataset = load_dataset(source, TextEncoderSpec(kind="scratch", freeze=freeze), seed=seed, family=family)
        return dataset, parse_text_encoder("scratch", dataset, freeze=freeze)
    spec = parse_text_encoder(text_encoder, None, freeze=freeze)
    return load_dataset(source, spec, seed=seed, family=family), spec


def in_encoder_tokens(dataset: MSADataset, spec: TextEncoderSpec | None) -> MSADataset:
    """The data set with its text in a pretrained encoder's tokens.

    Data that carries its own word vocabulary (the synthetic set, generated or written to a
    pickle) holds ids into that vocabulary; a pretrained encoder's embedding rows belong to its
    tokenizer's ids, so it reads the same sentences re-tokenized by its tokenizer, as a label.csv
    is read. Real MMSA pickles (BERT ids, no vocabulary of their own) and scratch or
    bert-base-config encoders (their embedding rows are the data's ids) are left as they are. The
    length stays the data's (synthetic: 50 tokens; its longest utterance is 32 MiniLM tokens)."""
    if spec is None or spec.kind != "pretrained" or dataset.vocab is None:
        return dataset
    from core.text.encoders import build_tokenizer

    tokenizer = build_tokenizer(spec)
    splits = {
        name: dataclasses.replace(split, text_bert=tokenizer.encode(split.raw_text, dataset.dims.text_len))
        for name, split in dataset.splits.items()
    }
    return dataclasses.replace(
        dataset, splits=splits, special_ids=tokenizer.special_ids, vocab=None, fingerprint=fingerprint_splits(splits)
    )


def _load_csv(path: Path, spec: TextEncoderSpec | None, family: str | None = None) -> MSADataset:
    from core.data.labelcsv import load_label_csv, read_label_csv
    from core.text.encoders import build_tokenizer, parse_text_encoder

    read_label_csv(path, family)  # a bad file is reported before any tokenizer is looked for
    if spec is None:
        try:
            spec = parse_text_encoder("minilm")
            tokenizer = build_tokenizer(spec)
        except EncoderUnavailable as error:
            raise DataError(
                f"{path}: a label.csv is tokenized by the text encoder's tokenizer, and the default "
                f"one is unavailable ({error}); or pass --text-encoder scratch"
            ) from None
    elif spec.kind == "scratch":
        tokenizer = None  # the vocabulary comes from the file's train split
    else:
        tokenizer = build_tokenizer(spec)
    return load_label_csv(path, tokenizer, max_len=LABEL_CSV_MAX_LEN, family=family)


def check_token_ids(dataset: MSADataset, vocab_size: int, encoder: str, remedy: str) -> None:
    """Refuse data whose token ids (or special ids) the text encoder's embedding has no row for:
    one line naming the split, the sample, the id and ``remedy``, instead of an index error."""
    special = dataset.special_ids
    for name, value in (("pad", special.pad), ("unk", special.unk), ("cls", special.cls), ("sep", special.sep)):
        if not 0 <= value < vocab_size:
            raise DataError(
                f"{dataset.source}: special id {name} = {value} is beyond the {vocab_size:,}-token vocabulary "
                f"of the text encoder {encoder}: {remedy}"
            )
    for split_name, split in dataset.splits.items():
        ids = split.text_bert[:, 0]
        if ids.size and int(ids.max()) >= vocab_size:
            sample = int(np.argmax(ids.max(axis=1)))
            raise DataError(
                f"{dataset.source}: split '{split_name}' holds token id {int(ids.max()):,} at sample {sample}, "
                f"beyond the {vocab_size:,}-token vocabulary of the text encoder {encoder}: {remedy}"
            )


def summarize(dataset: MSADataset) -> dict[str, Any]:
    """Everything ``data check`` shows, as plain values (no numpy types)."""
    splits: dict[str, Any] = {}
    for name, split in dataset.splits.items():
        labels = split.labels.astype(np.float64)
        text_lengths = split.text_bert[:, 1].sum(axis=1)
        splits[name] = {
            "size": len(split),
            "lengths": {
                "text": _stats(text_lengths),
                "audio": _stats(split.audio_lengths) if dataset.present.get("audio", True) else None,
                "vision": _stats(split.vision_lengths) if dataset.present.get("vision", True) else None,
            },
            "labels": {
                "mean": float(labels.mean()),
                "std": float(labels.std()),
                "min": float(labels.min()),
                "max": float(labels.max()),
                "positive": float((labels > 0).mean()),
                "negative": float((labels < 0).mean()),
                "zero": float((labels == 0).mean()),
            },
        }
    return {
        "name": dataset.name,
        "source": dataset.source,
        "synthetic": bool(dataset.synthetic),
        "fingerprint": dataset.fingerprint,
        "dims": dataset.dims.as_dict(),
        "present": {m: bool(dataset.present.get(m, True)) for m in MODALITIES},
        "label_range": list(dataset.label_range),
        "metric_family": dataset.metric_family,
        "vocab_size": len(dataset.vocab) if dataset.vocab is not None else None,
        "cleaned": {k: int(v) for k, v in dataset.cleaned.items()},
        "cleaned_total": int(sum(dataset.cleaned.values())),
        "splits": splits,
    }


def _stats(values: np.ndarray) -> dict[str, float]:
    values = np.asarray(values, dtype=np.float64)
    return {"min": float(values.min()), "mean": float(values.mean()), "max": float(values.max())}


def first_samples(dataset: MSADataset, n: int) -> MSADataset:
    """The first ``n`` samples of every split, as the ``tiny`` training preset keeps them."""

    def head(split: Split) -> Split:
        return dataclasses.replace(
            split,
            ids=split.ids[:n],
            raw_text=split.raw_text[:n],
            text_bert=split.text_bert[:n],
            audio=split.audio[:n],
            audio_lengths=split.audio_lengths[:n],
            vision=split.vision[:n],
            vision_lengths=split.vision_lengths[:n],
            labels=split.labels[:n],
        )

    splits = {name: head(split) for name, split in dataset.splits.items()}
    return dataclasses.replace(
        dataset, splits=splits, source=f"{dataset.source} (first {n} per split)", fingerprint=fingerprint_splits(splits)
    )
