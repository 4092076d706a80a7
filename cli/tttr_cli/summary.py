"""Text summaries for people: every number with its unit and its error, digits set by the error."""

from __future__ import annotations

from tttr.text import DASH, format_duration, is_number, pm

from .options import for_the_command_line

__all__ = ["DASH", "pm", "power_law_line", "seconds"]


def seconds(x) -> str:
    return DASH if not is_number(x) else format_duration(x)


def power_law_line(state: str, pure: dict, truncated: dict | None, *, n_total: int | None = None) -> str:
    """One line per state: the pure and truncated power laws and which one the data prefer."""
    head = f"{state.upper():3s} dwells"
    if n_total is not None:
        head += f" ({n_total:,})"
    alpha = pure.get("alpha")
    if not is_number(alpha):
        why = pure.get("warning") or "no fit"
        return f"{head}: power law not fitted ({for_the_command_line(str(why))})"
    n = pure.get("n")
    line = (f"{head}: α = {pm(alpha, pure.get('alpha_err'))} ({n:,} ≥ {seconds(pure.get('t_min_s'))})"
            if n is not None else f"{head}: α = {pm(alpha, pure.get('alpha_err'))}")
    gof = pure.get("p_value")
    if is_number(gof):
        line += f", fit p = {gof:.2g}"
    if truncated and is_number(truncated.get("alpha")):
        line += (f"; truncated α = {pm(truncated['alpha'], truncated.get('alpha_err'))}, "
                 f"τc = {pm(truncated.get('tau_c_s'), truncated.get('tau_c_err_s'), 's')}")
        pref, p = truncated.get("preferred"), truncated.get("p_value")
        if pref:
            name = "truncated" if pref == "truncated" else "pure"
            line += f"; {name} preferred" + (f" (LR p = {p:.2g})" if is_number(p) else "")
    return line
