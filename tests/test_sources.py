"""load_dataset picks the loader from the source; summarize gives plain values for ``data check``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.data.sources import load_dataset, summarize
from core.errors import DataError
from core.text.encoders import TextEncoderSpec, minilm_package_folder, parse_text_encoder
from tests.data_files import GOOD_CSV_ROWS, csv_text, small_mmsa, write


def test_synthetic_comes_from_the_generator_and_survives_a_file_round_trip(tmp_path):
    from core.data.mmsa import write_mmsa_pickle

    dataset = load_dataset("synthetic", seed=1)
    assert dataset.synthetic and dataset.name == "synthetic" and dataset.source == "synthetic:seed=1"
    assert load_dataset("synthetic", seed=1).fingerprint == dataset.fingerprint
    assert load_dataset("synthetic", seed=2).fingerprint != dataset.fingerprint
    back = load_dataset(str(write_mmsa_pickle(dataset, tmp_path / "s.pkl")))
    assert back.synthetic and back.fingerprint == dataset.fingerprint and back.vocab == dataset.vocab
    # and a scratch encoder sized from either is the same
    assert parse_text_encoder("scratch", back) == parse_text_encoder("scratch", dataset)


def test_pickle_and_summary(tmp_path):
    raw = small_mmsa()
    raw["test"]["vision"][0, 0, 0] = np.nan
    path = write(tmp_path / "mosi" / "unaligned_50.pkl", raw)
    with pytest.warns(UserWarning):
        dataset = load_dataset(str(path))
    summary = summarize(dataset)
    json.dumps(summary)  # plain values only
    assert summary["name"] == "mosi" and summary["synthetic"] is False
    assert summary["cleaned"] == {"test/vision": 1} and summary["cleaned_total"] == 1
    assert summary["present"] == {"text": True, "audio": True, "vision": True}
    train = summary["splits"]["train"]
    labels = raw["train"]["regression_labels"].astype(np.float64)
    assert train["size"] == 5
    assert train["labels"]["mean"] == pytest.approx(labels.mean()) and train["labels"]["std"] == pytest.approx(labels.std())
    assert train["labels"]["positive"] == pytest.approx((labels > 0).mean())
    lengths = raw["train"]["audio_lengths"]
    assert train["lengths"]["audio"] == {"min": lengths.min(), "mean": pytest.approx(lengths.mean()), "max": lengths.max()}
    text_lengths = raw["train"]["text_bert"][:, 1].sum(axis=1)
    assert train["lengths"]["text"]["max"] == text_lengths.max()


def test_label_csv_with_scratch_and_its_summary(tmp_path):
    path = tmp_path / "label.csv"
    path.write_text(csv_text(GOOD_CSV_ROWS))
    dataset = load_dataset(str(path), text_encoder=TextEncoderSpec(kind="scratch"))
    assert dataset.vocab is not None and dataset.dims.text_len == 50
    spec = parse_text_encoder("scratch", dataset)
    assert spec.vocab == dataset.vocab and spec.max_len == 50
    summary = summarize(dataset)
    assert summary["present"] == {"text": True, "audio": False, "vision": False}
    assert summary["splits"]["valid"]["lengths"]["audio"] is None


def test_label_csv_defaults_to_minilm(tmp_path, monkeypatch):
    path = tmp_path / "label.csv"
    path.write_text(csv_text(GOOD_CSV_ROWS))
    try:
        minilm_package_folder()
    except Exception:  # noqa: BLE001 - any failure to find it means the extra is absent
        pytest.skip("senti-tui[minilm] is not installed")
    dataset = load_dataset(str(path))
    assert dataset.vocab is None and dataset.split("train").text_bert[0, 0, 1] == 2009  # "it" in BERT's vocab
    monkeypatch.setattr("core.text.encoders.MINILM_PACKAGE", "senti_tui_no_such_package")
    with pytest.raises(DataError) as info:
        load_dataset(str(path))
    message = str(info.value)
    assert message.startswith(
        f"{path}: a label.csv is tokenized by the text encoder's tokenizer, and the default one is unavailable ("
    )
    assert "pip install 'senti-tui[minilm]'" in message and message.endswith("; or pass --text-encoder scratch")


def test_unknown_sources(tmp_path):
    with pytest.raises(DataError, match=r"no such file; pass an MMSA pickle"):
        load_dataset(str(tmp_path / "nothing"))
    with pytest.raises(DataError, match=r"no such file; check the path"):
        load_dataset(str(tmp_path / "nothing.pkl"))


def test_load_with_encoder_completes_the_spec_from_the_data(tmp_path):
    from core.data.sources import load_with_encoder

    path = tmp_path / "label.csv"
    path.write_text(csv_text(GOOD_CSV_ROWS))
    dataset, spec = load_with_encoder(str(path), "scratch", freeze=True)
    assert spec.kind == "scratch" and spec.freeze and spec.vocab == dataset.vocab
    assert spec.vocab_size == len(dataset.vocab) and spec.max_len == dataset.dims.text_len
    synthetic, spec = load_with_encoder("synthetic", "bert-base-config", seed=0)
    assert spec.kind == "bert-base-config" and synthetic.synthetic


def test_a_pretrained_encoder_reads_the_synthetic_sentences_in_its_own_tokens(tmp_path):
    """The generator's ids index its own word list; MiniLM must get its tokenizer's ids for the
    same sentences (it used to get the word-list ids, rows of its embedding for other tokens)."""
    from core.data.mmsa import write_mmsa_pickle
    from core.errors import EncoderUnavailable
    from core.text.encoders import build_tokenizer

    try:
        spec = parse_text_encoder("minilm")
        tokenizer = build_tokenizer(spec)
    except EncoderUnavailable:
        pytest.skip("senti-tui[minilm] is not installed")
    words = load_dataset("synthetic")
    tokens = load_dataset("synthetic", spec)
    assert tokens.vocab is None and tokens.fingerprint != words.fingerprint
    for name, split in tokens.splits.items():
        assert np.array_equal(split.labels, words.split(name).labels)
        assert split.text_bert.shape == words.split(name).text_bert.shape
        first = split.text_bert[0]
        pieces = tokenizer.tokens(first[0][first[1] > 0])
        assert pieces[0] == "[CLS]" and pieces[-1] == "[SEP]" and "[UNK]" not in pieces
        assert "".join(pieces[1:-1]).replace("##", "") == "".join(split.raw_text[0].lower().split())
    # a written copy of the set carries the word list too, and reads the same way
    written = write_mmsa_pickle(words, tmp_path / "synthetic.pkl")
    assert load_dataset(str(written), spec).fingerprint == tokens.fingerprint
    # the scratch encoder keeps the word ids
    assert load_dataset("synthetic", parse_text_encoder("scratch", words)).fingerprint == words.fingerprint
