"""Small random model inputs for model tests (no data set needed)."""

from __future__ import annotations

import torch

from core.data.dataset import FeatureDims
from core.models.base import ModelInput

SMALL_DIMS = FeatureDims(text_len=12, audio_len=20, audio_dim=5, vision_len=24, vision_dim=7)


def random_text(batch: int, length: int, vocab_size: int, generator: torch.Generator) -> torch.Tensor:
    """MMSA-style [B,3,L]: [CLS] words [SEP] then padding, random lengths >= 3."""
    lengths = torch.randint(3, length + 1, (batch,), generator=generator)
    positions = torch.arange(length).expand(batch, -1)
    mask = (positions < lengths[:, None]).long()
    ids = torch.randint(103, vocab_size, (batch, length), generator=generator) * mask
    ids[:, 0] = 101
    ids[torch.arange(batch), lengths - 1] = 102
    return torch.stack([ids, mask, torch.zeros_like(ids)], dim=1)


def random_input(
    dims: FeatureDims = SMALL_DIMS,
    batch: int = 4,
    vocab_size: int = 200,
    with_complete: bool = True,
    seed: int = 0,
) -> ModelInput:
    """A batch with ground-truth integrity, labels and (optionally) the complete inputs.

    The "incomplete" copy erases a random share of each modality so that losses are non-trivial.
    """
    g = torch.Generator().manual_seed(seed)
    text = random_text(batch, dims.text_len, vocab_size, g)
    audio = torch.randn(batch, dims.audio_len, dims.audio_dim, generator=g)
    vision = torch.randn(batch, dims.vision_len, dims.vision_dim, generator=g)
    audio_lengths = torch.randint(1, dims.audio_len + 1, (batch,), generator=g)
    vision_lengths = torch.randint(1, dims.vision_len + 1, (batch,), generator=g)
    audio = audio * (torch.arange(dims.audio_len)[None, :, None] < audio_lengths[:, None, None])
    vision = vision * (torch.arange(dims.vision_len)[None, :, None] < vision_lengths[:, None, None])
    integrity = torch.rand(batch, 3, generator=g)
    keep_text = torch.rand(batch, dims.text_len, generator=g) < integrity[:, :1]
    keep_text |= (text[:, 0] == 101) | (text[:, 0] == 102)  # [CLS] and [SEP] are always kept
    masked_text = text.clone()
    masked_text[:, 0] = torch.where(keep_text | (text[:, 1] == 0), text[:, 0], torch.full_like(text[:, 0], 100))
    masked_audio = audio * (torch.rand(batch, dims.audio_len, 1, generator=g) < integrity[:, 1:2, None])
    masked_vision = vision * (torch.rand(batch, dims.vision_len, 1, generator=g) < integrity[:, 2:3, None])
    labels = torch.empty(batch).uniform_(-3, 3, generator=g)
    return ModelInput(
        text=masked_text,
        audio=masked_audio,
        vision=masked_vision,
        audio_lengths=audio_lengths,
        vision_lengths=vision_lengths,
        integrity=integrity,
        labels=labels,
        complete_text=text if with_complete else None,
        complete_audio=audio if with_complete else None,
        complete_vision=vision if with_complete else None,
    )
