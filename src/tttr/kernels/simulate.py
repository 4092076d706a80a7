"""numba kernels of the photon-stream simulator (:mod:`tttr.simulate`).

Every kernel is sequential logic over random numbers drawn *before* the call (numpy
``Generator`` streams owned by the caller), so that a plain-Python twin fed the same
arrays gives exactly the same result (``tests/simulate/test_simulate.py``). Kernels allocate
nothing per element, keep their position in small state arrays the caller carries from
one time block to the next, and stop early (returning how far they got) when an input or
output array runs out, so the caller can refill and call again.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = [
    "event_pulses",
    "cw_detection_times",
    "dead_time_keep",
    "accumulate_bins",
]


@njit(cache=True)
def event_pulses(seg_end_pulse, seg_p, uniforms, stop_pulse, state, out_pulse, out_seg):
    """Indices of the laser pulses that yield at least one detected photon.

    Each pulse ``j`` of emitter segment ``k`` (pulses ``[seg_end_pulse[k-1], seg_end_pulse[k])``)
    is an *event* independently with probability ``seg_p[k]``. The gaps between events are
    drawn geometrically, ``gap = floor(ln u / ln(1 - p))`` (failures before the next
    success), one uniform per gap. A gap that crosses the end of its segment is discarded
    and a new one is drawn from the segment end with the next segment's probability, which
    is exact because the geometric law is memoryless.

    Parameters
    ----------
    seg_end_pulse : (m,) int64
        Exclusive end pulse of each segment, increasing.
    seg_p : (m,) float64
        Per-pulse event probability of each segment (0 skips the segment without a draw).
    uniforms : (u,) float64
        Uniform draws in ``[0, 1)``, consumed in order.
    stop_pulse : int
        Events at pulses ``>= stop_pulse`` are not returned; a gap drawn beyond it is kept
        pending in ``state``, so a run split into blocks equals an unsplit run.
    state : (3,) int64, in/out
        ``(k, j, pending)``: current segment, next pulse to consider, and the event pulse
        already drawn but not yet returned (``-1``: none).
    out_pulse, out_seg : (c,) int64, out
        Event pulse indices and their segment indices.

    Returns
    -------
    n_out : int
        Events written (stops early when ``out_pulse`` is full).
    n_used : int
        Uniforms consumed (stops early when ``uniforms`` run out).
    """
    k = state[0]
    j = state[1]
    pending = state[2]
    nseg = seg_end_pulse.shape[0]
    nu = uniforms.shape[0]
    cap = out_pulse.shape[0]
    n = 0
    used = 0
    while True:
        if pending < 0:
            if j >= stop_pulse or k >= nseg:
                break
            end = seg_end_pulse[k]
            if end <= j:
                k += 1
                continue
            p = seg_p[k]
            if p <= 0.0:
                j = end
                k += 1
                continue
            if used >= nu:
                break
            u = 1.0 - uniforms[used]
            used += 1
            if p >= 1.0:
                gap = 0.0
            else:
                gap = math.floor(math.log(u) / math.log1p(-p))
            if gap >= end - j:
                j = end
                k += 1
                continue
            pending = j + np.int64(gap)
        if pending >= stop_pulse or n >= cap:
            break
        out_pulse[n] = pending
        out_seg[n] = k
        n += 1
        j = pending + 1
        pending = -1
    state[0] = k
    state[1] = j
    state[2] = pending
    return n, used


@njit(cache=True)
def cw_detection_times(seg_end_s, seg_r1, seg_r2, exponentials, stop_s, state_k, state_t, out_t, out_seg):
    """Detection times of a continuously excited emitter, a renewal process per segment.

    In a segment with rates ``r1, r2`` the time from one detected photon to the next is
    ``E1 / r1 + E2 / r2`` with ``E1, E2`` standard exponentials (two per candidate). A
    candidate that falls beyond the segment end is discarded and the process restarts at
    the segment end with the next segment's rates.

    Parameters
    ----------
    seg_end_s : (m,) float64
        Exclusive end time of each segment (s), increasing.
    seg_r1, seg_r2 : (m,) float64
        The two rates (1/s) of each segment; ``seg_r2 <= 0`` marks a dark segment.
    exponentials : (u,) float64
        Standard exponential draws, consumed two at a time.
    stop_s : float
        Photons at times ``>= stop_s`` are kept pending in ``state_t`` and not returned.
    state_k : (1,) int64, in/out
        Current segment.
    state_t : (2,) float64, in/out
        ``(t, pending)``: time the current interval started, and the drawn but not yet
        returned detection time (``-1.0``: none).
    out_t : (c,) float64, out
    out_seg : (c,) int64, out

    Returns
    -------
    n_out, n_used : int
        Photons written and exponentials consumed.
    """
    k = state_k[0]
    t = state_t[0]
    pending = state_t[1]
    nseg = seg_end_s.shape[0]
    nu = exponentials.shape[0]
    cap = out_t.shape[0]
    n = 0
    used = 0
    while True:
        if pending < 0.0:
            if t >= stop_s or k >= nseg:
                break
            end = seg_end_s[k]
            if end <= t:
                k += 1
                continue
            if seg_r2[k] <= 0.0:
                t = end
                k += 1
                continue
            if used + 2 > nu:
                break
            cand = t + exponentials[used] / seg_r1[k] + exponentials[used + 1] / seg_r2[k]
            used += 2
            if cand >= end:
                t = end
                k += 1
                continue
            pending = cand
        if pending >= stop_s or n >= cap:
            break
        out_t[n] = pending
        out_seg[n] = k
        n += 1
        t = pending
        pending = -1.0
    state_k[0] = k
    state_t[0] = t
    state_t[1] = pending
    return n, used


@njit(cache=True)
def dead_time_keep(coarse, fine, detectors, coarse_unit_s, fine_unit_s, dead_time_s, last_coarse, last_fine,
                   has_last, keep):
    """Non-paralysable dead time per detector on time-ordered photons.

    A photon is recorded unless it comes less than ``dead_time_s[d]`` after the last
    *recorded* photon of its detector ``d``. Times are ``coarse * coarse_unit_s +
    fine * fine_unit_s`` (T3: sync count and nanotime; T2: timestamp and zero); only
    differences are formed, so large coarse counts lose no precision.

    Parameters
    ----------
    coarse, fine : (n,) int64
        Photon times, non-decreasing in ``(coarse, fine)`` order.
    detectors : (n,) uint8
    coarse_unit_s, fine_unit_s : float
    dead_time_s : (d,) float64
    last_coarse, last_fine : (d,) int64, in/out
        Time of the last recorded photon of each detector (carried across blocks).
    has_last : (d,) uint8, in/out
        Whether a detector has recorded a photon yet.
    keep : (n,) bool, out

    Returns
    -------
    int
        Number of photons kept.
    """
    kept = 0
    for i in range(coarse.shape[0]):
        d = detectors[i]
        if has_last[d]:
            dt = (coarse[i] - last_coarse[d]) * coarse_unit_s + (fine[i] - last_fine[d]) * fine_unit_s
            if dt < dead_time_s[d]:
                keep[i] = False
                continue
        keep[i] = True
        kept += 1
        last_coarse[d] = coarse[i]
        last_fine[d] = fine[i]
        has_last[d] = 1
    return kept


@njit(cache=True)
def accumulate_bins(seg_start, seg_end, seg_state, lo, hi, bin_edges, weights, out, totals):
    """Add state-weighted occupancy of segments to bins.

    For every segment clipped to ``[lo, hi)`` and every bin ``b = [bin_edges[b],
    bin_edges[b+1])`` it overlaps by a length ``x``: ``out[b, :] += x * weights[state, :]``.
    Lengths are in the unit of the inputs (pulses or seconds).

    Parameters
    ----------
    seg_start, seg_end : (m,) float64
        Segment bounds, in time order.
    seg_state : (m,) int64
    lo, hi : float
        Clip range (the current time block).
    bin_edges : (nb + 1,) float64, increasing
    weights : (n_states, q) float64
    out : (nb, q) float64, in/out
    totals : (n_states,) float64, in/out
        Clipped length of each state, whether or not it falls in a bin.
    """
    nb = bin_edges.shape[0] - 1
    q = weights.shape[1]
    for i in range(seg_start.shape[0]):
        a = max(seg_start[i], lo)
        e = min(seg_end[i], hi)
        if e <= a:
            continue
        s = seg_state[i]
        totals[s] += e - a
        b = np.searchsorted(bin_edges, a, side="right") - 1
        if b < 0:
            b = 0
        while b < nb and bin_edges[b] < e:
            x0 = max(a, bin_edges[b])
            x1 = min(e, bin_edges[b + 1])
            if x1 > x0:
                for c in range(q):
                    out[b, c] += (x1 - x0) * weights[s, c]
            b += 1
