"""Per-utterance predictions as a table: ``eval --per-utterance FILE.csv|FILE.parquet`` and the
explorer's export key.

One row per (checkpoint, training seed, protocol, setting, mask seed, utterance):

=======================  ========================================================================
``model_key``            the model group (checkpoints differing only in training seed), else the
                         checkpoint key
``checkpoint_key``       the checkpoint's key in the report (the explorer: the model's key)
``checkpoint``           its path
``train_seed``           its training seed
``protocol``, ``setting``, ``value``  the protocol, the setting's label and its swept value
``seed``                 the mask seed
``index``, ``id``        the utterance's position in the split and its id
``split``, ``dataset``   the split and the data set family the metrics use
``label``, ``prediction``  float32 values as the metrics see them
``rate_text`` ...        each modality's missing rate r for this utterance (1 = absent or off)
``integrity_true_*``     the nominal true integrity 1 - r
``integrity_est_*``      the model's estimate (empty where the model has no estimator)
``dominant``             the dominant modality the model chose (text/audio/vision; empty for a
                         model without one)
=======================  ========================================================================

The metrics of a (checkpoint, protocol, setting, seed) group are
``core.metrics.compute_metrics(prediction, label, dataset)`` over its rows: a pandas ``groupby``
reproduces the evaluation's CSV (tested).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.data.dataset import MODALITIES
from core.errors import ConfigError, SentiError

if TYPE_CHECKING:
    import pandas as pd

SUFFIXES = (".csv", ".parquet")
COLUMNS = [
    "model_key",
    "checkpoint_key",
    "checkpoint",
    "train_seed",
    "protocol",
    "setting",
    "value",
    "seed",
    "index",
    "id",
    "split",
    "dataset",
    "label",
    "prediction",
    *[f"rate_{m}" for m in MODALITIES],
    *[f"integrity_true_{m}" for m in MODALITIES],
    *[f"integrity_est_{m}" for m in MODALITIES],
    "dominant",
]


def check_path(path: str | Path) -> Path:
    """Refuse (one line) an export path with another suffix, or parquet without pyarrow."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ConfigError(f"{path}: --per-utterance must end in .csv or .parquet")
    if suffix == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise ConfigError(
                f"{path}: writing parquet needs pyarrow: pip install 'senti-tui[parquet]', or write a .csv"
            ) from None
    return path


def _rounded(values: np.ndarray) -> np.ndarray:
    """Rates and integrities to 10 significant digits (1 - (1 - r) is r again)."""
    return np.array([float(f"{v:.10g}") if np.isfinite(v) else np.nan for v in np.asarray(values, dtype=np.float64).ravel()])


def rows_frame(
    *,
    model_key: str,
    checkpoint_key: str,
    checkpoint: str,
    train_seed: int | None,
    protocol: str,
    setting: str,
    value: float | None,
    seed: int | None,
    ids: Sequence[str],
    split: str,
    dataset: str,
    labels: np.ndarray,
    predictions: np.ndarray,
    integrity_true: np.ndarray,
    integrity_est: np.ndarray,
    dominant: np.ndarray,
) -> pd.DataFrame:
    """One model under one setting: one row per utterance."""
    import pandas as pd

    n = len(ids)
    truth = np.asarray(integrity_true, dtype=np.float64).reshape(n, 3)
    estimate = np.asarray(integrity_est, dtype=np.float64).reshape(n, 3)
    columns: dict[str, Any] = {
        "model_key": model_key,
        "checkpoint_key": checkpoint_key,
        "checkpoint": checkpoint,
        "train_seed": pd.array([train_seed] * n, dtype="Int64"),
        "protocol": protocol,
        "setting": setting,
        "value": np.full(n, np.nan if value is None else float(value)),
        "seed": pd.array([seed] * n, dtype="Int64"),
        "index": np.arange(n, dtype=np.int64),
        "id": [str(i) for i in ids],
        "split": split,
        "dataset": dataset,
        "label": np.asarray(labels, dtype=np.float32),
        "prediction": np.asarray(predictions, dtype=np.float32),
    }
    for m, name in enumerate(MODALITIES):
        columns[f"rate_{name}"] = _rounded(1.0 - truth[:, m])
    for m, name in enumerate(MODALITIES):
        columns[f"integrity_true_{name}"] = _rounded(truth[:, m])
    for m, name in enumerate(MODALITIES):
        columns[f"integrity_est_{name}"] = estimate[:, m]
    chosen = np.asarray(dominant).reshape(-1)
    columns["dominant"] = [MODALITIES[int(d)] if d is not None and 0 <= int(d) < 3 else "" for d in chosen]
    return pd.DataFrame(columns, columns=COLUMNS)


