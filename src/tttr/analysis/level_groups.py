"""Grouping of intensity levels into emission states (Watkins & Yang, J. Phys. Chem. B 109, 617, 2005).

Change-point detection cuts a photon stream into *levels*: stretches of constant intensity
whose boundaries are known to the photon. An emitter visits a few states many times, so the
levels fall into a few *groups* of one intensity each. This module finds them from the count
data of the levels alone (photons ``n_j`` in a level of duration ``T_j``):

1. **Agglomerative hierarchical clustering.** Every level starts as its own group. The two
   groups whose merge costs the least Poisson log-likelihood are merged, until one is left.
2. **Refinement** (optional, default on): for each number of groups ``G`` the clustering is
   refined by expectation–maximisation of a mixture of ``G`` Poisson intensities (as in
   Watkins & Yang), then each level is assigned to its most probable group.
3. **BIC.** For each ``G`` the Bayesian information criterion of the grouped Poisson model
   (:func:`group_bic`) is computed; the ``G`` with the largest BIC is chosen.

The result is a :class:`LevelGroups`: the group of every level and, per group, the
intensity, lifetime, total time and number of levels. Everything works on levels (a few to
some ten thousand numbers), never on photons, so there is no numba kernel here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln, xlogy

from .. import defaults
from ..errors import AnalysisError
from ..results import Result

__all__ = ["LevelGroups", "group_levels", "group_bic", "merge_cost", "level_arrays", "LIKELIHOODS", "DISPERSIONS"]

LIKELIHOODS = ("mixture", "classification")
DISPERSIONS = ("poisson", "gamma")


# ----------------------------------------------------------------------------- result
@dataclass(frozen=True, repr=False)
class LevelGroups(Result):
    """Levels grouped into emission states (see :func:`group_levels`).

    Groups are numbered by increasing intensity: group 0 is the dimmest, group
    ``n_groups − 1`` the brightest.

    Attributes
    ----------
    n_groups : int
        Number of groups chosen by the BIC.
    group : (n_levels,) int
        Group of every level, in the order of the levels given.
    intensity_cps, intensity_err_cps : (n_groups,) float
        ``N_g / T_g`` (photons over time of the group's levels, background included) and its
        Poisson error ``√N_g / T_g``.
    tau_ns, tau_err_ns : (n_groups,) float
        Photon-weighted lifetime of the group's levels ``Σ n_j τ_j / Σ n_j`` (levels with a
        finite lifetime only) and its propagated error ``√(Σ n_j² σ_j²) / Σ n_j``; NaN when the
        levels carry no lifetime.
    time_s : (n_groups,) float
        Total time in the group.
    n_levels : (n_groups,) int
        Levels in the group.
    n_photons : (n_groups,) int
        Photons in the group.
    bic : (max_groups,) float
        BIC for ``G = 1 … max_groups`` (NaN for ``G`` above the number of levels).
    log_likelihood : (max_groups,) float
        ``ln L`` of the level counts for each ``G`` (see ``likelihood``).
    n_change_points : (max_groups,) int
        Change points counted in each BIC (see ``likelihood``).
    refined : bool
        Whether the EM refinement was applied.
    likelihood : str
        ``"mixture"`` or ``"classification"`` (see :func:`group_levels`).
    dispersion : str
        ``"poisson"`` or ``"gamma"`` (see :func:`group_levels`).
    phi : (max_groups,) float
        Relative extra variance φ of each ``G`` (0 for the Poisson model).
    exact : bool
        Whether every pair of groups was a merge candidate (False: intensity neighbours
        only, used above ``defaults.LEVEL_GROUPS_EXACT_MAX`` levels).
    """

    n_groups: int
    group: np.ndarray
    intensity_cps: np.ndarray
    intensity_err_cps: np.ndarray
    tau_ns: np.ndarray
    tau_err_ns: np.ndarray
    time_s: np.ndarray
    n_levels: np.ndarray
    n_photons: np.ndarray
    bic: np.ndarray
    log_likelihood: np.ndarray
    n_change_points: np.ndarray
    refined: bool = True
    exact: bool = True
    likelihood: str = "mixture"
    dispersion: str = "gamma"
    phi: np.ndarray | None = None

    def as_list(self) -> list:
        """The groups as a list of dicts (the proposed ``level_groups`` JSON entry)."""
        out = []
        for g in range(self.n_groups):
            out.append({"intensity_cps": float(self.intensity_cps[g]),
                        "intensity_err_cps": float(self.intensity_err_cps[g]),
                        "tau_ns": _num(self.tau_ns[g]), "tau_err_ns": _num(self.tau_err_ns[g]),
                        "time_s": float(self.time_s[g]), "n_levels": int(self.n_levels[g]),
                        "n_photons": int(self.n_photons[g])})
        return out

    def summary(self) -> dict:
        """The proposed ``tttr analyze --json`` entries: ``n_level_groups``, ``level_groups`` and the BIC curve."""
        return {"n_level_groups": int(self.n_groups), "level_groups": self.as_list(),
                "level_groups_bic": [_num(b) for b in self.bic]}


def _num(v):
    v = float(v)
    return v if math.isfinite(v) else None


# ----------------------------------------------------------------------------- inputs
def level_arrays(levels):
    """Durations (s), photons, lifetimes (ns) and their errors of ``levels``, in time order.

    Parameters
    ----------
    levels : object with arrays ``start_s``, ``end_s``, ``n_photons`` and optionally
        ``tau_ns``, ``tau_err_ns`` (a :class:`~tttr.analysis.levels.Levels` or any namespace).

    Returns
    -------
    order, T, n, tau, tau_err : arrays
        ``order`` sorts the given levels by start time; the other arrays are in that order.

    Raises
    ------
    AnalysisError
        No level, unequal lengths, a non-positive duration or a negative photon count.
    """
    start = np.asarray(levels.start_s, float).ravel()
    end = np.asarray(levels.end_s, float).ravel()
    n = np.asarray(levels.n_photons, float).ravel()
    m = start.size
    if m == 0:
        raise AnalysisError("no levels to group")
    tau = np.asarray(getattr(levels, "tau_ns", np.full(m, np.nan)), float).ravel()
    tau_err = np.asarray(getattr(levels, "tau_err_ns", np.full(m, np.nan)), float).ravel()
    if not (end.size == n.size == tau.size == tau_err.size == m):
        raise AnalysisError("levels: start_s, end_s, n_photons, tau_ns and tau_err_ns differ in length")
    T = end - start
    if not np.all(np.isfinite(T) & (T > 0)):
        raise AnalysisError(f"levels: {int(np.sum(~(T > 0)))} level(s) with a duration that is not positive")
    if np.any(n < 0) or not np.all(np.isfinite(n)):
        raise AnalysisError("levels: photon counts must be finite and ≥ 0")
    order = np.argsort(start, kind="stable")
    return order, T[order], n[order], tau[order], tau_err[order]


# ------------------------------------------------------------------------ likelihood
def _f(N, T):
    """``N ln(N/T)``: the part of a Poisson group's maximised log-likelihood that depends on grouping."""
    return xlogy(N, N) - xlogy(N, T)


