"""A run folder: ``config.json``, ``events.jsonl``, ``metrics.csv`` and the checkpoints.

``events.jsonl`` gets every event, one JSON object a line, flushed at once, so ``senti-tui watch``
can follow it while the run goes on. A resumed run appends to it (its ``RunStarted`` has
``start_epoch`` > 1; a reader keeps the latest event of an epoch). ``metrics.csv`` is rewritten
from the history at every epoch end (atomically), so it always matches ``last.pt``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
from pathlib import Path
from typing import IO

from core.training.events import Event, event_to_json

CONFIG_NAME = "config.json"
EVENTS_NAME = "events.jsonl"
METRICS_NAME = "metrics.csv"
LAST_NAME = "last.pt"


def best_name(dataset: str) -> str:
    """``<dataset>_best.pt``, e.g. ``synthetic_best.pt`` or ``mosi_best.pt``."""
    return f"{dataset}_best.pt"


def default_run_dir(model: str, dataset: str, root: str | Path = "checkpoints") -> Path:
    """``checkpoints/<model>-<dataset>-<timestamp>/``, with a suffix if that exists already."""
    stem = f"{model}-{dataset}-{time.strftime('%Y%m%d-%H%M%S')}"
    candidate, n = Path(root) / stem, 1
    while candidate.exists():
        n += 1
        candidate = Path(root) / f"{stem}-{n}"
    return candidate


def write_text_atomic(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def read_config(run_dir: Path) -> dict:
    return json.loads((run_dir / CONFIG_NAME).read_text(encoding="utf-8"))


class RunFolder:
    """Writes one run's files; only rank 0 has one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._events: IO[str] | None = None

    def open(self, config: dict) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        write_text_atomic(self.path / CONFIG_NAME, json.dumps(config, indent=2, sort_keys=True) + "\n")
        self._events = open(self.path / EVENTS_NAME, "a", encoding="utf-8")

    def __call__(self, event: Event) -> None:
        """A callback: append the event and flush, so a follower sees it at once."""
        if self._events is not None:
            self._events.write(event_to_json(event) + "\n")
            self._events.flush()

    def write_metrics(self, history: list[dict]) -> None:
        write_text_atomic(self.path / METRICS_NAME, metrics_csv(history))

    def close(self) -> None:
        if self._events is not None:
            self._events.close()
            self._events = None


def flatten_epoch(entry: dict) -> dict[str, object]:
    """One history entry as a flat CSV row: train_<loss>, <split>_<metric>, ..."""
    row: dict[str, object] = {"epoch": entry["epoch"], "stage": entry["stage"], "lr": entry["lr"]}
    row.update({f"train_{k}": v for k, v in entry["train_losses"].items()})
    row["val_loss"] = entry["val_loss"]
    for split, metrics in entry["metrics"].items():
        row.update({f"{split}_{k}": v for k, v in metrics.items()})
    row.update({f"integrity_r2_{k}": v for k, v in entry.get("integrity_r2", {}).items()})
    row["is_best"] = int(entry["is_best"])
    row["elapsed_s"] = round(entry["elapsed_s"], 3)
    return row


def metrics_csv(history: list[dict]) -> str:
    rows = [flatten_epoch(entry) for entry in history]
    columns: list[str] = []
    for row in rows:  # union of columns in first-seen order (stage 2 adds loss terms)
        columns.extend(key for key in row if key not in columns)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
