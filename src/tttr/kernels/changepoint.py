"""Change points of a Poisson photon stream: the likelihood-ratio scan and binary segmentation.

The test is the generalised likelihood-ratio test of Watkins & Yang (J. Phys. Chem. B 109,
617, 2005) on inter-photon times. A segment holds ``N`` inter-photon intervals of total
duration ``T``; a rate change after the ``k``-th interval, at the fraction ``V_k = T_k / T``
of the segment's duration, has the log-likelihood ratio (two rates against one)

    ln L_k = k ln(k / V_k) + (N - k) ln((N - k) / (1 - V_k)) - N ln N,

and the statistic is ``Z = max_k 2 ln L_k``. Under a constant rate the ``V_k`` are the order
statistics of ``N - 1`` uniform points, so the distribution of ``Z`` depends on ``N`` alone:
its critical values are in :data:`CRITICAL_VALUES` (computed by simulation, see there).

A segment may begin with a *head*: ``head_n`` intervals of total duration ``head_ticks``
that precede its first timestamp and are known to hold no change point (the part of a long
level already tested in earlier windows, kept as its two sufficient statistics). The head
adds one candidate position (its end) and enters ``N`` and ``T``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["llr_scan", "llr_profile", "segment", "critical_value", "critical_column", "simulated_max_llr", "level_decays", "refine", "change_points_of",
           "CRITICAL_N", "CRITICAL_CONFIDENCE", "CRITICAL_VALUES"]

# ----------------------------------------------------------------------- critical values
#: Segment sizes (inter-photon intervals ``N``) of the table: 2 to 65 536, ×√2 steps.
CRITICAL_N = np.array([2, 3, 4, 6, 8, 11, 16, 23, 32, 45, 64, 91, 128, 181, 256, 362, 512, 724, 1024, 1448,
                       2048, 2896, 4096, 5793, 8192, 11585, 16384, 23170, 32768, 46341, 65536], np.float64)

#: Confidence levels (1 - type-I error) of the table's columns.
CRITICAL_CONFIDENCE = np.array([0.69, 0.90, 0.95, 0.99])

#: Critical values of ``Z = max_k 2 ln L_k`` for a segment of ``N`` intervals of one constant
#: rate: row ``i`` is ``CRITICAL_N[i]``, column ``j`` the ``CRITICAL_CONFIDENCE[j]`` quantile.
#: Computed by ``benchmarks/changepoint_critical_values.py`` (:func:`simulated_max_llr`:
#: 20 000 constant-rate segments per ``N`` up to 4096, 5000 above; seed 2005), then made
#: non-decreasing in ``N``. The binomial standard error of a quantile at these draws is
#: ≲ 0.1 (at 0.99 and 5000 draws ≲ 0.25). 64 s on one core.
CRITICAL_VALUES = np.array([
    [1.305, 3.313, 4.652, 7.909],  # N = 2
    [2.073, 4.324, 5.808, 9.256],  # N = 3
    [2.533, 4.902, 6.350, 9.368],  # N = 4
    [3.079, 5.534, 6.997, 10.431],  # N = 6
    [3.471, 5.919, 7.269, 10.431],  # N = 8
    [3.831, 6.342, 7.781, 10.989],  # N = 11
    [4.176, 6.732, 8.145, 11.434],  # N = 16
    [4.463, 7.051, 8.475, 11.689],  # N = 23
    [4.778, 7.378, 8.838, 12.204],  # N = 32
    [4.991, 7.656, 9.152, 12.658],  # N = 45
    [5.259, 7.922, 9.498, 12.789],  # N = 64
    [5.501, 8.159, 9.691, 13.151],  # N = 91
    [5.699, 8.353, 9.857, 13.377],  # N = 128
    [5.892, 8.637, 10.217, 13.663],  # N = 181
    [6.108, 8.808, 10.376, 13.730],  # N = 256
    [6.166, 8.868, 10.500, 14.095],  # N = 362
    [6.360, 9.048, 10.562, 14.095],  # N = 512
    [6.550, 9.235, 10.848, 14.095],  # N = 724
    [6.670, 9.427, 10.990, 14.684],  # N = 1024
    [6.795, 9.500, 11.023, 14.684],  # N = 1448
    [6.931, 9.684, 11.181, 14.885],  # N = 2048
    [7.078, 9.849, 11.401, 14.915],  # N = 2896
    [7.174, 9.893, 11.429, 14.915],  # N = 4096
    [7.234, 10.166, 11.542, 15.163],  # N = 5793
    [7.356, 10.166, 11.667, 15.260],  # N = 8192
    [7.438, 10.166, 11.667, 15.260],  # N = 11585
    [7.582, 10.432, 11.946, 15.316],  # N = 16384
    [7.693, 10.432, 11.950, 15.316],  # N = 23170
    [7.693, 10.432, 11.950, 15.383],  # N = 32768
    [7.759, 10.460, 11.950, 15.831],  # N = 46341
    [7.866, 10.656, 12.220, 15.831],  # N = 65536
])


@njit(cache=True, nogil=True)
def _interp_log(n, grid_n, col):
    """``col`` interpolated linearly in ln N; beyond the grid, continued with the slope in
    ln ln N of the asymptotic law (see :func:`critical_value`)."""
    m = grid_n.shape[0]
    if n <= grid_n[0]:
        return col[0]
    if n >= grid_n[m - 1]:
        # Darling-Erdős growth: sqrt(Z) ~ (x + b(ln N)) / a(ln N), a(y) = sqrt(2 ln y),
        # b(y) = 2 ln y + ln ln y / 2 - ln(pi) / 2; the table's last value is carried on by
        # the asymptotic difference between N and the grid's end.
        return _asymptotic(n, col[m - 1], grid_n[m - 1])
    x = np.log(n)
    i = np.searchsorted(grid_n, n) - 1
    x0 = np.log(grid_n[i])
    x1 = np.log(grid_n[i + 1])
    w = (x - x0) / (x1 - x0)
    return col[i] * (1.0 - w) + col[i + 1] * w


@njit(cache=True, nogil=True)
def _asymptotic(n, z_end, n_end):
    """Critical value at ``n`` from the asymptotic law anchored at the table's end: the
    Gumbel variable ``x`` that makes the law give ``z_end`` at ``n_end`` is kept."""
    y0 = np.log(np.log(n_end))
    a0 = np.sqrt(2.0 * y0)
    b0 = 2.0 * y0 + 0.5 * np.log(y0) - 0.5 * np.log(np.pi)
    x = np.sqrt(z_end) * a0 - b0
    y = np.log(np.log(n))
    a = np.sqrt(2.0 * y)
    b = 2.0 * y + 0.5 * np.log(y) - 0.5 * np.log(np.pi)
    s = (x + b) / a
    return s * s


@njit(cache=True, nogil=True)
def critical_value_of(n, grid_n, column):
    """Critical value for a segment of ``n`` intervals from one column of the table."""
    return _interp_log(float(n), grid_n, column)


def critical_value(n: int, confidence: float = 0.95) -> float:
    """Critical value of ``max_k 2 ln L_k`` for ``n`` intervals at ``confidence``.

    Notes
    -----
    Inside the table, linear in ln N; between tabulated confidence levels, linear in the
    Gumbel variable ``-ln(-ln c)``; beyond ``N = 65 536``, the last tabulated value continued
    by the asymptotic law of the maximum (Darling-Erdős type, Csörgő & Horváth 1997, the law
    Watkins & Yang cite), keeping the Gumbel variable that reproduces the table's last value.
    """
    return float(critical_value_of(float(n), CRITICAL_N, critical_column(confidence)))


def critical_column(confidence: float) -> np.ndarray:
    """The table's column for ``confidence`` (interpolated in ``-ln(-ln c)`` between columns)."""
    c = float(confidence)
    lo, hi = CRITICAL_CONFIDENCE[0], CRITICAL_CONFIDENCE[-1]
    if not lo <= c <= hi:
        raise ValueError(f"confidence must lie in [{lo:g}, {hi:g}] (the simulated table), got {confidence!r}")
    g = -np.log(-np.log(CRITICAL_CONFIDENCE))
    x = -np.log(-np.log(c))
    j = int(min(np.searchsorted(g, x, side="right") - 1, g.size - 2))
    w = (x - g[j]) / (g[j + 1] - g[j])
    return np.ascontiguousarray(CRITICAL_VALUES[:, j] * (1.0 - w) + CRITICAL_VALUES[:, j + 1] * w)


