"""Result containers of the FLID fits: one model, and all of them with the verdict."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...fit_result import FitResult
from ...results import Result
from .lmfit_models import _FUNCS

__all__ = ["ModelFit", "FlidFit"]


@dataclass(frozen=True, repr=False)
class ModelFit(Result, FitResult):
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

    def fit_model(self) -> str:
        """The model's name and its equation in seed 001."""
        return {"auger": "auger (seed 001 Eq. 1)", "bc": "bc (seed 001 Eq. 2)",
                "mixed": "mixed (seed 001 Eq. 3)"}.get(self.name, self.name)

    def fit_values(self) -> dict:
        """Every parameter (fitted, fixed and derived), ``{name: value}``."""
        return {k: float(p["value"]) for k, p in self.params.items()}

    def fit_errors(self) -> dict:
        """Standard errors keyed as :meth:`fit_values` (None for the fixed anchors and where the fit gives none)."""
        return {k: (None if p["stderr"] is None or not (p["vary"] or p.get("derived")) else float(p["stderr"]))
                for k, p in self.params.items()}

    def fit_statistics(self) -> dict:
        """``n`` (points), ``n_varys``, ``chi2``, ``chi2_reduced``, ``aic`` and ``bic``."""
        return {"n": self.n_points, "n_varys": self.n_varys, "chi2": self.chisqr, "chi2_reduced": self.redchi,
                "aic": self.aic, "bic": self.bic}

    def eval(self, tau) -> np.ndarray:
        """The fitted curve at ``tau`` (ns), counts per bin (background not added back)."""
        func = _FUNCS[self.name]
        names = func.__code__.co_varnames[1:func.__code__.co_argcount]
        return func(np.asarray(tau, float), **{k: self.value(k) for k in names})


@dataclass(frozen=True, repr=False)
class FlidFit(Result, FitResult):
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

    def fit_model(self) -> str:
        """The models compared and the verdict (each model's own fit: ``models[name].report()``)."""
        names = ", ".join(self.models) or "none (single blob)"
        return f"FLID models {names} ranked by {self.criterion.upper()}; verdict {self.verdict}"

    def fit_values(self) -> dict:
        """β, the anchor lifetimes and ``A_Auger/A_BC`` of the mixed fit."""
        return {"beta": self.beta, "tau1_ns": self.tau1_ns, "tau2_ns": self.tau2_ns,
                "auger_bc_ratio": self.auger_bc_ratio}

    def fit_errors(self) -> dict:
        """Errors keyed as :meth:`fit_values` (the anchors are fixed: None)."""
        return {"beta": self.beta_err, "tau1_ns": None, "tau2_ns": None, "auger_bc_ratio": self.auger_bc_ratio_err}

    def fit_statistics(self) -> dict:
        """``n`` (points fitted), the verdict's ``margin`` and the criterion of every model."""
        out = {"n": int(np.asarray(self.tau_ns).size), "margin": self.margin}
        out.update({f"{self.criterion}_{k}": getattr(m, self.criterion) for k, m in self.models.items()})
        return out

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
