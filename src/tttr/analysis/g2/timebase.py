"""How absolute photon times are formed for pair counting: the fine time base of a stream.

T2 timestamps, or T3 ``(nsync, dtime)`` combined in integer fixed point (science.md §6).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ... import defaults
from ...io.events import StreamInfo
from ...kernels import correlate as _k

__all__ = ["TimeBase", "fine_time_base"]

#: T3 period / nanotime unit ratios closer than this to an integer count as an integer (tttr.defaults).
_INTEGER_RATIO_TOL = defaults.G2_INTEGER_RATIO_TOL
#: Fine unit of T3 streams whose period is not a whole number of nanotime ticks: 1 ps.
_PS = 1e-12
_ONE = 1 << _k.FRAC_BITS
#: Keep every intermediate of the fine-time arithmetic below 2**62.
_INT_LIMIT = 1 << 62


@dataclass(frozen=True)
class TimeBase:
    """How absolute photon times are formed, in integer ticks of a common fine unit.

    The fine time of a photon with file timestamp ``ts`` and nanotime ``dt`` is
    ``ts·p_int + dt·r_int + ((ts·p_frac + dt·r_frac + 2**19) >> 20)`` (int64).

    Attributes
    ----------
    fine_unit_s : float
        Seconds per fine tick.
    p_int, p_frac : int
        One timestamp tick (T3: the sync period) in fine ticks, ``p_int + p_frac / 2**20``.
    r_int, r_frac : int
        One nanotime tick in fine ticks (0 when nanotimes are not used).
    use_nanotimes : bool
    period_s : float or None
        The laser period if known (T3, or the header's sync rate).
    description : str
        One line saying which of the rules of :func:`fine_time_base` applied.
    max_timestamp : int
        Largest file timestamp the arithmetic handles without int64 overflow.
    """

    fine_unit_s: float
    p_int: int
    p_frac: int
    r_int: int
    r_frac: int
    use_nanotimes: bool
    period_s: float | None
    description: str
    max_timestamp: int

    def fine(self, timestamps, nanotimes=None) -> np.ndarray:
        """Fine times of photons (numpy; the kernels compute the same integers)."""
        ts = np.asarray(timestamps, np.int64)
        acc = ts * self.p_int
        frac = ts * self.p_frac
        if self.use_nanotimes and nanotimes is not None:
            dt = np.asarray(nanotimes).astype(np.int64)
            acc = acc + dt * self.r_int
            frac = frac + dt * self.r_frac
        return acc + ((frac + (_ONE >> 1)) >> _k.FRAC_BITS)


def _fixed(x: float) -> tuple[int, int]:
    """``x`` as integer part and 20-bit fraction, rounded to the nearest 2**-20."""
    total = int(round(x * _ONE))
    return total >> _k.FRAC_BITS, total & (_ONE - 1)


def fine_time_base(info: StreamInfo) -> TimeBase:
    """Choose the fine time unit of a stream and the integer arithmetic that reaches it.

    Parameters
    ----------
    info : StreamInfo

    Returns
    -------
    TimeBase

    Notes
    -----
    * **T2**: the fine unit is the timestamp unit; the fine time is the timestamp.
    * **T3** (science.md §6: absolute time ``nsync·period + dtime·resolution``), period =
      ``timestamps_unit_s``:

      - if the period is a whole number K of nanotime ticks (within 1e-6 of an integer),
        the fine unit is the nanotime unit and the fine time is ``nsync·K + dtime``, exact;
      - otherwise (the usual case: the period comes from a measured sync rate), the fine
        unit is 1 ps and period and resolution are written in ps as fixed-point numbers
        with 20 fraction bits; the fine time is rounded to the nearest ps. The period is
        then represented to 5e-7 ps, so the lag between two photons ``n`` periods apart is
        off by at most ``n·5e-7 + 1`` ps (1 ps at lags of microseconds, 40 ps at 1 s at
        80 MHz: far below any bin). Timestamps stay int64 throughout.
      - if the nanotime unit is unknown (Becker & Hickl SPC without its ``.set`` file),
        only the macrotimes are used and the fine unit is the timestamp unit.
    * The fixed-point products stay below 2**62 up to ``max_timestamp`` syncs (about 2**42,
      15 hours at 80 MHz); later timestamps raise :class:`~tttr.errors.AnalysisError`.
    """
    unit = float(info.timestamps_unit_s)
    period = None
    if info.sync_rate_hz:
        period = 1.0 / float(info.sync_rate_hz)
    if info.mode == "T2":
        return TimeBase(unit, 1, 0, 0, 0, False, period, "T2: fine unit = timestamp unit", _INT_LIMIT)
    res = info.nanotimes_unit_s
    if not res:
        return TimeBase(unit, 1, 0, 0, 0, False, period,
                        "T3 without a nanotime unit: macrotimes only (fine unit = timestamp unit)", _INT_LIMIT)
    period = unit
    ratio = unit / float(res)
    k = round(ratio)
    if k >= 1 and abs(ratio - k) <= _INTEGER_RATIO_TOL:
        return TimeBase(float(res), int(k), 0, 1, 0, True, period,
                        f"T3: fine unit = nanotime unit, period = {k} ticks (exact)", _INT_LIMIT // max(int(k), 1))
    p_int, p_frac = _fixed(unit / _PS)
    r_int, r_frac = _fixed(float(res) / _PS)
    max_ts = min(_INT_LIMIT // max(p_frac, 1), _INT_LIMIT // max(p_int, 1))
    return TimeBase(_PS, p_int, p_frac, r_int, r_frac, True, period,
                    f"T3: fine unit = 1 ps, period = {unit / _PS:.6f} ps and resolution = {res / _PS:.6f} ps "
                    "in 20-bit fixed point, times rounded to the ps", max_ts)
