"""Opening a checkpoint for inference: the file (``torch.load(weights_only=True)``, checked) and
its model in eval mode.

The checkpoint format is written by training (:mod:`core.training.checkpoint`, where it is
defined and versioned); everything that only *reads* checkpoints -- the probe, evaluation, the
per-utterance export -- imports it from here.
"""

from __future__ import annotations

from core.training.checkpoint import Checkpoint, build_model_from_checkpoint, check_dims, load_checkpoint

__all__ = ["Checkpoint", "build_model_from_checkpoint", "check_dims", "load_checkpoint"]
