"""``senti-tui models`` and the parameter counts behind it (issue 3: "Figures it must show")."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from core.errors import ConfigError
from core.models.registry import model_names
from core.models.summary import parameter_table, shape_set

BERT_BASE = 109_482_240  # bert-base-uncased with its pooler (docs/models.md §2.6)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from senti_tui.cli import main; main()", "models", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "120", "OMP_NUM_THREADS": "1"},
    )


def by_model(rows: list[dict]) -> dict[str, dict]:
    return {row["model"]: row for row in rows}


def test_bert_base_counts_on_the_papers_shapes():
    mosi = by_model(parameter_table("mosi", "bert-base-config"))
    assert list(mosi) == model_names()
    assert mosi["lnln"]["outside_text_encoder"] == 6_483_012
    assert mosi["lnln"]["total"] == 6_483_012 + BERT_BASE  # the 115.97 M Senti-iFusion quotes
    assert all(row["text_encoder"] == BERT_BASE for row in mosi.values())
    if "senti-ifusion" in mosi:
        assert 6_500_000 <= mosi["senti-ifusion"]["outside_text_encoder"] <= 8_000_000
    mosei = by_model(parameter_table("mosei", "bert-base-config"))
    assert mosei["lnln"]["outside_text_encoder"] == 7_102_404


def test_scratch_encoder_on_synthetic_shapes_uses_the_synthetic_vocabulary():
    rows = parameter_table("synthetic", "scratch")
    assert {row["encoder"] for row in rows} == {"scratch (2 layers, hidden 128, vocab 323)"}
    for row in rows:
        assert 0 < row["text_encoder"] < 1_000_000
        assert row["total"] == row["text_encoder"] + row["outside_text_encoder"]


def test_synthetic_shapes_are_the_generators():
    from core.data.synthetic import generate_synthetic

    assert shape_set("synthetic").dims == generate_synthetic(0).dims


def test_unknown_shapes_are_refused():
    with pytest.raises(ConfigError, match="unknown shapes 'imdb'"):
        parameter_table("imdb")


@pytest.mark.slow
def test_command_prints_the_table():
    result = run_cli("--shapes", "mosei")
    assert result.returncode == 0, result.stderr
    assert "7,102,404" in result.stdout and f"{BERT_BASE:,}" in result.stdout
    for name in model_names():
        assert name in result.stdout


@pytest.mark.slow
def test_command_error_is_one_line_exit_2():
    result = run_cli("--shapes", "imdb")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["error: unknown shapes 'imdb': use one of mosi, mosei, sims, synthetic"]


@pytest.mark.slow
def test_command_module_does_not_import_torch():
    code = "import sys, senti_tui.commands.models; assert 'torch' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0
