"""The blinking statistics of a trace with the fits of their dwell times, as every report gives them.

:func:`blinking_analysis` is the one function behind :func:`tttr.analyze` (and so the batch)
and ``tttr blink``: Mandel Q, the single-level test, and only for a trace that blinks the
ON/OFF statistics and :func:`dwell_power_laws`, the pure and the truncated power law of the ON
and of the OFF durations (t_min chosen from the data above a floor of a few bins) with their
goodness-of-fit p-values and the warnings of each fit.
"""

from __future__ import annotations

import warnings as _warnings
from dataclasses import dataclass

import numpy as np

from .. import defaults
from ..results import Result
from . import sanity
from .blinking import BlinkingStats, LevelTest, blinking_statistics, single_level_test
from .photon_stats import MandelQ, mandel_q
from .powerlaw import fit_power_law, fit_truncated_power_law

__all__ = ["BlinkingAnalysis", "blinking_analysis", "dwell_power_laws"]


@dataclass(frozen=True, repr=False)
class BlinkingAnalysis(Result):
    """The blinking statistics of one trace and the power laws of its dwell times.

    Attributes
    ----------
    mandel_q : MandelQ
        Of the counts per bin.
    level_test : LevelTest
        Whether one Poisson level explains the trace; ON/OFF statistics are made only when
        it does not (``blinking_detected`` True).
    statistics : BlinkingStats or None
        Threshold, ON fraction, rates and dwell times; None when no blinking was detected or
        the thresholding failed (the reason in ``warnings``).
    power_law : dict
        ``{"on": (PowerLawFit, TruncatedPowerLawFit), "off": (...)}`` (a failed fit is None);
        empty without ``statistics``.
    warnings : list of str
        A failed thresholding (``"blinking: ..."``) and the warnings of the fits, one line each.
    """

    mandel_q: MandelQ
    level_test: LevelTest
    statistics: BlinkingStats | None
    power_law: dict
    warnings: list

    @property
    def blinking_detected(self) -> bool | None:
        """The outcome of :attr:`level_test` (None: the trace cannot tell)."""
        return self.level_test.blinking_detected


def blinking_analysis(counts, *, bin_width_s: float, duration_s: float, method: str = defaults.THRESHOLD_METHOD,
                      fraction: float = defaults.THRESHOLD_FRACTION, value: float | None = None,
                      off_counts: float | None = None, t_min_s="auto", gof_draws: int = defaults.POWERLAW_GOF_DRAWS,
                      error_draws: int = defaults.POWERLAW_ERROR_DRAWS,
                      truncated_gof_draws: int = defaults.TRUNCATED_GOF_DRAWS, rng=0) -> BlinkingAnalysis:
    """Mandel Q, the single-level test and, for a blinking trace, the ON/OFF statistics and
    the dwell-time power laws.

    Parameters
    ----------
    counts : (n,) int
        Summed counts per trace bin (at least 2 bins).
    bin_width_s, duration_s : float
        Trace bin and measurement duration (s).
    method, fraction, value, off_counts
        The threshold (:func:`tttr.analysis.blinking.threshold`): ``value`` with
        ``method="absolute"``; ``off_counts`` makes a grey band.
    t_min_s, gof_draws, error_draws, truncated_gof_draws, rng
        Of the power laws (:func:`dwell_power_laws`).

    Returns
    -------
    BlinkingAnalysis

    Notes
    -----
    No claim the data cannot carry: unless :func:`~tttr.analysis.blinking.single_level_test`
    rejects one Poisson level, there is no threshold, ON fraction, rate or power law (the
    split of a steady emitter's shot noise into "ON" and "OFF" would be invented). A
    thresholding that fails does not hide the test: it is a warning and ``statistics`` None.
    """
    n = np.asarray(counts).ravel()
    msgs: list = []
    q = mandel_q(n, bin_width_s=bin_width_s)
    try:
        # NaN arithmetic on degenerate traces is expected: the result says NaN, not a RuntimeWarning
        with np.errstate(all="ignore"), _warnings.catch_warnings():
            _warnings.simplefilter("ignore", RuntimeWarning)
            st = blinking_statistics(n, bin_width_s=bin_width_s, method=method, fraction=fraction, value=value,
                                     off_counts=off_counts)
    except Exception as exc:  # noqa: BLE001 - reported; the level test still stands
        msgs.append(f"blinking: {exc}")
        st = None
    level = single_level_test(n)
    if level.blinking_detected is not True or st is None:
        return BlinkingAnalysis(mandel_q=q, level_test=level, statistics=None, power_law={}, warnings=msgs)
    fits, fit_msgs = dwell_power_laws(st.dwell, bin_width_s=bin_width_s, duration_s=duration_s, t_min_s=t_min_s,
                                      gof_draws=gof_draws, error_draws=error_draws,
                                      truncated_gof_draws=truncated_gof_draws, rng=rng)
    return BlinkingAnalysis(mandel_q=q, level_test=level, statistics=st, power_law=fits, warnings=msgs + fit_msgs)


