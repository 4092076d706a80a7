"""Time that goes backwards: detection and the user's choice of repair.

Every reader's chunks pass through :class:`TimeOrderGuard` (see
:meth:`tttr.io.base.TTTRStream.chunks`). One numba pass per event stream (photons,
markers, T2 sync events) compares each timestamp with the largest seen so far in the file;
a smaller one is a *backward step*. Corrupt records make them: an overflow record read as a
photon, a damaged sync-count field, records of another file type. Left alone they move
every binned or correlated quantity without a word, so the reader reacts as the user chose
with ``on_time_error``:

``"raise"`` (default)
    :class:`~tttr.errors.TimeOrderError` naming the file, the event stream, the event's
    index in the file and both timestamps.
``"drop"``
    Events earlier than the latest time already seen are removed; a
    :class:`~tttr.errors.TimeOrderWarning` at the end of the pass counts them.
``"sort"``
    Each chunk is sorted by time (stable, so equal times keep their order); events still
    earlier than the end of the previous chunk cannot be moved into a chunk already
    delivered, so they are dropped; the warning counts both.
"""

from __future__ import annotations

import warnings

import numpy as np
from numba import njit

from .. import defaults
from ..errors import FormatError, TimeOrderError, TimeOrderWarning
from .events import PhotonChunk

__all__ = ["ON_TIME_ERROR", "check_on_time_error", "TimeOrderGuard", "backward_steps", "monotonic_mask"]

#: Accepted values of the ``on_time_error`` reader option.
ON_TIME_ERROR = ("raise", "drop", "sort")

_NONE = np.iinfo(np.int64).min


def check_on_time_error(value) -> str:
    """``value`` if it is one of :data:`ON_TIME_ERROR`, else a ValueError."""
    if value not in ON_TIME_ERROR:
        raise ValueError(f"on_time_error must be one of {', '.join(ON_TIME_ERROR)}, not {value!r}")
    return value


@njit(cache=True, nogil=True)
def _sorted_from(ts, last):
    """True when ``ts`` never decreases and starts at or after ``last`` (vectorisable test)."""
    n = ts.shape[0]
    if n == 0:
        return True
    dec = ts[0] < last
    for i in range(1, n):
        dec |= ts[i] < ts[i - 1]
    return not dec


@njit(cache=True, nogil=True)
def backward_steps(ts, last):
    """Events of ``ts`` earlier than the running maximum (which starts at ``last``).

    Returns ``(n_backward, first_index, running_max_at_end)``; ``first_index`` is -1 when
    the times never go backwards. The common case (sorted) is one vectorised pass without
    a loop-carried dependency; only unsorted input takes the running-maximum loop.
    """
    n = ts.shape[0]
    if _sorted_from(ts, last):
        return 0, -1, ts[n - 1] if n else last
    n_bad = 0
    first = -1
    m = last
    for i in range(n):
        t = ts[i]
        if t < m:
            if first < 0:
                first = i
            n_bad += 1
        else:
            m = t
    return n_bad, first, m


@njit(cache=True, nogil=True)
def monotonic_mask(ts, last):
    """Boolean mask of the events of ``ts`` not earlier than the running maximum from ``last``."""
    keep = np.empty(ts.shape[0], np.bool_)
    m = last
    for i in range(ts.shape[0]):
        t = ts[i]
        if t < m:
            keep[i] = False
        else:
            keep[i] = True
            m = t
    return keep


_STREAMS = (("photon", "timestamps"), ("marker", "marker_timestamps"), ("sync event", "sync_timestamps"))


