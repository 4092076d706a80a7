"""FLID models of seed 001 (Eqs. 1–3), their fits and the blinking-type verdict (science.md §3.1).

A FLID (:class:`~tttr.analysis.flid.FlidMap`) pairs the intensity and the lifetime of every
trace bin. Each blinking mechanism predicts a curve ``I(τ)`` that those pairs follow:

``auger_intensity`` (Eq. 1)
    Exciton (``τ1, I1``) ↔ trion (``τ2, I2``) switching within a bin. Equivalent to
    ``1/I`` linear in τ: a hyperbola through both state points.
``bc_intensity`` (Eq. 2)
    Band-edge carrier trapping with a fixed radiative rate: ``I = a·τ + b``, a straight line
    through the origin (``b``: constant background).
``mixed_intensity`` (Eq. 3)
    ``(1 − f)·Eq. 1 + f·(I1/τ1)·τ``: both mechanisms, parameterised so that the amplitudes
    are identifiable (``A_Auger = 1 − f``, ``A_BC = f``; see :func:`mixed_intensity`).

:func:`fit_flid` fits them with lmfit (:class:`AugerModel`, :class:`BCModel`,
:class:`MixedModel`) to the occupancy-weighted mean intensity in each lifetime bin, with an
effective variance that carries the noise of both coordinates (or by orthogonal distance
regression on every trace bin), ranks them by BIC and returns a :class:`FlidFit` with the
verdict ``auger | bc | mixed | undetermined``, β and the curvature test of seed 001.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from lmfit import Model, minimize

from ..errors import AnalysisError
from ..results import Result
from .flid import FlidMap, RegionLifetimes, beta
from .flid_states import BETA_SPLIT, flid_states
from .lifetime import per_bin_mle_lifetime
from .photon_stats import histogram_peaks, smoothed_intensity_histogram

__all__ = [
    "auger_intensity",
    "bc_intensity",
    "mixed_intensity",
    "AugerModel",
    "BCModel",
    "MixedModel",
    "ModelFit",
    "FlidFit",
    "fit_flid",
    "region_background_counts",
    "verdict_of",
    "random_flid",
    "switching_mask",
    "beta",
    "MODEL_NAMES",
    "VERDICTS",
]

MODEL_NAMES = ("auger", "bc", "mixed")
VERDICTS = ("auger", "bc", "mixed", "undetermined")
OBJECTIVES = ("binned", "odr")
CRITERIA = ("bic", "aic")

#: ΔBIC (or ΔAIC) a model must win by for a verdict: 10 is "very strong" evidence on the
#: Kass–Raftery scale (a likelihood ratio of e^5 ≈ 150 after the parameter penalty).
DEFAULT_MARGIN = 10.0
#: Lifetime bins with fewer trace bins than this are left out of the binned objective.
DEFAULT_MIN_POINTS = 10
#: Width of the central 96 % of the per-bin intensities, in units of the width one Poisson
#: level has (2 × 2.054 √I); below this the FLID is a single blob (see :func:`fit_flid`).
SINGLE_BLOB_SPREAD = 2.0
#: A bin is a switching bin when it differs from a neighbour by more than this many σ.
DEFAULT_SWITCH_SIGMA = 3.0
#: Intensity-histogram peaks lower than this fraction of the highest are not levels.
LEVEL_MIN_HEIGHT = 0.1
_Z98 = 2.0537489  # standard normal 98th percentile: a Poisson level's 2-98 % span is 2·z98·√I
_MIXED_STARTS = (0.1, 0.5, 0.9)
#: Neighbours on each side a steady bin must agree with (see :func:`switching_mask`).
DEFAULT_SWITCH_REACH = 2


# =================================================================== equations (plain numpy)
def auger_intensity(tau, i1, tau1, i2, tau2):
    """Seed 001, Eq. 1: intensity of bins mixing the exciton and the trion state.

    Parameters
    ----------
    tau : array of float
        Per-bin lifetime, ns.
    i1, tau1 : float
        Exciton (bright) state: counts per bin and lifetime (ns).
    i2, tau2 : float
        Trion (dim) state: counts per bin and lifetime (ns).

    Returns
    -------
    array of float
        ``I1·I2·(τ2 − τ1) / (I2·(τ2 − τ) + I1·(τ − τ1))``, counts per bin.

    Notes
    -----
    A bin spending ``T1`` in the exciton and ``T2`` in the trion state has
    ``I = (I1·T1 + I2·T2)/T`` and the photon-weighted lifetime
    ``τ = (I1·T1·τ1 + I2·T2·τ2)/(I1·T1 + I2·T2)``; eliminating ``T1/T`` gives Eq. 1. It passes
    through ``(τ1, I1)`` and ``(τ2, I2)`` exactly, and ``1/I`` is linear in τ, so the curve is a
    two-parameter family: any two of its points can serve as the endpoints.
    """
    tau = np.asarray(tau, float)
    return i1 * i2 * (tau2 - tau1) / (i2 * (tau2 - tau) + i1 * (tau - tau1))


def bc_intensity(tau, a, b=0.0):
    """Seed 001, Eq. 2: band-edge carrier (BC) blinking, ``I = a·τ + b``.

    Parameters
    ----------
    tau : array of float
        Per-bin lifetime, ns.
    a : float
        Counts per bin per ns of lifetime (``I ∝ QY = τ/τ_r`` with a fixed radiative rate).
    b : float
        Intercept, counts per bin: 0 for a line through the origin; a constant background
        otherwise.
    """
    return a * np.asarray(tau, float) + b


def mixed_intensity(tau, i1, tau1, i2, tau2, f):
    """Seed 001, Eq. 3 in an identifiable form: ``(1 − f)·Eq. 1 + f·(I1/τ1)·τ``.

    Parameters
    ----------
    tau : array of float
        Per-bin lifetime, ns.
    i1, tau1, i2, tau2 : float
        Endpoints of the Auger term (Eq. 1); ``(τ1, I1)`` is the bright state.
    f : float
        BC fraction in [0, 1].

    Returns
    -------
    array of float

    Notes
    -----
    Eq. 3 reads ``A_Auger·Eq.1 + A_BC·τ/τ_r``. As written it is degenerate: ``A_Auger``
    multiplies ``I1·I2`` (only the product ``A_Auger·I1·I2`` and the shape are seen) and
    ``A_BC`` only appears as ``A_BC/τ_r``. Two constraints remove the degeneracy:

    * both terms describe the same bright state, so the BC line passes through it:
      ``τ_r`` is expressed in intensity units as ``τ1/I1`` (the bright state has the full
      radiative yield), i.e. the BC term is ``A_BC·(I1/τ1)·τ``;
    * ``A_Auger + A_BC = 1``, so the mixed curve passes through ``(τ1, I1)`` as well.

    Then ``A_Auger = 1 − f`` and ``A_BC = f`` with one free fraction f, and
    ``A_Auger : A_BC = (1 − f) : f`` (seed 001 reports ≈ 3 : 1, f ≈ 0.25). f = 0 is Eq. 1 and
    f = 1 is Eq. 2 through the origin and the bright state.
    """
    tau = np.asarray(tau, float)
    return (1.0 - f) * auger_intensity(tau, i1, tau1, i2, tau2) + f * (i1 / tau1) * tau


# ======================================================================== lmfit models
def _weights_of(data, kwargs):
    w = kwargs.get("weights")
    if w is None:
        return np.ones_like(np.asarray(data, float))
    return np.asarray(w, float) ** 2


def _auger_endpoints(data, tau, tau1, tau2, w):
    """Endpoint intensities from a weighted straight-line fit of ``1/I`` against τ."""
    y = np.asarray(data, float)
    x = np.asarray(tau, float)
    ok = np.isfinite(x) & np.isfinite(y) & (y > 0)
    if ok.sum() >= 2:
        # var(1/I) = var(I)/I^4: weight 1/I by w·I^4 (w = 1/var(I))
        ww = w[ok] * y[ok] ** 4
        p = np.polyfit(x[ok], 1.0 / y[ok], 1, w=np.sqrt(ww / ww.max()))
        inv1, inv2 = np.polyval(p, tau1), np.polyval(p, tau2)
        if inv1 > 0 and inv2 > 0:
            return 1.0 / inv1, 1.0 / inv2
    order = np.argsort(x[ok])
    return (float(np.interp(tau1, x[ok][order], y[ok][order])), float(np.interp(tau2, x[ok][order], y[ok][order])))


def _anchors(tau, tau1, tau2):
    x = np.asarray(tau, float)
    x = x[np.isfinite(x)]
    if tau1 is None:
        tau1 = float(np.percentile(x, 90))
    if tau2 is None:
        tau2 = float(np.percentile(x, 10))
    return float(tau1), float(tau2)


def _pole_bound(tau1: float, tau2: float, tau_max: float) -> float:
    """Smallest ``I2/I1`` that keeps the pole of Eq. 1 beyond ``tau_max``.

    For ``0 < I2 < I1`` and ``τ2 < τ1`` the pole of Eq. 1 is at
    ``τ_p = τ1 + I2·(τ1 − τ2)/(I1 − I2)``; ``τ_p > τ_max`` ⇔
    ``I2/I1 > D/(τ1 − τ2 + D)`` with ``D = τ_max − τ1``.
    """
    d = float(tau_max) - float(tau1)
    if d <= 0 or tau1 <= tau2:
        return 0.0
    return d / (tau1 - tau2 + d)


def _bound_pole(pars, i1, i2, tau1, tau2, tau_max):
    if tau_max is None or not (tau1 > tau2):
        return
    lo = _pole_bound(tau1, tau2, tau_max)
    r0 = i2 / i1 if i1 > 0 else 0.5
    r0 = min(max(r0, lo + 0.05 * (1 - lo)), 1.0 - 0.05 * (1 - lo))
    pars.add("r2", value=r0, min=lo, max=1.0)
    pars["i2"].set(expr="r2 * i1")


class AugerModel(Model):
    """lmfit model of Eq. 1 (:func:`auger_intensity`); independent variable ``tau``.

    The endpoint lifetimes ``tau1`` and ``tau2`` are fixed by :meth:`guess` (Eq. 1 is a
    two-parameter curve, so only ``i1`` and ``i2`` can be fitted once the lifetimes are set).
    """

    def __init__(self, **kwargs):
        super().__init__(auger_intensity, independent_vars=["tau"], **kwargs)
        self.set_param_hint("i1", min=0.0)
        self.set_param_hint("i2", min=0.0)

    def guess(self, data, tau, tau1=None, tau2=None, tau_max=None, **kwargs):
        """Initial parameters: ``tau1``/``tau2`` fixed (default: 90th/10th percentile of ``tau``),
        ``i1``/``i2`` from a straight-line fit of ``1/I`` against τ.

        With ``tau_max`` (the largest lifetime to be fitted), ``i2`` becomes ``r2·i1`` with
        ``r2`` bounded so that the pole of Eq. 1 lies beyond ``tau_max`` (:func:`_pole_bound`).
        """
        t1, t2 = _anchors(tau, tau1, tau2)
        i1, i2 = _auger_endpoints(data, tau, t1, t2, _weights_of(data, kwargs))
        pars = self.make_params(i1=i1, tau1=t1, i2=i2, tau2=t2)
        pars["tau1"].set(vary=False)
        pars["tau2"].set(vary=False)
        _bound_pole(pars, i1, i2, t1, t2, tau_max)
        return pars


class BCModel(Model):
    """lmfit model of Eq. 2 (:func:`bc_intensity`); independent variable ``tau``.

    ``guess(..., intercept=False)`` fixes ``b = 0`` (a line through the origin).
    """

    def __init__(self, **kwargs):
        super().__init__(bc_intensity, independent_vars=["tau"], **kwargs)
        self.set_param_hint("a", min=0.0)

    def guess(self, data, tau, intercept=True, **kwargs):
        """Initial ``a`` (and ``b``) by weighted linear least squares."""
        y = np.asarray(data, float)
        x = np.asarray(tau, float)
        w = _weights_of(data, kwargs)
        ok = np.isfinite(x) & np.isfinite(y)
        sw = np.sqrt(w[ok])
        if intercept:
            A = np.column_stack((x[ok], np.ones(ok.sum()))) * sw[:, None]
            a, b = np.linalg.lstsq(A, y[ok] * sw, rcond=None)[0]
        else:
            a = float(np.sum(w[ok] * x[ok] * y[ok]) / np.sum(w[ok] * x[ok] ** 2))
            b = 0.0
        pars = self.make_params(a=max(float(a), 1e-9), b=float(b))
        if not intercept:
            pars["b"].set(value=0.0, vary=False)
        return pars


class MixedModel(Model):
    """lmfit model of Eq. 3 (:func:`mixed_intensity`); independent variable ``tau``.

    ``f`` is bounded to [0, 1]; ``a_auger = 1 − f`` and ``a_bc = f`` are derived parameters
    (with propagated errors). ``tau1``/``tau2`` are fixed by :meth:`guess`.
    """

    def __init__(self, **kwargs):
        super().__init__(mixed_intensity, independent_vars=["tau"], **kwargs)
        self.set_param_hint("i1", min=0.0)
        self.set_param_hint("i2", min=0.0)
        self.set_param_hint("f", min=0.0, max=1.0)
        self.set_param_hint("a_auger", expr="1 - f")
        self.set_param_hint("a_bc", expr="f")

    def guess(self, data, tau, tau1=None, tau2=None, f=0.5, tau_max=None, **kwargs):
        """Initial parameters: the Auger guess for the endpoints (with the same pole bound,
        see :meth:`AugerModel.guess`) and the given ``f``."""
        t1, t2 = _anchors(tau, tau1, tau2)
        i1, i2 = _auger_endpoints(data, tau, t1, t2, _weights_of(data, kwargs))
        pars = self.make_params(i1=i1, tau1=t1, i2=i2, tau2=t2, f=f)
        pars["tau1"].set(vary=False)
        pars["tau2"].set(vary=False)
        _bound_pole(pars, i1, i2, t1, t2, tau_max)
        return pars


_MODELS = {"auger": AugerModel, "bc": BCModel, "mixed": MixedModel}
_FUNCS = {"auger": auger_intensity, "bc": bc_intensity, "mixed": mixed_intensity}


# ============================================================================== results
@dataclass(frozen=True, repr=False)
class ModelFit(Result):
    """One FLID model fitted by :func:`fit_flid`.

    Attributes
    ----------
    name : {"auger", "bc", "mixed"}
    params : dict
        ``{name: {"value": float, "stderr": float or None, "vary": bool, "derived": bool}}``.
        Fixed parameters (the endpoint lifetimes ``tau1``, ``tau2``) have ``vary=False`` and
        no error. Derived ones (``i2 = r2·i1``; ``a_auger = 1 − f`` and ``a_bc = f`` of
        ``mixed``) have ``derived=True`` and a propagated error.
    chisqr : float
        ``Σ r²/σ²`` at the optimum with the final (effective) variances.
    redchi : float
        ``chisqr / (n_points − n_varys)``.
    aic, bic : float
        ``−2 ln L + 2k`` and ``−2 ln L + k ln n`` (k = ``n_varys``; see :func:`fit_flid`).
    n_points : int
        Points fitted (lifetime bins, or trace bins for ``"odr"``).
    n_varys : int
    success : bool
    message : str
    """

    name: str
    params: dict
    chisqr: float
    redchi: float
    aic: float
    bic: float
    n_points: int
    n_varys: int
    success: bool
    message: str

    def value(self, name: str) -> float:
        """Fitted value of parameter ``name``."""
        return float(self.params[name]["value"])

    def stderr(self, name: str) -> float:
        """Standard error of parameter ``name`` (NaN when fixed or unavailable)."""
        e = self.params[name]["stderr"]
        return float("nan") if e is None else float(e)

    def eval(self, tau) -> np.ndarray:
        """The fitted curve at ``tau`` (ns), counts per bin (background not added back)."""
        func = _FUNCS[self.name]
        names = func.__code__.co_varnames[1:func.__code__.co_argcount]
        return func(np.asarray(tau, float), **{k: self.value(k) for k in names})


@dataclass(frozen=True, repr=False)
class FlidFit(Result):
    """FLID model fits, the blinking-type verdict, β and the curvature test (science.md §3.1).

    Attributes
    ----------
    models : dict of str → ModelFit
        The fitted models by name (``"auger"``, ``"bc"``, ``"mixed"``); empty when the
        FLID is a single blob.
    verdict : {"auger", "bc", "mixed", "undetermined"}
    margin : float or None
        Criterion difference that supports the verdict: for a pure model, the criterion of
        the other pure model minus its own; for ``mixed``, the better pure model minus
        mixed; for ``undetermined``, the difference between the two best models (None for a
        single blob). Positive = support.
    criterion : {"bic", "aic"}
    margin_threshold : float
    reason : str
        Why the verdict was reached, in words.
    beta : float
        ``I2·τ1/(I1·τ2)`` (:func:`~tttr.analysis.flid.beta`).
    beta_source : {"regions", "flid", "none"}
        From the region-gated pooled decays (:func:`~tttr.analysis.flid.region_lifetimes`)
        or from the FLID's own intensity bands.
    tau1_ns, tau2_ns : float
        Lifetimes the Auger endpoints were anchored at (bright, dim).
    auger_bc_ratio, auger_bc_ratio_err : float
        ``A_Auger / A_BC = (1 − f)/f`` of the mixed fit (inf for f = 0, NaN without a fit).
    curvature : dict
        Residual curvature of the Auger fit: ``coefficient`` (counts per bin, the quadratic
        term of the binned residuals between the anchors, less two lifetime-noise widths at
        each end, mapped to [−1, 1]), ``stderr``, ``z``, ``over_curved`` (z < −3: Eq. 1 bends
        more than the data, seed 001's sign of a mixed FLID), ``under_curved`` (z > 3) and
        ``n_points``.
    spread : float
        Central-96 % width of the intensities over one Poisson level's (single blob below
        ``SINGLE_BLOB_SPREAD``).
    switching_excluded : float
        Fraction of the bins with a lifetime left out as switching bins (:func:`switching_mask`).
    objective : {"binned", "odr"}
    background_counts : float
        Counts per bin subtracted from the intensities before fitting.
    options : dict
        The other options of :func:`fit_flid` that produced this result (``min_points``,
        ``bc_intercept``, ``exclude_switching``, ``switch_sigma``, ``switch_reach``,
        ``single_blob_spread``).
    tau_ns, intensity, sigma_intensity, sigma_tau_ns, n_per_point : (m,) arrays
        The points fitted by the binned objective (lifetime-bin means, their intensity
        standard errors, the per-bin lifetime noise and the trace bins per point); for
        ``"odr"`` the same binned summary is kept for plots.
    beta_err : float
        Standard error of ``beta``.
    evidence : dict
        How each piece of evidence voted (:func:`verdict_of`): ``delta_bic`` (criterion of
        each model minus the best), ``beta``, ``beta_err``, ``curvature_z``, ``n_bins``
        (steady bins used), ``n_points`` (lifetime groups fitted), ``levels`` and ``votes``
        (``beta``, ``levels``, ``shape``: each ``"auger"``, ``"bc"``, ``"mixed"`` or None).
    states : FlidStates
        The intensity levels of the steady bins with their ρ
        (:func:`~tttr.analysis.flid_states.flid_states`).
    """

    models: dict
    verdict: str
    margin: float | None
    criterion: str
    margin_threshold: float
    reason: str
    beta: float
    beta_source: str
    tau1_ns: float
    tau2_ns: float
    auger_bc_ratio: float
    auger_bc_ratio_err: float
    curvature: dict
    spread: float
    switching_excluded: float
    objective: str
    background_counts: float
    options: dict
    tau_ns: np.ndarray
    intensity: np.ndarray
    sigma_intensity: np.ndarray
    sigma_tau_ns: np.ndarray
    n_per_point: np.ndarray
    beta_err: float = float("nan")
    evidence: dict | None = None
    states: object = None

    @property
    def fits(self) -> dict:
        """Alias of :attr:`models`."""
        return self.models

    def __repr__(self) -> str:
        crit = {k: round(getattr(m, self.criterion), 1) for k, m in self.models.items()}
        m = "None" if self.margin is None else f"{self.margin:.1f}"
        return (f"FlidFit(verdict={self.verdict!r}, margin={m}, criterion={self.criterion!r}, {crit}, "
                f"beta={self.beta:.3g}, A_Auger/A_BC={self.auger_bc_ratio:.3g})")

    # -- the report's summary of this result (composed by tttr.pipeline.Report.to_dict)
    def summary(self) -> dict:
        """The report's ``flid`` section: verdict, reason, evidence, the models' fits, criterion."""
        return {"verdict": self.verdict, "reason": self.reason, "evidence": self.evidence, "models": self.models,
                "criterion": self.criterion}


# ======================================================================= synthetic maps
def random_flid(n_bins: int = 60_000, *, f: float = 0.25, i1: float = 760.0, tau1_ns: float = 24.7,
                i2: float = 280.0, tau2_ns: float = 5.0, dwell_bins: int = 200, step_ns: float = 0.15,
                lifetime_bins: int = 100, bin_width_s: float = 0.01, rng=None) -> FlidMap:
    """A time-ordered FLID whose bins follow Eq. 3 (:func:`mixed_intensity`) with shot noise.

    Parameters
    ----------
    n_bins : int
        Trace bins.
    f : float
        BC fraction of Eq. 3 (``A_Auger : A_BC = (1 − f) : f``; 0 gives Eq. 1, 1 gives Eq. 2).
    i1, tau1_ns, i2, tau2_ns : float
        Endpoints of the Auger term (counts per bin, ns).
    dwell_bins : int
        Mean length of a stretch, in bins (uniform between half and twice this).
    step_ns : float
        Standard deviation of the per-bin step of the random walk.
    lifetime_bins : int
        Columns of the histogram (lifetime axis from 0 to 1.1 × the 99.5th percentile).
    bin_width_s : float
    rng : numpy.random.Generator or int, optional

    Returns
    -------
    FlidMap
        With ``estimator="synthetic"`` and no lifetime window (``window_ns`` NaN).

    Notes
    -----
    The true lifetime cycles through stretches at ``τ1``, at ``τ2`` and a reflected random
    walk between them; the true intensity is Eq. 3 at that lifetime. The observed intensity
    is Poisson, the observed lifetime Gaussian with the standard deviation ``τ/√I`` of a
    mean delay of I exponential photons. No photons, background or detector are simulated:
    this tests the fit of the FLID models against a known curve (the photon simulator's
    ``mixed`` emitter has no Eq. 3 amplitudes, docs/flid.md).
    """
    rng = np.random.default_rng(rng)
    lo, hi = min(tau1_ns, tau2_ns), max(tau1_ns, tau2_ns)
    span = hi - lo
    tau = np.empty(int(n_bins))
    k, stretch = 0, 0
    while k < tau.size:
        length = int(rng.integers(max(dwell_bins // 2, 1), 2 * dwell_bins + 1))
        if stretch == 0:
            seg = np.full(length, tau1_ns)
        elif stretch == 1:
            seg = np.full(length, tau2_ns)
        else:
            walk = np.cumsum(rng.normal(0.0, step_ns, length)) + rng.uniform(lo, hi)
            seg = lo + np.abs(np.mod(walk - lo + span, 2 * span) - span)  # reflected into [lo, hi]
        tau[k:k + length] = seg[:tau.size - k]
        k += length
        stretch = (stretch + 1) % 3
    inten = rng.poisson(mixed_intensity(tau, i1, tau1_ns, i2, tau2_ns, f)).astype(np.int64)
    tau_obs = tau + rng.standard_normal(tau.size) * tau / np.sqrt(np.maximum(inten, 1))
    edges = np.linspace(0.0, 1.1 * float(np.percentile(tau_obs, 99.5)), int(lifetime_bins) + 1)
    int_edges = np.arange(0, int(inten.max()) + 2, dtype=float) - 0.5
    h, _, _ = np.histogram2d(inten, tau_obs, bins=[int_edges, edges])
    return FlidMap(inten, tau_obs, h.astype(np.int64), edges, int_edges, "synthetic", float("nan"), 0.0,
                   float(bin_width_s), 0)


# ============================================================================ helpers
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
    for fit, nb in zip(regions.fits, regions.n_bins):
        ok = nb > 0 and np.isfinite(fit.background_per_bin) and np.isfinite(fit.deviance_reduced)
        if ok and fit.deviance_reduced < best_dev:
            best = float(fit.background_per_bin / fit.bin_width_ns * window_ns / nb)
            best_dev = float(fit.deviance_reduced)
    return best


def _total_background(flid: FlidMap, regions, background_counts: float) -> float:
    """Background photons per trace bin over the whole period, from the in-window value.

    The background is uniform in delay, so the whole period holds ``period/W`` times the
    window's share. The period is taken from the region fits, else as ``t0 + W +``
    ``defaults.LIFETIME_WINDOW_MARGIN_NS`` (how the window is made from the period).
    """
    from .. import defaults

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


def _argnames(func):
    return func.__code__.co_varnames[1:func.__code__.co_argcount]


def _param_dict(params) -> dict:
    def err(p):
        return None if p.stderr is None or not np.isfinite(p.stderr) else float(p.stderr)

    return {k: {"value": float(p.value), "stderr": err(p), "vary": bool(p.vary), "derived": p.expr is not None}
            for k, p in params.items()}


def _criteria(chisqr, n, k, log_sigma_term=0.0):
    """AIC and BIC from ``−2 ln L = n ln(χ²/n) + 2 Σ ln σ`` (common variance scale profiled out;
    constants shared by every model dropped)."""
    m2ll = n * math.log(max(chisqr, 1e-300) / n) + log_sigma_term
    return m2ll + 2 * k, m2ll + k * math.log(n)


def _values(params, names):
    return {k: params[k].value for k in names}


def _data_slope(x, y, sy, sx=None):
    """Slope dI/dτ of the binned points, from the data alone (a weighted cubic in τ).

    Used for the effective variance of every model alike, so that no candidate curve can
    lower its −2 ln L by being flat where it misses the data (see the Notes of
    :func:`fit_flid`).
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    if x.size < 2:
        return np.zeros_like(x)
    deg = 3 if x.size >= 8 else 1
    c = 0.5 * (x.max() + x.min())
    h = max(0.5 * float(np.ptp(x)), 1e-12)
    u = (x - c) / h
    p = np.polyfit(u, y, deg, w=1.0 / np.maximum(np.asarray(sy, float), 1e-12))
    return np.polyval(np.polyder(p), u) / h


