"""A minimal text encoder for model tests: the interface the models need, nothing more.

The models only require a module with ``hidden_size`` whose forward maps MMSA text [B,3,L] to
[B,L,H]. This one embeds ids, positions and segments and normalises, so every one of its
parameters is trainable and cheap; counting with ``hidden_size=768`` gives the non-BERT
parameter count of a bert-base model.
"""

from __future__ import annotations

import torch
from torch import nn


class TinyTextEncoder(nn.Module):
    def __init__(self, hidden_size: int = 32, vocab_size: int = 200, max_len: int = 64) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.words = nn.Embedding(vocab_size, hidden_size)
        self.positions = nn.Embedding(max_len, hidden_size)
        self.segments = nn.Embedding(2, hidden_size)
        self.norm = nn.LayerNorm(hidden_size)

    def forward(self, text: torch.Tensor) -> torch.Tensor:
        ids, _, segments = text.long().unbind(dim=1)
        positions = torch.arange(ids.shape[1], device=ids.device)
        return self.norm(self.words(ids) + self.positions(positions)[None] + self.segments(segments))
