"""Second-order correlation g²(τ) of two detectors (HBT), pulsed and CW (science.md §6).

Contents
--------
G2Accumulator, g2
    The cross-correlation histogram of detector A → detector B photon pairs within ±W, in
    equal lag bins, streamed chunk by chunk, normalised so that uncorrelated light gives 1.
pulsed_g2_zero
    Pulsed excitation: peak areas at every multiple of the period, g2(0) = central area /
    mean of the ±1…±K side peaks, its Poisson error, the purity and the side-peak areas.
fit_cw_g2
    CW excitation: Poisson maximum-likelihood fit of ``1 − (1 − g2(0))·exp(−|τ − τ0|/τ_a)``.
correct_background
    The two background corrections of §6 (subtract ``B/(S+B)``; or ``(g2 − (1 − ρ²))/ρ²``).
LongLagAccumulator, long_lag_correlation
    Log-spaced lags from nanoseconds to seconds (arbitrary-bin pair counting, Laurence
    et al. 2006), for the bunching that blinking causes.
fine_time_base
    How absolute photon times are formed from T2 timestamps or T3 ``(nsync, dtime)``.

State-gated g2 (ON bins only) is the ``on_mask`` / ``on_bin_ticks`` option of the
accumulators and of :func:`g2` and :func:`long_lag_correlation`.

References
----------
Laurence, T. A., Fore, S., Huser, T. (2006). Fast, flexible algorithm for calculating photon
correlations. *Opt. Lett.* 31, 829–831.
Nair, G., Zhao, J., Bawendi, M. G. (2011). Biexciton quantum yield of single semiconductor
nanocrystals from photon statistics. *Nano Lett.* 11, 1136–1140.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from .. import defaults
from ..errors import AnalysisError
from ..io.events import PhotonChunk, StreamInfo
from ..kernels import correlate as _k
from ..results import Result
from ._source import stream_of

__all__ = [
    "TimeBase",
    "fine_time_base",
    "G2Curve",
    "PulsedG2",
    "CWG2Fit",
    "BackgroundCorrectedG2",
    "G2Accumulator",
    "LongLagAccumulator",
    "g2",
    "pulsed_g2_zero",
    "fit_cw_g2",
    "cw_g2_model",
    "correct_background",
    "long_lag_correlation",
]

MODES = ("auto", "pulsed", "cw")

#: T3 period / nanotime unit ratios closer than this to an integer count as an integer.
_INTEGER_RATIO_TOL = 1e-6
#: Fine unit of T3 streams whose period is not a whole number of nanotime ticks: 1 ps.
_PS = 1e-12
_ONE = 1 << _k.FRAC_BITS
#: Keep every intermediate of the fine-time arithmetic below 2**62.
_INT_LIMIT = 1 << 62
_EMPTY_U16 = np.empty(0, np.uint16)
#: Intensity classes of the nanotime histograms (floor(2·log2(n + 1)) of a trace bin's count).
_N_CLASSES = 40
_NO_GATE = np.zeros(1, np.bool_)


# ------------------------------------------------------------------------- time base
@dataclass(frozen=True)
class TimeBase:
    """How absolute photon times are formed, in integer ticks of a common fine unit.

    The fine time of a photon with file timestamp ``ts`` and nanotime ``dt`` is
    ``ts·p_int + dt·r_int + ((ts·p_frac + dt·r_frac + 2**19) >> 20)`` (int64).

    Attributes
    ----------
    fine_unit_s : float
        Seconds per fine tick.
    p_int, p_frac : int
        One timestamp tick (T3: the sync period) in fine ticks, ``p_int + p_frac / 2**20``.
    r_int, r_frac : int
        One nanotime tick in fine ticks (0 when nanotimes are not used).
    use_nanotimes : bool
    period_s : float or None
        The laser period if known (T3, or the header's sync rate).
    description : str
        One line saying which of the rules of :func:`fine_time_base` applied.
    max_timestamp : int
        Largest file timestamp the arithmetic handles without int64 overflow.
    """

    fine_unit_s: float
    p_int: int
    p_frac: int
    r_int: int
    r_frac: int
    use_nanotimes: bool
    period_s: float | None
    description: str
    max_timestamp: int

    def fine(self, timestamps, nanotimes=None) -> np.ndarray:
        """Fine times of photons (numpy; the kernels compute the same integers)."""
        ts = np.asarray(timestamps, np.int64)
        acc = ts * self.p_int
        frac = ts * self.p_frac
        if self.use_nanotimes and nanotimes is not None:
            dt = np.asarray(nanotimes).astype(np.int64)
            acc = acc + dt * self.r_int
            frac = frac + dt * self.r_frac
        return acc + ((frac + (_ONE >> 1)) >> _k.FRAC_BITS)


def _fixed(x: float) -> tuple[int, int]:
    """``x`` as integer part and 20-bit fraction, rounded to the nearest 2**-20."""
    total = int(round(x * _ONE))
    return total >> _k.FRAC_BITS, total & (_ONE - 1)


def fine_time_base(info: StreamInfo) -> TimeBase:
    """Choose the fine time unit of a stream and the integer arithmetic that reaches it.

    Parameters
    ----------
    info : StreamInfo

    Returns
    -------
    TimeBase

    Notes
    -----
    * **T2**: the fine unit is the timestamp unit; the fine time is the timestamp.
    * **T3** (science.md §6: absolute time ``nsync·period + dtime·resolution``), period =
      ``timestamps_unit_s``:

      - if the period is a whole number K of nanotime ticks (within 1e-6 of an integer),
        the fine unit is the nanotime unit and the fine time is ``nsync·K + dtime``, exact;
      - otherwise (the usual case: the period comes from a measured sync rate), the fine
        unit is 1 ps and period and resolution are written in ps as fixed-point numbers
        with 20 fraction bits; the fine time is rounded to the nearest ps. The period is
        then represented to 5e-7 ps, so the lag between two photons ``n`` periods apart is
        off by at most ``n·5e-7 + 1`` ps (1 ps at lags of microseconds, 40 ps at 1 s at
        80 MHz: far below any bin). Timestamps stay int64 throughout.
      - if the nanotime unit is unknown (Becker & Hickl SPC without its ``.set`` file),
        only the macrotimes are used and the fine unit is the timestamp unit.
    * The fixed-point products stay below 2**62 up to ``max_timestamp`` syncs (about 2**42,
      15 hours at 80 MHz); later timestamps raise :class:`~tttr.errors.AnalysisError`.
    """
    unit = float(info.timestamps_unit_s)
    period = None
    if info.sync_rate_hz:
        period = 1.0 / float(info.sync_rate_hz)
    if info.mode == "T2":
        return TimeBase(unit, 1, 0, 0, 0, False, period, "T2: fine unit = timestamp unit", _INT_LIMIT)
    res = info.nanotimes_unit_s
    if not res:
        return TimeBase(unit, 1, 0, 0, 0, False, period,
                        "T3 without a nanotime unit: macrotimes only (fine unit = timestamp unit)", _INT_LIMIT)
    period = unit
    ratio = unit / float(res)
    k = round(ratio)
    if k >= 1 and abs(ratio - k) <= _INTEGER_RATIO_TOL:
        return TimeBase(float(res), int(k), 0, 1, 0, True, period,
                        f"T3: fine unit = nanotime unit, period = {k} ticks (exact)", _INT_LIMIT // max(int(k), 1))
    p_int, p_frac = _fixed(unit / _PS)
    r_int, r_frac = _fixed(float(res) / _PS)
    max_ts = min(_INT_LIMIT // max(p_frac, 1), _INT_LIMIT // max(p_int, 1))
    return TimeBase(_PS, p_int, p_frac, r_int, r_frac, True, period,
                    f"T3: fine unit = 1 ps, period = {unit / _PS:.6f} ps and resolution = {res / _PS:.6f} ps "
                    "in 20-bit fixed point, times rounded to the ps", max_ts)


# ---------------------------------------------------------------------------- results
@dataclass(frozen=True, repr=False)
class PulsedG2(Result):
    """g2(0) of pulsed excitation from peak areas (science.md §6, seed 004 Eq. 10).

    Attributes
    ----------
    g2_zero, g2_zero_err : float
        Best estimate without background correction: the ratio of the central to the mean
        ±1…±K peak area *as if the peaks did not overlap* (every peak's spill into its
        neighbours' windows removed with the peak shape of the decay histograms; background
        pairs included), and its standard error. Equal to the window ratio when no shape is
        available (``overlap_corrected`` False).
    g2_zero_ci : (2,) float
        Its ``ci_level`` interval (exact Poisson-ratio interval at small counts).
    g2_zero_window, g2_zero_window_err, g2_zero_window_ci
        The plain ratio of the pair counts in the ±h windows, error and exact interval.
    g2_zero_corrected, g2_zero_corrected_err, g2_zero_corrected_ci
        Background-corrected value (None when no background is known), by ``correction``.
    correction : str or None
        ``"pairs"`` (default): the pairs that involve a background photon removed from every
        peak; ``"rho"``: ``(g2 − (1 − ρ²))/ρ²``; ``"subtract"``: ``g2 − B/(S+B)``.
    background_fractions : (2,) float or None
        Background photons / photons of detectors A and B.
    background_fraction : float or None
        Both detectors together (photon-weighted), the ``B/(S+B)`` of rho and subtract.
    overlap_corrected : bool
    overlap_note : str or None
        Why no overlap correction, or what fell back in the shape construction.
    purity, purity_err : float
        ``1 − g2_zero`` and its error.
    single_emitter : bool or None
        True if the whole interval of the emitter's g2(0) (background-corrected when
        possible) is below 0.5, False if above, None otherwise.
    single_emitter_reason : str
        What the decision rests on.
    ci_level : float
    central_area : int
        Pairs in the central peak window.
    side_area_mean : float
        Mean pairs in the 2K reference side-peak windows.
    n_side_peaks : int
        K.
    peak_index : (m,) int
        k of every complete peak window inside the histogram (0 = central).
    peak_lag_s : (m,) float
        Window centres ``k·period + tau0``.
    peak_areas : (m,) int
        Pairs in each window.
    peak_areas_relative : (m,) float
        ``peak_areas / side_area_mean``: the usual normalised peak plot (central = window g2(0)).
    peak_g2 : (m,) float
        Each area divided by the pairs uncorrelated light would give in its window; side
        peaks above 1 are the bunching that blinking causes.
    peak_areas_unmixed : (m,) float
        Pairs of each peak as if the peaks did not overlap, background pairs excluded.
    background_pairs : (m,) float
        Pairs with a background photon expected in each window (0 when none is known).
    period_s, half_window_s, tau0_s : float
        Laser period, integration half-window, and the peak-comb offset used.
    tau0_auto : bool
        True when ``tau0_s`` was estimated from the histogram.
    """

    g2_zero: float
    g2_zero_err: float
    purity: float
    purity_err: float
    single_emitter: bool | None
    central_area: int
    side_area_mean: float
    n_side_peaks: int
    peak_index: np.ndarray
    peak_lag_s: np.ndarray
    peak_areas: np.ndarray
    peak_areas_relative: np.ndarray
    peak_g2: np.ndarray
    period_s: float
    half_window_s: float
    tau0_s: float
    tau0_auto: bool
    g2_zero_ci: tuple = (float("nan"), float("nan"))
    g2_zero_window: float = float("nan")
    g2_zero_window_err: float = float("nan")
    g2_zero_window_ci: tuple = (float("nan"), float("nan"))
    g2_zero_corrected: float | None = None
    g2_zero_corrected_err: float | None = None
    g2_zero_corrected_ci: tuple | None = None
    correction: str | None = None
    background_fractions: tuple | None = None
    background_fraction: float | None = None
    overlap_corrected: bool = False
    overlap_note: str | None = None
    single_emitter_reason: str = ""
    ci_level: float = defaults.G2_CI_LEVEL
    peak_areas_unmixed: np.ndarray | None = None
    background_pairs: np.ndarray | None = None

    # -- the report's summary of this result (composed by tttr.pipeline.Report.to_dict)
    def summary(self) -> dict:
        """The report's ``g2`` section of this result (its ``mode`` comes from the curve)."""
        return {"g2_zero": self.g2_zero, "g2_zero_err": self.g2_zero_err, "g2_zero_ci": self.g2_zero_ci,
                "g2_zero_window": self.g2_zero_window, "g2_zero_window_ci": self.g2_zero_window_ci,
                "overlap_corrected": self.overlap_corrected, "g2_zero_corrected": self.g2_zero_corrected,
                "g2_zero_corrected_err": self.g2_zero_corrected_err,
                "g2_zero_corrected_ci": self.g2_zero_corrected_ci, "background_fraction": self.background_fraction,
                "background_fractions": self.background_fractions, "correction": self.correction,
                "single_emitter": self.single_emitter, "single_emitter_reason": self.single_emitter_reason,
                "fit_at_bound": None, "tau_a_ns": None, "tau0_ns": None, "peak_index": self.peak_index,
                "peak_areas_relative": self.peak_areas_relative}


