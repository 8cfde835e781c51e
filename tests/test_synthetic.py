"""The synthetic data set keeps the promises of product.md -> Data -> Synthetic.

The modality claims are checked with a simple least-squares probe on per-modality summary
features (bag of words for text; mean/max/min per channel over the real frames for audio and
vision), fitted on train and scored (R²) on test.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from core.data.dataset import SPLITS, SpecialIds
from core.data.linear_probe import features, probe_r2
from core.data.synthetic import (
    DOWNTONERS,
    INTENSIFIERS,
    KIND_CONFLICT,
    KIND_TEXT_NEUTRAL,
    KIND_ZERO,
    NEGATIVE_ADJECTIVES,
    NEGATIVE_VERBS,
    POSITIVE_ADJECTIVES,
    POSITIVE_VERBS,
    VERB_DOWNTONERS,
    VERB_INTENSIFIERS,
    VOCAB,
    SyntheticConfig,
    generate_synthetic,
    synthesize,
)

SIZES = {"train": 1284, "valid": 229, "test": 686}
SENTIMENT_WORDS = {w for table in (POSITIVE_ADJECTIVES, NEGATIVE_ADJECTIVES) for group in table.values() for w in group}
SENTIMENT_WORDS |= {w for table in (POSITIVE_VERBS, NEGATIVE_VERBS) for pairs in table.values() for pair in pairs for w in pair}


@pytest.fixture(scope="module")
def result():
    return synthesize(SyntheticConfig(seed=0))


@pytest.fixture(scope="module")
def data(result):
    return result.dataset


def test_shapes_dims_and_metadata(data):
    assert data.name == "synthetic" and data.synthetic and data.source == "synthetic:seed=0"
    assert data.dims.as_dict() == {"text_len": 50, "audio_len": 50, "audio_dim": 5, "vision_len": 50, "vision_dim": 20}
    assert data.present == {"text": True, "audio": True, "vision": True}
    for name in SPLITS:
        split = data.split(name)
        n = SIZES[name]
        assert len(split) == n and len(split.ids) == n and len(split.raw_text) == n
        assert split.text_bert.shape == (n, 3, 50) and split.text_bert.dtype == np.int64
        assert split.audio.shape == (n, 50, 5) and split.audio.dtype == np.float32
        assert split.vision.shape == (n, 50, 20) and split.vision.dtype == np.float32
        assert split.labels.dtype == np.float32
    assert len(data.fingerprint) == 16


def test_unaligned_lengths_are_a_parameter():
    data = generate_synthetic(0, audio_len=375, vision_len=500)
    test = data.split("test")
    assert test.audio.shape == (686, 375, 5) and test.vision.shape == (686, 500, 20)
    assert test.audio_lengths.max() > 50 and test.vision_lengths.max() > 50


def test_vocabulary_matches_bert_special_ids(data):
    special = SpecialIds()
    assert data.vocab == VOCAB
    assert (VOCAB[special.pad], VOCAB[special.unk], VOCAB[special.cls], VOCAB[special.sep]) == (
        "[PAD]",
        "[UNK]",
        "[CLS]",
        "[SEP]",
    )
    assert VOCAB[1].startswith("[unused") and len(set(VOCAB)) == len(VOCAB)
    split = data.split("train")
    ids, attention = split.text_bert[:, 0], split.text_bert[:, 1]
    assert ids.max() < len(VOCAB)
    for i in range(0, len(split), 97):  # the ids spell the raw text between [CLS] and [SEP]
        n = int(attention[i].sum())
        assert ids[i, 0] == special.cls and ids[i, n - 1] == special.sep and (ids[i, n:] == 0).all()
        words = [VOCAB[t] for t in ids[i, 1 : n - 1]]
        assert " ".join(words).replace(" ,", ",") == split.raw_text[i]
    assert (split.text_bert[:, 2] == 0).all()


def test_speakers_ids_and_lengths(data):
    videos = {name: {i.split("$_$")[0] for i in data.split(name).ids} for name in SPLITS}
    assert sum(len(v) for v in videos.values()) == 93
    assert (
        not (videos["train"] & videos["valid"])
        and not (videos["train"] & videos["test"])
        and not (videos["valid"] & videos["test"])
    )
    for name in SPLITS:
        split = data.split(name)
        assert all(re.fullmatch(r"[A-Za-z0-9_-]{11}\$_\$\d+", i) for i in split.ids)
        assert len(set(split.ids)) == len(split)
        for x, lengths in ((split.audio, split.audio_lengths), (split.vision, split.vision_lengths)):
            assert lengths.min() >= 4 and lengths.max() <= x.shape[1] and len(np.unique(lengths)) > 10
            padding = np.arange(x.shape[1])[None, :] >= lengths[:, None]
            assert (x[padding] == 0).all() and (x[~padding] != 0).all()


def test_labels_grid_range_and_polarity_mix(data):
    for name in SPLITS:
        labels = data.split(name).labels.astype(np.float64)
        assert labels.min() >= -3.0 and labels.max() <= 3.0
        np.testing.assert_allclose(labels * 5, np.round(labels * 5), atol=1e-5)  # steps of 0.2
        assert abs((labels > 0).mean() - 0.55) < 0.01
        assert abs((labels < 0).mean() - 0.42) < 0.01
        assert abs((labels == 0).mean() - 0.03) < 0.01
    labels = np.concatenate([data.split(n).labels for n in SPLITS])
    assert 1.2 < labels.std() < 1.9  # MOSI's is ~1.5
    assert len(np.unique(np.abs(labels))) >= 14  # magnitudes spread over the grid


def test_deterministic_per_seed(data):
    again = generate_synthetic(0)
    assert again.fingerprint == data.fingerprint
    for name in SPLITS:
        a, b = data.split(name), again.split(name)
        assert a.ids == b.ids and a.raw_text == b.raw_text
        np.testing.assert_array_equal(a.audio, b.audio)
        np.testing.assert_array_equal(a.vision_lengths, b.vision_lengths)
    other = generate_synthetic(1)
    assert other.fingerprint != data.fingerprint and other.split("test").raw_text != data.split("test").raw_text


def test_kinds_and_text_phenomena(result, data):
    kinds = np.concatenate([result.truth[n].kind for n in SPLITS])
    assert abs((kinds == KIND_TEXT_NEUTRAL).mean() - 0.15) < 0.03
    assert abs((kinds == KIND_CONFLICT).mean() - 0.10) < 0.03
    texts = [t for n in SPLITS for t in data.split(n).raw_text]
    words = [set(t.replace(",", " ,").split()) for t in texts]
    has = lambda vocabulary: np.mean([bool(w & set(vocabulary)) for w in words])  # noqa: E731
    assert has({"not", "never"}) > 0.05
    assert has(set(INTENSIFIERS) | set(VERB_INTENSIFIERS)) > 0.1
    assert has(set(DOWNTONERS) | set(VERB_DOWNTONERS)) > 0.1
    assert np.mean([", but " in t for t in texts]) > 0.08
    no_sentiment = np.array([not (w & SENTIMENT_WORDS) for w in words])
    neutral_text = np.isin(kinds, [KIND_TEXT_NEUTRAL, KIND_ZERO])
    assert no_sentiment[neutral_text].all()  # text-neutral utterances carry no sentiment word
    assert no_sentiment[~neutral_text].mean() < 0.02
    # conflicting utterances have contributions of opposite signs; aligned ones never do
    c = np.concatenate([result.truth[n].contributions for n in SPLITS])
    opposite = (c.max(axis=1) > 0) & (c.min(axis=1) < 0)
    assert opposite[kinds == KIND_CONFLICT].all()
    assert not opposite[kinds != KIND_CONFLICT].any()


def test_covariance_shares_are_about_60_20_20(result, data):
    c = np.concatenate([result.truth[n].contributions for n in SPLITS])
    y = np.concatenate([data.split(n).labels for n in SPLITS]).astype(np.float64)
    shares = [np.cov(c[:, m], y)[0, 1] / y.var(ddof=1) for m in range(3)]
    np.testing.assert_allclose(shares, [0.6, 0.2, 0.2], atol=0.05)


# ---------------------------------------------------------------------------------------------
# The least-squares probe
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1])
def test_probe_text_dominates_and_all_three_help(seed):
    result = synthesize(SyntheticConfig(seed=seed))
    data = result.dataset
    train, test = features(data.split("train"), len(data.vocab)), features(data.split("test"), len(data.vocab))
    ytr, yte = data.split("train").labels.astype(np.float64), data.split("test").labels.astype(np.float64)
    r2 = {m: probe_r2(train[m], ytr, test[m], yte) for m in ("text", "audio", "vision")}
    stack = lambda f, ms: np.concatenate([f[m] for m in ms], axis=1)  # noqa: E731
    r2["all"] = probe_r2(stack(train, ("text", "audio", "vision")), ytr, stack(test, ("text", "audio", "vision")), yte)
    assert r2["text"] > r2["audio"] + 0.05 and r2["text"] > r2["vision"] + 0.05, r2
    assert r2["audio"] > 0.05 and r2["vision"] > 0.05, r2  # the non-verbal cues are real
    assert r2["all"] > r2["text"] + 0.1, r2

    # On the text-neutral subset, audio+vision explain the label and text does not.
    neutral_tr = result.truth["train"].kind == KIND_TEXT_NEUTRAL
    neutral_te = result.truth["test"].kind == KIND_TEXT_NEUTRAL
    av = ("audio", "vision")
    r2_text = probe_r2(train["text"][neutral_tr], ytr[neutral_tr], test["text"][neutral_te], yte[neutral_te])
    r2_av = probe_r2(stack(train, av)[neutral_tr], ytr[neutral_tr], stack(test, av)[neutral_te], yte[neutral_te])
    assert r2_av > 0.3 and r2_av > r2_text + 0.3, (r2_av, r2_text)


def test_round_trip_through_an_mmsa_pickle(tmp_path, data):
    from core.data.mmsa import load_mmsa_pickle, write_mmsa_pickle

    path = write_mmsa_pickle(data, tmp_path / "synthetic.pkl")
    loaded = load_mmsa_pickle(path)
    assert loaded.synthetic and loaded.name == "synthetic"
    assert loaded.vocab == data.vocab and loaded.dims == data.dims
    assert loaded.fingerprint == data.fingerprint
    for name in SPLITS:
        a, b = data.split(name), loaded.split(name)
        assert a.ids == b.ids and a.raw_text == b.raw_text
        np.testing.assert_array_equal(a.text_bert, b.text_bert)
        np.testing.assert_array_equal(a.audio, b.audio)
        np.testing.assert_array_equal(a.vision, b.vision)
        np.testing.assert_array_equal(a.audio_lengths, b.audio_lengths)
        np.testing.assert_array_equal(a.vision_lengths, b.vision_lengths)
        np.testing.assert_array_equal(a.labels, b.labels)
