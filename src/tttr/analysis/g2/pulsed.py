"""Pulsed g2(0) from peak areas, with the peak-overlap and background-pair corrections."""

from __future__ import annotations

import math

import numpy as np

from ... import defaults
from ...errors import AnalysisError
from .background import correct_background
from .intervals import _normal_quantile, _poisson_ratio, _single_emitter
from .results import G2Curve, PulsedG2

__all__ = ["pulsed_g2_zero"]


# ------------------------------------------------------------------------ pulsed g2(0)
def _comb_offset(curve: G2Curve, period: float, k_max: int) -> float:
    """Offset of the peak comb from the circular mean of the counts over lag modulo the period."""
    sel = np.abs(curve.lag_s) <= (k_max + 0.5) * period
    c = curve.counts[sel].astype(np.float64)
    if c.sum() <= 0:
        return 0.0
    z = np.sum(c * np.exp(2j * np.pi * curve.lag_s[sel] / period))
    return float(np.angle(z) / (2 * np.pi) * period)


def _peak_shapes(curve: G2Curve, period: float):
    """Per-class ``(density A, density B, pair weight)`` and the whole-measurement densities.

    Returns ``(shapes, (da, db), note)``, or ``(None, None, reason)`` without nanotimes.
    """
    from .peaks import delay_density

    if curve.nanotime_hist is None or not curve.nanotime_unit_s:
        return None, None, "no nanotimes: the peak shape is unknown, window ratio only"
    unit = curve.nanotime_unit_s
    da = delay_density(curve.nanotime_hist[0], unit, period)
    db = delay_density(curve.nanotime_hist[1], unit, period)
    if da is None or db is None:
        return None, None, "nanotime histograms too coarse or empty for a peak shape: window ratio only"
    whole = [(da, db, 1.0)]
    hists, sums = curve.nanotime_hist_by_class, curve.class_sums
    if hists is None or sums is None or len(hists) < 2:
        return whole, (da, db), None
    n_bins = float(sums[:, 3].sum())
    # background photons per trace bin of each detector (flat in time)
    bg_a = da.background_fraction * da.n_photons / n_bins
    bg_b = db.background_fraction * db.n_photons / n_bins
    shapes = []
    for h, (s_ab, s_a, s_b, nb) in zip(hists, sums):
        weight = s_ab - bg_b * s_a - bg_a * s_b + bg_a * bg_b * nb  # signal-signal pairs per bin, summed
        share = nb / n_bins
        if weight <= 0 or h[0].sum() <= 0 or h[1].sum() <= 0:
            continue
        ca = delay_density(h[0], unit, period, origin=da.origin, background_per_bin=da.background_per_bin * share)
        cb = delay_density(h[1], unit, period, origin=db.origin, background_per_bin=db.background_per_bin * share)
        if ca is None or cb is None:
            continue
        shapes.append((ca, cb, float(weight)))
    return (shapes or whole), (da, db), None


