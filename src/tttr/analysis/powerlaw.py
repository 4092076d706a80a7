"""Power-law and truncated power-law fits of ON/OFF dwell durations (science.md §5).

Durations of blinking states are run lengths of trace bins, ``t = k·T`` with ``k ≥ 1`` an
integer and ``T`` the bin width, so the natural model is a *discrete* power law on the
integers ``k ≥ k_min``. Every fit here is a maximum-likelihood fit; least squares on a
log-log histogram (biased, and without a valid error bar) is used nowhere.

Contents
--------
fit_power_law
    α of ``P(t) ∝ t^(−α)`` for ``t ≥ t_min`` (discrete zeta likelihood, or the continuous
    closed form with ``t_min`` shifted by ``T/2``), Fisher or bootstrap error, KS distance,
    automatic ``t_min`` by the KS criterion.
fit_truncated_power_law
    α and τ_c of ``P(t) ∝ t^(−α)·exp(−t/τ_c)`` and the likelihood-ratio test against the pure
    power law.
kuno_nesbitt_density, log_binned_density
    Densities (1/s) for plots, with the fitted curves :func:`power_law_pdf` and
    :func:`truncated_power_law_pdf` overlaid.
random_power_law_durations
    Exact samples from the same models, for simulations and tests.

A larger α means *fewer* long events.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

from .. import defaults
from ..errors import AnalysisError
from ..results import Result

__all__ = [
    "PowerLawFit",
    "TruncatedPowerLawFit",
    "DurationDensity",
    "fit_power_law",
    "fit_truncated_power_law",
    "kuno_nesbitt_density",
    "log_binned_density",
    "power_law_pdf",
    "truncated_power_law_pdf",
    "random_power_law_durations",
]

METHODS = ("discrete", "continuous")

#: Search interval of α for the pure power law (normalisable only for α > 1).
ALPHA_BOUNDS = (1.0 + 1e-6, 6.0)
#: Search box of the truncated power law: α, and ln(τ_c / T) (τ_c from T/50 to 1e15·T).
TRUNC_ALPHA_BOUNDS = (-1.0, 6.0)
TRUNC_LOG_TAU_BOUNDS = (math.log(0.02), math.log(1e15))
#: ``t_min="auto"`` only considers values with at least this many durations at or above them.
AUTO_MIN_TAIL = 10
#: Fewer durations than this above t_min give a NaN fit with a warning.
MIN_N = 2

# Direct terms of the discrete normalising sum before the Euler–Maclaurin tail takes over.
_N_HEAD = 1024
_GL_X, _GL_W = np.polynomial.legendre.leggauss(16)
_GLAG_X, _GLAG_W = np.polynomial.laguerre.laggauss(40)


# ----------------------------------------------------------------------------- results
@dataclass(frozen=True, repr=False)
class PowerLawFit(Result):
    """Maximum-likelihood fit of ``P(t) ∝ t^(−α)``, ``t ≥ t_min``.

    Attributes
    ----------
    alpha : float
        The exponent α (dimensionless). NaN when the fit was impossible (see ``warning``).
    alpha_err : float
        Standard error of α: Fisher information, or the bootstrap spread when ``n_bootstrap > 0``.
    t_min_s : float
        Smallest duration included, in seconds (a whole number of bins for binned data).
    n : int
        Durations ``≥ t_min`` used in the fit.
    n_total : int
        Durations given.
    ks_distance : float
        Kolmogorov–Smirnov distance between the empirical CDF of the durations used and the
        fitted CDF (on the integer support ``k ≥ k_min`` for binned data).
    log_likelihood : float
        Maximised log-likelihood. Discrete: the log-probability of the bin counts ``k``.
        Continuous: the log-density of ``t/T`` (bin units, so comparable with the discrete
        value); with ``bin_width_s = 0``, of ``t`` in seconds.
    method : str
        ``"discrete"`` or ``"continuous"``.
    bin_width_s : float
        The trace bin width ``T`` the durations are multiples of (0: unbinned data).
    error_method : str
        ``"fisher"`` or ``"bootstrap"``.
    n_bootstrap : int
        Bootstrap resamples (0 if the Fisher error is reported).
    t_min_selection : str
        ``"default"`` (``POWERLAW_TMIN_BINS`` bins), ``"fixed"`` (given) or ``"auto"`` (minimum KS distance).
    warning : str or None
        Why values are NaN or doubtful (too few durations, α at the search bound, ...).
    p_value : float
        Goodness of fit: fraction of semi-parametric bootstrap data sets (drawn from the fit,
        analysed the same way, ``t_min`` search included) whose KS distance is at least
        ``ks_distance``. Small (< 0.1): the power law is ruled out. NaN if not computed.
    gof_draws : int
        Bootstrap data sets behind ``p_value`` (0: not computed).
    t_min_floor_s : float
        Smallest ``t_min`` the automatic search considered (NaN unless ``"auto"``).
    n_candidates : int
        ``t_min`` values the automatic search compared (0 unless ``"auto"``).
    """

    alpha: float
    alpha_err: float
    t_min_s: float
    n: int
    n_total: int
    ks_distance: float
    log_likelihood: float
    method: str
    bin_width_s: float
    error_method: str = "fisher"
    n_bootstrap: int = 0
    t_min_selection: str = "default"
    warning: str | None = None
    p_value: float = float("nan")
    gof_draws: int = 0
    t_min_floor_s: float = float("nan")
    n_candidates: int = 0

    def pdf(self, t_s) -> np.ndarray:
        """The fitted density (1/s) at ``t_s``, for overlays on :func:`kuno_nesbitt_density`."""
        return power_law_pdf(t_s, self.alpha, self.t_min_s, bin_width_s=self.bin_width_s, method=self.method)


@dataclass(frozen=True, repr=False)
class TruncatedPowerLawFit(Result):
    """Maximum-likelihood fit of ``P(t) ∝ t^(−α)·exp(−t/τ_c)``, ``t ≥ t_min``, with the test
    against a pure power law.

    Attributes
    ----------
    alpha, alpha_err : float
        Exponent and its standard error: the spread of α over bootstrap resamples that repeat
        the whole fit, ``t_min`` search included (``error_method = "bootstrap"``), or the
        inverse Hessian of the log-likelihood (``"hessian"``, when no bootstrap was asked for
        or fewer than ``TRUNCATED_ERROR_MIN_DRAWS`` resamples finished in time).
    tau_c_s, tau_c_err_s : float
        Cut-off time in seconds and its standard error (delta method from the error of ln τ_c,
        the fitted parameter). ``tau_c_s = inf`` when the likelihood is largest at τ_c → ∞.
    log_tau_c_err : float
        Standard error of ln τ_c (more symmetric than ``tau_c_err_s``).
    corr_alpha_log_tau_c : float
        Correlation of the estimates of α and ln τ_c.
    t_min_s : float
    n, n_total : int
    log_likelihood : float
        Maximised log-likelihood (same convention as :attr:`PowerLawFit.log_likelihood`).
    lr_statistic : float
        ``2·(ℓ_truncated − ℓ_power_law)`` (≥ 0).
    p_value : float
        ``P(χ²₁ > lr_statistic)``: conservative, see the Notes of :func:`fit_truncated_power_law`.
    preferred : str
        ``"truncated"`` if ``p_value < significance``, else ``"power_law"``.
    significance : float
    power_law : PowerLawFit
        The pure power-law fit on the same durations and ``t_min``.
    method : str
    bin_width_s : float
    warning : str or None
    ks_distance : float
        KS distance between the durations ``≥ t_min`` and the fitted truncated law (on the
        integers for binned data); the pure law's when ``tau_c_s = inf``.
    gof_p_value : float
        Goodness of fit of the truncated law by the semi-parametric bootstrap (as
        :attr:`PowerLawFit.p_value`). ``p_value`` above is the likelihood-ratio test against the
        pure law, a different question. NaN if not computed.
    gof_draws : int
    t_min_selection : str
        ``"default"``, ``"fixed"`` or ``"auto"`` (minimum KS distance of the truncated fit).
    n_candidates : int
    error_method : str
        ``"bootstrap"`` or ``"hessian"``: where ``alpha_err`` comes from.
    n_bootstrap : int
        Bootstrap resamples behind ``alpha_err`` (0 for the Hessian error).
    """

    alpha: float
    alpha_err: float
    tau_c_s: float
    tau_c_err_s: float
    log_tau_c_err: float
    corr_alpha_log_tau_c: float
    t_min_s: float
    n: int
    n_total: int
    log_likelihood: float
    lr_statistic: float
    p_value: float
    preferred: str
    significance: float
    power_law: PowerLawFit
    method: str
    bin_width_s: float
    warning: str | None = None
    ks_distance: float = float("nan")
    gof_p_value: float = float("nan")
    gof_draws: int = 0
    t_min_selection: str = "default"
    n_candidates: int = 0
    error_method: str = "hessian"
    n_bootstrap: int = 0

    def pdf(self, t_s) -> np.ndarray:
        """The fitted density (1/s) at ``t_s``."""
        return truncated_power_law_pdf(t_s, self.alpha, self.tau_c_s, self.t_min_s,
                                       bin_width_s=self.bin_width_s, method=self.method)


@dataclass(frozen=True, repr=False)
class DurationDensity(Result):
    """A probability density of durations for plotting (unpacks as ``t_s, density_per_s``).

    Attributes
    ----------
    t_s : (m,) float
        Abscissae in seconds (the distinct durations, or the log-bin centres).
    density_per_s : (m,) float
        Probability density in 1/s.
    width_s : (m,) float
        The width each density value refers to: ``Σ density_per_s·width_s = 1``.
    counts : (m,) int
        Durations at each ``t_s`` (in each bin).
    n_total : int
    normalisation : str
        ``"kuno_nesbitt"`` or ``"log_binned"``.
    """

    t_s: np.ndarray
    density_per_s: np.ndarray
    width_s: np.ndarray
    counts: np.ndarray
    n_total: int
    normalisation: str

    def __iter__(self):
        return iter((self.t_s, self.density_per_s))


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


class _Tail:
    """Sufficient statistics of the durations at or above each candidate x_min (x sorted ascending)."""

    def __init__(self, x: np.ndarray):
        self.u, self.first, counts = np.unique(x, return_index=True, return_counts=True)
        logs = np.log(x)
        self.n_ge = x.size - self.first            # durations ≥ u[j]
        self.log_ge = np.cumsum(logs[::-1])[::-1][self.first]  # Σ ln x over x ≥ u[j]
        self.counts = counts


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


def _candidates(tail: _Tail, floor: float, max_candidates: int) -> np.ndarray:
    """Indices (into ``tail.u``) of the ``t_min`` candidates of the automatic search.

    Every distinct duration ``≥ floor`` with at least ``AUTO_MIN_TAIL`` durations at or above
    it; when there are more than ``max_candidates``, the first distinct duration at or above
    each point of a geometric grid of ``max_candidates`` points spanning them (a constant
    relative resolution in ``t_min``; all values where the grid step is below one bin)."""
    ok = np.flatnonzero((tail.u >= floor * (1.0 - 1e-12)) & (tail.n_ge >= AUTO_MIN_TAIL))
    if ok.size <= max_candidates:
        return ok
    uo = tail.u[ok]
    grid = np.geomspace(uo[0], uo[-1], int(max_candidates))
    pos = np.unique(np.searchsorted(uo, grid * (1.0 - 1e-12), side="left"))
    return ok[pos[pos < ok.size]]


def _scan_discrete(tail: _Tail, cand: np.ndarray):
    """α and KS distance of the discrete power law at every candidate k_min, vectorised.

    A (candidates × distinct values) matrix of Hurwitz zeta values gives every model CDF at
    once; entries below each row's k_min are masked out."""
    n = tail.n_ge[cand].astype(np.float64)
    kmin = tail.u[cand]
    a = _mle_discrete_many(n, tail.log_ge[cand], kmin)
    j0 = int(cand.min())
    u = tail.u[j0:]
    cnt = tail.counts[j0:].astype(np.float64)
    cumc = np.cumsum(cnt)
    before_c = cumc[cand - j0] - cnt[cand - j0]          # durations below each k_min (from j0 on)
    A = a[:, None]
    z0 = special.zeta(a, kmin)[:, None]
    ge = special.zeta(A, u[None, :]) / z0                # P(K ≥ u)
    at = 1.0 - ge + u[None, :] ** (-A) / z0              # P(K ≤ u)
    ecdf = (cumc[None, :] - before_c[:, None]) / n[:, None]
    ecdf_before = ecdf - cnt[None, :] / n[:, None]
    dist = np.maximum(np.abs(ecdf - at), np.abs(ecdf_before - (1.0 - ge)))
    dist = np.where(u[None, :] >= kmin[:, None], dist, 0.0)
    return a, dist.max(axis=1)


