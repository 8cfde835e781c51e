"""Inference in two parts (issue 12): every model's ``embed_modality`` (per modality) followed by
``forward_from_embeddings`` gives the prediction, integrity and dominant modality of its full
``forward`` in eval mode, and a modality's stage depends on that modality's input alone (so the
probe may cache it per modality and per sample)."""

from __future__ import annotations

import pytest
import torch

from core.models.base import ModelInput, MSAModel
from core.models.registry import build_model
from tests.model_inputs import SMALL_DIMS, random_input
from tests.tiny_text_encoder import TinyTextEncoder

VARIANTS = [
    ("lnln", {}),
    ("senti-ifusion", {}),  # the paper's per-batch dominant modality
    (
        "senti-ifusion",
        {
            "dominant_selection": "sample",
            "mark_padding": True,
            "share_semantic_encoder": False,
            "prediction_readout": "target_mean",
        },
    ),
    (
        "senti-ifusion",
        {
            "dominant_selection": "sample",
            "mark_padding": True,
            "attend_padding": False,
            "integrity_token": True,
            "integrity_head": "linear",
        },
    ),
    ("dar", {}),
    ("dar", {"alignment": "masked"}),
    ("dar", {"alignment": "pooled"}),
]


def make(name: str, overrides: dict, seed: int = 0) -> MSAModel:
    torch.manual_seed(seed)
    model = build_model(name, "mosi", SMALL_DIMS, TinyTextEncoder(vocab_size=400, max_len=SMALL_DIMS.text_len), overrides)
    return model.eval()


def inference_input(seed: int, batch: int = 6) -> ModelInput:
    x = random_input(batch=batch, vocab_size=400, with_complete=False, seed=seed)
    return ModelInput(text=x.text, audio=x.audio, vision=x.vision, audio_lengths=x.audio_lengths, vision_lengths=x.vision_lengths)


def split_path(model: MSAModel, inputs: ModelInput):
    return model.forward_from_embeddings([model.embed_modality(m, inputs) for m in range(3)])


@pytest.mark.parametrize("name, overrides", VARIANTS, ids=[f"{n}{'-' + str(len(o)) if o else ''}" for n, o in VARIANTS])
def test_the_split_path_equals_forward(name, overrides):
    model = make(name, overrides)
    inputs = inference_input(seed=1)
    with torch.inference_mode():
        full = model(inputs)
        split = split_path(model, inputs)
    torch.testing.assert_close(split.prediction, full.prediction, atol=1e-6, rtol=0)
    if full.integrity is None:
        assert split.integrity is None
    else:
        torch.testing.assert_close(split.integrity, full.integrity, atol=1e-6, rtol=0, equal_nan=True)
    if full.dominant is None:
        assert split.dominant is None
    else:
        assert torch.equal(split.dominant, full.dominant)
    assert split.losses == {} and split.loss is None


@pytest.mark.parametrize("name, overrides", VARIANTS, ids=[f"{n}{'-' + str(len(o)) if o else ''}" for n, o in VARIANTS])
def test_a_stage_depends_on_its_own_modality_only(name, overrides):
    """Changing audio changes only the audio stage; a stage of one sample alone is that sample's
    row of the batch's stage."""
    model = make(name, overrides)
    inputs = inference_input(seed=2)
    other = inference_input(seed=3)
    swapped = ModelInput(
        text=inputs.text,
        audio=other.audio,
        vision=inputs.vision,
        audio_lengths=other.audio_lengths,
        vision_lengths=inputs.vision_lengths,
    )
    with torch.inference_mode():
        before = [model.embed_modality(m, inputs) for m in range(3)]
        after = [model.embed_modality(m, swapped) for m in range(3)]
        single = ModelInput(
            text=inputs.text[2:3],
            audio=inputs.audio[2:3],
            vision=inputs.vision[2:3],
            audio_lengths=inputs.audio_lengths[2:3],
            vision_lengths=inputs.vision_lengths[2:3],
        )
        alone = [model.embed_modality(m, single) for m in range(3)]
    for m in (0, 2):
        assert all(torch.equal(a, b) for a, b in zip(before[m], after[m]))
    assert not all(torch.equal(a, b) for a, b in zip(before[1], after[1]))
    for m in range(3):
        for batch_part, one in zip(before[m], alone[m]):
            torch.testing.assert_close(one, batch_part[2:3], atol=1e-5, rtol=1e-5)
