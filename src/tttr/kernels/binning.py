"""Per-bin accumulation of a photon stream: the intensity trace, FLID sums and the
intensity-resolved decay matrix, all in one pass.

Photons are grouped by trace bin ``b = timestamp // bin_ticks``. A bin is *flushed* when the
first photon of a later bin arrives (the stream is time-ordered), so everything that needs
the bin's total intensity (the FLID sums, the row of the decay matrix) is known at that
moment. The caller keeps the photons of the last, unflushed bin of a chunk and passes them
again in front of the next chunk; with ``final=True`` the last bin is flushed too.

Arrays updated in place (the caller sizes them):

* ``counts[b, d]``: photons of detector ``d`` in bin ``b`` (every detector);
* ``n_win[b]``, ``sum_delay[b]``: selected-detector photons whose aligned delay after t0,
  ``delay = nanotime + shift[d] - t0``, lies in ``[0, window)``, and the sum of those delays
  (nanotime ticks) — the sufficient statistics of the per-bin mean-delay lifetime;
* ``cube[level, j]``: decay histogram of the selected-detector photons (aligned nanotime
  ``// rebin`` = column ``j``; the aligned nanotime is wrapped into ``[0, period)`` when
  ``period > 0``, as a detector shift moves photons across the period's ends) of all bins whose selected-detector count ``I`` falls in
  intensity level ``min(I // level_width, n_levels - 1)``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["accumulate_bins"]


@njit(cache=True, nogil=True)
def _flush(b, lo, hi, det, nt, has_nt, det_sel, shift, period, t0, window, rebin, level_width,
           counts, n_win, sum_delay, cube):
    n_sel = 0
    for i in range(lo, hi):
        d = det[i]
        counts[b, d] += 1
        if det_sel[d]:
            n_sel += 1
    if not has_nt or n_sel == 0:
        return
    level = n_sel // level_width
    if level >= cube.shape[0]:
        level = cube.shape[0] - 1
    ncol = cube.shape[1]
    nw = 0
    sd = 0
    for i in range(lo, hi):
        d = det[i]
        if not det_sel[d]:
            continue
        a = np.int64(nt[i]) + shift[d]
        if period > 0:
            a = a % period
        col = a // rebin
        if col < 0:
            col = 0
        elif col >= ncol:
            col = ncol - 1
        cube[level, col] += 1
        delay = a - t0
        if delay >= 0 and delay < window:
            nw += 1
            sd += delay
    n_win[b] += nw
    sum_delay[b] += sd


@njit(cache=True, nogil=True)
def accumulate_bins(ts, det, nt, has_nt, bin_ticks, det_sel, shift, period, t0, window, rebin, level_width,
                    counts, n_win, sum_delay, cube, final):
    """Flush every complete bin of a time-ordered chunk; return the index of the first
    photon of the unflushed last bin (``len(ts)`` when ``final`` or empty)."""
    n = ts.shape[0]
    if n == 0:
        return 0
    lo = 0
    cur = ts[0] // bin_ticks
    for i in range(1, n):
        b = ts[i] // bin_ticks
        if b != cur:
            _flush(cur, lo, i, det, nt, has_nt, det_sel, shift, period, t0, window, rebin, level_width,
                   counts, n_win, sum_delay, cube)
            lo = i
            cur = b
    if final:
        _flush(cur, lo, n, det, nt, has_nt, det_sel, shift, period, t0, window, rebin, level_width,
               counts, n_win, sum_delay, cube)
        return n
    return lo