def _scan(x: np.ndarray, tail: _Tail, cand: np.ndarray, method: str, T: float):
    """α and KS distance at every candidate t_min (bin units)."""
    if method == "discrete":
        return _scan_discrete(tail, cand)
    res = [_fit_at(x, int(j), tail, method, T, float(tail.u[j])) for j in cand]
    return np.array([r[0] for r in res]), np.array([r[2] for r in res])


def _sample_tail(m: int, alpha: float, x_min: float, method: str, T: float, gen) -> np.ndarray:
    """``m`` draws (bin units) from the fitted pure law: the model each likelihood assumes."""
    if method == "discrete":
        return _sample_discrete_pl(m, alpha, x_min, gen)
    x0 = x_min - 0.5 if T > 0 else x_min
    y = x0 * (1.0 - gen.random(m)) ** (-1.0 / (alpha - 1.0))
    return np.floor(y + 0.5) if T > 0 else y  # binned: bin k stands for [k − ½, k + ½)


def _semi_parametric(x: np.ndarray, x_min: float, draw_tail, auto: bool, gen) -> np.ndarray:
    """One synthetic data set (Clauset et al. 2009, §4.1): with probability n_tail/n a draw from
    the fitted law, otherwise a duration resampled from those below ``x_min``; with a fixed
    ``t_min``, n_tail draws from the fitted law only."""
    below = x[x < x_min]
    n_tail = x.size - below.size
    if not auto or below.size == 0:
        return np.sort(draw_tail(n_tail if not auto else x.size))
    m = int(gen.binomial(x.size, n_tail / x.size))
    return np.sort(np.concatenate((draw_tail(m), below[gen.integers(0, below.size, x.size - m)])))


