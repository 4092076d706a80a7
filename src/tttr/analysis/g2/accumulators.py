"""Streaming pair counters: linear lag bins around zero and log-spaced long lags."""

from __future__ import annotations

import math

import numpy as np

from ... import defaults
from ...io.events import PhotonChunk, StreamInfo
from ...kernels import correlate as _k
from .pairs import _check_detectors, _expected_pairs, _Gate, _normalised, _offsets, _PairStream, _resolve_mode
from .results import G2Curve
from .timebase import fine_time_base

__all__ = ["G2Accumulator", "LongLagAccumulator"]

#: Intensity classes of the nanotime histograms (floor(2·log2(n + 1)) of a trace bin's count; tttr.defaults).
_N_CLASSES = defaults.G2_INTENSITY_CLASSES


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
