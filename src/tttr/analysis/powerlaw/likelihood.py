"""Likelihood, maximum-likelihood α, Fisher error and KS distance of the pure power law at one t_min."""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, special

from .data import ALPHA_BOUNDS, MIN_N, _Tail


# ----------------------------------------------------------------- pure power law math
def _ll_discrete(alpha, n, sum_log, k_min):
    """ℓ(α) = −α Σ ln k − n ln ζ(α, k_min)."""
    return -alpha * sum_log - n * math.log(special.zeta(alpha, k_min))


def _ll_continuous(alpha, n, sum_log, x_min):
    """ℓ(α) = n ln(α−1) − n ln x'_min − α Σ ln(x/x'_min), written with Σ ln x."""
    return n * math.log(alpha - 1.0) + (alpha - 1.0) * n * math.log(x_min) - alpha * sum_log


def _mle_discrete(n, sum_log, k_min):
    res = optimize.minimize_scalar(lambda a: a * sum_log / n + math.log(special.zeta(a, k_min)),
                                   bounds=ALPHA_BOUNDS, method="bounded", options={"xatol": 1e-10})
    return float(res.x)


def _mle_discrete_many(n, sum_log, k_min):
    """Vectorised discrete MLE for many (n, Σ ln k, k_min): bisection on the score.

    ``ℓ'(α)/n = −Σ ln k/n − d ln ζ(α, k_min)/dα`` decreases in α (ln ζ is convex); the
    derivative is a central difference. Used to scan t_min candidates; the final fit uses
    :func:`_mle_discrete`."""
    target = -np.asarray(sum_log, dtype=np.float64) / np.asarray(n, dtype=np.float64)
    k_min = np.asarray(k_min, dtype=np.float64)
    lo = np.full(target.shape, ALPHA_BOUNDS[0])
    hi = np.full(target.shape, ALPHA_BOUNDS[1])
    for _ in range(36):  # (6 − 1)/2^36 < 1e-10
        mid = 0.5 * (lo + hi)
        h = np.minimum(1e-5, (mid - 1.0) / 10.0)
        dlz = (np.log(special.zeta(mid + h, k_min)) - np.log(special.zeta(mid - h, k_min))) / (2.0 * h)
        rising = dlz < target  # score −Σln k/n − dlnζ > 0: the maximum lies above mid
        lo = np.where(rising, mid, lo)
        hi = np.where(rising, hi, mid)
    return 0.5 * (lo + hi)


def _fisher_discrete(alpha, n, k_min):
    """σ_α = 1/√(n·d²ln ζ(α, k_min)/dα²): observed information (= expected for this exponential family)."""
    h = min(1e-3, (alpha - 1.0) / 20.0)
    f = lambda a: math.log(special.zeta(a, k_min))  # noqa: E731
    d2 = (f(alpha + h) - 2.0 * f(alpha) + f(alpha - h)) / (h * h)
    return 1.0 / math.sqrt(n * d2) if d2 > 0 else float("nan")


def _cdf_binned_continuous(k, alpha, x_min):
    """P(K ≤ k) when the continuous law on [x'_min, ∞) is binned to integers (bin k ↔ [k−½, k+½))."""
    return 1.0 - ((np.asarray(k, dtype=np.float64) + 0.5) / x_min) ** (1.0 - alpha)


def _ks_lattice(u, cum, cdf_before, cdf_at):
    """KS distance of integer data: ``u`` sorted distinct values, ``cum`` their ECDF, and the
    model CDF just before (``P(K ≤ u−1)``) and at (``P(K ≤ u)``) each value.

    Both CDFs are steps on the integers, so the supremum is at a data value or just before one."""
    before = np.concatenate(([0.0], cum[:-1]))
    return float(max(np.abs(cum - cdf_at).max(), np.abs(before - cdf_before).max()))


def _ks_discrete(u, cum, alpha, k_min):
    """KS distance against the discrete power law: ``P(K ≥ u) = ζ(α, u)/ζ(α, k_min)``, and
    ``P(K ≤ u) = 1 − P(K ≥ u) + u^(−α)/ζ(α, k_min)`` (one zeta evaluation per value)."""
    z0 = special.zeta(alpha, k_min)
    ge = special.zeta(alpha, u) / z0
    return _ks_lattice(u, cum, 1.0 - ge, 1.0 - ge + u ** (-alpha) / z0)


def _ks_continuous(x_sorted, alpha, x_min):
    n = x_sorted.size
    F = 1.0 - (x_sorted / x_min) ** (1.0 - alpha)
    i = np.arange(1, n + 1)
    return float(max(np.max(i / n - F), np.max(F - (i - 1) / n)))


def _alpha_continuous(n, sum_log, x_min):
    """Closed-form MLE α = 1 + n / Σ ln(x/x'_min) (Clauset et al. 2009, eq. 3.1 / 3.7)."""
    denom = sum_log - n * math.log(x_min)
    return 1.0 + n / denom if denom > 0 else float("nan")


def _fit_at(x_sorted: np.ndarray, j: int, tail: _Tail, method: str, T: float, x_min_value: float,
            alpha: float | None = None):
    """α, ℓ and KS distance using the durations ≥ x_min (``j``: first distinct value ≥ x_min).

    ``alpha`` (discrete only) skips the maximisation when already known."""
    n = int(tail.n_ge[j]) if j < tail.u.size else 0
    if n < MIN_N:
        return float("nan"), float("nan"), float("nan"), n
    sum_log = float(tail.log_ge[j])
    u = tail.u[j:]
    cum = np.cumsum(tail.counts[j:]) / n
    if method == "discrete":
        k_min = x_min_value
        a = _mle_discrete(n, sum_log, k_min) if alpha is None else alpha
        ll = _ll_discrete(a, n, sum_log, k_min)
        ks = _ks_discrete(u, cum, a, k_min)
        return a, ll, ks, n
    x_min = x_min_value - 0.5 if T > 0 else x_min_value  # T/2 shift in bin units
    a = _alpha_continuous(n, sum_log, x_min)
    if not math.isfinite(a):
        return a, float("nan"), float("nan"), n
    ll = _ll_continuous(a, n, sum_log, x_min)
    if T > 0:
        ks = _ks_lattice(u, cum, _cdf_binned_continuous(u - 1.0, a, x_min), _cdf_binned_continuous(u, a, x_min))
    else:
        ks = _ks_continuous(x_sorted[x_sorted.size - n:], a, x_min)
    return a, ll, ks, n
