"""Running models on masked inputs: one utterance, or a whole split in fixed batches of 64.

(It was ``core/probe/inference.py`` before the runtime package.)

The inputs are masked with :func:`core.missingness.mask_split` (numpy; the same masks the
trainer, the evaluator and the tests see), batch by batch, once for all models, and wrapped as
tensors without copying. A split is fed
in the trainer's evaluation batches (:func:`core.training.batches.eval_batches`: 64, in order,
never shuffled, a trailing batch of one joined to the previous one), so that Senti-iFusion's
batch-level dominant modality ([A16]) gives exactly the figures training reported.

Everything runs under :func:`torch.inference_mode`; the models are in eval mode and are never
mutated, so several threads may call :func:`predict` on the same model at once.

Two parts. A model that has them (all three do) also runs as :meth:`MSAModel.embed_modality`
per modality, then :meth:`MSAModel.forward_from_embeddings` (:func:`forward_stages`): the same
operations on the same tensors as its ``forward``, so the same predictions to the last bit, but a
modality whose masked input did not change need not be embedded again (:mod:`core.probe.stages`).

Threads. One utterance is latency-bound: it runs on one intra-op thread. A whole split is
spread over a small pool of Python threads, one batch each (torch releases the GIL inside its
kernels), rather than over OpenMP threads: on a shared machine OpenMP's barrier threads wait
for cores other processes hold, and a batch that takes 0.3 s alone then took over a second, and
a single utterance 1.3 s instead of 90 ms (measured on this 2-core machine under load). Batches
keep their composition, so the results are identical whatever the number of workers. The
pool's threads are daemons: quitting the explorer never waits for a batch nobody wants.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import os
import queue
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, as_completed
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import torch

from core.missingness import Masked
from core.models.base import ModelInput, MSAModel
from core.runtime.batching import EVAL_BATCH_SIZE
from core.runtime.batching import eval_spans as _eval_spans


class ProbeCancelled(Exception):
    """Raised between batches when the caller's ``cancelled()`` says the result is no longer wanted."""


@dataclass
class SplitPredictions:
    """One model over some rows under one mask (numpy; the probe turns it into plain types)."""

    prediction: np.ndarray  # float32 [N]
    integrity_est: np.ndarray  # float64 [N,3], NaN where the model does not estimate
    dominant: np.ndarray  # int64 [N], -1 for a model without a dominant modality


def model_inputs(masked: Masked, audio_lengths: np.ndarray, vision_lengths: np.ndarray, device: torch.device) -> ModelInput:
    """Masked numpy arrays as a :class:`ModelInput` (zero-copy on CPU)."""

    def tensor(array: np.ndarray, dtype: torch.dtype) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(array)).to(device=device, dtype=dtype)

    return ModelInput(
        text=tensor(masked.text_bert, torch.long),
        audio=tensor(masked.audio, torch.float32),
        vision=tensor(masked.vision, torch.float32),
        audio_lengths=tensor(audio_lengths, torch.long),
        vision_lengths=tensor(vision_lengths, torch.long),
    )


Stage = tuple[torch.Tensor, ...]  # one modality's MSAModel.embed_modality output


def supports_stages(model: MSAModel) -> bool:
    """True when the model runs in two parts (embed_modality + forward_from_embeddings)."""
    return type(model).embed_modality is not MSAModel.embed_modality


def forward(
    model: MSAModel, inputs: ModelInput, autocast: Callable[[], AbstractContextManager] = nullcontext
) -> SplitPredictions:
    """One forward pass (any batch size) as numpy; ``autocast`` is the precision's context
    (:meth:`core.runtime.device.DeviceChoice.autocast`)."""
    with torch.inference_mode(), autocast():
        output = model(inputs)
    return to_numpy(output, inputs.batch_size)


def forward_stages(
    model: MSAModel,
    inputs: ModelInput | None,
    known: Sequence[Stage | None],
    autocast: Callable[[], AbstractContextManager] = nullcontext,
) -> tuple[SplitPredictions, list[Stage]]:
    """The model in two parts: the modalities whose stage is ``known`` are not embedded again
    (``inputs`` may be None when all three are). Returns the predictions and the three stages."""
    with torch.inference_mode(), autocast():
        stages = []
        for m, stage in enumerate(known):
            if stage is None:
                assert inputs is not None  # the caller passes inputs whenever a stage is missing
                stage = embed_stage(model, m, inputs, autocast)
            stages.append(stage)
        output = model.forward_from_embeddings(stages)
    return to_numpy(output, int(output.prediction.shape[0])), stages


