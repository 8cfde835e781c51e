"""Running the sweep: every checkpoint under every protocol setting and mask seed (see
:mod:`core.evaluation` for the definitions)."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timezone

import numpy as np

from core.errors import ConfigError
from core.evaluation.definitions import (
    AUC_KEYS,
    DEFAULT_SEEDS,
    DEFINITIONS,
    LNLN_PAPER_SEED,
    PROTOCOLS,
    SWEEPS,
)
from core.evaluation.files import _data_file, file_sha256
from core.evaluation.groups import _group_result, config_signature, group_keys, paper_tables, seed_groups, train_seed_of
from core.evaluation.report import (
    Aggregate,
    CheckpointResult,
    EvaluationReport,
    Metrics,
    ProtocolResult,
    SettingResult,
)
from core.metrics import metric_keys
from core.missingness import EVAL_RATES, MaskSetting, evaluation_sweep


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
    ``auto`` (fp32 on CPU; :mod:`core.runtime.device`), recorded in the metadata. Checkpoints
    differing only in their training seed become model groups (:func:`seed_groups`; off with
    ``group_seeds=False``). ``per_utterance`` keeps every prediction in ``report.utterances``
    (:mod:`core.per_utterance`).
    """
    from core.probe.loading import data_key, load_checkpoints, model_keys
    from core.probe.session import Probe

    # The version from git and the checkout's state (git subprocesses, ~0.3 s) are needed only for
    # the metadata at the end: find them while the checkpoints load and the sweep runs.
    threading.Thread(target=_warm_provenance, name="senti-provenance", daemon=True).start()

    protocols = _check_protocols(protocols)
    if "lnln-paper" in protocols:
        if len(protocols) > 1:
            raise ConfigError(
                "--protocol lnln-paper is LNLN's whole robust evaluation: pass it alone, not with "
                + ", ".join(p for p in protocols if p != "lnln-paper")
            )
        if [int(s) for s in seeds] not in ([LNLN_PAPER_SEED], list(DEFAULT_SEEDS)):
            raise ConfigError(
                f"--protocol lnln-paper uses mask seed {LNLN_PAPER_SEED} only (LNLN's robust evaluation): drop --seeds"
            )
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
        probe = Probe.from_checkpoints(
            [checkpoints[i] for i in indices], data, split, device, keys=[keys[i] for i in indices], precision=precision
        )
        used_precision, used_device = probe.precision, str(probe.device)
        family = probe.metric_family
        description = probe.data_description
        per_protocol: dict[str, dict[str, list[dict[int, Metrics]]]] = {}
        for name in protocols:
            columns = list(zip(*sweeps[name]))  # per setting: the same setting at each seed
            per_protocol[name] = {keys[i]: [dict() for _ in columns] for i in indices}
            # every (setting, seed) of the protocol at once: the probe runs distinct masks side by side
            jobs = [(s, seed, setting) for s, variants in enumerate(columns) for seed, setting in zip(seeds, variants)]

            def advance(j: int, name: str = name, jobs: list = jobs) -> None:
                nonlocal done
                done += 1
                if progress is not None:
                    progress(done, total, f"{name} {jobs[j][2].label} seed {jobs[j][1]}")

            predicted = probe.predict_settings([setting for _, _, setting in jobs], done=advance)
            for (s, seed, setting), outcome in zip(jobs, predicted):
                for info, p in zip(probe.models, outcome[1]):
                    per_protocol[name][info.key][s][seed] = probe.metrics(p)
                if per_utterance:
                    from core.per_utterance import setting_frame

                    frames.append(setting_frame(probe, setting, name, seed, {keys[i]: checkpoints[i] for i in indices}, outcome))
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
        groups += paper_tables(groups, runs, family)
    metadata = _metadata(ordered, split, seeds, protocols, used_precision, used_device)
    for checkpoint, result in zip(checkpoints, ordered):  # how each checkpoint was trained (senti-tui train's record)
        metadata["checkpoints"][result.path]["trained_with"] = dict(getattr(checkpoint, "provenance", {}) or {})
    sources = sorted({source for c in checkpoints if (source := _data_file(c, data))})
    metadata["data_sha256"] = {source: file_sha256(source) or None for source in sources}
    report = EvaluationReport(
        checkpoints=ordered,
        protocols=list(protocols),
        seeds=list(seeds),
        split=split,
        metric_keys=list(metric_keys(family)),
        metadata=metadata,
        groups=groups,
    )
    if per_utterance:
        from core.per_utterance import combine

        report.utterances = combine(frames, report)
    return report


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
        note = (
            f"TEST-SELECTED: chosen on the test split{chosen} (LNLN's paper protocol, [A6]); "
            "its test figures are optimistic and not comparable with valid-selected ones"
        )
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


def _protocol_result(
    name: str, settings: list[MaskSetting], per_setting: list[dict[int, Metrics]], family: str
) -> ProtocolResult:
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
        keys = AUC_KEYS[family]
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


def _warm_provenance() -> None:
    from core.provenance import git_dirty, git_revision, package_version

    package_version(), git_revision(), git_dirty()  # cached: _metadata's collect() reads them


def _metadata(
    results: list[CheckpointResult],
    split: str,
    seeds: Sequence[int],
    protocols: Sequence[str],
    precision: str,
    device: str = "cpu",
) -> dict:
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