# ------------------------------------------------------------------------------- the scan
@njit(cache=True, nogil=True)
def _scan_range(ts, lo, hi, head_n, head_ticks, ja, jb, step, best, best_j):
    """Largest ``ln L_k + N ln N`` over the candidates ``ja, ja+step, … < jb`` of the segment
    ``ts[lo..hi]``, starting from ``(best, best_j)``."""
    n = head_n + (hi - lo)
    total_i = head_ticks + (ts[hi] - ts[lo])
    nf = float(n)
    inv = 1.0 / float(total_i)
    t_lo = ts[lo]
    j0 = lo if head_n > 0 else lo + 1
    if ja < j0:
        ja = j0
    if jb > hi:
        jb = hi
    for j in range(ja, jb, step):
        s = head_ticks + (ts[j] - t_lo)
        if s <= 0 or s >= total_i:
            continue
        k = float(head_n + (j - lo))
        v = float(s) * inv
        m = nf - k
        z = k * np.log(k / v) + m * np.log(m / (1.0 - v))
        if z > best:
            best = z
            best_j = j
    return best, best_j


@njit(cache=True, nogil=True)
def _f(k, v, nf):
    """``ln L_k + N ln N`` at ``k`` intervals and time fraction ``v`` (clamped into (0, 1))."""
    v = min(max(v, 1e-300), 1.0 - 1e-16)
    m = nf - k
    out = k * np.log(k / v)
    if m > 0.0:
        out += m * np.log(m / (1.0 - v))
    return out


