"""Where training runs: ``auto`` = CUDA when present (bf16 autocast), else CPU."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch

from core.errors import ConfigError

DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class DeviceChoice:
    device: torch.device
    autocast_dtype: torch.dtype | None  # bf16 on CUDA; None (full fp32) on CPU

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def autocast(self):
        """Mixed precision for the forward pass on CUDA; a no-op on CPU (exact reproducibility)."""
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.autocast_dtype)

    def describe(self) -> str:
        precision = "bf16 autocast" if self.autocast_dtype is not None else "fp32"
        return f"{self.device} ({precision})"


def resolve_device(requested: str, local_rank: int = 0) -> DeviceChoice:
    """Turn ``auto|cpu|cuda`` into a device; CUDA asked for but absent is a user error."""
    if requested not in DEVICES:
        raise ConfigError(f"unknown device {requested!r}: choose one of {', '.join(DEVICES)}")
    cuda = torch.cuda.is_available()
    if requested == "cuda" and not cuda:
        raise ConfigError("--device cuda was asked for but no CUDA GPU is available: use --device cpu or --device auto")
    if requested == "cpu" or not cuda:
        return DeviceChoice(torch.device("cpu"), None)
    # bf16 needs no loss scaling; a GPU without it trains in fp32 rather than fp16 without a scaler.
    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else None
    return DeviceChoice(torch.device("cuda", local_rank), dtype)
