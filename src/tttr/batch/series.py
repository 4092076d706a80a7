"""The excitation series: a power law of the charging rate against the mean exciton number."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["fit_series", "SERIES_NAME"]

#: Name of the excitation-series fit written when the metadata has ``mean_excitons``.
SERIES_NAME = "series.json"


def fit_series(mean_excitons, rates_hz, *, paths=None) -> dict:
    """Power law of a rate against the mean exciton number: ``r = A·⟨N⟩^p``.

    Parameters
    ----------
    mean_excitons : sequence of float
        ⟨N⟩ of each measurement (excitons per pulse).
    rates_hz : sequence of float or None
        The rate of each measurement (the charging rate, s⁻¹).
    paths : sequence of str, optional
        Names of the measurements, kept in ``points``.

    Returns
    -------
    dict
        ``p``, ``p_err`` (None with fewer than 3 points), ``amplitude_hz`` (A, the rate at
        ⟨N⟩ = 1), ``n_points``, ``n_excluded`` (points with a missing or non-positive rate
        or ⟨N⟩), ``consistent_with_1``/``consistent_with_2`` (|p − k| ≤ 2 p_err), ``points``
        and a ``note`` when no fit was possible (then ``p`` is None).

    Notes
    -----
    Ordinary least squares of ``log r`` on ``log ⟨N⟩``: each measurement is one point of a
    population trend, and the scatter between emitters, not the counting error of one rate,
    dominates, so equal weights in log space are the honest choice. The slope's standard
    error is the textbook one from the residual variance (n − 2 degrees of freedom).
    Measurements with no ON→OFF switching (rate 0) cannot enter a log-log fit and are
    counted in ``n_excluded``; many of them bias p upward at low ⟨N⟩.

    p ≈ 1 means the charging (ionisation) happens from the single exciton, p ≈ 2 that it
    needs two excitons (Auger ionisation).

    Examples
    --------
    >>> r = fit_series([0.1, 0.2, 0.4], [1.0, 4.0, 16.0])
    >>> round(r["p"], 6), r["n_points"]
    (2.0, 3)
    """
    n_arr = list(mean_excitons)
    r_arr = list(rates_hz)
    names = list(paths) if paths is not None else [None] * len(n_arr)
    pts, excluded = [], 0
    for name, n, r in zip(names, n_arr, r_arr):
        ok = all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0 for v in (n, r))
        if ok:
            pts.append((name, float(n), float(r)))
        else:
            excluded += 1
    out = {"model": "charging_rate_hz = amplitude_hz * mean_excitons**p",
           "method": "least squares of log(rate) on log(mean_excitons)",
           "p": None, "p_err": None, "amplitude_hz": None, "n_points": len(pts), "n_excluded": excluded,
           "consistent_with_1": None, "consistent_with_2": None,
           "points": [{"path": a, "mean_excitons": n, "charging_rate_hz": r} for a, n, r in pts]}
    x = np.log([p[1] for p in pts]) if pts else np.zeros(0)
    y = np.log([p[2] for p in pts]) if pts else np.zeros(0)
    if len(pts) < 2 or np.ptp(x) == 0:
        out["note"] = (f"{len(pts)} usable point(s) with distinct mean_excitons; a power law needs at least 2 "
                       f"({excluded} excluded: missing, zero or negative rate or mean_excitons)")
        return out
    xm, ym = x.mean(), y.mean()
    sxx = float(((x - xm) ** 2).sum())
    p = float(((x - xm) * (y - ym)).sum() / sxx)
    a = float(ym - p * xm)
    out["p"] = p
    out["amplitude_hz"] = float(np.exp(a))
    if len(pts) >= 3:
        resid = y - (a + p * x)
        p_err = float(np.sqrt((resid ** 2).sum() / (len(pts) - 2) / sxx))
        out["p_err"] = p_err
        out["consistent_with_1"] = bool(abs(p - 1.0) <= 2 * p_err)
        out["consistent_with_2"] = bool(abs(p - 2.0) <= 2 * p_err)
    return out

