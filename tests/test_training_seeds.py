"""Training seeds: checkpoints that differ only in their training seed are one model in ``eval``
(mean ± std over training seeds, the mask-seed spread beside it), LNLN's robust evaluation
(``--protocol lnln-paper``) with its per-metric checkpoints, and ``train --seeds``."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from core.errors import ConfigError
from core.evaluation import PAPER_SOURCES, evaluate_checkpoints, expand_checkpoints, read_csv, seed_groups
from core.metrics import MOSI_KEYS
from core.missingness import EVAL_RATES, RateSetting
from core.probe.session import Probe
from core.runtime.checkpoint import load_checkpoint
from tests.probe_checkpoints import make_checkpoint

TRAIN_SEEDS = (1111, 1112, 1113)
MASK_SEEDS = (1111, 1112)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Three LNLN runs differing only in their training seed (different weights), one
    Senti-iFusion checkpoint on its own."""
    folder = tmp_path_factory.mktemp("seeds")
    lnln = [
        make_checkpoint(folder / f"seed-{s}" / "synthetic_best.pt", "lnln", seed=i, train_seed=s)
        for i, s in enumerate(TRAIN_SEEDS)
    ]
    sif = make_checkpoint(folder / "elsewhere" / "sif.pt", "senti-ifusion")
    return folder, lnln, sif


@pytest.fixture(scope="module")
def report(runs):
    _, lnln, sif = runs
    return evaluate_checkpoints([str(p) for p in [*lnln, sif]], protocols=("rates",), seeds=MASK_SEEDS)


def test_checkpoints_differing_only_in_the_training_seed_are_one_model(report):
    assert [g.key for g in report.groups] == ["lnln"]
    group = report.groups[0]
    assert group.train_seeds == list(TRAIN_SEEDS)
    assert group.checkpoints == [f"lnln · seed {s}" for s in TRAIN_SEEDS]
    assert [c.train_seed for c in report.checkpoints] == [*TRAIN_SEEDS, 7]  # tiny preset's seed for the lone one
    assert [c.group for c in report.checkpoints] == ["lnln"] * 3 + [""]
    assert [e.key for e in report.entries] == ["lnln", "senti-ifusion"]
    assert all(len(c.sha256) == 64 for c in report.checkpoints)


def test_group_mean_and_std_are_over_training_seeds_by_hand(report, tmp_path):
    """The figure in the CSV against a hand computation from the per-seed rows."""
    frame = read_csv(report.to_csv(tmp_path / "results.csv"))
    per_seed = frame[(frame.level == "checkpoint") & (frame.model_key == "lnln") & (frame.row == "seed")]
    assert sorted(per_seed.train_seed.unique()) == list(TRAIN_SEEDS)
    model = frame[frame.level == "model"]
    for setting in ["r=0.3", "r=0.9"]:
        rows = per_seed[per_seed.setting == setting]
        for key in MOSI_KEYS:
            # per training seed: the mean over the mask seeds; then mean and sample std over training seeds
            by_seed = [float(np.mean(rows[rows.train_seed == s][key].to_numpy())) for s in TRAIN_SEEDS]
            mean = sum(by_seed) / 3
            std = math.sqrt(sum((v - mean) ** 2 for v in by_seed) / 2)
            spread = sum(float(np.std(rows[rows.train_seed == s][key].to_numpy(), ddof=1)) for s in TRAIN_SEEDS) / 3
            got = {
                stat: float(model[(model.setting == setting) & (model.stat == stat)][key].iloc[0])
                for stat in ("mean", "std", "mask_std")
            }
            assert got["mean"] == pytest.approx(mean, rel=1e-8, abs=1e-9), (setting, key)
            assert got["std"] == pytest.approx(std, rel=1e-7, abs=1e-9), (setting, key)
            assert got["mask_std"] == pytest.approx(spread, rel=1e-7, abs=1e-9), (setting, key)
    assert (
        frame[(frame.level == "model") & (frame.setting == "r=0.3") & (frame.stat == "std")]["MAE"].iloc[0] > 0
    )  # the seeds differ
    overall = model[(model.row == "overall") & (model.stat == "seed")]
    assert sorted(overall.train_seed) == list(TRAIN_SEEDS) and overall.seed.isna().all()


