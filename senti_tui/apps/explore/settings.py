"""The explorer's control actions as pure functions on :class:`ProbeSettings`.

Keys, the command palette and the widgets all go through these, so "mode 3" or "reset" means
the same thing wherever it comes from, and the tests can check them without a screen.
"""

from __future__ import annotations

from dataclasses import replace

from core.data.dataset import MODALITY_LETTERS
from core.missingness.settings import DEFAULT_EVAL_SEED, RETENTION_MODES
from core.probe.types import MODALITY_NAMES, ProbeSettings

DEFAULT_SETTINGS = ProbeSettings(enabled=(True, True, True), rates=(0.0, 0.0, 0.0), mask_seed=DEFAULT_EVAL_SEED)


def mode_enabled(mode: int) -> tuple[bool, bool, bool]:
    """The switches of a retention mode (Senti-iFusion Table III: the modalities it KEEPS)."""
    kept = RETENTION_MODES[mode]
    return tuple(short in kept for short in MODALITY_LETTERS)  # type: ignore[return-value]


def mode_label(mode: int) -> str:
    """``mode 3 {v}`` — as the paper's Table III writes it."""
    return f"mode {mode} {{{','.join(RETENTION_MODES[mode])}}}"


def mode_description(mode: int) -> str:
    """``keep vision only`` / ``keep text, audio`` for the palette and help."""
    names = [name for name, on in zip(MODALITY_NAMES, mode_enabled(mode)) if on]
    return "keep " + (", ".join(names) if len(names) > 1 else f"{names[0]} only")


def with_mode(settings: ProbeSettings, mode: int) -> ProbeSettings:
    """Switch on exactly the mode's modalities; rates and seed stay."""
    return replace(settings, enabled=mode_enabled(mode), mode=mode)


def with_enabled(settings: ProbeSettings, modality: int, on: bool) -> ProbeSettings:
    enabled = list(settings.enabled)
    enabled[modality] = on
    return replace(settings, enabled=(enabled[0], enabled[1], enabled[2]), mode=_mode_of(tuple(enabled)))


def toggled(settings: ProbeSettings, modality: int) -> ProbeSettings:
    return with_enabled(settings, modality, not settings.enabled[modality])


def with_rate(settings: ProbeSettings, modality: int, rate: float) -> ProbeSettings:
    rates = list(settings.rates)
    rates[modality] = min(1.0, max(0.0, float(rate)))
    return replace(settings, rates=(rates[0], rates[1], rates[2]))


def resampled(settings: ProbeSettings) -> ProbeSettings:
    """A new mask seed: the same rates erase other tokens and frames. Deterministic (seed + 1)
    so a session can be retraced, and the status line says which seed is shown."""
    return replace(settings, mask_seed=settings.mask_seed + 1)


def reset() -> ProbeSettings:
    return DEFAULT_SETTINGS


def _mode_of(enabled: tuple[bool, ...]) -> int | None:
    """The retention mode these switches happen to match (None for all on or all off)."""
    for mode in RETENTION_MODES:
        if mode_enabled(mode) == enabled:
            return mode
    return None


def erased_fraction(settings: ProbeSettings) -> float:
    """Where the current setting sits on a curve's x axis: the mean rate of the modalities on."""
    rates = [rate for rate, on in zip(settings.rates, settings.enabled) if on]
    return sum(rates) / len(rates) if rates else 0.0