def embed_stage(
    model: MSAModel, modality: int, inputs: ModelInput, autocast: Callable[[], AbstractContextManager] = nullcontext
) -> Stage:
    """One modality's stage (:meth:`MSAModel.embed_modality`) of a batch, compacted."""
    with torch.inference_mode(), autocast():
        return compact(model.embed_modality(modality, inputs))


def compact(stage: Stage) -> Stage:
    """The stage's tensors in storage of their own size: an embedding stack is the first 8 tokens
    of a longer sequence (a view that would keep the whole sequence alive in a cache)."""
    return tuple(
        t if t.untyped_storage().nbytes() <= t.numel() * t.element_size() else t.clone(memory_format=torch.contiguous_format)
        for t in stage
    )


def to_numpy(output, n: int) -> SplitPredictions:
    """A :class:`ModelOutput` as numpy arrays."""
    # float32 (also under bf16 autocast): MMSA computes its metrics on float32 arrays
    prediction = output.prediction.float().reshape(-1).cpu().numpy()
    if output.integrity is not None:
        estimate = output.integrity.float().reshape(n, 3).cpu().numpy().astype(np.float64)
    else:
        estimate = np.full((n, 3), np.nan)
    dominant = (
        output.dominant.reshape(-1).cpu().numpy().astype(np.int64) if output.dominant is not None else np.full(n, -1, np.int64)
    )
    return SplitPredictions(prediction=prediction, integrity_est=estimate, dominant=dominant)


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity, e.g. under taskset or a container quota)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def configure_threads() -> int:
    """One intra-op thread, always; returns the number of batch workers: the usable cores up to
    4, or ``OMP_NUM_THREADS`` of them when set (a CPU budget the user chose, e.g. the tests'
    ``OMP_NUM_THREADS=1``).

    Why never more intra-op threads: the probe's and eval's batches are small (64 utterances),
    and OpenMP's barrier threads spin for cores that other processes hold; on this shared 2-core
    machine one eval setting took 17.7 s with ``OMP_NUM_THREADS=2`` against 1.0 s with one thread.
    Batch workers (Python threads, each a whole batch) use the same cores without barriers."""
    torch.set_num_threads(1)
    budget = usable_cores()
    requested = os.environ.get("OMP_NUM_THREADS", "").strip()
    if requested.isdigit() and int(requested) > 0:
        budget = min(budget, int(requested))
    return max(1, min(budget, 4))


T = TypeVar("T")
R = TypeVar("R")


class DaemonPool:
    """A fixed set of daemon threads running ``map`` calls in order of submission.

    concurrent.futures' pool joins its threads at interpreter exit, so quitting the explorer
    would wait for every queued batch; these threads are daemons, and a sweep nobody wants
    stops at its next batch anyway (the probe's ``cancelled``)."""

    def __init__(self, workers: int) -> None:
        self._tasks: queue.SimpleQueue = queue.SimpleQueue()
        for i in range(workers):
            threading.Thread(target=self._loop, name=f"senti-probe-{i}", daemon=True).start()

    def _loop(self) -> None:
        while True:
            fn, item, future = self._tasks.get()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(item))
            except BaseException as error:  # noqa: BLE001 - handed to the caller of map
                future.set_exception(error)

    def submit(self, fn: Callable[[T], R], item: T) -> Future:
        """``fn(item)`` on the pool; the future holds its result."""
        future: Future = Future()
        self._tasks.put((fn, item, future))
        return future

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """``[fn(item) for item in items]``, run on the pool. The first error in item order is
        raised; items not started by then are skipped."""
        futures = [self.submit(fn, item) for item in items]
        try:
            return [future.result() for future in futures]
        finally:
            for future in futures:
                future.cancel()  # not yet started: skipped