def merge_cost(N_a, T_a, N_b, T_b):
    """Log-likelihood lost by merging two Poisson groups into one.

    Parameters
    ----------
    N_a, T_a, N_b, T_b : float or arrays
        Photons and time of the two groups.

    Returns
    -------
    float or array
        ``N_a ln(N_a/T_a) + N_b ln(N_b/T_b) − (N_a + N_b) ln((N_a + N_b)/(T_a + T_b))`` ≥ 0.

    Notes
    -----
    A group of levels with a common intensity ``I`` has the log-likelihood
    ``Σ_j [n_j ln(I T_j) − I T_j − ln n_j!]``, maximised at ``I = N/T``; its value is
    ``N ln(N/T) − N`` plus terms that do not depend on the grouping. The ``−N`` cancel in a
    merge, which leaves the expression above (zero when the intensities are equal).
    """
    return _f(N_a, T_a) + _f(N_b, T_b) - _f(N_a + N_b, T_a + T_b)


def _loglik(n, T, lab, G):
    """Poisson log-likelihood of the level counts with each group at its ML intensity."""
    Ng = np.bincount(lab, weights=n, minlength=G)
    Tg = np.bincount(lab, weights=T, minlength=G)
    rate = np.where(Tg > 0, Ng / np.where(Tg > 0, Tg, 1.0), 0.0)
    mu = rate[lab] * T
    return float(np.sum(xlogy(n, mu) - mu - gammaln(n + 1.0)))


