"""Slow, obviously correct numpy twins of the numba kernels (checked against them in tests)."""

from __future__ import annotations

import math

import numpy as np


def _split(r, ofl, photon, marker, t, mbits, det, nt=None, sync=None):
    out = {
        "timestamps": (ofl + t)[photon],
        "detectors": det[photon].astype(np.uint8),
        "marker_timestamps": (ofl + t)[marker],
        "markers": mbits[marker].astype(np.uint8),
    }
    if nt is not None:
        out["nanotimes"] = nt[photon].astype(np.uint16)
    out["sync_timestamps"] = (ofl + t)[sync] if sync is not None else np.empty(0, np.int64)
    return out


def decode_pq(records: np.ndarray, family: str, v1: bool = False) -> dict:
    """Decode PicoQuant records with vectorised numpy (cumulative sum of overflows)."""
    r = np.asarray(records, np.uint32).astype(np.int64)
    if family == "picoharp_t3":
        ch, dt, ns = r >> 28, (r >> 16) & 0xFFF, r & 0xFFFF
        ovf = (ch == 15) & (dt == 0)
        ofl = np.cumsum(np.where(ovf, 65536, 0))
        return _split(r, ofl, (ch >= 1) & (ch <= 4), (ch == 15) & (dt != 0), ns, dt & 0xF, ch - 1, dt)
    if family == "picoharp_t2":
        ch, tt = r >> 28, r & 0x0FFFFFFF
        ovf = (ch == 15) & ((r & 0xF) == 0)
        ofl = np.cumsum(np.where(ovf, 210698240, 0))
        return _split(r, ofl, ch != 15, (ch == 15) & ((r & 0xF) != 0), tt, r & 0xF, ch)
    sp, ch = (r >> 31) & 1, (r >> 25) & 0x3F
    if family == "hydraharp_t3":
        dt, ns = (r >> 10) & 0x7FFF, r & 0x3FF
        ovf = (sp == 1) & (ch == 63)
        n = np.ones_like(ns) if v1 else np.where(ns == 0, 1, ns)
        ofl = np.cumsum(np.where(ovf, n * 1024, 0))
        return _split(r, ofl, sp == 0, (sp == 1) & (ch >= 1) & (ch <= 15), ns, ch, ch, dt)
    if family == "hydraharp_t2":
        tt = r & 0x1FFFFFF
        ovf = (sp == 1) & (ch == 63)
        inc = np.full_like(tt, 33552000) if v1 else np.where(tt == 0, 1, tt) * 33554432
        ofl = np.cumsum(np.where(ovf, inc, 0))
        return _split(r, ofl, sp == 0, (sp == 1) & (ch >= 1) & (ch <= 15), tt, ch, ch,
                      sync=(sp == 1) & (ch == 0))
    raise ValueError(family)


def backward_steps(ts: np.ndarray, last: int) -> tuple[int, int, int]:
    """Twin of ``tttr.io._timeorder.backward_steps``: events below the running maximum."""
    ts = np.asarray(ts, np.int64)
    if ts.size == 0:
        return 0, -1, int(last)
    run = np.maximum.accumulate(np.concatenate([[last], ts]))[:-1]
    bad = ts < run
    first = int(np.flatnonzero(bad)[0]) if bad.any() else -1
    return int(bad.sum()), first, int(max(last, ts.max()))


def monotonic_mask(ts: np.ndarray, last: int) -> np.ndarray:
    """Twin of ``tttr.io._timeorder.monotonic_mask``: keep events not below the running maximum."""
    ts = np.asarray(ts, np.int64)
    run = np.maximum.accumulate(np.concatenate([[last], ts]))[:-1]
    return ts >= run


# --------------------------------------------------------------- change points (issue 16)
def llr_profile(ts, lo: int, hi: int, head_n: int = 0, head_ticks: int = 0) -> np.ndarray:
    """Twin of ``tttr.kernels.changepoint.llr_profile``: ``2 ln L_k`` of Watkins & Yang at
    photons ``lo..hi`` (NaN where no candidate), written out from the formula."""
    ts = np.asarray(ts, np.int64)
    j = np.arange(lo, hi + 1)
    n = head_n + (hi - lo)
    total = head_ticks + (ts[hi] - ts[lo])
    k = (head_n + (j - lo)).astype(float)
    s = (head_ticks + (ts[j] - ts[lo])).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        v = s / total
        lnl = k * np.log(k / v) + (n - k) * np.log((n - k) / (1 - v)) - n * np.log(n)
    ok = (k >= 1) & (k <= n - 1) & (s > 0) & (s < total) & (j < hi)
    if head_n == 0:
        ok &= j > lo
    return np.where(ok, 2 * lnl, np.nan)


