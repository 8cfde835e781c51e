"""Robustness sweeps: checkpoints x protocol settings x mask seeds, as plain result objects.

    report = evaluate_checkpoints(["checkpoints/demo.pt"], protocols=("rates", "modes"))
    report.to_json("results.json"); report.to_csv("results.csv")

For every checkpoint, every setting of each protocol (:func:`core.missingness.evaluation_sweep`:
``rates`` r = 0.0..0.9 on all modalities, ``droprates`` 0.0..1.0 plus intra masking, ``modes``
the six retention modes of Senti-iFusion's Table III) and every mask seed, the whole split is
evaluated with the probe's batched evaluation (:meth:`core.probe.session.Probe.evaluate_setting`:
batches of 64 in fixed order, the checkpoint's own dominant selection, identical masks for every
checkpoint). Then, per setting, the mean and the standard deviation over the seeds.

Definitions (recorded in every export under ``metadata.definitions``):

- **seeds** are *mask* seeds: they change which positions are erased (and, for droprates/modes,
  the per-sample rates); the checkpoint stays the same. At r = 0 every seed gives the same mask.
- **std** is the sample standard deviation over seeds (ddof = 1; 0 with a single seed).
- **overall** is, per seed, the plain mean of a metric over the protocol's settings, then mean
  and std over seeds. For ``rates`` this is LNLN's "overall" figure (mean over r = 0..0.9).
- **AUC** (``rates`` only) is, per seed, the normalised area under the metric-vs-rate curve:
  ``AUC_m = trapezoid(m(r), r) / (r_max - r_min)`` over the evaluated rates (0..0.9), i.e. the
  curve's average height, in the metric's own units (MAE: lower is better; accuracies: higher is
  better). It differs from "overall" only by weighting the two end points by half. Computed for
  MAE, Acc-7 and both Acc-2 (SIMS: MAE, Acc-5, Acc-2).

**Training seeds.** Checkpoints that are the same model, data and configuration and differ only in
their training seed (``train --seeds 1111,1112,1113``) form one *model group*
(:func:`seed_groups`). A group's figure per setting is, per training seed, the checkpoint's mean
over the mask seeds; then mean and std (ddof = 1) **over training seeds** -- what MSA papers
report. The mask-seed spread is reported beside it (``mask_std``: the mean over training seeds of
each checkpoint's std over mask seeds). Overall and AUC likewise.

**lnln-paper** (``--protocol lnln-paper``) is LNLN's robust evaluation (``robust_evaluation.py``,
docs/models.md §1.5, §2.5): rates r = 0.0..0.9, mask seed 1111 only, averaged over the training
seeds. For runs trained with ``--selection paper`` the per-metric checkpoints of each seed are
combined as the paper's table does (:data:`PAPER_SOURCES`: Acc-2 with its F1 from the Acc-2
checkpoint, MAE with Corr from the MAE checkpoint, each accuracy from its own checkpoint) into one
extra group, ``<model> paper table``.

LNLN's paper protocol selects checkpoints on the TEST split (``--selection paper``, [A6]); such
checkpoints are marked ``test_selected`` with a note, and so is the whole report.

The package: :mod:`~core.evaluation.sweep` runs it, :mod:`~core.evaluation.report` holds the
result types and their JSON/CSV form, :mod:`~core.evaluation.groups` the training-seed groups and
LNLN's paper table, :mod:`~core.evaluation.files` the files, :mod:`~core.evaluation.definitions`
the protocol names and definitions. Everything public is importable from ``core.evaluation``.
"""

from __future__ import annotations

from core.evaluation.definitions import (
    AUC_KEYS,
    CURVE_PROTOCOLS,
    DEFAULT_SEEDS,
    DEFINITIONS,
    LNLN_PAPER_SEED,
    PAPER_SOURCES,
    PROTOCOLS,
    SWEEPS,
)
from core.evaluation.files import _write, check_writable, expand_checkpoints, file_sha256
from core.evaluation.groups import config_signature, group_keys, paper_tables, seed_groups, train_seed_of
from core.evaluation.report import (
    CSV_LEADING,
    CSV_TRAILING,
    INT_COLUMNS,
    SIGNIFICANT_DIGITS,
    Aggregate,
    CheckpointResult,
    EvaluationReport,
    GroupResult,
    Metrics,
    ProtocolResult,
    SettingResult,
    read_csv,
    report_from_dict,
    tidy_float,
)
from core.evaluation.sweep import _swept_value, evaluate_checkpoints, normalised_auc, senti_tui_version

__all__ = [
    "AUC_KEYS",
    "CSV_LEADING",
    "CSV_TRAILING",
    "CURVE_PROTOCOLS",
    "DEFAULT_SEEDS",
    "DEFINITIONS",
    "INT_COLUMNS",
    "LNLN_PAPER_SEED",
    "PAPER_SOURCES",
    "PROTOCOLS",
    "SIGNIFICANT_DIGITS",
    "SWEEPS",
    "Aggregate",
    "CheckpointResult",
    "EvaluationReport",
    "GroupResult",
    "Metrics",
    "ProtocolResult",
    "SettingResult",
    "_swept_value",
    "_write",
    "check_writable",
    "config_signature",
    "evaluate_checkpoints",
    "expand_checkpoints",
    "file_sha256",
    "group_keys",
    "normalised_auc",
    "paper_tables",
    "read_csv",
    "report_from_dict",
    "seed_groups",
    "senti_tui_version",
    "tidy_float",
    "train_seed_of",
]
