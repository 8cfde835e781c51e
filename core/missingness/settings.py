"""Evaluation settings: from (sample ids, present modalities, epoch) to per-sample rates and a
mask seed.

``rates`` (:class:`RateSetting`), ``droprates`` (:class:`DroprateSetting`), ``modes``
(:class:`ModeSetting`), the explorer's ``custom`` (:class:`CustomSetting`) and ``calibration``
(:class:`CalibrationSetting`); :func:`evaluation_sweep` lists a protocol's settings. The training
protocols (core/missingness/protocols.py) are settings too. Every setting is a frozen dataclass
recorded as a plain dict (``to_dict`` / :func:`setting_from_dict`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import numpy as np

from core.data.dataset import MODALITIES, MODALITY_LETTERS
from core.errors import ConfigError
from core.missingness.hashing import STREAM_DROP, STREAM_RATE, STREAM_SUBSET, hash_uniform

# The six non-empty proper subsets of {l, a, v} that inter-modality missingness may DROP, as
# booleans in text/audio/vision order (one modality dropped, then two).
DROP_SUBSETS: np.ndarray = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1]], dtype=bool)

# Senti-iFusion Table III: the modalities each retention mode KEEPS.
RETENTION_MODES: dict[int, tuple[str, ...]] = {
    0: ("a", "v"),
    1: ("l", "v"),
    2: ("l", "a"),
    3: ("v",),
    4: ("a",),
    5: ("l",),
}

# The mask seed of evaluation, validation and the explorer unless one is given (LNLN's 1111).
DEFAULT_EVAL_SEED = 1111
# The swept rates of the ``rates`` protocol, the lnln-paper protocol and the explorer's curves.
EVAL_RATES: tuple[float, ...] = tuple(round(0.1 * i, 1) for i in range(10))  # 0.0 .. 0.9
EVAL_DROPRATES: tuple[float, ...] = tuple(round(0.1 * i, 1) for i in range(11))  # 0.0 .. 1.0

# kind -> setting class, filled as each class is defined (MaskSetting.__init_subclass__)
SETTING_KINDS: dict[str, type[MaskSetting]] = {}


def present_vector(present: Mapping[str, bool] | Sequence[bool] | None) -> np.ndarray:
    """[3] bool in text/audio/vision order; ``None`` means all present."""
    if present is None:
        return np.ones(3, dtype=bool)
    if isinstance(present, Mapping):
        return np.array([bool(present.get(m, True)) for m in MODALITIES], dtype=bool)
    vector = np.asarray(present, dtype=bool).reshape(-1)
    if vector.shape != (3,):
        raise ValueError(f"present must have 3 entries (text, audio, vision), got {vector.shape}")
    return vector


@dataclass(frozen=True)
class MaskDraw:
    """Per-sample rates [N,3] (float64, text/audio/vision) and the seed of the positional masks.

    ``shared_noise``: modalities with the same number of positions share ``u`` (LNLN's faithful
    training masks, :func:`noise_modalities`); False (every setting but that one) keeps them
    independent.
    """

    rates: np.ndarray
    mask_seed: int
    shared_noise: bool = False


def _intra_uniform(seed: int, sample_ids: np.ndarray, low: float = 0.0, high: float = 1.0) -> np.ndarray:
    """r ~ U(low, high) per sample and modality [N,3], keyed by (seed, sample id, modality)."""
    u = hash_uniform(seed, STREAM_RATE, sample_ids[:, None], np.arange(3)[None, :])
    return low + (high - low) * (1.0 - u)  # 1 - u in [0, 1): r = low is reachable, high is not


def _inter_drop(seed: int, sample_ids: np.ndarray, droprate: float, present: np.ndarray) -> np.ndarray:
    """[N,3] bool: modalities dropped by inter-modality missingness.

    A sample is chosen iff its hashed u_drop < droprate (so a higher droprate drops a superset of
    samples), and then loses one of the non-empty proper subsets of its *present* modalities,
    uniformly (with all three present: one of the six subsets). With one present modality no
    proper subset exists, so nothing is dropped.
    """
    n = sample_ids.shape[0]
    options = [s for s in DROP_SUBSETS if (s <= present).all() and (s & present).any() and (present & ~s).any()]
    if not options or droprate <= 0.0:
        return np.zeros((n, 3), dtype=bool)
    chosen = (1.0 - hash_uniform(seed, STREAM_DROP, sample_ids)) < droprate
    pick = np.minimum(((1.0 - hash_uniform(seed, STREAM_SUBSET, sample_ids)) * len(options)).astype(np.int64), len(options) - 1)
    return np.stack(options)[pick] & chosen[:, None]


def _finish(rates: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Absent modalities always have r = 1; clip into [0, 1]."""
    rates = np.clip(rates, 0.0, 1.0)
    rates[:, ~present] = 1.0
    return rates


