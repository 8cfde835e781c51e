"""``senti-tui watch RUN RUN ...``: the runs' curves overlaid (one line per run), as text with
``--headless`` and in the compare app, which re-reads the folders as they grow."""

from __future__ import annotations

import math
import time

import pytest

from core.training.events import event_to_json
from senti_tui.apps.compare.app import CompareApp
from senti_tui.run_compare import PANELS, read_run, run_names
from tests.fake_training import FakeRun


@pytest.fixture
def runs(tmp_path):
    folders = []
    for name, model, epochs in (("a/seed-1111", "lnln", 4), ("b/seed-1111", "dar", 3)):
        folder = tmp_path / name
        folder.mkdir(parents=True)
        FakeRun(run_dir=str(folder), model=model, epochs=epochs).write_events(folder / "events.jsonl")
        folders.append(folder)
    return folders


def test_curves_per_run(runs):
    first = read_run(runs[0])
    run = FakeRun(model="lnln", epochs=4)
    assert first.epochs == [1, 2, 3, 4] and first.status == "finished" and first.model == "lnln"
    assert first.values["valid:MAE"] == [pytest.approx(run.metrics(e)["MAE"]) for e in range(1, 5)]
    assert all(len(first.values[key]) == 4 for _, key in PANELS)
    assert not any(math.isnan(v) for v in first.values["train:total"])
    assert run_names(runs) == ["a/seed-1111", "b/seed-1111"]  # the same folder name: the parent's added


def test_headless_overlay(run_cli, runs):
    code, out, err = run_cli("watch", *[str(r) for r in runs], "--headless")
    assert code == 0, err
    for text in (
        "2 runs",
        "a/seed-1111",
        "b/seed-1111",
        "finished",
        "train loss (total)",
        "validation loss",
        "valid MAE",
        "valid Corr",
    ):
        assert text in out, text
    assert "4/4" in out and "3/3" in out


def test_a_missing_folder_is_one_line(run_cli, runs, tmp_path):
    code, out, err = run_cli("watch", str(runs[0]), str(tmp_path / "nope"), "--headless")
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {tmp_path / 'nope'}: no such run folder")


async def test_the_app_overlays_and_follows_growing_runs(runs):
    third = runs[1].parent.parent / "c"
    third.mkdir()
    events = list(FakeRun(run_dir=str(third), model="senti-ifusion", epochs=2).events())
    cut = next(i for i, e in enumerate(events) if type(e).__name__ == "EpochEnd")
    (third / "events.jsonl").write_text("".join(event_to_json(e) + "\n" for e in events[: cut + 1]))
    app = CompareApp([*runs, third], interval=0.1)
    async with app.run_test(size=(160, 48)) as pilot:
        deadline = time.monotonic() + 10
        while len(app.runs) < 3 and time.monotonic() < deadline:
            await pilot.pause(0.05)
        assert [len(r.epochs) for r in app.runs] == [4, 3, 1]
        assert app.query_one("#runs").row_count == 3
        legend = str(app.query_one("#legend-2").render())
        assert "a/seed-1111" in legend and "b/seed-1111" in legend and "c" in legend
        (third / "events.jsonl").write_text("".join(event_to_json(e) + "\n" for e in events))  # the run went on
        while app.runs[2].status != "finished" and time.monotonic() < deadline:
            await pilot.pause(0.05)
        assert len(app.runs[2].epochs) == 2 and app.runs[2].status == "finished"
        await pilot.press("q")
