"""Decay histograms and fluorescence lifetimes (science.md §2, region-gated decays §3.2).

* :class:`DecayAccumulator` / :func:`decay_histogram`: per-detector microtime histograms,
  fed chunk by chunk, aligned on each detector's rise and summed; time zero and background.
* :func:`fit_lifetime`: mono- or bi-exponential decay with a constant background by Poisson
  maximum likelihood, tail fit or IRF reconvolution, periodic in T3.
* :func:`mean_delay_lifetime`, :func:`truncation_corrected_lifetime`,
  :func:`per_bin_mle_lifetime`: per-bin lifetimes for FLID from per-bin sums.

Conventions: nanotime ``k`` is the bin ``[k, k + 1) * bin_width_ns``; times (``t0_ns``,
windows) are on that axis, in ns, from the start of the microtime range. Amplitudes are in
counts per bin.
"""

from __future__ import annotations

import inspect
import math
import warnings
from dataclasses import dataclass
from typing import Iterable

import numpy as np
import scipy.fft
import scipy.stats

from .. import defaults
from ..errors import AnalysisError
from ..io.events import PhotonChunk, StreamInfo
from ..kernels.decay import accumulate_decay, accumulate_decay_gated, truncated_exponential_tau
from ..results import Result

__all__ = [
    "DecayHistogram",
    "DecayAccumulator",
    "decay_histogram",
    "estimate_t0",
    "estimate_background",
    "exponential_bin_means",
    "LifetimeFit",
    "fit_lifetime",
    "lifetime_window_ns",
    "per_bin_background_counts",
    "mean_delay_lifetime",
    "truncation_corrected_lifetime",
    "per_bin_mle_lifetime",
]

#: Width (ns) of the moving average applied before locating a rise or a peak.
_SMOOTH_NS = 0.1
#: Percentile of the smoothed histogram taken as the foot of the rising edge.
_FOOT_PERCENTILE = 5.0
#: The flat region before the rise is used for the background only if it spans at least
#: this fraction of the period (science.md §2); otherwise the end of the period is used.
_MIN_PRE_RISE_FRACTION = 0.05
#: Largest histogram a uint16 nanotime can address.
_MAX_NANOTIME_BINS = 1 << 16


# =============================================================================== results
@dataclass(frozen=True, repr=False)
class DecayHistogram(Result):
    """Microtime histograms per detector and their aligned sum.

    Attributes
    ----------
    counts : (n_detectors, n_bins) int64
        Raw counts; row ``d`` is detector ``d`` (0-based input channel), not shifted.
    summed : (n_bins,) int64
        Sum of the rows of ``detectors``, each shifted by ``detector_shifts_bins``.
    bin_width_ns : float
        Width of one microtime bin (the nanotime unit), ns.
    period_ns : float or None
        Laser period used for periodic wrapping (None if unknown): the header's sync period, or
        the occupied microtime range if photons lie past it (see :class:`DecayAccumulator`).
    t0_ns : float
        Time zero of ``summed`` (ns); see :func:`estimate_t0`.
    t0_method : str
        ``"halfmax"``, ``"peak"`` or ``"user"``.
    background_per_bin : float
        Mean background counts per bin of ``summed``; see :func:`estimate_background`.
    background_counts : float
        ``background_per_bin`` × ``n_range_bins``: background photons in ``summed``.
    background_method : str
        ``"pre-rise"`` or ``"tail"``: the region the background was taken from.
    detectors : tuple of int
        Detectors summed into ``summed``.
    reference_detector : int or None
        Detector whose rise the others were aligned to.
    detector_delays_ns : (n_detectors,) float
        Rise of each detector minus the reference's rise (ns); NaN for detectors not summed.
    detector_shifts_bins : (n_detectors,) int64
        Integer bins added to each detector's nanotimes to align it: ``-round(delay / bin)``.
    delays_from : str
        ``"estimated"``, ``"user"`` or ``"none"`` (no alignment).
    n_photons : int
        Photons in ``summed``.
    n_overflow : int
        Photons that did not fit the histogram (only with a fixed ``n_bins``); 0 otherwise.
    n_range_bins : int
        Bins of the occupied microtime range: last non-empty bin + 1, or the whole period when
        that reaches within 2 % of the period's end.
    """

    counts: np.ndarray
    summed: np.ndarray
    bin_width_ns: float
    period_ns: float | None
    t0_ns: float
    t0_method: str
    background_per_bin: float
    background_counts: float
    background_method: str
    detectors: tuple
    reference_detector: int | None
    detector_delays_ns: np.ndarray
    detector_shifts_bins: np.ndarray
    delays_from: str
    n_photons: int
    n_overflow: int
    n_range_bins: int

    @property
    def n_bins(self) -> int:
        return int(self.summed.shape[0])

    @property
    def bin_edges_ns(self) -> np.ndarray:
        """(n_bins + 1,) bin edges in ns."""
        return np.arange(self.n_bins + 1) * self.bin_width_ns

    @property
    def bin_centers_ns(self) -> np.ndarray:
        """(n_bins,) bin centres in ns."""
        return (np.arange(self.n_bins) + 0.5) * self.bin_width_ns

    @classmethod
    def from_counts(cls, counts, bin_width_ns: float, *, period_ns: float | None = None,
                    detectors=None, align: bool = True, detector_delays_ns=None,
                    reference_detector: int | None = None, t0="halfmax",
                    n_overflow: int = 0) -> "DecayHistogram":
        """Build a :class:`DecayHistogram` from counts already histogrammed.

        Parameters
        ----------
        counts : (n_bins,) or (n_detectors, n_bins) array of int
            A 1-D array is taken as detector 0.
        bin_width_ns : float
        period_ns, detectors, align, detector_delays_ns, reference_detector, t0
            As in :class:`DecayAccumulator`.
        """
        c = np.asarray(counts)
        if c.ndim == 1:
            c = c[None, :]
        if c.ndim != 2 or c.shape[1] < 2:
            raise AnalysisError(f"decay counts must be (n_bins,) or (n_detectors, n_bins), got shape {c.shape}")
        if np.any(c < 0):
            raise AnalysisError("decay counts must be non-negative")
        return _finalize(np.ascontiguousarray(c, np.int64), float(bin_width_ns), period_ns, detectors, align,
                         detector_delays_ns, reference_detector, t0, int(n_overflow))


@dataclass(frozen=True, repr=False)
class LifetimeFit(Result):
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


