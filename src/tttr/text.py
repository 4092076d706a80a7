"""Numbers for people: a value with its error and unit, and durations with their unit.

Used by the command line's summaries and the HTML reports, so that one number reads the same
everywhere.
"""

from __future__ import annotations

import math

__all__ = ["DASH", "pm", "format_duration", "is_number", "DURATION_UNITS"]

DASH = "–"

#: Seconds per unit of the durations people type (``10ms``, ``1us``).
DURATION_UNITS = {"ps": 1e-12, "ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0, "h": 3600.0}


def is_number(x) -> bool:
    """A finite real number (not a bool, not None, not NaN or inf)."""
    return x is not None and isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def pm(value, err=None, unit: str = "", *, digits: int = 4) -> str:
    """``value ± err unit``, the error to two significant digits and the value to the same place.

    Parameters
    ----------
    value, err : float or None
    unit : str
    digits : int
        Significant digits of a value without a usable error.

    Notes
    -----
    A missing or non-finite value is a dash; a value whose error is missing, zero or
    non-finite is given to ``digits`` significant digits. Large or tiny values with an error
    share one power of ten: ``(2.300 ± 0.040)e7``.
    """
    u = f" {unit}" if unit else ""
    if not is_number(value):
        return DASH
    if not is_number(err) or err <= 0:
        if isinstance(value, int):
            return f"{value:,}{u}"
        return f"{value:.{digits}g}{u}"
    place = 1 - int(math.floor(math.log10(err)))  # decimals that keep two significant digits of err
    if abs(value) >= 1e6 or (value != 0 and abs(value) < 1e-3 and err < 1e-3):
        exp = int(math.floor(math.log10(abs(value))))
        p = max(0, place + exp)
        return f"({value / 10.0 ** exp:.{p}f} ± {err / 10.0 ** exp:.{p}f})e{exp}{u}"
    if place <= 0:
        q = 10.0 ** (-place)
        return f"{round(value / q) * q:.0f} ± {round(err / q) * q:.0f}{u}"
    return f"{value:.{place}f} ± {err:.{place}f}{u}"


def format_duration(seconds: float) -> str:
    """The shortest unit spelling of ``seconds`` (``0.01`` -> ``"10ms"``), four significant digits."""
    if not is_number(seconds):
        return DASH
    for unit in ("h", "min", "s", "ms", "us", "ns", "ps"):
        v = seconds / DURATION_UNITS[unit]
        if abs(v) >= 1 or unit == "ps":
            return f"{v:.4g}{unit}"
    return f"{seconds:g}s"  # pragma: no cover