def test_group_values_are_the_checkpoints_evaluated_alone(report, runs):
    _, lnln, _ = runs
    probe = Probe.open([str(lnln[1])])
    expected = np.mean([probe.evaluate_setting(RateSetting(0.5, s))["lnln"]["MAE"] for s in MASK_SEEDS])
    group = report.groups[0].protocols["rates"].settings[5].result
    assert group.per_seed[1112]["MAE"] == pytest.approx(expected, abs=1e-12)


def test_json_keeps_groups_and_metadata(report, tmp_path):
    from core.evaluation import EvaluationReport

    back = EvaluationReport.from_json(report.to_json(tmp_path / "r.json"))
    assert back.groups[0].train_seeds == list(TRAIN_SEEDS)
    assert back.groups[0].protocols["rates"].overall.mask_std == pytest.approx(
        report.groups[0].protocols["rates"].overall.mask_std
    )
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["metadata"]["definitions"]["std"].startswith("sample standard deviation")
    assert all(len(v["sha256"]) == 64 for v in data["metadata"]["checkpoints"].values())


def test_what_is_not_a_seed_sweep(tmp_path):
    a = make_checkpoint(tmp_path / "a.pt", "lnln", train_seed=1111)
    b = make_checkpoint(tmp_path / "b.pt", "lnln", seed=1, train_seed=1111)  # the same seed twice
    c = make_checkpoint(tmp_path / "c.pt", "lnln", train_seed=1112, kind="last")  # another kind
    d = make_checkpoint(tmp_path / "d.pt", "dar", train_seed=1113)
    loaded = [load_checkpoint(p) for p in (a, b, c, d)]
    assert seed_groups(loaded) == []
    e = make_checkpoint(tmp_path / "e.pt", "lnln", train_seed=1112)
    assert seed_groups([load_checkpoint(p) for p in (a, c, e)]) == [[0, 2]]


@pytest.fixture(scope="module")
def paper_runs(tmp_path_factory):
    """Two --selection paper runs: per seed the per-metric checkpoints (different weights each)."""
    folder = tmp_path_factory.mktemp("paper")
    kinds = ("MAE", "Non0_acc_2", "Has0_acc_2", "Mult_acc_7")
    paths = {}
    for s, seed in enumerate((1111, 1112)):
        for k, kind in enumerate(kinds):
            paths[(seed, kind)] = make_checkpoint(
                folder / "lnln" / f"seed-{seed}" / f"best_{kind}.pt",
                "lnln",
                seed=10 * s + k,
                selection="paper",
                kind=f"best_{kind}",
                train_seed=seed,
            )
    return folder, paths


def test_lnln_paper_protocol_combines_the_per_metric_checkpoints(paper_runs, run_cli, tmp_path):
    folder, paths = paper_runs
    out = tmp_path / "paper.json"
    code, text, err = run_cli("eval", str(folder / "lnln"), "--protocol", "lnln-paper", "--no-plot", "--out", str(out))
    assert code == 0, err
    assert "lnln paper table" in text and "TEST-SELECTED" in text
    data = json.loads(out.read_text())
    assert data["seeds"] == [1111] and data["protocols"] == ["lnln-paper"]
    table = next(g for g in data["groups"] if g["combined"])
    assert table["train_seeds"] == [1111, 1112]
    assert table["sources"]["Corr"] == "best_MAE" and table["sources"]["Non0_F1_score"] == "best_Non0_acc_2"
    assert "Mult_acc_5" not in table["sources"]  # no best_Mult_acc_5 checkpoints were given
    settings = table["protocols"]["lnln-paper"]["settings"]
    assert [s["value"] for s in settings] == list(EVAL_RATES)
    # by hand: each metric from its own checkpoint at mask seed 1111, averaged over the training seeds
    for rate_index in (0, 6):
        rate = EVAL_RATES[rate_index]
        for metric, kind in PAPER_SOURCES["mosi"].items():
            if kind == "Mult_acc_5":
                assert settings[rate_index]["result"]["mean"][metric] is None  # NaN in strict JSON
                continue
            values = [
                Probe.open([str(paths[(seed, kind)])]).evaluate_setting(RateSetting(rate, 1111))["lnln"][metric]
                for seed in (1111, 1112)
            ]
            assert settings[rate_index]["result"]["mean"][metric] == pytest.approx(np.mean(values), abs=1e-12), (rate, metric)
            assert settings[rate_index]["result"]["std"][metric] == pytest.approx(np.std(values, ddof=1), abs=1e-12), (
                rate,
                metric,
            )
    overall = table["protocols"]["lnln-paper"]["overall"]["mean"]["MAE"]
    assert overall == pytest.approx(np.mean([s["result"]["mean"]["MAE"] for s in settings]), abs=1e-12)


