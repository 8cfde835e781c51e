"""The utterance as the model sees it, in plain values for the explorer's token and frame strips.

Tokens come from the masked ids, so an erased token reads ``[UNK]`` (the id the model gets);
``token_erased`` tells an erased token from a word that was unknown to the vocabulary all along.
Frame strips show the energy (mean |x|) of the ORIGINAL frame beside whether it was kept, so an
erased frame can be drawn dimmed where it was rather than vanish.
"""

from __future__ import annotations

import numpy as np

from core.data.dataset import MSADataset, Split
from core.errors import SentiError
from core.missingness import Masked
from core.probe.types import DisplayInputs
from core.runtime.checkpoint import Checkpoint


def display_tokenizer(dataset: MSADataset, checkpoint: Checkpoint):
    """Something with ``tokens(ids) -> list[str]`` for the data's ids.

    The data's own vocabulary when it has one (synthetic, scratch label.csv); otherwise the
    checkpoint's text encoder's tokenizer; if that is not available offline, ``#id`` names
    (with [CLS]/[SEP]/[UNK]/[PAD] spelled out) rather than an error: display only.
    """
    from core.text.encoders import TextEncoderSpec, WordTokenizer, build_tokenizer

    if dataset.vocab is not None:
        return WordTokenizer(vocab=list(dataset.vocab), special_ids=dataset.special_ids)
    spec = TextEncoderSpec.from_dict(checkpoint.text_encoder)
    if spec.kind == "scratch" and spec.vocab:
        return WordTokenizer(vocab=list(spec.vocab), special_ids=dataset.special_ids)
    try:
        return build_tokenizer(spec)
    except SentiError:
        return WordTokenizer(vocab=None, special_ids=dataset.special_ids)


def display_inputs(
    split: Split, index: int, masked: Masked, row: int, present: tuple[bool, bool, bool], tokenizer
) -> DisplayInputs:
    """Display values of sample ``index`` of ``split``, which is row ``row`` of ``masked``."""
    attention = split.text_bert[index, 1]
    real = attention != 0
    ids = masked.text_bert[row, 0][real]
    keep_text = masked.keep_text[row][real]
    tokens = tokenizer.tokens(ids) if present[0] else []
    audio_energy, audio_kept = _frames(split.audio[index], split.audio_lengths[index], masked.keep_audio[row], present[1])
    vision_energy, vision_kept = _frames(split.vision[index], split.vision_lengths[index], masked.keep_vision[row], present[2])
    return DisplayInputs(
        tokens=[str(t) for t in tokens],
        token_erased=[not bool(k) for k in keep_text] if present[0] else [],
        audio_energy=audio_energy,
        audio_kept=audio_kept,
        vision_energy=vision_energy,
        vision_kept=vision_kept,
        present=present,
    )


def _frames(frames: np.ndarray, length: int, keep: np.ndarray, present: bool) -> tuple[list[float], list[bool]]:
    if not present:
        return [], []
    n = int(min(int(length), frames.shape[0]))
    energy = np.abs(frames[:n]).mean(axis=1) if n else np.zeros(0)
    return [round(float(e), 4) for e in energy], [bool(k) for k in keep[:n]]
