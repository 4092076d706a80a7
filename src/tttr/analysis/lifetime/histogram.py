"""Decay histograms: per-detector microtime histograms fed chunk by chunk, aligned on each
detector's rise and summed, with time zero and background (science.md §2, region gates §3.2).

Conventions: nanotime ``k`` is the bin ``[k, k + 1) * bin_width_ns``; times (``t0_ns``,
windows) are on that axis, in ns, from the start of the microtime range.
"""

from __future__ import annotations

import inspect
import math
import warnings
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from ... import defaults
from ...errors import AnalysisError
from ...io.events import PhotonChunk, StreamInfo
from ...kernels.decay import accumulate_decay, accumulate_decay_gated
from ...results import Result
from .calibration import _has_rise, _range_bins, estimate_background, estimate_t0

__all__ = ["DecayHistogram", "DecayAccumulator", "decay_histogram"]

#: Largest histogram a uint16 nanotime can address.
_MAX_NANOTIME_BINS = 1 << 16


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

    def rebinned(self, max_bins: int = defaults.LIFETIME_FIT_MAX_BINS) -> "DecayHistogram":
        """The aligned, summed decay with bins merged so that at most ``max_bins`` remain.

        Notes
        -----
        ``k = ceil(n_bins / max_bins)`` consecutive bins are summed (a last incomplete group is
        dropped); the result is not re-aligned and keeps ``t0_ns`` from this full-resolution
        histogram; its background is re-estimated on the merged bins. ``self`` is returned
        when no merging is needed. Used for the lifetime fits of ``tttr analyze`` and
        ``tttr lifetime`` (see ``defaults.LIFETIME_FIT_MAX_BINS``).
        """
        n = self.summed.size
        k = max(1, -(-n // max_bins))
        if k == 1:
            return self
        m = (n // k) * k
        merged = self.summed[:m].reshape(-1, k).sum(axis=1)
        return DecayHistogram.from_counts(merged, self.bin_width_ns * k, period_ns=self.period_ns, align=False,
                                          t0=float(self.t0_ns))

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
    calibration_photons : int or None
        Time zero and the detector delays are estimated on the decay of the first this many
        photons of the stream (default ``defaults.CALIBRATION_PHOTONS``; see Notes and
        :meth:`calibration`); None: on every photon. Not used with a ``gate``.

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
    * **Calibration** (t0 and detector delays). One calibration serves the whole analysis: it
      is :meth:`calibration`, the decay of the first ``calibration_photons`` photons, which is
      also what :class:`~tttr.analysis.binned.BinnedAccumulator` fixes its t0 and detector
      shifts from before it sums the per-bin delays of the FLID. The full histogram is then
      aligned with the calibration's shifts and takes its t0; only the background is estimated
      on the full histogram. A file of at most ``calibration_photons`` photons is calibrated
      on all of them. The estimate from the first photons is the one a single streaming pass
      can share (the binned sums need t0 before they see the photons, the full histogram only
      exists at the end), and it loses nothing measurable: the half-maximum rise from 2**20
      photons scatters by 0.8 ps (τ = 5 ns) to 2 ps (τ = 20 ns) in simulations with 16 ps bins
      and a 50 ps IRF, an eighth of a bin or less. Detectors whose first photon comes after the
      calibration are not shifted (NaN delay).
    * **Gating** needs the trace bins' region labels, known only after a first pass (the
      thresholds): a gated accumulator is fed in a second pass over the photons.
    * The work per chunk is one numba call (:func:`tttr.kernels.decay.accumulate_decay`); the
      growth path touches only the photons that did not fit.
    """

    def __init__(self, info: StreamInfo | None = None, *, nanotimes_unit_s: float | None = None,
                 period_s: float | None = None, n_bins: int | None = None, detectors=None,
                 align: bool = True, detector_delays_ns=None, reference_detector: int | None = None,
                 t0="halfmax", gate=None, gate_bin_width_ticks: int | None = None,
                 gate_origin_ticks: int = 0, calibration_photons: int | None = defaults.CALIBRATION_PHOTONS):
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
        # photons still to come before the calibration's snapshot of the histogram (None: no snapshot)
        self._calibration_left = None if calibration_photons is None or gate is not None else int(calibration_photons)
        self._calibration_counts = None

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
        left = self._calibration_left
        if left is not None and det.shape[0] >= left:  # the calibration photons are complete
            self._histogram(det[:left], nt[:left], None)
            self._calibration_counts = self._hist.copy()
            self._calibration_left = None
            det, nt = det[left:], nt[left:]
            if det.shape[0] == 0:
                return
        elif left is not None:
            self._calibration_left = left - det.shape[0]
        self._histogram(det, nt, chunk.timestamps)

    def _histogram(self, det, nt, timestamps) -> None:
        """Add photons to the histogram (through the gate if there is one), growing it as needed."""
        if self.gate is None:
            n_over = accumulate_decay(det, nt, self._hist)
            if n_over:
                bad = (det >= self._hist.shape[0]) | (nt >= self._hist.shape[1])
                self._grow(det[bad], nt[bad])
                self._n_overflow += accumulate_decay(det[bad], nt[bad], self._hist)
        else:
            idx = np.floor_divide(np.asarray(timestamps, np.int64) - self._gate_origin, self._gate_width)
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
        calibration = self.calibration() if self._calibration_counts is not None else None
        return _finalize(self._hist.copy(), self.bin_width_ns, self.period_ns, self.detectors, self.align,
                         self.detector_delays_ns, self.reference_detector, self.t0, self._n_overflow, calibration)

    def calibration(self) -> DecayHistogram:
        """The decay of the first ``calibration_photons`` photons (all of them in a shorter
        stream), aligned, with its t0: the one calibration of t0 and the detector delays.

        Notes
        -----
        :meth:`result` takes t0 and the detector shifts from it, and
        :class:`~tttr.analysis.binned.BinnedAccumulator` fixes its t0 and shifts from it before
        summing the FLID delays, so the lifetime fit, the FLID and the region lifetimes share
        one time zero and one alignment (see the class Notes for why these photons).
        """
        counts = self._hist if self._calibration_counts is None else self._calibration_counts
        return _finalize(counts.copy(), self.bin_width_ns, self.period_ns, self.detectors, self.align,
                         self.detector_delays_ns, self.reference_detector, self.t0, 0)


def decay_histogram(source, *, info: StreamInfo | None = None, chunk_records: int | None = None,
                    **options) -> DecayHistogram:
    """Decay histogram of a file, an open stream or decoded photons.

    Parameters
    ----------
    source : str, Path, TTTRStream or PhotonChunk
        A path is opened with :func:`tttr.open`; a stream is read chunk by chunk.
    info : StreamInfo, optional
        Metadata for a bare :class:`PhotonChunk` (defaults to the stream's ``info``); without
        it, the chunk's units come from ``nanotimes_unit_s`` and ``period_s``.
    chunk_records : int, optional
        Records per chunk when streaming (default ``defaults.CHUNK_RECORDS``).
    **options
        The parameters of :class:`DecayAccumulator` (``nanotimes_unit_s``, ``period_s``,
        ``n_bins``, ``detectors``, ``align``, ``detector_delays_ns``, ``reference_detector``,
        ``t0``, ``gate``, ``gate_bin_width_ticks``, ``gate_origin_ticks``) go to the
        accumulator; the rest (reader options such as ``sync_rate_hz``, and ``progress``) to
        :func:`tttr.io.source.stream_of`, the one place where sources are opened.

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
    from ...io.source import stream_of

    acc_names = set(inspect.signature(DecayAccumulator.__init__).parameters) - {"self", "info"}
    acc_options = {k: options.pop(k) for k in list(options) if k in acc_names}
    if acc_options.get("nanotimes_unit_s") is not None:
        options["nanotimes_unit_s"] = acc_options["nanotimes_unit_s"]  # a reader may need it too (.spc without .set)
    if isinstance(source, PhotonChunk) and (info is not None or getattr(source, "info", None) is None):
        chunks: Iterable[PhotonChunk] = [source]  # bare photons: the accumulator options give the units
    else:
        src_info, chunks = stream_of(source, chunk_records=chunk_records, **options)
        info = info if info is not None else src_info
    acc = DecayAccumulator(info, **acc_options)
    for c in chunks:
        acc.add(c)
    return acc.result()



# ============================================================== alignment and sum
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


def _alignment(hist, dt, n_circle, dets, per_det, align, user_delays, reference):
    """Delays (ns, NaN where unknown) of every detector, the reference and their origin."""
    n_det = hist.shape[0]
    delays = np.full(n_det, np.nan)
    if not dets:
        return delays, None, "none"
    if user_delays is not None:
        d_all = _delays_array(user_delays, n_det)
        delays[list(dets)] = d_all[list(dets)]
        return delays, reference, "user"
    if not (align and len(dets) > 1):
        delays[list(dets)] = 0.0
        return delays, (dets[0] if len(dets) == 1 else None), "none"
    ref = int(reference) if reference is not None else max(dets, key=lambda d: per_det[d])
    if ref not in dets:
        raise AnalysisError(f"reference detector {ref} has no photons among the summed detectors {dets}")
    if not _has_rise(hist[ref], dt, n_circle):  # nothing to align on (continuous-wave or uncorrelated light)
        return delays, None, "none"
    circ = n_circle * dt
    r_ref = estimate_t0(hist[ref], dt, n_circle=n_circle)
    for d in dets:  # a detector without a significant rise is left in place (NaN delay)
        if d == ref or _has_rise(hist[d], dt, n_circle):
            r = estimate_t0(hist[d], dt, n_circle=n_circle)
            delays[d] = (r - r_ref + 0.5 * circ) % circ - 0.5 * circ
    return delays, ref, "estimated"


def _finalize(hist, dt, period_ns, detectors, align, user_delays, reference, t0, n_overflow,
              calibration: DecayHistogram | None = None) -> DecayHistogram:
    """Align, sum, and find t0 and the background; with a ``calibration`` (the decay of the
    first photons, :meth:`DecayAccumulator.calibration`), its delays and t0 are used."""
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
    if calibration is None:
        delays, ref, delays_from = _alignment(hist, dt, n_circle, dets, per_det, align, user_delays, reference)
    else:
        delays = np.full(n_det, np.nan)
        m = min(n_det, calibration.detector_delays_ns.shape[0])
        delays[:m] = calibration.detector_delays_ns[:m]
        ref, delays_from = calibration.reference_detector, calibration.delays_from
    shifts = np.zeros(n_det, np.int64)
    for d in dets:
        shifts[d] = -int(round(delays[d] / dt)) if np.isfinite(delays[d]) else 0
    summed = np.zeros(n_bins, np.int64)
    for d in dets:  # integer-bin circular shift inside the period (first n_circle bins)
        summed[:n_circle] += np.roll(hist[d, :n_circle], shifts[d])
        summed[n_circle:] += hist[d, n_circle:]
    if calibration is not None:
        t0_ns, t0_method = calibration.t0_ns, calibration.t0_method
    elif isinstance(t0, str):
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
