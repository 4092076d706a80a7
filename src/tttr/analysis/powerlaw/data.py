"""Constants and the handling of the input durations shared by the power-law fits."""

from __future__ import annotations

import math

import numpy as np

from ... import defaults
from ...errors import AnalysisError


METHODS = ("discrete", "continuous")


#: Search interval of α for the pure power law (normalisable only for α > 1).
ALPHA_BOUNDS = (1.0 + 1e-6, 6.0)


#: Search box of the truncated power law: α, and ln(τ_c / T) (τ_c from T/50 to 1e15·T).
TRUNC_ALPHA_BOUNDS = (-1.0, 6.0)


TRUNC_ALPHA_BOUNDS = (-1.0, 6.0)
TRUNC_LOG_TAU_BOUNDS = (math.log(0.02), math.log(1e15))


#: ``t_min="auto"`` only considers values with at least this many durations at or above them.
AUTO_MIN_TAIL = 10


#: Fewer durations than this above t_min give a NaN fit with a warning.
MIN_N = 2


# ----------------------------------------------------------------------- validation
def _durations(durations_s, name: str = "durations_s") -> np.ndarray:
    t = np.asarray(durations_s, dtype=np.float64).ravel()
    if t.size and not np.all(np.isfinite(t)):
        raise AnalysisError(f"{name} contains {int(np.sum(~np.isfinite(t)))} non-finite values")
    if t.size and np.any(t <= 0):
        bad = t[t <= 0]
        raise AnalysisError(f"{name} must be positive durations; got {bad.size} values ≤ 0 "
                            f"(smallest {bad.min():g} s)")
    return t


def _bin_width(bin_width_s, method: str) -> float:
    T = float(bin_width_s)
    if not math.isfinite(T) or T < 0 or (T == 0 and method == "discrete"):
        need = "> 0" if method == "discrete" else "≥ 0 (0: unbinned data)"
        raise AnalysisError(f"bin_width_s must be {need} for method={method!r}; got {bin_width_s!r}")
    return T


def _method(method: str) -> str:
    if method not in METHODS:
        raise AnalysisError(f"unknown method {method!r}; one of {METHODS}")
    return method


def _to_bins(t: np.ndarray, T: float) -> np.ndarray:
    """Durations in units of the bin width (whole numbers, checked); unbinned data unchanged."""
    if T == 0:
        return t
    k = t / T
    r = np.rint(k)
    if np.any(r < 1):
        raise AnalysisError(f"durations_s shorter than half a bin ({t.min():g} s < bin_width_s/2 = {T / 2:g} s)")
    bad = np.abs(k - r) > 1e-6 * np.maximum(r, 1.0)
    if np.any(bad):
        raise AnalysisError(f"durations_s are not whole multiples of bin_width_s = {T:g} s "
                            f"(e.g. {t[bad][0]:g} s = {k[bad][0]:.6g} bins); pass the trace bin width")
    return r


def _x_min(t_min_s, T: float, t: np.ndarray) -> tuple[float, str]:
    """t_min in bin units (whole, ≥ 1) or seconds for unbinned data, and how it was chosen."""
    if t_min_s is None:
        if T == 0:
            return (float(t.min()) if t.size else float("nan")), "default"
        return float(defaults.POWERLAW_TMIN_BINS), "default"
    v = float(t_min_s)
    if not v > 0 or not math.isfinite(v):
        raise AnalysisError(f"t_min_s must be a positive number of seconds, None or 'auto'; got {t_min_s!r}")
    if T == 0:
        return v, "fixed"
    return float(max(1, math.ceil(v / T - 1e-9))), "fixed"


def _rng(rng) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


class _Tail:
    """Sufficient statistics of the durations at or above each candidate x_min (x sorted ascending)."""

    def __init__(self, x: np.ndarray):
        self.u, self.first, counts = np.unique(x, return_index=True, return_counts=True)
        logs = np.log(x)
        self.n_ge = x.size - self.first            # durations ≥ u[j]
        self.log_ge = np.cumsum(logs[::-1])[::-1][self.first]  # Σ ln x over x ≥ u[j]
        self.counts = counts