# ========================================================================= accumulation
class DecayAccumulator:
    """Decay histograms per detector, fed chunk by chunk.

    Parameters
    ----------
    info : StreamInfo, optional
        Metadata of the stream (nanotime unit, sync period, nominal number of bins).
    nanotimes_unit_s : float, optional
        Seconds per nanotime tick; overrides ``info`` (needed when the file does not state it,
        e.g. Becker & Hickl SPC without its ``.set`` file).
    period_s : float, optional
        Laser period; overrides ``info.timestamps_unit_s`` (the sync period in T3).
    n_bins : int, optional
        Fixed number of microtime bins. Photons at larger nanotimes are then counted in
        ``n_overflow`` (and a warning is issued by :meth:`result`). By default the histogram
        grows to hold every photon.
    detectors : iterable of int, optional
        Detectors summed into ``summed`` (default: every detector that recorded a photon).
    align : bool
        Align each detector's rise to the reference detector before summing (default True).
    detector_delays_ns : dict or sequence, optional
        User delays (ns) per detector (``{detector: delay}`` or indexed by detector), used
        instead of estimated ones; a detector's nanotimes are shifted by ``-delay``.
    reference_detector : int, optional
        Detector the others are aligned to (default: the summed detector with most photons).
    t0 : {"halfmax", "peak"} or float
        How time zero of the summed decay is found, or its value in ns (see :func:`estimate_t0`).
    gate : (n_trace_bins,) bool, optional
        Region gate (science.md §3.2): only photons whose intensity-trace bin
        ``(timestamp - gate_origin_ticks) // gate_bin_width_ticks`` is True are counted.
        Photons before the origin or past the gate's end are outside every region.
    gate_bin_width_ticks : int, optional
        Trace bin width in timestamp ticks; required with ``gate``.
    gate_origin_ticks : int
        Timestamp of the start of trace bin 0 (default 0).

    Notes
    -----
    * **Histogram size.** ``StreamInfo.tcspc_num_bins`` is nominal: real files hold nanotimes a
      few bins past it. The histogram starts at ``max(tcspc_num_bins, period / unit)`` bins
      (at most 65 536, the uint16 range) and grows whenever a photon lies beyond it, so no
      photon is dropped. With a fixed ``n_bins`` the photons beyond are counted in
      ``n_overflow``. Rows grow the same way with the detector number.
    * **Period.** The period used for wrapping is the sync period of the header, or the
      occupied microtime range if photons lie past it (sync rates in headers are rounded
      rate-meter readings, e.g. 31 249 ps stated while nanotimes reach 31 256 ps).
    * **Alignment.** Each detector's rise is the half maximum of its smoothed rising edge
      (:func:`estimate_t0`, ``"halfmax"``); its delay is that rise minus the reference
      detector's, wrapped into ``(-P/2, P/2]``. Rows are shifted by the integer
      ``-round(delay / bin)`` (residual misalignment at most half a bin) with ``np.roll`` over
      the bins of one period: counts pushed past the end of the period re-enter at its start,
      because the microtime is periodic (a photon delayed past the next pulse belongs early in
      the next period). Bins past the period (never filled, by the choice of period) are not
      rolled. A detector whose histogram shows no significant peak (no flat Poisson histogram
      of the same median would show it by chance, p < 1e-3) is not shifted and gets a NaN
      delay; if the reference has none, nothing is aligned (``delays_from = "none"``).
    * **Gating** needs the trace bins' region labels, known only after a first pass (the
      thresholds): a gated accumulator is fed in a second pass over the photons.
    * The work per chunk is one numba call (:func:`tttr.kernels.decay.accumulate_decay`); the
      growth path touches only the photons that did not fit.
    """

    def __init__(self, info: StreamInfo | None = None, *, nanotimes_unit_s: float | None = None,
                 period_s: float | None = None, n_bins: int | None = None, detectors=None,
                 align: bool = True, detector_delays_ns=None, reference_detector: int | None = None,
                 t0="halfmax", gate=None, gate_bin_width_ticks: int | None = None,
                 gate_origin_ticks: int = 0):
        if info is not None and not info.is_t3:
            raise AnalysisError(f"{info.path}: a decay histogram needs T3 data (nanotimes); this file is {info.mode}")
        unit = nanotimes_unit_s if nanotimes_unit_s is not None else (info.nanotimes_unit_s if info else None)
        if unit is None or not unit > 0:
            where = f"{info.path}: " if info is not None else ""
            raise AnalysisError(f"{where}the nanotime unit is unknown; pass nanotimes_unit_s")
        self.bin_width_ns = float(unit) * 1e9
        period = period_s if period_s is not None else (info.timestamps_unit_s if info else None)
        self.period_ns = float(period) * 1e9 if period else None
        self._fixed = n_bins is not None
        if self._fixed:
            cols = int(n_bins)
            if cols < 2:
                raise AnalysisError("n_bins must be at least 2")
        else:
            cols = int(info.tcspc_num_bins or 0) if info is not None else 0
            if self.period_ns:
                cols = max(cols, int(math.ceil(self.period_ns / self.bin_width_ns - 1e-9)))
            cols = min(max(cols, 2), _MAX_NANOTIME_BINS)
        self._hist = np.zeros((1, cols), np.int64)
        self._n_overflow = 0
        self.detectors = None if detectors is None else tuple(int(d) for d in detectors)
        self.align = bool(align)
        self.detector_delays_ns = detector_delays_ns
        self.reference_detector = reference_detector
        self.t0 = t0
        self.gate = None
        if gate is not None:
            if gate_bin_width_ticks is None or int(gate_bin_width_ticks) < 1:
                raise AnalysisError("a gate needs gate_bin_width_ticks (trace bin width in timestamp ticks)")
            self.gate = np.ascontiguousarray(gate, np.bool_)
            self._gate_width = np.int64(gate_bin_width_ticks)
            self._gate_origin = np.int64(gate_origin_ticks)

    @property
    def n_photons(self) -> int:
        """Photons histogrammed so far (every detector)."""
        return int(self._hist.sum())

    def add(self, chunk: PhotonChunk) -> None:
        """Histogram one chunk of photons."""
        if chunk.nanotimes is None:
            raise AnalysisError("a decay histogram needs T3 data (nanotimes); this chunk has none")
        det = np.ascontiguousarray(chunk.detectors, np.uint8)
        nt = np.ascontiguousarray(chunk.nanotimes, np.uint16)
        if det.shape[0] == 0:
            return
        if self.gate is None:
            n_over = accumulate_decay(det, nt, self._hist)
            if n_over:
                bad = (det >= self._hist.shape[0]) | (nt >= self._hist.shape[1])
                self._grow(det[bad], nt[bad])
                self._n_overflow += accumulate_decay(det[bad], nt[bad], self._hist)
        else:
            idx = np.floor_divide(np.asarray(chunk.timestamps, np.int64) - self._gate_origin, self._gate_width)
            n_over = accumulate_decay_gated(det, nt, idx, self.gate, self._hist)
            if n_over:
                bad = (det >= self._hist.shape[0]) | (nt >= self._hist.shape[1])
                self._grow(det[bad], nt[bad])
                self._n_overflow += accumulate_decay_gated(det[bad], nt[bad], idx[bad], self.gate, self._hist)

    def _grow(self, det, nt) -> None:
        rows = max(self._hist.shape[0], int(det.max()) + 1)
        cols = self._hist.shape[1] if self._fixed else max(self._hist.shape[1], int(nt.max()) + 1)
        if (rows, cols) != self._hist.shape:
            new = np.zeros((rows, cols), np.int64)
            new[: self._hist.shape[0], : self._hist.shape[1]] = self._hist
            self._hist = new

    def result(self) -> DecayHistogram:
        """The histograms so far, aligned and summed, with t0 and background."""
        if self._n_overflow:
            warnings.warn(f"{self._n_overflow} photons lie past the fixed n_bins={self._hist.shape[1]} "
                          "and are not in the decay histogram (counted in n_overflow)", RuntimeWarning, stacklevel=2)
        return _finalize(self._hist.copy(), self.bin_width_ns, self.period_ns, self.detectors, self.align,
                         self.detector_delays_ns, self.reference_detector, self.t0, self._n_overflow)


