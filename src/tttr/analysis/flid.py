"""FLID maps, intensity regions, region-gated lifetimes and β (science.md §2, §3, §3.2).

Everything here is computed from one :class:`~tttr.analysis.binned.BinnedData` pass: the
per-bin lifetime from the per-bin sums of delays, and the decay of every intensity region
from the intensity-resolved decay matrix, so no second pass over the photons is needed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import defaults
from ..errors import AnalysisError
from ..results import Result
from ..io.source import stream_of
from .photon_stats import histogram_peaks, smoothed_intensity_histogram
from .binned import BinnedAccumulator, BinnedData
from .lifetime import LifetimeFit, fit_lifetime, mean_delay_lifetime, per_bin_mle_lifetime, truncation_corrected_lifetime

#: Trace bins histogrammed at a time in :func:`flid_map` (bounds its temporaries).
_HIST_BLOCK = 1 << 20

__all__ = ["FlidMap", "flid_map", "flid", "binned_pass", "intensity_regions", "region_decay",
           "RegionLifetimes", "region_lifetimes", "beta"]

ESTIMATORS = ("mean", "corrected", "mle")


def binned_pass(source, *, bin_width_s: float = defaults.BIN_WIDTH_S, detectors=None, **options) -> BinnedData:
    """One streaming pass over ``source`` accumulating everything per bin (see :mod:`.binned`)."""
    info, chunks = stream_of(source, **options)
    acc = BinnedAccumulator(info, bin_width_s=bin_width_s, detectors=detectors)
    for c in chunks:
        acc.add(c)
    return acc.result()


@dataclass(frozen=True, repr=False)
class FlidMap(Result):
    """Fluorescence lifetime–intensity distribution.

    Attributes
    ----------
    intensity_counts : (n_bins,) int
        Photons per trace bin (selected detectors).
    lifetime_ns : (n_bins,) float
        Per-bin lifetime (NaN where fewer than ``min_photons`` photons are in the window);
        this is also the lifetime trace.
    histogram : (n_intensity, n_lifetime) int
        Occurrences of (intensity, lifetime) pairs; rows follow ``intensity_edges``, columns
        ``lifetime_edges_ns``.
    lifetime_edges_ns, intensity_edges : (k+1,) float
    estimator : str
        ``"mean"``, ``"corrected"`` or ``"mle"`` (see :func:`flid_map`).
    window_ns, t0_ns : float
    bin_width_s : float
    min_photons : int
    """

    intensity_counts: np.ndarray
    lifetime_ns: np.ndarray
    histogram: np.ndarray
    lifetime_edges_ns: np.ndarray
    intensity_edges: np.ndarray
    estimator: str
    window_ns: float
    t0_ns: float
    bin_width_s: float
    min_photons: int

    @property
    def times_s(self) -> np.ndarray:
        return np.arange(self.intensity_counts.size) * self.bin_width_s


def _unit_ns(binned: BinnedData) -> float:
    if binned.nanotimes_unit_s is None:
        raise AnalysisError("FLID needs nanotimes of known unit: T2 data have none, and a T3 file without "
                            "its nanotime unit needs nanotimes_unit_s")
    return binned.nanotimes_unit_s * 1e9


def flid_map(binned: BinnedData, *, estimator: str = "mean", lifetime_bins: int = defaults.FLID_LIFETIME_BINS,
             lifetime_range_ns=None, intensity_bins=None, min_photons: int = defaults.MIN_PHOTONS_PER_BIN,
             background_counts: float = 0.0) -> FlidMap:
    """Per-bin lifetimes and their 2D histogram against per-bin intensity.

    Parameters
    ----------
    binned : BinnedData
        From :func:`binned_pass` (or the analysis pipeline).
    estimator : {"mean", "corrected", "mle"}
        ``"mean"`` (default, seed 001): the mean delay after t0 of the bin's photons inside
        ``[t0, t0 + W)``. ``"corrected"``: the τ whose exponential truncated at W has that
        mean (removes the underestimate when W is not ≫ τ). ``"mle"``: mono-exponential with a
        uniform background of ``background_counts`` photons per bin in the window.
    lifetime_bins : int
        Columns of the histogram.
    lifetime_range_ns : (lo, hi), optional
        Default: 0 to the 99.5th percentile of the finite lifetimes × 1.1.
    intensity_bins : int or array, optional
        Default: one row per count value up to 200 rows, coarser above.

    Notes
    -----
    The window ``W`` defaults to the rest of the period after t0 minus
    ``LIFETIME_WINDOW_MARGIN_NS``; t0 and the detector alignment come from the decay of the
    first chunk (:class:`~tttr.analysis.binned.BinnedAccumulator`).
    """
    if estimator not in ESTIMATORS:
        raise ValueError(f"unknown lifetime estimator {estimator!r}; one of {ESTIMATORS}")
    unit = _unit_ns(binned)
    window_ns = binned.window_ticks * unit
    sum_ns = binned.sum_delay_ticks.astype(np.float64)  # in place below: one per-bin float array
    sum_ns *= unit
    sum_ns += (0.5 * unit) * binned.n_window  # bin centres
    mean = mean_delay_lifetime(sum_ns, binned.n_window, min_photons=min_photons)
    if estimator == "mean":
        tau = mean
    elif estimator == "corrected":
        tau = truncation_corrected_lifetime(mean, window_ns)
    else:
        tau = per_bin_mle_lifetime(sum_ns, binned.n_window, window_ns, background_counts=background_counts,
                                   min_photons=min_photons)
    inten = binned.intensity()
    finite = np.isfinite(tau)
    if lifetime_range_ns is None:
        hi = float(np.percentile(tau[finite], 99.5)) * 1.1 if finite.any() else window_ns
        lifetime_range_ns = (0.0, max(hi, unit))
    tau_edges = np.linspace(lifetime_range_ns[0], lifetime_range_ns[1], int(lifetime_bins) + 1)
    imax = int(inten.max()) if inten.size else 1
    if intensity_bins is None:
        step = max(1, int(np.ceil((imax + 1) / 200)))
        int_edges = np.arange(0, imax + step + 1, step, dtype=float) - 0.5
    elif np.isscalar(intensity_bins):
        int_edges = np.linspace(-0.5, imax + 0.5, int(intensity_bins) + 1)
    else:
        int_edges = np.asarray(intensity_bins, float)
    # histogram by blocks of bins: the same counts (a histogram is a sum over samples), with
    # temporaries bounded by the block instead of several copies of a 24-hour trace
    h = np.zeros((int_edges.size - 1, tau_edges.size - 1), np.int64)
    for a in range(0, inten.size, _HIST_BLOCK):
        f = finite[a:a + _HIST_BLOCK]
        hb, _, _ = np.histogram2d(inten[a:a + _HIST_BLOCK][f], tau[a:a + _HIST_BLOCK][f], bins=[int_edges, tau_edges])
        h += hb.astype(np.int64)
    return FlidMap(inten, tau, h, tau_edges, int_edges, estimator, float(window_ns),
                   float(binned.t0_ticks * unit), binned.bin_width_s, int(min_photons))


def flid(source, *, bin_width_s: float = defaults.BIN_WIDTH_S, detectors=None, estimator: str = "mean",
         **options) -> FlidMap:
    """FLID map of a file in one streaming pass (see :func:`flid_map` for the options)."""
    map_opts = {k: options.pop(k) for k in ("lifetime_bins", "lifetime_range_ns", "intensity_bins", "min_photons",
                                            "background_counts") if k in options}
    return flid_map(binned_pass(source, bin_width_s=bin_width_s, detectors=detectors, **options),
                    estimator=estimator, **map_opts)


def intensity_regions(intensity, *, n_sigma: float = 2.0, min_share: float = 0.02):
    """Two intensity bands around the two most occupied intensity levels (automatic regions).

    Returns
    -------
    list of (lo, hi)
        ``[(lo_2, hi_2), (lo_1, hi_1)]``: the lower level first (trion / OFF), then the
        higher (exciton / ON); bounds in counts per bin, inclusive.

    Notes
    -----
    The levels are peaks of the intensity histogram smoothed over about half a Poisson
    standard deviation: the highest one, and the highest one that lies more than
    4·√(level) away from it (so two noise maxima of one level are never taken for two
    levels), and that holds a real level: at least ``min_share`` (2 %) of the bins fall
    within ± one Poisson σ of it (a noise bump in the tail of a single level holds a
    handful). Each band is the peak ± ``n_sigma``·√peak (its shot noise),
    cut at the valley between the peaks, so that bins mixing both states within the bin
    width are left out of both bands. With a single peak a :class:`AnalysisError` is raised:
    give the regions explicitly.
    """
    inten = np.asarray(intensity, dtype=np.int64)
    sm = smoothed_intensity_histogram(inten)
    peaks = histogram_peaks(sm)
    if peaks.size < 2:
        raise AnalysisError("the intensity histogram has a single level: give the intensity regions explicitly")
    order = peaks[np.argsort(sm[peaks])[::-1]]
    first = order[0]

    def share(p):
        half = np.sqrt(max(p, 1))
        return np.count_nonzero(np.abs(inten - p) <= half) / inten.size

    distinct = [p for p in order[1:] if abs(p - first) > 4.0 * np.sqrt(max(p, first, 1)) and share(p) >= min_share]
    if not distinct:
        raise AnalysisError("the intensity histogram has a single level: give the intensity regions explicitly")
    lo_p, hi_p = sorted((int(first), int(distinct[0])))
    valley = lo_p + int(np.argmin(sm[lo_p:hi_p + 1]))
    bands = []
    for p, side in ((lo_p, "low"), (hi_p, "high")):
        half = n_sigma * np.sqrt(max(p, 1))
        lo, hi = int(np.floor(p - half)), int(np.ceil(p + half))
        if side == "low":
            hi = min(hi, valley - 1)
        else:
            lo = max(lo, valley + 1)
        bands.append((max(lo, 0), hi))
    return bands


def region_decay(binned: BinnedData, lo: int, hi: int) -> tuple[np.ndarray, int, int]:
    """Decay histogram of the photons of all bins with ``lo <= intensity <= hi``.

    Returns
    -------
    decay : (n_columns,) int64
        From the intensity-resolved decay matrix (aligned, rebinned nanotimes).
    lo_used, hi_used : int
        The band actually summed: the matrix rows are ``level_width_counts`` wide, so the
        band is narrowed to whole rows inside ``[lo, hi]``.
    """
    if binned.decay_matrix is None:
        raise AnalysisError("region-gated decays need T3 data (nanotimes)")
    w = binned.level_width_counts
    r0 = int(np.ceil(lo / w))
    r1 = int((hi + 1) // w) - 1
    r1 = min(r1, binned.decay_matrix.shape[0] - 2)  # the last row also holds clipped bins
    if r1 < r0:
        raise AnalysisError(f"intensity band [{lo}, {hi}] is narrower than one level of {w} counts")
    return binned.decay_matrix[r0:r1 + 1].sum(axis=0), r0 * w, (r1 + 1) * w - 1


@dataclass(frozen=True, repr=False)
class RegionLifetimes(Result):
    """Lifetimes and intensities of intensity regions, and β (science.md §3.2).

    Attributes
    ----------
    regions : list of (lo, hi)
        Bands of counts per bin actually used (inclusive), lowest first.
    intensity_counts : (k,) float
        Mean counts per bin of the bins in each region (``I_i``).
    n_bins : (k,) int
        Trace bins in each region.
    tau_ns, tau_err_ns : (k,) float
        Mono-exponential (with background) Poisson-ML lifetime of each region's pooled decay.
    beta : float
        ``I2·τ1/(I1·τ2)`` with region 1 the brightest and region 2 the dimmest (≈2:
        exciton/trion, Auger blinking; ≈1: BC blinking).
    fits : list of LifetimeFit
        The fits of the pooled decays (their ``tau_ns`` before the mixing correction).
    automatic : bool
    mixing_correction_ns : (k,) float
        What was added to each fitted τ to remove the photons of bins that mix states (see
        :func:`region_lifetimes`); 0 where it could not be estimated.
    n_steady_bins : (k,) int
        Bins of each region whose two neighbours lie in the same region.
    """

    regions: list
    intensity_counts: np.ndarray
    n_bins: np.ndarray
    tau_ns: np.ndarray
    tau_err_ns: np.ndarray
    beta: float
    fits: list
    automatic: bool
    mixing_correction_ns: np.ndarray | None = None
    n_steady_bins: np.ndarray | None = None

    # -- the report's summary of this result (composed by tttr.pipeline.Report.to_dict)
    def summary(self) -> dict:
        """The report's ``regions`` section: bands, mean intensities and lifetimes (β is top-level)."""
        return {"bands_counts": self.regions, "intensity_counts": self.intensity_counts, "tau_ns": self.tau_ns,
                "tau_err_ns": self.tau_err_ns, "mixing_correction_ns": self.mixing_correction_ns}


