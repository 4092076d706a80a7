"""numba kernels of the decay histogram and of the per-bin lifetime solve (science.md §2).

Plain contiguous arrays in, plain arrays out; no I/O, no objects. The public wrappers that
check and coerce inputs live in :mod:`tttr.analysis.lifetime`.

* :func:`accumulate_decay` adds photons into a ``(n_detectors, n_bins)`` int64 histogram.
* :func:`accumulate_decay_gated` does the same for the photons whose intensity-trace bin is
  selected by a boolean gate (region-gated decays, science.md §3.2).
* :func:`truncated_exponential_tau` solves ``mean = tau - W / (exp(W / tau) - 1)`` for
  ``tau`` element by element (the truncation-corrected and per-bin ML lifetimes).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["accumulate_decay", "accumulate_decay_gated", "truncated_exponential_tau"]


@njit(cache=True, nogil=True)
def accumulate_decay(detectors, nanotimes, hist):
    """Add one count per photon into ``hist[detector, nanotime]`` in place.

    Parameters
    ----------
    detectors : (n,) uint8
    nanotimes : (n,) uint16
    hist : (n_detectors, n_bins) int64, C-contiguous; updated in place.

    Returns
    -------
    n_overflow : int
        Photons whose detector is ``>= n_detectors`` or whose nanotime is ``>= n_bins``;
        they are not added (the caller grows ``hist`` and adds them, or reports them).
    """
    rows = hist.shape[0]
    cols = hist.shape[1]
    n_over = 0
    for i in range(detectors.shape[0]):
        d = np.int64(detectors[i])
        t = np.int64(nanotimes[i])
        if d < rows and t < cols:
            hist[d, t] += 1
        else:
            n_over += 1
    return n_over


@njit(cache=True, nogil=True)
def accumulate_decay_gated(detectors, nanotimes, bin_index, gate, hist):
    """Add photon ``i`` into ``hist[detector, nanotime]`` only if ``gate[bin_index[i]]``.

    Parameters
    ----------
    detectors : (n,) uint8
    nanotimes : (n,) uint16
    bin_index : (n,) int64
        Intensity-trace bin of each photon; ``-1`` (or any index outside ``gate``) means the
        photon lies in no bin (before the origin, in the dropped last partial bin) and is
        not counted.
    gate : (n_trace_bins,) bool
        True for the trace bins whose photons belong to the region.
    hist : (n_detectors, n_bins) int64, C-contiguous; updated in place.

    Returns
    -------
    n_overflow : int
        Gated-in photons that did not fit ``hist`` (detector or nanotime out of range); as in
        :func:`accumulate_decay` they are counted, never silently dropped.
    """
    rows = hist.shape[0]
    cols = hist.shape[1]
    ng = gate.shape[0]
    n_over = 0
    for i in range(detectors.shape[0]):
        b = np.int64(bin_index[i])
        if b < 0 or b >= ng or not gate[b]:
            continue
        d = np.int64(detectors[i])
        t = np.int64(nanotimes[i])
        if d < rows and t < cols:
            hist[d, t] += 1
        else:
            n_over += 1
    return n_over


@njit(cache=True, nogil=True)
def _h(x):
    """Mean of a unit-window truncated exponential as a function of ``x = W / tau``, and dh/dx."""
    if x < 1e-3:  # series: 1/x - 1/(e^x - 1) = 1/2 - x/12 + x^3/720 - ...
        x2 = x * x
        return 0.5 - x / 12.0 + x * x2 / 720.0, -1.0 / 12.0 + x2 / 240.0
    if x > 700.0:
        return 1.0 / x, -1.0 / (x * x)
    em1 = math.expm1(x)
    h = 1.0 / x - 1.0 / em1
    dh = -1.0 / (x * x) + (em1 + 1.0) / (em1 * em1)
    return h, dh


@njit(cache=True, nogil=True)
def truncated_exponential_tau(mean, window, out):
    """Solve ``mean = tau - W / (exp(W / tau) - 1)`` for ``tau``, element by element.

    Parameters
    ----------
    mean : (n,) float64
        Mean delay of photons drawn from an exponential truncated to ``[0, W]``.
    window : (n,) float64
        The window ``W`` (same unit as ``mean``), one per element (broadcast by the caller).
    out : (n,) float64
        Receives ``tau``; NaN where ``mean`` or ``W`` is not finite, ``mean <= 0`` or
        ``mean >= W / 2`` (no finite solution: the mean of the truncated exponential grows
        monotonically from 0 to ``W / 2`` as ``tau`` goes from 0 to infinity).

    Notes
    -----
    With ``x = W / tau`` the equation is ``h(x) = mean / W`` with ``h(x) = 1/x - 1/(e^x - 1)``,
    strictly decreasing from 1/2 (x -> 0) to 0. The root lies in ``(0, W / mean]`` because
    ``h(x) < 1/x``. Newton steps are kept inside a bisection bracket, so the solve always
    converges; it stops at a relative step of 1e-13 or after 200 iterations.
    """
    for i in range(mean.shape[0]):
        m = mean[i]
        w = window[i]
        if not (math.isfinite(m) and math.isfinite(w)) or w <= 0.0 or m <= 0.0 or m >= 0.5 * w:
            out[i] = np.nan
            continue
        r = m / w
        lo = 0.0
        hi = 1.0 / r
        x = 12.0 * (0.5 - r) if r > 0.25 else 1.0 / r - 1.0
        if x <= lo or x >= hi:
            x = 0.5 * (lo + hi)
        for _ in range(200):
            h, dh = _h(x)
            f = h - r  # decreasing in x
            if f > 0.0:
                lo = x
            else:
                hi = x
            step = f / dh if dh != 0.0 else 0.0
            xn = x - step
            if not (xn > lo and xn < hi):
                xn = 0.5 * (lo + hi)
            if abs(xn - x) <= 1e-13 * x:
                x = xn
                break
            x = xn
        out[i] = w / x