def change_points(ts, critical, min_intervals: int = 8, rounds: int = 10, scale: int = 0) -> np.ndarray:
    """Twin of ``tttr.kernels.changepoint.change_points_of`` on a whole array (no head):
    binary segmentation, the short-scale search (sub-stretches of ``2 scale`` photons,
    ``scale`` apart, in stretches longer than ``2 scale``), then refinement between
    neighbours and segmentation of every stretch between neighbours, repeated until nothing
    changes; ``critical(n)`` is the critical value for a segment of ``n`` intervals."""
    ts = np.asarray(ts, np.int64)

    def best(a, b):
        if b - a < 2:
            return -1, 0.0
        z = llr_profile(ts, a, b)
        if np.all(np.isnan(z)):
            return -1, 0.0
        i = int(np.nanargmax(z))
        return a + i, float(z[i])

    def split(a, b, found):
        if b - a < min_intervals:
            return
        j, z = best(a, b)
        if j < 0 or z <= critical(b - a):
            return
        found.append(j)
        split(a, j, found)
        split(j, b, found)

    def refine(cps):
        for _ in range(rounds):
            changed, out = False, []
            for i in range(len(cps)):
                a = out[-1] if out else 0
                b = cps[i + 1] if i + 1 < len(cps) else ts.size - 1
                j, z = best(a, b)
                if j < 0 or z <= critical(b - a):
                    changed = True
                else:
                    changed |= j != cps[i]
                    out.append(j)
            cps = out
            if not changed:
                break
        return cps

    cps = []
    split(0, ts.size - 1, cps)
    cps = sorted(cps)
    if scale > 0:
        extra = []
        for a, b in zip([0] + cps, cps + [ts.size - 1]):
            if b - a > 2 * scale:
                for s in range(a, b, scale):
                    split(s, min(s + 2 * scale, b), extra)
                    if s + 2 * scale >= b:
                        break
        cps = sorted(set(cps) | set(extra))
    for _ in range(rounds):
        cps = refine(cps)
        extra = []
        for a, b in zip([0] + cps, cps + [ts.size - 1]):
            split(a, b, extra)
        if not extra:
            break
        cps = sorted(set(cps) | set(extra))
    return np.asarray(cps, np.int64)


def level_decays(first_index, detectors, nanotimes, shift, period, factor, bounds, n_rows, n_cols) -> np.ndarray:
    """Twin of ``tttr.kernels.changepoint.level_decays`` (a new histogram)."""
    p = first_index + np.arange(len(nanotimes))
    row = np.clip(np.searchsorted(np.asarray(bounds)[1:n_rows], p, side="left"), 0, n_rows - 1)
    t = nanotimes.astype(np.int64) + np.asarray(shift)[detectors]
    if period > 0:
        t = t % period
    b = t // factor
    ok = (t >= 0) & (b < n_cols)
    h = np.zeros((n_rows, n_cols), np.int64)
    np.add.at(h, (row[ok], b[ok]), 1)
    return h


# --------------------------------------------------------------- runs (kernels/runs.py)
def run_lengths(s):
    """Twin of ``tttr.kernels.runs.run_lengths``: values, lengths and starts of runs by ``np.diff``."""
    s = np.asarray(s)
    if s.size == 0:
        return s[:0], np.zeros(0, int), np.zeros(0, int)
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    lengths = np.diff(np.r_[starts, s.size])
    return s[starts], lengths, starts


# --------------------------------------------------------------- correlation (kernels/correlate.py)
def hist_half_open(x, edges):
    """Counts of ``x`` in ``[edges[k], edges[k+1])`` by binary search (no closed last bin); used by the twins below."""
    i = np.searchsorted(edges, x, side="right") - 1
    ok = (i >= 0) & (i < len(edges) - 1)
    return np.bincount(i[ok], minlength=len(edges) - 1)


def correlate_linear(t, det, a, b, off_a, off_b, bin_ticks, n_half):
    """Twin of ``tttr.kernels.correlate.correlate_linear``.

    All A→B lags by ``np.subtract.outer``, binned on k·bin.
    """
    lags = np.subtract.outer(t[det == b] + off_b, t[det == a] + off_a).ravel()
    edges = (np.arange(-n_half, n_half + 2) - 0.5) * bin_ticks  # half-integers: exact in float64
    return hist_half_open(lags.astype(np.float64), edges)