@dataclass(frozen=True)
class MaskSetting:
    """Base class. Subclasses are frozen dataclasses with a ``kind`` and plain-valued fields."""

    kind: ClassVar[str] = ""
    training: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("kind"):  # every kind is read back by setting_from_dict
            SETTING_KINDS[cls.kind] = cls

    def draw(self, sample_ids: np.ndarray, present: Any = None, epoch: int = 0) -> MaskDraw:
        raise NotImplementedError

    def rates(self, sample_ids: np.ndarray, present: Any = None, epoch: int = 0) -> np.ndarray:
        """Per-sample rates [N,3] in text/audio/vision order."""
        return self.draw(sample_ids, present, epoch).rates

    def to_dict(self) -> dict:
        """Plain dict (JSON- and torch.load(weights_only=True)-safe) for checkpoints and exports."""
        values = asdict(self)
        for key, value in values.items():
            if isinstance(value, tuple):
                values[key] = list(value)
        return {"kind": self.kind, **values}

    @property
    def label(self) -> str:
        return self.kind


@dataclass(frozen=True)
class RateSetting(MaskSetting):
    """Evaluation ``rates``: the same r on every modality of every sample (LNLN's robust eval)."""

    kind: ClassVar[str] = "rates"
    rate: float = 0.5
    seed: int = DEFAULT_EVAL_SEED

    def draw(self, sample_ids, present=None, epoch=0):
        ids = np.asarray(sample_ids)
        rates = np.full((ids.shape[0], 3), float(self.rate))
        return MaskDraw(_finish(rates, present_vector(present)), self.seed)

    @property
    def label(self) -> str:
        return f"r={self.rate:.1f}"


@dataclass(frozen=True)
class DroprateSetting(MaskSetting):
    """Evaluation ``droprates``: inter-modality droprate p plus intra r ~ U(low, high) per sample."""

    kind: ClassVar[str] = "droprates"
    droprate: float = 0.5
    seed: int = DEFAULT_EVAL_SEED
    intra_low: float = 0.0
    intra_high: float = 1.0

    def draw(self, sample_ids, present=None, epoch=0):
        ids = np.asarray(sample_ids)
        have = present_vector(present)
        rates = _intra_uniform(self.seed, ids, self.intra_low, self.intra_high)
        rates[_inter_drop(self.seed, ids, self.droprate, have)] = 1.0
        return MaskDraw(_finish(rates, have), self.seed)

    @property
    def label(self) -> str:
        return f"drop={self.droprate:.1f}"


@dataclass(frozen=True)
class ModeSetting(MaskSetting):
    """Evaluation ``modes``: every sample keeps the mode's modalities (Senti-iFusion Table III).

    Table III is the droprate = 1.0 end of the droprate sweep, which also applies intra-modality
    masking with a fixed seed; ``intra=True`` (default) therefore gives the kept modalities
    r ~ U(0,1), ``intra=False`` keeps them intact.
    """

    kind: ClassVar[str] = "modes"
    mode: int = 0
    seed: int = DEFAULT_EVAL_SEED
    intra: bool = True

    def __post_init__(self) -> None:
        if self.mode not in RETENTION_MODES:
            raise ConfigError(f"missingness mode {self.mode} does not exist; use 0..5 (Senti-iFusion Table III)")

    @property
    def kept(self) -> np.ndarray:
        return np.array([m in RETENTION_MODES[self.mode] for m in MODALITY_LETTERS], dtype=bool)

    def draw(self, sample_ids, present=None, epoch=0):
        ids = np.asarray(sample_ids)
        rates = _intra_uniform(self.seed, ids) if self.intra else np.zeros((ids.shape[0], 3))
        rates[:, ~self.kept] = 1.0
        return MaskDraw(_finish(rates, present_vector(present)), self.seed)

    @property
    def label(self) -> str:
        return f"mode {self.mode} {{{','.join(RETENTION_MODES[self.mode])}}}"