@dataclass(frozen=True, repr=False)
class CWG2Fit(Result):
    """Fit of ``A·[1 − (1 − g2(0))·exp(−|τ − τ0|/τ_a)]`` to a CW g2 histogram.

    Attributes
    ----------
    g2_zero, g2_zero_err : float
        g2(0) relative to the fitted plateau ``A`` and its standard error.
    tau_a_ns, tau_a_ns_err : float
        Antibunching time (``1/τ_a = k_r + k_exc``) in ns.
    tau0_ns, tau0_ns_err : float
        Centre of the dip (the detector delay offset) in ns.
    amplitude, amplitude_err : float
        Plateau A (1 and error 0 when fixed).
    model : str
    n_points : int
        Lag bins fitted.
    deviance : float
        Poisson deviance at the optimum (≈ n_points − n_parameters for a good fit).
    redchi : float
        Pearson χ² per degree of freedom with the model variance.
    success : bool
    message : str
    fit_range_s : (2,) float
        Lag range fitted.
    g2_zero_ci : (2,) float
        ``g2_zero ± z·g2_zero_err`` at ``defaults.G2_CI_LEVEL`` (asymptotic).
    at_bound : tuple of str
        Parameters that ended on a bound of the fit; a non-empty tuple means the fit is not a
        result (:func:`g2` then reports ``analysis=None`` with the reason).
    tau0_bounds_ns : (2,) float
        The range allowed for the dip centre.
    single_emitter : bool or None
        As for :class:`PulsedG2` (None when the fit hit a bound).
    single_emitter_reason : str
    """

    g2_zero: float
    g2_zero_err: float
    tau_a_ns: float
    tau_a_ns_err: float
    tau0_ns: float
    tau0_ns_err: float
    amplitude: float
    amplitude_err: float
    model: str
    n_points: int
    deviance: float
    redchi: float
    success: bool
    message: str
    fit_range_s: tuple
    g2_zero_ci: tuple = (float("nan"), float("nan"))
    at_bound: tuple = ()
    tau0_bounds_ns: tuple = (float("nan"), float("nan"))
    single_emitter: bool | None = None
    single_emitter_reason: str = ""
    minimizer_result: object = field(default=None, compare=False)

    def to_dict(self, *, arrays: bool = True) -> dict:
        """JSON-safe dictionary of the fit (the lmfit ``MinimizerResult`` is left out)."""
        d = super().to_dict(arrays=arrays)
        d.pop("minimizer_result", None)
        return d

    def __repr__(self) -> str:
        return (f"CWG2Fit(g2_zero={self.g2_zero:.4g}±{self.g2_zero_err:.2g}, tau_a_ns={self.tau_a_ns:.4g}"
                f"±{self.tau_a_ns_err:.2g}, tau0_ns={self.tau0_ns:.4g}, amplitude={self.amplitude:.4g}, "
                f"n_points={self.n_points}, success={self.success})")

    # -- the report's summary of this result (composed by tttr.pipeline.Report.to_dict)
    def summary(self) -> dict:
        """The report's ``g2`` section of this fit: a fit on a bound gives no values (``fit_at_bound``
        names the parameters); the background-corrected keys are those of :class:`BackgroundCorrectedG2`."""
        rejected = bool(self.at_bound)

        def value(v):
            return None if rejected else v

        return {"g2_zero": value(self.g2_zero), "g2_zero_err": value(self.g2_zero_err),
                "g2_zero_ci": value(self.g2_zero_ci), "g2_zero_window": None, "g2_zero_window_ci": None,
                "overlap_corrected": None, "g2_zero_corrected": None, "g2_zero_corrected_err": None,
                "g2_zero_corrected_ci": None, "background_fraction": None, "background_fractions": None,
                "correction": None, "single_emitter": self.single_emitter,
                "single_emitter_reason": self.single_emitter_reason,
                "fit_at_bound": list(self.at_bound) if rejected else None, "tau_a_ns": value(self.tau_a_ns),
                "tau0_ns": value(self.tau0_ns), "peak_index": None, "peak_areas_relative": None}


@dataclass(frozen=True, repr=False)
class BackgroundCorrectedG2(Result):
    """A g2(0) corrected for uncorrelated background (science.md §6, after Nair et al. 2011).

    Attributes
    ----------
    g2_zero, g2_zero_err : float
        Corrected value and error.
    g2_zero_raw, g2_zero_raw_err : float
        The value before correction.
    method : {"pairs", "subtract", "rho"}
        ``"pairs"``: the pairs with a background photon removed; ``"subtract"``:
        ``g2 − B/(S+B)``; ``"rho"``: ``(g2 − (1 − ρ²))/ρ²``.
    background_fraction : float
        ``B/(S+B)``.
    rho : float
        ``S/(S+B) = 1 − background_fraction``.
    """

    g2_zero: float
    g2_zero_err: float
    g2_zero_raw: float
    g2_zero_raw_err: float
    method: str
    background_fraction: float
    rho: float

    # -- the report's summary of this result (composed by tttr.pipeline.Report.to_dict)
    def interval(self, level: float = defaults.G2_CI_LEVEL) -> tuple:
        """``g2_zero ± z·g2_zero_err`` at the two-sided ``level`` (asymptotic normal)."""
        z = _normal_quantile(0.5 + 0.5 * level)
        return (self.g2_zero - z * self.g2_zero_err, self.g2_zero + z * self.g2_zero_err)

    def single_emitter_decision(self, what: str) -> tuple:
        """``(single_emitter, reason)`` from :meth:`interval` by the rule of :class:`PulsedG2`
        (``what`` names the value in the reason)."""
        return _single_emitter(self.interval(), what)

    def summary(self) -> dict:
        """The background-corrected keys of the report's ``g2`` section."""
        return {"g2_zero_corrected": self.g2_zero, "g2_zero_corrected_err": self.g2_zero_err,
                "g2_zero_corrected_ci": self.interval(), "background_fraction": self.background_fraction,
                "correction": self.method}


@dataclass(frozen=True, repr=False)
class G2Curve(Result):
    """A cross-correlation histogram of detector A → detector B and its g2 normalisation.

    Attributes
    ----------
    lag_s : (n,) float
        Bin centres, seconds (``t_B − t_A``, delay offsets applied). Linear bins: ``k·bin_s``;
        log bins: the geometric centre of the bin.
    lag_edges_s : (n + 1,) float
        Bin edges, seconds. A pair is in bin ``k`` if ``edges[k] ≤ Δ < edges[k+1]``.
    counts : (n,) int64
        Photon pairs per bin (``C(τ)``).
    g2 : (n,) float
        ``counts / expected_counts`` (1 for uncorrelated light).
    g2_err : (n,) float
        ``sqrt(counts) / expected_counts`` (Poisson; 0 for empty bins).
    expected_counts : (n,) float
        Pairs uncorrelated light of the same rates would give in each bin.
    bin_s : float or None
        Linear bins: the bin width used (a whole number of fine ticks). None for log bins.
    window_s : float
        Largest |bin centre| (linear) or largest edge (log).
    spacing : {"linear", "log"}
    symmetric : bool
        Log bins only: +τ and −τ pairs summed (lags ≥ 0 reported).
    detectors : tuple of int
        (A, B).
    offsets_s : tuple of float
        Delay added to the times of A and of B (rounded to fine ticks).
    n_a, n_b : int
        Photons correlated on A and B.
    duration_s : float
        Measurement time used for the normalisation (ON time when gated).
    gated : bool
        True when only photons of ON bins were correlated.
    mode : {"pulsed", "cw"}
        The analysis that applies (``auto`` resolved).
    period_s : float or None
        Laser period, if known.
    fine_unit_s : float
        The integer time unit pairs were counted in.
    time_base : str
        How absolute times were formed (see :func:`fine_time_base`).
    analysis : PulsedG2 or CWG2Fit or None
        Filled by :func:`g2`.
    analysis_error : str or None
        Why :func:`g2` could not compute the analysis of the mode on this histogram (e.g.
        empty side peaks, or a CW fit that ran into a bound), or None.
    nanotime_hist : (2, m) int64 or None
        T3 with nanotimes: the nanotime (decay) histograms of the correlated photons of A
        (row 0) and B (row 1), gate applied; they give the shape of every uncorrelated peak
        (:func:`pulsed_g2_zero`). None otherwise.
    nanotime_unit_s : float or None
        Width of one nanotime bin.
    nanotime_hist_by_class : (c, 2, m) int64 or None
        The same split by intensity class: the photons of each trace bin
        (``defaults.BIN_WIDTH_S``) go to class ``floor(2·log2(n_A + n_B + 1))`` of the bin's
        count (classes 2^½ apart; empty classes dropped).
    class_sums : (c, 4) float or None
        Per class: ``Σ n_A·n_B``, ``Σ n_A``, ``Σ n_B`` over its trace bins, and the number of
        bins. They weight each class's peak shape by its pairs (a blinking lifetime).
    rejected_analysis : CWG2Fit or None
        A CW fit that hit a bound: kept for inspection, not reported as the result.
    """

    lag_s: np.ndarray
    lag_edges_s: np.ndarray
    counts: np.ndarray
    g2: np.ndarray
    g2_err: np.ndarray
    expected_counts: np.ndarray
    bin_s: float | None
    window_s: float
    spacing: str
    symmetric: bool
    detectors: tuple
    offsets_s: tuple
    n_a: int
    n_b: int
    duration_s: float
    gated: bool
    mode: str
    period_s: float | None
    fine_unit_s: float
    time_base: str
    analysis: object = None
    analysis_error: str | None = None
    nanotime_hist: np.ndarray | None = None
    nanotime_unit_s: float | None = None
    rejected_analysis: object = None
    nanotime_hist_by_class: np.ndarray | None = None
    class_sums: np.ndarray | None = None

    @property
    def lag_ns(self) -> np.ndarray:
        """Bin centres in ns."""
        return self.lag_s * 1e9


