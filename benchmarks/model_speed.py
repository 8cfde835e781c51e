"""Training and inference samples/s of each model (product.md -> Targets).

Two sizes, batch 64 by default:

- ``demo``: the synthetic data's shapes (text 50, audio 50x5, vision 50x20), scratch text encoder;
- ``mosi``: the papers' unaligned MOSI shapes (text 50, audio 375x5, vision 500x20) with a
  bert-base-sized encoder (``bert-base-config``: random weights, offline).

The batches are real: synthetic utterances (generated at the size's frame counts) erased by each
model's own training protocol, with the complete copies the training losses need. A training
step is what the trainer does: DAR's auxiliary (CLUB) step, then forward, backward and an AdamW
step over the model's last (full) stage. Inference is eval mode without gradients and without the
complete inputs. Warm-up steps are excluded from the timing.

Target: LNLN training at the MOSI size >= 2 x 1.3 samples/s, the official code's figure on this
2-core machine. The machine may be shared: run it when it is quiet, and read the load average
printed with the figures.

    python benchmarks/model_speed.py                       # both sizes, all models, 2 timed steps
    python benchmarks/model_speed.py --sizes mosi --models lnln --steps 3
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass

import torch

from core.data.synthetic import SyntheticConfig, synthesize
from core.missingness import default_training_protocol
from core.models.base import ModelInput, MSAModel
from core.models.registry import build_model, model_names
from core.text_encoders import build_text_encoder, parse_text_encoder
from core.training.batches import SplitTensors, draw_rates, make_batch
from core.training.stages import enter_stage

# size -> (synthetic frame counts (audio, vision), text encoder, model config family)
SIZES = {
    "demo": ((50, 50), "scratch", "synthetic"),
    "mosi": ((375, 500), "bert-base-config", "mosi"),
}


@dataclass
class Speed:
    size: str
    model: str
    train: float  # samples/s
    infer: float  # samples/s


def training_batch(name: str, tensors: SplitTensors, dataset, batch: int, family: str) -> ModelInput:
    protocol = default_training_protocol(name, family, seed=1)
    draw = draw_rates(protocol, tensors, dataset.present, epoch=1)
    return make_batch(tensors, torch.arange(batch), draw, dataset.special_ids, torch.device("cpu"), with_complete=True)


def without_complete(inputs: ModelInput) -> ModelInput:
    return ModelInput(
        text=inputs.text, audio=inputs.audio, vision=inputs.vision,
        audio_lengths=inputs.audio_lengths, vision_lengths=inputs.vision_lengths,
    )


def timed(step, warmup: int, steps: int) -> float:
    """Seconds per step, warm-up excluded."""
    for _ in range(warmup):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps


def train_step(model: MSAModel, inputs: ModelInput, stage: int):
    main = [p for p in model.parameters() if p.requires_grad and id(p) not in {id(a) for a in model.auxiliary_parameters()}]
    enter_stage(model, stage, main)
    optimizer = torch.optim.AdamW([p for p in main if p.requires_grad], lr=1e-4, weight_decay=1e-4)
    auxiliary = model.auxiliary_parameters()
    aux_optimizer = torch.optim.Adam(auxiliary, lr=1e-4) if auxiliary else None

    def step() -> None:
        model.train()
        if aux_optimizer is not None:
            aux_optimizer.zero_grad(set_to_none=True)
            model.auxiliary_loss(inputs).backward()
            aux_optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        model(inputs, stage=stage).loss.backward()
        optimizer.step()

    return step


def infer_step(model: MSAModel, inputs: ModelInput):
    def step() -> None:
        model.eval()
        with torch.no_grad():
            model(inputs)

    return step


def measure(size: str, names: list[str], batch: int, steps: int, warmup: int) -> list[Speed]:
    (audio_len, vision_len), encoder_name, family = SIZES[size]
    dataset = synthesize(SyntheticConfig(seed=0, audio_len=audio_len, vision_len=vision_len)).dataset
    tensors = SplitTensors.from_split(dataset.split("train"))
    spec = parse_text_encoder(encoder_name, dataset)
    results = []
    for name in names:
        torch.manual_seed(0)
        model = build_model(name, family, dataset.dims, build_text_encoder(spec))
        inputs = training_batch(name, tensors, dataset, batch, family)
        train_s = timed(train_step(model, inputs, model.num_stages), warmup, steps)
        infer_s = timed(infer_step(model, without_complete(inputs)), warmup, steps)
        results.append(Speed(size, name, batch / train_s, batch / infer_s))
        print(f"  {size:5s} {name:14s} train {batch / train_s:8.2f}  infer {batch / infer_s:8.2f} samples/s", flush=True)
        del model
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(model_names()), help="comma-separated model names")
    parser.add_argument("--sizes", default="demo,mosi", help="comma-separated: demo, mosi")
    parser.add_argument("--steps", type=int, default=2, help="timed steps per measurement")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps first")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch}, "
          f"{args.steps} timed steps after {args.warmup} warm-up; load average {os.getloadavg()[0]:.2f}", flush=True)
    results = [speed for size in sizes for speed in measure(size, names, args.batch, args.steps, args.warmup)]
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")
    print(f"{'size':6s} {'model':14s} {'train samples/s':>16s} {'infer samples/s':>16s}")
    for r in results:
        print(f"{r.size:6s} {r.model:14s} {r.train:16.2f} {r.infer:16.2f}")
    lnln = [r for r in results if r.size == "mosi" and r.model == "lnln"]
    if lnln:
        print(f"\nLNLN training at MOSI size: {lnln[0].train:.2f} samples/s = {lnln[0].train / 1.3:.2f} x the official "
              "code's 1.3 (target >= 2 x)")


if __name__ == "__main__":
    main()