@functools.cache
def _pool(workers: int) -> DaemonPool:
    """One shared pool per size for the whole process (probes come and go; threads need not)."""
    return DaemonPool(workers)


def run_batches(fn: Callable[[T], R], items: Sequence[T], workers: int) -> list[R]:
    """``[fn(item) for item in items]``, on the shared pool when ``workers`` > 1."""
    if workers > 1 and len(items) > 1:
        return _pool(workers).map(fn, items)
    return [fn(item) for item in items]


def run_each(fn: Callable[[T], R], items: Sequence[T], workers: int, done: Callable[[int, R], None] | None = None) -> list[R]:
    """As :func:`run_batches`, calling ``done(index, result)`` in the caller's thread as each item
    finishes (in the order they finish), e.g. for a progress bar. The first error is raised
    and items not yet started are skipped."""
    if workers <= 1 or len(items) <= 1:
        results = []
        for i, item in enumerate(items):
            results.append(fn(item))
            if done is not None:
                done(i, results[-1])
        return results
    futures = [_pool(workers).submit(fn, item) for item in items]
    index = {id(f): i for i, f in enumerate(futures)}
    try:
        for future in as_completed(futures):
            if done is not None:
                done(index[id(future)], future.result())
        return [future.result() for future in futures]
    finally:
        for future in futures:
            future.cancel()


def eval_spans(n: int, batch_size: int = EVAL_BATCH_SIZE) -> list[tuple[int, int]]:
    """The trainer's evaluation batches of rows 0..n-1 as (start, stop): contiguous, in order."""
    return _eval_spans(n, batch_size)


@dataclass
class Batch:
    """Masked rows as model inputs, with the ground truth of the erasure."""

    inputs: ModelInput
    integrity_true: np.ndarray  # [B,3] nominal 1 - r


def predict(
    models: list[MSAModel],
    n: int,
    batch_of: Callable[[int, int], Batch],
    before_batch: Callable[[], None] | None = None,
    workers: int = 1,
    batch_size: int = EVAL_BATCH_SIZE,
    autocast: Callable[[], AbstractContextManager] = nullcontext,
) -> tuple[np.ndarray, list[SplitPredictions]]:
    """Rows 0..n-1 in the trainer's evaluation batches: (true integrity [n,3], one
    :class:`SplitPredictions` per model), in row order.

    ``batch_of(start, stop)`` masks those rows: the split is never masked as a whole, so memory
    stays at a few batches even for MOSEI's 500-frame features, and every model gets the very
    same masked batch. ``before_batch`` runs before every batch: the probe uses it to let a
    single-utterance probe go first and to stop a sweep whose result is no longer wanted (it
    raises). ``workers`` > 1 runs batches concurrently on the shared pool.
    """
    spans = eval_spans(n, batch_size)

    def one(span: tuple[int, int]) -> tuple[np.ndarray, list[SplitPredictions]]:
        if before_batch is not None:
            before_batch()
        batch = batch_of(*span)
        return batch.integrity_true, [forward(model, batch.inputs, autocast) for model in models]

    parts = run_batches(one, spans, workers)
    truth = np.concatenate([p[0] for p in parts])
    return truth, [concatenate([p[1][m] for p in parts]) for m in range(len(models))]


def concatenate(parts: Sequence[SplitPredictions]) -> SplitPredictions:
    """Consecutive rows' predictions as one."""
    return SplitPredictions(
        prediction=np.concatenate([p.prediction for p in parts]),
        integrity_est=np.concatenate([p.integrity_est for p in parts]),
        dominant=np.concatenate([p.dominant for p in parts]),
    )


def per_sample_view(model: MSAModel) -> MSAModel:
    """The same weights, with Senti-iFusion's dominant modality chosen per sample ([A16]).

    A shallow copy shares every parameter and submodule; only its ``config`` differs, so nothing
    is mutated (safe while other threads use ``model``). Models without the option are returned
    as they are: LNLN's dominant is always language and DAR has none.
    """
    config = getattr(model, "config", None)
    if config is None or getattr(config, "dominant_selection", "sample") == "sample":
        return model
    view = copy.copy(model)
    view.config = dataclasses.replace(config, dominant_selection="sample")
    return view