def _p_value(ks_synthetic: np.ndarray, ks_observed: float) -> tuple[float, int]:
    ok = np.isfinite(ks_synthetic)
    if not ok.any():
        return float("nan"), 0
    return float(np.mean(ks_synthetic[ok] >= ks_observed)), int(ok.sum())


def _gof_pure(x, x_min, alpha, ks_obs, method, T, draws, gen, floor, max_candidates):
    """Semi-parametric bootstrap p-value of the pure law; ``floor`` None: t_min held fixed."""
    auto = floor is not None
    out = np.full(int(draws), np.nan)
    for b in range(out.size):
        syn = _semi_parametric(x, x_min, lambda m: _sample_tail(m, alpha, x_min, method, T, gen), auto, gen)
        tl = _Tail(syn)
        if auto:
            cand = _candidates(tl, floor, max_candidates)
            if cand.size:
                ks = _scan(syn, tl, cand, method, T)[1]
                out[b] = np.nanmin(ks) if np.any(np.isfinite(ks)) else np.nan
        elif syn.size >= MIN_N:
            out[b] = _fit_at(syn, 0, tl, method, T, x_min)[2]
    return _p_value(out, ks_obs)


def _nan_power_law(T, t_min_s, n, n_total, method, selection, warning, n_bootstrap=0, floor_s=float("nan"),
                   n_candidates=0):
    nan = float("nan")
    return PowerLawFit(nan, nan, t_min_s, int(n), int(n_total), nan, nan, method, T,
                       "bootstrap" if n_bootstrap else "fisher", int(n_bootstrap), selection, warning,
                       nan, 0, float(floor_s), int(n_candidates))


def _too_few_for_auto(x: np.ndarray, floor: float, unit: float) -> str:
    return (f"t_min='auto' needs at least {AUTO_MIN_TAIL} durations at or above {floor * unit:g} s; "
            f"got {int(np.sum(x >= floor))}")


def _floor(t_min_floor_s, T: float, x: np.ndarray) -> float:
    """Smallest candidate of the automatic t_min search, in bin units (seconds if unbinned)."""
    if t_min_floor_s is None:
        return _x_min(None, T, x)[0] if x.size else 1.0
    return _x_min(t_min_floor_s, T, x)[0]


