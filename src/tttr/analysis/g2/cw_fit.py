"""CW g2: Poisson maximum-likelihood fit of the antibunching dip, with a profile interval."""

from __future__ import annotations

import math

import numpy as np

from ... import defaults
from ...errors import AnalysisError
from .intervals import _normal_quantile, _single_emitter
from .results import CWG2Fit, G2Curve

__all__ = ["cw_g2_model", "fit_cw_g2"]


def cw_g2_model(lag_ns, g2_zero, tau_a_ns, tau0_ns=0.0, amplitude=1.0):
    """``amplitude·[1 − (1 − g2_zero)·exp(−|τ − τ0|/τ_a)]`` (science.md §6, seed 004 Eq. 11)."""
    lag_ns = np.asarray(lag_ns, np.float64)
    return amplitude * (1.0 - (1.0 - g2_zero) * np.exp(-np.abs(lag_ns - tau0_ns) / tau_a_ns))


def _bin_mean_exp(lo_ns, hi_ns, tau0_ns, tau_a_ns):
    """Mean of ``exp(−|τ − τ0|/τ_a)`` over each bin ``[lo, hi)``, exactly (also across the cusp)."""
    a = (lo_ns - tau0_ns) / tau_a_ns
    b = (hi_ns - tau0_ns) / tau_a_ns
    w = b - a
    left = np.minimum(b, 0.0)  # part of the bin below τ0: ∫ e^x dx over [a, min(b, 0)]
    right = np.maximum(a, 0.0)  # part above τ0: ∫ e^-x dx over [max(a, 0), b]
    total = (np.where(a < 0, np.exp(left) - np.exp(np.minimum(a, 0.0)), 0.0)
             + np.where(b > 0, np.exp(-right) - np.exp(-np.maximum(b, 0.0)), 0.0))
    return total / w


def _deviance_residuals(counts, mu):
    mu = np.maximum(mu, 1e-300)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(counts > 0, counts * np.log(counts / mu), 0.0)
    dev = 2.0 * (mu - counts + term)
    return np.sign(counts - mu) * np.sqrt(np.maximum(dev, 0.0))


def _profile_interval(residual, params, dev_min: float, target: float, step: float) -> tuple[float, float]:
    """Profile-likelihood interval of g2_zero: where the deviance, minimised over the other
    parameters, rises by ``target`` (z²) above its minimum; clipped at the parameter's bounds."""
    import lmfit

    def rise(g):
        p = params.copy()
        p["g2_zero"].set(value=g, vary=False)
        r = lmfit.minimize(residual, p, method="leastsq", scale_covar=False, max_nfev=400)
        return max(float(np.sum(residual(r.params) ** 2)) - dev_min, 0.0)

    g_hat = float(params["g2_zero"].value)
    lo_b, hi_b = float(params["g2_zero"].min), float(params["g2_zero"].max)
    ends = []
    for sign, bound in ((-1.0, lo_b), (1.0, hi_b)):
        a, ra = g_hat, 0.0
        b = g_hat + sign * 2.0 * step
        found = None
        for _ in range(12):  # bracket
            if (b - bound) * sign >= 0:
                b = bound
            rb = rise(b)
            if rb >= target:
                break
            if b == bound:
                found = bound
                break
            a, ra = b, rb
            b = g_hat + 2.0 * (b - g_hat)
        if found is None:
            for _ in range(5):  # interpolate on sqrt(rise), nearly linear in g
                sa, sb = math.sqrt(ra), math.sqrt(rb)
                m = a + (b - a) * (math.sqrt(target) - sa) / max(sb - sa, 1e-12)
                rm = rise(m)
                if abs(rm - target) < 0.02 * target:
                    a = b = m
                    break
                if rm < target:
                    a, ra = m, rm
                else:
                    b, rb = m, rm
            found = 0.5 * (a + b)
        ends.append(float(found))
    return ends[0], ends[1]


