"""MMSA-style ``label.csv`` (``video_id, clip_id, text, label, mode``): a text-only data set.

The text is tokenized into MMSA-style ``text_bert`` by the text encoder's tokenizer. There are no
audio or visual features, and nothing pretends there are: per the :class:`Split` contract they are
float32 zeros [N,1,1] with lengths 0, and :attr:`MSADataset.present` marks them absent (the
missingness module then gives them integrity 0).

Splits: ``mode`` must be train, valid or test. ``train`` and ``valid`` are required (training
selects on valid); ``test`` is optional -- a file without test rows (like the shared
``label_trainval.csv``) gives a data set whose ``splits`` has no ``"test"`` key, and consumers check
``"test" in dataset.splits`` before evaluating on it. Extra columns (e.g. ``annotation``) are
ignored.

The family is ``text-only`` (labels in [-3, 3], MOSI metrics), or ``sims`` when the path says SIMS
(labels in [-1, 1], SIMS metrics).
"""

from __future__ import annotations

import csv
import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.data.dataset import LABEL_RANGES, MODALITIES, SPLITS, FeatureDims, MSADataset, Split
from core.data.fingerprint import fingerprint_splits
from core.data.mmsa import infer_family
from core.errors import DataError, DataWarning
from core.text.tokenizers import Tokenizer, WordTokenizer, build_vocab

COLUMNS = ("video_id", "clip_id", "text", "label", "mode")
REQUIRED_SPLITS = ("train", "valid")


@dataclass
class LabelRow:
    video_id: str
    clip_id: str
    text: str
    label: float


def read_label_csv(path: str | Path, family: str | None = None) -> tuple[str, dict[str, list[LabelRow]]]:
    """Validate the file and group its rows by split; returns (family, rows per split).
    ``family`` (``--dataset``): sims, or any other for the text-only MOSI rules; inferred from
    the path when None (:mod:`core.data.family`)."""
    path = Path(path)
    family = "sims" if (family if family is not None else infer_family(path)) == "sims" else "text-only"
    low, high = LABEL_RANGES.get(family, (-3.0, 3.0))
    rows: dict[str, list[LabelRow]] = {}
    with _open(path) as handle:
        reader = csv.DictReader(handle)
        try:
            header = reader.fieldnames or []
        except (csv.Error, UnicodeDecodeError) as error:
            raise _not_csv(path, reader, error) from None
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            found = ", ".join(h for h in header if h) or "nothing"
            raise DataError(
                f"{path}: no column '{missing[0]}' (found: {found}); a label.csv needs the columns {', '.join(COLUMNS)}"
            )
        try:
            for record in reader:
                line = reader.line_num
                mode = (record["mode"] or "").strip()
                if mode not in SPLITS:
                    raise DataError(f"{path}: line {line} column 'mode' is {mode!r}; use train, valid or test")
                label = _label(path, line, record["label"], family, low, high)
                rows.setdefault(mode, []).append(
                    LabelRow(str(record["video_id"] or ""), str(record["clip_id"] or ""), str(record["text"] or ""), label)
                )
        except (csv.Error, UnicodeDecodeError) as error:
            raise _not_csv(path, reader, error) from None
    if not rows:
        raise DataError(f"{path}: no rows after the header; a label.csv needs train and valid rows")
    for split in REQUIRED_SPLITS:
        if split not in rows:
            raise DataError(
                f"{path}: no '{split}' rows (mode column has: {', '.join(s for s in SPLITS if s in rows)}); "
                "a label.csv needs train and valid rows (test is optional)"
            )
    return family, rows