# ----------------------------------------------------------------------- the stream
class _Gate:
    """ON-state gate: boolean per trace bin, bin width and origin in timestamp ticks."""

    def __init__(self, on_mask, on_bin_ticks, on_origin_ticks, timestamps_unit_s):
        if on_mask is None:
            self.mask, self.bin_ticks, self.origin = _NO_GATE, 0, 0
            self.active = False
            return
        mask = np.ascontiguousarray(np.asarray(on_mask, dtype=bool).ravel())
        if on_bin_ticks is None or int(on_bin_ticks) < 1:
            raise ValueError("on_mask needs on_bin_ticks, the trace bin width in timestamp ticks (>= 1)")
        if mask.size == 0:
            raise ValueError("on_mask is empty")
        self.mask, self.bin_ticks, self.origin = mask, int(on_bin_ticks), int(on_origin_ticks)
        self.active = True
        self.bin_s = self.bin_ticks * float(timestamps_unit_s)

    @property
    def on_time_s(self) -> float:
        return float(np.count_nonzero(self.mask)) * self.bin_s

    def pair_counts(self, q_max: int) -> np.ndarray:
        """``S(q) = Σ_k m_k·m_(k+q)`` for ``q = 0 … q_max`` (ON-bin pairs ``q`` bins apart)."""
        m = self.mask.astype(np.float64)
        n = m.size
        q_max = int(min(q_max, n))
        out = np.zeros(q_max + 2)
        if q_max <= 512:
            for q in range(min(q_max + 1, n)):
                out[q] = float(np.dot(m[: n - q], m[q:]))
        else:
            size = 1 << int(math.ceil(math.log2(2 * n)))
            f = np.fft.rfft(m, size)
            ac = np.fft.irfft(f * np.conj(f), size)[: q_max + 1]
            out[: q_max + 1] = np.round(ac)
        return out


class _PairStream:
    """The merged A/B photon stream fed chunk by chunk, with the carried tail.

    Photons are staged into one buffer ``[tail | pending + new]``. After a chunk, the
    photons earlier than the earliest time a later chunk can bring (``bound``) are final:
    the pairs among them (except tail–tail pairs, counted before) are counted by the kernel.
    Final photons within ``reach`` of ``bound`` stay as the tail; the rest are dropped.
    Photons at or after ``bound`` stay pending until the next chunk (in T3 photons of one
    sync period may be recorded out of order, so their order is only settled later).
    """

    def __init__(self, info: StreamInfo, tb: TimeBase, det_a: int, det_b: int, reach: int, gate: _Gate):
        self.info, self.tb, self.gate = info, tb, gate
        self.det_a, self.det_b = int(det_a), int(det_b)
        self.reach = int(reach)
        self.t = np.empty(1 << 16, np.int64)
        self.d = np.empty(1 << 16, np.uint8)
        self.n_tail = 0  # final photons kept for pairs with later ones
        self.n_all = 0  # tail + pending
        self.bound = np.iinfo(np.int64).min
        self.stats = np.array([0, 0, np.iinfo(np.int64).max, np.iinfo(np.int64).min], np.int64)
        self.det_seen = np.zeros(256, np.int64)

    def _reserve(self, n: int) -> None:
        if self.t.shape[0] >= n:
            return
        size = max(n, 2 * self.t.shape[0])
        t = np.empty(size, np.int64)
        d = np.empty(size, np.uint8)
        t[: self.n_all] = self.t[: self.n_all]
        d[: self.n_all] = self.d[: self.n_all]
        self.t, self.d = t, d

    def add(self, chunk: PhotonChunk, count) -> None:
        """Stage one chunk and call ``count(t, d, n, n_old)`` on the photons now final."""
        n = len(chunk)
        if n == 0:
            return
        ts = np.ascontiguousarray(chunk.timestamps, dtype=np.int64)
        det = np.ascontiguousarray(chunk.detectors, dtype=np.uint8)
        nt = _EMPTY_U16
        if self.tb.use_nanotimes and chunk.nanotimes is not None:
            nt = np.ascontiguousarray(chunk.nanotimes, dtype=np.uint16)
        if int(ts[-1]) > self.tb.max_timestamp or int(ts[0]) < 0:
            raise AnalysisError(f"{self.info.path}: timestamps beyond the range of the fine-time arithmetic "
                                f"({self.tb.description})")
        self._reserve(self.n_all + n)
        end = _k.stage_photons(ts, det, nt, self.det_a, self.det_b, self.tb.p_int, self.tb.p_frac,
                               self.tb.r_int, self.tb.r_frac, self.gate.mask, self.gate.bin_ticks,
                               self.gate.origin, self.t, self.d, self.n_all, self.n_tail, self.bound, self.stats,
                               self.det_seen)
        if end < 0:
            i = -1 - end
            raise AnalysisError(f"{self.info.path}: photon times go backwards across chunks "
                                f"(timestamp {int(ts[i])}); the stream must be in time order")
        # earliest fine time any later photon can have: last timestamp with nanotime 0
        raw_max = int(self.stats[3])
        bound = int(self.tb.fine(np.array([raw_max]))[0])
        e = self.n_tail + int(np.searchsorted(self.t[self.n_tail:end], bound, side="left"))
        if e > self.n_tail:
            count(self.t, self.d, e, self.n_tail)
        k0 = int(np.searchsorted(self.t[:e], bound - self.reach, side="left"))
        keep = end - k0
        if k0 > 0:
            self.t[:keep] = self.t[k0:end]
            self.d[:keep] = self.d[k0:end]
        self.n_tail = e - k0
        self.n_all = keep
        self.bound = bound

    def finish(self, count) -> None:
        """Count the pairs of the pending photons (the stream has ended)."""
        if self.n_all > self.n_tail:
            count(self.t, self.d, self.n_all, self.n_tail)

    @property
    def n_a(self) -> int:
        return int(self.stats[0])

    @property
    def n_b(self) -> int:
        return int(self.stats[1])

    def check_detectors(self) -> None:
        """One-line :class:`AnalysisError` when A or B has no photons."""
        if self.n_a > 0 and self.n_b > 0:
            return
        seen = [int(i) for i in np.flatnonzero(self.det_seen)]
        path = self.info.path or "data"
        if len(seen) == 1:
            raise AnalysisError(f"g2 needs two detectors; {path} has photons on detector {seen[0]} only")
        if not seen:
            raise AnalysisError(f"g2 needs two detectors; {path} has no photons")
        if self.gate.active and self.det_seen[self.det_a] and self.det_seen[self.det_b]:
            raise AnalysisError(f"no photons of detectors {self.det_a} and {self.det_b} fall in ON bins of the gate")
        raise AnalysisError(f"g2 needs photons on detectors {self.det_a} and {self.det_b}; {path} has photons "
                            f"on detectors {', '.join(map(str, seen))} (choose two with detectors=...)")

    def duration_s(self) -> float:
        """Measurement time for the normalisation: the ON time when gated, else the photon span."""
        if self.gate.active:
            return self.gate.on_time_s
        lo, hi = int(self.stats[2]), int(self.stats[3])
        if hi < lo:
            return 0.0
        unit = float(self.info.timestamps_unit_s)
        if self.info.mode == "T3":
            return (hi - lo + 1) * unit  # whole sync periods
        return max(hi - lo, 1) * unit


def _check_detectors(detectors) -> tuple[int, int]:
    try:
        a, b = (int(x) for x in detectors)
    except (TypeError, ValueError):
        raise ValueError(f"detectors must be two detector numbers (A, B), got {detectors!r}") from None
    if not (0 <= a < 256 and 0 <= b < 256):
        raise ValueError(f"detector numbers must be in 0..255, got {detectors!r}")
    if a == b:
        raise AnalysisError(f"g2 needs two different detectors, got {a} and {b}")
    return a, b


def _offsets(offsets_s, a: int, b: int, fine_unit_s: float) -> tuple[int, int]:
    """Delay offsets of A and B in fine ticks from a mapping or a sequence indexed by detector."""
    if offsets_s is None:
        return 0, 0
    if isinstance(offsets_s, dict):
        oa, ob = offsets_s.get(a, 0.0), offsets_s.get(b, 0.0)
    else:
        seq = list(offsets_s)
        oa = seq[a] if a < len(seq) else 0.0
        ob = seq[b] if b < len(seq) else 0.0
    return int(round(float(oa) / fine_unit_s)), int(round(float(ob) / fine_unit_s))


def _resolve_mode(mode: str, info: StreamInfo, tb: TimeBase, period_s) -> tuple[str, float | None]:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    period = float(period_s) if period_s else tb.period_s
    if info.mode == "T3" and tb.use_nanotimes:
        period = float(period_s) if period_s else float(info.timestamps_unit_s)
    if mode == "auto":
        mode = "pulsed" if (info.mode == "T3" and period) else "cw"
    if mode == "pulsed" and not period:
        raise AnalysisError("pulsed g2 needs the laser period: the file states none (pass period_s=...)")
    return mode, period


# --------------------------------------------------------------------- normalisation
def _overlap_antiderivative(tau_s: np.ndarray, duration_s: float, gate: _Gate) -> np.ndarray:
    """``G(τ) = ∫_0^τ L(u) du`` with ``L(u)`` the time during which both ``t`` and ``t + u`` are observed.

    Without a gate ``L(u) = T − |u|``. With a gate, ``L(u) = (w − r)·S(q) + r·S(q+1)`` for
    ``|u| = q·w + r`` (``w`` the gate bin width, ``S`` the ON-bin pair counts), piecewise linear.
    """
    x = np.abs(np.asarray(tau_s, np.float64))
    sgn = np.sign(tau_s)
    if not gate.active:
        T = float(duration_s)
        xc = np.minimum(x, T)
        return sgn * (T * xc - 0.5 * xc * xc)
    w = gate.bin_s
    q = np.floor(x / w).astype(np.int64)
    q_max = int(q.max(initial=0)) + 1
    S = gate.pair_counts(q_max)
    S = np.concatenate([S, np.zeros(2)])
    seg = 0.5 * w * w * (S[:-1] + S[1:])  # ∫ over whole bin-lags k → k+1
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    qc = np.minimum(q, S.size - 2)
    r = x - qc * w
    val = cum[qc] + (w * r - 0.5 * r * r) * S[qc] + 0.5 * r * r * S[qc + 1]
    return sgn * val


def _expected_pairs(edges_s, n_a, n_b, duration_s, gate: _Gate) -> np.ndarray:
    """Pairs uncorrelated photons at the measured rates give in each lag bin.

    ``n_a·n_b/T² · ∫_bin L(τ) dτ``: with ``L = T − |τ|`` this is ``C·T/(N_A·N_B·Δτ)`` of
    science.md §6 with the finite-duration factor ``T/(T − |τ|)``, which is 1 to within
    ``W/T`` for the ±1 µs histogram and matters only for lags of seconds.
    """
    if duration_s <= 0:
        return np.zeros(len(edges_s) - 1)
    G = _overlap_antiderivative(np.asarray(edges_s, np.float64), duration_s, gate)
    return float(n_a) * float(n_b) / (float(duration_s) ** 2) * np.diff(G)


def _normalised(counts, expected):
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(expected > 0, counts / expected, np.nan)
        err = np.where(expected > 0, np.sqrt(counts) / expected, np.nan)
    return g, err


