"""Change-point kernels (Watkins & Yang likelihood-ratio test) against their numpy twins,
the critical values against their definition, and detection on streams of known rates."""

from __future__ import annotations

import numpy as np
import pytest

import naive
from tttr.analysis.changepoints import ChangePointFinder, change_points
from tttr.kernels.changepoint import (CRITICAL_N, change_points_of, critical_column, critical_value, level_decays,
                                      llr_profile, llr_scan, simulated_max_llr)


def poisson_steps(rates_cps, durations_s, seed, tick_s=1e-9):
    """Timestamps (ticks) of a Poisson process with piecewise-constant rate, and the switch times (s)."""
    rng = np.random.default_rng(seed)
    parts, t0, edges = [], 0.0, []
    for r, d in zip(rates_cps, durations_s):
        n = rng.poisson(r * d)
        parts.append(np.sort(rng.uniform(t0, t0 + d, n)))
        t0 += d
        edges.append(t0)
    ts = np.round(np.concatenate(parts) / tick_s).astype(np.int64)
    return ts, np.array(edges[:-1])


@pytest.mark.parametrize("head", [(0, 0), (37, 5_000)])
def test_scan_matches_numpy_twin(head):
    ts, _ = poisson_steps([3e4, 1e4, 3e4], [0.02, 0.03, 0.02], seed=1)
    ts[10] = ts[9]  # photons on one tick: no zero-length candidate
    lo, hi = 3, ts.size - 2
    prof = llr_profile(ts, lo, hi, *head)
    twin = naive.llr_profile(ts, lo, hi, *head)
    np.testing.assert_array_equal(np.isnan(prof), np.isnan(twin))
    # float64 sums of terms ~N ln N ~ 1e4: relative rounding 1e-12
    np.testing.assert_allclose(prof[~np.isnan(prof)], twin[~np.isnan(twin)], rtol=1e-9, atol=1e-7)
    j, z, n = llr_scan(ts, lo, hi, *head)
    assert n == head[0] + hi - lo
    assert j == lo + int(np.nanargmax(twin))
    assert z == pytest.approx(np.nanmax(twin), rel=1e-9)


@pytest.mark.parametrize("stride", [2, 16, 64])
@pytest.mark.parametrize("seed", range(4))
def test_branch_and_bound_scan_is_exact(stride, seed):
    # the bound is a theorem (convexity), so the blocked scan must give the full scan's
    # maximum exactly, on changes and on constant rates alike
    rates = [[2e4, 5e3, 2e4], [1e4], [5e4, 4e4], [1e3, 1e5]][seed]
    ts, _ = poisson_steps(rates, [0.1] * len(rates), seed=seed)
    for head in ((0, 0), (500, 3_000_000)):
        full = llr_scan(ts, 0, ts.size - 1, *head, 1)
        blocked = llr_scan(ts, 0, ts.size - 1, *head, stride)
        assert blocked[0] == full[0] and blocked[2] == full[2]
        assert blocked[1] == pytest.approx(full[1], rel=1e-12)


@pytest.mark.parametrize("scale", [0, 300])
def test_segmentation_matches_numpy_twin(scale):
    ts, _ = poisson_steps([2e4, 5e3, 2e4, 8e3, 3e4, 1e5, 3e4], [0.05, 0.02, 0.08, 0.04, 0.05, 0.002, 0.05], seed=3)
    col = critical_column(0.95)
    kernel = change_points_of(ts, 0, ts.size - 1, 0, 0, CRITICAL_N, col, 8, 16, 10, scale)
    twin = naive.change_points(ts, lambda n: critical_value(n, 0.95), min_intervals=8, scale=scale)
    np.testing.assert_array_equal(kernel, twin)
    assert kernel.size >= 4  # the four first switches (contrast ≥ 2.5, ≥ 160 photons each side) are found


def test_critical_values_are_the_quantiles_of_their_definition():
    # an independent draw (other seed) at N = 100: the 0.95 quantile of max 2 ln L of
    # constant-rate segments. 4000 draws: the empirical exceedance of the tabulated value
    # has binomial sd sqrt(.05*.95/4000) = 0.0034 plus the table's own error (~0.002);
    # 4 sd = 0.016
    z = simulated_max_llr(100, 4000, 77)
    assert abs(np.mean(z > critical_value(100, 0.95)) - 0.05) < 0.016
    assert abs(np.mean(z > critical_value(100, 0.69)) - 0.31) < 0.04  # sd 0.0073 + table, ~4 sd


def test_critical_values_grow_with_n_and_confidence():
    for c in (0.69, 0.9, 0.95, 0.99):
        v = [critical_value(n, c) for n in (2, 10, 100, 1e4, 65536, 1e6, 1e8)]
        assert np.all(np.diff(v) >= 0)
    assert critical_value(1000, 0.9) < critical_value(1000, 0.93) < critical_value(1000, 0.95)
    with pytest.raises(ValueError, match="confidence"):
        critical_value(100, 0.999)


def test_false_positive_rate_on_constant_rate():
    # 300 constant-rate segments of 2000 photons at confidence 0.9: each whole-segment test
    # rejects with probability 0.1, so 30 ± 5.2 segments (binomial) show a change point;
    # 4 sd either side
    rng = np.random.default_rng(5)
    hits = 0
    for _ in range(300):
        ts = np.cumsum(rng.exponential(1000.0, 2001)).astype(np.int64)
        hits += change_points(ts, confidence=0.9).size > 0
    assert 30 - 21 <= hits <= 30 + 21


