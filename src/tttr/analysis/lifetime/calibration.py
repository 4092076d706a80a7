"""Time zero, background and occupied range of a decay histogram (science.md §2).

Conventions: nanotime ``k`` is the bin ``[k, k + 1) * bin_width_ns``; times are in ns from
the start of the microtime range.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.stats

from ... import defaults

__all__ = ["estimate_t0", "estimate_background"]



def _smooth_circular(c: np.ndarray, width: int) -> np.ndarray:
    if width <= 1:
        return c.astype(float)
    h = width // 2
    ext = np.concatenate([c[-h:], c, c[:h]]).astype(float)
    cs = np.concatenate([[0.0], np.cumsum(ext)])
    return (cs[width:] - cs[:-width]) / width


def _smoothed(counts, bin_width_ns: float, n_circle: int | None):
    """Circular moving average of ~``DECAY_SMOOTH_NS`` (odd width in bins) and that width."""
    c = np.asarray(counts, float)
    if n_circle is not None:
        c = c[: int(n_circle)]
    n = c.shape[0]
    if n == 0 or not c.sum() > 0:
        return None, 1
    width = max(1, int(round(defaults.DECAY_SMOOTH_NS / float(bin_width_ns)))) | 1
    if width >= n:
        width = 1
    return _smooth_circular(c, width), width


def _has_rise(counts, bin_width_ns: float, n_circle: int | None) -> bool:
    """Whether a histogram has a peak no flat (Poisson) histogram would show by chance.

    The highest smoothed window must be improbable under a Poisson law with the median
    window count as its mean: ``P(X >= peak) × (windows in the period) < 1e-3``.
    """
    c = np.asarray(counts)
    n_use = _range_bins(c) if n_circle is None else min(int(n_circle), _range_bins(c))
    s, w = _smoothed(c, bin_width_ns, n_use)  # the occupied range only: no empty TDC overrun
    if s is None:
        return False
    lam = max(float(np.median(s)) * w, 1e-9)
    k = float(s.max()) * w
    return bool(scipy.stats.poisson.sf(math.ceil(k) - 1, lam) * (s.shape[0] / w) < defaults.DECAY_RISE_SIGNIFICANCE)


def estimate_t0(counts, bin_width_ns: float, *, method: str = "halfmax", n_circle: int | None = None) -> float:
    """Time zero of a decay histogram: its rising edge at half maximum, or its peak.

    Parameters
    ----------
    counts : (n_bins,) array
    bin_width_ns : float
    method : {"halfmax", "peak"}
    n_circle : int, optional
        Bins of one period; the histogram is treated as circular over its first ``n_circle``
        bins (default: all bins).

    Returns
    -------
    t0_ns : float
        In ``[0, n_circle * bin_width_ns)``; NaN for an empty histogram.

    Notes
    -----
    The histogram is first smoothed by a circular moving average of ~0.1 ns (an odd number
    of bins, at least 1). ``"peak"`` is the centre of the highest smoothed bin. ``"halfmax"``
    (the default) walks back from the peak, circularly, to the last bin below the level
    ``foot + (peak - foot) / 2`` and interpolates linearly between the centres of that bin
    and the next. The foot is the 5th percentile of the smoothed histogram: the background,
    or, when the previous pulses' tails wrap (τ not ≪ period), the minimum of the periodic
    decay just before the rise. The half-maximum of the rising edge sits near the centre of
    the IRF whatever τ (for τ ≫ IRF width), so it estimates the excitation time better than
    the peak, which lies a fraction of the IRF width after it.
    """
    s, _ = _smoothed(counts, bin_width_ns, n_circle)
    if s is None:
        return float("nan")
    n = s.shape[0]
    dt = float(bin_width_ns)
    k = int(np.argmax(s))
    if method == "peak":
        return (k + 0.5) * dt
    if method != "halfmax":
        raise ValueError(f"t0 method must be 'halfmax' or 'peak', not {method!r}")
    foot = float(np.percentile(s, defaults.DECAY_FOOT_PERCENTILE))
    level = foot + 0.5 * (s[k] - foot)
    r = np.roll(s, -(k + 1))  # r[n - 1] is the peak
    below = np.flatnonzero(r[:-1] < level)
    if below.size == 0:
        return (k + 0.5) * dt
    jr = int(below[-1])
    s0, s1 = r[jr], r[jr + 1]
    frac = (level - s0) / (s1 - s0) if s1 != s0 else 0.5
    j = (jr + k + 1) % n
    return float(((j + 0.5 + frac) * dt) % (n * dt))


def _range_bins(c: np.ndarray, n_period: int | None = None) -> int:
    """Bins of the occupied microtime range: last non-empty bin + 1, or the whole period when
    that reaches within 2 % of the period's end (the last bins of a period can be empty by
    chance at low background; a TDC range shorter than the period ends far earlier)."""
    nz = np.flatnonzero(c)
    last = int(nz[-1]) + 1 if nz.size else int(c.shape[0])
    if n_period and last >= defaults.DECAY_RANGE_FULL_FRACTION * n_period:
        last = max(last, min(int(n_period), int(c.shape[0])))
    return last


def estimate_background(counts, bin_width_ns: float, t0_ns: float, *, period_ns: float | None = None):
    """Mean background counts per bin of a decay histogram.

    Parameters
    ----------
    counts : (n_bins,) array
    bin_width_ns : float
    t0_ns : float
        Time zero (the rise) of the histogram.
    period_ns : float, optional
        Laser period (default: the occupied microtime range).

    Returns
    -------
    per_bin : float
        Mean counts per bin of the background region.
    total : float
        ``per_bin × n_range_bins``, the background photons of the histogram.
    method : str
        ``"pre-rise"`` or ``"tail"``.

    Notes
    -----
    The occupied range is ``[0, n_range)`` with ``n_range`` the last non-empty bin + 1 (bins past
    it lie beyond the TDC range and hold nothing by construction), or the whole period when
    that reaches within 2 % of the period's end. The region before the rise
    ends ``TAIL_SHIFT_NS`` (the IRF's extent) before ``t0``. If it spans at least 5 % of the
    period, the background is its mean ("pre-rise"). Otherwise it is the mean of the last
    ``BACKGROUND_FRACTION`` of the occupied range ("tail"), stopping ``TAIL_SHIFT_NS`` before the
    next pulse's rise. Both regions contain the wrapped tail of the previous pulses as well as
    the true background when τ is not ≪ the period; :func:`fit_lifetime` therefore fits the
    background by default instead of fixing it to this estimate.
    """
    c = np.asarray(counts, float)
    dt = float(bin_width_ns)
    n_r = _range_bins(c, int(round(period_ns / dt)) if period_ns else None)
    per = float(period_ns) if period_ns else n_r * dt
    guard = defaults.TAIL_SHIFT_NS
    j = int(math.floor((t0_ns - guard) / dt)) if np.isfinite(t0_ns) else 0
    j = min(j, n_r)
    if j > 0 and j * dt >= defaults.BACKGROUND_MIN_PRE_RISE_FRACTION * per:
        per_bin = float(c[:j].mean())
        method = "pre-rise"
    else:
        k0 = n_r - max(1, int(math.ceil(defaults.BACKGROUND_FRACTION * n_r)))
        stop = n_r
        if np.isfinite(t0_ns):
            k0 = max(k0, int(math.ceil((t0_ns + guard) / dt)))
            stop = min(stop, int(math.floor((t0_ns + per - guard) / dt)))
        if stop <= k0:  # degenerate layout: the last fraction of the range, whatever it holds
            k0, stop = n_r - max(1, int(math.ceil(defaults.BACKGROUND_FRACTION * n_r))), n_r
        per_bin = float(c[k0:stop].mean())
        method = "tail"
    return per_bin, per_bin * n_r, method
