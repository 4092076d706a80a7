"""A synthetic FLID map following Eq. 3 of seed 001 with shot noise, for tests of the FLID fits.

No photons are simulated: per-bin intensities and lifetimes are drawn directly. Re-exported by
:mod:`tttr.analysis.models` (where it used to live).
"""

from __future__ import annotations

import numpy as np
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..analysis.flid import FlidMap

__all__ = ["random_flid"]


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
    # imported here: tttr.analysis.models re-exports this function, so a module-level import
    # would make the two packages import each other
    from ..analysis.flid import FlidMap
    from ..analysis.models.equations import mixed_intensity

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
