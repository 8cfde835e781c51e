"""MMSA metrics on hand-computed cases (docs/models.md §5)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

from core.errors import ConfigError
from core.metrics import MOSI_KEYS, SIMS_KEYS, compute_metrics, r2_and_slope, sims_bins

# Seven samples chosen so that every MOSI metric differs and the edge cases are exercised:
# a label at exactly 0 (counted non-negative by Has0, dropped by Non0), labels at ±0.5 (round
# half-to-even to 0), a prediction at exactly 0 (non-negative but not positive), clipping at ±3
# and at ±2/±1.
TRUE = [0.0, 0.5, -0.5, 1.5, -2.5, 2.6, 1.2]
PRED = [-0.3, 0.6, -1.4, 2.5, -3.5, 0.0, 2.0]


def test_mosi_hand_computed():
    m = compute_metrics(PRED, TRUE, "mosi")
    assert tuple(m) == MOSI_KEYS
    # |diffs| = 0.3 0.1 0.9 1.0 1.0 2.6 0.8 -> 6.7 / 7
    assert m["MAE"] == 0.9571
    # Acc-7, rounded: true 0 0 0 2 -2 3 1 / pred 0 1 -1 2 -3 0 2 -> 2 of 7
    assert m["Mult_acc_7"] == 0.2857
    # Acc-5, clipped to ±2: true 0 0 0 2 -2 2 1 / pred 0 1 -1 2 -2 0 2 -> 3 of 7
    assert m["Mult_acc_5"] == 0.4286
    # Acc-3, clipped to ±1: true 0 0 0 1 -1 1 1 / pred 0 1 -1 1 -1 0 1 -> 4 of 7
    assert m["Mult_acc_3"] == 0.5714
    # Has0: y>=0 T T F T F T T vs ŷ>=0 F T F T F T T -> 6 of 7
    assert m["Has0_acc_2"] == 0.8571
    # weighted F1: True (5): P 1, R .8, F1 .8889; False (2): P 2/3, R 1, F1 .8 -> 6.0444/7
    assert m["Has0_F1_score"] == 0.8635
    # Non0 drops the zero label: y>0 T F T F T T vs ŷ>0 T F T F F T -> 5 of 6
    assert m["Non0_acc_2"] == 0.8333
    # weighted F1: True (4): P 1, R .75, F1 .8571; False (2): P 2/3, R 1, F1 .8 -> 5.0286/6
    assert m["Non0_F1_score"] == 0.8381
    p, t = np.array(PRED), np.array(TRUE)
    corr = np.sum((p - p.mean()) * (t - t.mean())) / math.sqrt(np.sum((p - p.mean()) ** 2) * np.sum((t - t.mean()) ** 2))
    assert m["Corr"] == round(corr, 4)


def test_half_to_even_rounding_at_half_labels():
    # Half-to-even: 0.5 -> 0, -0.5 -> 0, 1.5 -> 2, 2.5 -> 2. Half-away-from-zero would give 1/4.
    m = compute_metrics([0.5, -0.5, 1.5, 2.5], [0.0, 0.0, 2.0, 2.0], "mosi")
    assert m["Mult_acc_7"] == 1.0
    assert m["Mult_acc_5"] == 1.0  # clipped to ±2: 2.5 -> 2.0; then 0 0 2 2 on both sides
    m = compute_metrics([0.5, -0.5, 1.5, 2.5], [1.0, -1.0, 1.0, 3.0], "mosi")
    assert m["Mult_acc_7"] == 0.0


def test_zero_labels_and_zero_predictions_in_binary_metrics():
    # A zero label is non-negative (Has0) and excluded from Non0; a zero prediction is
    # non-negative but not positive.
    m = compute_metrics([0.0, 0.0, -1.0], [0.0, 1.0, -1.0], "mosi")
    assert m["Has0_acc_2"] == 1.0
    assert m["Non0_acc_2"] == 0.5  # [1.0 -> pred 0.0 is not > 0] wrong, [-1 -> -1] right


def test_all_zero_labels_give_nan_non0_with_a_warning():
    with pytest.warns(RuntimeWarning) as caught:
        m = compute_metrics([0.5, -0.5], [0.0, 0.0], "synthetic")
    messages = " ".join(str(w.message) for w in caught)
    assert "Non0" in messages and "Corr" in messages  # constant labels make Corr undefined too
    assert math.isnan(m["Corr"])
    assert math.isnan(m["Non0_acc_2"]) and math.isnan(m["Non0_F1_score"])
    assert m["Has0_acc_2"] == 0.5


def test_constant_predictions_give_nan_corr_with_a_warning():
    with pytest.warns(RuntimeWarning, match="Corr"):
        m = compute_metrics(np.zeros(5), [1.0, -1.0, 2.0, 0.4, -2.2], "mosi")
    assert math.isnan(m["Corr"])
    assert m["MAE"] == round((1 + 1 + 2 + 0.4 + 2.2) / 5, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy RuntimeWarning leaks out of a defined Corr
        compute_metrics([1.0, 2.0], [1.0, 3.0], "mosi")


def test_mosi_family_names_and_unknown_names():
    expected = compute_metrics(PRED, TRUE, "mosi")
    for name in ("mosei", "synthetic", "text-only"):
        assert compute_metrics(PRED, TRUE, name) == expected
    with pytest.raises(ConfigError):
        compute_metrics(PRED, TRUE, "imdb")


def test_accepts_tensors_and_any_shape():
    expected = compute_metrics(PRED, TRUE, "mosi")
    got = compute_metrics(torch.tensor(PRED).reshape(7, 1), torch.tensor(TRUE), "mosi")
    assert got == expected


def test_sims_bins_are_closed_on_the_right():
    values = np.array([-1.0, -0.7, -0.1, 0.0, 0.1, 0.7, 1.0])
    assert sims_bins(values, 2).tolist() == [0, 0, 0, 0, 1, 1, 1]
    assert sims_bins(values, 3).tolist() == [0, 0, 0, 1, 1, 2, 2]
    assert sims_bins(values, 5).tolist() == [0, 0, 1, 2, 2, 3, 4]
    # float32 inputs are binned in float32, as MMSA's tensor comparisons do: 0.1f is in (-0.1, 0.1]
    assert sims_bins(np.float32([0.1, -0.1]), 3).tolist() == [1, 0]


def test_sims_hand_computed_and_unrounded():
    true = [-1.0, -0.4, 0.0, 0.2, 0.8, 1.0]
    pred = [-1.5, 0.05, -0.05, 0.8, 0.6, 1.2]  # clipped: -1, .05, -.05, .8, .6, 1
    m = compute_metrics(pred, true, "sims")
    assert tuple(m) == SIMS_KEYS
    # 2 bins: true 0 0 0 1 1 1 / pred 0 1 0 1 1 1 -> 5/6
    assert m["Mult_acc_2"] == pytest.approx(5 / 6, abs=1e-12)
    # 3 bins: true 0 0 1 2 2 2 / pred 0 1 1 2 2 2 -> 5/6
    assert m["Mult_acc_3"] == pytest.approx(5 / 6, abs=1e-12)
    # 5 bins: true 0 1 2 3 4 4 / pred 0 2 2 4 3 4 -> 3/6
    assert m["Mult_acc_5"] == pytest.approx(0.5, abs=1e-12)
    # MAE on clipped values: 0 .45 .05 .6 .2 0 -> 1.3/6 (not rounded)
    assert m["MAE"] == pytest.approx(1.3 / 6, abs=1e-12)
    # F1 over the 2 bins: class 0 (3): P 1, R 2/3, F1 .8; class 1 (3): P .75, R 1, F1 6/7
    assert m["F1_score"] == pytest.approx((0.8 + 6 / 7) / 2, abs=1e-12)
    with pytest.warns(RuntimeWarning, match="Corr"):
        assert math.isnan(compute_metrics([2.0, 3.0, 5.0], [0.1, -0.2, 0.3], "sims")["Corr"])  # all clip to 1


def test_r2_and_slope():
    true = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    perfect = r2_and_slope(true, true)
    assert (
        perfect.r2 == pytest.approx(1.0)
        and perfect.slope == pytest.approx(1.0)
        and perfect.intercept == pytest.approx(0.0, abs=1e-12)
    )
    half = r2_and_slope(0.5 * true + 0.25, true)
    # residuals (0.25 - 0.5 t): .25 .125 0 -.125 -.25 -> SS 0.15625; SS_tot 0.625 -> R² 0.75
    assert half.r2 == pytest.approx(0.75) and half.slope == pytest.approx(0.5) and half.intercept == pytest.approx(0.25)
    assert half.corr == pytest.approx(1.0)
    biased = r2_and_slope(true + 0.5, true)  # perfectly correlated but off by 0.5: R² = 1 - 1.25/0.625
    assert biased.r2 == pytest.approx(-1.0) and biased.slope == pytest.approx(1.0)
    with pytest.warns(RuntimeWarning):
        assert math.isnan(r2_and_slope([0.1, 0.2], [0.5, 0.5]).r2)
    ignoring_nan = r2_and_slope([0.0, np.nan, 1.0, 0.5], [0.0, 0.3, 1.0, 0.5])
    assert ignoring_nan.n == 3 and ignoring_nan.r2 == pytest.approx(1.0)


def test_acc2_and_f1_are_sklearns_to_the_last_bit():
    """core.metrics computes Acc-2 and weighted F1 in numpy (sklearn's import costs ~1 s); they
    must be sklearn's accuracy_score and f1_score(average="weighted", zero_division=0) exactly."""
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    from core.metrics import _weighted_f1, accuracy_score

    rng = np.random.default_rng(12)
    for case in range(600):
        n = int(rng.integers(1, 60))
        if case % 3 == 0:  # booleans, as Has0/Non0 (sometimes one class only)
            true, pred = rng.random(n) < rng.random(), rng.random(n) < rng.random()
        else:  # SIMS-like bins: small integers, some absent from one side
            k = int(rng.integers(1, 6))
            true, pred = rng.integers(0, k, n), rng.integers(0, k + 1, n)
        want_f1 = sklearn_metrics.f1_score(true, pred, average="weighted", zero_division=0)
        assert _weighted_f1(true, pred) == want_f1, (case, true, pred)
        assert accuracy_score(true, pred) == sklearn_metrics.accuracy_score(true, pred), case
