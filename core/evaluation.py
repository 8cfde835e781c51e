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
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import asdict, dataclass, field
from dataclasses import replace as dataclass_replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence, overload

import numpy as np

from core.errors import ConfigError, SentiError
from core.metrics import metric_keys
from core.missingness import EVAL_RATES, MaskSetting, evaluation_sweep

PROTOCOLS = ("rates", "droprates", "modes", "lnln-paper")
SWEEPS = {"rates": "rates", "droprates": "droprates", "modes": "modes", "lnln-paper": "rates"}  # protocol -> missingness sweep
CURVE_PROTOCOLS = ("rates", "droprates", "lnln-paper")  # a metric against a swept fraction
LNLN_PAPER_SEED = 1111  # LNLN's robust_evaluation.py: the data loader's seed, fixed
DEFAULT_SEEDS = (1111, 1112, 1113)
# LNLN's robust_evaluation.py: which best_<key> checkpoint each reported metric is read from.
PAPER_SOURCES = {
    "mosi": {"Has0_acc_2": "Has0_acc_2", "Has0_F1_score": "Has0_acc_2", "Non0_acc_2": "Non0_acc_2",
             "Non0_F1_score": "Non0_acc_2", "Mult_acc_5": "Mult_acc_5", "Mult_acc_7": "Mult_acc_7",
             "MAE": "MAE", "Corr": "MAE"},
    "sims": {"Mult_acc_2": "Mult_acc_2", "F1_score": "Mult_acc_2", "Mult_acc_3": "Mult_acc_3",
             "Mult_acc_5": "Mult_acc_5", "MAE": "MAE", "Corr": "MAE"},
}
AUC_KEYS = {
    "mosi": ("MAE", "Mult_acc_7", "Non0_acc_2", "Has0_acc_2"),
    "sims": ("MAE", "Mult_acc_5", "Mult_acc_2"),
}
DEFINITIONS = {
    "seeds": "mask seeds: which positions are erased (and, for droprates/modes, the per-sample rates); the checkpoint is fixed",
    "train_seed": "the training seed of a checkpoint (train --seed/--seeds); checkpoints differing only in it form one model group",
    "std": "sample standard deviation over seeds (ddof=1; 0 with one seed): over mask seeds for a checkpoint, over "
    "training seeds for a model group",
    "mask_std": "model groups only: the mean over training seeds of each checkpoint's std over mask seeds",
    "group": "per training seed, the checkpoint's mean over mask seeds; then mean and std over training seeds",
    "lnln-paper": "LNLN's robust evaluation: rates 0.0..0.9, mask seed 1111, mean over training seeds; for --selection "
    "paper runs each metric from its best_<key> checkpoint (F1 with its Acc-2, Corr with MAE)",
    "overall": "per seed, the mean of a metric over the protocol's settings; then mean and std over seeds (rates: LNLN's overall)",
    "auc": "rates only: per seed, trapezoid of the metric over r in [0, 0.9] divided by 0.9 (the curve's average height, "
    "metric units); then mean and std over seeds",
    "evaluation": "whole split, batches of 64 in fixed order, the checkpoint's own dominant selection, identical masks for every checkpoint",
    "precision": "fp32: float32 throughout; bf16: forward passes under torch.autocast(bfloat16), predictions converted to "
    "float32 before the metrics",
}

Metrics = dict[str, float]


@dataclass
class Aggregate:
    """Per-seed values of several metrics, and their mean and std over seeds."""

    per_seed: dict[int, Metrics]  # mask seed (a checkpoint) or training seed (a model group) -> metrics
    mean: Metrics
    std: Metrics
    mask_std: Metrics = field(default_factory=dict)  # model groups: mean over training seeds of the mask-seed std

    @classmethod
    def of(cls, per_seed: dict[int, Metrics], mask_std: Metrics | None = None) -> "Aggregate":
        keys = list(next(iter(per_seed.values())).keys()) if per_seed else []
        mean, std = {}, {}
        for key in keys:
            values = np.array([per_seed[seed][key] for seed in per_seed], dtype=np.float64)
            mean[key] = float(values.mean())
            std[key] = float(values.std(ddof=1)) if len(values) > 1 else 0.0
        return cls(per_seed=per_seed, mean=mean, std=std, mask_std=dict(mask_std or {}))


