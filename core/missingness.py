"""Missingness: the ONE module that erases inputs, for training, evaluation and the explorer alike.

Two kinds of missingness (product.md -> Missingness, docs/models.md §1.2 and §3.1):

- **Intra-modality**: each sample and modality has a rate ``r``; a real position (a text token
  with attention mask 1, an audio/vision frame before its length) is kept iff ``u > r``. Text:
  dropped tokens become [UNK], [CLS] (position 0) and [SEP] (position len-1) are always kept,
  padding, the attention mask and the segment ids are untouched. Audio/vision: dropped frames and
  padding frames are zeroed.
- **Inter-modality**: with probability ``droprate`` a sample loses a non-empty proper subset of its
  present modalities (one or two of three, never all); a dropped modality has ``r = 1``.

Determinism and nesting. ``u`` is not drawn from a stateful RNG: it is a counter-based hash
(SplitMix64) of (mask seed, sample id, modality, position), mapped to (0, 1]. So the mask is a
pure function of those keys and the rate: the explorer showing one utterance, an evaluation over
the whole split and a test all see the same erasures, a higher rate erases a superset of what a
lower rate erases, and the result does not depend on batch size, order or the number of
processes. ``u`` lies in (0, 1], so ``r = 0`` keeps everything and ``r = 1`` drops everything.
Random rates (``r ~ U(0,1)``, drop decisions) are hashed the same way from other streams.

Ground-truth integrity is ``I = 1 - r`` (nominal, as LNLN and Senti-iFusion train on); the realised
kept fraction of the erasable positions is reported beside it. A modality the data set does not
have (``dataset.present`` False, e.g. audio/vision of a label.csv set) always gets ``r = 1``.

Settings and protocols (all recorded as plain dicts via ``to_dict``/``setting_from_dict``):

- training: :class:`LnlnProtocol`, :class:`IFusionProtocol`, :class:`DarProtocol` (rates and mask
  seed redrawn per epoch, keyed by (seed, epoch); ``LnlnProtocol(faithful_masks=True)`` instead
  models the official LNLN loader's quirks, [A1]);
- evaluation: :class:`RateSetting` ("rates"), :class:`DroprateSetting` ("droprates"),
  :class:`ModeSetting` ("modes"), :class:`CustomSetting` ("custom", what the explorer sends);
  :func:`evaluation_sweep` lists a protocol's settings.

Every setting answers ``draw(sample_ids, present, epoch) -> MaskDraw(rates [N,3], mask_seed)``;
:func:`apply_missingness` (numpy) and :func:`apply_missingness_torch` (whole batch, on the batch's
device) turn a draw into masked inputs. Both give bit-identical masks. A draw with
``shared_noise`` gives modalities with the same number of positions the same ``u`` (see
:func:`noise_modalities`); by default every modality has its own.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Mapping, Sequence

import numpy as np

from core.data.dataset import MODALITIES, SpecialIds, Split
from core.errors import ConfigError

# ---------------------------------------------------------------------------------------------
# Counter-based hashing (SplitMix64 finaliser on uint64 arrays; wraps modulo 2**64 by design)
# ---------------------------------------------------------------------------------------------

_GOLDEN = 0x9E3779B97F4A7C15
_MIX1 = 0xBF58476D1CE4E5B9
_MIX2 = 0x94D049BB133111EB
_MASK64 = (1 << 64) - 1
_INV_2_53 = 1.0 / float(1 << 53)

# Independent hash streams, so that e.g. the random rate of a sample never correlates with its
# positional mask.
STREAM_POSITION = 1
STREAM_RATE = 2
STREAM_DROP = 3
STREAM_SUBSET = 4
STREAM_HALF = 5
STREAM_EPOCH = 6

# Modality order everywhere: text, audio, vision (index 0, 1, 2).
MODALITY_SHORT = ("l", "a", "v")

# The six non-empty proper subsets of {l, a, v} that inter-modality missingness may DROP, as
# booleans in text/audio/vision order (one modality dropped, then two).
DROP_SUBSETS: np.ndarray = np.array(
    [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1]], dtype=bool
)

# Senti-iFusion Table III: the modalities each retention mode KEEPS.
RETENTION_MODES: dict[int, tuple[str, ...]] = {
    0: ("a", "v"),
    1: ("l", "v"),
    2: ("l", "a"),
    3: ("v",),
    4: ("a",),
    5: ("l",),
}

DEFAULT_EVAL_SEED = 1111
EVAL_RATES: tuple[float, ...] = tuple(round(0.1 * i, 1) for i in range(10))  # 0.0 .. 0.9
EVAL_DROPRATES: tuple[float, ...] = tuple(round(0.1 * i, 1) for i in range(11))  # 0.0 .. 1.0


def _u64(value: int) -> np.uint64:
    return np.uint64(int(value) & _MASK64)


def splitmix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 of every element of a uint64 array (a new array; the input is not modified)."""
    with np.errstate(over="ignore"):
        z = np.add(x, _u64(_GOLDEN), dtype=np.uint64)
        z ^= z >> np.uint64(30)
        z *= _u64(_MIX1)
        z ^= z >> np.uint64(27)
        z *= _u64(_MIX2)
        z ^= z >> np.uint64(31)
    return z