def _fit_binned(name, x, y, sy, sx, tau1, tau2, intercept, f0=None, slope=None):
    """Least squares of the binned points with an effective variance taken from the data.

    Returns ``(ModelFit, lmfit.Parameters)`` or ``(None, None)``.
    """
    model = _MODELS[name]()
    func = _FUNCS[name]
    w0 = 1.0 / sy
    if name == "bc":
        params = model.guess(y, tau=x, intercept=intercept, weights=w0)
    elif name == "mixed":
        params = model.guess(y, tau=x, tau1=tau1, tau2=tau2, f=f0, tau_max=float(x.max()), weights=w0)
    else:
        params = model.guess(y, tau=x, tau1=tau1, tau2=tau2, tau_max=float(x.max()), weights=w0)
    names = _argnames(func)
    n = x.size
    if slope is None:
        slope = _data_slope(x, y, sy, sx)
    sigma = np.sqrt(sy ** 2 + (slope * sx) ** 2)  # the same for every model: from the data

    def resid(p):
        vals = _values(p, names)
        with np.errstate(all="ignore"):
            r = (y - func(x, **vals)) / sigma
        return np.nan_to_num(r, nan=1e6, posinf=1e6, neginf=-1e6)  # a pole of Eq. 1 at a point

    res = minimize(resid, params, method="leastsq")
    params = res.params
    vals = _values(params, names)
    with np.errstate(all="ignore"):
        chisqr = float(np.sum(((y - func(x, **vals)) / sigma) ** 2))
    if not np.isfinite(chisqr):
        return None, None
    k = int(res.nvarys)
    aic, bic = _criteria(chisqr, n, k)
    return (ModelFit(name, _param_dict(params), chisqr, chisqr / max(n - k, 1), aic, bic, n, k,
                     bool(res.success), str(res.message)), params)


