"""The simulator's kernels (``tttr.kernels.simulate``) against their numpy twins, fed in blocks."""

from __future__ import annotations

import math

import numpy as np

from tttr.kernels import simulate as K

import naive


def _random_segments(rng, n_seg, max_len):
    lengths = rng.integers(0, max_len, n_seg)  # zero-length segments included on purpose
    ends = np.cumsum(lengths).astype(np.int64)
    p = rng.choice([0.0, 1.0, 0.3, 0.02, 1e-3], n_seg, p=[0.1, 0.05, 0.25, 0.4, 0.2])
    return ends, p


def test_event_pulses_equals_twin_in_blocks_with_refills():
    rng = np.random.default_rng(1)
    ends, p = _random_segments(rng, 300, 400)
    total = int(ends[-1])
    u = rng.random(200_000)
    ref_p, ref_k, ref_used, _ = naive.event_pulses(ends, p, u, total)
    # kernel: irregular blocks, a tiny output buffer and uniforms handed over in small slices
    state = np.array([0, 0, -1], np.int64)
    got_p, got_k, pos = [], [], 0
    out_p, out_k = np.empty(7, np.int64), np.empty(7, np.int64)
    for stop in list(np.sort(rng.integers(0, total, 25))) + [total]:
        while True:
            avail = u[pos:pos + 13]
            n, used = K.event_pulses(ends, p, avail, int(stop), state, out_p, out_k)
            pos += used
            got_p.append(out_p[:n].copy())
            got_k.append(out_k[:n].copy())
            if n == out_p.shape[0] or used == avail.shape[0]:
                continue
            break
    assert np.array_equal(np.concatenate(got_p), ref_p)
    assert np.array_equal(np.concatenate(got_k), ref_k)
    assert pos == ref_used


def test_event_pulses_is_bernoulli_per_pulse():
    rng = np.random.default_rng(2)
    ends = np.array([200_000, 500_000, 520_000, 1_000_000], np.int64)
    p = np.array([0.01, 0.002, 0.0, 0.05])
    u = rng.random(100_000)
    ev, seg, _, _ = naive.event_pulses(ends, p, u, 0)  # nothing before stop 0
    assert ev.size == 0
    out_p, out_k = np.empty(100_000, np.int64), np.empty(100_000, np.int64)
    n, _ = K.event_pulses(ends, p, u, 1_000_000, np.array([0, 0, -1], np.int64), out_p, out_k)
    ev, seg = out_p[:n], out_k[:n]
    assert np.all(np.diff(ev) > 0)  # at most one event per pulse
    starts = np.concatenate(([0], ends[:-1]))
    for k in range(4):
        n_pulses = ends[k] - starts[k]
        count = np.sum(seg == k)
        assert np.all((ev[seg == k] >= starts[k]) & (ev[seg == k] < ends[k]))
        # Binomial(n_pulses, p): 4 sigma = 4 sqrt(n p (1 - p))
        assert abs(count - n_pulses * p[k]) <= 4 * math.sqrt(n_pulses * p[k] * (1 - p[k])) + 1e-9


def test_cw_detection_times_equals_twin_in_blocks():
    rng = np.random.default_rng(3)
    n_seg = 200
    ends = np.cumsum(rng.exponential(1e-3, n_seg))
    r1 = rng.uniform(1e7, 5e7, n_seg)
    r2 = np.where(rng.random(n_seg) < 0.1, 0.0, rng.uniform(1e4, 1e5, n_seg))
    e = rng.standard_exponential(400_000)
    stop_final = float(ends[-1])
    ref_t, ref_k, ref_used = naive.cw_detection_times(ends, r1, r2, e, stop_final)
    state_k, state_t = np.zeros(1, np.int64), np.array([0.0, -1.0])
    out_t, out_k = np.empty(5), np.empty(5, np.int64)
    got_t, got_k, pos = [], [], 0
    for stop in list(np.sort(rng.uniform(0, stop_final, 20))) + [stop_final]:
        while True:
            avail = e[pos:pos + 11]
            n, used = K.cw_detection_times(ends, r1, r2, avail, float(stop), state_k, state_t, out_t, out_k)
            pos += used
            got_t.append(out_t[:n].copy())
            got_k.append(out_k[:n].copy())
            if n == out_t.shape[0] or used + 2 > avail.shape[0]:
                continue
            break
    assert np.array_equal(np.concatenate(got_t), ref_t)
    assert np.array_equal(np.concatenate(got_k), ref_k)
    assert pos == ref_used


def test_dead_time_keep_equals_twin_across_blocks():
    rng = np.random.default_rng(4)
    n = 50_000
    sync = np.sort(rng.integers(0, 200_000, n))
    nt = rng.integers(0, 12_500, n)
    order = np.lexsort((nt, sync))
    sync, nt = sync[order].astype(np.int64), nt[order].astype(np.int64)
    det = rng.integers(0, 2, n).astype(np.uint8)
    period, bin_s = 200e-9, 16e-12
    dead = np.array([250.0037e-9, 80.0011e-9])  # not a multiple of the bin: no exact ties
    t_s = sync * period + nt * bin_s
    ref = naive.dead_time_keep(t_s, det, dead)
    lc, lf, has = np.zeros(2, np.int64), np.zeros(2, np.int64), np.zeros(2, np.uint8)
    got = np.empty(n, bool)
    for a, b in [(0, 17), (17, 20_000), (20_000, 20_001), (20_001, n)]:
        keep = np.empty(b - a, np.bool_)
        K.dead_time_keep(sync[a:b], nt[a:b], det[a:b], period, bin_s, dead, lc, lf, has, keep)
        got[a:b] = keep
    assert np.array_equal(got, ref)
    assert 0 < (~got).sum() < n


def test_accumulate_bins_equals_twin():
    rng = np.random.default_rng(5)
    bounds = np.concatenate(([0.0], np.cumsum(rng.exponential(0.013, 400))))
    start, end = bounds[:-1], bounds[1:]
    state = rng.integers(0, 3, start.size).astype(np.int64)
    edges = np.arange(0, 3.0, 0.01)
    w = rng.random((3, 4))
    out = np.zeros((edges.size - 1, 4))
    tot = np.zeros(3)
    for lo, hi in [(0.0, 0.777), (0.777, 1.5), (1.5, 10.0)]:
        K.accumulate_bins(start, end, state, lo, hi, edges, w, out, tot)
    ref, ref_tot = naive.segment_bins(start, end, state, 0.0, 10.0, edges, w)
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(tot, ref_tot, rtol=1e-12)
