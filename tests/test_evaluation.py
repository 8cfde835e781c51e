"""Robustness sweeps: report structure, mean/std over seeds, the AUC definition, and JSON/CSV
exports that round-trip with their metadata (synthetic flag, selection, seeds, fingerprint)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from core.errors import ConfigError
from core.evaluation import (
    AUC_KEYS,
    EvaluationReport,
    evaluate_checkpoints,
    normalised_auc,
    read_csv,
)
from core.metrics import MOSI_KEYS
from core.missingness import EVAL_RATES, ModeSetting, RateSetting
from core.probe.session import Probe
from tests.probe_checkpoints import make_checkpoint

SEEDS = (1111, 1112)


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    folder = tmp_path_factory.mktemp("evaluation")
    return [
        make_checkpoint(folder / "sif.pt", "senti-ifusion"),
        make_checkpoint(folder / "lnln_paper.pt", "lnln", seed=1, selection="paper", kind="best_MAE"),
        make_checkpoint(folder / "dar16.pt", "dar", seed=2, max_samples=16),
    ]


@pytest.fixture(scope="module")
def report(paths):
    return evaluate_checkpoints([str(p) for p in paths[:2]], protocols=("rates",), seeds=SEEDS)


@pytest.fixture(scope="module")
def modes_report(paths):
    """Modes, one seed, with a checkpoint of other data (evaluated on its own data)."""
    return evaluate_checkpoints([str(paths[0]), str(paths[2])], protocols=("modes",), seeds=(1112,))


def test_report_structure(report, modes_report, paths):
    assert report.protocols == ["rates"] and report.seeds == list(SEEDS) and report.split == "test"
    assert report.metric_keys == list(MOSI_KEYS)
    assert [c.key for c in report.checkpoints] == ["senti-ifusion", "lnln"]
    sif, _lnln = report.checkpoints
    assert sif.path == str(paths[0]) and sif.model == "senti-ifusion" and sif.synthetic
    assert [s.label for s in sif.protocols["rates"].settings] == [f"r={r:.1f}" for r in EVAL_RATES]
    assert [s.value for s in sif.protocols["rates"].settings] == list(EVAL_RATES)
    for setting in sif.protocols["rates"].settings:
        assert set(setting.result.per_seed) == set(SEEDS)
        assert set(setting.result.mean) == set(MOSI_KEYS)
    assert set(sif.protocols["rates"].auc.mean) == set(AUC_KEYS["mosi"])
    modes = modes_report.checkpoints[0].protocols["modes"]
    assert [s.label for s in modes.settings][:2] == ["mode 0 {a,v}", "mode 1 {l,v}"]
    assert [s.value for s in modes.settings] == [0, 1, 2, 3, 4, 5]
    assert modes.auc is None and list(modes.settings[0].result.per_seed) == [1112]
    assert all(v == 0.0 for v in modes.settings[0].result.std.values())  # one seed: std 0


def test_paper_selected_checkpoints_are_noted(report):
    sif, lnln = report.checkpoints
    assert not sif.test_selected and sif.note == "" and sif.selected_on == "valid" and sif.selected_for is None
    assert lnln.test_selected and lnln.selected_on == "test" and lnln.selected_for == "MAE" and lnln.kind == "best_MAE"
    assert lnln.note.startswith("TEST-SELECTED: chosen on the test split for MAE (LNLN's paper protocol")
    assert report.test_selected and report.synthetic
    assert report.metadata["test_selected"] is True and report.metadata["selection_splits"] == ["test", "valid"]


def test_per_seed_values_are_the_probe_metrics_and_mean_std_are_over_seeds(report, modes_report, paths):
    probe = Probe.open([str(p) for p in paths[:2]])
    for seed in SEEDS:
        expected = probe.evaluate_setting(RateSetting(0.5, seed))
        assert report.checkpoints[1].protocols["rates"].settings[5].result.per_seed[seed] == expected["lnln"]
    expected = probe.evaluate_setting(ModeSetting(3, 1112))
    assert modes_report.checkpoints[0].protocols["modes"].settings[3].result.per_seed[1112] == expected["senti-ifusion"]
    result = report.checkpoints[0].protocols["rates"].settings[5].result
    for key in MOSI_KEYS:
        values = [result.per_seed[s][key] for s in SEEDS]
        assert result.mean[key] == pytest.approx(np.mean(values))
        assert result.std[key] == pytest.approx(np.std(values, ddof=1))
    # r = 0 erases nothing: every seed gives the same figures, so std is exactly 0
    zero = report.checkpoints[0].protocols["rates"].settings[0].result
    assert zero.per_seed[1111] == zero.per_seed[1112] and all(v == 0.0 for v in zero.std.values())
    # masks differ between seeds at r = 0.5 (otherwise the std test above is vacuous)
    assert any(v > 0 for v in result.std.values())


def test_overall_and_auc(report):
    rates = report.checkpoints[0].protocols["rates"]
    for seed in SEEDS:
        mae = [s.result.per_seed[seed]["MAE"] for s in rates.settings]
        assert rates.overall.per_seed[seed]["MAE"] == pytest.approx(np.mean(mae))
        trapezoid = sum((mae[i] + mae[i + 1]) / 2 * 0.1 for i in range(9)) / 0.9
        assert rates.auc.per_seed[seed]["MAE"] == pytest.approx(trapezoid)
    assert rates.auc.mean["MAE"] == pytest.approx(np.mean([rates.auc.per_seed[s]["MAE"] for s in SEEDS]))


def test_auc_on_a_hand_made_curve():
    rates = [0.0, 0.3, 0.6, 0.9]
    assert normalised_auc(rates, [1.0, 1.0, 1.0, 1.0]) == pytest.approx(1.0)
    # a straight line from 0.8 to 0.2: its mean height is 0.5
    assert normalised_auc(rates, [0.8, 0.6, 0.4, 0.2]) == pytest.approx(0.5)
    # trapezoids: (0.5*(1+0) + 0.5*(0+0) + 0.5*(0+1)) * 0.3 / 0.9 = 1/3
    assert normalised_auc(rates, [1.0, 0.0, 0.0, 1.0]) == pytest.approx(1.0 / 3.0)
    # order of the points does not matter
    assert normalised_auc([0.9, 0.0, 0.6, 0.3], [0.2, 0.8, 0.4, 0.6]) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        normalised_auc([0.5], [1.0])


def test_json_round_trip_with_metadata(report, tmp_path):
    path = report.to_json(tmp_path / "out" / "results.json")
    data = json.loads(path.read_text())
    meta = data["metadata"]
    assert meta["synthetic"] is True and meta["seeds"] == list(SEEDS) and meta["split"] == "test"
    assert meta["protocols"] == ["rates"] and meta["torch_version"] and meta["senti_tui_version"]
    assert "auc" in meta["definitions"] and "overall" in meta["definitions"]
    assert data["checkpoints"][0]["data_fingerprint"] == report.checkpoints[0].data_fingerprint
    assert data["checkpoints"][1]["test_selected"] is True
    back = EvaluationReport.from_json(path)
    assert back.to_dict() == report.to_dict()
    assert (
        back.checkpoints[0].protocols["rates"].settings[3].result.per_seed[1112]
        == report.checkpoints[0].protocols["rates"].settings[3].result.per_seed[1112]
    )


def test_json_is_strict_even_with_nan(report, tmp_path):
    import copy

    broken = copy.deepcopy(report)
    broken.checkpoints[0].protocols["rates"].settings[0].result.mean["Corr"] = math.nan
    path = broken.to_json(tmp_path / "nan.json")
    assert "NaN" not in path.read_text()
    back = EvaluationReport.from_json(path)
    assert math.isnan(back.checkpoints[0].protocols["rates"].settings[0].result.mean["Corr"])


def test_csv_round_trip_with_metadata(report, modes_report, tmp_path):
    path = report.to_csv(tmp_path / "results.csv")
    rows = read_csv(path)
    per_setting = len(SEEDS) + 2  # one row per seed, mean, std
    assert len(rows) == 2 * (10 + 2) * per_setting  # 10 rates, overall, auc; two checkpoints
    assert set(rows.level) == {"checkpoint"} and str(rows.seed.dtype) == "Int64" and str(rows.train_seed.dtype) == "Int64"
    assert set(rows.row) == {"seed", "mean", "std", "overall", "auc"}
    assert "seeds" not in rows and "stat" in rows
    row = rows[
        (rows.checkpoint_key == "lnln") & (rows.protocol == "rates") & (rows.setting == "r=0.3") & (rows.row == "mean")
    ].iloc[0]
    assert row["value"] == 0.3 and row["stat"] == "mean" and row["seed"] is pd.NA
    assert row["MAE"] == pytest.approx(report.checkpoints[1].protocols["rates"].settings[3].result.mean["MAE"], rel=1e-9)
    assert row["synthetic"] and row["test_selected"] and row["selected_on"] == "test"
    assert row["selected_for"] == "MAE" and row["n_seeds"] == 2 and row["split"] == "test"
    assert row["data_fingerprint"] == report.checkpoints[1].data_fingerprint and row["torch_version"]
    assert len(row["checkpoint_sha256"]) == 64 and row["train_seed"] == report.checkpoints[1].train_seed
    seeds = rows[(rows.checkpoint_key == "lnln") & (rows.setting == "r=0.3") & (rows.row == "seed")]
    assert list(seeds.seed) == list(SEEDS) and all(seeds.stat == "seed")
    auc = rows[(rows.checkpoint_key == "senti-ifusion") & (rows.row == "auc") & (rows.stat == "std")].iloc[0]
    assert auc["MAE"] == pytest.approx(report.checkpoints[0].protocols["rates"].auc.std["MAE"], rel=1e-9) and math.isnan(
        auc["Corr"]
    )
    rows = read_csv(modes_report.to_csv(tmp_path / "modes.csv"))
    assert len(rows) == 2 * (6 + 1) * 3  # 6 modes and overall; seed 1112, mean, std; two checkpoints
    seed_row = rows[(rows.checkpoint_key == "dar") & (rows.setting == "mode 2 {l,a}") & (rows.row == "seed")].iloc[0]
    assert seed_row["seed"] == 1112 and seed_row["value"] == 2.0 and seed_row["synthetic"] and not seed_row["test_selected"]
    expected = modes_report.checkpoints[1].protocols["modes"].settings[2].result.per_seed[1112]["Non0_acc_2"]
    assert seed_row["Non0_acc_2"] == pytest.approx(expected, rel=1e-9)


def test_csv_fractions_have_no_float_noise(report, tmp_path):
    """Ten significant digits: 0.1 + 0.2 is written 0.3, every metric within 1e-9 of the report's."""
    from core.evaluation import tidy_float

    assert tidy_float(0.1 + 0.2) == 0.3 and tidy_float(2 / 3) == 0.6666666667 and math.isnan(tidy_float(None))
    text = report.to_csv(tmp_path / "r.csv").read_text()
    assert "0000000000" not in text and "9999999999" not in text
    for cell in text.replace("\n", ",").split(","):
        if cell.replace(".", "", 1).isdigit() and "." in cell:
            assert len(cell.replace("0.", "", 1).lstrip("0").replace(".", "")) <= 10, cell


def test_bad_protocol_and_seeds(paths):
    with pytest.raises(ConfigError) as error:
        evaluate_checkpoints([str(paths[0])], protocols=("rate",))
    assert str(error.value) == "evaluation protocol 'rate' is unknown: use rates, droprates, modes or lnln-paper"
    with pytest.raises(ConfigError) as error:
        evaluate_checkpoints([str(paths[0])], seeds=())
    assert str(error.value) == "no mask seed given: pass e.g. --seeds 1111,1112,1113"


def test_checkpoints_of_different_data_are_evaluated_separately(modes_report):
    report = modes_report
    sif, dar = report.checkpoints
    assert sif.data_fingerprint != dar.data_fingerprint
    assert dar.data_source == "synthetic:seed=0 (first 16 per split)"
    assert len(report.metadata["data"]) == 2
