"""The dwell-time power laws of a blinking trace, as every report gives them.

One function used by :func:`tttr.analyze`, ``tttr blink`` and the batch: the pure and the
truncated power law of the ON and of the OFF durations, t_min chosen from the data above a
floor of a few bins, with their goodness-of-fit p-values and the warnings of each fit.
"""

from __future__ import annotations

import numpy as np

from .. import defaults
from . import sanity
from .powerlaw import fit_power_law, fit_truncated_power_law

__all__ = ["dwell_power_laws"]


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