def pulsed_g2_zero(curve: G2Curve, *, n_side_peaks: int = defaults.G2_SIDE_PEAKS, half_window_s: float | None = None,
                   period_s: float | None = None, tau0_s="auto", overlap: bool = True,
                   background: str | None = defaults.G2_BACKGROUND_CORRECTION,
                   background_fraction: float | None = None, level: float = defaults.G2_CI_LEVEL) -> PulsedG2:
    """g2(0) of pulsed excitation: central peak area over the mean of the ±1…±K side peaks.

    Parameters
    ----------
    curve : G2Curve
        A linear-bin histogram (from :func:`g2` or :class:`G2Accumulator`).
    n_side_peaks : int
        K: side peaks averaged on each side (default ``defaults.G2_SIDE_PEAKS`` = 1).
    half_window_s : float, optional
        Integration half-window around each peak centre (default: half a period,
        ``defaults.G2_PEAK_HALF_WINDOW_FRACTION``; the windows then tile the lag axis).
    period_s : float, optional
        Laser period (default: the curve's).
    tau0_s : float or "auto"
        Offset of the peak comb (detector delay). ``"auto"`` (default) estimates it as the
        circular mean of the counts over lag modulo the period.
    overlap : bool
        Remove the peak overlap with the shape of the decay histograms (default True; needs
        the curve's nanotime histograms, i.e. T3 data).
    background : {"pairs", "rho", "subtract"} or None
        Background correction (default ``defaults.G2_BACKGROUND_CORRECTION`` = "pairs").
    background_fraction : float, optional
        ``B/(S+B)`` of both detectors, used only when the curve has no nanotime histograms
        to give each detector's background (e.g. from a decay fitted elsewhere).
    level : float
        Confidence level of the intervals (default 0.95).

    Returns
    -------
    PulsedG2

    Raises
    ------
    AnalysisError
        No period, or the histogram window holds fewer than K complete side peaks per side.

    Notes
    -----
    * Window ``k`` is the sum of the counts of the bins whose centre lies in
      ``[k·P + τ0 − h, k·P + τ0 + h)``; only windows entirely inside the histogram are used.
      Window counts ``W_k`` are Poisson. ``g2_zero_window = W_0 / mean(W_±1…±K)``.
    * **Overlap.** With a lifetime not ≪ P the tails of the ±1 peaks reach into the central
      window (24.7 ns at 5 MHz: ≈1.7 % of a side peak, as much as published g2(0) values).
      In T3 data the shape of every uncorrelated peak is known: the cross-correlation of
      detector A's and B's signal delay distributions (:func:`~tttr.analysis.g2.peaks.delay_density`,
      which also puts back the tail that wrapped into later periods), centred at
      ``k·P``; with a blinking lifetime, the pair-weighted mean over intensity classes of the
      trace bins (``G2Curve.nanotime_hist_by_class``: pulses a few periods apart share a
      state, so each class contributes its own cross-correlation, weighted by its signal
      pairs). The windows then hold ``W = M·a + F``, with ``M[j, k]`` the fraction of peak
      ``k`` in window ``j``, ``a_k`` the signal pairs of pulses ``k`` apart and ``F_j`` the
      background pairs (below); peaks beyond the outermost windows are taken equal to the
      outermost ones. ``a = M⁻¹(W − F)`` are the areas as if the peaks did not overlap, and
      ``g2_zero = (a_0 + F_0)/(ā_side + F̄_side)``. The central (cascade) peak is assumed to
      have the uncorrelated shape; a biexciton–exciton pair is separated by one exciton
      delay, which gives that shape for a mono-exponential exciton decay.
    * **Background** (``"pairs"``). Background photons are flat in time; every pair with one
      of them is flat in lag, ``F_j = φ·E_j`` with ``E_j`` the pairs uncorrelated light gives
      in window ``j`` and ``φ = β_A + β_B − β_A·β_B`` (β: background fraction of each detector,
      from the tail fit of its decay histogram). Signal–signal pairs of a blinking emitter
      are bunched, pairs with a background photon are not, so the removal is done on the
      areas: ``g2_zero_corrected = a_0/ā_side``, the emitter's own same-pulse / adjacent-pulse
      pair ratio. ``"rho"`` and ``"subtract"`` apply the textbook formulas to ``g2_zero`` with
      ``β = B/(S+B)`` of both detectors; both assume Poisson-normalised peaks and are biased
      for a blinking emitter.
    * **Errors.** Standard errors are first-order in the Poisson window counts (and the
      background fractions). Intervals: conditional on ``W_0 + S`` (S = side windows),
      ``W_0`` is binomial, so the exact Clopper–Pearson interval of ``W_0/(W_0 + S)`` gives an
      interval of the window ratio that is right at zero counts; it is mapped through the
      (monotone) overlap/background correction and widened in quadrature by ``z`` times the
      error from the background fractions and the windows beyond ±K; its lower end is
      clipped at 0 (the point estimates are not: they stay unbiased and may be < 0).
    * ``g2(0) ≈ QY_BX/QY_X`` at low ⟨N⟩ (science.md §6). Blinking raises the near side
      peaks above the far ones; with K > 1 that bias enters g2(0), which is why the side
      peaks are reported (``peak_g2``) and K defaults to 1.
    """
    period, K, h = _pulsed_settings(curve, n_side_peaks, half_window_s, period_s, background, level)
    tau0, auto, ks = _peak_comb(curve, period, h, K, tau0_s)
    areas_arr, exp_arr, wins = _peak_windows(curve, ks, period, tau0, h)
    ks_arr = np.array(ks, np.int64)
    i0 = int(np.flatnonzero(ks_arr == 0)[0])
    ref = (np.abs(ks_arr) >= 1) & (np.abs(ks_arr) <= K)
    A0 = float(areas_arr[i0])
    S = float(areas_arr[ref].sum())
    side_mean = S / (2 * K)
    if S <= 0:
        which = "±1" if K == 1 else f"±1…±{K}"
        raise AnalysisError(f"the {which} side peaks hold no photon pairs (too few photons, or a detector dead "
                            "time longer than the period): no pulsed g2(0)")

    M, overlap_done, betas, beta_errs, notes = _overlap_and_background(
        curve, period, ks_arr, wins, tau0, overlap, background, background_fraction)
    Minv = np.linalg.inv(M)
    est = _PeakRatio(areas_arr.astype(np.float64), exp_arr, i0, np.flatnonzero(ref), betas, beta_errs,
                     _poisson_ratio(int(A0), int(S), level), S, float(_normal_quantile(0.5 + 0.5 * float(level))))

    gw, gw_err, gw_ci = est.estimate(True, False, np.eye(len(ks)))
    g0, err, ci = est.estimate(True, betas is not None, Minv)
    corr, corr_err, corr_ci, method, beta_all = _background_corrected(curve, est, Minv, betas, background, g0, err, ci)
    if corr is not None:
        single, reason = _single_emitter(corr_ci, f"the background-corrected g2(0) ({method})")
        if single is None and ci[1] < 0.5:
            single, reason = _single_emitter(ci, "g2(0) before background correction")
    else:
        single, reason = _single_emitter(ci, "g2(0) (no background correction available)")
    with np.errstate(divide="ignore", invalid="ignore"):
        peak_g2 = np.where(exp_arr > 0, areas_arr / exp_arr, np.nan)
    phi = est.phi
    unmixed = Minv @ (est.W - phi * exp_arr)
    return PulsedG2(g2_zero=float(g0), g2_zero_err=float(err), purity=1.0 - float(g0), purity_err=float(err),
                    single_emitter=single, central_area=int(A0), side_area_mean=side_mean, n_side_peaks=K,
                    peak_index=ks_arr, peak_lag_s=ks_arr * period + tau0, peak_areas=areas_arr,
                    peak_areas_relative=areas_arr / side_mean, peak_g2=peak_g2, period_s=period, half_window_s=h,
                    tau0_s=tau0, tau0_auto=auto, g2_zero_ci=tuple(float(x) for x in ci),
                    g2_zero_window=float(gw), g2_zero_window_err=float(gw_err),
                    g2_zero_window_ci=tuple(float(x) for x in gw_ci),
                    g2_zero_corrected=None if corr is None else float(corr),
                    g2_zero_corrected_err=None if corr_err is None else float(corr_err),
                    g2_zero_corrected_ci=None if corr_ci is None else tuple(float(x) for x in corr_ci),
                    correction=method, background_fractions=None if betas is None else tuple(map(float, betas)),
                    background_fraction=None if beta_all is None else float(beta_all),
                    overlap_corrected=overlap_done, overlap_note="; ".join(notes) or None,
                    single_emitter_reason=reason, ci_level=float(level), peak_areas_unmixed=unmixed,
                    background_pairs=phi * exp_arr)


