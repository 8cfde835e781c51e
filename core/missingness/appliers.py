"""Applying a draw: rates and a mask seed become masked inputs, in numpy (eval, the probe) or
torch (the trainer's batches, on their device). Both give bit-identical masks, because both
follow the one rule of each modality, written once: :func:`text_rule` (a real token other than
[CLS] at position 0 and [SEP] at the text's last position is erased iff ``u <= r``; an erased
token becomes [UNK]; padding, the attention mask and the segment ids are untouched) and
:func:`frame_rule` (a frame before the length is kept iff ``u > r``; erased and padding frames
are zeroed). The rules use only operators numpy arrays and torch tensors share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from core.data.dataset import SpecialIds, Split
from core.missingness.hashing import noise_modalities, position_uniforms, torch_position_uniforms
from core.missingness.settings import MaskSetting


def text_rule(real, positions, lengths, u, rate):
    """(erasable, dropped) [N,L] bool for text: ``real`` is attention != 0, ``positions`` [1,L],
    ``lengths`` [N] LNLN's lengths (:func:`text_lengths`), ``u`` [N,L], ``rate`` [N]."""
    erasable = real & (positions != 0) & (positions != (lengths - 1)[:, None])  # [CLS], [SEP] stay
    return erasable, erasable & ~(u > rate[:, None])


def frame_rule(positions, lengths, u, rate):
    """keep [N,T] bool for audio/vision frames: before the length and ``u > r``."""
    return (u > rate[:, None]) & (positions < lengths[:, None])


@dataclass
class Masked:
    """Masked inputs plus what the explorer and the losses need to know about the erasure.

    ``keep_*`` are bool masks, True where a real position survived (text: [CLS]/[SEP] included;
    padding is False everywhere). ``integrity`` is the nominal 1 - r [N,3]; ``realised`` the kept
    fraction of the erasable positions [N,3] (text excludes [CLS]/[SEP]); where a sample has no
    erasable position it equals ``integrity``.
    """

    text_bert: np.ndarray
    audio: np.ndarray
    vision: np.ndarray
    integrity: np.ndarray
    realised: np.ndarray
    keep_text: np.ndarray
    keep_audio: np.ndarray
    keep_vision: np.ndarray
    rates: np.ndarray


def text_lengths(attention: np.ndarray) -> np.ndarray:
    """LNLN's length: index of the first 0 in the attention mask, or L when unpadded."""
    zero = attention == 0
    return np.where(zero.any(axis=1), zero.argmax(axis=1), attention.shape[1])


def _ratio(kept: np.ndarray, total: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, kept / np.maximum(total, 1), fallback)


def _frame_keep(lengths: np.ndarray, ids: np.ndarray, rate: np.ndarray, mask_seed: int, modality: int, steps: int) -> np.ndarray:
    """keep [N, steps] bool for audio/vision frames (:func:`frame_rule`); ``lengths`` clipped to
    ``steps``. Positions beyond every length are padding: no noise is drawn for them."""
    keep = np.zeros((len(ids), steps), dtype=bool)
    span = int(lengths.max()) if len(ids) else 0
    if span > 0:
        u = position_uniforms(mask_seed, ids, modality, span)
        keep[:, :span] = frame_rule(np.arange(span)[None, :], lengths, u, rate)
    return keep