@dataclass
class SettingResult:
    """One protocol setting (e.g. r = 0.3) over the seeds."""

    label: str  # "r=0.3", "drop=0.5", "mode 1 {l,v}"
    value: float  # the swept value: rate, droprate or mode number
    setting: dict  # the setting at the first seed (MaskSetting.to_dict)
    result: Aggregate


@dataclass
class ProtocolResult:
    protocol: str
    settings: list[SettingResult]
    overall: Aggregate
    auc: Aggregate | None = None  # rates only

    def curve(self, key: str) -> tuple[list[float], list[float], list[float]]:
        """(swept values, mean, std) of one metric."""
        return (
            [s.value for s in self.settings],
            [s.result.mean[key] for s in self.settings],
            [s.result.std[key] for s in self.settings],
        )


@dataclass
class CheckpointResult:
    key: str
    model: str
    path: str
    kind: str  # "best", "last" or "best_<metric>"
    epoch: int
    dataset: str
    data_source: str
    data_fingerprint: str
    synthetic: bool
    selected_on: str  # "valid" or "test"
    test_selected: bool
    selected_for: str | None  # the metric of a best_<metric> checkpoint (LNLN's paper protocol)
    training_protocol: dict
    note: str
    protocols: dict[str, ProtocolResult] = field(default_factory=dict)
    train_seed: int | None = None  # the training seed (training.seed of the checkpoint)
    group: str = ""  # the key of its model group ("" when it stands alone)
    sha256: str = ""  # of the checkpoint file


@dataclass
class GroupResult:
    """Checkpoints differing only in their training seed, as one model: per setting, mean and std
    over training seeds of each checkpoint's mean over mask seeds (``mask_std`` beside them)."""

    key: str
    model: str
    kind: str
    selected_for: str | None
    checkpoints: list[str]  # member checkpoint keys, in training-seed order
    train_seeds: list[int]
    synthetic: bool
    test_selected: bool
    combined: bool = False  # lnln-paper: each metric from its own best_<key> checkpoints
    sources: dict[str, str] = field(default_factory=dict)  # combined: metric -> the kind it is read from
    protocols: dict[str, ProtocolResult] = field(default_factory=dict)


