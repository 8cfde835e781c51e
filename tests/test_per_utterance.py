"""Per-utterance exports: ``eval --per-utterance`` reproduces every metric of the run's CSV with a
pandas groupby, in CSV and parquet; the explorer's ``e`` key writes the split's predictions under
the current settings and says where."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.data.dataset import MODALITIES
from core.evaluation import read_csv
from core.metrics import compute_metrics
from core.per_utterance import COLUMNS, explorer_frame, read
from core.probe.session import Probe
from core.probe.types import ProbeSettings
from tests.explore_fixtures import settle, wait_for
from tests.fake_probe import FakeProbe
from tests.probe_checkpoints import SAMPLES, make_checkpoint

MASK_SEEDS = (1111, 1112)


@pytest.fixture(scope="module")
def exported(tmp_path_factory, run_cli_module):
    folder = tmp_path_factory.mktemp("per_utterance")
    paths = [
        make_checkpoint(folder / "sif.pt", "senti-ifusion"),
        make_checkpoint(folder / "a" / "lnln.pt", "lnln", seed=1, train_seed=1111),
        make_checkpoint(folder / "b" / "lnln.pt", "lnln", seed=2, train_seed=1112),
        make_checkpoint(folder / "dar.pt", "dar", seed=3),
    ]
    csv, per_utterance, parquet = folder / "results.csv", folder / "pu.csv", folder / "pu.parquet"
    code, out, err = run_cli_module(
        "eval",
        *[str(p) for p in paths],
        "--protocol",
        "rates,modes",
        "--seeds",
        "1111,1112",
        "--no-plot",
        "--out",
        str(csv),
        "--per-utterance",
        str(per_utterance),
    )
    assert code == 0, err
    assert f"wrote {per_utterance} ({4 * (10 + 6) * 2 * SAMPLES:,} rows)" in out
    code, _, err = run_cli_module(
        "eval",
        *[str(p) for p in paths[:2]],
        "--protocol",
        "modes",
        "--seeds",
        "1111",
        "--no-plot",
        "--per-utterance",
        str(parquet),
    )
    assert code == 0, err
    return read_csv(csv), read(per_utterance), read(parquet), paths


@pytest.fixture(scope="module")
def run_cli_module():
    """``run_cli`` for a module-scoped fixture (no monkeypatch/capsys there)."""
    import contextlib
    import io
    import sys
    import warnings

    from senti_tui import cli

    def run(*args: str) -> tuple[int, str, str]:
        argv, showwarning = sys.argv, warnings.showwarning
        out, err = io.StringIO(), io.StringIO()
        sys.argv = ["senti-tui", *args]
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    cli.main()
                    code = 0
                except SystemExit as exit_:
                    code = exit_.code if isinstance(exit_.code, int) else 0
        finally:
            sys.argv, warnings.showwarning = argv, showwarning
        return code, out.getvalue(), err.getvalue()

    return run


def test_one_row_per_checkpoint_setting_seed_and_utterance(exported):
    _, frame, _, paths = exported
    assert list(frame.columns) == COLUMNS
    assert len(frame) == 4 * (10 + 6) * 2 * SAMPLES
    assert frame.groupby(["checkpoint_key", "protocol", "setting", "seed"]).size().eq(SAMPLES).all()
    assert set(frame.model_key) == {"senti-ifusion", "lnln", "dar"}  # the two LNLN seeds are one model
    lnln = frame[frame.model_key == "lnln"]
    assert sorted(lnln.train_seed.unique()) == [1111, 1112] and set(lnln.checkpoint) == {str(paths[1]), str(paths[2])}
    assert str(frame.seed.dtype) == "Int64" and frame.id.map(type).eq(str).all() and set(frame.split) == {"test"}
    # rates: every modality at r; true integrity 1 - r; modes: dropped modalities at 1
    r3 = frame[(frame.setting == "r=0.3")]
    assert (r3[[f"rate_{m}" for m in MODALITIES]] == 0.3).all().all()
    assert (r3[[f"integrity_true_{m}" for m in MODALITIES]] == 0.7).all().all()
    mode5 = frame[frame.setting == "mode 5 {l}"]
    assert (mode5.rate_audio == 1.0).all() and (mode5.rate_vision == 1.0).all() and (mode5.rate_text < 1).all()
    # estimates and dominant modality: Senti-iFusion has both, LNLN text only, DAR none
    sif, dar = frame[frame.model_key == "senti-ifusion"], frame[frame.model_key == "dar"]
    assert sif[[f"integrity_est_{m}" for m in MODALITIES]].notna().all().all() and set(sif.dominant) <= set(MODALITIES)
    assert lnln.integrity_est_text.notna().all() and lnln.integrity_est_audio.isna().all() and set(lnln.dominant) == {"text"}
    assert dar[[f"integrity_est_{m}" for m in MODALITIES]].isna().all().all() and set(dar.dominant) == {""}


def test_groupby_reproduces_every_metric_of_the_csv(exported):
    results, frame, _, _ = exported
    per_seed = results[(results.level == "checkpoint") & (results.row == "seed")]
    checked = 0
    for (key, protocol, setting, seed), rows in frame.groupby(["checkpoint_key", "protocol", "setting", "seed"]):
        metrics = compute_metrics(
            rows["prediction"].to_numpy(np.float32), rows["label"].to_numpy(np.float32), rows["dataset"].iloc[0]
        )
        expected = per_seed[
            (per_seed.checkpoint_key == key)
            & (per_seed.protocol == protocol)
            & (per_seed.setting == setting)
            & (per_seed.seed == seed)
        ]
        assert len(expected) == 1, (key, protocol, setting, seed)
        for name, value in metrics.items():
            want = float(expected[name].iloc[0])
            if np.isnan(want):
                assert np.isnan(value), (key, setting, seed, name)
            else:
                assert abs(value - want) <= 1e-6, (key, protocol, setting, seed, name, value, want)
        checked += 1
    assert checked == 4 * (10 + 6) * 2 == len(per_seed)


def test_parquet_holds_the_same_rows_with_provenance(exported, tmp_path):
    import json

    import pyarrow.parquet as pq

    _, frame, parquet, paths = exported
    assert list(parquet.columns) == COLUMNS and len(parquet) == 2 * 6 * SAMPLES
    same = frame[(frame.protocol == "modes") & (frame.seed == 1111) & frame.checkpoint.isin([str(p) for p in paths[:2]])]
    assert np.array_equal(same.prediction.to_numpy(np.float32), parquet.prediction.to_numpy(np.float32))
    folder = paths[0].parent
    meta = json.loads(pq.read_schema(folder / "pu.parquet").metadata[b"senti_tui"])
    assert meta["command"].startswith("senti-tui eval") and meta["versions"]["torch"]
    assert json.loads((folder / "pu.csv.json").read_text())["senti_tui_version"]


def test_bad_per_utterance_path_is_one_line(run_cli, exported):
    _, _, _, paths = exported
    code, out, err = run_cli("eval", str(paths[0]), "--per-utterance", "predictions.txt")
    assert (code, out, err) == (2, "", "error: predictions.txt: --per-utterance must end in .csv or .parquet\n")


def test_explorer_frame_of_the_real_probe_matches_its_metrics(exported):
    _, _, _, paths = exported
    probe = Probe.open([str(paths[0]), str(paths[3])])
    settings = ProbeSettings(enabled=(True, False, True), rates=(0.4, 0.0, 0.2), mask_seed=1113)
    evaluations = probe.evaluate(settings)
    frame = explorer_frame(probe, settings, evaluations)
    assert len(frame) == 2 * SAMPLES and set(frame.protocol) == {"custom"} and set(frame.seed) == {1113}
    assert (frame.rate_audio == 1.0).all() and (frame.rate_text == 0.4).all() and (frame.rate_vision == 0.2).all()
    assert frame.train_seed.notna().all() and set(frame.split) == {"test"}
    for e in evaluations:
        rows = frame[frame.model_key == e.model_key]
        metrics = compute_metrics(rows.prediction.to_numpy(np.float32), rows.label.to_numpy(np.float32), rows.dataset.iloc[0])
        assert metrics["MAE"] == pytest.approx(e.metrics["MAE"], abs=1e-9)


async def test_the_explorer_export_key_writes_the_split_and_says_where(tmp_path, explorer):
    probe = FakeProbe(model_names=("senti-ifusion", "dar"))
    async with explorer(probe, settled=False, export_dir=tmp_path) as (app, pilot):
        await pilot.press("a")  # audio off
        await settle(pilot, app)
        await pilot.press("e")
        await wait_for(pilot, app, lambda: app.exported, what=f"nothing exported: {app.errors}")
        assert app.exported, app.errors
        path = app.exported[0]
        notes = [n.message for n in app._notifications]
        assert any(
            str(path) in note and note.startswith(f"wrote {2 * len(probe.utterances):,} rows (2 models") for note in notes
        ), notes
    assert path.parent == tmp_path.resolve() and path.name.startswith("predictions-") and path.suffix == ".csv"
    frame = pd.read_csv(path)
    assert len(frame) == 2 * len(probe.utterances) and (frame.rate_audio == 1.0).all() and (frame.integrity_true_audio == 0).all()
    evaluations = probe.evaluate(app.settings)
    for e in evaluations:
        rows = frame[frame.model_key == e.model_key]
        assert np.allclose(rows.prediction.to_numpy(), np.array(e.predictions, dtype=np.float32))
        assert list(rows.id.astype(str)) == [u.id for u in probe.utterances]
