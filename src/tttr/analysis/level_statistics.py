"""Everything the levels of one file give, in one call: groups, ON fraction, dwell power laws, β, FLID.

:func:`level_statistics` is the one call behind ``tttr analyze --levels``, ``tttr levels`` and
``tttr batch --levels``, so the commands cannot drift apart; :meth:`LevelStatistics.summary` is
the report's JSON of it.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from .. import defaults
from ..results import Result

__all__ = ["LevelStatistics", "level_statistics"]


@dataclass(frozen=True, repr=False)
class LevelStatistics(Result):
    """The levels of a file and what follows from them (None where it could not be computed).

    Attributes
    ----------
    levels : Levels
        Change-point levels with their group (:func:`tttr.analysis.levels.levels`).
    groups : LevelGroups or None
    on_fraction : LevelOnFraction or None
    dwell_fits : LevelDwellFits or None
    beta : LevelBeta or None
    flid_fit : LevelFlidFit or None
    reasons : dict
        ``{name: why it is None}`` for every part that is None.
    """

    levels: object
    groups: object = None
    on_fraction: object = None
    dwell_fits: object = None
    beta: object = None
    flid_fit: object = None
    reasons: dict | None = None

    def summary(self) -> dict:
        """The report's level entries: ``levels``, ``n_level_groups``, ``level_groups``,
        ``level_groups_bic`` and ``level_analysis`` (ON fraction, β, α ON/OFF, FLID verdict)."""
        out = {"levels": self.levels.records(), "n_levels": int(self.levels.n_levels),
               "levels_confidence": float(self.levels.confidence)}
        if self.groups is not None:
            out.update(self.groups.summary())
        else:
            out.update({"n_level_groups": None, "level_groups": None, "level_groups_bic": None})
        out["level_analysis"] = {
            "on_fraction": _get(self.on_fraction, "on_fraction"),
            "on_fraction_err": _get(self.on_fraction, "on_fraction_err"),
            "on_rule": _get(self.on_fraction, "rule"),
            "beta": _get(self.beta, "beta"), "beta_err": _get(self.beta, "beta_err"),
            "power_law": {k: _power_law(getattr(self.dwell_fits, k, None)) for k in ("on", "off")},
            "flid_verdict": _get(self.flid_fit, "verdict"), "flid_reason": _get(self.flid_fit, "reason"),
            "reasons": dict(self.reasons or {}),
        }
        return out


def _get(obj, name):
    return None if obj is None else getattr(obj, name, None)


def _power_law(fit) -> dict:
    return {"alpha": _get(fit, "alpha"), "alpha_err": _get(fit, "alpha_err"), "t_min_s": _get(fit, "t_min_s"),
            "n": _get(fit, "n")}


def level_statistics(levels, *, background_cps: float = 0.0, fit_flid: bool = True,
                     on_rule: str = "fraction", fraction: float = defaults.LEVEL_ON_FRACTION) -> LevelStatistics:
    """Group the levels into states and compute the level-resolved statistics.

    Parameters
    ----------
    levels : Levels
        From :func:`tttr.analysis.levels.levels` or :class:`~tttr.analysis.levels.LevelsAccumulator`.
    background_cps : float
        Background count rate (both detectors), subtracted from the group intensities for β and
        the FLID fit (the decay's flat level gives it; 0 if unknown).
    fit_flid : bool
        Fit Eqs. 1–3 of seed 001 to the level points and give the verdict.
    on_rule, fraction : see :func:`tttr.analysis.level_analyses.level_on_groups`.

    Returns
    -------
    LevelStatistics

    Notes
    -----
    Each step needs the one before (groups → ON/OFF classes → dwells → fits). A step that
    cannot be made (one group only: no ON/OFF; fewer than 10 dwells: no power law; no
    lifetimes in a T2 file: no β or FLID) is None and its reason is kept in ``reasons``; a
    level file never fails as a whole for want of one of them. Warnings of the numerical
    steps (degenerate fits) are not printed: the reasons carry them.
    """
    from .level_analyses import level_beta, level_dwell_fits, level_flid_fit, level_on_fraction
    from .level_groups import group_levels

    reasons: dict = {}
    parts: dict = {}

    def attempt(name, fn):
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                parts[name] = fn()
        except Exception as exc:  # noqa: BLE001 - reported per part, never fatal
            parts[name] = None
            reasons[name] = str(exc) or type(exc).__name__

    if levels.n_levels == 0:
        return LevelStatistics(levels=levels, reasons={"groups": "no levels"})
    attempt("groups", lambda: group_levels(levels))
    groups = parts["groups"]
    if groups is None:
        return LevelStatistics(levels=levels, reasons=reasons)
    levels = levels.with_groups(groups.group)
    if groups.n_groups < 2:
        why = "one group of levels: the emitter shows no distinct states at this confidence"
        reasons.update(on_fraction=why, dwell_fits=why, beta=why, flid_fit=why)
        return LevelStatistics(levels=levels, groups=groups, reasons=reasons)
    attempt("on_fraction", lambda: level_on_fraction(levels, groups, rule=on_rule, fraction=fraction))
    attempt("dwell_fits", lambda: level_dwell_fits(levels, groups, rule=on_rule, fraction=fraction))
    has_tau = bool(np.isfinite(np.asarray(groups.tau_ns, float)).sum() >= 2)
    if has_tau:
        bg = float(background_cps) if math.isfinite(background_cps) else 0.0
        attempt("beta", lambda: level_beta(groups, background_cps=bg))
        if fit_flid:
            attempt("flid_fit", lambda: level_flid_fit(levels, groups, background_cps=bg))
    else:
        why = "no level lifetimes (a T2 file or a file without nanotimes)"
        reasons.update(beta=why, flid_fit=why)
    return LevelStatistics(levels=levels, groups=groups, on_fraction=parts.get("on_fraction"),
                           dwell_fits=parts.get("dwell_fits"), beta=parts.get("beta"),
                           flid_fit=parts.get("flid_fit"), reasons=reasons)
