"""``senti-tui eval``: tables, curves and exports on success; one stderr line and exit 2 on a mistake."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from core.evaluation import read_csv
from tests.probe_checkpoints import make_checkpoint


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli_eval")
    return {
        "sif": make_checkpoint(folder / "sif.pt", "senti-ifusion"),
        "lnln": make_checkpoint(folder / "lnln.pt", "lnln", seed=1, selection="paper", kind="best_MAE"),
    }


def test_modes_for_two_checkpoints_with_json(run_cli, paths, tmp_path):
    out_path = tmp_path / "results.json"
    code, out, err = run_cli(
        "eval", str(paths["sif"]), str(paths["lnln"]), "--protocol", "modes", "--seeds", "1111", "--out", str(out_path)
    )
    assert code == 0, err
    assert err == ""
    assert "modes · test · mean ± std over mask seeds 1111 · SYNTHETIC · TEST-SELECTED" in out
    assert "SYNTHETIC · TEST-SELECTED: figures on the embedded synthetic data set" in out
    assert "lnln: TEST-SELECTED: chosen on the test split for MAE" in out
    assert "† TEST-SELECTED (chosen on the test split): lnln" in out
    for label in ("mode 0 {a,v}", "mode 5 {l}", "overall", "senti-ifusion", "lnln †", "Acc-7", "F1 Non0"):
        assert label in out
    assert "missing rate r" not in out and "robustness over r" not in out  # modes: no curves, no AUC
    assert out.rstrip().endswith(f"wrote {out_path}")
    data = json.loads(out_path.read_text())
    assert data["metadata"]["synthetic"] is True and data["metadata"]["seeds"] == [1111]
    assert [c["key"] for c in data["checkpoints"]] == ["senti-ifusion", "lnln"]
    mode0 = data["checkpoints"][0]["protocols"]["modes"]["settings"][0]["result"]["mean"]
    assert f"{mode0['MAE']:.3f} ± 0.000" in out


def test_rates_with_curves_summary_and_csv(run_cli, paths, tmp_path):
    out_path = tmp_path / "results.csv"
    code, out, err = run_cli("eval", str(paths["sif"]), "--seeds", "1111,1112", "--out", str(out_path))
    assert code == 0 and err == ""
    assert "rates · test · mean ± std over mask seeds 1111, 1112 · SYNTHETIC" in out
    assert "TEST-SELECTED" not in out
    for label in ("r=0.0", "r=0.9", "missing rate r", "Acc-7 (%)", "robustness over r = 0.0…0.9 (rates)", "AUC", "overall"):
        assert label in out
    assert "\x1b[" not in out  # not a terminal: plain text
    rows = read_csv(out_path)
    assert set(rows.setting) >= {"r=0.0", "r=0.5", "overall", "auc"}
    assert rows.synthetic.all() and (rows.n_seeds == 2).all() and set(rows.seed.dropna()) == {1111, 1112}


def test_no_plot_and_comma_separated_protocols(run_cli, paths):
    code, out, _ = run_cli("eval", str(paths["sif"]), "--seeds", "1111", "--no-plot", "--protocol", "modes,rates")
    assert code == 0 and "missing rate r" not in out and "robustness over r" in out
    assert out.index("modes · test") < out.index("rates · test")


@pytest.mark.parametrize(
    "args, message",
    [
        (("--seeds", "a,b"), "error: --seeds 'a,b' is not a list of integers: use e.g. --seeds 1111,1112,1113"),
        (("--seeds", ","), "error: --seeds ',' is not a list of integers: use e.g. --seeds 1111,1112,1113"),
        (("--protocol", "rate"), "error: evaluation protocol 'rate' is unknown: use rates, droprates, modes or lnln-paper"),
        (("--out", "results.txt"), "error: results.txt: --out must end in .json or .csv"),
        (("--device", "gpu"), "error: unknown device 'gpu': choose one of auto, cpu, cuda, cuda:N (e.g. cuda:1)"),
    ],
)
def test_bad_options(run_cli, paths, args, message):
    code, out, err = run_cli("eval", str(paths["sif"]), *args)
    assert (code, out, err) == (2, "", message + "\n")


def test_bad_checkpoint_and_split(run_cli, paths, tmp_path):
    missing = tmp_path / "missing.pt"
    code, out, err = run_cli("eval", str(missing))
    assert code == 2 and out == ""
    assert (
        err == f"error: {missing}: no such checkpoint file: check the path (a run folder holds <dataset>_best.pt and last.pt)\n"
    )
    code, out, err = run_cli("eval", str(paths["sif"]), "--split", "dev", "--protocol", "modes")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "has no split 'dev' (it has train, valid, test): pass --split with one of them" in err


def test_unwritable_out(run_cli, paths, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _out, err = run_cli(
        "eval", str(paths["sif"]), "--protocol", "modes", "--seeds", "1111", "--out", str(blocker / "r.json")
    )
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1 and "choose another --out path" in err


def test_no_checkpoint_is_a_usage_error(run_cli):
    code, out, err = run_cli("eval")
    assert code == 2 and out == "" and err.startswith("error: Missing argument 'CKPT...'")


@pytest.mark.slow
def test_the_command_module_does_not_import_torch():
    code = "import sys, senti_tui.cli, senti_tui.commands.eval; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
