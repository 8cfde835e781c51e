"""The probe: determinism, identical masks across models, what the display shows, per-sample
dominant modality, whole-split metrics, and one-line errors for bad checkpoints, data and splits."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest
import torch

from core.data.mmsa import write_mmsa_pickle
from core.data.sources import first_samples
from core.data.synthetic import generate_synthetic
from core.errors import CheckpointError, DataError, SentiError
from core.metrics import compute_metrics
from core.probe.loading import synthetic_dataset
from core.probe.session import Probe
from core.probe.types import CLASS7_NAMES, ProbeSettings
from core.runtime.inference import ProbeCancelled
from tests.probe_checkpoints import SAMPLES, make_checkpoint


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    folder = tmp_path_factory.mktemp("probe")
    return {
        "senti-ifusion": make_checkpoint(folder / "sif.pt", "senti-ifusion"),
        "lnln": make_checkpoint(folder / "lnln.pt", "lnln", seed=1),
        "dar": make_checkpoint(folder / "dar.pt", "dar", seed=2),
    }


@pytest.fixture(scope="module")
def probe(paths):
    return Probe.open([str(paths["senti-ifusion"]), str(paths["lnln"]), str(paths["dar"])])


SETTINGS = ProbeSettings(enabled=(True, True, True), rates=(0.4, 0.3, 0.6), mask_seed=1111)


def test_open_describes_models_data_and_utterances(probe):
    assert [m.key for m in probe.models] == ["senti-ifusion", "lnln", "dar"]
    assert probe.synthetic is True
    assert probe.dataset_label == f"synthetic (seed 0, first {SAMPLES} per split) · test · {SAMPLES} utterances"
    assert len(probe.utterances) == SAMPLES
    data = first_samples(synthetic_dataset(0, 50, 50), SAMPLES).splits["test"]
    u = probe.utterances[5]
    assert (u.index, u.id, u.text, u.label) == (5, data.ids[5], data.raw_text[5], float(data.labels[5]))
    sif, lnln, dar = probe.models
    assert sif.estimates_integrity == (True, True, True) and sif.has_dominant
    assert lnln.estimates_integrity == (True, False, False) and lnln.has_dominant
    assert dar.estimates_integrity == (False, False, False) and not dar.has_dominant
    assert sif.selected_on == "valid" and not sif.test_selected and sif.history


def test_same_settings_give_the_same_result(probe, paths):
    first = probe.run(3, SETTINGS)
    again = probe.run(3, ProbeSettings(enabled=(True, True, True), rates=(0.4, 0.3, 0.6), mask_seed=1111))
    fresh = Probe.open([str(paths["senti-ifusion"]), str(paths["lnln"]), str(paths["dar"])]).run(3, SETTINGS)
    assert first == again == fresh
    other_seed = probe.run(3, ProbeSettings(rates=(0.4, 0.3, 0.6), mask_seed=7))
    assert other_seed.inputs != first.inputs  # the seed matters, so the equality above is not vacuous


def test_prediction_fields(probe):
    result = probe.run(4, SETTINGS)
    assert result.label == probe.utterances[4].label
    assert result.label_class7 == CLASS7_NAMES[int(np.round(np.clip(result.label, -3, 3)))]
    assert result.integrity_true == pytest.approx((0.6, 0.7, 0.4))
    sif, lnln, dar = result.predictions
    for p in result.predictions:
        assert p.error == pytest.approx(p.prediction - result.label)
        assert p.class7 == CLASS7_NAMES[int(np.round(np.clip(p.prediction, -3, 3)))]
    assert all(v is not None and 0.0 <= v <= 1.0 for v in sif.integrity) and sif.dominant in (0, 1, 2)
    assert lnln.integrity[0] is not None and lnln.integrity[1:] == (None, None) and lnln.dominant == 0
    assert dar.integrity == (None, None, None) and dar.dominant is None


def _embedded(calls: list[tuple]) -> tuple[list[int], list[int]]:
    """The modalities embedded by the first whole-split pass (9 calls: 3 batches, sorted) and by
    the second (what was left to embed, in call order)."""
    modalities = [m for m, _ in calls]
    return sorted(modalities[:9]), modalities[9:]


def _capture_inputs(probe, monkeypatch):
    """Record what every model receives, per modality: the models run in two parts
    (``embed_modality`` per modality, then the rest), and the per-sample views are copies."""
    seen: list[list[tuple]] = [[] for _ in probe._opened]
    owner = {}
    for i, opened in enumerate(probe._opened):
        for model in (opened.model, probe._sample_models[i], probe._split_models[i]):
            owner[id(model)] = i
    for cls in {type(opened.model) for opened in probe._opened}:

        def embed_modality(self, m, inputs, original=cls.embed_modality):
            if id(self) in owner:  # (another probe's models run as usual)
                seen[owner[id(self)]].append((m, (inputs.text, inputs.audio, inputs.vision)[m].clone()))
            return original(self, m, inputs)

        monkeypatch.setattr(cls, "embed_modality", embed_modality)
    return seen


def test_every_model_gets_the_identical_mask(probe, monkeypatch):
    seen = _capture_inputs(probe, monkeypatch)
    probe.run(6, ProbeSettings(rates=(0.5, 0.5, 0.5), mask_seed=99))
    probe.evaluate(ProbeSettings(rates=(0.2, 0.7, 0.45), mask_seed=5))
    # one utterance, then the split (one batch): each model embeds each modality once per call
    assert all([m for m, _ in s] == [0, 1, 2, 0, 1, 2] for s in seen)
    for call in range(6):
        for other in seen[1:]:
            assert torch.equal(seen[0][call][1], other[call][1])
    text = seen[0][0][1][0, 0]
    assert (text == 100).any()  # something was erased, so "identical" compares real masks


def test_a_switched_off_modality_has_integrity_0_and_is_erased_in_the_display(probe):
    result = probe.run(2, ProbeSettings(enabled=(False, False, True), rates=(0.1, 0.1, 0.1)))
    assert result.integrity_true[:2] == (0.0, 0.0) and result.integrity_realised[:2] == (0.0, 0.0)
    tokens = result.inputs.tokens
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]" and len(tokens) > 3
    assert all(t == "[UNK]" for t in tokens[1:-1])
    assert result.inputs.token_erased == [False] + [True] * (len(tokens) - 2) + [False]
    assert result.inputs.audio_kept and not any(result.inputs.audio_kept)
    assert len(result.inputs.audio_energy) == len(result.inputs.audio_kept)
    assert any(result.inputs.vision_kept)
    assert result.inputs.present == (True, True, True)


def test_a_higher_rate_erases_a_superset_in_the_display(probe):
    low = probe.run(8, ProbeSettings(rates=(0.3, 0.3, 0.3)))
    high = probe.run(8, ProbeSettings(rates=(0.6, 0.6, 0.6)))
    erased_low, erased_high = np.array(low.inputs.token_erased), np.array(high.inputs.token_erased)
    assert (erased_low <= erased_high).all() and erased_high.sum() > erased_low.sum()
    for strip in ("audio_kept", "vision_kept"):
        kept_low, kept_high = np.array(getattr(low.inputs, strip)), np.array(getattr(high.inputs, strip))
        assert (kept_high <= kept_low).all() and kept_high.sum() < kept_low.sum()
    # energies are those of the original frames: they do not change with the mask
    assert low.inputs.audio_energy == high.inputs.audio_energy
    # erased tokens read [UNK]; kept ones are the original words
    complete = probe.run(8, ProbeSettings())
    for word, original, erased in zip(high.inputs.tokens, complete.inputs.tokens, high.inputs.token_erased):
        assert word == ("[UNK]" if erased else original)


def test_run_chooses_the_dominant_modality_per_sample(paths):
    """The checkpoint says "batch"; run() must not depend on what else is in a batch."""
    batch = Probe.open([str(paths["senti-ifusion"])])
    sample = Probe.open([str(paths["senti-ifusion"])], split_dominant="sample")
    assert batch._opened[0].model.config.dominant_selection == "batch"  # the checkpoint's own, untouched
    settings = ProbeSettings(rates=(0.5, 0.2, 0.8), mask_seed=3)
    per_batch = batch.evaluate(settings)[0]
    per_sample = sample.evaluate(settings)[0]
    assert len(set(per_sample.dominant)) > 1  # the samples really disagree about the dominant modality
    assert len(set(per_batch.dominant)) == 1  # eq. 15: one choice for the whole batch
    differs = [i for i in range(SAMPLES) if per_batch.dominant[i] != per_sample.dominant[i]]
    assert differs
    for i in [*differs[:3], 0]:
        result = batch.run(i, settings).predictions[0]
        assert result.dominant == per_sample.dominant[i]
        assert result.prediction == pytest.approx(per_sample.predictions[i], abs=1e-5)
    assert batch.run(differs[0], settings).predictions[0].prediction != pytest.approx(per_batch.predictions[differs[0]], abs=1e-5)


def test_evaluate_metrics_equal_compute_metrics_on_its_predictions(probe):
    evaluations = probe.evaluate(SETTINGS)
    assert [e.model_key for e in evaluations] == ["senti-ifusion", "lnln", "dar"]
    for e in evaluations:
        assert len(e.predictions) == len(e.labels) == len(e.integrity_true) == SAMPLES
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            expected = compute_metrics(np.asarray(e.predictions, np.float32), np.asarray(e.labels, np.float32), "synthetic")
        assert e.metrics == pytest.approx(expected, nan_ok=True)
        assert e.integrity_true[0] == pytest.approx((0.6, 0.7, 0.4))
    # the probe of one utterance agrees with the whole-split evaluation (per-sample models: LNLN, DAR)
    for model in (1, 2):
        assert probe.run(11, SETTINGS).predictions[model].prediction == pytest.approx(
            evaluations[model].predictions[11], abs=1e-5
        )


def test_curve_cases_confusion_and_calibration(probe):
    settings = ProbeSettings(enabled=(True, False, True), rates=(0.2, 0.2, 0.2))
    curves = probe.curve(settings, rates=(0.0, 0.5, 0.9))
    assert [c.model_key for c in curves] == ["senti-ifusion", "lnln", "dar"]
    assert [p.rate for p in curves[0].points] == [0.0, 0.5, 0.9]
    at_half = probe.evaluate(ProbeSettings(enabled=(True, False, True), rates=(0.5, 0.5, 0.5)))
    assert curves[1].points[1].metrics == pytest.approx(at_half[1].metrics, nan_ok=True)

    cases = probe.cases(settings, limit=3)
    errors = [c for c in cases if c.model_key == "lnln" and c.kind == "error"]
    predictions = np.array(probe.evaluate(settings)[1].predictions)
    labels = np.array([u.label for u in probe.utterances])
    worst = np.sort(np.abs(predictions - labels))[::-1][:3]
    assert [c.score for c in errors] == pytest.approx(list(worst))
    assert not [c for c in cases if c.model_key == "dar" and c.kind == "integrity misestimate"]
    complete = np.array(probe.evaluate(ProbeSettings())[0].predictions)
    now = np.array(probe.evaluate(settings)[0].predictions)
    flips = [c for c in cases if c.model_key == "senti-ifusion" and c.kind == "polarity flip"]
    for case in flips:
        assert (now[case.index] >= 0) != (complete[case.index] >= 0)
    assert len(flips) == min(3, int(((now >= 0) != (complete >= 0)).sum()))

    confusion = probe.confusion(settings)
    assert set(confusion) == {"senti-ifusion", "lnln", "dar"}
    assert np.array(confusion["dar"]).shape == (7, 7) and np.array(confusion["dar"]).sum() == SAMPLES

    calibration = {c.model_key: c for c in probe.calibration(settings)}
    assert calibration["dar"].r2 == (None, None, None)
    assert calibration["lnln"].r2[1:] == (None, None) and calibration["lnln"].r2[0] is not None
    assert calibration["senti-ifusion"].r2[1] is None  # audio is switched off: its truth does not vary
    points = calibration["senti-ifusion"].points["text"]
    assert len(points["true"]) == SAMPLES and len(set(points["true"])) > 10  # r ~ U(0,1) per sample


def test_whole_split_work_can_be_cancelled_and_runs_from_threads(probe):
    with pytest.raises(ProbeCancelled):
        probe.evaluate(ProbeSettings(rates=(0.33, 0.33, 0.33)), cancelled=lambda: True)
    results: dict[int, object] = {}

    def work(i: int) -> None:
        results[i] = probe.run(i, ProbeSettings(rates=(0.25, 0.5, 0.75), mask_seed=i))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    background = threading.Thread(target=lambda: results.setdefault(-1, probe.evaluate(ProbeSettings(rates=(0.6, 0.1, 0.1)))))
    for t in [background, *threads]:
        t.start()
    for t in [background, *threads]:
        t.join()
    for i in range(4):
        assert results[i] == probe.run(i, ProbeSettings(rates=(0.25, 0.5, 0.75), mask_seed=i))
    assert len(results[-1]) == 3


# ----- errors: one line naming the file, the problem and the remedy ---------------------------


def test_a_missing_checkpoint(tmp_path):
    path = tmp_path / "nope.pt"
    with pytest.raises(CheckpointError) as error:
        Probe.open([str(path)])
    assert (
        str(error.value) == f"{path}: no such checkpoint file: check the path (a run folder holds <dataset>_best.pt and last.pt)"
    )


def test_a_file_that_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "junk.pt"
    path.write_bytes(b"definitely not a torch file")
    with pytest.raises(CheckpointError) as error:
        Probe.open([str(path)])
    message = str(error.value)
    assert message.startswith(f"{path}: not a loadable senti-tui checkpoint (") and "\n" not in message
    assert message.endswith(": it must be a file written by senti-tui train")


def test_no_checkpoint_at_all():
    with pytest.raises(CheckpointError) as error:
        Probe.open([])
    assert str(error.value) == "no checkpoint given: pass one or more .pt files written by senti-tui train"


def test_data_that_is_not_there(paths, tmp_path):
    missing = tmp_path / "moved.pkl"
    with pytest.raises(DataError) as error:
        Probe.open([str(paths["lnln"])], data=str(missing))
    assert str(error.value) == f"{missing}: no such data file (the data of lnln.pt): check the --data path"


def test_data_of_other_dims(paths, tmp_path):
    other = write_mmsa_pickle(generate_synthetic(0, audio_len=40), tmp_path / "short.pkl")
    with pytest.raises(CheckpointError) as error:
        Probe.open([str(paths["lnln"])], data=str(other))
    assert str(error.value) == (
        f"{paths['lnln']}: checkpoint is for other feature dims than {other} (first {SAMPLES} per split) "
        "(audio_len 50 (checkpoint) vs 40 (data)): use the data it was trained on or retrain"
    )


def test_other_data_of_the_same_dims(paths, tmp_path):
    other_data = generate_synthetic(1)
    other = write_mmsa_pickle(other_data, tmp_path / "seed1.pkl")
    expected = first_samples(other_data, SAMPLES).fingerprint
    with pytest.raises(DataError) as error:
        Probe.open([str(paths["lnln"])], data=str(other))
    recorded = first_samples(synthetic_dataset(0, 50, 50), SAMPLES).fingerprint
    assert str(error.value) == (
        f"{other} (first {SAMPLES} per split): not the data {paths['lnln']} was trained on "
        f"(fingerprint {expected} vs {recorded}): pass --data with the data it was trained on"
    )


def test_the_same_data_from_a_file_is_accepted(paths, tmp_path):
    copy = write_mmsa_pickle(generate_synthetic(0), tmp_path / "synthetic.pkl")
    probe = Probe.open([str(paths["lnln"])], data=str(copy))
    assert probe.dataset_label == f"synthetic (synthetic.pkl, first {SAMPLES} per split) · test · {SAMPLES} utterances"
    reference = Probe.open([str(paths["lnln"])])
    assert probe.run(1, SETTINGS) == reference.run(1, SETTINGS)


def test_a_split_that_does_not_exist(paths):
    with pytest.raises(DataError) as error:
        Probe.open([str(paths["lnln"])], split="dev")
    assert str(error.value) == (
        f"synthetic:seed=0 (first {SAMPLES} per split): has no split 'dev' (it has train, valid, test): "
        "pass --split with one of them"
    )


def test_checkpoints_of_different_data_are_not_probed_together(paths, tmp_path):
    shorter = make_checkpoint(tmp_path / "short.pt", "dar", max_samples=16)
    with pytest.raises(CheckpointError) as error:
        Probe.open([str(paths["lnln"]), str(shorter)])
    recorded = first_samples(synthetic_dataset(0, 50, 50), SAMPLES).fingerprint
    other = first_samples(synthetic_dataset(0, 50, 50), 16).fingerprint
    assert str(error.value) == (
        f"{shorter}: trained on other data than {paths['lnln']} (synthetic:seed=0 (first 16 per split) in its own word tokens, "
        f"fingerprint {other} vs synthetic:seed=0 (first {SAMPLES} per split) in its own word tokens, fingerprint {recorded}): "
        "open checkpoints of the same data "
        "together, or evaluate them separately"
    )


def test_every_error_is_a_single_line(paths, tmp_path):
    for call in (lambda: Probe.open([str(tmp_path / "x.pt")]), lambda: Probe.open([str(paths["dar"])], split="x")):
        with pytest.raises(SentiError) as error:
            call()
        assert "\n" not in str(error.value)


def test_batch_workers_do_not_change_results(probe):
    """Whole splits may run their batches on a pool of threads; the results must not change."""
    from core.missingness import RateSetting, mask_split
    from core.runtime.inference import Batch, model_inputs, predict

    split, data = probe._split, probe._dataset
    calls = []

    def batch_of(start, stop):
        calls.append((start, stop))
        masked = mask_split(split, RateSetting(0.4, 3), probe._present, data.special_ids, indices=np.arange(start, stop))
        inputs = model_inputs(masked, split.audio_lengths[start:stop], split.vision_lengths[start:stop], torch.device("cpu"))
        return Batch(inputs=inputs, integrity_true=masked.integrity)

    models = [probe._opened[0].model, probe._opened[2].model]
    truth_alone, alone = predict(models, len(split), batch_of, workers=1, batch_size=8)
    truth_pooled, pooled = predict(models, len(split), batch_of, workers=3, batch_size=8)
    assert sorted(calls) == sorted([(0, 8), (8, 16), (16, 24)] * 2)  # each batch masked once, for both models
    assert np.array_equal(truth_alone, truth_pooled)
    for a, b in zip(alone, pooled):
        assert np.array_equal(a.prediction, b.prediction) and np.array_equal(a.dominant, b.dominant)
        assert np.array_equal(a.integrity_est, b.integrity_est, equal_nan=True)
    whole = probe.evaluate(ProbeSettings(rates=(0.4, 0.4, 0.4), mask_seed=3))
    # batches of 24 instead of 8: the same function, up to float rounding in the matrix products
    assert alone[1].prediction == pytest.approx(np.asarray(whole[2].predictions), abs=1e-5)


TEXT_ONLY_ROWS = [
    ("v1", 1, "it was really good", 2.4, "train"),
    ("v1", 2, "i hated the ending", -2.6, "train"),
    ("v2", 1, "it was okay", 0.0, "valid"),
    ("v2", 2, "wonderful film really", 3.0, "test"),
    ("v3", 1, "boring and awful", -2.2, "test"),
    ("v3", 2, "good but too long", 0.6, "test"),
]


def test_a_text_only_data_set_shows_audio_and_vision_as_absent(tmp_path):
    from tests.data_files import csv_text

    data = tmp_path / "label.csv"
    data.write_text(csv_text(TEXT_ONLY_ROWS))
    path = make_checkpoint(tmp_path / "text_only.pt", "lnln", data=str(data))
    probe = Probe.open([str(path)])
    assert probe.dataset_label == "text-only (label.csv) · test · 3 utterances" and not probe.synthetic
    assert [u.text for u in probe.utterances] == ["wonderful film really", "boring and awful", "good but too long"]
    result = probe.run(0, ProbeSettings(rates=(0.0, 0.0, 0.0)))
    assert result.inputs.present == (True, False, False)
    assert result.integrity_true == (1.0, 0.0, 0.0)
    # the scratch vocabulary comes from the train split: unknown words are [UNK] in the data
    # itself, and not marked erased (nothing was)
    assert result.inputs.tokens == ["[CLS]", "[UNK]", "[UNK]", "really", "[SEP]"]
    assert result.inputs.token_erased == [False] * 5
    assert result.inputs.audio_kept == [] and result.inputs.vision_energy == []
    assert len(probe.evaluate(ProbeSettings())[0].predictions) == 3
    # the file moved: the recorded path is gone, and --data finds it again
    moved = data.rename(tmp_path / "moved.csv")
    with pytest.raises(DataError) as error:
        Probe.open([str(path)])
    assert str(error.value) == f"{data}: no such data file (the data of text_only.pt): pass --data with the file"
    assert Probe.open([str(path)], data=str(moved)).run(0, ProbeSettings()) == result


# ----- reuse of per-modality stages (issue 12) ---------------------------------------------------


def test_a_slider_move_embeds_only_the_modality_it_moves(paths, monkeypatch):
    probe = Probe.open([str(paths["senti-ifusion"]), str(paths["lnln"]), str(paths["dar"])])
    seen = _capture_inputs(probe, monkeypatch)
    probe.run(4, ProbeSettings(rates=(0.3, 0.3, 0.3)))
    assert [len(s) for s in seen] == [3, 3, 3]
    moved = probe.run(4, ProbeSettings(rates=(0.3, 0.6, 0.3)))
    assert all([m for m, _ in s[3:]] == [1] for s in seen)  # audio only
    probe.run(4, ProbeSettings(rates=(0.3, 0.6, 0.3), enabled=(True, True, False)))
    assert all([m for m, _ in s[4:]] == [2] for s in seen)  # vision switched off: vision only
    # a step that erases nothing new (the audio mask at 0.6 and 0.6001 agree) embeds nothing
    probe.run(4, ProbeSettings(rates=(0.3, 0.6001, 0.3)))
    assert [len(s) for s in seen] == [5, 5, 5]
    # and the cached path gives exactly what a fresh probe computes
    assert moved == Probe.open([str(paths["senti-ifusion"]), str(paths["lnln"]), str(paths["dar"])]).run(
        4, ProbeSettings(rates=(0.3, 0.6, 0.3))
    )


def _plain_predictions(probe, setting):
    """The whole split through each model's full forward pass (the path before stages)."""
    from core.missingness import mask_split
    from core.runtime.inference import Batch, model_inputs, predict

    split, data = probe._split, probe._dataset

    def batch_of(start, stop):
        masked = mask_split(split, setting, probe._present, data.special_ids, indices=np.arange(start, stop))
        inputs = model_inputs(masked, split.audio_lengths[start:stop], split.vision_lengths[start:stop], torch.device("cpu"))
        return Batch(inputs=inputs, integrity_true=masked.integrity)

    return predict(probe._split_models, len(split), batch_of, batch_size=8)