def _mask_frames(
    frames: np.ndarray, lengths: np.ndarray, ids: np.ndarray, rate: np.ndarray, mask_seed: int, modality: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Zero dropped and padding frames. Returns (masked frames, keep [N,T], realised [N])."""
    steps = frames.shape[1]
    lengths = np.minimum(np.asarray(lengths, dtype=np.int64), steps)
    keep = _frame_keep(lengths, ids, rate, mask_seed, modality, steps)
    span = int(lengths.max()) if len(ids) else 0
    masked = np.zeros_like(frames)  # padding beyond every length costs nothing to zero
    if span > 0:
        # a float mask multiplies ~2x faster than a bool one (no per-element cast)
        np.multiply(frames[:, :span], keep[:, :span, None].astype(frames.dtype), out=masked[:, :span])
    realised = _ratio(keep.sum(axis=1), lengths, 1.0 - rate)
    return masked, keep, realised


def _text_erasure(
    attention: np.ndarray, ids: np.ndarray, rate: np.ndarray, mask_seed: int, noise_key: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(real, erasable, dropped) [N,L] bool for text under :func:`text_rule`."""
    width = attention.shape[1]
    real = attention != 0
    u = position_uniforms(mask_seed, ids, noise_key, width)
    erasable, dropped = text_rule(real, np.arange(width)[None, :], text_lengths(attention), u, rate)
    return real, erasable, dropped


def _mask_text(
    text_bert: np.ndarray, ids: np.ndarray, rate: np.ndarray, mask_seed: int, special: SpecialIds, noise_key: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Replace dropped real tokens with [UNK]. Returns (text_bert, keep [N,L], realised [N])."""
    tokens = text_bert[:, 0]
    real, erasable, dropped = _text_erasure(text_bert[:, 1], ids, rate, mask_seed, noise_key)
    out = text_bert.copy()
    out[:, 0] = np.where(dropped, np.asarray(special.unk, dtype=tokens.dtype), tokens)
    keep = real & ~dropped
    realised = _ratio((erasable & ~dropped).sum(axis=1), erasable.sum(axis=1), 1.0 - rate)
    return out, keep, realised


def apply_missingness(
    text_bert: np.ndarray,
    audio: np.ndarray,
    audio_lengths: np.ndarray,
    vision: np.ndarray,
    vision_lengths: np.ndarray,
    sample_ids: np.ndarray,
    rates: np.ndarray,
    mask_seed: int,
    special_ids: SpecialIds = SpecialIds(),
    shared_noise: bool = False,
) -> Masked:
    """Erase a whole batch/split at once (no Python loop over samples or positions).

    ``rates`` is [N,3] (text, audio, vision), e.g. ``setting.draw(ids, present, epoch).rates``,
    and ``mask_seed`` and ``shared_noise`` the draw's. Inputs are not modified.
    """
    ids = np.asarray(sample_ids)
    rates = np.asarray(rates, dtype=np.float64)
    text_bert = np.asarray(text_bert)
    keys = noise_modalities((text_bert.shape[2], audio.shape[1], vision.shape[1]), shared_noise)
    text_out, keep_text, real_text = _mask_text(text_bert, ids, rates[:, 0], mask_seed, special_ids, keys[0])
    audio_out, keep_audio, real_audio = _mask_frames(audio, audio_lengths, ids, rates[:, 1], mask_seed, keys[1])
    vision_out, keep_vision, real_vision = _mask_frames(vision, vision_lengths, ids, rates[:, 2], mask_seed, keys[2])
    return Masked(
        text_bert=text_out,
        audio=audio_out,
        vision=vision_out,
        integrity=1.0 - rates,
        realised=np.stack([real_text, real_audio, real_vision], axis=1),
        keep_text=keep_text,
        keep_audio=keep_audio,
        keep_vision=keep_vision,
        rates=rates,
    )


def modality_keep(split: Split, modality: int, rates: np.ndarray, mask_seed: int) -> np.ndarray:
    """keep [N, positions] bool of one modality over the whole split under a draw's ``rates``
    column [N] and seed (independent noise: not LNLN's shared-noise training masks), the same
    masks :func:`apply_missingness` makes, without masking the features: which rows a rate
    change touches (the probe reuses the others' embeddings)."""
    rate = np.asarray(rates, dtype=np.float64)
    ids = np.asarray(split.sample_ids)
    if modality == 0:
        real, _, dropped = _text_erasure(split.text_bert[:, 1], ids, rate, mask_seed)
        return real & ~dropped
    frames, lengths = (split.audio, split.audio_lengths) if modality == 1 else (split.vision, split.vision_lengths)
    steps = frames.shape[1]
    return _frame_keep(np.minimum(np.asarray(lengths, dtype=np.int64), steps), ids, rate, mask_seed, modality, steps)


def mask_split(
    split: Split,
    setting: MaskSetting,
    present: Any = None,
    special_ids: SpecialIds = SpecialIds(),
    epoch: int = 0,
    indices: np.ndarray | None = None,
) -> Masked:
    """Mask a split (or the rows ``indices`` of it) at one setting; what eval and the probe call."""
    arrays: tuple[np.ndarray, ...] = (
        split.text_bert,
        split.audio,
        split.audio_lengths,
        split.vision,
        split.vision_lengths,
        split.sample_ids,
    )
    if indices is not None:  # (the whole split is used as is: fancy indexing would copy it)
        rows = np.asarray(indices, dtype=np.int64)
        arrays = tuple(array[rows] for array in arrays)
    text_bert, audio, audio_lengths, vision, vision_lengths, sample_ids = arrays
    draw = setting.draw(sample_ids, present, epoch)
    return apply_missingness(
        text_bert,
        audio,
        audio_lengths,
        vision,
        vision_lengths,
        sample_ids,
        draw.rates,
        draw.mask_seed,
        special_ids,
        shared_noise=draw.shared_noise,
    )


# torch: the trainer's per-batch path, on the batch's device


@dataclass
class MaskedBatch:
    """The torch counterpart of :class:`Masked` (same fields, tensors on the batch's device)."""

    text_bert: Any
    audio: Any
    vision: Any
    integrity: Any
    realised: Any
    keep_text: Any
    keep_audio: Any
    keep_vision: Any
    # kept and erasable positions per modality [B,3] (text: [CLS]/[SEP] excluded), float32
    kept: Any = None
    erasable: Any = None


def apply_missingness_torch(
    text_bert,
    audio,
    audio_lengths,
    vision,
    vision_lengths,
    sample_ids,
    rates,
    mask_seed: int,
    special_ids: SpecialIds = SpecialIds(),
    shared_noise: bool = False,
) -> MaskedBatch:
    """Whole-batch masking with torch ops; bit-identical masks to :func:`apply_missingness`.

    ``text_bert`` long [B,3,L]; ``audio``/``vision`` float [B,T,d]; lengths long [B];
    ``sample_ids`` long [B]; ``rates`` [B,3] (numpy or tensor). The only host work is hashing the
    B per-sample keys; the per-position hashing runs on the tensors' device.
    """
    import torch

    device = text_bert.device
    rates_t = torch.as_tensor(np.asarray(rates, dtype=np.float64) if not torch.is_tensor(rates) else rates)
    rates_t = rates_t.to(device=device, dtype=torch.float64)
    ids = torch.as_tensor(sample_ids).to(torch.int64)

    tokens, attention = text_bert[:, 0], text_bert[:, 1]
    width = tokens.shape[1]
    keys = noise_modalities((width, audio.shape[1], vision.shape[1]), shared_noise)
    zero = attention == 0
    lengths = torch.where(
        zero.any(dim=1), zero.to(torch.int64).argmax(dim=1), torch.full_like(zero[:, 0], width, dtype=torch.int64)
    )
    real = attention != 0
    u = torch_position_uniforms(mask_seed, ids, keys[0], width)
    erasable, dropped = text_rule(real, torch.arange(width, device=device)[None, :], lengths, u, rates_t[:, 0])
    text_out = text_bert.clone()
    text_out[:, 0] = torch.where(dropped, torch.full_like(tokens, special_ids.unk), tokens)
    keep_text = real & ~dropped

    def frames(x, lens, noise_key, rate):
        steps = x.shape[1]
        lens = lens.to(device=device, dtype=torch.int64).clamp(max=steps)
        u = torch_position_uniforms(mask_seed, ids, noise_key, steps)
        keep = frame_rule(torch.arange(steps, device=device)[None, :], lens, u, rate)
        return x * keep.unsqueeze(-1).to(x.dtype), keep, lens

    audio_out, keep_audio, n_audio = frames(audio, audio_lengths, keys[1], rates_t[:, 1])
    vision_out, keep_vision, n_vision = frames(vision, vision_lengths, keys[2], rates_t[:, 2])
    # kept and erasable positions per modality, once: the realised integrity and the counts
    kept = torch.stack([(erasable & ~dropped).sum(1), keep_audio.sum(1), keep_vision.sum(1)], dim=1)
    erasable_n = torch.stack([erasable.sum(1), n_audio, n_vision], dim=1)
    realised = torch.where(erasable_n > 0, kept / erasable_n.clamp(min=1), 1.0 - rates_t)
    return MaskedBatch(
        text_bert=text_out,
        audio=audio_out,
        vision=vision_out,
        integrity=(1.0 - rates_t).to(torch.float32),
        realised=realised.to(torch.float32),
        keep_text=keep_text,
        keep_audio=keep_audio,
        keep_vision=keep_vision,
        kept=kept.to(torch.float32),
        erasable=erasable_n.to(torch.float32),
    )
