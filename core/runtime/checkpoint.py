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
``provenance``         :func:`core.provenance.collect` of the run: command line, version, git
                       revision, library versions, device, precision, the data file's SHA-256
                       (optional: older checkpoints have none)
=====================  ===========================================================================

Public API (the explorer, eval and probe use these)::

    ckpt = load_checkpoint("checkpoints/demo.pt")     # CheckpointError (one line) if unusable
    check_dims(ckpt, dataset.dims)                    # CheckpointError naming the dims that differ
    model = build_model_from_checkpoint(ckpt)         # eval mode, weights loaded, on CPU
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeGuard, cast

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
    provenance: dict = field(default_factory=dict)

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
        if self.provenance:
            payload["provenance"] = self.provenance
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
            torch.save(payload, cast(IO[bytes], recording))  # torch.save only writes and flushes
        except RuntimeError:  # torch's zip writer reports a failed write as its own error
            if recording.failure is not None:
                raise recording.failure from None
            raise

    write_atomic(
        path,
        write,
        error=CheckpointError,
        size_hint=_tensor_bytes(payload),
        remedy="free some space, or write the run to another disk (--out)",
    )
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
        raise CheckpointError(
            f"{path}: no such checkpoint file: check the path (a run folder holds <dataset>_best.pt and last.pt)"
        )
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - anything torch refuses is the same user error
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CheckpointError(
            f"{path}: not a loadable senti-tui checkpoint ({reason[:160]}): it must be a file written by senti-tui train"
        ) from None
    if not isinstance(payload, dict) or "format_version" not in payload:
        raise CheckpointError(
            f"{path}: not a senti-tui checkpoint (no format_version): it must be a file written by senti-tui train"
        )
    version = payload["format_version"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise CheckpointError(
            f"{path}: checkpoint format_version is {version!r}, a {type(version).__name__}, not a number: "
            f"the file was edited or damaged; retrain it with senti-tui train"
        )
    if version != FORMAT_VERSION:
        raise CheckpointError(
            f"{path}: checkpoint format version {version}, but this senti-tui reads version {FORMAT_VERSION}: "
            f"retrain it with senti-tui train or use the senti-tui version that wrote it"
        )
    missing = [key for key in REQUIRED_KEYS if key not in payload]
    if missing:
        raise CheckpointError(
            f"{path}: checkpoint lacks {', '.join(missing)}: the file is damaged; retrain it with senti-tui train"
        )
    from core.models.registry import model_names

    if isinstance(payload["model"], str) and payload["model"] not in model_names():
        raise CheckpointError(
            f"{path}: is a checkpoint of the model {payload['model']!r}, which this senti-tui does not build "
            f"(it builds {', '.join(model_names())}): open it with the senti-tui version that wrote it"
        )
    problem = _schema_problem(payload)
    if problem is not None:
        raise CheckpointError(f"{path}: checkpoint {problem}: the file was edited or damaged; retrain it with senti-tui train")
    checkpoint = Checkpoint(
        path=path,
        training_state=payload.get("training_state"),
        versions=payload.get("versions") or {},
        provenance=payload.get("provenance") or {},
        **{key: payload[key] for key in REQUIRED_KEYS},
    )
    _check_weights_fit(checkpoint)
    return checkpoint


# -- the schema: checked before anything is built from a checkpoint ---------------------------

DIM_KEYS = ("text_len", "audio_len", "audio_dim", "vision_len", "vision_dim")
MAX_DIM = {"text_len": 4096, "audio_len": 100_000, "audio_dim": 100_000, "vision_len": 100_000, "vision_dim": 100_000}
MAX_SYNTHETIC_FRAMES = 1000  # the explorer regenerates synthetic data at the recorded lengths (50 by default)
MAX_CONFIG_INT = 1_000_000
BERT_LIMITS = {
    "vocab_size": 1_000_000,
    "hidden_size": 16_384,
    "num_hidden_layers": 128,
    "num_attention_heads": 256,
    "intermediate_size": 65_536,
    "max_position_embeddings": 100_000,
    "type_vocab_size": 1024,
}


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _dims_problem(where: str, dims: Any) -> str | None:
    if not isinstance(dims, dict):
        return f"{where} is a {type(dims).__name__}, not a dict"
    extra, missing = sorted(set(map(str, dims)) - set(DIM_KEYS)), [k for k in DIM_KEYS if k not in dims]
    if extra or missing:
        return f"{where} has " + "; ".join(
            filter(None, [f"unknown keys {', '.join(extra)}" if extra else None, f"no {', '.join(missing)}" if missing else None])
        )
    for key in DIM_KEYS:
        value = dims[key]
        if not _is_int(value) or not 1 <= value <= MAX_DIM[key]:
            return f"{where} {key} is {value!r}; it must be a whole number from 1 to {MAX_DIM[key]:,}"
    return None


def _schema_problem(payload: dict) -> str | None:
    """What is wrong with a checkpoint's metadata (None when it is well-formed)."""
    kind: type
    for key, kind in (
        ("kind", str),
        ("model", str),
        ("model_config", dict),
        ("data", dict),
        ("text_encoder", dict),
        ("text_encoder_config", dict),
        ("training", dict),
        ("protocol", dict),
        ("history", list),
        ("best", dict),
        ("state_dict", dict),
    ):
        if not isinstance(payload[key], kind):
            return f"'{key}' is a {type(payload[key]).__name__}, not a {kind.__name__}"
    if not _is_int(payload["epoch"]) or payload["epoch"] < 0:
        return f"'epoch' is {payload['epoch']!r}, not a whole number >= 0"
    for key, kind in (("training_state", dict), ("versions", dict), ("provenance", dict)):
        if payload.get(key) is not None and not isinstance(payload[key], kind):
            return f"'{key}' is a {type(payload[key]).__name__}, not a {kind.__name__}"
    model = payload["model"]
    data = payload["data"]
    problem = _dims_problem("'data.dims'", data.get("dims"))
    if problem:
        return problem
    for key, kind in (("name", str), ("source", str), ("fingerprint", str), ("synthetic", bool), ("present", dict)):
        if key in data and not isinstance(data[key], kind):
            return f"'data.{key}' is a {type(data[key]).__name__}, not a {kind.__name__}"
    if data.get("synthetic") or str(data.get("source", "")).startswith("synthetic"):
        frames = max(data["dims"]["audio_len"], data["dims"]["vision_len"])
        if frames > MAX_SYNTHETIC_FRAMES:
            return f"records synthetic data of {frames:,} frames (the generator makes at most {MAX_SYNTHETIC_FRAMES:,})"
    problem = _model_config_problem(model, payload["model_config"], data["dims"])
    if problem:
        return problem
    problem = _bert_problem(payload["text_encoder_config"], data["dims"]["text_len"], payload["model_config"].get("text_hidden"))
    if problem:
        return problem
    training = payload["training"]
    if training.get("data") is not None and not isinstance(training["data"], str):
        return f"'training.data' is a {type(training['data']).__name__}, not a path"
    samples = training.get("max_samples")
    if samples is not None and (not _is_int(samples) or samples < 1):
        return f"'training.max_samples' is {samples!r}, not a whole number >= 1"
    best = payload["best"]
    if "metrics" in best and not isinstance(best["metrics"], dict):
        return f"'best.metrics' is a {type(best['metrics']).__name__}, not a dict"
    if "epoch" in best and not _is_int(best["epoch"]):
        return f"'best.epoch' is {best['epoch']!r}, not a whole number"
    if any(not isinstance(entry, dict) for entry in payload["history"]):
        return "'history' holds something that is not a dict"
    if any(not isinstance(k, str) or not isinstance(v, torch.Tensor) for k, v in payload["state_dict"].items()):
        return "'state_dict' holds something that is not a named tensor"
    return None


def _model_config_problem(model: str, config: dict, dims: dict) -> str | None:
    import dataclasses

    from core.models.registry import config_class

    config_cls = config_class(model)
    fields = {f.name: f for f in dataclasses.fields(config_cls)}
    extra = sorted(str(k) for k in config if k not in fields)
    if extra:
        return f"'model_config' has options this senti-tui's {model} does not have ({', '.join(extra)})"
    required = [
        name for name, f in fields.items() if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    missing = [name for name in required if name not in config]
    if missing:
        return f"'model_config' has no {', '.join(missing)}"
    problem = _dims_problem("'model_config.dims'", config.get("dims"))
    if problem:
        return problem
    if config["dims"] != dims:
        return "'model_config.dims' differ from 'data.dims'"
    for name, value in config.items():
        default = fields[name].default
        if name == "dims" or default is dataclasses.MISSING or default is None:
            continue
        expected = type(default)
        if expected is int:  # sizes, counts and epochs
            if not _is_int(value) or not 0 <= value <= MAX_CONFIG_INT:
                return f"'model_config.{name}' is {value!r}; this senti-tui expects a whole number from 0 to {MAX_CONFIG_INT:,}"
        elif expected is float:
            if not (_is_int(value) or isinstance(value, float)) or not math.isfinite(value) or abs(value) > MAX_CONFIG_INT:
                return f"'model_config.{name}' is {value!r}; this senti-tui expects a finite number"
        elif not isinstance(value, expected):
            return f"'model_config.{name}' is {value!r}; this senti-tui expects a {expected.__name__}"
    return None


def _bert_problem(config: dict, text_len: int, text_hidden: Any) -> str | None:
    for key, limit in BERT_LIMITS.items():
        value = config.get(key)
        if not _is_int(value) or not 1 <= value <= limit:
            return f"text encoder config {key} is {value!r}; it must be a whole number from 1 to {limit:,}"
    width, heads = config["hidden_size"], config["num_attention_heads"]
    if width % heads:
        return f"text encoder config has {heads} attention heads, which do not divide its width {width}"
    if config["max_position_embeddings"] < text_len:
        return (
            f"text encoder config has {config['max_position_embeddings']} positions, fewer than the data's text length {text_len}"
        )
    if text_hidden is not None and text_hidden != width:
        return f"'model_config.text_hidden' is {text_hidden!r} but the text encoder's width is {width}"
    return None


class _ShapesOnly(torch.overrides.TorchFunctionMode):
    """Random initialisation as ``empty`` while building on the meta device: the check needs only
    shapes, and torch's meta ``randn``/``normal_`` run through Python decompositions whose first
    use imports sympy (~500 modules, 1.4 s of every eval's and explorer's start-up here)."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is torch.randn:
            return torch.empty(*args, **{k: v for k, v in kwargs.items() if k != "generator"})
        if func is torch.Tensor.normal_:
            return args[0]
        return func(*args, **kwargs)


def _check_weights_fit(checkpoint: Checkpoint) -> None:
    """Build the model on torch's meta device (no memory) and compare every parameter's shape
    with the stored weights, so a real build never allocates what the file does not hold."""
    try:
        with torch.device("meta"), _ShapesOnly():
            model = _build(checkpoint)
    except Exception as error:  # noqa: BLE001 - a config that builds no model is the file's fault
        reason = " ".join(str(error).split())[:160] or type(error).__name__
        raise CheckpointError(
            f"{checkpoint.path}: checkpoint's model_config does not build a {checkpoint.model} model "
            f"({reason}): the file was edited or damaged; retrain it with senti-tui train"
        ) from None
    expected = {name: tuple(value.shape) for name, value in model.state_dict().items()}
    stored = {name: tuple(value.shape) for name, value in checkpoint.state_dict.items()}
    missing = sorted(set(expected) - set(stored))
    extra = sorted(set(stored) - set(expected))
    wrong = sorted(name for name in set(expected) & set(stored) if expected[name] != stored[name])
    if missing or extra or wrong:
        detail = "; ".join(
            filter(
                None,
                [
                    f"missing {missing[0]}" + (f" and {len(missing) - 1} more" if len(missing) > 1 else "") if missing else None,
                    f"unexpected {extra[0]}" + (f" and {len(extra) - 1} more" if len(extra) > 1 else "") if extra else None,
                    f"{wrong[0]} is {list(stored[wrong[0]])}, the config makes {list(expected[wrong[0]])}" if wrong else None,
                ],
            )
        )
        raise CheckpointError(
            f"{checkpoint.path}: the weights do not fit the {checkpoint.model} model its config describes "
            f"({detail}): the file was edited or damaged; retrain it with senti-tui train"
        )


def _build(checkpoint: Checkpoint) -> MSAModel:
    from core.models.registry import build_model_from_config

    return build_model_from_config(checkpoint.model, checkpoint.model_config, build_text_encoder_from_checkpoint(checkpoint))


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
    runs inference, so it gets :class:`core.text.bert_inference.InferenceBert` (same math and parameter
    names, without transformers' 3-4 s import); transformers' ``BertModel`` only for a config that
    module does not cover.
    """
    from core.text.bert_inference import inference_bert_from_config
    from core.text.bert_module import BertTextEncoder

    stored = {k: v for k, v in checkpoint.text_encoder_config.items() if k != "transformers_version"}
    pooler = any(key.startswith("text_encoder.bert.pooler.") for key in checkpoint.state_dict)
    bert: torch.nn.Module | None = inference_bert_from_config(stored, add_pooling_layer=pooler)
    if bert is None:
        from transformers import BertConfig, BertModel

        bert = BertModel(BertConfig(**stored), add_pooling_layer=pooler)
    return BertTextEncoder(
        bert, freeze=bool(checkpoint.text_encoder.get("freeze", checkpoint.training.get("freeze_text", False)))
    )


def build_model_from_checkpoint(checkpoint: Checkpoint, device: str | torch.device = "cpu") -> MSAModel:
    """The trained model in eval mode, weights loaded (strictly: every key must match)."""
    model = _build(checkpoint)
    try:
        model.load_state_dict(checkpoint.state_dict, strict=True)
    except RuntimeError as error:
        first = str(error).strip().splitlines()[0]
        raise CheckpointError(
            f"{checkpoint.path}: the weights do not fit the {checkpoint.model} model this senti-tui builds ({first[:160]}): retrain it"
        ) from None
    return model.to(device).eval()
