"""`fit_flid`: Eqs. 1–3 fitted to a FLID, with β, the curvature test and the verdict."""

from __future__ import annotations

import numpy as np

from ...errors import AnalysisError
from ..flid import FlidMap, RegionLifetimes
from ..flid_states import flid_states
from .background import _background_error, _corrected_lifetimes, region_background_counts, _total_background
from .engine import _curvature, _data_slope, _fit_binned, _fit_odr
from .options import (CRITERIA, DEFAULT_MARGIN, DEFAULT_MIN_POINTS, DEFAULT_SWITCH_REACH, DEFAULT_SWITCH_SIGMA,
                      _MIXED_STARTS, MODEL_NAMES, OBJECTIVES, SINGLE_BLOB_SPREAD)
from .points import _binned_points, _intensity_spread, _levels, _lifetime_noise, switching_mask
from .results import FlidFit
from .verdict import verdict_of

__all__ = ["fit_flid"]


def fit_flid(flid: FlidMap, models=MODEL_NAMES, *, regions: RegionLifetimes | None = None,
             objective: str = "binned", min_points: int = DEFAULT_MIN_POINTS, criterion: str = "bic",
             margin: float = DEFAULT_MARGIN, background_counts="auto", bc_intercept: bool = False,
             exclude_switching: bool = True, switch_sigma: float = DEFAULT_SWITCH_SIGMA,
             switch_reach: int = DEFAULT_SWITCH_REACH, single_blob_spread: float = SINGLE_BLOB_SPREAD,
             correct_lifetimes: bool = True) -> FlidFit:
    """Fit Eqs. 1–3 of seed 001 to a FLID and decide the blinking type.

    Parameters
    ----------
    flid : FlidMap
        From :func:`~tttr.analysis.flid.flid_map`, in time order. Its per-bin lifetimes should
        be background-corrected (``estimator="mle"`` with ``background_counts``): uniform
        background photons pull the mean-delay lifetime of dim bins towards ``W/2`` (by
        2 ns for a 5 ns state with 7 background counts in 280) and bend the BC line away
        from the origin.
    models : sequence of {"auger", "bc", "mixed"}
        Models to fit (default all three; a verdict needs at least two).
    regions : RegionLifetimes, optional
        From :func:`~tttr.analysis.flid.region_lifetimes`: the Auger endpoints are anchored
        at its brightest and dimmest region lifetimes, and β is taken from it. Default: the
        brightest and the dimmest intensity level of the FLID's steady bins (peaks of the
        smoothed intensity histogram at least ``LEVEL_MIN_HEIGHT`` of the highest), their
        median per-bin lifetimes as anchors and β from those.
    objective : {"binned", "odr"}
        ``"binned"`` (default): mean intensity per lifetime bin with an effective variance,
        fitted by maximum likelihood (Notes). ``"odr"``: orthogonal distance regression of
        every steady trace bin (Notes).
    min_points : int
        Lifetime bins holding fewer steady trace bins are left out. Default 10.
    criterion : {"bic", "aic"}
        Information criterion of the verdict. Default ``"bic"``.
    margin : float
        Criterion difference a verdict needs. Default 10.
    background_counts : float or "auto"
        Constant background counts per bin subtracted from the intensities before fitting,
        so that Eq. 2 passes through the origin and the endpoints are signal intensities.
        ``"auto"`` (default): :func:`region_background_counts` of ``regions``, 0 without
        regions. Give the value used for ``flid_map(..., estimator="mle")``.
    bc_intercept : bool
        Fit the intercept ``b`` of Eq. 2. Default False: with the background subtracted Eq. 2
        goes through the origin, as its derivation (``I ∝ τ/τ_r``) says; a free intercept
        lets a straight line join any two states, so an exciton/trion pair could only be
        told from BC by the few bins between them.
    exclude_switching, switch_sigma, switch_reach
        Leave out the bins that are not part of a steady stretch (:func:`switching_mask`).
        Default True, 3 σ, 2 neighbours on each side.
    single_blob_spread : float
        Intensity spread below which the FLID is a single blob. Default 2.
    correct_lifetimes : bool
        For a ``"mean"`` or ``"corrected"`` map and a background > 0, replace the per-bin
        lifetimes by the background-corrected estimate of
        :func:`~tttr.analysis.lifetime.per_bin_mle_lifetime` (Notes). Default True.

    Returns
    -------
    FlidFit

    Raises
    ------
    AnalysisError
        No finite per-bin lifetime, or an unknown model, objective or criterion.

    Notes
    -----
    **Parameterisation.** Eq. 1 is a two-parameter curve (``1/I`` is linear in τ), so its
    four endpoint values are degenerate: the endpoint lifetimes ``τ1 > τ2`` are fixed (the
    anchors) and the curve's intensities ``I1, I2`` at them are fitted. ``I2`` is fitted as
    ``r2·I1`` with ``r2 ≤ 1`` bounded below so that the hyperbola's pole lies beyond the
    largest lifetime fitted: a pole inside the data would predict infinite intensities where
    bins are observed, and near a pole the effective variance lets a curve pass "close" to
    any point. Eq. 2 fits ``a`` (``b = 0``). Eq. 3 is :func:`mixed_intensity`:
    ``A_Auger = 1 − f``, ``A_BC = f``, the BC line through the bright state, fitted
    parameters ``I1, r2, f`` from three starts of f (0.1, 0.5, 0.9), keeping the best;
    ``A_Auger : A_BC`` is reported as ``(1 − f)/f`` with the error ``σ_f/f²``.

    **Lifetimes.** Background photons pull the mean delay of dim bins towards W/2 and make
    a BC FLID look like an Auger one (every BC simulation of docs/flid.md is then called
    ``auger``). For a ``"mean"`` map the sum of delays of a bin is ``τ·n`` with n ≈ its
    counts (the photons outside the window are ~0.1 %); a ``"corrected"`` map is first taken
    back to the mean delay of the truncated exponential. The background is then removed
    from these sufficient statistics as in ``flid_map(estimator="mle")``. An ``"mle"`` map is
    used as it is (``FlidFit.options["lifetimes"]`` says which).

    **Switching bins** are left out (:func:`switching_mask`): mixtures of two states lie on
    Eq. 1 between them whatever the mechanism.

    **Objective "binned".** Both coordinates of a FLID point are noisy and the lifetime
    noise is large (≈ τ/√N for N photons, several times more in dim bins, where uniform
    background photons add variance). The steady bins are grouped by lifetime (the map's
    lifetime edges); a group of n ≥ ``min_points`` bins gives one point: mean τ, mean
    intensity and its standard error ``σ_I = s/√n`` (sample variance floored at the Poisson
    variance). The lifetime noise enters through the model's slope as an effective variance
    ``σ_eff² = σ_I² + (dI/dτ)²·σ_τ²``. Here ``σ_τ`` is the per-bin lifetime noise, not
    divided by √n: grouping by a noisy lifetime displaces a group's mean intensity from the
    curve by up to the slope times that noise at the flanks of a dense cluster (regression
    dilution), and that does not average away. σ_τ is measured from the data: 1.4826 × the
    median absolute deviation of ``(τ_{t+1} − τ_t)/√2`` over consecutive steady bins of
    similar intensity (slices √I wide), since two consecutive bins of one state share their
    true lifetime; this needs neither the estimator nor the background. The parameters
    maximise the Gaussian likelihood of the points,
    ``−2 ln L = χ²/c + 2 Σ ln σ_eff`` with ``χ² = Σ (I_j − I(τ_j))²/σ_eff,j²`` and a common
    variance scale c profiled out (``c = χ²/n``, alternated with the parameters three times).
    The ``ln σ_eff`` term is part of the likelihood because σ_eff depends on the
    parameters; without it a curve lowers its χ² by being steep where it misses the data.

    **Objective "odr".** The steady bins are gathered into cells of √I/2 in intensity and
    one lifetime bin (narrower than the noise), and ``Σ w·[(I − I(τ + δ))²/σ_I² + δ²/σ_τ²]``
    is minimised over the parameters and one lifetime correction δ per cell (the ODRPACK
    objective; ``σ_I² = I/w``, ``σ_τ² = σ_τ,bin²/w``, w the bins in the cell) with
    :func:`scipy.optimize.least_squares`, starting from the binned fit (``scipy.odr`` is
    deprecated since SciPy 1.17). It weights every trace bin equally and has no dilution
    bias, so its parameters are the more accurate (docs/flid.md); but with 10⁴–10⁵ bins any
    small systematic departure from a model is decisive, so its verdicts lean to ``mixed``.
    Criteria use ``−2 ln L = n ln(χ²/n)`` with n the number of trace bins.

    **Criterion and margin.** AIC = −2 ln L + 2k, BIC = −2 ln L + k ln n (k free
    parameters, n points). BIC is the default: Eq. 3 nests Eq. 1 (f = 0) and Eq. 2 (f = 1),
    and BIC is consistent for choosing among nested models when one of them holds, whereas
    AIC keeps a fixed probability of preferring the larger model. The models within
    ``margin`` of the best are *plausible*: one plausible model → that model; Auger and BC
    both plausible → ``undetermined``; a pure model and ``mixed`` → the pure model (the
    extra parameter is not strongly supported). ``margin = 10`` is "very strong" evidence
    on the Kass–Raftery scale (a likelihood ratio of ~150 after the penalty).

    **Single blob.** A non-blinking emitter gives one cluster whose spread is shot noise;
    every curve through its centre fits it, so its shape carries no information and the
    verdict is ``undetermined`` without fitting. It is detected when the central 96 % of
    the intensities spans less than ``single_blob_spread`` times the span of one Poisson
    level (``2 × 2.054 √I``), or when fewer than 5 lifetime groups are left.

    **Curvature test** (seed 001, Fig. S12). The binned residuals of the Auger fit between
    the anchors (less two lifetime-noise widths at each end, where the clusters' dilution
    dominates) are fitted with a parabola over that span mapped to [−1, 1]. Its quadratic
    coefficient (counts per bin) is negative when Eq. 1 bends more than the data (data above
    the curve in the middle), the sign seed 001 saw for a mixed FLID; its error is scaled
    by √χ²_red of the parabola when that exceeds 1.

    **β** = ``I2·τ1/(I1·τ2)`` from the regions (:func:`~tttr.analysis.flid.beta`, reused).

    Examples
    --------
    >>> from tttr.analysis.models import auger_intensity, beta
    >>> float(auger_intensity(24.7, 760, 24.7, 280, 5.0)), round(beta(760, 24.7, 280, 5.0), 2)
    (760.0, 1.82)
    """
    models = tuple(models)
    _check_choices(models, objective, criterion)
    background_counts = _background_counts(flid, regions, background_counts)
    raw_all = np.asarray(flid.intensity_counts, float)
    tau_all = np.asarray(flid.lifetime_ns, float)
    lifetimes = "as mapped"
    if correct_lifetimes:
        fixed = _corrected_lifetimes(flid, background_counts)
        if fixed is not None:
            tau_all, lifetimes = fixed, f"background-corrected from the {flid.estimator!r} map"
    finite = np.isfinite(tau_all) & (tau_all > 0)
    if not finite.any():
        raise AnalysisError("the FLID has no finite per-bin lifetimes")
    spread = _intensity_spread(raw_all)
    ok = finite & ~switching_mask(raw_all, n_sigma=switch_sigma, reach=switch_reach) if exclude_switching else finite
    if not ok.any():
        ok = finite
    excluded = float(1.0 - ok.sum() / finite.sum())
    raw, tau = raw_all[ok], tau_all[ok]
    bg_total = _total_background(flid, regions, background_counts)
    inten = raw - bg_total

    states = _emission_states(flid, regions, raw_all, background_counts, bg_total, exclude_switching, switch_sigma,
                              switch_reach, correct_lifetimes)
    b_val, b_err, beta_source = float(states.beta), float(states.beta_err), "levels"
    if not np.isfinite(b_val):
        beta_source = "none"
    tau1, tau2 = _endpoint_lifetimes(states, regions, raw, tau)

    idx = np.flatnonzero(ok)
    nxt = np.searchsorted(idx, idx[:-1] + 1)  # position of bin t+1 among the kept bins
    nxt = np.minimum(nxt, idx.size - 1)
    pair_first = np.flatnonzero(idx[nxt] == idx[:-1] + 1)
    s_tau = _lifetime_noise(inten, tau, pair_first)
    edges = np.asarray(flid.lifetime_edges_ns, float)
    x, y, sy, sx, npp = _binned_points(inten, tau, s_tau, edges, min_points)

    options = {"min_points": int(min_points), "bc_intercept": bool(bc_intercept),
               "exclude_switching": bool(exclude_switching), "switch_sigma": float(switch_sigma),
               "switch_reach": int(switch_reach), "single_blob_spread": float(single_blob_spread),
               "lifetimes": lifetimes, "background_total_counts": float(bg_total)}

    def finish(fits, verdict, mval, reason, curvature, votes, ratio=float("nan"), ratio_err=float("nan")):
        evidence = _evidence(fits, votes, curvature, criterion, b_val, b_err, states, x.size)
        return FlidFit(fits, verdict, mval, criterion, float(margin), reason, b_val, beta_source, tau1, tau2, ratio,
                       ratio_err, curvature, spread, excluded, objective, float(background_counts), options,
                       x, y, sy, sx, npp, b_err, evidence, states)

    no_curv = _curvature(None, x, y, sy, sx)
    no_votes = {"beta": None, "levels": None, "shape": None}
    blob = spread < single_blob_spread
    if blob and states.reason is not None:
        return finish({}, "undetermined", None, (f"single blob: the central 96 % of the intensities spans {spread:.2f} "
                                                 f"Poisson widths (< {single_blob_spread:g}) and {states.reason}"),
                      no_curv, no_votes)

    fits = {}
    if x.size >= 5 and not blob:  # a blob's shape carries no information; its states may
        fits = _fitted_models(models, objective, x, y, sy, sx, tau1, tau2, bc_intercept, tau, inten, s_tau, edges)
    curvature = _curvature(fits.get("auger"), x, y, sy, sx, span=_curvature_span(x, sx, tau1, tau2))
    ratio, ratio_err = _auger_bc_ratio(fits)
    verdict, votes, reason = verdict_of(states, fits, criterion, float(margin))
    mval = _verdict_margin(fits, verdict, criterion)
    return finish(fits, verdict, mval, reason, curvature, votes, ratio, ratio_err)