def fit_cw_g2(curve: G2Curve, *, amplitude: bool = True, fit_range_s: float | None = None,
              tau0_s: float | None = None, tau0_bound_s: float | None = None) -> CWG2Fit:
    """Fit the CW antibunching dip ``A·[1 − (1 − g2(0))·exp(−|τ − τ0|/τ_a)]`` with lmfit.

    Parameters
    ----------
    curve : G2Curve
        Linear-bin histogram.
    amplitude : bool
        Fit the plateau A (default True); False fixes A = 1.
    fit_range_s : float, optional
        Fit ``|τ| ≤ fit_range_s`` only (default: the whole histogram).
    tau0_s : float, optional
        Fix the dip centre (default: fitted).
    tau0_bound_s : float, optional
        Largest ``|τ0|`` the fit may use (default ``defaults.G2_CW_TAU0_MAX_S`` = 10 ns): the
        dip sits at the detector delay difference (after the offsets applied to the
        histogram), never hundreds of ns away.

    Returns
    -------
    CWG2Fit

    Notes
    -----
    * Poisson maximum likelihood: the model for the pair counts is
      ``μ_k = expected_counts_k · g2_model(τ_k)`` and lmfit minimises the sum of squared
      deviance residuals, which is the Poisson deviance; least squares on g2 with
      ``sqrt(C)`` weights would be biased where bins hold few pairs (the bottom of the dip).
    * Standard errors come from the Fisher information ``Σ ∂μ/∂θ·∂μ/∂θᵀ / μ`` at the
      optimum (numerical derivatives), not from a χ²-rescaled covariance.
    * The plateau A is free by default: blinking bunching and the finite ±W window make the
      local plateau differ from 1, and g2(0) is read relative to it, as in the papers. With
      ``amplitude=False`` the formula of science.md §6 is fitted as is.
    * The model is averaged over each lag bin exactly (analytic integral of the exponential),
      so the cusp at τ0 does not bias g2(0) upwards by the bin width (a 100 ps bin at
      τ_a = 4 ns would otherwise add about 0.006·ρ²).
    * ``1/τ_a = k_r + k_exc``: it equals the radiative rate only at low pump.
    * g2(0) ≥ 0 (below, the model would have negative pair rates); g2(0) = 0 is a result
      (the interval gives the upper limit). A fit whose other parameters end on a bound (τ0
      at ±bound, τ_a at its smallest or largest value, g2(0) at 10, a zero plateau) is
      flagged in ``at_bound`` and is not a result; nor is one whose errors are not finite.
    * The interval is the profile-likelihood one (deviance minimised over the other
      parameters rises by z² = 3.84), right near g2(0) = 0 where the Fisher error is far too
      small (the counts at the dip bottom go to 0 with g2(0)); the standard error is the
      larger of the Fisher one and the profile half-width / z. ``single_emitter`` is decided
      only when the interval lies wholly on one side of 0.5.
    """
    import lmfit

    if curve.spacing != "linear":
        raise ValueError("fit_cw_g2 needs a linear-bin histogram")
    x, lo_ns, hi_ns, c, e = _cw_points(curve, fit_range_s)
    params, t_lo, t_hi = _cw_start(x, c, e, amplitude, tau0_s, tau0_bound_s)

    def mu_of(p):
        shape = _bin_mean_exp(lo_ns, hi_ns, p["tau0_ns"], p["tau_a_ns"])
        return e * p["amplitude"] * (1.0 - (1.0 - p["g2_zero"]) * shape)

    def residual(p):
        return _deviance_residuals(c, mu_of(p.valuesdict()))

    res = lmfit.minimize(residual, params, method="leastsq", scale_covar=False)
    best = res.params.valuesdict()
    names = [n for n in ("g2_zero", "tau_a_ns", "tau0_ns", "amplitude") if res.params[n].vary]
    mu = mu_of(best)
    errs = _fisher_errors(res, best, names, mu_of, mu)
    dof = max(x.size - len(names), 1)
    pearson = float(np.sum((c - mu) ** 2 / np.maximum(mu, 1e-300)) / dof)
    deviance = float(np.sum(_deviance_residuals(c, mu) ** 2))
    model = ("A*(1-(1-g2_zero)*exp(-|tau-tau0|/tau_a))" if amplitude else "1-(1-g2_zero)*exp(-|tau-tau0|/tau_a)")
    at_bound = _parameters_at_bound(res.params, names)
    z = _normal_quantile(0.5 + 0.5 * defaults.G2_CI_LEVEL)
    ci = (float("nan"), float("nan"))
    if not at_bound and np.isfinite(errs["g2_zero"]):
        ci = _profile_interval(residual, res.params, deviance, z * z, max(errs["g2_zero"], 1e-3))
        # the standard error: the larger of the Fisher one and the profile half-width
        errs["g2_zero"] = max(errs["g2_zero"], (ci[1] - ci[0]) / (2 * z))
    g_err = errs["g2_zero"]
    if at_bound:
        single, reason = None, "the CW fit hit the bound(s) " + ", ".join(at_bound) + ": no result"
    elif not np.isfinite(g_err):
        single, reason = None, "the CW fit gave no finite error"
    else:
        single, reason = _single_emitter(ci, "the CW g2(0) (no background correction)")
    return CWG2Fit(g2_zero=float(best["g2_zero"]), g2_zero_err=errs["g2_zero"], tau_a_ns=float(best["tau_a_ns"]),
                   tau_a_ns_err=errs["tau_a_ns"], tau0_ns=float(best["tau0_ns"]), tau0_ns_err=errs["tau0_ns"],
                   amplitude=float(best["amplitude"]), amplitude_err=errs["amplitude"], model=model,
                   n_points=int(x.size), deviance=deviance, redchi=pearson, success=bool(res.success),
                   message=str(res.message), fit_range_s=(float(x.min()) * 1e-9, float(x.max()) * 1e-9),
                   g2_zero_ci=ci, at_bound=tuple(at_bound), tau0_bounds_ns=(t_lo, t_hi), single_emitter=single,
                   single_emitter_reason=reason, minimizer_result=res)