@dataclass(frozen=True)
class CustomSetting(MaskSetting):
    """Explorer ``custom``: per-modality rates and on/off switches (off means r = 1)."""

    kind: ClassVar[str] = "custom"
    modality_rates: tuple[float, float, float] = (0.0, 0.0, 0.0)
    enabled: tuple[bool, bool, bool] = (True, True, True)
    seed: int = DEFAULT_EVAL_SEED

    def __post_init__(self) -> None:
        object.__setattr__(self, "modality_rates", tuple(float(r) for r in self.modality_rates))
        object.__setattr__(self, "enabled", tuple(bool(e) for e in self.enabled))
        if len(self.modality_rates) != 3 or len(self.enabled) != 3:
            raise ValueError("custom missingness needs 3 rates and 3 switches (text, audio, vision)")

    def draw(self, sample_ids, present=None, epoch=0):
        ids = np.asarray(sample_ids)
        rates = np.tile(np.asarray(self.modality_rates, dtype=np.float64), (ids.shape[0], 1))
        rates[:, ~np.asarray(self.enabled, dtype=bool)] = 1.0
        return MaskDraw(_finish(rates, present_vector(present)), self.seed)

    @property
    def label(self) -> str:
        parts = [f"{m}={'off' if not e else f'{r:.2f}'}" for m, r, e in zip(MODALITY_LETTERS, self.modality_rates, self.enabled)]
        return " ".join(parts)


@dataclass(frozen=True)
class CalibrationSetting(MaskSetting):
    """Explorer ``calibration``: r ~ U(0,1) per sample and enabled modality (hashed from the
    seed), switched-off ones r = 1. A uniform setting gives every sample the same true integrity,
    and the calibration view's R² needs the truth to vary."""

    kind: ClassVar[str] = "calibration"
    enabled: tuple[bool, bool, bool] = (True, True, True)
    seed: int = DEFAULT_EVAL_SEED

    def draw(self, sample_ids, present=None, epoch=0) -> MaskDraw:
        draw = DroprateSetting(droprate=0.0, seed=self.seed).draw(sample_ids, present_vector(present), epoch)
        rates = draw.rates.copy()
        rates[:, ~np.asarray(self.enabled, dtype=bool)] = 1.0
        return MaskDraw(rates, draw.mask_seed)


def setting_from_dict(data: Mapping[str, Any]) -> MaskSetting:
    """Inverse of ``MaskSetting.to_dict`` (lists become tuples again)."""
    import core.missingness.protocols  # noqa: F401  (registers the training kinds a checkpoint records)

    values = dict(data)
    kind = values.pop("kind", None)
    cls = SETTING_KINDS.get(kind)
    if cls is None:
        raise ConfigError(f"missingness protocol {kind!r} is unknown; use one of {', '.join(SETTING_KINDS)}")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    try:
        return cls(**values)
    except TypeError as exc:
        raise ConfigError(f"missingness protocol {kind!r} has bad fields ({exc})") from None


def evaluation_sweep(protocol: str, seed: int = DEFAULT_EVAL_SEED) -> list[MaskSetting]:
    """The settings of an evaluation protocol: rates 0.0..0.9, droprates 0.0..1.0, modes 0..5."""
    if protocol == "rates":
        return [RateSetting(r, seed) for r in EVAL_RATES]
    if protocol == "droprates":
        return [DroprateSetting(p, seed) for p in EVAL_DROPRATES]
    if protocol == "modes":
        return [ModeSetting(m, seed) for m in sorted(RETENTION_MODES)]
    raise ConfigError(f"evaluation protocol {protocol!r} is unknown; use rates, droprates or modes")
