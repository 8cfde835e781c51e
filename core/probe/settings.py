"""From the explorer's :class:`ProbeSettings` to masks, and cache keys that ignore what cannot
change a mask.

- :func:`to_mask_setting`: the explorer's switches and sliders as the missingness module's
  ``custom`` setting (a switched-off modality has r = 1).
- :func:`cache_key`: settings that give the same masks get the same key. A setting that gives
  every sample the same rates is keyed by those effective rates (after the switches and the data
  set's absent modalities); when every rate is 0 or 1 the mask does not depend on the seed
  (``u`` lies in (0, 1]), so the seed is left out -- the complete input is one entry whatever
  the seed, and so is "all off".
- the calibration view's setting is :class:`core.missingness.settings.CalibrationSetting`.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np

from core.missingness.settings import CustomSetting, MaskSetting, RateSetting
from core.probe.types import ProbeSettings


def to_mask_setting(settings: ProbeSettings) -> CustomSetting:
    return CustomSetting(modality_rates=tuple(settings.rates), enabled=tuple(settings.enabled), seed=int(settings.mask_seed))  # type: ignore[arg-type]  # three each


def at_rate(settings: ProbeSettings, rate: float) -> ProbeSettings:
    """The same switches and seed with every slider at ``rate`` (a point of the curve)."""
    return ProbeSettings(enabled=settings.enabled, rates=(float(rate),) * 3, mask_seed=settings.mask_seed)


def effective_rates(setting: MaskSetting, present: np.ndarray) -> tuple[float, float, float] | None:
    """The rates every sample gets under a sample-independent setting; None for the others."""
    if not isinstance(setting, (CustomSetting, RateSetting)):
        return None
    rates = setting.draw(np.zeros(1, dtype=np.int64), present).rates[0]
    return tuple(float(r) for r in rates)  # type: ignore[return-value]


def cache_key(setting: MaskSetting, present: np.ndarray) -> Hashable:
    rates = effective_rates(setting, present)
    if rates is None:
        return setting  # frozen dataclass: hashable, and equal settings give equal masks
    seed = None if all(r in (0.0, 1.0) for r in rates) else int(setting.seed)  # type: ignore[attr-defined]
    return ("uniform", rates, seed)
