"""A fast, deterministic stand-in for ``core.probe.session.Probe`` for the explorer's UI tests.

It honours the probe contract (``senti_tui.apps.explore.backend.ProbeBackend``) with plain
arithmetic instead of a model: the mask is a hash of (seed, utterance, modality, position) below
the rate, so masks are nested and repeatable like the real ones; a model's prediction shrinks
towards 0 as text is erased, so settings visibly change it. It can be slowed down for chosen
settings (to test that only the newest result is shown) and made to fail for one utterance
(to test that an error becomes a notification). Nothing depends on a clock.

Run ``python -m tests.fake_probe [N_MODELS]`` to try the app by hand.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from core.errors import SentiError
from core.missingness.settings import EVAL_RATES
from core.models.registry import model_spec
from core.probe.types import (
    CLASS7_NAMES,
    MODALITY_NAMES,
    Calibration,
    Case,
    Curve,
    CurvePoint,
    DisplayInputs,
    ModelInfo,
    ModelPrediction,
    ProbeResult,
    ProbeSettings,
    SplitEvaluation,
    Utterance,
)

WORDS = [
    "the",
    "movie",
    "was",
    "really",
    "good",
    "but",
    "honestly",
    "the",
    "ending",
    "felt",
    "a",
    "bit",
    "slow",
    "and",
    "i",
    "did",
    "not",
    "like",
    "how",
    "loud",
    "the",
    "music",
    "got",
    "during",
    "quiet",
    "scenes",
    "overall",
    "it",
    "is",
    "fine",
    "i",
    "guess",
    "not",
    "great",
]
# A fake model's bias, so that several models' figures differ (any other model: 0.1).
OFFSETS = {"senti-ifusion": 0.0, "lnln": 0.15, "dar": -0.2}


def unit(*parts: int) -> float:
    """A repeatable uniform number in [0, 1) from integers (no random state, no clock)."""
    h = 1469598103934665603
    for part in parts:
        h = ((h ^ (part & 0xFFFFFFFF)) * 1099511628211) % (1 << 64)
        h ^= h >> 29
    return (h % 1_000_003) / 1_000_003


def class7(value: float) -> str:
    return CLASS7_NAMES[round(min(3.0, max(-3.0, value)))]


def _fit(xs: list[float], ys: list[float]) -> tuple[float | None, float | None]:
    """R² and slope of the least-squares line of ys on xs."""
    n = len(xs)
    if n < 2:
        return None, None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    if sxx == 0 or syy == 0:
        return None, None
    return sxy * sxy / (sxx * syy), sxy / sxx


@dataclass
class FakeProbe:
    model_names: tuple[str, ...] = ("senti-ifusion",)
    size: int = 24
    synthetic: bool = True
    test_selected: tuple[str, ...] = ()
    present: tuple[bool, bool, bool] = (True, True, True)
    delay: Callable[[int, ProbeSettings], float] | None = None
    fail_index: int | None = None
    fail_split: bool = False
    split_delay: float = 0.0
    dataset_label: str = ""
    precision: str = "fp32"  # as Probe.precision: "fp32" or "bf16"
    runs: list[tuple[int, ProbeSettings]] = field(default_factory=list)
    split_calls: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.utterances = [self._utterance(i) for i in range(self.size)]
        self.models = [self._info(name) for name in self.model_names]
        if not self.dataset_label:
            source = "synthetic (fake)" if self.synthetic else "mosi (fake)"
            self.dataset_label = f"{source} · test · {self.size} utterances"

    # --- what the explorer shows about the data and the checkpoints -----------------------------
    def _utterance(self, i: int) -> Utterance:
        length = 5 + (i * 7) % 9
        words = [WORDS[(i * 5 + 3 * k) % len(WORDS)] for k in range(length)]
        label = round(((i * 7) % 31 - 15) * 0.2, 1)
        return Utterance(index=i, id=f"fake{i // 4:02d}_{i % 4}", text=" ".join(words), label=label)

    def _info(self, name: str) -> ModelInfo:
        spec = model_spec(name)
        estimates, dominant = spec.estimates_integrity, spec.has_dominant
        selected_on_test = name in self.test_selected
        history = []
        for epoch in range(1, 9):
            mae = 1.4 - 0.5 * (1 - math.exp(-epoch / 3)) + OFFSETS.get(name, 0.1) * 0.3
            metrics = {"valid": {"MAE": mae, "Corr": 0.3 + 0.05 * epoch, "Mult_acc_7": 0.2 + 0.02 * epoch}}
            if selected_on_test:
                metrics["test"] = {"MAE": mae + 0.05, "Corr": 0.28 + 0.05 * epoch, "Mult_acc_7": 0.18 + 0.02 * epoch}
            history.append(
                {
                    "epoch": epoch,
                    "stage": 2,
                    "lr": 1e-4,
                    "train_losses": {"total": 2.0 / epoch},
                    "metrics": metrics,
                    "is_best": epoch == 8,
                }
            )
        return ModelInfo(
            key=name,
            model=name,
            path=f"checkpoints/fake_{name}.pt",
            dataset="synthetic" if self.synthetic else "mosi",
            synthetic=self.synthetic,
            selected_on="test" if selected_on_test else "valid",
            test_selected=selected_on_test,
            estimates_integrity=estimates,
            has_dominant=dominant,
            epoch=8,
            best_metrics={"MAE": history[-1]["metrics"]["valid"]["MAE"]},
            history=history,
        )

    # --- one utterance ---------------------------------------------------------------------------
    def _lengths(self, i: int) -> tuple[int, int, int]:
        return len(self.utterances[i].text.split()) + 2, 12 + i % 9, 30 + (i * 3) % 17

    def _kept(self, i: int, modality: int, length: int, rate: float, seed: int) -> list[bool]:
        return [unit(seed, i, modality, p) >= rate for p in range(length)]

    def _masks(self, i: int, settings: ProbeSettings) -> list[list[bool]]:
        rates = settings.effective_rates()
        masks = []
        for modality, length in enumerate(self._lengths(i)):
            if not self.present[modality]:
                masks.append([False] * length)
                continue
            kept = self._kept(i, modality, length, rates[modality], settings.mask_seed)
            if modality == 0:  # [CLS] and [SEP] are never erased
                kept[0] = kept[-1] = True
            masks.append(kept)
        return masks

    def _realised(self, masks: list[list[bool]]) -> tuple[float, float, float]:
        text = masks[0][1:-1]
        fractions = [sum(text) / len(text) if text else 0.0]
        fractions += [sum(m) / len(m) if m else 0.0 for m in masks[1:]]
        return tuple(round(f, 4) for f in fractions)  # type: ignore[return-value]

    def _predict(self, name: str, i: int, realised: tuple[float, float, float]) -> ModelPrediction:
        label = self.utterances[i].label
        wobble = (unit(7, i, len(name)) - 0.5) * 0.8
        prediction = label * (0.35 + 0.6 * realised[0]) + 0.4 * (realised[1] - realised[2]) + OFFSETS.get(name, 0.1) + wobble
        prediction = round(min(3.0, max(-3.0, prediction)), 4)
        spec = model_spec(name)
        estimates, has_dominant = spec.estimates_integrity, spec.has_dominant
        integrity = tuple(
            round(min(1.0, max(0.0, realised[m] + (unit(11, i, m) - 0.5) * 0.1)), 4) if estimates[m] else None for m in range(3)
        )
        dominant = None
        if has_dominant:
            dominant = (
                spec.fixed_dominant if spec.fixed_dominant is not None else max(range(3), key=lambda m: (integrity[m] or 0.0, -m))
            )
        return ModelPrediction(name, prediction, class7(prediction), round(prediction - label, 4), integrity, dominant)  # type: ignore[arg-type]

    def run(self, index: int, settings: ProbeSettings) -> ProbeResult:
        with self._lock:
            self.runs.append((index, settings))
        if self.delay is not None:
            time.sleep(self.delay(index, settings))
        if index == self.fail_index:
            raise SentiError(f"utterance #{index} cannot be probed: its features are corrupt (fake)")
        utterance = self.utterances[index]
        masks = self._masks(index, settings)
        realised = self._realised(masks)
        words = ["[CLS]", *utterance.text.split(), "[SEP]"]
        lengths = self._lengths(index)
        inputs = DisplayInputs(
            tokens=[w if kept else "[UNK]" for w, kept in zip(words, masks[0])],
            token_erased=[not kept for kept in masks[0]],
            audio_energy=[round(abs(math.sin(0.7 * f + index)), 3) for f in range(lengths[1])],
            audio_kept=masks[1],
            vision_energy=[round(abs(math.cos(0.3 * f + index)), 3) for f in range(lengths[2])],
            vision_kept=masks[2],
            present=self.present,
        )
        true = tuple(0.0 if not present else 1.0 - rate for rate, present in zip(settings.effective_rates(), self.present))
        return ProbeResult(
            index=index,
            settings=settings,
            label=utterance.label,
            label_class7=class7(utterance.label),
            integrity_true=true,  # type: ignore[arg-type]
            integrity_realised=realised,
            inputs=inputs,
            predictions=[self._predict(name, index, realised) for name in self.model_names],
        )

    # --- the whole split -------------------------------------------------------------------------
    # The public methods below keep core.probe's Probe signatures exactly (tests/test_fake_probe_contract.py).
    def _split(self, kind: str, cancelled: Callable[[], bool] | None) -> None:
        with self._lock:
            self.split_calls.append(kind)
        if self.split_delay:
            time.sleep(self.split_delay)
        if cancelled is not None and cancelled():
            raise RuntimeError("cancelled (fake)")
        if self.fail_split:
            raise SentiError(f"the {kind} of this split cannot be computed (fake)")

    def evaluate(self, settings: ProbeSettings, cancelled: Callable[[], bool] | None = None) -> list[SplitEvaluation]:
        self._split("evaluate", cancelled)
        return self._evaluate(settings)

    def _evaluate(self, settings: ProbeSettings) -> list[SplitEvaluation]:
        realised = [self._realised(self._masks(i, settings)) for i in range(self.size)]
        true = [tuple(1.0 - r for r in settings.effective_rates()) for _ in range(self.size)]
        labels = [u.label for u in self.utterances]
        evaluations = []
        for name in self.model_names:
            predictions = [self._predict(name, i, realised[i]) for i in range(self.size)]
            values = [p.prediction for p in predictions]
            errors = [abs(p - y) for p, y in zip(values, labels)]
            acc7 = sum(round(p) == round(y) for p, y in zip(values, labels)) / self.size
            nonzero = [(p, y) for p, y in zip(values, labels) if y != 0]
            acc2 = sum((p >= 0) == (y > 0) for p, y in nonzero) / max(1, len(nonzero))
            r2, _slope = _fit(values, labels)
            metrics = {"MAE": sum(errors) / self.size, "Corr": math.sqrt(r2 or 0.0), "Mult_acc_7": acc7, "Non0_acc_2": acc2}
            evaluations.append(
                SplitEvaluation(
                    model_key=name,
                    settings=settings,
                    metrics={k: round(v, 4) for k, v in metrics.items()},
                    predictions=values,
                    labels=labels,
                    integrity_true=true,  # type: ignore[arg-type]
                    integrity_est=[p.integrity for p in predictions],
                    dominant=[p.dominant for p in predictions],
                )
            )
        return evaluations

    def curve(
        self,
        settings: ProbeSettings,
        rates: Sequence[float] = EVAL_RATES,
        cancelled: Callable[[], bool] | None = None,
    ) -> list[Curve]:
        self._split("curve", cancelled)
        points: dict[str, list[CurvePoint]] = {name: [] for name in self.model_names}
        for rate in rates:
            swept = replace(settings, rates=(rate, rate, rate))
            for evaluation in self._evaluate(swept):
                points[evaluation.model_key].append(CurvePoint(rate, evaluation.metrics))
        return [Curve(name, points[name]) for name in self.model_names]

    def cases(self, settings: ProbeSettings, limit: int = 20, cancelled: Callable[[], bool] | None = None) -> list[Case]:
        self._split("cases", cancelled)
        complete = {e.model_key: e for e in self._evaluate(replace(settings, rates=(0.0, 0.0, 0.0), enabled=(True, True, True)))}
        cases = []
        for evaluation in self._evaluate(settings):
            whole = complete[evaluation.model_key]
            for i, (p, y) in enumerate(zip(evaluation.predictions, evaluation.labels)):
                if abs(p - y) >= 0.5:
                    cases.append(Case(i, evaluation.model_key, "error", round(abs(p - y), 4), f"pred {p:+.2f} vs label {y:+.2f}"))
                if y != 0 and (p >= 0) != (whole.predictions[i] >= 0):
                    cases.append(
                        Case(
                            i,
                            evaluation.model_key,
                            "polarity flip",
                            round(abs(p - whole.predictions[i]), 4),
                            f"pred {p:+.2f} (complete: {whole.predictions[i]:+.2f})",
                        )
                    )
        cases.sort(key=lambda c: (-c.score, c.index, c.model_key))
        return cases[:limit]

    def confusion(self, settings: ProbeSettings, cancelled: Callable[[], bool] | None = None) -> dict[str, list[list[int]]]:
        self._split("confusion", cancelled)
        tables = {}
        for evaluation in self._evaluate(settings):
            matrix = [[0] * 7 for _ in range(7)]
            for p, y in zip(evaluation.predictions, evaluation.labels):
                matrix[round(y) + 3][round(min(3, max(-3, p))) + 3] += 1
            tables[evaluation.model_key] = matrix
        return tables

    def calibration(self, settings: ProbeSettings, cancelled: Callable[[], bool] | None = None) -> list[Calibration]:
        self._split("calibration", cancelled)
        calibrations = []
        sweep = [replace(settings, rates=(r, r, r), enabled=(True, True, True)) for r in (0.0, 0.3, 0.6, 0.9)]
        evaluations = [self._evaluate(s) for s in sweep]
        for m_index, name in enumerate(self.model_names):
            estimates = model_spec(name).estimates_integrity
            if not any(estimates):
                continue
            points, r2s, slopes = {}, [], []
            for modality, modality_name in enumerate(MODALITY_NAMES):
                if not estimates[modality]:
                    r2s.append(None)
                    slopes.append(None)
                    continue
                xs = [t[modality] for e in evaluations for t in e[m_index].integrity_true]
                ys = [est[modality] for e in evaluations for est in e[m_index].integrity_est]
                points[modality_name] = {"true": xs, "est": ys}
                r2, slope = _fit(xs, ys)
                r2s.append(None if r2 is None else round(r2, 4))
                slopes.append(None if slope is None else round(slope, 4))
            calibrations.append(Calibration(name, tuple(r2s), tuple(slopes), points))  # type: ignore[arg-type]
        return calibrations


if __name__ == "__main__":  # try the app by hand with the fake
    import sys

    from senti_tui.apps.explore.app import ExploreApp

    names = ("senti-ifusion", "lnln", "dar")[: int(sys.argv[1]) if len(sys.argv) > 1 else 1]
    ExploreApp(FakeProbe(model_names=names, size=80, test_selected=("lnln",))).run()
