"""ON/OFF analysis of an intensity trace (science.md §5, §3.2 and §9).

Thresholds, state sequences (two- or three-level), ON fraction, dwell times (censored
first and last runs excluded by default), blinking and charging rates, and windowed
statistics for non-stationary traces.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import defaults
from ..kernels.runs import run_lengths
from ..results import Result
from .photon_stats import histogram_peaks, smoothed_intensity_histogram

__all__ = [
    "OFF", "GREY", "ON", "Threshold", "threshold", "states", "on_fraction", "DwellTimes", "dwell_times",
    "BlinkingStats", "blinking_statistics", "windowed_on_fraction", "useful_frame_fraction", "LevelTest",
    "single_level_test", "regeneration_cycles", "cycle_ratio_error", "heavy_tail_reason", "batch_means_error",
]

OFF, GREY, ON = 0, 1, 2
METHODS = ("fraction", "max", "absolute", "valley", "otsu", "on_level")


@dataclass(frozen=True, repr=False)
class Threshold(Result):
    """An ON threshold in counts per bin, and how it was chosen.

    Attributes
    ----------
    counts : float
        Bins with at least this many counts are ON.
    method : str
        One of ``fraction`` (f × robust maximum), ``max`` (f × literal maximum),
        ``on_level`` (f × mean of the ON level), ``absolute``, ``valley``, ``otsu``.
    i_max_counts : float or None
        The reference maximum the fraction multiplies (for the fraction methods).
    fraction : float or None
    off_counts : float or None
        Upper edge of the OFF state when a grey band is used (three levels).
    """

    counts: float
    method: str
    i_max_counts: float | None = None
    fraction: float | None = None
    off_counts: float | None = None


def _otsu(n: np.ndarray) -> float:
    """Threshold between two classes of counts that minimises the within-class variance."""
    occ = np.bincount(n).astype(np.float64)
    k = np.arange(occ.size, dtype=np.float64)
    w0 = np.cumsum(occ)
    w1 = w0[-1] - w0
    m0 = np.cumsum(occ * k)
    mu0 = np.divide(m0, w0, out=np.zeros_like(m0), where=w0 > 0)
    mu1 = np.divide(m0[-1] - m0, w1, out=np.zeros_like(m0), where=w1 > 0)
    between = w0 * w1 * (mu0 - mu1) ** 2
    return float(np.argmax(between) + 1)  # class 1 starts above the split


def _valley(n: np.ndarray) -> float:
    """Minimum of the smoothed intensity histogram between its two highest peaks (Otsu if unimodal)."""
    sm = smoothed_intensity_histogram(n)
    peaks = histogram_peaks(sm)
    if peaks.size < 2:
        return _otsu(n)
    top = np.sort(peaks[np.argsort(sm[peaks])[-2:]])
    return float(top[0] + np.argmin(sm[top[0]:top[1] + 1]))


def threshold(counts, *, method: str = "fraction", fraction: float = defaults.THRESHOLD_FRACTION,
              percentile: float = defaults.ROBUST_MAX_PERCENTILE, value: float | None = None,
              off_counts: float | None = None) -> Threshold:
    """Choose the ON threshold of a trace.

    Parameters
    ----------
    counts : (n,) int
        Counts per bin.
    method : str
        ``"fraction"`` (default): ON if ``n ≥ f·I_max`` with ``I_max`` the ``percentile``-th
        percentile of the counts (a robust maximum, science.md §5); ``"max"``: the literal
        maximum as ``I_max``; ``"on_level"``: ``I_max`` = mean of the bins above the Otsu
        split (the fitted ON level); ``"absolute"``: ``value`` counts; ``"valley"``: the
        minimum of the smoothed intensity histogram between its two highest peaks;
        ``"otsu"``: Otsu's two-class split.
    fraction : float
        ``f`` (default 0.5, seed 002; the traditional trion-level choice is ≈ 0.2).
    off_counts : float, optional
        Makes a three-level ON / grey / OFF split: OFF below ``off_counts``, grey between.
    """
    n = np.asarray(counts, dtype=np.int64).ravel()
    if method not in METHODS:
        raise ValueError(f"unknown threshold method {method!r}; one of {METHODS}")
    if n.size == 0:
        return Threshold(float("nan"), method, off_counts=off_counts)
    if method == "absolute":
        if value is None:
            raise ValueError("method='absolute' needs value= (counts per bin)")
        return Threshold(float(value), method, off_counts=off_counts)
    if method in ("valley", "otsu"):
        return Threshold(_valley(n) if method == "valley" else _otsu(n), method, off_counts=off_counts)
    if method == "fraction":
        i_max = float(np.percentile(n, percentile))
    elif method == "max":
        i_max = float(n.max())
    else:  # on_level
        split = _otsu(n)
        i_max = float(n[n >= split].mean()) if np.any(n >= split) else float(n.max())
    return Threshold(fraction * i_max, method, i_max, fraction, off_counts)


def states(counts, thr: Threshold) -> np.ndarray:
    """State per bin: ``ON`` (2) if counts ≥ threshold; ``OFF`` (0) below, or with a grey band,
    ``OFF`` below ``off_counts`` and ``GREY`` (1) in between."""
    n = np.asarray(counts).ravel()
    s = np.where(n >= thr.counts, ON, OFF).astype(np.int8)
    if thr.off_counts is not None:
        s[(n < thr.counts) & (n >= thr.off_counts)] = GREY
    return s


def on_fraction(state: np.ndarray) -> float:
    """Fraction of bins (= of time) in the ON state; grey bins count as not ON."""
    return float(np.mean(state == ON)) if state.size else float("nan")


@dataclass(frozen=True, repr=False)
class DwellTimes(Result):
    """Durations of the ON, OFF (and grey) runs.

    Attributes
    ----------
    on_s, off_s, grey_s : (k,) float
        Dwell durations (whole numbers of bins × bin width).
    bin_width_s : float
    censored_excluded : bool
        Whether the first and last runs (cut by the measurement) were left out.
    """

    on_s: np.ndarray
    off_s: np.ndarray
    grey_s: np.ndarray
    bin_width_s: float
    censored_excluded: bool


def dwell_times(state: np.ndarray, *, bin_width_s: float, include_censored: bool = False) -> DwellTimes:
    """Run lengths of each state × bin width.

    Notes
    -----
    The first and last runs are censored (their true start or end is outside the
    measurement) and are excluded by default (science.md §5).
    """
    values, lengths, _ = run_lengths(np.ascontiguousarray(state, dtype=np.int8))
    if not include_censored and values.size:
        values, lengths = values[1:-1], lengths[1:-1]
    dur = lengths * bin_width_s
    return DwellTimes(dur[values == ON], dur[values == OFF], dur[values == GREY], float(bin_width_s), not include_censored)


def windowed_on_fraction(state: np.ndarray, *, bin_width_s: float,
                         window_s: float = defaults.ON_FRACTION_WINDOW_S):
    """ON fraction per window of ``window_s`` (the last partial window dropped).

    Returns
    -------
    start_s : (k,) float
    on_fraction : (k,) float
    """
    per = max(1, int(round(window_s / bin_width_s)))
    k = state.size // per
    frac = (state[: k * per].reshape(k, per) == ON).mean(axis=1) if k else np.empty(0)
    return np.arange(k) * per * bin_width_s, frac


@dataclass(frozen=True, repr=False)
class BlinkingStats(Result):
    """ON/OFF statistics of one trace.

    Attributes
    ----------
    threshold : Threshold
    on_fraction : float
    blinking_rate_hz : float
        ON→OFF transitions per second of measurement (science.md §3.2 default).
    charging_rate_hz : float
        ON→OFF transitions per second of ON time, ``r_c = N(ON→OFF)/t_ON``.
    n_on_to_off : int
    dwell : DwellTimes
    window_s : float
    windowed_start_s, windowed_on_fraction : (k,) float
    bin_width_s : float
    duration_s : float
    on_fraction_err : float
        Standard error of ``on_fraction`` as an estimate of the emitter's long-run ON
        fraction, over regeneration cycles (:func:`cycle_ratio_error`). NaN when one trace has
        no finite error (dwell laws too heavy-tailed, :func:`heavy_tail_reason`) or too few
        cycles; ``on_fraction_err_reason`` then says which.
    on_fraction_err_reason : str or None
        Why ``on_fraction_err`` is NaN (None when it is a number).
    """

    threshold: Threshold
    on_fraction: float
    blinking_rate_hz: float
    charging_rate_hz: float
    n_on_to_off: int
    dwell: DwellTimes
    window_s: float
    windowed_start_s: np.ndarray
    windowed_on_fraction: np.ndarray
    bin_width_s: float
    duration_s: float
    on_fraction_err: float = float("nan")
    on_fraction_err_reason: str | None = None

    # -- the report's summary of this result (composed by tttr.pipeline.Report.to_dict)
    SUMMARY_KEYS = ("on_fraction", "on_fraction_err", "on_fraction_err_reason", "threshold_counts", "threshold_method", "blinking_rate_hz",
                    "charging_rate_hz", "on_fraction_windowed")

    def summary(self) -> dict:
        """The ON/OFF statistics of the report (top-level keys :attr:`SUMMARY_KEYS`)."""
        return {"on_fraction": self.on_fraction, "on_fraction_err": self.on_fraction_err,
                "on_fraction_err_reason": self.on_fraction_err_reason,
                "threshold_counts": self.threshold.counts, "threshold_method": self.threshold.method,
                "blinking_rate_hz": self.blinking_rate_hz, "charging_rate_hz": self.charging_rate_hz,
                "on_fraction_windowed": {"window_s": self.window_s, "start_s": self.windowed_start_s,
                                         "on_fraction": self.windowed_on_fraction}}


def batch_means_error(on: np.ndarray, blocks: int = defaults.ON_FRACTION_BLOCKS) -> float:
    """Standard error of the mean of ``on`` (0/1 per bin) by batch means over ``blocks`` equal
    blocks (the remainder bins dropped from the error only); NaN if fewer than 2 blocks."""
    k = min(int(blocks), on.size)
    if k < 2:
        return float("nan")
    per = on.size // k
    f = on[: k * per].reshape(k, per).mean(axis=1)
    return float(np.std(f, ddof=1) / np.sqrt(k))


def regeneration_cycles(on: np.ndarray) -> np.ndarray:
    """Bin indices at which an ON run starts after a run that is not ON: the boundaries of the
    regeneration cycles (an ON dwell and the following OFF dwell) of a boolean ON trace."""
    on = np.asarray(on, dtype=bool).ravel()
    return np.flatnonzero(on[1:] & ~on[:-1]) + 1


def cycle_ratio_error(on: np.ndarray, *, min_cycles: int = defaults.ON_FRACTION_MIN_CYCLES) -> tuple:
    """Standard error of the ON fraction over regeneration cycles.

    Parameters
    ----------
    on : (N,) bool
        ON state per bin.
    min_cycles : int
        Fewer complete cycles than this give NaN with the reason.

    Returns
    -------
    (float, str or None)
        The standard error, and why it is NaN (None otherwise).

    Notes
    -----
    For an alternating renewal process the pairs (ON dwell, following OFF dwell) are
    independent and identically distributed, so the ON fraction is a ratio estimator
    ``f = Σ on_i / Σ c_i`` over the cycles ``c_i = on_i + off_i``. The delta method gives
    ``Var(f) ≈ Var(on_i − f·c_i)/(n·mean(c)²)``, estimated with the sample variance of the
    residuals (``n − 1`` in the denominator). Unlike batch means over fixed blocks it does not
    assume that the dwells are short against a block. The first ON start and the bins after the
    last one (censored cycles) are left out of the error only. It needs a finite variance of
    the cycle lengths; :func:`heavy_tail_reason` tells when the data cannot promise that.
    """
    on = np.asarray(on, dtype=bool).ravel()
    starts = regeneration_cycles(on)
    n = starts.size - 1
    if n < int(min_cycles):
        return float("nan"), (f"{max(n, 0)} complete ON/OFF cycles in the trace; an error over regeneration "
                              f"cycles needs at least {int(min_cycles)}")
    c = np.diff(starts).astype(np.float64)
    cum = np.concatenate(([0], np.cumsum(on)))
    on_i = (cum[starts[1:]] - cum[starts[:-1]]).astype(np.float64)
    f = on_i.sum() / c.sum()
    r = on_i - f * c
    return float(np.sqrt(np.sum(r * r) / (n * (n - 1))) / c.mean()), None


def heavy_tail_reason(dwell: DwellTimes, *, alpha_limit: float = defaults.HEAVY_TAIL_ALPHA,
                      z: float = defaults.HEAVY_TAIL_Z) -> str | None:
    """Why a single trace has no finite error of its time averages (None if it has one).

    Parameters
    ----------
    dwell : DwellTimes
    alpha_limit : float
        A pure power law of exponent α ≤ ``alpha_limit`` (2) has an infinite mean dwell time.
    z : float
        How many standard errors α must lie above ``alpha_limit`` to rule that out.

    Returns
    -------
    str or None

    Notes
    -----
    For ON and OFF dwells in turn (those with at least ``AUTO_MIN_TAIL`` dwells), the pure
    and the truncated power law are fitted with the automatic ``t_min`` (no bootstrap). When
    the likelihood-ratio test does not prefer the truncated law and the pure α is not above
    ``alpha_limit`` by ``z`` Fisher errors, the dwell law may have an infinite mean: the
    process then never reaches a stationary state (ageing, weak ergodicity breaking), a time
    average does not converge to an ensemble value, and any error from one trace is too small
    (the 60 s traces of docs/validation_estimators.md: 2.8× for α = 2). A truncated law, or
    exponential dwells, have all moments.
    """
    from .powerlaw import AUTO_MIN_TAIL, fit_power_law, fit_truncated_power_law

    T = float(dwell.bin_width_s)
    floor = defaults.REPORT_POWERLAW_TMIN_BINS * T
    for name, d in (("ON", dwell.on_s), ("OFF", dwell.off_s)):
        if d.size < AUTO_MIN_TAIL:
            continue
        pure = fit_power_law(d, bin_width_s=T, t_min_s="auto", t_min_floor_s=floor)
        if not np.isfinite(pure.alpha):
            continue
        err = pure.alpha_err if np.isfinite(pure.alpha_err) else 0.0
        if pure.alpha - z * err > alpha_limit:
            continue  # a finite mean whatever the truncation test says (and no need to run it)
        trunc = fit_truncated_power_law(d, bin_width_s=T, t_min_s="auto", t_min_floor_s=floor, error_draws=0)
        if trunc.preferred != "truncated":
            return (f"{name} dwells follow a power law with α = {pure.alpha:.2f} ± {err:.2f} (no truncation "
                    f"detected), not above {alpha_limit:g} by {z:g} standard errors: the mean dwell may be "
                    f"infinite, so the trace has no stationary value and no finite error")
    return None


def blinking_statistics(counts, *, bin_width_s: float, thr: Threshold | None = None,
                        window_s: float = defaults.ON_FRACTION_WINDOW_S,
                        include_censored: bool = False, **threshold_options) -> BlinkingStats:
    """Threshold a trace and compute every ON/OFF statistic.

    Parameters
    ----------
    counts : (n,) int
        Summed counts per bin.
    bin_width_s : float
    thr : Threshold, optional
        A threshold already chosen; otherwise :func:`threshold` with ``threshold_options``.
    window_s : float
        Window of the windowed ON fraction (photodarkening makes long traces non-stationary).

    Notes
    -----
    A transition ON→OFF is a bin in the ON state followed by a bin that is not ON (with a
    grey band, ON→grey counts as leaving ON). The blinking rate divides the count by the
    measurement time, the charging rate by the time spent ON. The error of the ON fraction is
    taken over regeneration cycles (:func:`cycle_ratio_error`), and is NaN with a reason when
    :func:`heavy_tail_reason` finds dwell laws without a finite mean.
    """
    n = np.asarray(counts).ravel()
    thr = thr if thr is not None else threshold(n, **threshold_options)
    st = states(n, thr)
    on = st == ON
    n_off = int(np.count_nonzero(on[:-1] & ~on[1:])) if st.size > 1 else 0
    duration = st.size * bin_width_s
    t_on = on.sum() * bin_width_s
    ws, wf = windowed_on_fraction(st, bin_width_s=bin_width_s, window_s=window_s)
    dwell = dwell_times(st, bin_width_s=bin_width_s, include_censored=include_censored)
    why = heavy_tail_reason(dwell if not include_censored else dwell_times(st, bin_width_s=bin_width_s))
    err = float("nan")
    if why is None:
        err, why = cycle_ratio_error(on)
    return BlinkingStats(
        threshold=thr, on_fraction=on_fraction(st),
        blinking_rate_hz=n_off / duration if duration > 0 else float("nan"),
        charging_rate_hz=n_off / t_on if t_on > 0 else float("nan"), n_on_to_off=n_off,
        dwell=dwell,
        window_s=float(window_s), windowed_start_s=ws, windowed_on_fraction=wf,
        bin_width_s=float(bin_width_s), duration_s=float(duration), on_fraction_err=err, on_fraction_err_reason=why,
    )


def useful_frame_fraction(on_fraction_r: float, n_emitters: int) -> dict:
    """SMLM frame classes for K emitters each ON with probability r per frame (science.md §8).

    Returns
    -------
    dict
        ``dark = (1−r)^K``, ``useful = K·r·(1−r)^(K−1)``, ``false = 1 − dark − useful``; the
        useful fraction peaks at ``r = 1/K``.
    """
    r, k = float(on_fraction_r), int(n_emitters)
    dark = (1 - r) ** k
    useful = k * r * (1 - r) ** (k - 1)
    return {"dark": dark, "useful": useful, "false_localisation": 1 - dark - useful}


@dataclass(frozen=True, repr=False)
class LevelTest(Result):
    """Is a trace consistent with one Poisson intensity level (no blinking)?

    Attributes
    ----------
    blinking_detected : bool or None
        True when the single-level hypothesis is rejected (see :func:`single_level_test`);
        None when the trace cannot tell (fewer than 2 bins or no photons).
    statistic : float
        Index of dispersion ``D = Σ(n_i − n̄)²/n̄`` (χ² with ``dof`` degrees of freedom for
        Poisson counts).
    dof : int
        ``N − 1``.
    p_value : float
        ``P(χ²_dof ≥ D)``: one-sided (only excess variance is evidence of more than one level).
    excess_variance : float
        ``(s² − n̄)/n̄² = Q/n̄``: the squared relative intensity fluctuation beyond shot noise.
    significance : float
    min_excess_variance : float
    reason : str
        One line stating the outcome and the numbers behind it.
    """

    blinking_detected: bool | None
    statistic: float
    dof: int
    p_value: float
    excess_variance: float
    significance: float
    min_excess_variance: float
    reason: str

    # -- the report's summary of this result (composed by tttr.pipeline.Report.to_dict)
    def summary(self) -> dict:
        """The report's ``blinking_test`` section (the outcome itself is its ``blinking_detected``)."""
        return {"test": "index of dispersion (one-sided chi2)", "statistic": self.statistic, "dof": self.dof,
                "p_value": self.p_value, "excess_variance": self.excess_variance,
                "significance": self.significance, "min_excess_variance": self.min_excess_variance,
                "reason": self.reason}


