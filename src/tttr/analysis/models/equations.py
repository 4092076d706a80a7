"""Seed 001's FLID equations (Eqs. 1–3) as plain numpy functions."""

from __future__ import annotations

import numpy as np

__all__ = ["auger_intensity", "bc_intensity", "mixed_intensity"]


def auger_intensity(tau, i1, tau1, i2, tau2):
    """Seed 001, Eq. 1: intensity of bins mixing the exciton and the trion state.

    Parameters
    ----------
    tau : array of float
        Per-bin lifetime, ns.
    i1, tau1 : float
        Exciton (bright) state: counts per bin and lifetime (ns).
    i2, tau2 : float
        Trion (dim) state: counts per bin and lifetime (ns).

    Returns
    -------
    array of float
        ``I1·I2·(τ2 − τ1) / (I2·(τ2 − τ) + I1·(τ − τ1))``, counts per bin.

    Notes
    -----
    A bin spending ``T1`` in the exciton and ``T2`` in the trion state has
    ``I = (I1·T1 + I2·T2)/T`` and the photon-weighted lifetime
    ``τ = (I1·T1·τ1 + I2·T2·τ2)/(I1·T1 + I2·T2)``; eliminating ``T1/T`` gives Eq. 1. It passes
    through ``(τ1, I1)`` and ``(τ2, I2)`` exactly, and ``1/I`` is linear in τ, so the curve is a
    two-parameter family: any two of its points can serve as the endpoints.
    """
    tau = np.asarray(tau, float)
    return i1 * i2 * (tau2 - tau1) / (i2 * (tau2 - tau) + i1 * (tau - tau1))


def bc_intensity(tau, a, b=0.0):
    """Seed 001, Eq. 2: band-edge carrier (BC) blinking, ``I = a·τ + b``.

    Parameters
    ----------
    tau : array of float
        Per-bin lifetime, ns.
    a : float
        Counts per bin per ns of lifetime (``I ∝ QY = τ/τ_r`` with a fixed radiative rate).
    b : float
        Intercept, counts per bin: 0 for a line through the origin; a constant background
        otherwise.
    """
    return a * np.asarray(tau, float) + b


def mixed_intensity(tau, i1, tau1, i2, tau2, f):
    """Seed 001, Eq. 3 in an identifiable form: ``(1 − f)·Eq. 1 + f·(I1/τ1)·τ``.

    Parameters
    ----------
    tau : array of float
        Per-bin lifetime, ns.
    i1, tau1, i2, tau2 : float
        Endpoints of the Auger term (Eq. 1); ``(τ1, I1)`` is the bright state.
    f : float
        BC fraction in [0, 1].

    Returns
    -------
    array of float

    Notes
    -----
    Eq. 3 reads ``A_Auger·Eq.1 + A_BC·τ/τ_r``. As written it is degenerate: ``A_Auger``
    multiplies ``I1·I2`` (only the product ``A_Auger·I1·I2`` and the shape are seen) and
    ``A_BC`` only appears as ``A_BC/τ_r``. Two constraints remove the degeneracy:

    * both terms describe the same bright state, so the BC line passes through it:
      ``τ_r`` is expressed in intensity units as ``τ1/I1`` (the bright state has the full
      radiative yield), i.e. the BC term is ``A_BC·(I1/τ1)·τ``;
    * ``A_Auger + A_BC = 1``, so the mixed curve passes through ``(τ1, I1)`` as well.

    Then ``A_Auger = 1 − f`` and ``A_BC = f`` with one free fraction f, and
    ``A_Auger : A_BC = (1 − f) : f`` (seed 001 reports ≈ 3 : 1, f ≈ 0.25). f = 0 is Eq. 1 and
    f = 1 is Eq. 2 through the origin and the bright state.
    """
    tau = np.asarray(tau, float)
    return (1.0 - f) * auger_intensity(tau, i1, tau1, i2, tau2) + f * (i1 / tau1) * tau
