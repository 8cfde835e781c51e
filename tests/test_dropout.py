"""The packed dropout masks (core/runtime/dropout.py): the law F.dropout has, drawn faster."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from core.runtime.dropout import dropout_masks, packed_attention, packed_dropout


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_packed_masks_drop_a_share_p_and_scale_the_rest_by_one_over_one_minus_p(p: float) -> None:
    torch.manual_seed(0)
    n = 400_000
    y = packed_dropout(torch.ones(n), p)
    dropped = float((y == 0).float().mean())
    assert abs(dropped - p) < 4 * (p * (1 - p) / n) ** 0.5 + 2**-16  # binomial spread + the 2^-16 rounding of p
    assert torch.allclose(y[y != 0], torch.full_like(y[y != 0], 1 / (1 - p)))


def test_neighbouring_elements_are_independent() -> None:
    # four elements share one 64-bit draw: their masks must not be correlated
    torch.manual_seed(1)
    kept = (packed_dropout(torch.ones(400_000), 0.5) != 0).float().view(-1, 4)
    correlation = torch.corrcoef(kept.T)
    assert (correlation - torch.eye(4)).abs().max() < 0.01


def test_a_seed_repeats_the_masks_and_the_gradient_is_the_mask() -> None:
    x = torch.randn(3, 7, 5, requires_grad=True)
    torch.manual_seed(3)
    first = packed_dropout(x, 0.3)
    torch.manual_seed(3)
    second = packed_dropout(x, 0.3)
    assert torch.equal(first, second)
    first.sum().backward()
    assert x.grad is not None
    assert torch.equal(x.grad, (first != 0).float() / 0.7)


def test_in_place_and_the_edge_rates() -> None:
    x = torch.ones(10)
    assert packed_dropout(x, 0.0) is x
    assert torch.equal(packed_dropout(x, 1.0), torch.zeros(10))
    y = torch.ones(1000)
    out = packed_dropout(y, 0.5, inplace=True)
    assert out.data_ptr() == y.data_ptr() and bool((y == 0).any())


@pytest.mark.parametrize("mask", ["none", "bool", "float", "causal"])
def test_the_attention_path_is_sdpa_s_math(mask: str) -> None:
    torch.manual_seed(0)
    q, k, v = torch.randn(3, 2, 4, 6, 8).unbind(0)
    attn_mask = None
    if mask == "bool":
        attn_mask = torch.rand(2, 1, 6, 6) > 0.4
        attn_mask[0, 0, 2] = False  # a query that sees no key: zeros, as torch gives
    elif mask == "float":
        attn_mask = torch.randn(2, 1, 6, 6)
    causal = mask == "causal"
    ours = packed_attention(q, k, v, attn_mask, 0.0, causal, None)
    theirs = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, is_causal=causal)
    torch.testing.assert_close(ours, theirs)


def test_the_mode_routes_training_dropout_on_the_cpu_and_nothing_else() -> None:
    x = torch.randn(64, 32)
    layer = nn.Dropout(0.25)
    with dropout_masks("packed", torch.device("cpu"))():
        torch.manual_seed(5)
        through_module = layer(x)
        layer.eval()
        assert torch.equal(layer(x), x)  # eval mode: no mask at all
        torch.manual_seed(5)
        q = torch.randn(2, 3, 5, 4)
        attended = F.scaled_dot_product_attention(q, q, q, dropout_p=0.2)
        plain = F.scaled_dot_product_attention(q, q, q)  # no dropout: torch's own kernel
    torch.manual_seed(5)
    assert torch.equal(through_module, packed_dropout(x, 0.25))
    torch.manual_seed(5)
    q2 = torch.randn(2, 3, 5, 4)
    assert torch.equal(attended, packed_attention(q2, q2, q2, None, 0.2, False, None))
    torch.testing.assert_close(plain, F.scaled_dot_product_attention(q2, q2, q2))
    assert dropout_masks("torch", torch.device("cpu")) is dropout_masks("packed", torch.device("meta"))  # nullcontext both
    with pytest.raises(ValueError, match="dropout_masks"):
        dropout_masks("fast", torch.device("cpu"))