# ------------------------------------------------------------------------ accumulators
class G2Accumulator:
    """Cross-correlation histogram of A → B photon pairs, fed chunk by chunk.

    Parameters
    ----------
    info : StreamInfo
        Metadata of the stream (units, T2/T3).
    window_s : float, optional
        Half-width W of the lag range (default ``defaults.G2_WINDOW_S``, 1 µs; in pulsed mode
        at least ``(n_side_peaks + 1)`` periods, so the side peaks fit).
    bin_s : float, optional
        Lag bin width (default ``defaults.G2_BIN_S``, 100 ps).
    detectors : (int, int)
        A and B; the lag is ``t_B − t_A``.
    offsets_s : dict or sequence, optional
        Delay added to each detector's times (seconds; by detector number).
    mode : {"auto", "pulsed", "cw"}
        Recorded in the result: which analysis applies. ``auto``: pulsed for T3, else CW.
    period_s : float, optional
        Laser period, if the file does not state it (or to override it).
    n_side_peaks : int
        Used only for the default window in pulsed mode.
    on_mask : (m,) bool, optional
        State gate: only photons in ON trace bins are correlated.
    on_bin_ticks : int
        Trace bin width of ``on_mask`` in timestamp ticks (required with ``on_mask``).
    on_origin_ticks : int
        Timestamp of the start of bin 0 (default 0, as the intensity trace).

    Notes
    -----
    * Bins are centred on multiples of the bin width: bin ``k`` holds
      ``(k − ½)·bin ≤ Δ < (k + ½)·bin`` for ``k = −M … M``, so zero lag and the pulsed peak
      centres fall on bin centres. The bin width is rounded to a whole number of fine ticks
      (at least one) and ``M = round(W / bin)``; the result reports both as used.
    * Pairs are counted by a sorted-merge scan over the window, O(N + pairs), not an FFT. The
      histogram is allocated once and updated in place; the staging buffer is reused and only
      grows. Each chunk keeps a tail of the previous photons as wide as the window (plus any
      delay offset), so pairs that straddle chunk boundaries are counted exactly once.
    * A T3 lag histogram at bins finer than a few nanotime ticks shows a moiré when the
      period is not a whole number of nanotime ticks: lags take only values
      ``n·P + m·res``, unevenly spread over the bins. This is the data, not an artefact of
      the counting.
    """

    def __init__(self, info: StreamInfo, *, window_s: float | None = None, bin_s: float | None = None,
                 detectors=(0, 1), offsets_s=None, mode: str = "auto", period_s: float | None = None,
                 n_side_peaks: int = defaults.G2_SIDE_PEAKS, on_mask=None, on_bin_ticks: int | None = None,
                 on_origin_ticks: int = 0):
        self.info = info
        self.tb = fine_time_base(info)
        self.det_a, self.det_b = _check_detectors(detectors)
        self.mode, self.period_s = _resolve_mode(mode, info, self.tb, period_s)
        u = self.tb.fine_unit_s
        bin_s = defaults.G2_BIN_S if bin_s is None else float(bin_s)
        if window_s is None:
            window_s = defaults.G2_WINDOW_S
            if self.mode == "pulsed":
                window_s = max(window_s, (int(n_side_peaks) + 1) * self.period_s)
        window_s = float(window_s)
        if not (bin_s > 0 and window_s > 0):
            raise ValueError(f"window_s and bin_s must be positive, got {window_s!r} and {bin_s!r}")
        self.bin_ticks = max(1, int(round(bin_s / u)))
        self.n_half = max(1, int(round(window_s / (self.bin_ticks * u))))
        self.off_a, self.off_b = _offsets(offsets_s, self.det_a, self.det_b, u)
        self.shift = self.off_b - self.off_a
        self.gate = _Gate(on_mask, on_bin_ticks, on_origin_ticks, info.timestamps_unit_s)
        half_span = ((2 * self.n_half + 1) * self.bin_ticks + 1) // 2
        self._stream = _PairStream(info, self.tb, self.det_a, self.det_b, half_span + abs(self.shift) + 1, self.gate)
        self.hist = np.zeros(2 * self.n_half + 1, np.int64)
        self.nt_hist = np.zeros((_N_CLASSES, 2, 0), np.int64) if self.tb.use_nanotimes else None
        self.class_sums = np.zeros((_N_CLASSES, 4))
        self._class_bin_ticks = max(1, int(round(defaults.BIN_WIDTH_S / float(info.timestamps_unit_s))))
        self._nt_pending = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64))

    def _add_nanotimes(self, chunk: PhotonChunk) -> None:
        """Add the chunk's A and B photons (gate applied) to the nanotime histograms of their
        intensity class (the photons of the last, possibly incomplete trace bin wait for the next chunk)."""
        if self.nt_hist is None or chunk.nanotimes is None or len(chunk) == 0:
            return
        det = np.asarray(chunk.detectors)
        keep = (det == self.det_a) | (det == self.det_b)
        ts = np.asarray(chunk.timestamps, np.int64)
        if self.gate.active:
            x = ts - self.gate.origin
            k = np.where(x >= 0, x // self.gate.bin_ticks, -1)
            ok = (k >= 0) & (k < self.gate.mask.size)
            keep &= ok & self.gate.mask[np.where(ok, k, 0)]
        t = np.concatenate([self._nt_pending[0], ts[keep]])
        nt = np.concatenate([self._nt_pending[1], np.asarray(chunk.nanotimes)[keep].astype(np.int64)])
        is_b = np.concatenate([self._nt_pending[2], (det[keep] == self.det_b).astype(np.int64)])
        if t.size == 0:
            return
        last = int(t[-1] // self._class_bin_ticks)
        done = t // self._class_bin_ticks < last
        self._nt_pending = (t[~done], nt[~done], is_b[~done])
        self._add_classified(t[done], nt[done], is_b[done])

    def _add_classified(self, t, nt, is_b) -> None:
        if t.size == 0:
            return
        # the occupied trace bins only, numbered in order: a dense range from the first to the
        # last bin of the chunk would be as long as any gap in the data (a corrupt timestamp
        # asked for gigabytes); empty bins carry no class anyway
        _, rel = np.unique(t // self._class_bin_ticks, return_inverse=True)
        rel = rel.ravel()
        n_bins = int(rel[-1]) + 1
        na = np.bincount(rel, weights=1 - is_b, minlength=n_bins)
        nb = np.bincount(rel, weights=is_b, minlength=n_bins)
        present = (na + nb) > 0
        cls_bin = np.minimum((2.0 * np.log2(na + nb + 1.0)).astype(np.int64), _N_CLASSES - 1)
        # per class: Σ nA·nB, Σ nA, Σ nB and the number of (non-empty) trace bins
        for arr, w in ((0, na * nb), (1, na), (2, nb), (3, present.astype(np.float64))):
            self.class_sums[:, arr] += np.bincount(cls_bin[present], weights=w[present], minlength=_N_CLASSES)
        cu = np.flatnonzero(np.bincount(cls_bin[present], minlength=_N_CLASSES))  # classes of this chunk
        lut = np.zeros(_N_CLASSES, np.int64)
        lut[cu] = np.arange(cu.size)
        ci = lut[cls_bin[rel]]
        m = max(int(nt.max()) + 1, self.nt_hist.shape[2])
        if m > self.nt_hist.shape[2]:
            grown = np.zeros((_N_CLASSES, 2, m), np.int64)
            grown[:, :, : self.nt_hist.shape[2]] = self.nt_hist
            self.nt_hist = grown
        self.nt_hist[cu] += np.bincount((ci * 2 + is_b) * m + nt, minlength=cu.size * 2 * m).reshape(cu.size, 2, m)

    def _class_histograms(self):
        """(histograms by class and detector, per-class sums) including the pending photons (copies)."""
        saved = (self.nt_hist.copy(), self.class_sums.copy())
        t, nt, is_b = self._nt_pending
        self._add_classified(t, nt, is_b)
        out = (self.nt_hist, self.class_sums)
        self.nt_hist, self.class_sums = saved
        return out

    def _count_into(self, hist):
        def count(t, d, n, n_old):
            _k.correlate_linear(t, d, n, n_old, self.det_a, self.det_b, self.shift, self.bin_ticks,
                                self.n_half, hist)
        return count

    def add(self, chunk: PhotonChunk) -> None:
        """Count the pairs a chunk completes (the chunk must follow the previous one in time)."""
        self._stream.add(chunk, self._count_into(self.hist))
        self._add_nanotimes(chunk)

    def counts(self) -> np.ndarray:
        """Pair counts per bin so far, including the photons still pending (a copy)."""
        h = self.hist.copy()
        self._stream.finish(self._count_into(h))
        return h

    def result(self) -> G2Curve:
        """The histogram and its g2 normalisation (the accumulator can take more chunks after)."""
        self._stream.check_detectors()
        h = self.counts()
        u = self.tb.fine_unit_s
        b = self.bin_ticks
        k = np.arange(-self.n_half, self.n_half + 1)
        lag_s = k * (b * u)
        edges_s = (np.arange(-self.n_half, self.n_half + 2) - 0.5) * (b * u)
        T = self._stream.duration_s()
        expected = _expected_pairs(edges_s, self._stream.n_a, self._stream.n_b, T, self.gate)
        g, err = _normalised(h, expected)
        hists = sums = None
        if self.nt_hist is not None:
            hists, sums = self._class_histograms()
            used = np.flatnonzero(sums[:, 3] > 0)
            hists, sums = hists[used], sums[used]
        return G2Curve(lag_s=lag_s, lag_edges_s=edges_s, counts=h, g2=g, g2_err=err, expected_counts=expected,
                       bin_s=b * u, window_s=self.n_half * b * u, spacing="linear", symmetric=False,
                       detectors=(self.det_a, self.det_b), offsets_s=(self.off_a * u, self.off_b * u),
                       n_a=self._stream.n_a, n_b=self._stream.n_b, duration_s=T, gated=self.gate.active,
                       mode=self.mode, period_s=self.period_s, fine_unit_s=u, time_base=self.tb.description,
                       nanotime_hist=None if hists is None else hists.sum(axis=0),
                       nanotime_unit_s=float(self.info.nanotimes_unit_s) if hists is not None else None,
                       nanotime_hist_by_class=hists, class_sums=sums)


class LongLagAccumulator:
    """Correlation in log-spaced lag bins (nanoseconds to seconds), fed chunk by chunk.

    Parameters
    ----------
    info : StreamInfo
    min_lag_s, max_lag_s : float
        First and last bin edge of the positive lags (default 10 ns and 1 s).
    bins_per_decade : int
        Log-spaced edges per decade (default 10).
    detectors : (int, int)
    symmetric : bool
        Count both ``t_B − t_A = τ`` and ``t_A − t_B = τ`` and report them summed (default
        True: the cross-correlation of a stationary emitter is even; summing halves the
        variance).
    offsets_s, on_mask, on_bin_ticks, on_origin_ticks
        As for :class:`G2Accumulator`.

    Notes
    -----
    * Pairs are counted by the arbitrary-bin algorithm of Laurence et al. (2006): one
      pointer per bin edge that only moves forward, O(N·E) for E edges, independent of the
      number of pairs (which at lags of seconds is huge). No multi-tau coarsening: the
      counts are exact.
    * Edges are rounded to whole fine ticks and duplicates dropped. The negative-lag bins
      are the mirror images ``(−e_(k+1), −e_k]``, so the +τ and −τ bins hold the same lags.
    * Normalisation: ``g2 = C / (N_A·N_B/T² · ∫_bin L(τ) dτ)`` with ``L(τ) = T − |τ|`` (or
      the ON-mask overlap when gated), exact in expectation for stationary uncorrelated
      light at any lag up to the measurement time.
    * The carried tail is as wide as ``max_lag_s``: memory grows with the photons of that
      much time (about 1 MB per 100 000 photons).
    """

    def __init__(self, info: StreamInfo, *, min_lag_s: float = 10e-9, max_lag_s: float = 1.0,
                 bins_per_decade: int = 10, detectors=(0, 1), symmetric: bool = True, offsets_s=None,
                 on_mask=None, on_bin_ticks: int | None = None, on_origin_ticks: int = 0):
        self.info = info
        self.tb = fine_time_base(info)
        self.det_a, self.det_b = _check_detectors(detectors)
        u = self.tb.fine_unit_s
        if not (0 < min_lag_s < max_lag_s):
            raise ValueError(f"need 0 < min_lag_s < max_lag_s, got {min_lag_s!r}, {max_lag_s!r}")
        if int(bins_per_decade) < 1:
            raise ValueError("bins_per_decade must be at least 1")
        n_edges = max(2, int(math.ceil(math.log10(max_lag_s / min_lag_s) * int(bins_per_decade))) + 1)
        pos = np.unique(np.maximum(1, np.round(np.geomspace(min_lag_s, max_lag_s, n_edges) / u)).astype(np.int64))
        if pos.size < 2:
            raise ValueError("lag range is narrower than one fine tick")
        self.pos_edges = pos
        self.symmetric = bool(symmetric)
        self.off_a, self.off_b = _offsets(offsets_s, self.det_a, self.det_b, u)
        self.shift = self.off_b - self.off_a
        neg = -pos[::-1] + 1  # mirror bins (−e_(k+1), −e_k] as half-open integer bins
        self.edges = np.concatenate([neg, pos]) if self.symmetric else pos.copy()
        self._kernel_edges = np.ascontiguousarray(self.edges - self.shift)
        self.gate = _Gate(on_mask, on_bin_ticks, on_origin_ticks, info.timestamps_unit_s)
        reach = int(np.abs(self._kernel_edges).max()) + 1
        self._stream = _PairStream(info, self.tb, self.det_a, self.det_b, reach, self.gate)
        self.hist = np.zeros(self.edges.size - 1, np.int64)
        self._ptr = np.zeros(self.edges.size, np.int64)
        self._cnt = np.zeros(self.edges.size, np.int64)

    def _count_into(self, hist):
        def count(t, d, n, n_old):
            _k.correlate_edges(t, d, n, n_old, self.det_a, self.det_b, self._kernel_edges, self._ptr,
                               self._cnt, hist)
        return count

    def add(self, chunk: PhotonChunk) -> None:
        """Count the pairs a chunk completes."""
        self._stream.add(chunk, self._count_into(self.hist))

    def result(self) -> G2Curve:
        """Normalised correlation on log lags (lags ≥ 0 when symmetric)."""
        self._stream.check_detectors()
        h = self.hist.copy()
        self._stream.finish(self._count_into(h))
        u = self.tb.fine_unit_s
        T = self._stream.duration_s()
        na, nb = self._stream.n_a, self._stream.n_b
        edges_s = self.edges.astype(np.float64) * u
        if self.symmetric:
            npos = self.pos_edges.size - 1
            c_neg, c_pos = h[:npos][::-1], h[-npos:]
            e_all = _expected_pairs(edges_s, na, nb, T, self.gate)
            x_neg, x_pos = e_all[:npos][::-1], e_all[-npos:]
            counts = c_neg + c_pos
            expected = x_neg + x_pos
            out_edges = self.pos_edges.astype(np.float64) * u
        else:
            counts, expected, out_edges = h, _expected_pairs(edges_s, na, nb, T, self.gate), edges_s
        g, err = _normalised(counts, expected)
        lag = np.sqrt(out_edges[:-1] * out_edges[1:])
        return G2Curve(lag_s=lag, lag_edges_s=out_edges, counts=counts, g2=g, g2_err=err, expected_counts=expected,
                       bin_s=None, window_s=float(out_edges[-1]), spacing="log", symmetric=self.symmetric,
                       detectors=(self.det_a, self.det_b), offsets_s=(self.off_a * u, self.off_b * u),
                       n_a=na, n_b=nb, duration_s=T, gated=self.gate.active, mode="cw",
                       period_s=self.tb.period_s, fine_unit_s=u, time_base=self.tb.description)


# ---------------------------------------------------------------------- entry points
def g2(source, *, window_s: float | None = None, bin_s: float | None = None, detectors=(0, 1),
       mode: str = "auto", offsets_s=None, period_s: float | None = None,
       n_side_peaks: int = defaults.G2_SIDE_PEAKS, half_window_s: float | None = None,
       on_mask=None, on_bin_ticks: int | None = None, on_origin_ticks: int = 0, tau0_bound_s: float | None = None,
       background: str | None = defaults.G2_BACKGROUND_CORRECTION, **options) -> G2Curve:
    """g2(τ) of a file: the A → B cross-correlation histogram, normalised, with g2(0).

    Parameters
    ----------
    source : path, TTTRStream or photons from ``tttr.read``
    window_s, bin_s : float, optional
        Half-width of the lag range and bin width (defaults 1 µs and 100 ps, science.md §6).
    detectors : (int, int)
        Detectors A and B (default (0, 1)); the lag is ``t_B − t_A``.
    mode : {"auto", "pulsed", "cw"}
        ``auto``: pulsed for T3 recordings (the sync is the laser), CW otherwise.
    offsets_s : dict or sequence, optional
        Detector delay offsets (s) added to each detector's times.
    period_s : float, optional
        Laser period, overriding the file's.
    n_side_peaks, half_window_s : optional
        Pulsed analysis options (see :func:`pulsed_g2_zero`).
    on_mask, on_bin_ticks, on_origin_ticks : optional
        State-gated g2 (see :class:`G2Accumulator`).
    tau0_bound_s : float, optional
        CW: largest |τ0| of the fit (see :func:`fit_cw_g2`).
    background : {"pairs", "rho", "subtract"} or None
        Pulsed: background correction (see :func:`pulsed_g2_zero`; default "pairs").
    **options
        Reader options (``chunk_records``, units of columnar files, ...).

    Returns
    -------
    G2Curve
        With ``analysis`` = :class:`PulsedG2` (pulsed) or :class:`CWG2Fit` (CW).

    Raises
    ------
    AnalysisError
        Fewer than two detectors with photons, or no laser period in pulsed mode.

    Notes
    -----
    One streaming pass (:class:`G2Accumulator`), then the analysis of the mode on the
    histogram. If that analysis is impossible on a valid histogram (e.g. side peaks emptied
    by a detector dead time longer than the period), the curve is still returned, with
    ``analysis=None`` and the one-line reason in ``analysis_error``. The background
    correction is separate (:func:`correct_background`), because the background fraction
    comes from the decay histogram.
    """
    info, chunks = stream_of(source, **options)
    acc = G2Accumulator(info, window_s=window_s, bin_s=bin_s, detectors=detectors, offsets_s=offsets_s,
                        mode=mode, period_s=period_s, n_side_peaks=n_side_peaks, on_mask=on_mask,
                        on_bin_ticks=on_bin_ticks, on_origin_ticks=on_origin_ticks)
    for c in chunks:
        acc.add(c)
    curve = acc.result()
    try:
        if curve.mode == "pulsed":
            analysis = pulsed_g2_zero(curve, n_side_peaks=n_side_peaks, half_window_s=half_window_s,
                                      background=background)
        else:
            analysis = fit_cw_g2(curve, tau0_bound_s=tau0_bound_s)
    except AnalysisError as exc:
        return replace(curve, analysis_error=str(exc))
    if isinstance(analysis, CWG2Fit) and analysis.at_bound:
        return replace(curve, rejected_analysis=analysis,
                       analysis_error=f"CW fit not a result: {analysis.single_emitter_reason} "
                                      f"(tau0 = {analysis.tau0_ns:.4g} ns within {analysis.tau0_bounds_ns[0]:.4g}"
                                      f"..{analysis.tau0_bounds_ns[1]:.4g} ns, tau_a = {analysis.tau_a_ns:.4g} ns)")
    return replace(curve, analysis=analysis)


def long_lag_correlation(source, *, min_lag_s: float = 10e-9, max_lag_s: float = 1.0, bins_per_decade: int = 10,
                         detectors=(0, 1), symmetric: bool = True, offsets_s=None, on_mask=None,
                         on_bin_ticks: int | None = None, on_origin_ticks: int = 0, **options) -> G2Curve:
    """Normalised cross-correlation on log-spaced lags, for the bunching caused by blinking.

    Parameters
    ----------
    source : path, TTTRStream or photons from ``tttr.read``
    min_lag_s, max_lag_s, bins_per_decade, detectors, symmetric, offsets_s, on_mask, on_bin_ticks, on_origin_ticks
        See :class:`LongLagAccumulator`.

    Returns
    -------
    G2Curve
        ``spacing == "log"``; ``g2`` is 1 for uncorrelated light and rises at the lags where
        the emitter's ON/OFF switching correlates the photons.

    Notes
    -----
    Science.md §6 allows multi-tau or the arbitrary-bin algorithm; the arbitrary-bin one is
    used because its counts are exact (no coarsening of the time axis) and its bins are
    whatever the caller asks for.
    """
    info, chunks = stream_of(source, **options)
    acc = LongLagAccumulator(info, min_lag_s=min_lag_s, max_lag_s=max_lag_s, bins_per_decade=bins_per_decade,
                             detectors=detectors, symmetric=symmetric, offsets_s=offsets_s, on_mask=on_mask,
                             on_bin_ticks=on_bin_ticks, on_origin_ticks=on_origin_ticks)
    for c in chunks:
        acc.add(c)
    return acc.result()


# ------------------------------------------------------------------------ pulsed g2(0)
def _comb_offset(curve: G2Curve, period: float, k_max: int) -> float:
    """Offset of the peak comb from the circular mean of the counts over lag modulo the period."""
    sel = np.abs(curve.lag_s) <= (k_max + 0.5) * period
    c = curve.counts[sel].astype(np.float64)
    if c.sum() <= 0:
        return 0.0
    z = np.sum(c * np.exp(2j * np.pi * curve.lag_s[sel] / period))
    return float(np.angle(z) / (2 * np.pi) * period)


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


def _peak_shapes(curve: G2Curve, period: float):
    """Per-class ``(density A, density B, pair weight)`` and the whole-measurement densities.

    Returns ``(shapes, (da, db), note)``, or ``(None, None, reason)`` without nanotimes.
    """
    from .g2_peaks import delay_density

    if curve.nanotime_hist is None or not curve.nanotime_unit_s:
        return None, None, "no nanotimes: the peak shape is unknown, window ratio only"
    unit = curve.nanotime_unit_s
    da = delay_density(curve.nanotime_hist[0], unit, period)
    db = delay_density(curve.nanotime_hist[1], unit, period)
    if da is None or db is None:
        return None, None, "nanotime histograms too coarse or empty for a peak shape: window ratio only"
    whole = [(da, db, 1.0)]
    hists, sums = curve.nanotime_hist_by_class, curve.class_sums
    if hists is None or sums is None or len(hists) < 2:
        return whole, (da, db), None
    n_bins = float(sums[:, 3].sum())
    # background photons per trace bin of each detector (flat in time)
    bg_a = da.background_fraction * da.n_photons / n_bins
    bg_b = db.background_fraction * db.n_photons / n_bins
    shapes = []
    for h, (s_ab, s_a, s_b, nb) in zip(hists, sums):
        weight = s_ab - bg_b * s_a - bg_a * s_b + bg_a * bg_b * nb  # signal-signal pairs per bin, summed
        share = nb / n_bins
        if weight <= 0 or h[0].sum() <= 0 or h[1].sum() <= 0:
            continue
        ca = delay_density(h[0], unit, period, origin=da.origin, background_per_bin=da.background_per_bin * share)
        cb = delay_density(h[1], unit, period, origin=db.origin, background_per_bin=db.background_per_bin * share)
        if ca is None or cb is None:
            continue
        shapes.append((ca, cb, float(weight)))
    return (shapes or whole), (da, db), None


def pulsed_g2_zero(curve: G2Curve, *, n_side_peaks: int = defaults.G2_SIDE_PEAKS, half_window_s: float | None = None,
                   period_s: float | None = None, tau0_s="auto", overlap: bool = True,
                   background: str | None = defaults.G2_BACKGROUND_CORRECTION,
                   background_fraction: float | None = None, level: float = defaults.G2_CI_LEVEL) -> PulsedG2:
    """g2(0) of pulsed excitation: central peak area over the mean of the ±1…±K side peaks.

    Parameters
    ----------
    curve : G2Curve
        A linear-bin histogram (from :func:`g2` or :class:`G2Accumulator`).
    n_side_peaks : int
        K: side peaks averaged on each side (default ``defaults.G2_SIDE_PEAKS`` = 1).
    half_window_s : float, optional
        Integration half-window around each peak centre (default: half a period,
        ``defaults.G2_PEAK_HALF_WINDOW_FRACTION``; the windows then tile the lag axis).
    period_s : float, optional
        Laser period (default: the curve's).
    tau0_s : float or "auto"
        Offset of the peak comb (detector delay). ``"auto"`` (default) estimates it as the
        circular mean of the counts over lag modulo the period.
    overlap : bool
        Remove the peak overlap with the shape of the decay histograms (default True; needs
        the curve's nanotime histograms, i.e. T3 data).
    background : {"pairs", "rho", "subtract"} or None
        Background correction (default ``defaults.G2_BACKGROUND_CORRECTION`` = "pairs").
    background_fraction : float, optional
        ``B/(S+B)`` of both detectors, used only when the curve has no nanotime histograms
        to give each detector's background (e.g. from a decay fitted elsewhere).
    level : float
        Confidence level of the intervals (default 0.95).

    Returns
    -------
    PulsedG2

    Raises
    ------
    AnalysisError
        No period, or the histogram window holds fewer than K complete side peaks per side.

    Notes
    -----
    * Window ``k`` is the sum of the counts of the bins whose centre lies in
      ``[k·P + τ0 − h, k·P + τ0 + h)``; only windows entirely inside the histogram are used.
      Window counts ``W_k`` are Poisson. ``g2_zero_window = W_0 / mean(W_±1…±K)``.
    * **Overlap.** With a lifetime not ≪ P the tails of the ±1 peaks reach into the central
      window (24.7 ns at 5 MHz: ≈1.7 % of a side peak, as much as published g2(0) values).
      In T3 data the shape of every uncorrelated peak is known: the cross-correlation of
      detector A's and B's signal delay distributions (:func:`~tttr.analysis.g2_peaks.delay_density`,
      which also puts back the tail that wrapped into later periods), centred at
      ``k·P``; with a blinking lifetime, the pair-weighted mean over intensity classes of the
      trace bins (``G2Curve.nanotime_hist_by_class``: pulses a few periods apart share a
      state, so each class contributes its own cross-correlation, weighted by its signal
      pairs). The windows then hold ``W = M·a + F``, with ``M[j, k]`` the fraction of peak
      ``k`` in window ``j``, ``a_k`` the signal pairs of pulses ``k`` apart and ``F_j`` the
      background pairs (below); peaks beyond the outermost windows are taken equal to the
      outermost ones. ``a = M⁻¹(W − F)`` are the areas as if the peaks did not overlap, and
      ``g2_zero = (a_0 + F_0)/(ā_side + F̄_side)``. The central (cascade) peak is assumed to
      have the uncorrelated shape; a biexciton–exciton pair is separated by one exciton
      delay, which gives that shape for a mono-exponential exciton decay.
    * **Background** (``"pairs"``). Background photons are flat in time; every pair with one
      of them is flat in lag, ``F_j = φ·E_j`` with ``E_j`` the pairs uncorrelated light gives
      in window ``j`` and ``φ = β_A + β_B − β_A·β_B`` (β: background fraction of each detector,
      from the tail fit of its decay histogram). Signal–signal pairs of a blinking emitter
      are bunched, pairs with a background photon are not, so the removal is done on the
      areas: ``g2_zero_corrected = a_0/ā_side``, the emitter's own same-pulse / adjacent-pulse
      pair ratio. ``"rho"`` and ``"subtract"`` apply the textbook formulas to ``g2_zero`` with
      ``β = B/(S+B)`` of both detectors; both assume Poisson-normalised peaks and are biased
      for a blinking emitter.
    * **Errors.** Standard errors are first-order in the Poisson window counts (and the
      background fractions). Intervals: conditional on ``W_0 + S`` (S = side windows),
      ``W_0`` is binomial, so the exact Clopper–Pearson interval of ``W_0/(W_0 + S)`` gives an
      interval of the window ratio that is right at zero counts; it is mapped through the
      (monotone) overlap/background correction and widened in quadrature by ``z`` times the
      error from the background fractions and the windows beyond ±K; its lower end is
      clipped at 0 (the point estimates are not: they stay unbiased and may be < 0).
    * ``g2(0) ≈ QY_BX/QY_X`` at low ⟨N⟩ (science.md §6). Blinking raises the near side
      peaks above the far ones; with K > 1 that bias enters g2(0), which is why the side
      peaks are reported (``peak_g2``) and K defaults to 1.
    """
    if curve.spacing != "linear":
        raise ValueError("pulsed_g2_zero needs a linear-bin histogram (from g2 or G2Accumulator)")
    if background not in (None, "pairs", "rho", "subtract"):
        raise ValueError(f"background must be 'pairs', 'rho', 'subtract' or None, got {background!r}")
    if not 0 < float(level) < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    period = float(period_s) if period_s else curve.period_s
    if not period:
        raise AnalysisError("pulsed g2 needs the laser period (pass period_s=...)")
    K = int(n_side_peaks)
    if K < 1:
        raise ValueError("n_side_peaks must be at least 1")
    h = float(half_window_s) if half_window_s else defaults.G2_PEAK_HALF_WINDOW_FRACTION * period
    if not 0 < h <= 0.5 * period * (1 + 1e-9):
        raise ValueError(f"half_window_s must be in (0, period/2], got {h!r} with period {period!r}")
    lo_edge, hi_edge = float(curve.lag_edges_s[0]), float(curve.lag_edges_s[-1])
    k_all = int(np.floor(max(abs(lo_edge), hi_edge) / period)) + 1
    auto = isinstance(tau0_s, str)
    if auto:
        if tau0_s != "auto":
            raise ValueError(f"tau0_s must be a number or 'auto', got {tau0_s!r}")
        tau0 = _comb_offset(curve, period, k_all)
    else:
        tau0 = float(tau0_s)
    tol = 1e-9 * period
    ks = [k for k in range(-k_all, k_all + 1)
          if k * period + tau0 - h >= lo_edge - tol and k * period + tau0 + h <= hi_edge + tol]
    have = min(sum(1 for k in ks if k < 0), sum(1 for k in ks if k > 0))
    if 0 not in ks or have < K:
        need = (K + 0.5) * period + abs(tau0)
        raise AnalysisError(f"the ±{curve.window_s * 1e9:.4g} ns histogram holds {max(have, 0)} complete side "
                            f"peak(s) per side; {K} needed (use window_s >= {need * 1e9:.4g} ns)")
    centres = curve.lag_s
    areas, expected, wins = [], [], []
    for k in ks:
        c0 = k * period + tau0
        sel = (centres >= c0 - h) & (centres < c0 + h)
        areas.append(int(curve.counts[sel].sum()))
        expected.append(float(curve.expected_counts[sel].sum()))
        idx = np.flatnonzero(sel)
        wins.append((float(curve.lag_edges_s[idx[0]]), float(curve.lag_edges_s[idx[-1] + 1])) if idx.size
                    else (c0 - h, c0 - h))
    ks_arr = np.array(ks, np.int64)
    areas_arr = np.array(areas, np.int64)
    exp_arr = np.array(expected)
    i0 = int(np.flatnonzero(ks_arr == 0)[0])
    ref = (np.abs(ks_arr) >= 1) & (np.abs(ks_arr) <= K)
    A0 = float(areas_arr[i0])
    S = float(areas_arr[ref].sum())
    side_mean = S / (2 * K)
    if S <= 0:
        which = "±1" if K == 1 else f"±1…±{K}"
        raise AnalysisError(f"the {which} side peaks hold no photon pairs (too few photons, or a detector dead "
                            "time longer than the period): no pulsed g2(0)")

    # ---- peak shape (overlap) and background pairs
    notes = []
    m = len(ks)
    M = np.eye(m)
    overlap_done = False
    betas, beta_errs = None, (0.0, 0.0)
    shapes, whole, why = _peak_shapes(curve, period) if overlap or background == "pairs" else (None, None, None)
    if shapes is not None:
        da, db = whole
        betas = (da.background_fraction, db.background_fraction)
        beta_errs = (da.background_fraction_err, db.background_fraction_err)
        notes += [n for n in (da.note, db.note) if n]
        if overlap:
            from .g2_peaks import peak_window_matrix

            try:
                M = peak_window_matrix(shapes, curve.nanotime_unit_s, period,
                                       float(curve.offsets_s[1] - curve.offsets_s[0]), np.array(wins), ks_arr,
                                       centre_s=tau0)
                if not np.all(np.isfinite(M)) or abs(np.linalg.det(M)) < 1e-9:
                    raise ValueError("singular peak-overlap matrix")
                overlap_done = True
            except ValueError as exc:
                M = np.eye(m)
                notes.append(f"no overlap correction: {exc}")
    elif why:
        notes.append(why)
    if betas is None and background_fraction is not None:
        bf = float(background_fraction)
        if not 0.0 <= bf < 1.0:
            raise ValueError(f"background_fraction must be in [0, 1), got {bf!r}")
        betas = (bf, bf)
    Minv = np.linalg.inv(M)
    z = float(_normal_quantile(0.5 + 0.5 * float(level)))
    side_rows = np.flatnonzero(ref)

    def ratio(W, phi, with_bg, Minv):
        F = phi * exp_arr
        a = Minv @ (W - F)
        num = a[i0] + (F[i0] if with_bg else 0.0)
        den = a[side_rows].mean() + (F[side_rows].mean() if with_bg else 0.0)
        return num / den if den != 0 else float("nan")

    W = areas_arr.astype(np.float64)
    phi = 0.0 if betas is None else betas[0] + betas[1] - betas[0] * betas[1]
    phi_err = 0.0 if betas is None else math.hypot((1 - betas[1]) * beta_errs[0], (1 - betas[0]) * beta_errs[1])
    p_lo, p_hi = _poisson_ratio(int(A0), int(S), level)

    def estimate(with_bg, use_phi, Minv):
        ph = phi if use_phi else 0.0
        g = ratio(W, ph, with_bg, Minv)
        grad = np.zeros(m)
        for j in range(m):
            step = max(1e-3 * max(W[j], 1.0), 1e-6)
            Wp = W.copy()
            Wp[j] += step
            grad[j] = (ratio(Wp, ph, with_bg, Minv) - g) / step
        var_w = grad**2 * np.maximum(W, 1.0)  # an empty window still has Poisson variance
        var = float(np.sum(var_w))
        others = np.ones(m, bool)
        others[i0] = False
        others[side_rows] = False
        var_other = float(np.sum(var_w[others]))  # windows outside the central/side ratio
        var_phi = 0.0
        if use_phi and phi_err > 0:
            dphi = max(1e-6, 1e-3 * phi)
            var_phi = ((ratio(W, ph + dphi, with_bg, Minv) - g) / dphi * phi_err) ** 2
        err = math.sqrt(var + var_phi)
        # exact small-count interval of the window ratio, mapped through the correction
        ends = []
        for p in (p_lo, p_hi):
            if p >= 1.0:
                ends.append(float("inf"))
                continue
            Wq = W.copy()
            Wq[i0] = S * p / (1.0 - p)
            ends.append(ratio(Wq, ph, with_bg, Minv))
        lo_map, hi_map = min(ends), max(ends)
        extra = z * math.sqrt(var_phi + var_other)
        half_lo = math.hypot(g - lo_map, extra)
        half_hi = math.hypot(hi_map - g, extra) if np.isfinite(hi_map) else float("inf")
        return g, err, (max(g - half_lo, 0.0), g + half_hi)  # a pair ratio is >= 0: the interval is clipped there

    gw, gw_err, gw_ci = estimate(True, False, np.eye(m))
    g0, err, ci = estimate(True, betas is not None, Minv)
    corr = corr_err = corr_ci = None
    method = None
    beta_all = None
    if betas is not None and background is not None:
        na, nb = max(curve.n_a, 0), max(curve.n_b, 0)
        beta_all = (betas[0] * na + betas[1] * nb) / (na + nb) if na + nb > 0 else 0.5 * (betas[0] + betas[1])
        method = background
        if background == "pairs":
            corr, corr_err, corr_ci = estimate(False, True, Minv)
        else:
            c = correct_background(g0, background_fraction=min(beta_all, 0.999), method=background, g2_zero_err=err)
            corr, corr_err = c.g2_zero, c.g2_zero_err
            corr_ci = tuple(sorted(correct_background(v, background_fraction=min(beta_all, 0.999),
                                                      method=background).g2_zero for v in ci))
    if corr is not None:
        single, reason = _single_emitter(corr_ci, f"the background-corrected g2(0) ({method})")
        if single is None and ci[1] < 0.5:
            single, reason = _single_emitter(ci, "g2(0) before background correction")
    else:
        single, reason = _single_emitter(ci, "g2(0) (no background correction available)")
    with np.errstate(divide="ignore", invalid="ignore"):
        peak_g2 = np.where(exp_arr > 0, areas_arr / exp_arr, np.nan)
    unmixed = Minv @ (W - phi * exp_arr)
    return PulsedG2(g2_zero=float(g0), g2_zero_err=float(err), purity=1.0 - float(g0), purity_err=float(err),
                    single_emitter=single, central_area=int(A0), side_area_mean=side_mean, n_side_peaks=K,
                    peak_index=ks_arr, peak_lag_s=ks_arr * period + tau0, peak_areas=areas_arr,
                    peak_areas_relative=areas_arr / side_mean, peak_g2=peak_g2, period_s=period, half_window_s=h,
                    tau0_s=tau0, tau0_auto=auto, g2_zero_ci=tuple(float(x) for x in ci),
                    g2_zero_window=float(gw), g2_zero_window_err=float(gw_err),
                    g2_zero_window_ci=tuple(float(x) for x in gw_ci),
                    g2_zero_corrected=None if corr is None else float(corr),
                    g2_zero_corrected_err=None if corr_err is None else float(corr_err),
                    g2_zero_corrected_ci=None if corr_ci is None else tuple(float(x) for x in corr_ci),
                    correction=method, background_fractions=None if betas is None else tuple(map(float, betas)),
                    background_fraction=None if beta_all is None else float(beta_all),
                    overlap_corrected=overlap_done, overlap_note="; ".join(notes) or None,
                    single_emitter_reason=reason, ci_level=float(level), peak_areas_unmixed=unmixed,
                    background_pairs=phi * exp_arr)


def _normal_quantile(p: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(p))


def _poisson_ratio(n0: int, n1: int, level: float) -> tuple[float, float]:
    from .g2_peaks import poisson_ratio_interval

    return poisson_ratio_interval(n0, n1, level)


# ---------------------------------------------------------------------------- CW fit
def cw_g2_model(lag_ns, g2_zero, tau_a_ns, tau0_ns=0.0, amplitude=1.0):
    """``amplitude·[1 − (1 − g2_zero)·exp(−|τ − τ0|/τ_a)]`` (science.md §6, seed 004 Eq. 11)."""
    lag_ns = np.asarray(lag_ns, np.float64)
    return amplitude * (1.0 - (1.0 - g2_zero) * np.exp(-np.abs(lag_ns - tau0_ns) / tau_a_ns))


def _bin_mean_exp(lo_ns, hi_ns, tau0_ns, tau_a_ns):
    """Mean of ``exp(−|τ − τ0|/τ_a)`` over each bin ``[lo, hi)``, exactly (also across the cusp)."""
    a = (lo_ns - tau0_ns) / tau_a_ns
    b = (hi_ns - tau0_ns) / tau_a_ns
    w = b - a
    left = np.minimum(b, 0.0)  # part of the bin below τ0: ∫ e^x dx over [a, min(b, 0)]
    right = np.maximum(a, 0.0)  # part above τ0: ∫ e^-x dx over [max(a, 0), b]
    total = (np.where(a < 0, np.exp(left) - np.exp(np.minimum(a, 0.0)), 0.0)
             + np.where(b > 0, np.exp(-right) - np.exp(-np.maximum(b, 0.0)), 0.0))
    return total / w


def _deviance_residuals(counts, mu):
    mu = np.maximum(mu, 1e-300)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(counts > 0, counts * np.log(counts / mu), 0.0)
    dev = 2.0 * (mu - counts + term)
    return np.sign(counts - mu) * np.sqrt(np.maximum(dev, 0.0))


def _profile_interval(residual, params, dev_min: float, target: float, step: float) -> tuple[float, float]:
    """Profile-likelihood interval of g2_zero: where the deviance, minimised over the other
    parameters, rises by ``target`` (z²) above its minimum; clipped at the parameter's bounds."""
    import lmfit

    def rise(g):
        p = params.copy()
        p["g2_zero"].set(value=g, vary=False)
        r = lmfit.minimize(residual, p, method="leastsq", scale_covar=False, max_nfev=400)
        return max(float(np.sum(residual(r.params) ** 2)) - dev_min, 0.0)

    g_hat = float(params["g2_zero"].value)
    lo_b, hi_b = float(params["g2_zero"].min), float(params["g2_zero"].max)
    ends = []
    for sign, bound in ((-1.0, lo_b), (1.0, hi_b)):
        a, ra = g_hat, 0.0
        b = g_hat + sign * 2.0 * step
        found = None
        for _ in range(12):  # bracket
            if (b - bound) * sign >= 0:
                b = bound
            rb = rise(b)
            if rb >= target:
                break
            if b == bound:
                found = bound
                break
            a, ra = b, rb
            b = g_hat + 2.0 * (b - g_hat)
        if found is None:
            for _ in range(5):  # interpolate on sqrt(rise), nearly linear in g
                sa, sb = math.sqrt(ra), math.sqrt(rb)
                m = a + (b - a) * (math.sqrt(target) - sa) / max(sb - sa, 1e-12)
                rm = rise(m)
                if abs(rm - target) < 0.02 * target:
                    a = b = m
                    break
                if rm < target:
                    a, ra = m, rm
                else:
                    b, rb = m, rm
            found = 0.5 * (a + b)
        ends.append(float(found))
    return ends[0], ends[1]


def fit_cw_g2(curve: G2Curve, *, amplitude: bool = True, fit_range_s: float | None = None,
              tau0_s: float | None = None, tau0_bound_s: float | None = None) -> CWG2Fit:
    """Fit the CW antibunching dip ``A·[1 − (1 − g2(0))·exp(−|τ − τ0|/τ_a)]`` with lmfit.

    Parameters
    ----------
    curve : G2Curve
        Linear-bin histogram.
    amplitude : bool
        Fit the plateau A (default True); False fixes A = 1.
    fit_range_s : float, optional
        Fit ``|τ| ≤ fit_range_s`` only (default: the whole histogram).
    tau0_s : float, optional
        Fix the dip centre (default: fitted).
    tau0_bound_s : float, optional
        Largest ``|τ0|`` the fit may use (default ``defaults.G2_CW_TAU0_MAX_S`` = 10 ns): the
        dip sits at the detector delay difference (after the offsets applied to the
        histogram), never hundreds of ns away.

    Returns
    -------
    CWG2Fit

    Notes
    -----
    * Poisson maximum likelihood: the model for the pair counts is
      ``μ_k = expected_counts_k · g2_model(τ_k)`` and lmfit minimises the sum of squared
      deviance residuals, which is the Poisson deviance; least squares on g2 with
      ``sqrt(C)`` weights would be biased where bins hold few pairs (the bottom of the dip).
    * Standard errors come from the Fisher information ``Σ ∂μ/∂θ·∂μ/∂θᵀ / μ`` at the
      optimum (numerical derivatives), not from a χ²-rescaled covariance.
    * The plateau A is free by default: blinking bunching and the finite ±W window make the
      local plateau differ from 1, and g2(0) is read relative to it, as in the papers. With
      ``amplitude=False`` the formula of science.md §6 is fitted as is.
    * The model is averaged over each lag bin exactly (analytic integral of the exponential),
      so the cusp at τ0 does not bias g2(0) upwards by the bin width (a 100 ps bin at
      τ_a = 4 ns would otherwise add about 0.006·ρ²).
    * ``1/τ_a = k_r + k_exc``: it equals the radiative rate only at low pump.
    * g2(0) ≥ 0 (below, the model would have negative pair rates); g2(0) = 0 is a result
      (the interval gives the upper limit). A fit whose other parameters end on a bound (τ0
      at ±bound, τ_a at its smallest or largest value, g2(0) at 10, a zero plateau) is
      flagged in ``at_bound`` and is not a result; nor is one whose errors are not finite.
    * The interval is the profile-likelihood one (deviance minimised over the other
      parameters rises by z² = 3.84), right near g2(0) = 0 where the Fisher error is far too
      small (the counts at the dip bottom go to 0 with g2(0)); the standard error is the
      larger of the Fisher one and the profile half-width / z. ``single_emitter`` is decided
      only when the interval lies wholly on one side of 0.5.
    """
    import lmfit

    if curve.spacing != "linear":
        raise ValueError("fit_cw_g2 needs a linear-bin histogram")
    lag_ns = curve.lag_s * 1e9
    sel = np.isfinite(curve.expected_counts) & (curve.expected_counts > 0)
    if fit_range_s is not None:
        sel &= np.abs(curve.lag_s) <= float(fit_range_s)
    x = lag_ns[sel]
    lo_ns = curve.lag_edges_s[:-1][sel] * 1e9
    hi_ns = curve.lag_edges_s[1:][sel] * 1e9
    c = curve.counts[sel].astype(np.float64)
    e = curve.expected_counts[sel]
    if x.size < 5 or c.sum() < 10:
        raise AnalysisError(f"too few photon pairs for a CW g2 fit ({int(c.sum())} pairs in {x.size} bins)")
    g = c / e
    bin_ns = float(np.median(np.diff(x))) if x.size > 1 else 1.0
    span = float(x.max() - x.min())
    outer = np.abs(x) >= 0.5 * np.abs(x).max()
    a0 = float(np.sum(c[outer]) / np.sum(e[outer])) if amplitude and np.any(outer) and np.sum(e[outer]) > 0 else 1.0
    win = max(1, int(round(0.02 * x.size)))
    smooth = np.convolve(c, np.ones(win), "same") / np.maximum(np.convolve(e, np.ones(win), "same"), 1e-300)
    i_min = int(np.argmin(smooth))
    bound_ns = (defaults.G2_CW_TAU0_MAX_S if tau0_bound_s is None else float(tau0_bound_s)) * 1e9
    if not bound_ns > 0:
        raise ValueError(f"tau0_bound_s must be positive, got {tau0_bound_s!r}")
    t_lo, t_hi = max(-bound_ns, float(x.min())), min(bound_ns, float(x.max()))
    near = (x >= t_lo) & (x <= t_hi)
    i_min = int(np.flatnonzero(near)[np.argmin(smooth[near])]) if near.any() else i_min
    t0_guess = float(x[i_min]) if tau0_s is None else float(tau0_s) * 1e9
    g0_guess = float(np.clip(smooth[i_min] / a0, 0.0, 0.95))
    dip_area = float(np.sum(np.clip(a0 - g, -a0, None))) * bin_ns
    ta_guess = dip_area / max(2 * a0 * (1 - g0_guess), 1e-12)
    ta_guess = float(np.clip(ta_guess, 2 * bin_ns, span / 4 if span > 0 else 1.0))

    params = lmfit.Parameters()
    params.add("g2_zero", value=g0_guess, min=0.0, max=10.0)
    params.add("tau_a_ns", value=ta_guess, min=0.5 * bin_ns, max=max(span, 2 * bin_ns))
    params.add("tau0_ns", value=float(np.clip(t0_guess, t_lo, t_hi)) if tau0_s is None else t0_guess,
               min=t_lo if tau0_s is None else -np.inf, max=t_hi if tau0_s is None else np.inf,
               vary=tau0_s is None)
    params.add("amplitude", value=a0, min=0.0, vary=bool(amplitude))

    def mu_of(p):
        shape = _bin_mean_exp(lo_ns, hi_ns, p["tau0_ns"], p["tau_a_ns"])
        return e * p["amplitude"] * (1.0 - (1.0 - p["g2_zero"]) * shape)

    def residual(p):
        return _deviance_residuals(c, mu_of(p.valuesdict()))

    res = lmfit.minimize(residual, params, method="leastsq", scale_covar=False)
    best = res.params.valuesdict()
    names = [n for n in ("g2_zero", "tau_a_ns", "tau0_ns", "amplitude") if res.params[n].vary]
    errs = {n: 0.0 for n in ("g2_zero", "tau_a_ns", "tau0_ns", "amplitude")}
    mu = mu_of(best)
    try:
        jac = []
        for n in names:
            step = max(abs(best[n]) * 1e-6, 1e-9)
            up, dn = dict(best), dict(best)
            up[n] += step
            dn[n] -= step
            jac.append((mu_of(up) - mu_of(dn)) / (2 * step))
        J = np.array(jac)
        fisher = (J / np.maximum(mu, 1e-300)) @ J.T
        cov = np.linalg.inv(fisher)
        for i, n in enumerate(names):
            errs[n] = float(math.sqrt(max(cov[i, i], 0.0)))
            res.params[n].stderr = errs[n]
    except np.linalg.LinAlgError:
        errs = {k: float("nan") for k in errs}
    dof = max(x.size - len(names), 1)
    pearson = float(np.sum((c - mu) ** 2 / np.maximum(mu, 1e-300)) / dof)
    deviance = float(np.sum(_deviance_residuals(c, mu) ** 2))
    model = ("A*(1-(1-g2_zero)*exp(-|tau-tau0|/tau_a))" if amplitude else "1-(1-g2_zero)*exp(-|tau-tau0|/tau_a)")
    at_bound = []
    for n in names:
        par = res.params[n]
        lo_b, hi_b = par.min, par.max
        if n == "g2_zero":
            lo_b = -np.inf  # g2(0) = 0 is a physical value, not a failed fit (the interval says how low)
        scale = (hi_b - lo_b) if np.isfinite(hi_b - lo_b) else max(abs(par.value), 1.0)
        if (np.isfinite(lo_b) and par.value - lo_b <= 1e-3 * scale) or (np.isfinite(hi_b) and hi_b - par.value <= 1e-3 * scale):
            at_bound.append(n)
    z = _normal_quantile(0.5 + 0.5 * defaults.G2_CI_LEVEL)
    g_hat = float(best["g2_zero"])
    ci = (float("nan"), float("nan"))
    if not at_bound and np.isfinite(errs["g2_zero"]):
        ci = _profile_interval(residual, res.params, deviance, z * z, max(errs["g2_zero"], 1e-3))
        # the standard error: the larger of the Fisher one and the profile half-width
        errs["g2_zero"] = max(errs["g2_zero"], (ci[1] - ci[0]) / (2 * z))
    g_err = errs["g2_zero"]
    if at_bound:
        single, reason = None, "the CW fit hit the bound(s) " + ", ".join(at_bound) + ": no result"
    elif not np.isfinite(g_err):
        single, reason = None, "the CW fit gave no finite error"
    else:
        single, reason = _single_emitter(ci, "the CW g2(0) (no background correction)")
    return CWG2Fit(g2_zero=float(best["g2_zero"]), g2_zero_err=errs["g2_zero"], tau_a_ns=float(best["tau_a_ns"]),
                   tau_a_ns_err=errs["tau_a_ns"], tau0_ns=float(best["tau0_ns"]), tau0_ns_err=errs["tau0_ns"],
                   amplitude=float(best["amplitude"]), amplitude_err=errs["amplitude"], model=model,
                   n_points=int(x.size), deviance=deviance, redchi=pearson, success=bool(res.success),
                   message=str(res.message), fit_range_s=(float(x.min()) * 1e-9, float(x.max()) * 1e-9),
                   g2_zero_ci=ci, at_bound=tuple(at_bound), tau0_bounds_ns=(t_lo, t_hi), single_emitter=single,
                   single_emitter_reason=reason, minimizer_result=res)


# ------------------------------------------------------------------ background correction
def correct_background(g2_zero, *, background_fraction: float | None = None,
                       signal_to_background: float | None = None, method: str = defaults.G2_BACKGROUND_CORRECTION,
                       g2_zero_err: float | None = None, background_fractions=None) -> BackgroundCorrectedG2:
    """Correct a g2(0) for uncorrelated background (science.md §6).

    Parameters
    ----------
    g2_zero : float, PulsedG2 or CWG2Fit
        The uncorrected g2(0) (its error is taken from the result when a result is given).
    background_fraction : float, optional
        ``B/(S+B)`` in [0, 1) of both detectors, e.g. from the decay histogram's background.
    signal_to_background : float, optional
        ``S/B`` (> 0) instead of the fraction: ``B/(S+B) = 1/(1 + S/B)``.
    method : {"pairs", "rho", "subtract"}
        ``"pairs"`` (default, ``defaults.G2_BACKGROUND_CORRECTION``): remove the pairs that
        involve a background photon, ``φ = β_A + β_B − β_A·β_B`` of the uncorrelated level:
        ``(A·g2 − φ)/(A − φ)`` with ``A`` the plateau of a CW fit (1 for a plain number). For
        a :class:`PulsedG2` the correction is done on the peak areas by
        :func:`pulsed_g2_zero` and returned as is. ``"rho"``: ``(g2 − (1 − ρ²))/ρ²`` with
        ``ρ = S/(S+B)`` (Brouri et al. 2000); ``"subtract"``: ``g2 − B/(S+B)`` (seed 002).
    g2_zero_err : float, optional
        Error of the raw value (default: from the result, else NaN).
    background_fractions : (float, float), optional
        ``β_A, β_B`` of the two detectors (``"pairs"`` only), instead of one fraction.

    Returns
    -------
    BackgroundCorrectedG2
        The corrected value, the raw one, and which method and fraction were used.

    Notes
    -----
    * ``"rho"`` assumes the peaks are normalised to the Poisson level. With the usual ±1-peak
      (or CW plateau) normalisation of a blinking emitter the signal pairs are bunched
      (``⟨I²⟩/⟨I⟩² > 1``) and the pairs with a background photon are not, so ``rho`` is
      biased; ``"subtract"`` is a first-order approximation that over-corrects at large
      g2(0). ``"pairs"`` removes the background pairs where they are (every peak, or the
      plateau), which leaves the emitter's own ratio.
    * The error is propagated from the raw value only (the background fraction is taken as
      exact). Background shifts g2(0) by about as much as the published values (science.md
      §9), so always say which correction was used.
    """
    if method not in ("pairs", "rho", "subtract"):
        raise ValueError(f"method must be 'pairs', 'rho' or 'subtract', got {method!r}")
    raw_err = g2_zero_err
    amp = 1.0
    if isinstance(g2_zero, (PulsedG2, CWG2Fit)):
        raw, raw_err = g2_zero.g2_zero, g2_zero.g2_zero_err if g2_zero_err is None else g2_zero_err
        if isinstance(g2_zero, CWG2Fit):
            amp = float(g2_zero.amplitude)
    else:
        raw = float(g2_zero)
    raw_err = float("nan") if raw_err is None else float(raw_err)
    given = sum(x is not None for x in (background_fraction, signal_to_background, background_fractions))
    if isinstance(g2_zero, PulsedG2) and method == "pairs" and given == 0 and g2_zero.correction == "pairs":
        return BackgroundCorrectedG2(g2_zero=g2_zero.g2_zero_corrected, g2_zero_err=g2_zero.g2_zero_corrected_err,
                                     g2_zero_raw=raw, g2_zero_raw_err=raw_err, method="pairs",
                                     background_fraction=g2_zero.background_fraction,
                                     rho=1.0 - g2_zero.background_fraction)
    if given != 1:
        raise ValueError("give exactly one of background_fraction, signal_to_background or background_fractions")
    if background_fractions is not None:
        if method != "pairs":
            raise ValueError("background_fractions (one per detector) needs method='pairs'")
        ba, bb = (float(x) for x in background_fractions)
        if not (0.0 <= ba < 1.0 and 0.0 <= bb < 1.0):
            raise ValueError(f"background fractions must be in [0, 1), got {background_fractions!r}")
        bf = 0.5 * (ba + bb)
    elif signal_to_background is not None:
        sbr = float(signal_to_background)
        if not sbr > 0:
            raise ValueError(f"signal_to_background must be > 0, got {sbr!r}")
        bf = ba = bb = 1.0 / (1.0 + sbr)
    else:
        bf = ba = bb = float(background_fraction)
        if not 0.0 <= bf < 1.0:
            raise ValueError(f"background_fraction must be in [0, 1), got {bf!r}")
    if isinstance(g2_zero, PulsedG2) and method == "pairs":
        raise ValueError("a pulsed g2(0) is background-corrected on its peak areas: use "
                         "pulsed_g2_zero(curve, background_fraction=...) instead")
    rho = 1.0 - bf
    if method == "subtract":
        val, err = raw - bf, raw_err
    elif method == "rho":
        val, err = (raw - (1.0 - rho * rho)) / (rho * rho), raw_err / (rho * rho)
    else:
        phi = ba + bb - ba * bb
        val, err = (amp * raw - phi) / (amp - phi), raw_err * amp / (amp - phi)
    return BackgroundCorrectedG2(g2_zero=float(val), g2_zero_err=float(err), g2_zero_raw=float(raw),
                                 g2_zero_raw_err=raw_err, method=method, background_fraction=bf, rho=rho)