def fine_times(time_base, ts, nt):
    """Twin of the fine-time rule of ``tttr.kernels.correlate.stage_photons``.

    Notes
    -----
    Written independently of the kernel: numpy on the published integer rule
    ``n·P_int + dt·R_int + ((n·P_frac + dt·R_frac + 2**19) >> 20)`` (20 fraction bits);
    ``time_base`` is ``tttr.analysis.g2.fine_time_base(info)``.
    """
    tb = time_base
    ts = ts.astype(np.int64)
    if not tb.use_nanotimes:
        return ts * tb.p_int + ((ts * tb.p_frac + 2**19) >> 20)
    dt = nt.astype(np.int64)
    return ts * tb.p_int + dt * tb.r_int + ((ts * tb.p_frac + dt * tb.r_frac + 2**19) >> 20)


def on_state_keep(timestamps, on_mask, bin_ticks, origin_ticks):
    """Twin of the ON-state gate of ``tttr.kernels.correlate.stage_photons``: True for photons of ON bins.

    Notes
    -----
    Bin ``k`` is ``[origin + k·bin_ticks, origin + (k+1)·bin_ticks)``; photons before bin 0 or
    after the last bin are OFF.
    """
    k = (timestamps - origin_ticks) // bin_ticks
    return (timestamps >= origin_ticks) & (k < on_mask.size) & on_mask[np.clip(k, 0, on_mask.size - 1)]


# --------------------------------------------------------------- decay histograms (kernels/decay.py)
def accumulate_decay(det, nt, shape):
    """Twin of ``tttr.kernels.decay.accumulate_decay`` by ``np.add.at``: histogram and overflow count."""
    h = np.zeros(shape, np.int64)
    ok = (det.astype(np.int64) < shape[0]) & (nt.astype(np.int64) < shape[1])
    np.add.at(h, (det[ok].astype(np.int64), nt[ok].astype(np.int64)), 1)
    return h, int((~ok).sum())


def accumulate_decay_gated(det, nt, bin_index, gate, shape):
    """Twin of ``tttr.kernels.decay.accumulate_decay_gated``: the decay of the photons of gated-on bins."""
    inside = (bin_index >= 0) & (bin_index < gate.size)
    sel = np.zeros(det.size, bool)
    sel[inside] = gate[bin_index[inside]]
    return accumulate_decay(det[sel], nt[sel], shape)