def _pulsed_settings(curve: G2Curve, n_side_peaks, half_window_s, period_s, background, level):
    """The checked ``(period, K, half-window)`` of a pulsed analysis (ValueError/AnalysisError otherwise)."""
    if curve.spacing != "linear":
        raise ValueError("pulsed_g2_zero needs a linear-bin histogram (from g2 or G2Accumulator)")
    if background not in (None, "pairs", "rho", "subtract"):
        raise ValueError(f"background must be 'pairs', 'rho', 'subtract' or None, got {background!r}")
    if not 0 < float(level) < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    period = float(period_s) if period_s else curve.period_s
    if not period:
        raise AnalysisError("pulsed g2 needs the laser period (pass period_s=...)")
    K = int(n_side_peaks)
    if K < 1:
        raise ValueError("n_side_peaks must be at least 1")
    h = float(half_window_s) if half_window_s else defaults.G2_PEAK_HALF_WINDOW_FRACTION * period
    if not 0 < h <= 0.5 * period * (1 + 1e-9):
        raise ValueError(f"half_window_s must be in (0, period/2], got {h!r} with period {period!r}")
    return period, K, h


def _peak_comb(curve: G2Curve, period: float, h: float, K: int, tau0_s):
    """``(tau0, tau0 estimated?, ks)``: the comb offset and every peak whose window lies inside
    the histogram; AnalysisError when fewer than K side peaks per side fit."""
    lo_edge, hi_edge = float(curve.lag_edges_s[0]), float(curve.lag_edges_s[-1])
    k_all = int(np.floor(max(abs(lo_edge), hi_edge) / period)) + 1
    auto = isinstance(tau0_s, str)
    if auto:
        if tau0_s != "auto":
            raise ValueError(f"tau0_s must be a number or 'auto', got {tau0_s!r}")
        tau0 = _comb_offset(curve, period, k_all)
    else:
        tau0 = float(tau0_s)
    tol = 1e-9 * period
    ks = [k for k in range(-k_all, k_all + 1)
          if k * period + tau0 - h >= lo_edge - tol and k * period + tau0 + h <= hi_edge + tol]
    have = min(sum(1 for k in ks if k < 0), sum(1 for k in ks if k > 0))
    if 0 not in ks or have < K:
        need = (K + 0.5) * period + abs(tau0)
        raise AnalysisError(f"the ±{curve.window_s * 1e9:.4g} ns histogram holds {max(have, 0)} complete side "
                            f"peak(s) per side; {K} needed (use window_s >= {need * 1e9:.4g} ns)")
    return tau0, auto, ks