def _check_choices(models, objective, criterion) -> None:
    """AnalysisError for an unknown model, objective or criterion."""
    for m in models:
        if m not in MODEL_NAMES:
            raise AnalysisError(f"unknown FLID model {m!r}; one of {MODEL_NAMES}")
    if objective not in OBJECTIVES:
        raise AnalysisError(f"unknown objective {objective!r}; one of {OBJECTIVES}")
    if criterion not in CRITERIA:
        raise AnalysisError(f"unknown criterion {criterion!r}; one of {CRITERIA}")


def _background_counts(flid: FlidMap, regions, background_counts) -> float:
    """The background counts per bin: the number given, or ``"auto"`` resolved from the regions."""
    if isinstance(background_counts, str):
        if background_counts != "auto":
            raise AnalysisError(f"background_counts must be a number or 'auto', not {background_counts!r}")
        background_counts = region_background_counts(flid, regions) if regions is not None else 0.0
    return float(background_counts)


def _emission_states(flid: FlidMap, regions, raw_all, background_counts, bg_total, exclude_switching, switch_sigma,
                     switch_reach, correct_lifetimes):
    """Emission states of the steady bins: levels, their radiative-rate ratios and β.

    The map's own lifetimes are used, not the per-bin corrected ones: a bin whose
    background-corrected lifetime is undefined has fewer background photons than expected, and
    leaving it out would bias the pooled lifetime of a dim level upwards.
    """
    steady = ~switching_mask(raw_all, n_sigma=switch_sigma, reach=switch_reach) if exclude_switching else None
    map_tau = np.asarray(flid.lifetime_ns, float)
    steady = np.isfinite(map_tau) & (steady if steady is not None and steady.any() else True)
    return flid_states(raw_all, map_tau, steady, window_ns=float(flid.window_ns),
                       bg_counts=bg_total, bg_window_counts=background_counts if correct_lifetimes else 0.0,
                       bg_err=_background_error(flid, regions, background_counts) if correct_lifetimes else 0.0,
                       estimator=flid.estimator)