def _as_u64_array(values: np.ndarray | Sequence[int] | int) -> np.ndarray:
    array = np.asarray(values)
    if array.dtype == np.uint64:
        return array
    return array.astype(np.int64).astype(np.uint64)  # two's complement for negative ids


def hash_keys(seed: int, stream: int, *parts: np.ndarray | int) -> np.ndarray:
    """A uint64 key per element of the broadcast ``parts`` (e.g. sample ids), for one seed/stream."""
    key = splitmix64(np.array([_u64(seed)], dtype=np.uint64)) ^ splitmix64(
        np.array([_u64(stream)], dtype=np.uint64)
    )
    key = splitmix64(key)
    for part in parts:
        key = splitmix64(key ^ splitmix64(_as_u64_array(part)))
    return key


def to_unit(h: np.ndarray) -> np.ndarray:
    """Map uint64 hashes to float64 in (0, 1] using the top 53 bits (exactly representable)."""
    return ((h >> np.uint64(11)).astype(np.float64) + 1.0) * _INV_2_53


def hash_uniform(seed: int, stream: int, *parts: np.ndarray | int) -> np.ndarray:
    """Uniform (0, 1] values keyed by (seed, stream, parts...)."""
    return to_unit(hash_keys(seed, stream, *parts))


_POSITION_CACHE: dict[int, np.ndarray] = {}


def _position_hashes(length: int) -> np.ndarray:
    """splitmix64(0..length-1), cached: the per-position half of the positional key."""
    cached = _POSITION_CACHE.get(length)
    if cached is None:
        cached = splitmix64(np.arange(length, dtype=np.uint64))
        _POSITION_CACHE[length] = cached
    return cached


def position_uniforms(mask_seed: int, sample_ids: np.ndarray, modality: int, length: int) -> np.ndarray:
    """``u`` [N, length] in (0, 1] for every position of every sample of one modality.

    ``modality`` is the modality's noise key (normally its index; see :func:`noise_modalities`)."""
    base = hash_keys(mask_seed, STREAM_POSITION, np.asarray(sample_ids), modality)  # [N]
    return to_unit(splitmix64(base[:, None] ^ _position_hashes(length)[None, :]))


# ---------------------------------------------------------------------------------------------
# Settings: from (sample ids, present modalities, epoch) to per-sample rates and a mask seed
# ---------------------------------------------------------------------------------------------


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


def noise_modalities(widths: Sequence[int], shared: bool = False) -> tuple[int, ...]:
    """The noise key of each modality (text, audio, vision) for :func:`position_uniforms`.

    By default a modality's own index, so the three modalities' masks are independent. With
    ``shared``, a modality whose number of positions (``widths``: text L, audio Ta, vision Tv)
    equals an earlier modality's uses that modality's key, hence the same ``u`` at every position:
    LNLN reseeds numpy with the run seed before every ``np.random.uniform(size=[N, T])``, so arrays
    of the same shape get the same draws (MOSEI audio and vision, both [N, 500], erase the same
    frames wherever both rates erase; on aligned files all three are [N, 50]).
    """
    if not shared:
        return tuple(range(len(widths)))
    return tuple(next(j for j in range(m + 1) if int(widths[j]) == int(widths[m])) for m in range(len(widths)))


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
    pick = np.minimum(
        ((1.0 - hash_uniform(seed, STREAM_SUBSET, sample_ids)) * len(options)).astype(np.int64), len(options) - 1
    )
    return np.stack(options)[pick] & chosen[:, None]