# --------------------------------------------------------------- binning (kernels/binning.py)
def binned_accumulation(ts, det, nt, *, bin_ticks, n_full, sel_dets, shift, t0, window, rebin, lw, cube_shape,
                        period=0):
    """Twin of ``tttr.kernels.binning.accumulate_bins``: all that ``BinnedAccumulator`` accumulates, in numpy."""
    b = ts // bin_ticks
    keep = b < n_full
    ts, det, b = ts[keep], det[keep], b[keep]
    counts = np.zeros((n_full, 4), np.int64)
    np.add.at(counts, (b, det), 1)
    sel = np.isin(det, sel_dets)
    inten = np.bincount(b[sel], minlength=n_full)
    out = {"counts": counts}
    if nt is None:
        return out
    nt = nt[keep].astype(np.int64)
    a = nt + shift[det]
    if period:
        a = a % period
    level = np.minimum(inten[b] // lw, cube_shape[0] - 1)
    col = np.clip(a // rebin, 0, cube_shape[1] - 1)
    cube = np.zeros(cube_shape, np.int64)
    np.add.at(cube, (level[sel], col[sel]), 1)
    delay = a - t0
    w = sel & (delay >= 0) & (delay < window)
    out.update(cube=cube, n_win=np.bincount(b[w], minlength=n_full),
               sum_delay=np.bincount(b[w], weights=delay[w], minlength=n_full).astype(np.int64))
    return out


# --------------------------------------------------------------- simulator (kernels/simulate.py)
def event_pulses(seg_end_pulse, seg_p, uniforms, stop, k=0, j=0, pending=-1):
    """Twin of ``tttr.kernels.simulate.event_pulses``.

    Geometric gap skipping in Python (same draws, same rule).
    """
    out_p, out_k, used = [], [], 0
    while True:
        if pending < 0:
            if j >= stop or k >= len(seg_end_pulse):
                break
            end = int(seg_end_pulse[k])
            if end <= j:
                k += 1
                continue
            p = float(seg_p[k])
            if p <= 0:
                j, k = end, k + 1
                continue
            if used >= len(uniforms):
                break
            u = 1.0 - float(uniforms[used])
            used += 1
            gap = 0 if p >= 1 else math.floor(math.log(u) / math.log1p(-p))
            if gap >= end - j:
                j, k = end, k + 1
                continue
            pending = j + gap
        if pending >= stop:
            break
        out_p.append(pending)
        out_k.append(k)
        j, pending = pending + 1, -1
    return np.array(out_p, np.int64), np.array(out_k, np.int64), used, (k, j, pending)


def cw_detection_times(seg_end_s, r1, r2, exps, stop):
    """Twin of ``tttr.kernels.simulate.cw_detection_times``.

    Renewal process restarted at segment ends, in Python.
    """
    out_t, out_k, used, k, t = [], [], 0, 0, 0.0
    while k < len(seg_end_s) and t < stop:
        end = seg_end_s[k]
        if end <= t:
            k += 1
            continue
        if r2[k] <= 0:
            t, k = end, k + 1
            continue
        cand = t + exps[used] / r1[k] + exps[used + 1] / r2[k]
        used += 2
        if cand >= end:
            t, k = end, k + 1
            continue
        if cand >= stop:
            break
        out_t.append(cand)
        out_k.append(k)
        t = cand
    return np.array(out_t), np.array(out_k, np.int64), used


def dead_time_keep(t_s, det, dead_s):
    """Twin of ``tttr.kernels.simulate.dead_time_keep``.

    Recorded unless within the dead time of the last recorded photon.
    """
    last = {}
    keep = np.zeros(len(t_s), bool)
    for i, (t, d) in enumerate(zip(t_s, det)):
        if d in last and t - last[d] < dead_s[d]:
            continue
        keep[i] = True
        last[d] = t
    return keep


def segment_bins(start, end, state, lo, hi, edges, weights):
    """Twin of ``tttr.kernels.simulate.accumulate_bins``: dense segment x bin overlap matrix, no loops."""
    a = np.maximum(start, lo)[:, None]
    e = np.minimum(end, hi)[:, None]
    ov = np.clip(np.minimum(e, edges[None, 1:]) - np.maximum(a, edges[None, :-1]), 0, None)
    out = ov.T @ weights[state]
    totals = np.bincount(state, np.clip(np.minimum(end, hi) - np.maximum(start, lo), 0, None),
                         minlength=weights.shape[0])
    return out, totals


# --------------------------------------------------------------- B&H SPC records (io/_spc_records.py)
def decode_spc130(records, state):
    """Twin of ``tttr.io._spc_records.decode_spc130``: one record at a time, straight from B&H's table."""
    ofl, nov, nbad, ngap = (int(x) for x in state)
    ts, det, nt, mts, mb = [], [], [], [], []
    for r in (int(x) for x in records):
        invalid, mtov, gap, mark = (r >> 31) & 1, (r >> 30) & 1, (r >> 29) & 1, (r >> 28) & 1
        ngap += gap
        if invalid and mtov and not mark:
            ofl += 4096 * (r & 0x0FFFFFFF)
            nov += 1
            continue
        ofl += 4096 * mtov
        if invalid and mark:
            mts.append(ofl + (r & 0xFFF))
            mb.append((r >> 12) & 0xF)
        elif invalid or mark:
            nbad += 1
        else:
            ts.append(ofl + (r & 0xFFF))
            det.append((r >> 12) & 0xF)
            nt.append(4095 - ((r >> 16) & 0xFFF))
    state[:] = [ofl, nov, nbad, ngap]
    return ts, det, nt, mts, mb


def decode_spc600_256(records, state):
    """Twin of ``tttr.io._spc_records.decode_spc600_256`` (SPC-600/630, 256 channels), in Python."""
    ofl, nov, nbad, ngap = (int(x) for x in state)
    ts, det, nt = [], [], []
    for r in (int(x) for x in records):
        invalid, mtov, gap = (r >> 31) & 1, (r >> 30) & 1, (r >> 29) & 1
        ngap += gap
        if invalid and mtov:
            ofl += (1 << 17) * (r & 0x0FFFFFFF)
            nov += 1
        elif invalid:
            nbad += 1
        else:
            ofl += (1 << 17) * mtov
            ts.append(ofl + ((r >> 8) & 0x1FFFF))
            det.append((r >> 25) & 7)
            nt.append(255 - (r & 0xFF))
    state[:] = [ofl, nov, nbad, ngap]
    return ts, det, nt, [], []


def decode_spc600_4096(records, state):
    """Twin of ``tttr.io._spc_records.decode_spc600_4096`` (48-bit records): every MTOV adds 2**24."""
    ofl, nov, nbad, ngap = (int(x) for x in state)
    ts, det, nt = [], [], []
    for w0, w1, w2 in records.tolist():
        ngap += (w0 >> 14) & 1
        ofl += (1 << 24) * ((w0 >> 13) & 1)
        if (w0 >> 12) & 1:
            nbad += 1
            continue
        ts.append(ofl + ((w1 & 0xFF) << 16 | w2))
        det.append(w1 >> 8)
        nt.append(4095 - (w0 & 0xFFF))
    state[:] = [ofl, nov, nbad, ngap]
    return ts, det, nt, [], []