def dwell_power_laws(dwell, *, bin_width_s: float, duration_s: float, t_min_s="auto",
                     gof_draws: int = defaults.POWERLAW_GOF_DRAWS, error_draws: int = defaults.POWERLAW_ERROR_DRAWS,
                     truncated_gof_draws: int = defaults.TRUNCATED_GOF_DRAWS, rng=0) -> tuple[dict, list]:
    """Pure and truncated power laws of the ON and OFF durations.

    Parameters
    ----------
    dwell : DwellTimes
        ``on_s`` and ``off_s`` (s), whole multiples of the bin.
    bin_width_s, duration_s : float
        Trace bin and measurement duration (for the t_min floor and the sanity of τ_c).
    t_min_s : "auto", float or None
        ``"auto"``: chosen by minimum KS distance above ``REPORT_POWERLAW_TMIN_BINS`` bins;
        a number: fixed; None: fixed at that floor.
    gof_draws, error_draws, truncated_gof_draws : int
        Bootstrap draws of the pure law's p-value and α error, and of the truncated law's p-value.
    rng : int or Generator
        Seed of the bootstraps (fixed by default, so a report is reproducible).

    Returns
    -------
    fits : dict
        ``{"on": (PowerLawFit, TruncatedPowerLawFit), "off": (...)}``; a fit that failed is None.
    messages : list of str
        Warnings of the fits (too few dwells, bounds, implausible τ_c), one line each.

    Notes
    -----
    Run lengths near the bin width are smeared by the thresholding, so t_min is never below
    ``REPORT_POWERLAW_TMIN_BINS`` bins (docs/bias.md). With too few dwells for a t_min search,
    t_min is the shortest dwell at or above that floor (the maximum-likelihood t_min of a pure
    power law), not the floor itself, where a law that starts later would be dragged flat.
    """
    floor = defaults.REPORT_POWERLAW_TMIN_BINS * bin_width_s
    auto = isinstance(t_min_s, str) and t_min_s == "auto"
    t_min = floor if t_min_s is None else t_min_s
    msgs: list = []

    def attempt(name, fn):
        try:
            with np.errstate(all="ignore"):
                return fn()
        except Exception as exc:  # noqa: BLE001 - one failed fit never sinks the others
            msgs.append(f"{name}: {exc}")
            return None

    fits = {}
    for k in ("on", "off"):
        dur = np.asarray(getattr(dwell, f"{k}_s"), float)
        opts = dict(bin_width_s=bin_width_s, t_min_s=t_min, t_min_floor_s=floor if auto else None)
        pure = attempt(f"power law {k}", lambda: fit_power_law(dur, gof_draws=gof_draws, bootstrap=error_draws,
                                                                rng=rng, **opts))
        trunc = attempt(f"truncated power law {k}", lambda: fit_truncated_power_law(
            dur, gof_draws=truncated_gof_draws, rng=rng, **opts))
        if auto and pure is not None and pure.n_candidates == 0:
            above = dur[dur >= floor * (1 - 1e-9)]
            t_few = float(above.min()) if above.size else floor
            few = dict(opts, t_min_s=t_few, t_min_floor_s=None)
            msgs.append(f"power law {k}: {pure.warning}: t_min set to the shortest dwell, {t_few:g} s")
            pure = attempt(f"power law {k}", lambda: fit_power_law(dur, gof_draws=gof_draws, rng=rng, **few))
            trunc = attempt(f"truncated power law {k}", lambda: fit_truncated_power_law(
                dur, gof_draws=truncated_gof_draws, rng=rng, **few))
        for f in (pure, trunc):
            if f is not None and getattr(f, "warning", None):
                msgs.append(f"power law {k}: {f.warning}")
        msgs += sanity.power_law_warnings(f"power law {k}", trunc, bin_width_s, duration_s)
        fits[k] = (pure, trunc)
    return fits, msgs
