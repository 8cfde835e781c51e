"""``train --tensorboard DIR``: every loss term, metric, lr and the integrity R² of the event
stream, as TensorBoard scalars equal to what ``events.jsonl`` holds."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("tensorboard")


def scalars(folder):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(folder), size_guidance={"scalars": 0, "tensors": 0})
    accumulator.Reload()
    return {tag: [(e.step, e.value) for e in accumulator.Scalars(tag)] for tag in accumulator.Tags()["scalars"]}


@pytest.mark.slow
def test_the_event_stream_as_scalars(run_cli, tmp_path):
    out, logs = tmp_path / "run", tmp_path / "tb"
    code, _, err = run_cli(
        "train", "--preset", "tiny", "--model", "senti-ifusion", "--out", str(out), "--headless", "--tensorboard", str(logs)
    )
    assert code == 0, err
    events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    ends = [e for e in events if e["type"] == "EpochEnd"]
    steps = [e for e in events if e["type"] == "Step"]
    found = scalars(logs)
    assert len(ends) == 2
    for name, value in ends[-1]["train_losses"].items():
        assert found[f"epoch/train/{name}"][-1] == (2, pytest.approx(value, rel=1e-6))
    for split, metrics in ends[-1]["metrics"].items():
        for name, value in metrics.items():
            if value == value:  # NaN metrics are left out
                assert found[f"epoch/{split}/{name}"][-1] == (2, pytest.approx(value, rel=1e-6)), (split, name)
    assert found["epoch/val_loss"][-1][1] == pytest.approx(ends[-1]["val_loss"], rel=1e-6)
    assert [step for step, _ in found["epoch/lr"]] == [1, 2] and [v for _, v in found["epoch/stage"]] == [1, 2]
    assert set(ends[-1]["integrity_r2"]) and all(f"epoch/integrity_r2/{m}" in found for m in ends[-1]["integrity_r2"])
    assert [s for s, _ in found["step/loss/total"]] == [e["global_step"] for e in steps]
    assert found["step/lr"][-1][1] == pytest.approx(steps[-1]["lr"], rel=1e-6)


def test_a_file_is_not_a_log_folder(run_cli, tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    code, out, err = run_cli("train", "--preset", "tiny", "--headless", "--tensorboard", str(target))
    assert (code, out) == (2, "")
    assert (
        err.strip().splitlines()[-1]
        == f"error: --tensorboard {target}: is a file, not a folder: choose a folder for the event files"
    )
