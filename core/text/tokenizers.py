"""Tokenizers and vocabularies: whitespace-and-punctuation words for the scratch encoder and
label.csv, a pretrained model's own tokenizer otherwise (transformers imported inside). No torch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from core.errors import ConfigError
from core.text.special_ids import BERT_SPECIAL_TOKENS, SpecialIds

_WORD = re.compile(r"\w+(?:'\w+)*|[^\w\s]")


class Tokenizer(Protocol):
    special_ids: SpecialIds
    vocab: list[str] | None  # the data's own vocabulary (scratch); None for a pretrained one

    def encode(self, texts: list[str], max_len: int) -> np.ndarray: ...

    def tokens(self, ids) -> list[str]: ...


def build_vocab(texts: list[str], max_size: int = 30522) -> list[str]:
    """A word vocabulary from ``texts`` laid out like BERT's around the special ids.

    ``[PAD]`` 0, ``[unusedK]`` 1-99, ``[UNK]`` 100, ``[CLS]`` 101, ``[SEP]`` 102, ``[MASK]`` 103, then
    words by descending count (ties alphabetically), so the same texts always give the same ids.
    """
    vocab = ["[PAD]"] + [f"[unused{i}]" for i in range(99)] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    counts: dict[str, int] = {}
    for text in texts:
        for word in split_words(text):
            counts[word] = counts.get(word, 0) + 1
    reserved = set(vocab)
    words = sorted((w for w in counts if w not in reserved), key=lambda w: (-counts[w], w))
    return vocab + words[: max(0, max_size - len(vocab))]


def split_words(text: str) -> list[str]:
    """Lower-cased words and punctuation marks (the scratch tokenizer's units)."""
    return _WORD.findall(str(text).lower())


@dataclass
class WordTokenizer:
    """The scratch encoder's tokenizer: whole words from its vocabulary, unknown words -> [UNK]."""

    vocab: list[str] | None
    vocab_size: int | None = None
    special_ids: SpecialIds = field(default_factory=SpecialIds)

    def __post_init__(self) -> None:
        self._index = {token: i for i, token in enumerate(self.vocab or [])}

    def encode(self, texts: list[str], max_len: int) -> np.ndarray:
        if not self.vocab:
            raise ConfigError(
                "this scratch text encoder has no token strings (its data held only ids), "
                "so it cannot tokenize new text; use minilm or a pretrained folder"
            )
        if max_len < 2:
            raise ConfigError(f"max_len {max_len} leaves no room for [CLS] and [SEP]")
        special = self.special_ids
        rows = []
        for text in texts:
            ids = [self._index.get(word, special.unk) for word in split_words(text)][: max_len - 2]
            rows.append([special.cls, *ids, special.sep])
        return _pack(rows, max_len, special.pad)

    def tokens(self, ids) -> list[str]:
        names = {
            **BERT_SPECIAL_TOKENS,
            self.special_ids.pad: "[PAD]",
            self.special_ids.unk: "[UNK]",
            self.special_ids.cls: "[CLS]",
            self.special_ids.sep: "[SEP]",
        }
        vocab = self.vocab or []
        out = []
        for i in np.asarray(ids).reshape(-1).tolist():
            out.append(vocab[i] if 0 <= i < len(vocab) else names.get(i, f"#{i}"))
        return out


class PretrainedTokenizer:
    """A transformers BERT tokenizer producing MMSA-style ``text_bert``."""

    vocab: list[str] | None = None

    def __init__(self, hf_tokenizer: Any) -> None:
        self._tokenizer = hf_tokenizer
        self.special_ids = SpecialIds(
            pad=int(hf_tokenizer.pad_token_id),
            unk=int(hf_tokenizer.unk_token_id),
            cls=int(hf_tokenizer.cls_token_id),
            sep=int(hf_tokenizer.sep_token_id),
        )

    def encode(self, texts: list[str], max_len: int) -> np.ndarray:
        encoded = self._tokenizer(
            [str(t) for t in texts],
            max_length=max_len,
            padding="max_length",
            truncation=True,
            return_attention_mask=True,
            return_token_type_ids=True,
            return_tensors="np",
        )
        return np.stack([encoded["input_ids"], encoded["attention_mask"], encoded["token_type_ids"]], axis=1).astype(np.int64)

    def tokens(self, ids) -> list[str]:
        return list(self._tokenizer.convert_ids_to_tokens([int(i) for i in np.asarray(ids).reshape(-1)]))


def _pack(rows: list[list[int]], max_len: int, pad: int) -> np.ndarray:
    out = np.full((len(rows), 3, max_len), 0, dtype=np.int64)
    out[:, 0] = pad
    for i, row in enumerate(rows):
        out[i, 0, : len(row)] = row
        out[i, 1, : len(row)] = 1
    return out
