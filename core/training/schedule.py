"""The per-epoch learning-rate schedule of docs/models.md §2.4: linear warm-up, then cosine to 0.

LNLN's official code chains a ``GradualWarmupScheduler`` (``total_epoch = 0.1·n``) into a
``CosineAnnealingLR`` (``T_max = 0.9·n``) and steps it once per epoch. Its values have a closed
form, which this module computes directly (checked against the official classes to 1e-19):

    i = epoch - 1                      (0-based)
    i <= W:  lr = base · i / W         (epoch 1 runs at lr 0; epoch W+1 at base)
    i >  W:  lr = base · ½(1 + cos(π · (i - W - 1) / (E - W)))

The chained schedulers repeat the base rate once (epochs W+1 and W+2 both run at ``base``);
the closed form keeps that quirk so our LNLN sees the same rates as the official one.
Because the rate is a pure function of the epoch, the scheduler's state is just its settings,
and resuming is exact.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch


@dataclass
class WarmupCosine:
    base_lr: float
    epochs: int
    warmup_epochs: int

    def lr_at(self, epoch: int) -> float:
        """Learning rate of 1-based ``epoch``."""
        i = epoch - 1
        if self.warmup_epochs > 0 and i <= self.warmup_epochs:
            return self.base_lr * i / self.warmup_epochs
        offset = 1 if self.warmup_epochs > 0 else 0  # the repeated base epoch, see module doc
        span = max(1, self.epochs - self.warmup_epochs)
        return self.base_lr * 0.5 * (1.0 + math.cos(math.pi * (i - self.warmup_epochs - offset) / span))

    def apply(self, optimizer: torch.optim.Optimizer, epoch: int) -> float:
        """Set every param group of ``optimizer`` to the rate of ``epoch`` (times the group's
        ``lr_scale``, when it has one: a model's per-part multiplier); return the base rate."""
        lr = self.lr_at(epoch)
        for group in optimizer.param_groups:
            group["lr"] = lr * group.get("lr_scale", 1.0)
        return lr

    def state_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_state_dict(cls, state: dict) -> WarmupCosine:
        return cls(**state)


def scaled_warmup(epochs: int, fraction: float = 0.1) -> int:
    """LNLN's warm-up is 10% of the epochs (20 of 200); short runs keep the proportion."""
    return max(1, round(epochs * fraction)) if epochs > 1 else 0