def group_bic(log_likelihood: float, n_groups: int, n_levels: int, n_change_points: int, n_photons: float) -> float:
    """BIC of ``n_groups`` Poisson states for the count data of the levels (larger is better).

    ``BIC = 2 ln L − (2G − 1) ln n_levels − n_cp ln N``

    Notes
    -----
    Watkins & Yang (2005): the ``2G − 1`` parameters are the ``G`` intensities and the
    ``G − 1`` free occupation probabilities, counted against the ``n_levels`` data (one photon
    count per level); each of the ``n_cp`` change points is a time located among the ``N``
    photons. Which ``ln L`` and which ``n_cp`` go in is the choice of :func:`group_levels`
    (``likelihood``).
    """
    return float(2.0 * log_likelihood - (2 * n_groups - 1) * math.log(max(n_levels, 1))
                 - n_change_points * math.log(max(n_photons, 1.0)))


# ---------------------------------------------------------------------------- clustering
def _costs_to(N, T, F, active, i):
    """Merge cost of group ``i`` with every group (inf for inactive ones and itself); ``F = _f(N, T)``."""
    c = F[i] + F - _f(N[i] + N, T[i] + T)
    c[~active] = np.inf
    c[i] = np.inf
    return c


def _agglomerate_exact(N0, T0, g_max):
    """All-pairs clustering: labels (representative index) after each merge down to ``g_max`` groups."""
    n = N0.size
    N, T = N0.copy(), T0.copy()
    F = _f(N, T)
    active = np.ones(n, bool)
    best = np.zeros(n, np.int64)
    best_cost = np.full(n, np.inf)
    block = max(1, 4_000_000 // max(n, 1))
    for a in range(0, n, block):  # initial nearest partners, in row blocks (bounded memory)
        rows = np.arange(a, min(n, a + block))
        c = merge_cost(N[rows, None], T[rows, None], N[None, :], T[None, :])
        c[np.arange(rows.size), rows] = np.inf
        best[rows] = np.argmin(c, axis=1)
        best_cost[rows] = c[np.arange(rows.size), best[rows]]
    labels = np.arange(n)
    snaps = {}
    n_active = n
    if n_active <= g_max:
        snaps[n_active] = labels.copy()
    while n_active > 1:
        i = int(np.argmin(np.where(active, best_cost, np.inf)))
        j = int(best[i])
        if j < i:
            i, j = j, i
        N[i] += N[j]
        T[i] += T[j]
        F[i] = _f(N[i], T[i])
        active[j] = False
        best_cost[j] = np.inf
        labels[labels == j] = i
        n_active -= 1
        c = _costs_to(N, T, F, active, i)
        best[i] = int(np.argmin(c))
        best_cost[i] = c[best[i]]
        stale = np.flatnonzero(active & ((best == i) | (best == j)))
        stale = stale[stale != i]
        for k in stale:
            ck = _costs_to(N, T, F, active, int(k))
            best[k] = int(np.argmin(ck))
            best_cost[k] = ck[best[k]]
        better = active & (c < best_cost)
        best[better] = i
        best_cost[better] = c[better]
        if n_active <= g_max:
            snaps[n_active] = labels.copy()
    return snaps


def _agglomerate_neighbours(N0, T0, g_max):
    """Clustering with intensity neighbours as the only merge candidates (large inputs): a heap of
    neighbour pairs over a linked list of groups sorted by intensity."""
    import heapq

    n = N0.size
    order = np.argsort(N0 / T0, kind="stable")
    N, T = N0[order].astype(float), T0[order].astype(float)
    nxt, prv = np.arange(1, n + 1), np.arange(-1, n - 1)
    alive = np.ones(n, bool)
    version = np.zeros(n, np.int64)
    heap = [(float(merge_cost(N[k], T[k], N[k + 1], T[k + 1])), k, 0, 0) for k in range(n - 1)]
    heapq.heapify(heap)
    snaps = {}
    count = n

    def snapshot():
        lab_sorted = np.maximum.accumulate(np.where(alive, np.arange(n), -1))
        lab = np.empty(n, np.int64)
        lab[order] = lab_sorted
        snaps[count] = lab

    if count <= g_max:
        snapshot()
    while count > 1:
        c, k, vk, vr = heapq.heappop(heap)
        r = nxt[k]
        if not alive[k] or r >= n or not alive[r] or version[k] != vk or version[r] != vr:
            continue
        N[k] += N[r]
        T[k] += T[r]
        alive[r] = False
        version[k] += 1
        nxt[k] = nxt[r]
        if nxt[k] < n:
            prv[nxt[k]] = k
            heapq.heappush(heap, (float(merge_cost(N[k], T[k], N[nxt[k]], T[nxt[k]])), k, version[k], version[nxt[k]]))
        if prv[k] >= 0:
            q = prv[k]
            heapq.heappush(heap, (float(merge_cost(N[q], T[q], N[k], T[k])), q, version[q], version[k]))
        count -= 1
        if count <= g_max:
            snapshot()
    return snaps


def _relabel(lab, n, T):
    """Labels 0…G−1 by increasing intensity."""
    uniq, inv = np.unique(lab, return_inverse=True)
    G = uniq.size
    rate = np.bincount(inv, weights=n, minlength=G) / np.bincount(inv, weights=T, minlength=G)
    rank = np.empty(G, np.int64)
    rank[np.argsort(rate, kind="stable")] = np.arange(G)
    return rank[inv]


def _mixture_terms(n, T, p, rate):
    """``ln p_m + ln Pois(n_j; I_m T_j)`` for every level j and group m."""
    mu = T[:, None] * rate[None, :]
    return (np.log(np.maximum(p, 1e-300))[None, :] + xlogy(n[:, None], mu) - mu - gammaln(n + 1.0)[:, None])


def _mixture_loglik(n, T, p, rate):
    """Log-likelihood of the level counts under a mixture of Poisson intensities."""
    lp = _mixture_terms(n, T, p, rate)
    top = lp.max(axis=1, keepdims=True)
    return float(np.sum(top) + np.sum(np.log(np.exp(lp - top).sum(axis=1))))


def _gamma_poisson_terms(n, T, p, rate, phi):
    """``ln p_m + ln NB(n_j; mean I_m T_j, variance μ + φ μ²)`` (Poisson at φ = 0)."""
    if phi <= 0:
        return _mixture_terms(n, T, p, rate)
    r = 1.0 / phi
    mu = T[:, None] * rate[None, :]
    n1 = n[:, None]
    return (np.log(np.maximum(p, 1e-300))[None, :] + gammaln(n1 + r) - gammaln(r) - gammaln(n1 + 1.0)
            + r * np.log(r / (r + mu)) + xlogy(n1, mu) - xlogy(n1, r + mu))


def _gamma_mixture_loglik(n, T, p, rate):
    """Mixture log-likelihood maximised over a common relative extra variance φ; returns (ln L, φ)."""
    from scipy.optimize import minimize_scalar

    def ll(phi):
        lp = _gamma_poisson_terms(n, T, p, rate, phi)
        top = lp.max(axis=1, keepdims=True)
        return float(np.sum(top) + np.sum(np.log(np.exp(lp - top).sum(axis=1))))

    r = minimize_scalar(lambda x: -ll(math.exp(x)), bounds=(math.log(1e-8), math.log(1.0)), method="bounded",
                        options={"xatol": 1e-3})
    best, phi = -float(r.fun), math.exp(float(r.x))
    base = ll(0.0)
    return (base, 0.0) if base >= best else (best, phi)


def _hard_params(n, T, lab, G):
    p = np.bincount(lab, minlength=G) / lab.size
    rate = np.bincount(lab, weights=n, minlength=G) / np.bincount(lab, weights=T, minlength=G)
    return p, rate


def _em_refine(n, T, lab, G, iterations):
    """EM of a mixture of ``G`` Poisson intensities started from ``lab``.

    Returns the most probable group of each level and the mixture's ``p`` and intensities.
    """
    p, rate = _hard_params(n, T, lab, G)
    n1, T1 = n[:, None], T[:, None]
    prev = -np.inf
    for _ in range(iterations):
        # ln n_j! is common to every group of a level and cancels in the responsibilities
        logp = np.log(np.maximum(p, 1e-300))[None, :] + n1 * np.log(np.maximum(rate, 1e-300))[None, :] - T1 * rate
        top = logp.max(axis=1, keepdims=True)
        e = np.exp(logp - top)
        s = e.sum(axis=1, keepdims=True)
        total = float(np.sum(top) + np.sum(np.log(s)))
        r = e / s
        w = r.sum(axis=0)
        if np.any(w <= 0):
            break
        p = w / n.size
        rate = (r * n1).sum(axis=0) / (r * T1).sum(axis=0)
        if total - prev < 1e-9 * abs(total) + 1e-9:
            break
        prev = total
    logp = np.log(np.maximum(p, 1e-300))[None, :] + n1 * np.log(np.maximum(rate, 1e-300))[None, :] - T1 * rate
    new = np.argmax(logp, axis=1)
    if np.unique(new).size < G:  # a group emptied: keep the clustering
        return lab, _hard_params(n, T, lab, G)
    return new, (p, rate)


def _group_lifetimes(lab, G, n, tau, tau_err):
    ok = np.isfinite(tau) & np.isfinite(tau_err) & (n > 0)
    w = np.where(ok, n, 0.0)
    sw = np.bincount(lab, weights=w, minlength=G)
    num = np.bincount(lab, weights=np.where(ok, n * tau, 0.0), minlength=G)
    var = np.bincount(lab, weights=np.where(ok, (n * tau_err) ** 2, 0.0), minlength=G)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sw > 0, num / sw, np.nan), np.where(sw > 0, np.sqrt(var) / sw, np.nan)