def _endpoint_lifetimes(states, regions, raw, tau) -> tuple[float, float]:
    """``(τ1, τ2)`` the Auger endpoints are anchored at: the bright and dim emission states,
    else the region lifetimes, else the FLID's own brightest and dimmest levels, else the
    90th and 10th lifetime percentiles."""
    tau1 = tau2 = float("nan")
    if states.dim_index is not None:
        tau1, tau2 = states.levels[0].tau_ns, states.levels[states.dim_index].tau_ns
    if not tau1 > tau2 and regions is not None and len(regions.tau_ns) >= 2 and regions.tau_ns[-1] > regions.tau_ns[0]:
        tau1, tau2 = float(regions.tau_ns[-1]), float(regions.tau_ns[0])
    if not tau1 > tau2:  # one level: the FLID's own brightest and dimmest levels, else percentiles
        try:
            (lo1, hi1), (lo2, hi2) = _levels(raw)
            s1, s2 = (raw >= lo1) & (raw <= hi1), (raw >= lo2) & (raw <= hi2)
            if not (s1.any() and s2.any()):
                raise AnalysisError("an empty level band")
            tau1, tau2 = float(np.median(tau[s1])), float(np.median(tau[s2]))
        except AnalysisError:
            tau1, tau2 = float("nan"), float("nan")
        if not tau1 > tau2:
            tau1, tau2 = float(np.percentile(tau, 90)), float(np.percentile(tau, 10))
    return tau1, tau2


