"""Running models on masked inputs: one utterance, or a whole split in fixed batches of 64.

The inputs are masked with :func:`core.missingness.mask_split` (numpy; the same masks the
trainer, the evaluator and the tests see), batch by batch, once for all models, and wrapped as
tensors without copying. A split is fed
in the trainer's evaluation batches (:func:`core.training.batches.eval_batches`: 64, in order,
never shuffled, a trailing batch of one joined to the previous one), so that Senti-iFusion's
batch-level dominant modality ([A16]) gives exactly the figures training reported.

Everything runs under :func:`torch.inference_mode`; the models are in eval mode and are never
mutated, so several threads may call :func:`predict` on the same model at once.

Threads. One utterance is latency-bound: it runs on one intra-op thread. A whole split is
spread over a small pool of Python threads, one batch each (torch releases the GIL inside its
kernels), rather than over OpenMP threads: on a shared machine OpenMP's barrier threads wait
for cores other processes hold, and a batch that takes 0.3 s alone then took over a second, and
a single utterance 1.3 s instead of 90 ms (measured on this 2-core machine under load). Batches
keep their composition, so the results are identical whatever the number of workers.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import os
from contextlib import AbstractContextManager, nullcontext
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from core.missingness import Masked
from core.models.base import ModelInput, MSAModel
from core.training.batches import eval_batches
from core.training.distributed import DistContext

EVAL_BATCH_SIZE = 64  # docs/models.md [A16]: fixed, unshuffled evaluation batches


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


def forward(model: MSAModel, inputs: ModelInput, autocast: Callable[[], AbstractContextManager] = nullcontext) -> SplitPredictions:
    """One forward pass (any batch size) as numpy; ``autocast`` is the precision's context
    (:meth:`core.training.device.DeviceChoice.autocast`)."""
    with torch.inference_mode(), autocast():
        output = model(inputs)
    n = inputs.batch_size
    # float32 (also under bf16 autocast): MMSA computes its metrics on float32 arrays
    prediction = output.prediction.float().reshape(-1).cpu().numpy()
    if output.integrity is not None:
        estimate = output.integrity.float().reshape(n, 3).cpu().numpy().astype(np.float64)
    else:
        estimate = np.full((n, 3), np.nan)
    dominant = output.dominant.reshape(-1).cpu().numpy().astype(np.int64) if output.dominant is not None else np.full(n, -1, np.int64)
    return SplitPredictions(prediction=prediction, integrity_est=estimate, dominant=dominant)


def configure_threads() -> int:
    """One intra-op thread unless ``OMP_NUM_THREADS`` says otherwise; returns the number of
    batch workers: every core up to 4, or 1 when ``OMP_NUM_THREADS`` is set (a CPU budget the
    user chose, e.g. the tests' ``OMP_NUM_THREADS=1``)."""
    if "OMP_NUM_THREADS" in os.environ:
        return 1
    torch.set_num_threads(1)
    return max(1, min(os.cpu_count() or 1, 4))


@functools.lru_cache(maxsize=None)
def _pool(workers: int) -> ThreadPoolExecutor:
    """One shared pool per size for the whole process (probes come and go; threads need not)."""
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="senti-probe")


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
    # eval batches are contiguous and in order
    spans = [(int(rows[0]), int(rows[-1]) + 1) for rows in eval_batches(n, batch_size, DistContext())]

    def one(span: tuple[int, int]) -> tuple[np.ndarray, list[SplitPredictions]]:
        if before_batch is not None:
            before_batch()
        batch = batch_of(*span)
        return batch.integrity_true, [forward(model, batch.inputs, autocast) for model in models]

    if workers > 1 and len(spans) > 1:
        parts = list(_pool(workers).map(one, spans))
    else:
        parts = [one(span) for span in spans]
    truth = np.concatenate([p[0] for p in parts])
    per_model = [
        SplitPredictions(
            prediction=np.concatenate([p[1][m].prediction for p in parts]),
            integrity_est=np.concatenate([p[1][m].integrity_est for p in parts]),
            dominant=np.concatenate([p[1][m].dominant for p in parts]),
        )
        for m in range(len(models))
    ]
    return truth, per_model


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
