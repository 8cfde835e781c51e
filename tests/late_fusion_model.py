"""A fourth model in one file: late fusion of three mean-pooled modalities by an MLP.

It is here to show what adding a model takes (README.md -> Architecture): this module (config,
model, spec) plus one registry line, ``register_model(SPEC)`` (tests/test_fourth_model.py).
Nothing else in the tool names it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from core.data.dataset import FeatureDims
from core.models.base import ModelInput, ModelOutput, MSAModel
from core.models.spec import ModelSpec

SPEC = ModelSpec(
    name="late-fusion",
    display_name="Late fusion",
    model="tests.late_fusion_model:LateFusion",
    config="tests.late_fusion_model:LateFusionConfig",
    protocol="ifusion",  # trains on Senti-iFusion's masks; selects at its validation setting
    paper={"seed": 1111, "epochs": 50, "select_on": "MAE", "patience": None, "patience_stage": 1},
    demo={"epochs": 4, "lr": 1e-3, "model_overrides": {}},
    tiny={"hidden": 16},
    integrity_note="Late fusion does not estimate integrity",
)


@dataclass
class LateFusionConfig:
    dims: FeatureDims
    text_hidden: int = 768
    hidden: int = 32

    def __post_init__(self) -> None:
        if isinstance(self.dims, dict):  # a checkpoint stores the config as plain dicts
            self.dims = FeatureDims(**self.dims)

    @classmethod
    def for_dataset(cls, family: str, dims: FeatureDims, text_hidden: int) -> LateFusionConfig:
        return cls(dims=dims, text_hidden=text_hidden)


def masked_mean(x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """Mean over the kept time steps [B,T,d] -> [B,d] (zeros where none is kept)."""
    weights = keep.to(x.dtype)[..., None]
    return (x * weights).sum(1) / weights.sum(1).clamp(min=1.0)


class LateFusion(MSAModel):
    spec = SPEC

    def __init__(self, config: LateFusionConfig, text_encoder: nn.Module) -> None:
        super().__init__()
        self.config = config
        self.text_encoder = text_encoder
        sizes = (config.text_hidden, config.dims.audio_dim, config.dims.vision_dim)
        self.projections = nn.ModuleList(nn.Sequential(nn.Linear(size, config.hidden), nn.ReLU()) for size in sizes)
        self.head = nn.Sequential(nn.Linear(3 * config.hidden, config.hidden), nn.ReLU(), nn.Linear(config.hidden, 1))

    def embed_modality(self, m: int, inputs: ModelInput) -> tuple[torch.Tensor, ...]:
        if m == 0:
            pooled = masked_mean(self.text_encoder(inputs.text), inputs.text[:, 1] != 0)
        else:
            x, lengths = (inputs.audio, inputs.audio_lengths) if m == 1 else (inputs.vision, inputs.vision_lengths)
            keep = torch.arange(x.shape[1], device=x.device)[None, :] < lengths.to(x.device)[:, None]
            pooled = masked_mean(x, keep)
        return (self.projections[m](pooled),)

    def forward_from_embeddings(self, stages: Sequence[tuple[torch.Tensor, ...]]) -> ModelOutput:
        return ModelOutput(prediction=self.head(torch.cat([stage[0] for stage in stages], dim=-1)).squeeze(-1))

    def forward(self, inputs: ModelInput, stage: int | None = None) -> ModelOutput:
        output = self.forward_from_embeddings([self.embed_modality(m, inputs) for m in range(3)])
        if inputs.labels is not None:
            task = F.mse_loss(output.prediction, inputs.labels.to(output.prediction.dtype))
            output.losses, output.loss = {"task": task}, task
        return output
