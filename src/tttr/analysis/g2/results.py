"""The result containers of g2: the curve, the pulsed g2(0), the CW fit, the background correction."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ... import defaults
from ...fit_result import FitResult
from ...results import Result
from .intervals import _normal_quantile, _single_emitter

__all__ = ["G2Curve", "PulsedG2", "CWG2Fit", "BackgroundCorrectedG2"]


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
class CWG2Fit(Result, FitResult):
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

    def fit_model(self) -> str:
        """The fitted formula (:attr:`model`)."""
        return self.model

    def fit_values(self) -> dict:
        """``g2_zero``, ``tau_a_ns``, ``tau0_ns``, ``amplitude``."""
        return {"g2_zero": self.g2_zero, "tau_a_ns": self.tau_a_ns, "tau0_ns": self.tau0_ns,
                "amplitude": self.amplitude}

    def fit_errors(self) -> dict:
        """Standard errors (0 for a fixed parameter), keyed as :meth:`fit_values`."""
        return {"g2_zero": self.g2_zero_err, "tau_a_ns": self.tau_a_ns_err, "tau0_ns": self.tau0_ns_err,
                "amplitude": self.amplitude_err}

    def fit_statistics(self) -> dict:
        """``n`` (lag bins), the Poisson ``deviance`` and the Pearson ``chi2_reduced``."""
        return {"n": self.n_points, "deviance": self.deviance, "chi2_reduced": self.redchi}

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