@njit(cache=True, nogil=True)
def llr_scan(ts, lo, hi, head_n, head_ticks, stride=1):
    """The largest ``2 ln L_k`` of the segment ``ts[lo..hi]`` (inclusive) and where it is.

    Parameters
    ----------
    ts : (n,) int64
        Photon timestamps (ticks), non-decreasing.
    lo, hi : int
        First and last photon of the segment; its intervals end at photons ``lo+1 .. hi``.
    head_n : int
        Intervals before ``ts[lo]`` that belong to the segment (0: none).
    head_ticks : int
        Their total duration (ticks).
    stride : int
        1: evaluate every candidate. ``s > 1``: branch and bound over blocks of ``s``
        photons, same result (see Notes).

    Returns
    -------
    best_j : int
        Photon index of the change (the boundary is at ``ts[best_j]``); -1 if no candidate.
    best_z : float
        ``2 ln L`` there (0 if no candidate).
    n : int
        Intervals ``N`` of the segment.

    Notes
    -----
    Candidates are the photons ``lo .. hi-1`` (``lo`` only with a head) with ``1 <= k <= N-1``
    and ``0 < V_k < 1``; a zero-length prefix or suffix (photons on one tick) is no candidate.

    **Branch and bound** (``stride = s > 1``). ``f(k, v) = k ln(k/v) + (N-k) ln((N-k)/(1-v))``
    is convex in ``v`` at fixed ``k`` and convex in ``k`` at fixed ``v``, so on a rectangle
    ``[k1, k2] × [v1, v2]`` its maximum lies at a corner. Between two photons ``s`` apart the
    candidates' ``(k, V_k)`` lie in the rectangle their ``(k, V)`` span (both grow with the
    photon index), so the block can hold no value above the largest of its four corners:
    the two photons' own values and the two cross corners ``f(k1, V2)``, ``f(k2, V1)``. The
    statistic is evaluated at every ``s``-th photon and at the cross corners, and only the
    blocks whose bound exceeds the best value found are evaluated photon by photon. The
    result is the exact maximum (ties aside), at about ``3 N / s`` evaluations plus the blocks
    near the peak.
    """
    n = head_n + (hi - lo)
    total_i = head_ticks + (ts[hi] - ts[lo])
    if n < 2 or total_i <= 0:
        return -1, 0.0, n
    nf = float(n)
    j0 = lo if head_n > 0 else lo + 1
    best = -np.inf
    best_j = -1
    if stride <= 1 or hi - j0 <= 4 * stride:
        best, best_j = _scan_range(ts, lo, hi, head_n, head_ticks, j0, hi, 1, best, best_j)
    else:
        inv = 1.0 / float(total_i)
        t_lo = ts[lo]
        n_grid = (hi - 1 - j0) // stride + 2  # j0, j0 + s, ..., and hi - 1
        gk = np.empty(n_grid)
        gv = np.empty(n_grid)
        gj = np.empty(n_grid, np.int64)
        for g in range(n_grid):
            j = j0 + g * stride if g < n_grid - 1 else hi - 1
            gj[g] = j
            gk[g] = float(head_n + (j - lo))
            gv[g] = float(head_ticks + (ts[j] - t_lo)) * inv
        # the grid's own values (valid candidates only)
        for g in range(n_grid):
            j = gj[g]
            s = head_ticks + (ts[j] - t_lo)
            if s > 0 and s < total_i:
                z = _f(gk[g], gv[g], nf)
                if z > best:
                    best = z
                    best_j = j
        # blocks next to the best grid point first (they most likely hold the maximum)
        if best_j >= 0:
            gb = (best_j - j0) // stride
            for g in (gb - 1, gb):
                if 0 <= g < n_grid - 1 and gj[g + 1] - gj[g] > 1:
                    best, best_j = _scan_range(ts, lo, hi, head_n, head_ticks, gj[g] + 1, gj[g + 1], 1, best, best_j)
        for g in range(n_grid - 1):
            if gj[g + 1] - gj[g] <= 1:
                continue
            bound = max(_f(gk[g], gv[g + 1], nf), _f(gk[g + 1], gv[g], nf))
            if bound > best:
                best, best_j = _scan_range(ts, lo, hi, head_n, head_ticks, gj[g] + 1, gj[g + 1], 1, best, best_j)
    if best_j < 0:
        return -1, 0.0, n
    return best_j, 2.0 * (best - nf * np.log(nf)), n


