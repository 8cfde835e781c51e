"""The text encoder module every model wraps: a transformers ``BertModel`` over MMSA ``text_bert``.

Kept apart from :mod:`core.text.encoders` (specs, parsing, tokenizers) so that those stay
importable without torch.
"""

from __future__ import annotations

from typing import Any, cast

import torch
from torch import nn


class BertTextEncoder(nn.Module):
    """``forward(text_bert long [B,3,L]) -> last hidden state [B,L,H]``; ``hidden_size`` is H.

    The BERT pooler is kept so that parameter counts match the papers' (LNLN's 115.97 M includes
    it), but no model uses the pooled output, so its parameters are frozen: they would never get a
    gradient, which DistributedDataParallel and the gradient-reach tests would trip over.

    A frozen encoder (``--freeze-text``) runs without autograd and always in eval mode (no
    dropout), which is what makes CPU training cheap.
    """

    def __init__(self, bert: nn.Module, freeze: bool = False) -> None:
        super().__init__()
        self.bert = cast(Any, bert)  # BertModel or InferenceBert; to mypy, nn.Module's attributes (.config) are Tensor | Module
        self.hidden_size = int(self.bert.config.hidden_size)
        self.frozen = freeze
        pooler = getattr(bert, "pooler", None)
        if pooler is not None:
            pooler.requires_grad_(False)
        if freeze:
            self.bert.requires_grad_(False)
            self.bert.eval()

    def train(self, mode: bool = True) -> BertTextEncoder:
        super().train(mode)
        if self.frozen:
            self.bert.eval()
        return self

    def forward(self, text: torch.Tensor) -> torch.Tensor:
        ids, mask, segments = text[:, 0].long(), text[:, 1].long(), text[:, 2].long()
        if self.frozen:
            with torch.no_grad():
                return self._run(ids, mask, segments)
        return self._run(ids, mask, segments)

    def _run(self, ids: torch.Tensor, mask: torch.Tensor, segments: torch.Tensor) -> torch.Tensor:
        return self.bert(input_ids=ids, attention_mask=mask, token_type_ids=segments).last_hidden_state
