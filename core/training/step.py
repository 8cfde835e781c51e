"""One optimisation step, as the trainer takes it (and the speed benchmark and tests time it).

DAR's CLUB networks take their own step first, on detached features; then the model's loss of
the current stage is back-propagated and the main optimiser steps. The main loss reaches the CLUB
networks too, which is not their update, so their gradients are cleared again afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import cast

import torch
from torch import nn

from core.models.base import ModelInput, ModelOutput, MSAModel
from core.runtime.memory import keep_freed_memory


def optimisation_step(
    model: nn.Module,
    batch: ModelInput,
    stage: int,
    optimizer: torch.optim.Optimizer,
    aux_optimizer: torch.optim.Optimizer | None = None,
    *,
    raw_model: MSAModel | None = None,
    autocast: Callable[[], AbstractContextManager] = nullcontext,
    dropout: Callable[[], AbstractContextManager] = nullcontext,
    sync_auxiliary: Callable[[], None] | None = None,
) -> tuple[ModelOutput, torch.Tensor | None]:
    """Returns the model's output and DAR's auxiliary loss (None without an auxiliary optimiser).

    ``model`` may be a DistributedDataParallel wrapper; ``raw_model`` is then the model inside it
    (the auxiliary loss is not a forward pass). ``sync_auxiliary`` averages the auxiliary
    gradients across processes before their step. ``dropout`` is where the forward passes draw
    their dropout masks (core/runtime/dropout.py; the backward pass reuses the saved masks).
    """
    keep_freed_memory(large_buffers=True)  # once per process: no page faults on every step's buffers
    aux_loss = None
    if aux_optimizer is not None:
        aux_optimizer.zero_grad(set_to_none=True)
        with autocast(), dropout():
            aux_loss = (raw_model or cast(MSAModel, model)).auxiliary_loss(batch)  # model is the MSAModel when not wrapped
        assert aux_loss is not None  # a model with auxiliary parameters has an auxiliary loss
        aux_loss.backward()
        if sync_auxiliary is not None:
            sync_auxiliary()
        aux_optimizer.step()

    with autocast(), dropout():
        output = model(batch, stage=stage)
    output.loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    if aux_optimizer is not None:
        aux_optimizer.zero_grad(set_to_none=True)
    return output, aux_loss