def test_lnln_paper_refuses_other_mask_seeds_and_protocols(paper_runs):
    _, paths = paper_runs
    one = [str(paths[(1111, "MAE")])]
    with pytest.raises(ConfigError, match="mask seed 1111 only"):
        evaluate_checkpoints(one, protocols=("lnln-paper",), seeds=(1112,))
    with pytest.raises(ConfigError, match="pass it alone"):
        evaluate_checkpoints(one, protocols=("lnln-paper", "modes"), seeds=(1111,))


def test_a_folder_of_seed_runs_stands_for_their_best_checkpoints(runs, paper_runs):
    folder, lnln, _ = runs
    assert expand_checkpoints([str(folder)]) == [str(p) for p in lnln]
    paper, _paths = paper_runs
    assert len(expand_checkpoints([str(paper / "lnln")], paper=True)) == 8
    assert expand_checkpoints([str(paper / "lnln" / "seed-1111")], paper=True)[0].endswith("best_Has0_acc_2.pt")


def test_eval_command_says_over_training_seeds(runs, run_cli):
    _folder, lnln, sif = runs
    code, out, err = run_cli("eval", *[str(p) for p in lnln], str(sif), "--seeds", "1111,1112", "--no-plot")
    assert code == 0, err
    assert "rates · test · mean ± std over training seeds 1111, 1112, 1113 (mask seeds 1111, 1112)" in out
    assert "rates · test · mean ± std over mask seeds 1111, 1112" in out  # the lone Senti-iFusion checkpoint
    assert "lnln: one model over training seeds 1111, 1112, 1113 (3 checkpoints)" in out
    assert "mask std" in out and "train std" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ("--seeds", "1111,x"),
            "error: --seeds '1111,x' is not a list of non-negative integers: use e.g. --seeds 1111,1112,1113",
        ),
        (("--seeds", "1111,1111"), "error: --seeds 1111,1111: a seed is repeated: each run needs its own seed"),
        (("--seeds", "1111", "--seed", "3"), "error: --seed and --seeds both given: pass one (--seeds trains one run per seed)"),
    ],
)
def test_train_seeds_mistakes(run_cli, args, message):
    code, _out, err = run_cli("train", "--preset", "tiny", "--headless", *args)
    assert (code, err.strip().splitlines()[-1]) == (2, message)


@pytest.mark.slow
def test_train_seeds_trains_one_run_folder_per_seed(run_cli, tmp_path):
    out = tmp_path / "runs"
    code, text, err = run_cli(
        "train", "--preset", "tiny", "--model", "dar", "--seeds", "1111,1112", "--out", str(out), "--headless"
    )
    assert code == 0, err
    for seed in (1111, 1112):
        config = json.loads((out / f"seed-{seed}" / "config.json").read_text())
        assert config["training"]["seed"] == seed
        assert (out / f"seed-{seed}" / "synthetic_best.pt").is_file()
    assert f"training seed 1112 (2 of 2) into {out / 'seed-1112'}" in err
    assert f"evaluate them as one model: senti-tui eval {out}" in text
    weights = [load_checkpoint(out / f"seed-{s}" / "synthetic_best.pt").state_dict for s in (1111, 1112)]
    assert any(not np.array_equal(weights[0][k].numpy(), weights[1][k].numpy()) for k in weights[0])
    assert [c.train_seed for c in evaluate_checkpoints(expand_checkpoints([str(out)]), seeds=(1111,)).checkpoints] == [1111, 1112]
