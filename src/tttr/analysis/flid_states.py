"""Emission states of a FLID and their radiative rates: β with its error, and the state votes.

A bin that mixes two states of any kind lies on the Eq.-1 hyperbola through them, so the
shape of a FLID between two states says nothing about the mechanism. What separates Auger
from BC blinking is whether a dim state keeps the radiative rate of the bright one:
``ρ = (I/τ) / (I1/τ1)`` is 1 for a BC trap level (only the non-radiative rate changes) and
about 2 for the trion of Auger blinking (seed 001: ``β = I2·τ1/(I1·τ2)``). This module finds
the intensity levels of the steady trace bins, pools each level's photons (the per-bin photon
counts and delay sums are sufficient statistics of a mono-exponential decay), removes the
background from both, and returns every level's ρ with its error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import defaults
from ..results import Result
from .lifetime import per_bin_mle_lifetime
from .photon_stats import histogram_peaks, mandel_q, smoothed_intensity_histogram

__all__ = ["FlidLevel", "FlidStates", "flid_states", "BETA_SPLIT", "BC_TOLERANCE", "CHARGED_MIN_BETA"]

# Thresholds of the state classification; values and provenance in tttr.defaults.
BETA_SPLIT = defaults.FLID_BETA_SPLIT
BC_TOLERANCE = defaults.FLID_BC_TOLERANCE
CHARGED_MIN_BETA = defaults.FLID_CHARGED_MIN_BETA
MIN_STEADY_SHARE = defaults.FLID_MIN_STEADY_SHARE
MIN_LEVEL_SHARE = defaults.FLID_MIN_LEVEL_SHARE
MIN_LEVEL_BINS = defaults.FLID_MIN_LEVEL_BINS
MIXTURE_TOLERANCE = defaults.FLID_MIXTURE_TOLERANCE
LIFETIME_SPLIT = defaults.FLID_LIFETIME_SPLIT
Q_SIGMA = defaults.FLID_Q_SIGMA


@dataclass(frozen=True, repr=False)
class FlidLevel(Result):
    """One intensity level of the steady bins.

    Attributes
    ----------
    intensity_counts, intensity_err : float
        Mean signal counts per bin (background removed) and its standard error.
    tau_ns, tau_err_ns : float
        Pooled lifetime of the level's photons (background removed) and its error.
    rho, rho_err : float
        ``(I/τ)/(I1/τ1)`` relative to the brightest level (1 for it).
    n_bins : int
        Steady bins in the level's band.
    band : (lo, hi)
        Raw counts per bin (inclusive).
    kind : {"bright", "bc", "charged", "mixture", "other"}
        ``bc``: ρ consistent with 1 (within ``BC_TOLERANCE`` + 3 σ) and 3 σ below
        ``BETA_SPLIT``; ``charged``: ρ 3 σ above ``CHARGED_MIN_BETA``; ``other``: neither
        (not significant either way); ``mixture``: BC-like but on Eq. 1 between the bright
        and a charged level (:func:`_mark_mixtures`).
    """

    intensity_counts: float
    intensity_err: float
    tau_ns: float
    tau_err_ns: float
    rho: float
    rho_err: float
    n_bins: int
    band: tuple
    kind: str


@dataclass(frozen=True, repr=False)
class FlidStates(Result):
    """Levels, β and the state votes of a FLID (see :func:`flid_states`).

    Attributes
    ----------
    levels : list of FlidLevel
        Brightest first.
    beta, beta_err : float
        ρ of the dim reference level (the most populated level other than the brightest,
        as in seed 001's two regions), background-corrected; NaN without two levels.
    dim_index : int or None
        Index into ``levels`` of that level.
    mandel_q, mandel_q_err : float
    n_steady : int
        Steady bins with a finite lifetime.
    reason : str or None
        Why there is no evidence for a verdict (None when there is).
    """

    levels: list
    beta: float
    beta_err: float
    dim_index: int | None
    mandel_q: float
    mandel_q_err: float
    n_steady: int
    reason: str | None

    def kinds(self) -> list:
        return [lv.kind for lv in self.levels]


def _pooled_lifetime(tau_bins, n_bins, window_ns, bg_window_per_bin, estimator):
    """Lifetime of the pooled photons of some bins, with the background removed, and its error."""
    tau_bins = np.asarray(tau_bins, float)
    n_bins = np.asarray(n_bins, float)
    ok = np.isfinite(tau_bins) & (n_bins > 0)
    n_tot = float(n_bins[ok].sum())
    if n_tot <= 0:
        return float("nan"), float("nan")
    b_tot = float(bg_window_per_bin) * int(ok.sum())
    if estimator == "mle" or not np.isfinite(window_ns):
        # the bins' τ are already background-corrected: photon-weighted mean of them
        tau = float(np.sum(tau_bins[ok] * n_bins[ok]) / n_tot)
    else:
        t = tau_bins[ok]
        if estimator == "corrected":  # back to the mean delay of the truncated exponential
            with np.errstate(all="ignore"):
                t = t - window_ns / np.expm1(window_ns / t)
        s = float(np.sum(t * n_bins[ok]))
        with np.errstate(all="ignore"):
            tau = float(per_bin_mle_lifetime(np.array([s]), np.array([n_tot]), window_ns,
                                             background_counts=np.array([b_tot]), min_photons=1)[0])
    n_sig = n_tot - b_tot
    if not (np.isfinite(tau) and n_sig > 0):
        return float("nan"), float("nan")
    w2 = (window_ns ** 2 / 12.0) if np.isfinite(window_ns) else 0.0
    err = math.sqrt(n_sig * tau * tau + b_tot * w2) / n_sig
    return tau, err


def _level_bands(raw):
    """Distinct intensity levels of the raw counts: peaks and bands cut at the valleys."""
    sm = smoothed_intensity_histogram(np.asarray(raw, np.int64).clip(0))
    peaks = histogram_peaks(sm)
    if peaks.size == 0:
        return [], sm
    peaks = peaks[sm[peaks] >= 0.05 * sm.max()]
    # keep peaks more than 4 √I from a higher one (two noise maxima of one level are one level)
    kept = []
    for p in peaks[np.argsort(sm[peaks])[::-1]]:
        if all(abs(int(p) - q) > 4.0 * math.sqrt(max(p, q, 1)) for q in kept):
            kept.append(int(p))
    kept.sort()
    bands = []
    for j, p in enumerate(kept):
        half = 2.0 * math.sqrt(max(p, 1))
        lo, hi = p - half, p + half
        if j > 0:
            q = kept[j - 1]
            lo = max(lo, q + int(np.argmin(sm[q:p + 1])) + 1)
        if j + 1 < len(kept):
            q = kept[j + 1]
            hi = min(hi, p + int(np.argmin(sm[p:q + 1])) - 1)
        bands.append((int(math.ceil(lo)), int(math.floor(hi))))
    return bands, sm


def _mark_mixtures(levels):
    """Mark BC-like levels that lie on the Eq.-1 curve between the bright and a charged level.

    Bins that mix the exciton and the trion in a fixed proportion lie on Eq. 1 between them,
    and near the bright end their ρ is close to 1 (it dips to ≈ 0.87 half-way for seed 001's
    states). Such a level is no evidence of a BC state: it becomes ``"mixture"`` when its
    lifetime is within 3 σ (+ ``MIXTURE_TOLERANCE``) of Eq. 1 through the bright and the most populated
    charged level at its intensity.
    """
    charged = [lv for lv in levels[1:] if lv.kind == "charged"]
    if not charged:
        return levels
    c = max(charged, key=lambda lv: lv.n_bins)
    b = levels[0]
    u1, u2 = 1.0 / b.intensity_counts, 1.0 / c.intensity_counts
    out = [b]
    for lv in levels[1:]:
        if lv.kind == "bc" and c.intensity_counts < lv.intensity_counts < b.intensity_counts:
            frac = (1.0 / lv.intensity_counts - u1) / (u2 - u1)
            t_mix = b.tau_ns + (c.tau_ns - b.tau_ns) * frac
            if abs(lv.tau_ns - t_mix) <= 3.0 * lv.tau_err_ns + MIXTURE_TOLERANCE * lv.tau_ns:
                lv = FlidLevel(lv.intensity_counts, lv.intensity_err, lv.tau_ns, lv.tau_err_ns, lv.rho, lv.rho_err,
                               lv.n_bins, lv.band, "mixture")
        out.append(lv)
    return out


def _lifetime_groups(t_band, mean_counts):
    """Split one intensity band by lifetime where it holds states of distinct lifetimes.

    Two states of similar intensity (an exciton with a trap and a trion, in a mixed
    emitter) share an intensity band but not a lifetime. The band's per-bin lifetimes are
    histogrammed with a Gaussian kernel of half the per-bin noise ``τ/√I`` (one
    mono-exponential bin of I photons); peaks at least 5 % of the highest, more than 4 noise
    widths and more than ``LIFETIME_SPLIT`` (25 %) apart are distinct states, split at the
    valley between them. The 25 % keeps a band of a BC continuum (whose lifetimes change by
    ≈ 2√I/I across the band, 4 % at 3000 counts) whole: selecting bins by lifetime biases
    the pooled lifetime of the selection, which is harmless only for well separated states.

    Returns
    -------
    list of bool arrays (masks into ``t_band``)
    """
    t = np.asarray(t_band, float)
    ok = np.isfinite(t)
    if ok.sum() < 2 * MIN_LEVEL_BINS:
        return [ok]
    med = float(np.median(t[ok]))
    noise = max(med / math.sqrt(max(mean_counts, 1.0)), 1e-3)
    lo, hi = np.percentile(t[ok], [0.5, 99.5])
    h = noise / 2.0
    if not hi - lo > 4 * noise:
        return [ok]
    edges = np.arange(lo - 3 * noise, hi + 3 * noise + h, h)
    cnt, _ = np.histogram(t[ok], edges)
    k = np.arange(-6, 7)
    kern = np.exp(-0.5 * (k * h / (noise / 2.0)) ** 2)
    sm = np.convolve(cnt, kern / kern.sum(), mode="same")
    centres = 0.5 * (edges[1:] + edges[:-1])
    pk = histogram_peaks(sm)
    pk = pk[sm[pk] >= 0.05 * sm.max()]
    kept = []
    for p in pk[np.argsort(sm[pk])[::-1]]:
        far = [abs(centres[p] - centres[q]) > max(4.0 * noise * max(centres[p], centres[q]) / med,
                                                   LIFETIME_SPLIT * max(centres[p], centres[q])) for q in kept]
        if all(far):
            kept.append(int(p))
    if len(kept) < 2:
        return [ok]
    kept.sort()
    cuts = [centres[a + int(np.argmin(sm[a:b + 1]))] for a, b in zip(kept[:-1], kept[1:])]
    bounds = [-np.inf] + cuts + [np.inf]
    return [ok & (t > a) & (t <= b) for a, b in zip(bounds[:-1], bounds[1:])]


def flid_states(raw, tau, steady, *, window_ns: float, bg_counts: float, bg_window_counts: float,
                bg_err: float = 0.0, estimator: str = "mean") -> FlidStates:
    """Intensity levels of the steady bins, their radiative-rate ratios ρ and β.

    Parameters
    ----------
    raw : (n,) array
        Photons per trace bin (background included), in time order.
    tau : (n,) array
        Per-bin lifetime of the map (``estimator``), NaN where undefined.
    steady : (n,) bool
        Bins of steady stretches (:func:`~tttr.analysis.models.switching_mask` negated).
    window_ns : float
        Lifetime window of the map.
    bg_counts : float
        Background photons per bin (whole period): removed from the level intensities.
    bg_window_counts : float
        Background photons per bin inside the window: removed from the pooled decays.
    bg_err : float
        Uncertainty of ``bg_window_counts``; propagated into the level lifetimes and
        intensities (a dim level's lifetime moves by ``(W/2 − τ)/I`` per background count).
    estimator : {"mean", "corrected", "mle"}

    Returns
    -------
    FlidStates

    Notes
    -----
    * **No blinking.** Mandel Q of the whole trace within ``Q_SIGMA`` standard errors of 0
      (photon statistics of a steady emitter): no levels, reason given.
    * **Levels** are peaks of the smoothed histogram of the steady bins' counts at least 5 %
      of the highest, more than 4 √I apart, each with a band of ± 2 √I (its shot noise) cut
      at the valleys between neighbours. A level needs ``MIN_LEVEL_BINS`` bins and
      ``MIN_LEVEL_SHARE`` of the steady bins. A band that holds states of distinct
      lifetimes is split by lifetime (:func:`_lifetime_groups`).
    * **Pooled lifetime.** For a ``"mean"`` map the delay sum of a bin is ``τ·n`` (n: its
      photons; the few outside the window are neglected); the sums of the level's bins are
      added, the expected background (``bg_window_counts`` per bin, uniform in delay) is
      removed from the count and the sum, and the truncated-exponential ML equation is
      solved (:func:`~tttr.analysis.lifetime.per_bin_mle_lifetime`). Pooling the sufficient
      statistics has no regression dilution: the bins are selected by intensity, which is
      independent of the delays given the state. Error: ``√(N_s τ² + N_b W²/12)/N_s``.
    * **ρ** of a level is ``(I/τ)/(I1/τ1)`` with ``I`` background-free and 1 the brightest
      level; its error propagates the four relative errors. β is ρ of the most populated
      level other than the brightest (the two regions of seed 001).
    """
    raw = np.asarray(raw, float)
    tau = np.asarray(tau, float)
    q = mandel_q(raw)
    nan = float("nan")
    finite = np.isfinite(tau) & (tau > 0) & np.asarray(steady, bool)
    n_steady = int(finite.sum())

    def empty(reason):
        return FlidStates([], nan, nan, None, q.q, q.q_err, n_steady, reason)

    if not (np.isfinite(q.q) and q.q > Q_SIGMA * q.q_err):
        return empty(f"no blinking: Mandel Q = {q.q:.3g} ± {q.q_err:.2g} is consistent with a steady emitter")
    if n_steady < 2 * MIN_LEVEL_BINS:
        return empty(f"too few steady bins with a lifetime ({n_steady})")
    n_lifetime = int((np.isfinite(tau) & (tau > 0)).sum())
    if n_steady < MIN_STEADY_SHARE * n_lifetime:
        return empty(f"the emitter switches faster than the bin: only {n_steady} of {n_lifetime} bins are steady, "
                     f"so every level is a mixture of states (a shorter bin may resolve them)")
    r_st, t_st = raw[finite], tau[finite]
    bands, _ = _level_bands(r_st)
    rows = []
    groups = []
    for lo, hi in bands:
        in_band = (r_st >= lo) & (r_st <= hi)
        if in_band.sum() < MIN_LEVEL_BINS:
            continue
        idx = np.flatnonzero(in_band)
        for g in _lifetime_groups(t_st[idx], float(r_st[idx].mean())):
            sel = np.zeros(r_st.size, bool)
            sel[idx[g]] = True
            groups.append(((lo, hi), sel))
    for (lo, hi), sel in groups:
        nb = int(sel.sum())
        if nb < MIN_LEVEL_BINS or nb < MIN_LEVEL_SHARE * n_steady:
            continue
        i_sig = float(r_st[sel].mean()) - bg_counts
        i_err = math.hypot(float(r_st[sel].std(ddof=1) / math.sqrt(nb)), bg_err * bg_counts / max(bg_window_counts, 1e-12))
        # photons in the window: the bin's counts less the background outside the window
        n_win = np.maximum(r_st[sel] - max(bg_counts - bg_window_counts, 0.0), 1.0)
        t, te = _pooled_lifetime(t_st[sel], n_win, window_ns, bg_window_counts, estimator)
        if np.isfinite(t) and bg_err > 0:  # the background's uncertainty, propagated
            t_hi, _ = _pooled_lifetime(t_st[sel], n_win, window_ns, bg_window_counts + bg_err, estimator)
            if np.isfinite(t_hi):
                te = math.hypot(te, t_hi - t)
            else:
                te = float("inf")
        if i_sig > 0 and np.isfinite(t) and t > 0:
            rows.append([i_sig, i_err, t, te, nb, (lo, hi)])
    if len(rows) < 2:
        return FlidStates([], nan, nan, None, q.q, q.q_err, n_steady,
                          "a single intensity level among the steady bins: no second state to compare")
    rows.sort(key=lambda r: -r[0])
    i1, e1, t1, te1, _, _ = rows[0]
    levels = []
    for j, (i, ie, t, te, nb, band) in enumerate(rows):
        rho = (i / t) / (i1 / t1)
        rel = math.sqrt((ie / i) ** 2 + (te / t) ** 2 + (e1 / i1) ** 2 + (te1 / t1) ** 2) if j else 0.0
        err = rho * rel
        if j == 0:
            kind = "bright"
        elif abs(rho - 1.0) <= BC_TOLERANCE + 3.0 * err and CHARGED_MIN_BETA - rho > 3.0 * err:
            kind = "bc"
        elif rho > BETA_SPLIT and rho - (1.0 + BC_TOLERANCE) > 3.0 * err:
            kind = "charged"
        else:
            kind = "other"
        levels.append(FlidLevel(float(i), float(ie), float(t), float(te), float(rho), float(err), int(nb), band,
                                kind))
    levels = _mark_mixtures(levels)
    dim = 1 + int(np.argmax([lv.n_bins for lv in levels[1:]]))
    return FlidStates(levels, levels[dim].rho, levels[dim].rho_err, dim, q.q, q.q_err, n_steady, None)
