"""The automatic t_min (minimum KS distance, Clauset et al. 2009 §3.3) and the semi-parametric bootstrap p-value of the pure law (§4.1)."""

from __future__ import annotations


import numpy as np
from scipy import special

from .data import AUTO_MIN_TAIL, MIN_N, _Tail, _x_min
from .likelihood import _fit_at, _mle_discrete_many
from .sampling import _sample_tail


def _candidates(tail: _Tail, floor: float, max_candidates: int) -> np.ndarray:
    """Indices (into ``tail.u``) of the ``t_min`` candidates of the automatic search.

    Every distinct duration ``≥ floor`` with at least ``AUTO_MIN_TAIL`` durations at or above
    it; when there are more than ``max_candidates``, the first distinct duration at or above
    each point of a geometric grid of ``max_candidates`` points spanning them (a constant
    relative resolution in ``t_min``; all values where the grid step is below one bin)."""
    ok = np.flatnonzero((tail.u >= floor * (1.0 - 1e-12)) & (tail.n_ge >= AUTO_MIN_TAIL))
    if ok.size <= max_candidates:
        return ok
    uo = tail.u[ok]
    grid = np.geomspace(uo[0], uo[-1], int(max_candidates))
    pos = np.unique(np.searchsorted(uo, grid * (1.0 - 1e-12), side="left"))
    return ok[pos[pos < ok.size]]


def _scan_discrete(tail: _Tail, cand: np.ndarray):
    """α and KS distance of the discrete power law at every candidate k_min, vectorised.

    A (candidates × distinct values) matrix of Hurwitz zeta values gives every model CDF at
    once; entries below each row's k_min are masked out."""
    n = tail.n_ge[cand].astype(np.float64)
    kmin = tail.u[cand]
    a = _mle_discrete_many(n, tail.log_ge[cand], kmin)
    j0 = int(cand.min())
    u = tail.u[j0:]
    cnt = tail.counts[j0:].astype(np.float64)
    cumc = np.cumsum(cnt)
    before_c = cumc[cand - j0] - cnt[cand - j0]          # durations below each k_min (from j0 on)
    A = a[:, None]
    z0 = special.zeta(a, kmin)[:, None]
    ge = special.zeta(A, u[None, :]) / z0                # P(K ≥ u)
    at = 1.0 - ge + u[None, :] ** (-A) / z0              # P(K ≤ u)
    ecdf = (cumc[None, :] - before_c[:, None]) / n[:, None]
    ecdf_before = ecdf - cnt[None, :] / n[:, None]
    dist = np.maximum(np.abs(ecdf - at), np.abs(ecdf_before - (1.0 - ge)))
    dist = np.where(u[None, :] >= kmin[:, None], dist, 0.0)
    return a, dist.max(axis=1)


def _scan(x: np.ndarray, tail: _Tail, cand: np.ndarray, method: str, T: float):
    """α and KS distance at every candidate t_min (bin units)."""
    if method == "discrete":
        return _scan_discrete(tail, cand)
    res = [_fit_at(x, int(j), tail, method, T, float(tail.u[j])) for j in cand]
    return np.array([r[0] for r in res]), np.array([r[2] for r in res])


def _semi_parametric(x: np.ndarray, x_min: float, draw_tail, auto: bool, gen) -> np.ndarray:
    """One synthetic data set (Clauset et al. 2009, §4.1): with probability n_tail/n a draw from
    the fitted law, otherwise a duration resampled from those below ``x_min``; with a fixed
    ``t_min``, n_tail draws from the fitted law only."""
    below = x[x < x_min]
    n_tail = x.size - below.size
    if not auto or below.size == 0:
        return np.sort(draw_tail(n_tail if not auto else x.size))
    m = int(gen.binomial(x.size, n_tail / x.size))
    return np.sort(np.concatenate((draw_tail(m), below[gen.integers(0, below.size, x.size - m)])))


def _p_value(ks_synthetic: np.ndarray, ks_observed: float) -> tuple[float, int]:
    ok = np.isfinite(ks_synthetic)
    if not ok.any():
        return float("nan"), 0
    return float(np.mean(ks_synthetic[ok] >= ks_observed)), int(ok.sum())


def _gof_pure(x, x_min, alpha, ks_obs, method, T, draws, gen, floor, max_candidates):
    """Semi-parametric bootstrap p-value of the pure law; ``floor`` None: t_min held fixed."""
    auto = floor is not None
    out = np.full(int(draws), np.nan)
    for b in range(out.size):
        syn = _semi_parametric(x, x_min, lambda m: _sample_tail(m, alpha, x_min, method, T, gen), auto, gen)
        tl = _Tail(syn)
        if auto:
            cand = _candidates(tl, floor, max_candidates)
            if cand.size:
                ks = _scan(syn, tl, cand, method, T)[1]
                out[b] = np.nanmin(ks) if np.any(np.isfinite(ks)) else np.nan
        elif syn.size >= MIN_N:
            out[b] = _fit_at(syn, 0, tl, method, T, x_min)[2]
    return _p_value(out, ks_obs)


def _too_few_for_auto(x: np.ndarray, floor: float, unit: float) -> str:
    return (f"t_min='auto' needs at least {AUTO_MIN_TAIL} durations at or above {floor * unit:g} s; "
            f"got {int(np.sum(x >= floor))}")


def _floor(t_min_floor_s, T: float, x: np.ndarray) -> float:
    """Smallest candidate of the automatic t_min search, in bin units (seconds if unbinned)."""
    if t_min_floor_s is None:
        return _x_min(None, T, x)[0] if x.size else 1.0
    return _x_min(t_min_floor_s, T, x)[0]