@dataclass
class EvaluationReport:
    checkpoints: list[CheckpointResult]
    protocols: list[str]
    seeds: list[int]
    split: str
    metric_keys: list[str]
    metadata: dict
    groups: list[GroupResult] = field(default_factory=list)
    utterances: Any = field(default=None, repr=False, compare=False)  # per-utterance DataFrame (eval --per-utterance)

    @property
    def entries(self) -> list:
        """What the tables and figures show: every model group, then the checkpoints in no group."""
        return [*self.groups, *[c for c in self.checkpoints if not c.group]]

    @property
    def synthetic(self) -> bool:
        return any(c.synthetic for c in self.checkpoints)

    @property
    def test_selected(self) -> bool:
        return any(c.test_selected for c in self.checkpoints)

    @property
    def labels(self) -> str:
        """The honesty labels every rendering of the report carries: "SYNTHETIC · TEST-SELECTED"."""
        return " · ".join(tag for tag, on in (("SYNTHETIC", self.synthetic), ("TEST-SELECTED", self.test_selected)) if on)

    def to_dict(self) -> dict:
        data = asdict(dataclass_replace(self, utterances=None))
        data.pop("utterances", None)
        return _json_safe(data)

    def to_json(self, path: str | Path) -> Path:
        path = Path(path)
        _write(path, json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n")
        return path

    @classmethod
    def from_json(cls, path: str | Path) -> "EvaluationReport":
        return report_from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    def csv_rows(self) -> list[dict[str, Any]]:
        """The tidy rows of :meth:`to_csv` (see :data:`CSV_COLUMNS_DOC`), as dicts."""
        rows: list[dict[str, Any]] = []
        by_key = {c.key: c for c in self.checkpoints}
        for c in self.checkpoints:
            common = {
                "level": "checkpoint",
                "model_key": c.group or c.key,
                "checkpoint_key": c.key,
                "model": c.model,
                "train_seed": c.train_seed,
                "checkpoint": c.path,
                "checkpoint_sha256": c.sha256,
                "kind": c.kind,
                "epoch": c.epoch,
                "n_train_seeds": 1,
                **self._common(c),
            }
            for name, result in c.protocols.items():
                rows += _protocol_rows(common, name, result, mask_level=True)
        for g in self.groups:
            first = by_key[g.checkpoints[0]]
            common = {
                "level": "model",
                "model_key": g.key,
                "checkpoint_key": "",
                "model": g.model,
                "train_seed": None,
                "checkpoint": "",
                "checkpoint_sha256": "",
                "kind": "combined" if g.combined else g.kind,
                "epoch": None,
                "n_train_seeds": len(g.train_seeds),
                **self._common(first),
                "selected_for": "" if g.combined else (g.selected_for or ""),
            }
            for name, result in g.protocols.items():
                rows += _protocol_rows(common, name, result, mask_level=False)
        return rows

    def _common(self, c: "CheckpointResult") -> dict[str, Any]:
        meta = self.metadata
        return {
            "split": self.split,
            "n_seeds": len(self.seeds),
            "dataset": c.dataset,
            "data_source": c.data_source,
            "data_fingerprint": c.data_fingerprint,
            "synthetic": c.synthetic,
            "selected_on": c.selected_on,
            "test_selected": c.test_selected,
            "selected_for": c.selected_for or "",
            "senti_tui_version": meta.get("senti_tui_version", ""),
            "git_revision": (meta.get("provenance") or {}).get("git_revision") or "",
            "torch_version": meta.get("torch_version", ""),
            "device": meta.get("device", ""),
            "precision": meta.get("precision", ""),
        }

    def to_frame(self):
        """The CSV as a pandas DataFrame (integer seed columns nullable, metrics rounded to 10
        significant digits)."""
        import pandas as pd

        columns = CSV_LEADING + list(self.metric_keys) + CSV_TRAILING
        frame = pd.DataFrame(self.csv_rows(), columns=columns)
        for name in INT_COLUMNS:
            frame[name] = frame[name].astype("Int64")
        for name in ["value", *self.metric_keys]:
            frame[name] = frame[name].map(tidy_float).astype("float64")
        return frame

    def to_csv(self, path: str | Path) -> Path:
        path = Path(path)
        _write(path, self.to_frame().to_csv(index=False, lineterminator="\n"))
        return path


CSV_LEADING = ["level", "model_key", "checkpoint_key", "model", "protocol", "setting", "value", "row", "stat", "seed", "train_seed"]
CSV_TRAILING = [
    "checkpoint", "checkpoint_sha256", "kind", "epoch", "split", "n_seeds", "n_train_seeds", "dataset", "data_source",
    "data_fingerprint", "synthetic", "selected_on", "test_selected", "selected_for", "senti_tui_version", "git_revision",
    "torch_version", "device", "precision",
]
INT_COLUMNS = ("seed", "train_seed", "epoch", "n_seeds", "n_train_seeds")
SIGNIFICANT_DIGITS = 10


def tidy_float(value: Any) -> float:
    """A float rounded to 10 significant digits (0.30000000000000004 -> 0.3); None/"" -> NaN."""
    if value is None or value == "":
        return math.nan
    value = float(value)
    if not math.isfinite(value):
        return value
    return float(f"{value:.{SIGNIFICANT_DIGITS}g}")


def _protocol_rows(common: dict, name: str, result: "ProtocolResult", mask_level: bool) -> list[dict[str, Any]]:
    """Rows of one protocol: per setting, one per seed then mean and std (and mask_std for a
    group); then the overall and AUC summaries with the same statistics."""
    rows = []
    blocks = [(s.label, s.value, s.label, s.result) for s in result.settings] + [("overall", None, "overall", result.overall)]
    if result.auc is not None:
        blocks.append(("auc", None, "auc", result.auc))
    for label, value, summary, aggregate in blocks:
        is_setting = summary not in ("overall", "auc")
        for stat, seed, metrics in _statistics(aggregate):
            row = {**common, "protocol": name, "setting": label, "value": value, "row": stat if is_setting else summary, "stat": stat}
            if stat == "seed":
                if mask_level:
                    row["seed"] = seed
                else:
                    row["train_seed"] = seed
            rows.append({**row, **metrics})
    return rows


def read_csv(path: str | Path):
    """An exported CSV as a pandas DataFrame with its column types (seeds as nullable integers,
    flags as booleans, empty metrics as NaN)."""
    import pandas as pd

    frame = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype={"setting": str, "checkpoint_key": str,
                        "selected_for": str, "checkpoint": str, "checkpoint_sha256": str, "git_revision": str,
                        "device": str, "precision": str, "senti_tui_version": str, "torch_version": str})
    for name in INT_COLUMNS:
        if name in frame:
            frame[name] = frame[name].astype("Int64")
    for name in ("setting", "checkpoint_key", "selected_for", "checkpoint", "checkpoint_sha256", "git_revision",
                 "device", "precision", "senti_tui_version", "torch_version"):
        if name in frame:
            frame[name] = frame[name].fillna("")
    for name in ("synthetic", "test_selected"):
        if name in frame:
            frame[name] = frame[name].astype(bool)
    return frame