def fit_power_law(durations_s, *, bin_width_s: float, t_min_s=None, method: str = "discrete",
                  bootstrap: int = 0, rng=None, t_min_floor_s=None,
                  max_candidates: int = defaults.POWERLAW_TMIN_CANDIDATES, gof_draws: int = 0) -> PowerLawFit:
    """Maximum-likelihood exponent of a power law ``P(t) ∝ t^(−α)``, ``t ≥ t_min``.

    Parameters
    ----------
    durations_s : (n,) float
        ON or OFF dwell durations in seconds, whole multiples ``k·T`` of the bin width.
    bin_width_s : float
        The trace bin width ``T`` in seconds. With ``method="continuous"``, 0 declares unbinned
        (truly continuous) durations.
    t_min_s : float, None or "auto"
        Smallest duration included, in seconds; rounded up to a whole number of bins. None:
        ``defaults.POWERLAW_TMIN_BINS`` bins (every resolved duration). ``"auto"``: the value
        that minimises the KS distance (Clauset et al. 2009), see Notes.
    method : {"discrete", "continuous"}
        Likelihood, see Notes. Default ``"discrete"``.
    bootstrap : int
        If > 0, ``alpha_err`` is the standard deviation of α over this many nonparametric
        bootstrap resamples (see Notes) instead of the Fisher error.
    rng : int or numpy.random.Generator, optional
        Seed or generator for the bootstraps.
    t_min_floor_s : float, optional
        ``t_min="auto"`` only: the smallest candidate (default ``POWERLAW_TMIN_BINS`` bins, or
        the shortest duration for unbinned data).
    max_candidates : int
        ``t_min="auto"`` only: at most this many candidates, geometrically spaced (default
        ``defaults.POWERLAW_TMIN_CANDIDATES``).
    gof_draws : int
        If > 0, the goodness-of-fit ``p_value`` from this many semi-parametric bootstrap data
        sets (Notes).

    Returns
    -------
    PowerLawFit
        With NaN values and a ``warning`` (never an exception) when fewer than 2 durations are
        at or above ``t_min``.

    Raises
    ------
    AnalysisError (a ValueError)
        Durations that are not positive and finite, or (binned data) not whole multiples of
        ``bin_width_s``; an unknown ``method``.

    Notes
    -----
    *Discrete* (default). With ``k = t/T`` the model is ``P(k) = k^(−α)/ζ(α, k_min)``,
    ``k ≥ k_min``, with ``ζ`` the Hurwitz zeta function (``scipy.special.zeta(α, k_min)``). The
    log-likelihood ``ℓ(α) = −α Σ ln k − n ln ζ(α, k_min)`` is concave and is maximised
    numerically for α in (1, 6) (``minimize_scalar``, bounded). This is exact for
    bin-quantised durations at any ``k_min``.

    *Continuous*. The closed form ``α = 1 + n / Σ ln(t/(t_min − T/2))`` (Clauset et al. 2009,
    eq. 3.7): the continuous MLE with ``t_min`` shifted by half a bin, so that bin ``k``
    stands for ``[k − ½, k + ½)·T``. It is an approximation that is biased low when ``t_min``
    is only a few bins: asymptotically α = 2 is estimated as 1.79 at ``t_min = T`` and 1.996
    at ``t_min = 6T`` (α = 1.5: 1.455 and 1.499); see docs/powerlaw.md. Use it with
    ``t_min ≳ 6T`` or for unbinned data (``bin_width_s = 0``, no shift).

    *Standard error*. Fisher: ``1/√(n·d²ln ζ/dα²)`` with the second derivative taken
    numerically (for this one-parameter exponential family the observed and the expected
    information coincide); continuous: ``(α − 1)/√n``. Bootstrap (``bootstrap=N``) with a
    given ``t_min``: resample the ``n`` durations at or above ``t_min`` with replacement and
    refit. With ``t_min="auto"``: resample all ``n_total`` durations and repeat the whole
    procedure, search included (Clauset et al. 2009, §3.5), so the error includes the
    uncertainty of the chosen ``t_min``; the Fisher error at the chosen ``t_min`` does not
    and is too small (docs/validation_estimators.md). The tests check that the Fisher error
    matches the spread of α over repeated simulations at a fixed ``t_min``.

    *Goodness of fit*. ``ks_distance = max |F_n − F|``. For binned data both CDFs are
    evaluated on the integers ``k ≥ k_min`` (the continuous fit by integrating its density
    over each bin), which avoids the spurious distance a continuous CDF has against ties.

    *Automatic t_min* (Clauset et al. 2009, §3.3). Below its true onset a dwell distribution
    is flatter than the power law, and including it drags α down; the onset is estimated as
    the candidate whose fit has the smallest KS distance. Candidates: the distinct durations
    ``≥ t_min_floor_s`` with at least ``AUTO_MIN_TAIL`` (10) durations at or above them,
    thinned to ``max_candidates`` geometrically spaced values (a bounded search, ≈ 12 %
    relative resolution for 40 candidates over three decades). The discrete scan is one
    vectorised matrix of zeta values (no loop over candidates).

    *p-value* (Clauset et al. 2009, §4.1). Each of ``gof_draws`` synthetic data sets of the
    same size takes, with probability ``n/n_total``, a draw from the fitted law above
    ``t_min`` and otherwise one of the observed durations below ``t_min`` (resampled); it is
    analysed exactly like the data (with ``"auto"``, the ``t_min`` search included) and its
    KS distance recorded. ``p_value`` is the fraction of synthetic distances ``≥`` the
    observed one; its own standard error is ``√(p(1−p)/gof_draws)`` (≈ 0.02 at p = 0.1 and
    200 draws). With a fixed ``t_min`` the draws are all from the fitted law. Cost: one scan
    per draw, about 2 ms for a few hundred dwells on 40 candidates.

    A larger α means fewer long events.

    References
    ----------
    A. Clauset, C. R. Shalizi, M. E. J. Newman, "Power-law distributions in empirical data",
    SIAM Review 51, 661 (2009).

    Examples
    --------
    >>> t = random_power_law_durations(2000, alpha=1.6, t_min_s=0.01, bin_width_s=0.01, rng=1)
    >>> fit = fit_power_law(t, bin_width_s=0.01)
    >>> abs(fit.alpha - 1.6) < 4 * fit.alpha_err
    True
    """
    method = _method(method)
    T = _bin_width(bin_width_s, method)
    t = _durations(durations_s)
    bootstrap = int(bootstrap)
    if bootstrap < 0:
        raise AnalysisError(f"bootstrap must be ≥ 0; got {bootstrap}")
    gof_draws = int(gof_draws)
    if gof_draws < 0:
        raise AnalysisError(f"gof_draws must be ≥ 0; got {gof_draws}")
    if int(max_candidates) < 1:
        raise AnalysisError(f"max_candidates must be ≥ 1; got {max_candidates}")
    x = np.sort(_to_bins(t, T))
    n_total = x.size
    unit = T if T > 0 else 1.0
    auto = isinstance(t_min_s, str)
    if auto and t_min_s != "auto":
        raise AnalysisError(f"t_min_s must be seconds, None or 'auto'; got {t_min_s!r}")
    tail = _Tail(x) if n_total else None
    floor = _floor(t_min_floor_s, T, x) if auto else float("nan")
    n_cand = 0

    if auto:
        selection = "auto"
        cand = _candidates(tail, floor, max_candidates) if n_total else np.empty(0, int)
        n_cand = int(cand.size)
        if cand.size == 0:
            return _nan_power_law(T, floor * unit, int(np.sum(x >= floor)), n_total, method, selection,
                                  _too_few_for_auto(x, floor, unit), bootstrap, floor * unit)
        ks = _scan(x, tail, cand, method, T)[1]
        ks = np.where(np.isfinite(ks), ks, np.inf)
        x_min = float(tail.u[cand[int(np.argmin(ks))]])
    else:
        x_min, selection = _x_min(t_min_s, T, x)

    t_min_out = x_min * unit
    floor_out = floor * unit
    if n_total == 0:
        return _nan_power_law(T, t_min_out, 0, 0, method, selection, "no durations", bootstrap, floor_out, n_cand)
    j = int(np.searchsorted(tail.u, x_min, side="left"))
    a, ll, ks, n = _fit_at(x, j, tail, method, T, x_min)
    if n < MIN_N:
        return _nan_power_law(T, t_min_out, n, n_total, method, selection,
                              f"{n} duration(s) at or above t_min = {t_min_out:g} s; need at least {MIN_N}",
                              bootstrap, floor_out, n_cand)
    warning = None
    if not math.isfinite(a):
        return _nan_power_law(T, t_min_out, n, n_total, method, selection,
                              "all durations equal t_min: α is unbounded", bootstrap, floor_out, n_cand)
    if method == "discrete" and (a - ALPHA_BOUNDS[0] < 1e-4 or ALPHA_BOUNDS[1] - a < 1e-4):
        warning = f"α at the bound of its search interval {ALPHA_BOUNDS}: not a power law in this range"
        err = float("nan")
    elif method == "discrete":
        err = _fisher_discrete(a, n, x_min)
    else:
        err = (a - 1.0) / math.sqrt(n)

    gen = _rng(rng)
    if bootstrap and auto:  # the whole procedure, t_min search included (Clauset et al. §3.5)
        boot = np.full(bootstrap, np.nan)
        for b in range(bootstrap):
            xb = np.sort(x[gen.integers(0, n_total, n_total)])
            tb = _Tail(xb)
            cb = _candidates(tb, floor, max_candidates)
            if cb.size:
                ab, kb = _scan(xb, tb, cb, method, T)
                kb = np.where(np.isfinite(kb), kb, np.inf)
                boot[b] = ab[int(np.argmin(kb))]
        ok = np.isfinite(boot)
        err = float(np.std(boot[ok], ddof=1)) if ok.sum() > 1 else float("nan")
    elif bootstrap:
        logs = np.log(x[x >= x_min])
        rows = max(1, 1_000_000 // n)  # resamples per block: ≤ 1e6 indices in memory
        sums = np.concatenate([logs[gen.integers(0, n, size=(min(rows, bootstrap - i), n))].sum(axis=1)
                               for i in range(0, bootstrap, rows)])
        if method == "discrete":
            boot = _mle_discrete_many(np.full(sums.size, n), sums, np.full(sums.size, x_min))
        else:
            xm = x_min - 0.5 if T > 0 else x_min
            boot = 1.0 + n / (sums - n * math.log(xm))
        err = float(np.std(boot, ddof=1)) if bootstrap > 1 else float("nan")

    p, used = float("nan"), 0
    if gof_draws and warning is None:
        p, used = _gof_pure(x, x_min, a, ks, method, T, gof_draws, gen, floor if auto else None, max_candidates)

    return PowerLawFit(float(a), float(err), float(t_min_out), int(n), int(n_total), float(ks), float(ll), method, T,
                       "bootstrap" if bootstrap else "fisher", bootstrap, selection, warning, p, used,
                       float(floor_out), n_cand)


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


def _trunc_scan(x: np.ndarray, tail: _Tail, cand: np.ndarray, method: str, T: float) -> np.ndarray:
    """KS distance of the truncated fit at each candidate ``t_min`` (bin units)."""
    if method == "discrete":
        a_pl = _mle_discrete_many(tail.n_ge[cand], tail.log_ge[cand], tail.u[cand])
    out = np.full(cand.size, np.inf)
    for i, j in enumerate(cand):
        xm = float(tail.u[j])
        xs = x[x.size - int(tail.n_ge[j]):]
        if method == "discrete":
            a0 = float(a_pl[i])
            l0 = _ll_discrete(a0, xs.size, float(tail.log_ge[j]), xm)
        else:
            a0, l0 = _fit_at(x, int(j), tail, method, T, xm)[:2]
        if not (math.isfinite(a0) and math.isfinite(l0)):
            continue
        a, lam = _trunc_or_pure(xs, xm, a0, l0, method, T, n_starts=1)[:2]
        out[i] = _trunc_ks(xs, xm, a, lam, method, T)
    return out


def _trunc_alpha_at(x: np.ndarray, tail: _Tail, j: int, method: str, T: float) -> float:
    """α of the truncated law (or of the pure law when τ_c → ∞) fitted at candidate ``j``."""
    xm = float(tail.u[j])
    xs = x[x.size - int(tail.n_ge[j]):]
    a0, l0 = _fit_at(x, int(j), tail, method, T, xm)[:2]
    if not (math.isfinite(a0) and math.isfinite(l0)):
        return float("nan")
    return float(_trunc_or_pure(xs, xm, a0, l0, method, T, n_starts=1)[0])


def _trunc_bootstrap(x: np.ndarray, x_min: float, method: str, T: float, draws: int, budget_s: float, gen,
                     floor, max_candidates: int) -> np.ndarray:
    """α over nonparametric resamples of all durations, each refitted by the whole procedure
    (``floor`` not None: the t_min search repeated); stops when ``budget_s`` is spent."""
    out = []
    start = time.perf_counter()
    for _ in range(int(draws)):
        if time.perf_counter() - start > budget_s:
            break
        xb = np.sort(x[gen.integers(0, x.size, x.size)])
        tb = _Tail(xb)
        if floor is not None:
            cb = _candidates(tb, floor, max_candidates)
            if cb.size == 0:
                out.append(np.nan)
                continue
            ks = _trunc_scan(xb, tb, cb, method, T)
            if not np.isfinite(ks).any():
                out.append(np.nan)
                continue
            j = int(cb[int(np.argmin(ks))])
        else:
            j = int(np.searchsorted(tb.u, x_min, side="left"))
            if j >= tb.u.size or int(tb.n_ge[j]) < MIN_N:
                out.append(np.nan)
                continue
        out.append(_trunc_alpha_at(xb, tb, j, method, T))
    return np.asarray(out, dtype=np.float64)


def _gof_truncated(x, x_min, alpha, lam, ks_obs, method, T, draws, gen, floor, max_candidates):
    """Semi-parametric bootstrap p-value of the truncated law (``floor`` None: t_min fixed)."""
    auto = floor is not None
    out = np.full(int(draws), np.nan)
    probe = _sample_trunc(1, alpha, lam, x_min, method, T, gen)
    if probe is None:
        return float("nan"), 0
    for b in range(out.size):
        syn = _semi_parametric(x, x_min, lambda m: _sample_trunc(m, alpha, lam, x_min, method, T, gen), auto, gen)
        tl = _Tail(syn)
        cand = _candidates(tl, floor, max_candidates) if auto else \
            np.array([int(np.searchsorted(tl.u, x_min))]) if syn.size >= MIN_N else np.empty(0, int)
        if cand.size:
            if not auto:  # the candidate is x_min itself, whether or not a draw equals it
                a0, l0 = _fit_at(syn, 0, tl, method, T, x_min)[:2]
                if math.isfinite(a0) and math.isfinite(l0):
                    a, la = _trunc_or_pure(syn, x_min, a0, l0, method, T, n_starts=1)[:2]
                    out[b] = _trunc_ks(syn, x_min, a, la, method, T)
            else:
                ks = _trunc_scan(syn, tl, cand, method, T)
                out[b] = ks.min() if np.isfinite(ks).any() else np.nan
    return _p_value(out, ks_obs)


def fit_truncated_power_law(durations_s, *, bin_width_s: float, t_min_s=None, method: str = "discrete",
                            significance: float = 0.05, t_min_floor_s=None,
                            max_candidates: int = defaults.TRUNCATED_TMIN_CANDIDATES, gof_draws: int = 0,
                            rng=None, error_draws: int = defaults.TRUNCATED_ERROR_DRAWS,
                            error_budget_s: float = defaults.TRUNCATED_ERROR_BUDGET_S) -> TruncatedPowerLawFit:
    """Maximum-likelihood fit of ``P(t) ∝ t^(−α)·exp(−t/τ_c)``, ``t ≥ t_min``, tested against a
    pure power law.

    Parameters
    ----------
    durations_s : (n,) float
        Dwell durations in seconds, whole multiples of ``bin_width_s``.
    bin_width_s : float
        Trace bin width ``T`` in seconds (0 with ``method="continuous"``: unbinned data).
    t_min_s : float, None or "auto"
        As in :func:`fit_power_law`; ``"auto"``: the candidate at which the *truncated* fit
        has the smallest KS distance (see Notes).
    method : {"discrete", "continuous"}
        Default ``"discrete"``, see Notes.
    significance : float
        Level of the likelihood-ratio test that sets ``preferred``.
    t_min_floor_s, max_candidates : optional
        The automatic search, as in :func:`fit_power_law` (default
        ``defaults.TRUNCATED_TMIN_CANDIDATES`` candidates: each needs a two-parameter fit).
    gof_draws : int
        If > 0, ``gof_p_value`` from this many semi-parametric bootstrap data sets.
    rng : int or numpy.random.Generator, optional
    error_draws : int
        Bootstrap resamples behind ``alpha_err`` (default ``defaults.TRUNCATED_ERROR_DRAWS``;
        0: the inverse-Hessian error).
    error_budget_s : float
        Wall-clock bound of that bootstrap (default ``defaults.TRUNCATED_ERROR_BUDGET_S``): the
        resamples finished by then are used, the Hessian error if fewer than
        ``defaults.TRUNCATED_ERROR_MIN_DRAWS``.

    Returns
    -------
    TruncatedPowerLawFit
        NaN values and a ``warning`` when fewer than 2 durations are at or above ``t_min``.

    Notes
    -----
    *Normalisation* on ``[t_min, ∞)``. Discrete (default, exact for bin-quantised data):
    ``P(k) = k^(−α) e^(−λk) / Z``, ``λ = T/τ_c``, ``Z = Σ_{k≥k_min} k^(−α) e^(−λk)``: 1024
    terms summed directly and, when λ < 36/1024, the remainder by Euler–Maclaurin with the
    integral ``∫ x^(−α) e^(−λx) dx`` done by Gauss–Legendre quadrature in ``ln x`` up to
    ``x = 4/λ`` and Gauss–Laguerre beyond (relative accuracy ~1e-12 for any λ, also when τ_c
    is 10¹⁵ bins and a direct sum would need 10¹⁶ terms; tested against direct sums and
    adaptive quadrature). Continuous: the density of ``x = t/T`` on ``[t_min/T − ½, ∞)``
    (the same ``T/2`` shift as :func:`fit_power_law`), normalised by
    ``λ^(α−1)·Γ(1−α, λ·x'_min)`` computed by the same quadrature (scipy has no Γ(s, x) for
    s < 0). Like the pure power law, the continuous form is only accurate for
    ``t_min ≳ 6T`` (at ``t_min = T`` it is strongly biased; see docs/powerlaw.md) or for
    unbinned data (``bin_width_s = 0``).

    *Fit*. The log-likelihood ``ℓ = −α Σ ln k − λ Σ k − n ln Z`` depends on the data only
    through ``Σ ln k`` and ``Σ k``, and its gradient is analytic (``∂ℓ/∂α = n E[ln k] − Σ ln k``,
    ``∂ℓ/∂λ = n E[k] − Σ k``, with the model moments summed like Z). It is maximised over
    ``(α, ln τ_c)`` by SLSQP in the box α ∈ [−1, 6], τ_c ∈ [T/50, 10¹⁵·T] from two
    starting points (the power-law α with τ_c = mean duration, and with τ_c = 10× the
    longest). Standard errors come from the inverse of the Hessian of ℓ in ``(α, ln τ_c)``
    (central differences of the analytic gradient); ``tau_c_err_s = τ_c·σ(ln τ_c)`` (delta
    method; ln τ_c is the better-behaved parameter, its error is reported too).

    *Likelihood-ratio test*. ``LR = 2(ℓ_truncated − ℓ_power_law)`` with the pure power law
    fitted by :func:`fit_power_law` on the same durations and ``t_min``. The power law is the
    limit τ_c → ∞ (1/τ_c = 0), which lies on the *boundary* of the parameter space, so in the
    regular case ``LR`` is asymptotically ``½χ²₀ + ½χ²₁`` rather than ``χ²₁`` and the
    reported ``p = P(χ²₁ > LR)`` is twice the boundary-corrected value: conservative. For
    α < 3 the regularity conditions fail as well (the model variance of k diverges as
    τ_c → ∞): simulations give a false-positive rate at or slightly above the nominal level
    for α ≤ 2 (5.2–6.4 % at p < 0.05) and below it at α = 3.5 (3.2 %); see
    docs/powerlaw.md. If no finite τ_c
    beats the pure power law, τ_c = inf, α and its error are the power law's, LR = 0, and
    p = 1.

    *Automatic t_min and goodness of fit* (Clauset et al. 2009, §3.3 and §4.1, applied to
    this law). Candidates as for the pure law, but at most ``max_candidates``; at each, the
    truncated law (or the pure law when τ_c → ∞) is fitted and its KS distance on the integers
    computed from the cumulative pmf; the smallest distance wins. ``power_law`` is the pure
    fit at the same ``t_min`` (so the LR test compares the two on the same durations).
    ``gof_p_value``: each synthetic data set draws from the fitted truncated law (rejection
    from the pure law for α > 0, inversion on a grid for α ≤ 0) with probability
    ``n/n_total`` and resamples the durations below ``t_min`` otherwise, and repeats the whole
    search. The scans fit from the first start only (one SLSQP run, ~3 ms): one draw with
    8 candidates costs ≈ 30 ms.

    References
    ----------
    A. Clauset, C. R. Shalizi, M. E. J. Newman, SIAM Review 51, 661 (2009), §3.3, §4.1, §5.
    S. G. Self, K.-Y. Liang, J. Am. Stat. Assoc. 82, 605 (1987) (the boundary case).
    """
    method = _method(method)
    T = _bin_width(bin_width_s, method)
    t = _durations(durations_s)
    significance = float(significance)
    if not 0.0 < significance < 1.0:
        raise AnalysisError(f"significance must be in (0, 1); got {significance!r}")
    gof_draws = int(gof_draws)
    if gof_draws < 0:
        raise AnalysisError(f"gof_draws must be ≥ 0; got {gof_draws}")
    if int(max_candidates) < 1:
        raise AnalysisError(f"max_candidates must be ≥ 1; got {max_candidates}")
    auto = isinstance(t_min_s, str)
    if auto and t_min_s != "auto":
        raise AnalysisError(f"t_min_s must be seconds, None or 'auto'; got {t_min_s!r}")
    unit = T if T > 0 else 1.0
    x_all = np.sort(_to_bins(t, T))
    floor, n_cand = float("nan"), 0
    if auto:
        floor = _floor(t_min_floor_s, T, x_all)
        tail = _Tail(x_all) if x_all.size else None
        cand = _candidates(tail, floor, max_candidates) if x_all.size else np.empty(0, int)
        n_cand = int(cand.size)
        if cand.size == 0:
            nan = float("nan")
            fit = _truncated_at(t, T, floor * unit, method, significance)
            return dataclasses.replace(fit, alpha=nan, alpha_err=nan, tau_c_s=nan, tau_c_err_s=nan, log_tau_c_err=nan,
                                       corr_alpha_log_tau_c=nan, log_likelihood=nan, lr_statistic=nan, p_value=nan,
                                       ks_distance=nan, preferred="power_law", t_min_selection="auto",
                                       warning=_too_few_for_auto(x_all, floor, unit))
        ks = _trunc_scan(x_all, tail, cand, method, T)
        fixed_t = float(tail.u[cand[int(np.argmin(ks))]]) * unit
    else:
        fixed_t = t_min_s
    fit = _truncated_at(t, T, fixed_t, method, significance)
    fit = dataclasses.replace(fit, t_min_selection="auto" if auto else fit.power_law.t_min_selection,
                              n_candidates=n_cand)
    gen = _rng(rng)
    if int(error_draws) > 0 and math.isfinite(fit.alpha) and fit.n >= AUTO_MIN_TAIL:
        x_min = float(round(fit.t_min_s / T)) if T > 0 else fit.t_min_s
        boot = _trunc_bootstrap(x_all, x_min, method, T, int(error_draws), float(error_budget_s), gen,
                                floor if auto else None, max_candidates)
        ok = boot[np.isfinite(boot)]
        if ok.size >= defaults.TRUNCATED_ERROR_MIN_DRAWS:
            fit = dataclasses.replace(fit, alpha_err=float(np.std(ok, ddof=1)), error_method="bootstrap",
                                      n_bootstrap=int(ok.size))
    if gof_draws and math.isfinite(fit.ks_distance):
        x_min = float(round(fit.t_min_s / T)) if T > 0 else fit.t_min_s
        lam = 0.0 if not math.isfinite(fit.tau_c_s) else unit / fit.tau_c_s
        p, used = _gof_truncated(x_all, x_min, fit.alpha, lam, fit.ks_distance, method, T, gof_draws, gen,
                                 floor if auto else None, max_candidates)
        fit = dataclasses.replace(fit, gof_p_value=p, gof_draws=used)
    return fit


def _truncated_at(t: np.ndarray, T: float, t_min_s, method: str, significance: float) -> TruncatedPowerLawFit:
    """The truncated fit, LR test and KS distance at a given (or default) ``t_min``."""
    pl = fit_power_law(t, bin_width_s=T, t_min_s=t_min_s, method=method)
    x_min = float(round(pl.t_min_s / T)) if T > 0 else pl.t_min_s
    nan = float("nan")

    def result(alpha, alpha_err, tau, tau_err, lerr, corr, ll, lr, p, preferred, warning, ks=nan):
        return TruncatedPowerLawFit(float(alpha), float(alpha_err), float(tau), float(tau_err), float(lerr),
                                    float(corr), pl.t_min_s, pl.n, pl.n_total, float(ll), float(lr), float(p),
                                    preferred, significance, pl, method, T, warning, float(ks),
                                    t_min_selection=pl.t_min_selection)

    if pl.n < MIN_N or not math.isfinite(pl.log_likelihood):
        return result(nan, nan, nan, nan, nan, nan, nan, nan, nan, "power_law",
                      pl.warning or f"{pl.n} duration(s) at or above t_min; need at least {MIN_N}")

    x = np.sort(_to_bins(t, T))
    x = x[x >= x_min]
    n = x.size
    a_hat, lam, ll, best, nll, at_bound = _trunc_or_pure(x, x_min, pl.alpha, pl.log_likelihood, method, T)
    if lam == 0.0:
        return result(pl.alpha, pl.alpha_err, math.inf, nan, nan, nan, pl.log_likelihood, 0.0, 1.0, "power_law",
                      "no finite τ_c improves on the pure power law (τ_c → ∞)", pl.ks_distance)

    u_hat = float(best.x[1])
    warning = None
    # Hessian of ℓ = −n·nll by central differences of the analytic gradient
    h = 1e-4
    H = np.empty((2, 2))
    for j in range(2):
        e = np.zeros(2)
        e[j] = h
        H[:, j] = -n * (nll(best.x + e)[1] - nll(best.x - e)[1]) / (2.0 * h)
    H = 0.5 * (H + H.T)
    try:
        cov = np.linalg.inv(-H)
        ok = bool(np.all(np.diag(cov) > 0))
    except np.linalg.LinAlgError:
        ok = False
    if ok and not at_bound:
        a_err, l_err = math.sqrt(cov[0, 0]), math.sqrt(cov[1, 1])
        corr = cov[0, 1] / (a_err * l_err)
    else:
        a_err = l_err = corr = nan
        warning = "fit at the bound of the parameter box; no standard errors" if at_bound else \
            "the Hessian of the log-likelihood is not negative definite; no standard errors"
    tau = T * math.exp(u_hat) if T > 0 else math.exp(u_hat)
    lr = max(0.0, 2.0 * (ll - pl.log_likelihood))
    p = float(stats.chi2.sf(lr, 1))
    ks = _trunc_ks(x, x_min, a_hat, lam, method, T)
    return result(a_hat, a_err, tau, tau * l_err, l_err, corr, ll, lr, p,
                  "truncated" if p < significance else "power_law", warning, ks)


# ------------------------------------------------------------------- density curves
def _pdf_method(bin_width_s, method):
    T = float(bin_width_s)
    if method is None:
        method = "discrete" if T > 0 else "continuous"
    return _bin_width(T, _method(method)), method


def power_law_pdf(t_s, alpha: float, t_min_s: float, *, bin_width_s: float = 0.0,
                  method: str | None = None) -> np.ndarray:
    """Power-law probability density in 1/s (0 below ``t_min``), for overlays.

    Parameters
    ----------
    t_s : array_like
        Durations in seconds.
    alpha, t_min_s : float
    bin_width_s : float
        ``T``; 0 (default) for the continuous law.
    method : {"discrete", "continuous"}, optional
        Default ``"discrete"`` if ``bin_width_s > 0`` else ``"continuous"``.

    Notes
    -----
    Discrete: ``k^(−α)/(ζ(α, k_min)·T)`` with ``k = t/T`` (the probability of bin ``k`` per
    second; a smooth curve through those values between bins). Continuous:
    ``(α−1)/t'·(t/t')^(−α)`` with ``t' = t_min − T/2``.
    """
    T, method = _pdf_method(bin_width_s, method)
    t = np.asarray(t_s, dtype=np.float64)
    if method == "discrete":
        k_min = max(1.0, math.ceil(t_min_s / T - 1e-9))
        k = t / T
        with np.errstate(divide="ignore"):
            out = k ** (-alpha) / (special.zeta(alpha, k_min) * T)
        return np.where(k >= k_min - 1e-9, out, 0.0)
    tp = t_min_s - T / 2.0
    with np.errstate(divide="ignore"):
        out = (alpha - 1.0) / tp * (t / tp) ** (-alpha)
    return np.where(t >= t_min_s * (1 - 1e-12), out, 0.0)


def truncated_power_law_pdf(t_s, alpha: float, tau_c_s: float, t_min_s: float, *, bin_width_s: float = 0.0,
                            method: str | None = None) -> np.ndarray:
    """Truncated power-law density ``∝ t^(−α) exp(−t/τ_c)`` in 1/s on ``[t_min, ∞)``.

    Normalised as in :func:`fit_truncated_power_law` (discrete: per bin divided by ``T``;
    continuous: on ``[t_min − T/2, ∞)``). ``tau_c_s = inf`` gives :func:`power_law_pdf`.
    """
    if not math.isfinite(tau_c_s):
        return power_law_pdf(t_s, alpha, t_min_s, bin_width_s=bin_width_s, method=method)
    T, method = _pdf_method(bin_width_s, method)
    unit = T if T > 0 else 1.0
    t = np.asarray(t_s, dtype=np.float64)
    x = t / unit
    lam = unit / tau_c_s
    if method == "discrete":
        x_min = max(1.0, math.ceil(t_min_s / T - 1e-9))
        Z = _discrete_norm(alpha, lam, x_min)
    else:
        x_min = t_min_s / unit - (0.5 if T > 0 else 0.0)
        Z = _tail_integral(x_min, alpha, lam)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        out = np.exp(-alpha * np.log(x) - lam * x) / (Z * unit)
    lower = x_min if method == "discrete" else t_min_s / unit
    return np.where(x >= lower * (1 - 1e-12), out, 0.0)


def kuno_nesbitt_density(durations_s, *, bin_width_s: float) -> DurationDensity:
    """Probability density of durations with the Kuno/Nesbitt weighting (for log-log plots).

    Parameters
    ----------
    durations_s : (n,) float
        Durations in seconds (positive).
    bin_width_s : float
        Trace bin width ``T``; the spacing used when there is a single distinct duration.

    Returns
    -------
    DurationDensity
        Unpacks as ``t_s, density_per_s``: the distinct durations ``t_i`` (ascending) and
        ``P(t_i) = N(t_i) / (Δt_i · N_total)``.

    Notes
    -----
    ``Δt_i`` is the mean distance to the neighbouring distinct durations:
    ``(t_{i+1} − t_{i−1})/2`` inside, ``t_1 − t_0`` for the shortest and ``t_m − t_{m−1}``
    for the longest (their only neighbour), ``T`` if there is a single distinct duration.
    Where every bin is occupied, ``Δt = T`` and P is counts per bin per second; in the sparse
    tail (most ``N = 1``) the growing spacing keeps P an unbiased density. Since each point
    carries ``N(t_i)/N_total`` over the width ``Δt_i``, ``Σ P·Δt = 1`` exactly.

    References
    ----------
    M. Kuno, D. P. Fromm, H. F. Hamann, A. Gallagher, D. J. Nesbitt, J. Chem. Phys. 115,
    1028 (2001).
    """
    t = _durations(durations_s)
    T = float(bin_width_s)
    if not T > 0:
        raise AnalysisError(f"bin_width_s must be > 0; got {bin_width_s!r}")
    u, c = np.unique(t, return_counts=True)
    if u.size == 0:
        e = np.empty(0)
        return DurationDensity(e, e, e, np.empty(0, np.int64), 0, "kuno_nesbitt")
    if u.size == 1:
        dt = np.array([T])
    else:
        gaps = np.diff(u)
        dt = np.empty(u.size)
        dt[0], dt[-1] = gaps[0], gaps[-1]
        dt[1:-1] = 0.5 * (gaps[:-1] + gaps[1:])
    return DurationDensity(u, c / (dt * t.size), dt, c.astype(np.int64), int(t.size), "kuno_nesbitt")


def log_binned_density(durations_s, *, bins_per_decade: int = 10, bin_width_s: float | None = None) -> DurationDensity:
    """Probability density of durations in logarithmically spaced bins (1/s).

    Parameters
    ----------
    durations_s : (n,) float
    bins_per_decade : int
    bin_width_s : float, optional
        For bin-quantised durations: bin edges are moved to half-integer multiples of ``T``
        and a log bin's width is (number of whole bins it holds)·T, so narrow log bins at
        short times are neither empty nor over-weighted; log bins holding no whole bin merge
        into the next.

    Returns
    -------
    DurationDensity
        ``t_s`` the geometric bin centres (binned: of the first and last whole bin held),
        ``density_per_s = counts / (width_s · N_total)``; empty bins are left out.
    """
    t = _durations(durations_s)
    bpd = int(bins_per_decade)
    if bpd < 1:
        raise AnalysisError(f"bins_per_decade must be ≥ 1; got {bins_per_decade!r}")
    if t.size == 0:
        e = np.empty(0)
        return DurationDensity(e, e, e, np.empty(0, np.int64), 0, "log_binned")
    lo = math.floor(math.log10(t.min()) * bpd) / bpd
    hi = math.ceil(math.log10(t.max()) * bpd + 1e-9) / bpd
    edges = 10.0 ** np.arange(lo, hi + 0.5 / bpd, 1.0 / bpd)
    if edges[-1] <= t.max():
        edges = np.append(edges, edges[-1] * 10 ** (1.0 / bpd))
    if bin_width_s is not None and bin_width_s > 0:
        T = float(bin_width_s)
        k = _to_bins(t, T)
        ke = np.unique(np.ceil(edges / T - 1e-9))  # bin [ke_j, ke_{j+1}) of whole bins
        ke = np.unique(np.concatenate(([k.min()], ke[(ke > k.min()) & (ke <= k.max())], [k.max() + 1])))
        counts = np.histogram(k, bins=ke - 0.5)[0]
        width = np.diff(ke) * T
        centre = T * np.sqrt(ke[:-1] * (ke[1:] - 1))
    else:
        counts = np.histogram(t, bins=edges)[0]
        width = np.diff(edges)
        centre = np.sqrt(edges[:-1] * edges[1:])
    keep = counts > 0
    return DurationDensity(centre[keep], counts[keep] / (width[keep] * t.size), width[keep],
                           counts[keep].astype(np.int64), int(t.size), "log_binned")


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
