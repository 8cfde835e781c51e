"""Building blocks shared by the three models (docs/models.md §2.1).

These follow LNLN/ALMT's official code exactly (pre-norm attention with separate q/k/v norms,
no dropout outside BERT), but compute attention with PyTorch's fused
``scaled_dot_product_attention``, which is the same function, far cheaper over the 375- and
500-frame audio and vision sequences. As in the official code, attention covers padding frames
too: no attention mask.
"""

from __future__ import annotations

from typing import cast

import torch
import torch.nn.functional as F
from torch import nn

D_MODEL = 128


def split_heads(x: torch.Tensor, heads: int) -> torch.Tensor:
    """[B, N, H*Dh] -> [B, H, N, Dh]."""
    b, n, inner = x.shape
    return x.view(b, n, heads, inner // heads).transpose(1, 2)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """[B, H, N, Dh] -> [B, N, H*Dh]."""
    b, h, n, dh = x.shape
    return x.transpose(1, 2).reshape(b, n, h * dh)


class Attention(nn.Module):
    """Multi-head attention: q/k/v projections without bias, output projection with bias."""

    def __init__(self, dim: int = D_MODEL, heads: int = 8, dim_head: int = 64) -> None:
        super().__init__()
        inner = heads * dim_head
        self.heads = heads
        self.to_q = nn.Linear(dim, inner, bias=False)
        self.to_k = nn.Linear(dim, inner, bias=False)
        self.to_v = nn.Linear(dim, inner, bias=False)
        self.to_out = nn.Linear(inner, dim)

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, key_mask: torch.Tensor | None = None) -> torch.Tensor:
        """``key_mask`` [B, N_k] bool: False keys are not attended to (None: all are)."""
        q, k, v = (split_heads(proj(x), self.heads) for proj, x in ((self.to_q, q), (self.to_k, k), (self.to_v, v)))
        mask = None if key_mask is None else key_mask[:, None, None, :]
        # SDPA's default scale is 1/sqrt(dim_head): 1/8 for 64-dim heads, as in the official code.
        return self.to_out(merge_heads(F.scaled_dot_product_attention(q, k, v, attn_mask=mask)))


class PreNormAttention(nn.Module):
    """Attention with a separate LayerNorm on each of its q, k and v inputs."""

    def __init__(self, dim: int = D_MODEL, heads: int = 8, dim_head: int = 64) -> None:
        super().__init__()
        self.norm_q = nn.LayerNorm(dim)
        self.norm_k = nn.LayerNorm(dim)
        self.norm_v = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads, dim_head)

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, key_mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.attn(self.norm_q(q), self.norm_k(k), self.norm_v(v), key_mask)


class FeedForward(nn.Module):
    """Pre-LN feed-forward: LN, Linear, GELU, Linear."""

    def __init__(self, dim: int = D_MODEL, hidden: int = D_MODEL) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class EncoderLayer(nn.Module):
    """x <- x + Attn(x, x, x); x <- x + FF(x)."""

    def __init__(self, dim: int = D_MODEL, heads: int = 8, dim_head: int = 64, mlp_dim: int = D_MODEL) -> None:
        super().__init__()
        self.attn = PreNormAttention(dim, heads, dim_head)
        self.ff = FeedForward(dim, mlp_dim)

    def forward(self, x: torch.Tensor, keep: int | None = None, key_mask: torch.Tensor | None = None) -> torch.Tensor:
        """``keep``: only the first ``keep`` positions' outputs are wanted (they still attend to
        every position): the same values for those rows, without computing the others.
        ``key_mask`` [B, N] bool: positions that may be attended to (None: all)."""
        query = x if keep is None else x[:, :keep]
        query = query + self.attn(query, x, x, key_mask)
        return query + self.ff(query)