@njit(cache=True, nogil=True)
def llr_profile(ts, lo, hi, head_n, head_ticks):
    """``2 ln L_k`` at every photon ``lo .. hi`` (NaN where no candidate); for figures and tests."""
    out = np.full(hi - lo + 1, np.nan)
    n = head_n + (hi - lo)
    total = float(head_ticks + (ts[hi] - ts[lo]))
    if n < 2 or total <= 0.0:
        return out
    nf = float(n)
    j0 = lo if head_n > 0 else lo + 1
    for j in range(j0, hi):
        k = float(head_n + (j - lo))
        s = float(head_ticks + (ts[j] - ts[lo]))
        if s <= 0.0 or s >= total:
            continue
        v = s / total
        m = nf - k
        out[j - lo] = 2.0 * (k * np.log(k / v) + m * np.log(m / (1.0 - v)) - nf * np.log(nf))
    return out


@njit(cache=True, nogil=True)
def segment(ts, lo, hi, head_n, head_ticks, grid_n, column, min_intervals, stride=1):
    """Change points of ``ts[lo..hi]`` by recursive binary segmentation.

    Parameters
    ----------
    ts, lo, hi, head_n, head_ticks
        As in :func:`llr_scan` (the head belongs to the segment that starts at ``lo``).
    grid_n, column : float64 arrays
        The critical-value table (:data:`CRITICAL_N`, one column of :data:`CRITICAL_VALUES`).
    min_intervals : int
        Segments with fewer intervals are not tested.
    stride : int
        Block of the branch-and-bound scan (:func:`llr_scan`; same result for any value).

    Returns
    -------
    (m,) int64
        Photon indices of the change points, sorted.

    Notes
    -----
    A segment is split at its largest ``2 ln L_k`` when that exceeds the critical value for
    its ``N``; both parts are then tested again (the left one keeps the head). Work is
    ``O(N)`` per level of the recursion. An explicit stack replaces the recursion.
    """
    cap = 64
    st_lo = np.empty(cap, np.int64)
    st_hi = np.empty(cap, np.int64)
    st_hn = np.empty(cap, np.int64)
    st_ht = np.empty(cap, np.int64)
    out = np.empty(16, np.int64)
    n_out = 0
    sp = 0
    st_lo[0] = lo
    st_hi[0] = hi
    st_hn[0] = head_n
    st_ht[0] = head_ticks
    sp = 1
    while sp > 0:
        sp -= 1
        a = st_lo[sp]
        b = st_hi[sp]
        hn = st_hn[sp]
        ht = st_ht[sp]
        if hn + (b - a) < min_intervals:
            continue
        j, z, n = llr_scan(ts, a, b, hn, ht, stride)
        if j < 0 or z <= _interp_log(float(n), grid_n, column):
            continue
        if n_out == out.shape[0]:
            grown = np.empty(2 * n_out, np.int64)
            grown[:n_out] = out
            out = grown
        out[n_out] = j
        n_out += 1
        if sp + 2 > st_lo.shape[0]:
            c2 = 2 * st_lo.shape[0]
            g_lo = np.empty(c2, np.int64)
            g_hi = np.empty(c2, np.int64)
            g_hn = np.empty(c2, np.int64)
            g_ht = np.empty(c2, np.int64)
            g_lo[:sp] = st_lo[:sp]
            g_hi[:sp] = st_hi[:sp]
            g_hn[:sp] = st_hn[:sp]
            g_ht[:sp] = st_ht[:sp]
            st_lo, st_hi, st_hn, st_ht = g_lo, g_hi, g_hn, g_ht
        st_lo[sp] = j
        st_hi[sp] = b
        st_hn[sp] = 0
        st_ht[sp] = 0
        sp += 1
        st_lo[sp] = a
        st_hi[sp] = j
        st_hn[sp] = hn
        st_ht[sp] = ht
        sp += 1
    return np.sort(out[:n_out])


