"""Lifetime fits: mono- or bi-exponential decay with a constant background by Poisson maximum
likelihood, tail fit or IRF reconvolution, periodic in T3 (science.md §2).

Amplitudes are in counts per bin; times in ns on the microtime axis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ... import defaults
from ...errors import AnalysisError
from ...fit_result import FitResult
from ...results import Result
from .calibration import _range_bins, estimate_background, estimate_t0
from .decay_models import _IrfConvolution, exponential_bin_means
from .histogram import DecayHistogram, decay_histogram
from .per_bin import truncation_corrected_lifetime
from .poisson import _minimize, _Poisson

__all__ = ["LIFETIME_MODELS", "LifetimeFit", "fit_lifetime", "decay_lifetime"]

#: The decay models :func:`fit_lifetime` knows (kept in :mod:`tttr.defaults` for the command line).
LIFETIME_MODELS = defaults.LIFETIME_MODELS


@dataclass(frozen=True, repr=False)
class LifetimeFit(Result, FitResult):
    """Result of :func:`fit_lifetime`.

    Attributes
    ----------
    model : str
        ``"mono"`` or ``"bi"``.
    tau_ns, tau_err_ns : float
        The lifetime: τ for ``"mono"``; the intensity-weighted mean τ_int for ``"bi"`` (the
        mean photon delay of the decay, comparable with per-bin mean-delay lifetimes).
    tau1_ns, tau1_err_ns, tau2_ns, tau2_err_ns : float
        Component lifetimes, ``tau1_ns >= tau2_ns`` (NaN for the absent second component of
        ``"mono"``, where ``tau1_ns`` is τ).
    a1, a1_err, a2, a2_err : float
        Amplitude fractions ``a_k = A_k / ΣA`` (``a1 = 1`` for ``"mono"``).
    tau_amp_ns, tau_amp_err_ns : float
        Amplitude-weighted mean lifetime ``Σ A τ / Σ A``.
    tau_int_ns, tau_int_err_ns : float
        Intensity-weighted mean lifetime ``Σ A τ² / Σ A τ``.
    amplitudes, amplitudes_err : (n_components,) float
        ``A_k``: counts per bin just after time zero of each component's single-pulse response.
    signal_counts : float
        Photons in the decay components, ``Σ A_k τ_k / bin_width``.
    background_per_bin, background_err : float
        Constant background (counts per bin); error NaN when the background was fixed.
    background_fixed : bool
    t0_ns, t0_err_ns : float
        Time zero used (tail fit: fixed, error NaN) or fitted (IRF reconvolution).
    irf_shift_ns : float
        IRF reconvolution: ``t0_ns`` minus the centre of the IRF's peak bin, the delay of the
        decay relative to the IRF as measured; NaN without an IRF.
    periodic : bool
        Whether the previous pulses' tails were summed into the model.
    period_ns : float or None
    window_ns : tuple of float
        ``(start, stop)`` of the fitted bins (ns); ``start > stop`` means the window wraps
        through the end of the period.
    tail_shift_ns : float
    bin_width_ns : float
    n_photons : int
        Photons in the histogram fitted.
    n_photons_window : int
        Photons in the fitted bins.
    n_bins_window : int
    dof : int
        Fitted bins minus free parameters.
    chi2_reduced : float
        Pearson χ² with the model variance, ``Σ (n - m)² / m``, per degree of freedom.
    deviance : float
        Poisson deviance ``2 Σ [m - n + n ln(n / m)]``.
    deviance_reduced : float
        Deviance per degree of freedom (≈ 1 for a good fit with enough counts per bin).
    aic, bic : float
        ``deviance + 2k`` and ``deviance + k ln(n_bins_window)``: information criteria up to a
        constant shared by every model of the same histogram and window.
    param_names : tuple of str
        Names of the free parameters, in the order of ``covariance``.
    params : (k,) float
    covariance : (k, k) float
        Inverse of the observed Fisher information (Hessian of the Poisson NLL).
    success : bool
    message : str
    counts : (n_bins,) float
        The histogram fitted.
    model_counts : (n_bins,) float
        Fitted model in every bin (also outside the window).
    window_mask : (n_bins,) bool
        Bins in the fit window.
    """

    model: str
    tau_ns: float
    tau_err_ns: float
    tau1_ns: float
    tau1_err_ns: float
    tau2_ns: float
    tau2_err_ns: float
    a1: float
    a1_err: float
    a2: float
    a2_err: float
    tau_amp_ns: float
    tau_amp_err_ns: float
    tau_int_ns: float
    tau_int_err_ns: float
    amplitudes: np.ndarray
    amplitudes_err: np.ndarray
    signal_counts: float
    background_per_bin: float
    background_err: float
    background_fixed: bool
    t0_ns: float
    t0_err_ns: float
    irf_shift_ns: float
    periodic: bool
    period_ns: float | None
    window_ns: tuple
    tail_shift_ns: float
    bin_width_ns: float
    n_photons: int
    n_photons_window: int
    n_bins_window: int
    dof: int
    chi2_reduced: float
    deviance: float
    deviance_reduced: float
    aic: float
    bic: float
    param_names: tuple
    params: np.ndarray
    covariance: np.ndarray
    success: bool
    message: str
    counts: np.ndarray
    model_counts: np.ndarray
    window_mask: np.ndarray

    # ----------------------------------------------------- the fit-result convention
    def fit_model(self) -> str:
        """``"mono-exponential"`` or ``"bi-exponential"``, with background, periodicity and IRF."""
        name = f"{self.model}-exponential decay + {'fixed' if self.background_fixed else 'constant'} background"
        if self.periodic:
            name += ", periodic"
        if np.isfinite(self.irf_shift_ns):
            name += ", IRF reconvolution"
        return name + " (Poisson maximum likelihood)"

    def _value_error_names(self) -> list:
        if self.model == "mono":
            pairs = [("tau_ns", "tau_err_ns")]
        else:
            pairs = [("tau1_ns", "tau1_err_ns"), ("tau2_ns", "tau2_err_ns"), ("a1", "a1_err"), ("a2", "a2_err"),
                     ("tau_amp_ns", "tau_amp_err_ns"), ("tau_int_ns", "tau_int_err_ns")]
        return pairs + [("background_per_bin", "background_err"), ("t0_ns", "t0_err_ns")]

    def fit_values(self) -> dict:
        """τ (mono) or τ1, τ2, a1, a2, τ_amp, τ_int (bi); background per bin; t0."""
        return {v: getattr(self, v) for v, _ in self._value_error_names()}

    def fit_errors(self) -> dict:
        """Standard errors of :meth:`fit_values` (NaN for a fixed background or t0)."""
        return {v: getattr(self, e) for v, e in self._value_error_names()}

    def fit_statistics(self) -> dict:
        """Photons and bins in the window, degrees of freedom, χ²/dof, deviance/dof, AIC, BIC."""
        return {"n": self.n_photons_window, "n_bins": self.n_bins_window, "dof": self.dof,
                "chi2_reduced": self.chi2_reduced, "deviance_reduced": self.deviance_reduced,
                "aic": self.aic, "bic": self.bic, "success": self.success}

    def __repr__(self) -> str:
        if self.model == "mono":
            taus = f"tau_ns={self.tau_ns:.4g}±{self.tau_err_ns:.2g}"
        else:
            taus = (f"tau1_ns={self.tau1_ns:.4g}±{self.tau1_err_ns:.2g}, a1={self.a1:.3g}, "
                    f"tau2_ns={self.tau2_ns:.4g}±{self.tau2_err_ns:.2g}, a2={self.a2:.3g}, "
                    f"tau_amp_ns={self.tau_amp_ns:.4g}, tau_int_ns={self.tau_int_ns:.4g}")
        irf = f", irf_shift_ns={self.irf_shift_ns:.3g}" if np.isfinite(self.irf_shift_ns) else ""
        return (f"LifetimeFit({self.model}, {taus}, background_per_bin={self.background_per_bin:.4g}, "
                f"t0_ns={self.t0_ns:.4g}{irf}, periodic={self.periodic}, chi2_reduced={self.chi2_reduced:.3g}, "
                f"deviance_reduced={self.deviance_reduced:.3g}, n_photons={self.n_photons}, success={self.success})")

    # -- the report's summary of this result (composed by tttr.pipeline.Report.to_dict)
    #: The keys of the report's ``lifetime`` section a fit of each model gives.
    SUMMARY_KEYS = {"mono": ("tau_ns", "tau_err_ns"),
                    "bi": ("tau1_ns", "tau1_err_ns", "tau2_ns", "tau2_err_ns", "a1", "a1_err", "a2", "tau_amp_ns",
                           "tau_amp_err_ns", "tau_int_ns", "tau_int_err_ns")}

    def summary(self) -> dict:
        """This fit's part of the report's ``lifetime`` section (:attr:`SUMMARY_KEYS` of its model)."""
        return {k: getattr(self, k) for k in self.SUMMARY_KEYS[self.model]}


def _coerce_hist(hist, bin_width_ns, period_ns) -> DecayHistogram:
    if isinstance(hist, DecayHistogram):
        return hist
    if bin_width_ns is None:
        raise AnalysisError("fitting a bare array needs bin_width_ns")
    return DecayHistogram.from_counts(hist, bin_width_ns, period_ns=period_ns)


def fit_lifetime(hist, *, model: str = "mono", t0_ns: float | None = None,
                 tail_shift_ns: float = defaults.TAIL_SHIFT_NS, irf=None, background="fit",
                 window_ns: tuple | None = None, periodic: bool | None = None, detector: int | None = None,
                 bin_width_ns: float | None = None, period_ns: float | None = None) -> LifetimeFit:
    """Fit a mono- or bi-exponential decay with a constant background by Poisson ML.

    Parameters
    ----------
    hist : DecayHistogram or (n_bins,) array
        The decay (``hist.summed``, or ``hist.counts[detector]``). A bare array needs
        ``bin_width_ns`` (and ``period_ns`` for a periodic model).
    model : {"mono", "bi"}
    t0_ns : float, optional
        Time zero (default ``hist.t0_ns``, plus the detector's shift when ``detector`` is
        given). With an IRF, a given ``t0_ns`` is held fixed instead of fitted.
    tail_shift_ns : float
        The tail fit starts this long after ``t0`` (default ``TAIL_SHIFT_NS``).
    irf : DecayHistogram or (n,) array, optional
        Instrument response with the same bin width (a DecayHistogram gives its ``summed``).
        Given: IRF reconvolution over the whole occupied range with a fitted ``t0``.
    background : "fit" or float
        Fit the constant background, or hold it at this value (counts per bin of the fitted
        histogram, e.g. ``hist.background_per_bin``).
    window_ns : (start, stop), optional
        Bins (by centre) in ``[start, stop)`` are fitted; ``start > stop`` wraps through the end
        of the period. Default: see Notes.
    periodic : bool, optional
        Sum the tails of previous pulses into the model (default: True when the period is
        known, i.e. T3).
    detector : int, optional
        Fit one detector's row instead of the aligned sum.
    bin_width_ns, period_ns : float, optional
        Only for a bare array ``hist``.

    Returns
    -------
    LifetimeFit

    Notes
    -----
    * **Likelihood.** Counts per bin are Poisson; the fit minimises the negative
      log-likelihood ``Σ (m - n ln m)`` over the window (computed as half the deviance,
      ``Σ [m - n - n ln(m/n)]``, which differs by a constant). This is unbiased at low counts,
      unlike least squares on (log) counts. The model is the exact bin average of the decay
      (:func:`exponential_bin_means`), not its value at the bin centre.
    * **Optimiser.** Levenberg-damped Fisher scoring (steps from the expected information
      ``Σ ∇m ∇mᵀ / m``, always positive semi-definite) while far from the optimum, then Newton
      steps on the observed information, until the Newton decrement ``gᵀH⁻¹g`` is below 1e-10
      (the NLL within 1e-10 of its minimum, far below the 0.5 that marks one standard
      error). Bounds (amplitudes and background >= 0, 0.02 bin <= τ <= 1000 × range, t0
      within half the range of its start) are kept by clipping, with parameters held at a
      bound their gradient pushes against. ∂m/∂τ and ∂m/∂t0 are central differences (steps
      1e-4 τ and 0.01 bin); amplitudes and background enter linearly. Bi-exponential fits
      start from three (τ1, τ2) pairs around the tail's mean-delay lifetime and keep the best
      likelihood. The optimiser is written out rather than taken from scipy or lmfit because
      it needs the observed information anyway (for the errors), lmfit's scalar minimisers
      give no covariance without numdifftools, and small BLAS calls inside scipy's L-BFGS-B
      made it 20× slower on a busy multi-core machine.
    * **Errors.** Standard errors are the square roots of the diagonal of the inverse observed
      Fisher information (the Hessian of the NLL at the optimum). Derived quantities (a_k,
      τ_amp, τ_int) take their errors from the covariance by the delta method. For a clean
      exponential of ``n`` photons, ``err(τ) ≈ τ / √n``.
    * **Statistics.** ``dof`` = bins in the window − free parameters; ``chi2_reduced`` is
      Pearson's ``Σ (n - m)² / m / dof``; ``deviance_reduced`` is the deviance per dof.
    * **Default window.** Tail fit: bins whose left edge lies at least ``tail_shift_ns`` after
      ``t0``, to the end of the occupied range. With ``periodic``, the window continues through
      the start of the range, where the previous pulses' tails wrap, up to ``tail_shift_ns``
      before ``t0``: all decay ages in ``[shift, P - shift]`` (this is where the periodic model
      differs from the single-pulse one; in the tail after ``t0`` alone both have the same
      shape and differ only in amplitude). IRF reconvolution: the whole occupied range.
    * **Periodicity** (T3). The photon counted at microtime ``t`` may come from any earlier
      pulse, so the model is ``A exp(-u/τ) / (1 - exp(-P/τ))``, ``u = (t - t0) mod P``, per
      component. ``A`` keeps its single-pulse meaning (counts per bin just after t0), so
      ``a_k``, τ_amp and τ_int are not distorted by the stronger wrapping of the long
      component. For τ ≪ P the factor is 1 and the wrap vanishes, so ``periodic=True`` is
      always correct when the period is known; it matters when τ is not ≪ P.
    * **IRF reconvolution.** The IRF (negative counts clipped, folded onto one period,
      normalised to sum 1, its peak bin taken as lag 0) is convolved circularly over the
      period (periodic) or linearly (not) with the bin-averaged decay, by FFT. ``t0`` is
      fitted as a continuous shift (Fourier shift theorem), so the model is smooth in it;
      ``irf_shift_ns`` reports ``t0`` minus the centre of the IRF's peak bin (0 when the IRF
      was measured at the same delay as the decay). The Fourier shift assumes the IRF is
      sampled by several bins; an IRF narrower than ~2 bins rings. The circular grid has
      ``round(P / bin)`` bins, so the period is rounded to a whole bin.
    * **Amplitudes** ``A_k`` are counts per bin of each component just after t0 (before the
      IRF); ``signal_counts = Σ A_k τ_k / bin`` is the photon content of the fitted decay.
      ``tau1_ns >= tau2_ns`` by convention. For ``"bi"``, ``tau_ns`` is τ_int.
    """
    if model not in LIFETIME_MODELS:
        raise ValueError(f"model must be 'mono' or 'bi', not {model!r}")
    h = _coerce_hist(hist, bin_width_ns, period_ns)
    y, t0_default = _fitted_row(h, detector)
    ax = _axis(y, h.bin_width_ns, h.period_ns, periodic)
    ax.t0 = _time_zero(t0_ns, t0_default, ax.P)
    ax.shift = float(tail_shift_ns)
    dt, P, n_r = ax.dt, ax.P, ax.n_r
    mask, win = _window_mask(ax, window_ns, irf)
    idx = np.flatnonzero(mask)
    ncomp = 1 if model == "mono" else 2
    fit_bg = isinstance(background, str)
    if fit_bg and background != "fit":
        raise ValueError(f"background must be 'fit' or a number, not {background!r}")
    fit_t0 = irf is not None and t0_ns is None
    k = 2 * ncomp + int(fit_bg) + int(fit_t0)
    n = y[idx]
    if idx.size <= k + 1 or n.sum() < 10 * k:
        raise AnalysisError(f"too little data to fit: {idx.size} bins and {int(n.sum())} photons in the window")
    Pm = P if ax.periodic else None
    basis, conv = _model_basis(ax, irf, idx, Pm)

    B0 = _background_start(h, y, n, ax, background, fit_bg, detector)
    tau0 = _tau_start(y, ax, B0)
    t0_start = _t0_start(conv, tau0, ax.t0, dt) if fit_t0 else ax.t0
    lower, upper = _bounds(ncomp, fit_bg, fit_t0, dt / defaults.LIFETIME_TAU_MIN_DIVISOR,
                           defaults.LIFETIME_TAU_MAX_RANGES * (P if P else n_r * dt), t0_start, n_r, dt)
    prob = _Poisson(n, basis, ncomp, fit_bg, B0, fit_t0, ax.t0, dt)
    sig = max(float(n.sum() - B0 * idx.size), 1.0)
    starts = _start_points(basis, ncomp, tau0, sig, t0_start, B0, fit_bg, fit_t0)
    th, ok, msg = _best_fit(prob, starts, lower, upper, fit_t0, ncomp)

    cov, ok, msg = _covariance(prob, th, k, ok, msg)
    err = np.sqrt(np.abs(np.diag(cov)))
    A, taus, B, t0_fit = prob.unpack(th)
    A_err, tau_err = err[0: 2 * ncomp: 2], err[1: 2 * ncomp: 2]
    mt = _mean_lifetimes(A, taus, cov, ncomp)

    m_win = prob.model(th)
    dof = int(idx.size - k)
    dev, chi2 = _deviance_and_chi2(n, m_win)
    model_counts = _model_counts(ax, conv, A, taus, B, t0_fit, Pm)
    bg_err = float(err[2 * ncomp]) if fit_bg else float("nan")
    t0_err = float(err[-1]) if fit_t0 else float("nan")
    irf_shift = (t0_fit - conv.peak_center_ns) if conv is not None else float("nan")
    names = _param_names(ncomp, fit_bg, fit_t0)
    if ncomp == 1:
        tau_ns, tau_e = float(taus[0]), float(tau_err[0])
        t2, t2e, a2, a2e = (float("nan"),) * 4
    else:
        tau_ns, tau_e = mt["tau_int"], mt["tau_int_err"]
        t2, t2e, a2, a2e = float(taus[1]), float(tau_err[1]), float(mt["fr"][1]), mt["fr_err"][1]
    return LifetimeFit(
        model=model, tau_ns=tau_ns, tau_err_ns=tau_e, tau1_ns=float(taus[0]), tau1_err_ns=float(tau_err[0]),
        tau2_ns=t2, tau2_err_ns=t2e, a1=float(mt["fr"][0]), a1_err=mt["fr_err"][0], a2=a2, a2_err=a2e,
        tau_amp_ns=float(mt["tau_amp"]), tau_amp_err_ns=mt["tau_amp_err"], tau_int_ns=float(mt["tau_int"]),
        tau_int_err_ns=mt["tau_int_err"], amplitudes=np.asarray(A, float), amplitudes_err=np.asarray(A_err, float),
        signal_counts=float(mt["SAt"] / dt), background_per_bin=float(B), background_err=bg_err,
        background_fixed=not fit_bg, t0_ns=float(t0_fit), t0_err_ns=t0_err, irf_shift_ns=float(irf_shift),
        periodic=bool(ax.periodic), period_ns=P, window_ns=win, tail_shift_ns=ax.shift, bin_width_ns=dt,
        n_photons=int(y.sum()), n_photons_window=int(n.sum()), n_bins_window=int(idx.size), dof=dof,
        chi2_reduced=chi2 / dof, deviance=dev, deviance_reduced=dev / dof, aic=dev + 2 * k,
        bic=dev + k * math.log(idx.size), param_names=tuple(names), params=np.asarray(th, float),
        covariance=cov, success=bool(ok), message=msg, counts=y, model_counts=model_counts, window_mask=mask,
    )


def decay_lifetime(source, *, model: str = defaults.LIFETIME_MODEL, tail_shift_ns: float = defaults.TAIL_SHIFT_NS,
                   t0="halfmax", max_bins: int = defaults.LIFETIME_FIT_MAX_BINS, **options):
    """Decay histogram of a source and its lifetime fit, made as ``tttr analyze`` makes it.

    Parameters
    ----------
    source : str, Path, TTTRStream or PhotonChunk
        As in :func:`~tttr.analysis.lifetime.decay_histogram`.
    model : {"mono", "bi"}
    tail_shift_ns : float
        The tail fit starts this long after t0.
    t0 : {"halfmax", "peak"} or float
        Time zero of the decay (ns) or how it is found.
    max_bins : int
        The fit is made on the decay merged to at most this many bins
        (:meth:`DecayHistogram.rebinned`).
    **options
        Further options of :func:`~tttr.analysis.lifetime.decay_histogram` (``detectors``,
        reader options such as ``sync_rate_hz``, ``progress``).

    Returns
    -------
    hist : DecayHistogram
        The full-resolution decay.
    fit : LifetimeFit
        The fit of the merged decay.

    Notes
    -----
    The one library call of the ``tttr lifetime`` command: both commands fit the same merged
    decay, so they give one answer for one file.
    """
    hist = decay_histogram(source, t0=t0, **options)
    return hist, fit_lifetime(hist.rebinned(max_bins), model=model, tail_shift_ns=tail_shift_ns)


# ========================================================================== fit steps
class _Axis:
    """The microtime axis of the row fitted: bin width, period, occupied range, t0, tail shift."""

    def __init__(self, dt: float, P: float | None, n_bins: int, n_r: int, periodic: bool):
        self.dt = dt
        self.P = P
        self.n_bins = n_bins
        self.n_r = n_r
        self.periodic = periodic
        self.t_lo = np.arange(n_bins) * dt
        self.centers = self.t_lo + 0.5 * dt
        self.in_range = np.arange(n_bins) < n_r
        self.t0 = float("nan")
        self.shift = 0.0


def _fitted_row(h: DecayHistogram, detector: int | None):
    """The counts fitted (the aligned sum, or one detector's row) and their default t0 (ns)."""
    if detector is None:
        return h.summed.astype(float), h.t0_ns
    if not 0 <= int(detector) < h.counts.shape[0]:
        raise AnalysisError(f"detector {detector} is not in the histogram")
    return h.counts[int(detector)].astype(float), h.t0_ns - h.detector_shifts_bins[int(detector)] * h.bin_width_ns


def _axis(y: np.ndarray, dt: float, P: float | None, periodic: bool | None) -> _Axis:
    """The axis of ``y``; ``periodic`` defaults to whether the period is known."""
    n_r = _range_bins(y, int(round(P / dt)) if P else None)
    if periodic is None:
        periodic = P is not None
    if periodic and P is None:
        raise AnalysisError("a periodic model needs the laser period (period_ns)")
    return _Axis(dt, P, y.shape[0], n_r, periodic)


def _time_zero(t0_ns: float | None, t0_default: float, P: float | None) -> float:
    """The t0 used (ns): the one given, else the histogram's, wrapped into the period."""
    t0 = float(t0_ns) if t0_ns is not None else float(t0_default)
    if P is not None:
        t0 = t0 % P
    if not np.isfinite(t0):
        raise AnalysisError("time zero is undefined (empty histogram?)")
    return t0


def _window_mask(ax: _Axis, window_ns, irf):
    """Bins fitted (mask) and the window ``(start, stop)`` in ns (see :func:`fit_lifetime`)."""
    dt, P, t0, shift = ax.dt, ax.P, ax.t0, ax.shift
    if window_ns is not None:
        a, b = float(window_ns[0]), float(window_ns[1])
        mask = (ax.centers >= a) & (ax.centers < b) if a <= b else (ax.centers >= a) | (ax.centers < b)
        win = (a, b)
    elif irf is not None:
        mask = ax.in_range.copy()
        win = (0.0, ax.n_r * dt)
    elif ax.periodic:
        age = np.mod(ax.t_lo - t0, P)
        mask = (age >= shift) & (age + dt <= P - shift)
        win = ((t0 + shift) % P, (t0 - shift) % P)
    else:
        mask = ax.t_lo >= t0 + shift
        win = (t0 + shift, ax.n_r * dt)
    mask &= ax.in_range
    return mask, win


def _model_basis(ax: _Axis, irf, idx: np.ndarray, Pm: float | None):
    """``basis(tau, t0)``: unit decay over the window's bins, and the IRF convolution (or None)."""
    dt = ax.dt
    if irf is None:
        t_win = ax.t_lo[idx]

        def basis(tau, t0_):
            return exponential_bin_means(t_win, dt, t0_, tau, Pm)

        return basis, None
    irf_arr = irf.summed if isinstance(irf, DecayHistogram) else irf
    conv = _IrfConvolution(irf_arr, dt, ax.n_bins, ax.n_r, ax.P, ax.periodic)

    def basis(tau, t0_):
        return conv.basis(tau, t0_, idx)

    return basis, conv


def _background_start(h: DecayHistogram, y, n, ax: _Axis, background, fit_bg: bool, detector) -> float:
    """Start (fitted background) or fixed value of the background, counts per bin."""
    if fit_bg:
        B0 = estimate_background(y, ax.dt, ax.t0, period_ns=ax.P)[0] if detector is not None else h.background_per_bin
        return max(float(B0), 1e-3 * max(float(n.mean()), 1e-3))
    B0 = float(background)
    if B0 < 0:
        raise AnalysisError("a fixed background must be >= 0")
    return B0


def _tau_start(y, ax: _Axis, B0: float) -> float:
    """Starting τ: the truncation-corrected mean delay of the background-subtracted tail."""
    dt, P, t0, shift = ax.dt, ax.P, ax.t0, ax.shift
    age_c = (np.mod(ax.centers - t0, P) if P is not None else ax.centers - t0)
    tail = (age_c >= shift) & ax.in_range & ((age_c <= P - shift) if P is not None else True)
    wts = np.clip(y[tail] - B0, 0.0, None)
    x = age_c[tail] - shift
    W = float(x.max()) if x.size else 0.0
    tau0 = 10 * dt
    if wts.sum() > 0 and W > 0:
        mean = float((wts * x).sum() / wts.sum())
        t_est = truncation_corrected_lifetime(np.array([mean]), W)[0]
        tau0 = float(t_est) if np.isfinite(t_est) else max(mean, dt)
    return float(np.clip(tau0, 2 * dt, 0.5 * (P if P else ax.n_r * dt)))


def _t0_start(conv: _IrfConvolution, tau0: float, t0: float, dt: float) -> float:
    """Start of a fitted t0: the model's half-max rise placed on the data's (probe shift: a
    quarter of the grid)."""
    probe = 0.25 * conv.n_grid * dt
    rise = estimate_t0(conv.basis(tau0, probe, np.arange(conv.n_grid)), dt)
    return t0 - (rise - probe)


def _bounds(ncomp: int, fit_bg: bool, fit_t0: bool, tau_lo: float, tau_hi: float, t0_start: float, n_r: int,
            dt: float):
    """Lower and upper bounds of the parameters (amplitude, τ per component; background; t0)."""
    lower = [0.0, tau_lo] * ncomp + ([0.0] if fit_bg else []) + ([t0_start - 0.5 * n_r * dt] if fit_t0 else [])
    upper = [np.inf, tau_hi] * ncomp + ([np.inf] if fit_bg else []) + ([t0_start + 0.5 * n_r * dt] if fit_t0 else [])
    return np.array(lower), np.array(upper)


def _start_points(basis, ncomp: int, tau0: float, sig: float, t0_start: float, B0: float, fit_bg: bool,
                  fit_t0: bool):
    """Starting parameter vectors: one for ``"mono"``, three (τ1, τ2) pairs around ``tau0``
    for ``"bi"``, amplitudes sharing the window's signal ``sig``; ``B0`` and ``t0_start`` are
    appended when the background and t0 are fitted."""

    def make_start(taus, fr):
        th = []
        for t, f in zip(taus, fr):
            e = basis(t, t0_start).sum()
            th += [max(f * sig / e, 1e-6) if e > 0 else 1.0, t]
        if fit_bg:
            th.append(B0)
        if fit_t0:
            th.append(t0_start)
        return np.array(th, float)

    if ncomp == 1:
        return [make_start([tau0], [1.0])]
    return [make_start([tau0 * r1, tau0 * r2], [0.5, 0.5]) for r1, r2 in defaults.LIFETIME_BI_START_RATIOS]


def _best_fit(prob: _Poisson, starts, lower, upper, fit_t0: bool, ncomp: int):
    """The optimum of the best-likelihood start, long component first: ``(theta, ok, msg)``."""
    best = None
    for th0 in starts:
        th0 = np.clip(th0, lower, upper)
        # scales: amplitudes, τ and background by their start; t0 by a tenth of a ns (its
        # start is already within the IRF width, and its own value says nothing of its scale)
        scale = np.where(np.abs(th0) > 0, np.abs(th0), 1.0)
        if fit_t0:
            scale[-1] = defaults.LIFETIME_T0_SCALE_NS
        th, f, ok, msg = _minimize(prob, th0, lower, upper, scale)
        if best is None or f < best[1]:
            best = (th, f, ok, msg)
    th, f, ok, msg = best
    if ncomp == 2 and th[1] < th[3]:  # long component first
        th = th.copy()
        th[[0, 1, 2, 3]] = th[[2, 3, 0, 1]]
    return th, ok, msg


def _covariance(prob: _Poisson, th, k: int, ok: bool, msg: str):
    """Inverse observed information at ``th`` (NaN, and the fit marked failed, if singular)."""
    try:
        H = prob.hessian(th)
        cov = np.linalg.inv(H)
        if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) < 0):
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        cov = np.full((k, k), np.nan)
        ok = False
        msg += "; the observed information is singular (parameters not identifiable)"
    return cov, ok, msg