def group_levels(levels, *, max_groups: int = defaults.LEVEL_GROUPS_MAX, refine: bool = True,
                 em_iterations: int = defaults.LEVEL_GROUPS_EM_ITERATIONS, n_groups: int | None = None,
                 likelihood: str = "mixture", dispersion: str = defaults.LEVEL_GROUPS_DISPERSION) -> LevelGroups:
    """Group levels into emission states by hierarchical clustering and the BIC.

    Parameters
    ----------
    levels : Levels or namespace
        Arrays ``start_s``, ``end_s``, ``n_photons`` (and ``tau_ns``, ``tau_err_ns`` for the
        group lifetimes), e.g. from :func:`tttr.analysis.levels.levels`.
    max_groups : int
        Largest number of groups considered (default ``defaults.LEVEL_GROUPS_MAX`` = 10).
    refine : bool
        Refine each clustering by EM of a Poisson mixture (default True).
    em_iterations : int
        Largest number of EM iterations per ``G``.
    n_groups : int, optional
        Impose this number of groups instead of choosing it by the BIC (the BIC curve is
        still reported).
    likelihood : {"mixture", "classification"}
        The ``ln L`` of the BIC (Notes). Default ``"mixture"``.
    dispersion : {"gamma", "poisson"}
        Count model of a level in its group: Gamma–Poisson (negative binomial) with one
        relative extra variance φ common to all groups (default
        ``defaults.LEVEL_GROUPS_DISPERSION``), or Poisson (Watkins & Yang's model); Notes.
        ``"gamma"`` needs ``likelihood="mixture"``.

    Returns
    -------
    LevelGroups

    Raises
    ------
    AnalysisError
        No levels or inconsistent level arrays (:func:`level_arrays`), ``max_groups < 1``.

    Notes
    -----
    **Merge cost.** Two groups are merged when that loses the least Poisson log-likelihood
    of the level counts (:func:`merge_cost`); each group's intensity is its maximum-likelihood
    value ``N_g/T_g``, so a long level weighs more than a short one of the same intensity.
    Every pair of groups is a candidate (the pair of least cost need not be neighbours in
    intensity when one group is much larger); above ``defaults.LEVEL_GROUPS_EXACT_MAX``
    (3000) levels only intensity neighbours are (O(n log n) instead of O(n²); ``exact`` is
    False then).

    **Refinement.** Hierarchical clustering cannot undo a merge. Watkins & Yang therefore
    refine each clustering by EM of a mixture of ``G`` Poisson intensities with occupation
    probabilities ``p_m`` (responsibility of group m for level j ∝ ``p_m·Pois(n_j; I_m T_j)``);
    each level then goes to its most probable group. A refinement that empties a group is
    discarded.

    **BIC** (:func:`group_bic`): ``2 ln L − (2G − 1) ln n_levels − n_cp ln N``; the largest
    wins. ``likelihood="mixture"`` (default, the BIC as Watkins & Yang write it): ``ln L`` is
    the log-likelihood of the level counts under the mixture of ``G`` Poisson intensities,
    ``Σ_j ln Σ_m p_m·Pois(n_j; I_m T_j)``, at the EM optimum, and ``n_cp`` counts all the
    change points (``n_levels − 1``, the same for every ``G``). ``"classification"`` (Watkins &
    Yang's program): ``ln L = Σ_j ln Pois(n_j; I_g T_j)`` with every level in its own group,
    and ``n_cp`` counts only the boundaries between consecutive levels of different groups.
    The classification likelihood rises whenever a homogeneous group is split (by about
    ``(2/π)·n`` in ``2 ln L`` for n levels of one state), so it relies on the change-point term
    to stop; when successive levels always differ in state (two states, every change point
    found) that term is the same for every ``G`` and the classification BIC over-splits
    (7–9 groups for 300 levels of two states in the tests). The mixture likelihood gains
    almost nothing from splitting one Poisson intensity, so the parameter penalty stops it.

    **Extra variance** (``dispersion="gamma"``, beyond Watkins & Yang). Levels found by
    change-point detection vary more than Poisson about their state's intensity: a short
    excursion the test missed is averaged into the level around it, and the boundaries are
    placed where the counts differ most. At high counts per level the Poisson BIC then splits
    one state into several groups a few per cent apart (docs/validation_levels.md). The
    Gamma–Poisson model gives level j the variance ``μ_j + φ μ_j²`` (``μ_j = I_g T_j``); φ is
    chosen for each ``G`` to maximise the mixture likelihood at the EM intensities and counts
    as one more parameter (``2G`` in the BIC). φ = 0 is the Poisson model. It is the default
    because on the validation emitters it never found more groups than the Poisson BIC and
    found the true two far more often, while on Poisson levels it behaves as the Poisson BIC
    (tests: 0 of 200 constant emitters split, against 3 of 200 for the Poisson BIC; 40 of 40
    two- and three-state sets recovered).

    **Lifetimes.** A group's lifetime is the photon-weighted mean of its levels' lifetimes,
    which for mono-exponential levels without background is the ML lifetime of the pooled
    photons (the ML lifetime of a level is its mean delay). Its error propagates the levels'
    errors with the same weights.
    """
    if int(max_groups) < 1:
        raise AnalysisError(f"max_groups must be ≥ 1, got {max_groups!r}")
    if likelihood not in LIKELIHOODS:
        raise AnalysisError(f"unknown likelihood {likelihood!r}; one of {LIKELIHOODS}")
    if dispersion not in DISPERSIONS:
        raise AnalysisError(f"unknown dispersion {dispersion!r}; one of {DISPERSIONS}")
    if dispersion == "gamma" and likelihood != "mixture":
        raise AnalysisError("dispersion='gamma' needs likelihood='mixture'")
    order, T, n, tau, tau_err = level_arrays(levels)
    m = n.size
    g_max = int(min(max_groups, m))
    exact = m <= defaults.LEVEL_GROUPS_EXACT_MAX
    snaps = _agglomerate_exact(n, T, g_max) if exact else _agglomerate_neighbours(n, T, g_max)
    N_total = float(n.sum())
    bic = np.full(int(max_groups), np.nan)
    ll = np.full(int(max_groups), np.nan)
    ncp = np.zeros(int(max_groups), np.int64)
    phi = np.zeros(int(max_groups))
    extra = 1 if dispersion == "gamma" else 0  # φ is one more parameter
    labs = {}
    for G in range(1, g_max + 1):
        lab = _relabel(snaps[G], n, T)
        p, rate = _hard_params(n, T, lab, G)
        if refine and G > 1:
            lab, (p, rate) = _em_refine(n, T, lab, G, int(em_iterations))
            lab = _relabel(lab, n, T)
        labs[G] = lab
        between = int(np.count_nonzero(lab[1:] != lab[:-1]))
        if likelihood == "mixture" and dispersion == "gamma":
            ll[G - 1], phi[G - 1] = _gamma_mixture_loglik(n, T, p, rate)
            ncp[G - 1] = m - 1
        elif likelihood == "mixture":
            ll[G - 1] = _mixture_loglik(n, T, p, rate)
            ncp[G - 1] = m - 1
        else:
            ll[G - 1] = _loglik(n, T, lab, G)
            ncp[G - 1] = between
        bic[G - 1] = group_bic(ll[G - 1], G, m, int(ncp[G - 1]), N_total) - extra * math.log(m)
    if n_groups is not None:
        if not 1 <= int(n_groups) <= g_max:
            raise AnalysisError(f"n_groups must be between 1 and {g_max}, got {n_groups!r}")
        G = int(n_groups)
    else:
        G = int(np.nanargmax(bic)) + 1
    lab = labs[G]
    Ng = np.bincount(lab, weights=n, minlength=G)
    Tg = np.bincount(lab, weights=T, minlength=G)
    t_g, t_e = _group_lifetimes(lab, G, n, tau, tau_err)
    group = np.empty(m, np.int64)
    group[order] = lab
    return LevelGroups(G, group, Ng / Tg, np.sqrt(Ng) / Tg, t_g, t_e, Tg,
                       np.bincount(lab, minlength=G).astype(np.int64), Ng.astype(np.int64),
                       bic, ll, ncp, bool(refine), bool(exact), likelihood, dispersion, phi)
