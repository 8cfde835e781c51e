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

LNLN's paper protocol selects checkpoints on the TEST split (``--selection paper``, [A6]); such
checkpoints are marked ``test_selected`` with a note, and so is the whole report.
"""

from __future__ import annotations

import csv
import json
import math
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from core.errors import ConfigError, SentiError
from core.metrics import metric_keys
from core.missingness import EVAL_RATES, MaskSetting, evaluation_sweep

PROTOCOLS = ("rates", "droprates", "modes")
DEFAULT_SEEDS = (1111, 1112, 1113)
AUC_KEYS = {
    "mosi": ("MAE", "Mult_acc_7", "Non0_acc_2", "Has0_acc_2"),
    "sims": ("MAE", "Mult_acc_5", "Mult_acc_2"),
}
DEFINITIONS = {
    "seeds": "mask seeds: which positions are erased (and, for droprates/modes, the per-sample rates); the checkpoint is fixed",
    "std": "sample standard deviation over seeds (ddof=1; 0 with one seed)",
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

    per_seed: dict[int, Metrics]
    mean: Metrics
    std: Metrics

    @classmethod
    def of(cls, per_seed: dict[int, Metrics]) -> "Aggregate":
        keys = list(next(iter(per_seed.values())).keys()) if per_seed else []
        mean, std = {}, {}
        for key in keys:
            values = np.array([per_seed[seed][key] for seed in per_seed], dtype=np.float64)
            mean[key] = float(values.mean())
            std[key] = float(values.std(ddof=1)) if len(values) > 1 else 0.0
        return cls(per_seed=per_seed, mean=mean, std=std)


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


@dataclass
class EvaluationReport:
    checkpoints: list[CheckpointResult]
    protocols: list[str]
    seeds: list[int]
    split: str
    metric_keys: list[str]
    metadata: dict

    @property
    def synthetic(self) -> bool:
        return any(c.synthetic for c in self.checkpoints)

    @property
    def test_selected(self) -> bool:
        return any(c.test_selected for c in self.checkpoints)

    def to_dict(self) -> dict:
        return _json_safe(asdict(self))

    def to_json(self, path: str | Path) -> Path:
        path = Path(path)
        _write(path, json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n")
        return path

    @classmethod
    def from_json(cls, path: str | Path) -> "EvaluationReport":
        return report_from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    def csv_rows(self) -> list[dict[str, Any]]:
        """One row per checkpoint x protocol x setting x statistic (seed=N, mean, std), plus the
        ``overall`` and ``auc`` summaries; every row carries the metadata columns."""
        rows = []
        for c in self.checkpoints:
            common = {
                "checkpoint_key": c.key,
                "model": c.model,
                "checkpoint": c.path,
                "kind": c.kind,
                "epoch": c.epoch,
                "split": self.split,
                "seeds": " ".join(str(s) for s in self.seeds),
                "dataset": c.dataset,
                "data_source": c.data_source,
                "data_fingerprint": c.data_fingerprint,
                "synthetic": c.synthetic,
                "selected_on": c.selected_on,
                "test_selected": c.test_selected,
                "selected_for": c.selected_for or "",
                "senti_tui_version": self.metadata.get("senti_tui_version", ""),
                "torch_version": self.metadata.get("torch_version", ""),
                "precision": self.metadata.get("precision", ""),
            }
            for name, result in c.protocols.items():
                blocks = [(s.label, s.value, s.result) for s in result.settings] + [("overall", "", result.overall)]
                if result.auc is not None:
                    blocks.append(("auc", "", result.auc))
                for label, value, aggregate in blocks:
                    for stat, metrics in _statistics(aggregate):
                        rows.append({**common, "protocol": name, "setting": label, "value": value, "stat": stat,
                                     **{k: metrics.get(k, "") for k in self.metric_keys}})
        return rows

    def to_csv(self, path: str | Path) -> Path:
        path = Path(path)
        rows = self.csv_rows()
        columns = CSV_LEADING + list(self.metric_keys) + CSV_TRAILING
        lines: list[str] = []

        class _Sink:
            def write(self, text: str) -> None:
                lines.append(text)

        writer = csv.DictWriter(_Sink(), fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _csv_value(row.get(k, "")) for k in columns})
        _write(path, "".join(lines))
        return path


CSV_LEADING = ["checkpoint_key", "model", "protocol", "setting", "value", "stat"]
CSV_TRAILING = [
    "checkpoint", "kind", "epoch", "split", "seeds", "dataset", "data_source", "data_fingerprint", "synthetic",
    "selected_on", "test_selected", "selected_for", "senti_tui_version", "torch_version", "precision",
]


def read_csv(path: str | Path) -> list[dict[str, Any]]:
    """Rows of an exported CSV with numbers and flags parsed back (metric "" -> NaN)."""
    rows = []
    with Path(path).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            parsed: dict[str, Any] = dict(row)
            for key in ("synthetic", "test_selected"):
                parsed[key] = row[key] == "true"
            parsed["epoch"] = int(row["epoch"])
            parsed["value"] = float(row["value"]) if row["value"] not in ("", None) else None
            for key in set(row) - set(CSV_LEADING) - set(CSV_TRAILING):
                parsed[key] = float(row[key]) if row[key] not in ("", "nan") else math.nan
            rows.append(parsed)
    return rows


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
) -> EvaluationReport:
    """Evaluate every checkpoint under every protocol setting and mask seed.

    Checkpoints of the same data are evaluated together (one data set, identical masks);
    checkpoints of different data each get their own. ``progress(done, total, label)`` is called
    after every (setting, seed) of a group. ``precision``: ``fp32``, ``bf16`` (autocast) or
    ``auto`` (fp32 on CPU; :mod:`core.training.device`), recorded in the metadata.
    """
    from core.probe.loading import data_key, load_checkpoints, model_keys
    from core.probe.session import Probe

    protocols = _check_protocols(protocols)
    seeds = _check_seeds(seeds)
    checkpoints = load_checkpoints([str(p) for p in paths])
    keys = model_keys(checkpoints)
    groups: dict[tuple, list[int]] = {}
    for i, checkpoint in enumerate(checkpoints):
        groups.setdefault((data_key(checkpoint, data), checkpoint.data.get("fingerprint")), []).append(i)

    results: dict[int, CheckpointResult] = {}
    family, used_precision = "mosi", precision
    sweeps = {name: [evaluation_sweep(name, seed) for seed in seeds] for name in protocols}
    total = sum(len(s[0]) for s in sweeps.values()) * len(seeds) * len(groups)
    done = 0
    for members in groups.values():
        probe = Probe.from_checkpoints([checkpoints[i] for i in members], data, split, device, keys=[keys[i] for i in members],
                                       precision=precision)
        used_precision = probe.precision
        family = probe.metric_family
        description = probe.data_description
        per_protocol: dict[str, dict[str, list[dict[int, Metrics]]]] = {}
        for name in protocols:
            columns = list(zip(*sweeps[name]))  # per setting: the same setting at each seed
            per_protocol[name] = {keys[i]: [dict() for _ in columns] for i in members}
            for s, variants in enumerate(columns):
                for seed, setting in zip(seeds, variants):
                    metrics = probe.evaluate_setting(setting)
                    for key, values in metrics.items():
                        per_protocol[name][key][s][seed] = values
                    done += 1
                    if progress is not None:
                        progress(done, total, f"{name} {setting.label} seed {seed}")
        for i in members:
            result = _checkpoint_result(checkpoints[i], keys[i], description)
            for name in protocols:
                result.protocols[name] = _protocol_result(name, sweeps[name][0], per_protocol[name][keys[i]], family)
            results[i] = result

    ordered = [results[i] for i in range(len(checkpoints))]
    return EvaluationReport(
        checkpoints=ordered,
        protocols=list(protocols),
        seeds=list(seeds),
        split=split,
        metric_keys=list(metric_keys("sims" if family == "sims" else "mosi")),
        metadata=_metadata(ordered, split, seeds, protocols, used_precision),
    )


def _check_protocols(protocols: Sequence[str]) -> list[str]:
    chosen: list[str] = []
    for name in protocols:
        if name not in PROTOCOLS:
            raise ConfigError(f"evaluation protocol {name!r} is unknown: use rates, droprates or modes")
        if name not in chosen:
            chosen.append(name)
    if not chosen:
        raise ConfigError("no evaluation protocol given: use rates, droprates or modes")
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
    if name == "rates" and len(settings) > 1:
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
    try:
        from importlib.metadata import version

        return version("senti-tui")
    except Exception:  # noqa: BLE001 - not installed: the record says so
        return "unknown"


def _metadata(results: list[CheckpointResult], split: str, seeds: Sequence[int], protocols: Sequence[str], precision: str) -> dict:
    import torch

    return {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "senti_tui_version": senti_tui_version(),
        "torch_version": str(torch.__version__),
        "precision": precision,  # "fp32" or "bf16" (autocast): the predictions' compute precision
        "split": split,
        "seeds": list(seeds),
        "protocols": list(protocols),
        "rates": list(EVAL_RATES),
        "synthetic": any(r.synthetic for r in results),
        "test_selected": any(r.test_selected for r in results),
        "selection_splits": sorted({r.selected_on for r in results}),
        "data": sorted({f"{r.data_source} (fingerprint {r.data_fingerprint})" for r in results}),
        "definitions": dict(DEFINITIONS),
    }


# ----- (de)serialisation ------------------------------------------------------------------------


def _statistics(aggregate: Aggregate) -> list[tuple[str, Metrics]]:
    return [(f"seed={seed}", m) for seed, m in aggregate.per_seed.items()] + [("mean", aggregate.mean), ("std", aggregate.std)]


def _csv_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else repr(value)
    return str(value)


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


def _aggregate_back(data: dict | None) -> Aggregate | None:
    if data is None:
        return None
    return Aggregate(
        per_seed={int(seed): _metrics_back(m) for seed, m in data["per_seed"].items()},
        mean=_metrics_back(data["mean"]),
        std=_metrics_back(data["std"]),
    )


def report_from_dict(data: dict) -> EvaluationReport:
    """Inverse of :meth:`EvaluationReport.to_dict`."""
    try:
        checkpoints = []
        for c in data["checkpoints"]:
            protocols = {
                name: ProtocolResult(
                    protocol=p["protocol"],
                    settings=[
                        SettingResult(label=s["label"], value=s["value"] if s["value"] is not None else math.nan,
                                      setting=s["setting"], result=_aggregate_back(s["result"]))  # type: ignore[arg-type]
                        for s in p["settings"]
                    ],
                    overall=_aggregate_back(p["overall"]),  # type: ignore[arg-type]
                    auc=_aggregate_back(p.get("auc")),
                )
                for name, p in c["protocols"].items()
            }
            checkpoints.append(CheckpointResult(**{**c, "protocols": protocols}))
        return EvaluationReport(
            checkpoints=checkpoints,
            protocols=list(data["protocols"]),
            seeds=[int(s) for s in data["seeds"]],
            split=data["split"],
            metric_keys=list(data["metric_keys"]),
            metadata=data["metadata"],
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

