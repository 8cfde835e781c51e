"""Provenance: the version from git, ``--version``, and the record in run folders, checkpoints,
eval exports and ``data check`` (command line, git revision, library versions, device,
precision, data and checkpoint SHA-256)."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path

import pytest
import tomllib

from core import provenance
from core.runtime.checkpoint import load_checkpoint

ROOT = Path(__file__).resolve().parent.parent
LIBRARIES = {"python", "torch", "cuda", "numpy", "transformers", "scikit-learn"}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def head() -> str | None:
    done = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else None


def test_the_version_comes_from_git_with_a_fallback():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"] and project["project"]["dynamic"] == ["version"]
    assert any(r.startswith("setuptools-scm") for r in project["build-system"]["requires"])
    assert project["tool"]["setuptools_scm"]["fallback_version"] == provenance.FALLBACK_VERSION
    version = provenance.package_version()
    assert version and version != "0.1.0"
    if head() is not None:  # a checkout: the version names the commit
        assert provenance.git_revision() == head()
        assert f"g{head()[:7]}" in version


def test_without_git_the_installed_or_fallback_version(monkeypatch, tmp_path):
    monkeypatch.setattr(provenance, "SOURCE_ROOT", tmp_path)
    for cached in (provenance.package_version, provenance.git_revision, provenance.git_dirty):
        cached.cache_clear()
    try:
        assert provenance.git_revision() is None and provenance.git_dirty() is None
        monkeypatch.setattr(provenance, "installed_version", lambda distribution="senti-tui": None)
        assert provenance.package_version() == provenance.FALLBACK_VERSION
        assert provenance.version_line() == f"senti-tui {provenance.FALLBACK_VERSION}"
    finally:
        for cached in (provenance.package_version, provenance.git_revision, provenance.git_dirty):
            cached.cache_clear()


def test_version_option(run_cli):
    code, out, err = run_cli("--version")
    assert code == 0 and err == ""
    assert re.fullmatch(r"senti-tui \S+( \(git [0-9a-f]{12}(, modified)?\))?\n", out), out
    assert out.startswith(f"senti-tui {provenance.package_version()}")


def test_collect_names_everything():
    record = provenance.collect(device="cpu", precision="fp32", data=str(ROOT / "pyproject.toml"))
    assert set(record["versions"]) >= LIBRARIES and record["versions"]["torch"]
    assert record["device"] == "cpu" and record["precision"] == "fp32"
    assert record["data_sha256"] == sha256(ROOT / "pyproject.toml")
    assert record["command"] and record["senti_tui_version"] == provenance.package_version()
    assert provenance.sha256_of("synthetic") is None and provenance.sha256_of(None) is None


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    from core.data.mmsa import write_mmsa_pickle
    from core.data.sources import first_samples, load_dataset

    path = tmp_path_factory.mktemp("provenance") / "mosi" / "unaligned_50.pkl"
    path.parent.mkdir()
    write_mmsa_pickle(first_samples(load_dataset("synthetic"), 32), path)
    return path


def test_data_check_prints_the_sha256(run_cli, data_file):
    code, out, err = run_cli("data", "check", str(data_file))
    assert code == 0, err
    assert f"\nsha256 {sha256(data_file)}\n" in out


@pytest.mark.slow
def test_run_folder_checkpoint_and_export_record_provenance(run_cli, data_file, tmp_path):
    out = tmp_path / "run"
    code, _, err = run_cli(
        "train",
        "--preset",
        "tiny",
        "--model",
        "dar",
        "--data",
        str(data_file),
        "--text-encoder",
        "scratch",
        "--epochs",
        "1",
        "--out",
        str(out),
        "--headless",
        "--device",
        "cpu",
    )
    assert code == 0, err
    config = json.loads((out / "config.json").read_text())
    record = config["provenance"]
    assert record["command"].startswith("senti-tui train --preset tiny") and str(data_file) in record["command"]
    assert record["data_sha256"] == sha256(data_file) and record["device"] == "cpu" and record["precision"] == "fp32"
    assert set(record["versions"]) >= LIBRARIES and record["git_revision"] == head()
    best = next(out.glob("*_best.pt"))
    checkpoint = load_checkpoint(best)
    assert checkpoint.provenance == record and checkpoint.versions["senti_tui"] == provenance.package_version()
    assert load_checkpoint(out / "last.pt").provenance["data_sha256"] == sha256(data_file)

    results = tmp_path / "results.json"
    code, _, err = run_cli("eval", str(best), "--seeds", "1111", "--no-plot", "--out", str(results))
    assert code == 0, err
    meta = json.loads(results.read_text())["metadata"]
    assert meta["checkpoints"][str(best)]["sha256"] == sha256(best)
    assert meta["checkpoints"][str(best)]["trained_with"]["data_sha256"] == sha256(data_file)
    assert meta["data_sha256"] == {str(data_file): sha256(data_file)}
    assert meta["provenance"]["command"].startswith("senti-tui eval") and meta["provenance"]["git_revision"] == head()
    assert set(meta["provenance"]["versions"]) >= LIBRARIES and meta["device"] == "cpu"
