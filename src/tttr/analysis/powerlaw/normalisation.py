"""Normalisation, moments, likelihood and sampling of the truncated power law."""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, special

from .data import TRUNC_ALPHA_BOUNDS, TRUNC_LOG_TAU_BOUNDS
from .likelihood import _ks_lattice
from .sampling import _sample_tail, random_power_law_durations


# Direct terms of the discrete normalising sum before the Euler–Maclaurin tail takes over.
_N_HEAD = 1024


_N_HEAD = 1024
_GL_X, _GL_W = np.polynomial.legendre.leggauss(16)


_GL_X, _GL_W = np.polynomial.legendre.leggauss(16)
_GLAG_X, _GLAG_W = np.polynomial.laguerre.laggauss(40)


# ------------------------------------------------------------ truncated power law math
def _tail_moments(m: float, alpha: float, lam: float) -> np.ndarray:
    """``∫_m^∞ x^(−α) e^(−λx)·(1, ln x, x) dx`` for m > 0, λ > 0 and any α.

    The first is ``λ^(α−1) Γ(1−α, λm)``; scipy has no Γ(s, x) for s < 0, so it is integrated
    directly, in two parts split at ``x_c = max(m, 4/λ)``: on ``[m, x_c]`` (power-law regime)
    in ``w = ln(x/m)`` by 16-point Gauss–Legendre on segments of width ≤ 1, where the
    integrand ``exp((1−α)w − λx)`` varies by at most ``e^7`` per segment; on ``[x_c, ∞)``
    (exponential regime) in ``y = λ(x − x_c)`` by 40-point Gauss–Laguerre, where the remaining
    factor ``(1 + y/(λx_c))^(−α)`` is analytic with its singularity ≥ 4 away. Relative
    accuracy ~1e-12 (tested against adaptive quadrature)."""
    xc = max(m, 4.0 / lam)
    lm = math.log(m)
    wa = math.log(xc) - lm
    if wa > 0:
        nseg = max(1, math.ceil(wa))
        e = np.linspace(0.0, wa, nseg + 1)
        half = 0.5 * np.diff(e)[:, None]
        w = (half * _GL_X[None, :] + 0.5 * (e[:-1] + e[1:])[:, None]).ravel()
        wt = (half * _GL_W[None, :]).ravel()
        lx = lm + w
        x = np.exp(lx)
        g = wt * np.exp((1.0 - alpha) * lx - lam * x)  # f(x)·dx/dw
        part_a = np.array([g.sum(), (g * lx).sum(), (g * x).sum()])
    else:
        part_a = np.zeros(3)
    x = xc + _GLAG_X / lam
    lx = np.log(x)
    g = _GLAG_W * np.exp(-alpha * lx - lam * xc) / lam  # e^(−y) is in the Laguerre weights
    return part_a + np.array([g.sum(), (g * lx).sum(), (g * x).sum()])


def _tail_integral(m: float, alpha: float, lam: float) -> float:
    """``∫_m^∞ x^(−α) e^(−λx) dx`` (λ ≥ 0; λ = 0 needs α > 1)."""
    if lam <= 0.0:
        return m ** (1.0 - alpha) / (alpha - 1.0) if alpha > 1 else math.inf
    return float(_tail_moments(m, alpha, lam)[0])


_HEAD_CACHE: dict = {}


def _head(k_min: float):
    key = float(k_min)
    if key not in _HEAD_CACHE:
        k = np.arange(k_min, k_min + _N_HEAD, dtype=np.float64)
        if len(_HEAD_CACHE) > 64:
            _HEAD_CACHE.clear()
        _HEAD_CACHE[key] = (k, np.log(k))
    return _HEAD_CACHE[key]


def _em_tail(M: float, alpha: float, lam: float) -> np.ndarray:
    """Euler–Maclaurin correction ``g(M)/2 − g′(M)/12 + g‴(M)/720`` for g = f·(1, ln x, x),
    ``f = x^(−α) e^(−λx)``, so that ``Σ_{k≥M} g(k) = ∫_M^∞ g + correction + O(g⁽⁵⁾(M))``."""
    f = math.exp(-alpha * math.log(M) - lam * M)
    G1, G2, G3 = -alpha / M - lam, alpha / M**2, -2.0 * alpha / M**3
    f1, f2, f3 = f * G1, f * (G1 * G1 + G2), f * (G1**3 + 3.0 * G1 * G2 + G3)
    L = math.log(M)
    # g = f ln x: g′ = f′ ln x + f/x; g‴ = f‴ ln x + 3f″/x − 3f′/x² + 2f/x³
    l1 = f1 * L + f / M
    l3 = f3 * L + 3.0 * f2 / M - 3.0 * f1 / M**2 + 2.0 * f / M**3
    # g = f x: g′ = f′ x + f; g‴ = f‴ x + 3f″
    x1 = f1 * M + f
    x3 = f3 * M + 3.0 * f2
    return np.array([f / 2.0 - f1 / 12.0 + f3 / 720.0,
                     f * L / 2.0 - l1 / 12.0 + l3 / 720.0,
                     f * M / 2.0 - x1 / 12.0 + x3 / 720.0])