@njit(cache=True, nogil=True)
def refine(ts, cps, lo, hi, head_n, head_ticks, grid_n, column, max_rounds, stride=1):
    """Each change point re-tested and re-placed between its two neighbours, until stable.

    Parameters
    ----------
    ts, lo, hi, head_n, head_ticks
        As in :func:`segment` (the head belongs to the first segment).
    cps : (m,) int64
        Sorted change points from :func:`segment`.
    grid_n, column
        The critical-value table.
    max_rounds : int
        Passes over all change points at most.
    stride : int
        Block of the branch-and-bound scan (:func:`llr_scan`; same result for any value).

    Returns
    -------
    (m',) int64
        Sorted change points, ``m' <= m``.

    Notes
    -----
    Binary segmentation places a change point in a segment that may still hold other
    changes, and a change found early can sit a few photons off; the part between it and the
    true change is then often split off as a short spurious level. Here each change point is
    scanned again over the segment between its neighbours (which holds one change if the
    segmentation is right): it moves to that segment's maximum, and is removed when the
    maximum no longer exceeds the critical value for that segment's length. Passes repeat
    until nothing moves or is removed; after the first, only the neighbours of a change
    point that moved or was removed are scanned again.
    """
    cur = cps.copy()
    dirty = np.ones(cur.shape[0], np.bool_)
    for _ in range(max_rounds):
        changed = False
        keep = np.ones(cur.shape[0], np.bool_)
        nxt = np.zeros(cur.shape[0], np.bool_)
        prev = lo
        prev_i = -1
        for i in range(cur.shape[0]):
            b = hi
            next_i = -1
            for q in range(i + 1, cur.shape[0]):
                if keep[q]:
                    b = cur[q]
                    next_i = q
                    break
            if not dirty[i]:
                prev = cur[i]
                prev_i = i
                continue
            first = prev_i < 0
            hn = head_n if first else 0
            ht = head_ticks if first else 0
            j, z, n = llr_scan(ts, prev, b, hn, ht, stride)
            if j < 0 or z <= _interp_log(float(n), grid_n, column):
                keep[i] = False
                changed = True
                if prev_i >= 0:
                    nxt[prev_i] = True
                if next_i >= 0:
                    nxt[next_i] = True
                    dirty[next_i] = True  # its left neighbour is gone: test it in this pass
                continue
            if j != cur[i]:
                cur[i] = j
                changed = True
                if prev_i >= 0:
                    nxt[prev_i] = True
                if next_i >= 0:
                    nxt[next_i] = True
                    dirty[next_i] = True  # its left end moved: test it in this pass
            prev = cur[i]
            prev_i = i
        cur = cur[keep]
        dirty = nxt[keep]
        if not changed:
            break
    return cur


