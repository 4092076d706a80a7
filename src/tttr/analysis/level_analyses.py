"""Analyses of grouped levels: dwell times, ON fraction, β, a level-based FLID and group-gated g2.

The binned analyses classify trace bins; here the units are the levels of change-point
detection (:mod:`tttr.analysis.levels`) and their groups (:func:`~tttr.analysis.level_groups.group_levels`).
A level's start and end are photon times, so its duration is not a multiple of a bin; a level
is one state, so its (intensity, lifetime) is a point of that state with no mixing inside it.

* :func:`level_on_groups`, :func:`level_on_fraction` — which groups are ON, and the time in them;
* :func:`level_dwell_times`, :func:`level_dwell_fits` — ON and OFF dwells (consecutive levels of the
  same class merged), handed to :func:`~tttr.analysis.powerlaw.fit_power_law` as unbinned data;
* :func:`level_beta` — β of seed 001 from the two dominant groups;
* :func:`level_flid_fit` — Eqs. 1–3 of seed 001 fitted to the level points with errors in both
  coordinates, and the verdict of :func:`~tttr.analysis.models.verdict_of`;
* :func:`group_gated_g2` — g2 from the photons of one group's levels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize

from .. import defaults
from ..errors import AnalysisError
from ..fit_result import FitResult
from ..results import Result
from .flid_states import BC_TOLERANCE, BETA_SPLIT, CHARGED_MIN_BETA, FlidLevel, FlidStates
from .level_groups import LevelGroups, level_arrays
from .models import ModelFit, auger_intensity, bc_intensity, mixed_intensity, verdict_of
from .powerlaw import PowerLawFit, fit_power_law

__all__ = ["LevelDwellTimes", "LevelOnFraction", "LevelDwellFits", "LevelBeta", "LevelFlidFit",
           "level_on_groups", "level_dwell_times", "level_on_fraction", "level_dwell_fits", "level_beta",
           "level_flid_fit", "group_gate", "group_gated_g2", "ON_RULES"]

ON_RULES = ("fraction", "brightest", "midpoint")


# ============================================================================ ON / OFF
def level_on_groups(groups: LevelGroups, *, rule: str = "fraction",
                    fraction: float = defaults.LEVEL_ON_FRACTION) -> np.ndarray:
    """Which groups are ON.

    Parameters
    ----------
    groups : LevelGroups
    rule : {"fraction", "brightest", "midpoint"}
        ``"fraction"`` (default): a group is ON when its intensity is at least ``fraction``
        of the brightest group's. ``"brightest"``: only the brightest group is ON.
        ``"midpoint"``: ON when at least the mean of the intensities of the two groups with
        the most time (the two dominant states; a two-state threshold that does not depend
        on a fraction, and keeps a dim state at exactly half the bright one OFF).
    fraction : float
        Default ``defaults.LEVEL_ON_FRACTION`` = 0.5, the f of the binned threshold (science.md §5).

    Returns
    -------
    (n_groups,) bool

    Notes
    -----
    The intensities are the groups' raw count rates (background included), as the binned
    threshold uses raw counts per bin. With one group everything is ON.
    """
    if rule not in ON_RULES:
        raise AnalysisError(f"unknown ON rule {rule!r}; one of {ON_RULES}")
    inten = np.asarray(groups.intensity_cps, float)
    if rule == "brightest":
        return np.arange(inten.size) == int(np.argmax(inten))
    if rule == "midpoint":
        if inten.size < 2:
            return np.ones(inten.size, bool)
        a, b = np.argsort(np.asarray(groups.time_s, float))[::-1][:2]
        return inten >= 0.5 * (inten[a] + inten[b])
    if not 0.0 < float(fraction) <= 1.0:
        raise AnalysisError(f"fraction must be in (0, 1], got {fraction!r}")
    return inten >= float(fraction) * inten.max()


@dataclass(frozen=True, repr=False)
class LevelDwellTimes(Result):
    """ON and OFF dwells made of levels (see :func:`level_dwell_times`).

    Attributes
    ----------
    on_s, off_s : arrays
        Durations of the complete ON and OFF dwells, in time order (censored ones excluded
        unless ``include_censored``).
    first_on, last_on : bool
        Class of the first and the last dwell (the censored ones).
    n_censored : int
        Dwells left out because they touch the start or the end of the levels.
    on_groups : (n_groups,) bool
        The ON groups used.
    """

    on_s: np.ndarray
    off_s: np.ndarray
    first_on: bool
    last_on: bool
    n_censored: int
    on_groups: np.ndarray


def _dwells(T, on_level):
    """Run lengths of the ON class over consecutive levels: (durations, class of each run)."""
    change = np.flatnonzero(on_level[1:] != on_level[:-1]) + 1
    starts = np.concatenate([[0], change])
    dur = np.add.reduceat(T, starts)
    return dur, on_level[starts]


def level_dwell_times(levels, groups: LevelGroups, *, on_groups=None, rule: str = "fraction",
                      fraction: float = defaults.LEVEL_ON_FRACTION, include_censored: bool = False) -> LevelDwellTimes:
    """ON and OFF dwell times from levels: consecutive levels of the same class are one dwell.

    Parameters
    ----------
    levels : Levels or namespace with ``start_s``, ``end_s``, ``n_photons``
    groups : LevelGroups
        Of the same levels (``groups.group`` in the order of ``levels``).
    on_groups : (n_groups,) bool, optional
        ON groups; default :func:`level_on_groups` with ``rule`` and ``fraction``.
    include_censored : bool
        Keep the first and the last dwell (default False: they are cut by the measurement).

    Returns
    -------
    LevelDwellTimes

    Notes
    -----
    Two consecutive levels of the same class (two ON groups, or an ON level followed by a
    false change point inside it) are one dwell: the emitter did not leave the class. A
    dwell's duration is the sum of its levels' durations, photon times apart, not a number of
    bins. Gaps between levels (if any) are not counted.
    """
    order, T, _, _, _ = level_arrays(levels)
    grp = np.asarray(groups.group)[order]
    on = np.asarray(level_on_groups(groups, rule=rule, fraction=fraction) if on_groups is None else on_groups, bool)
    dur, cls = _dwells(T, on[grp])
    keep = np.ones(dur.size, bool)
    if not include_censored:
        keep[0] = keep[-1] = False
    return LevelDwellTimes(dur[keep & cls], dur[keep & ~cls], bool(cls[0]), bool(cls[-1]),
                           int(np.count_nonzero(~keep)), on)


@dataclass(frozen=True, repr=False)
class LevelOnFraction(Result):
    """Time in the ON groups over the time of all levels (see :func:`level_on_fraction`).

    Attributes
    ----------
    on_fraction, on_fraction_err : float
    on_time_s, total_time_s : float
    n_cycles : int
        ON+OFF cycles behind the error.
    rule : str
    on_groups : (n_groups,) bool
    """

    on_fraction: float
    on_fraction_err: float
    on_time_s: float
    total_time_s: float
    n_cycles: int
    rule: str
    on_groups: np.ndarray


def level_on_fraction(levels, groups: LevelGroups, *, rule: str = "fraction",
                      fraction: float = defaults.LEVEL_ON_FRACTION) -> LevelOnFraction:
    """ON fraction from grouped states: time in the ON groups over the total time.

    Notes
    -----
    ON groups: :func:`level_on_groups` (default: intensity ≥ 0.5 × the brightest group's).
    The error treats the ON+OFF cycles (each ON dwell with the OFF dwell after it) as
    independent units of a ratio estimator: ``f = Σx/Σy`` with ``x`` the ON and ``y`` the cycle
    time, ``σ_f² = Σ(x − f·y)² / (m(m − 1)·ȳ²)``. Dwells are correlated in some emitters
    (the error is then too small); with fewer than 2 cycles it is NaN.
    """
    order, T, _, _, _ = level_arrays(levels)
    on = level_on_groups(groups, rule=rule, fraction=fraction)
    cls_level = on[np.asarray(groups.group)[order]]
    total = float(T.sum())
    on_time = float(T[cls_level].sum())
    f = on_time / total
    dur, cls = _dwells(T, cls_level)
    # cycles: start at the first ON dwell, each ON dwell + the OFF dwell after it
    first = int(np.argmax(cls)) if cls.any() else dur.size
    d, c = dur[first:], cls[first:]
    m = int(np.count_nonzero(c))
    err = float("nan")
    if m >= 2:
        cyc = np.cumsum(c) - 1
        x = np.bincount(cyc, weights=np.where(c, d, 0.0), minlength=m)
        y = np.bincount(cyc, weights=d, minlength=m)
        fr = x.sum() / y.sum()
        err = float(math.sqrt(np.sum((x - fr * y) ** 2) / (m * (m - 1))) / y.mean())
    return LevelOnFraction(f, err, on_time, total, m, rule, on)


@dataclass(frozen=True, repr=False)
class LevelDwellFits(Result):
    """Power-law fits of the level dwell times (see :func:`level_dwell_fits`).

    Attributes
    ----------
    on, off : PowerLawFit
        Unbinned continuous fits (``bin_width_s = 0``).
    dwells : LevelDwellTimes
    """

    on: PowerLawFit
    off: PowerLawFit
    dwells: LevelDwellTimes


def level_dwell_fits(levels, groups: LevelGroups, *, t_min_s="auto", t_min_floor_s=None, rule: str = "fraction",
                     fraction: float = defaults.LEVEL_ON_FRACTION, bootstrap: int = 0, gof_draws: int = 0,
                     rng=0) -> LevelDwellFits:
    """Power laws ``P(t) ∝ t^(−α)`` of the ON and OFF dwells made of levels.

    Parameters
    ----------
    t_min_s : float, None or "auto"
        As :func:`~tttr.analysis.powerlaw.fit_power_law`; "auto" (default) picks the t_min of
        least KS distance.
    t_min_floor_s : float, optional
        Smallest t_min of the automatic search (default: the shortest dwell).
    bootstrap, gof_draws, rng
        Passed on.

    Notes
    -----
    The durations are photon times, so the continuous likelihood with ``bin_width_s = 0`` (no
    half-bin shift) applies. Dwells shorter than change-point detection resolves (a few
    photons at the lower of the two intensities) are missing or merged into their
    neighbours, which flattens the distribution at short times: give ``t_min_floor_s`` above
    that resolution, or leave t_min to the KS search.
    """
    dw = level_dwell_times(levels, groups, rule=rule, fraction=fraction)
    kw = dict(bin_width_s=0.0, method="continuous", t_min_s=t_min_s, bootstrap=bootstrap, gof_draws=gof_draws,
              rng=rng)
    if t_min_floor_s is not None:
        kw["t_min_floor_s"] = t_min_floor_s
    return LevelDwellFits(fit_power_law(dw.on_s, **kw), fit_power_law(dw.off_s, **kw), dw)


# ================================================================================== β
@dataclass(frozen=True, repr=False)
class LevelBeta(Result):
    """β = I2·τ1/(I1·τ2) from the two dominant groups (see :func:`level_beta`).

    Attributes
    ----------
    beta, beta_err : float
    bright, dim : int
        Group indices of state 1 (the brighter of the two) and state 2.
    i1_cps, i2_cps, tau1_ns, tau2_ns : float
        Background-subtracted intensities and lifetimes used.
    background_cps : float
    reason : str or None
        Why β is NaN.
    """

    beta: float
    beta_err: float
    bright: int
    dim: int
    i1_cps: float
    i2_cps: float
    tau1_ns: float
    tau2_ns: float
    background_cps: float
    reason: str | None = None


def _dominant_pair(groups: LevelGroups):
    t = np.asarray(groups.time_s, float)
    if t.size < 2:
        return None
    a, b = np.argsort(t)[::-1][:2]
    return (int(a), int(b)) if groups.intensity_cps[a] >= groups.intensity_cps[b] else (int(b), int(a))


def level_beta(groups: LevelGroups, *, background_cps: float = 0.0) -> LevelBeta:
    """β of seed 001 from the two groups with the most time (science.md §3.2).

    Notes
    -----
    ``β = I2·τ1 / (I1·τ2)``: state 1 is the brighter of the two groups that hold the most
    time, state 2 the other; ``I = intensity_cps − background_cps``. The relative error adds
    those of the four quantities in quadrature (Poisson for the intensities, the groups'
    lifetime errors). The two dominant groups are seed 001's two regions; a rarely visited
    third group does not change β.
    """
    nan = float("nan")
    bg = float(background_cps)
    pair = _dominant_pair(groups)
    if pair is None:
        return LevelBeta(nan, nan, 0, 0, nan, nan, nan, nan, bg, "one group: no second state")
    b, d = pair
    i1, i2 = groups.intensity_cps[b] - bg, groups.intensity_cps[d] - bg
    t1, t2 = float(groups.tau_ns[b]), float(groups.tau_ns[d])
    if not (i1 > 0 and i2 > 0 and t1 > 0 and t2 > 0):
        return LevelBeta(nan, nan, b, d, float(i1), float(i2), t1, t2, bg,
                         "a state without a positive signal intensity or a lifetime")
    beta = i2 * t1 / (i1 * t2)
    rel = math.sqrt((groups.intensity_err_cps[b] / i1) ** 2 + (groups.intensity_err_cps[d] / i2) ** 2
                    + (groups.tau_err_ns[b] / t1) ** 2 + (groups.tau_err_ns[d] / t2) ** 2)
    return LevelBeta(float(beta), float(beta * rel), b, d, float(i1), float(i2), t1, t2, bg)


# ============================================================================ level FLID
@dataclass(frozen=True, repr=False)
class LevelFlidFit(Result, FitResult):
    """Eqs. 1–3 of seed 001 fitted to the levels' (τ, I) points, and the verdict.

    Attributes
    ----------
    models : dict of str → ModelFit
        Intensities in counts per second (``i1``, ``i2`` of Eqs. 1 and 3; ``a`` of Eq. 2 in
        cps/ns).
    verdict : {"auger", "bc", "mixed", "undetermined"}
    votes : dict
    reason : str
    beta, beta_err : float
        From :func:`level_beta`.
    tau1_ns, tau2_ns : float
        Anchors of Eq. 1 (bright and dim dominant group).
    tau_ns, tau_err_ns, intensity_cps, intensity_err_cps : arrays
        The level points fitted (background subtracted).
    background_cps : float
    criterion : str
    margin_threshold : float
    states : FlidStates
        The groups as emission states, brightest first (``intensity_counts`` in cps,
        ``n_bins`` = levels in the group).
    """

    models: dict
    verdict: str
    votes: dict
    reason: str
    beta: float
    beta_err: float
    tau1_ns: float
    tau2_ns: float
    tau_ns: np.ndarray
    tau_err_ns: np.ndarray
    intensity_cps: np.ndarray
    intensity_err_cps: np.ndarray
    background_cps: float
    criterion: str
    margin_threshold: float
    states: object = None
    options: dict = field(default_factory=dict)

    def _best(self):
        if self.verdict in self.models:
            return self.models[self.verdict]
        if not self.models:
            return None
        return min(self.models.values(), key=lambda m: getattr(m, self.criterion))

    def fit_model(self) -> str:
        m = self._best()
        return f"level FLID, Eq. {dict(auger=1, bc=2, mixed=3)[m.name]} ({m.name})" if m else "level FLID (no fit)"

    def fit_values(self) -> dict:
        m = self._best()
        return {} if m is None else {k: v["value"] for k, v in m.params.items()}

    def fit_errors(self) -> dict:
        m = self._best()
        return {} if m is None else {k: (float("nan") if v["stderr"] is None else v["stderr"])
                                     for k, v in m.params.items()}

    def fit_statistics(self) -> dict:
        m = self._best()
        out = {"n": int(self.tau_ns.size), "verdict": self.verdict}
        if m is not None:
            out.update({"chi2_reduced": m.redchi, "aic": m.aic, "bic": m.bic})
        return out


def _derivative(func, tau, p, h=1e-3):
    return (func(tau + h, *p) - func(tau - h, *p)) / (2 * h)


def _neg2ll(func, x, y, sx, sy):
    """−2 ln L of points with errors in both coordinates (effective variance) for a curve ``func``."""
    def fun(p):
        with np.errstate(all="ignore"):
            f = func(x, *p)
            s2 = sy ** 2 + (_derivative(func, x, p) * sx) ** 2
        if not (np.all(np.isfinite(f)) and np.all(np.isfinite(s2)) and np.all(s2 > 0)):
            return 1e300
        return float(np.sum((y - f) ** 2 / s2 + np.log(2 * np.pi * s2)))
    return fun


def _hessian(fun, p, rel=1e-4):
    k = p.size
    h = rel * np.maximum(np.abs(p), 1e-3)
    H = np.zeros((k, k))
    for a in range(k):
        for b in range(a, k):
            ea, eb = np.eye(k)[a] * h[a], np.eye(k)[b] * h[b]
            H[a, b] = H[b, a] = (fun(p + ea + eb) - fun(p + ea - eb) - fun(p - ea + eb) + fun(p - ea - eb)) / (4 * h[a] * h[b])
    return H


def _fit_model(name, x, y, sx, sy, tau1, tau2, i1_0, i2_0):
    """One model by maximum likelihood; a ModelFit or None."""
    if name == "auger":
        names, start = ("i1", "i2"), [i1_0, i2_0]
        func = lambda t, i1, i2: auger_intensity(t, i1, tau1, i2, tau2)  # noqa: E731
        bounds = [(1e-9, None), (1e-9, None)]
    elif name == "bc":
        names, start = ("a",), [float(np.sum(y * x) / np.sum(x * x))]
        func = lambda t, a: bc_intensity(t, a)  # noqa: E731
        bounds = [(None, None)]
    else:
        names, start = ("i1", "i2", "f"), [i1_0, i2_0, 0.5]
        func = lambda t, i1, i2, f: mixed_intensity(t, i1, tau1, i2, tau2, f)  # noqa: E731
        bounds = [(1e-9, None), (1e-9, None), (0.0, 1.0)]
    fun = _neg2ll(func, x, y, sx, sy)
    starts = [start] if name != "mixed" else [start[:2] + [f0] for f0 in (0.1, 0.5, 0.9)]
    best = None
    for s0 in starts:
        r = minimize(fun, np.asarray(s0, float), method="Nelder-Mead",
                     options={"xatol": 1e-8, "fatol": 1e-8, "maxiter": 4000, "maxfev": 8000})
        p = np.array([min(max(v, lo if lo is not None else -np.inf), hi if hi is not None else np.inf)
                      for v, (lo, hi) in zip(r.x, bounds)])
        val = fun(p)
        if best is None or val < best[1]:
            best = (p, val, r)
    p, val, r = best
    if not val < 1e299:
        return None
    try:
        cov = 2.0 * np.linalg.inv(_hessian(fun, p))
        err = np.sqrt(np.where(np.diag(cov) > 0, np.diag(cov), np.nan))
    except np.linalg.LinAlgError:
        err = np.full(p.size, np.nan)
    n, k = x.size, p.size
    f = func(x, *p)
    s2 = sy ** 2 + (_derivative(func, x, p) * sx) ** 2
    chisqr = float(np.sum((y - f) ** 2 / s2))
    params = {nm: {"value": float(v), "stderr": (float(e) if np.isfinite(e) else None), "vary": True,
                   "derived": False} for nm, v, e in zip(names, p, err)}
    for nm, v in (("tau1", tau1), ("tau2", tau2)):
        if name != "bc":
            params[nm] = {"value": float(v), "stderr": None, "vary": False, "derived": False}
    if name == "bc":
        params["b"] = {"value": 0.0, "stderr": None, "vary": False, "derived": False}
    return ModelFit(name, params, chisqr, chisqr / max(n - k, 1), val + 2 * k, val + k * math.log(n), n, k,
                    bool(r.success), str(r.message))


def _kind(j, rho, err):
    """The classification of :mod:`tttr.analysis.flid_states` applied to a group's ρ."""
    if j == 0:
        return "bright"
    if abs(rho - 1.0) <= BC_TOLERANCE + 3.0 * err and CHARGED_MIN_BETA - rho > 3.0 * err:
        return "bc"
    if rho > BETA_SPLIT and rho - (1.0 + BC_TOLERANCE) > 3.0 * err:
        return "charged"
    return "other"


def _states(groups: LevelGroups, bg: float, beta: LevelBeta, min_photons: int) -> FlidStates:
    nan = float("nan")
    rows = []
    # a group votes only if it holds a share of the time, as a binned level must hold a share of
    # the steady bins (FLID_MIN_LEVEL_SHARE): a few short levels split off a state (a grouping
    # that over-splits, docs/validation_levels.md) are not a state of their own
    total_time = float(np.sum(groups.time_s))
    for g in range(groups.n_groups):
        i, t = groups.intensity_cps[g] - bg, groups.tau_ns[g]
        if groups.time_s[g] < defaults.FLID_MIN_LEVEL_SHARE * total_time:
            continue
        if i > 0 and np.isfinite(t) and t > 0 and groups.n_photons[g] >= min_photons:
            rows.append((float(i), float(groups.intensity_err_cps[g]), float(t), float(groups.tau_err_ns[g]),
                         int(groups.n_levels[g]), g))
    if len(rows) < 2:
        return FlidStates([], nan, nan, None, nan, nan, int(sum(groups.n_levels)),
                          "a single group of levels: no second state to compare")
    rows.sort(key=lambda r: -r[0])
    i1, e1, t1, te1 = rows[0][:4]
    levels = []
    for j, (i, ie, t, te, nl, g) in enumerate(rows):
        rho = (i / t) / (i1 / t1)
        err = rho * math.sqrt((ie / i) ** 2 + (te / t) ** 2 + (e1 / i1) ** 2 + (te1 / t1) ** 2) if j else 0.0
        levels.append(FlidLevel(i, ie, t, te, float(rho), float(err), nl, (g, g), _kind(j, rho, err)))
    dim = next((j for j, r in enumerate(rows) if r[5] == beta.dim), None) if beta.reason is None else None
    if dim is None or dim == 0:
        dim = 1 + int(np.argmax([groups.time_s[r[5]] for r in rows[1:]]))
    return FlidStates(levels, levels[dim].rho, levels[dim].rho_err, dim, nan, nan, int(sum(groups.n_levels)), None)


def level_flid_fit(levels, groups: LevelGroups, models=("auger", "bc", "mixed"), *, background_cps: float = 0.0,
                   min_photons: int = defaults.LEVEL_FLID_MIN_PHOTONS, criterion: str = "bic",
                   margin: float = 10.0) -> LevelFlidFit:
    """A FLID whose points are levels, fitted with Eqs. 1–3 of seed 001, and the blinking verdict.

    Parameters
    ----------
    levels : Levels or namespace
        ``start_s``, ``end_s``, ``n_photons``, ``tau_ns``, ``tau_err_ns``.
    groups : LevelGroups
    models : sequence of {"auger", "bc", "mixed"}
    background_cps : float
        Constant background rate subtracted from every level's intensity (Eq. 2 passes through
        the origin only for the signal).
    min_photons : int
        Levels with fewer photons are left out (default ``defaults.LEVEL_FLID_MIN_PHOTONS``).
    criterion, margin
        As :func:`~tttr.analysis.models.fit_flid` (BIC, 10).

    Returns
    -------
    LevelFlidFit

    Raises
    ------
    AnalysisError
        Fewer than 3 levels with a lifetime and enough photons, or an unknown model.

    Notes
    -----
    **Points.** Level j gives ``I_j = n_j/T_j − background`` (cps) with ``σ_I = √n_j / T_j``
    and its lifetime ``τ_j ± σ_τ,j``. :func:`~tttr.analysis.models.fit_flid` needs a binned
    FLID map, so the fit is done here with the same model equations
    (:func:`~tttr.analysis.models.auger_intensity`, ``bc_intensity``, ``mixed_intensity``).

    **Objective.** Errors in both coordinates enter as an effective variance
    ``s_j² = σ_I,j² + (dI/dτ)²·σ_τ,j²`` (the model's slope at ``τ_j``), and the parameters
    minimise ``−2 ln L = Σ [(I_j − I(τ_j))²/s_j² + ln(2π s_j²)]``; the ``ln s²`` term belongs to
    the likelihood because ``s`` depends on the parameters. The errors are known (Poisson and
    the levels' lifetime errors), so no variance scale is fitted. Parameter errors: the
    inverse Hessian of ``ln L`` (numerical). AIC/BIC: ``−2 ln L + 2k`` / ``+ k ln n``.

    **Parameterisation** as ``fit_flid``: Eq. 1 with its endpoint lifetimes fixed at the
    bright and the dim dominant group's (the anchors) and ``I1, I2`` fitted; Eq. 2 as
    ``I = a·τ`` (through the origin); Eq. 3 with ``I1, I2`` and ``f`` ∈ [0, 1]
    (best of three starts of f).

    **Verdict.** The groups become emission states (brightest first) with
    ``ρ = (I/τ)/(I1/τ1)`` and its error, classified as in
    :mod:`~tttr.analysis.flid_states` (``bc``: ρ within ``BC_TOLERANCE`` + 3σ of 1;
    ``charged``: ρ above ``BETA_SPLIT`` and 3σ above the BC band); the mixture test of the
    binned states is not applied (a level is not a mixture of states unless change-point
    detection missed a switch). Then :func:`~tttr.analysis.models.verdict_of` decides: the
    states vote, the curve shape can only veto.
    """
    for m in models:
        if m not in ("auger", "bc", "mixed"):
            raise AnalysisError(f"unknown FLID model {m!r}")
    order, T, n, tau, tau_err = level_arrays(levels)
    bg = float(background_cps)
    ok = (n >= min_photons) & np.isfinite(tau) & np.isfinite(tau_err) & (tau_err > 0)
    if ok.sum() < 3:
        raise AnalysisError(f"only {int(ok.sum())} level(s) with ≥ {min_photons} photons and a lifetime: "
                            "too few for a level FLID")
    x, sx = tau[ok], tau_err[ok]
    y, sy = n[ok] / T[ok] - bg, np.sqrt(n[ok]) / T[ok]
    beta = level_beta(groups, background_cps=bg)
    states = _states(groups, bg, beta, min_photons)
    if beta.reason is None and beta.tau1_ns > beta.tau2_ns:
        tau1, tau2, i1_0, i2_0 = beta.tau1_ns, beta.tau2_ns, beta.i1_cps, beta.i2_cps
    else:  # one group (or a dim state that lives longer): the lifetime spread of the levels
        tau1, tau2 = float(np.percentile(x, 90)), float(np.percentile(x, 10))
        i1_0 = float(np.median(y[x >= tau1])) if np.any(x >= tau1) else float(y.max())
        i2_0 = float(np.median(y[x <= tau2])) if np.any(x <= tau2) else float(y.min())
    fits = {}
    if tau1 > tau2:
        for name in models:
            fit = _fit_model(name, x, y, sx, sy, tau1, tau2, max(i1_0, 1e-6), max(i2_0, 1e-6))
            if fit is not None:
                fits[name] = fit
    verdict, votes, reason = verdict_of(states, fits, criterion, float(margin))
    return LevelFlidFit(fits, verdict, votes, reason, beta.beta, beta.beta_err, float(tau1), float(tau2), x, sx, y, sy,
                        bg, criterion, float(margin), states, {"min_photons": int(min_photons), "n_levels": int(n.size)})


# ================================================================================== g2
def group_gate(levels, groups: LevelGroups, group: int, *, timestamps_unit_s: float,
               gate_bin_s: float = defaults.LEVEL_G2_GATE_BIN_S):
    """A trace-bin gate that is True in the bins lying wholly inside levels of ``group``.

    Returns
    -------
    on_mask : (m,) bool
    on_bin_ticks : int
        Gate bin in timestamp ticks (origin 0, the start of the measurement).
    """
    if not 0 <= int(group) < groups.n_groups:
        raise AnalysisError(f"group must be between 0 and {groups.n_groups - 1}, got {group!r}")
    ticks = max(1, int(round(float(gate_bin_s) / float(timestamps_unit_s))))
    b = ticks * float(timestamps_unit_s)
    sel = np.asarray(groups.group) == int(group)
    start = np.asarray(levels.start_s, float)[sel]
    end = np.asarray(levels.end_s, float)[sel]
    m = int(math.ceil(float(np.max(levels.end_s)) / b)) + 1
    first = np.ceil(start / b - 1e-9).astype(np.int64)   # first bin starting at or after the level start
    last = np.floor(end / b + 1e-9).astype(np.int64)      # bins ending at or before the level end
    diff = np.zeros(m + 1, np.int64)
    okk = last > first
    np.add.at(diff, first[okk], 1)
    np.add.at(diff, last[okk], -1)
    return np.cumsum(diff[:m]) > 0, ticks


def group_gated_g2(source, levels, groups: LevelGroups, group: int, *,
                   gate_bin_s: float = defaults.LEVEL_G2_GATE_BIN_S, **g2_options):
    """g2 from the photons of one group's levels (:func:`tttr.analysis.g2.g2` with a gate).

    Parameters
    ----------
    source : path, TTTRStream or photons from ``tttr.read``
    levels, groups
        Levels of ``source`` and their groups.
    group : int
        Group index (0 = dimmest).
    gate_bin_s : float
        Gate resolution (default 100 µs): the g2 gate is a boolean per trace bin, so bins that
        straddle a level boundary are left out.
    **g2_options
        Passed to :func:`~tttr.analysis.g2.g2`.

    Returns
    -------
    G2Curve

    Notes
    -----
    A second pass over the photons (the level times are known only after change-point
    detection). The gate is exact to one gate bin at each level boundary; the normalisation
    of the gated curve is that of :class:`~tttr.analysis.g2.G2Accumulator` for an ON gate.
    """
    from .g2 import g2

    info = getattr(source, "info", None)
    if info is None:
        from ..io import open as open_stream

        info = open_stream(source).info if not hasattr(source, "chunks") else source.info
    mask, ticks = group_gate(levels, groups, group, timestamps_unit_s=info.timestamps_unit_s, gate_bin_s=gate_bin_s)
    if not mask.any():
        raise AnalysisError(f"group {group} has no level longer than the gate bin ({gate_bin_s:g} s)")
    return g2(source, on_mask=mask, on_bin_ticks=ticks, on_origin_ticks=0, **g2_options)