def _discrete_moments(alpha: float, lam: float, k_min: float) -> np.ndarray:
    """``Σ_{k ≥ k_min} k^(−α) e^(−λk)·(1, ln k, k)`` for λ > 0, to ~1e-12 relative.

    The first 1024 terms are summed directly; the rest (only needed when λ < 36/1024) by
    Euler–Maclaurin, ``Σ_{k≥M} g = ∫_M^∞ g + g(M)/2 − g′(M)/12 + g‴(M)/720``, whose error
    ``O(g⁽⁵⁾(M))`` is ~1e-13·g(M) for M ≥ 1024."""
    k, lk = _head(k_min)
    f = np.exp(-alpha * lk - lam * k)
    out = np.array([f.sum(), (f * lk).sum(), (f * k).sum()])
    if lam * _N_HEAD > 36.0:
        return out
    M = k_min + _N_HEAD
    return out + _tail_moments(M, alpha, lam) + _em_tail(M, alpha, lam)


def _discrete_norm(alpha: float, lam: float, k_min: float) -> float:
    """``Z = Σ_{k ≥ k_min} k^(−α) e^(−λk)``; λ = 0 gives the Hurwitz zeta ``ζ(α, k_min)``."""
    if lam <= 0.0:
        return float(special.zeta(alpha, k_min)) if alpha > 1 else math.inf
    return float(_discrete_moments(alpha, lam, k_min)[0])


def _trunc_moments(alpha, lam, x_min, method):
    if method == "discrete":
        return _discrete_moments(alpha, lam, x_min)
    return _tail_moments(x_min, alpha, lam)


def _trunc_mle(x: np.ndarray, x_min: float, a0: float, method: str, T: float, n_starts: int = 2):
    """Maximise the truncated-law likelihood of the bin counts ``x ≥ x_min`` from α ≈ ``a0``
    (``n_starts=1``: the first start only, for the t_min scans).

    Returns ``(res, nll, at_bound, lo, hi)``: the best SLSQP result over the two starts, the
    objective ``−ℓ/n`` with its gradient, and whether the optimum is on the parameter box."""
    n = x.size
    s_log, s_x = float(np.log(x).sum()), float(x.sum())
    x0 = x_min - 0.5 if (method == "continuous" and T > 0) else x_min

    def nll(p):  # −ℓ/n and its gradient in (α, u = ln(τ_c/T)); bin units, λ = e^(−u)
        a, u = float(p[0]), float(p[1])
        lam = math.exp(-u)
        Z, Zl, Zx = _trunc_moments(a, lam, x0, method)
        if not (Z > 0 and math.isfinite(Z) and math.isfinite(Zx)):
            return 1e300, np.zeros(2)
        # ∂/∂α: Σln k/n − E[ln k];  ∂/∂u = −λ ∂/∂λ: −λ(Σk/n − E[k])
        grad = np.array([s_log / n - Zl / Z, -lam * (s_x / n - Zx / Z)])
        return (a * s_log + lam * s_x) / n + math.log(Z), grad

    bounds = [TRUNC_ALPHA_BOUNDS, TRUNC_LOG_TAU_BOUNDS]
    lo, hi = np.array([b[0] for b in bounds]), np.array([b[1] for b in bounds])
    starts = [(a0 - 0.3, math.log(max(s_x / n, 1.0))), (a0, math.log(10.0 * x.max()))][:n_starts]
    best = None
    for st in starts:
        p0 = np.clip(np.array(st, dtype=np.float64), lo + 1e-6, hi - 1e-6)
        res = optimize.minimize(nll, p0, method="SLSQP", jac=True, bounds=bounds,
                                options={"ftol": 1e-13, "maxiter": 500})
        if best is None or res.fun < best.fun:
            best = res
    at_bound = bool(np.any(np.isclose(best.x, lo, atol=1e-5) | np.isclose(best.x, hi, atol=1e-5)))
    return best, nll, at_bound, lo, hi


