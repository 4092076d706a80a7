"""Background counts per trace bin and the background-corrected per-bin lifetimes."""

from __future__ import annotations

import numpy as np

from ..flid import FlidMap, RegionLifetimes
from ..lifetime import per_bin_mle_lifetime

__all__ = ["region_background_counts"]


def region_background_counts(source, regions: RegionLifetimes) -> float:
    """Background photons per trace bin inside the lifetime window, from the region fits.

    Parameters
    ----------
    source : BinnedData or FlidMap
        The pass the regions were computed from, or the FLID map made from it (either gives
        the lifetime window W).
    regions : RegionLifetimes
        From :func:`~tttr.analysis.flid.region_lifetimes`; each region's pooled decay was
        fitted with a mono-exponential and a constant background (periodic model).

    Returns
    -------
    float
        ``background per decay column / column width × W / trace bins of the region`` for
        the region whose fit gives the lowest value (:func:`_background_region`); 0 without
        a usable fit.

    Notes
    -----
    For ``flid_map(..., estimator="mle", background_counts=...)`` and the
    ``background_counts`` of :func:`fit_flid`. A constant background is shared evenly by all
    trace bins, whatever the emitter's state. The region fits model the wrapped tails of the
    earlier pulses, which an estimate from the end of the period of the whole decay counts
    as background (about +20 % for τ = 25 ns in a 200 ns period). A region that mixes
    several states is not mono-exponential, and its fit puts part of the slow tail into the
    constant (up to +40 % in the mixed simulations, ×3 for a 300 kcps BC continuum): the
    lowest estimate is used.
    """
    if isinstance(source, FlidMap):
        window_ns = float(source.window_ns)
    else:
        window_ns = source.window_ticks * source.nanotimes_unit_s * 1e9
    if not np.isfinite(window_ns):
        return 0.0
    j = _background_region(regions)
    if j is None:
        return 0.0
    fit, nb = regions.fits[j], regions.n_bins[j]
    return float(fit.background_per_bin / fit.bin_width_ns * window_ns / nb)


def _background_region(regions):
    """Index of the region whose fit gives the lowest background per trace bin (None if none).

    Every region estimates the same constant; a region mixing states of different lifetimes
    is not mono-exponential and its fit moves part of the slower tail into the constant,
    which can only raise it (×3 for a 300 kcps BC continuum; +40 % in the mixed simulations),
    so the lowest estimate is the least contaminated.
    """
    best, val = None, float("inf")
    for j, (fit, nb) in enumerate(zip(regions.fits, regions.n_bins)):
        if nb > 0 and np.isfinite(fit.background_per_bin) and fit.background_per_bin >= 0:
            v = float(fit.background_per_bin / fit.bin_width_ns / nb)
            if v < val:
                best, val = j, v
    return best


def _total_background(flid: FlidMap, regions, background_counts: float) -> float:
    """Background photons per trace bin over the whole period, from the in-window value.

    The background is uniform in delay, so the whole period holds ``period/W`` times the
    window's share. The period is taken from the region fits, else as ``t0 + W +``
    ``defaults.LIFETIME_WINDOW_MARGIN_NS`` (how the window is made from the period).
    """
    from ... import defaults

    w = float(flid.window_ns)
    if not (background_counts > 0 and np.isfinite(w) and w > 0):
        return float(max(background_counts, 0.0))
    period = None
    if regions is not None:
        for fit in regions.fits:
            if getattr(fit, "period_ns", None):
                period = float(fit.period_ns)
                break
    if period is None:
        period = float(flid.t0_ns) + w + float(defaults.LIFETIME_WINDOW_MARGIN_NS)
    return float(background_counts * max(period, w) / w)


def _background_error(flid: FlidMap, regions, background_counts: float) -> float:
    """Uncertainty of the in-window background per bin (see :func:`region_background_counts`).

    The larger of the fit error of the region used (:func:`_background_region`) and 2 % of
    the value (the periodic
    one-exponential model of a region moves its constant by ≈ 1 % on the simulations of
    docs/flid.md). The spread between regions is not used: a region that mixes states puts
    part of its slow tail into the constant.
    """
    if not background_counts > 0 or regions is None:
        return 0.0
    w = float(flid.window_ns)
    err = 0.0
    j = _background_region(regions)
    if j is not None:
        fit, nb = regions.fits[j], regions.n_bins[j]
        e = float(fit.background_err / fit.bin_width_ns * w / nb)
        err = e if np.isfinite(e) else 0.0
    return float(max(err, 0.02 * background_counts))


def _corrected_lifetimes(flid: FlidMap, background_counts: float):
    """Background-corrected per-bin lifetimes of a ``"mean"``/``"corrected"`` map, or None."""
    w = float(flid.window_ns)
    if background_counts <= 0 or not np.isfinite(w) or flid.estimator not in ("mean", "corrected"):
        return None
    tau = np.asarray(flid.lifetime_ns, float)
    if flid.estimator == "corrected":  # back to the mean delay of the truncated exponential
        with np.errstate(all="ignore"):
            tau = tau - w / np.expm1(w / tau)
    n = np.asarray(flid.intensity_counts, float)  # ≈ the photons in the window (all but ~0.1 %)
    with np.errstate(all="ignore"):
        return per_bin_mle_lifetime(tau * n, n, w, background_counts=background_counts,
                                    min_photons=max(int(flid.min_photons), 1))
