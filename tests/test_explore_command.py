"""``senti-tui explore`` as a command (one line and exit 2 for every mistake), and the explorer on
the real probe: a small untrained checkpoint in the trainer's format (tests/probe_checkpoints.py)
opened by ``core.probe.session.Probe`` and shown by the app, end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from senti_tui.commands import explore as explore_command


def error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_a_missing_checkpoint_is_one_line_and_exit_2(run_cli, tmp_path):
    code, _out, err = run_cli("explore", str(tmp_path / "nope.pt"))
    assert code == 2
    assert (
        error_line(err)
        == f"error: {tmp_path / 'nope.pt'}: no such checkpoint file: check the path (a run folder holds <dataset>_best.pt and last.pt)"
    )


def test_a_file_that_is_not_a_checkpoint_is_one_line_and_exit_2(run_cli, tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint at all")
    code, _out, err = run_cli("explore", str(bad))
    assert code == 2
    assert error_line(err).startswith(f"error: {bad}: ")


def test_an_unknown_split_is_one_line_and_exit_2(run_cli):
    code, _out, err = run_cli("explore", "--split", "dev")
    assert code == 2
    assert error_line(err) == "error: --split 'dev' is unknown; use test, valid or train"


def test_without_the_demo_checkpoint_it_says_how_to_train_it(run_cli, monkeypatch, tmp_path):
    monkeypatch.setattr(
        explore_command,
        "demo_candidates",
        lambda: [tmp_path / "repo" / "checkpoints" / "demo.pt", tmp_path / "cwd" / "checkpoints" / "demo.pt"],
    )
    code, _out, err = run_cli("explore")
    assert code == 2
    line = error_line(err)
    assert "checkpoints/demo.pt is not here" in line
    assert "senti-tui train --preset demo --out" in line


def test_the_demo_is_found_beside_the_package_first(monkeypatch, tmp_path):
    import senti_tui

    candidates = explore_command.demo_candidates()
    assert candidates[0] == Path(senti_tui.__file__).resolve().parents[1] / "checkpoints" / "demo.pt"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "demo.pt").write_bytes(b"x")
    monkeypatch.setattr(
        explore_command, "demo_candidates", lambda: [tmp_path / "absent.pt", tmp_path / "checkpoints" / "demo.pt"]
    )
    assert explore_command.demo_checkpoint() == tmp_path / "checkpoints" / "demo.pt"


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    from tests.probe_checkpoints import make_checkpoint

    folder = tmp_path_factory.mktemp("explore-checkpoints")
    return [
        make_checkpoint(folder / "sif.pt", "senti-ifusion"),
        make_checkpoint(folder / "lnln.pt", "lnln", seed=1, selection="paper"),
    ]


def test_a_good_checkpoint_without_a_terminal_is_refused_after_opening(run_cli, checkpoints):
    code, _out, err = run_cli("explore", str(checkpoints[0]))
    assert code == 2
    assert error_line(err) == "error: senti-tui explore is an interactive app and needs a terminal (stdin and stdout)"


async def test_the_app_on_the_real_probe(checkpoints, explorer):
    from senti_tui.apps.explore.backend import open_probe
    from tests.explore_fixtures import settle

    probe = open_probe([str(p) for p in checkpoints])
    async with explorer(probe, settled=False) as (app, pilot):
        await settle(pilot, app, timeout=60)
        assert app.settled and not app.errors
        status = str(app.query_one("#status-line").render())
        assert status.startswith("#0 l:0.00 a:0.00 v:0.00 seed:1111 | ")
        assert " | lnln" in status and " dom=text | " in status
        header = str(app.query_one("#explore-header").render())
        assert "SYNTHETIC" in header and "TEST-SELECTED" in header
        assert len(app.evaluations) == 2 and len(app.evaluations[0].predictions) == len(probe.utterances)
        await pilot.press("5")  # text only
        await settle(pilot, app, timeout=60)
        assert app.result.settings.enabled == (True, False, False)
        assert app.result.integrity_true == (1.0, 0.0, 0.0)
        assert not any(app.result.inputs.audio_kept) and not any(app.result.inputs.vision_kept)
        assert str(app.query_one("#status-line").render()).startswith("#0 l:0.00 a:off v:off seed:1111 mode:5 | ")
