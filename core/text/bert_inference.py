"""BERT for inference without transformers: what a loaded checkpoint runs on.

Importing transformers costs about 3-4 s on this class of machine, more than the explorer's whole
start-up budget (4 s), and its ``BertModel`` adds a few milliseconds of Python per call, a quarter
of the probe's per-change budget. A trained checkpoint only needs BERT's eval-mode forward, which
is short: this module computes exactly that, with the same parameter names as transformers'
``BertModel`` (so a checkpoint's state dict loads strictly), from the BERT config dict the
checkpoint stores. Training keeps transformers (its initialisation, pretrained loading, dropout).

Covered: absolute position embeddings, post-LN layers, activations ``gelu`` (erf), ``gelu_new``/
``gelu_pytorch_tanh`` (tanh), ``relu``, ``silu``; anything else returns None from
:func:`inference_bert_from_config` and the caller falls back to transformers.
``tests/test_bert_inference.py`` checks the outputs against transformers on random weights.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "gelu": F.gelu,
    "gelu_new": lambda x: F.gelu(x, approximate="tanh"),
    "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "relu": F.relu,
    "silu": F.silu,
}


@dataclass(frozen=True)
class BertShape:
    """The fields of a transformers ``BertConfig`` dict that the eval forward depends on."""

    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    hidden_act: str
    max_position_embeddings: int
    type_vocab_size: int
    layer_norm_eps: float
    pad_token_id: int | None = 0

    @classmethod
    def from_config_dict(cls, config: dict) -> BertShape | None:
        """None when the config asks for something this module does not compute."""
        if config.get("position_embedding_type", "absolute") != "absolute" or config.get("is_decoder", False):
            return None
        if config.get("hidden_act", "gelu") not in ACTIVATIONS:
            return None
        return cls(
            vocab_size=int(config["vocab_size"]),
            hidden_size=int(config["hidden_size"]),
            num_hidden_layers=int(config["num_hidden_layers"]),
            num_attention_heads=int(config["num_attention_heads"]),
            intermediate_size=int(config["intermediate_size"]),
            hidden_act=str(config.get("hidden_act", "gelu")),
            max_position_embeddings=int(config["max_position_embeddings"]),
            type_vocab_size=int(config.get("type_vocab_size", 2)),
            layer_norm_eps=float(config.get("layer_norm_eps", 1e-12)),
            pad_token_id=config.get("pad_token_id", 0),
        )


class BertOutput(NamedTuple):
    last_hidden_state: torch.Tensor


def _embedding(rows: int, width: int, padding_idx: int | None = None) -> nn.Embedding:
    """An embedding table left uninitialised: the checkpoint's weights replace it. (Its random
    N(0, 1) initialisation would be wasted work, and on the meta device, where checkpoint
    validation builds the model, ``normal_`` imports torch._dynamo: ~2 s at start-up.)"""
    return nn.Embedding(rows, width, padding_idx=padding_idx, _weight=torch.empty(rows, width))


class _Embeddings(nn.Module):
    def __init__(self, shape: BertShape) -> None:
        super().__init__()
        self.word_embeddings = _embedding(shape.vocab_size, shape.hidden_size, padding_idx=shape.pad_token_id)
        self.position_embeddings = _embedding(shape.max_position_embeddings, shape.hidden_size)
        self.token_type_embeddings = _embedding(shape.type_vocab_size, shape.hidden_size)
        self.LayerNorm = nn.LayerNorm(shape.hidden_size, eps=shape.layer_norm_eps)

    def forward(self, ids: torch.Tensor, segments: torch.Tensor) -> torch.Tensor:
        positions = self.position_embeddings.weight[: ids.shape[1]]
        return self.LayerNorm(self.word_embeddings(ids) + positions + self.token_type_embeddings(segments))


class _SelfAttention(nn.Module):
    def __init__(self, shape: BertShape) -> None:
        super().__init__()
        self.query = nn.Linear(shape.hidden_size, shape.hidden_size)
        self.key = nn.Linear(shape.hidden_size, shape.hidden_size)
        self.value = nn.Linear(shape.hidden_size, shape.hidden_size)


class _DenseNorm(nn.Module):
    """``LayerNorm(dense(x) + residual)``: BERT's attention output and layer output."""

    def __init__(self, d_in: int, d_out: int, eps: float) -> None:
        super().__init__()
        self.dense = nn.Linear(d_in, d_out)
        self.LayerNorm = nn.LayerNorm(d_out, eps=eps)

    def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dense(x) + residual)


