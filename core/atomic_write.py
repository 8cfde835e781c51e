"""Every file senti-tui writes goes through :func:`write_atomic`: a temporary file in the same
folder, flushed to disk, then renamed over the target. A crash, a SIGKILL or a full disk leaves the
previous file intact, never a truncated one; a failed write removes its temporary file.

Temporary files are named ``.<name>.<8 random characters>.tmp`` (``tempfile.mkstemp``), so a
folder's owner can recognise and remove those a killed process left (:func:`remove_stale_temporaries`).
Moved here from the checkpoint writer (``core.runtime.checkpoint.save_checkpoint``), its first user; no torch.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

from core.errors import SentiError

_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.[A-Za-z0-9_]{8}\.tmp$")


def temporary_target(filename: str) -> str | None:
    """The file a temporary file of :func:`write_atomic` was for (None if it is not one)."""
    found = _TEMPORARY.match(filename)
    return found.group("name") if found else None


def write_atomic(
    path: str | Path,
    content: bytes | str | Callable[[BinaryIO], None],
    *,
    error: type[SentiError] = SentiError,
    remedy: str = "free some space or choose another path",
    size_hint: int | None = None,
    mode: int | None = 0o666,
) -> Path:
    """Write ``content`` (bytes, text as UTF-8, or a function writing to a binary stream) to
    ``path`` atomically. Any OS failure is ``error`` with one line naming the file, the reason
    (for a full disk: the free space and the space needed) and ``remedy``. ``mode`` is applied
    with the umask (``mkstemp`` makes private files; ``None`` keeps them private)."""
    path = Path(path)
    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(handle, "wb") as stream:
            if callable(content):
                content(stream)
            else:
                stream.write(content.encode("utf-8") if isinstance(content, str) else content)
            stream.flush()
            os.fsync(stream.fileno())
        if mode is not None:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, mode & ~umask)
        os.replace(temporary, path)
        temporary = None
    except OSError as failure:
        _remove(temporary)
        temporary = None
        raise error(_describe(path, failure, size_hint, remedy)) from None  # free space counted without it
    finally:
        _remove(temporary)  # also on KeyboardInterrupt and on errors of ``content``
    return path


def _remove(temporary: str | None) -> None:
    if temporary is not None:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def _describe(path: Path, failure: OSError, size_hint: int | None, remedy: str) -> str:
    if failure.errno in (errno.ENOSPC, errno.EDQUOT):
        free = _free_bytes(path.parent)
        need = f"{_megabytes(size_hint)} needed" if size_hint else "more needed"
        have = f"{_megabytes(free)} free" if free is not None else "no space left"
        return f"{path}: cannot write the file: the disk of {path.parent} is full ({have}, {need}); {remedy}"
    if isinstance(failure, IsADirectoryError) or path.is_dir():
        return f"{path}: cannot write the file: it is a folder; {remedy}"
    return f"{path}: cannot write the file ({failure.strerror or failure}); {remedy}"


def _free_bytes(folder: Path) -> int | None:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def _megabytes(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


def remove_stale_temporaries(folder: str | Path, targets: Callable[[str], bool] | Iterable[str] | None = None) -> list[Path]:
    """Remove the temporary files a killed writer left in ``folder`` (only ``write_atomic``'s,
    and only for the file names ``targets`` accepts); returns what was removed."""
    folder = Path(folder)
    accept = targets if callable(targets) else (lambda name, names=set(targets or ()): targets is None or name in names)
    removed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        target = temporary_target(entry.name)
        if target is None or not accept(target):
            continue
        try:
            if entry.is_file() and not entry.is_symlink():
                entry.unlink()
                removed.append(entry)
        except OSError:
            pass
    return removed
