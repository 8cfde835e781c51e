"""Small, untrained checkpoints for the probe, evaluation and eval-command tests.

Training even the ``tiny`` preset costs tens of seconds on a loaded 2-core machine; the probe
needs checkpoints in the trainer's format, not trained weights. So the models are built from the
public API exactly as the trainer builds them (the ``tiny`` preset's resolved config, the scratch
encoder of the synthetic set, ``max_samples`` per split) and written with ``save_checkpoint``;
``load_checkpoint`` then validates the format like any other file.

Senti-iFusion's integrity heads are re-centred and re-scaled (their logits over the test split
become mean 0, std 1 per modality) so that the estimated integrity really differs between samples:
an untrained head gives nearly the same estimate everywhere, every sample would choose the same
dominant modality, and the per-sample/per-batch tests could not fail.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch

from core.data.sources import first_samples, load_dataset
from core.missingness import DroprateSetting, default_training_protocol, mask_split
from core.models.registry import build_model, config_to_dict
from core.probe.loading import synthetic_dataset
from core.runtime.checkpoint import FORMAT_VERSION, Checkpoint, save_checkpoint
from core.runtime.inference import model_inputs
from core.text.encoders import TextEncoderSpec, build_text_encoder, scratch_spec
from core.training.options import TrainOptions
from core.training.presets import resolve_config

SAMPLES = 24  # per split: small enough for fast tests, large enough for varied dominant choices


def spread_integrity(model, dataset) -> None:
    """Logits of each integrity head -> mean 0, std 1 over the test split under a random mask."""
    split = dataset.splits["test"]
    masked = mask_split(split, DroprateSetting(droprate=0.0, seed=5), dataset.present, dataset.special_ids)
    inputs = model_inputs(masked, split.audio_lengths, split.vision_lengths, torch.device("cpu"))
    logits: dict[int, torch.Tensor] = {}
    handles = [
        head.head[2].register_forward_hook(lambda module, args, out, m=m: logits.__setitem__(m, out.detach().reshape(-1)))
        for m, head in enumerate(model.integrity_heads)
    ]
    with torch.no_grad():
        model.eval()(inputs)
        for handle in handles:
            handle.remove()
        for m, head in enumerate(model.integrity_heads):
            scale = 1.0 / float(logits[m].std().clamp(min=1e-12))
            layer = head.head[2]
            layer.weight.mul_(scale)
            layer.bias.copy_(layer.bias * scale - float(logits[m].mean()) * scale)


def make_checkpoint(
    path: Path,
    model_name: str,
    max_samples: int = SAMPLES,
    seed: int = 0,
    selection: str = "valid",
    kind: str = "best",
    data: str | None = None,
    train_seed: int | None = None,
) -> Path:
    """A checkpoint of ``model_name`` for the first ``max_samples`` of the synthetic set, or for
    the data file ``data`` (e.g. a label.csv, read with the scratch tokenizer, all of it).
    ``train_seed`` records that training seed (as ``train --seeds`` runs do); the weights still
    come from ``seed``."""
    torch.manual_seed(seed)
    config = dataclasses.replace(
        resolve_config(TrainOptions(model=model_name, preset="tiny", device="cpu", selection=selection, data=data)),
        max_samples=None if data else max_samples,
    )
    if train_seed is not None:
        config = dataclasses.replace(config, seed=int(train_seed))
    if data:
        dataset = load_dataset(data, TextEncoderSpec(kind="scratch"))
    else:
        dataset = first_samples(synthetic_dataset(0, 50, 50), max_samples)
    spec = scratch_spec(dataset)
    encoder = build_text_encoder(spec)
    model = build_model(model_name, dataset.name, dataset.dims, encoder, config.model_overrides)
    if model_name == "senti-ifusion":
        spread_integrity(model, dataset)
    protocol = default_training_protocol(model_name, dataset.name, config.seed)
    test_selected = selection == "paper"
    checkpoint = Checkpoint(
        path=path,
        format_version=FORMAT_VERSION,
        kind=kind,
        model=model_name,
        model_config=config_to_dict(model.config),
        data=dataset.describe(),
        text_encoder=spec.to_dict(),
        text_encoder_config=encoder.bert.config.to_dict(),
        training=config.to_dict(),
        protocol={"train": protocol.to_dict(), "eval": {"kind": "rates", "rate": 0.5, "seed": 1111}},
        history=[{"epoch": 1, "stage": 1, "lr": 0.001, "val_loss": 1.0, "metrics": {"valid": {"MAE": 1.2}}}],
        best={
            "epoch": 1,
            "metrics": {"MAE": 1.2},
            "split": "test" if test_selected else "valid",
            "criterion": "MAE",
            "test_selected": test_selected,
        },
        epoch=1,
        state_dict={k: v.detach().cpu() for k, v in model.state_dict().items()},
        versions={"torch": str(torch.__version__), "senti_tui": "test"},
    )
    return save_checkpoint(checkpoint, path)