def _odr_cells(tau, inten, s_tau, edges):
    """Group trace bins into (intensity, lifetime) cells: mean point, errors, multiplicity."""
    ii = np.floor(4.0 * np.sqrt(np.maximum(inten, 0.0))).astype(np.int64)  # cells √I/2 wide in I
    jj = np.clip(np.digitize(tau, edges) - 1, -1, edges.size)
    key = ii * (edges.size + 2) + (jj + 1)
    _, inv, w = np.unique(key, return_inverse=True, return_counts=True)
    x = np.bincount(inv, tau) / w
    y = np.bincount(inv, inten) / w
    s2 = np.bincount(inv, s_tau * s_tau) / w
    return x, y, np.sqrt(s2 / w), np.sqrt(np.maximum(y, 1.0) / w), w


def _fit_odr(name, tau, inten, s_tau, edges, start_params):
    """Weighted orthogonal distance regression on (intensity, lifetime) cells.

    Minimises ``Σ_c w_c·[(I_c − g(τ_c + δ_c))²/σ_I² + δ_c²/σ_τ²]`` over the parameters and
    one lifetime correction δ_c per cell (ODRPACK's objective) with
    :func:`scipy.optimize.least_squares` and a sparse Jacobian; starts from the binned fit.
    """
    from scipy import optimize, sparse

    func = _FUNCS[name]
    names = _argnames(func)
    free = [k for k, p in start_params.items() if p.vary and p.expr is None]
    fixed = {k: p.value for k, p in start_params.items()}
    x, y, sx, sy, w = _odr_cells(tau, inten, s_tau, edges)
    sx = np.maximum(sx, 1e-9)
    m, k = x.size, len(free)

    def full(theta):
        vals = dict(fixed)
        vals.update(zip(free, theta))
        if "r2" in vals:
            vals["i2"] = vals["r2"] * vals["i1"]
        return vals

    def curve(theta, xx):
        vals = full(theta)
        return func(xx, **{n: vals[n] for n in names})

    def resid(p):
        theta, delta = p[:k], p[k:]
        with np.errstate(all="ignore"):
            r1 = (y - curve(theta, x + delta)) / sy
        return np.concatenate((np.nan_to_num(r1, nan=1e6, posinf=1e6, neginf=-1e6), delta / sx))

    def jac(p):
        theta, delta = p[:k], p[k:]
        xx = x + delta
        with np.errstate(all="ignore"):
            g0 = curve(theta, xx)
            cols = []
            for j in range(k):
                h = 1e-6 * max(abs(theta[j]), 1e-3)
                tp = theta.copy()
                tp[j] += h
                cols.append(-(curve(tp, xx) - g0) / h / sy)
            hx = 1e-6 * max(float(np.ptp(x)), 1e-3)
            d1 = -(curve(theta, xx + hx) - curve(theta, xx - hx)) / (2 * hx) / sy
        top = sparse.hstack([sparse.csr_matrix(np.nan_to_num(np.column_stack(cols))), sparse.diags(np.nan_to_num(d1))])
        bottom = sparse.hstack([sparse.csr_matrix((m, k)), sparse.diags(1.0 / sx)])
        return sparse.vstack([top, bottom]).tocsr()

    lo = np.array([start_params[n].min for n in free] + [-np.inf] * m, float)
    hi = np.array([start_params[n].max for n in free] + [np.inf] * m, float)
    p0 = np.concatenate((np.clip([start_params[n].value for n in free], lo[:k], hi[:k]), np.zeros(m)))
    # a start on a bound is allowed by least_squares only strictly inside
    span = np.where(np.isfinite(hi[:k] - lo[:k]), hi[:k] - lo[:k], np.abs(p0[:k]) + 1.0)
    p0[:k] = np.clip(p0[:k], lo[:k] + 1e-9 * span, hi[:k] - 1e-9 * span)
    try:
        out = optimize.least_squares(resid, p0, jac=jac, bounds=(lo, hi), method="trf", x_scale="jac", max_nfev=200)
    except ValueError:
        return None
    chisqr = float(2.0 * out.cost)
    if not np.isfinite(chisqr):
        return None
    n = int(w.sum())
    # cells are narrower than the noise, so their χ² is that of the trace bins they hold
    aic, bic = _criteria(chisqr, n, k)
    J = jac(out.x)
    A = J[:m, :k].toarray()
    d1 = J[:m, k:].diagonal()
    d2 = 1.0 / sx
    S = A.T @ (A * (d2 ** 2 / (d1 ** 2 + d2 ** 2))[:, None])  # δ profiled out (Schur complement)
    cov = np.linalg.pinv(S) * (chisqr / max(n - k, 1))
    theta = out.x[:k]
    vals = full(theta)
    err = {n_: math.sqrt(max(cov[j, j], 0.0)) for j, n_ in enumerate(free)}
    params = {n_: {"value": float(vals[n_]), "stderr": err.get(n_), "vary": n_ in free, "derived": False}
              for n_ in names}
    if "r2" in free:
        ji, jr = free.index("i1"), free.index("r2")
        r2, i1 = vals["r2"], vals["i1"]
        var = r2 ** 2 * cov[ji, ji] + i1 ** 2 * cov[jr, jr] + 2 * r2 * i1 * cov[ji, jr]
        params["i2"].update(stderr=math.sqrt(max(var, 0.0)), derived=True)
        params["r2"] = {"value": float(r2), "stderr": err["r2"], "vary": True, "derived": False}
    if name == "mixed":
        fe = err.get("f")
        params["a_auger"] = {"value": 1.0 - vals["f"], "stderr": fe, "vary": False, "derived": True}
        params["a_bc"] = {"value": vals["f"], "stderr": fe, "vary": False, "derived": True}
    return ModelFit(name, params, chisqr, chisqr / max(n - k, 1), aic, bic, n, k, bool(out.success), str(out.message))