def _cw_points(curve: G2Curve, fit_range_s):
    """Lag (ns), bin edges (ns), counts and expected counts of the bins fitted."""
    lag_ns = curve.lag_s * 1e9
    sel = np.isfinite(curve.expected_counts) & (curve.expected_counts > 0)
    if fit_range_s is not None:
        sel &= np.abs(curve.lag_s) <= float(fit_range_s)
    x = lag_ns[sel]
    lo_ns = curve.lag_edges_s[:-1][sel] * 1e9
    hi_ns = curve.lag_edges_s[1:][sel] * 1e9
    c = curve.counts[sel].astype(np.float64)
    e = curve.expected_counts[sel]
    if x.size < 5 or c.sum() < 10:
        raise AnalysisError(f"too few photon pairs for a CW g2 fit ({int(c.sum())} pairs in {x.size} bins)")
    return x, lo_ns, hi_ns, c, e


def _cw_start(x, c, e, amplitude, tau0_s, tau0_bound_s):
    """lmfit parameters with their starting values and bounds, and the allowed dip centre range (ns)."""
    import lmfit

    g = c / e
    bin_ns = float(np.median(np.diff(x))) if x.size > 1 else 1.0
    span = float(x.max() - x.min())
    outer = np.abs(x) >= 0.5 * np.abs(x).max()
    a0 = float(np.sum(c[outer]) / np.sum(e[outer])) if amplitude and np.any(outer) and np.sum(e[outer]) > 0 else 1.0
    win = max(1, int(round(0.02 * x.size)))
    smooth = np.convolve(c, np.ones(win), "same") / np.maximum(np.convolve(e, np.ones(win), "same"), 1e-300)
    i_min = int(np.argmin(smooth))
    bound_ns = (defaults.G2_CW_TAU0_MAX_S if tau0_bound_s is None else float(tau0_bound_s)) * 1e9
    if not bound_ns > 0:
        raise ValueError(f"tau0_bound_s must be positive, got {tau0_bound_s!r}")
    t_lo, t_hi = max(-bound_ns, float(x.min())), min(bound_ns, float(x.max()))
    near = (x >= t_lo) & (x <= t_hi)
    i_min = int(np.flatnonzero(near)[np.argmin(smooth[near])]) if near.any() else i_min
    t0_guess = float(x[i_min]) if tau0_s is None else float(tau0_s) * 1e9
    g0_guess = float(np.clip(smooth[i_min] / a0, 0.0, 0.95))
    dip_area = float(np.sum(np.clip(a0 - g, -a0, None))) * bin_ns
    ta_guess = dip_area / max(2 * a0 * (1 - g0_guess), 1e-12)
    ta_guess = float(np.clip(ta_guess, 2 * bin_ns, span / 4 if span > 0 else 1.0))

    params = lmfit.Parameters()
    params.add("g2_zero", value=g0_guess, min=0.0, max=10.0)
    params.add("tau_a_ns", value=ta_guess, min=0.5 * bin_ns, max=max(span, 2 * bin_ns))
    params.add("tau0_ns", value=float(np.clip(t0_guess, t_lo, t_hi)) if tau0_s is None else t0_guess,
               min=t_lo if tau0_s is None else -np.inf, max=t_hi if tau0_s is None else np.inf,
               vary=tau0_s is None)
    params.add("amplitude", value=a0, min=0.0, vary=bool(amplitude))
    return params, t_lo, t_hi


def _fisher_errors(res, best, names, mu_of, mu) -> dict:
    """Standard errors from the Poisson Fisher information (numerical derivatives of ``mu``);
    0 for fixed parameters, NaN for all when the information is singular. Sets ``stderr``."""
    errs = {n: 0.0 for n in ("g2_zero", "tau_a_ns", "tau0_ns", "amplitude")}
    try:
        jac = []
        for n in names:
            step = max(abs(best[n]) * 1e-6, 1e-9)
            up, dn = dict(best), dict(best)
            up[n] += step
            dn[n] -= step
            jac.append((mu_of(up) - mu_of(dn)) / (2 * step))
        J = np.array(jac)
        fisher = (J / np.maximum(mu, 1e-300)) @ J.T
        cov = np.linalg.inv(fisher)
        for i, n in enumerate(names):
            errs[n] = float(math.sqrt(max(cov[i, i], 0.0)))
            res.params[n].stderr = errs[n]
    except np.linalg.LinAlgError:
        errs = {k: float("nan") for k in errs}
    return errs


def _parameters_at_bound(params, names) -> list:
    """Names of the varied parameters within ``defaults.G2_CW_AT_BOUND_FRACTION`` of their range of a
    bound (g2(0) = 0 excepted)."""
    at_bound = []
    for n in names:
        par = params[n]
        lo_b, hi_b = par.min, par.max
        if n == "g2_zero":
            lo_b = -np.inf  # g2(0) = 0 is a physical value, not a failed fit (the interval says how low)
        scale = (hi_b - lo_b) if np.isfinite(hi_b - lo_b) else max(abs(par.value), 1.0)
        tol = defaults.G2_CW_AT_BOUND_FRACTION * scale
        if (np.isfinite(lo_b) and par.value - lo_b <= tol) or (np.isfinite(hi_b) and hi_b - par.value <= tol):
            at_bound.append(n)
    return at_bound
