"""``senti-tui data synth`` / ``data check``: tables on success, one stderr line and exit 2 on a bad file."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.data.mmsa import load_mmsa_pickle
from tests.data_files import GOOD_CSV_ROWS, bad_corpus, bad_csv_corpus, csv_text, small_mmsa, write

REPO = Path(__file__).resolve().parents[1]
SENTI_TUI = Path(sys.executable).parent / "senti-tui"


def test_synth_writes_a_pickle_that_check_reads_back(run_cli, tmp_path):
    out_path = tmp_path / "out" / "synthetic.pkl"
    code, out, err = run_cli("data", "synth", "--out", str(out_path), "--seed", "3")
    assert code == 0 and err == ""
    dataset = load_mmsa_pickle(out_path)
    assert out == (
        f"wrote {out_path}: synthetic data (seed 3; train 1284, valid 229, test 686; fingerprint {dataset.fingerprint})\n"
    )
    assert dataset.synthetic and dataset.vocab
    code, out, err = run_cli("data", "check", str(out_path))
    assert code == 0 and err == ""
    assert "yes (SYNTHETIC)" in out and dataset.fingerprint in out
    assert "1284" in out and "229" in out and "686" in out and "50 frames x 5 features" in out


def test_check_a_real_mmsa_file_and_its_cleaned_values(run_cli, tmp_path):
    raw = small_mmsa()
    raw["train"]["audio"][0, 0, :3] = -np.inf
    path = write(tmp_path / "MOSEI" / "unaligned_50.pkl", raw)
    code, out, err = run_cli("data", "check", str(path))
    assert code == 0
    assert err == f"warning: {path}: set 3 non-finite feature values (-inf/NaN) to 0 (train/audio: 3)\n"
    assert "mosei" in out and "train/audio: 3" in out
    assert re.search(r"synthetic\s+│\s+no\s", out) and "SYNTHETIC" not in out
    assert "6 frames x 3 features" in out and "7 frames x 4 features" in out


def test_check_a_label_csv_shows_absent_modalities_and_missing_split(run_cli, tmp_path):
    path = tmp_path / "label.csv"
    path.write_text(csv_text([row for row in GOOD_CSV_ROWS if row[4] != "test"]))
    code, out, err = run_cli("data", "check", str(path), "--text-encoder", "scratch")
    assert code == 0 and err == ""
    assert "absent (text-only data)" in out and "text-only" in out
    assert "no test split in this file" in out


def test_every_bad_file_is_one_stderr_line_and_exit_2(run_cli, tmp_path):
    cases = bad_corpus(tmp_path) + bad_csv_corpus(tmp_path)
    assert len(cases) >= 30
    for case in cases:
        args = ["data", "check", str(case.path)] + (["--text-encoder", "scratch"] if case.path.suffix == ".csv" else [])
        code, out, err = run_cli(*args)
        assert (code, out, err) == (2, "", f"error: {case.message}\n"), case.name


def test_unknown_or_missing_sources(run_cli, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    assert run_cli("data", "check", str(notes)) == (
        2,
        "",
        f"error: {notes}: unknown data source; pass an MMSA pickle (.pkl), a label.csv (.csv) or 'synthetic'\n",
    )
    missing = tmp_path / "MOSI"
    assert run_cli("data", "check", str(missing)) == (
        2,
        "",
        f"error: {missing}: no such file; pass an MMSA pickle (.pkl), a label.csv (.csv) or 'synthetic'\n",
    )
    code, _out, err = run_cli("data", "check", str(tmp_path / "x.csv"), "--text-encoder", "senti-tui-tests/none")
    assert code == 2 and err.count("\n") == 1 and "no such file" in err


def test_usage_errors_exit_2_without_a_traceback(run_cli):
    for args in (("data", "check"), ("data", "synth", "--seed", "abc"), ("data", "frobnicate")):
        code, out, err = run_cli(*args)
        assert code == 2 and "Traceback" not in err + out


def test_unwritable_output_is_one_line(run_cli, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, out, err = run_cli("data", "synth", "--out", str(blocker / "synthetic.pkl"))
    assert code == 2 and out == "" and err.startswith(f"error: {blocker / 'synthetic.pkl'}: cannot write the file (")
    assert err.endswith("); choose another --out\n") and err.count("\n") == 1


@pytest.mark.slow
def test_the_installed_command_prints_one_line_and_exits_2(tmp_path):
    if not SENTI_TUI.exists():
        pytest.skip("the senti-tui console script is not installed in this environment")
    case = next(c for c in bad_corpus(tmp_path) if c.name == "unsafe_global")
    result = subprocess.run(
        [str(SENTI_TUI), "data", "check", str(case.path)],
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr == f"error: {case.message}\n" and result.stdout == ""


@pytest.mark.slow
def test_the_data_command_module_does_not_import_torch():
    """senti_tui never touches tensors: importing the data commands must not pull torch in."""
    code = (
        "import sys, types\n"
        "pkg = types.ModuleType('senti_tui.commands'); pkg.__path__ = [r'%s']\n"
        "sys.modules['senti_tui.commands'] = pkg\n"  # skip the other groups' registration
        "import importlib, typer\n"
        "importlib.import_module('senti_tui.commands.data').register(typer.Typer())\n"
        "print('torch' in sys.modules, 'transformers' in sys.modules)\n"
    ) % (REPO / "senti_tui" / "commands")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.stdout.strip() == "False False", result.stderr
