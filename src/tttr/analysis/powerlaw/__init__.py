"""Power-law and truncated power-law fits of ON/OFF dwell durations (science.md §5).

Durations of blinking states are run lengths of trace bins, ``t = k·T`` with ``k ≥ 1`` an
integer and ``T`` the bin width, so the natural model is a *discrete* power law on the
integers ``k ≥ k_min``. Every fit here is a maximum-likelihood fit; least squares on a
log-log histogram (biased, and without a valid error bar) is used nowhere.

Contents
--------
fit_power_law
    α of ``P(t) ∝ t^(−α)`` for ``t ≥ t_min`` (discrete zeta likelihood, or the continuous
    closed form with ``t_min`` shifted by ``T/2``), Fisher or bootstrap error, KS distance,
    automatic ``t_min`` by the KS criterion.
fit_truncated_power_law
    α and τ_c of ``P(t) ∝ t^(−α)·exp(−t/τ_c)`` and the likelihood-ratio test against the pure
    power law.
kuno_nesbitt_density, log_binned_density
    Densities (1/s) for plots, with the fitted curves :func:`power_law_pdf` and
    :func:`truncated_power_law_pdf` overlaid.
random_power_law_durations
    Exact samples from the same models, for simulations and tests.

A larger α means *fewer* long events.

Modules: :mod:`.data` (constants, input durations), :mod:`.likelihood` (the pure law at one
``t_min``), :mod:`.search` (automatic ``t_min`` and the goodness-of-fit bootstrap),
:mod:`.pure` (:func:`fit_power_law`), :mod:`.normalisation` (the truncated law's
normalisation, likelihood and sampler), :mod:`.truncated` (:func:`fit_truncated_power_law`),
:mod:`.sampling`, :mod:`.densities` and :mod:`.results`.
"""

from .data import ALPHA_BOUNDS, AUTO_MIN_TAIL, METHODS, MIN_N, TRUNC_ALPHA_BOUNDS, TRUNC_LOG_TAU_BOUNDS
from .densities import DurationDensity, kuno_nesbitt_density, log_binned_density, power_law_pdf, truncated_power_law_pdf
from .pure import fit_power_law
from .results import PowerLawFit, TruncatedPowerLawFit
from .sampling import random_power_law_durations
from .truncated import fit_truncated_power_law

__all__ = [
    "PowerLawFit",
    "TruncatedPowerLawFit",
    "DurationDensity",
    "fit_power_law",
    "fit_truncated_power_law",
    "kuno_nesbitt_density",
    "log_binned_density",
    "power_law_pdf",
    "truncated_power_law_pdf",
    "random_power_law_durations",
    "METHODS",
    "ALPHA_BOUNDS",
    "TRUNC_ALPHA_BOUNDS",
    "TRUNC_LOG_TAU_BOUNDS",
    "AUTO_MIN_TAIL",
    "MIN_N",
]
