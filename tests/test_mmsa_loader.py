"""The MMSA pickle loader: dims from the file, strict one-line errors, -inf/NaN cleaning."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

from core.data.dataset import MSADataset, SpecialIds
from core.data.mmsa import infer_family, load_mmsa_pickle, write_mmsa_pickle
from core.errors import DataError, DataWarning
from tests.data_files import AUDIO_DIM, AUDIO_LEN, SIZES, TEXT_LEN, VISION_DIM, VISION_LEN, bad_corpus, small_mmsa, write


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return bad_corpus(tmp_path_factory.mktemp("bad"))


def test_corpus_covers_every_issue_case(corpus):
    names = {case.name for case in corpus}
    required = {
        "missing_file",
        "directory",
        "not_a_pickle",
        "unsafe_global",
        "missing_split",
        "missing_key",
        "text_bert_2_rows",
        "lengths_too_long",
        "label_out_of_range",
        "sims_label_range",
        "empty_split",
        "mismatched_n",
    }
    assert required <= names


def test_every_bad_file_gives_its_exact_one_line_error(corpus):
    for case in corpus:
        with pytest.raises(DataError) as info:
            load_mmsa_pickle(case.path)
        assert str(info.value) == case.message, case.name
        assert "\n" not in str(info.value)


def test_loads_dims_lengths_and_arrays_from_the_file(tmp_path):
    raw = small_mmsa()
    path = write(tmp_path / "MOSI" / "unaligned_50.pkl", raw)
    dataset = load_mmsa_pickle(path)
    assert dataset.name == "mosi" and not dataset.synthetic and dataset.source == str(path)
    assert dataset.dims.as_dict() == {
        "text_len": TEXT_LEN,
        "audio_len": AUDIO_LEN,
        "audio_dim": AUDIO_DIM,
        "vision_len": VISION_LEN,
        "vision_dim": VISION_DIM,
    }
    assert {name: len(split) for name, split in dataset.splits.items()} == SIZES
    train = dataset.split("train")
    assert train.text_bert.dtype == np.int64 and train.audio.dtype == np.float32 and train.labels.dtype == np.float32
    np.testing.assert_array_equal(train.text_bert, raw["train"]["text_bert"])
    np.testing.assert_array_equal(train.audio_lengths, raw["train"]["audio_lengths"])
    np.testing.assert_array_equal(train.labels, raw["train"]["regression_labels"])
    assert train.ids[1] == "vid0$_$1" and train.raw_text[2] == "utterance 2"
    assert dataset.cleaned == {} and len(dataset.fingerprint) == 16
    assert dataset.present == {"text": True, "audio": True, "vision": True}


def test_fingerprint_tracks_content(tmp_path):
    raw = small_mmsa()
    first = load_mmsa_pickle(write(tmp_path / "mosi" / "a.pkl", raw)).fingerprint
    again = load_mmsa_pickle(write(tmp_path / "mosi" / "b.pkl", raw)).fingerprint
    raw["test"]["regression_labels"][0] = 0.4 if raw["test"]["regression_labels"][0] != 0.4 else -0.4
    changed = load_mmsa_pickle(write(tmp_path / "mosi" / "c.pkl", raw)).fingerprint
    assert first == again != changed


def test_neg_inf_and_nan_are_zeroed_counted_and_warned(tmp_path):
    raw = small_mmsa()
    raw["train"]["audio"][0, 0, :2] = -np.inf
    raw["train"]["audio"][1, 1, 0] = np.nan
    raw["test"]["vision"][2, 0, 0] = np.inf
    path = write(tmp_path / "MOSEI" / "unaligned_50.pkl", raw)
    with pytest.warns(DataWarning) as record:
        dataset = load_mmsa_pickle(path)
    assert dataset.name == "mosei"
    assert dataset.cleaned == {"train/audio": 3, "test/vision": 1}
    assert len(record) == 1
    assert str(record[0].message) == (f"{path}: set 4 non-finite feature values (-inf/NaN) to 0 (train/audio: 3, test/vision: 1)")
    assert np.isfinite(dataset.split("train").audio).all() and dataset.split("train").audio[0, 0, 0] == 0


def test_family_from_path_and_explicit(tmp_path):
    assert infer_family(tmp_path / "CH-SIMS" / "unaligned_39.pkl") == "sims"
    assert infer_family(tmp_path / "MOSEI" / "unaligned_50.pkl") == "mosei"
    assert infer_family(tmp_path / "data" / "mosi_unaligned_50.pkl") == "mosi"
    sims = load_mmsa_pickle(write(tmp_path / "SIMS" / "unaligned_39.pkl", small_mmsa(label_scale=1.0)))
    assert sims.name == "sims" and sims.metric_family == "sims" and sims.label_range == (-1.0, 1.0)
    # The explicit name wins over the path: MOSI-range labels are refused as SIMS.
    path = write(tmp_path / "mosi" / "x.pkl", small_mmsa())
    with pytest.raises(DataError, match=r"outside \[-1, 1\] for sims"):
        load_mmsa_pickle(path, name="sims")
    with pytest.raises(DataError, match=r"unknown data set family 'imdb'"):
        load_mmsa_pickle(path, name="imdb")


def test_unknown_family_falls_back_to_mosi_with_a_warning(tmp_path):
    path = write(tmp_path / "features" / "unaligned_50.pkl", small_mmsa())
    with pytest.warns(DataWarning, match=r"cannot tell MOSI, MOSEI or SIMS from the path"):
        dataset = load_mmsa_pickle(path)
    assert dataset.name == "mosi"


def test_aligned_file_without_lengths_derives_them_from_the_frames(tmp_path):
    raw = small_mmsa()
    for split in raw.values():  # word-aligned: audio and vision have the text's length
        n = split["text_bert"].shape[0]
        split["audio"] = np.zeros((n, TEXT_LEN, AUDIO_DIM), np.float32)
        split["vision"] = np.zeros((n, TEXT_LEN, VISION_DIM), np.float32)
        split["audio"][:, :3] = 1.0
        split["vision"][0, :5] = 2.0
        del split["audio_lengths"], split["vision_lengths"]
    dataset = load_mmsa_pickle(write(tmp_path / "mosi" / "aligned_50.pkl", raw))
    train = dataset.split("train")
    assert train.audio_lengths.tolist() == [3] * 5
    assert train.vision_lengths.tolist() == [5, 0, 0, 0, 0]
    assert dataset.dims.audio_len == TEXT_LEN


def test_optional_display_keys_are_generated(tmp_path):
    raw = small_mmsa()
    for split in raw.values():
        del split["id"], split["raw_text"]
    dataset = load_mmsa_pickle(write(tmp_path / "mosi" / "x.pkl", raw))
    assert dataset.split("valid").ids == ["valid_0", "valid_1", "valid_2"]
    assert dataset.split("valid").raw_text == ["", "", ""]


def test_column_labels_and_float_lengths_are_accepted(tmp_path):
    raw = small_mmsa()
    raw["train"]["regression_labels"] = raw["train"]["regression_labels"][:, None]
    raw["train"]["audio_lengths"] = raw["train"]["audio_lengths"].astype(np.float64)
    dataset = load_mmsa_pickle(write(tmp_path / "mosi" / "x.pkl", raw))
    assert dataset.split("train").labels.shape == (5,)
    assert dataset.split("train").audio_lengths.dtype == np.int64


def test_write_then_read_round_trips_including_synthetic_meta(tmp_path):
    source = load_mmsa_pickle(write(tmp_path / "mosi" / "src.pkl", small_mmsa()))
    vocab = ["[PAD]"] + [f"[unused{i}]" for i in range(99)] + ["[UNK]", "[CLS]", "[SEP]"] + [f"w{i}" for i in range(1900)]
    synthetic = MSADataset(
        name="synthetic",
        source="synthetic:seed=7",
        synthetic=True,
        splits=source.splits,
        dims=source.dims,
        vocab=vocab,
        fingerprint=source.fingerprint,
    )
    out = write_mmsa_pickle(synthetic, tmp_path / "out" / "synthetic.pkl")
    assert out.exists() and not list(out.parent.glob("*.tmp"))
    back = load_mmsa_pickle(out)
    assert back.synthetic and back.name == "synthetic" and back.vocab == vocab
    assert back.special_ids == SpecialIds()
    assert back.fingerprint == source.fingerprint
    for name in SIZES:
        np.testing.assert_array_equal(back.split(name).text_bert, source.split(name).text_bert)
        np.testing.assert_array_equal(back.split(name).vision, source.split(name).vision)
        assert back.split(name).ids == source.split(name).ids
        assert back.split(name).raw_text == source.split(name).raw_text
    import pickle

    with out.open("rb") as handle:
        meta = pickle.load(handle)["synthetic_meta"]
    assert meta["seed"] == 7 and meta["generated_from"] == "synthetic:seed=7"


def test_a_real_file_loads_without_warnings(tmp_path):
    path = write(tmp_path / "MOSI" / "unaligned_50.pkl", small_mmsa())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_mmsa_pickle(path)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path):
    path = write(tmp_path / "mosi" / "locked.pkl", small_mmsa())
    path.chmod(0)
    try:
        with pytest.raises(DataError) as info:
            load_mmsa_pickle(path)
    finally:
        path.chmod(0o600)
    assert str(info.value) == f"{path}: cannot read the file (permission denied); check its permissions"
