"""A pretrained text encoder trained on the synthetic set reads it in its own tokens, and so does
every later reader of its checkpoint (probe, eval): the same sentences, the same fingerprint."""

from __future__ import annotations

import pytest
import torch

from core.errors import CheckpointError, EncoderUnavailable
from core.probe.loading import load_shared_dataset
from core.probe.session import Probe
from core.probe.types import ProbeSettings
from core.runtime.checkpoint import load_checkpoint
from core.text.encoders import build_tokenizer, parse_text_encoder
from core.training.events import Finished
from core.training.options import TrainOptions
from core.training.session import prepare_training

pytestmark = pytest.mark.slow  # a tiny training run with MiniLM


@pytest.fixture(scope="module")
def minilm_run(tmp_path_factory):
    try:
        build_tokenizer(parse_text_encoder("minilm"))
    except EncoderUnavailable:
        pytest.skip("senti-tui[minilm] is not installed")
    out = tmp_path_factory.mktemp("minilm") / "run"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        result = prepare_training(TrainOptions(model="lnln", preset="tiny", text_encoder="minilm", out=str(out))).run([])
    finally:
        torch.set_num_threads(threads)
    assert isinstance(result, Finished)
    return out / "synthetic_best.pt"


def test_the_probe_rebuilds_the_set_in_minilm_tokens(minilm_run):
    checkpoint = load_checkpoint(minilm_run)
    dataset = load_shared_dataset([checkpoint])
    assert dataset.vocab is None and dataset.fingerprint == checkpoint.data["fingerprint"]
    tokens = build_tokenizer(parse_text_encoder("minilm")).tokens(dataset.split("test").text_bert[0, 0, :3])
    assert tokens[0] == "[CLS]" and not any(token.startswith("[unused") for token in tokens)
    result = Probe.open([str(minilm_run)]).evaluate(ProbeSettings())[0]
    assert result.metrics["MAE"] == result.metrics["MAE"]  # a number: the model ran on the rebuilt data


def test_it_is_not_probed_together_with_a_checkpoint_of_the_word_ids(minilm_run, tmp_path):
    from tests.probe_checkpoints import make_checkpoint

    words = make_checkpoint(tmp_path / "words.pt", "lnln", max_samples=32)
    with pytest.raises(CheckpointError, match=r"in its own word tokens.*in minilm tokens"):
        Probe.open([str(minilm_run), str(words)])
