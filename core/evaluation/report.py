"""The evaluation report: plain result types, and their JSON and CSV (de)serialisation.

:class:`EvaluationReport` is what :func:`core.evaluation.sweep.evaluate_checkpoints` returns;
``to_json`` / ``from_json`` round-trip it whole, ``to_csv`` / :func:`read_csv` give the tidy table
the README documents (one row per checkpoint or model group, protocol, setting and statistic).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from dataclasses import replace as dataclass_replace
from pathlib import Path
from typing import Any, overload

import numpy as np

from core.errors import SentiError
from core.evaluation.files import _write

Metrics = dict[str, float]


@dataclass
class Aggregate:
    """Per-seed values of several metrics, and their mean and std over seeds."""

    per_seed: dict[int, Metrics]  # mask seed (a checkpoint) or training seed (a model group) -> metrics
    mean: Metrics
    std: Metrics
    mask_std: Metrics = field(default_factory=dict)  # model groups: mean over training seeds of the mask-seed std

    @classmethod
    def of(cls, per_seed: dict[int, Metrics], mask_std: Metrics | None = None) -> Aggregate:
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
    def from_json(cls, path: str | Path) -> EvaluationReport:
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

    def _common(self, c: CheckpointResult) -> dict[str, Any]:
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


CSV_LEADING = [
    "level",
    "model_key",
    "checkpoint_key",
    "model",
    "protocol",
    "setting",
    "value",
    "row",
    "stat",
    "seed",
    "train_seed",
]
CSV_TRAILING = [
    "checkpoint",
    "checkpoint_sha256",
    "kind",
    "epoch",
    "split",
    "n_seeds",
    "n_train_seeds",
    "dataset",
    "data_source",
    "data_fingerprint",
    "synthetic",
    "selected_on",
    "test_selected",
    "selected_for",
    "senti_tui_version",
    "git_revision",
    "torch_version",
    "device",
    "precision",
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


def _protocol_rows(common: dict, name: str, result: ProtocolResult, mask_level: bool) -> list[dict[str, Any]]:
    """Rows of one protocol: per setting, one per seed then mean and std (and mask_std for a
    group); then the overall and AUC summaries with the same statistics."""
    rows = []
    blocks = [(s.label, s.value, s.label, s.result) for s in result.settings] + [("overall", None, "overall", result.overall)]
    if result.auc is not None:
        blocks.append(("auc", None, "auc", result.auc))
    for label, value, summary, aggregate in blocks:
        is_setting = summary not in ("overall", "auc")
        for stat, seed, metrics in _statistics(aggregate):
            row = {
                **common,
                "protocol": name,
                "setting": label,
                "value": value,
                "row": stat if is_setting else summary,
                "stat": stat,
            }
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

    frame = pd.read_csv(
        path,
        keep_default_na=False,
        na_values=[""],
        dtype={
            "setting": str,
            "checkpoint_key": str,
            "selected_for": str,
            "checkpoint": str,
            "checkpoint_sha256": str,
            "git_revision": str,
            "device": str,
            "precision": str,
            "senti_tui_version": str,
            "torch_version": str,
        },
    )
    for name in INT_COLUMNS:
        if name in frame:
            frame[name] = frame[name].astype("Int64")
    for name in (
        "setting",
        "checkpoint_key",
        "selected_for",
        "checkpoint",
        "checkpoint_sha256",
        "git_revision",
        "device",
        "precision",
        "senti_tui_version",
        "torch_version",
    ):
        if name in frame:
            frame[name] = frame[name].fillna("")
    for name in ("synthetic", "test_selected"):
        if name in frame:
            frame[name] = frame[name].astype(bool)
    return frame


# ----- (de)serialisation ------------------------------------------------------------------------


def _statistics(aggregate: Aggregate) -> list[tuple[str, int | None, Metrics]]:
    stats: list[tuple[str, int | None, Metrics]] = [("seed", seed, m) for seed, m in aggregate.per_seed.items()]
    stats += [("mean", None, aggregate.mean), ("std", None, aggregate.std)]
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
                SettingResult(
                    label=s["label"],
                    value=s["value"] if s["value"] is not None else math.nan,
                    setting=s["setting"],
                    result=_aggregate_back(s["result"]),
                )
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
        raise SentiError(
            f"not a senti-tui evaluation report ({type(error).__name__}: {error}): export it again with senti-tui eval --out"
        ) from None