def decay_histogram(source, *, info: StreamInfo | None = None, chunk_records: int | None = None,
                    **options) -> DecayHistogram:
    """Decay histogram of a file, an open stream or decoded photons.

    Parameters
    ----------
    source : str, Path, TTTRStream or PhotonChunk
        A path is opened with :func:`tttr.open`; a stream is read chunk by chunk.
    info : StreamInfo, optional
        Metadata for a bare :class:`PhotonChunk` (defaults to the stream's ``info``).
    chunk_records : int, optional
        Records per chunk when streaming (default ``defaults.CHUNK_RECORDS``).
    **options
        The parameters of :class:`DecayAccumulator` (``nanotimes_unit_s``, ``period_s``,
        ``n_bins``, ``detectors``, ``align``, ``detector_delays_ns``, ``reference_detector``,
        ``t0``, ``gate``, ``gate_bin_width_ticks``, ``gate_origin_ticks``) go to the
        accumulator; the rest (reader options such as ``sync_rate_hz``, and ``progress``) to
        :func:`tttr.analysis._source.stream_of`, the one place where sources are opened.

    Returns
    -------
    DecayHistogram

    Examples
    --------
    >>> import numpy as np
    >>> from tttr.io.events import PhotonChunk
    >>> rng = np.random.default_rng(0)
    >>> nt = (20 + rng.exponential(5.0, 10000)) / 0.016     # ns -> 16 ps ticks
    >>> chunk = PhotonChunk(np.arange(10000), np.zeros(10000, np.uint8), nt.astype(np.uint16))
    >>> h = decay_histogram(chunk, nanotimes_unit_s=16e-12, period_s=200e-9)
    >>> h.n_photons, h.n_bins, round(h.t0_ns)
    (10000, 12500, 20)
    """
    from ._source import stream_of

    acc_names = set(inspect.signature(DecayAccumulator.__init__).parameters) - {"self", "info"}
    acc_options = {k: options.pop(k) for k in list(options) if k in acc_names}
    if acc_options.get("nanotimes_unit_s") is not None:
        options["nanotimes_unit_s"] = acc_options["nanotimes_unit_s"]  # a reader may need it too (.spc without .set)
    if isinstance(source, PhotonChunk) and info is not None:
        chunks: Iterable[PhotonChunk] = [source]
    else:
        src_info, chunks = stream_of(source, chunk_records=chunk_records, **options)
        info = info if info is not None else src_info
    acc = DecayAccumulator(info, **acc_options)
    for c in chunks:
        acc.add(c)
    return acc.result()


# ============================================================== t0, background, alignment
def _smooth_circular(c: np.ndarray, width: int) -> np.ndarray:
    if width <= 1:
        return c.astype(float)
    h = width // 2
    ext = np.concatenate([c[-h:], c, c[:h]]).astype(float)
    cs = np.concatenate([[0.0], np.cumsum(ext)])
    return (cs[width:] - cs[:-width]) / width


def _smoothed(counts, bin_width_ns: float, n_circle: int | None):
    """Circular moving average of ~_SMOOTH_NS (odd width in bins) and that width."""
    c = np.asarray(counts, float)
    if n_circle is not None:
        c = c[: int(n_circle)]
    n = c.shape[0]
    if n == 0 or not c.sum() > 0:
        return None, 1
    width = max(1, int(round(_SMOOTH_NS / float(bin_width_ns)))) | 1
    if width >= n:
        width = 1
    return _smooth_circular(c, width), width


def _has_rise(counts, bin_width_ns: float, n_circle: int | None) -> bool:
    """Whether a histogram has a peak no flat (Poisson) histogram would show by chance.

    The highest smoothed window must be improbable under a Poisson law with the median
    window count as its mean: ``P(X >= peak) × (windows in the period) < 1e-3``.
    """
    c = np.asarray(counts)
    n_use = _range_bins(c) if n_circle is None else min(int(n_circle), _range_bins(c))
    s, w = _smoothed(c, bin_width_ns, n_use)  # the occupied range only: no empty TDC overrun
    if s is None:
        return False
    lam = max(float(np.median(s)) * w, 1e-9)
    k = float(s.max()) * w
    return bool(scipy.stats.poisson.sf(math.ceil(k) - 1, lam) * (s.shape[0] / w) < 1e-3)


def estimate_t0(counts, bin_width_ns: float, *, method: str = "halfmax", n_circle: int | None = None) -> float:
    """Time zero of a decay histogram: its rising edge at half maximum, or its peak.

    Parameters
    ----------
    counts : (n_bins,) array
    bin_width_ns : float
    method : {"halfmax", "peak"}
    n_circle : int, optional
        Bins of one period; the histogram is treated as circular over its first ``n_circle``
        bins (default: all bins).

    Returns
    -------
    t0_ns : float
        In ``[0, n_circle * bin_width_ns)``; NaN for an empty histogram.

    Notes
    -----
    The histogram is first smoothed by a circular moving average of ~0.1 ns (an odd number
    of bins, at least 1). ``"peak"`` is the centre of the highest smoothed bin. ``"halfmax"``
    (the default) walks back from the peak, circularly, to the last bin below the level
    ``foot + (peak - foot) / 2`` and interpolates linearly between the centres of that bin
    and the next. The foot is the 5th percentile of the smoothed histogram: the background,
    or, when the previous pulses' tails wrap (τ not ≪ period), the minimum of the periodic
    decay just before the rise. The half-maximum of the rising edge sits near the centre of
    the IRF whatever τ (for τ ≫ IRF width), so it estimates the excitation time better than
    the peak, which lies a fraction of the IRF width after it.
    """
    s, _ = _smoothed(counts, bin_width_ns, n_circle)
    if s is None:
        return float("nan")
    n = s.shape[0]
    dt = float(bin_width_ns)
    k = int(np.argmax(s))
    if method == "peak":
        return (k + 0.5) * dt
    if method != "halfmax":
        raise ValueError(f"t0 method must be 'halfmax' or 'peak', not {method!r}")
    foot = float(np.percentile(s, _FOOT_PERCENTILE))
    level = foot + 0.5 * (s[k] - foot)
    r = np.roll(s, -(k + 1))  # r[n - 1] is the peak
    below = np.flatnonzero(r[:-1] < level)
    if below.size == 0:
        return (k + 0.5) * dt
    jr = int(below[-1])
    s0, s1 = r[jr], r[jr + 1]
    frac = (level - s0) / (s1 - s0) if s1 != s0 else 0.5
    j = (jr + k + 1) % n
    return float(((j + 0.5 + frac) * dt) % (n * dt))


