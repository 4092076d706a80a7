"""Densities of dwell durations for plots, and the model densities to overlay."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from ...errors import AnalysisError
from ...results import Result
from .data import _bin_width, _durations, _method, _to_bins
from .normalisation import _discrete_norm, _tail_integral


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
