"""Photon statistics of an intensity trace: Mandel Q and the intensity histogram (science.md §4)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from scipy import stats

from .. import defaults
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
        Standard error (see :func:`mandel_q`): of the photon counting for a trace with one
        intensity level, of the trajectory (grouped jackknife over regeneration cycles) for a
        blinking trace; NaN when no finite error exists (``q_err_reason``).
    bin_width_s : float
    mean_counts : float
    n_bins : int
    q_err_method : str
        ``"photon counting"`` or ``"cycle jackknife"``.
    q_err_reason : str or None
        Why ``q_err`` is NaN (None when it is a number).
    """

    q: float
    q_err: float
    bin_width_s: float
    mean_counts: float
    n_bins: int
    q_err_method: str = "photon counting"
    q_err_reason: str | None = None

    # -- the report's summary of this result (composed by tttr.pipeline.Report.to_dict)
    def summary(self) -> dict:
        """One entry of the report's ``mandel_q_curve``: bin width, Q and its error."""
        return {"bin_width_s": self.bin_width_s, "q": self.q, "q_err": self.q_err, "q_err_method": self.q_err_method,
                "q_err_reason": self.q_err_reason}


def mandel_q(counts, *, bin_width_s: float = float("nan"), trajectory_error: bool | None = None,
             tail_reason: str | None | bool = False) -> MandelQ:
    """Mandel Q of per-bin counts ``n``: ``Q = Var(n)/<n> − 1``.

    Parameters
    ----------
    counts : (N,) int
    bin_width_s : float
    trajectory_error : bool, optional
        If the trace blinks (:func:`~tttr.analysis.blinking.single_level_test`), give the
        error of the trajectory (grouped jackknife, Notes) instead of the photon-counting one.
        Default: when ``bin_width_s`` is given (the dwell times it needs are in seconds).
        Without it the photon-counting error is given: the right one to test "is Q above 0?"
        (under that hypothesis there is one level), as the FLID state analysis does.
    tail_reason : str, None or False
        The outcome of :func:`~tttr.analysis.blinking.heavy_tail_reason` if already known
        (False: find it here).

    Notes
    -----
    The variance is the unbiased sample variance (``ddof=1``), so a Poisson trace gives
    ``E[Q] = 0`` exactly. The standard error is the large-sample normal approximation for a
    Poisson-like count: ``Var(s²) ≈ 2σ⁴/(N−1) + κ₄/N`` with the Poisson fourth cumulant
    ``κ₄ = <n>``, giving ``SE(Q) ≈ (1 + Q)·sqrt(2/(N−1) + 1/(N·<n>))``. It is exact for
    Poisson counts to first order and the error of a trace with one intensity level.

    A blinking trace is correlated in time: its Q is a property of its state trajectory, and
    the scatter from emitter to emitter (or seed to seed) was 3× the photon-counting error
    (docs/validation_estimators.md). For a trace that the single-level test calls blinking,
    the error is a grouped jackknife over regeneration cycles: the trace, thresholded as by
    :func:`~tttr.analysis.blinking.threshold` (defaults), is cut at the starts of ON runs
    into ``MANDEL_Q_GROUPS`` segments of consecutive whole cycles (an ON dwell and the
    following OFF dwell are independent for an alternating renewal process), Q is recomputed
    with each segment left out, and ``Var = (G−1)/G·Σ(Q₍g₎ − Q̄)²``. The photon noise is
    included. When the dwell laws may have an infinite mean (pure power law, α ≤ 2: no
    stationary value exists) ``q_err_reason`` says so and ``q_err`` is the error of this
    trajectory's time average only (it understates the scatter between emitters; it stays a
    number because "is Q above 0?" still needs it). NaN with fewer than
    ``ON_FRACTION_MIN_CYCLES`` cycles.
    """
    n = np.asarray(counts, dtype=np.float64).ravel()
    if n.size < 2 or n.mean() <= 0:
        return MandelQ(float("nan"), float("nan"), float(bin_width_s), float(n.mean()) if n.size else float("nan"), int(n.size))
    mean = n.mean()
    q = n.var(ddof=1) / mean - 1.0
    err = (1.0 + q) * np.sqrt(2.0 / (n.size - 1) + 1.0 / (n.size * mean))
    out = MandelQ(float(q), float(err), float(bin_width_s), float(mean), int(n.size))
    if trajectory_error is None:
        trajectory_error = bool(np.isfinite(bin_width_s) and bin_width_s > 0)
    if not trajectory_error:
        return out
    from . import blinking as bl

    if bl.single_level_test(n).blinking_detected is not True:
        return out
    st = bl.states(n, bl.threshold(n))
    if tail_reason is False:
        tail_reason = bl.heavy_tail_reason(bl.dwell_times(st, bin_width_s=bin_width_s))
    jk, why = _cycle_jackknife_q(n, bl.regeneration_cycles(st == bl.ON))
    if tail_reason is not None and why is None:
        # kept finite: the verdict's test "is Q above 0?" needs it, and for that question this
        # trajectory's error is the right one; the ensemble has no value to cover
        why = f"{tail_reason}; q_err is the error of this trajectory's time average only"
    return dataclasses.replace(out, q_err=jk, q_err_method="cycle jackknife", q_err_reason=why)


def _cycle_jackknife_q(n: np.ndarray, starts: np.ndarray, groups: int = defaults.MANDEL_Q_GROUPS) -> tuple:
    """(error, reason): grouped jackknife of Q over segments of whole regeneration cycles."""
    cycles = starts.size - 1
    if cycles < defaults.ON_FRACTION_MIN_CYCLES:
        return float("nan"), (f"{max(cycles, 0)} complete ON/OFF cycles in the trace; an error over "
                              f"regeneration cycles needs at least {defaults.ON_FRACTION_MIN_CYCLES}")
    g = min(int(groups), cycles)
    cuts = starts[np.round(np.linspace(0, cycles, g + 1)).astype(np.int64)][1:-1]
    edges = np.concatenate(([0], cuts, [n.size]))
    c1 = np.concatenate(([0.0], np.cumsum(n)))
    c2 = np.concatenate(([0.0], np.cumsum(n * n)))
    s1 = c1[-1] - np.diff(c1[edges])
    s2 = c2[-1] - np.diff(c2[edges])
    m = n.size - np.diff(edges).astype(np.float64)
    mu = s1 / m
    qg = (s2 - m * mu * mu) / (m - 1) / mu - 1.0
    return float(np.sqrt((g - 1) / g * np.sum((qg - qg.mean()) ** 2))), None


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
    leave fewer than 10 bins are skipped. The errors are those of :func:`mandel_q`; whether
    the dwell laws allow a finite error at all is decided once, at the finest bin.
    """
    from . import blinking as bl

    n = np.asarray(counts, dtype=np.float64).ravel()
    reason = None
    if n.size >= 2 and n.sum() > 0 and bl.single_level_test(n).blinking_detected is True:
        reason = bl.heavy_tail_reason(bl.dwell_times(bl.states(n, bl.threshold(n)), bin_width_s=bin_width_s))
    out = []
    for f in factors:
        r = rebin_counts(counts, int(f))
        if r.shape[0] >= 10:
            out.append(mandel_q(r, bin_width_s=bin_width_s * f, tail_reason=reason))
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
