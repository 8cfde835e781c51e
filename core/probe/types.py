"""Plain result types shared by the probe (core) and the explorer (surface).

Everything here is JSON-like: tuples, lists, floats, strings, None. The explorer renders these
and never sees a tensor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.data.dataset import MODALITY_LETTERS
from core.missingness.settings import DEFAULT_EVAL_SEED

MODALITY_NAMES: tuple[str, str, str] = ("text", "audio", "vision")

# MOSI's 7 classes: the label rounded after clipping to [-3, 3].
CLASS7_NAMES: dict[int, str] = {
    -3: "strongly negative",
    -2: "negative",
    -1: "weakly negative",
    0: "neutral",
    1: "weakly positive",
    2: "positive",
    3: "strongly positive",
}


@dataclass(frozen=True)
class ProbeSettings:
    """What the explorer's controls say: switches, per-modality erased fraction, mask seed.

    A modality switched off has rate 1 (integrity 0). ``mode`` names a retention mode (0-5 of
    Senti-iFusion's Table III) when the switches were set by a mode key, for the record only.
    """

    enabled: tuple[bool, bool, bool] = (True, True, True)
    rates: tuple[float, float, float] = (0.0, 0.0, 0.0)
    mask_seed: int = DEFAULT_EVAL_SEED
    mode: int | None = None

    def effective_rates(self) -> tuple[float, float, float]:
        return tuple(rate if on else 1.0 for rate, on in zip(self.rates, self.enabled))  # type: ignore[return-value]

    def status(self) -> str:
        """A compact plain-text form for the status line, e.g. ``l:0.30 a:off v:0.00 seed:1111``."""
        parts = [
            f"{letter}:{'off' if not on else f'{rate:.2f}'}"
            for letter, rate, on in zip(MODALITY_LETTERS, self.rates, self.enabled)
        ]
        return " ".join(parts) + f" seed:{self.mask_seed}"


@dataclass(frozen=True)
class ModelInfo:
    """One opened checkpoint, as the explorer describes it."""

    key: str  # short unique label, e.g. "senti-ifusion" or "lnln (demo_lnln.pt)"
    model: str  # registry name
    path: str
    dataset: str
    synthetic: bool
    selected_on: str  # "valid" or "test"
    test_selected: bool
    estimates_integrity: tuple[bool, bool, bool]
    has_dominant: bool
    epoch: int
    best_metrics: dict[str, float] = field(default_factory=dict)
    history: list[dict] = field(default_factory=list)  # per-epoch records from the checkpoint


@dataclass(frozen=True)
class Utterance:
    """One row of the utterance table."""

    index: int
    id: str
    text: str
    label: float


@dataclass(frozen=True)
class ModelPrediction:
    model_key: str
    prediction: float
    class7: str
    error: float  # prediction - label
    integrity: tuple[float | None, float | None, float | None]  # estimate; None where not estimated
    dominant: int | None  # 0 text, 1 audio, 2 vision; None for models without one


@dataclass(frozen=True)
class DisplayInputs:
    """The utterance as the model sees it."""

    tokens: list[str]  # real tokens incl. [CLS]/[SEP]; erased ones read "[UNK]"
    token_erased: list[bool]
    audio_energy: list[float]  # per real frame, mean |x| of the ORIGINAL frame (for the strip)
    audio_kept: list[bool]
    vision_energy: list[float]
    vision_kept: list[bool]
    present: tuple[bool, bool, bool]  # False: the data set has no such modality (label.csv)


@dataclass(frozen=True)
class ProbeResult:
    index: int
    settings: ProbeSettings
    label: float
    label_class7: str
    integrity_true: tuple[float, float, float]  # nominal 1 - r
    integrity_realised: tuple[float, float, float]  # kept fraction of erasable positions
    inputs: DisplayInputs
    predictions: list[ModelPrediction]  # one per model, all under the identical mask


@dataclass(frozen=True)
class SplitEvaluation:
    """One model over the whole split under one setting."""

    model_key: str
    settings: ProbeSettings
    metrics: dict[str, float]
    predictions: list[float]
    labels: list[float]
    integrity_true: list[tuple[float, float, float]]
    integrity_est: list[tuple[float | None, float | None, float | None]]
    dominant: list[int | None]


@dataclass(frozen=True)
class CurvePoint:
    rate: float
    metrics: dict[str, float]


@dataclass(frozen=True)
class Curve:
    """A metric-vs-erased-fraction sweep for one model under the current switches."""

    model_key: str
    points: list[CurvePoint]


@dataclass(frozen=True)
class Case:
    """A failure case: which utterance, why, and how bad."""

    index: int
    model_key: str
    kind: str  # "error" | "polarity flip" | "integrity misestimate"
    score: float  # sort key (larger = worse)
    detail: str  # one line, e.g. "pred -1.84 vs label +2.20 (complete: +1.95)"


@dataclass(frozen=True)
class Calibration:
    """Estimated vs true integrity per modality over the split."""

    model_key: str
    r2: tuple[float | None, float | None, float | None]
    slope: tuple[float | None, float | None, float | None]
    points: dict[str, dict[str, list[float]]]  # modality -> {"true": [...], "est": [...]}
