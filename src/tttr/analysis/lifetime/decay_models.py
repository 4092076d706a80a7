"""Bin-averaged exponential decays, single-pulse or periodic, and their IRF convolution."""

from __future__ import annotations

import numpy as np
import scipy.fft

from ...errors import AnalysisError

__all__ = ["exponential_bin_means"]


def exponential_bin_means(t_lo_ns, bin_width_ns: float, t0_ns: float, tau_ns: float,
                          period_ns: float | None = None) -> np.ndarray:
    """Mean over each bin of a unit exponential decay starting at ``t0``.

    ``g(t) = exp(-(t - t0) / tau)`` for ``t >= t0`` and 0 before; with ``period_ns`` the sum
    over all previous pulses, ``g(t) = exp(-u / tau) / (1 - exp(-P / tau))`` with
    ``u = (t - t0) mod P``.

    Parameters
    ----------
    t_lo_ns : array
        Left edges of the bins (ns).
    bin_width_ns, t0_ns, tau_ns : float
    period_ns : float, optional
        Laser period ``P``; None for a single pulse.

    Returns
    -------
    array
        ``(1 / bin_width) ∫_bin g(t) dt`` per bin (exact; bins cut by the discontinuity at
        ``t0 + kP`` are split there). A model ``A · this + B`` has ``A`` counts per bin just
        after ``t0`` and holds ``A · tau / bin_width`` photons per pulse.

    Notes
    -----
    The periodic factor follows from summing the geometric series of one exponential repeated
    every ``P``: ``Σ_k exp(-(u + kP)/tau) = exp(-u/tau) / (1 - exp(-P/tau))``. It tends to 1 for
    τ ≪ P, so the periodic model is exact in every regime. Requires ``bin_width <= P``.
    """
    t_lo = np.asarray(t_lo_ns, float)
    dt = float(bin_width_ns)
    tau = float(tau_ns)
    c = tau / dt
    if period_ns is None:
        ua = np.maximum(t_lo - t0_ns, 0.0)
        ub = np.maximum(t_lo + dt - t0_ns, 0.0)
        return c * np.exp(-ua / tau) * -np.expm1(-(ub - ua) / tau)
    P = float(period_ns)
    u = np.mod(t_lo - t0_ns, P)
    over = u + dt - P  # > 0: the bin contains the next rise at age P -> 0
    full = np.exp(-u / tau) * -np.expm1(-np.minimum(dt, P - u) / tau)
    wrapped = np.where(over > 0, -np.expm1(-np.maximum(over, 0.0) / tau), 0.0)
    return c * (full + wrapped) / -np.expm1(-P / tau)


class _IrfConvolution:
    """Decay bases convolved with a measured IRF, shifted continuously by t0 (Fourier shift)."""

    def __init__(self, irf, dt: float, n_bins: int, n_range: int, period: float | None, periodic: bool):
        irf = np.clip(np.asarray(irf, float).ravel(), 0.0, None)
        if not irf.sum() > 0:
            raise AnalysisError("the IRF histogram is empty")
        self.dt = dt
        self.periodic = periodic
        if periodic:
            n_grid = int(round(period / dt))
            g = np.zeros(n_grid)
            np.add.at(g, np.arange(irf.size) % n_grid, irf)
            self.M = n_grid
            self.n_grid = n_grid
            self.P_grid = n_grid * dt
        else:
            n_grid = max(n_range, 2)
            g = np.zeros(n_grid)
            m = min(n_grid, irf.size)
            g[:m] = irf[:m]
            self.n_grid = n_grid
            self.M = scipy.fft.next_fast_len(2 * n_grid)
            self.P_grid = None
        g /= g.sum()
        k_pk = int(np.argmax(g))
        self.peak_center_ns = (k_pk + 0.5) * dt
        gc = np.roll(g, -k_pk)  # peak at lag 0; lags past half the grid are negative
        kern = np.zeros(self.M)
        h = self.n_grid // 2
        kern[: self.n_grid - h] = gc[: self.n_grid - h]
        kern[self.M - h:] = gc[self.n_grid - h:]
        self.F_irf = scipy.fft.rfft(kern)
        self.omega = 2.0 * np.pi * scipy.fft.rfftfreq(self.M)  # rad per bin
        t_lo = np.arange(self.M) * dt
        if not periodic:  # the last half grid stands for negative times: no decay there
            t_lo = np.where(np.arange(self.M) >= self.M - h, -1.0, t_lo)
        self.t_lo = t_lo

    def basis(self, tau: float, t0: float, idx: np.ndarray) -> np.ndarray:
        e0 = exponential_bin_means(self.t_lo, self.dt, 0.0, tau, self.P_grid)
        if not self.periodic:
            e0[self.t_lo < 0] = 0.0
        F = self.F_irf * scipy.fft.rfft(e0) * np.exp(-1j * self.omega * (t0 / self.dt))
        full = scipy.fft.irfft(F, self.M)
        return full[idx % self.n_grid] if self.periodic else full[idx]
