"""Where a result came from: one record for run folders, checkpoints and exports.

    collect(device="cpu", precision="fp32", data="~/data/MOSI/unaligned_50.pkl")

gives a plain dict (JSON-ready):

- ``command``: the full command line (``sys.argv``, shell-quoted) and the working folder;
- ``senti_tui_version``: the package version, derived from git by setuptools-scm
  (``0.1.devN+g<hash>``, it changes with every commit; ``pyproject.toml``), live from the checkout
  when setuptools-scm is importable, else the version pip installed; ``FALLBACK_VERSION`` without
  git or metadata;
- ``git_revision`` (and ``git_dirty``): the commit of the checkout the code runs from, None when it
  is not run from a git checkout;
- ``versions``: Python, torch, CUDA (torch's build; None on a CPU build), numpy, transformers,
  scikit-learn, pandas (read from the installed metadata: nothing heavy is imported for it);
- ``device`` and ``precision`` as the caller resolved them;
- ``data_sha256``: the SHA-256 of the data file (None for the embedded synthetic set).

Library versions come from :mod:`importlib.metadata`, so this module imports no heavy package.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shlex
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

FALLBACK_VERSION = "0.0"  # keep in step with [tool.setuptools_scm] fallback_version
SOURCE_ROOT = Path(__file__).resolve().parent.parent
LIBRARIES = {
    "torch": "torch",
    "numpy": "numpy",
    "transformers": "transformers",
    "scikit-learn": "scikit-learn",
    "pandas": "pandas",
}
_CHUNK = 1 << 20


def installed_version(distribution: str = "senti-tui") -> str | None:
    try:
        from importlib.metadata import version

        return version(distribution)
    except Exception:  # noqa: BLE001 - not installed
        return None


@lru_cache(maxsize=1)
def package_version() -> str:
    """senti-tui's version: from the git checkout via setuptools-scm when both are there (so it
    changes with every commit even in an editable install), else the installed metadata, else
    :data:`FALLBACK_VERSION`."""
    if git_revision() is not None:
        try:
            from setuptools_scm import get_version

            return str(get_version(root=str(SOURCE_ROOT), fallback_version=FALLBACK_VERSION))
        except Exception:  # noqa: BLE001 - setuptools-scm absent or git unusable: the installed version
            pass
    return installed_version() or FALLBACK_VERSION


def _git(*args: str) -> str | None:
    if not (SOURCE_ROOT / ".git").exists():
        return None
    try:
        done = subprocess.run(["git", "-C", str(SOURCE_ROOT), *args], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


@lru_cache(maxsize=1)
def git_revision() -> str | None:
    """The commit the code runs from (None outside a git checkout)."""
    revision = _git("rev-parse", "HEAD")
    return revision or None


@lru_cache(maxsize=1)
def git_dirty() -> bool | None:
    """True when tracked files differ from the commit (None outside a checkout)."""
    if git_revision() is None:
        return None
    status = _git("status", "--porcelain", "--untracked-files=no")
    return None if status is None else bool(status)


def library_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for key, distribution in LIBRARIES.items():
        versions[key] = installed_version(distribution)
    torch = sys.modules.get("torch")
    versions["cuda"] = getattr(getattr(torch, "version", None), "cuda", None) if torch is not None else _torch_cuda()
    return versions


def _torch_cuda() -> str | None:
    try:
        import torch

        return torch.version.cuda
    except Exception:  # noqa: BLE001
        return None


def command_line() -> str:
    return shlex.join([Path(sys.argv[0]).name if sys.argv else "python", *sys.argv[1:]])


_HASHES: dict[tuple, str] = {}


def sha256_of(path: str | Path | None) -> str | None:
    """SHA-256 of a file, hex (None when ``path`` is not a readable file, e.g. ``synthetic``).
    Remembered per (path, size, mtime) for the life of the process."""
    if path is None:
        return None
    path = Path(str(path)).expanduser()
    try:
        stat = path.stat()
        if not path.is_file():
            return None
        key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
        if key in _HASHES:
            return _HASHES[key]
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    except OSError:
        return None
    _HASHES[key] = digest.hexdigest()
    return _HASHES[key]


def collect(device: Any = None, precision: str | None = None, data: str | None = None) -> dict[str, Any]:
    """The provenance record (see the module docstring)."""
    return {
        "command": command_line(),
        "cwd": os.getcwd(),
        "senti_tui_version": package_version(),
        "git_revision": git_revision(),
        "git_dirty": git_dirty(),
        "versions": library_versions(),
        "platform": platform.platform(),
        "device": None if device is None else str(device),
        "precision": precision,
        "data": None if data is None else str(data),
        "data_sha256": sha256_of(data) if data is not None else None,
    }


def version_line() -> str:
    """What ``senti-tui --version`` prints."""
    revision = git_revision()
    where = f" (git {revision[:12]}{', modified' if git_dirty() else ''})" if revision else ""
    return f"senti-tui {package_version()}{where}"