# ----- running the sweep ----------------------------------------------------------------------


def evaluate_checkpoints(
    paths: Sequence[str],
    protocols: Sequence[str] = ("rates",),
    seeds: Sequence[int] = DEFAULT_SEEDS,
    data: str | None = None,
    split: str = "test",
    device: str = "cpu",
    progress: Callable[[int, int, str], None] | None = None,
    precision: str = "auto",
    per_utterance: bool = False,
    group_seeds: bool = True,
) -> EvaluationReport:
    """Evaluate every checkpoint under every protocol setting and mask seed.

    Checkpoints of the same data are evaluated together (one data set, identical masks);
    checkpoints of different data each get their own. ``progress(done, total, label)`` is called
    after every (setting, seed) of a group. ``precision``: ``fp32``, ``bf16`` (autocast) or
    ``auto`` (fp32 on CPU; :mod:`core.training.device`), recorded in the metadata. Checkpoints
    differing only in their training seed become model groups (:func:`seed_groups`; off with
    ``group_seeds=False``). ``per_utterance`` keeps every prediction in ``report.utterances``
    (:mod:`core.per_utterance`).
    """
    from core.probe.loading import data_key, load_checkpoints, model_keys
    from core.probe.session import Probe

    protocols = _check_protocols(protocols)
    if "lnln-paper" in protocols:
        if len(protocols) > 1:
            raise ConfigError("--protocol lnln-paper is LNLN's whole robust evaluation: pass it alone, not with "
                              + ", ".join(p for p in protocols if p != "lnln-paper"))
        if [int(s) for s in seeds] not in ([LNLN_PAPER_SEED], list(DEFAULT_SEEDS)):
            raise ConfigError(f"--protocol lnln-paper uses mask seed {LNLN_PAPER_SEED} only (LNLN's robust evaluation): drop --seeds")
        seeds = [LNLN_PAPER_SEED]
    seeds = _check_seeds(seeds)
    checkpoints = load_checkpoints([str(p) for p in paths])
    members = seed_groups(checkpoints, singletons="lnln-paper" in protocols) if group_seeds else []
    group_names = group_keys(checkpoints, members)
    keys = model_keys(checkpoints)
    for group, name in zip(members, group_names):
        for i in group:
            keys[i] = f"{name} · seed {train_seed_of(checkpoints[i])}"
    by_data: dict[tuple, list[int]] = {}
    for i, checkpoint in enumerate(checkpoints):
        by_data.setdefault((data_key(checkpoint, data), checkpoint.data.get("fingerprint")), []).append(i)

    results: dict[int, CheckpointResult] = {}
    family, used_precision, used_device = "mosi", precision, device
    sweeps = {name: [evaluation_sweep(SWEEPS[name], seed) for seed in seeds] for name in protocols}
    total = sum(len(s[0]) for s in sweeps.values()) * len(seeds) * len(by_data)
    done = 0
    frames = []
    for indices in by_data.values():
        probe = Probe.from_checkpoints([checkpoints[i] for i in indices], data, split, device, keys=[keys[i] for i in indices],
                                       precision=precision)
        used_precision, used_device = probe.precision, str(getattr(probe, "_device", device))
        family = probe.metric_family
        description = probe.data_description
        per_protocol: dict[str, dict[str, list[dict[int, Metrics]]]] = {}
        for name in protocols:
            columns = list(zip(*sweeps[name]))  # per setting: the same setting at each seed
            per_protocol[name] = {keys[i]: [dict() for _ in columns] for i in indices}
            for s, variants in enumerate(columns):
                for seed, setting in zip(seeds, variants):
                    metrics = probe.evaluate_setting(setting)
                    for key, values in metrics.items():
                        per_protocol[name][key][s][seed] = values
                    if per_utterance:
                        from core.per_utterance import setting_frame

                        frames.append(setting_frame(probe, setting, name, seed, {keys[i]: checkpoints[i] for i in indices}))
                    done += 1
                    if progress is not None:
                        progress(done, total, f"{name} {setting.label} seed {seed}")
        for i in indices:
            result = _checkpoint_result(checkpoints[i], keys[i], description)
            for name in protocols:
                result.protocols[name] = _protocol_result(name, sweeps[name][0], per_protocol[name][keys[i]], family)
            results[i] = result

    ordered = [results[i] for i in range(len(checkpoints))]
    groups = []
    for group, name in zip(members, group_names):
        for i in group:
            ordered[i].group = name
        groups.append(_group_result(name, [ordered[i] for i in group]))
    if "lnln-paper" in protocols:
        runs = [config_signature(checkpoints[g[0]], with_kind=False) for g in members]
        groups += paper_tables(groups, runs, "sims" if family == "sims" else "mosi")
    metadata = _metadata(ordered, split, seeds, protocols, used_precision, used_device)
    for checkpoint, result in zip(checkpoints, ordered):  # how each checkpoint was trained (senti-tui train's record)
        metadata["checkpoints"][result.path]["trained_with"] = dict(getattr(checkpoint, "provenance", {}) or {})
    metadata["data_sha256"] = {source: file_sha256(source) or None for source in sorted({_data_file(c, data) or "" for c in checkpoints}) if source}
    report = EvaluationReport(
        checkpoints=ordered,
        protocols=list(protocols),
        seeds=list(seeds),
        split=split,
        metric_keys=list(metric_keys("sims" if family == "sims" else "mosi")),
        metadata=metadata,
        groups=groups,
    )
    if per_utterance:
        from core.per_utterance import combine

        report.utterances = combine(frames, report)
    return report


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
        runs = [path] if (path / CONFIG_NAME).is_file() or any(path.glob("*.pt")) else sorted(
            (p for p in path.iterdir() if p.is_dir() and ((p / CONFIG_NAME).is_file() or any(p.glob("*.pt")))),
            key=lambda p: p.name)
        found: list[str] = []
        for run in runs:
            per_metric = sorted(run.glob("best_*.pt")) if paper else []
            best = per_metric or sorted(run.glob("*_best.pt"))
            found += [str(p) for p in best]
        if not found:
            raise SentiError(f"{path}: holds no best checkpoint (*_best.pt) in it or its run folders: pass .pt files written by senti-tui train")
        expanded += found
    return expanded