@njit(cache=True, nogil=True)
def _gaps(ts, cps, lo, hi, head_n, head_ticks, grid_n, column, min_intervals, stride, scale, done_a, done_b):
    """Change points found by :func:`segment` in the stretches between ``cps`` (``scale > 0``:
    in overlapping sub-stretches of ``2 scale`` photons, ``scale`` apart, instead).

    Stretches ``(a, b)`` listed in ``done_a``/``done_b`` (sorted by ``a``) were searched before
    and held nothing; they are skipped (the search is deterministic). Returns the change
    points found and the stretches searched in vain (including the skipped ones).
    """
    extra = np.empty(0, np.int64)
    empty_a = np.empty(cps.shape[0] + 1, np.int64)
    empty_b = np.empty(cps.shape[0] + 1, np.int64)
    n_empty = 0
    prev = lo
    for i in range(cps.shape[0] + 1):
        b = cps[i] if i < cps.shape[0] else hi
        if scale > 0 and b - prev > 2 * scale:
            a = prev
            while a < b:
                e = min(a + 2 * scale, b)
                first = a == lo
                more = segment(ts, a, e, head_n if first else 0, head_ticks if first else 0, grid_n, column,
                               min_intervals, stride)
                if more.shape[0]:
                    extra = np.concatenate((extra, more))
                if e == b:
                    break
                a += scale
        elif scale <= 0:
            q = np.searchsorted(done_a, prev)
            skip = False
            while q < done_a.shape[0] and done_a[q] == prev:
                if done_b[q] == b:
                    skip = True
                    break
                q += 1
            more = np.empty(0, np.int64)
            if not skip:
                first = prev == lo
                more = segment(ts, prev, b, head_n if first else 0, head_ticks if first else 0, grid_n, column,
                               min_intervals, stride)
            if more.shape[0]:
                extra = np.concatenate((extra, more))
            else:
                empty_a[n_empty] = prev
                empty_b[n_empty] = b
                n_empty += 1
        prev = b
    return np.unique(extra), empty_a[:n_empty], empty_b[:n_empty]