def test_a_rate_step_re_embeds_only_the_rows_whose_mask_it_changed(paths, monkeypatch):
    # batches of 8 as the full evaluation batch, so that the 24 samples make three full ones
    monkeypatch.setattr("core.probe.session.eval_spans", lambda n: [(0, 8), (8, 16), (16, 24)])
    monkeypatch.setattr("core.probe.session.EVAL_BATCH_SIZE", 8)
    from core.missingness.appliers import modality_keep
    from core.probe.settings import to_mask_setting

    probe = Probe.open([str(paths["senti-ifusion"]), str(paths["lnln"]), str(paths["dar"])])
    seen = _capture_inputs(probe, monkeypatch)
    fused: dict[int, int] = {}  # model -> rows through forward_from_embeddings
    for i, model in enumerate(probe._split_models):
        original = model.forward_from_embeddings

        def count(stages, i=i, original=original):
            fused[i] = fused.get(i, 0) + int(stages[0][0].shape[0])
            return original(stages)

        monkeypatch.setattr(model, "forward_from_embeddings", count)
    before = ProbeSettings(rates=(0.4, 0.3, 0.6), mask_seed=21)
    after = ProbeSettings(rates=(0.47, 0.3, 0.6), mask_seed=21)  # the text slider moved a little
    probe.predict_split(to_mask_setting(before))
    for s in seen:
        s.clear()
    fused.clear()
    truth, predictions = probe.predict_split(to_mask_setting(after))
    ids = probe._split.sample_ids
    changed = [
        row
        for row in range(24)
        if not np.array_equal(*(modality_keep(probe._split, 0, np.full(24, r), 21)[row] for r in (0.4, 0.47)))
    ]
    assert 0 < len(changed) <= 16 and len(ids) == 24  # some rows changed, and fewer batches than three
    for s in seen:
        assert [m for m, _ in s] == [0] * -(-len(changed) // 8)  # text only, in packed batches of 8
    # the rest of the forward pass, too, runs again only on those rows where a row's output is its own
    independent = [model.rows_independent() for model in probe._split_models]
    assert independent == [False, True, True]  # the checkpoint's per-batch dominant modality (eq. 15)
    assert fused == {0: 24, 1: 8 * -(-len(changed) // 8), 2: 8 * -(-len(changed) // 8)}
    plain_truth, plain = _plain_predictions(probe, to_mask_setting(after))
    assert np.array_equal(truth, plain_truth)
    for a, b in zip(predictions, plain):
        assert np.array_equal(a.prediction, b.prediction) and np.array_equal(a.dominant, b.dominant)
        assert np.array_equal(a.integrity_est, b.integrity_est, equal_nan=True)
    # a step that erases nothing new embeds nothing
    for s in seen:
        s.clear()
    probe.predict_split(to_mask_setting(ProbeSettings(rates=(0.4700001, 0.3, 0.6), mask_seed=21)))
    assert all(s == [] for s in seen)


def test_whole_split_reuses_unchanged_modalities_bit_for_bit(paths, monkeypatch):
    from core.missingness import ModeSetting
    from core.probe.settings import to_mask_setting

    # three batches of 8 of the 24 samples, as _plain_predictions feeds them
    monkeypatch.setattr("core.probe.session.eval_spans", lambda n: [(0, 8), (8, 16), (16, 24)])
    probe = Probe.open([str(paths["senti-ifusion"]), str(paths["lnln"]), str(paths["dar"])])
    seen = _capture_inputs(probe, monkeypatch)
    first = ProbeSettings(rates=(0.4, 0.3, 0.6), mask_seed=21)
    second = ProbeSettings(rates=(0.4, 0.8, 0.6), mask_seed=21)  # the audio slider moved
    for settings in (first, second):
        truth, predictions = probe.predict_split(to_mask_setting(settings))
        plain_truth, plain = _plain_predictions(probe, to_mask_setting(settings))
        assert np.array_equal(truth, plain_truth)
        for a, b in zip(predictions, plain):
            assert np.array_equal(a.prediction, b.prediction) and np.array_equal(a.dominant, b.dominant)
            assert np.array_equal(a.integrity_est, b.integrity_est, equal_nan=True)
    # 3 batches of all three modalities (in any order: batches run on one worker per core), then audio only
    assert all(_embedded(s) == ([0] * 3 + [1] * 3 + [2] * 3, [1] * 3) for s in seen)
    # the modes protocol: a dropped modality is the same whatever the mode, so is embedded once
    for s in seen:
        s.clear()
    probe.predict_split(ModeSetting(mode=2, seed=1111))  # keeps l, a: vision dropped
    probe.predict_split(ModeSetting(mode=4, seed=1111))  # keeps a: text dropped, audio as in mode 2
    assert all(_embedded(s) == ([0] * 3 + [1] * 3 + [2] * 3, [0] * 3) for s in seen)
