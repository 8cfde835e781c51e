"""The plain-text status line: settings and every model's prediction, readable by scripts.

``#12 l:0.30 a:off v:0.00 seed:1111 | senti-ifusion pred=+1.23 dom=text | label=+1.40``

It describes the result on screen (its own settings, not the controls' newest ones), so a
script that reads it always sees a settings/prediction pair that belong together.
"""

from __future__ import annotations

from core.probe.types import MODALITY_NAMES, ProbeResult


def dominant_name(dominant: int | None) -> str:
    return "none" if dominant is None else MODALITY_NAMES[dominant]


def status_text(result: ProbeResult | None) -> str:
    if result is None:
        return "loading…"
    settings = result.settings.status()
    if result.settings.mode is not None:
        settings += f" mode:{result.settings.mode}"
    parts = [f"#{result.index} {settings}"]
    for prediction in result.predictions:
        parts.append(f"{prediction.model_key} pred={prediction.prediction:+.2f} dom={dominant_name(prediction.dominant)}")
    parts.append(f"label={result.label:+.2f}")
    return " | ".join(parts)
