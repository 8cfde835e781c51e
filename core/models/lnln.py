"""LNLN (Zhang et al., NeurIPS'24) exactly as its official code does it (docs/models.md §2).

Language-dominated noise-resistant learning: a completeness check estimates how intact the
language is; a proxy dominant feature generated from audio and vision fills in for it in
proportion; the dominant-modality-based multimodal learning (AHL layers plus a cross-transformer)
fuses. In training, a reconstructor and a discriminator add their losses on the complete inputs.

Faithful quirks kept on purpose: the gradient-reversal layer sits on the proxy feature before the
mixing, so every gradient into the generator is reversed, the sentiment one included ([A3]); the
reconstruction targets are not detached; the AHL residual is on the normalised H_hyper ([A2],
inside :class:`HyperLearningLayer`); attention covers padding frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import torch
import torch.nn.functional as F
from torch import nn

from core.data.dataset import FeatureDims
from core.errors import ConfigError
from core.models.base import ModelInput, ModelOutput, MSAModel
from core.models.blocks import (
    D_MODEL,
    CompletenessHead,
    CrossTransformer,
    GradientReversalLayer,
    HyperLearningLayer,
    ModalityEmbedding,
    Transformer,
)
from core.models.lnln_spec import SPEC

# Fusion (cross-transformer) depth per data set family: the official configs say 2 for MOSI and
# 4 for MOSEI/SIMS (the paper says 4 for all; docs/models.md [A4]). Small data sets follow MOSI.
FUSION_DEPTH = {"mosi": 2, "synthetic": 2, "text-only": 2, "mosei": 4, "sims": 4}


@dataclass
class LNLNConfig:
    """LNLN's hyper-parameters; :meth:`for_dataset` gives the official config for a family."""

    dims: FeatureDims
    text_hidden: int = 768
    d: int = D_MODEL
    # Attention width of LNLN's Transformer blocks (8 heads x 64, the official code); narrower
    # heads are a named option for CPU demos, never the default.
    heads: int = 8
    dim_head: int = 64
    tokens: int = 8
    fusion_depth: int = 2
    grl_alpha: float = 1.0
    # Loss weights (the official alpha, beta, gamma, sigma).
    weight_cc: float = 0.9
    weight_adv: float = 0.8
    weight_rec: float = 0.1
    weight_sp: float = 1.0
    # Speed variant, off by default: embed a text whose complete copy is unchanged (r = 0) once
    # even while BERT's dropout is active, so the complete copy shares the incomplete one's
    # dropout mask instead of drawing its own as in the official code's second BERT pass. Under
    # LNLN's protocol about half the texts are unchanged, so this saves about a quarter of the
    # BERT compute, which dominates training at bert-base size.
    reuse_unchanged_text: bool = False

    def __post_init__(self) -> None:
        # A checkpoint stores the config as plain dicts (weights_only=True loading).
        if isinstance(self.dims, dict):
            self.dims = FeatureDims(**self.dims)

    @classmethod
    def for_dataset(cls, family: str, dims: FeatureDims, text_hidden: int) -> LNLNConfig:
        if family not in FUSION_DEPTH:
            raise ConfigError(f"LNLN has no configuration for data set family {family!r}: use one of {', '.join(FUSION_DEPTH)}")
        return cls(
            dims=dims,
            text_hidden=text_hidden,
            fusion_depth=FUSION_DEPTH[family],
            weight_adv=0.6 if family == "sims" else 0.8,
        )


def deterministic(module: nn.Module) -> bool:
    """True when no leaf module is in training mode (so no dropout can fire)."""
    return not any(m.training for m in module.modules() if next(m.children(), None) is None)


