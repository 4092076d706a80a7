"""Grouping of change-point levels into states (tttr.analysis.level_groups).

The levels here are made directly (photon counts Poisson in each level's duration, lifetimes
Gaussian around the state's with the ML error τ/√n), so the tests need no photons.
"""

from types import SimpleNamespace

import numpy as np
import pytest

from tttr import defaults
from tttr.analysis.level_groups import group_bic, group_levels, merge_cost
from tttr.errors import AnalysisError


def make_levels(rates, taus, m, *, dwell_s=0.1, rng=0, alternate=False):
    """m levels of the given states (random or strictly alternating sequence); returns (levels, state)."""
    gen = np.random.default_rng(rng)
    k = len(rates)
    if alternate:
        state = np.arange(m) % k
    else:  # a Markov chain that always changes state, as change points separate distinct levels
        state = np.zeros(m, np.int64)
        for j in range(1, m):
            state[j] = (state[j - 1] + 1 + gen.integers(k - 1)) % k if k > 1 else 0
    T = gen.exponential(dwell_s, m) + 0.005
    n = gen.poisson(np.asarray(rates, float)[state] * T)
    start = np.concatenate([[0.0], np.cumsum(T)[:-1]])
    tau = np.asarray(taus, float)[state]
    err = tau / np.sqrt(np.maximum(n, 1))
    return SimpleNamespace(start_s=start, end_s=start + T, n_photons=n, tau_ns=tau + gen.normal(0, 1, m) * err,
                           tau_err_ns=err), state


@pytest.mark.parametrize("rates,taus", [((40e3, 10e3), (20.0, 6.0)), ((60e3, 25e3, 5e3), (20.0, 10.0, 4.0))])
@pytest.mark.parametrize("alternate", [False, True])
def test_grouping_recovers_states(rates, taus, alternate):
    lv, state = make_levels(rates, taus, 300, rng=1, alternate=alternate)
    g = group_levels(lv, dispersion="poisson")
    assert g.n_groups == len(rates)
    # groups ordered by increasing intensity; truth sorted the same way
    truth_rank = np.argsort(np.argsort(rates))
    # levels ≥ 25 photons at contrast ≥ 2.4 are 4.6 σ from the other state: no level misassigned
    assert np.array_equal(g.group, truth_rank[state])
    for gi, true_i in zip(range(g.n_groups), sorted(rates)):
        # 4 σ: a false failure has probability 6e-5 per group
        assert abs(g.intensity_cps[gi] - true_i) < 4 * g.intensity_err_cps[gi]
    for gi, true_t in zip(range(g.n_groups), np.asarray(taus)[np.argsort(rates)]):
        assert abs(g.tau_ns[gi] - true_t) < 4 * g.tau_err_ns[gi]
    assert g.time_s.sum() == pytest.approx(float(np.sum(lv.end_s - lv.start_s)))
    assert g.n_levels.sum() == 300
    assert int(np.nanargmax(g.bic)) + 1 == g.n_groups


@pytest.mark.parametrize("dispersion", ["gamma", "poisson"])
@pytest.mark.parametrize("seed", range(5))
def test_constant_emitter_is_one_group(seed, dispersion):
    # a constant emitter cut into 50 levels at arbitrary times (false change points): the level
    # counts are Poisson around one intensity. The BIC's G = 2 gain must beat a penalty of
    # 2·ln 50 = 7.8 (Gamma–Poisson: 4·ln 50 against 2·ln 50); measured over seeds 100–299 the
    # Poisson BIC chose 2 groups in 3 of 200 (1.5 %), the Gamma–Poisson one in 0 of 200, so
    # five fixed seeds fail together with probability ~1e-9 if the BIC is right, and a BIC
    # without its penalty fails them.
    lv, _ = make_levels((30e3,), (15.0,), 50, rng=100 + seed)
    g = group_levels(lv, dispersion=dispersion)
    assert g.n_groups == 1
    assert g.bic[0] > np.nanmax(g.bic[1:])


def test_classification_likelihood_over_splits_alternating_levels():
    # documented weakness of the classification BIC: with every level a state change its
    # change-point term cannot stop splitting; the mixture BIC (default) gets the 2 states
    lv, _ = make_levels((50e3, 25e3), (20.0, 5.0), 300, rng=2, alternate=True)
    assert group_levels(lv, dispersion="poisson").n_groups == 2
    assert group_levels(lv, likelihood="classification", dispersion="poisson").n_groups > 2
    with pytest.raises(AnalysisError):
        group_levels(lv, likelihood="classification", dispersion="gamma")