def single_level_test(counts, *, significance: float = defaults.BLINKING_TEST_SIGNIFICANCE,
                      min_excess_variance: float = defaults.BLINKING_MIN_EXCESS_VARIANCE) -> LevelTest:
    """Test whether per-bin counts come from one Poisson level (no ON/OFF switching).

    Parameters
    ----------
    counts : (N,) int
        Counts per trace bin.
    significance : float
        Level of the dispersion test (default ``BLINKING_TEST_SIGNIFICANCE``).
    min_excess_variance : float
        Smallest relative excess variance ``(s² − n̄)/n̄²`` counted as blinking (default
        ``BLINKING_MIN_EXCESS_VARIANCE``).

    Returns
    -------
    LevelTest

    Notes
    -----
    Under a single Poisson level the counts of N bins are independent Poisson(μ), and the
    index of dispersion ``D = (N − 1)s²/n̄`` is χ²-distributed with N − 1 degrees of freedom
    (Fisher's dispersion test). Switching between levels adds variance
    ``f(1−f)(I_on − I_off)²`` (ON fraction f), so blinking is detected when ``D`` is
    improbably large (``p < significance``, one-sided: dead time and antibunching make
    ``D`` smaller, never larger) *and* the excess is of a size blinking produces:
    ``(s² − n̄)/n̄² ≥ min_excess_variance``. The second condition keeps a bright
    non-blinking emitter with percent-level excitation noise (relative excess ≈ 10⁻⁴, yet
    highly significant at 3000 counts per bin) from being called blinking; two levels with
    contrast ≥ 2 and an ON or OFF share ≥ 1 % give ≥ 2.5·10⁻³. Detection says nothing about
    the threshold: it only licenses the ON/OFF statistics.
    """
    n = np.asarray(counts, dtype=np.float64).ravel()
    nan = float("nan")
    if n.size < 2 or not n.sum() > 0:
        return LevelTest(None, nan, max(int(n.size) - 1, 0), nan, nan, float(significance), float(min_excess_variance),
                         f"{n.size} bins with {int(n.sum())} photons: cannot test for more than one level")
    from scipy import stats

    mean = float(n.mean())
    s2 = float(n.var(ddof=1))
    dof = int(n.size - 1)
    d = dof * s2 / mean
    p = float(stats.chi2.sf(d, dof))
    excess = (s2 - mean) / mean ** 2
    detected = bool(p < significance and excess >= min_excess_variance)
    numbers = (f"index-of-dispersion test: D = {d:.4g} on {dof} dof, p = {p:.2g}; "
               f"relative excess variance {excess:.2g} (Q = {s2 / mean - 1:.3g})")
    if detected:
        reason = f"more than one intensity level ({numbers})"
    elif p >= significance:
        reason = f"trace consistent with a single Poisson level ({numbers})"
    else:
        reason = (f"excess variance too small for blinking (< {min_excess_variance:g}); "
                  f"a single level with slow intensity noise ({numbers})")
    return LevelTest(detected, float(d), dof, p, float(excess), float(significance), float(min_excess_variance),
                     reason)