def _data_file(checkpoint, override: str | None) -> str | None:
    """The data file a checkpoint is evaluated on (None for the synthetic set)."""
    from core.probe.loading import data_source

    source = data_source(checkpoint, override)
    return None if source is None or str(source).startswith("synthetic") else str(source)


# ----- training-seed groups ----------------------------------------------------------------------

# Settings that may differ between the runs of one model: the seed itself, and where/how it ran.
_NOT_THE_CONFIG = {"seed", "device", "precision", "notes", "provenance"}


def train_seed_of(checkpoint) -> int | None:
    seed: Any = (checkpoint.training or {}).get("seed")
    try:
        return int(seed)
    except (TypeError, ValueError):
        return None


def config_signature(checkpoint, with_kind: bool = True) -> str:
    """Everything that makes a checkpoint the model it is, except its training seed: model,
    kind, model config, training config (less seed, device, precision), training protocol (less
    its seed), data fingerprint and text encoder."""
    training = {k: v for k, v in (checkpoint.training or {}).items() if k not in _NOT_THE_CONFIG}
    protocol = {k: v for k, v in ((checkpoint.protocol or {}).get("train") or {}).items() if k != "seed"}
    encoder = {k: v for k, v in (checkpoint.text_encoder or {}).items() if k != "vocab"}
    signature = {
        "model": checkpoint.model, "kind": str(checkpoint.kind) if with_kind else None, "model_config": checkpoint.model_config,
        "training": training, "protocol": protocol, "encoder": encoder,
        "data": (checkpoint.data.get("fingerprint"), checkpoint.data.get("name")),
    }
    return json.dumps(signature, sort_keys=True, default=str)


