"""Staged training: a model whose spec has ``stages > 1`` (Senti-iFusion: integrity estimation
first, docs/models.md §3.5 / [A18]) names each stage's parameters and words itself
(``stage_parameters``, ``describe_stage``, ``stage_of_epoch``); nothing here knows a model.

How a frozen parameter stays *exactly* unchanged, weight decay included: entering a stage sets
``requires_grad`` to True only on the parameters the model lists for that stage
(``model.stage_parameters(stage)``) and False on every other parameter of the main optimiser.
Autograd then never gives a frozen parameter a gradient, so its ``.grad`` stays ``None`` (the
trainer zeroes with ``set_to_none=True``), and ``torch.optim.AdamW`` skips a parameter whose
grad is None entirely: no decoupled weight decay, no moment update, no step count. One
optimiser spans all stages, so the schedule runs on without a restart ([A19]) and a parameter
joining in stage 2 starts with fresh Adam moments, as if the optimiser were rebuilt.

Parameters that never train stay frozen whatever the stage: those built with
``requires_grad=False`` (BERT's unused pooler; the whole text encoder under ``--freeze-text``).
The auxiliary parameters (the spec's ``auxiliary`` part, e.g. DAR's CLUB networks) belong to their
own optimiser and are left alone.
"""

from __future__ import annotations

from torch import nn

from core.models.base import MSAModel


def describe_stage(model: MSAModel, stage: int) -> str:
    return model.describe_stage(stage)


def stage_plan(model: MSAModel, epochs: int) -> list[dict]:
    """``[{"stage", "first_epoch", "last_epoch", "description"}]`` for the run's epochs."""
    plan: list[dict] = []
    for epoch in range(1, epochs + 1):
        stage = model.stage_of_epoch(epoch)
        if plan and plan[-1]["stage"] == stage:
            plan[-1]["last_epoch"] = epoch
        else:
            plan.append({"stage": stage, "first_epoch": epoch, "last_epoch": epoch, "description": describe_stage(model, stage)})
    return plan


def enter_stage(model: MSAModel, stage: int, main_parameters: list[nn.Parameter]) -> int:
    """Let exactly the stage's parameters among ``main_parameters`` receive gradients.

    ``main_parameters`` are the parameters the main optimiser holds (trainable when built, not
    auxiliary). Returns how many of them train in this stage.
    """
    in_stage = {id(p) for p in model.stage_parameters(stage)}
    for p in main_parameters:
        p.requires_grad_(id(p) in in_stage)
    return sum(1 for p in main_parameters if p.requires_grad)