#: The occupied range is taken to be the whole period when photons reach this close to its end.
_RANGE_FULL_FRACTION = 0.98


def _range_bins(c: np.ndarray, n_period: int | None = None) -> int:
    """Bins of the occupied microtime range: last non-empty bin + 1, or the whole period when
    that reaches within 2 % of the period's end (the last bins of a period can be empty by
    chance at low background; a TDC range shorter than the period ends far earlier)."""
    nz = np.flatnonzero(c)
    last = int(nz[-1]) + 1 if nz.size else int(c.shape[0])
    if n_period and last >= _RANGE_FULL_FRACTION * n_period:
        last = max(last, min(int(n_period), int(c.shape[0])))
    return last


def estimate_background(counts, bin_width_ns: float, t0_ns: float, *, period_ns: float | None = None):
    """Mean background counts per bin of a decay histogram.

    Parameters
    ----------
    counts : (n_bins,) array
    bin_width_ns : float
    t0_ns : float
        Time zero (the rise) of the histogram.
    period_ns : float, optional
        Laser period (default: the occupied microtime range).

    Returns
    -------
    per_bin : float
        Mean counts per bin of the background region.
    total : float
        ``per_bin × n_range_bins``, the background photons of the histogram.
    method : str
        ``"pre-rise"`` or ``"tail"``.

    Notes
    -----
    The occupied range is ``[0, n_range)`` with ``n_range`` the last non-empty bin + 1 (bins past
    it lie beyond the TDC range and hold nothing by construction), or the whole period when
    that reaches within 2 % of the period's end. The region before the rise
    ends ``TAIL_SHIFT_NS`` (the IRF's extent) before ``t0``. If it spans at least 5 % of the
    period, the background is its mean ("pre-rise"). Otherwise it is the mean of the last
    ``BACKGROUND_FRACTION`` of the occupied range ("tail"), stopping ``TAIL_SHIFT_NS`` before the
    next pulse's rise. Both regions contain the wrapped tail of the previous pulses as well as
    the true background when τ is not ≪ the period; :func:`fit_lifetime` therefore fits the
    background by default instead of fixing it to this estimate.
    """
    c = np.asarray(counts, float)
    dt = float(bin_width_ns)
    n_r = _range_bins(c, int(round(period_ns / dt)) if period_ns else None)
    per = float(period_ns) if period_ns else n_r * dt
    guard = defaults.TAIL_SHIFT_NS
    j = int(math.floor((t0_ns - guard) / dt)) if np.isfinite(t0_ns) else 0
    j = min(j, n_r)
    if j > 0 and j * dt >= _MIN_PRE_RISE_FRACTION * per:
        per_bin = float(c[:j].mean())
        method = "pre-rise"
    else:
        k0 = n_r - max(1, int(math.ceil(defaults.BACKGROUND_FRACTION * n_r)))
        stop = n_r
        if np.isfinite(t0_ns):
            k0 = max(k0, int(math.ceil((t0_ns + guard) / dt)))
            stop = min(stop, int(math.floor((t0_ns + per - guard) / dt)))
        if stop <= k0:  # degenerate layout: the last fraction of the range, whatever it holds
            k0, stop = n_r - max(1, int(math.ceil(defaults.BACKGROUND_FRACTION * n_r))), n_r
        per_bin = float(c[k0:stop].mean())
        method = "tail"
    return per_bin, per_bin * n_r, method


def _delays_array(user, n_det: int) -> np.ndarray:
    out = np.zeros(n_det)
    if isinstance(user, dict):
        for d, v in user.items():
            if 0 <= int(d) < n_det:
                out[int(d)] = float(v)
    else:
        u = np.asarray(user, float).ravel()
        out[: min(n_det, u.size)] = u[:n_det]
    return out


def _finalize(hist, dt, period_ns, detectors, align, user_delays, reference, t0, n_overflow) -> DecayHistogram:
    n_det, n_bins = hist.shape
    total = hist.sum(axis=0)
    n_r = _range_bins(total)
    period = None
    if period_ns:
        period = max(float(period_ns), n_r * dt)
    n_circle = min(n_bins, int(round(period / dt))) if period else n_bins
    per_det = hist.sum(axis=1)
    if detectors is None:
        dets = tuple(int(d) for d in np.flatnonzero(per_det))
    else:
        dets = tuple(int(d) for d in detectors if 0 <= int(d) < n_det and per_det[int(d)] > 0)
    delays = np.full(n_det, np.nan)
    shifts = np.zeros(n_det, np.int64)
    ref = None
    if not dets:
        delays_from = "none"
    elif user_delays is not None:
        delays_from = "user"
        d_all = _delays_array(user_delays, n_det)
        delays[list(dets)] = d_all[list(dets)]
        ref = reference
    elif align and len(dets) > 1:
        delays_from = "estimated"
        ref = int(reference) if reference is not None else max(dets, key=lambda d: per_det[d])
        if ref not in dets:
            raise AnalysisError(f"reference detector {ref} has no photons among the summed detectors {dets}")
        circ = n_circle * dt
        if _has_rise(hist[ref], dt, n_circle):
            r_ref = estimate_t0(hist[ref], dt, n_circle=n_circle)
            for d in dets:  # a detector without a significant rise is left in place (NaN delay)
                if d == ref or _has_rise(hist[d], dt, n_circle):
                    r = estimate_t0(hist[d], dt, n_circle=n_circle)
                    delays[d] = (r - r_ref + 0.5 * circ) % circ - 0.5 * circ
        else:  # no significant rise to align on (e.g. continuous-wave or uncorrelated light)
            delays_from = "none"
            ref = None
    else:
        delays_from = "none"
        delays[list(dets)] = 0.0
        ref = dets[0] if len(dets) == 1 else None
    for d in dets:
        shifts[d] = -int(round(delays[d] / dt)) if np.isfinite(delays[d]) else 0
    summed = np.zeros(n_bins, np.int64)
    for d in dets:  # integer-bin circular shift inside the period (first n_circle bins)
        summed[:n_circle] += np.roll(hist[d, :n_circle], shifts[d])
        summed[n_circle:] += hist[d, n_circle:]
    if isinstance(t0, str):
        t0_ns = estimate_t0(summed, dt, method=t0, n_circle=n_circle)
        t0_method = t0
    else:
        t0_ns = float(t0)
        t0_method = "user"
    bg, bg_total, bg_method = estimate_background(summed, dt, t0_ns, period_ns=period)
    return DecayHistogram(
        counts=hist, summed=summed, bin_width_ns=dt, period_ns=period, t0_ns=t0_ns, t0_method=t0_method,
        background_per_bin=bg, background_counts=bg_total, background_method=bg_method, detectors=dets,
        reference_detector=ref, detector_delays_ns=delays, detector_shifts_bins=shifts, delays_from=delays_from,
        n_photons=int(summed.sum()), n_overflow=int(n_overflow),
        n_range_bins=_range_bins(summed, int(round(period / dt)) if period else None),
    )


