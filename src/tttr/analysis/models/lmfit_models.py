"""lmfit models of Eqs. 1–3 with the starting values and bounds the fits need."""

from __future__ import annotations

import numpy as np
from lmfit import Model

from .equations import auger_intensity, bc_intensity, mixed_intensity

__all__ = ["AugerModel", "BCModel", "MixedModel"]


def _weights_of(data, kwargs):
    w = kwargs.get("weights")
    if w is None:
        return np.ones_like(np.asarray(data, float))
    return np.asarray(w, float) ** 2


def _auger_endpoints(data, tau, tau1, tau2, w):
    """Endpoint intensities from a weighted straight-line fit of ``1/I`` against τ."""
    y = np.asarray(data, float)
    x = np.asarray(tau, float)
    ok = np.isfinite(x) & np.isfinite(y) & (y > 0)
    if ok.sum() >= 2:
        # var(1/I) = var(I)/I^4: weight 1/I by w·I^4 (w = 1/var(I))
        ww = w[ok] * y[ok] ** 4
        p = np.polyfit(x[ok], 1.0 / y[ok], 1, w=np.sqrt(ww / ww.max()))
        inv1, inv2 = np.polyval(p, tau1), np.polyval(p, tau2)
        if inv1 > 0 and inv2 > 0:
            return 1.0 / inv1, 1.0 / inv2
    order = np.argsort(x[ok])
    return (float(np.interp(tau1, x[ok][order], y[ok][order])), float(np.interp(tau2, x[ok][order], y[ok][order])))


def _anchors(tau, tau1, tau2):
    x = np.asarray(tau, float)
    x = x[np.isfinite(x)]
    if tau1 is None:
        tau1 = float(np.percentile(x, 90))
    if tau2 is None:
        tau2 = float(np.percentile(x, 10))
    return float(tau1), float(tau2)


def _pole_bound(tau1: float, tau2: float, tau_max: float) -> float:
    """Smallest ``I2/I1`` that keeps the pole of Eq. 1 beyond ``tau_max``.

    For ``0 < I2 < I1`` and ``τ2 < τ1`` the pole of Eq. 1 is at
    ``τ_p = τ1 + I2·(τ1 − τ2)/(I1 − I2)``; ``τ_p > τ_max`` ⇔
    ``I2/I1 > D/(τ1 − τ2 + D)`` with ``D = τ_max − τ1``.
    """
    d = float(tau_max) - float(tau1)
    if d <= 0 or tau1 <= tau2:
        return 0.0
    return d / (tau1 - tau2 + d)


def _bound_pole(pars, i1, i2, tau1, tau2, tau_max):
    if tau_max is None or not (tau1 > tau2):
        return
    lo = _pole_bound(tau1, tau2, tau_max)
    r0 = i2 / i1 if i1 > 0 else 0.5
    r0 = min(max(r0, lo + 0.05 * (1 - lo)), 1.0 - 0.05 * (1 - lo))
    pars.add("r2", value=r0, min=lo, max=1.0)
    pars["i2"].set(expr="r2 * i1")


class AugerModel(Model):
    """lmfit model of Eq. 1 (:func:`auger_intensity`); independent variable ``tau``.

    The endpoint lifetimes ``tau1`` and ``tau2`` are fixed by :meth:`guess` (Eq. 1 is a
    two-parameter curve, so only ``i1`` and ``i2`` can be fitted once the lifetimes are set).
    """

    def __init__(self, **kwargs):
        super().__init__(auger_intensity, independent_vars=["tau"], **kwargs)
        self.set_param_hint("i1", min=0.0)
        self.set_param_hint("i2", min=0.0)

    def guess(self, data, tau, tau1=None, tau2=None, tau_max=None, **kwargs):
        """Initial parameters: ``tau1``/``tau2`` fixed (default: 90th/10th percentile of ``tau``),
        ``i1``/``i2`` from a straight-line fit of ``1/I`` against τ.

        With ``tau_max`` (the largest lifetime to be fitted), ``i2`` becomes ``r2·i1`` with
        ``r2`` bounded so that the pole of Eq. 1 lies beyond ``tau_max`` (:func:`_pole_bound`).
        """
        t1, t2 = _anchors(tau, tau1, tau2)
        i1, i2 = _auger_endpoints(data, tau, t1, t2, _weights_of(data, kwargs))
        pars = self.make_params(i1=i1, tau1=t1, i2=i2, tau2=t2)
        pars["tau1"].set(vary=False)
        pars["tau2"].set(vary=False)
        _bound_pole(pars, i1, i2, t1, t2, tau_max)
        return pars


class BCModel(Model):
    """lmfit model of Eq. 2 (:func:`bc_intensity`); independent variable ``tau``.

    ``guess(..., intercept=False)`` fixes ``b = 0`` (a line through the origin).
    """

    def __init__(self, **kwargs):
        super().__init__(bc_intensity, independent_vars=["tau"], **kwargs)
        self.set_param_hint("a", min=0.0)

    def guess(self, data, tau, intercept=True, **kwargs):
        """Initial ``a`` (and ``b``) by weighted linear least squares."""
        y = np.asarray(data, float)
        x = np.asarray(tau, float)
        w = _weights_of(data, kwargs)
        ok = np.isfinite(x) & np.isfinite(y)
        sw = np.sqrt(w[ok])
        if intercept:
            A = np.column_stack((x[ok], np.ones(ok.sum()))) * sw[:, None]
            a, b = np.linalg.lstsq(A, y[ok] * sw, rcond=None)[0]
        else:
            a = float(np.sum(w[ok] * x[ok] * y[ok]) / np.sum(w[ok] * x[ok] ** 2))
            b = 0.0
        pars = self.make_params(a=max(float(a), 1e-9), b=float(b))
        if not intercept:
            pars["b"].set(value=0.0, vary=False)
        return pars


class MixedModel(Model):
    """lmfit model of Eq. 3 (:func:`mixed_intensity`); independent variable ``tau``.

    ``f`` is bounded to [0, 1]; ``a_auger = 1 − f`` and ``a_bc = f`` are derived parameters
    (with propagated errors). ``tau1``/``tau2`` are fixed by :meth:`guess`.
    """

    def __init__(self, **kwargs):
        super().__init__(mixed_intensity, independent_vars=["tau"], **kwargs)
        self.set_param_hint("i1", min=0.0)
        self.set_param_hint("i2", min=0.0)
        self.set_param_hint("f", min=0.0, max=1.0)
        self.set_param_hint("a_auger", expr="1 - f")
        self.set_param_hint("a_bc", expr="f")

    def guess(self, data, tau, tau1=None, tau2=None, f=0.5, tau_max=None, **kwargs):
        """Initial parameters: the Auger guess for the endpoints (with the same pole bound,
        see :meth:`AugerModel.guess`) and the given ``f``."""
        t1, t2 = _anchors(tau, tau1, tau2)
        i1, i2 = _auger_endpoints(data, tau, t1, t2, _weights_of(data, kwargs))
        pars = self.make_params(i1=i1, tau1=t1, i2=i2, tau2=t2, f=f)
        pars["tau1"].set(vary=False)
        pars["tau2"].set(vary=False)
        _bound_pole(pars, i1, i2, t1, t2, tau_max)
        return pars


_MODELS = {"auger": AugerModel, "bc": BCModel, "mixed": MixedModel}


_FUNCS = {"auger": auger_intensity, "bc": bc_intensity, "mixed": mixed_intensity}
