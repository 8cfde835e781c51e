"""Training protocols: how a model's training masks are drawn, and the validation setting that
selects its checkpoint.

``lnln`` (:class:`LnlnProtocol`; ``faithful_masks=True`` models the official LNLN loader's quirks,
[A1]), ``ifusion`` (:class:`IFusionProtocol`) and ``dar`` (:class:`DarProtocol`): rates and mask
seed redrawn per epoch, keyed by (seed, epoch). A model's spec names its protocol and options
(core/models/spec.py); :func:`training_protocol` builds it, with no branch on the model's name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from core.errors import ConfigError
from core.missingness.hashing import STREAM_HALF, epoch_mask_seed, hash_uniform
from core.missingness.settings import (
    DEFAULT_EVAL_SEED,
    SETTING_KINDS,
    DroprateSetting,
    MaskDraw,
    MaskSetting,
    RateSetting,
    _finish,
    _intra_uniform,
    present_vector,
)
from core.models.dar_spec import TRAIN_RATE_K


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


class TrainingProtocol(MaskSetting):
    """A model's training masks (a setting that draws afresh each epoch) and the fixed setting its
    checkpoint is selected under."""

    training: ClassVar[bool] = True

    def validation_setting(self) -> MaskSetting:
        raise NotImplementedError

    def intra_uniform_range(self) -> tuple[float, float] | None:
        """(low, high) when every modality's intra rate is drawn r ~ U(low, high), independently
        per sample and modality; None when the rates follow any other law (a fixed rate,
        LNLN's half-zero reset). A model whose targets assume a law checks it against this."""
        return None


@dataclass(frozen=True)
class LnlnProtocol(TrainingProtocol):
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
            epoch_seed = epoch_mask_seed(self.seed, epoch)
            return MaskDraw(_finish(_lnln_rates(epoch_seed, ids), present_vector(present)), epoch_seed)
        construction = epoch_mask_seed(self.seed, LNLN_CONSTRUCTION_EPOCH)
        rates = _lnln_rates(construction, ids)
        fresh = lnln_refreshed_rows(ids.shape[0], self.seed, epoch, self.LOADER_BATCH_SIZE, self.LOADER_WORKERS)
        rates[fresh] = _lnln_rates(epoch_mask_seed(self.seed, epoch), ids[fresh])
        return MaskDraw(_finish(rates, present_vector(present)), construction, shared_noise=True)

    def validation_setting(self) -> MaskSetting:
        return RateSetting(0.5)  # LNLN's missing_rate_eval_test


@dataclass(frozen=True)
class IFusionProtocol(TrainingProtocol):
    """Training ``ifusion``: intra r ~ U(low, high) plus inter droprate (defaults 0.5, U(0,1), [A7])."""

    kind: ClassVar[str] = "ifusion"
    training: ClassVar[bool] = True
    seed: int = 0
    droprate: float = 0.5
    intra_low: float = 0.0
    intra_high: float = 1.0

    def draw(self, sample_ids, present=None, epoch=0):
        ids = np.asarray(sample_ids)
        epoch_seed = epoch_mask_seed(self.seed, epoch)
        setting = DroprateSetting(self.droprate, epoch_seed, self.intra_low, self.intra_high)
        return setting.draw(ids, present)

    def validation_setting(self) -> MaskSetting:
        # Senti-iFusion's patterns are "consistent" across train/valid/test: same distribution,
        # fixed seed.
        return DroprateSetting(self.droprate, DEFAULT_EVAL_SEED, self.intra_low, self.intra_high)

    def intra_uniform_range(self) -> tuple[float, float] | None:
        return (float(self.intra_low), float(self.intra_high))


@dataclass(frozen=True)
class DarProtocol(TrainingProtocol):
    """Training ``dar``: a fixed rate k on every modality ([A20]; ``variant="uniform"`` reads it as
    r ~ U(0, k)). k per data family is DAR's (core/models/dar_spec.py: 0.3 for MOSI and the
    synthetic set, 0.4 for MOSEI)."""

    kind: ClassVar[str] = "dar"
    training: ClassVar[bool] = True
    seed: int = 0
    k: float = TRAIN_RATE_K["mosi"]
    variant: str = "fixed"

    def __post_init__(self) -> None:
        if self.variant not in ("fixed", "uniform"):
            raise ConfigError(f"DAR missingness variant {self.variant!r} does not exist; use fixed or uniform")

    def draw(self, sample_ids, present=None, epoch=0):
        ids = np.asarray(sample_ids)
        epoch_seed = epoch_mask_seed(self.seed, epoch)
        if self.variant == "fixed":
            rates = np.full((ids.shape[0], 3), float(self.k))
        else:
            rates = _intra_uniform(epoch_seed, ids, 0.0, float(self.k))
        return MaskDraw(_finish(rates, present_vector(present)), epoch_seed)

    def intra_uniform_range(self) -> tuple[float, float] | None:
        return (0.0, float(self.k)) if self.variant == "uniform" else None

    def validation_setting(self) -> MaskSetting:
        # [A32]: DAR keeps the checkpoint with the smallest overall loss on the validation split
        # at its training rate k (its robust evaluation afterwards is LNLN's).
        return RateSetting(float(self.k))


def training_protocol(
    model: str,
    family: str = "synthetic",
    seed: int = 0,
    model_config: Any = None,
    options: Mapping[str, Any] | None = None,
) -> TrainingProtocol:
    """Model ``model``'s own training protocol (its spec's ``protocol``), keyed by ``seed``.

    Options, lowest first: the spec's for the data ``family``, the fields of the built model's
    ``model_config`` the spec names (DAR's k), ``options`` (``--set protocol.<name>=…``)."""
    from core.models.registry import model_spec

    spec = model_spec(model)
    cls = SETTING_KINDS.get(spec.protocol)
    if cls is None or not issubclass(cls, TrainingProtocol):
        raise ConfigError(
            f"model {model!r}: its spec names training protocol {spec.protocol!r}, which does not exist: "
            f"use one of {', '.join(k for k, c in SETTING_KINDS.items() if c.training)}"
        )
    values = dict(spec.protocol_by_family.get(family, {}))
    if model_config is not None:
        values.update({name: getattr(model_config, field) for name, field in spec.protocol_from_config.items()})
    protocol: TrainingProtocol = cls(seed=seed, **values)  # type: ignore[call-arg]  # every protocol dataclass has a seed
    if options:
        try:
            protocol = dataclasses.replace(protocol, **options)
        except TypeError:
            raise ConfigError(
                f"the {protocol.kind} missingness protocol has no option among {', '.join(sorted(options))}"
            ) from None
    return protocol


def default_training_protocol(model: str, dataset: str = "synthetic", seed: int = 0) -> MaskSetting:
    """The protocol a model trains with on data family ``dataset`` (its spec's options only)."""
    return training_protocol(model, dataset, seed)
