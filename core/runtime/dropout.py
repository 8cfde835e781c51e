"""Dropout masks drawn 64 bits at a time on the CPU (``train.dropout_masks="packed"``).

``F.dropout`` on a CPU tensor builds its mask with ``bernoulli_``: one Mersenne-Twister draw and
a double-precision comparison per element, on one thread whatever ``torch.get_num_threads()``
says. At LNLN's MOSI shapes (bert-base over 2 × 64 texts of 50 tokens) that is 37 masks of up to
4.9 M elements, 0.9 s of a 22 s training step at one thread and 0.9 s of 12 s at two
(benchmarks/official_lnln.py). Here one full-range 64-bit draw (``random_``) gives four 16-bit
lanes, and an element is dropped when its lane falls below ``round(p · 2¹⁶)``: a quarter of the
draws and a vectorised comparison that runs on every thread; a 4.9 M-element mask takes 6 ms
instead of 30, and dropout forward and backward 40 ms instead of 72. The mask law is
Bernoulli(p) with p rounded to a multiple of 2⁻¹⁶ (0.1 → 0.1000061); kept elements are scaled
by 1 / (1 − p) with the exact p, as ``F.dropout`` does. The draws come from torch's default
generator, so a seeded run repeats itself; the stream differs from ``bernoulli_``'s, so
``"torch"`` (older runs) keeps the old masks.

Attention with dropout goes the same way. ``F.scaled_dot_product_attention`` with
``dropout_p > 0`` has no fused CPU kernel: it falls back to its math path, whose attention-weight
mask is again ``bernoulli_`` (transformers' BERT attends through it: 12 masks of 128×12×50×50 per
step), plus a pass that looks for fully masked rows. :func:`packed_attention` is that math path
(scaled scores, mask, softmax, dropout, weights × values) with the packed mask.

Only CPU tensors take this path: CUDA's dropout kernel already draws its mask in parallel, fused
with the scaling.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

LANE_BITS = 16
LANES_PER_DRAW = 64 // LANE_BITS
LANE_MIN = -(2 ** (LANE_BITS - 1))
DROPOUT_MASKS = ("packed", "torch")  # train.dropout_masks


def packed_dropout(x: torch.Tensor, p: float, inplace: bool = False) -> torch.Tensor:
    """Training-mode dropout of ``x`` (any float dtype, CPU) with the packed mask."""
    if p <= 0.0:
        return x
    if p >= 1.0:
        return x.mul_(0.0) if inplace else x * 0.0
    n = x.numel()
    draws = torch.empty((n + LANES_PER_DRAW - 1) // LANES_PER_DRAW, dtype=torch.int64, device=x.device)
    draws.random_(-(2**63), None)  # the full 64-bit range: every 16-bit lane is uniform
    lanes = draws.view(torch.int16)[:n].view(x.shape)
    # the mask in x's dtype, already scaled (as F.dropout scales): one multiplication forward and
    # one backward; cast then scale in place takes 3.5 ms for 4.9 M elements, torch.where 6.8
    scale = torch.full((), 1.0 / (1.0 - p), dtype=x.dtype)
    mask = (lanes >= LANE_MIN + round(p * 2**LANE_BITS)).to(x.dtype).mul_(scale)
    return x.mul_(mask) if inplace else x * mask


def packed_attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attn_mask: torch.Tensor | None,
    dropout_p: float,
    is_causal: bool,
    scale: float | None,
) -> torch.Tensor:
    """``F.scaled_dot_product_attention``'s math path, its weights dropped with the packed mask.

    The scale and the mask ride in one ``baddbmm`` (scores = mask + scale · Q Kᵀ): no pass of
    their own over Q or the scores, forward or backward."""
    scale = query.shape[-1] ** -0.5 if scale is None else scale
    *batch, n, e = query.shape
    m = key.shape[-2]
    if is_causal:
        attn_mask = torch.ones(n, m, dtype=torch.bool, device=query.device).tril()
    masked_rows = None
    if attn_mask is not None and attn_mask.dtype == torch.bool:
        empty = ~attn_mask.any(dim=-1, keepdim=True)  # a row with no key: zeros, as torch's math path gives
        masked_rows = empty if bool(empty.any()) else None
        attn_mask = torch.where(attn_mask, torch.zeros((), dtype=query.dtype, device=query.device), float("-inf"))
    q3, k3 = query.reshape(-1, n, e), key.reshape(-1, m, e)
    if attn_mask is None:
        scores = torch.baddbmm(q3.new_zeros(()), q3, k3.transpose(1, 2), beta=0.0, alpha=scale)
    else:
        bias = attn_mask.to(query.dtype).expand(*batch, n, m).reshape(-1, n, m)
        scores = torch.baddbmm(bias, q3, k3.transpose(1, 2), alpha=scale)
    weights = torch.softmax(scores.view(*batch, n, m), dim=-1)
    if masked_rows is not None:
        weights = weights.masked_fill(masked_rows, 0.0)
    return packed_dropout(weights, dropout_p) @ value


class _PackedDropoutMode(TorchFunctionMode):
    """Routes ``F.dropout`` (what ``nn.Dropout`` and transformers' attention call) on CPU tensors
    in training mode to :func:`packed_dropout`; every other call passes through unchanged."""

    def __torch_function__(self, func: Callable, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        if func is F.dropout:
            x, p, training, inplace = _dropout_arguments(*args, **kwargs)
            if training and x.device.type == "cpu":
                return packed_dropout(x, p, inplace)
        elif func is F.scaled_dot_product_attention:
            call = _attention_arguments(*args, **kwargs)
            if call["dropout_p"] > 0 and not call["enable_gqa"] and call["query"].device.type == "cpu":
                del call["enable_gqa"]
                return packed_attention(**call)
        return func(*args, **kwargs)


def _dropout_arguments(
    input: torch.Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> tuple[torch.Tensor, float, bool, bool]:
    return input, p, training, inplace


def _attention_arguments(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attn_mask: torch.Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> dict[str, Any]:
    return dict(
        query=query,
        key=key,
        value=value,
        attn_mask=attn_mask,
        dropout_p=dropout_p,
        is_causal=is_causal,
        scale=scale,
        enable_gqa=enable_gqa,
    )


def dropout_masks(kind: str, device: torch.device) -> Callable[[], Any]:
    """A context factory for the training forward: packed masks on the CPU, else torch's own."""
    if kind not in DROPOUT_MASKS:
        raise ValueError(f"dropout_masks must be one of {', '.join(DROPOUT_MASKS)}, not {kind!r}")
    if kind == "torch" or device.type != "cpu":
        return nullcontext
    return _packed_dropout


@contextmanager
def _packed_dropout() -> Iterator[None]:
    with _PackedDropoutMode():
        yield