def _steady(sel: np.ndarray) -> np.ndarray:
    """Bins of ``sel`` whose two neighbours are in ``sel`` too (the trace ends count as outside)."""
    out = sel.copy()
    out[1:] &= sel[:-1]
    out[:-1] &= sel[1:]
    out[0] = out[-1] = False
    return out


def _mixing_fractions(inten: np.ndarray, sels: list, bands: list, bg_per_bin: list) -> tuple:
    """(ε per region, steady bins per region): the share of each of two regions' signal
    photons that come from the other state through bins holding a switch (see
    :func:`region_lifetimes`)."""
    from scipy import stats

    steady = [_steady(sel) for sel in sels]
    n_steady = [int(st.sum()) for st in steady]
    if min(n_steady) < defaults.REGION_MIN_STEADY_BINS:
        return [0.0, 0.0], n_steady
    levels = [float(inten[st].mean()) for st in steady]
    mid = 0.5 * (levels[0] + levels[1])
    high = inten > mid
    n_switch = int(np.count_nonzero(high[1:] != high[:-1]))
    x = (np.arange(defaults.REGION_MIXING_GRID) + 0.5) / defaults.REGION_MIXING_GRID  # midpoints of U(0, 1)
    eps = []
    for r, o in ((0, 1), (1, 0)):
        lam = (1.0 - x) * levels[r] + x * levels[o]
        lo, hi = bands[r]
        p_in = stats.poisson.cdf(hi, lam) - stats.poisson.cdf(lo - 1, lam)
        foreign = n_switch * float(np.mean(p_in * x * max(levels[o] - bg_per_bin[o], 0.0)))
        signal = float(inten[sels[r]].sum()) - int(sels[r].sum()) * bg_per_bin[r]
        eps.append(foreign / signal if signal > 0 else 0.0)
    return eps, n_steady


