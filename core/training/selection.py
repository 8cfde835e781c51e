"""Which epoch is "best", and when to stop early.

Two protocols (docs/models.md §2.5, [A6]):

- ``valid`` (default, honest): one checkpoint, the epoch with the best *validation* criterion —
  ``MAE`` (LNLN: the headline metric, [A5]/[A6] "clean" protocol) or ``val_loss``, the model's
  weighted training objective on the validation split at the evaluation setting (DAR's "smallest
  overall loss" [A32]; Senti-iFusion's early-stopping signal [A19]). For a staged model the
  search restarts when a stage begins: a stage-2 epoch always replaces a stage-1 one, whose
  prediction head has not been trained and whose loss has other terms.
- ``paper``: LNLN's official selection — the *test* split is evaluated every epoch and one
  checkpoint per metric is kept (``best_<metric>.pt``); ``<dataset>_best.pt`` is the test-MAE one.
  Everything saved this way is marked test-selected. No early stopping (LNLN runs every epoch).

Early stopping counts epochs without improvement of the validation criterion, from
``patience_stage`` on (Senti-iFusion: stage 2 only), and is off when ``patience`` is None.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

# LNLN's checkpoint keys (core/utils.py get_best_results), per metric family.
PAPER_KEYS = {
    "mosi": ("Has0_acc_2", "Non0_acc_2", "MAE", "Mult_acc_5", "Mult_acc_7", "Corr"),
    "sims": ("Mult_acc_2", "Mult_acc_3", "Mult_acc_5", "MAE", "Corr"),
}
LOWER_IS_BETTER = {"MAE", "val_loss"}


def better(key: str, value: float, best: float | None) -> bool:
    """Strict improvement; NaN never improves, anything finite beats "nothing yet"."""
    if value is None or math.isnan(value):
        return False
    if best is None or math.isnan(best):
        return True
    return value < best if key in LOWER_IS_BETTER else value > best


@dataclass
class Decision:
    is_best: bool
    improved_paper_keys: list[str]
    patience_left: int | None
    stop: bool


@dataclass
class Selector:
    mode: str  # "valid" | "paper"
    criterion: str  # "MAE" | "val_loss" (valid mode)
    patience: int | None
    patience_stage: int
    metric_family: str  # "mosi" | "sims"
    best_epoch: int = 0
    best_stage: int = 0
    best_value: float | None = None
    best_metrics: dict[str, float] = field(default_factory=dict)
    bad_epochs: int = 0
    paper_best: dict[str, dict] = field(default_factory=dict)  # key -> {"value", "epoch"}

    @property
    def split(self) -> str:
        return "test" if self.mode == "paper" else "valid"

    @property
    def test_selected(self) -> bool:
        return self.mode == "paper"

    def update(self, epoch: int, stage: int, val_loss: float, metrics: dict[str, dict[str, float]]) -> Decision:
        """Record one epoch's results; say whether it is the best and whether to stop."""
        valid = {**metrics.get("valid", {}), "val_loss": val_loss}
        if stage > self.best_stage:  # a new stage: its first epoch becomes the reference
            self.best_value, self.bad_epochs = None, 0
        improved = better(self.criterion, valid[self.criterion], self.best_value)
        if improved:
            self.best_value, self.bad_epochs = valid[self.criterion], 0
        else:
            self.bad_epochs += 1
        self.best_stage = max(self.best_stage, stage)

        improved_keys: list[str] = []
        if self.mode == "paper":
            test = metrics["test"]
            for key in PAPER_KEYS[self.metric_family]:
                if better(key, test[key], self.paper_best.get(key, {}).get("value")):
                    self.paper_best[key] = {"value": test[key], "epoch": epoch}
                    improved_keys.append(key)
            is_best = "MAE" in improved_keys
            selected = test
        else:
            is_best = improved
            selected = valid
        if is_best:
            self.best_epoch, self.best_metrics = epoch, dict(selected)

        active = self.mode == "valid" and self.patience is not None and stage >= self.patience_stage
        patience_left = self.patience - self.bad_epochs if active and self.patience is not None else None
        return Decision(is_best, improved_keys, patience_left, patience_left is not None and patience_left <= 0)

    def summary(self) -> dict:
        """What a checkpoint records as ``best``."""
        return {
            "epoch": self.best_epoch,
            "metrics": dict(self.best_metrics),
            "split": self.split,
            "criterion": "MAE" if self.mode == "paper" else self.criterion,
            "test_selected": self.test_selected,
        }

    def paper_summary(self, key: str, metrics: dict[str, float]) -> dict:
        return {
            "epoch": self.paper_best[key]["epoch"],
            "metrics": dict(metrics),
            "split": "test",
            "criterion": key,
            "test_selected": True,
        }

    def state_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_state_dict(cls, state: dict) -> Selector:
        return cls(**state)