def _curvature(fit: ModelFit | None, x, y, sy, sx, span=None):
    empty = {"coefficient": None, "stderr": None, "z": None, "over_curved": False, "under_curved": False,
             "n_points": 0}
    if span is not None:
        sel = (x >= min(span)) & (x <= max(span))
        x, y, sy, sx = x[sel], y[sel], sy[sel], sx[sel]
    if fit is None or x.size < 4:
        return empty
    func = _FUNCS["auger"]
    vals = {k: fit.value(k) for k in ("i1", "tau1", "i2", "tau2")}
    # residuals of one fixed curve: its own slope carries the lifetime noise into intensity
    # (no model comparison here, so nothing is gained by a flat curve)
    h = 1e-4 * max(float(np.ptp(x)), 1e-3)
    slope = (func(x + h, **vals) - func(x - h, **vals)) / (2 * h)
    sigma = np.sqrt(sy ** 2 + (slope * sx) ** 2)
    r = y - func(x, **vals)
    u = (x - 0.5 * (x.max() + x.min())) / max(0.5 * float(np.ptp(x)), 1e-12)
    A = np.column_stack((np.ones_like(u), u, u * u)) / sigma[:, None]
    coef, *_ = np.linalg.lstsq(A, r / sigma, rcond=None)
    dof = max(x.size - 3, 1)
    chi2 = float(np.sum((r / sigma - A @ coef) ** 2))
    cov = np.linalg.pinv(A.T @ A) * max(chi2 / dof, 1.0)
    c, e = float(coef[2]), float(math.sqrt(max(cov[2, 2], 0.0)))
    z = c / e if e > 0 else float("nan")
    return {"coefficient": c, "stderr": e, "z": z, "over_curved": bool(z < -3), "under_curved": bool(z > 3),
            "n_points": int(x.size)}