class LNLN(MSAModel):
    spec = SPEC

    def __init__(self, config: LNLNConfig, text_encoder: nn.Module) -> None:
        super().__init__()
        self.config = config
        dims, d, t = config.dims, config.d, config.tokens
        heads: dict[str, Any] = {"heads": config.heads, "dim_head": config.dim_head}
        self.text_encoder = text_encoder
        # 1. Embedding: Linear(d_m -> 128) then Transformer(n=T_m, t=8, D=2), first 8 outputs.
        self.embed_text = ModalityEmbedding(config.text_hidden, dims.text_len, t, d, **heads)
        self.embed_audio = ModalityEmbedding(dims.audio_dim, dims.audio_len, t, d, **heads)
        self.embed_vision = ModalityEmbedding(dims.vision_dim, dims.vision_len, t, d, **heads)
        # 2. Completeness check on the language tokens.
        self.completeness = CompletenessHead(t, d, **heads)
        # 3. Proxy dominant feature generator: [H_p^0; H_a; H_v] -> its own 8 extra tokens.
        self.h_p = nn.Parameter(torch.ones(1, t, d))
        self.generator = Transformer(num_frames=3 * t, extra_tokens=t, depth=2, dim=d, **heads)
        self.grl = GradientReversalLayer(config.grl_alpha)
        self.discriminator = nn.Sequential(nn.Linear(d, d // 2), nn.LeakyReLU(0.1), nn.Linear(d // 2, 2))
        # 5. Reconstructor (training only): one Transformer per modality, audio, vision, language.
        self.reconstructor = nn.ModuleList(Transformer(num_frames=t, depth=2, dim=d, **heads) for _ in range(3))
        # 4. DMML: language encoder, three AHL layers, cross-transformer, regression.
        self.h_hyper = nn.Parameter(torch.ones(1, t, d))
        self.language_encoder = Transformer(num_frames=t, depth=2, dim=d, **heads)
        self.ahl = nn.ModuleList(HyperLearningLayer(num_aux=2, dim=d) for _ in range(3))
        self.fusion = CrossTransformer(t, t, depth=config.fusion_depth, dim=d, **heads)
        self.regressor = nn.Linear(d, 1)

    # -- pieces -----------------------------------------------------------------------------

    def embed_text_tokens(self, text: torch.Tensor) -> torch.Tensor:
        return self.embed_text(self.text_encoder(text))

    def embed(self, text: torch.Tensor, audio: torch.Tensor, vision: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """H_l^1, H_a^1, H_v^1: [B, 8, 128] each."""
        return self.embed_text_tokens(text), self.embed_audio(audio), self.embed_vision(vision)

    @staticmethod
    def embed_pair(embed, x: torch.Tensor, complete: torch.Tensor, reuse: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """Embeddings of the incomplete and the complete inputs through the SAME encoder.

        One pass over the batch concatenation is the same function as the official code's two
        passes, and cheaper. When the encoder is deterministic (audio and vision always; the text
        encoder when it runs without dropout), a sample whose complete copy equals its incomplete
        one (r = 0: half the samples of each modality under LNLN's protocol) is embedded once and
        used for both: the same values, and the same gradients, since autograd sums over both
        uses exactly as it sums over the two passes. With dropout active every copy is embedded,
        so each gets its own dropout mask as in the official code (unless ``reuse`` is forced by
        :attr:`LNLNConfig.reuse_unchanged_text`).
        """
        b = x.shape[0]
        if not reuse:
            out = embed(torch.cat([x, complete]))
            return out[:b], out[b:]
        changed = (x != complete).flatten(1).any(dim=1).nonzero().squeeze(1)
        out = embed(torch.cat([x, complete.index_select(0, changed)]))
        h = out[:b]
        return h, h.index_copy(0, changed, out[b:])

    def dominant_feature(
        self, h_l: torch.Tensor, h_a: torch.Tensor, h_v: torch.Tensor, w: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Completeness w [B] (computed unless given) and the dominant feature
        H_d^1 = (1-w) GRL(H_p^1) + w H_l^1."""
        w = self.completeness(h_l) if w is None else w
        h_p0 = self.h_p.expand(h_l.shape[0], -1, -1)
        h_p1 = self.generator(torch.cat([h_p0, h_a, h_v], dim=1), keep=self.config.tokens)[:, : self.config.tokens]
        h_p1 = self.grl(h_p1)  # [A3]: before the mixing, as in the official code
        w3 = w[:, None, None]
        return w, h_p1 * (1 - w3) + h_l * w3

    def fuse(self, h_d: torch.Tensor, h_a: torch.Tensor, h_v: torch.Tensor) -> torch.Tensor:
        """DMML: the sentiment prediction [B]."""
        h_d_list = self.language_encoder(h_d, save_hidden=True)
        h_hyper = self.h_hyper.expand(h_d.shape[0], -1, -1)
        for layer, h_dom in zip(self.ahl, h_d_list):
            h_hyper = layer(h_dom, [h_a, h_v], h_hyper)
        feat = self.fusion(h_hyper, h_d_list[-1])
        # Mean over the 8 non-extra target tokens (ALMT used the extra token instead).
        return self.regressor(feat[:, 1:].mean(dim=1)).squeeze(-1)

    # -- forward ----------------------------------------------------------------------------

    def forward(self, inputs: ModelInput, stage: int | None = None) -> ModelOutput:
        b = inputs.batch_size
        if inputs.has_complete:
            assert inputs.complete_text is not None and inputs.complete_audio is not None and inputs.complete_vision is not None
            reuse_text = self.config.reuse_unchanged_text or deterministic(self.text_encoder)
            h_l, full_l = self.embed_pair(self.embed_text_tokens, inputs.text, inputs.complete_text, reuse_text)
            h_a, full_a = self.embed_pair(self.embed_audio, inputs.audio, inputs.complete_audio, True)
            h_v, full_v = self.embed_pair(self.embed_vision, inputs.vision, inputs.complete_vision, True)
        else:
            h_l, h_a, h_v = self.embed(inputs.text, inputs.audio, inputs.vision)

        w, h_d = self.dominant_feature(h_l, h_a, h_v)
        prediction = self.fuse(h_d, h_a, h_v)

        losses: dict[str, torch.Tensor] = {}
        if inputs.integrity is not None:
            losses["cc"] = F.mse_loss(w, inputs.integrity[:, 0].to(w.dtype))
        if inputs.has_complete:
            losses["adv"] = self.adversarial_loss(h_d, full_l)
            reconstructed = torch.cat([rec(h) for rec, h in zip(self.reconstructor, (h_a, h_v, h_l))], dim=1)
            # Targets not detached, as in the official code.
            losses["rec"] = F.mse_loss(reconstructed, torch.cat([full_a, full_v, full_l], dim=1))
        if inputs.labels is not None:
            losses["sp"] = F.mse_loss(prediction, inputs.labels.to(prediction.dtype))

        return ModelOutput(
            prediction=prediction,
            integrity=self.integrity_estimate(w),
            dominant=torch.zeros(b, dtype=torch.long, device=prediction.device),
            losses=losses,
            loss=self.total_loss(losses) if inputs.labels is not None else None,
        )

    @staticmethod
    def integrity_estimate(w: torch.Tensor) -> torch.Tensor:
        """[B,3]: the completeness w for language, NaN for audio and vision (not estimated)."""
        integrity = torch.full((w.shape[0], 3), float("nan"), dtype=w.dtype, device=w.device)
        integrity[:, 0] = w.detach()
        return integrity

    # -- inference in two parts (the probe, evaluation) -------------------------------------

    def embed_modality(self, m: int, inputs: ModelInput) -> tuple[torch.Tensor, ...]:
        """Language: (H_l^1 [B, 8, d], its completeness w [B]); audio, vision: (H_m^1,)."""
        if m == 0:
            h_l = self.embed_text_tokens(inputs.text)
            return h_l, self.completeness(h_l)
        return (self.embed_audio(inputs.audio),) if m == 1 else (self.embed_vision(inputs.vision),)

    def forward_from_embeddings(self, stages) -> ModelOutput:
        (h_l, w), (h_a,), (h_v,) = stages
        w, h_d = self.dominant_feature(h_l, h_a, h_v, w)
        prediction = self.fuse(h_d, h_a, h_v)
        dominant = torch.zeros(prediction.shape[0], dtype=torch.long, device=prediction.device)
        return ModelOutput(prediction=prediction, integrity=self.integrity_estimate(w), dominant=dominant)

    def adversarial_loss(self, h_d: torch.Tensor, full_l: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of the discriminator over all 2·B·8 tokens: H_d^1 -> 1, complete H_l^1 -> 0."""
        tokens = torch.cat([h_d, full_l]).flatten(0, 1)
        n = h_d.shape[0] * h_d.shape[1]
        targets = torch.cat([torch.ones(n), torch.zeros(n)]).long().to(tokens.device)
        return F.cross_entropy(self.discriminator(tokens), targets)

    def total_loss(self, losses: dict[str, torch.Tensor]) -> torch.Tensor:
        c = self.config
        weights = {"cc": c.weight_cc, "adv": c.weight_adv, "rec": c.weight_rec, "sp": c.weight_sp}
        # a tensor: called with labels, so "sp" is there
        return cast(torch.Tensor, sum(weights[name] * value for name, value in losses.items()))