# ================================================================================ models
def exponential_bin_means(t_lo_ns, bin_width_ns: float, t0_ns: float, tau_ns: float,
                          period_ns: float | None = None) -> np.ndarray:
    """Mean over each bin of a unit exponential decay starting at ``t0``.

    ``g(t) = exp(-(t - t0) / tau)`` for ``t >= t0`` and 0 before; with ``period_ns`` the sum
    over all previous pulses, ``g(t) = exp(-u / tau) / (1 - exp(-P / tau))`` with
    ``u = (t - t0) mod P``.

    Parameters
    ----------
    t_lo_ns : array
        Left edges of the bins (ns).
    bin_width_ns, t0_ns, tau_ns : float
    period_ns : float, optional
        Laser period ``P``; None for a single pulse.

    Returns
    -------
    array
        ``(1 / bin_width) ∫_bin g(t) dt`` per bin (exact; bins cut by the discontinuity at
        ``t0 + kP`` are split there). A model ``A · this + B`` has ``A`` counts per bin just
        after ``t0`` and holds ``A · tau / bin_width`` photons per pulse.

    Notes
    -----
    The periodic factor follows from summing the geometric series of one exponential repeated
    every ``P``: ``Σ_k exp(-(u + kP)/tau) = exp(-u/tau) / (1 - exp(-P/tau))``. It tends to 1 for
    τ ≪ P, so the periodic model is exact in every regime. Requires ``bin_width <= P``.
    """
    t_lo = np.asarray(t_lo_ns, float)
    dt = float(bin_width_ns)
    tau = float(tau_ns)
    c = tau / dt
    if period_ns is None:
        ua = np.maximum(t_lo - t0_ns, 0.0)
        ub = np.maximum(t_lo + dt - t0_ns, 0.0)
        return c * np.exp(-ua / tau) * -np.expm1(-(ub - ua) / tau)
    P = float(period_ns)
    u = np.mod(t_lo - t0_ns, P)
    over = u + dt - P  # > 0: the bin contains the next rise at age P -> 0
    full = np.exp(-u / tau) * -np.expm1(-np.minimum(dt, P - u) / tau)
    wrapped = np.where(over > 0, -np.expm1(-np.maximum(over, 0.0) / tau), 0.0)
    return c * (full + wrapped) / -np.expm1(-P / tau)


class _IrfConvolution:
    """Decay bases convolved with a measured IRF, shifted continuously by t0 (Fourier shift)."""

    def __init__(self, irf, dt: float, n_bins: int, n_range: int, period: float | None, periodic: bool):
        irf = np.clip(np.asarray(irf, float).ravel(), 0.0, None)
        if not irf.sum() > 0:
            raise AnalysisError("the IRF histogram is empty")
        self.dt = dt
        self.periodic = periodic
        if periodic:
            n_grid = int(round(period / dt))
            g = np.zeros(n_grid)
            np.add.at(g, np.arange(irf.size) % n_grid, irf)
            self.M = n_grid
            self.n_grid = n_grid
            self.P_grid = n_grid * dt
        else:
            n_grid = max(n_range, 2)
            g = np.zeros(n_grid)
            m = min(n_grid, irf.size)
            g[:m] = irf[:m]
            self.n_grid = n_grid
            self.M = scipy.fft.next_fast_len(2 * n_grid)
            self.P_grid = None
        g /= g.sum()
        k_pk = int(np.argmax(g))
        self.peak_center_ns = (k_pk + 0.5) * dt
        gc = np.roll(g, -k_pk)  # peak at lag 0; lags past half the grid are negative
        kern = np.zeros(self.M)
        h = self.n_grid // 2
        kern[: self.n_grid - h] = gc[: self.n_grid - h]
        kern[self.M - h:] = gc[self.n_grid - h:]
        self.F_irf = scipy.fft.rfft(kern)
        self.omega = 2.0 * np.pi * scipy.fft.rfftfreq(self.M)  # rad per bin
        t_lo = np.arange(self.M) * dt
        if not periodic:  # the last half grid stands for negative times: no decay there
            t_lo = np.where(np.arange(self.M) >= self.M - h, -1.0, t_lo)
        self.t_lo = t_lo

    def basis(self, tau: float, t0: float, idx: np.ndarray) -> np.ndarray:
        e0 = exponential_bin_means(self.t_lo, self.dt, 0.0, tau, self.P_grid)
        if not self.periodic:
            e0[self.t_lo < 0] = 0.0
        F = self.F_irf * scipy.fft.rfft(e0) * np.exp(-1j * self.omega * (t0 / self.dt))
        full = scipy.fft.irfft(F, self.M)
        return full[idx % self.n_grid] if self.periodic else full[idx]


