"""``data check`` is the contract (issue 11): what it accepts, training, evaluation and the explorer
accept -- so empty texts, token ids beyond any vocabulary or beyond the text encoder's, absurd
special ids and complex labels are one line; silent degradation (Chinese text through an English
tokenizer, complex audio) is one clear warning; misleading messages say what is wrong."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

from core.data.mmsa import load_mmsa_pickle
from core.errors import DataError, DataWarning
from core.training.options import TrainOptions
from core.training.session import prepare_training
from tests.data_files import GOOD_CSV_ROWS, big_field_csv, contract_corpus, csv_text, small_mmsa, write


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return contract_corpus(tmp_path_factory.mktemp("contract"))


def test_each_case_is_one_exact_line(corpus):
    assert len(corpus) == 7
    for case in corpus:
        with pytest.raises(DataError) as error:
            load_mmsa_pickle(case.path)
        assert str(error.value) == case.message, case.name


def test_data_check_says_it_with_exit_2(run_cli, corpus, tmp_path):
    for case in [*corpus, big_field_csv(tmp_path)]:
        args = ["data", "check", str(case.path)] + (["--text-encoder", "scratch"] if case.path.suffix == ".csv" else [])
        assert run_cli(*args) == (2, "", f"error: {case.message}\n"), case.name


def test_complex_audio_is_one_clear_warning_not_numpys(tmp_path):
    data = small_mmsa()
    data["train"]["audio"] = data["train"]["audio"] + 1j
    data["test"]["audio"] = data["test"]["audio"].astype(np.complex64)
    path = write(tmp_path / "mosi" / "complex.pkl", data)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dataset = load_mmsa_pickle(path)
    assert [(w.category, str(w.message)) for w in caught] == [
        (
            DataWarning,
            (
                f"{path}: train/audio, test/audio hold complex numbers; kept their real part (the imaginary part is dropped): "
                "store real features to silence this"
            ),
        )
    ]
    np.testing.assert_array_equal(dataset.split("train").audio, small_mmsa()["train"]["audio"])


def test_complex_audio_through_data_check(run_cli, tmp_path):
    data = small_mmsa()
    data["valid"]["audio"] = data["valid"]["audio"].astype(np.complex128)
    path = write(tmp_path / "mosi" / "complex.pkl", data)
    code, _out, err = run_cli("data", "check", str(path))
    assert code == 0 and err == (
        f"warning: {path}: valid/audio hold complex numbers; kept their real part (the imaginary "
        "part is dropped): store real features to silence this\n"
    )


def _minilm_or_skip():
    from core.errors import EncoderUnavailable
    from core.text.encoders import build_tokenizer, parse_text_encoder

    try:
        build_tokenizer(parse_text_encoder("minilm"))
    except EncoderUnavailable:
        pytest.skip("the minilm tokenizer is not installed")


CHINESE = [
    ("v1", 1, "这部电影非常好看我很喜欢", 2.0, "train"),
    ("v1", 2, "剧情很无聊", -1.0, "train"),
    ("v2", 1, "还可以吧", 0.0, "valid"),
    ("v2", 2, "演员的表演很出色", 1.4, "test"),
]


def test_chinese_text_with_an_english_tokenizer_is_warned_with_the_unk_fraction(run_cli, tmp_path):
    _minilm_or_skip()
    path = tmp_path / "label.csv"
    path.write_text(csv_text(CHINESE))
    code, _out, err = run_cli("data", "check", str(path), "--text-encoder", "minilm")
    assert code == 0
    fraction = err.split(": ", 2)[2].split("%")[0] if err.startswith("warning: ") else None
    assert err == (
        f"warning: {path}: {fraction}% of the text's tokens are [UNK] for this tokenizer (text in a language its "
        "vocabulary lacks, e.g. Chinese for an English one?): the models see little of the text; use a tokenizer "
        "for that language (--text-encoder FOLDER) or --text-encoder scratch\n"
    )
    assert int(fraction) >= 50


def test_english_text_with_an_english_tokenizer_is_not_warned(run_cli, tmp_path):
    _minilm_or_skip()
    path = tmp_path / "label.csv"
    path.write_text(csv_text(GOOD_CSV_ROWS))
    code, _out, err = run_cli("data", "check", str(path), "--text-encoder", "minilm")
    assert (code, err) == (0, "")


def test_training_refuses_ids_beyond_the_encoders_vocabulary(tmp_path):
    _minilm_or_skip()
    data = copy.deepcopy(small_mmsa())
    data["valid"]["text_bert"][2, 0, 1] = 40_000  # a real id for a bigger vocabulary, not for MiniLM's 30,522
    path = write(tmp_path / "mosi" / "big_ids.pkl", data)
    with pytest.raises(DataError) as error:
        prepare_training(
            TrainOptions(model="lnln", preset="tiny", data=str(path), text_encoder="minilm", out=str(tmp_path / "r"))
        )
    assert str(error.value) == (
        f"{path} (first 32 per split): split 'valid' holds token id 40,000 at sample 2, beyond the 30,522-token vocabulary of "
        "the text encoder minilm: tokenize the data with this encoder's tokenizer, or train with --text-encoder scratch"
    )
    assert not (tmp_path / "r").exists()


def test_the_same_file_trains_with_the_scratch_encoder(tmp_path):
    data = copy.deepcopy(small_mmsa())
    data["valid"]["text_bert"][2, 0, 1] = 40_000
    path = write(tmp_path / "mosi" / "big_ids.pkl", data)
    session = prepare_training(
        TrainOptions(model="lnln", preset="tiny", data=str(path), text_encoder="scratch", out=str(tmp_path / "r"))
    )
    assert session.run_dir == tmp_path / "r"
