"""Text summaries for people: every number with its unit and its error, digits set by the error."""

from __future__ import annotations

import math

from .options import format_duration, for_the_command_line

DASH = "–"


def _finite(x) -> bool:
    return x is not None and isinstance(x, (int, float)) and math.isfinite(x)


def pm(value, err=None, unit: str = "", *, digits: int = 4) -> str:
    """``value ± err unit`` with the error to two significant digits and the value to the same place.

    Without a usable error the value gets ``digits`` significant digits; a missing value is a dash.
    """
    u = f" {unit}" if unit else ""
    if not _finite(value):
        return DASH
    if not _finite(err) or err <= 0:
        return f"{value:.{digits}g}{u}"
    place = 1 - int(math.floor(math.log10(err)))  # decimals that keep 2 significant digits of err
    if abs(value) >= 1e6 or (abs(value) < 1e-3 and value != 0 and err < 1e-3):
        exp = int(math.floor(math.log10(abs(value)))) if value else 0
        scale = 10.0 ** exp
        p = max(0, place + exp)
        return f"({value / scale:.{p}f} ± {err / scale:.{p}f})e{exp}{u}"
    if place <= 0:
        q = 10.0 ** (-place)
        return f"{round(value / q) * q:.0f} ± {round(err / q) * q:.0f}{u}"
    return f"{value:.{place}f} ± {err:.{place}f}{u}"


def seconds(x) -> str:
    return DASH if not _finite(x) else format_duration(x)


def power_law_line(state: str, pure: dict, truncated: dict | None, *, n_total: int | None = None) -> str:
    """One line per state: the pure and truncated power laws and which one the data prefer."""
    head = f"{state.upper():3s} dwells"
    if n_total is not None:
        head += f" ({n_total:,})"
    alpha = pure.get("alpha")
    if not _finite(alpha):
        why = pure.get("warning") or "no fit"
        return f"{head}: power law not fitted ({for_the_command_line(str(why))})"
    n = pure.get("n")
    line = (f"{head}: α = {pm(alpha, pure.get('alpha_err'))} from {n:,} dwells ≥ t_min {seconds(pure.get('t_min_s'))}"
            if n is not None else f"{head}: α = {pm(alpha, pure.get('alpha_err'))}")
    gof = pure.get("p_value")
    if _finite(gof):
        line += f", goodness-of-fit p = {gof:.2g}"
    if truncated and _finite(truncated.get("alpha")):
        line += (f"; truncated α = {pm(truncated['alpha'], truncated.get('alpha_err'))}, "
                 f"τc = {pm(truncated.get('tau_c_s'), truncated.get('tau_c_err_s'), 's')}")
        pref, p = truncated.get("preferred"), truncated.get("p_value")
        if pref:
            name = "truncated" if pref == "truncated" else "pure"
            line += f" → {name} law preferred" + (f" (likelihood ratio p = {p:.2g})" if _finite(p) else "")
    return line
