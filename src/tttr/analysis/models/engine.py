"""The fitting engines: binned maximum likelihood, orthogonal distance, the curvature test."""

from __future__ import annotations

import math

import numpy as np
from lmfit import minimize

from .lmfit_models import _FUNCS, _MODELS
from .results import ModelFit


def _argnames(func):
    return func.__code__.co_varnames[1:func.__code__.co_argcount]


def _param_dict(params) -> dict:
    def err(p):
        return None if p.stderr is None or not np.isfinite(p.stderr) else float(p.stderr)

    return {k: {"value": float(p.value), "stderr": err(p), "vary": bool(p.vary), "derived": p.expr is not None}
            for k, p in params.items()}


def _criteria(chisqr, n, k, log_sigma_term=0.0):
    """AIC and BIC from ``−2 ln L = n ln(χ²/n) + 2 Σ ln σ`` (common variance scale profiled out;
    constants shared by every model dropped)."""
    m2ll = n * math.log(max(chisqr, 1e-300) / n) + log_sigma_term
    return m2ll + 2 * k, m2ll + k * math.log(n)


def _values(params, names):
    return {k: params[k].value for k in names}


def _data_slope(x, y, sy, sx=None):
    """Slope dI/dτ of the binned points, from the data alone (a weighted cubic in τ).

    Used for the effective variance of every model alike, so that no candidate curve can
    lower its −2 ln L by being flat where it misses the data (see the Notes of
    :func:`fit_flid`).
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    if x.size < 2:
        return np.zeros_like(x)
    deg = 3 if x.size >= 8 else 1
    c = 0.5 * (x.max() + x.min())
    h = max(0.5 * float(np.ptp(x)), 1e-12)
    u = (x - c) / h
    p = np.polyfit(u, y, deg, w=1.0 / np.maximum(np.asarray(sy, float), 1e-12))
    return np.polyval(np.polyder(p), u) / h


def _fit_binned(name, x, y, sy, sx, tau1, tau2, intercept, f0=None, slope=None):
    """Least squares of the binned points with an effective variance taken from the data.

    Returns ``(ModelFit, lmfit.Parameters)`` or ``(None, None)``.
    """
    model = _MODELS[name]()
    func = _FUNCS[name]
    w0 = 1.0 / sy
    if name == "bc":
        params = model.guess(y, tau=x, intercept=intercept, weights=w0)
    elif name == "mixed":
        params = model.guess(y, tau=x, tau1=tau1, tau2=tau2, f=f0, tau_max=float(x.max()), weights=w0)
    else:
        params = model.guess(y, tau=x, tau1=tau1, tau2=tau2, tau_max=float(x.max()), weights=w0)
    names = _argnames(func)
    n = x.size
    if slope is None:
        slope = _data_slope(x, y, sy, sx)
    sigma = np.sqrt(sy ** 2 + (slope * sx) ** 2)  # the same for every model: from the data

    def resid(p):
        vals = _values(p, names)
        with np.errstate(all="ignore"):
            r = (y - func(x, **vals)) / sigma
        return np.nan_to_num(r, nan=1e6, posinf=1e6, neginf=-1e6)  # a pole of Eq. 1 at a point

    res = minimize(resid, params, method="leastsq")
    params = res.params
    vals = _values(params, names)
    with np.errstate(all="ignore"):
        chisqr = float(np.sum(((y - func(x, **vals)) / sigma) ** 2))
    if not np.isfinite(chisqr):
        return None, None
    k = int(res.nvarys)
    aic, bic = _criteria(chisqr, n, k)
    return (ModelFit(name, _param_dict(params), chisqr, chisqr / max(n - k, 1), aic, bic, n, k,
                     bool(res.success), str(res.message)), params)


def _odr_cells(tau, inten, s_tau, edges):
    """Group trace bins into (intensity, lifetime) cells: mean point, errors, multiplicity."""
    ii = np.floor(4.0 * np.sqrt(np.maximum(inten, 0.0))).astype(np.int64)  # cells √I/2 wide in I
    jj = np.clip(np.digitize(tau, edges) - 1, -1, edges.size)
    key = ii * (edges.size + 2) + (jj + 1)
    _, inv, w = np.unique(key, return_inverse=True, return_counts=True)
    x = np.bincount(inv, tau) / w
    y = np.bincount(inv, inten) / w
    s2 = np.bincount(inv, s_tau * s_tau) / w
    return x, y, np.sqrt(s2 / w), np.sqrt(np.maximum(y, 1.0) / w), w


def _fit_odr(name, tau, inten, s_tau, edges, start_params):
    """Weighted orthogonal distance regression on (intensity, lifetime) cells.

    Minimises ``Σ_c w_c·[(I_c − g(τ_c + δ_c))²/σ_I² + δ_c²/σ_τ²]`` over the parameters and
    one lifetime correction δ_c per cell (ODRPACK's objective) with
    :func:`scipy.optimize.least_squares` and a sparse Jacobian; starts from the binned fit.
    """
    from scipy import optimize, sparse

    func = _FUNCS[name]
    names = _argnames(func)
    free = [k for k, p in start_params.items() if p.vary and p.expr is None]
    fixed = {k: p.value for k, p in start_params.items()}
    x, y, sx, sy, w = _odr_cells(tau, inten, s_tau, edges)
    sx = np.maximum(sx, 1e-9)
    m, k = x.size, len(free)

    def full(theta):
        vals = dict(fixed)
        vals.update(zip(free, theta))
        if "r2" in vals:
            vals["i2"] = vals["r2"] * vals["i1"]
        return vals

    def curve(theta, xx):
        vals = full(theta)
        return func(xx, **{n: vals[n] for n in names})

    def resid(p):
        theta, delta = p[:k], p[k:]
        with np.errstate(all="ignore"):
            r1 = (y - curve(theta, x + delta)) / sy
        return np.concatenate((np.nan_to_num(r1, nan=1e6, posinf=1e6, neginf=-1e6), delta / sx))

    def jac(p):
        theta, delta = p[:k], p[k:]
        xx = x + delta
        with np.errstate(all="ignore"):
            g0 = curve(theta, xx)
            cols = []
            for j in range(k):
                h = 1e-6 * max(abs(theta[j]), 1e-3)
                tp = theta.copy()
                tp[j] += h
                cols.append(-(curve(tp, xx) - g0) / h / sy)
            hx = 1e-6 * max(float(np.ptp(x)), 1e-3)
            d1 = -(curve(theta, xx + hx) - curve(theta, xx - hx)) / (2 * hx) / sy
        top = sparse.hstack([sparse.csr_matrix(np.nan_to_num(np.column_stack(cols))), sparse.diags(np.nan_to_num(d1))])
        bottom = sparse.hstack([sparse.csr_matrix((m, k)), sparse.diags(1.0 / sx)])
        return sparse.vstack([top, bottom]).tocsr()

    lo = np.array([start_params[n].min for n in free] + [-np.inf] * m, float)
    hi = np.array([start_params[n].max for n in free] + [np.inf] * m, float)
    p0 = np.concatenate((np.clip([start_params[n].value for n in free], lo[:k], hi[:k]), np.zeros(m)))
    # a start on a bound is allowed by least_squares only strictly inside
    span = np.where(np.isfinite(hi[:k] - lo[:k]), hi[:k] - lo[:k], np.abs(p0[:k]) + 1.0)
    p0[:k] = np.clip(p0[:k], lo[:k] + 1e-9 * span, hi[:k] - 1e-9 * span)
    try:
        out = optimize.least_squares(resid, p0, jac=jac, bounds=(lo, hi), method="trf", x_scale="jac", max_nfev=200)
    except ValueError:
        return None
    chisqr = float(2.0 * out.cost)
    if not np.isfinite(chisqr):
        return None
    n = int(w.sum())
    # cells are narrower than the noise, so their χ² is that of the trace bins they hold
    aic, bic = _criteria(chisqr, n, k)
    J = jac(out.x)
    A = J[:m, :k].toarray()
    d1 = J[:m, k:].diagonal()
    d2 = 1.0 / sx
    S = A.T @ (A * (d2 ** 2 / (d1 ** 2 + d2 ** 2))[:, None])  # δ profiled out (Schur complement)
    cov = np.linalg.pinv(S) * (chisqr / max(n - k, 1))
    theta = out.x[:k]
    vals = full(theta)
    err = {n_: math.sqrt(max(cov[j, j], 0.0)) for j, n_ in enumerate(free)}
    params = {n_: {"value": float(vals[n_]), "stderr": err.get(n_), "vary": n_ in free, "derived": False}
              for n_ in names}
    if "r2" in free:
        ji, jr = free.index("i1"), free.index("r2")
        r2, i1 = vals["r2"], vals["i1"]
        var = r2 ** 2 * cov[ji, ji] + i1 ** 2 * cov[jr, jr] + 2 * r2 * i1 * cov[ji, jr]
        params["i2"].update(stderr=math.sqrt(max(var, 0.0)), derived=True)
        params["r2"] = {"value": float(r2), "stderr": err["r2"], "vary": True, "derived": False}
    if name == "mixed":
        fe = err.get("f")
        params["a_auger"] = {"value": 1.0 - vals["f"], "stderr": fe, "vary": False, "derived": True}
        params["a_bc"] = {"value": vals["f"], "stderr": fe, "vary": False, "derived": True}
    return ModelFit(name, params, chisqr, chisqr / max(n - k, 1), aic, bic, n, k, bool(out.success), str(out.message))


def _curvature(fit: ModelFit | None, x, y, sy, sx, span=None):
    empty = {"coefficient": None, "stderr": None, "z": None, "over_curved": False, "under_curved": False,
             "n_points": 0}
    if span is not None:
        sel = (x >= min(span)) & (x <= max(span))
        x, y, sy, sx = x[sel], y[sel], sy[sel], sx[sel]
    if fit is None or x.size < 4:
        return empty
    func = _FUNCS["auger"]
    vals = {k: fit.value(k) for k in ("i1", "tau1", "i2", "tau2")}
    # residuals of one fixed curve: its own slope carries the lifetime noise into intensity
    # (no model comparison here, so nothing is gained by a flat curve)
    h = 1e-4 * max(float(np.ptp(x)), 1e-3)
    slope = (func(x + h, **vals) - func(x - h, **vals)) / (2 * h)
    sigma = np.sqrt(sy ** 2 + (slope * sx) ** 2)
    r = y - func(x, **vals)
    u = (x - 0.5 * (x.max() + x.min())) / max(0.5 * float(np.ptp(x)), 1e-12)
    A = np.column_stack((np.ones_like(u), u, u * u)) / sigma[:, None]
    coef, *_ = np.linalg.lstsq(A, r / sigma, rcond=None)
    dof = max(x.size - 3, 1)
    chi2 = float(np.sum((r / sigma - A @ coef) ** 2))
    cov = np.linalg.pinv(A.T @ A) * max(chi2 / dof, 1.0)
    c, e = float(coef[2]), float(math.sqrt(max(cov[2, 2], 0.0)))
    z = c / e if e > 0 else float("nan")
    return {"coefficient": c, "stderr": e, "z": z, "over_curved": bool(z < -3), "under_curved": bool(z > 3),
            "n_points": int(x.size)}
