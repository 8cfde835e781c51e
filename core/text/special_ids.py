"""The token ids masking needs: BERT's (uncased and Chinese) by default."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SpecialIds:
    """Token ids the masking needs. BERT (uncased and Chinese) values by default."""

    pad: int = 0
    unk: int = 100
    cls: int = 101
    sep: int = 102


# BERT's special tokens by id (bert-base-uncased and -chinese alike), [MASK] included: the
# scratch vocabulary and the synthetic set's reuse them.
BERT_SPECIAL_TOKENS: dict[int, str] = {
    SpecialIds.pad: "[PAD]",
    SpecialIds.unk: "[UNK]",
    SpecialIds.cls: "[CLS]",
    SpecialIds.sep: "[SEP]",
    103: "[MASK]",
}
