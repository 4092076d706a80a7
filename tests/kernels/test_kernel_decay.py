"""The decay-histogram kernels (``tttr.kernels.decay``) against their numpy twins and definitions."""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq

from tttr.kernels import decay as kd

import naive


def random_photons(rng, n, max_det=6, max_nt=1200):
    return (rng.integers(0, max_det, n).astype(np.uint8), rng.integers(0, max_nt, n).astype(np.uint16))


def test_accumulate_decay_matches_numpy_twins():
    rng = np.random.default_rng(0)
    det, nt = random_photons(rng, 20000)
    hist = np.zeros((4, 1000), np.int64)  # detectors 4, 5 and nanotimes >= 1000 overflow
    n_over = kd.accumulate_decay(det, nt, hist)
    ref, ref_over = naive.accumulate_decay(det, nt, hist.shape)
    np.testing.assert_array_equal(hist, ref)
    assert n_over == ref_over > 0
    # second twin: np.histogram2d on the in-range photons
    ok = (det < 4) & (nt < 1000)
    h2, _, _ = np.histogram2d(det[ok], nt[ok], bins=[np.arange(5), np.arange(1001)])
    np.testing.assert_array_equal(hist, h2.astype(np.int64))
    assert hist.sum() + n_over == det.size  # nothing lost: counted or reported


def test_accumulate_decay_over_chunks_equals_at_once():
    rng = np.random.default_rng(1)
    det, nt = random_photons(rng, 30000, max_det=3, max_nt=900)
    whole = np.zeros((3, 900), np.int64)
    kd.accumulate_decay(det, nt, whole)
    parts = np.zeros((3, 900), np.int64)
    cuts = np.sort(rng.choice(np.arange(1, det.size), 7, replace=False))
    for a, b in zip(np.r_[0, cuts], np.r_[cuts, det.size]):
        kd.accumulate_decay(det[a:b], nt[a:b], parts)
    np.testing.assert_array_equal(parts, whole)


def test_accumulate_decay_gated_matches_numpy_twin_and_chunks():
    rng = np.random.default_rng(2)
    det, nt = random_photons(rng, 20000, max_det=5, max_nt=1100)
    bin_index = rng.integers(-1, 60, det.size).astype(np.int64)  # -1 and >= 50 are outside
    gate = rng.random(50) < 0.4
    hist = np.zeros((4, 1000), np.int64)
    n_over = kd.accumulate_decay_gated(det, nt, bin_index, gate, hist)
    ref, ref_over = naive.accumulate_decay_gated(det, nt, bin_index, gate, hist.shape)
    np.testing.assert_array_equal(hist, ref)
    assert n_over == ref_over > 0
    parts = np.zeros_like(hist)
    for a, b in zip(range(0, det.size, 3001), range(3001, det.size + 3001, 3001)):
        kd.accumulate_decay_gated(det[a:b], nt[a:b], bin_index[a:b], gate, parts)
    np.testing.assert_array_equal(parts, hist)


def test_truncated_exponential_tau_matches_brentq():
    rng = np.random.default_rng(3)
    w = rng.uniform(1.0, 100.0, 300)
    edges = [1e-6, 0.49999999, 0.25, 0.1, 0.01, 0.3, 0.45, 0.49, 1e-3, 0.2]
    r = np.concatenate([rng.uniform(1e-4, 0.4999, 290), edges])
    mean = r * w
    out = np.empty_like(mean)
    kd.truncated_exponential_tau(mean, w, out)

    def slow(m, W):  # solve m = tau - W / (exp(W/tau) - 1) in x = W/tau by bracketing
        f = lambda x: (0.5 - x / 12 if x < 1e-6 else 1 / x - math.exp(-x) / -math.expm1(-x)) - m / W
        return W / brentq(f, 1e-9, W / m + 1, xtol=1e-15, rtol=1e-14)

    ref = np.array([slow(m, W) for m, W in zip(mean, w)])
    np.testing.assert_allclose(out, ref, rtol=1e-8)
    # the solution reproduces the mean it was given
    x = w / out
    np.testing.assert_allclose(out - w * np.exp(-x) / -np.expm1(-x), mean, rtol=1e-9)
    bad = np.array([0.0, -1.0, 5.0, 6.0, np.nan, 1.0])
    wb = np.array([10.0, 10.0, 10.0, 10.0, 10.0, np.nan])
    ob = np.empty(6)
    kd.truncated_exponential_tau(bad, wb, ob)
    assert np.all(np.isnan(ob))  # mean <= 0, mean >= W/2, NaN inputs
