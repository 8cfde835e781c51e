"""The probe: open checkpoints with their data split, then ask questions under chosen settings.

:class:`Probe` is the façade; its parts live beside it: :mod:`core.probe.cache` (the LRUs),
:mod:`core.probe.scheduler` (probes before background batches), :mod:`core.probe.stages` (the
per-modality stage keys), :mod:`core.runtime.inference` (forward passes, batch workers).

    probe = Probe.open(["checkpoints/demo.pt", "checkpoints/demo_lnln.pt"])   # SentiError: one line
    probe.models, probe.utterances, probe.dataset_label, probe.synthetic
    result = probe.run(17, ProbeSettings(enabled=(True, False, True), rates=(0.3, 0, 0)))
    evaluations = probe.evaluate(settings)      # whole split, every model, identical masks
    probe.curve(settings), probe.cases(settings), probe.confusion(settings), probe.calibration(settings)

Every model sees the identical mask: the split is masked once per setting
(:mod:`core.missingness`, keyed by mask seed, sample id and modality) and the same arrays go to
each model.

**Dominant modality.** :meth:`Probe.run` chooses Senti-iFusion's dominant modality per sample,
whatever the checkpoint's ``dominant_selection`` (the paper's per-batch choice, eq. 15): a probed
utterance must not depend on what else is in its batch ([A16]; a batch of one is per-sample in
either mode anyway). The whole-split methods (:meth:`evaluate`, :meth:`curve`, :meth:`cases`,
:meth:`confusion`, :meth:`calibration`) feed the split in the trainer's evaluation batches (64,
fixed order) with the checkpoint's own selection, so their figures are the ones training and
``senti-tui eval`` report; ``Probe.open(..., split_dominant="sample")`` makes them per-sample
too, so that the utterance table and the probe agree to the last digit.

**Threads.** :meth:`open` sets torch to one intra-op thread and spreads whole-split work over
a pool of batch workers (the usable cores up to 4; ``OMP_NUM_THREADS`` in the environment caps
their number) -- see :func:`core.runtime.inference.configure_threads` for why.
:meth:`predict_settings` (``senti-tui eval``) runs several settings at once, one per worker. Every public method may be called from several threads at once: the models are
in eval mode and never mutated (the per-sample variant is a shallow copy with its own config),
and the caches are guarded by a lock (work is done outside it; two threads asking for the same
uncached thing may both compute it, with identical results). A whole-split method pauses between
batches while a :meth:`run` is in progress, so a slider drag is not slowed by a curve computed
in the background, and stops with :class:`ProbeCancelled` at the next batch when its
``cancelled()`` callable returns True (pass the worker's ``lambda: worker.is_cancelled``).

**Caches** (none of them changes a result): every model's predictions over the split per
setting (settings that give the same mask share an entry, e.g. any seed at rate 0; the
complete-input predictions behind polarity flips are one of them), recent :meth:`run`
results, and each model's per-modality stages (:mod:`core.probe.stages`): per (utterance,
modality, mask) for :meth:`run`, so that a slider re-embeds only the modality it moves, and per
(modality, rates over the split, seed) for the whole split, so that a setting which leaves a
modality alone reuses its embeddings in every batch. On CPU the whole split is also reused row by
row: a rate step changes the masks of only some rows (those with a position whose ``u`` lies
between the two rates), so a recent pass's stages are patched with just those rows embedded
again, and a model whose output is per sample predicts again just those rows; both in batches
of 64, bit-identical to the plain pass (:mod:`core.probe.stages`). A setting's rates are drawn once for the
whole split; the masks are then made batch by batch (never the whole split at once: MOSEI's
500-frame features), once for all models, and only while some model lacks a stage.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from core.data.dataset import MSADataset, Split
from core.missingness.appliers import apply_missingness, mask_split, modality_keep
from core.missingness.settings import EVAL_RATES, CalibrationSetting, MaskSetting, present_vector
from core.models.base import ModelInput
from core.probe import analysis
from core.probe.cache import LRU, TensorLRU, nbytes
from core.probe.display import display_inputs, display_tokenizer
from core.probe.loading import OpenedModel, check_split, load_checkpoints, load_shared_dataset, model_keys, open_model
from core.probe.scheduler import FOREGROUND_WAIT_S, Scheduler  # noqa: F401 - FOREGROUND_WAIT_S: its old home
from core.probe.settings import at_rate, cache_key, to_mask_setting
from core.probe.stages import (
    PATCH_HISTORY,
    ROW_CACHE_BYTES,
    SPLIT_CACHE_BYTES,
    packed_keep,
    patch_batches,
    patch_stages,
    row_mask_keys,
    split_modality_keys,
)
from core.probe.types import (
    Calibration,
    Case,
    Curve,
    CurvePoint,
    ModelInfo,
    ModelPrediction,
    ProbeResult,
    ProbeSettings,
    SplitEvaluation,
    Utterance,
)
from core.runtime.batching import EVAL_BATCH_SIZE
from core.runtime.checkpoint import Checkpoint
from core.runtime.device import DeviceChoice, resolve_device
from core.runtime.inference import (
    ProbeCancelled,
    SplitPredictions,
    concatenate,
    configure_threads,
    embed_stage,
    eval_spans,
    forward,
    forward_stages,
    model_inputs,
    per_sample_view,
    run_batches,
    run_each,
    supports_stages,
)
from core.runtime.memory import keep_freed_memory

__all__ = ["DEFAULT_CURVE_RATES", "Probe", "ProbeCancelled"]

DEFAULT_CURVE_RATES: tuple[float, ...] = EVAL_RATES  # 0.0 .. 0.9, as eval's rates protocol
SPLIT_DOMINANT = ("checkpoint", "sample")
_PREDICTION_CACHE = 64  # per setting: every model's predictions over the split
_RUN_CACHE = 256  # single-utterance results
_KEEP_CACHE = 64  # whole-split keep masks (a few KB each on MOSI)


class Probe:
    """Checkpoints sharing one data split; see the module docstring."""

    def __init__(
        self,
        opened: list[OpenedModel],
        dataset: MSADataset,
        split: str,
        device: torch.device,
        split_dominant: str = "checkpoint",
        workers: int = 1,
        autocast_dtype: torch.dtype | None = None,
    ) -> None:
        if split_dominant not in SPLIT_DOMINANT:
            raise ValueError(f"split_dominant must be one of {SPLIT_DOMINANT}, not {split_dominant!r}")
        self._opened = opened
        self._dataset = dataset
        self._split: Split = dataset.splits[split]
        self._device = device
        self._precision = DeviceChoice(device, autocast_dtype)
        self.precision: str = self._precision.precision  # "fp32" | "bf16" (autocast)
        self.split_name = split
        self.split_dominant = split_dominant
        self.workers = 1 if device.type == "cuda" else max(1, int(workers))
        self.models: list[ModelInfo] = [o.info for o in opened]
        self.utterances: list[Utterance] = [
            Utterance(index=i, id=str(self._split.ids[i]), text=str(self._split.raw_text[i]), label=float(self._split.labels[i]))
            for i in range(len(self._split))
        ]
        self.synthetic: bool = bool(dataset.synthetic)
        self.dataset_label: str = _dataset_label(dataset, split, len(self._split))
        self._present = present_vector(dataset.present)
        self._labels32 = np.asarray(self._split.labels, dtype=np.float32)
        self._labels = self._labels32.astype(np.float64)
        # Per-sample views for run() (and for the split when asked); the models themselves keep
        # the checkpoint's selection.
        self._sample_models = [per_sample_view(o.model) for o in opened]
        self._split_models = self._sample_models if split_dominant == "sample" else [o.model for o in opened]
        self._tokenizer = None
        self._lock = threading.Lock()
        self._predictions = LRU(_PREDICTION_CACHE)
        self._runs = LRU(_RUN_CACHE)
        self._row_stages = TensorLRU(ROW_CACHE_BYTES)  # (model, utterance, modality, mask) -> stage
        self._split_stages = TensorLRU(SPLIT_CACHE_BYTES)  # (model, modality key) -> stage per batch
        self._split_keeps = LRU(_KEEP_CACHE)  # modality key -> packed keep per row (what a patch compares)
        self._stage_history: dict[tuple[int, int], list] = {}  # (model, modality) -> recent modality keys
        self._row_history: dict[int, list] = {}  # model -> recent whole-split (keeps, predictions)
        self._staged = [supports_stages(o.model) for o in opened]
        self._scheduler = Scheduler()

    # ----- opening ---------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        paths: Sequence[str],
        data: str | None = None,
        split: str = "test",
        device: str = "cpu",
        split_dominant: str = "checkpoint",
        precision: str = "auto",
    ) -> Probe:
        """Load every checkpoint and its data split. ``data`` replaces the recorded data path
        (the file must still be the same data: same dims and fingerprint). ``precision``:
        ``fp32``, ``bf16`` (autocast) or ``auto`` (:mod:`core.runtime.device`)."""
        return cls.from_checkpoints(
            load_checkpoints([str(p) for p in paths]), data, split, device, split_dominant, precision=precision
        )

    @classmethod
    def from_checkpoints(
        cls,
        checkpoints: list[Checkpoint],
        data: str | None = None,
        split: str = "test",
        device: str = "cpu",
        split_dominant: str = "checkpoint",
        keys: list[str] | None = None,
        precision: str = "auto",
    ) -> Probe:
        """As :meth:`open`, for checkpoints already loaded; ``keys`` overrides the model keys."""
        choice = resolve_device(device, precision=precision)
        workers = configure_threads()
        keep_freed_memory()  # the same activation buffers batch after batch: no page faults (core.runtime.memory)
        dataset = load_shared_dataset(checkpoints, data)
        check_split(dataset, split)
        keys = list(keys) if keys is not None else model_keys(checkpoints)
        opened = [open_model(c, k, choice.device) for c, k in zip(checkpoints, keys)]
        return cls(opened, dataset, split, choice.device, split_dominant, workers, choice.autocast_dtype)

    # ----- plain facts -----------------------------------------------------------------------

    @property
    def device(self) -> torch.device:
        """Where the models run (``cpu``, ``cuda:0``, ...)."""
        return self._device

    @property
    def dataset_name(self) -> str:
        return self._dataset.name

    @property
    def metric_family(self) -> str:
        return self._dataset.metric_family

    @property
    def data_description(self) -> dict:
        """``MSADataset.describe()`` of the data (source, synthetic flag, dims, fingerprint, sizes)."""
        return self._dataset.describe()

    @property
    def checkpoints(self) -> list[Checkpoint]:
        return [o.checkpoint for o in self._opened]

    def __len__(self) -> int:
        return len(self._split)

    # ----- one utterance -----------------------------------------------------------------------

    def run(self, index: int, settings: ProbeSettings) -> ProbeResult:
        """Every model on utterance ``index`` under ``settings`` (identical mask for all)."""
        if not 0 <= int(index) < len(self._split):
            raise IndexError(f"utterance index {index} is outside 0..{len(self._split) - 1}")
        index = int(index)
        with self._lock:
            cached = self._runs.get((index, settings))
        if cached is not None:
            return cached
        with self._scheduler.foreground():
            result = self._run(index, settings)
        with self._lock:
            self._runs.put((index, settings), result)
        return result

    def _run(self, index: int, settings: ProbeSettings) -> ProbeResult:
        split = self._split
        rows = np.array([index], dtype=np.int64)
        masked = mask_split(split, to_mask_setting(settings), self._present, self._dataset.special_ids, indices=rows)
        inputs = model_inputs(masked, split.audio_lengths[rows], split.vision_lengths[rows], self._device)
        label = float(self._labels32[index])
        predictions = []
        masks = row_mask_keys(masked)
        for i, (info, model) in enumerate(zip(self.models, self._sample_models)):
            if self._staged[i]:
                keys = [(i, index, m, masks[m]) for m in range(3)]
                known = [self._row_stages.get(key) for key in keys]
                out, stages = forward_stages(model, inputs, known, self._precision.autocast)
                for key, was, stage in zip(keys, known, stages):
                    if was is None:
                        self._row_stages.put(key, stage)
            else:
                out = forward(model, inputs, self._precision.autocast)
            value = float(out.prediction[0])
            predictions.append(
                ModelPrediction(
                    model_key=info.key,
                    prediction=value,
                    class7=analysis.class7_name(value),
                    error=value - label,
                    integrity=_integrity_tuple(out.integrity_est[0], info.estimates_integrity),
                    dominant=int(out.dominant[0]) if info.has_dominant and out.dominant[0] >= 0 else None,
                )
            )
        present = tuple(bool(p) for p in self._present)
        return ProbeResult(
            index=index,
            settings=settings,
            label=label,
            label_class7=analysis.class7_name(label),
            integrity_true=tuple(float(v) for v in masked.integrity[0]),  # type: ignore[arg-type]
            integrity_realised=tuple(float(v) for v in masked.realised[0]),  # type: ignore[arg-type]
            inputs=display_inputs(split, index, masked, 0, present, self._display_tokenizer()),  # type: ignore[arg-type]
            predictions=predictions,
        )

    def _display_tokenizer(self):
        with self._lock:
            if self._tokenizer is None:
                self._tokenizer = display_tokenizer(self._dataset, self._opened[0].checkpoint)
            return self._tokenizer

    # ----- the whole split -------------------------------------------------------------------

    def evaluate(self, settings: ProbeSettings, cancelled: Callable[[], bool] | None = None) -> list[SplitEvaluation]:
        """Metrics and predictions of every model over the whole split under ``settings``."""
        truth, preds = self.predict_split(to_mask_setting(settings), cancelled)
        truth_tuples = [tuple(float(v) for v in row) for row in truth]
        return [
            SplitEvaluation(
                model_key=info.key,
                settings=settings,
                metrics=self._metrics(p),
                predictions=[float(v) for v in p.prediction],
                labels=[float(v) for v in self._labels32],
                integrity_true=truth_tuples,  # type: ignore[arg-type]
                integrity_est=[_integrity_tuple(row, info.estimates_integrity) for row in p.integrity_est],
                dominant=[int(d) if info.has_dominant and d >= 0 else None for d in p.dominant],
            )
            for info, p in zip(self.models, preds)
        ]

    def evaluate_setting(self, setting: MaskSetting, cancelled: Callable[[], bool] | None = None) -> dict[str, dict[str, float]]:
        """Model key -> metrics over the split under any missingness setting (``senti-tui eval``)."""
        _, preds = self.predict_split(setting, cancelled)
        return {info.key: self._metrics(p) for info, p in zip(self.models, preds)}

    def predict_split(
        self, setting: MaskSetting, cancelled: Callable[[], bool] | None = None
    ) -> tuple[np.ndarray, list[SplitPredictions]]:
        """(true integrity [N,3], one :class:`SplitPredictions` per model) under ``setting``."""
        return self._predict_split(setting, cancelled, self.workers)

    def predict_settings(
        self,
        settings: Sequence[MaskSetting],
        cancelled: Callable[[], bool] | None = None,
        done: Callable[[int], None] | None = None,
    ) -> list[tuple[np.ndarray, list[SplitPredictions]]]:
        """:meth:`predict_split` of each setting, the distinct ones (by mask) running at once,
        one per batch worker, each in its own batches of 64 in order: the same figures as one
        at a time, without the workers idling at the end of every setting's last batches.
        ``done(i)`` is called in the caller's thread as setting ``i`` is ready."""
        keys = [cache_key(setting, self._present) for setting in settings]
        first = {key: i for i, key in reversed(list(enumerate(keys)))}  # setting index per distinct mask
        unique = sorted(set(first.values()))
        per_worker = 1 if len(unique) > 1 else self.workers

        def finished(j: int, _result) -> None:
            if done is not None:
                for i, key in enumerate(keys):
                    if first[key] == unique[j]:
                        done(i)

        results = run_each(lambda i: self._predict_split(settings[i], cancelled, per_worker), unique, self.workers, finished)
        by_key = {keys[i]: result for i, result in zip(unique, results)}
        return [by_key[key] for key in keys]

    def _predict_split(
        self, setting: MaskSetting, cancelled: Callable[[], bool] | None, workers: int
    ) -> tuple[np.ndarray, list[SplitPredictions]]:
        key = cache_key(setting, self._present)
        with self._lock:
            cached = self._predictions.get(key)
        if cached is not None:
            return cached
        split, models = self._split, self._split_models
        draw = setting.draw(split.sample_ids, self._present)  # once per setting, for every batch and model
        spans = eval_spans(len(split))
        modality_keys = split_modality_keys(draw)
        # per model and modality: the stage of every batch, when a setting computed it before
        known = [
            [self._split_stages.get((i, modality_keys[m])) if staged and modality_keys is not None else None for m in range(3)]
            for i, staged in enumerate(self._staged)
        ]
        missing = [(i, m) for i, row in enumerate(known) for m, stages in enumerate(row) if self._staged[i] and stages is None]
        # Row-level reuse (core.probe.stages): CPU, and masks whose noise is per modality
        keeps = self._split_keeps_of(draw, modality_keys) if modality_keys is not None and self._device.type == "cpu" else None
        if keeps is not None and missing:
            self._patch_from_recent(draw, modality_keys, keeps, known, missing, spans, cancelled, workers)
        repredicted = self._repredict_changed_rows(keeps, known, spans, cancelled, workers) if keeps is not None else {}
        computed, batch_stages = self._forward_batches(
            draw, spans, known, [i for i in range(len(models)) if i not in repredicted], cancelled, workers
        )
        predictions = [repredicted[i] if i in repredicted else computed[i] for i in range(len(models))]
        if modality_keys is not None:
            fresh = {(i, modality_keys[m]): known[i][m] if i in repredicted else batch_stages[i][m] for i, m in missing}
            self._keep_for_later(fresh, [(i, m, modality_keys[m]) for i, m in missing], keeps, predictions)
        result = (1.0 - draw.rates, predictions)
        with self._lock:
            self._predictions.put(key, result)
        return result

    def _keep_for_later(self, fresh: dict, keyed: list, keeps, predictions: list[SplitPredictions]) -> None:
        """Cache a pass's new stages (``fresh``: (model, modality key) -> stage per batch) and note
        it in the histories a later setting patches from (``keyed``: (model, modality, key))."""
        # room for two settings' worth, so that the next slider move finds this one's stages
        self._split_stages.max_bytes = max(self._split_stages.max_bytes, 2 * sum(nbytes(v) for v in fresh.values()))
        for stage_key, stages in fresh.items():
            self._split_stages.put(stage_key, stages)
        with self._lock:
            for i, m, modality_key in keyed:
                _remember(self._stage_history.setdefault((i, m), []), modality_key, PATCH_HISTORY)
            if keeps is None:
                return
            for i, p in enumerate(predictions):
                if self._staged[i] and self._split_models[i].rows_independent():
                    history = self._row_history.setdefault(i, [])
                    history.append((keeps, p))
                    del history[:-PATCH_HISTORY]

    def _forward_batches(
        self, draw, spans: list[tuple[int, int]], known: list, todo: list[int], cancelled, workers: int
    ) -> tuple[dict[int, SplitPredictions], dict[int, list[list]]]:
        """The models ``todo`` over the split in its evaluation batches: (model -> predictions,
        model -> per modality the stage of every batch), a stage taken from ``known`` where given.

        One task per (batch, model), so that the workers share several models' work evenly (11
        batches of three models on two workers: 6 rounds of three forward passes, 17 of one). A
        batch is masked once for all its models, and dropped when the last one has it."""
        if not todo:
            return {}, {}
        models, autocast = self._split_models, self._precision.autocast
        masking = any(not self._staged[i] or stages is None for i in todo for stages in known[i])
        masked: dict[int, ModelInput] = {}
        waiting = dict.fromkeys(range(len(spans)), len(todo))
        held = threading.Lock()

        def inputs_of(s: int) -> ModelInput:
            with held:
                if s in masked:
                    return masked[s]
            inputs = self._masked_inputs(draw, slice(*spans[s]))
            with held:
                return masked.setdefault(s, inputs)

        def release(s: int) -> None:
            with held:
                waiting[s] -= 1
                if waiting[s] == 0:
                    masked.pop(s, None)

        def one(task: tuple[int, int]) -> tuple[SplitPredictions, list]:
            s, i = task
            self._scheduler.before_batch(cancelled)
            try:
                inputs = inputs_of(s) if masking else None
                if self._staged[i]:
                    return forward_stages(models[i], inputs, [row[s] if row is not None else None for row in known[i]], autocast)
                assert inputs is not None  # an unstaged model sets masking
                return forward(models[i], inputs, autocast), []
            finally:
                release(s)

        done = run_batches(one, [(s, i) for s in range(len(spans)) for i in todo], workers)
        per_model = {i: [done[s * len(todo) + j] for s in range(len(spans))] for j, i in enumerate(todo)}
        predictions = {i: concatenate([out for out, _ in parts]) for i, parts in per_model.items()}
        stages = {
            i: [[stages[m] for _, stages in parts] for m in range(3)] if self._staged[i] else [] for i, parts in per_model.items()
        }
        return predictions, stages

    def _split_keeps_of(self, draw, modality_keys) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per modality, the packed kept positions of every row under the draw (cached by the
        modality's key)."""
        keeps = []
        for m in range(3):
            keep = self._split_keeps.get(modality_keys[m])
            if keep is None:
                keep = packed_keep(modality_keep(self._split, m, draw.rates[:, m], draw.mask_seed))
                self._split_keeps.put(modality_keys[m], keep)
            keeps.append(keep)
        return keeps[0], keeps[1], keeps[2]

    def _patch_from_recent(self, draw, modality_keys, keeps, known: list, missing: list, spans, cancelled, workers: int) -> None:
        """Fill ``known[i][m]`` for the ``missing`` (model, modality) pairs that a recent whole-
        split stage of theirs gives by re-embedding fewer rows than the plain batches hold
        (:func:`core.probe.stages.patch_stages`)."""
        plans: dict[tuple[int, int], tuple[list, list[np.ndarray]]] = {}
        for i, m in missing:
            with self._lock:
                history = list(self._stage_history.get((i, m), ()))
            candidates = [(self._split_stages.get((i, key)), self._split_keeps.get(key)) for key in reversed(history)]
            plan = _cheapest_patch([(base, [base_keep]) for base, base_keep in candidates], [keeps[m]], spans)
            if plan is not None:
                plans[(i, m)] = plan
        if not plans:
            return
        inputs: dict[bytes, ModelInput] = {}  # the same rows' masked inputs serve every model
        held = threading.Lock()

        def one(task: tuple[int, int, int]) -> tuple:
            i, m, b = task
            self._scheduler.before_batch(cancelled)
            rows = plans[(i, m)][1][b]
            with held:
                masked = inputs.get(rows.tobytes())
            if masked is None:
                masked = self._masked_inputs(draw, rows)
                with held:
                    masked = inputs.setdefault(rows.tobytes(), masked)
            return embed_stage(self._split_models[i], m, masked, self._precision.autocast)

        tasks = [(i, m, b) for (i, m), (_, batches) in plans.items() for b in range(len(batches))]
        outputs = run_batches(one, tasks, workers)
        k = 0
        with torch.inference_mode():  # the cached stages are inference tensors
            for (i, m), (base, batches) in plans.items():
                known[i][m] = patch_stages(base, spans, batches, outputs[k : k + len(batches)])
                k += len(batches)

    def _repredict_changed_rows(self, keeps, known: list, spans, cancelled, workers: int) -> dict[int, SplitPredictions]:
        """For each model whose output is per sample and whose three stages are all at hand: a
        recent whole-split pass's predictions with only the rows whose masks differ from it
        predicted again (in batches as :func:`core.probe.stages.patch_batches` packs them, bit-
        identical to the plain pass). A slider step leaves most rows' masks as they were."""
        plans: dict[int, tuple[SplitPredictions, list[np.ndarray]]] = {}
        for i, model in enumerate(self._split_models):
            if self._staged[i] and model.rows_independent() and all(stages is not None for stages in known[i]):
                with self._lock:
                    history = list(self._row_history.get(i, ()))
                plan = _cheapest_patch([(p, list(k)) for k, p in reversed(history)], list(keeps), spans)
                if plan is not None:
                    plans[i] = plan
        if not plans:
            return {}
        with torch.inference_mode():  # each modality's stage over the whole split, to gather rows from
            whole = {i: [tuple(torch.cat(parts) for parts in zip(*known[i][m])) for m in range(3)] for i in plans}

        def one(task: tuple[int, int]) -> SplitPredictions:
            i, b = task
            self._scheduler.before_batch(cancelled)
            rows = torch.as_tensor(plans[i][1][b])
            stages = [tuple(t[rows] for t in whole[i][m]) for m in range(3)]
            return forward_stages(self._split_models[i], None, stages, self._precision.autocast)[0]

        outputs = run_batches(one, [(i, b) for i, (_, batches) in plans.items() for b in range(len(batches))], workers)
        repredicted, k = {}, 0
        for i, (base, batches) in plans.items():
            p = SplitPredictions(base.prediction.copy(), base.integrity_est.copy(), base.dominant.copy())
            for rows, out in zip(batches, outputs[k : k + len(batches)]):
                p.prediction[rows], p.integrity_est[rows], p.dominant[rows] = out.prediction, out.integrity_est, out.dominant
            repredicted[i] = p
            k += len(batches)
        return repredicted

    def _masked_inputs(self, draw, rows: slice | np.ndarray):
        """The ``rows`` (a slice or indices) masked with the setting's draw (the same masks as
        :func:`core.missingness.mask_split` gives those rows)."""
        split = self._split
        masked = apply_missingness(
            split.text_bert[rows],
            split.audio[rows],
            split.audio_lengths[rows],
            split.vision[rows],
            split.vision_lengths[rows],
            split.sample_ids[rows],
            draw.rates[rows],
            draw.mask_seed,
            self._dataset.special_ids,
            shared_noise=draw.shared_noise,
        )
        return model_inputs(masked, split.audio_lengths[rows], split.vision_lengths[rows], self._device)

    def metrics(self, preds: SplitPredictions) -> dict[str, float]:
        """MMSA's metrics of one model's predictions over the split (Corr NaN when constant)."""
        return self._metrics(preds)

    def _metrics(self, preds: SplitPredictions) -> dict[str, float]:
        from core.metrics import compute_metrics

        with warnings.catch_warnings():  # constant predictions: Corr is NaN, which is the answer
            warnings.simplefilter("ignore", RuntimeWarning)
            return compute_metrics(preds.prediction, self._labels32, self._dataset.name)

    def curve(
        self,
        settings: ProbeSettings,
        rates: Sequence[float] = DEFAULT_CURVE_RATES,
        cancelled: Callable[[], bool] | None = None,
    ) -> list[Curve]:
        """Metrics vs erased fraction: each point puts every ENABLED modality at rate r (switched-
        off modalities stay off), same mask seed; one curve per model."""
        points: list[list[CurvePoint]] = [[] for _ in self._opened]
        for rate in rates:
            metrics = self.evaluate_setting(to_mask_setting(at_rate(settings, rate)), cancelled)
            for i, info in enumerate(self.models):
                points[i].append(CurvePoint(rate=float(rate), metrics=metrics[info.key]))
        return [Curve(model_key=info.key, points=p) for info, p in zip(self.models, points)]

    def complete_predictions(self, cancelled: Callable[[], bool] | None = None) -> list[SplitPredictions]:
        """Every model on the complete input (nothing erased); cached like any setting."""
        _, preds = self.predict_split(to_mask_setting(ProbeSettings()), cancelled)
        return preds

    def cases(self, settings: ProbeSettings, limit: int = 20, cancelled: Callable[[], bool] | None = None) -> list[Case]:
        """Failure cases under ``settings``: for each model, up to ``limit`` of each kind --
        largest errors, polarity flips relative to the model's own prediction on the complete
        input, integrity misestimates (models that estimate integrity) -- worst first within a
        kind; ordered by model, then kind as in :data:`core.probe.analysis.CASE_KINDS`."""
        truth, preds = self.predict_split(to_mask_setting(settings), cancelled)
        complete = self.complete_predictions(cancelled)
        cases: list[Case] = []
        for info, p, c in zip(self.models, preds, complete):
            cases += analysis.error_cases(info.key, p, self._labels, c, limit)
            cases += analysis.polarity_flips(info.key, p, self._labels, c, limit)
            if any(info.estimates_integrity):
                cases += analysis.integrity_misestimates(info.key, p, _estimated_only(truth, info.estimates_integrity), limit)
        return cases

    def confusion(self, settings: ProbeSettings, cancelled: Callable[[], bool] | None = None) -> dict[str, list[list[int]]]:
        """Model key -> 7x7 counts, rows = true class -3..3, columns = predicted class -3..3."""
        _, preds = self.predict_split(to_mask_setting(settings), cancelled)
        return {info.key: analysis.confusion7(p, self._labels) for info, p in zip(self.models, preds)}

    def calibration(self, settings: ProbeSettings, cancelled: Callable[[], bool] | None = None) -> list[Calibration]:
        """Estimated vs true integrity per modality, R² and slope, over the split masked with
        r ~ U(0,1) per sample on the ENABLED modalities (switched-off ones stay off) and the
        settings' mask seed: under the sliders' single rate every sample would have the same
        true integrity and R² would be undefined. None where a model does not estimate a
        modality, or where the truth does not vary (a switched-off modality)."""
        setting = CalibrationSetting(enabled=tuple(settings.enabled), seed=int(settings.mask_seed))  # type: ignore[arg-type]
        truth, preds = self.predict_split(setting, cancelled)
        return [analysis.calibration(info.key, p, truth, info.estimates_integrity) for info, p in zip(self.models, preds)]


def _remember(history: list, item, size: int) -> None:
    """Append ``item`` as the most recent of at most ``size`` (moved to the end if there)."""
    if item in history:
        history.remove(item)
    history.append(item)
    del history[:-size]


def _cheapest_patch(candidates: list, keeps: list[np.ndarray], spans: list[tuple[int, int]]):
    """Of ``candidates`` (base, its keeps per modality; None where evicted), the one the fewest
    rows differ from, as (base, the rows' batches) when those batches are fewer than the plain
    ones; else None."""
    best = None
    for base, base_keeps in candidates:
        if base is None or any(k is None for k in base_keeps):
            continue
        differ = np.zeros(len(keeps[0]), dtype=bool)
        for new, old in zip(keeps, base_keeps):
            differ |= (new != old).any(axis=1)
        rows = np.flatnonzero(differ)
        if best is None or len(rows) < len(best[1]):
            best = (base, rows)
    if best is None:
        return None
    batches = patch_batches(best[1], spans, EVAL_BATCH_SIZE) if len(best[1]) else []
    return (best[0], batches) if len(batches) < len(spans) else None


def _integrity_tuple(row: np.ndarray, estimates: tuple[bool, bool, bool]) -> tuple[float | None, float | None, float | None]:
    return tuple(float(v) if estimates[m] and np.isfinite(v) else None for m, v in enumerate(row))  # type: ignore[return-value]


def _estimated_only(truth: np.ndarray, estimates: tuple[bool, bool, bool]) -> np.ndarray:
    """The truth with NaN where the model does not estimate (so those never count as misses)."""
    out = truth.astype(np.float64).copy()
    out[:, ~np.asarray(estimates, dtype=bool)] = np.nan
    return out


def _dataset_label(dataset: MSADataset, split: str, n: int) -> str:
    """E.g. ``synthetic (seed 0) · test · 686 utterances`` or ``mosi (unaligned_50.pkl) · test · 686 utterances``."""
    source = str(dataset.source)
    base, _, first = source.partition(" (first ")
    where = f"seed {base[len('synthetic:seed=') :]}" if base.startswith("synthetic:seed=") else Path(base).name
    if first:
        where += f", first {first.rstrip(')')}"
    return f"{dataset.name} ({where}) · {split} · {n} utterance{'s' if n != 1 else ''}"
