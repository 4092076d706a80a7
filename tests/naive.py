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