def seed_groups(checkpoints: Sequence, singletons: bool = False) -> list[list[int]]:
    """Indices of checkpoints that differ only in their training seed (two or more, distinct
    seeds, ordered by seed). ``singletons``: a checkpoint alone is a group of one as well."""
    by_signature: dict[str, list[int]] = {}
    for i, checkpoint in enumerate(checkpoints):
        by_signature.setdefault(config_signature(checkpoint), []).append(i)
    groups = []
    for indices in by_signature.values():
        seeds = [train_seed_of(checkpoints[i]) for i in indices]
        if None in seeds or len(set(seeds)) != len(seeds):
            continue  # the same seed twice (or unknown): not a seed sweep; each stands alone
        if len(indices) >= 2 or singletons:
            groups.append(sorted(indices, key=lambda i: train_seed_of(checkpoints[i]) or 0))  # no None: checked above
    return sorted(groups, key=lambda g: g[0])


def group_keys(checkpoints: Sequence, groups: list[list[int]]) -> list[str]:
    """The model name, with the kind when it is not "best", numbered when it repeats."""
    names = []
    for group in groups:
        first = checkpoints[group[0]]
        kind = str(first.kind)
        names.append(first.model if kind == "best" else f"{first.model} {kind}")
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if names.count(name) == 1 else f"{name} #{seen[name]}")
    return unique


def _group_result(key: str, members: list[CheckpointResult]) -> GroupResult:
    first = members[0]
    group = GroupResult(
        key=key, model=first.model, kind=first.kind, selected_for=first.selected_for,
        checkpoints=[m.key for m in members], train_seeds=[int(m.train_seed) for m in members],  # type: ignore[arg-type]
        synthetic=any(m.synthetic for m in members), test_selected=any(m.test_selected for m in members),
    )
    for name, first_result in first.protocols.items():
        results = [m.protocols[name] for m in members]
        seeds = group.train_seeds

        def over_seeds(pick: Callable[[ProtocolResult], Aggregate | None]) -> Aggregate | None:
            parts = [p for r in results if (p := pick(r)) is not None]
            if len(parts) < len(members):  # a member without it
                return None
            return Aggregate.of({seed: dict(p.mean) for seed, p in zip(seeds, parts)},
                                mask_std=_mean_metrics([p.std for p in parts]))

        settings = [
            SettingResult(label=s.label, value=s.value, setting=s.setting, result=over_seeds(_setting_pick(i)))  # type: ignore[arg-type]
            for i, s in enumerate(first_result.settings)
        ]
        group.protocols[name] = ProtocolResult(protocol=name, settings=settings, overall=over_seeds(lambda r: r.overall),  # type: ignore[arg-type]
                                               auc=over_seeds(lambda r: r.auc))
    return group


def _setting_pick(i: int) -> Callable[[ProtocolResult], Aggregate | None]:
    return lambda r: r.settings[i].result


def _mean_metrics(values: list[Metrics]) -> Metrics:
    return {key: float(np.mean([v[key] for v in values])) for key in values[0]} if values else {}


def paper_tables(groups: list[GroupResult], runs: list[str], family: str) -> list[GroupResult]:
    """LNLN's table from the per-metric checkpoints of ``--selection paper`` runs: for each model
    whose groups include best_<key> checkpoints, one combined group whose metric M at training seed
    s is M of the best_<PAPER_SOURCES[M]> checkpoint of seed s (F1 with its Acc-2, Corr with MAE).
    ``runs[i]``: the configuration of ``groups[i]`` without its kind (the same runs' other files)."""
    sources = PAPER_SOURCES[family]
    families: dict[str, dict[str, GroupResult]] = {}
    for g, run in zip(groups, runs):
        if g.selected_for:
            families.setdefault(run, {})[g.selected_for] = g
    tables = []
    for per_key in families.values():
        wanted = {metric: kind for metric, kind in sources.items() if kind in per_key}
        if not wanted:
            continue
        seeds = sorted(set.intersection(*[set(per_key[k].train_seeds) for k in set(wanted.values())]))
        if not seeds:
            continue
        first = next(iter(per_key.values()))
        table = GroupResult(
            key=f"{first.model} paper table", model=first.model, kind="combined", selected_for=None,
            checkpoints=[c for k in sorted(set(wanted.values())) for c in per_key[k].checkpoints], train_seeds=seeds,
            synthetic=any(g.synthetic for g in per_key.values()), test_selected=any(g.test_selected for g in per_key.values()),
            combined=True, sources={metric: f"best_{kind}" for metric, kind in wanted.items()},
        )
        for name in first.protocols:
            def combine(pick: Callable[[ProtocolResult], Aggregate | None]) -> Aggregate:
                per_seed: dict[int, Metrics] = {}
                mask: Metrics = {}
                for seed in seeds:
                    row: Metrics = {}
                    for metric in metric_keys(family):
                        kind = wanted.get(metric)
                        aggregate = pick(per_key[kind].protocols[name]) if kind else None
                        row[metric] = float(aggregate.per_seed[seed][metric]) if aggregate is not None and metric in aggregate.per_seed[seed] else math.nan
                        if aggregate is not None and metric in aggregate.mask_std:
                            mask[metric] = aggregate.mask_std[metric]
                    per_seed[seed] = row
                return Aggregate.of(per_seed, mask_std={m: mask.get(m, math.nan) for m in metric_keys(family)})

            ref = first.protocols[name]
            settings = [SettingResult(label=s.label, value=s.value, setting=s.setting, result=combine(_setting_pick(i)))
                        for i, s in enumerate(ref.settings)]
            table.protocols[name] = ProtocolResult(protocol=name, settings=settings, overall=combine(lambda r: r.overall),
                                                   auc=None)
        tables.append(table)
    return tables