# ================================================================================== fits
class _Poisson:
    """Poisson NLL of ``m = Σ A_k E(τ_k, t0) + B`` over the window, with derivatives."""

    def __init__(self, n, basis, ncomp, fit_bg, bg_value, fit_t0, t0_value, dt):
        self.n = n
        self.pos = n > 0
        self.basis = basis
        self.ncomp = ncomp
        self.fit_bg = fit_bg
        self.bg_value = bg_value
        self.fit_t0 = fit_t0
        self.t0_value = t0_value
        self.dt = dt
        self.k = 2 * ncomp + int(fit_bg) + int(fit_t0)

    def unpack(self, th):
        A = th[0: 2 * self.ncomp: 2]
        tau = th[1: 2 * self.ncomp: 2]
        j = 2 * self.ncomp
        B = th[j] if self.fit_bg else self.bg_value
        t0 = th[-1] if self.fit_t0 else self.t0_value
        return A, tau, B, t0

    def model(self, th):
        A, tau, B, t0 = self.unpack(th)
        m = np.full(self.n.shape, float(B))
        for a, t in zip(A, tau):
            m += a * self.basis(t, t0)
        return m

    def nll(self, th):
        m = self.model(th)
        if np.any(m[self.pos] <= 0):
            return np.inf
        n = self.n[self.pos]
        return float(np.sum(m) - np.sum(self.n) - np.sum(n * np.log(m[self.pos] / n)))

    def _derivs(self, th, second: bool):
        A, tau, B, t0 = self.unpack(th)
        out = []
        g = 1e-2 * self.dt
        for t in tau:
            h = 1e-4 * t
            e = self.basis(t, t0)
            ep, em = self.basis(t + h, t0), self.basis(t - h, t0)
            d = {"E": e, "Et": (ep - em) / (2 * h)}
            if second:
                d["Ett"] = (ep - 2 * e + em) / (h * h)
            if self.fit_t0:
                fp, fm = self.basis(t, t0 + g), self.basis(t, t0 - g)
                d["Es"] = (fp - fm) / (2 * g)
                if second:
                    d["Ess"] = (fp - 2 * e + fm) / (g * g)
                    d["Ets"] = (self.basis(t + h, t0 + g) - self.basis(t + h, t0 - g)
                                - self.basis(t - h, t0 + g) + self.basis(t - h, t0 - g)) / (4 * h * g)
            out.append(d)
        m = np.full(self.n.shape, float(B))
        for a, d in zip(A, out):
            m += a * d["E"]
        J = np.empty((self.k, self.n.shape[0]))
        for i, (a, d) in enumerate(zip(A, out)):
            J[2 * i] = d["E"]
            J[2 * i + 1] = a * d["Et"]
        j = 2 * self.ncomp
        if self.fit_bg:
            J[j] = 1.0
        if self.fit_t0:
            J[-1] = sum(a * d["Es"] for a, d in zip(A, out))
        return m, J, out, A

    # Sums below are elementwise products reduced by numpy, not BLAS calls: tiny matrix
    # products dispatched to a threaded BLAS are several times slower on a busy machine.
    def grad(self, th):
        m, J, _, _ = self._derivs(th, False)
        return (J * (1.0 - self.n / np.maximum(m, 1e-300))).sum(axis=1)

    def scoring(self, th):
        """Gradient and expected information ``Σ ∇m ∇mᵀ / m`` (positive semi-definite)."""
        m, J, _, _ = self._derivs(th, False)
        m = np.maximum(m, 1e-300)
        g = (J * (1.0 - self.n / m)).sum(axis=1)
        Jw = J / m
        F = np.array([[float((Jw[i] * J[j]).sum()) for j in range(self.k)] for i in range(self.k)])
        return g, F

    def hessian(self, th):
        """Observed information: Σ n/m² ∇m ∇mᵀ + Σ (1 - n/m) ∇²m."""
        m, J, out, A = self._derivs(th, True)
        m = np.maximum(m, 1e-300)
        w = self.n / (m * m)
        r = 1.0 - self.n / m
        Jw = J * w
        H = np.array([[float((Jw[i] * J[j]).sum()) for j in range(self.k)] for i in range(self.k)])
        for i, (a, d) in enumerate(zip(A, out)):
            ia, it = 2 * i, 2 * i + 1
            x = float((r * d["Et"]).sum())
            H[ia, it] += x
            H[it, ia] += x
            H[it, it] += a * float((r * d["Ett"]).sum())
            if self.fit_t0:
                y = float((r * d["Es"]).sum())
                H[ia, -1] += y
                H[-1, ia] += y
                z = a * float((r * d["Ets"]).sum())
                H[it, -1] += z
                H[-1, it] += z
                H[-1, -1] += a * float((r * d["Ess"]).sum())
        return H