def _mean_lifetimes(A, taus, cov, ncomp: int) -> dict:
    """Amplitude fractions and the amplitude- and intensity-weighted mean lifetimes, with their
    errors by the delta method on ``(A1, tau1, A2, tau2)``."""
    with np.errstate(divide="ignore", invalid="ignore"):  # all amplitudes 0: NaN, not a warning
        return _mean_lifetimes_of(A, taus, cov, ncomp)


def _mean_lifetimes_of(A, taus, cov, ncomp: int) -> dict:
    ci = np.arange(2 * ncomp)
    C = cov[np.ix_(ci, ci)]

    def delta(grad):
        v = float(grad @ C @ grad)
        return math.sqrt(v) if v >= 0 else float("nan")

    SA = A.sum()
    SAt = (A * taus).sum()
    tau_amp = SAt / SA if SA > 0 else float("nan")
    tau_int = (A * taus ** 2).sum() / SAt if SAt > 0 else float("nan")
    g_amp = np.empty(2 * ncomp)
    g_int = np.empty(2 * ncomp)
    g_amp[0::2] = (taus - tau_amp) / SA
    g_amp[1::2] = A / SA
    g_int[0::2] = (taus ** 2 - tau_int * taus) / SAt
    g_int[1::2] = (2 * A * taus - tau_int * A) / SAt
    fr = A / SA if SA > 0 else np.full(ncomp, np.nan)
    fr_err = []
    for i in range(ncomp):
        g = np.zeros(2 * ncomp)
        g[0::2] = -A[i] / SA ** 2
        g[2 * i] += 1.0 / SA
        fr_err.append(delta(g))
    return {"SAt": SAt, "tau_amp": tau_amp, "tau_int": tau_int, "fr": fr, "fr_err": fr_err,
            "tau_amp_err": delta(g_amp), "tau_int_err": delta(g_int)}


