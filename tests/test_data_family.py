"""The data family: one inference rule (nearest path component naming MOSI, MOSEI or SIMS, else
custom), ``--dataset``/``data.family`` overriding it, stated at start, and the best checkpoint
named after the family or the data file's stem."""

from __future__ import annotations

import pytest

from core.data import mmsa
from core.data.family import best_checkpoint_name, infer_family
from core.errors import ConfigError
from core.runtime.checkpoint import load_checkpoint
from core.training.options import TrainOptions
from core.training.presets import resolve_config


@pytest.mark.parametrize(
    "path, family",
    [
        ("/data/simsiam-exp/MOSI/unaligned_50.pkl", "mosi"),  # the case: the nearest part wins
        ("/data/simsiam-exp/unaligned_50.pkl", None),  # "simsiam" is not SIMS
        ("/data/CH-SIMS/unaligned_39.pkl", "sims"),
        ("/data/MOSEI/unaligned_50.pkl", "mosei"),
        ("/data/cmu-mosei/aligned_50.pkl", "mosei"),
        ("/data/mosei-exp/MOSI/x.pkl", "mosi"),
        ("/data/mosi_unaligned_50.pkl", "mosi"),
        ("/shared/data/cmu-mosi/label_trainval.csv", "mosi"),
        ("/data/features.pkl", None),
    ],
)
def test_one_rule_for_the_loader_and_the_presets(path, family):
    assert infer_family(path)[0] == family
    assert mmsa.infer_family(path) == family  # the loader's name for it
    config = resolve_config(TrainOptions(model="lnln", data=path))
    assert config.family == (family or "custom")
    assert config.preset == f"{family or 'mosi'}-paper"
    assert config.notes[0].startswith(f"data family {family or 'custom'} (")


def test_given_family_wins_and_is_checked():
    config = resolve_config(TrainOptions(model="dar", data="/data/MOSI/unaligned_50.pkl", dataset="mosei"))
    assert (config.family, config.preset) == ("mosei", "mosei-paper")
    assert config.notes[0] == (
        "data family mosei (given by --dataset / data.family): MOSI's label range [-3, 3] and metrics, "
        "preset mosei-paper, mosei_best.pt; state it with --dataset mosi|mosei|sims|custom"
    )
    custom = resolve_config(TrainOptions(model="dar", data="/data/x/features.pkl"))
    assert "custom (no part of the path names MOSI, MOSEI or SIMS)" in custom.notes[0]
    assert "the best checkpoint named after features.pkl" in custom.notes[0]
    with pytest.raises(
        ConfigError, match=r"unknown data family 'imdb' \(--dataset / data\.family\): choose one of mosi, mosei, sims, custom"
    ):
        resolve_config(TrainOptions(model="dar", data="/d/x.pkl", dataset="imdb"))
    with pytest.raises(ConfigError, match="the data is the embedded synthetic set"):
        resolve_config(TrainOptions(model="dar", dataset="mosi"))
    assert resolve_config(TrainOptions(model="dar", preset="demo")).family == "synthetic"


def test_family_from_the_config_file_and_set(tmp_path):
    from core.training.config_file import to_yaml

    config = resolve_config(TrainOptions(model="lnln", data="/data/MOSI/x.pkl", overrides={"data.family": "sims"}))
    assert config.family == "sims" and config.preset == "sims-paper"
    path = tmp_path / "run.yaml"
    path.write_text("data:\n  path: /data/any/x.pkl\n  family: mosei\n")
    config = resolve_config(TrainOptions(model="lnln", config=str(path)))
    assert config.family == "mosei"
    text = to_yaml(config.to_dict(), {})
    assert "family: mosei" in text and "train:" in text and "  family" not in text.split("train:")[1].split("protocol:")[0]


def test_best_checkpoint_names():
    assert best_checkpoint_name("mosi", "/d/MOSI/unaligned_50.pkl", "mosi") == "mosi_best.pt"
    assert best_checkpoint_name("custom", "/d/my data/feat.v2.pkl", "mosi") == "feat.v2_best.pt"
    assert best_checkpoint_name("custom", "/d/label_trainval.csv", "text-only") == "label_trainval_best.pt"
    assert best_checkpoint_name("custom", "/d/synth.pkl", "synthetic") == "synthetic_best.pt"  # data synth's file
    assert best_checkpoint_name(None, "/d/x.pkl", "text-only") == "text-only_best.pt"  # a run from before families


@pytest.fixture(scope="module")
def features(tmp_path_factory):
    """A data file whose path names no family (the synthetic set's arrays, without its marker)."""
    import pickle

    from core.data.mmsa import write_mmsa_pickle
    from core.data.sources import first_samples, load_dataset

    folder = tmp_path_factory.mktemp("family")
    marked = folder / "marked.pkl"
    write_mmsa_pickle(first_samples(load_dataset("synthetic"), 32), marked)
    with marked.open("rb") as handle:
        raw = pickle.load(handle)
    raw.pop("synthetic_meta")
    path = folder / "exp" / "features.pkl"
    path.parent.mkdir()
    with path.open("wb") as handle:
        pickle.dump(raw, handle, protocol=4)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("given, best, name", [(None, "features_best.pt", "mosi"), ("mosei", "mosei_best.pt", "mosei")])
def test_training_names_the_best_checkpoint_after_the_family_or_the_file(run_cli, features, tmp_path, given, best, name):
    out = tmp_path / "run"
    args = [
        "train",
        "--model",
        "dar",
        "--preset",
        "tiny",
        "--data",
        str(features),
        "--text-encoder",
        "scratch",
        "--epochs",
        "1",
        "--out",
        str(out),
        "--headless",
    ] + (["--dataset", given] if given else [])
    code, _text, err = run_cli(*args)
    assert code == 0, err
    assert f"note: data family {given or 'custom'} (" in err
    assert (out / best).is_file(), sorted(p.name for p in out.iterdir())
    checkpoint = load_checkpoint(out / best)
    assert checkpoint.training["family"] == (given or "custom") and checkpoint.dataset_name == name
    assert "warning" not in err  # the family was stated, so the loader does not guess
    from core.probe.session import Probe

    assert Probe.open([str(out / best)]).dataset_name == name  # rebuilt as trained