def _verdict(fits: dict, criterion: str, margin: float):
    """Verdict from the information criteria (see the Notes of :func:`fit_flid`)."""
    score = {k: getattr(m, criterion) for k, m in fits.items()}
    best = min(score, key=score.get)
    plausible = {k for k, v in score.items() if v - score[best] < margin}
    pure = plausible & {"auger", "bc"}
    if len(pure) == 2:
        srt = sorted(score.values())
        return "undetermined", srt[1] - srt[0], (f"auger and bc are within Δ{criterion.upper()} < {margin:g}: "
                                                  "the FLID does not tell them apart")
    if len(pure) == 1:
        (v,) = pure
        other = "bc" if v == "auger" else "auger"
        m = score[other] - score[v] if other in score else float("inf")
        extra = " (mixed not supported by the margin; the simpler nested model is kept)" if "mixed" in plausible else ""
        return v, m, f"{v} beats {other} by Δ{criterion.upper()} = {m:.1f} ≥ {margin:g}{extra}"
    # only mixed is plausible
    others = [score[k] for k in ("auger", "bc") if k in score]
    m = (min(others) - score["mixed"]) if others else float("inf")
    return "mixed", m, f"mixed beats both pure models by Δ{criterion.upper()} = {m:.1f} ≥ {margin:g}"