class Transformer(nn.Module):
    """LNLN's Transformer(n, t, D).

    Optionally prepends ``extra_tokens`` zero-initialised learnable tokens, adds a learnable
    N(0, 1) positional table of size (n + t) x dim sliced to the actual length, then runs
    ``depth`` layers. ``forward(..., save_hidden=True)`` returns [input + positions, layer 1
    output, ..., layer D output].
    """

    def __init__(
        self,
        num_frames: int,
        extra_tokens: int = 0,
        depth: int = 2,
        dim: int = D_MODEL,
        heads: int = 8,
        dim_head: int = 64,
        mlp_dim: int = D_MODEL,
    ) -> None:
        super().__init__()
        self.extra_tokens = extra_tokens
        self.extra_token = nn.Parameter(torch.zeros(1, extra_tokens, dim)) if extra_tokens else None
        self.pos_embedding = nn.Parameter(torch.randn(1, num_frames + extra_tokens, dim))
        self.layers = nn.ModuleList(EncoderLayer(dim, heads, dim_head, mlp_dim) for _ in range(depth))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        if self.extra_token is not None:
            x = torch.cat([self.extra_token.expand(x.shape[0], -1, -1), x], dim=1)
        return x + self.pos_embedding[:, : x.shape[1]]

    def forward(
        self,
        x: torch.Tensor,
        save_hidden: bool = False,
        keep: int | None = None,
        frame_mask: torch.Tensor | None = None,
    ) -> torch.Tensor | list[torch.Tensor]:
        """``keep``: the caller reads only the first ``keep`` positions of the output, so the last
        layer computes only those (the extra tokens read over 375-500 frames: most of its cost).
        Not with ``save_hidden``, whose every level is read whole. ``frame_mask`` [B, n] bool:
        the input positions that may be attended to (the extra tokens always may); None: all."""
        key_mask = None
        if frame_mask is not None:
            extra = torch.ones(x.shape[0], self.extra_tokens, dtype=torch.bool, device=x.device)
            key_mask = torch.cat([extra, frame_mask.to(torch.bool)], dim=1)
        x = self.embed(x)
        hidden = [x]
        for i, layer in enumerate(self.layers):
            x = layer(x, keep if keep is not None and not save_hidden and i == len(self.layers) - 1 else None, key_mask)
            hidden.append(x)
        return hidden if save_hidden else x