def beta(i1: float, tau1_ns: float, i2: float, tau2_ns: float) -> float:
    """Ratio of radiative rates ``β = I2·τ1 / (I1·τ2)`` (seed 001)."""
    return float(i2 * tau1_ns / (i1 * tau2_ns))


def region_lifetimes(binned: BinnedData, regions=None, *, tail_shift_ns: float = defaults.TAIL_SHIFT_NS,
                     min_bins: int = 10) -> RegionLifetimes:
    """Pool each intensity region's photons into one decay and fit a mono-exponential.

    Parameters
    ----------
    regions : list of (lo, hi), optional
        Bands of counts per bin (inclusive). Default: :func:`intensity_regions`.
    min_bins : int
        A region with fewer trace bins raises :class:`AnalysisError`.

    Notes
    -----
    The fit is :func:`~tttr.analysis.lifetime.fit_lifetime` (Poisson ML, tail from
    ``t0 + tail_shift_ns``, constant background, periodic model) on the region's decay taken
    from the decay matrix, whose columns are ``decay_rebin`` nanotime ticks wide. β uses the
    brightest and the dimmest region.

    *Bins that mix states* (with exactly two regions). A trace bin in which the emitter
    switched holds photons of both states; if its count falls in a region's band, they bias
    that region's τ towards the other state's (−0.03 ns for τ1 and +0.02 ns for τ2 at
    30 kcps over simulated emitters before this correction, as large as the statistical
    error; docs/validation_estimators.md). The decay matrix pools bins by intensity only, so
    the mixed bins cannot be left out of the fitted decay; their share is computed instead.
    With one switch per mixed bin at a uniformly distributed time, the bin spends a fraction
    ``x ~ U(0, 1)`` in the other state and its count is Poisson with mean
    ``λ(x) = (1 − x)·L_R + x·L_O`` (``L``: mean counts of the steady bins of each region,
    those whose two neighbours lie in the same band). The photons of the other state that
    enter region R are then ``N_sw · ∫₀¹ P(lo_R ≤ n ≤ hi_R | λ(x)) · x·(L_O − b) dx`` with
    ``N_sw`` the switches of the trace (crossings of the midpoint between the two levels) and
    ``b`` the background counts per bin; divided by the signal photons of R this is the
    fraction ``ε`` of foreign photons. That many photons, distributed like the other region's
    background-free decay, are subtracted from the region's decay, which is then fitted
    again: ``tau_ns`` is the refit, ``mixing_correction_ns`` the change. (A photon-weighted
    mean, ``(τ_fit − ε·τ_O)/(1 − ε)``, is wrong here: the fit with a free background absorbs
    much of a long foreign component.) The model (one switch per mixed bin) is taken to be
    good to ``REGION_MIXING_MODEL_ERROR`` (30 %) of the correction, added in quadrature to
    ``tau_err_ns``; switching faster than the bin breaks it.
    """
    unit = _unit_ns(binned)
    inten = binned.intensity()
    automatic = regions is None
    if automatic:
        regions = intensity_regions(inten)
    regions = sorted((int(a), int(b)) for a, b in regions)
    used, mean_i, nb, taus, errs, fits, sels, bg, decays = [], [], [], [], [], [], [], [], []
    bw = binned.decay_rebin * unit
    period = binned.period_ticks * unit if binned.period_ticks else None
    for lo, hi in regions:
        dec, lo_u, hi_u = region_decay(binned, lo, hi)
        sel = (inten >= lo_u) & (inten <= hi_u)
        if sel.sum() < min_bins:
            raise AnalysisError(f"intensity region {lo_u}-{hi_u} counts/bin holds {int(sel.sum())} bins "
                                f"(< {min_bins}); too few for a lifetime")
        fit: LifetimeFit = fit_lifetime(dec, model="mono", t0_ns=binned.t0_ticks * unit, tail_shift_ns=tail_shift_ns,
                                        bin_width_ns=bw, period_ns=period)
        used.append((lo_u, hi_u))
        mean_i.append(float(inten[sel].mean()) if sel.any() else float("nan"))
        nb.append(int(sel.sum()))
        taus.append(fit.tau_ns)
        errs.append(fit.tau_err_ns)
        fits.append(fit)
        sels.append(sel)
        decays.append(np.asarray(dec, dtype=np.float64))
        bg.append(max(float(fit.background_per_bin), 0.0) * dec.size / max(int(sel.sum()), 1)
                  if np.isfinite(fit.background_per_bin) else 0.0)
    shifts = [0.0] * len(taus)
    steady = [0] * len(taus)
    if len(taus) == 2 and all(np.isfinite(taus)):
        eps, steady = _mixing_fractions(inten, sels, used, bg)
        for r, o in ((0, 1), (1, 0)):
            if eps[r] <= 0:
                continue
            # the other state's signal decay shape, background removed
            sig_o = np.clip(decays[o] - max(float(fits[o].background_per_bin), 0.0), 0.0, None)
            sig_r = float(decays[r].sum()) - max(float(fits[r].background_per_bin), 0.0) * decays[r].size
            if not sig_o.sum() > 0 or not sig_r > 0:
                continue
            clean = np.clip(decays[r] - eps[r] * sig_r * sig_o / sig_o.sum(), 0.0, None)
            refit = fit_lifetime(clean, model="mono", t0_ns=binned.t0_ticks * unit, tail_shift_ns=tail_shift_ns,
                                 bin_width_ns=bw, period_ns=period)
            if np.isfinite(refit.tau_ns):
                shifts[r] = refit.tau_ns - fits[r].tau_ns
                taus[r] = refit.tau_ns
                errs[r] = float(np.hypot(refit.tau_err_ns, defaults.REGION_MIXING_MODEL_ERROR * shifts[r]))
    b = beta(mean_i[-1], taus[-1], mean_i[0], taus[0]) if len(regions) >= 2 else float("nan")
    return RegionLifetimes(used, np.array(mean_i), np.array(nb), np.array(taus), np.array(errs), b, fits, automatic,
                           np.array(shifts), np.array(steady, dtype=np.int64))
