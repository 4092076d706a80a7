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

Modules
-------
equations (Eqs. 1–3, numpy), lmfit_models (their lmfit models), points (steady bins, levels,
lifetime noise, binned points), background, engine (binned and ODR fits, curvature test),
verdict, fit (:func:`fit_flid`), results (:class:`ModelFit`, :class:`FlidFit`), options (names
and defaults). :func:`random_flid` (a synthetic map) lives with the simulator
(:mod:`tttr.simulate.flid_map`) and is re-exported here.
"""

from ..flid import beta
from .equations import auger_intensity, bc_intensity, mixed_intensity
from .fit import fit_flid
from .lmfit_models import AugerModel, BCModel, MixedModel
from .options import (CRITERIA, DEFAULT_MARGIN, DEFAULT_MIN_POINTS, DEFAULT_SWITCH_REACH,  # noqa: F401
                      DEFAULT_SWITCH_SIGMA, LEVEL_MIN_HEIGHT, MODEL_NAMES, OBJECTIVES, SINGLE_BLOB_SPREAD, VERDICTS)
from .background import region_background_counts
from .points import switching_mask
from .results import FlidFit, ModelFit
from .verdict import verdict_of
from ...simulate.flid_map import random_flid  # noqa: E402  (moved to the simulator side)

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