class _Attention(nn.Module):
    def __init__(self, shape: BertShape) -> None:
        super().__init__()
        self.self = _SelfAttention(shape)
        self.output = _DenseNorm(shape.hidden_size, shape.hidden_size, shape.layer_norm_eps)


class _Intermediate(nn.Module):
    def __init__(self, shape: BertShape) -> None:
        super().__init__()
        self.dense = nn.Linear(shape.hidden_size, shape.intermediate_size)


class _Layer(nn.Module):
    def __init__(self, shape: BertShape) -> None:
        super().__init__()
        self.heads = shape.num_attention_heads
        self.activation = ACTIVATIONS[shape.hidden_act]
        self.attention = _Attention(shape)
        self.intermediate = _Intermediate(shape)
        self.output = _DenseNorm(shape.intermediate_size, shape.hidden_size, shape.layer_norm_eps)

    def forward(self, x: torch.Tensor, additive_mask: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        attention = self.attention.self

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(b, n, self.heads, d // self.heads).transpose(1, 2)

        q, k, v = split(attention.query(x)), split(attention.key(x)), split(attention.value(x))
        context = F.scaled_dot_product_attention(q, k, v, attn_mask=additive_mask)
        attended = self.attention.output(context.transpose(1, 2).reshape(b, n, d), x)
        return self.output(self.activation(self.intermediate.dense(attended)), attended)


class _Encoder(nn.Module):
    def __init__(self, shape: BertShape) -> None:
        super().__init__()
        self.layer = nn.ModuleList(_Layer(shape) for _ in range(shape.num_hidden_layers))


class _Pooler(nn.Module):
    """Present so that state dicts with BERT's pooler load strictly; no model reads it."""

    def __init__(self, shape: BertShape) -> None:
        super().__init__()
        self.dense = nn.Linear(shape.hidden_size, shape.hidden_size)


@dataclass(frozen=True)
class _HiddenSize:
    hidden_size: int


class InferenceBert(nn.Module):
    """Eval-mode ``BertModel``: ``forward(input_ids, attention_mask, token_type_ids)`` returns an
    object with ``last_hidden_state`` [B,L,H], as transformers does. No dropout: inference only."""

    def __init__(self, shape: BertShape, add_pooling_layer: bool = True) -> None:
        super().__init__()
        self.config = _HiddenSize(shape.hidden_size)  # what BertTextEncoder reads
        self.embeddings = _Embeddings(shape)
        self.encoder = _Encoder(shape)
        self.pooler = _Pooler(shape) if add_pooling_layer else None

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor) -> BertOutput:
        if self.training:
            raise RuntimeError("InferenceBert has no dropout and is for eval mode only; train with transformers' BertModel")
        x = self.embeddings(input_ids, token_type_ids)
        # transformers' additive mask: 0 on real keys, the dtype's minimum on padding keys
        keep = attention_mask[:, None, None, :].to(x.dtype)
        additive_mask = (1.0 - keep) * torch.finfo(x.dtype).min
        for layer in self.encoder.layer:
            x = layer(x, additive_mask)
        return BertOutput(x)


def inference_bert_from_config(config: dict, add_pooling_layer: bool) -> InferenceBert | None:
    """The module for a stored BERT config dict, or None when this module cannot compute it."""
    shape = BertShape.from_config_dict(config)
    return None if shape is None else InferenceBert(shape, add_pooling_layer)
