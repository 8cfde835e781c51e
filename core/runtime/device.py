"""Where and in which precision models run: training, evaluation and the probe all ask here.

Device (``--device``): ``auto`` = CUDA when present (under torchrun the rank's GPU), else CPU;
``cpu``; ``cuda`` (the first GPU, or the rank's); ``cuda:N`` (GPU N, checked against the GPUs
present). Precision (``--precision``):

- ``fp32``: full float32; the default on CPU (exact reproducibility: the same seed gives
  bit-identical weights, the demo figures are the ones the tests pin).
- ``bf16``: the forward pass under ``torch.autocast(dtype=bfloat16)`` (matrix products and
  attention in bfloat16, reductions and losses in float32; weights, gradients and the optimiser
  stay float32, and bfloat16 needs no loss scaling). The default on a CUDA GPU that supports it.
  On a CPU with native bf16 (avx512_bf16 / AMX) it is the fast setting; elsewhere it is emulated
  and slower.
- ``auto``: the default of the device, as above.

Outputs under bf16 are converted to float32 before any metric (``prediction.float()``).
``benchmarks/precision.py`` prints what bf16 costs in MAE and Corr on the demo checkpoints.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import torch

from core.errors import ConfigError

DEVICES = ("auto", "cpu", "cuda", "cuda:N")
PRECISIONS = ("auto", "fp32", "bf16")


@dataclass(frozen=True)
class DeviceChoice:
    device: torch.device
    autocast_dtype: torch.dtype | None  # torch.bfloat16 under bf16; None = full fp32

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def precision(self) -> str:
        """``"bf16"`` or ``"fp32"``: what checkpoints and exports record."""
        return "bf16" if self.autocast_dtype == torch.bfloat16 else "fp32"

    def autocast(self):
        """The forward pass's precision context: bf16 autocast, or a no-op in fp32."""
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.autocast_dtype)

    def describe(self) -> str:
        precision = "bf16 autocast" if self.autocast_dtype is not None else "fp32"
        return f"{self.device} ({precision})"


def cpu_bf16_support() -> str:
    """This CPU's native bf16 instructions as /proc/cpuinfo lists them (avx512_bf16, amx_bf16),
    for the benchmarks' headers: without them CPU bf16 is emulated and slow."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "unknown"
    native = [flag for flag in ("avx512_bf16", "amx_bf16") if f" {flag}" in flags]
    return ", ".join(native) if native else "none (bf16 emulated: slow)"


def default_precision(device: torch.device) -> str:
    """bf16 on a CUDA GPU that supports it, else fp32 (CPU, older GPUs: no fp16 without a scaler)."""
    return "bf16" if device.type == "cuda" and torch.cuda.is_bf16_supported() else "fp32"


def resolve_precision(requested: str, device: torch.device) -> torch.dtype | None:
    """``auto|fp32|bf16`` on ``device`` -> the autocast dtype (None for fp32)."""
    if requested not in PRECISIONS:
        raise ConfigError(f"unknown precision {requested!r}: choose one of {', '.join(PRECISIONS)}")
    chosen = default_precision(device) if requested == "auto" else requested
    if chosen == "fp32":
        return None
    if device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise ConfigError("--precision bf16 was asked for but this GPU does not support bfloat16: use --precision fp32")
    return torch.bfloat16


def parse_device(requested: str) -> tuple[str, int | None]:
    """``auto|cpu|cuda|cuda:N`` -> (kind, index or None); anything else is a one-line error."""
    text = str(requested).strip().lower()
    if text in ("auto", "cpu", "cuda"):
        return text, None
    kind, sep, index = text.partition(":")
    if kind == "cuda" and sep and index.isdigit():
        return "cuda", int(index)
    raise ConfigError(f"unknown device {requested!r}: choose one of {', '.join(DEVICES)} (e.g. cuda:1)")


def resolve_device(requested: str, local_rank: int = 0, precision: str = "auto") -> DeviceChoice:
    """Turn ``auto|cpu|cuda|cuda:N`` and ``auto|fp32|bf16`` into a device and its precision; CUDA
    asked for but absent, a GPU index beyond the GPUs present (or bf16 on a GPU without it) is a
    user error."""
    kind, index = parse_device(requested)
    if precision not in PRECISIONS:
        raise ConfigError(f"unknown precision {precision!r}: choose one of {', '.join(PRECISIONS)}")
    cuda = torch.cuda.is_available()
    if kind == "cuda" and not cuda:
        raise ConfigError(f"--device {requested} was asked for but no CUDA GPU is available: use --device cpu or --device auto")
    if index is not None:
        count = torch.cuda.device_count()
        if index >= count:
            raise ConfigError(
                f"--device {requested}: this machine has {count} CUDA GPU{'s' if count != 1 else ''} "
                f"(cuda:0{f'..cuda:{count - 1}' if count > 1 else ''}): choose one of them"
            )
        if local_rank != 0:
            raise ConfigError(f"--device {requested} picks one GPU, and torchrun gives each process its own: use --device cuda")
        device = torch.device("cuda", index)
    else:
        device = torch.device("cpu") if kind == "cpu" or not cuda else torch.device("cuda", local_rank)
    return DeviceChoice(device, resolve_precision(precision, device))
