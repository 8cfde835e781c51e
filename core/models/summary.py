"""Parameter counts of every registered model for named feature shapes (``senti-tui models``).

Returns plain values so that the CLI never touches tensors. One text encoder is built and shared
by all the models, and everything that needs no weights is built on PyTorch's ``meta`` device
(shapes only, no memory, no random initialisation): a bert-base-sized BERT then takes
milliseconds instead of seconds. A pretrained encoder is loaded for real.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.data.dataset import FeatureDims
from core.errors import ConfigError
from core.text.encoders import TextEncoderSpec, parse_text_encoder

# The papers' unaligned shapes (docs/models.md §1.1) and the vocabulary their BERT ids come from.
PAPER_SHAPES: dict[str, FeatureDims] = {
    "mosi": FeatureDims(text_len=50, audio_len=375, audio_dim=5, vision_len=500, vision_dim=20),
    "mosei": FeatureDims(text_len=50, audio_len=500, audio_dim=74, vision_len=500, vision_dim=35),
    "sims": FeatureDims(text_len=39, audio_len=400, audio_dim=33, vision_len=55, vision_dim=709),
}
PAPER_VOCAB = {"mosi": 30522, "mosei": 30522, "sims": 21128}  # bert-base-uncased, bert-base-chinese
SHAPES = (*PAPER_SHAPES, "synthetic")


@dataclass
class ShapeSet:
    """A named set of feature shapes and the data set family whose model config applies."""

    name: str
    family: str
    dims: FeatureDims


def shape_set(name: str) -> ShapeSet:
    if name in PAPER_SHAPES:
        return ShapeSet(name, name, PAPER_SHAPES[name])
    if name == "synthetic":
        from core.data.synthetic import SyntheticConfig

        c = SyntheticConfig()
        return ShapeSet(name, name, FeatureDims(c.text_len, c.audio_len, c.audio_dim, c.vision_len, c.vision_dim))
    raise ConfigError(f"unknown shapes {name!r}: use one of {', '.join(SHAPES)}")


def encoder_spec(text: str, shapes: ShapeSet) -> TextEncoderSpec:
    """The text-encoder spec for ``--text-encoder`` at ``shapes``.

    ``scratch`` takes its vocabulary from the data: the synthetic set's own; for the papers'
    shapes, the vocabulary of the BERT whose ids their pickles hold.
    """
    if text.strip() != "scratch":
        return parse_text_encoder(text)
    if shapes.name == "synthetic":
        from core.data.synthetic import generate_synthetic

        return parse_text_encoder(text, generate_synthetic(0))
    return TextEncoderSpec(kind="scratch", vocab_size=PAPER_VOCAB[shapes.name], max_len=shapes.dims.text_len)


def count_parameters(module) -> int:
    return sum(p.numel() for p in module.parameters())


def parameter_table(shapes: str = "mosi", text_encoder: str = "bert-base-config") -> list[dict]:
    """One row per registered model: ``model``, ``total``, ``outside_text_encoder``,
    ``text_encoder`` (its parameter count) and ``encoder`` (its description)."""
    import torch

    from core.models.registry import build_model, model_names
    from core.text.encoders import build_text_encoder

    chosen = shape_set(shapes)
    spec = encoder_spec(text_encoder, chosen)
    if spec.kind == "pretrained":
        encoder = build_text_encoder(spec)
    else:
        with torch.device("meta"):
            encoder = build_text_encoder(spec)
    encoder_count = count_parameters(encoder)
    rows = []
    for name in model_names():
        with torch.device("meta"):
            model = build_model(name, chosen.family, chosen.dims, encoder)
        total = count_parameters(model)
        rows.append(
            {
                "model": name,
                "total": total,
                "outside_text_encoder": total - encoder_count,
                "text_encoder": encoder_count,
                "encoder": spec.label,
            }
        )
    return rows