@njit(cache=True, nogil=True)
def change_points_of(ts, lo, hi, head_n, head_ticks, grid_n, column, min_intervals, stride, rounds, scale):
    """Change points of ``ts[lo..hi]``: segmentation, a search at a short scale, then
    refinement and segmentation of every stretch between neighbours until nothing changes.

    Parameters
    ----------
    ts, lo, hi, head_n, head_ticks, grid_n, column, min_intervals, stride
        As in :func:`segment`.
    rounds : int
        Rounds of refinement and re-segmentation at most.
    scale : int
        Photons of the short-scale search (0: none).

    Returns
    -------
    (m,) int64
        Sorted photon indices.

    Notes
    -----
    * **Short excursions.** A single-change test over a long stretch barely responds to a
      short excursion inside it (a burst or a dip of a few hundred photons in 10⁵ gives
      ``2 ln L`` of a few units where the excursion's own edges give 50 or more): binary
      segmentation misses it. After the first segmentation every stretch longer than
      ``2 scale`` is therefore searched again in overlapping sub-stretches of ``2 scale``
      photons. A change point found there by chance alone is removed by the refinement,
      which tests it against the whole stretch between its neighbours; the edges of a real
      excursion, tested against each other, stay.
    * **Fixed point.** Then, until nothing changes: every change point is re-tested and
      re-placed between its neighbours (:func:`refine`) and every stretch between neighbours
      is segmented again. The result is significant between neighbours everywhere and holds
      no significant change point between them, so it depends little on the extent of the
      first segment — which is what lets windows of a long file give the whole-file answer.
      A stretch already searched in vain is not searched again.
    """
    cps = segment(ts, lo, hi, head_n, head_ticks, grid_n, column, min_intervals, stride)
    none = np.empty(0, np.int64)
    if scale > 0:
        more, _a, _b = _gaps(ts, cps, lo, hi, head_n, head_ticks, grid_n, column, min_intervals, stride, scale,
                             none, none)
        if more.shape[0]:
            cps = np.unique(np.concatenate((cps, more)))
    done_a, done_b = none, none
    for _ in range(rounds):
        if cps.shape[0]:
            cps = refine(ts, cps, lo, hi, head_n, head_ticks, grid_n, column, rounds, stride)
        extra, done_a, done_b = _gaps(ts, cps, lo, hi, head_n, head_ticks, grid_n, column, min_intervals, stride,
                                      0, done_a, done_b)
        if extra.shape[0] == 0:
            break
        cps = np.unique(np.concatenate((cps, extra)))
    return cps


# ------------------------------------------------------------------- the table's source
@njit(cache=True, nogil=True)
def simulated_max_llr(n, draws, seed):
    """``max_k 2 ln L_k`` of ``draws`` constant-rate segments of ``n`` intervals each.

    Notes
    -----
    Each segment is ``n`` exponential intervals (rate 1; the statistic does not depend on
    the rate), accumulated to float64 times and scanned exactly as :func:`llr_scan` does
    (candidates ``k = 1 .. n-1``). Used to compute :data:`CRITICAL_VALUES`.
    """
    np.random.seed(seed)
    out = np.empty(draws)
    cum = np.empty(n + 1)
    nf = float(n)
    nlogn = nf * np.log(nf)
    for d in range(draws):
        cum[0] = 0.0
        for i in range(n):
            cum[i + 1] = cum[i] + np.random.exponential(1.0)
        total = cum[n]
        best = 0.0
        for j in range(1, n):
            v = cum[j] / total
            k = float(j)
            m = nf - k
            z = k * np.log(k / v) + m * np.log(m / (1.0 - v)) - nlogn
            if z > best:
                best = z
        out[d] = 2.0 * best
    return out


# ------------------------------------------------------------------------ level decays
@njit(cache=True, nogil=True)
def level_decays(first_index, detectors, nanotimes, shift, period, factor, bounds, hist):
    """Add photons into the decay histograms of their levels, in place.

    Parameters
    ----------
    first_index : int
        Global index of photon 0 of the arrays.
    detectors : (n,) uint8
    nanotimes : (n,) uint16
    shift : (256,) int64
        Nanotime ticks added per detector (alignment).
    period : int
        Microtime period in nanotime ticks (aligned times wrap into it); 0: unknown, no wrap.
    factor : int
        Nanotime ticks merged into one histogram bin.
    bounds : (r + 1,) int64
        Level ``i`` (row ``i`` of ``hist``) holds the photons with global index ``p`` in
        ``bounds[i] < p <= bounds[i + 1]``; photons are in index order.
    hist : (r, n_bins) int64
        Updated in place.

    Returns
    -------
    n_overflow : int
        Photons outside the histogram (past its last bin, or before 0 without a period).
    """
    rows = hist.shape[0]
    cols = hist.shape[1]
    r = 0
    n_over = 0
    for i in range(nanotimes.shape[0]):
        p = first_index + i
        while r < rows - 1 and p > bounds[r + 1]:
            r += 1
        t = np.int64(nanotimes[i]) + shift[detectors[i]]
        if period > 0:
            t = t % period
        if t < 0:
            n_over += 1
            continue
        b = t // factor
        if b >= cols:
            n_over += 1
            continue
        hist[r, b] += 1
    return n_over
