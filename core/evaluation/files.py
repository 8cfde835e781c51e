"""Files of an evaluation: which checkpoints a folder stands for, SHA-256s, and safe writing."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from core.errors import SentiError


def expand_checkpoints(paths: Sequence[str], paper: bool = False) -> list[str]:
    """Checkpoint files for eval's arguments: a file stands for itself; a run folder for its best
    checkpoint (``*_best.pt``; with ``paper``, its per-metric ``best_<key>.pt`` when it has them);
    a folder of runs (``train --seeds``: ``seed-1111/``, ...) for each run's."""
    from core.training.run_folder import CONFIG_NAME

    expanded: list[str] = []
    for given in paths:
        path = Path(given)
        if not path.is_dir():
            expanded.append(str(path))
            continue
        runs = (
            [path]
            if (path / CONFIG_NAME).is_file() or any(path.glob("*.pt"))
            else sorted(
                (p for p in path.iterdir() if p.is_dir() and ((p / CONFIG_NAME).is_file() or any(p.glob("*.pt")))),
                key=lambda p: p.name,
            )
        )
        found: list[str] = []
        for run in runs:
            per_metric = sorted(run.glob("best_*.pt")) if paper else []
            best = per_metric or sorted(run.glob("*_best.pt"))
            found += [str(p) for p in best]
        if not found:
            raise SentiError(
                f"{path}: holds no best checkpoint (*_best.pt) in it or its run folders: pass .pt files written by senti-tui train"
            )
        expanded += found
    return expanded


def _data_file(checkpoint, override: str | None) -> str | None:
    """The data file a checkpoint is evaluated on (None for the synthetic set)."""
    from core.probe.loading import data_source

    source = data_source(checkpoint, override)
    return None if source is None or str(source).startswith("synthetic") else str(source)


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file ("" when it cannot be read)."""
    from core.provenance import sha256_of

    return sha256_of(path) or ""


def check_writable(path: str | Path) -> Path:
    """Create ``path``'s folder if needed; refuse (one line) a path that cannot be written, before
    any long evaluation runs."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SentiError(f"{path}: cannot create its folder ({error.strerror or error}): choose another --out path") from None
    if path.is_dir() or not os.access(path.parent, os.W_OK):
        raise SentiError(f"{path}: cannot write the results there: choose another --out path")
    return path


def _write(path: Path, text: str) -> None:
    """Atomically: a full disk or a crash leaves the previous results file whole."""
    from core.atomic_write import write_atomic

    check_writable(path)
    write_atomic(path, text, error=SentiError, remedy="choose another --out path, or free some space")
