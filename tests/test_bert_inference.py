"""core.text.bert_inference computes exactly what transformers' BertModel computes in eval mode."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import BertConfig, BertModel

from core.runtime.checkpoint import build_model_from_checkpoint, load_checkpoint
from core.text.bert_inference import BertShape, InferenceBert, inference_bert_from_config

DEMO = Path(__file__).resolve().parents[1] / "checkpoints" / "demo.pt"


def random_bert(act: str, pooler: bool, seed: int = 0) -> BertModel:
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=300,
        hidden_size=48,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=96,
        max_position_embeddings=20,
        hidden_act=act,
        pad_token_id=0,
    )
    model = BertModel(config, add_pooling_layer=pooler).eval()
    with torch.no_grad():  # off BERT's init (LayerNorm 1/0, zero biases), so every term matters
        for p in model.parameters():
            p.add_(0.3 * torch.randn_like(p))
    return model


def text_batch(seed: int = 1) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(1, 300, (5, 20), generator=g)
    lengths = torch.tensor([20, 13, 5, 2, 9])
    mask = (torch.arange(20)[None, :] < lengths[:, None]).long()
    ids = ids * mask
    segments = torch.zeros_like(ids)
    segments[0, 10:] = 1
    return ids, mask, segments


@pytest.mark.parametrize("act,pooler", [("gelu", True), ("gelu_new", False), ("relu", True), ("silu", False)])
def test_same_outputs_as_transformers(act, pooler):
    reference = random_bert(act, pooler)
    ours = inference_bert_from_config(reference.config.to_dict(), add_pooling_layer=pooler).eval()
    ours.load_state_dict(reference.state_dict(), strict=True)
    ids, mask, segments = text_batch()
    with torch.no_grad():
        want = reference(input_ids=ids, attention_mask=mask, token_type_ids=segments).last_hidden_state
        got = ours(input_ids=ids, attention_mask=mask, token_type_ids=segments).last_hidden_state
    torch.testing.assert_close(got, want, atol=2e-5, rtol=1e-5)


def test_configs_it_does_not_cover_fall_back():
    base = BertConfig(vocab_size=10, hidden_size=8, num_attention_heads=2, intermediate_size=16).to_dict()
    assert BertShape.from_config_dict(base) is not None
    assert inference_bert_from_config({**base, "position_embedding_type": "relative_key"}, True) is None
    assert inference_bert_from_config({**base, "hidden_act": "quick_gelu"}, True) is None


def test_eval_only():
    ours = inference_bert_from_config(random_bert("gelu", True).config.to_dict(), True)
    with pytest.raises(RuntimeError, match="eval mode only"):
        ours.train()(*text_batch())


def test_a_loaded_checkpoint_runs_it_and_predicts_as_transformers_would():
    checkpoint = load_checkpoint(DEMO)
    model = build_model_from_checkpoint(checkpoint)
    assert isinstance(model.text_encoder.bert, InferenceBert)
    stored = {k: v for k, v in checkpoint.text_encoder_config.items() if k != "transformers_version"}
    reference = BertModel(BertConfig(**stored), add_pooling_layer=True).eval()
    reference.load_state_dict(
        {k.removeprefix("text_encoder.bert."): v for k, v in checkpoint.state_dict.items() if k.startswith("text_encoder.bert.")},
        strict=True,
    )
    ids, mask, segments = text_batch()
    ids = ids % stored["vocab_size"]
    with torch.no_grad():
        want = reference(input_ids=ids, attention_mask=mask, token_type_ids=segments).last_hidden_state
        got = model.text_encoder(torch.stack([ids, mask, segments], dim=1))
    torch.testing.assert_close(got, want, atol=2e-5, rtol=1e-5)
