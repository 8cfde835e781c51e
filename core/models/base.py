"""What every model takes and gives: one input type, one output type, one base class.

The trainer, the evaluator and the probe only ever talk to a model through these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
from torch import nn

from core.models.spec import ModelSpec


@dataclass
class ModelInput:
    """A batch, already masked.

    ``text`` is long [B,3,L] (ids, attention mask, segment ids); ``audio``/``vision`` float
    [B,T,d]. ``integrity`` is the ground truth [B,3] (nominal 1 - r, order text/audio/vision) and
    ``labels`` the sentiment [B]; both are optional so that pure inference works.
    ``integrity_expected`` [B,3] (training only) is E[1 - r | k of n erasable positions kept] under
    r ~ U(0,1), (k + 1) / (n + 2), and 0 for a dropped modality: the same minimiser as the nominal
    integrity for an MSE, without the coin's noise (an option of Senti-iFusion's L_ie). The
    ``complete_*`` tensors are the unmasked inputs, needed only for the training losses; evaluation
    runs without them.
    """

    text: torch.Tensor
    audio: torch.Tensor
    vision: torch.Tensor
    audio_lengths: torch.Tensor
    vision_lengths: torch.Tensor
    integrity: torch.Tensor | None = None
    labels: torch.Tensor | None = None
    integrity_expected: torch.Tensor | None = None
    complete_text: torch.Tensor | None = None
    complete_audio: torch.Tensor | None = None
    complete_vision: torch.Tensor | None = None

    @property
    def has_complete(self) -> bool:
        return self.complete_text is not None

    @property
    def batch_size(self) -> int:
        return int(self.text.shape[0])

    def to(self, device: torch.device | str, non_blocking: bool = False) -> ModelInput:
        moved = {
            name: (value.to(device, non_blocking=non_blocking) if isinstance(value, torch.Tensor) else value)
            for name, value in self.__dict__.items()
        }
        return ModelInput(**moved)


@dataclass
class ModelOutput:
    """One output type for all three models.

    - ``prediction`` [B]: the sentiment score.
    - ``integrity`` [B,3] or None: the model's estimate per modality; NaN where the model does not
      estimate that modality (LNLN estimates language only; DAR none -> None).
    - ``dominant`` long [B] or None: index of the dominant modality (0 text, 1 audio, 2 vision);
      LNLN is always 0; DAR has none -> None.
    - ``losses``: named, *unweighted* loss terms (only those computable from the given inputs).
    - ``loss``: the weighted total for the current stage, or None when no labels were given.
    """

    prediction: torch.Tensor
    integrity: torch.Tensor | None = None
    dominant: torch.Tensor | None = None
    losses: dict[str, torch.Tensor] = field(default_factory=dict)
    loss: torch.Tensor | None = None


class MSAModel(nn.Module):
    """Base class: the registry builds subclasses by :attr:`name`.

    Subclasses set the class attributes and implement :meth:`forward`. Staged training
    (Senti-iFusion) overrides :meth:`stage_parameters`; a model with a separately optimised part
    (DAR's CLUB variational network) overrides :meth:`auxiliary_parameters` and
    :meth:`auxiliary_loss`, which the trainer steps with its own optimiser *before* the main step.

    Inference can also run in two parts (the probe and ``senti-tui eval`` use them to reuse the
    work of a modality whose mask did not change): :meth:`embed_modality` computes everything
    the model derives from one modality alone, and :meth:`forward_from_embeddings` the rest of
    the eval-mode forward pass from the three modalities' parts. Together they give the
    prediction, integrity and dominant modality of :meth:`forward` (eval mode, no labels).
    """

    # A subclass sets ``spec`` (its SPEC); name and capabilities are read from it, never restated.
    spec: ClassVar[ModelSpec | None] = None
    name: ClassVar[str] = ""
    estimates_integrity: ClassVar[tuple[bool, bool, bool]] = (False, False, False)
    has_dominant: ClassVar[bool] = False
    num_stages: ClassVar[int] = 1
    config: Any  # the subclass's config dataclass
    text_encoder: nn.Module  # every model reads text through one (train.text_lr gives it its own rate)

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        spec = cls.__dict__.get("spec")
        if spec is not None:
            cls.name, cls.estimates_integrity, cls.has_dominant = spec.name, spec.estimates_integrity, spec.has_dominant
            cls.num_stages = spec.stages

    def forward(self, inputs: ModelInput, stage: int | None = None) -> ModelOutput:  # pragma: no cover
        raise NotImplementedError

    def embed_modality(self, m: int, inputs: ModelInput) -> tuple[torch.Tensor, ...]:  # pragma: no cover
        """Modality ``m``'s (0 text, 1 audio, 2 vision) per-modality stage of the eval forward
        pass: a tuple of tensors whose first dimension is the batch, a pure function of that
        modality's (masked) input and lengths, so it may be computed per sample and cached."""
        raise NotImplementedError

    def forward_from_embeddings(self, stages: Sequence[tuple[torch.Tensor, ...]]) -> ModelOutput:  # pragma: no cover
        """The rest of the eval forward pass from the three :meth:`embed_modality` stages (text,
        audio, vision): prediction, integrity and dominant as :meth:`forward` gives them; no
        losses."""
        raise NotImplementedError

    def rows_independent(self) -> bool:
        """True when a sample's eval-mode output depends on that sample alone, not on the rest
        of its batch (Senti-iFusion's per-batch dominant modality, eq. 15, is the exception): the
        probe then re-predicts only the rows a setting changed."""
        return True

    def training_protocol_problem(self, intra_uniform_range: tuple[float, float] | None) -> str | None:
        """Why this model cannot train under a protocol whose intra rates are drawn
        r ~ U(``intra_uniform_range``) (None: by another law), or None when it can."""
        return None

    def stage_of_epoch(self, epoch: int) -> int:
        """Training stage (1-based) of a 1-based epoch. Single-stage models are always in stage 1."""
        return 1

    def stage_parameters(self, stage: int) -> list[nn.Parameter]:
        """Parameters the main optimiser updates in ``stage`` (all but the auxiliary ones)."""
        auxiliary = {id(p) for p in self.auxiliary_parameters()}
        return [p for p in self.parameters() if id(p) not in auxiliary]

    def describe_stage(self, stage: int) -> str:
        """What trains in ``stage``, for the training panes and ``config.json``."""
        return "single stage: all parameters" if self.num_stages == 1 else f"stage {stage}"

    def lr_scales(self) -> dict[int, float]:
        """Learning-rate multipliers by parameter id (``id(p)``); a parameter not listed trains at
        the base rate. None by default."""
        return {}

    def auxiliary_parameters(self) -> list[nn.Parameter]:
        return []

    @property
    def auxiliary_lr(self) -> float | None:
        """Learning rate of the auxiliary part's own optimiser (the spec names the config option)."""
        auxiliary = self.spec.auxiliary if self.spec is not None else None
        return None if auxiliary is None else float(getattr(self.config, auxiliary.lr_option))

    def auxiliary_loss(self, inputs: ModelInput) -> torch.Tensor | None:
        """Loss of the separately optimised part on detached features, or None."""
        return None