def _peak_windows(curve: G2Curve, ks, period: float, tau0: float, h: float):
    """Pair counts, uncorrelated-pair expectation and ``(start, end)`` lag of every peak window."""
    centres = curve.lag_s
    areas, expected, wins = [], [], []
    for k in ks:
        c0 = k * period + tau0
        sel = (centres >= c0 - h) & (centres < c0 + h)
        areas.append(int(curve.counts[sel].sum()))
        expected.append(float(curve.expected_counts[sel].sum()))
        idx = np.flatnonzero(sel)
        wins.append((float(curve.lag_edges_s[idx[0]]), float(curve.lag_edges_s[idx[-1] + 1])) if idx.size
                    else (c0 - h, c0 - h))
    return np.array(areas, np.int64), np.array(expected), wins


def _overlap_and_background(curve: G2Curve, period, ks_arr, wins, tau0, overlap, background, background_fraction):
    """``(M, overlap done?, betas, beta errors, notes)``: the peak-overlap matrix (identity when
    none) and the background fractions of detectors A and B (None when unknown)."""
    notes = []
    m = len(ks_arr)
    M = np.eye(m)
    overlap_done = False
    betas, beta_errs = None, (0.0, 0.0)
    shapes, whole, why = _peak_shapes(curve, period) if overlap or background == "pairs" else (None, None, None)
    if shapes is not None:
        da, db = whole
        betas = (da.background_fraction, db.background_fraction)
        beta_errs = (da.background_fraction_err, db.background_fraction_err)
        notes += [n for n in (da.note, db.note) if n]
        if overlap:
            M, overlap_done = _overlap_matrix(curve, shapes, period, ks_arr, wins, tau0, notes)
    elif why:
        notes.append(why)
    if betas is None and background_fraction is not None:
        bf = float(background_fraction)
        if not 0.0 <= bf < 1.0:
            raise ValueError(f"background_fraction must be in [0, 1), got {bf!r}")
        betas = (bf, bf)
    return M, overlap_done, betas, beta_errs, notes


def _overlap_matrix(curve: G2Curve, shapes, period, ks_arr, wins, tau0, notes):
    """``(M, True)`` with ``M[j, k]`` the fraction of peak k in window j, or ``(identity, False)``
    with the reason appended to ``notes``."""
    from .peaks import peak_window_matrix

    try:
        M = peak_window_matrix(shapes, curve.nanotime_unit_s, period,
                               float(curve.offsets_s[1] - curve.offsets_s[0]), np.array(wins), ks_arr,
                               centre_s=tau0)
        if not np.all(np.isfinite(M)) or abs(np.linalg.det(M)) < defaults.G2_OVERLAP_MIN_DETERMINANT:
            raise ValueError("singular peak-overlap matrix")
        return M, True
    except ValueError as exc:
        notes.append(f"no overlap correction: {exc}")
        return np.eye(len(ks_arr)), False


