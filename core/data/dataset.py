"""The in-memory data set every source produces and every consumer reads.

A loader (MMSA pickle, label.csv, synthetic generator) returns an :class:`MSADataset`: numpy
arrays in the MMSA layout, one :class:`Split` per fold, plus the metadata that checkpoints and
exports record (source, dims, fingerprint, synthetic flag). Torch never appears here; the
training loop and the probe turn splits into tensors themselves.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from core.text.special_ids import BERT_SPECIAL_TOKENS, SpecialIds  # noqa: F401 - defined with the text code; importable from here

MODALITIES: tuple[str, str, str] = ("text", "audio", "vision")
MODALITY_LETTERS: tuple[str, str, str] = ("l", "a", "v")  # as the papers write them (status line, modes)
SPLITS: tuple[str, str, str] = ("train", "valid", "test")
FINGERPRINT_VERSION = 2  # the rule of core.data.fingerprint.fingerprint_splits, recorded with it
LABEL_RANGES: dict[str, tuple[float, float]] = {
    "mosi": (-3.0, 3.0),
    "mosei": (-3.0, 3.0),
    "synthetic": (-3.0, 3.0),
    "sims": (-1.0, 1.0),
}


@dataclass(frozen=True)
class FeatureDims:
    """Sequence lengths and feature sizes, read from the data, never assumed."""

    text_len: int
    audio_len: int
    audio_dim: int
    vision_len: int
    vision_dim: int

    def as_dict(self) -> dict[str, int]:
        return {
            "text_len": self.text_len,
            "audio_len": self.audio_len,
            "audio_dim": self.audio_dim,
            "vision_len": self.vision_len,
            "vision_dim": self.vision_dim,
        }


@dataclass
class Split:
    """One fold in MMSA layout.

    ``text_bert`` is int64 [N,3,L] (ids, attention mask, segment ids). ``audio``/``vision`` are
    float32 [N,T,d], zero-padded, with int64 ``*_lengths`` [N]. For an absent modality (a
    label.csv data set has no audio or vision) the array is float32 zeros of shape [N,1,1] and the
    lengths are 0; :attr:`MSADataset.present` says it is absent, and the missingness module gives
    it integrity 0 everywhere.
    """

    name: str
    ids: list[str]
    raw_text: list[str]
    text_bert: np.ndarray
    audio: np.ndarray
    audio_lengths: np.ndarray
    vision: np.ndarray
    vision_lengths: np.ndarray
    labels: np.ndarray  # float32 [N]

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    @property
    def sample_ids(self) -> np.ndarray:
        """Stable integer ids (0..N-1) that key the deterministic masks."""
        return np.arange(len(self), dtype=np.int64)


@dataclass
class MSADataset:
    """A whole data set: splits plus what checkpoints and exports must record about it."""

    name: str  # family: mosi | mosei | sims | synthetic | text-only
    source: str  # file path, or e.g. "synthetic:seed=0"
    synthetic: bool
    splits: dict[str, Split]
    dims: FeatureDims
    present: dict[str, bool] = field(default_factory=lambda: {m: True for m in MODALITIES})
    special_ids: SpecialIds = field(default_factory=SpecialIds)
    vocab: list[str] | None = None  # id -> token, when the data carries its own vocabulary
    cleaned: dict[str, int] = field(default_factory=dict)  # "split/key" -> NaN/inf set to 0
    fingerprint: str = ""

    @property
    def label_range(self) -> tuple[float, float]:
        return LABEL_RANGES.get(self.name, (-3.0, 3.0))

    @property
    def metric_family(self) -> str:
        """Which metric set applies: "sims" or "mosi" (MOSI, MOSEI, synthetic, text-only)."""
        from core.metrics import metric_family

        return metric_family(self.name)

    def split(self, name: str) -> Split:
        return self.splits[name]

    def describe(self) -> dict:
        """What a checkpoint or an export records about its data."""
        return {
            "name": self.name,
            "source": self.source,
            "synthetic": self.synthetic,
            "dims": self.dims.as_dict(),
            "present": dict(self.present),
            "fingerprint": self.fingerprint,
            "fingerprint_version": FINGERPRINT_VERSION,
            "sizes": {k: len(v) for k, v in self.splits.items()},
        }


def fingerprint_arrays(*arrays: np.ndarray) -> str:
    """A short content hash identifying a data set (first 16 hex chars of SHA-256)."""
    digest = hashlib.sha256()
    for array in arrays:
        contiguous = np.ascontiguousarray(array)
        digest.update(str(contiguous.shape).encode())
        digest.update(contiguous.tobytes())
    return digest.hexdigest()[:16]
