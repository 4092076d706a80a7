"""Plausibility limits of header numbers, and their one check.

A header number that no instrument can produce (NaN, an infinity, zero, a negative or a
denormal resolution, a sync rate of a terahertz) is a corrupt or mislabelled file. Each
reader passes the raw fields it computes with through :func:`header_number` (naming the
vendor's field), and every :class:`~tttr.io.events.StreamInfo` is checked once more by
:func:`check_stream_info` when it is built, whatever the format.

The limits (Notes of :func:`check_stream_info`) are wide: they only exclude values that
no time-tagger of any vendor can produce, so a real file never trips them.
"""

from __future__ import annotations

import math
import numbers

from ..errors import FormatError

__all__ = ["LIMITS", "header_number", "check_stream_info"]

_SYNC_PERIOD_FORMATS = ("PTU", "PT3", "HT3", "PT2", "HT2")

#: (lowest, highest) accepted for each normalised quantity.
#: Time-tag and TCSPC resolutions: the finest commercial bin is 1 ps (HydraHarp/MultiHarp,
#: 5 ps; Swabian 1 ps; some 0.1 ps modes): 1e-15 s leaves three decades. The coarsest tick
#: of any export is 1 us; 10 s is allowed for odd columnar units.
#: T3 sync period = 1 / laser rate: pulsed lasers run from ~1 Hz (single-shot) to a few GHz;
#: 1e-10 s (10 GHz) is the shortest period accepted.
#: TCSPC bins per period: 2**20 (1 us at 1 ps) is far above any device's 2**15-2**16 range.
#: Acquisition time: up to 1e7 s (115 days).
#: PicoQuant T2 tag resolution: 1 ps (HydraHarp) to 250 ps (TimeHarp 260 P); 0.1 ps to 1 us.
LIMITS = {
    "timestamps_unit_s": (1e-15, 10.0),
    "t3_sync_period_s": (1e-10, 10.0),
    "nanotimes_unit_s": (1e-15, 1e-5),
    "sync_rate_hz": (0.1, 1e10),
    "tcspc_num_bins": (1, 1 << 20),
    "acquisition_time_s": (0.0, 1e7),
    "picoquant_t2_resolution_s": (1e-13, 1e-6),
}


def header_number(path, field: str, value, lo: float, hi: float, unit: str = "") -> float:
    """``value`` as a float if it is a finite number in ``[lo, hi]``; else a FormatError.

    Parameters
    ----------
    path : path of the file (named in the error)
    field : str
        The header field, as the vendor names it.
    value : object
        The raw value.
    lo, hi : float
        Accepted range (inclusive).
    unit : str
        Unit shown in the message.
    """
    try:
        v = float(value)
    except (TypeError, ValueError, OverflowError):
        raise FormatError(path, f"header field {field} is not a number ({value!r})") from None
    if not math.isfinite(v) or not (lo <= v <= hi):
        u = f" {unit}" if unit else ""
        raise FormatError(path, f"header field {field} = {v!r}{u} is impossible for a time-tagger "
                                f"(accepted: {lo:g} to {hi:g}{u}); the file is corrupt or mislabelled")
    return v


def check_stream_info(info) -> None:
    """Raise FormatError if a number of ``info`` is outside :data:`LIMITS`.

    Notes
    -----
    * In the PicoQuant formats ``timestamps_unit_s`` in T3 is the sync period, so it must
      also be a plausible laser period (``t3_sync_period_s``); a T2 file relabelled T3
      (1 ps "period", 1 THz) fails here. Other formats' T3 macrotime units are clocks, not
      periods, and only get the ``timestamps_unit_s`` range.
    * ``sync_rate_hz`` may be None (unknown) but not zero or negative; T2 headers that store
      0 for "unknown" are mapped to None by their reader.
    """
    p = info.path
    lo, hi = LIMITS["timestamps_unit_s"]
    header_number(p, "timestamps_unit_s", info.timestamps_unit_s, lo, hi, "s")
    if info.mode not in ("T2", "T3"):
        raise FormatError(p, f"mode {info.mode!r} is neither T2 nor T3")
    if info.mode == "T3":
        if info.format in _SYNC_PERIOD_FORMATS:
            lo, hi = LIMITS["t3_sync_period_s"]
            header_number(p, "sync period (T3 timestamps_unit_s)", info.timestamps_unit_s, lo, hi, "s")
        if info.nanotimes_unit_s is not None:
            lo, hi = LIMITS["nanotimes_unit_s"]
            header_number(p, "nanotimes_unit_s", info.nanotimes_unit_s, lo, hi, "s")
    if info.sync_rate_hz is not None:
        lo, hi = LIMITS["sync_rate_hz"]
        header_number(p, "sync_rate_hz", info.sync_rate_hz, lo, hi, "Hz")
    if info.tcspc_num_bins is not None:
        lo, hi = LIMITS["tcspc_num_bins"]
        header_number(p, "TCSPC bins per period", info.tcspc_num_bins, lo, hi)
    if info.acquisition_time_s is not None:
        lo, hi = LIMITS["acquisition_time_s"]
        header_number(p, "acquisition_time_s", info.acquisition_time_s, lo, hi, "s")
    if not isinstance(info.n_records, numbers.Integral) or info.n_records < -1:  # -1: not known (simulations)
        raise FormatError(p, f"record count {info.n_records!r} is not a count")
