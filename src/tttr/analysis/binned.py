"""One streaming pass, binned: the state shared by the trace, FLID and region-gated decays.

:class:`BinnedAccumulator` consumes photon chunks and keeps, per trace bin, the counts of
every detector and the FLID sums, plus the intensity-resolved decay matrix (the decay
histogram of the photons of all bins of a given intensity). The intensity trace
(:mod:`.trace`), the FLID map (:mod:`.flid`), the ON/OFF analysis (:mod:`.blinking`) and the
region-gated lifetimes (§3.2 of the science reference) are all computed from its
:class:`BinnedData` without reading the photons again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import defaults
from ..io.events import PhotonChunk, StreamInfo
from ..kernels.binning import accumulate_bins
from ..errors import AnalysisError, printable
from ..results import Result

__all__ = ["BinnedAccumulator", "BinnedData", "bin_ticks_for"]


def bin_ticks_for(bin_width_s: float, timestamps_unit_s: float) -> int:
    """Trace bin width in whole timestamp ticks (the nearest integer, at least 1).

    Notes
    -----
    Timestamps stay integers, so a bin is a whole number of ticks; the bin width actually
    used (``ticks × unit``) is what every result reports, and differs from the request by
    less than half a tick (for T3: half a laser period).
    """
    if not bin_width_s > 0:
        raise ValueError(f"bin width must be positive, got {bin_width_s!r} s")
    return max(1, int(round(bin_width_s / timestamps_unit_s)))


@dataclass(frozen=True, repr=False)
class BinnedData(Result):
    """Per-bin sums of one pass over a file.

    Attributes
    ----------
    counts : (n_bins, n_detectors) int32
        Photons per bin and detector; the last partial bin is dropped.
    n_window : (n_bins,) int32
        Selected-detector photons whose aligned delay after t0 is in ``[0, window)``.
    sum_delay_ticks : (n_bins,) int64
        Sum of those delays, in nanotime ticks.
    decay_matrix : (n_levels, n_columns) int64 or None
        Decay histograms by intensity level (T3 only; see :mod:`tttr.kernels.binning`).
    level_width_counts : int
        Counts per bin covered by one row of ``decay_matrix`` (the last row collects the rest).
    decay_rebin : int
        Nanotime ticks per column of ``decay_matrix``.
    period_ticks : int
        Nanotime ticks per laser period (aligned nanotimes are wrapped into it); 0 if unknown.
    bin_width_s, timestamps_unit_s : float
    bin_ticks : int
    nanotimes_unit_s : float or None
    t0_ticks : int
        Time zero of the decay (nanotime ticks, after detector alignment).
    window_ticks : int
        Width of the per-bin lifetime window after t0.
    detector_shift_ticks : (256,) int64
        Nanotime shift added to each detector to align its decay rise.
    detectors : tuple of int
        Detectors summed into the intensity used for FLID and the decay matrix.
    n_photons : int
    duration_s : float
        Time up to the last event; the trace covers ``n_bins × bin_width_s`` of it.
    clipped_bins : int
        Bins whose intensity exceeded the top row of ``decay_matrix``.
    photons_per_detector : (256,) int64 or None
        Every photon of the file by detector, including those of the dropped last partial
        bin (sums to ``n_photons``).
    t0_ns : float
        Time zero of the calibration before rounding to the tick (ns; the lifetime fit's t0);
        ``t0_ticks`` is it rounded. NaN when t0 was given or not estimated.
    """

    counts: np.ndarray
    n_window: np.ndarray
    sum_delay_ticks: np.ndarray
    decay_matrix: np.ndarray | None
    level_width_counts: int
    decay_rebin: int
    period_ticks: int
    bin_width_s: float
    bin_ticks: int
    timestamps_unit_s: float
    nanotimes_unit_s: float | None
    t0_ticks: int
    window_ticks: int
    detector_shift_ticks: np.ndarray
    detectors: tuple
    n_photons: int
    duration_s: float
    clipped_bins: int
    photons_per_detector: np.ndarray | None = None
    t0_ns: float = float("nan")

    @property
    def n_bins(self) -> int:
        return int(self.counts.shape[0])

    def intensity(self, detectors=None) -> np.ndarray:
        """Counts per bin summed over ``detectors`` (default: the selected ones)."""
        dets = self.detectors if detectors is None else tuple(detectors)
        dets = [d for d in dets if d < self.counts.shape[1]]
        if not dets:
            return np.zeros(self.n_bins, np.int64)
        return self.counts[:, dets].sum(axis=1, dtype=np.int64)


class BinnedAccumulator:
    """Feed chunks with :meth:`add`, then call :meth:`result` once.

    Parameters
    ----------
    info : StreamInfo
        Metadata of the stream (units, mode).
    bin_width_s : float
        Trace bin width (default 10 ms).
    detectors : sequence of int, optional
        Detectors whose photons make the intensity for FLID and the decay matrix
        (default: all).
    t0_ticks, window_ticks : int, optional
        Time zero (aligned nanotime ticks) and per-bin lifetime window. Default: estimated
        from the first chunk (see Notes).
    detector_shift_ticks : dict, optional
        Nanotime shift per detector; default: estimated from the first chunk.
    n_levels : int
        Rows of the decay matrix.
    n_columns : int
        Target number of columns of the decay matrix (nanotimes are rebinned to fit).

    Notes
    -----
    The decay rise (t0) and the detector delays are properties of the set-up, not of the
    emitter's state, so they are estimated from the decay histogram of the first
    ``calibration_photons`` photons (``defaults.CALIBRATION_PHOTONS``; all of them in a
    shorter file), which are held back until then: this keeps the analysis to one pass, with
    memory bounded by that number, and the result does not depend on the chunk size. The
    estimate is :meth:`tttr.analysis.lifetime.DecayAccumulator.calibration`, the same one the
    decay accumulator gives the lifetime fit, so the FLID, the region lifetimes and the fit of
    the whole decay share one t0 and one alignment; here t0 is rounded to the nanotime tick
    (``t0_ticks``), as the per-bin delays are integer ticks. Pass t0 and the shifts explicitly
    to override. The intensity level width is chosen so that the decay matrix
    covers 8× the mean intensity of those photons; brighter bins go to the last row and are
    counted in ``clipped_bins``.
    """

    def __init__(self, info: StreamInfo, *, bin_width_s: float = defaults.BIN_WIDTH_S, detectors=None,
                 t0_ticks: int | None = None, window_ticks: int | None = None, detector_shift_ticks=None,
                 n_levels: int = defaults.DECAY_MATRIX_LEVELS, n_columns: int = defaults.DECAY_MATRIX_COLUMNS,
                 calibrate: bool = True, calibration_photons: int = defaults.CALIBRATION_PHOTONS):
        self.info = info
        self.bin_ticks = bin_ticks_for(bin_width_s, info.timestamps_unit_s)
        self.bin_width_s = self.bin_ticks * info.timestamps_unit_s
        # a T3 file whose nanotime unit is unknown (.spc without .set) still gives a trace;
        # what needs the nanotimes (FLID sums, decay matrix) is left out and says so
        self.has_nt = info.is_t3 and info.nanotimes_unit_s is not None
        self.det_sel = np.zeros(256, np.bool_)
        self.det_sel[list(range(256)) if detectors is None else list(detectors)] = True
        self._detectors_given = detectors
        self.shift = np.zeros(256, np.int64)
        if detector_shift_ticks:
            for d, s in dict(detector_shift_ticks).items():
                self.shift[int(d)] = int(s)
        self._shift_given = detector_shift_ticks is not None
        self.t0 = t0_ticks
        self.window = window_ticks
        self.n_levels = int(n_levels)
        self.n_columns = int(n_columns)
        self._calibrate = calibrate
        self._n_cal = int(calibration_photons)
        self._buffer = []
        self._buffered = 0
        self.level_width = None
        self.rebin = 1
        self.period = 0
        self.calibration = None
        self.t0_ns = float("nan")
        cap = self._initial_capacity()
        self.counts = np.zeros((cap, 2), np.int32)
        self.n_win = np.zeros(cap, np.int32)
        self.sum_delay = np.zeros(cap, np.int64)
        self._used = 0  # bins written so far (the rest of the arrays is untouched)
        self.cube = None
        self._pending = None
        self._last_ts = -1
        self._n_photons = 0
        self._per_detector = np.zeros(256, np.int64)
        self._done = False

    # -------------------------------------------------------------------------- set-up
    def _setup(self, chunk: PhotonChunk) -> None:
        """Fix t0, window, detector shifts, rebinning and level width from the first chunk."""
        info = self.info
        if self.has_nt:
            nbins = info.tcspc_num_bins or (int(chunk.nanotimes.max()) + 1 if len(chunk) else 1)
            self.period = int(nbins) if info.tcspc_num_bins else 0
            if self._calibrate and (self.t0 is None or not self._shift_given) and len(chunk):
                self._calibrate_from(chunk)
            if self.t0 is None:
                self.t0 = 0
            if self.window is None:
                margin = int(round(defaults.LIFETIME_WINDOW_MARGIN_NS * 1e-9 / info.nanotimes_unit_s))
                self.window = max(1, nbins - self.t0 - margin)
            span = nbins if self.period else nbins + int(np.abs(self.shift).max()) + 1
            self.rebin = max(1, math.ceil(span / self.n_columns))
            ncol = math.ceil(span / self.rebin) + (0 if self.period else 1)
            sel = self.det_sel[chunk.detectors] if len(chunk) else np.zeros(0, bool)
            span_ticks = max(1, int(chunk.timestamps[-1] - chunk.timestamps[0])) if len(chunk) > 1 else 1
            mean_i = sel.sum() * self.bin_ticks / span_ticks
            self.level_width = max(1, math.ceil(defaults.DECAY_MATRIX_INTENSITY_SPAN * mean_i / self.n_levels))
            self.cube = np.zeros((self.n_levels, ncol), np.int64)
        else:
            self.t0 = 0 if self.t0 is None else self.t0
            self.window = 0 if self.window is None else self.window
            self.level_width = 1
            self.cube = np.zeros((1, 1), np.int64)

    def _calibrate_from(self, chunk: PhotonChunk) -> None:
        """t0 and detector shifts from the calibration of the decay accumulator (the decay of
        the first ``calibration_photons`` photons), the one the lifetime fit uses too."""
        from .lifetime import DecayAccumulator

        dets = [int(d) for d in np.flatnonzero(self.det_sel[: int(chunk.detectors.max()) + 1])]
        acc = DecayAccumulator(self.info, detectors=dets or None, calibration_photons=self._n_cal)
        acc.add(chunk)
        hist = acc.calibration()
        self.calibration = hist
        if not self._shift_given:
            for d, s in enumerate(hist.detector_shifts_bins):
                self.shift[d] = int(s)
        if self.t0 is None and np.isfinite(hist.t0_ns):
            self.t0 = int(round(hist.t0_ns / hist.bin_width_ns))
            self.t0_ns = float(hist.t0_ns)

    def _ensure(self, last_bin: int, max_det: int) -> None:
        nb, nd = self.counts.shape
        if last_bin >= nb or max_det >= nd:
            nd2 = max(nd, max_det + 1)
            self._check_budget(last_bin + 1, nd2)
            nb2 = max(nb, 1)
            while nb2 <= last_bin:
                nb2 = nb2 * 2 if nb2 < (1 << 20) else nb2 + nb2 // 4  # 25 % steps once large
            nb2 = max(min(nb2, defaults.MAX_TRACE_BINS), last_bin + 1)
            # copy only the bins written so far: the rest of both arrays stays untouched
            # zero pages (no resident memory)
            used = min(self._used, nb)
            c = np.zeros((nb2, nd2), np.int32)
            c[:used, :nd] = self.counts[:used]
            self.counts = c
            if nb2 > nb:
                w = np.zeros(nb2, np.int32)
                w[:used] = self.n_win[:used]
                d = np.zeros(nb2, np.int64)
                d[:used] = self.sum_delay[:used]
                self.n_win, self.sum_delay = w, d
        self._used = max(self._used, last_bin + 1)

    def _initial_capacity(self) -> int:
        """Bins to allocate before the first photon: the header's acquisition time (plus 5 %)
        when it states one, so a long file needs no growth (and no copy) of the per-bin arrays.

        Notes
        -----
        ``np.zeros`` maps zeroed pages that take memory only when written, so a capacity
        above what the photons reach costs address space, not resident memory.
        """
        acq = self.info.acquisition_time_s
        if acq and acq > 0:
            n = int(min(acq * defaults.TRACE_CAPACITY_MARGIN / self.bin_width_s + defaults.TRACE_INITIAL_BINS,
                        defaults.MAX_TRACE_BINS))
            return max(n, defaults.TRACE_INITIAL_BINS)
        return defaults.TRACE_INITIAL_BINS

    def _check_budget(self, n_bins: int, n_det: int) -> None:
        """AnalysisError if ``n_bins`` bins of ``n_det`` detectors exceed the memory limits."""
        path = self.info.path
        if n_bins > defaults.MAX_TRACE_BINS:
            span_s = n_bins * self.bin_width_s
            raise AnalysisError(f"{printable(path)}: the photons span {span_s:.6g} s, {n_bins} trace bins of "
                                f"{self.bin_width_s:g} s; at most {defaults.MAX_TRACE_BINS} are held "
                                f"({defaults.MAX_TRACE_BINS * self.bin_width_s / 3600:.3g} h at this bin width): "
                                "use a wider bin, or the timestamps are corrupt")
        need = n_bins * (4 * n_det + 12)
        if need > defaults.MAX_BINNED_BYTES:
            raise AnalysisError(f"{printable(path)}: {n_bins} trace bins x {n_det} detector inputs (highest input "
                                f"{n_det - 1}) need {need / 2**20:.0f} MB of per-bin sums, more than the "
                                f"{defaults.MAX_BINNED_BYTES / 2**20:.0f} MB limit: use a wider bin")

    # ------------------------------------------------------------------------- feeding
    def add(self, chunk: PhotonChunk) -> None:
        """Accumulate one chunk (chunks must come in file order)."""
        if self._done:
            raise RuntimeError("result() was already called")
        last = chunk.last_timestamp
        if last is not None:
            self._last_ts = max(self._last_ts, last)
        self._n_photons += len(chunk)
        if len(chunk):
            self._per_detector += np.bincount(chunk.detectors, minlength=256)[:256]
        if self.level_width is None:
            if len(chunk):
                self._buffer.append(chunk)
                self._buffered += len(chunk)
            if self._buffered >= self._n_cal:
                self._start()
            return
        self._feed(chunk)

    def _start(self) -> None:
        """Set up from the first ``calibration_photons`` photons, then process the buffer."""
        from ..io.events import concatenate_chunks

        held = concatenate_chunks(self._buffer, t3=self.has_nt)
        self._buffer, self._buffered = [], 0
        n = min(self._n_cal, len(held))
        head = PhotonChunk(held.timestamps[:n], held.detectors[:n], held.nanotimes[:n] if self.has_nt else None)
        self._setup(head)
        self._feed(held)

    def _feed(self, chunk: PhotonChunk) -> None:
        if self._pending is not None:
            p = self._pending
            ts = np.concatenate([p[0], chunk.timestamps])
            det = np.concatenate([p[1], chunk.detectors])
            nt = np.concatenate([p[2], chunk.nanotimes]) if self.has_nt else None
        else:
            ts, det, nt = chunk.timestamps, chunk.detectors, chunk.nanotimes
        self._process(ts, det, nt, final=False)

    def _process(self, ts, det, nt, final: bool) -> None:
        if ts.shape[0] == 0:
            self._pending = None
            return
        self._ensure(int(ts[-1] // self.bin_ticks), int(det.max()))
        nt_arr = nt if nt is not None else np.zeros(0, np.uint16)
        if ts.shape[0] > defaults.MAX_PHOTONS_PER_BIN and int(ts[0] // self.bin_ticks) == int(ts[-1] // self.bin_ticks):
            raise AnalysisError(f"{printable(self.info.path)}: more than {defaults.MAX_PHOTONS_PER_BIN} photons fall "
                                f"in one {self.bin_width_s:g} s trace bin (at t = {int(ts[0]) * self.info.timestamps_unit_s:.6g} s); "
                                "no detector counts that fast: the timestamps are corrupt, or use a narrower bin")
        k = accumulate_bins(ts, det, nt_arr, self.has_nt, self.bin_ticks, self.det_sel, self.shift,
                            np.int64(self.period), np.int64(self.t0), np.int64(self.window), np.int64(self.rebin),
                            np.int64(self.level_width), self.counts, self.n_win, self.sum_delay, self.cube, final)
        if k < ts.shape[0]:
            self._pending = (ts[k:].copy(), det[k:].copy(), nt[k:].copy() if nt is not None else None)
        else:
            self._pending = None

    def result(self) -> BinnedData:
        """Flush the last bin and return the per-bin sums (the last partial bin dropped)."""
        n_full = (self._last_ts + 1) // self.bin_ticks if self._last_ts >= 0 else 0
        if not self._done and self.level_width is None and self._buffered:
            self._start()
        if not self._done:
            # the pending photons form the last bin seen; flush it only if it is complete
            # (the last partial bin of the measurement is dropped, science.md §1)
            if self._pending is not None and self._pending[0][0] // self.bin_ticks < n_full:
                self._process(*self._pending, final=True)
            self._pending = None
            if self.level_width is None:  # no photons at all
                self._setup(PhotonChunk(np.empty(0, np.int64), np.empty(0, np.uint8),
                                        np.empty(0, np.uint16) if self.has_nt else None))
            self._done = True
        n_full = int(min(n_full, self.counts.shape[0]))
        used = np.flatnonzero(self.counts[:n_full].any(axis=0)) if n_full else np.empty(0, int)
        n_det = int(used.max()) + 1 if used.size else 1
        if self._detectors_given is None:
            dets = tuple(int(d) for d in used) or (0,)
        else:
            dets = tuple(int(d) for d in self._detectors_given)
        clipped = 0
        if self.has_nt and n_full:
            inten = self.counts[:n_full][:, [d for d in dets if d < self.counts.shape[1]]].sum(axis=1)
            clipped = int(np.count_nonzero(inten // self.level_width >= self.n_levels - 1))
        # the accumulator is finished: hand out views (no second copy of the per-bin arrays)
        counts = self.counts[:n_full, :n_det]
        return BinnedData(
            counts=counts if n_det == self.counts.shape[1] else counts.copy(), n_window=self.n_win[:n_full],
            sum_delay_ticks=self.sum_delay[:n_full], decay_matrix=self.cube if self.has_nt else None,
            level_width_counts=int(self.level_width), decay_rebin=int(self.rebin), period_ticks=int(self.period),
            bin_width_s=self.bin_width_s,
            bin_ticks=self.bin_ticks, timestamps_unit_s=self.info.timestamps_unit_s,
            nanotimes_unit_s=self.info.nanotimes_unit_s, t0_ticks=int(self.t0), window_ticks=int(self.window),
            detector_shift_ticks=self.shift.copy(), detectors=dets, n_photons=int(self._n_photons),
            duration_s=(self._last_ts + 1) * self.info.timestamps_unit_s if self._last_ts >= 0 else 0.0,
            clipped_bins=clipped, photons_per_detector=self._per_detector.copy(), t0_ns=self.t0_ns,
        )
