"""Checkpoints: one self-contained file, safe to load, written atomically.

A checkpoint is a plain dict of tensors and JSON-like values, so ``torch.load(path,
weights_only=True)`` reads it and nothing is ever unpickled. It holds:

=====================  ===========================================================================
``format_version``     :data:`FORMAT_VERSION`; any other version is refused with one line
``kind``               ``"best"``, ``"last"`` or ``"best_<metric>"`` (``--selection paper``)
``model``              registry name (``senti-ifusion``, ``lnln``, ``dar``)
``model_config``       the model's config dataclass as a plain dict
``data``               ``MSADataset.describe()``: name, source, synthetic flag, dims, present
                       modalities, fingerprint, split sizes
``text_encoder``       the text-encoder spec as a dict (with the scratch vocabulary)
``text_encoder_config``  the BERT config dict, so the encoder is rebuilt without any file
``training``           the fully resolved training config (``config.json`` of the run)
``protocol``           ``{"train": <missingness protocol dict>, "eval": <validation setting dict>}``
``history``            one dict per finished epoch (losses, metrics per split, lr, stage, ...)
``best``               ``{"epoch", "metrics", "split", "criterion", "test_selected"}``: the split
                       the checkpoint was selected on ("valid" by default, "test" under
                       ``--selection paper``, which marks it test-selected)
``epoch``              epochs finished when written
``state_dict``         the weights
``training_state``     ``last.pt`` only: optimizer, aux optimizer, schedule, every RNG state and
                       the trainer's counters (best so far, patience, position in the epoch)
``versions``           torch and senti-tui versions, for the record
=====================  ===========================================================================

Public API (the explorer, eval and probe use these)::

    ckpt = load_checkpoint("checkpoints/demo.pt")     # CheckpointError (one line) if unusable
    check_dims(ckpt, dataset.dims)                    # CheckpointError naming the dims that differ
    model = build_model_from_checkpoint(ckpt)         # eval mode, weights loaded, on CPU
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from core.atomic_write import write_atomic
from core.data.dataset import FeatureDims
from core.errors import CheckpointError
from core.models.base import MSAModel

FORMAT_VERSION = 1

REQUIRED_KEYS = (
    "format_version",
    "kind",
    "model",
    "model_config",
    "data",
    "text_encoder",
    "text_encoder_config",
    "training",
    "protocol",
    "history",
    "best",
    "epoch",
    "state_dict",
)


@dataclass
class Checkpoint:
    """A loaded checkpoint (see the module docstring for every field)."""

    path: Path
    format_version: int
    kind: str
    model: str
    model_config: dict
    data: dict
    text_encoder: dict
    text_encoder_config: dict
    training: dict
    protocol: dict
    history: list[dict]
    best: dict
    epoch: int
    state_dict: dict[str, torch.Tensor]
    training_state: dict | None = None
    versions: dict = field(default_factory=dict)

    @property
    def dims(self) -> FeatureDims:
        return FeatureDims(**self.data["dims"])

    @property
    def dataset_name(self) -> str:
        return str(self.data.get("name", ""))

    @property
    def synthetic(self) -> bool:
        return bool(self.data.get("synthetic", False))

    @property
    def selected_on(self) -> str:
        """The split the weights were selected on: "valid", or "test" (LNLN's paper protocol)."""
        return str(self.best.get("split", "valid"))

    @property
    def test_selected(self) -> bool:
        return bool(self.best.get("test_selected", False))

    def to_payload(self) -> dict[str, Any]:
        payload = {key: getattr(self, key) for key in REQUIRED_KEYS}
        payload["versions"] = self.versions
        if self.training_state is not None:
            payload["training_state"] = self.training_state
        return payload


def save_checkpoint(checkpoint: Checkpoint, path: str | Path) -> Path:
    """Write atomically (:func:`core.atomic_write.write_atomic`): a temporary file in the same
    folder, then ``os.replace``. A crash or a SIGKILL mid-write leaves the previous file intact
    (never a truncated one); a full disk is one line naming the folder and the space needed.
    """
    path = Path(path)
    payload = checkpoint.to_payload()

    def write(stream) -> None:
        recording = _RecordingStream(stream)
        try:
            torch.save(payload, recording)
        except RuntimeError:  # torch's zip writer reports a failed write as its own error
            if recording.failure is not None:
                raise recording.failure from None
            raise

    write_atomic(path, write, error=CheckpointError, size_hint=_tensor_bytes(payload),
                 remedy="free some space, or write the run to another disk (--out)")
    checkpoint.path = path
    return path


class _RecordingStream:
    """A binary stream that remembers the OS error of a failed write (torch hides it)."""

    def __init__(self, stream) -> None:
        self._stream = stream
        self.failure: OSError | None = None

    def write(self, data) -> int:
        try:
            return self._stream.write(data)
        except OSError as error:
            self.failure = error
            raise

    def flush(self) -> None:
        self._stream.flush()


def _tensor_bytes(value: Any) -> int:
    """Bytes of the tensors in ``value`` (the bulk of a checkpoint file)."""
    if isinstance(value, torch.Tensor):
        return value.numel() * value.element_size()
    if isinstance(value, dict):
        return sum(_tensor_bytes(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(_tensor_bytes(v) for v in value)
    return 0


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Read a checkpoint safely; any problem is one line naming the file and the remedy."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file: check the path (a run folder holds <dataset>_best.pt and last.pt)")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - anything torch refuses is the same user error
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CheckpointError(
            f"{path}: not a loadable senti-tui checkpoint ({reason[:160]}): it must be a file written by senti-tui train"
        ) from None
    if not isinstance(payload, dict) or "format_version" not in payload:
        raise CheckpointError(f"{path}: not a senti-tui checkpoint (no format_version): it must be a file written by senti-tui train")
    version = payload["format_version"]
    if version != FORMAT_VERSION:
        raise CheckpointError(
            f"{path}: checkpoint format version {version}, but this senti-tui reads version {FORMAT_VERSION}: "
            f"retrain it with senti-tui train or use the senti-tui version that wrote it"
        )
    missing = [key for key in REQUIRED_KEYS if key not in payload]
    if missing:
        raise CheckpointError(f"{path}: checkpoint lacks {', '.join(missing)}: the file is damaged; retrain it with senti-tui train")
    return Checkpoint(
        path=path,
        training_state=payload.get("training_state"),
        versions=payload.get("versions", {}),
        **{key: payload[key] for key in REQUIRED_KEYS},
    )


def dims_mismatch(expected: FeatureDims, actual: FeatureDims) -> list[str]:
    """Human-readable differences, e.g. ``["audio_dim 5 (checkpoint) vs 74 (data)"]``."""
    want, have = expected.as_dict(), actual.as_dict()
    return [f"{key} {want[key]} (checkpoint) vs {have[key]} (data)" for key in want if want[key] != have[key]]


def check_dims(checkpoint: Checkpoint, dims: FeatureDims, data_source: str = "the data") -> None:
    """Refuse data whose feature dims differ from the checkpoint's, naming each difference."""
    differences = dims_mismatch(checkpoint.dims, dims)
    if differences:
        raise CheckpointError(
            f"{checkpoint.path}: checkpoint is for other feature dims than {data_source} "
            f"({'; '.join(differences)}): use the data it was trained on or retrain"
        )


def build_text_encoder_from_checkpoint(checkpoint: Checkpoint) -> torch.nn.Module:
    """The text encoder's architecture from the stored BERT config (no file, no download).

    The weights come with the model's ``state_dict``; whether the encoder has BERT's pooler is
    read from it too, so scratch and pretrained encoders both round-trip. A loaded checkpoint only
    runs inference, so it gets :class:`core.bert_inference.InferenceBert` (same math and parameter
    names, without transformers' 3-4 s import); transformers' ``BertModel`` only for a config that
    module does not cover.
    """
    from core.bert_inference import inference_bert_from_config
    from core.bert_text_encoder import BertTextEncoder

    stored = {k: v for k, v in checkpoint.text_encoder_config.items() if k != "transformers_version"}
    pooler = any(key.startswith("text_encoder.bert.pooler.") for key in checkpoint.state_dict)
    bert = inference_bert_from_config(stored, add_pooling_layer=pooler)
    if bert is None:
        from transformers import BertConfig, BertModel

        bert = BertModel(BertConfig(**stored), add_pooling_layer=pooler)
    return BertTextEncoder(bert, freeze=bool(checkpoint.text_encoder.get("freeze", checkpoint.training.get("freeze_text", False))))


def build_model_from_checkpoint(checkpoint: Checkpoint, device: str | torch.device = "cpu") -> MSAModel:
    """The trained model in eval mode, weights loaded (strictly: every key must match)."""
    from core.models.registry import build_model_from_config

    model = build_model_from_config(checkpoint.model, checkpoint.model_config, build_text_encoder_from_checkpoint(checkpoint))
    try:
        model.load_state_dict(checkpoint.state_dict, strict=True)
    except RuntimeError as error:
        first = str(error).strip().splitlines()[0]
        raise CheckpointError(
            f"{checkpoint.path}: the weights do not fit the {checkpoint.model} model this senti-tui builds ({first[:160]}): retrain it"
        ) from None
    return model.to(device).eval()
