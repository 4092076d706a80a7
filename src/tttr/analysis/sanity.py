"""Plausibility of fitted quantities against what the instrument can measure.

A fit always returns numbers; this module says when a number cannot be a measurement: a
lifetime shorter than the instrument response or longer than the laser period, a fit that
stopped on a bound of its parameter box, a dwell-time cut-off shorter than one trace bin or
longer than the measurement. Each check returns one-line warnings (empty list: nothing to
say), which :func:`tttr.pipeline.analyze` puts in the report's ``warnings``.
"""

from __future__ import annotations

import math

import numpy as np

from .. import defaults

__all__ = ["irf_width_ns", "lifetime_warnings", "beta_warnings", "power_law_warnings", "lifetime_range_ns"]


def irf_width_ns(decay) -> float:
    """Width of the instrument response estimated from the rise of the summed decay (ns).

    Parameters
    ----------
    decay : DecayHistogram

    Returns
    -------
    float
        The 10–90 % rise time of the background-subtracted decay before its peak, at least
        one histogram bin; NaN when the peak does not stand out of the background (peak
        excess < 5 standard deviations of the background).

    Notes
    -----
    For a decay much slower than the IRF the rising edge *is* the IRF's cumulative shape,
    and the 10–90 % rise of a Gaussian IRF is 1.09 × its FWHM; for slower rises (τ comparable
    to the IRF) the estimate is larger, so a lifetime flagged as shorter than it is certainly
    not resolved. The histogram is rolled to put its peak mid-range (the rise may wrap around
    the period) and smoothed over 5 bins against shot noise.
    """
    y = np.asarray(decay.summed, dtype=np.float64)
    if y.size < 8 or not y.sum() > 0:
        return float("nan")
    dt = float(decay.bin_width_ns)
    bg = float(decay.background_per_bin)
    sm = np.convolve(np.concatenate((y[-2:], y, y[:2])), np.ones(5) / 5.0, mode="valid")
    peak = int(np.argmax(sm))
    sm = np.roll(sm, y.size // 2 - peak) - bg
    peak = y.size // 2
    amp = sm[peak]
    if not amp > 5.0 * math.sqrt(max(bg, 1.0) / 5.0):
        return float("nan")
    below10 = np.flatnonzero(sm[:peak] < 0.1 * amp)
    below90 = np.flatnonzero(sm[:peak] < 0.9 * amp)
    if below10.size == 0 or below90.size == 0:
        return float("nan")
    rise = (below90[-1] - below10[-1]) * dt
    return float(max(rise, dt))


def lifetime_range_ns(decay) -> tuple[float, float]:
    """(IRF width, laser period) of a decay histogram in ns: the range of lifetimes the
    instrument can measure. The IRF width is NaN when it cannot be estimated (each fit then
    uses its own histogram bin as the lower limit); the period is the histogram range for
    non-periodic data."""
    lo = irf_width_ns(decay)
    period = decay.period_ns or float(decay.bin_width_ns) * len(decay.summed)
    return float(lo), float(period)


def _bound_warnings(name: str, fit) -> list[str]:
    """Parameters of a :func:`~tttr.analysis.lifetime.fit_lifetime` result on their bounds
    (amplitude or background 0, τ at bin/50 or 1000 periods)."""
    out = []
    dt = float(fit.bin_width_ns)
    span = float(fit.period_ns) if fit.period_ns else dt * len(fit.counts)
    tau_lo, tau_hi = dt / 50.0, 1e3 * span
    params = np.asarray(fit.params, dtype=np.float64)
    for pname, v in zip(fit.param_names, params):
        if pname.startswith("amplitude") and v <= 0.0:  # the bound: the minimiser projects onto it
            out.append(f"{name}: {pname} = 0 (fit ended on the bound): its component is not in the data")
        elif pname.startswith("tau") and (v <= tau_lo * 1.02 or v >= tau_hi / 1.02):  # within 2 %: stopped there
            out.append(f"{name}: {pname} = {v:.3g} ns ended on the bound of its search box "
                       f"[{tau_lo:.3g}, {tau_hi:.3g}] ns")
        elif pname == "background_per_bin" and v <= 0.0 and not fit.background_fixed:
            out.append(f"{name}: the background ended on its bound 0")
    return out


def lifetime_warnings(name: str, fit, lo_ns: float, hi_ns: float) -> list[str]:
    """Warnings for one lifetime fit: every lifetime outside ``[lo_ns, hi_ns]`` and every
    parameter on a bound.

    Parameters
    ----------
    name : str
        Prefix of the messages (``"lifetime (bi)"``, ``"region 1 lifetime"``, ...).
    fit : LifetimeFit or None
    lo_ns, hi_ns : float
        The measurable range (:func:`lifetime_range_ns`); the shortest is raised to the fit's
        histogram bin (a lifetime shorter than one bin is not resolved either), also when
        ``lo_ns`` is NaN (IRF not estimated).
    """
    if fit is None:
        return []
    out = []
    lo_ns = max(lo_ns if math.isfinite(lo_ns) else 0.0, float(fit.bin_width_ns))
    taus = [("τ", fit.tau1_ns)] if fit.model == "mono" else [("τ1", fit.tau1_ns), ("τ2", fit.tau2_ns)]
    for label, tau in taus:
        if not math.isfinite(tau):
            continue
        if tau < lo_ns:
            out.append(f"{name}: {label} = {tau:.3g} ns is shorter than the instrument response or the "
                       f"histogram bin (≈ {lo_ns:.3g} ns): not a measured lifetime")
        elif tau > hi_ns:
            out.append(f"{name}: {label} = {tau:.4g} ns is longer than the laser period ({hi_ns:.4g} ns): "
                       f"not a measured lifetime")
    return out + _bound_warnings(name, fit)


def beta_warnings(beta: float, flagged_regions: bool, *, plausible=defaults.BETA_PLAUSIBLE_RANGE) -> list[str]:
    """Warnings for β: computed from a flagged region lifetime, or outside the plausible range."""
    if beta is None or not math.isfinite(beta):
        return []
    if flagged_regions:
        return [f"β = {beta:.3g} uses a region lifetime outside the measurable range: not meaningful"]
    if not plausible[0] <= beta <= plausible[1]:
        return [f"β = {beta:.3g} is outside {plausible[0]:g}–{plausible[1]:g} (models: 1 for BC, 2 for Auger "
                f"blinking): check the intensity regions"]
    return []


def power_law_warnings(name: str, trunc, bin_width_s: float, duration_s: float) -> list[str]:
    """A truncated power law whose cut-off τ_c is shorter than one trace bin or longer than the
    measurement (neither can be resolved)."""
    if trunc is None or not math.isfinite(getattr(trunc, "tau_c_s", float("nan"))):
        return []
    tau = trunc.tau_c_s
    if tau < bin_width_s:
        return [f"{name}: truncated τ_c = {tau:.3g} s is shorter than one trace bin ({bin_width_s:g} s): "
                f"not resolved"]
    if tau > duration_s:
        return [f"{name}: truncated τ_c = {tau:.3g} s is longer than the measurement ({duration_s:.3g} s): "
                f"not resolved"]
    return []