def _shape_vote(fits: dict, criterion: str, margin: float):
    """The model the FLID's shape supports by ``margin`` (None when no model does)."""
    if len(fits) < 2:
        return None
    score = {k: getattr(m, criterion) for k, m in fits.items()}
    srt = sorted(score, key=score.get)
    if score[srt[1]] - score[srt[0]] >= margin:
        return srt[0]
    pure = [k for k in srt if k != "mixed"]
    if "mixed" in score and score[srt[0]] == score["mixed"] and len(pure) == 2:
        # mixed and one pure model close: the pure one if it beats the other pure model
        if score[pure[1]] - score[pure[0]] >= margin:
            return pure[0]
    elif len(pure) == 2 and srt[0] in pure and score[pure[1]] - score[pure[0]] >= margin:
        return pure[0]
    return None


def verdict_of(states, fits: dict, criterion: str = "bic", margin: float = DEFAULT_MARGIN):
    """The blinking type from the emission states and the FLID's shape.

    Parameters
    ----------
    states : FlidStates
        From :func:`~tttr.analysis.flid_states.flid_states`.
    fits : dict of str → ModelFit
    criterion : {"bic", "aic"}
    margin : float

    Returns
    -------
    verdict : str
    votes : dict
        ``{"beta": ..., "levels": ..., "shape": ...}``.
    reason : str
        One sentence.

    Notes
    -----
    Bins mixing two states of any kind lie on Eq. 1 between them, so the curve's shape
    cannot tell a two-state BC emitter from an exciton/trion one; the radiative rates of the
    states can. The evidence, in order:

    * no blinking, one level or too few bins (``states.reason``) → ``undetermined``;
    * **levels**: every resolved dim level whose ρ is decisive votes: on the BC line
      (ρ ≈ 1) for ``bc``, charged (ρ ≳ 2) for ``auger``; both kinds present → ``mixed``;
      no decisive level → ``undetermined``. Levels whose ρ is within 3 σ of neither are
      left out (a dim level's lifetime can be dominated by the background's uncertainty);
    * **β** (ρ of the most populated dim level, seed 001's two regions) is reported with
      its vote, which is one of the level votes;
    * **shape** (Eqs. 1–3 by the criterion): may only veto. Eq. 2 beating Eq. 1 by the
      margin while β says ``auger`` is a contradiction → ``undetermined``. Eq. 1 beating
      Eq. 2 while β says ``bc`` is what two BC states with their mixtures look like, and is
      kept as ``bc``.
    """
    shape = _shape_vote(fits, criterion, margin)
    votes = {"beta": None, "levels": None, "shape": shape}
    if states is None or states.reason is not None:
        why = states.reason if states is not None else "no emission states"
        return "undetermined", votes, why
    dims = states.levels[1:]
    kinds = {lv.kind for lv in dims}
    dim = states.levels[states.dim_index]
    votes["beta"] = {"charged": "auger", "bc": "bc"}.get(dim.kind)
    if "charged" in kinds and "bc" in kinds:
        votes["levels"] = "mixed"
    elif "charged" in kinds:
        votes["levels"] = "auger"
    elif "bc" in kinds:
        votes["levels"] = "bc"
    b = f"β = {states.beta:.2f} ± {states.beta_err:.2f}"
    nb = sum(1 for lv in dims if lv.kind == "bc")
    nc = sum(1 for lv in dims if lv.kind == "charged")
    if votes["levels"] == "mixed":
        return "mixed", votes, (f"the dim states include {nb} on the BC line (ρ ≈ 1) and {nc} charged (ρ ≥ "
                                f"{BETA_SPLIT:g}): both mechanisms are at work")
    if votes["levels"] is None:
        return "undetermined", votes, (f"no dim state is either on the BC line (ρ ≈ 1) or charged (ρ ≥ "
                                       f"{BETA_SPLIT:g}) within its error ({b})")
    if votes["levels"] == "auger" and shape == "bc":
        return "undetermined", votes, (f"the dim states are charged ({b}), but Eq. 2 fits the FLID better than "
                                       f"Eq. 1 by Δ{criterion.upper()} ≥ {margin:g}")
    if votes["levels"] == "auger":
        return "auger", votes, (f"{nc} dim state(s) radiate faster than the bright one, as a trion does, and none "
                                f"is on the BC line ({b})")
    return "bc", votes, (f"{nb} dim state(s) keep the radiative rate of the bright one, as BC trapping does, and "
                         f"none is charged ({b})")


