"""Intensity (blinking) traces: photon counts per bin, per detector and summed (science.md §1)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import defaults
from ..results import Result
from ..io.source import stream_of
from .binned import BinnedAccumulator, BinnedData

__all__ = ["IntensityTrace", "TraceStatistics", "intensity_trace", "trace_from_binned", "trace_statistics"]


@dataclass(frozen=True, repr=False)
class IntensityTrace(Result):
    """Counts per time bin.

    Attributes
    ----------
    counts : (n_bins, n_detectors) int
        Photons per bin and detector (detector = column index).
    bin_width_s : float
        The bin width actually used (a whole number of timestamp ticks).
    detectors : tuple of int
        Detectors summed in :attr:`total`.
    measurement_s : float or None
        Time up to the last event of the file; the bins cover ``duration_s`` of it (the last
        partial bin is dropped).
    """

    counts: np.ndarray
    bin_width_s: float
    detectors: tuple
    measurement_s: float | None = None

    @property
    def total(self) -> np.ndarray:
        """Counts per bin summed over :attr:`detectors` (int64)."""
        cols = [d for d in self.detectors if d < self.counts.shape[1]]
        return self.counts[:, cols].sum(axis=1, dtype=np.int64)

    @property
    def times_s(self) -> np.ndarray:
        """Start time of each bin (s)."""
        return np.arange(self.counts.shape[0]) * self.bin_width_s

    @property
    def rate_cps(self) -> np.ndarray:
        """Summed count rate per bin (counts per second)."""
        return self.total / self.bin_width_s

    @property
    def duration_s(self) -> float:
        return self.counts.shape[0] * self.bin_width_s


def trace_from_binned(binned: BinnedData) -> IntensityTrace:
    """The intensity trace held by a one-pass :class:`BinnedData`."""
    return IntensityTrace(counts=binned.counts, bin_width_s=binned.bin_width_s, detectors=binned.detectors,
                          measurement_s=binned.duration_s)


def intensity_trace(source, *, bin_width_s: float = defaults.BIN_WIDTH_S, detectors=None, **options) -> IntensityTrace:
    """Photon counts per bin of ``bin_width_s`` (default 10 ms), streamed.

    Parameters
    ----------
    source : path, TTTRStream or photons from ``tttr.read``
    bin_width_s : float
        Requested bin width; the width used is the nearest whole number of timestamp ticks.
    detectors : sequence of int, optional
        Detectors summed in ``.total`` (default: every detector with photons).

    Notes
    -----
    Bins start at timestamp 0 (the start of the measurement). The last partial bin is
    dropped (science.md §1), so every bin has the same exposure.
    """
    info, chunks = stream_of(source, **options)
    acc = BinnedAccumulator(info, bin_width_s=bin_width_s, detectors=detectors, calibrate=False)
    for c in chunks:
        acc.add(c)
    return trace_from_binned(acc.result())


@dataclass(frozen=True, repr=False)
class TraceStatistics(Result):
    """An intensity trace with its Mandel Q and Q(T) (see :func:`trace_statistics`)."""

    trace: IntensityTrace
    mandel_q: object
    mandel_q_curve: list

    def summary(self) -> dict:
        """The JSON of ``tttr trace``: bins, detectors, Q ± error (with its method and any reason), Q(T)."""
        tr, q = self.trace, self.mandel_q
        return {"bin_width_s": tr.bin_width_s, "n_bins": int(tr.counts.shape[0]), "detectors": list(tr.detectors),
                "mean_counts": q.mean_counts, "mandel_q": q.q, "mandel_q_err": q.q_err,
                "mandel_q_err_method": q.q_err_method, "mandel_q_err_reason": q.q_err_reason,
                "mandel_q_curve": [m.summary() for m in self.mandel_q_curve]}


def trace_statistics(source, *, bin_width_s: float = defaults.BIN_WIDTH_S, detectors=None,
                     **options) -> TraceStatistics:
    """The intensity trace of ``source`` with Mandel Q at its bin and Q(T) at coarser bins.

    Notes
    -----
    One streaming pass (:func:`intensity_trace`); Q and its error as in the report of
    :func:`tttr.pipeline.analyze` (:func:`tttr.analysis.photon_stats.mandel_q` with the bin
    width, so a blinking trace gets the error of its trajectory).
    """
    from .photon_stats import mandel_q, mandel_q_curve

    tr = intensity_trace(source, bin_width_s=bin_width_s, detectors=detectors, **options)
    return TraceStatistics(trace=tr, mandel_q=mandel_q(tr.total, bin_width_s=tr.bin_width_s),
                           mandel_q_curve=mandel_q_curve(tr.total, bin_width_s=tr.bin_width_s))
