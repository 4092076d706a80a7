"""numba decoders and encoders of the PicoQuant 32-bit TTTR records.

Layouts (bits from the most significant; PicoQuant "TTTR record" appendix):

=============================  ==========================================  =================
family                         layout                                      wrap (ticks)
=============================  ==========================================  =================
PicoHarp 300 T3 (and .pt3)     channel:4 | dtime:12 | nsync:16             65 536
PicoHarp 300 T2 (and .pt2)     channel:4 | timetag:28                      210 698 240
HydraHarp/TimeHarp260/Generic  special:1 | channel:6 | dtime:15 | nsync:10  1 024
T3 (and .ht3)
HydraHarp/TimeHarp260/Generic  special:1 | channel:6 | timetag:25          33 552 000 (HH V1),
T2 (and .ht2)                                                              2**25 otherwise
=============================  ==========================================  =================

Overflow records: PicoHarp ``channel == 15`` with zero marker bits (one wrap each);
HydraHarp-family ``special == 1, channel == 63``: one wrap each in V1, otherwise the low
field holds the number of wraps, 0 meaning 1. ``special == 1, channel == 1..15`` are markers;
in T2 ``special == 1, channel == 0`` is a laser sync event.

Every decoder takes the raw records and a small int64 ``state`` array that it updates in
place, so consecutive calls on consecutive blocks of one file give the same events as one
call on the whole file:

* ``state[0]``: overflow correction in ticks, added to every event's time field;
* ``state[1]``: overflow records seen;
* ``state[2]``: records that are neither photon, marker, sync nor overflow (skipped).

Each writes photons into ``ts, det[, nt]``, markers into ``mts, mbits`` and (T2) sync events
into ``sts``, arrays at least as long as ``records``; it returns the counts written.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "PH_T3_WRAP", "PH_T2_WRAP", "HH_T3_WRAP", "HH_V1_T2_WRAP", "HH_T2_WRAP",
    "new_state", "decode_picoharp_t3", "decode_picoharp_t2", "decode_hydraharp_t3",
    "decode_hydraharp_t2", "encode_picoharp_t3", "encode_picoharp_t2",
    "encode_hydraharp_t3", "encode_hydraharp_t2", "KIND_PHOTON", "KIND_MARKER", "KIND_SYNC",
]

PH_T3_WRAP = 65536
PH_T2_WRAP = 210698240
HH_T3_WRAP = 1024
HH_V1_T2_WRAP = 33552000
HH_T2_WRAP = 33554432

KIND_PHOTON = 0
KIND_MARKER = 1
KIND_SYNC = 2


def new_state() -> np.ndarray:
    """A fresh decoder/encoder state: ``[overflow_ticks, n_overflow_records, n_invalid]``."""
    return np.zeros(3, np.int64)


# ----------------------------------------------------------------------------- decoders
@njit(cache=True, nogil=True)
def decode_picoharp_t3(records, state, ts, det, nt, mts, mbits):
    ofl = state[0]
    novf = state[1]
    nbad = state[2]
    p = 0
    m = 0
    for i in range(records.shape[0]):
        r = np.int64(records[i])
        ch = (r >> 28) & 0xF
        dtime = (r >> 16) & 0xFFF
        nsync = r & 0xFFFF
        if ch == 15:
            if dtime == 0:
                ofl += 65536
                novf += 1
            else:
                mts[m] = ofl + nsync
                mbits[m] = dtime & 0xF
                m += 1
        elif ch >= 1 and ch <= 4:
            ts[p] = ofl + nsync
            det[p] = ch - 1
            nt[p] = dtime
            p += 1
        else:
            nbad += 1
    state[0] = ofl
    state[1] = novf
    state[2] = nbad
    return p, m


@njit(cache=True, nogil=True)
def decode_picoharp_t2(records, state, ts, det, mts, mbits):
    ofl = state[0]
    novf = state[1]
    p = 0
    m = 0
    for i in range(records.shape[0]):
        r = np.int64(records[i])
        ch = (r >> 28) & 0xF
        tt = r & 0x0FFFFFFF
        if ch == 15:
            bits = r & 0xF
            if bits == 0:
                ofl += 210698240
                novf += 1
            else:
                mts[m] = ofl + tt
                mbits[m] = bits
                m += 1
        else:
            ts[p] = ofl + tt
            det[p] = ch
            p += 1
    state[0] = ofl
    state[1] = novf
    return p, m


@njit(cache=True, nogil=True)
def decode_hydraharp_t3(records, v1, state, ts, det, nt, mts, mbits):
    ofl = state[0]
    novf = state[1]
    nbad = state[2]
    p = 0
    m = 0
    for i in range(records.shape[0]):
        r = np.int64(records[i])
        nsync = r & 0x3FF
        ch = (r >> 25) & 0x3F
        if (r >> 31) & 1:
            if ch == 63:
                if v1 or nsync == 0:
                    ofl += 1024
                else:
                    ofl += 1024 * nsync
                novf += 1
            elif ch >= 1 and ch <= 15:
                mts[m] = ofl + nsync
                mbits[m] = ch
                m += 1
            else:
                nbad += 1
        else:
            ts[p] = ofl + nsync
            det[p] = ch
            nt[p] = (r >> 10) & 0x7FFF
            p += 1
    state[0] = ofl
    state[1] = novf
    state[2] = nbad
    return p, m


@njit(cache=True, nogil=True)
def decode_hydraharp_t2(records, v1, state, ts, det, mts, mbits, sts):
    ofl = state[0]
    novf = state[1]
    nbad = state[2]
    p = 0
    m = 0
    s = 0
    for i in range(records.shape[0]):
        r = np.int64(records[i])
        tt = r & 0x1FFFFFF
        ch = (r >> 25) & 0x3F
        if (r >> 31) & 1:
            if ch == 63:
                if v1:
                    ofl += 33552000
                elif tt == 0:
                    ofl += 33554432
                else:
                    ofl += 33554432 * tt
                novf += 1
            elif ch == 0:
                sts[s] = ofl + tt
                s += 1
            elif ch <= 15:
                mts[m] = ofl + tt
                mbits[m] = ch
                m += 1
            else:
                nbad += 1
        else:
            ts[p] = ofl + tt
            det[p] = ch
            p += 1
    state[0] = ofl
    state[1] = novf
    state[2] = nbad
    return p, m, s


# ----------------------------------------------------------------------------- encoders
# Events to encode are given as parallel arrays sorted by time: ``ts`` (int64 ticks),
# ``kind`` (KIND_PHOTON, KIND_MARKER, KIND_SYNC), ``chan`` (0-based detector, or marker
# bits) and ``dtime`` (T3 microtime). ``state[0]`` is the overflow base already written.
# Each encoder has a counting twin that returns how many records it will write.


@njit(cache=True)
def _wraps_needed(ts, base, wrap):
    """Whole wraps between ``base`` and the last event (events must be sorted)."""
    if ts.shape[0] == 0:
        return np.int64(0)
    return (ts[ts.shape[0] - 1] - base) // wrap


@njit(cache=True)
def _count_single_wrap(ts, base, wrap):
    # one wrap per overflow record
    return ts.shape[0] + _wraps_needed(ts, base, wrap)


@njit(cache=True)
def _count_multi_wrap(ts, base, wrap, max_count):
    n = ts.shape[0]
    b = base
    for i in range(ts.shape[0]):
        w = (ts[i] - b) // wrap
        if w > 0:
            n += (w + max_count - 1) // max_count
            b += w * wrap
    return n


@njit(cache=True)
def encode_picoharp_t3(ts, kind, chan, dtime, state, out):
    base = state[0]
    k = 0
    for i in range(ts.shape[0]):
        while ts[i] - base >= 65536:
            out[k] = np.uint32(0xF0000000)
            k += 1
            base += 65536
        low = ts[i] - base
        if kind[i] == 1:
            out[k] = np.uint32((15 << 28) | ((chan[i] & 0xF) << 16) | low)
        else:
            out[k] = np.uint32(((chan[i] + 1) << 28) | ((dtime[i] & 0xFFF) << 16) | low)
        k += 1
    state[0] = base
    return k


@njit(cache=True)
def encode_picoharp_t2(ts, kind, chan, state, out):
    base = state[0]
    k = 0
    for i in range(ts.shape[0]):
        while ts[i] - base >= 210698240:
            out[k] = np.uint32(0xF0000000)
            k += 1
            base += 210698240
        low = ts[i] - base
        if kind[i] == 1:
            # the low 4 bits of a marker record carry the marker bits, not time
            out[k] = np.uint32((15 << 28) | (low & 0x0FFFFFF0) | (chan[i] & 0xF))
        else:
            out[k] = np.uint32((chan[i] << 28) | low)
        k += 1
    state[0] = base
    return k


@njit(cache=True)
def encode_hydraharp_t3(ts, kind, chan, dtime, v1, state, out):
    base = state[0]
    k = 0
    for i in range(ts.shape[0]):
        w = (ts[i] - base) // 1024
        while w > 0:
            if v1:
                c = 1
            else:
                c = min(w, 1023)
            out[k] = np.uint32((1 << 31) | (63 << 25) | (c if not v1 else 0))
            k += 1
            base += c * 1024
            w -= c
        low = ts[i] - base
        if kind[i] == 1:
            out[k] = np.uint32((1 << 31) | ((chan[i] & 0xF) << 25) | low)
        else:
            out[k] = np.uint32(((chan[i] & 0x3F) << 25) | ((dtime[i] & 0x7FFF) << 10) | low)
        k += 1
    state[0] = base
    return k


@njit(cache=True)
def encode_hydraharp_t2(ts, kind, chan, v1, state, out):
    base = state[0]
    wrap = 33552000 if v1 else 33554432
    k = 0
    for i in range(ts.shape[0]):
        w = (ts[i] - base) // wrap
        while w > 0:
            if v1:
                c = 1
            else:
                c = min(w, 33554431)
            out[k] = np.uint32((1 << 31) | (63 << 25) | (c if not v1 else 0))
            k += 1
            base += c * wrap
            w -= c
        low = ts[i] - base
        if kind[i] == 1:
            out[k] = np.uint32((1 << 31) | ((chan[i] & 0xF) << 25) | low)
        elif kind[i] == 2:
            out[k] = np.uint32((1 << 31) | low)
        else:
            out[k] = np.uint32(((chan[i] & 0x3F) << 25) | low)
        k += 1
    state[0] = base
    return k


def records_needed(family: str, ts: np.ndarray, base: int, v1: bool = False) -> int:
    """Number of records the encoder of ``family`` writes for events ``ts`` after ``base``."""
    ts = np.ascontiguousarray(ts, np.int64)
    base = np.int64(base)
    if family == "picoharp_t3":
        return int(_count_single_wrap(ts, base, np.int64(PH_T3_WRAP)))
    if family == "picoharp_t2":
        return int(_count_single_wrap(ts, base, np.int64(PH_T2_WRAP)))
    if family == "hydraharp_t3":
        if v1:
            return int(_count_single_wrap(ts, base, np.int64(HH_T3_WRAP)))
        return int(_count_multi_wrap(ts, base, np.int64(HH_T3_WRAP), np.int64(1023)))
    if family == "hydraharp_t2":
        if v1:
            return int(_count_single_wrap(ts, base, np.int64(HH_V1_T2_WRAP)))
        return int(_count_multi_wrap(ts, base, np.int64(HH_T2_WRAP), np.int64(33554431)))
    raise ValueError(f"unknown record family {family!r}")