class _PeakRatio:
    """The central / side peak ratio of window counts ``W``, its error and interval.

    ``W`` are the window counts, ``exp_arr`` the uncorrelated pairs per window, ``i0`` the
    central window, ``side_rows`` the ±1…±K windows, ``betas`` the background fractions
    (or None), ``p_interval`` the exact interval of ``W_0/(W_0 + S)``, ``z`` the normal
    quantile of the level.
    """

    def __init__(self, W, exp_arr, i0, side_rows, betas, beta_errs, p_interval, S, z):
        self.W, self.exp_arr, self.i0, self.side_rows = W, exp_arr, i0, side_rows
        self.m = W.size
        self.phi = 0.0 if betas is None else betas[0] + betas[1] - betas[0] * betas[1]
        self.phi_err = (0.0 if betas is None
                        else math.hypot((1 - betas[1]) * beta_errs[0], (1 - betas[0]) * beta_errs[1]))
        self.p_lo, self.p_hi = p_interval
        self.S, self.z = S, z

    def ratio(self, W, phi, with_bg, Minv):
        F = phi * self.exp_arr
        a = Minv @ (W - F)
        num = a[self.i0] + (F[self.i0] if with_bg else 0.0)
        den = a[self.side_rows].mean() + (F[self.side_rows].mean() if with_bg else 0.0)
        return num / den if den != 0 else float("nan")

    def _window_variances(self, ph, with_bg, Minv, g):
        """Per-window variance contribution (first order in the Poisson counts)."""
        W, m = self.W, self.m
        grad = np.zeros(m)
        for j in range(m):
            step = max(1e-3 * max(W[j], 1.0), 1e-6)
            Wp = W.copy()
            Wp[j] += step
            grad[j] = (self.ratio(Wp, ph, with_bg, Minv) - g) / step
        return grad**2 * np.maximum(W, 1.0)  # an empty window still has Poisson variance

    def _mapped_interval(self, ph, with_bg, Minv):
        """The exact small-count interval of the window ratio, mapped through the correction."""
        ends = []
        for p in (self.p_lo, self.p_hi):
            if p >= 1.0:
                ends.append(float("inf"))
                continue
            Wq = self.W.copy()
            Wq[self.i0] = self.S * p / (1.0 - p)
            ends.append(self.ratio(Wq, ph, with_bg, Minv))
        return min(ends), max(ends)

    def estimate(self, with_bg, use_phi, Minv):
        """``(ratio, standard error, interval)``, with or without the background pairs."""
        ph = self.phi if use_phi else 0.0
        g = self.ratio(self.W, ph, with_bg, Minv)
        var_w = self._window_variances(ph, with_bg, Minv, g)
        var = float(np.sum(var_w))
        others = np.ones(self.m, bool)
        others[self.i0] = False
        others[self.side_rows] = False
        var_other = float(np.sum(var_w[others]))  # windows outside the central/side ratio
        var_phi = 0.0
        if use_phi and self.phi_err > 0:
            dphi = max(1e-6, 1e-3 * self.phi)
            var_phi = ((self.ratio(self.W, ph + dphi, with_bg, Minv) - g) / dphi * self.phi_err) ** 2
        err = math.sqrt(var + var_phi)
        lo_map, hi_map = self._mapped_interval(ph, with_bg, Minv)
        extra = self.z * math.sqrt(var_phi + var_other)
        half_lo = math.hypot(g - lo_map, extra)
        half_hi = math.hypot(hi_map - g, extra) if np.isfinite(hi_map) else float("inf")
        return g, err, (max(g - half_lo, 0.0), g + half_hi)  # a pair ratio is >= 0: the interval is clipped there


def _background_corrected(curve: G2Curve, est: _PeakRatio, Minv, betas, background, g0, err, ci):
    """``(value, error, interval, method, β of both detectors)``, all None without a background."""
    if betas is None or background is None:
        return None, None, None, None, None
    na, nb = max(curve.n_a, 0), max(curve.n_b, 0)
    beta_all = (betas[0] * na + betas[1] * nb) / (na + nb) if na + nb > 0 else 0.5 * (betas[0] + betas[1])
    if background == "pairs":
        corr, corr_err, corr_ci = est.estimate(False, True, Minv)
    else:
        c = correct_background(g0, background_fraction=min(beta_all, 0.999), method=background, g2_zero_err=err)
        corr, corr_err = c.g2_zero, c.g2_zero_err
        corr_ci = tuple(sorted(correct_background(v, background_fraction=min(beta_all, 0.999),
                                                  method=background).g2_zero for v in ci))
    return corr, corr_err, corr_ci, background, beta_all
