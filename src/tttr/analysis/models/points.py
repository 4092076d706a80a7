"""What the FLID fit is fitted to: steady bins, intensity levels, lifetime noise, binned points."""

from __future__ import annotations

import math

import numpy as np

from ...errors import AnalysisError
from ..photon_stats import histogram_peaks, smoothed_intensity_histogram
from .options import DEFAULT_SWITCH_REACH, DEFAULT_SWITCH_SIGMA, LEVEL_MIN_HEIGHT

__all__ = ["switching_mask"]


_Z98 = 2.0537489  # standard normal 98th percentile: a Poisson level's 2-98 % span is 2·z98·√I


def switching_mask(intensity, *, n_sigma: float = DEFAULT_SWITCH_SIGMA,
                   reach: int = DEFAULT_SWITCH_REACH) -> np.ndarray:
    """Trace bins that are not part of a steady stretch (switching bins).

    Parameters
    ----------
    intensity : (n_bins,) array
        Counts per trace bin, in time order.
    n_sigma : float
        Bins t and t+k disagree when ``|I_t − I_{t+k}| > n_sigma·√(I_t + I_{t+k} + 1)``, the
        standard deviation of the difference of two Poisson counts. Default 3.
    reach : int
        A bin is steady when it agrees with its ``reach`` neighbours on each side. Default 2.

    Returns
    -------
    (n_bins,) bool
        True for switching bins; the first and last ``reach`` bins count as switching.

    Notes
    -----
    A bin that straddles a switch between two states A and B holds a mixture of them, and
    every such mixture lies on Eq. 1 drawn between A and B, *whatever the mechanism*: the
    derivation of Eq. 1 only assumes two states. For an emitter with discrete BC levels these
    arcs sag below the BC line and make it look curved, so they carry information about the
    switching, not about the mechanism. The FLID models describe the states an emitter
    visits; the fits therefore use the bins of steady stretches (five bins of consistent
    intensity with the default reach 2, 50 ms at 10 ms bins). With 3 σ a non-blinking
    emitter keeps ≈ 99 % of its bins. Bins in sustained fast flickering, whose neighbours
    hold mixtures in similar proportions, are kept: for an Auger emitter they lie on Eq. 1
    between exciton and trion, which is the Auger curve itself. Reach 1 (agreement with the
    direct neighbours only) leaves enough flicker arcs in a three-level BC emitter for Eq. 3
    to fit it as well as Eq. 2 (ΔBIC within ±7 in 10-min simulations); reach 2 keeps Eq. 2
    ahead by 5–11 (docs/flid.md).
    """
    inten = np.asarray(intensity, float)
    n = inten.size
    out = np.zeros(n, bool)
    for lag in range(1, int(reach) + 1):
        if n <= lag:
            return np.ones(n, bool)
        bad = np.abs(inten[lag:] - inten[:-lag]) > n_sigma * np.sqrt(inten[lag:] + inten[:-lag] + 1.0)
        out[lag:] |= bad
        out[:-lag] |= bad
        out[:lag] = True
        out[-lag:] = True
    return out


def _levels(inten: np.ndarray):
    """Bands (lo, hi) of the brightest and the dimmest significant intensity level."""
    sm = smoothed_intensity_histogram(np.asarray(inten, np.int64).clip(0))
    peaks = histogram_peaks(sm)
    peaks = peaks[sm[peaks] >= LEVEL_MIN_HEIGHT * sm.max()]
    if peaks.size < 2:
        raise AnalysisError("a single intensity level")
    lo_p, hi_p = int(peaks.min()), int(peaks.max())
    bands = []
    for p in (hi_p, lo_p):
        half = 2.0 * math.sqrt(max(p, 1))
        bands.append((p - half, p + half))
    return bands


def _intensity_spread(inten: np.ndarray) -> float:
    lo, hi = np.percentile(inten, [2.0, 98.0])
    med = max(float(np.median(inten)), 1.0)
    return float((hi - lo) / (2.0 * _Z98 * math.sqrt(med)))


def _slice_spread(inten: np.ndarray, values: np.ndarray, scale: float):
    """Robust spread (1.4826·MAD × scale) of ``values`` in intensity slices √I wide."""
    order = np.argsort(inten, kind="stable")
    si, sv = inten[order], values[order]
    centres, spreads = [], []
    lo, top = float(si[0]), float(si[-1])
    while lo <= top:
        hi = lo + max(1.0, math.sqrt(max(lo, 1.0)))
        a, b = np.searchsorted(si, lo, "left"), np.searchsorted(si, hi, "left")
        if b - a >= 10:
            v = sv[a:b]
            mad = float(np.median(np.abs(v - np.median(v))))
            if mad > 0:
                centres.append(float(si[a:b].mean()))
                spreads.append(1.4826 * mad * scale)
        lo = hi
    return centres, spreads


def _lifetime_noise(inten: np.ndarray, tau: np.ndarray, pair_first: np.ndarray | None = None) -> np.ndarray:
    """Per-bin lifetime noise as a function of intensity, measured from the data.

    With ``pair_first`` (indices i into the arrays such that bins i and i+1 are consecutive
    in time and both steady), the noise is ``MAD(τ_{i+1} − τ_i)·1.4826/√2`` per intensity
    slice: two consecutive bins of one state share their true lifetime, so their difference
    is pure noise. Otherwise (or where too few pairs) the spread of τ itself in the slice,
    which also holds the spread of the curve over one intensity slice (an overestimate where
    the curve is flat).
    """
    centres, spreads = [], []
    if pair_first is not None and pair_first.size >= 20:
        i = pair_first
        centres, spreads = _slice_spread(0.5 * (inten[i] + inten[i + 1]), tau[i + 1] - tau[i], 1.0 / math.sqrt(2.0))
    if len(centres) < 2:
        centres, spreads = _slice_spread(inten, tau, 1.0)
    if not centres:
        sd = float(np.std(tau)) if tau.size > 1 else 1.0
        return np.full(tau.shape, sd if sd > 0 else 1.0)
    return np.interp(inten, centres, spreads)


def _binned_points(inten, tau, s_tau, edges, min_points):
    idx = np.digitize(tau, edges) - 1
    ok = (idx >= 0) & (idx < edges.size - 1)
    idx, inten, tau, s_tau = idx[ok], inten[ok], tau[ok], s_tau[ok]
    nb = edges.size - 1
    n = np.bincount(idx, minlength=nb).astype(float)
    keep = n >= max(int(min_points), 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        sx = np.bincount(idx, tau, nb) / n
        sy = np.bincount(idx, inten, nb) / n
        syy = np.bincount(idx, inten * inten, nb) / n
        ss2 = np.bincount(idx, s_tau * s_tau, nb) / n
    var = np.maximum((syy - sy * sy) * n / np.maximum(n - 1, 1), np.maximum(sy, 1.0))  # Poisson floor
    se = np.sqrt(var / n)
    return sx[keep], sy[keep], se[keep], np.sqrt(ss2[keep]), n[keep].astype(np.int64)
