"""Poisson negative log-likelihood of a decay model and the optimiser that minimises it."""

from __future__ import annotations

import numpy as np

from ... import defaults

__all__: list = []


class _Poisson:
    """Poisson NLL of ``m = Σ A_k E(τ_k, t0) + B`` over the window, with derivatives."""

    def __init__(self, n, basis, ncomp, fit_bg, bg_value, fit_t0, t0_value, dt):
        self.n = n
        self.pos = n > 0
        self.basis = basis
        self.ncomp = ncomp
        self.fit_bg = fit_bg
        self.bg_value = bg_value
        self.fit_t0 = fit_t0
        self.t0_value = t0_value
        self.dt = dt
        self.k = 2 * ncomp + int(fit_bg) + int(fit_t0)

    def unpack(self, th):
        A = th[0: 2 * self.ncomp: 2]
        tau = th[1: 2 * self.ncomp: 2]
        j = 2 * self.ncomp
        B = th[j] if self.fit_bg else self.bg_value
        t0 = th[-1] if self.fit_t0 else self.t0_value
        return A, tau, B, t0

    def model(self, th):
        A, tau, B, t0 = self.unpack(th)
        m = np.full(self.n.shape, float(B))
        for a, t in zip(A, tau):
            m += a * self.basis(t, t0)
        return m

    def nll(self, th):
        m = self.model(th)
        if np.any(m[self.pos] <= 0):
            return np.inf
        n = self.n[self.pos]
        return float(np.sum(m) - np.sum(self.n) - np.sum(n * np.log(m[self.pos] / n)))

    def _derivs(self, th, second: bool):
        A, tau, B, t0 = self.unpack(th)
        out = []
        g = defaults.LIFETIME_T0_STEP_BINS * self.dt
        for t in tau:
            h = defaults.LIFETIME_TAU_STEP_FRACTION * t
            e = self.basis(t, t0)
            ep, em = self.basis(t + h, t0), self.basis(t - h, t0)
            d = {"E": e, "Et": (ep - em) / (2 * h)}
            if second:
                d["Ett"] = (ep - 2 * e + em) / (h * h)
            if self.fit_t0:
                fp, fm = self.basis(t, t0 + g), self.basis(t, t0 - g)
                d["Es"] = (fp - fm) / (2 * g)
                if second:
                    d["Ess"] = (fp - 2 * e + fm) / (g * g)
                    d["Ets"] = (self.basis(t + h, t0 + g) - self.basis(t + h, t0 - g)
                                - self.basis(t - h, t0 + g) + self.basis(t - h, t0 - g)) / (4 * h * g)
            out.append(d)
        m = np.full(self.n.shape, float(B))
        for a, d in zip(A, out):
            m += a * d["E"]
        J = np.empty((self.k, self.n.shape[0]))
        for i, (a, d) in enumerate(zip(A, out)):
            J[2 * i] = d["E"]
            J[2 * i + 1] = a * d["Et"]
        j = 2 * self.ncomp
        if self.fit_bg:
            J[j] = 1.0
        if self.fit_t0:
            J[-1] = sum(a * d["Es"] for a, d in zip(A, out))
        return m, J, out, A

    # Sums below are elementwise products reduced by numpy, not BLAS calls: tiny matrix
    # products dispatched to a threaded BLAS are several times slower on a busy machine.
    def grad(self, th):
        m, J, _, _ = self._derivs(th, False)
        return (J * (1.0 - self.n / np.maximum(m, 1e-300))).sum(axis=1)

    def scoring(self, th):
        """Gradient and expected information ``Σ ∇m ∇mᵀ / m`` (positive semi-definite)."""
        m, J, _, _ = self._derivs(th, False)
        m = np.maximum(m, 1e-300)
        g = (J * (1.0 - self.n / m)).sum(axis=1)
        Jw = J / m
        F = np.array([[float((Jw[i] * J[j]).sum()) for j in range(self.k)] for i in range(self.k)])
        return g, F

    def hessian(self, th):
        """Observed information: Σ n/m² ∇m ∇mᵀ + Σ (1 - n/m) ∇²m."""
        m, J, out, A = self._derivs(th, True)
        m = np.maximum(m, 1e-300)
        w = self.n / (m * m)
        r = 1.0 - self.n / m
        Jw = J * w
        H = np.array([[float((Jw[i] * J[j]).sum()) for j in range(self.k)] for i in range(self.k)])
        for i, (a, d) in enumerate(zip(A, out)):
            ia, it = 2 * i, 2 * i + 1
            x = float((r * d["Et"]).sum())
            H[ia, it] += x
            H[it, ia] += x
            H[it, it] += a * float((r * d["Ett"]).sum())
            if self.fit_t0:
                y = float((r * d["Es"]).sum())
                H[ia, -1] += y
                H[-1, ia] += y
                z = a * float((r * d["Ets"]).sum())
                H[it, -1] += z
                H[-1, it] += z
                H[-1, -1] += a * float((r * d["Ess"]).sum())
        return H


def _minimize(prob: _Poisson, th0, lower, upper, scale):
    """Damped Fisher scoring, then Newton steps on the observed information.

    Returns ``(theta, nll, converged, message)``.
    """
    th = np.clip(np.asarray(th0, float), lower, upper)
    f = prob.nll(th)
    if not np.isfinite(f):
        return th, f, False, "the starting values give a zero model where photons were counted"
    lam = 1e-3
    converged = False
    it = 0
    for it in range(1, defaults.LIFETIME_MAX_ITERATIONS + 1):
        use_newton = lam <= 1e-6  # close to the optimum: observed information, quadratic steps
        if use_newton:
            g = prob.grad(th)
            H = prob.hessian(th)
        else:
            g, H = prob.scoring(th)
        active = ((th <= lower) & (g > 0)) | ((th >= upper) & (g < 0))
        free = ~active
        if not free.any():
            converged = True
            break
        Hf = H[np.ix_(free, free)]
        gf = g[free]
        dg = np.abs(np.diag(Hf))
        dg[dg == 0] = 1.0
        try:
            step_f = np.linalg.solve(Hf + lam * np.diag(dg), -gf)
            dec = float(-gf @ np.linalg.solve(Hf, -gf)) if use_newton else np.inf
        except np.linalg.LinAlgError:
            lam = max(lam * 10, 1e-4)
            continue
        if use_newton and 0 <= dec < defaults.LIFETIME_NEWTON_DECREMENT:  # within 1e-10 NLL of the quadratic minimum
            converged = True
            break
        step = np.zeros_like(th)
        step[free] = step_f
        cand = np.clip(th + step, lower, upper)
        fc = prob.nll(cand)
        if np.isfinite(fc) and fc <= f:
            small = np.all(np.abs(cand - th) <= 1e-12 * scale)
            th, f = cand, fc
            lam = lam / 10 if lam > 1e-9 else 0.0
            if small:
                converged = True
                break
        else:
            lam = max(lam * 10, 1e-4)
            if lam > 1e12:
                break
    msg = f"{'converged' if converged else 'did not converge'} after {it} iterations"
    return th, f, converged, msg
