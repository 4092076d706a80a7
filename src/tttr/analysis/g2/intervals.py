"""Small statistics shared by the pulsed and the CW analyses: quantiles, intervals, the verdict."""

from __future__ import annotations

import numpy as np


def _single_emitter(ci, what: str) -> tuple[bool | None, str]:
    """Seed 000's criterion g2(0) < 0.5, decided only when the whole interval is on one side."""
    lo, hi = float(ci[0]), float(ci[1])
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return None, f"no interval for {what}"
    if hi < 0.5:
        return True, f"the whole interval of {what} [{lo:.3g}, {hi:.3g}] is below 0.5"
    if lo > 0.5:
        return False, f"the whole interval of {what} [{lo:.3g}, {hi:.3g}] is above 0.5"
    return None, f"the interval of {what} [{lo:.3g}, {hi:.3g}] contains 0.5: too few pairs to decide"


def _normal_quantile(p: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(p))


def _poisson_ratio(n0: int, n1: int, level: float) -> tuple[float, float]:
    from .peaks import poisson_ratio_interval

    return poisson_ratio_interval(n0, n1, level)
