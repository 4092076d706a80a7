"""Pulsed g2(0) beyond the window ratio: peak shapes, peak overlap, background pairs, intervals.

Contents
--------
delay_density
    One detector's nanotime histogram turned into the delay distribution of its signal
    photons after their own laser pulse (rotated at the rise, background removed, the part
    that wrapped into the next periods put back), plus its background per bin.
peak_window_matrix
    The fraction of an uncorrelated peak ``k`` that falls into each integration window:
    the cross-correlation of detector A's and detector B's delay distributions.
poisson_ratio_interval
    The exact (Clopper–Pearson) interval of ``λ_0/λ_1`` from two Poisson counts.

These are the parts of :func:`tttr.analysis.g2.pulsed_g2_zero` that are not counting; see
its Notes and docs/science.md §6.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from ... import defaults

__all__ = ["DelayDensity", "delay_density", "peak_window_matrix", "poisson_ratio_interval"]

# Shape construction limits; values and provenance in tttr.defaults.
_MIN_BINS = defaults.G2_SHAPE_MIN_BINS
_FIT_BINS = defaults.G2_SHAPE_FIT_BINS
_WRAP_CUTOFF = defaults.G2_WRAP_CUTOFF
_MAX_TAIL_PERIODS = defaults.G2_MAX_TAIL_PERIODS


@dataclass(frozen=True)
class DelayDensity:
    """Delay distribution of one detector's signal photons after their exciting pulse.

    Attributes
    ----------
    density : (n,) float
        Signal photons per nanotime bin at delay ``(origin + u)·unit`` for ``u = 0 … n−1``
        (background removed; ``n`` is a whole number of periods, the wrapped tail included).
    origin : int
        Nanotime bin where the delays start (just before the rise).
    background_per_bin : float
        Background photons per nanotime bin (flat in time), and its standard error.
    background_err : float
    n_photons : int
    background_fraction, background_fraction_err : float
        Background photons / all photons of the detector.
    tail_tau_bins : float
        Longest decay time of the late tail (bins), NaN when not fitted.
    wrap_q : float
        ``exp(−P/τ_tail)`` of that component: the part of its tail that lands one period later
        (0 if not unwrapped).
    note : str or None
        Why a part of the construction fell back (no tail fit, tail too long to unwrap).
    """

    density: np.ndarray
    origin: int
    background_per_bin: float
    background_err: float
    n_photons: int
    background_fraction: float
    background_fraction_err: float
    tail_tau_bins: float
    wrap_q: float
    note: str | None


def _circular_smooth(x: np.ndarray, w: int) -> np.ndarray:
    if w <= 1:
        return x.astype(np.float64)
    ext = np.concatenate([x[-w:], x, x[:w]]).astype(np.float64)
    c = np.concatenate([[0.0], np.cumsum(ext)])
    half = w // 2
    idx = np.arange(x.size) + w
    return (c[idx - half + w] - c[idx - half]) / w


def _tail_fit(y: np.ndarray, width: float, b_fixed: float | None = None):
    """Poisson fit of ``width·(b + Σ_i D_i·⟨exp(−x/τ_i)⟩_bin)`` (one or two exponentials) to tail bins.

    ``y`` are counts of merged bins of ``width`` original bins, ``x`` measured from the first
    bin's start; ``b_fixed`` fixes the background (per original bin). Returns
    ``(b, [(D_i, τ_i)], b_err)`` in original bins, or None. Iteratively reweighted least
    squares with the model variance (converges to the Poisson maximum likelihood). The second
    exponential is kept when it lowers χ² by more than 25 (a 5σ improvement): a blinking
    emitter's decay is a mixture of lifetimes, and one exponential would push part of the
    slow one into the background.
    """
    from scipy.optimize import OptimizeWarning, curve_fit

    x = width * (np.arange(y.size) + 0.5)
    free_b = b_fixed is None

    def avg(tau):
        h = width / (2 * tau)
        return np.exp(-x / tau) * (np.sinh(h) / h if h > 1e-8 else 1.0)

    def model(xx, *p):
        b = p[0] if free_b else b_fixed
        rest = p[1:] if free_b else p
        out = np.full(x.size, float(b))
        for i in range(0, len(rest), 2):
            out = out + rest[i] * avg(rest[i + 1])
        return width * out

    def run(p0, n_exp):
        lo = ([0.0] if free_b else []) + [0.0, 0.25 * width] * n_exp
        hi = ([np.inf] if free_b else []) + [np.inf, 1e3 * (x[-1] + width)] * n_exp
        p = np.clip(np.asarray(p0 if free_b else p0[1:], float), np.array(lo) + 1e-12, np.array(hi) - 1e-12)
        cov = None
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", OptimizeWarning)  # a singular covariance is checked below
                for _ in range(4):
                    sig = np.sqrt(np.maximum(model(x, *p), 1e-3))
                    p, cov = curve_fit(model, x, y, p0=p, sigma=sig, absolute_sigma=True, bounds=(lo, hi),
                                       maxfev=4000)
        except (RuntimeError, ValueError):
            return None
        if cov is None or not np.all(np.isfinite(cov)):
            return None
        m = model(x, *p)
        full = np.concatenate([[p[0]], p[1:]]) if free_b else np.concatenate([[b_fixed], p])
        b_err = float(math.sqrt(max(cov[0, 0], 0.0))) if free_b else 0.0
        return full, b_err, float(np.sum((y - m) ** 2 / np.maximum(m, 1e-3)))

    b0 = max(float(np.mean(y[-max(3, y.size // 5):])) / width, 1e-6) if free_b else float(b_fixed)
    d0 = max(float(y[0]) / width - b0, 1e-6)
    above = np.flatnonzero(y / width - b0 < d0 / math.e)
    tau0 = max(float(x[above[0]]) if above.size else float(x[-1]), 0.5 * width)
    one = run([b0, d0, tau0], 1)
    if one is None:
        return None
    p1, e1, chi1 = one
    two = run([p1[0], 0.7 * p1[1], 0.5 * p1[2], 0.3 * p1[1], 2.0 * p1[2]], 2)
    if two is not None and two[2] < chi1 - 25.0 and min(two[0][1], two[0][3]) > 0:
        p2, e2, _ = two
        return float(p2[0]), [(float(p2[1]), float(p2[2])), (float(p2[3]), float(p2[4]))], e2
    return float(p1[0]), [(float(p1[1]), float(p1[2]))], e1


def delay_density(hist, unit_s: float, period_s: float, *, origin: int | None = None,
                  background_per_bin: float | None = None) -> DelayDensity | None:
    """Signal delay distribution and background of one detector from its nanotime histogram.

    Parameters
    ----------
    hist : (m,) int
        Nanotime histogram of the detector's photons.
    unit_s : float
        Nanotime bin width.
    period_s : float
        Laser period.
    origin : int, optional
        Delay origin (nanotime bin) to use instead of finding it (e.g. that of the whole
        measurement, for the histogram of one intensity class).
    background_per_bin : float, optional
        Background per nanotime bin to use instead of fitting it (background is flat in time:
        the whole measurement's, scaled by the class's share of the time).

    Returns
    -------
    DelayDensity or None
        None when the histogram has fewer than 16 bins per period or no photons.

    Notes
    -----
    * Bins past the period are folded back (a photon at ``dtime·unit ≥ P`` is the photon at
      ``dtime·unit − P`` of the next sync; absolute times are unchanged).
    * The delay origin is the minimum of the (circularly smoothed) histogram in the half
      period before its maximum: photons before it are the tail of the previous pulse.
    * The late tail (from where the signal has fallen to 1/e) is fitted with
      ``b + D·exp(−x/τ)``, or two exponentials when the data ask for it (Poisson weights):
      ``b`` is the background per bin. Of each exponential tail, ``q = exp(−P/τ)`` lands one period later, ``q²`` two, …; those
      photons sit at the start of the histogram (``D·q·exp(−x/τ)``) and are moved back to
      delays ``x + n·P`` with weight ``D·(1−q)·qⁿ·exp(−x/τ)``. This is exact for a
      mono-exponential tail and, for a multi-exponential decay, exact in its longest
      component (which is the one that wraps). Tails longer than the period (q > 1/e) are not
      unwrapped (the note says so).
    * When the tail fit fails, the background is the mean of the lowest tenth of the smoothed
      histogram and nothing is unwrapped.
    """
    h = np.asarray(hist, np.float64)
    n = float(h.sum())
    jp = float(period_s) / float(unit_s)
    jr = int(round(jp))
    if jr < _MIN_BINS or n <= 0:
        return None
    main = np.zeros(jr)
    idx = np.arange(h.size) % jr
    np.add.at(main, idx, h)
    sm = _circular_smooth(main, max(1, jr // 256))
    peak = int(np.argmax(sm))
    if origin is None:
        before = (peak - np.arange(1, jr // 2 + 1)) % jr
        origin = int(before[int(np.argmin(sm[before]))])
    origin = int(origin) % jr
    rot = np.roll(main, -origin)
    srot = np.roll(sm, -origin)
    p = (peak - origin) % jr
    floor = float(np.sort(srot)[: max(1, jr // 10)].mean())
    level = floor + (float(srot[p]) - floor) / math.e
    below = np.flatnonzero(srot[p:] < level)
    start = p + (int(below[0]) if below.size else 1)
    width = max(1, jr // _FIT_BINS)
    nfit = (jr - start) // width
    note = None
    fit = None
    if nfit >= 8:
        y = rot[start: start + nfit * width].reshape(nfit, width).sum(axis=1)
        fit = _tail_fit(y, float(width), background_per_bin)
    x = np.arange(jr, dtype=np.float64) + 0.5  # bin centres
    comps = []
    if fit is None and background_per_bin is not None:
        b, b_err = float(background_per_bin), 0.0
        note = "decay tail could not be fitted: tail not unwrapped"
    elif fit is None:
        b, b_err = floor, math.sqrt(max(floor, 1.0) / max(jr // 10, 1))
        note = "decay tail could not be fitted: background from the histogram floor, tail not unwrapped"
    else:
        b, comps, b_err = fit
        if background_per_bin is not None:
            b, b_err = float(background_per_bin), 0.0
        long = [(d, t) for d, t in comps if t > _MAX_TAIL_PERIODS * jp]
        if long:
            note = f"decay tail ({long[0][1] * unit_s * 1e9:.3g} ns) longer than the period: not unwrapped"
            comps = []
    qs = [math.exp(-jp / t) for _, t in comps]

    def wrapped(k):
        """Σ_i D_i·exp(−(x − start + k·P)/τ_i): component tails k periods on (no overflow for k ≥ 1)."""
        return sum((d * np.exp(-(x - start + k * jp) / t) for d, t in comps), np.zeros(jr))

    blocks = [rot - b]
    if comps:
        # photons of the previous pulses' tails: Σ_{k≥1} f(x + k·P) = Σ_i D_i·q_i·exp(−(x − start)/τ_i)
        blocks = [rot - b - wrapped(1)]
    k = 1
    while comps and max(qs) ** k > _WRAP_CUTOFF and k < 64:
        # f(x + k·P) = Σ_i D_i·(1 − q_i)·q_i^k·exp(−(x − start)/τ_i)
        blocks.append(sum(((1.0 - q) * d * np.exp(-(x - start + k * jp) / t) for (d, t), q in zip(comps, qs)),
                          np.zeros(jr)))
        k += 1
    tau = max((t for _, t in comps), default=float("nan"))
    q = math.exp(-jp / tau) if comps else 0.0
    dens = np.concatenate(blocks)
    bf = min(max(b * jp / n, 0.0), 1.0)
    return DelayDensity(density=dens, origin=origin, background_per_bin=float(b), background_err=float(b_err),
                        n_photons=int(n), background_fraction=float(bf),
                        background_fraction_err=float(b_err * jp / n), tail_tau_bins=float(tau),
                        wrap_q=float(q), note=note)


def peak_window_matrix(shapes, unit_s: float, period_s: float, shift_s: float, windows_s, ks,
                       centre_s: float = 0.0) -> np.ndarray:
    """Fraction of the uncorrelated peak ``k`` (pulses ``k`` apart) in every window.

    Parameters
    ----------
    shapes : list of (DelayDensity, DelayDensity, float)
        Detector A's and B's delay distributions and the weight (signal pairs) of each
        intensity class (one entry for the whole measurement); all share the delay origins.
    unit_s, period_s : float
    shift_s : float
        Delay offset added to the lags (``offset_B − offset_A``).
    windows_s : (m, 2) float
        ``[lo, hi)`` of each integration window (lag, seconds).
    centre_s : float
        Lag of the central window's centre (the comb offset τ0): peak 0 is the one whose
        centroid lies within half a period of it (the sync–pulse delay is common to both
        detectors and unknown, so the delay origins are known modulo the period only).
    ks : (m,) int
        Peak index of each window (contiguous). Peaks beyond the first and last window are
        folded onto them (their areas are taken equal to the outermost measured peak).

    Returns
    -------
    (m, m) float
        ``M[j, i]``: fraction of peak ``ks[i]`` (and of the outer peaks folded onto it) in
        window ``j``.

    Notes
    -----
    The lag of an uncorrelated A–B pair of pulses ``k`` apart is
    ``k·P + (o_B + u_B − o_A − u_A)·unit + shift`` with ``u`` the delays of
    :func:`delay_density`; its distribution is the cross-correlation of the two delay
    distributions (FFT), normalised to 1. Pairs of pulses ``k`` apart come from the same
    intensity state (the state lasts much longer than a few periods), so with several classes
    the shape is the pair-weighted mean of the classes' cross-correlations, not the
    cross-correlation of the summed histograms (which would mix the lifetimes of different
    states).
    """
    la = max(len(sa.density) for sa, _, _ in shapes)
    lb = max(len(sb.density) for _, sb, _ in shapes)
    size = 1 << int(math.ceil(math.log2(la + lb)))
    corr = np.zeros(la + lb - 1)
    for sa, sb, weight in shapes:
        fa = np.zeros(la)
        fa[: len(sa.density)] = sa.density
        fb = np.zeros(lb)
        fb[: len(sb.density)] = sb.density
        c = np.fft.irfft(np.conj(np.fft.rfft(fa, size)) * np.fft.rfft(fb, size), size)
        one = np.concatenate([c[size - (la - 1):], c[:lb]]) if la > 1 else c[:lb]  # lags -(la-1) … lb-1
        total = float(one.sum())
        if total > 0 and weight > 0:
            corr += weight * one / total
    if not corr.sum() > 0:
        raise ValueError("no signal in the decay histograms")
    corr = corr / corr.sum()
    l0 = -(la - 1)
    da, db = shapes[0][0], shapes[0][1]
    cum = np.concatenate([[0.0], np.cumsum(corr)])
    delta = (db.origin - da.origin) * unit_s + shift_s
    centroid = float(np.dot(corr, np.arange(corr.size) + l0)) * unit_s + delta
    delta -= round((centroid - centre_s) / period_s) * period_s
    w = np.asarray(windows_s, np.float64)
    ks = np.asarray(ks, np.int64)
    kmin, kmax = int(ks.min()), int(ks.max())
    reach = int(math.ceil((max(la, lb) * unit_s + abs(delta)) / period_s)) + 2
    out = np.zeros((len(ks), len(ks)))
    for k in range(kmin - reach, kmax + reach + 1):
        i = int(np.clip(k, kmin, kmax)) - kmin
        lo = np.ceil((w[:, 0] - delta - k * period_s) / unit_s - 1e-9).astype(np.int64) - l0
        hi = np.ceil((w[:, 1] - delta - k * period_s) / unit_s - 1e-9).astype(np.int64) - l0
        lo = np.clip(lo, 0, corr.size)
        hi = np.clip(hi, 0, corr.size)
        out[:, i] += cum[hi] - cum[lo]
    return out


def poisson_ratio_interval(n0: int, n1: int, level: float) -> tuple[float, float]:
    """Clopper–Pearson interval of ``p = λ_0/(λ_0 + λ_1)`` given Poisson counts ``n0``, ``n1``.

    Notes
    -----
    Conditional on ``n0 + n1``, ``n0`` is binomial with ``p``; the interval of ``p`` is the
    exact (conservative) binomial one, and ``λ_0/λ_1 = p/(1 − p)`` is monotone in ``p``, so
    it maps to an exact interval of the ratio of the two Poisson means.
    """
    from scipy.stats import beta

    a = 1.0 - float(level)
    n = int(n0) + int(n1)
    lo = 0.0 if n0 <= 0 else float(beta.ppf(a / 2, n0, n - n0 + 1))
    hi = 1.0 if n1 <= 0 else float(beta.ppf(1 - a / 2, n0 + 1, n - n0))
    return lo, hi
