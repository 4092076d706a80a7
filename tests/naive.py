"""Slow, obviously correct numpy twins of the numba kernels (checked against them in tests)."""

from __future__ import annotations

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
