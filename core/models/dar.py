"""DAR, Decoupled-Adaptive Reconstruction (Yang et al., IJCAI'25), reconstructed from the paper
(docs/models.md §4; the resolutions of [A20]-[A33] are the defaults).

1. *Decouple*: alignment convolutions bring every modality to t x d; per-modality common and
   specific encoders split it; InfoNCE pulls common features of one sample together and specific
   features of one modality together (L_sim); a CLUB upper bound with a BiLSTM variational network
   pushes common and specific apart (L_diff); restoration decoders rebuild the aligned incomplete
   features from the other modalities' common and the own specific features (L_re).
2. *Reconstruct*: common features are rebuilt from all three modalities' common features, specific
   features from the modality's own; a re-coupling decoder rebuilds the aligned input; everything
   is matched to what the complete input gives (L_recon); gates blend reconstructed and original.
3. *Fuse*: a shared self-attention encoder over each common stream, MulT-style cross-modal
   attention over the specific streams, an MLP head; a boot head on the complete-input common
   features (training only).

The CLUB networks are not trained by the main loss: the trainer steps them first, each batch, with
their own optimiser on :meth:`DAR.auxiliary_loss` (their log-likelihood on detached pairs), then
the main step sees them frozen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from core.data.dataset import FeatureDims
from core.errors import ConfigError
from core.models.base import ModelInput, ModelOutput, MSAModel
from core.models.blocks import D_MODEL, FeedForward, PreNormAttention, Transformer
from core.models.dar_spec import SPEC, TRAIN_RATE_K

MODALITIES = ("text", "audio", "vision")

ALIGNMENTS = ("conv", "masked", "pooled")


@dataclass
class DARConfig:
    """DAR's hyper-parameters; :meth:`for_dataset` gives the paper's (or the resolved) defaults."""

    dims: FeatureDims
    text_hidden: int = 768
    d: int = D_MODEL
    tokens: int = 8  # t, the aligned length ([A21]; 50 as an ablation)
    # [A21] How the alignment brings a modality to t steps: "pooled" (default) zeroes padding,
    # then averages the utterance's real positions into t segments by relative position;
    # "masked" zeroes padding before and after the time convolution and mixes lengths with one
    # weight per absolute position (text-only Corr 0.34 against pooled's 0.42 on the synthetic
    # set, MOSI valid Corr 0.672 against 0.723); "conv" mixes every position, [PAD] tokens' BERT
    # outputs and padding frames included (the first reading, which made DAR ignore text).
    # docs/models.md §4.1, §8.3.
    alignment: str = "pooled"
    heads: int = 8
    dim_head: int = 64  # as the shared blocks (LNLN/ALMT): 8 x 64
    encoder_depth: int = 2  # E_c and E_s
    reconstruct_depth: int = 1  # E_com and E_spec
    fusion_depth: int = 2  # shared self-attention over the common streams
    cross_depth: int = 2  # each source -> target cross-modal block
    temperature: float = 0.1  # InfoNCE tau ([A23])
    # [A24] Eq. 6 literally leaves the positive out of the denominator; the default keeps it in
    # (the usual InfoNCE form, bounded below by 0).
    positive_in_denominator: bool = True
    lambda_: float = 0.7  # L_decouple = lambda (L_sim + L_diff) + L_re
    alpha: float = 0.1  # weight of L_decouple
    beta: float = 0.1  # weight of L_recon
    task_loss: str = "mse"  # "mse" | "l1" ([A30])
    stop_gradient_targets: bool = False  # detach L_recon's complete-input targets ([A28])
    club_lr: float = 1e-4  # the CLUB networks' own Adam (the trainer owns it; SPEC.auxiliary names this option)
    # L_diff per modality floored at 0. Mutual information is never negative, so a negative CLUB
    # estimate only says that the lagging q_theta no longer fits; unfloored, the main update
    # exploits it and the bound ran away (to -2732 by epoch 8 of the 12-epoch demo; docs/models.md §8).
    club_nonnegative: bool = True
    train_rate_k: float = TRAIN_RATE_K["mosi"]  # fixed training missing rate ([A20], dar_spec.py)

    def __post_init__(self) -> None:
        # A checkpoint stores the config as plain dicts (weights_only=True loading).
        if isinstance(self.dims, dict):
            self.dims = FeatureDims(**self.dims)
        if self.alignment not in ALIGNMENTS:
            raise ConfigError(f"DAR option alignment={self.alignment!r} is not known: use one of {', '.join(ALIGNMENTS)}")
        if self.task_loss not in ("mse", "l1"):
            raise ConfigError(f"DAR option task_loss={self.task_loss!r} is not known: use 'mse' or 'l1'")

    @classmethod
    def for_dataset(cls, family: str, dims: FeatureDims, text_hidden: int) -> DARConfig:
        if family not in TRAIN_RATE_K:
            raise ConfigError(f"DAR has no configuration for data set family {family!r}: use one of {', '.join(TRAIN_RATE_K)}")
        return cls(dims=dims, text_hidden=text_hidden, train_rate_k=TRAIN_RATE_K[family])


# -- building blocks (DAR only) -------------------------------------------------------------------


class Alignment(nn.Module):
    """[A21] Conv1d over time (d_m -> d, kernel 3, same length), then a length-mixing Conv1d whose
    channels are the time steps (T_m -> t, kernel 1), then GELU and LayerNorm: [B,T_m,d_m] -> [B,t,d].

    The length-mixing conv has one weight per input frame, so the input must be padded to the
    configured length exactly (the loaders pad every split to the file's length). With
    ``masked``, positions where ``keep`` is 0 (padding) are zeroed before and after the time
    convolution. ``pooled`` zeroes padding the same way and replaces the length-mixing conv by
    :func:`segment_pool` over the real positions (no per-position weights, any input length).
    """

    def __init__(self, input_dim: int, num_frames: int, tokens: int, dim: int, mode: str = "conv") -> None:
        super().__init__()
        if mode not in ALIGNMENTS:
            raise ValueError(f"unknown DAR alignment {mode!r}")
        self.num_frames = num_frames
        self.tokens = tokens
        self.mode = mode
        self.masked = mode in ("masked", "pooled")
        self.feature_conv = nn.Conv1d(input_dim, dim, kernel_size=3, padding=1)
        self.length_conv = nn.Conv1d(num_frames, tokens, kernel_size=1) if mode != "pooled" else None
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor, keep: torch.Tensor | None = None) -> torch.Tensor:
        if self.length_conv is not None and x.shape[1] != self.num_frames:
            raise ValueError(f"DAR alignment expects {self.num_frames} time steps, got {x.shape[1]}")
        mask = keep[..., None].to(x.dtype) if self.masked and keep is not None else None
        if mask is not None:
            x = x * mask
        x = self.feature_conv(x.transpose(1, 2)).transpose(1, 2)  # [B, T_m, d]
        if mask is not None:
            x = x * mask.to(x.dtype)
        if self.length_conv is None:
            real = keep if keep is not None else torch.ones(x.shape[:2], dtype=torch.bool, device=x.device)
            return self.norm(F.gelu(segment_pool(x, real, self.tokens)))
        return self.norm(F.gelu(self.length_conv(x)))  # channels = time: [B, t, d]


def segment_weights(keep: torch.Tensor, tokens: int) -> torch.Tensor:
    """Length-aware pooling weights [B, t, T] for the real positions of ``keep`` [B, T].

    The real positions of a sample, ranked 0..n-1 in order, are placed at relative positions
    (i + 0.5) / n; segment k averages those in [k/t, (k+1)/t). With n >= t every segment holds at
    least one; a shorter utterance leaves some segments empty, and each of those takes the real
    position nearest its centre (k + 0.5) / t, i.e. rank floor((k + 0.5) n / t). A row with no
    real position (n = 0) gets all-zero weights. Integer arithmetic, so a segment's members
    depend only on ranks and n, never on where padding starts or on the padded length.
    """
    keep = keep.bool()
    n = keep.sum(dim=1, keepdim=True)  # [B, 1]
    rank = keep.long().cumsum(dim=1) - 1  # [B, T], rank among the real positions
    n1 = n.clamp(min=1)
    segment = ((2 * rank + 1) * tokens).div(2 * n1, rounding_mode="floor").clamp(0, tokens - 1)  # [B, T]
    k = torch.arange(tokens, device=keep.device)[None, :, None]  # [1, t, 1]
    member = (segment[:, None, :] == k) & keep[:, None, :]  # [B, t, T]
    nearest = ((2 * k[..., 0] + 1) * n1).div(2 * tokens, rounding_mode="floor").clamp(max=n1 - 1)  # [B, t]
    fallback = (rank[:, None, :] == nearest[..., None]) & keep[:, None, :]
    chosen = torch.where(member.any(dim=-1, keepdim=True), member, fallback).float()
    return chosen / chosen.sum(dim=-1, keepdim=True).clamp(min=1.0)


def segment_pool(x: torch.Tensor, keep: torch.Tensor, tokens: int) -> torch.Tensor:
    """[B, T, d] -> [B, t, d]: the mean of each segment of real positions (:func:`segment_weights`);
    zeros for a sample with no real position."""
    return torch.bmm(segment_weights(keep, tokens).to(x.dtype), x)


class CrossModalBlock(nn.Module):
    """MulT-style source -> target block: learned positions on both streams, then per layer
    target <- target + Attn(q=target, k=source, v=source) (pre-norm, separate q/k/v norms) and
    target <- target + FF(target); a final LayerNorm, as MulT's encoder has."""

    def __init__(self, frames: int, depth: int, dim: int, heads: int, dim_head: int) -> None:
        super().__init__()
        self.pos_source = nn.Parameter(torch.randn(1, frames, dim))
        self.pos_target = nn.Parameter(torch.randn(1, frames, dim))
        self.attns = nn.ModuleList(PreNormAttention(dim, heads, dim_head) for _ in range(depth))
        self.ffs = nn.ModuleList(FeedForward(dim, dim) for _ in range(depth))
        self.norm = nn.LayerNorm(dim)

    def forward(self, source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        source = source + self.pos_source[:, : source.shape[1]]
        target = target + self.pos_target[:, : target.shape[1]]
        for attn, ff in zip(self.attns, self.ffs):
            target = target + attn(target, source, source)
            target = target + ff(target)
        return self.norm(target)


class CLUBEstimator(nn.Module):
    """q_theta(c | s): a BiLSTM over the specific sequence (d/2 per direction), then FC-ReLU-FC
    heads giving mu and a tanh-bounded log sigma^2 at every time step."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.lstm = nn.LSTM(dim, dim // 2, batch_first=True, bidirectional=True)
        self.mu = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, dim))
        self.logvar = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, dim), nn.Tanh())

    def forward(self, s: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h, _ = self.lstm(s)
        return self.mu(h), self.logvar(h)


def club_log_likelihood(mu: torch.Tensor, logvar: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """Mean over samples and time of the Gaussian log-likelihood of c, summed over dimensions."""
    ll = -0.5 * ((c - mu) ** 2 / logvar.exp() + logvar + math.log(2 * math.pi))
    return ll.sum(-1).mean()


def club_upper_bound(mu: torch.Tensor, logvar: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """mean_i[ log q(c_i|s_i) - mean_j log q(c_j|s_i) ] (eq. 9), j over the batch including i.

    The log sigma^2 and 2 pi terms cancel in the difference; mean_j (c_j - mu_i)^2 is
    (mean_j c_j - mu_i)^2 + var_j c_j, which avoids the B x B x t x d pairwise tensor.
    """
    inv_var = 0.5 / logvar.exp()
    positive = -((c - mu) ** 2) * inv_var
    c_mean = c.mean(dim=0, keepdim=True)
    c_var = c.var(dim=0, unbiased=False, keepdim=True)
    negative = -((c_mean - mu) ** 2 + c_var) * inv_var
    return (positive - negative).sum(-1).mean()


def info_nce(
    z: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor, temperature: float, positive_in_denominator: bool
) -> torch.Tensor:
    """InfoNCE over cosine similarities: z [N, d], boolean pair masks [N, N].

    Each positive pair (a, p) costs -log(exp(s_ap/tau) / [exp(s_ap/tau) + sum_neg exp(s_an/tau)])
    (or without the positive term in the denominator); the mean is over all positive pairs whose
    anchor has at least one negative. Zero when there is none (a batch of one).
    """
    z = F.normalize(z, dim=-1)
    sim = z @ z.T / temperature
    neg_lse = sim.masked_fill(~negative, float("-inf")).logsumexp(dim=1, keepdim=True)  # [N, 1]
    pairs = positive & negative.any(dim=1, keepdim=True)
    if not pairs.any():
        return sim.sum() * 0.0
    # -log(e^s / (e^s + e^lse)) with the positive in the denominator, else -log(e^s / e^lse)
    per_pair = F.softplus(neg_lse - sim) if positive_in_denominator else neg_lse - sim
    return per_pair[pairs].mean()


def mlp(d_in: int, d_hidden: int, d_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_in, d_hidden), nn.GELU(), nn.Linear(d_hidden, d_out))


# -- the model ------------------------------------------------------------------------------------


class DAR(MSAModel):
    spec = SPEC

    def __init__(self, config: DARConfig, text_encoder: nn.Module) -> None:
        super().__init__()
        self.config = config
        dims, d, t = config.dims, config.d, config.tokens
        heads, dh = config.heads, config.dim_head
        self.text_encoder = text_encoder

        def encoder(depth: int) -> Transformer:
            return Transformer(num_frames=t, depth=depth, dim=d, heads=heads, dim_head=dh)

        def per_modality(make) -> nn.ModuleList:
            return nn.ModuleList(make() for _ in MODALITIES)

        # Decouple: alignment (text after the fine-tuned text encoder), E_c, E_s, D^re.
        self.align = nn.ModuleList(
            Alignment(d_in, n, t, d, config.alignment)
            for d_in, n in (
                (config.text_hidden, dims.text_len),
                (dims.audio_dim, dims.audio_len),
                (dims.vision_dim, dims.vision_len),
            )
        )
        self.common_encoders = per_modality(lambda: encoder(config.encoder_depth))
        self.specific_encoders = per_modality(lambda: encoder(config.encoder_depth))
        self.restore_decoders = per_modality(lambda: mlp(3 * d, d, d))  # [A25] D^re: 3d -> d
        self.club = per_modality(lambda: CLUBEstimator(d))
        # Reconstruct: E_com (Linear(3d -> d) + transformer, [A26]), E_spec, D^rec ([A27]), gates.
        self.common_mix = per_modality(lambda: nn.Linear(3 * d, d))
        self.common_reconstructors = per_modality(lambda: encoder(config.reconstruct_depth))
        self.specific_reconstructors = per_modality(lambda: encoder(config.reconstruct_depth))
        self.recouple_decoders = per_modality(lambda: mlp(2 * d, d, d))
        self.common_gates = per_modality(lambda: nn.Linear(2 * d, d))
        self.specific_gates = per_modality(lambda: nn.Linear(2 * d, d))
        # Fuse: a shared self-attention encoder ([A29]), two cross-modal blocks per target
        # (sources in text, audio, vision order, skipping the target), the heads.
        self.common_fusion = encoder(config.fusion_depth)
        self.cross_blocks = nn.ModuleList(
            nn.ModuleList(CrossModalBlock(t, config.cross_depth, d, heads, dh) for _ in range(2)) for _ in MODALITIES
        )
        self.head = nn.Sequential(nn.Linear(9 * d, d), nn.ReLU(), nn.Linear(d, 1))
        self.boot_head = nn.Sequential(nn.Linear(3 * d, d), nn.ReLU(), nn.Linear(d, 1))

    # -- decouple -----------------------------------------------------------------------------

    def aligned(
        self,
        text: torch.Tensor,
        audio: torch.Tensor,
        vision: torch.Tensor,
        lengths: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> list[torch.Tensor]:
        """U^1 per modality (text, audio, vision): [B, t, d] each. ``lengths`` (audio, vision)
        mark their padding for the masked and pooled alignments (without them every frame counts as
        real); the text's padding is its attention mask."""
        keep: list[torch.Tensor | None] = [text[:, 1], None, None]
        if lengths is not None:
            keep[1:] = [
                torch.arange(x.shape[1], device=x.device)[None, :] < n.to(x.device)[:, None]
                for x, n in zip((audio, vision), lengths)
            ]
        return [align(x, k) for align, x, k in zip(self.align, (self.text_encoder(text), audio, vision), keep)]

    def decouple(self, u: Sequence[torch.Tensor]) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """(H^com, H^spec) per modality."""
        common = [enc(x) for enc, x in zip(self.common_encoders, u)]
        specific = [enc(x) for enc, x in zip(self.specific_encoders, u)]
        return common, specific

    def similarity_loss(self, common: list[torch.Tensor], specific: list[torch.Tensor]) -> torch.Tensor:
        """L_sim = L_sim^com + L_sim^spec on time-averaged features ([A24] pairs):
        common: positives = same sample, other modality; negatives = other samples, any modality.
        specific: positives = same modality, other samples; negatives = other modalities, any sample.
        """
        b = common[0].shape[0]
        device = common[0].device
        sample = torch.arange(b, device=device).repeat(len(MODALITIES))
        modality = torch.arange(len(MODALITIES), device=device).repeat_interleave(b)
        same_sample = sample[:, None] == sample[None, :]
        same_modality = modality[:, None] == modality[None, :]
        tau, in_denominator = self.config.temperature, self.config.positive_in_denominator
        z_com = torch.cat([h.mean(dim=1) for h in common])
        z_spec = torch.cat([h.mean(dim=1) for h in specific])
        loss_com = info_nce(z_com, same_sample & ~same_modality, ~same_sample, tau, in_denominator)
        loss_spec = info_nce(z_spec, same_modality & ~same_sample, ~same_modality, tau, in_denominator)
        return loss_com + loss_spec

    def frozen_club(self, index: int, s: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """q_theta evaluated with detached parameters: the main loss reaches s (and c) but never the
        CLUB network, which only its own alternating step trains."""
        net = self.club[index]
        params = {name: p.detach() for name, p in net.named_parameters()}
        return functional_call(net, params, (s,))

    def difference_loss(self, common: list[torch.Tensor], specific: list[torch.Tensor]) -> torch.Tensor:
        """L_diff = sum_m CLUB(H^spec_m; H^com_m), q_theta frozen."""
        bounds = [club_upper_bound(*self.frozen_club(i, s), c) for i, (c, s) in enumerate(zip(common, specific))]
        if self.config.club_nonnegative:
            bounds = [bound.clamp(min=0.0) for bound in bounds]
        return cast(torch.Tensor, sum(bounds))  # a tensor: three terms

    def restoration_loss(self, u: list[torch.Tensor], common: list[torch.Tensor], specific: list[torch.Tensor]) -> torch.Tensor:
        """L_re = sum_m MSE(U~^1_m, D^re_m([H~^com of the other two ; H~^spec_m])) (eqs. 10-11)."""
        loss: torch.Tensor | float = 0.0
        for m, decoder in enumerate(self.restore_decoders):
            others = [common[o] for o in range(len(MODALITIES)) if o != m]
            loss = loss + F.mse_loss(decoder(torch.cat([*others, specific[m]], dim=-1)), u[m])
        return cast(torch.Tensor, loss)  # a tensor: three terms

    # -- reconstruct --------------------------------------------------------------------------

    def reconstruct(self, common: list[torch.Tensor], specific: list[torch.Tensor]) -> tuple[list[torch.Tensor], ...]:
        """(H^com hat, H^spec hat, U^1 hat) per modality (eqs. 12-14)."""
        all_common = torch.cat(common, dim=-1)
        common_hat = [enc(mix(all_common)) for mix, enc in zip(self.common_mix, self.common_reconstructors)]
        specific_hat = [enc(s) for enc, s in zip(self.specific_reconstructors, specific)]
        u_hat = [dec(torch.cat([c, s], dim=-1)) for dec, c, s in zip(self.recouple_decoders, common_hat, specific_hat)]
        return common_hat, specific_hat, u_hat

    @staticmethod
    def gate(linear: nn.Module, reconstructed: torch.Tensor, original: torch.Tensor) -> torch.Tensor:
        """H_fused = g * H_hat + (1 - g) * H_tilde, g = sigmoid(W [H_hat; H_tilde] + b) (eqs. 15-16)."""
        g = torch.sigmoid(linear(torch.cat([reconstructed, original], dim=-1)))
        return g * reconstructed + (1 - g) * original

    # -- fuse ---------------------------------------------------------------------------------

    def fuse(self, common: list[torch.Tensor], specific: list[torch.Tensor]) -> torch.Tensor:
        """h^com (3d, last step of the shared encoder per modality) and h^spec (6d, last step of
        each source -> target block), then the head: the prediction [B]."""
        b = common[0].shape[0]
        h_com = self.common_fusion(torch.cat(common))[:, -1]  # one pass over the 3B streams
        h_com = torch.cat(h_com.split(b), dim=-1)
        h_spec = []
        for target, blocks in enumerate(self.cross_blocks):
            sources = [s for m, s in enumerate(specific) if m != target]
            h_spec += [block(source, specific[target])[:, -1] for block, source in zip(cast(nn.ModuleList, blocks), sources)]
        return self.head(torch.cat([h_com, *h_spec], dim=-1)).squeeze(-1)

    # -- forward ------------------------------------------------------------------------------

    def forward(self, inputs: ModelInput, stage: int | None = None) -> ModelOutput:
        b = inputs.batch_size
        u: Sequence[torch.Tensor]  # tuples from zip, or lists
        common: Sequence[torch.Tensor]
        specific: Sequence[torch.Tensor]
        if inputs.has_complete:
            assert inputs.complete_text is not None and inputs.complete_audio is not None and inputs.complete_vision is not None
            # The complete input goes through the SAME alignment and encoders; one pass over the
            # batch concatenation is the same function as two passes, and cheaper.
            both = self.aligned(
                torch.cat([inputs.text, inputs.complete_text]),
                torch.cat([inputs.audio, inputs.complete_audio]),
                torch.cat([inputs.vision, inputs.complete_vision]),
                (torch.cat([inputs.audio_lengths] * 2), torch.cat([inputs.vision_lengths] * 2)),
            )
            both_common, both_specific = self.decouple(both)
            u, full_u = zip(*(x.split(b) for x in both))
            common, full_common = zip(*(x.split(b) for x in both_common))
            specific, full_specific = zip(*(x.split(b) for x in both_specific))
        else:
            u = self.aligned(inputs.text, inputs.audio, inputs.vision, (inputs.audio_lengths, inputs.vision_lengths))
            common, specific = self.decouple(u)

        common_hat, specific_hat, u_hat = self.reconstruct(list(common), list(specific))
        fused_common = [self.gate(g, h, x) for g, h, x in zip(self.common_gates, common_hat, common)]
        fused_specific = [self.gate(g, h, x) for g, h, x in zip(self.specific_gates, specific_hat, specific)]
        prediction = self.fuse(fused_common, fused_specific)

        losses = {
            "sim": self.similarity_loss(list(common), list(specific)),
            "diff": self.difference_loss(list(common), list(specific)),
            "re": self.restoration_loss(list(u), list(common), list(specific)),
        }
        if inputs.has_complete:
            losses["recon"] = self.recon_loss((common_hat, specific_hat, u_hat), (full_common, full_specific, full_u))
        if inputs.labels is not None:
            labels = inputs.labels.to(prediction.dtype)
            losses["task"] = self.task_loss(prediction, labels)
            if inputs.has_complete:
                # Boot head on the complete-input common features, mean-pooled, concatenated (3d).
                # Never detached: it is there to make the encoders learn useful features.
                boot = self.boot_head(torch.cat([h.mean(dim=1) for h in full_common], dim=-1)).squeeze(-1)
                losses["boot"] = self.task_loss(boot, labels)
        return ModelOutput(
            prediction=prediction,
            integrity=None,
            dominant=None,
            losses=losses,
            loss=self.total_loss(losses) if inputs.labels is not None else None,
        )

    def recon_loss(self, reconstructed: tuple, targets: tuple) -> torch.Tensor:
        """L_recon = sum_m [MSE(H^com hat, H^com) + MSE(H^spec hat, H^spec) + MSE(U^1 hat, U^1)]
        against the complete input's features (eq. 17); detached only with stop_gradient_targets."""
        loss: torch.Tensor | float = 0.0
        for hats, fulls in zip(reconstructed, targets):
            for hat, full in zip(hats, fulls):
                loss = loss + F.mse_loss(hat, full.detach() if self.config.stop_gradient_targets else full)
        return cast(torch.Tensor, loss)  # a tensor: nine terms

    def task_loss(self, prediction: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return F.l1_loss(prediction, labels) if self.config.task_loss == "l1" else F.mse_loss(prediction, labels)

    def total_loss(self, losses: dict[str, torch.Tensor]) -> torch.Tensor:
        """L_task + alpha (lambda (L_sim + L_diff) + L_re) + beta L_recon (eqs. 2, 23, 24), over the
        terms the inputs allow (no boot or recon without the complete input)."""
        c = self.config
        zero = losses["task"].new_zeros(())
        decouple = c.lambda_ * (losses["sim"] + losses["diff"]) + losses["re"]
        return losses["task"] + losses.get("boot", zero) + c.alpha * decouple + c.beta * losses.get("recon", zero)

    # -- the CLUB networks' own step ----------------------------------------------------------

    def auxiliary_parameters(self) -> list[nn.Parameter]:
        return list(self.club.parameters())

    def auxiliary_loss(self, inputs: ModelInput) -> torch.Tensor:
        """Negative log-likelihood of q_theta(H~^com | H~^spec), summed over modalities, on detached
        features of the incomplete input: minimising it trains only the CLUB networks."""
        with torch.no_grad():
            common, specific = self.decouple(
                self.aligned(inputs.text, inputs.audio, inputs.vision, (inputs.audio_lengths, inputs.vision_lengths))
            )
        return -cast(
            torch.Tensor,
            sum(
                club_log_likelihood(*cast(tuple[torch.Tensor, torch.Tensor], net(s)), c)
                for net, c, s in zip(self.club, common, specific)
            ),
        )

    # -- inference in two parts (the probe, evaluation) ---------------------------------------

    def embed_modality(self, m: int, inputs: ModelInput) -> tuple[torch.Tensor, ...]:
        """(H^com_m, gated H^spec_m) [B,t,d] each: the aligned modality through its own E_c and
        E_s, and the specific stream already reconstructed by its own E_spec and gated (eqs. 13,
        16), which involve no other modality."""
        if m == 0:
            u = self.align[0](self.text_encoder(inputs.text), inputs.text[:, 1])
        else:
            x, n = (inputs.audio, inputs.audio_lengths) if m == 1 else (inputs.vision, inputs.vision_lengths)
            keep = torch.arange(x.shape[1], device=x.device)[None, :] < n.to(x.device)[:, None]
            u = self.align[m](x, keep)
        specific = self.specific_encoders[m](u)
        return self.common_encoders[m](u), self.gate(self.specific_gates[m], self.specific_reconstructors[m](specific), specific)

    def forward_from_embeddings(self, stages) -> ModelOutput:
        """Reconstruct the common streams from all three (eq. 12; the re-coupling decoder D^rec
        only serves L_recon), gate and fuse: the prediction, without the decoupling losses
        :meth:`forward` also computes."""
        common = [stage[0] for stage in stages]
        all_common = torch.cat(common, dim=-1)
        common_hat = [enc(mix(all_common)) for mix, enc in zip(self.common_mix, self.common_reconstructors)]
        fused_common = [self.gate(g, h, x) for g, h, x in zip(self.common_gates, common_hat, common)]
        return ModelOutput(prediction=self.fuse(fused_common, [stage[1] for stage in stages]), integrity=None, dominant=None)
