"""Photon statistics of an intensity trace: Mandel Q and the intensity histogram (science.md §4)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from ..results import Result

__all__ = ["MandelQ", "mandel_q", "mandel_q_curve", "IntensityHistogram", "intensity_histogram", "rebin_counts",
           "smoothed_intensity_histogram", "histogram_peaks"]


@dataclass(frozen=True, repr=False)
class MandelQ(Result):
    """Mandel Q at one bin width.

    Attributes
    ----------
    q : float
        ``Var(n)/<n> − 1``.
    q_err : float
        Approximate standard error (see :func:`mandel_q`).
    bin_width_s : float
    mean_counts : float
    n_bins : int
    """

    q: float
    q_err: float
    bin_width_s: float
    mean_counts: float
    n_bins: int

    # -- the report's summary of this result (composed by tttr.pipeline.Report.to_dict)
    def summary(self) -> dict:
        """One entry of the report's ``mandel_q_curve``: bin width, Q and its error."""
        return {"bin_width_s": self.bin_width_s, "q": self.q, "q_err": self.q_err}


def mandel_q(counts, *, bin_width_s: float = float("nan")) -> MandelQ:
    """Mandel Q of per-bin counts ``n``: ``Q = Var(n)/<n> − 1``.

    Notes
    -----
    The variance is the unbiased sample variance (``ddof=1``), so a Poisson trace gives
    ``E[Q] = 0`` exactly. The standard error is the large-sample normal approximation for a
    Poisson-like count: ``Var(s²) ≈ 2σ⁴/(N−1) + κ₄/N`` with the Poisson fourth cumulant
    ``κ₄ = <n>``, giving ``SE(Q) ≈ (1 + Q)·sqrt(2/(N−1) + 1/(N·<n>))``. It is exact for
    Poisson counts to first order and a fair guide otherwise (blinking traces are correlated
    in time, so their true error is larger).
    """
    n = np.asarray(counts, dtype=np.float64).ravel()
    if n.size < 2 or n.mean() <= 0:
        return MandelQ(float("nan"), float("nan"), float(bin_width_s), float(n.mean()) if n.size else float("nan"), int(n.size))
    mean = n.mean()
    q = n.var(ddof=1) / mean - 1.0
    err = (1.0 + q) * np.sqrt(2.0 / (n.size - 1) + 1.0 / (n.size * mean))
    return MandelQ(float(q), float(err), float(bin_width_s), float(mean), int(n.size))


def rebin_counts(counts, factor: int) -> np.ndarray:
    """Sum ``factor`` consecutive bins (the incomplete remainder is dropped)."""
    n = np.asarray(counts)
    m = (n.shape[0] // factor) * factor
    return n[:m].reshape(-1, factor, *n.shape[1:]).sum(axis=1)


def mandel_q_curve(counts, *, bin_width_s: float, factors=(1, 2, 5, 10, 20, 50, 100)) -> list[MandelQ]:
    """Q(T) for bin widths ``T = factor × bin_width_s``, by summing consecutive bins.

    Notes
    -----
    Blinking makes Q grow with T; a Poisson emitter has Q = 0 at every T. Factors that
    leave fewer than 10 bins are skipped.
    """
    out = []
    for f in factors:
        r = rebin_counts(counts, int(f))
        if r.shape[0] >= 10:
            out.append(mandel_q(r, bin_width_s=bin_width_s * f))
    return out


@dataclass(frozen=True, repr=False)
class IntensityHistogram(Result):
    """Occurrences of each per-bin count, with the Poisson expectation of the same mean.

    Attributes
    ----------
    counts_per_bin : (k,) int
        0, 1, ..., max.
    occurrences : (k,) int
        Number of bins with that count.
    poisson_expected : (k,) float
        ``N_bins · Poisson(k; <n>)``: what a shot-noise-limited emitter would give.
    mean_counts : float
    bin_width_s : float
    """

    counts_per_bin: np.ndarray
    occurrences: np.ndarray
    poisson_expected: np.ndarray
    mean_counts: float
    bin_width_s: float


def intensity_histogram(counts, *, bin_width_s: float = float("nan")) -> IntensityHistogram:
    """Histogram of per-bin counts with its Poisson comparison (seed 002, Fig. 2)."""
    n = np.asarray(counts, dtype=np.int64).ravel()
    occ = np.bincount(n) if n.size else np.zeros(1, np.int64)
    k = np.arange(occ.size)
    mean = float(n.mean()) if n.size else 0.0
    expected = n.size * stats.poisson.pmf(k, mean) if mean > 0 else np.zeros(k.size)
    return IntensityHistogram(k, occ, expected, mean, float(bin_width_s))


def smoothed_intensity_histogram(counts) -> np.ndarray:
    """Occurrences of each per-bin count, smoothed over about half a Poisson σ.

    Notes
    -----
    A boxcar of half-width ``round(√max(<n>, 1) / 2)`` counts: wide enough that shot noise
    does not split one intensity level into several maxima, narrow enough that two levels
    a few σ apart stay separate. Used to find intensity levels (thresholds, FLID regions).
    """
    n = np.asarray(counts, dtype=np.int64).ravel()
    occ = np.bincount(n).astype(np.float64)
    width = max(1, int(round(np.sqrt(max(n.mean(), 1.0)) / 2)))
    kernel = np.ones(2 * width + 1) / (2 * width + 1)
    return np.convolve(occ, kernel, mode="same")


def histogram_peaks(smoothed: np.ndarray) -> np.ndarray:
    """Indices (counts per bin) of the local maxima of a smoothed histogram, in ascending order."""
    sm = np.asarray(smoothed)
    return np.flatnonzero((sm[1:-1] > sm[:-2]) & (sm[1:-1] >= sm[2:])) + 1