def _check_protocols(protocols: Sequence[str]) -> list[str]:
    chosen: list[str] = []
    for name in protocols:
        if name not in PROTOCOLS:
            raise ConfigError(f"evaluation protocol {name!r} is unknown: use rates, droprates, modes or lnln-paper")
        if name not in chosen:
            chosen.append(name)
    if not chosen:
        raise ConfigError("no evaluation protocol given: use rates, droprates, modes or lnln-paper")
    return chosen


def _check_seeds(seeds: Sequence[int]) -> list[int]:
    chosen: list[int] = []
    for seed in seeds:
        if int(seed) not in chosen:
            chosen.append(int(seed))
    if not chosen:
        raise ConfigError("no mask seed given: pass e.g. --seeds 1111,1112,1113")
    return chosen


def _checkpoint_result(checkpoint, key: str, description: dict) -> CheckpointResult:
    from core.probe.loading import selected_for

    metric = selected_for(checkpoint)
    note = ""
    if checkpoint.test_selected:
        chosen = f" for {metric}" if metric else ""
        note = (f"TEST-SELECTED: chosen on the test split{chosen} (LNLN's paper protocol, [A6]); "
                "its test figures are optimistic and not comparable with valid-selected ones")
    best = checkpoint.best or {}
    return CheckpointResult(
        key=key,
        model=checkpoint.model,
        path=str(checkpoint.path),
        kind=str(checkpoint.kind),
        epoch=int(best.get("epoch", checkpoint.epoch) or checkpoint.epoch),
        dataset=str(description.get("name", checkpoint.dataset_name)),
        data_source=str(description.get("source", "")),
        data_fingerprint=str(description.get("fingerprint", "")),
        synthetic=bool(description.get("synthetic", checkpoint.synthetic)),
        selected_on=checkpoint.selected_on,
        test_selected=checkpoint.test_selected,
        selected_for=metric,
        training_protocol=dict((checkpoint.protocol or {}).get("train", {})),
        note=note,
        train_seed=train_seed_of(checkpoint),
        sha256=file_sha256(checkpoint.path),
    )


def _swept_value(setting: MaskSetting) -> float:
    for attribute in ("rate", "droprate", "mode"):
        if hasattr(setting, attribute):
            return float(getattr(setting, attribute))
    return math.nan


def _protocol_result(name: str, settings: list[MaskSetting], per_setting: list[dict[int, Metrics]], family: str) -> ProtocolResult:
    rows = [
        SettingResult(
            label=setting.label,
            value=_swept_value(setting),
            setting={k: v for k, v in setting.to_dict().items() if k != "seed"},
            result=Aggregate.of(per_seed),
        )
        for setting, per_seed in zip(settings, per_setting)
    ]
    seeds = list(per_setting[0].keys())
    overall = Aggregate.of({seed: _mean_over_settings([p[seed] for p in per_setting]) for seed in seeds})
    auc = None
    if SWEEPS.get(name) == "rates" and len(settings) > 1:
        rates = [_swept_value(s) for s in settings]
        keys = AUC_KEYS["sims" if family == "sims" else "mosi"]
        auc = Aggregate.of({seed: {k: normalised_auc(rates, [p[seed][k] for p in per_setting]) for k in keys} for seed in seeds})
    return ProtocolResult(protocol=name, settings=rows, overall=overall, auc=auc)


def _mean_over_settings(values: list[Metrics]) -> Metrics:
    return {key: float(np.mean([v[key] for v in values])) for key in values[0]}


