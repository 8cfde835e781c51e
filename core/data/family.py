"""The data family (MOSI, MOSEI, SIMS or custom): one rule, used by training, the loaders and the
probe.

The family decides the label range, the metric set, the paper preset and the name of the best
checkpoint. ``train --dataset mosi|mosei|sims|custom`` (``data.family`` in a config) states it;
when it is not given, :func:`resolve_family` applies the one inference rule:

1. ``synthetic`` is the embedded synthetic set;
2. otherwise the path's components are read from the file name up to the root, and the
   **nearest** one naming a family wins. A component names a family when one of its words
   (split at anything but letters and digits) is ``mosi``, ``mosei`` or ``sims``, optionally
   prefixed ``cmu``/``ch`` or followed by digits (``CMU-MOSI``, ``CH-SIMS``, ``mosei2``,
   ``mosi_unaligned_50.pkl``): so ``.../simsiam-exp/MOSI/unaligned_50.pkl`` is MOSI;
3. nothing names one: ``custom`` -- MOSI's label range [-3, 3] and metrics, the mosi-paper
   hyper-parameters, and the best checkpoint named after the data file (``<stem>_best.pt``).

The rule and its outcome are stated when a run starts (a training note).
"""

from __future__ import annotations

import re
from pathlib import Path

FAMILIES = ("mosi", "mosei", "sims", "custom")
KNOWN = ("mosi", "mosei", "sims")
SYNTHETIC = "synthetic"
_WORD = re.compile(r"[a-z0-9]+")


def _word_family(word: str) -> str | None:
    for family in KNOWN:
        if re.fullmatch(rf"(?:cmu|ch)?{family}\d*", word):
            return family
    return None


def family_of_component(component: str) -> str | None:
    """The family one path component names (None when it names none)."""
    for word in _WORD.findall(component.lower()):
        family = _word_family(word)
        if family is not None:
            return family
    return None


def infer_family(path: str | Path) -> tuple[str | None, str | None]:
    """(family, the component that named it) from a path, nearest component first; (None, None)
    when no component names one. ``synthetic`` gives ("synthetic", "synthetic")."""
    text = str(path).strip()
    if text == SYNTHETIC or text.startswith(f"{SYNTHETIC}:"):
        return SYNTHETIC, SYNTHETIC
    for part in reversed(Path(text).expanduser().absolute().parts):  # a relative path: the folder it is in counts
        family = family_of_component(part)
        if family is not None:
            return family, part
    return None, None


def resolve_family(given: str | None, data: str) -> tuple[str, str]:
    """(family, how it was decided) for a run on ``data``; ``given`` is ``--dataset``/``data.family``.
    Raises ConfigError for an unknown family, or a family given for the synthetic set."""
    from core.errors import ConfigError

    if given is not None:
        given = str(given).strip().lower()
        if given not in FAMILIES:
            raise ConfigError(f"unknown data family {given!r} (--dataset / data.family): choose one of {', '.join(FAMILIES)}")
        if str(data).strip() == SYNTHETIC:
            raise ConfigError(
                f"--dataset {given} names the family of a data file, and the data is the embedded synthetic set: "
                "drop --dataset, or pass --data FILE"
            )
        return given, "given by --dataset / data.family"
    family, part = infer_family(data)
    if family == SYNTHETIC:
        return SYNTHETIC, "the embedded synthetic set"
    if family is not None:
        return family, f"inferred from the path ({part!r}, the nearest part naming a family)"
    return "custom", "no part of the path names MOSI, MOSEI or SIMS"


def loader_name(family: str | None) -> str | None:
    """What an MMSA pickle is loaded as: the family (``custom``: MOSI's rules, or ``synthetic``
    for a file written by ``data synth``), None (let the loader infer) when no family is known."""
    return family if family in FAMILIES else None


def best_checkpoint_name(family: str | None, data: str, dataset_name: str) -> str:
    """``<family>_best.pt`` (mosi, mosei, sims, synthetic); ``<stem>_best.pt`` for a custom data
    file; ``<dataset name>_best.pt`` for a run that recorded no family (older runs)."""
    if family in (*KNOWN, SYNTHETIC):
        return f"{family}_best.pt"
    if family == "custom" and dataset_name == SYNTHETIC:  # a file written by data synth says what it is
        return f"{SYNTHETIC}_best.pt"
    if family == "custom":
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(str(data)).stem).strip("._") or "custom"
        return f"{stem}_best.pt"
    return f"{dataset_name}_best.pt"