def _minimize(prob: _Poisson, th0, lower, upper, scale):
    """Damped Fisher scoring, then Newton steps on the observed information.

    Returns ``(theta, nll, converged, message)``.
    """
    th = np.clip(np.asarray(th0, float), lower, upper)
    f = prob.nll(th)
    if not np.isfinite(f):
        return th, f, False, "the starting values give a zero model where photons were counted"
    lam = 1e-3
    converged = False
    it = 0
    for it in range(1, 501):
        use_newton = lam <= 1e-6  # close to the optimum: observed information, quadratic steps
        if use_newton:
            g = prob.grad(th)
            H = prob.hessian(th)
        else:
            g, H = prob.scoring(th)
        active = ((th <= lower) & (g > 0)) | ((th >= upper) & (g < 0))
        free = ~active
        if not free.any():
            converged = True
            break
        Hf = H[np.ix_(free, free)]
        gf = g[free]
        dg = np.abs(np.diag(Hf))
        dg[dg == 0] = 1.0
        try:
            step_f = np.linalg.solve(Hf + lam * np.diag(dg), -gf)
            dec = float(-gf @ np.linalg.solve(Hf, -gf)) if use_newton else np.inf
        except np.linalg.LinAlgError:
            lam = max(lam * 10, 1e-4)
            continue
        if use_newton and 0 <= dec < 1e-10:  # within 1e-10 NLL of the quadratic minimum
            converged = True
            break
        step = np.zeros_like(th)
        step[free] = step_f
        cand = np.clip(th + step, lower, upper)
        fc = prob.nll(cand)
        if np.isfinite(fc) and fc <= f:
            small = np.all(np.abs(cand - th) <= 1e-12 * scale)
            th, f = cand, fc
            lam = lam / 10 if lam > 1e-9 else 0.0
            if small:
                converged = True
                break
        else:
            lam = max(lam * 10, 1e-4)
            if lam > 1e12:
                break
    msg = f"{'converged' if converged else 'did not converge'} after {it} iterations"
    return th, f, converged, msg


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
    if model not in ("mono", "bi"):
        raise ValueError(f"model must be 'mono' or 'bi', not {model!r}")
    h = _coerce_hist(hist, bin_width_ns, period_ns)
    dt = h.bin_width_ns
    if detector is None:
        y = h.summed.astype(float)
        t0_default = h.t0_ns
    else:
        if not 0 <= int(detector) < h.counts.shape[0]:
            raise AnalysisError(f"detector {detector} is not in the histogram")
        y = h.counts[int(detector)].astype(float)
        t0_default = h.t0_ns - h.detector_shifts_bins[int(detector)] * dt
    n_bins = y.shape[0]
    P = h.period_ns
    n_r = _range_bins(y, int(round(P / dt)) if P else None)
    if periodic is None:
        periodic = P is not None
    if periodic and P is None:
        raise AnalysisError("a periodic model needs the laser period (period_ns)")
    t0 = float(t0_ns) if t0_ns is not None else float(t0_default)
    if P is not None:
        t0 = t0 % P
    if not np.isfinite(t0):
        raise AnalysisError("time zero is undefined (empty histogram?)")
    shift = float(tail_shift_ns)
    t_lo = np.arange(n_bins) * dt
    centers = t_lo + 0.5 * dt
    in_range = np.arange(n_bins) < n_r

    # ------------------------------------------------------------------ the window
    if window_ns is not None:
        a, b = float(window_ns[0]), float(window_ns[1])
        mask = (centers >= a) & (centers < b) if a <= b else (centers >= a) | (centers < b)
        win = (a, b)
    elif irf is not None:
        mask = in_range.copy()
        win = (0.0, n_r * dt)
    else:
        if periodic:
            age = np.mod(t_lo - t0, P)
            mask = (age >= shift) & (age + dt <= P - shift)
            win = ((t0 + shift) % P, (t0 - shift) % P)
        else:
            mask = t_lo >= t0 + shift
            win = (t0 + shift, n_r * dt)
    mask &= in_range
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

    # ------------------------------------------------------------------- the model
    Pm = P if periodic else None
    if irf is None:
        t_win = t_lo[idx]

        def basis(tau, t0_):
            return exponential_bin_means(t_win, dt, t0_, tau, Pm)

        conv = None
    else:
        irf_arr = irf.summed if isinstance(irf, DecayHistogram) else irf
        conv = _IrfConvolution(irf_arr, dt, n_bins, n_r, P, periodic)

        def basis(tau, t0_):
            return conv.basis(tau, t0_, idx)

    # ------------------------------------------------------------ starting values
    if fit_bg:
        B0 = estimate_background(y, dt, t0, period_ns=P)[0] if detector is not None else h.background_per_bin
        B0 = max(float(B0), 1e-3 * max(float(n.mean()), 1e-3))
    else:
        B0 = float(background)
        if B0 < 0:
            raise AnalysisError("a fixed background must be >= 0")
    age_c = (np.mod(centers - t0, P) if P is not None else centers - t0)
    tail = (age_c >= shift) & in_range & ((age_c <= P - shift) if P is not None else True)
    wts = np.clip(y[tail] - B0, 0.0, None)
    x = age_c[tail] - shift
    W = float(x.max()) if x.size else 0.0
    tau0 = 10 * dt
    if wts.sum() > 0 and W > 0:
        mean = float((wts * x).sum() / wts.sum())
        t_est = truncation_corrected_lifetime(np.array([mean]), W)[0]
        tau0 = float(t_est) if np.isfinite(t_est) else max(mean, dt)
    tau0 = float(np.clip(tau0, 2 * dt, 0.5 * (P if P else n_r * dt)))
    tau_lo = dt / 50.0
    tau_hi = 1e3 * (P if P else n_r * dt)
    sig = max(float(n.sum() - B0 * idx.size), 1.0)

    def make_start(taus, fr, t0s):
        th = []
        for t, f in zip(taus, fr):
            e = basis(t, t0s).sum()
            th += [max(f * sig / e, 1e-6) if e > 0 else 1.0, t]
        if fit_bg:
            th.append(B0)
        if fit_t0:
            th.append(t0s)
        return np.array(th, float)

    t0_start = t0
    if fit_t0:  # place the model's half-max rise on the data's (probe shift: a quarter range)
        probe = 0.25 * conv.n_grid * dt
        rise = estimate_t0(conv.basis(tau0, probe, np.arange(conv.n_grid)), dt)
        t0_start = t0 - (rise - probe)
    lower = [0.0, tau_lo] * ncomp + ([0.0] if fit_bg else []) + ([t0_start - 0.5 * n_r * dt] if fit_t0 else [])
    upper = [np.inf, tau_hi] * ncomp + ([np.inf] if fit_bg else []) + ([t0_start + 0.5 * n_r * dt] if fit_t0 else [])
    lower, upper = np.array(lower), np.array(upper)
    prob = _Poisson(n, basis, ncomp, fit_bg, B0, fit_t0, t0, dt)
    if ncomp == 1:
        starts = [make_start([tau0], [1.0], t0_start)]
    else:
        starts = [make_start([tau0 * r1, tau0 * r2], [0.5, 0.5], t0_start)
                  for r1, r2 in ((2.0, 0.5), (1.5, 0.25), (3.0, 0.7))]
    best = None
    for th0 in starts:
        th0 = np.clip(th0, lower, upper)
        # scales: amplitudes, τ and background by their start; t0 by a tenth of a ns (its
        # start is already within the IRF width, and its own value says nothing of its scale)
        scale = np.where(np.abs(th0) > 0, np.abs(th0), 1.0)
        if fit_t0:
            scale[-1] = 0.1
        th, f, ok, msg = _minimize(prob, th0, lower, upper, scale)
        if best is None or f < best[1]:
            best = (th, f, ok, msg)
    th, f, ok, msg = best
    if ncomp == 2 and th[1] < th[3]:  # long component first
        th = th.copy()
        th[[0, 1, 2, 3]] = th[[2, 3, 0, 1]]

    # ------------------------------------------------------------------ errors
    try:
        H = prob.hessian(th)
        cov = np.linalg.inv(H)
        if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) < 0):
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        cov = np.full((k, k), np.nan)
        ok = False
        msg += "; the observed information is singular (parameters not identifiable)"
    err = np.sqrt(np.abs(np.diag(cov)))
    A, taus, B, t0_fit = prob.unpack(th)
    A_err, tau_err = err[0: 2 * ncomp: 2], err[1: 2 * ncomp: 2]
    # derived quantities by the delta method on (A1, tau1, A2, tau2)
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
    tau_amp_err = delta(g_amp)
    tau_int_err = delta(g_int)

    # ---------------------------------------------------------------- statistics
    m_win = prob.model(th)
    dof = int(idx.size - k)
    pos = n > 0
    dev = 2.0 * float(np.sum(m_win - n) - np.sum(n[pos] * np.log(m_win[pos] / n[pos])))
    chi2 = float(np.sum((n - m_win) ** 2 / m_win))
    all_idx = np.arange(n_bins)
    if conv is None:
        full_basis = [exponential_bin_means(t_lo, dt, t0_fit, t, Pm) for t in taus]
    else:
        full_basis = [conv.basis(t, t0_fit, all_idx) for t in taus]
    model_counts = np.full(n_bins, float(B)) + sum(a * e for a, e in zip(A, full_basis))
    bg_err = float(err[2 * ncomp]) if fit_bg else float("nan")
    t0_err = float(err[-1]) if fit_t0 else float("nan")
    irf_shift = (t0_fit - conv.peak_center_ns) if conv is not None else float("nan")
    names = []
    for i in range(ncomp):
        names += [f"amplitude{i + 1}", f"tau{i + 1}_ns"]
    names += (["background_per_bin"] if fit_bg else []) + (["t0_ns"] if fit_t0 else [])
    if ncomp == 1:
        tau_ns, tau_e = float(taus[0]), float(tau_err[0])
        t2, t2e, a2, a2e = (float("nan"),) * 4
    else:
        tau_ns, tau_e = tau_int, tau_int_err
        t2, t2e, a2, a2e = float(taus[1]), float(tau_err[1]), float(fr[1]), fr_err[1]
    return LifetimeFit(
        model=model, tau_ns=tau_ns, tau_err_ns=tau_e, tau1_ns=float(taus[0]), tau1_err_ns=float(tau_err[0]),
        tau2_ns=t2, tau2_err_ns=t2e, a1=float(fr[0]), a1_err=fr_err[0], a2=a2, a2_err=a2e,
        tau_amp_ns=float(tau_amp), tau_amp_err_ns=tau_amp_err, tau_int_ns=float(tau_int), tau_int_err_ns=tau_int_err,
        amplitudes=np.asarray(A, float), amplitudes_err=np.asarray(A_err, float),
        signal_counts=float(SAt / dt), background_per_bin=float(B), background_err=bg_err,
        background_fixed=not fit_bg, t0_ns=float(t0_fit), t0_err_ns=t0_err, irf_shift_ns=float(irf_shift),
        periodic=bool(periodic), period_ns=P, window_ns=win, tail_shift_ns=shift, bin_width_ns=dt,
        n_photons=int(y.sum()), n_photons_window=int(n.sum()), n_bins_window=int(idx.size), dof=dof,
        chi2_reduced=chi2 / dof, deviance=dev, deviance_reduced=dev / dof, aic=dev + 2 * k,
        bic=dev + k * math.log(idx.size), param_names=tuple(names), params=np.asarray(th, float),
        covariance=cov, success=bool(ok), message=msg, counts=y, model_counts=model_counts, window_mask=mask,
    )


