"""DAR's ``alignment="pooled"`` (docs/models.md §4.1): the time conv on the padding-zeroed input,
then each of the t segments averages the utterance's real positions by relative position."""

from __future__ import annotations

import pytest
import torch

from core.data.dataset import FeatureDims
from core.errors import ConfigError
from core.models.dar import Alignment, DARConfig, segment_pool, segment_weights
from core.models.registry import build_model
from tests.model_inputs import SMALL_DIMS, random_input
from tests.tiny_text_encoder import TinyTextEncoder

T = 8


def prefix(n: int, length: int = 50) -> torch.Tensor:
    return (torch.arange(length) < n)[None]


def members(weights: torch.Tensor) -> list[list[int]]:
    return [row.nonzero().flatten().tolist() for row in weights]


@pytest.mark.parametrize("n", [8, 9, 13, 20, 28, 50])
def test_long_utterances_are_split_into_contiguous_segments_by_relative_position(n):
    w = segment_weights(prefix(n), T)[0]
    segments = members(w)
    # Every real position in exactly one segment, in order, none of the padding; each row a mean.
    assert [i for s in segments for i in s] == list(range(n))
    assert all(segments)
    torch.testing.assert_close(w.sum(dim=-1), torch.ones(T))
    for k, positions in enumerate(segments):
        assert all(k / T <= (i + 0.5) / n < (k + 1) / T for i in positions)
        assert torch.all(w[k, positions] == 1 / len(positions))


def test_hand_made_segments_short_utterances_and_no_real_position():
    assert members(segment_weights(prefix(13), T)[0]) == [[0, 1], [2], [3, 4], [5], [6, 7], [8, 9], [10], [11, 12]]
    # Shorter than t: every segment takes the real position nearest its centre.
    assert members(segment_weights(prefix(3), T)[0]) == [[0], [0], [0], [1], [1], [2], [2], [2]]
    assert members(segment_weights(prefix(1), T)[0]) == [[0]] * T
    assert torch.all(segment_weights(prefix(0), T) == 0)
    assert torch.all(segment_pool(torch.randn(1, 50, 4), prefix(0), T) == 0)


def test_a_segment_depends_on_rank_not_on_where_padding_starts_or_the_padded_length():
    """The same utterance padded to 50 or 30, or shifted behind leading padding, gives the same
    pooled alignment; garbage in the padding changes nothing (it is zeroed before the conv)."""
    torch.manual_seed(0)
    align = Alignment(6, 50, T, 16, "pooled")
    words = torch.randn(1, 11, 6)
    base = torch.cat([words, torch.zeros(1, 39, 6)], dim=1)
    keep = prefix(11)
    expected = align(base, keep)
    assert expected.shape == (1, T, 16)
    garbage = torch.cat([words, torch.randn(1, 39, 6)], dim=1)
    torch.testing.assert_close(align(garbage, keep), expected)
    torch.testing.assert_close(align(garbage[:, :30], keep[:, :30]), expected)
    shifted = torch.cat([torch.randn(1, 5, 6), words, torch.randn(1, 34, 6)], dim=1)
    torch.testing.assert_close(align(shifted, (torch.arange(50) >= 5)[None] & (torch.arange(50) < 16)[None]), expected)
    # The masked alignment's one weight per absolute position is not invariant to the shift.
    torch.manual_seed(0)
    masked = Alignment(6, 50, T, 16, "masked")
    assert not torch.allclose(masked(shifted, (torch.arange(50) >= 5)[None] & (torch.arange(50) < 16)[None]), masked(base, keep))


def test_a_segment_gets_gradient_from_its_own_positions_only():
    x = torch.randn(2, 50, 4, requires_grad=True)
    keep = torch.cat([prefix(13), prefix(3)])
    out = segment_pool(x, keep, T)
    out[:, 2].sum().backward()
    assert x.grad is not None
    touched = x.grad.abs().sum(-1).nonzero().tolist()
    assert touched == [[0, 3], [0, 4], [1, 0]]
    torch.testing.assert_close(x.grad[0, 3], torch.full((4,), 0.5))


def test_pooled_dar_trains_and_its_alignment_reaches_the_real_positions_only():
    torch.manual_seed(0)
    model = build_model("dar", "mosi", SMALL_DIMS, TinyTextEncoder(), {"alignment": "pooled"})
    assert all(a.length_conv is None for a in model.align)
    out = model(random_input(batch=4, seed=5))
    assert torch.isfinite(out.loss)
    out.loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.align.parameters())
    # An audio frame past the clip's length has no effect on the aligned audio.
    inputs = random_input(batch=2, seed=6, with_complete=False)
    lengths = torch.tensor([5, SMALL_DIMS.audio_len])
    audio = inputs.audio.clone()
    u = model.aligned(inputs.text, audio, inputs.vision, (lengths, inputs.vision_lengths))
    audio[0, 5:] = torch.randn_like(audio[0, 5:])
    v = model.aligned(inputs.text, audio, inputs.vision, (lengths, inputs.vision_lengths))
    torch.testing.assert_close(u[1], v[1])
    audio[0, 4] += 1.0  # a real frame does
    w = model.aligned(inputs.text, audio, inputs.vision, (lengths, inputs.vision_lengths))
    assert not torch.allclose(w[1][0], u[1][0]) and torch.equal(w[1][1], u[1][1])


def test_pooled_accepts_any_padded_length_and_unknown_alignments_are_rejected():
    torch.manual_seed(0)
    mosi = FeatureDims(text_len=50, audio_len=375, audio_dim=5, vision_len=500, vision_dim=20)
    model = build_model("dar", "mosi", mosi, TinyTextEncoder(max_len=50), {"alignment": "pooled"})
    assert model.align[1](torch.zeros(2, 374, 5)).shape == (2, 8, 128)
    with pytest.raises(ConfigError, match="alignment='mean'"):
        DARConfig(dims=SMALL_DIMS, alignment="mean")
    assert DARConfig(dims=SMALL_DIMS).alignment == "pooled"  # the default since docs/models.md §8.3
