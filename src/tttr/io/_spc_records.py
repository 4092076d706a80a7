"""numba decoders of the Becker & Hickl SPC FIFO photon records.

Layouts, from B&H's ``SPC_data_file_structure.h`` (section ".spc files structure", shipped
with the SPCM software) and the "FIFO files" chapter of *The bh TCSPC Handbook*; bits are
numbered from the least significant:

==============================  ======  ===========================================================
layout                          bytes   fields
==============================  ======  ===========================================================
``SPC-130`` (SPC-130/132/134/   4       MT[11:0] 0-11, ROUT[3:0] 12-15, ADC[11:0] 16-27, MARK 28,
140/150/160/830)                        GAP 29, MTOV 30, INVALID 31
``SPC-600_256`` (SPC-600/630,   4       ADC[7:0] 0-7, MT[16:0] 8-24, ROUT[2:0] 25-27, (0) 28,
256-channel mode)                       GAP 29, MTOV 30, INVALID 31
``SPC-600_4096`` (SPC-600/630,  6       three little-endian 16-bit words: w0 = ADC[11:0] 0-11,
4096-channel mode)                      INVALID 12, MTOV 13, GAP 14; w1 = MT[23:16] 0-7,
                                        ROUT[7:0] 8-15; w2 = MT[15:0]
==============================  ======  ===========================================================

Rules (same source):

* ``MTOV = 1`` on a photon or marker record adds one macro-timer period (2**12, 2**17 or
  2**24 ticks) *before* that record's macrotime is read.
* ``INVALID = 1, MTOV = 1`` (and, for SPC-130, ``MARK = 0``) in the 4-byte layouts is a
  *multiple-overflow entry*: bits 0-27 count the periods that passed without a photon.
  The 48-bit layout has no such entry; there every MTOV adds one period, invalid or not.
* ``INVALID = 1`` otherwise: not a photon (no routing/ADC information); dropped.
* SPC-130 markers: ``INVALID = 1, MARK = 1``; the routing nibble holds the marker bits
  (bit 0 pixel, 1 line, 2 frame, 3 user); the macrotime is valid.
* The ADC counts in reversed start-stop: the micro time is ``4095 - ADC`` (``255 - ADC``
  in 256-channel mode).

Every decoder takes the raw records and an int64 ``state`` array that it updates in place,
so consecutive calls on consecutive blocks of a file give the events of one call on the
whole file:

* ``state[0]``: overflow correction in macro-clock ticks added to every record's macrotime;
* ``state[1]``: multiple-overflow entries seen;
* ``state[2]``: records dropped as invalid (invalid photons, SPC-130 ``MARK`` without ``INVALID``);
* ``state[3]``: records carrying the GAP flag (FIFO overrun: photons may be missing before them).

Each writes photons into ``ts, det, nt`` and markers into ``mts, mbits`` (arrays at least as
long as ``records``) and returns ``(n_photons, n_markers)``. The SPC-600/630 layouts carry no
markers and always return ``n_markers = 0``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "SPC130_PERIOD", "SPC600_256_PERIOD", "SPC600_4096_PERIOD", "new_state",
    "decode_spc130", "decode_spc600_256", "decode_spc600_4096",
]

#: Macro-timer periods (ticks) of the three layouts: 12, 17 and 24 macrotime bits.
SPC130_PERIOD = 1 << 12
SPC600_256_PERIOD = 1 << 17
SPC600_4096_PERIOD = 1 << 24


def new_state() -> np.ndarray:
    """A fresh decoder state: ``[overflow_ticks, n_overflow_entries, n_invalid, n_gap]``."""
    return np.zeros(4, np.int64)


@njit(cache=True, nogil=True)
def decode_spc130(records, state, ts, det, nt, mts, mbits):
    ofl = state[0]
    nov = state[1]
    nbad = state[2]
    ngap = state[3]
    p = 0
    m = 0
    for i in range(records.shape[0]):
        r = np.int64(records[i])
        invalid = (r >> 31) & 1
        mtov = (r >> 30) & 1
        mark = (r >> 28) & 1
        if (r >> 29) & 1:
            ngap += 1
        if invalid and mtov and not mark:
            ofl += 4096 * (r & 0x0FFFFFFF)
            nov += 1
            continue
        if mtov:
            ofl += 4096
        if mark:
            if invalid:
                mts[m] = ofl + (r & 0xFFF)
                mbits[m] = (r >> 12) & 0xF
                m += 1
            else:  # MARK without INVALID is not a documented record
                nbad += 1
        elif invalid:
            nbad += 1
        else:
            ts[p] = ofl + (r & 0xFFF)
            det[p] = (r >> 12) & 0xF
            nt[p] = 4095 - ((r >> 16) & 0xFFF)
            p += 1
    state[0] = ofl
    state[1] = nov
    state[2] = nbad
    state[3] = ngap
    return p, m


@njit(cache=True, nogil=True)
def decode_spc600_256(records, state, ts, det, nt, mts, mbits):
    ofl = state[0]
    nov = state[1]
    nbad = state[2]
    ngap = state[3]
    p = 0
    for i in range(records.shape[0]):
        r = np.int64(records[i])
        invalid = (r >> 31) & 1
        mtov = (r >> 30) & 1
        if (r >> 29) & 1:
            ngap += 1
        if invalid and mtov:
            ofl += 131072 * (r & 0x0FFFFFFF)
            nov += 1
            continue
        if mtov:
            ofl += 131072
        if invalid:
            nbad += 1
            continue
        ts[p] = ofl + ((r >> 8) & 0x1FFFF)
        det[p] = (r >> 25) & 0x7
        nt[p] = 255 - (r & 0xFF)
        p += 1
    state[0] = ofl
    state[1] = nov
    state[2] = nbad
    state[3] = ngap
    return p, 0


@njit(cache=True, nogil=True)
def decode_spc600_4096(records, state, ts, det, nt, mts, mbits):
    # records: (n, 3) uint16, the three little-endian words of each 48-bit record
    ofl = state[0]
    nbad = state[2]
    ngap = state[3]
    p = 0
    for i in range(records.shape[0]):
        w0 = np.int64(records[i, 0])
        w1 = np.int64(records[i, 1])
        w2 = np.int64(records[i, 2])
        if (w0 >> 14) & 1:
            ngap += 1
        if (w0 >> 13) & 1:
            ofl += 16777216
        if (w0 >> 12) & 1:
            nbad += 1
            continue
        ts[p] = ofl + (((w1 & 0xFF) << 16) | w2)
        det[p] = (w1 >> 8) & 0xFF
        nt[p] = 4095 - (w0 & 0xFFF)
        p += 1
    state[0] = ofl
    state[2] = nbad
    state[3] = ngap
    return p, 0