# ============================================================================== fit_flid
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
    for m in models:
        if m not in MODEL_NAMES:
            raise AnalysisError(f"unknown FLID model {m!r}; one of {MODEL_NAMES}")
    if objective not in OBJECTIVES:
        raise AnalysisError(f"unknown objective {objective!r}; one of {OBJECTIVES}")
    if criterion not in CRITERIA:
        raise AnalysisError(f"unknown criterion {criterion!r}; one of {CRITERIA}")
    if isinstance(background_counts, str):
        if background_counts != "auto":
            raise AnalysisError(f"background_counts must be a number or 'auto', not {background_counts!r}")
        background_counts = region_background_counts(flid, regions) if regions is not None else 0.0
    background_counts = float(background_counts)
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

    # emission states of the steady bins: levels, their radiative-rate ratios and β
    # (the map's own lifetimes, not the per-bin corrected ones: a bin whose background-corrected
    # lifetime is undefined has fewer background photons than expected, and leaving it out
    # would bias the pooled lifetime of a dim level upwards)
    steady = ~switching_mask(raw_all, n_sigma=switch_sigma, reach=switch_reach) if exclude_switching else None
    map_tau = np.asarray(flid.lifetime_ns, float)
    steady = np.isfinite(map_tau) & (steady if steady is not None and steady.any() else True)
    states = flid_states(raw_all, map_tau, steady, window_ns=float(flid.window_ns),
                         bg_counts=bg_total, bg_window_counts=background_counts if correct_lifetimes else 0.0,
                         bg_err=_background_error(flid, regions, background_counts) if correct_lifetimes else 0.0,
                         estimator=flid.estimator)
    b_val, b_err, beta_source = float(states.beta), float(states.beta_err), "levels"
    tau1 = tau2 = float("nan")
    if states.dim_index is not None:
        tau1, tau2 = states.levels[0].tau_ns, states.levels[states.dim_index].tau_ns
    if not tau1 > tau2 and regions is not None and len(regions.tau_ns) >= 2 and regions.tau_ns[-1] > regions.tau_ns[0]:
        tau1, tau2 = float(regions.tau_ns[-1]), float(regions.tau_ns[0])
    if not np.isfinite(b_val):
        beta_source = "none"
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

    idx = np.flatnonzero(ok)
    nxt = np.searchsorted(idx, idx[:-1] + 1)  # position of bin t+1 among the kept bins
    nxt = np.minimum(nxt, idx.size - 1)
    pair_first = np.flatnonzero(idx[nxt] == idx[:-1] + 1)
    s_tau = _lifetime_noise(inten, tau, pair_first)
    x, y, sy, sx, npp = _binned_points(inten, tau, s_tau, np.asarray(flid.lifetime_edges_ns, float), min_points)

    options = {"min_points": int(min_points), "bc_intercept": bool(bc_intercept),
               "exclude_switching": bool(exclude_switching), "switch_sigma": float(switch_sigma),
               "switch_reach": int(switch_reach), "single_blob_spread": float(single_blob_spread),
               "lifetimes": lifetimes, "background_total_counts": float(bg_total)}

    def evidence_of(fits, votes, curvature):
        score = {k: getattr(m, criterion) for k, m in fits.items()}
        best = min(score.values()) if score else float("nan")
        return {"delta_bic" if criterion == "bic" else "delta_aic": {k: v - best for k, v in score.items()},
                "beta": b_val, "beta_err": b_err, "curvature_z": curvature.get("z"),
                "n_bins": int(states.n_steady), "n_points": int(x.size),
                "mandel_q": states.mandel_q, "mandel_q_err": states.mandel_q_err,
                "levels": [{"intensity_counts": lv.intensity_counts, "tau_ns": lv.tau_ns, "rho": lv.rho,
                            "rho_err": lv.rho_err, "n_bins": lv.n_bins, "kind": lv.kind} for lv in states.levels],
                "votes": votes}

    def finish(fits, verdict, mval, reason, curvature, votes, ratio=float("nan"), ratio_err=float("nan")):
        return FlidFit(fits, verdict, mval, criterion, float(margin), reason, b_val, beta_source, tau1, tau2, ratio,
                       ratio_err, curvature, spread, excluded, objective, float(background_counts), options,
                       x, y, sy, sx, npp, b_err, evidence_of(fits, votes, curvature), states)

    no_curv = _curvature(None, x, y, sy, sx)
    no_votes = {"beta": None, "levels": None, "shape": None}
    blob = spread < single_blob_spread
    if blob and states.reason is not None:
        return finish({}, "undetermined", None, (f"single blob: the central 96 % of the intensities spans {spread:.2f} "
                                                 f"Poisson widths (< {single_blob_spread:g}) and {states.reason}"),
                      no_curv, no_votes)

    fits = {}
    if x.size >= 5 and not blob:  # a blob's shape carries no information; its states may
        slope = _data_slope(x, y, sy, sx)
        for name in models:
            starts = _MIXED_STARTS if name == "mixed" else (None,)
            cands = [_fit_binned(name, x, y, sy, sx, tau1, tau2, bc_intercept, f0, slope) for f0 in starts]
            cands = [c for c in cands if c[0] is not None]
            if not cands:
                continue
            best, params = min(cands, key=lambda c: c[0].aic)
            if objective == "odr":
                best = _fit_odr(name, tau, inten, s_tau, np.asarray(flid.lifetime_edges_ns, float), params)
            if best is not None:
                fits[name] = best
    span = (tau2, tau1)
    if x.size >= 2:
        order = np.argsort(x)
        s1, s2 = np.interp([tau1, tau2], x[order], sx[order])
        if tau2 + 2 * s2 < tau1 - 2 * s1:
            span = (tau2 + 2 * s2, tau1 - 2 * s1)
    curvature = _curvature(fits.get("auger"), x, y, sy, sx, span=span)
    ratio = ratio_err = float("nan")
    if "mixed" in fits:
        f, fe = fits["mixed"].value("f"), fits["mixed"].stderr("f")
        ratio = (1.0 - f) / f if f > 0 else float("inf")
        ratio_err = fe / f ** 2 if f > 0 else float("nan")
    verdict, votes, reason = verdict_of(states, fits, criterion, float(margin))
    mval = None
    if len(fits) >= 2:
        score = {k: getattr(m, criterion) for k, m in fits.items()}
        if verdict in ("auger", "bc") and verdict in score:
            other = "bc" if verdict == "auger" else "auger"
            mval = score[other] - score[verdict] if other in score else None
        elif verdict == "mixed" and "mixed" in score:
            pure = [score[k] for k in ("auger", "bc") if k in score]
            mval = min(pure) - score["mixed"] if pure else None
        else:
            srt = sorted(score.values())
            mval = srt[1] - srt[0]
    return finish(fits, verdict, mval, reason, curvature, votes, ratio, ratio_err)