def _trunc_or_pure(x: np.ndarray, x_min: float, a_pl: float, ll_pl: float, method: str, T: float,
                   n_starts: int = 2):
    """(α, λ, ℓ, res, nll, at_bound): the truncated fit, or ``λ = 0`` with the pure law's α and ℓ
    when no finite τ_c beats it (τ_c → ∞)."""
    best, nll, at_bound, lo, hi = _trunc_mle(x, x_min, a_pl, method, T, n_starts)
    ll = -x.size * float(best.fun)
    if ll <= ll_pl or (at_bound and best.x[1] > hi[1] - 1e-3):
        return a_pl, 0.0, ll_pl, best, nll, at_bound
    return float(best.x[0]), math.exp(-float(best.x[1])), ll, best, nll, at_bound


def _trunc_ks(x_sorted: np.ndarray, x_min: float, alpha: float, lam: float, method: str, T: float) -> float:
    """KS distance between the bin counts ``x ≥ x_min`` (sorted) and the (truncated) law.

    Discrete: the model CDF by a cumulative sum of the pmf over ``k_min … max(x)`` (or, over
    spans longer than 2·10⁵ bins, ``1 − Z(α, λ, u)/Z(α, λ, k_min)`` per distinct value).
    Binned continuous: ``P(K ≤ k) = 1 − I(k + ½)/I(x'_min)`` with ``I(m) = ∫_m^∞ x^(−α)e^(−λx)dx``."""
    n = x_sorted.size
    u, c = np.unique(x_sorted, return_counts=True)
    cum = np.cumsum(c) / n
    if method == "discrete":
        Z = _discrete_norm(alpha, lam, x_min)
        pu = np.exp(-alpha * np.log(u) - lam * u) / Z
        if u[-1] - x_min <= 2e5:
            k = np.arange(x_min, u[-1] + 1.0)
            cdf = np.cumsum(np.exp(-alpha * np.log(k) - lam * k)) / Z
            at = cdf[(u - x_min).astype(np.int64)]
        else:
            at = 1.0 - np.array([_discrete_norm(alpha, lam, v) for v in u]) / Z + pu
        return _ks_lattice(u, cum, at - pu, at)
    x0 = x_min - 0.5 if T > 0 else x_min
    I0 = _tail_integral(x0, alpha, lam)
    if T > 0:
        surv = lambda v: _tail_integral(v, alpha, lam) / I0  # noqa: E731
        at = 1.0 - np.array([surv(v + 0.5) for v in u])
        before = 1.0 - np.array([surv(v - 0.5) if v - 0.5 > x0 else 1.0 for v in u])
        return _ks_lattice(u, cum, before, at)
    F = 1.0 - np.array([_tail_integral(v, alpha, lam) for v in u]) / I0
    before = np.concatenate(([0.0], cum[:-1]))
    return float(max(np.abs(cum - F).max(), np.abs(before - F).max()))


def _sample_trunc(m: int, alpha: float, lam: float, x_min: float, method: str, T: float, gen):
    """``m`` draws (bin units) from the fitted truncated law (λ = 0: the pure law), or None
    when it cannot be sampled exactly here (α ≤ 0 over a span of more than 10⁶ bins)."""
    if lam == 0.0:
        return _sample_tail(m, alpha, x_min, method, T, gen)
    if m == 0:
        return np.empty(0)
    if alpha > 0.0:
        if method == "discrete":
            return random_power_law_durations(m, alpha=alpha, t_min_s=x_min, bin_width_s=1.0, tau_c_s=1.0 / lam,
                                              rng=gen)
        x0 = x_min - 0.5 if T > 0 else x_min
        y = random_power_law_durations(m, alpha=alpha, t_min_s=x0, bin_width_s=0.0, tau_c_s=1.0 / lam, rng=gen)
        return np.floor(y + 0.5) if T > 0 else y
    # α ≤ 0: a rising power times an exponential, by inversion on a grid that holds all but
    # e^(−60) of it (mode at −α/λ)
    span = (-alpha + 60.0) / lam + 10.0 * math.sqrt(max(-alpha, 1.0)) / lam
    if span > 1e6:
        return None
    if method == "discrete":
        k = np.arange(x_min, x_min + math.ceil(span) + 1.0)
        w = np.exp(-alpha * np.log(k) - lam * (k - x_min))
        cdf = np.cumsum(w)
        return k[np.minimum(np.searchsorted(cdf, gen.random(m) * cdf[-1], side="right"), k.size - 1)]
    x0 = x_min - 0.5 if T > 0 else x_min
    g = x0 + np.linspace(0.0, span, 200_001)
    w = np.exp(-alpha * np.log(g) - lam * (g - x0))
    cdf = np.concatenate(([0.0], np.cumsum(0.5 * (w[1:] + w[:-1]) * np.diff(g))))
    y = np.interp(gen.random(m) * cdf[-1], cdf, g)
    return np.floor(y + 0.5) if T > 0 else y