def _finish(rates: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Absent modalities always have r = 1; clip into [0, 1]."""
    rates = np.clip(rates, 0.0, 1.0)
    rates[:, ~present] = 1.0
    return rates


def _epoch_seed(seed: int, epoch: int) -> int:
    """The mask seed of one training epoch (a non-negative int63, JSON- and torch-friendly)."""
    return int(hash_keys(seed, STREAM_EPOCH, epoch)[0] >> np.uint64(1))


@dataclass(frozen=True)
class MaskSetting:
    """Base class. Subclasses are frozen dataclasses with a ``kind`` and plain-valued fields."""

    kind: ClassVar[str] = ""
    training: ClassVar[bool] = False

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
        return np.array([m in RETENTION_MODES[self.mode] for m in MODALITY_SHORT], dtype=bool)

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
        parts = [f"{m}={'off' if not e else f'{r:.2f}'}" for m, r, e in zip(MODALITY_SHORT, self.modality_rates, self.enabled)]
        return " ".join(parts)


def _lnln_rates(epoch_seed: int, ids: np.ndarray) -> np.ndarray:
    """LNLN's training rates [N,3]: r ~ U(0,1), then a hashed half of each modality reset to 0."""
    rates = _intra_uniform(epoch_seed, ids)
    reset = hash_uniform(epoch_seed, STREAM_HALF, ids[:, None], np.arange(3)[None, :]) <= 0.5
    rates[reset] = 0.0
    return rates


# The epoch key of the rates and noise LNLN's dataset draws when it is built, before any epoch
# (every epoch of the trainer is >= 1, so no epoch's own key collides with it).
LNLN_CONSTRUCTION_EPOCH = -1


def lnln_loader_positions(n: int, seed: int, epoch: int) -> np.ndarray:
    """Each row's position [n] in the shuffled order of ``epoch`` of the modelled LNLN DataLoader.

    The order is the one the trainer uses on one process (``core.training.batches.epoch_batches``:
    ``DistributedSampler`` with one replica, i.e. ``torch.randperm(n)`` from a generator seeded
    ``seed + epoch``), so on one process the modelled loader batches are the training batches
    whenever ``train.batch_size`` is LNLN's 64.
    """
    import torch

    generator = torch.Generator()
    generator.manual_seed(int(seed) + int(epoch))
    order = torch.randperm(n, generator=generator).numpy()
    positions = np.empty(n, dtype=np.int64)
    positions[order] = np.arange(n, dtype=np.int64)
    return positions


def lnln_refreshed_rows(n: int, seed: int, epoch: int, batch_size: int = 64, num_workers: int = 8) -> np.ndarray:
    """[n] bool: the rows that see the masks redrawn in ``epoch`` under LNLN's official loader.

    Batch k of the epoch (positions kB .. kB+B-1 of :func:`lnln_loader_positions`) goes to worker
    k mod W (PyTorch deals batches round-robin to its workers, which fetch their items one by one
    in order). Only the worker whose batch holds item 0 (row 0) redraws, when it fetches item 0;
    it then serves the rest of that batch and all its later batches from the redrawn masks. So a
    row is refreshed iff its batch goes to that worker and its position is at or after item 0's.
    """
    if n == 0:
        return np.zeros(0, dtype=bool)
    positions = lnln_loader_positions(n, seed, epoch)
    first = positions[0]
    worker = (positions // batch_size) % num_workers
    return (worker == (first // batch_size) % num_workers) & (positions >= first)


@dataclass(frozen=True)
class LnlnProtocol(MaskSetting):
    """Training ``lnln``: r ~ U(0,1) per sample and modality, then for each modality a random half
    of the samples reset to r = 0; rates and masks redrawn every epoch.

    The half is chosen per sample by a hashed coin (keyed by seed, epoch, sample, modality), so it
    is half in expectation and independent of batching and of the number of processes; LNLN's code
    resets exactly N/2 indices of the whole split.

    ``faithful_masks`` (default False; [A1]) models LNLN's official training masks instead
    (``core/dataset.py`` with ``batch_size: 64``, ``num_workers: 8``, shuffled, PyTorch 2.2):

    - Rates and masks are drawn once when the dataset is built (in the main process, which never
      fetches an item). Every epoch PyTorch forks 8 new workers from that copy and deals the
      shuffled batches round-robin to them; only the worker that fetches item 0 redraws, in its
      own copy, and that copy dies with the epoch's workers. Modelled: every row has the
      *construction rates* (keyed by ``LNLN_CONSTRUCTION_EPOCH``), identical in every epoch,
      except the rows :func:`lnln_refreshed_rows` selects: in the epoch's modelled loader order
      (the trainer's one-process order for the run seed, batches of ``LOADER_BATCH_SIZE`` dealt to
      ``LOADER_WORKERS`` workers), the rows of item 0's worker from item 0 on (the rest of item 0's
      batch and that worker's later batches; its earlier batches and the rows of item 0's batch
      before it keep the construction draw). Those rows get the epoch's own rates (the default
      path's rates of that epoch). Item 0 is row 0 of ``sample_ids``, which must be the whole
      training split in split order (what the trainer passes). Both draws keep the half-zero reset.
    - ``u`` is reseeded before every mask, so it never changes: the mask seed is the construction
      seed in every epoch, and a refreshed row's mask differs from its construction mask only
      through its rate (nested).
    - Same-shaped modalities share ``u`` (``MaskDraw.shared_noise``, :func:`noise_modalities`):
      on MOSEI audio and vision (both [N, 500]) erase the same frames where both rates erase.

    Not modelled: the official noise comes from the config file's seed (1111 for all three seeds
    of ``train.sh``; here from the run seed); ``random.sample`` resets exactly N/2 samples (here
    a hashed coin); the overlap of the one numpy stream between modalities of different widths;
    with several processes the modelled order is still the one-process order.
    """

    kind: ClassVar[str] = "lnln"
    training: ClassVar[bool] = True
    LOADER_BATCH_SIZE: ClassVar[int] = 64  # configs/train_{mosi,mosei,sims}.yaml: batch_size
    LOADER_WORKERS: ClassVar[int] = 8  # ... num_workers
    seed: int = 0
    faithful_masks: bool = False

    def draw(self, sample_ids, present=None, epoch=0):
        ids = np.asarray(sample_ids)
        if not self.faithful_masks:
            epoch_seed = _epoch_seed(self.seed, epoch)
            return MaskDraw(_finish(_lnln_rates(epoch_seed, ids), present_vector(present)), epoch_seed)
        construction = _epoch_seed(self.seed, LNLN_CONSTRUCTION_EPOCH)
        rates = _lnln_rates(construction, ids)
        fresh = lnln_refreshed_rows(ids.shape[0], self.seed, epoch, self.LOADER_BATCH_SIZE, self.LOADER_WORKERS)
        rates[fresh] = _lnln_rates(_epoch_seed(self.seed, epoch), ids[fresh])
        return MaskDraw(_finish(rates, present_vector(present)), construction, shared_noise=True)

    def validation_setting(self) -> MaskSetting:
        return RateSetting(0.5)  # LNLN's missing_rate_eval_test


@dataclass(frozen=True)
class IFusionProtocol(MaskSetting):
    """Training ``ifusion``: intra r ~ U(low, high) plus inter droprate (defaults 0.5, U(0,1), [A7])."""

    kind: ClassVar[str] = "ifusion"
    training: ClassVar[bool] = True
    seed: int = 0
    droprate: float = 0.5
    intra_low: float = 0.0
    intra_high: float = 1.0

    def draw(self, sample_ids, present=None, epoch=0):
        ids = np.asarray(sample_ids)
        epoch_seed = _epoch_seed(self.seed, epoch)
        setting = DroprateSetting(self.droprate, epoch_seed, self.intra_low, self.intra_high)
        return setting.draw(ids, present)

    def validation_setting(self) -> MaskSetting:
        # Senti-iFusion's patterns are "consistent" across train/valid/test: same distribution,
        # fixed seed.
        return DroprateSetting(self.droprate, DEFAULT_EVAL_SEED, self.intra_low, self.intra_high)


@dataclass(frozen=True)
class DarProtocol(MaskSetting):
    """Training ``dar``: a fixed rate k on every modality ([A20]; ``variant="uniform"`` reads it as
    r ~ U(0, k)). k = 0.3 for MOSI (and the synthetic set), 0.4 for MOSEI."""

    kind: ClassVar[str] = "dar"
    training: ClassVar[bool] = True
    seed: int = 0
    k: float = 0.3
    variant: str = "fixed"

    def __post_init__(self) -> None:
        if self.variant not in ("fixed", "uniform"):
            raise ConfigError(f"DAR missingness variant {self.variant!r} does not exist; use fixed or uniform")

    def draw(self, sample_ids, present=None, epoch=0):
        ids = np.asarray(sample_ids)
        epoch_seed = _epoch_seed(self.seed, epoch)
        if self.variant == "fixed":
            rates = np.full((ids.shape[0], 3), float(self.k))
        else:
            rates = _intra_uniform(epoch_seed, ids, 0.0, float(self.k))
        return MaskDraw(_finish(rates, present_vector(present)), epoch_seed)

    def validation_setting(self) -> MaskSetting:
        # [A32]: DAR keeps the checkpoint with the smallest overall loss on the validation split
        # at its training rate k (its robust evaluation afterwards is LNLN's).
        return RateSetting(float(self.k))


SETTING_KINDS: dict[str, type[MaskSetting]] = {
    cls.kind: cls
    for cls in (RateSetting, DroprateSetting, ModeSetting, CustomSetting, LnlnProtocol, IFusionProtocol, DarProtocol)
}
TRAINING_PROTOCOLS = ("lnln", "ifusion", "dar")
EVALUATION_PROTOCOLS = ("rates", "droprates", "modes", "custom")


def setting_from_dict(data: Mapping[str, Any]) -> MaskSetting:
    """Inverse of ``MaskSetting.to_dict`` (lists become tuples again)."""
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


def default_training_protocol(model: str, dataset: str = "synthetic", seed: int = 0) -> LnlnProtocol | IFusionProtocol | DarProtocol:
    """Each model's own training protocol: senti-ifusion -> ifusion, lnln -> lnln, dar -> dar
    (k = 0.4 on MOSEI, 0.3 otherwise)."""
    if model == "lnln":
        return LnlnProtocol(seed)
    if model in ("senti-ifusion", "ifusion"):
        return IFusionProtocol(seed)
    if model == "dar":
        return DarProtocol(seed, k=0.4 if dataset == "mosei" else 0.3)
    raise ConfigError(f"model {model!r} has no training protocol; use senti-ifusion, lnln or dar")


# ---------------------------------------------------------------------------------------------
# Applying a draw (numpy)
# ---------------------------------------------------------------------------------------------


@dataclass
class Masked:
    """Masked inputs plus what the explorer and the losses need to know about the erasure.

    ``keep_*`` are bool masks, True where a real position survived (text: [CLS]/[SEP] included;
    padding is False everywhere). ``integrity`` is the nominal 1 - r [N,3]; ``realised`` the kept
    fraction of the erasable positions [N,3] (text excludes [CLS]/[SEP]); where a sample has no
    erasable position it equals ``integrity``.
    """

    text_bert: np.ndarray
    audio: np.ndarray
    vision: np.ndarray
    integrity: np.ndarray
    realised: np.ndarray
    keep_text: np.ndarray
    keep_audio: np.ndarray
    keep_vision: np.ndarray
    rates: np.ndarray


def text_lengths(attention: np.ndarray) -> np.ndarray:
    """LNLN's length: index of the first 0 in the attention mask, or L when unpadded."""
    zero = attention == 0
    return np.where(zero.any(axis=1), zero.argmax(axis=1), attention.shape[1])


def _ratio(kept: np.ndarray, total: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, kept / np.maximum(total, 1), fallback)


def _mask_frames(
    frames: np.ndarray, lengths: np.ndarray, ids: np.ndarray, rate: np.ndarray, mask_seed: int, modality: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Zero dropped and padding frames. Returns (masked frames, keep [N,T], realised [N])."""
    n, steps = frames.shape[0], frames.shape[1]
    lengths = np.minimum(np.asarray(lengths, dtype=np.int64), steps)
    span = int(lengths.max()) if n else 0  # positions beyond every length are padding anyway
    keep = np.zeros((n, steps), dtype=bool)
    masked = np.zeros_like(frames)  # padding beyond every length costs nothing to zero
    if span > 0:
        u = position_uniforms(mask_seed, ids, modality, span)
        keep[:, :span] = (u > rate[:, None]) & (np.arange(span)[None, :] < lengths[:, None])
        # a float mask multiplies ~2x faster than a bool one (no per-element cast)
        np.multiply(frames[:, :span], keep[:, :span, None].astype(frames.dtype), out=masked[:, :span])
    realised = _ratio(keep.sum(axis=1), lengths, 1.0 - rate)
    return masked, keep, realised


def _mask_text(
    text_bert: np.ndarray, ids: np.ndarray, rate: np.ndarray, mask_seed: int, special: SpecialIds, noise_key: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Replace dropped real tokens with [UNK]. Returns (text_bert, keep [N,L], realised [N])."""
    tokens, attention = text_bert[:, 0], text_bert[:, 1]
    n, width = tokens.shape
    lengths = text_lengths(attention)
    positions = np.arange(width)[None, :]
    real = attention != 0
    protected = (positions == 0) | (positions == (lengths - 1)[:, None])  # [CLS] and [SEP]
    erasable = real & ~protected
    u = position_uniforms(mask_seed, ids, noise_key, width)
    dropped = erasable & ~(u > rate[:, None])
    out = text_bert.copy()
    out[:, 0] = np.where(dropped, np.asarray(special.unk, dtype=tokens.dtype), tokens)
    keep = real & ~dropped
    realised = _ratio((erasable & ~dropped).sum(axis=1), erasable.sum(axis=1), 1.0 - rate)
    return out, keep, realised


def apply_missingness(
    text_bert: np.ndarray,
    audio: np.ndarray,
    audio_lengths: np.ndarray,
    vision: np.ndarray,
    vision_lengths: np.ndarray,
    sample_ids: np.ndarray,
    rates: np.ndarray,
    mask_seed: int,
    special_ids: SpecialIds = SpecialIds(),
    shared_noise: bool = False,
) -> Masked:
    """Erase a whole batch/split at once (no Python loop over samples or positions).

    ``rates`` is [N,3] (text, audio, vision), e.g. ``setting.draw(ids, present, epoch).rates``,
    and ``mask_seed`` and ``shared_noise`` the draw's. Inputs are not modified.
    """
    ids = np.asarray(sample_ids)
    rates = np.asarray(rates, dtype=np.float64)
    text_bert = np.asarray(text_bert)
    keys = noise_modalities((text_bert.shape[2], audio.shape[1], vision.shape[1]), shared_noise)
    text_out, keep_text, real_text = _mask_text(text_bert, ids, rates[:, 0], mask_seed, special_ids, keys[0])
    audio_out, keep_audio, real_audio = _mask_frames(audio, audio_lengths, ids, rates[:, 1], mask_seed, keys[1])
    vision_out, keep_vision, real_vision = _mask_frames(vision, vision_lengths, ids, rates[:, 2], mask_seed, keys[2])
    return Masked(
        text_bert=text_out,
        audio=audio_out,
        vision=vision_out,
        integrity=1.0 - rates,
        realised=np.stack([real_text, real_audio, real_vision], axis=1),
        keep_text=keep_text,
        keep_audio=keep_audio,
        keep_vision=keep_vision,
        rates=rates,
    )


def mask_split(
    split: Split,
    setting: MaskSetting,
    present: Any = None,
    special_ids: SpecialIds = SpecialIds(),
    epoch: int = 0,
    indices: np.ndarray | None = None,
) -> Masked:
    """Mask a split (or the rows ``indices`` of it) at one setting; what eval and the probe call."""
    arrays = (split.text_bert, split.audio, split.audio_lengths, split.vision, split.vision_lengths, split.sample_ids)
    if indices is not None:  # (the whole split is used as is: fancy indexing would copy it)
        rows = np.asarray(indices, dtype=np.int64)
        arrays = tuple(array[rows] for array in arrays)  # type: ignore[assignment]  # the same six arrays
    draw = setting.draw(arrays[-1], present, epoch)
    return apply_missingness(*arrays, draw.rates, draw.mask_seed, special_ids, shared_noise=draw.shared_noise)


# ---------------------------------------------------------------------------------------------
# Applying a draw (torch): the trainer's per-batch path, on the batch's device
# ---------------------------------------------------------------------------------------------


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= (1 << 63) else value


def _torch_splitmix64(x):
    """SplitMix64 on int64 tensors holding uint64 bit patterns (two's-complement wrap-around)."""

    def shr(z, k):  # logical right shift on int64
        return (z >> k) & ((1 << (64 - k)) - 1)

    z = x + _signed(_GOLDEN)
    z = (z ^ shr(z, 30)) * _signed(_MIX1)
    z = (z ^ shr(z, 27)) * _signed(_MIX2)
    return z ^ shr(z, 31)


def _torch_position_uniforms(mask_seed: int, sample_ids, modality: int, length: int):
    import torch

    ids_np = sample_ids.detach().cpu().numpy()
    base = hash_keys(mask_seed, STREAM_POSITION, ids_np, modality).view(np.int64)  # [N], cheap
    positions = _position_hashes(length).view(np.int64)
    device = sample_ids.device
    z = torch.from_numpy(base.copy()).to(device)[:, None] ^ torch.from_numpy(positions.copy()).to(device)[None, :]
    z = _torch_splitmix64(z)
    top = (z >> 11) & ((1 << 53) - 1)
    return (top.to(torch.float64) + 1.0) * _INV_2_53


@dataclass
class MaskedBatch:
    """The torch counterpart of :class:`Masked` (same fields, tensors on the batch's device)."""

    text_bert: Any
    audio: Any
    vision: Any
    integrity: Any
    realised: Any
    keep_text: Any
    keep_audio: Any
    keep_vision: Any


def apply_missingness_torch(
    text_bert,
    audio,
    audio_lengths,
    vision,
    vision_lengths,
    sample_ids,
    rates,
    mask_seed: int,
    special_ids: SpecialIds = SpecialIds(),
    shared_noise: bool = False,
) -> MaskedBatch:
    """Whole-batch masking with torch ops; bit-identical masks to :func:`apply_missingness`.

    ``text_bert`` long [B,3,L]; ``audio``/``vision`` float [B,T,d]; lengths long [B];
    ``sample_ids`` long [B]; ``rates`` [B,3] (numpy or tensor). The only host work is hashing the
    B per-sample keys; the per-position hashing runs on the tensors' device.
    """
    import torch

    device = text_bert.device
    rates_t = torch.as_tensor(np.asarray(rates, dtype=np.float64) if not torch.is_tensor(rates) else rates)
    rates_t = rates_t.to(device=device, dtype=torch.float64)
    ids = torch.as_tensor(sample_ids).to(torch.int64)

    tokens, attention = text_bert[:, 0], text_bert[:, 1]
    width = tokens.shape[1]
    keys = noise_modalities((width, audio.shape[1], vision.shape[1]), shared_noise)
    zero = attention == 0
    lengths = torch.where(zero.any(dim=1), zero.to(torch.int64).argmax(dim=1), torch.full_like(zero[:, 0], width, dtype=torch.int64))
    positions = torch.arange(width, device=device)[None, :]
    real = attention != 0
    erasable = real & (positions != 0) & (positions != (lengths - 1)[:, None])
    dropped = erasable & ~(_torch_position_uniforms(mask_seed, ids, keys[0], width) > rates_t[:, 0:1])
    text_out = text_bert.clone()
    text_out[:, 0] = torch.where(dropped, torch.full_like(tokens, special_ids.unk), tokens)
    keep_text = real & ~dropped

    def frames(x, lens, modality, rate):
        steps = x.shape[1]
        lens = lens.to(device=device, dtype=torch.int64).clamp(max=steps)
        u = _torch_position_uniforms(mask_seed, ids, modality, steps)
        keep = (u > rate[:, None]) & (torch.arange(steps, device=device)[None, :] < lens[:, None])
        realised = torch.where(lens > 0, keep.sum(1) / lens.clamp(min=1), 1.0 - rate)
        return x * keep.unsqueeze(-1).to(x.dtype), keep, realised

    audio_out, keep_audio, real_audio = frames(audio, audio_lengths, keys[1], rates_t[:, 1])
    vision_out, keep_vision, real_vision = frames(vision, vision_lengths, keys[2], rates_t[:, 2])
    n_erasable = erasable.sum(1)
    real_text = torch.where(n_erasable > 0, (erasable & ~dropped).sum(1) / n_erasable.clamp(min=1), 1.0 - rates_t[:, 0])
    return MaskedBatch(
        text_bert=text_out,
        audio=audio_out,
        vision=vision_out,
        integrity=(1.0 - rates_t).to(torch.float32),
        realised=torch.stack([real_text, real_audio, real_vision], dim=1).to(torch.float32),
        keep_text=keep_text,
        keep_audio=keep_audio,
        keep_vision=keep_vision,
    )
