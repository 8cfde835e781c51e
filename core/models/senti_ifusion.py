"""Senti-iFusion, reconstructed from its paper (docs/models.md §3, resolutions [A7]-[A19]).

Three modules on top of LNLN's embeddings (docs/models.md §2.1):

- **Integrity Estimation (IE):** one completeness head per modality estimates the integrity
  Î_m in [0, 1] of each embedded modality (eq. 2, LNLN's head with a sigmoid [A8]).
- **Integrity-weighted cross-modal Completion (IC):** shared (semantic) and private encoders
  disentangle each modality (eq. 4); a surrogate mixes a modality with the others' semantics in
  proportion to its estimated integrity (eq. 8); per-modality decoders reconstruct the complete
  embedding, checked at feature and semantic level with MSE and Deep-InfoMax MI (eqs. 9-14).
- **Integrity-guided adaptive Fusion (IF):** the modality with the highest estimated integrity
  becomes dominant (eq. 15), is refined by a 2-layer encoder (eq. 16) and queries the other two
  through three AHL-like layers (eqs. 17-18); a cross-transformer reads the prediction (eqs. 19-21).

Training runs in two stages (eq. 22, [A18] revised): stage 1 trains only the projection layers of
the modality embeddings and the IE heads ("freeze all model parameters except the projection layers
and the integrity estimation module") on α L_ie + β L_rec, the completion modules running with
frozen weights; stage 2 trains everything on α L_ie + β L_rec + γ L_pred. The first resolution
(text encoder and whole embeddings trainable in stage 1) collapsed the text pathway; it and the
other ablation variants stay options (``stage1_trainable``, ``stage1_reconstruction``,
``stage1_completion``, ``detach_targets``; docs/models.md has the figures).

Dominant selection is per batch as in the paper (default) or per sample
(``dominant_selection="sample"``), which makes a sample's prediction independent of its batch.
Both share one code path: the dominant stack and the attention over every modality are computed
for all three modalities, then each sample gathers its own dominant stream and sums its two
auxiliary streams, so batch mode on a batch of one *is* the per-sample mode.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from core.data.dataset import FeatureDims
from core.errors import ConfigError
from core.models.base import ModelInput, ModelOutput, MSAModel
from core.models.blocks import (
    D_MODEL,
    CompletenessHead,
    CrossTransformer,
    HyperLearningLayer,
    LinearIntegrityHead,
    ModalityEmbedding,
    Transformer,
    merge_heads,
    split_heads,
)
from core.models.senti_ifusion_spec import SPEC

# Prediction cross-transformer depth per data set family: as LNLN's configs, 2 for MOSI and 4 for
# MOSEI/SIMS (docs/models.md §3.4); small data sets follow MOSI.
PREDICTION_DEPTH = {"mosi": 2, "synthetic": 2, "text-only": 2, "mosei": 4, "sims": 4}
DOMINANT_SELECTIONS = ("batch", "sample")
# The three cross-modal pairs of the similarity loss (eq. 5): (l, a), (l, v), (a, v).
PAIRS = ((0, 1), (0, 2), (1, 2))
# Reconstruction terms that need the complete inputs, with their config weight names (eq. 14, [A15]).
# What trains in stage 1 besides E^ie ([A18], revised; docs/models.md has the ablation):
# "projections" = the per-modality linear projections of E^emb (the paper's words, the default);
# "nonverbal" = those and the audio and vision embedding transformers (not the text's);
# "embeddings" = all of E^emb except the text encoder; "text_encoder" = the text encoder and all of
# E^emb (the first resolution, measured to collapse the text pathway).
STAGE1_TRAINABLE = {
    "projections": ("projection", "integrity"),
    "nonverbal": ("projection", "nonverbal_encoder", "integrity"),
    "embeddings": ("projection", "text_embedding_encoder", "nonverbal_encoder", "integrity"),
    "text_encoder": ("text_encoder", "projection", "text_embedding_encoder", "nonverbal_encoder", "integrity"),
}
PREDICTION_READOUTS = ("extra_token", "target_mean")
INTEGRITY_TARGETS = ("nominal", "expected")
INTEGRITY_HEADS = ("completeness", "linear")
DECODER_TERMS = {
    "rec_f_mse": "weight_f_mse",
    "rec_f_mi": "weight_f_mi",
    "rec_s_mse": "weight_s_mse",
    "rec_s_mi": "weight_s_mi",
}


@dataclass
class SentiIFusionConfig:
    """Senti-iFusion's hyper-parameters; :meth:`for_dataset` gives the paper's for a family."""

    dims: FeatureDims
    text_hidden: int = 768
    tokens: int = 8
    # Width: the papers' d = 128 with 8 heads x 64 (LNLN's blocks). Narrower settings are a named
    # option for CPU demos (the demo preset), never the default.
    d: int = D_MODEL
    heads: int = 8
    dim_head: int = 64
    # Depth of E^s, E^p and D_m: unstated in the paper; 1 layer each keeps the budget [A9].
    completion_depth: int = 1
    # One E^s for all three modalities (the paper's "shared encoder"; also keeps the budget) [A9].
    share_semantic_encoder: bool = True
    prediction_depth: int = 2
    dominant_selection: str = "batch"  # "batch" (the paper, eq. 15) | "sample" [A16]
    detach_integrity: bool = False  # stop-gradient on Î inside the surrogate (eq. 8)
    # What the prediction head reads from E_pred's output (eq. 21): the extra token, as the paper
    # says ("extra_token", default), or LNLN's mean over the dominant-stream target tokens
    # ("target_mean"). The extra token only gathers from the fused stream, so the dominant
    # modality's content reaches it only through attention weights; the LNLN readout carries it
    # by the residual path and learns far faster (the CPU demo uses it; see checkpoints/README.md).
    prediction_readout: str = "extra_token"
    # Audio/vision frames past a sequence's length get a learned padding vector (off in the paper,
    # which, like LNLN, feeds zero padding as is). Without it an erased frame looks exactly like
    # padding, so Î_m cannot tell a short complete clip from a long erased one; the CPU demo's
    # short synthetic clips need it to reach R² >= 0.8 (see checkpoints/README.md).
    mark_padding: bool = False
    # Audio/vision padding frames as attention keys in E^emb (True: the paper, like LNLN, attends
    # to every frame). False keeps them out, so Î_m reads the share of erased frames among the
    # clip's own frames as a mean instead of a ratio diluted by a varying amount of padding
    # (an extension for the demo's short clips; docs/models.md §3.2, §8.1).
    attend_padding: bool = True
    # One more extra token in each E^emb_m whose output only E^ie reads (False: the paper, Î_m
    # from the T tokens h_m that also carry the prediction). It still takes part in E^emb's
    # attention; its own state lets counting erased positions not compete with what L_pred asks
    # of the T tokens (measured not to help: docs/models.md §8.1).
    integrity_token: bool = False
    # E^ie's form ([A8]; the paper says only "linear projection"): "completeness" = LNLN's
    # completeness check (Transformer(n=T, t=1, D=2), MLP, sigmoid), "linear" = Linear(T·d -> 1),
    # sigmoid, over the flattened tokens.
    integrity_head: str = "completeness"
    stage1_epochs: int = 40
    # Stage 1 ([A18], revised): which part of the model trains besides E^ie (STAGE1_TRAINABLE),
    # whether β L_rec is in the stage-1 loss, and whether the completion modules (E^s, E^p, D_m,
    # the MI critics) train on it or run frozen. The defaults are the ablation's choice.
    stage1_trainable: str = "projections"
    stage1_reconstruction: bool = True
    stage1_completion: bool = False
    # Stop-gradient on the reconstruction targets U_m = E^emb(complete input) and h^s_m = E^s(U_m)
    # ([A13], revised): the paper's targets are fixed data.
    detach_targets: bool = False
    # Objective, eq. 22.
    alpha: float = 0.9  # L_ie
    # Weight of the audio and vision terms inside L_ie, relative to the text term (1.0: the paper's
    # plain sum). A larger α alone also makes the text embedding serve the estimator and costs
    # text-only prediction (docs/models.md §8.1); this weighs only the audio/vision estimators up.
    nonverbal_ie_weight: float = 1.0
    # L_ie's target (eq. 3): "nominal" = 1 - r, the drawn rate (the paper's I_m); "expected" =
    # E[1 - r | the kept share] under r ~ U(0,1) (ModelInput.integrity_expected): the same
    # minimiser without the drawn rate's noise, which the input cannot show (docs/models.md §3.2).
    integrity_target: str = "nominal"
    # Learning-rate multiplier of the IE heads (1.0: one rate for the whole model, as the paper).
    integrity_lr_scale: float = 1.0
    beta: float = 0.1  # L_rec
    gamma: float = 1.0  # L_pred
    # Inside L_rec: Table IV's "cce" on L_sim, "corr" on L_diff [A11]; cross = feature level,
    # info = semantic level [A15].
    weight_sim: float = 0.05
    weight_diff: float = 0.1
    weight_f_mse: float = 0.5
    weight_f_mi: float = 0.4
    weight_s_mse: float = 0.3
    weight_s_mi: float = 0.2

    def __post_init__(self) -> None:
        # A checkpoint stores the config as plain dicts (weights_only=True loading).
        if isinstance(self.dims, dict):
            self.dims = FeatureDims(**self.dims)
        for option, choices in (
            ("dominant_selection", DOMINANT_SELECTIONS),
            ("prediction_readout", PREDICTION_READOUTS),
            ("stage1_trainable", STAGE1_TRAINABLE),
            ("integrity_head", INTEGRITY_HEADS),
            ("integrity_target", INTEGRITY_TARGETS),
        ):
            value = getattr(self, option)
            if value not in choices:
                raise ConfigError(f"senti-ifusion option {option}={value!r} is unknown: use one of {', '.join(choices)}")
        if self.stage1_epochs < 0:
            raise ConfigError(f"senti-ifusion option stage1_epochs={self.stage1_epochs} is negative: use 0 (no stage 1) or more")

    @classmethod
    def for_dataset(cls, family: str, dims: FeatureDims, text_hidden: int) -> SentiIFusionConfig:
        if family not in PREDICTION_DEPTH:
            raise ConfigError(
                f"Senti-iFusion has no configuration for data set family {family!r}: use one of {', '.join(PREDICTION_DEPTH)}"
            )
        return cls(dims=dims, text_hidden=text_hidden, prediction_depth=PREDICTION_DEPTH[family])


class MutualInformation(nn.Module):
    """Deep InfoMax's Jensen-Shannon lower bound on MI(x; y) (eqs. 9-10, [A14]).

    The critic T mean-pools x and y over their tokens, concatenates them and scores the pair with
    an MLP 2d -> d -> 1. Negatives pair x with y rolled by one sample within the batch. Returns
    E_joint[-softplus(-T)] - E_marginal[softplus(T)] (<= 0); the critic is trained jointly by
    the same loss, since the bound is maximised over T.
    """

    def __init__(self, dim: int = D_MODEL) -> None:
        super().__init__()
        self.critic = nn.Sequential(nn.Linear(2 * dim, dim), nn.ReLU(), nn.Linear(dim, 1))

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        x, y = x.mean(dim=1), y.mean(dim=1)
        joint = self.critic(torch.cat([x, y], dim=-1))
        marginal = self.critic(torch.cat([x, y.roll(1, dims=0)], dim=-1))
        return -F.softplus(-joint).mean() - F.softplus(marginal).mean()


def difference_loss(shared: torch.Tensor, private: torch.Tensor) -> torch.Tensor:
    """MISA's DiffLoss (eq. 6): tokens as rows (B*T, d), zero column means, rows divided by their
    (detached) L2 norms, then the mean squared entry of the d x d cross-covariance."""

    def normalise(x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(-1, x.shape[-1])
        x = x - x.mean(dim=0, keepdim=True)
        return x / (x.norm(p=2, dim=1, keepdim=True).detach() + 1e-6)

    return (normalise(shared).t() @ normalise(private)).pow(2).mean()


def frozen_call(module: nn.Module, *args: torch.Tensor) -> torch.Tensor:
    """Run ``module`` with its parameters treated as constants: gradients flow through it to the
    inputs but never reach (or accumulate in) its own parameters. Stage 1 runs the completion
    modules this way [A18]."""
    params = {name: p.detach() for name, p in module.named_parameters()}
    return functional_call(module, params, args)


def plain_call(module: nn.Module, *args: torch.Tensor) -> torch.Tensor:
    return module(*args)


def hyper_step(
    layer: HyperLearningLayer,
    query: torch.Tensor,
    streams: list[torch.Tensor],
    hyper: torch.Tensor,
    auxiliary: torch.Tensor,
) -> torch.Tensor:
    """One fusion layer (eq. 17) with a per-sample set of auxiliary modalities.

    Attends from ``query`` to every modality in ``streams`` with that modality's own K/V
    projections, then sums per sample only those flagged in ``auxiliary`` (float [B, 3], 1 for an
    auxiliary modality, 0 for the dominant one). Otherwise exactly
    :meth:`HyperLearningLayer.forward`, whose residual sits on LN(H_hyper) ([A2]).
    """
    q = split_heads(layer.to_q(layer.norm_query(query)), layer.heads)
    summed = cast(
        torch.Tensor, sum(layer.attend(q, stream, m) * auxiliary[:, m, None, None, None] for m, stream in enumerate(streams))
    )
    return layer.norm_hyper(hyper) + layer.to_out(merge_heads(summed))


class SentiIFusion(MSAModel):
    spec = SPEC

    def __init__(self, config: SentiIFusionConfig, text_encoder: nn.Module) -> None:
        super().__init__()
        self.config = config
        dims, t, d = config.dims, config.tokens, config.d
        width: dict[str, Any] = {"dim": d, "heads": config.heads, "dim_head": config.dim_head}
        e = t + 1 if config.integrity_token else t  # tokens out of E^emb (E^ie reads them all)
        # Embeddings, eq. 1 (BERT, then Linear + Transformer(t=8) as LNLN).
        self.text_encoder = text_encoder
        self.embeddings = nn.ModuleList(
            [
                ModalityEmbedding(config.text_hidden, dims.text_len, tokens=e, **width),
                *(
                    ModalityEmbedding(
                        dim_in, length, tokens=e, mark_padding=config.mark_padding, attend_padding=config.attend_padding, **width
                    )
                    for dim_in, length in ((dims.audio_dim, dims.audio_len), (dims.vision_dim, dims.vision_len))
                ),
            ]
        )
        # IE, eq. 2.
        self.integrity_heads = nn.ModuleList(
            CompletenessHead(tokens=e, **width) if config.integrity_head == "completeness" else LinearIntegrityHead(e, d)
            for _ in range(3)
        )
        # IC, eqs. 4-14.
        n_semantic = 1 if config.share_semantic_encoder else 3
        depth = config.completion_depth
        self.semantic_encoders = nn.ModuleList(Transformer(t, depth=depth, **width) for _ in range(n_semantic))
        self.private_encoders = nn.ModuleList(Transformer(t, depth=depth, **width) for _ in range(3))
        self.decoders = nn.ModuleList(Transformer(t, depth=depth, **width) for _ in range(3))
        self.mi_feature = nn.ModuleList(MutualInformation(d) for _ in range(3))
        self.mi_semantic = nn.ModuleList(MutualInformation(d) for _ in range(3))
        # IF, eqs. 15-21. One dominant encoder whatever the dominant modality (as LNLN's language
        # encoder); h^1 = its input + positions, h^2, h^3 = its two layer outputs.
        self.dominant_encoder = Transformer(t, depth=2, **width)
        self.hyper = nn.Parameter(torch.ones(1, t, d))  # h^0_fuse, ones as in LNLN
        self.fusion_layers = nn.ModuleList(HyperLearningLayer(num_aux=3, dim=d) for _ in range(3))
        self.predictor = CrossTransformer(t, t, depth=config.prediction_depth, **width)
        self.head = nn.Linear(d, 1)

    # ----- parameter groups and stages -------------------------------------------------------

    def parameter_groups(self) -> dict[str, list[nn.Parameter]]:
        """The model's parameters by paper module (E^emb split into its projections, the padding
        marker included, and its transformers); stage 1 trains some of them (STAGE1_TRAINABLE)."""
        modules: dict[str, list[Any]] = {  # Any: a ModuleList's items are Modules to mypy, their attributes Tensor | Module
            "text_encoder": [self.text_encoder],
            "projection": [e.proj for e in self.embeddings],
            "text_embedding_encoder": [self.embeddings[0].encoder],
            "nonverbal_encoder": [e.encoder for e in self.embeddings[1:]],
            "integrity": [self.integrity_heads],
            "completion": [self.semantic_encoders, self.private_encoders, self.decoders, self.mi_feature, self.mi_semantic],
            "fusion": [self.dominant_encoder, self.fusion_layers, self.predictor, self.head],
        }
        groups = {name: [p for m in mods for p in m.parameters()] for name, mods in modules.items()}
        groups["fusion"].insert(0, self.hyper)
        groups["projection"] += [e.padding for e in self.embeddings if e.padding is not None]
        return groups

    def lr_scales(self) -> dict[int, float]:
        scale = self.config.integrity_lr_scale
        return {} if scale == 1.0 else {id(p): scale for p in self.parameter_groups()["integrity"]}

    def training_protocol_problem(self, intra_uniform_range: tuple[float, float] | None) -> str | None:
        # ModelInput.integrity_expected is the posterior mean under r ~ U(0,1); under another law
        # of the intra rates it is the wrong target
        if self.config.integrity_target == "expected" and intra_uniform_range != (0.0, 1.0):
            return (
                "model.integrity_target=expected assumes intra rates r ~ U(0,1) (protocol ifusion with "
                "intra_low=0, intra_high=1); use model.integrity_target=nominal with this protocol"
            )
        return None

    def stage_of_epoch(self, epoch: int) -> int:
        return 1 if epoch <= self.config.stage1_epochs else 2

    def stage_parameters(self, stage: int) -> list[nn.Parameter]:
        if stage == 2:
            return list(self.parameters())
        if stage != 1:
            raise ValueError(f"Senti-iFusion has stages 1 and 2, not {stage}")
        groups = self.parameter_groups()
        names = STAGE1_TRAINABLE[self.config.stage1_trainable]
        if self.config.stage1_completion:
            names = (*names, "completion")
        return [p for name in names for p in groups[name]]

    def describe_stage(self, stage: int) -> str:
        if stage == 2:
            return "stage 2: everything (α L_ie + β L_rec + γ L_pred)"
        cfg = self.config
        parts = STAGE1_TRAINABLE[cfg.stage1_trainable] + (("completion",) if cfg.stage1_completion else ())
        loss = "α L_ie + β L_rec" if cfg.stage1_reconstruction else "α L_ie"
        names = {
            "text_encoder": "text encoder",
            "projection": "projections",
            "text_embedding_encoder": "text embedding transformer",
            "nonverbal_encoder": "audio/vision embedding transformers",
            "integrity": "IE heads",
            "completion": "completion modules",
        }
        return f"stage 1: integrity estimation ({', '.join(names[p] for p in parts)}; {loss})"

    def semantic(self, streams: list[torch.Tensor], call: Callable[..., torch.Tensor]) -> list[torch.Tensor]:
        """E^s of each modality's stream; one batched call when the encoder is shared."""
        if len(self.semantic_encoders) == 1:
            return list(call(self.semantic_encoders[0], torch.cat(streams, dim=0)).chunk(len(streams), dim=0))
        return [call(encoder, h) for encoder, h in zip(self.semantic_encoders, streams)]

    # ----- forward ---------------------------------------------------------------------------

    def forward(self, inputs: ModelInput, stage: int | None = None) -> ModelOutput:
        """``stage`` 1 or 2 selects the losses (and, via the trainer, the parameters) of that
        stage; None means the full model (stage 2), as in evaluation."""
        stage = self.num_stages if stage is None else stage
        if stage not in (1, 2):
            raise ValueError(f"Senti-iFusion has stages 1 and 2, not {stage}")
        cfg = self.config
        # Stage 1 runs the completion modules frozen (unless they train in it), so L_rec reaches
        # only the stage's own parameters.
        call = frozen_call if stage == 1 and not cfg.stage1_completion else plain_call

        embedded, targets = self.embed(inputs)
        # E^ie reads every token E^emb gives (the integrity token too, when there is one); the
        # rest of the model reads h_m, the first T
        integrity = torch.stack([head(h) for head, h in zip(self.integrity_heads, embedded)], dim=1)
        embedded = [h[:, : cfg.tokens] for h in embedded]
        if targets is not None:
            targets = [u[:, : cfg.tokens] for u in targets]
        if targets is not None and cfg.detach_targets:
            targets = [u.detach() for u in targets]
        losses: dict[str, torch.Tensor] = {}
        if inputs.integrity is not None:
            target = inputs.integrity_expected if cfg.integrity_target == "expected" else None
            truth = (inputs.integrity if target is None else target).to(integrity.dtype)
            weights = (1.0, cfg.nonverbal_ie_weight, cfg.nonverbal_ie_weight)
            losses["ie"] = cast(torch.Tensor, sum(w * F.mse_loss(integrity[:, m], truth[:, m]) for m, w in enumerate(weights)))

        shared = self.semantic(embedded, call)
        weight = integrity.detach() if cfg.detach_integrity else integrity
        surrogate = [self.surrogate(embedded, shared, weight, m) for m in range(3)]
        # Pure inference (no labels: the probe, the explorer) wants no loss, and the private
        # encoders exist only for L_diff: skip them.
        if inputs.labels is not None and (stage == 2 or cfg.stage1_reconstruction):
            losses.update(self.completion_losses(embedded, shared, surrogate, targets, call))

        if stage == 1:
            # No prediction loss in stage 1; the prediction is still given, for monitoring.
            with torch.no_grad():
                prediction, dominant = self.fuse(surrogate, integrity)
        else:
            prediction, dominant = self.fuse(surrogate, integrity)
            if inputs.labels is not None:
                losses["pred"] = F.mse_loss(prediction, inputs.labels.to(prediction.dtype))

        loss = self.total_loss(losses, stage) if inputs.labels is not None and losses else None
        return ModelOutput(prediction=prediction, integrity=integrity, dominant=dominant, losses=losses, loss=loss)

    def embed(self, inputs: ModelInput) -> tuple[list[torch.Tensor], list[torch.Tensor] | None]:
        """h_m for the (masked) input and, when given, U_m for the complete input [A13]. Both go
        through the same encoders, in one pass; the targets are not detached (as LNLN)."""
        complete = all(x is not None for x in (inputs.complete_text, inputs.complete_audio, inputs.complete_vision))
        raw = [inputs.text, inputs.audio.float(), inputs.vision.float()]
        lengths = [inputs.audio_lengths, inputs.vision_lengths]
        if complete:
            assert inputs.complete_text is not None and inputs.complete_audio is not None and inputs.complete_vision is not None
            full = [inputs.complete_text, inputs.complete_audio.float(), inputs.complete_vision.float()]
            raw = [torch.cat([x, y], dim=0) for x, y in zip(raw, full)]
            lengths = [torch.cat([n, n]) for n in lengths]
        embedded = [self.embeddings[0](self.text_encoder(raw[0]))]
        embedded += [embedding(x, n) for embedding, x, n in zip(self.embeddings[1:], raw[1:], lengths)]
        if not complete:
            return embedded, None
        b = inputs.batch_size
        return [h[:b] for h in embedded], [h[b:] for h in embedded]

    @staticmethod
    def surrogate(embedded: list[torch.Tensor], shared: list[torch.Tensor], integrity: torch.Tensor, m: int) -> torch.Tensor:
        """Eq. 8 [A12]: h̃_m = Î_m h_m + (1 - Î_m) * mean of the other two modalities' h^s."""
        others = [shared[k] for k in range(3) if k != m]
        weight = integrity[:, m, None, None]
        return weight * embedded[m] + (1 - weight) * 0.5 * (others[0] + others[1])

    def completion_losses(
        self,
        embedded: list[torch.Tensor],
        shared: list[torch.Tensor],
        surrogate: list[torch.Tensor],
        targets: list[torch.Tensor] | None,
        call: Callable[..., torch.Tensor],
    ) -> dict[str, torch.Tensor]:
        """Encoder losses (eqs. 5-7) always; decoder losses (eqs. 11-14) when the complete inputs
        give targets. Each is summed over pairs or modalities."""
        private = [call(encoder, h) for encoder, h in zip(self.private_encoders, embedded)]
        losses: dict[str, Any] = {  # Any: sums of tensors, int | Tensor to mypy
            "sim": sum((shared[x] - shared[y]).abs().mean() for x, y in PAIRS),  # L1 [A10]
            "diff": sum(difference_loss(s, p) for s, p in zip(shared, private)),
        }
        if targets is None:
            return losses
        decoded = [call(decoder, h) for decoder, h in zip(self.decoders, surrogate)]
        decoded_semantic = self.semantic(decoded, call)
        target_semantic = self.semantic(targets, call)
        if self.config.detach_targets:
            target_semantic = [h.detach() for h in target_semantic]
        losses["rec_f_mse"] = sum(F.mse_loss(u_hat, u) for u_hat, u in zip(decoded, targets))
        losses["rec_f_mi"] = -sum(call(t, u_hat, u) for t, u_hat, u in zip(self.mi_feature, decoded, targets))
        losses["rec_s_mse"] = sum(F.mse_loss(s_hat, s) for s_hat, s in zip(decoded_semantic, target_semantic))
        losses["rec_s_mi"] = -sum(call(t, s_hat, s) for t, s_hat, s in zip(self.mi_semantic, decoded_semantic, target_semantic))
        return losses

    def rows_independent(self) -> bool:
        return self.config.dominant_selection == "sample"  # per batch (eq. 15): the batch's mean Î decides

    def select_dominant(self, integrity: torch.Tensor) -> torch.Tensor:
        """Eq. 15: the modality with the highest batch-mean Î (paper), or each sample's highest Î."""
        if self.config.dominant_selection == "sample":
            return integrity.argmax(dim=1)
        return integrity.mean(dim=0).argmax().expand(integrity.shape[0]).clone()

    def fuse(self, surrogate: list[torch.Tensor], integrity: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Eqs. 15-21, vectorised over per-sample dominant modalities (no loop over samples)."""
        dominant = self.select_dominant(integrity)
        b = dominant.shape[0]
        rows = torch.arange(b, device=dominant.device)
        # Each sample's own dominant stream through the dominant encoder: h^1, h^2, h^3.
        levels = self.dominant_encoder(torch.stack(surrogate)[dominant, rows], save_hidden=True)
        auxiliary = (torch.arange(3, device=dominant.device)[None, :] != dominant[:, None]).to(surrogate[0].dtype)
        hyper = self.hyper.expand(b, -1, -1)
        for layer, query in zip(self.fusion_layers, levels):
            hyper = hyper_step(cast(HyperLearningLayer, layer), query, surrogate, hyper, auxiliary)
        # Source = fuse, target = dominant; read the extra (prepended) token's output (paper), or
        # the mean over the target tokens (LNLN's readout, an option).
        output = self.predictor(hyper, levels[-1])
        h_pred = output[:, 0] if self.config.prediction_readout == "extra_token" else output[:, 1:].mean(dim=1)
        return self.head(h_pred).squeeze(-1), dominant

    def total_loss(self, losses: dict[str, torch.Tensor], stage: int) -> torch.Tensor:
        """Eq. 22: α L_ie + β L_rec (+ γ L_pred in stage 2), over the terms present."""
        cfg = self.config
        rec_weights = {"sim": cfg.weight_sim, "diff": cfg.weight_diff}
        rec_weights.update({name: getattr(cfg, attr) for name, attr in DECODER_TERMS.items()})
        total = sum(w * losses[name] for name, w in rec_weights.items() if name in losses) * cfg.beta
        if "ie" in losses:
            total = total + cfg.alpha * losses["ie"]
        if stage == 2 and "pred" in losses:
            total = total + cfg.gamma * losses["pred"]
        return cast(torch.Tensor, total)  # a tensor: called only when some loss term is there

    # ----- inference in two parts (the probe, evaluation) ------------------------------------

    def embed_modality(self, m: int, inputs: ModelInput) -> tuple[torch.Tensor, ...]:
        """(h_m [B,t,d], Î_m [B], h^s_m [B,t,d]): modality m's embedding (eq. 1), its estimated
        integrity (eq. 2) and its semantic encoding (eq. 4), each a function of that modality
        alone. h^s_m through E^s on this modality only, where :meth:`forward` runs the shared E^s
        once over the three: the same function (equal up to float rounding)."""
        if m == 0:
            h = self.embeddings[0](self.text_encoder(inputs.text))
        else:
            x, n = (inputs.audio, inputs.audio_lengths) if m == 1 else (inputs.vision, inputs.vision_lengths)
            h = self.embeddings[m](x.float(), n)
        encoder = self.semantic_encoders[0 if len(self.semantic_encoders) == 1 else m]
        integrity = self.integrity_heads[m](h)
        h = h[:, : self.config.tokens]
        return h, integrity, encoder(h)

    def forward_from_embeddings(self, stages) -> ModelOutput:
        """Eqs. 8 and 15-21 from the three modalities' (h_m, Î_m, h^s_m)."""
        embedded = [stage[0] for stage in stages]
        integrity = torch.stack([stage[1] for stage in stages], dim=1)
        shared = [stage[2] for stage in stages]
        surrogate = [self.surrogate(embedded, shared, integrity, m) for m in range(3)]
        prediction, dominant = self.fuse(surrogate, integrity)
        return ModelOutput(prediction=prediction, integrity=integrity, dominant=dominant)
