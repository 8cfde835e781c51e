"""Multi-process training through PyTorch's own launcher.

``torchrun --nproc-per-node N --no-python senti-tui train …`` starts N copies of the command with
``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK`` (and the rendezvous address) in the environment. Each
copy builds the same model from the same seed, wraps it in DistributedDataParallel and trains on
its shard of every epoch (a DistributedSampler keyed by (seed, epoch)). Only rank 0 writes files
and emits events; validation is sharded by whole evaluation batches and the predictions are
gathered, so every rank computes the metrics of the WHOLE split (and the same early-stopping
decisions). Without those variables everything here is a no-op on a single process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel


@dataclass(frozen=True)
class DistContext:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def context_from_environment() -> DistContext:
    """Read torchrun's variables; a plain process is rank 0 of 1."""
    if "RANK" not in os.environ or "WORLD_SIZE" not in os.environ:
        return DistContext()
    return DistContext(
        rank=int(os.environ["RANK"]),
        world_size=int(os.environ["WORLD_SIZE"]),
        local_rank=int(os.environ.get("LOCAL_RANK", os.environ["RANK"])),
    )


def init_process_group(ctx: DistContext, device: torch.device) -> None:
    """nccl between GPUs, gloo between CPU processes. Idempotent."""
    if not ctx.enabled or dist.is_initialized():
        return
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo", rank=ctx.rank, world_size=ctx.world_size)


def destroy_process_group(ctx: DistContext) -> None:
    if ctx.enabled and dist.is_initialized():
        dist.destroy_process_group()


def wrap_model(model: nn.Module, ctx: DistContext, device: torch.device, ignore: list[str]) -> nn.Module:
    """DistributedDataParallel over the parameters that currently require grad.

    ``find_unused_parameters`` is on because parts of a model may sit out a step (Senti-iFusion's
    key/value projections of the dominant modality, a frozen stage). ``ignore`` names parameters
    DDP must not synchronise: DAR's CLUB network is stepped by its own optimiser outside the
    model's forward, and its gradients are averaged by :func:`average_gradients` instead.
    The trainer re-wraps at every stage change, because DDP fixes its parameter set when built.
    """
    if not ctx.enabled:
        return model
    if ignore:
        DistributedDataParallel._set_params_and_buffers_to_ignore_for_model(model, ignore)
    device_ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=device_ids, find_unused_parameters=True)


def average_gradients(params: list[nn.Parameter], ctx: DistContext) -> None:
    """All-reduce (mean) the gradients of parameters that DDP does not manage."""
    if not ctx.enabled:
        return
    for p in params:
        if p.grad is None:  # a rank without this grad still has to join the collective
            p.grad = torch.zeros_like(p)
        dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)
        p.grad.div_(ctx.world_size)


def any_rank(flag: bool, ctx: DistContext, device: torch.device) -> bool:
    """True when ``flag`` is set on any rank (the stop request is raised on one rank only)."""
    if not ctx.enabled:
        return flag
    value = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item() > 0)


def gather_arrays(arrays: dict[str, np.ndarray], ctx: DistContext, device: torch.device) -> list[dict[str, np.ndarray]]:
    """Every rank's ``arrays`` (same keys, same trailing shapes), in rank order.

    Tensors, not ``all_gather_object``: nothing is pickled between processes. Ranks may hold
    different numbers of rows, so the row counts go first and the rows are padded to the largest.
    """
    if not ctx.enabled:
        return [arrays]
    counts = {key: torch.tensor([len(value)], device=device) for key, value in arrays.items()}
    result: list[dict[str, np.ndarray]] = [{} for _ in range(ctx.world_size)]
    for key in sorted(arrays):  # the same order on every rank
        local = torch.as_tensor(np.ascontiguousarray(arrays[key]), dtype=torch.float64, device=device)
        sizes = [torch.zeros_like(counts[key]) for _ in range(ctx.world_size)]
        dist.all_gather(sizes, counts[key])
        longest = int(max(size.item() for size in sizes))
        padded = torch.zeros((longest, *local.shape[1:]), dtype=local.dtype, device=device)
        padded[: len(local)] = local
        pieces = [torch.empty_like(padded) for _ in range(ctx.world_size)]
        dist.all_gather(pieces, padded)
        for rank, (piece, size) in enumerate(zip(pieces, sizes)):
            result[rank][key] = piece[: int(size.item())].cpu().numpy()
    return result


def barrier(ctx: DistContext) -> None:
    if ctx.enabled and dist.is_initialized():
        dist.barrier()
