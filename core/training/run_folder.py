"""A run folder: ``config.json``, ``events.jsonl``, ``metrics.csv`` and the checkpoints.

``events.jsonl`` gets every event, one JSON object a line, flushed at once, so ``senti-tui watch``
can follow it while the run goes on. A resumed run appends to it (its ``RunStarted`` has
``start_epoch`` > 1; a reader keeps the latest event of an epoch). ``metrics.csv`` is rewritten
from the history at every epoch end (atomically), so it always matches ``last.pt``.

While a run writes its folder it holds an advisory lock (``flock``) on ``events.jsonl``; the
kernel drops it when the process ends, however it ends, so :func:`run_is_active` tells a live run
from one that was killed (``senti-tui watch`` stops following a dead run) and a second writer is
refused. A folder that already holds a run is only reused by ``--resume`` or ``--overwrite``.
"""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from typing import IO

from core.atomic_write import remove_stale_temporaries, write_atomic
from core.errors import SentiError
from core.training.events import Event, event_to_json

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows: no lock, no liveness check
    fcntl = None  # type: ignore[assignment]

CONFIG_NAME = "config.json"
CONFIG_YAML_NAME = "config.yaml"  # the resolved settings as `train --config` reads them
EVENTS_NAME = "events.jsonl"
METRICS_NAME = "metrics.csv"
LAST_NAME = "last.pt"


def is_run_file(name: str) -> bool:
    """A file a run writes: config.json/.yaml, events.jsonl, metrics.csv, last.pt, *_best.pt, best_*.pt."""
    return name in (CONFIG_NAME, CONFIG_YAML_NAME, EVENTS_NAME, METRICS_NAME, LAST_NAME) or (
        name.endswith(".pt") and (name.endswith("_best.pt") or name.startswith("best_"))
    )


def run_files(folder: Path) -> list[Path]:
    """The files of a run in ``folder`` (empty when it holds none or does not exist)."""
    try:
        return sorted(entry for entry in folder.iterdir() if is_run_file(entry.name) and entry.is_file())
    except OSError:
        return []


def holds_run(folder: Path) -> bool:
    """``folder`` holds (part of) a run: its config, its events or a checkpoint."""
    return any(path.name != METRICS_NAME for path in run_files(folder))


def run_is_active(folder: Path) -> bool | None:
    """True while a process writes the run in ``folder``, False when none does, None when it
    cannot be told (no events.jsonl, no ``flock`` on this system)."""
    path = folder / EVENTS_NAME
    if fcntl is None or not path.is_file():
        return None
    try:
        with path.open("rb") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            return False
    except OSError:
        return None


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
    write_atomic(path, text, remedy="free some space, or resume the run from a folder on another disk")


class RunFolder:
    """Writes one run's files; only rank 0 has one. ``replace``: the folder's old run is removed
    when the new one starts (``train --overwrite``)."""

    def __init__(self, path: Path, replace: bool = False) -> None:
        self.path = path
        self.replace = replace
        self._events: IO[str] | None = None

    def open(self, config: dict) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        events = open(self.path / EVENTS_NAME, "a", encoding="utf-8")  # noqa: SIM115 - kept open (and locked) for the run
        if fcntl is not None:
            try:
                fcntl.flock(events.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                events.close()
                raise SentiError(
                    f"{self.path}: another senti-tui run is writing this folder now; "
                    "wait for it to end, or choose another --out folder"
                ) from None
        # what a killed writer of this folder left (only now: the lock says no one writes it)
        remove_stale_temporaries(self.path, is_run_file)
        if self.replace:  # the old run goes only now, when the new one really starts
            events.truncate(0)
            for path in run_files(self.path):
                if path.name != EVENTS_NAME:
                    path.unlink(missing_ok=True)
        self._events = events
        write_text_atomic(self.path / CONFIG_NAME, json.dumps(config, indent=2, sort_keys=True) + "\n")
        if "training" in config and "model_config" in config:
            from core.training.config_file import to_yaml

            write_text_atomic(self.path / CONFIG_YAML_NAME, to_yaml(config["training"], config["model_config"]))

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