# ============================================================= per-bin lifetimes (FLID)
def lifetime_window_ns(hist: DecayHistogram, *, margin_ns: float = defaults.LIFETIME_WINDOW_MARGIN_NS) -> float:
    """Default per-bin lifetime window ``W``: the rest of the period after t0, minus a margin.

    Notes
    -----
    ``W = range_end - t0 - margin_ns`` with ``range_end`` the end of the occupied microtime range
    (≈ the period; shorter when the TDC range is shorter than the period).
    """
    return float(hist.n_range_bins * hist.bin_width_ns - hist.t0_ns - margin_ns)


def per_bin_background_counts(hist: DecayHistogram, window_ns: float, bin_width_s: float, duration_s: float) -> float:
    """Expected background photons per intensity-trace bin inside the lifetime window.

    Parameters
    ----------
    hist : DecayHistogram
        The decay of the whole measurement (its ``background_per_bin``).
    window_ns : float
        The per-bin lifetime window ``W``.
    bin_width_s : float
        Intensity-trace bin width, s.
    duration_s : float
        Duration of the measurement the decay was accumulated over, s.

    Returns
    -------
    float
        ``background_per_bin / bin_width_ns × window_ns × bin_width_s / duration_s``.

    Notes
    -----
    The decay's background rate per ns of microtime, over the window, shared out evenly over
    the measurement's trace bins: it assumes a background constant in time (dark counts,
    stray light), not one that follows the emitter's blinking. For
    :func:`per_bin_mle_lifetime`.
    """
    return float(hist.background_per_bin / hist.bin_width_ns * window_ns * bin_width_s / duration_s)


def mean_delay_lifetime(sum_delay_ns, n, *, min_photons: int = defaults.MIN_PHOTONS_PER_BIN) -> np.ndarray:
    """Per-bin lifetime as the mean delay after t0 (001: "averaged from the arrival time").

    Parameters
    ----------
    sum_delay_ns : array
        Per bin: the sum of the delays after t0 of its photons inside ``[t0, t0 + W)``, ns.
    n : array
        Per bin: the number of those photons.
    min_photons : int
        Bins with fewer photons give NaN (default ``MIN_PHOTONS_PER_BIN``).

    Returns
    -------
    array of float
        ``sum_delay_ns / n``.

    Notes
    -----
    For an exponential truncated at ``W`` the mean is ``τ - W / (e^{W/τ} - 1)``, below τ when
    ``W`` is not ≫ τ; see :func:`truncation_corrected_lifetime`. Background photons, uniform in
    the window, pull the mean towards ``W / 2``.
    """
    s = np.asarray(sum_delay_ns, float)
    cnt = np.asarray(n, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = s / cnt
    return np.where(cnt >= min_photons, out, np.nan)


def truncation_corrected_lifetime(mean_ns, window_ns) -> np.ndarray:
    """Lifetime whose exponential, truncated to ``[0, W]``, has the given mean delay.

    Solves ``mean = τ - W / (e^{W/τ} - 1)`` for τ (vectorised, numba).

    Parameters
    ----------
    mean_ns : array
        Mean delays after t0 within the window (e.g. from :func:`mean_delay_lifetime`; NaN
        propagates).
    window_ns : float or array
        The window ``W`` (broadcast against ``mean_ns``).

    Returns
    -------
    array of float
        τ in ns; NaN where ``mean <= 0`` or ``mean >= W / 2`` (the mean of a truncated
        exponential is below ``W / 2`` for every finite τ) or the input is NaN.

    Notes
    -----
    The mean is monotone in τ, so the root is unique; the kernel brackets it in ``x = W / τ``
    and takes safeguarded Newton steps (:func:`tttr.kernels.decay.truncated_exponential_tau`).
    For photons of a pure exponential this is also the maximum-likelihood τ of the truncated
    exponential (its sufficient statistic is the sum of delays), so it is consistent. Being a
    nonlinear function of a mean of ``n`` delays it has a small-sample bias,
    ``+ τ² |μ''(τ)| / (2 μ'(τ)² n)`` to first order (μ(τ) the truncated mean above): for
    ``W = 3τ`` about 0.6 % at n = 200, 2.6 % at n = 50 and ~9 % at n = 20; it vanishes as
    ``W / τ`` grows (the untruncated mean is unbiased).
    """
    m, w = np.broadcast_arrays(np.asarray(mean_ns, float), np.asarray(window_ns, float))
    shape = m.shape
    mf = np.array(m, float).ravel()  # writeable contiguous copies for the kernel
    wf = np.array(w, float).ravel()
    out = np.empty(mf.shape[0])
    truncated_exponential_tau(mf, wf, out)
    return out.reshape(shape)


def per_bin_mle_lifetime(sum_delay_ns, n, window_ns, *, background_counts=0.0,
                         min_photons: int = defaults.MIN_PHOTONS_PER_BIN) -> np.ndarray:
    """Per-bin mono-exponential lifetime with background, from per-bin ``(n, Σ delay)``.

    Parameters
    ----------
    sum_delay_ns : array
        Per bin: sum of delays after t0 (ns) of the photons inside ``[t0, t0 + W)``.
    n : array
        Per bin: number of those photons.
    window_ns : float or array
        The window ``W``.
    background_counts : float or array
        Expected background photons of each bin inside the window (uniform in delay), e.g.
        from :func:`per_bin_background_counts`. 0 means none.
    min_photons : int
        Bins with fewer photons give NaN.

    Returns
    -------
    array of float
        τ (ns); NaN for too few photons, for bins whose signal after background subtraction is
        not positive, and where no finite τ matches (signal mean >= W/2).

    Notes
    -----
    Sufficient statistics. Without background the photons of a bin follow an exponential
    truncated to ``[0, W]``, an exponential family whose sufficient statistic is ``(n, Σ t)``;
    its maximum-likelihood τ solves ``Σ t / n = τ - W / (e^{W/τ} - 1)``, exactly the
    truncation-corrected estimator. With a uniform background fraction ``f`` the density is
    the mixture ``(1 - f) · exp-trunc + f / W``, which is not an exponential family: its
    likelihood needs every delay (the per-bin histogram), which a streaming FLID accumulator
    cannot keep for millions of bins. This function therefore takes the background as known
    and removes it from the sufficient statistics, ``n_s = n - b``, ``Σ t_s = Σ t - b W / 2``
    (the background's expected contribution), then applies the truncated-exponential ML
    solve to ``Σ t_s / n_s``. It is the exact MLE for ``b = 0`` and a consistent,
    first-order unbiased moment correction for ``b > 0``.
    """
    s = np.asarray(sum_delay_ns, float)
    cnt = np.asarray(n, float)
    w = np.asarray(window_ns, float)
    b = np.asarray(background_counts, float)
    ns = cnt - b
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_s = (s - b * w / 2.0) / ns
    mean_s = np.where((cnt >= min_photons) & (ns > 0), mean_s, np.nan)
    return truncation_corrected_lifetime(mean_s, w)