def load_label_csv(path: str | Path, tokenizer: Tokenizer | None, max_len: int = 50, family: str | None = None) -> MSADataset:
    """A text-only :class:`MSADataset` from ``path``.

    ``tokenizer`` is the text encoder's (``build_tokenizer(spec)``); ``None`` means the scratch
    encoder: a word vocabulary is built from the train split's text (valid/test words it lacks
    become [UNK]) and recorded as the data set's ``vocab``.
    """
    family, rows = read_label_csv(path, family)
    given = tokenizer is not None
    if tokenizer is None:
        tokenizer = WordTokenizer(vocab=build_vocab([row.text for row in rows["train"]]))
    splits = {name: _split(name, split_rows, tokenizer, max_len) for name, split_rows in rows.items()}
    splits = {name: splits[name] for name in SPLITS if name in splits}
    if given:  # a vocabulary not made from this file may not know its language
        _warn_unknown_tokens(path, splits, tokenizer)
    return MSADataset(
        name=family,
        source=str(path),
        synthetic=False,
        splits=splits,
        dims=FeatureDims(text_len=max_len, audio_len=1, audio_dim=1, vision_len=1, vision_dim=1),
        present={modality: modality == "text" for modality in MODALITIES},
        special_ids=tokenizer.special_ids,
        vocab=list(tokenizer.vocab) if tokenizer.vocab is not None else None,
        fingerprint=fingerprint_splits(splits),
    )


def _split(name: str, rows: list[LabelRow], tokenizer: Tokenizer, max_len: int) -> Split:
    n = len(rows)
    absent = np.zeros((n, 1, 1), dtype=np.float32)  # the Split contract for an absent modality
    return Split(
        name=name,
        ids=[f"{row.video_id}$_${row.clip_id}" for row in rows],
        raw_text=[row.text for row in rows],
        text_bert=np.asarray(tokenizer.encode([row.text for row in rows], max_len), dtype=np.int64),
        audio=absent,
        audio_lengths=np.zeros(n, dtype=np.int64),
        vision=absent.copy(),
        vision_lengths=np.zeros(n, dtype=np.int64),
        labels=np.array([row.label for row in rows], dtype=np.float32),
    )


UNK_WARNING = 0.10  # English text loses a few rare words to [UNK]; text in another script, most tokens


def _warn_unknown_tokens(path: str | Path, splits: dict[str, Split], tokenizer: Tokenizer) -> None:
    special = tokenizer.special_ids
    ids = np.concatenate([split.text_bert[:, 0][split.text_bert[:, 1] > 0] for split in splits.values()])
    words = ids[(ids != special.cls) & (ids != special.sep) & (ids != special.pad)]
    if words.size and (fraction := float(np.mean(words == special.unk))) > UNK_WARNING:
        warnings.warn(
            f"{path}: {fraction:.0%} of the text's tokens are [UNK] for this tokenizer (text in a language its "
            "vocabulary lacks, e.g. Chinese for an English one?): the models see little of the text; use a "
            "tokenizer for that language (--text-encoder FOLDER) or --text-encoder scratch",
            DataWarning,
            stacklevel=3,
        )


def _label(path: Path, line: int, value: str | None, family: str, low: float, high: float) -> float:
    try:
        label = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DataError(f"{path}: line {line} column 'label' is {value!r}, not a number") from None
    if not math.isfinite(label) or not low <= label <= high:
        raise DataError(f"{path}: line {line} column 'label' is {label:g}, outside [{low:g}, {high:g}] for {family}")
    return label


def _open(path: Path):
    if not path.exists():
        raise DataError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise DataError(f"{path}: is a directory, not a label.csv; pass the file inside it")
    if not path.is_file():  # a FIFO would block forever, a device never end
        raise DataError(f"{path}: is not a regular file (a FIFO, device or socket); pass the label.csv file itself")
    try:
        return path.open("r", encoding="utf-8-sig", newline="")
    except PermissionError:
        raise DataError(f"{path}: cannot read the file (permission denied); check its permissions") from None
    except OSError as error:
        raise DataError(f"{path}: cannot read the file ({error.strerror or error}); check the path") from None


def _not_csv(path: Path, reader=None, error: Exception | None = None) -> DataError:
    if isinstance(error, csv.Error) and "field larger than field limit" in str(error):
        line = f"line {reader.line_num + 1}: " if reader is not None else ""  # the line the field starts on
        return DataError(
            f"{path}: {line}a field is longer than {csv.field_size_limit():,} characters; check the quoting "
            "(an unclosed quote makes the rest of the file one field) or shorten the text"
        )
    return DataError(f"{path}: not a UTF-8 CSV file; expected a label.csv with columns {', '.join(COLUMNS)}")