def normalised_auc(rates: Sequence[float], values: Sequence[float]) -> float:
    """Trapezoid of ``values`` over ``rates`` divided by the rate range: the curve's mean height."""
    x, y = np.asarray(rates, dtype=np.float64), np.asarray(values, dtype=np.float64)
    if x.size < 2 or x.max() == x.min():
        raise ValueError("the area under a curve needs at least two distinct rates")
    order = np.argsort(x)
    return float(np.trapezoid(y[order], x[order]) / (x.max() - x.min()))


def senti_tui_version() -> str:
    from core.provenance import package_version

    return package_version()


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file ("" when it cannot be read)."""
    from core.provenance import sha256_of

    return sha256_of(path) or ""


def _metadata(results: list[CheckpointResult], split: str, seeds: Sequence[int], protocols: Sequence[str], precision: str,
              device: str = "cpu") -> dict:
    from core.provenance import collect

    provenance = collect(device=device, precision=precision)
    return {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "senti_tui_version": provenance["senti_tui_version"],
        "torch_version": provenance["versions"].get("torch", ""),
        "device": device,
        "precision": precision,  # "fp32" or "bf16" (autocast): the predictions' compute precision
        "split": split,
        "seeds": list(seeds),
        "protocols": list(protocols),
        "rates": list(EVAL_RATES),
        "synthetic": any(r.synthetic for r in results),
        "test_selected": any(r.test_selected for r in results),
        "selection_splits": sorted({r.selected_on for r in results}),
        "data": sorted({f"{r.data_source} (fingerprint {r.data_fingerprint})" for r in results}),
        "checkpoints": {r.path: {"sha256": r.sha256, "train_seed": r.train_seed} for r in results},
        "provenance": provenance,
        "definitions": dict(DEFINITIONS),
    }


# ----- (de)serialisation ------------------------------------------------------------------------


def _statistics(aggregate: Aggregate) -> list[tuple[str, int | None, Metrics]]:
    stats: list[tuple[str, int | None, Metrics]] = [("seed", seed, m) for seed, m in aggregate.per_seed.items()] + [("mean", None, aggregate.mean), ("std", None, aggregate.std)]
    if aggregate.mask_std:
        stats.append(("mask_std", None, aggregate.mask_std))
    return stats


def _json_safe(value: Any) -> Any:
    """NaN -> null (strict JSON), int dict keys -> str."""
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def _metrics_back(values: dict) -> Metrics:
    return {k: (math.nan if v is None else float(v)) for k, v in values.items()}


@overload
def _aggregate_back(data: dict) -> Aggregate: ...
@overload
def _aggregate_back(data: None) -> None: ...
def _aggregate_back(data: dict | None) -> Aggregate | None:
    if data is None:
        return None
    return Aggregate(
        per_seed={int(seed): _metrics_back(m) for seed, m in data["per_seed"].items()},
        mean=_metrics_back(data["mean"]),
        std=_metrics_back(data["std"]),
        mask_std=_metrics_back(data.get("mask_std") or {}),
    )


def _protocols_back(protocols: dict) -> dict[str, ProtocolResult]:
    return {
        name: ProtocolResult(
            protocol=p["protocol"],
            settings=[
                SettingResult(label=s["label"], value=s["value"] if s["value"] is not None else math.nan,
                              setting=s["setting"], result=_aggregate_back(s["result"]))
                for s in p["settings"]
            ],
            overall=_aggregate_back(p["overall"]),
            auc=_aggregate_back(p.get("auc")),
        )
        for name, p in protocols.items()
    }


def report_from_dict(data: dict) -> EvaluationReport:
    """Inverse of :meth:`EvaluationReport.to_dict`."""
    try:
        checkpoints = [CheckpointResult(**{**c, "protocols": _protocols_back(c["protocols"])}) for c in data["checkpoints"]]
        groups = [GroupResult(**{**g, "protocols": _protocols_back(g["protocols"])}) for g in data.get("groups") or []]
        return EvaluationReport(
            checkpoints=checkpoints,
            protocols=list(data["protocols"]),
            seeds=[int(s) for s in data["seeds"]],
            split=data["split"],
            metric_keys=list(data["metric_keys"]),
            metadata=data["metadata"],
            groups=groups,
        )
    except (KeyError, TypeError) as error:
        raise SentiError(f"not a senti-tui evaluation report ({type(error).__name__}: {error}): export it again with senti-tui eval --out") from None


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