class CrossTransformer(nn.Module):
    """LNLN's CrossTransformer(S, Tg, D).

    One zero-initialised token, the *same* parameter, is prepended to both source and target; each
    gets its own (n + 1) x dim N(0, 1) positional table. Per layer:
    Tg <- Tg + Attn(q=Tg, k=S, v=S); Tg <- Tg + FF(Tg). The source is not updated.
    """

    def __init__(
        self,
        source_frames: int,
        target_frames: int,
        depth: int = 2,
        dim: int = D_MODEL,
        heads: int = 8,
        dim_head: int = 64,
        mlp_dim: int = D_MODEL,
    ) -> None:
        super().__init__()
        self.extra_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embedding_s = nn.Parameter(torch.randn(1, source_frames + 1, dim))
        self.pos_embedding_t = nn.Parameter(torch.randn(1, target_frames + 1, dim))
        self.attns = nn.ModuleList(PreNormAttention(dim, heads, dim_head) for _ in range(depth))
        self.ffs = nn.ModuleList(FeedForward(dim, mlp_dim) for _ in range(depth))

    def forward(self, source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        token = self.extra_token.expand(source.shape[0], -1, -1)
        source = torch.cat([token, source], dim=1)
        source = source + self.pos_embedding_s[:, : source.shape[1]]
        target = torch.cat([token, target], dim=1)
        target = target + self.pos_embedding_t[:, : target.shape[1]]
        for attn, ff in zip(self.attns, self.ffs):
            target = target + attn(target, source, source)
            target = target + ff(target)
        return target


class HyperLearningLayer(nn.Module):
    """One Adaptive Hyper-modality Learning (AHL) layer, generalised to any set of auxiliary
    modalities.

    LayerNorms on the query stream, on each auxiliary stream and on H_hyper; q from the query
    stream, k/v from each auxiliary stream with its own projections (8 heads x 16, no bias); the
    attention outputs are **summed**, then a shared Linear(inner -> dim). The new H_hyper is
    LN(H_hyper) + that output: the residual sits on the *normalised* H_hyper, a quirk of the
    official code kept for fidelity (docs/models.md [A2]).

    LNLN uses it with the auxiliaries (audio, vision). Senti-iFusion builds it with k/v
    projections for all three modalities and passes which two are auxiliary per call.
    """

    def __init__(self, num_aux: int = 2, dim: int = D_MODEL, heads: int = 8, dim_head: int = 16) -> None:
        super().__init__()
        inner = heads * dim_head
        self.heads = heads
        self.norm_query = nn.LayerNorm(dim)
        self.norm_aux = nn.ModuleList(nn.LayerNorm(dim) for _ in range(num_aux))
        self.norm_hyper = nn.LayerNorm(dim)
        self.to_q = nn.Linear(dim, inner, bias=False)
        self.to_k = nn.ModuleList(nn.Linear(dim, inner, bias=False) for _ in range(num_aux))
        self.to_v = nn.ModuleList(nn.Linear(dim, inner, bias=False) for _ in range(num_aux))
        self.to_out = nn.Linear(inner, dim)

    def attend(self, q: torch.Tensor, aux: torch.Tensor, index: int) -> torch.Tensor:
        aux = self.norm_aux[index](aux)
        k = split_heads(self.to_k[index](aux), self.heads)
        v = split_heads(self.to_v[index](aux), self.heads)
        return F.scaled_dot_product_attention(q, k, v)

    def forward(
        self,
        query: torch.Tensor,
        auxiliaries: list[torch.Tensor],
        hyper: torch.Tensor,
        aux_indices: list[int] | None = None,
    ) -> torch.Tensor:
        indices = aux_indices if aux_indices is not None else list(range(len(auxiliaries)))
        q = split_heads(self.to_q(self.norm_query(query)), self.heads)
        summed = cast(torch.Tensor, sum(self.attend(q, aux, i) for aux, i in zip(auxiliaries, indices)))
        return self.norm_hyper(hyper) + self.to_out(merge_heads(summed))


class GradientReversal(torch.autograd.Function):
    """Identity forward; gradient multiplied by -alpha backward."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, alpha: float) -> torch.Tensor:
        ctx.alpha = alpha
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return -ctx.alpha * grad, None


class GradientReversalLayer(nn.Module):
    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = alpha

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return GradientReversal.apply(x, self.alpha)


class CompletenessHead(nn.Module):
    """LNLN's completeness check, reused as Senti-iFusion's integrity estimator (docs/models.md [A8]).

    Transformer(n=tokens, t=1, D=2) over the modality's tokens, output token 0, then
    Linear(dim -> dim/2), LeakyReLU(0.1), Linear(dim/2 -> 1), Sigmoid: one value in (0, 1) per
    sample.
    """

    def __init__(self, tokens: int = 8, dim: int = D_MODEL, depth: int = 2, heads: int = 8, dim_head: int = 64) -> None:
        super().__init__()
        self.encoder = Transformer(num_frames=tokens, extra_tokens=1, depth=depth, dim=dim, heads=heads, dim_head=dim_head)
        self.head = nn.Sequential(nn.Linear(dim, dim // 2), nn.LeakyReLU(0.1), nn.Linear(dim // 2, 1), nn.Sigmoid())

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(tokens)[:, 0]).squeeze(-1)


class LinearIntegrityHead(nn.Module):
    """Senti-iFusion's E^ie as the paper words it, a "linear projection" ([A8]): the modality's
    tokens flattened, Linear(tokens·dim -> 1), Sigmoid: one value in (0, 1) per sample."""

    def __init__(self, tokens: int = 8, dim: int = D_MODEL) -> None:
        super().__init__()
        self.proj = nn.Linear(tokens * dim, 1)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.proj(tokens.flatten(1))).squeeze(-1)


class ModalityEmbedding(nn.Module):
    """LNLN's per-modality projection: Linear(d_in -> dim), then Transformer(n=T, t=tokens, D=2),
    keeping the outputs of the ``tokens`` extra tokens: [B, tokens, dim].

    ``mark_padding`` (off in the papers' models) replaces the projection of every frame past the
    sequence's length with one learned vector. Erased frames and padding are both zero vectors,
    so without it nothing in the input tells a short complete sequence from a long erased one.
    ``attend_padding=False`` (also off in the papers' models, which attend to every frame) keeps
    every frame past the length out of attention's keys: the extra tokens then average over the
    sequence's own frames, so the share of erased frames is a plain mean rather than a ratio of
    two counts that padding dilutes.
    """

    def __init__(
        self,
        input_dim: int,
        num_frames: int,
        tokens: int = 8,
        dim: int = D_MODEL,
        depth: int = 2,
        heads: int = 8,
        dim_head: int = 64,
        mark_padding: bool = False,
        attend_padding: bool = True,
    ) -> None:
        super().__init__()
        self.tokens = tokens
        self.proj = nn.Linear(input_dim, dim)
        self.encoder = Transformer(
            num_frames=num_frames, extra_tokens=tokens, depth=depth, dim=dim, heads=heads, dim_head=dim_head
        )
        self.padding = nn.Parameter(torch.zeros(dim)) if mark_padding else None
        self.attend_padding = attend_padding

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        projected = self.proj(x)
        if self.padding is None and self.attend_padding:
            return self.encoder(projected, keep=self.tokens)[:, : self.tokens]
        if lengths is None:
            raise ValueError("this embedding marks padding frames or keeps them out of attention and needs the sequence lengths")
        steps = torch.arange(x.shape[1], device=x.device)
        is_padding = steps[None, :] >= lengths.to(x.device)[:, None]
        if self.padding is not None:
            projected = torch.where(is_padding[..., None], self.padding.to(projected.dtype), projected)
        frame_mask = None if self.attend_padding else ~is_padding
        return self.encoder(projected, keep=self.tokens, frame_mask=frame_mask)[:, : self.tokens]