def _fitted_models(models, objective, x, y, sy, sx, tau1, tau2, bc_intercept, tau, inten, s_tau, edges) -> dict:
    """``{name: ModelFit}`` of the models that could be fitted (the best of the starts of f for mixed)."""
    fits = {}
    slope = _data_slope(x, y, sy, sx)
    for name in models:
        starts = _MIXED_STARTS if name == "mixed" else (None,)
        cands = [_fit_binned(name, x, y, sy, sx, tau1, tau2, bc_intercept, f0, slope) for f0 in starts]
        cands = [c for c in cands if c[0] is not None]
        if not cands:
            continue
        best, params = min(cands, key=lambda c: c[0].aic)
        if objective == "odr":
            best = _fit_odr(name, tau, inten, s_tau, edges, params)
        if best is not None:
            fits[name] = best
    return fits


def _curvature_span(x, sx, tau1, tau2) -> tuple:
    """Lifetimes between the anchors, less two lifetime-noise widths at each end when that leaves a span."""
    span = (tau2, tau1)
    if x.size >= 2:
        order = np.argsort(x)
        s1, s2 = np.interp([tau1, tau2], x[order], sx[order])
        if tau2 + 2 * s2 < tau1 - 2 * s1:
            span = (tau2 + 2 * s2, tau1 - 2 * s1)
    return span