def test_merge_cost():
    assert merge_cost(100.0, 1.0, 200.0, 2.0) == pytest.approx(0.0, abs=1e-9)
    assert merge_cost(100.0, 1.0, 300.0, 1.0) > 0
    # = the drop in the maximised Poisson log-likelihood, computed directly
    na, ta, nb, tb = 120.0, 0.7, 40.0, 1.3
    ll = lambda n, t, r: n * np.log(r * t) - r * t  # noqa: E731
    sep = ll(na, ta, na / ta) + ll(nb, tb, nb / tb)
    joint = ll(na, ta, (na + nb) / (ta + tb)) + ll(nb, tb, (na + nb) / (ta + tb))
    assert merge_cost(na, ta, nb, tb) == pytest.approx(sep - joint, rel=1e-12)


def test_bic_formula():
    assert group_bic(-100.0, 2, 50, 10, 1e4) == pytest.approx(-200.0 - 3 * np.log(50) - 10 * np.log(1e4))


def test_neighbour_clustering_matches_exact(monkeypatch):
    lv, state = make_levels((60e3, 25e3, 5e3), (20.0, 10.0, 4.0), 200, rng=3)
    exact = group_levels(lv, dispersion="poisson")
    monkeypatch.setattr(defaults, "LEVEL_GROUPS_EXACT_MAX", 10)
    approx = group_levels(lv, dispersion="poisson")
    assert exact.exact and not approx.exact
    assert approx.n_groups == exact.n_groups == 3
    assert np.array_equal(approx.group, exact.group)


def test_impose_groups_and_errors():
    lv, _ = make_levels((40e3, 10e3), (20.0, 6.0), 40, rng=4)
    assert group_levels(lv, n_groups=1).n_groups == 1
    with pytest.raises(AnalysisError):
        group_levels(lv, n_groups=50)
    with pytest.raises(AnalysisError):
        group_levels(SimpleNamespace(start_s=[0.0], end_s=[0.0], n_photons=[3]))
    with pytest.raises(AnalysisError):
        group_levels(lv, likelihood="nope")
    row = group_levels(lv).as_list()[0]
    assert set(row) >= {"intensity_cps", "tau_ns", "time_s", "n_levels"}


def test_summary_is_json():
    import json

    lv, _ = make_levels((40e3, 10e3), (20.0, 6.0), 60, rng=10)
    g = group_levels(lv)
    s = json.loads(json.dumps(g.summary(), allow_nan=False))
    assert s["n_level_groups"] == g.n_groups == len(s["level_groups"])
    assert sum(x["n_levels"] for x in s["level_groups"]) == 60


@pytest.mark.parametrize("rates,taus", [((40e3, 10e3), (20.0, 6.0)), ((60e3, 25e3, 5e3), (20.0, 10.0, 4.0))])
def test_gamma_poisson_grouping_recovers_states(rates, taus):
    lv, state = make_levels(rates, taus, 300, rng=11)
    g = group_levels(lv)
    assert g.dispersion == "gamma"
    assert g.n_groups == len(rates)
    assert np.array_equal(g.group, np.argsort(np.argsort(rates))[state])
    # Poisson levels: the profiled extra variance is small, below (1 %)² in relative terms
    assert g.phi[g.n_groups - 1] < 1e-4


def test_gamma_poisson_keeps_overdispersed_states_whole():
    # levels whose rate scatters by 3 % (rms) about their state's, as levels with missed short
    # excursions do; at ~5000 photons per level Poisson noise is 1.4 %, so the Poisson BIC splits
    # each state, while the Gamma–Poisson model absorbs the scatter into φ ≈ 0.03² = 9e-4
    gen = np.random.default_rng(12)
    m = 400
    state = np.arange(m) % 2
    T = gen.exponential(0.1, m) + 0.02
    rate = np.where(state == 0, 50e3, 20e3) * gen.gamma(1 / 0.03 ** 2, 0.03 ** 2, m)
    n = gen.poisson(rate * T)
    start = np.concatenate([[0.0], np.cumsum(T)[:-1]])
    lv = SimpleNamespace(start_s=start, end_s=start + T, n_photons=n)
    assert group_levels(lv, dispersion="poisson").n_groups > 2
    g = group_levels(lv)
    assert g.n_groups == 2
    # φ estimated from 400 levels: its relative error is ~ √(2/400) ≈ 7 %, so a factor 1.5 is > 5 σ
    assert 9e-4 / 1.5 < g.phi[1] < 9e-4 * 1.5


@pytest.mark.parametrize("seed", range(3))
def test_gamma_poisson_constant_emitter_is_one_group(seed):
    lv, _ = make_levels((30e3,), (15.0,), 50, rng=100 + seed)
    assert group_levels(lv, dispersion="gamma").n_groups == 1