def _deviance_and_chi2(n, m):
    """Poisson deviance ``2 Σ [m - n + n ln(n / m)]`` and Pearson's ``Σ (n - m)² / m``."""
    pos = n > 0
    dev = 2.0 * float(np.sum(m - n) - np.sum(n[pos] * np.log(m[pos] / n[pos])))
    chi2 = float(np.sum((n - m) ** 2 / m))
    return dev, chi2


def _model_counts(ax: _Axis, conv, A, taus, B, t0_fit: float, Pm: float | None) -> np.ndarray:
    """The fitted model in every bin of the histogram (also outside the window)."""
    if conv is None:
        full_basis = [exponential_bin_means(ax.t_lo, ax.dt, t0_fit, t, Pm) for t in taus]
    else:
        all_idx = np.arange(ax.n_bins)
        full_basis = [conv.basis(t, t0_fit, all_idx) for t in taus]
    return np.full(ax.n_bins, float(B)) + sum(a * e for a, e in zip(A, full_basis))


def _param_names(ncomp: int, fit_bg: bool, fit_t0: bool) -> list:
    """Names of the free parameters, in the order of the parameter vector."""
    names = []
    for i in range(ncomp):
        names += [f"amplitude{i + 1}", f"tau{i + 1}_ns"]
    return names + (["background_per_bin"] if fit_bg else []) + (["t0_ns"] if fit_t0 else [])
