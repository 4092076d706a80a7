"""Second-order correlation g²(τ) of two detectors (HBT), pulsed and CW (science.md §6).

Contents
--------
G2Accumulator, g2
    The cross-correlation histogram of detector A → detector B photon pairs within ±W, in
    equal lag bins, streamed chunk by chunk, normalised so that uncorrelated light gives 1.
pulsed_g2_zero
    Pulsed excitation: peak areas at every multiple of the period, g2(0) = central area /
    mean of the ±1…±K side peaks, its Poisson error, the purity and the side-peak areas.
fit_cw_g2
    CW excitation: Poisson maximum-likelihood fit of ``1 − (1 − g2(0))·exp(−|τ − τ0|/τ_a)``.
correct_background
    The two background corrections of §6 (subtract ``B/(S+B)``; or ``(g2 − (1 − ρ²))/ρ²``).
LongLagAccumulator, long_lag_correlation
    Log-spaced lags from nanoseconds to seconds (arbitrary-bin pair counting, Laurence
    et al. 2006), for the bunching that blinking causes.
fine_time_base
    How absolute photon times are formed from T2 timestamps or T3 ``(nsync, dtime)``.

Modules
-------
timebase (fine time of a photon), pairs (merged A/B stream, gate, normalisation), accumulators,
curve (:func:`g2`, :func:`long_lag_correlation`), pulsed (+ peaks: peak shapes and overlap),
cw_fit, background, intervals (shared statistics), results (the result classes).

State-gated g2 (ON bins only) is the ``on_mask`` / ``on_bin_ticks`` option of the
accumulators and of :func:`g2` and :func:`long_lag_correlation`.

References
----------
Laurence, T. A., Fore, S., Huser, T. (2006). Fast, flexible algorithm for calculating photon
correlations. *Opt. Lett.* 31, 829–831.
Nair, G., Zhao, J., Bawendi, M. G. (2011). Biexciton quantum yield of single semiconductor
nanocrystals from photon statistics. *Nano Lett.* 11, 1136–1140.
"""

from .accumulators import G2Accumulator, LongLagAccumulator
from .background import correct_background
from .curve import g2, long_lag_correlation
from .cw_fit import cw_g2_model, fit_cw_g2
# private names imported by tttr.pipeline and tests/analysis/test_g2.py
from .intervals import _normal_quantile, _single_emitter  # noqa: F401
from .pairs import MODES, _normalised  # noqa: F401
from .pulsed import pulsed_g2_zero
from .results import BackgroundCorrectedG2, CWG2Fit, G2Curve, PulsedG2
from .timebase import TimeBase, fine_time_base

__all__ = [
    "TimeBase",
    "fine_time_base",
    "G2Curve",
    "PulsedG2",
    "CWG2Fit",
    "BackgroundCorrectedG2",
    "G2Accumulator",
    "LongLagAccumulator",
    "g2",
    "pulsed_g2_zero",
    "fit_cw_g2",
    "cw_g2_model",
    "correct_background",
    "long_lag_correlation",
]
