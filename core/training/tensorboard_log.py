"""``train --tensorboard DIR``: the event stream as TensorBoard scalars (optional extra
``senti-tui[tensorboard]``).

A listener on the same events as ``events.jsonl`` (:mod:`core.training.events`), so nothing in the
loop changes. Written tags:

- per step (x = global step): ``step/loss/<term>`` (every unweighted loss term and ``total``),
  ``step/lr``, ``step/samples_per_s``;
- per epoch (x = epoch): ``epoch/train/<term>``, ``epoch/val_loss``, ``epoch/lr``, ``epoch/stage``,
  ``epoch/<split>/<metric>`` (valid, and test under ``--selection paper``),
  ``epoch/integrity_r2/<modality>`` (Senti-iFusion's integrity estimate against the truth);
- text: ``config`` (the resolved configuration, at start), ``stage`` (each stage change),
  ``checkpoint`` (each saved checkpoint), ``finished`` / ``failed``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from core.errors import ConfigError
from core.training.events import CheckpointSaved, EpochEnd, Event, Failed, Finished, RunStarted, StageChange, Step


def check_available(log_dir: str | Path) -> Path:
    """Refuse (one line) before the run when TensorBoard's writer is missing or ``log_dir`` is a file."""
    path = Path(log_dir)
    try:
        import tensorboard  # noqa: F401
        from torch.utils.tensorboard import SummaryWriter  # noqa: F401
    except ImportError:
        raise ConfigError(f"--tensorboard {log_dir}: needs TensorBoard: pip install 'senti-tui[tensorboard]'") from None
    if path.exists() and not path.is_dir():
        raise ConfigError(f"--tensorboard {log_dir}: is a file, not a folder: choose a folder for the event files")
    return path


class TensorBoardListener:
    """Writes the events it is called with to a TensorBoard log folder."""

    def __init__(self, log_dir: str | Path) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.log_dir = check_available(log_dir)
        self._writer = SummaryWriter(log_dir=str(self.log_dir))

    def _scalar(self, tag: str, value, step: int) -> None:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(float(value)):
            self._writer.add_scalar(tag, float(value), int(step))

    def __call__(self, event: Event) -> None:
        writer = self._writer
        if isinstance(event, RunStarted):
            writer.add_text(
                "config", "```\n" + json.dumps(event.config, indent=2, sort_keys=True, default=str) + "\n```", event.start_epoch
            )
        elif isinstance(event, Step):
            for name, value in event.losses.items():
                self._scalar(f"step/loss/{name}", value, event.global_step)
            self._scalar("step/lr", event.lr, event.global_step)
            self._scalar("step/samples_per_s", event.samples_per_s, event.global_step)
        elif isinstance(event, EpochEnd):
            for name, value in event.train_losses.items():
                self._scalar(f"epoch/train/{name}", value, event.epoch)
            self._scalar("epoch/val_loss", event.val_loss, event.epoch)
            self._scalar("epoch/lr", event.lr, event.epoch)
            self._scalar("epoch/stage", event.stage, event.epoch)
            for split, metrics in event.metrics.items():
                for name, value in metrics.items():
                    self._scalar(f"epoch/{split}/{name}", value, event.epoch)
            for modality, value in event.integrity_r2.items():
                self._scalar(f"epoch/integrity_r2/{modality}", value, event.epoch)
            writer.flush()
        elif isinstance(event, StageChange):
            writer.add_text("stage", f"stage {event.stage}: {event.description}", event.epoch)
        elif isinstance(event, CheckpointSaved):
            writer.add_text("checkpoint", f"{event.kind}: {event.path}", event.epoch)
        elif isinstance(event, Finished):
            writer.add_text(
                "finished",
                f"{event.epoch} epochs, best epoch {event.best_epoch}"
                + (" (stopped by the user)" if event.stopped_by_user else ""),
                event.epoch,
            )
            self.close()
        elif isinstance(event, Failed):
            writer.add_text("failed", event.error, 0)
            self.close()

    def close(self) -> None:
        self._writer.flush()
        self._writer.close()
