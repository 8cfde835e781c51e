"""The data path: whole splits as tensors in memory, batches by index, masks per whole batch.

- :class:`SplitTensors` holds a split once (pinned on CUDA so the host-to-device copy of a
  batch can be non-blocking).
- :func:`epoch_batches` orders the training split with a ``DistributedSampler`` seeded by
  (seed, epoch): the order of epoch e is a pure function of the run's seed and e, on one
  process or many, which is what makes resuming at any batch exact.
- :func:`draw_rates` draws the missing rates of a whole split for one epoch (a [N,3] array,
  keyed by (seed, epoch, sample id) in :mod:`core.missingness.hashing`), and :func:`make_batch` indexes
  the complete tensors, copies them to the device and erases the batch in one call of
  :func:`core.missingness.appliers.apply_missingness_torch` — no Python loop over samples or tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import torch
from torch.utils.data import Dataset, DistributedSampler

from core.data.dataset import SpecialIds, Split
from core.missingness.appliers import apply_missingness_torch
from core.missingness.settings import MaskDraw, MaskSetting
from core.models.base import ModelInput
from core.runtime.batching import batch_rows
from core.training.distributed import DistContext


@dataclass
class SplitTensors:
    """One split as tensors (CPU; pinned when training on CUDA)."""

    text: torch.Tensor  # long [N,3,L]
    audio: torch.Tensor  # float [N,Ta,da]
    audio_lengths: torch.Tensor  # long [N]
    vision: torch.Tensor  # float [N,Tv,dv]
    vision_lengths: torch.Tensor  # long [N]
    labels: torch.Tensor  # float [N]
    sample_ids: np.ndarray  # int64 [N], the keys of the deterministic masks

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    @classmethod
    def from_split(cls, split: Split, pin_memory: bool = False) -> SplitTensors:
        def tensor(array: np.ndarray, dtype: torch.dtype) -> torch.Tensor:
            value = torch.from_numpy(np.ascontiguousarray(array)).to(dtype)
            return value.pin_memory() if pin_memory else value

        return cls(
            text=tensor(split.text_bert, torch.long),
            audio=tensor(split.audio, torch.float32),
            audio_lengths=tensor(split.audio_lengths, torch.long),
            vision=tensor(split.vision, torch.float32),
            vision_lengths=tensor(split.vision_lengths, torch.long),
            labels=tensor(split.labels, torch.float32),
            sample_ids=np.asarray(split.sample_ids, dtype=np.int64),
        )


def _chunks(indices: list[int], batch_size: int) -> list[torch.Tensor]:
    batches = [indices[i : i + batch_size] for i in range(0, len(indices), batch_size)]
    # A trailing batch of one sample joins the previous one: batch-level terms (InfoNCE
    # negatives, Senti-iFusion's batch-mean dominant choice) need at least two samples.
    if len(batches) > 1 and len(batches[-1]) == 1:
        last = batches.pop()  # (not batches[-2] = batches[-2] + batches.pop(): the target is indexed after the pop)
        batches[-1] = batches[-1] + last
    return [torch.tensor(batch, dtype=torch.long) for batch in batches]


def epoch_batches(n: int, batch_size: int, seed: int, epoch: int, ctx: DistContext) -> list[torch.Tensor]:
    """This rank's shuffled training batches of ``epoch`` (row indices into the split).

    ``DistributedSampler`` shuffles with a generator seeded ``seed + epoch`` and gives rank r
    every W-th index of the (padded) permutation; with W = 1 it is a plain seeded shuffle.
    """
    indices = cast("Dataset[int]", range(n))  # a sampler takes only the len() of its dataset
    sampler: DistributedSampler[int]
    sampler = DistributedSampler(indices, num_replicas=ctx.world_size, rank=ctx.rank, shuffle=True, seed=seed, drop_last=False)
    sampler.set_epoch(epoch)
    return _chunks(list(sampler), batch_size)


def eval_batches(n: int, batch_size: int, ctx: DistContext) -> list[torch.Tensor]:
    """This rank's share of the evaluation batches, in order and never shuffled.

    Whole batches are dealt round-robin, so every batch has exactly the composition it has on
    one process (Senti-iFusion's dominant modality is chosen per batch, [A16]); the gathered
    predictions are then put back in split order.
    """
    return [torch.tensor(rows, dtype=torch.long) for rows in batch_rows(n, batch_size)[ctx.rank :: ctx.world_size]]


def draw_rates(setting: MaskSetting, tensors: SplitTensors, present: dict, epoch: int) -> MaskDraw:
    """The missing rates [N,3] of every sample of a split for ``epoch`` (and the mask seed)."""
    return setting.draw(tensors.sample_ids, present, epoch)


def expected_integrity(integrity: torch.Tensor, kept: torch.Tensor, erasable: torch.Tensor) -> torch.Tensor:
    """E[1 - r | k of n erasable positions kept] [B,3] for r ~ U(0,1): each position survives with
    probability 1 - r, so the posterior of 1 - r is Beta(k + 1, n - k + 1), mean (k + 1) / (n + 2).
    A dropped modality (r = 1, nominal integrity 0) keeps its exact 0. Under an MSE it has the
    same minimiser as the nominal 1 - r (the input determines k and n), without the noise of the
    drawn rate that the input cannot show (docs/models.md §3.2)."""
    return torch.where(integrity == 0, torch.zeros_like(integrity), (kept + 1) / (erasable + 2))


def make_batch(
    tensors: SplitTensors,
    rows: torch.Tensor,
    draw: MaskDraw,
    special_ids: SpecialIds,
    device: torch.device,
    with_complete: bool,
) -> ModelInput:
    """Index, copy to ``device`` and erase one batch; keep the complete copy when asked."""
    cuda = device.type == "cuda"

    def take(tensor: torch.Tensor) -> torch.Tensor:
        batch = tensor.index_select(0, rows)
        if cuda:  # index_select of a pinned tensor is pageable again
            batch = batch.pin_memory()
        return batch.to(device, non_blocking=cuda)

    text, audio, vision = take(tensors.text), take(tensors.audio), take(tensors.vision)
    audio_lengths, vision_lengths, labels = take(tensors.audio_lengths), take(tensors.vision_lengths), take(tensors.labels)
    index = rows.numpy()
    masked = apply_missingness_torch(
        text,
        audio,
        audio_lengths,
        vision,
        vision_lengths,
        torch.from_numpy(tensors.sample_ids[index]),
        draw.rates[index],
        draw.mask_seed,
        special_ids,
        shared_noise=draw.shared_noise,
    )
    return ModelInput(
        text=masked.text_bert,
        audio=masked.audio,
        vision=masked.vision,
        audio_lengths=audio_lengths,
        vision_lengths=vision_lengths,
        integrity=masked.integrity.to(device),
        labels=labels,
        integrity_expected=expected_integrity(masked.integrity, masked.kept, masked.erasable).to(device),
        complete_text=text if with_complete else None,
        complete_audio=audio if with_complete else None,
        complete_vision=vision if with_complete else None,
    )
