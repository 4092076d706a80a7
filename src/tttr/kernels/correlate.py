"""numba kernels of the photon-pair correlation (g2 and long-lag correlation, science.md §6).

Plain contiguous arrays in, plain arrays out; no I/O, no objects. The public wrappers that
check and coerce inputs, and carry the state from one chunk to the next, live in
:mod:`tttr.analysis.g2`.

The pair scan works on one *merged* stream: the absolute times ``t`` (int64 ticks of a
common fine unit, non-decreasing) and detectors ``d`` (uint8) of the photons of both
correlation channels, in time order. Nothing is split into per-detector arrays. The photons
``[0, n_old)`` of the stream are the carried *tail* of earlier chunks; every pair of two tail
photons was counted before, so it is skipped, and every other pair is counted once.

* :func:`stage_photons` turns a decoded chunk into merged-stream entries in a caller-owned
  buffer: keeps the two detectors, drops photons of OFF bins (state gating), forms the
  absolute time (T2 timestamps, or T3 ``nsync·period + dtime·resolution`` in integer
  ticks) and restores time order by insertion.
* :func:`correlate_linear` histograms the pairs in equal lag bins centred on multiples of
  the bin width (bin index by integer division).
* :func:`correlate_edges` counts the pairs in arbitrary lag bins with one moving pointer per
  bin edge (Laurence et al. 2006), for log-spaced lags from nanoseconds to seconds.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["stage_photons", "correlate_linear", "correlate_edges", "FRAC_BITS"]

#: Fixed-point fraction bits of the T3 period and resolution in fine ticks: the fine time is
#: ``n·P_int + dt·R_int + ((n·P_frac + dt·R_frac + 2**(FRAC_BITS-1)) >> FRAC_BITS)``.
FRAC_BITS = 20


@njit(cache=True, nogil=True)
def stage_photons(timestamps, detectors, nanotimes, det_a, det_b, p_int, p_frac, r_int, r_frac,
                  on_mask, gate_bin_ticks, gate_origin_ticks, out_t, out_d, start, sort_from,
                  lower_bound, stats, det_counts):
    """Append the photons of detectors A and B of one chunk to a merged time-ordered stream.

    Parameters
    ----------
    timestamps : (n,) int64
        File timestamps (T2: ticks; T3: sync counts ``nsync``), non-decreasing.
    detectors : (n,) uint8
    nanotimes : (n,) uint16 or (0,) uint16
        T3 microtimes ``dtime``; an empty array in T2 (then ``r_int = r_frac = 0``).
    det_a, det_b : int
        The two detectors kept.
    p_int, p_frac : int
        One timestamp tick in fine ticks, ``p_int + p_frac / 2**FRAC_BITS``.
    r_int, r_frac : int
        One nanotime tick in fine ticks, ``r_int + r_frac / 2**FRAC_BITS``.
    on_mask : (m,) bool
        State gate: ON flag per trace bin (bins of ``gate_bin_ticks`` timestamp ticks from
        ``gate_origin_ticks``). Ignored when ``gate_bin_ticks <= 0``.
    gate_bin_ticks, gate_origin_ticks : int
    out_t : (N,) int64, in/out
        Fine absolute times of the merged stream; written from ``start``.
    out_d : (N,) uint8, in/out
        Detectors of the merged stream.
    start : int
        First free slot of ``out_t``/``out_d``; the caller guarantees room for ``n`` more.
    sort_from : int
        Entries before this index are final and are never moved (the counted region); the
        insertion that restores time order stops there.
    lower_bound : int
        Every new photon must have a fine time ``>= lower_bound`` (the earliest time a photon
        of a later chunk can have, as promised after the previous chunk).
    stats : (4,) int64, in/out
        ``[n_a, n_b, raw_min, raw_max]``: photons kept on A and B (added), and the smallest
        and largest file timestamp of any photon of the chunk (updated).
    det_counts : (256,) int64, in/out
        Photons per detector, all detectors, before gating (added; for error messages).

    Returns
    -------
    end : int
        One past the last entry written, or ``-1 - i`` if photon ``i`` breaks
        ``lower_bound`` (the stream is not in time order across chunks).

    Notes
    -----
    The fine time is ``ts·p_int + dt·r_int + ((ts·p_frac + dt·r_frac + 2**(B-1)) >> B)``
    with ``B = FRAC_BITS``: integer fixed-point arithmetic, rounded to the nearest fine tick,
    monotonic in ``ts`` for a fixed ``dt``. Photons within one sync period can be recorded out
    of order (different detectors, or a ``dtime`` past the period), so each new entry is
    moved back by insertion until the stream is ordered again; the cost is one comparison
    per photon plus one move per inversion.
    """
    n = timestamps.shape[0]
    has_nt = nanotimes.shape[0] == n and n > 0
    gated = gate_bin_ticks > 0
    m = on_mask.shape[0]
    half = np.int64(1) << (FRAC_BITS - 1)
    a = np.uint8(det_a)
    b = np.uint8(det_b)
    pos = start
    n_a = 0
    n_b = 0
    rmin = stats[2]
    rmax = stats[3]
    for i in range(n):
        ts = timestamps[i]
        if ts < rmin:
            rmin = ts
        if ts > rmax:
            rmax = ts
        dd = detectors[i]
        det_counts[dd] += 1
        if dd != a and dd != b:
            continue
        if gated:
            x = ts - gate_origin_ticks
            if x < 0:
                continue
            k = x // gate_bin_ticks
            if k >= m or not on_mask[k]:
                continue
        if has_nt:
            dt = np.int64(nanotimes[i])
            t = ts * p_int + dt * r_int + ((ts * p_frac + dt * r_frac + half) >> FRAC_BITS)
        else:
            t = ts * p_int + ((ts * p_frac + half) >> FRAC_BITS)
        if t < lower_bound:
            stats[2] = rmin
            stats[3] = rmax
            return -1 - i
        if dd == a:
            n_a += 1
        else:
            n_b += 1
        p = pos
        while p > sort_from and out_t[p - 1] > t:
            out_t[p] = out_t[p - 1]
            out_d[p] = out_d[p - 1]
            p -= 1
        out_t[p] = t
        out_d[p] = dd
        pos += 1
    stats[0] += n_a
    stats[1] += n_b
    stats[2] = rmin
    stats[3] = rmax
    return pos


@njit(cache=True, nogil=True)
def correlate_linear(t, d, n, n_old, det_a, det_b, shift, bin_ticks, n_half, hist):
    """Histogram the A→B pair lags of a merged stream in equal bins centred on ``k·bin``.

    A pair is a photon ``i`` on A and a photon ``j`` on B; its lag is
    ``Δ = t[j] − t[i] + shift`` (``shift`` = delay offset of B minus that of A, fine ticks).
    Bin ``k`` (``k = −n_half … n_half``, stored at ``k + n_half``) holds the pairs with
    ``(k − ½)·bin ≤ Δ < (k + ½)·bin``; pairs outside all bins are ignored.

    Parameters
    ----------
    t : (N,) int64
        Fine absolute times, non-decreasing over ``[0, n)``.
    d : (N,) uint8
        Detectors.
    n : int
        Entries of the stream used (``[0, n)``).
    n_old : int
        Entries ``[0, n_old)`` are the carried tail: pairs of two tail photons are skipped.
    det_a, det_b : int
    shift : int
    bin_ticks : int
        Bin width in fine ticks (>= 1).
    n_half : int
        Bins on each side of zero lag.
    hist : (2·n_half + 1,) int64, in/out
        Counts are added in place.

    Returns
    -------
    n_pairs : int
        Pairs added.

    Notes
    -----
    One pass over the A photons with a start pointer ``s`` into the stream that only moves
    forward (the first entry with ``t[s] ≥ t[i] + lo``); for each A photon the entries from
    ``s`` to ``t[i] + hi`` are scanned and those on B are binned. The bin index is
    ``(2Δ + (2·n_half + 1)·bin) // (2·bin)``: exact integer arithmetic, also for odd bin
    widths whose bin edges fall on half ticks. Cost O(N + pairs-in-window).
    """
    a = np.uint8(det_a)
    b = np.uint8(det_b)
    w2 = (2 * n_half + 1) * bin_ticks  # 2 × half-width of the covered lag range
    two_b = 2 * bin_ticks
    lo = -(w2 // 2) - shift  # smallest t[j] - t[i] that lands in a bin
    hi = (w2 + 1) // 2 - 1 - shift  # largest
    nb = 2 * n_half + 1
    s = 0
    added = 0
    for i in range(n):
        if d[i] != a:
            continue
        ti = t[i]
        first = ti + lo
        while s < n and t[s] < first:
            s += 1
        last = ti + hi
        j = s
        if i < n_old and j < n_old:
            j = n_old
        while j < n:
            tj = t[j]
            if tj > last:
                break
            if d[j] == b:
                k = (2 * (tj - ti + shift) + w2) // two_b
                if k >= 0 and k < nb:
                    hist[k] += 1
                    added += 1
            j += 1
    return added


@njit(cache=True, nogil=True)
def correlate_edges(t, d, n, n_old, det_a, det_b, edges, ptr, cnt, hist):
    """Count A→B pairs in arbitrary lag bins ``[edges[k], edges[k+1])`` (Laurence et al. 2006).

    Parameters
    ----------
    t : (N,) int64
        Fine absolute times, non-decreasing over ``[0, n)``.
    d : (N,) uint8
    n, n_old : int
        Stream length used, and length of the carried tail (pairs inside it are skipped).
    det_a, det_b : int
    edges : (E,) int64
        Increasing bin edges of ``t[j] − t[i]`` in fine ticks (any sign; delay offsets are
        folded in by the caller).
    ptr, cnt : (E,) int64, work
        One pointer per edge into the stream, and the number of B photons before it.
    hist : (E − 1,) int64, in/out
        Counts are added in place.

    Returns
    -------
    n_pairs : int

    Notes
    -----
    For each A photon ``i`` (in time order), pointer ``k`` advances to the first entry with
    ``t ≥ t[i] + edges[k]`` while counting the B photons it passes; the pairs in bin ``k``
    are then ``cnt[k+1] − cnt[k]``. Every pointer only moves forward, so the cost is
    O(N_A·E + E·N), independent of how many pairs fall in the bins: lags of seconds cost no
    more than lags of nanoseconds. For tail A photons only B photons at index ``≥ n_old``
    count; with ``C(x)`` the B count before index ``x`` (non-decreasing),
    ``C(max(x, n_old)) = max(C(x), C(n_old))``.
    """
    a = np.uint8(det_a)
    b = np.uint8(det_b)
    ne = edges.shape[0]
    c_old = 0
    for j in range(n_old):
        if d[j] == b:
            c_old += 1
    for k in range(ne):
        ptr[k] = 0
        cnt[k] = 0
    added = 0
    for i in range(n):
        if d[i] != a:
            continue
        ti = t[i]
        for k in range(ne):
            target = ti + edges[k]
            p = ptr[k]
            c = cnt[k]
            if k > 0 and p < ptr[k - 1]:  # never behind the previous edge's pointer
                p = ptr[k - 1]
                c = cnt[k - 1]
            while p < n and t[p] < target:
                if d[p] == b:
                    c += 1
                p += 1
            ptr[k] = p
            cnt[k] = c
        if i >= n_old:
            for k in range(ne - 1):
                x = cnt[k + 1] - cnt[k]
                hist[k] += x
                added += x
        else:
            for k in range(ne - 1):
                lo_c = cnt[k] if cnt[k] > c_old else c_old
                hi_c = cnt[k + 1] if cnt[k + 1] > c_old else c_old
                x = hi_c - lo_c
                hist[k] += x
                added += x
    return added