class TimeOrderGuard:
    """Checks (and, on request, repairs) the time order of the chunks of one pass.

    Parameters
    ----------
    path : str
        The file, for messages.
    mode : str
        One of :data:`ON_TIME_ERROR`.

    Notes
    -----
    The state is three running maxima and three event counters, so the check costs one
    comparison per event and no memory beyond the chunk. ``dropped`` and ``sorted`` count the
    events removed and the chunks reordered; :meth:`finish` issues the warning.
    """

    def __init__(self, path, mode: str = "raise", unit_s: float | None = None, locate=None):
        self.path = str(path)
        self.mode = check_on_time_error(mode)
        self.unit_s = unit_s
        self.locate = locate  # (stream k, index in chunk) -> " (record R, byte B)" or ""
        self.last = [_NONE, _NONE, _NONE]
        self.seen = [0, 0, 0]
        self.dropped = [0, 0, 0]
        self.reordered = 0
        self.first = None  # (stream name, index, time, previous max) of the first backward step

    def __call__(self, chunk: PhotonChunk) -> PhotonChunk:
        repl = {}
        for k, (name, attr) in enumerate(_STREAMS):
            ts = getattr(chunk, attr)
            if ts.shape[0] == 0:
                continue
            ts = np.ascontiguousarray(ts, np.int64)
            prev = self.last[k]
            n_bad, first, m = backward_steps(ts, np.int64(prev))
            if n_bad:
                if self.first is None:
                    j = int(first)
                    before = int(prev) if j == 0 else int(max(prev, ts[:j].max()))
                    self.first = (name, self.seen[k] + j, int(ts[j]), before)
                if self.mode == "raise":
                    nm, idx, t, before = self.first
                    where = self.locate(k, int(first)) if self.locate is not None else ""
                    raise TimeOrderError(
                        self.path,
                        f"time goes backwards at {nm} {idx} (0-based) of the file{where}: timestamp {t} after {before} "
                        f"ticks ({n_bad} such {nm}s in this block); the records are corrupt "
                        f"(choose on_time_error='drop' or 'sort' to repair)")
                fixed = self._repair(chunk, k, ts, prev)
                repl.update(fixed)
                kept = fixed[attr]
                m = max(prev, int(kept[-1])) if kept.shape[0] else prev
            if self.unit_s is not None and m * self.unit_s > defaults.MAX_DURATION_S:
                j = int(np.argmax(ts * self.unit_s > defaults.MAX_DURATION_S))
                raise FormatError(self.path, f"{name} {self.seen[k] + j} (0-based) is at {int(ts[j]) * self.unit_s:.4g} s "
                                             f"(timestamp {int(ts[j])} x {self.unit_s:g} s), later than any "
                                             f"measurement lasts ({defaults.MAX_DURATION_S:g} s): the header's time "
                                             "unit or the records are corrupt")
            self.seen[k] += int(ts.shape[0])
            self.last[k] = int(m)
        out = repl_chunk(chunk, repl) if repl else chunk
        self._check_rate(out.timestamps)
        return out

    def _check_rate(self, ts: np.ndarray) -> None:
        """FormatError if the photons of a chunk arrive faster than any detector set can count.

        Checked on chunks of at least 1024 photons over the time they span (plus one tick):
        every photon at one time, the signature of corrupt records, fails for any unit.
        """
        n = ts.shape[0]
        if self.unit_s is None or n < 1024:
            return
        span_s = (int(ts[-1]) - int(ts[0]) + 1) * self.unit_s
        rate = n / span_s
        if rate > defaults.MAX_COUNT_RATE_CPS:
            raise FormatError(self.path, f"{n} photons within {span_s:.3g} s (from timestamp {int(ts[0])}): "
                                         f"{rate:.3g} counts/s, more than any detector set records "
                                         f"({defaults.MAX_COUNT_RATE_CPS:g}); the timestamps are corrupt")

    def _repair(self, chunk: PhotonChunk, k: int, ts: np.ndarray, prev: int) -> dict:
        """Replacement arrays for event stream ``k`` of ``chunk``."""
        names = {0: ("timestamps", "detectors", "nanotimes"), 1: ("marker_timestamps", "markers"),
                 2: ("sync_timestamps",)}[k]
        arrays = {a: getattr(chunk, a) for a in names if getattr(chunk, a) is not None}
        if self.mode == "sort":
            order = np.argsort(ts, kind="stable")
            arrays = {a: v[order] for a, v in arrays.items()}
            ts = arrays[names[0]]
            self.reordered += 1
        keep = monotonic_mask(np.ascontiguousarray(ts, np.int64), np.int64(prev))
        n_drop = int(keep.shape[0] - np.count_nonzero(keep))
        if n_drop:
            arrays = {a: v[keep] for a, v in arrays.items()}
            self.dropped[k] += n_drop
        return arrays

    def finish(self) -> None:
        """Warn once about what was repaired in this pass (nothing if the times were in order)."""
        if self.first is None or self.mode == "raise":
            return
        nm, idx, t, before = self.first
        parts = [f"{n} {name}s" for (name, _a), n in zip(_STREAMS, self.dropped) if n]
        what = ", ".join(parts) if parts else "no events"
        how = f"sorted {self.reordered} chunk(s) by time and dropped {what}" if self.mode == "sort" \
            else f"dropped {what}"
        warnings.warn(f"{self.path}: time goes backwards (first at {nm} {idx}: {t} after {before} ticks); "
                      f"{how} that came before the latest time already read (on_time_error={self.mode!r})",
                      TimeOrderWarning, stacklevel=3)


def repl_chunk(chunk: PhotonChunk, repl: dict) -> PhotonChunk:
    """``chunk`` with the arrays named in ``repl`` replaced."""
    if not repl:
        return chunk
    fields = {a: getattr(chunk, a) for a in ("timestamps", "detectors", "nanotimes", "marker_timestamps",
                                             "markers", "sync_timestamps")}
    fields.update(repl)
    return PhotonChunk(**fields)