def test_switches_found_and_placed():
    # contrast 4 (20 vs 5 kcps), dwells ≥ 40 ms (≥ 200 photons of the dim level): every switch
    # is detected at 0.99, and placed within 5 ms: the localisation error is a few mean
    # intervals of the dim level (0.2 ms each); beyond 25 of them the likelihood ratio has
    # fallen by ~25 × KL ≈ 20 (e^-20)
    rates = [2e4, 5e3] * 8
    ts, edges = poisson_steps(rates, np.random.default_rng(2).uniform(0.04, 0.2, 16), seed=4)
    cps = change_points(ts, confidence=0.99)
    found = ts[cps] * 1e-9
    nearest = np.abs(found[:, None] - edges[None, :]).min(axis=0)
    assert np.all(nearest < 5e-3)


def _match(a, b, tol):
    """Pairs of a and b within tol of each other (greedy on sorted arrays); unmatched of each."""
    i = j = 0
    ua, ub = [], []
    while i < a.size and j < b.size:
        if abs(a[i] - b[j]) <= tol:
            i += 1
            j += 1
        elif a[i] < b[j]:
            ua.append(a[i])
            i += 1
        else:
            ub.append(b[j])
            j += 1
    return ua + list(a[i:]), ub + list(b[j:])


def test_chunks_do_not_change_the_result():
    ts, _ = poisson_steps([2e4, 5e3, 3e4, 8e3] * 6, np.full(24, 0.05), seed=6)
    ref = None
    for chunk in (7, 1000, 4096, ts.size):
        f = ChangePointFinder(window_photons=4000)
        for a in range(0, ts.size, chunk):
            f.push(ts[a:a + chunk])
        f.finish()
        got = np.asarray(f.boundaries)
        if ref is None:
            ref = got
        np.testing.assert_array_equal(got, ref)  # windows are counted in photons: identical


def test_windows_change_the_result_only_within_localisation():
    # contrast ≥ 2.7, ≥ 50 ms per level (≥ 250 photons of the dimmer side): the change
    # points of a whole-array segmentation and of windows from 1000 photons up agree within
    # 5 ms (the localisation error, see test_switches_found_and_placed)
    rates = [2e4, 5e3, 3e4, 8e3] * 5
    ts, edges = poisson_steps(rates, np.random.default_rng(7).uniform(0.05, 0.15, 20), seed=7)
    whole = ts[change_points(ts, confidence=0.99)] * 1e-9
    assert _match(whole, edges, 5e-3) == ([], [])
    for window in (1000, 3000, 20000):
        got = ts[change_points(ts, confidence=0.99, window_photons=window)] * 1e-9
        assert _match(got, whole, 5e-3) == ([], []), window


def test_long_level_is_carried_as_a_head():
    # a 200 000-photon constant level then a jump: with 2000-photon windows the level is
    # carried as a head (bounded memory) and the jump is still found where it is
    ts, edges = poisson_steps([1e5, 2.5e4], [2.0, 0.1], seed=8)
    f = ChangePointFinder(window_photons=2000, confidence=0.99)
    for a in range(0, ts.size, 5000):
        f.push(ts[a:a + 5000])
        assert f._n_pending < 2000 + 5000
    f.finish()
    found = np.asarray(f.boundary_ticks) * 1e-9
    assert any(abs(found - edges[0]) < 1e-3)  # 1 ms = 25 intervals of the dim level


def test_level_decays_match_numpy_twin():
    rng = np.random.default_rng(9)
    n = 5000
    det = rng.integers(0, 2, n).astype(np.uint8)
    nt = rng.integers(0, 1000, n).astype(np.uint16)
    shift = np.zeros(256, np.int64)
    shift[1] = -7
    bounds = np.array([-1, 100, 2500, 4000, np.iinfo(np.int64).max])
    for period in (0, 990):
        h = np.zeros((4, 64), np.int64)
        over = level_decays(0, det, nt, shift, period, 16, bounds, h)
        twin = naive.level_decays(0, det, nt, shift, period, 16, bounds, 4, 64)
        np.testing.assert_array_equal(h, twin)
        assert over == n - twin.sum()


@pytest.mark.parametrize("seed", range(3))
def test_short_excursion_in_a_long_stretch_is_found(seed):
    # a 30 ms burst at 3x the rate (900 photons against 300 expected) inside 20 s of 10 kcps:
    # a single-change test over the 200 000 photons misses it (2 ln L of a few units), the
    # short-scale search finds both edges; placed within 2 ms (20 intervals of the base rate,
    # 60 of the burst)
    ts, edges = poisson_steps([1e4, 3e4, 1e4], [10.0, 0.03, 10.0], seed=10 + seed)
    with_scale = ts[change_points(ts, confidence=0.99)] * 1e-9
    assert _match(with_scale, edges, 2e-3) == ([], [])
    without = ts[change_points(ts, confidence=0.99, scale=0)] * 1e-9
    assert _match(without, edges, 2e-3)[1] != []  # what the short-scale search is for
