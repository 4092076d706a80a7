"""Exact samples of the discrete and continuous (truncated) power laws."""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from ...errors import AnalysisError
from .data import _rng


def _sample_tail(m: int, alpha: float, x_min: float, method: str, T: float, gen) -> np.ndarray:
    """``m`` draws (bin units) from the fitted pure law: the model each likelihood assumes."""
    if method == "discrete":
        return _sample_discrete_pl(m, alpha, x_min, gen)
    x0 = x_min - 0.5 if T > 0 else x_min
    y = x0 * (1.0 - gen.random(m)) ** (-1.0 / (alpha - 1.0))
    return np.floor(y + 0.5) if T > 0 else y  # binned: bin k stands for [k − ½, k + ½)


# ----------------------------------------------------------------------- simulation
def _sample_discrete_pl(n, alpha, k_min, gen):
    """Inverse-CDF samples of P(k) = k^(−α)/ζ(α, k_min): K = max{k : ζ(α,k)/ζ(α,k_min) ≥ U}."""
    u = 1.0 - gen.random(n)  # in (0, 1]
    z0 = float(special.zeta(alpha, k_min))
    # ζ(α, k) = (k − ½)^(1−α)/(α − 1)·(1 + O(k⁻²)), so K ≈ ⌊y + ½⌋ with
    # y^(1−α) = u·(α − 1)·ζ(α, k_min).
    with np.errstate(over="ignore"):
        k = np.floor(0.5 + (u * (alpha - 1.0) * z0) ** (-1.0 / (alpha - 1.0)))
    k = np.maximum(k, k_min)
    # Correct the guess exactly where float64 resolves S(k) from S(k+1) (k < 1e6; above, the
    # relative error of the approximation in the survival function is below 1e-12).
    active = np.flatnonzero(k < 1e6)
    while active.size:
        ka, ua = k[active], u[active]
        down = special.zeta(alpha, ka) / z0 < ua
        up = ~down & (special.zeta(alpha, ka + 1.0) / z0 >= ua)
        move = down | up
        k[active] = ka - down + up
        active = active[move]
    return k


def random_power_law_durations(n: int, *, alpha: float, t_min_s: float, bin_width_s: float,
                               tau_c_s: float = math.inf, rng=None) -> np.ndarray:
    """Random durations from the (truncated) power law that the fits assume.

    Parameters
    ----------
    n : int
    alpha : float
        Exponent (> 1 for a pure power law, > 0 with a finite ``tau_c_s``).
    t_min_s : float
        Smallest duration (rounded up to whole bins when ``bin_width_s > 0``).
    bin_width_s : float
        ``T``: durations are ``k·T`` with ``P(k) ∝ k^(−α) e^(−kT/τ_c)``, ``k ≥ k_min``; 0 gives
        continuous durations with density ``∝ t^(−α) e^(−t/τ_c)`` on ``[t_min, ∞)``.
    tau_c_s : float
        Cut-off time in seconds (default inf: pure power law).
    rng : int or numpy.random.Generator, optional

    Returns
    -------
    (n,) float
        Durations in seconds.

    Notes
    -----
    Pure discrete law: inversion of the survival function ``S(k) = ζ(α, k)/ζ(α, k_min)``,
    ``K = max{k : S(k) ≥ U}``: a guess from ``ζ(α, k) ≈ (k − ½)^(1−α)/(α − 1)``, then exact
    steps of ±1 (for k ≥ 10⁶ the guess is kept: its error in S is below 1e-12). Truncated:
    rejection from the pure law (α > 1) with acceptance ``e^(−(k−k_min)T/τ_c)``, or from the
    geometric/exponential law with acceptance ``(k_min/k)^α`` (α ≤ 1).
    """
    gen = _rng(rng)
    n = int(n)
    T = float(bin_width_s)
    if not T >= 0:
        raise AnalysisError(f"bin_width_s must be ≥ 0; got {bin_width_s!r}")
    if not t_min_s > 0:
        raise AnalysisError(f"t_min_s must be > 0; got {t_min_s!r}")
    x_min = max(1.0, math.ceil(t_min_s / T - 1e-9)) if T > 0 else float(t_min_s)
    unit = T if T > 0 else 1.0
    lam = unit / tau_c_s if math.isfinite(tau_c_s) else 0.0
    if alpha <= 1.0 and lam == 0.0:
        raise AnalysisError(f"a pure power law needs alpha > 1; got {alpha}")
    if alpha <= 0:
        raise AnalysisError(f"alpha must be > 0; got {alpha}")

    def pure(m):
        if T > 0:
            return _sample_discrete_pl(m, alpha, x_min, gen)
        return x_min * (1.0 - gen.random(m)) ** (-1.0 / (alpha - 1.0))

    def expo(m):
        if T > 0:
            return x_min + gen.geometric(-math.expm1(-lam), m) - 1.0
        return x_min + gen.exponential(1.0 / lam, m)

    if lam == 0.0:
        return pure(n) * unit
    out = np.empty(0)
    while out.size < n:
        m = max(1000, 2 * (n - out.size))
        if alpha > 1.0:
            x = pure(m)
            keep = gen.random(m) < np.exp(-lam * (x - x_min))
        else:
            x = expo(m)
            keep = gen.random(m) < (x_min / x) ** alpha
        out = np.concatenate((out, x[keep]))
    return out[:n] * unit
