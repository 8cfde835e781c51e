"""A fourth model takes one module (tests/late_fusion_model.py) and one registry line.

The line is ``register_model(SPEC)``; then ``senti-tui train`` trains it on the tiny preset,
``senti-tui eval`` evaluates it, the probe answers with a modality switched off, and the UI
names it, without any other file knowing it.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from core.models.registry import display_name, model_names, register_model, unregister_model
from tests.late_fusion_model import SPEC


@pytest.fixture
def late_fusion():
    register_model(SPEC)  # the one registry line
    yield SPEC.name
    unregister_model(SPEC.name)


def test_a_fourth_model_trains_evaluates_and_probes(late_fusion, run_cli, tmp_path):
    from core.probe.session import Probe
    from core.probe.types import ProbeSettings

    run = tmp_path / "run"
    code, _, err = run_cli(
        "train", "--headless", "--model", late_fusion, "--preset", "tiny", "--device", "cpu", "--out", str(run)
    )
    assert code == 0, err
    checkpoint = run / "synthetic_best.pt"
    assert checkpoint.is_file()

    results = tmp_path / "results.json"
    code, _, err = run_cli("eval", str(checkpoint), "--protocol", "rates", "--seeds", "1111", "--no-plot", "--out", str(results))
    assert code == 0, err
    assert json.loads(results.read_text())  # an export with the model's rows

    probe = Probe.open([str(checkpoint)])
    result = probe.run(0, ProbeSettings(enabled=(True, False, True)))  # audio switched off
    (prediction,) = result.predictions
    assert math.isfinite(prediction.prediction)
    assert prediction.integrity == (None, None, None)  # it estimates none (its spec says so)
    assert prediction.dominant is None


def test_the_ui_names_it_from_its_spec(late_fusion):
    from senti_tui.run_state import model_display_name

    assert late_fusion in model_names()
    assert display_name(late_fusion) == model_display_name(late_fusion) == "Late fusion"


def test_an_unknown_model_is_one_line_naming_the_choices(run_cli, tmp_path):
    code, _, err = run_cli("train", "--headless", "--model", "no-such-model", "--preset", "tiny", "--out", str(tmp_path / "r"))
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "no-such-model" in err and all(name in err for name in ("senti-ifusion", "lnln", "dar"))


def test_the_ui_reads_model_facts_without_torch():
    code = (
        "import sys; from core.models.registry import display_name, find_spec, model_names; "
        "[display_name(n) and find_spec(n).integrity_note for n in model_names()]; "
        "import senti_tui.run_state; print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
