"""The blinking-type verdict from the emission states and the FLID's shape."""

from __future__ import annotations

from ..flid_states import BETA_SPLIT
from .options import DEFAULT_MARGIN

__all__ = ["verdict_of"]


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
