"""Change points of a photon stream larger than memory, window by window, without seams.

:class:`ChangePointFinder` takes photon timestamps in file order and returns the change
points (Watkins & Yang's likelihood-ratio test with binary segmentation,
:mod:`tttr.kernels.changepoint`) as soon as they are final. Memory is bounded by the window.
"""

from __future__ import annotations

from array import array

import numpy as np

from .. import defaults
from ..kernels.changepoint import CRITICAL_N, change_points_of, critical_column

__all__ = ["ChangePointFinder", "change_points"]


class ChangePointFinder:
    """Final change points of a timestamp stream, fed in pieces of any size.

    Parameters
    ----------
    confidence : float
        1 − type-I error of each test (0.69 … 0.99; see
        :func:`tttr.kernels.changepoint.critical_value`).
    window_photons : int
        Photons segmented at once (default ``CHANGEPOINT_WINDOW_PHOTONS``).
    margin_photons : int, optional
        A change point is final when at least this many photons of the window follow it
        (default a quarter of the window).
    min_intervals : int
        Segments of fewer inter-photon intervals are not tested (default
        ``CHANGEPOINT_MIN_INTERVALS``).
    stride : int
        Block of the branch-and-bound likelihood-ratio scan (default ``CHANGEPOINT_SCAN_STRIDE``;
        1: every photon; same result; see :func:`tttr.kernels.changepoint.llr_scan`).
    scale : int
        Photons of the short-scale search for excursions that a test over a long stretch
        misses (default ``CHANGEPOINT_SCALE_PHOTONS``; 0: none; see
        :func:`tttr.kernels.changepoint.change_points_of`).

    Attributes
    ----------
    boundaries : array.array of int64
        Global photon indices of the final change points so far (sorted).
    boundary_ticks : array.array of int64
        Their timestamps.
    settled : int
        Every photon with index ≤ ``settled`` has its level known (-1 before any).

    Notes
    -----
    **Windows without seams.** Photons are segmented in windows of exactly
    ``window_photons`` photons, counted from the last final change point, so the result does
    not depend on how the stream is cut into chunks. The change points found in the first
    ``window - margin`` photons of a window are final; the next window starts at the last of
    them, so every later change point is searched with the whole open level before it (no
    boundary is ever forced at a window edge). A window with no final change point settles
    its first ``window - margin`` photons into the open level, which then continues as a
    *head* of two numbers (intervals, duration): the test at the head's end is exact, no
    change point is placed inside it (it was already tested with at least ``window - margin``
    photons and none was found), and memory stays bounded however long the level is.

    Binary segmentation tests each segment against the critical value for its own length
    (Watkins & Yang); a change point is the photon at which the rate changes (the boundary
    is that photon's timestamp).
    """

    def __init__(self, *, confidence: float = defaults.LEVELS_CONFIDENCE,
                 window_photons: int = defaults.CHANGEPOINT_WINDOW_PHOTONS, margin_photons: int | None = None,
                 min_intervals: int = defaults.CHANGEPOINT_MIN_INTERVALS,
                 stride: int = defaults.CHANGEPOINT_SCAN_STRIDE, scale: int = defaults.CHANGEPOINT_SCALE_PHOTONS):
        self.confidence = float(confidence)
        self._column = critical_column(confidence)
        self.window = int(window_photons)
        if self.window < 16:
            raise ValueError(f"window_photons must be at least 16, got {window_photons}")
        self.margin = int(margin_photons) if margin_photons is not None else self.window // 4
        if not 1 <= self.margin < self.window:
            raise ValueError(f"margin_photons must lie in [1, window_photons), got {self.margin}")
        self.min_intervals = max(2, int(min_intervals))
        self.stride = max(1, int(stride))
        self.scale = max(0, int(scale))
        self._pieces: list[np.ndarray] = []
        self._n_pending = 0
        self._base = 0          # global index of the first pending photon
        self._head_n = 0
        self._head_ticks = 0
        self.n_photons = 0
        self.first_tick = None
        self.last_tick = None
        self.boundaries = array("q")       # typed: 8 bytes a change point
        self.boundary_ticks = array("q")
        self.settled = -1
        self._done = False

    # ---------------------------------------------------------------------------- feed
    def push(self, timestamps) -> None:
        """Add photons (int64 ticks, file order)."""
        if self._done:
            raise RuntimeError("finish() was already called")
        ts = np.ascontiguousarray(timestamps, np.int64)
        if ts.size == 0:
            return
        if self.first_tick is None:
            self.first_tick = int(ts[0])
        self.last_tick = int(ts[-1])
        self.n_photons += int(ts.size)
        self._pieces.append(ts)
        self._n_pending += int(ts.size)
        while self._n_pending >= self.window:
            self._window()

    def finish(self) -> None:
        """Segment what is left; every change point is then final."""
        if self._done:
            return
        self._done = True
        ts = self._pending()
        if ts.size >= 2:
            cps = self._segment(ts)
            for j in cps:
                self._final(int(j), ts)
        self.settled = self.n_photons - 1
        self._pieces, self._n_pending = [], 0

    # -------------------------------------------------------------------------- inside
    def _pending(self) -> np.ndarray:
        if len(self._pieces) > 1:
            self._pieces = [np.concatenate(self._pieces)]
        return self._pieces[0] if self._pieces else np.empty(0, np.int64)

    def _segment(self, ts: np.ndarray) -> np.ndarray:
        """Change points of ``ts`` (with the open level's head): the fixed point of segmentation and refinement."""
        return change_points_of(ts, 0, ts.size - 1, self._head_n, self._head_ticks, CRITICAL_N, self._column,
                                self.min_intervals, self.stride, defaults.CHANGEPOINT_REFINE_ROUNDS, self.scale)

    def _final(self, j: int, ts: np.ndarray) -> None:
        self.boundaries.append(self._base + j)
        self.boundary_ticks.append(int(ts[j]))

    def _window(self) -> None:
        ts = self._pending()
        w = ts[: self.window]
        cps = self._segment(w)
        limit = self.window - self.margin
        final = cps[cps < limit]
        if final.size > 1:  # the last one is tested again with its final right neighbour
            final = final[:-1]
        if final.size:
            for j in final:
                self._final(int(j), w)
            cut = int(final[-1])
            self._head_n, self._head_ticks = 0, 0
        else:
            cut = limit
            self._head_n += cut
            self._head_ticks += int(w[cut] - w[0])
        self._pieces = [ts[cut:]]
        self._n_pending = int(ts.size - cut)
        self._base += cut
        self.settled = self._base


def change_points(timestamps, *, confidence: float = defaults.LEVELS_CONFIDENCE,
                  window_photons: int | None = None, **kwargs) -> np.ndarray:
    """Photon indices of the change points of ``timestamps`` (in memory).

    Parameters
    ----------
    timestamps : (n,) int64
        Photon times (ticks), non-decreasing.
    confidence : float
        1 − type-I error of each test.
    window_photons : int, optional
        Segment the photons in windows of this many (see :class:`ChangePointFinder`); default:
        all at once.

    Returns
    -------
    (m,) int64
        Sorted photon indices; the rate changes at each one's timestamp.
    """
    ts = np.ascontiguousarray(timestamps, np.int64)
    f = ChangePointFinder(confidence=confidence, window_photons=window_photons or max(16, ts.size + 1), **kwargs)
    f.push(ts)
    f.finish()
    return np.asarray(f.boundaries, np.int64)