def _auger_bc_ratio(fits) -> tuple[float, float]:
    """``A_Auger / A_BC = (1 − f)/f`` of the mixed fit and its error ``σ_f/f²`` (NaN without one)."""
    ratio = ratio_err = float("nan")
    if "mixed" in fits:
        f, fe = fits["mixed"].value("f"), fits["mixed"].stderr("f")
        ratio = (1.0 - f) / f if f > 0 else float("inf")
        ratio_err = fe / f ** 2 if f > 0 else float("nan")
    return ratio, ratio_err


def _verdict_margin(fits, verdict, criterion):
    """The criterion difference that supports the verdict (see :attr:`FlidFit.margin`), or None."""
    if len(fits) < 2:
        return None
    score = {k: getattr(m, criterion) for k, m in fits.items()}
    if verdict in ("auger", "bc") and verdict in score:
        other = "bc" if verdict == "auger" else "auger"
        return score[other] - score[verdict] if other in score else None
    if verdict == "mixed" and "mixed" in score:
        pure = [score[k] for k in ("auger", "bc") if k in score]
        return min(pure) - score["mixed"] if pure else None
    srt = sorted(score.values())
    return srt[1] - srt[0]


def _evidence(fits, votes, curvature, criterion, b_val, b_err, states, n_points) -> dict:
    """How each piece of evidence voted (:attr:`FlidFit.evidence`)."""
    score = {k: getattr(m, criterion) for k, m in fits.items()}
    best = min(score.values()) if score else float("nan")
    return {"delta_bic" if criterion == "bic" else "delta_aic": {k: v - best for k, v in score.items()},
            "beta": b_val, "beta_err": b_err, "curvature_z": curvature.get("z"),
            "n_bins": int(states.n_steady), "n_points": int(n_points),
            "mandel_q": states.mandel_q, "mandel_q_err": states.mandel_q_err,
            "levels": [{"intensity_counts": lv.intensity_counts, "tau_ns": lv.tau_ns, "rho": lv.rho,
                        "rho_err": lv.rho_err, "n_bins": lv.n_bins, "kind": lv.kind} for lv in states.levels],
            "votes": votes}
