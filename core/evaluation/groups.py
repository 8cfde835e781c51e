"""Training-seed groups: checkpoints that differ only in their training seed, as one model, and
LNLN's paper table combined from the per-metric checkpoints of ``--selection paper`` runs."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from core.evaluation.definitions import PAPER_SOURCES
from core.evaluation.report import Aggregate, CheckpointResult, GroupResult, Metrics, ProtocolResult, SettingResult
from core.metrics import metric_keys

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
        "model": checkpoint.model,
        "kind": str(checkpoint.kind) if with_kind else None,
        "model_config": checkpoint.model_config,
        "training": training,
        "protocol": protocol,
        "encoder": encoder,
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
        key=key,
        model=first.model,
        kind=first.kind,
        selected_for=first.selected_for,
        checkpoints=[m.key for m in members],
        train_seeds=[int(m.train_seed) for m in members],  # type: ignore[arg-type]
        synthetic=any(m.synthetic for m in members),
        test_selected=any(m.test_selected for m in members),
    )
    for name, first_result in first.protocols.items():
        results = [m.protocols[name] for m in members]
        seeds = group.train_seeds

        def over_seeds(pick: Callable[[ProtocolResult], Aggregate | None]) -> Aggregate | None:
            parts = [p for r in results if (p := pick(r)) is not None]  # noqa: B023 - called within this iteration
            if len(parts) < len(results):  # noqa: B023 - a member without it
                return None
            return Aggregate.of(
                {seed: dict(p.mean) for seed, p in zip(seeds, parts)},  # noqa: B023 - called within this iteration
                mask_std=_mean_metrics([p.std for p in parts]),
            )

        settings = [
            SettingResult(label=s.label, value=s.value, setting=s.setting, result=over_seeds(_setting_pick(i)))  # type: ignore[arg-type]
            for i, s in enumerate(first_result.settings)
        ]
        group.protocols[name] = ProtocolResult(
            protocol=name,
            settings=settings,
            overall=over_seeds(lambda r: r.overall),  # type: ignore[arg-type]
            auc=over_seeds(lambda r: r.auc),
        )
    return group


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
            key=f"{first.model} paper table",
            model=first.model,
            kind="combined",
            selected_for=None,
            checkpoints=[c for k in sorted(set(wanted.values())) for c in per_key[k].checkpoints],
            train_seeds=seeds,
            synthetic=any(g.synthetic for g in per_key.values()),
            test_selected=any(g.test_selected for g in per_key.values()),
            combined=True,
            sources={metric: f"best_{kind}" for metric, kind in wanted.items()},
        )
        for name in first.protocols:

            def combine(pick: Callable[[ProtocolResult], Aggregate | None]) -> Aggregate:
                per_seed: dict[int, Metrics] = {}
                mask: Metrics = {}
                for seed in seeds:  # noqa: B023 - called within this iteration
                    row: Metrics = {}
                    for metric in metric_keys(family):
                        kind = wanted.get(metric)  # noqa: B023 - called within this iteration
                        aggregate = pick(per_key[kind].protocols[name]) if kind else None  # noqa: B023 - called within this iteration
                        row[metric] = (
                            float(aggregate.per_seed[seed][metric])
                            if aggregate is not None and metric in aggregate.per_seed[seed]
                            else math.nan
                        )
                        if aggregate is not None and metric in aggregate.mask_std:
                            mask[metric] = aggregate.mask_std[metric]
                    per_seed[seed] = row
                return Aggregate.of(per_seed, mask_std={m: mask.get(m, math.nan) for m in metric_keys(family)})

            ref = first.protocols[name]
            settings = [
                SettingResult(label=s.label, value=s.value, setting=s.setting, result=combine(_setting_pick(i)))
                for i, s in enumerate(ref.settings)
            ]
            table.protocols[name] = ProtocolResult(
                protocol=name, settings=settings, overall=combine(lambda r: r.overall), auc=None
            )
        tables.append(table)
    return tables


def _setting_pick(i: int) -> Callable[[ProtocolResult], Aggregate | None]:
    """The i-th setting's aggregate of a protocol result (a function, so each i is its own)."""
    return lambda r: r.settings[i].result