def setting_frame(probe, setting, protocol: str, seed: int, checkpoints: Mapping[str, Any], predicted=None) -> pd.DataFrame:
    """Every model of ``probe`` under the mask setting ``setting``: ``predicted`` (what
    :meth:`Probe.predict_split` returned for it), or else the probe's (cached) predictions."""
    import pandas as pd

    from core.evaluation import _swept_value, train_seed_of

    truth, preds = predicted if predicted is not None else probe.predict_split(setting)
    ids = [u.id for u in probe.utterances]
    labels = np.array([u.label for u in probe.utterances], dtype=np.float32)
    frames = []
    for info, p in zip(probe.models, preds):
        checkpoint = checkpoints[info.key]
        frames.append(
            rows_frame(
                model_key=info.key,
                checkpoint_key=info.key,
                checkpoint=str(checkpoint.path),
                train_seed=train_seed_of(checkpoint),
                protocol=protocol,
                setting=setting.label,
                value=_swept_value(setting),
                seed=int(seed),
                ids=ids,
                split=probe.split_name,
                dataset=probe.dataset_name,
                labels=labels,
                predictions=p.prediction,
                integrity_true=truth,
                integrity_est=p.integrity_est,
                dominant=p.dominant,
            )
        )
    return pd.concat(frames, ignore_index=True)


def combine(frames: list, report) -> pd.DataFrame:
    """The frames of one evaluation, with each checkpoint's model group as ``model_key``."""
    import pandas as pd

    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    frame = pd.concat(frames, ignore_index=True)
    groups = {c.key: (c.group or c.key) for c in report.checkpoints}
    frame["model_key"] = frame["checkpoint_key"].map(groups).fillna(frame["checkpoint_key"])
    return frame


def explorer_frame(backend, settings, evaluations) -> pd.DataFrame:
    """The explorer's current split under its current settings, from the probe's plain types:
    ``backend`` is the probe (``models``, ``utterances``; ``split_name``, ``checkpoints`` when it
    has them), ``evaluations`` the :class:`~core.probe.types.SplitEvaluation` list of
    ``backend.evaluate(settings)``. The protocol is ``custom``, the setting its status text."""
    import pandas as pd

    from core.evaluation import train_seed_of

    ids = [u.id for u in backend.utterances]
    infos = {info.key: info for info in backend.models}
    checkpoints = dict(zip([info.key for info in backend.models], getattr(backend, "checkpoints", None) or []))
    split = str(getattr(backend, "split_name", "") or "")
    frames = []
    for e in evaluations:
        info = infos.get(e.model_key)
        truth = np.array(e.integrity_true, dtype=np.float64)
        estimate = np.array([[np.nan if v is None else v for v in row] for row in e.integrity_est], dtype=np.float64)
        dominant = np.array([-1 if d is None else d for d in e.dominant])
        checkpoint = checkpoints.get(e.model_key)
        frames.append(
            rows_frame(
                model_key=e.model_key,
                checkpoint_key=e.model_key,
                checkpoint=str(getattr(info, "path", "")),
                train_seed=train_seed_of(checkpoint) if checkpoint is not None else None,
                protocol="custom",
                setting=settings.status(),
                value=None,
                seed=int(settings.mask_seed),
                ids=ids,
                split=split,
                dataset=str(getattr(info, "dataset", "")),
                labels=np.array(e.labels, dtype=np.float32),
                predictions=np.array(e.predictions, dtype=np.float32),
                integrity_true=truth.reshape(len(ids), 3),
                integrity_est=estimate.reshape(len(ids), 3),
                dominant=dominant,
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)


def export_name(split: str, when: float | None = None) -> str:
    """``predictions-<split>-<YYYYmmdd-HHMMSS>.csv``: the explorer's export file name."""
    import time

    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(when))
    return f"predictions-{split or 'split'}-{stamp}.csv"


def write(frame: pd.DataFrame, path: str | Path, provenance: dict | None = None) -> Path:
    """CSV or parquet by the suffix, atomically. Parquet keeps ``provenance`` in its schema
    metadata; the CSV has a ``<file>.json`` beside it when ``provenance`` is given."""
    import json

    from core.atomic_write import write_atomic

    path = check_path(path)
    remedy = "choose another --per-utterance path, or free some space"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SentiError(f"{path}: cannot create its folder ({error.strerror or error}): {remedy}") from None
    if path.suffix.lower() == ".csv":
        write_atomic(path, frame.to_csv(index=False, lineterminator="\n"), error=SentiError, remedy=remedy)
        if provenance is not None:
            write_atomic(
                path.with_name(path.name + ".json"),
                json.dumps(provenance, indent=2, default=str) + "\n",
                error=SentiError,
                remedy=remedy,
            )
        return path
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    if provenance is not None:
        meta = dict(table.schema.metadata or {})
        meta[b"senti_tui"] = json.dumps(provenance, default=str).encode()
        table = table.replace_schema_metadata(meta)
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    write_atomic(path, buffer.getvalue(), error=SentiError, remedy=remedy)
    return path


def read(path: str | Path) -> pd.DataFrame:
    """A per-utterance file back as a DataFrame (ids as strings, seeds as nullable integers)."""
    import pandas as pd

    path = Path(path)
    if path.suffix.lower() == ".parquet":
        return pd.read_parquet(path)
    frame = pd.read_csv(
        path, dtype={"id": str, "setting": str, "dominant": str, "checkpoint": str}, keep_default_na=False, na_values=[""]
    )
    for name in ("train_seed", "seed"):
        frame[name] = frame[name].astype("Int64")
    frame["dominant"] = frame["dominant"].fillna("")
    return frame
