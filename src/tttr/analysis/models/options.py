"""Names and default options of the FLID model fits (:func:`~.fit.fit_flid`)."""

from __future__ import annotations

__all__ = [
    "MODEL_NAMES",
    "VERDICTS",
    "OBJECTIVES",
    "CRITERIA",
    "DEFAULT_MARGIN",
    "DEFAULT_MIN_POINTS",
    "SINGLE_BLOB_SPREAD",
    "DEFAULT_SWITCH_SIGMA",
    "LEVEL_MIN_HEIGHT",
    "DEFAULT_SWITCH_REACH",
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


_MIXED_STARTS = (0.1, 0.5, 0.9)


#: Neighbours on each side a steady bin must agree with (see :func:`switching_mask`).
DEFAULT_SWITCH_REACH = 2
