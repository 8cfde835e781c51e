"""Missingness: the one package that erases inputs, for training, evaluation and the explorer alike.

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

Its modules:

- :mod:`~core.missingness.hashing`: the counter-based ``u`` (numpy and torch) and epoch seeds;
- :mod:`~core.missingness.settings`: evaluation settings -- :class:`RateSetting` ("rates"),
  :class:`DroprateSetting` ("droprates"), :class:`ModeSetting` ("modes"), :class:`CustomSetting`
  ("custom", what the explorer sends), :class:`CalibrationSetting` (the explorer's calibration
  view) -- :func:`evaluation_sweep`, and the plain-dict round trip (``to_dict`` /
  :func:`setting_from_dict`);
- :mod:`~core.missingness.protocols`: the training protocols (:class:`LnlnProtocol`,
  :class:`IFusionProtocol`, :class:`DarProtocol`; rates and mask seed redrawn per epoch, keyed by
  (seed, epoch)), built from a model's spec by :func:`training_protocol`;
- :mod:`~core.missingness.appliers`: :func:`apply_missingness` (numpy), :func:`mask_split` and
  :func:`apply_missingness_torch` (whole batch, on the batch's device), one rule per modality.

Every setting answers ``draw(sample_ids, present, epoch) -> MaskDraw(rates [N,3], mask_seed)``;
the appliers turn a draw into masked inputs. A draw with ``shared_noise`` gives modalities with
the same number of positions the same ``u`` (:func:`noise_modalities`); by default every modality
has its own. The names below are the package's public surface.
"""

from core.missingness.appliers import Masked, MaskedBatch, apply_missingness, apply_missingness_torch, mask_split, text_lengths
from core.missingness.hashing import hash_uniform, noise_modalities, position_uniforms
from core.missingness.protocols import (
    LNLN_CONSTRUCTION_EPOCH,
    DarProtocol,
    IFusionProtocol,
    LnlnProtocol,
    default_training_protocol,
    lnln_loader_positions,
    lnln_refreshed_rows,
    training_protocol,
)
from core.missingness.settings import (
    DEFAULT_EVAL_SEED,
    DROP_SUBSETS,
    EVAL_DROPRATES,
    EVAL_RATES,
    RETENTION_MODES,
    SETTING_KINDS,
    CalibrationSetting,
    CustomSetting,
    DroprateSetting,
    MaskDraw,
    MaskSetting,
    ModeSetting,
    RateSetting,
    evaluation_sweep,
    present_vector,
    setting_from_dict,
)

__all__ = [
    "DEFAULT_EVAL_SEED",
    "DROP_SUBSETS",
    "EVAL_DROPRATES",
    "EVAL_RATES",
    "LNLN_CONSTRUCTION_EPOCH",
    "RETENTION_MODES",
    "SETTING_KINDS",
    "CalibrationSetting",
    "CustomSetting",
    "DarProtocol",
    "DroprateSetting",
    "IFusionProtocol",
    "LnlnProtocol",
    "MaskDraw",
    "MaskSetting",
    "Masked",
    "MaskedBatch",
    "ModeSetting",
    "RateSetting",
    "apply_missingness",
    "apply_missingness_torch",
    "default_training_protocol",
    "evaluation_sweep",
    "hash_uniform",
    "lnln_loader_positions",
    "lnln_refreshed_rows",
    "mask_split",
    "noise_modalities",
    "position_uniforms",
    "present_vector",
    "setting_from_dict",
    "text_lengths",
    "training_protocol",
]
