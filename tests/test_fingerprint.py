"""The data fingerprint covers everything a prediction or a display depends on (issue 11): the
audio/vision lengths and the raw text and ids too. Checkpoints written before (fingerprint
version 1, no ``fingerprint_version`` recorded) are still compared by their own rule, so the
shipped demo checkpoints open on their data."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from core.data.dataset import FINGERPRINT_VERSION
from core.data.fingerprint import fingerprint_matches, fingerprint_splits, legacy_fingerprint_splits
from core.data.mmsa import load_mmsa_pickle, write_mmsa_pickle
from core.data.sources import first_samples
from core.data.synthetic import generate_synthetic
from core.errors import DataError
from core.probe.loading import check_data, load_checkpoints, load_shared_dataset, rebuild_dataset, synthetic_dataset
from core.probe.session import Probe
from core.runtime.checkpoint import load_checkpoint, save_checkpoint
from tests.probe_checkpoints import SAMPLES, make_checkpoint

CHECKPOINTS = Path(__file__).resolve().parents[1] / "checkpoints"


def variant(dataset, **changes_per_split):
    """``dataset`` with every split changed by ``changes_per_split[field](split)``."""
    splits = {
        name: dataclasses.replace(split, **{k: f(split) for k, f in changes_per_split.items()})
        for name, split in dataset.splits.items()
    }
    return dataclasses.replace(dataset, splits=splits, fingerprint=fingerprint_splits(splits))


@pytest.fixture(scope="module")
def synthetic():
    return generate_synthetic(0)


CHANGES = {
    "audio_lengths": lambda s: s.audio_lengths * 0,
    "vision_lengths": lambda s: s.vision_lengths * 0,
    "raw_text": lambda s: [text.upper() for text in s.raw_text],
    "ids": lambda s: list(reversed(s.ids)),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_lengths_and_strings_change_the_fingerprint(synthetic, change):
    changed = variant(synthetic, **{change: CHANGES[change]})
    assert changed.fingerprint != synthetic.fingerprint and len(changed.fingerprint) == 16
    # what version 1 hashed is unchanged: it could not tell these apart
    assert legacy_fingerprint_splits(changed.splits) == legacy_fingerprint_splits(synthetic.splits)


def test_a_written_copy_fingerprints_the_same(synthetic, tmp_path):
    back = load_mmsa_pickle(write_mmsa_pickle(synthetic, tmp_path / "synthetic.pkl"))
    assert back.fingerprint == synthetic.fingerprint
    assert synthetic.describe()["fingerprint_version"] == FINGERPRINT_VERSION == 2


def test_zeroed_lengths_are_not_the_data_a_checkpoint_was_trained_on(tmp_path):
    path = make_checkpoint(tmp_path / "lnln.pt", "lnln")
    zeroed = variant(
        generate_synthetic(0), audio_lengths=lambda s: s.audio_lengths * 0, vision_lengths=lambda s: s.vision_lengths * 0
    )
    copy = write_mmsa_pickle(zeroed, tmp_path / "zeroed.pkl")
    expected = first_samples(load_mmsa_pickle(copy), SAMPLES).fingerprint
    recorded = first_samples(synthetic_dataset(0, 50, 50), SAMPLES).fingerprint
    with pytest.raises(DataError) as error:
        Probe.open([str(path)], data=str(copy))
    assert str(error.value) == (
        f"{copy} (first {SAMPLES} per split): not the data {path} was trained on "
        f"(fingerprint {expected} vs {recorded}): pass --data with the data it was trained on"
    )


def legacy(path: Path, out: Path) -> Path:
    """The checkpoint as a senti-tui before fingerprint version 2 wrote it."""
    checkpoint = load_checkpoint(path)
    dataset = rebuild_dataset(checkpoint)
    data = {k: v for k, v in checkpoint.data.items() if k != "fingerprint_version"}
    data["fingerprint"] = legacy_fingerprint_splits(dataset.splits)
    return save_checkpoint(dataclasses.replace(checkpoint, data=data), out)


def test_a_version_1_checkpoint_is_compared_by_its_own_rule(tmp_path):
    new = make_checkpoint(tmp_path / "lnln.pt", "lnln")
    old = legacy(new, tmp_path / "old.pt")
    checkpoint = load_checkpoint(old)
    dataset = rebuild_dataset(checkpoint)
    assert fingerprint_matches(checkpoint.data, dataset) and checkpoint.data["fingerprint"] != dataset.fingerprint
    check_data(checkpoint, dataset)  # accepted
    # an old and a new checkpoint of the same data are opened together
    shared = load_shared_dataset(load_checkpoints([str(new), str(old)]))
    assert shared.fingerprint == dataset.fingerprint
    # other arrays are still refused, with the fingerprint by the old rule
    other = first_samples(generate_synthetic(1), SAMPLES)
    with pytest.raises(DataError) as error:
        check_data(checkpoint, other)
    assert str(error.value) == (
        f"{other.source}: not the data {old} was trained on (fingerprint {legacy_fingerprint_splits(other.splits)} "
        f"vs {checkpoint.data['fingerprint']}): pass --data with the data it was trained on"
    )


@pytest.mark.parametrize("name", ["demo.pt", "demo_lnln.pt", "demo_dar.pt"])
def test_the_shipped_demo_checkpoints_still_open_on_their_data(name):
    path = CHECKPOINTS / name
    if not path.is_file():
        pytest.skip(f"{name} is not shipped here")
    checkpoint = load_checkpoint(path)
    dataset = rebuild_dataset(checkpoint)
    assert fingerprint_matches(checkpoint.data, dataset)
    check_data(checkpoint, dataset)


def test_resume_compares_by_the_recorded_version(tmp_path):
    from core.training.session import _check_resume_data

    new = load_checkpoint(make_checkpoint(tmp_path / "lnln.pt", "lnln"))
    dataset = rebuild_dataset(new)
    _check_resume_data(new, dataset)
    _check_resume_data(load_checkpoint(legacy(new.path, tmp_path / "old.pt")), dataset)
    renamed = variant(dataset, raw_text=lambda s: [t + "!" for t in s.raw_text])
    with pytest.raises(DataError) as error:
        _check_resume_data(new, renamed)
    assert str(error.value) == (
        f"{renamed.source}: not the data the run in {tmp_path} was trained on "
        f"(fingerprint {renamed.fingerprint} vs {new.data['fingerprint']}): resume with the same data"
    )
