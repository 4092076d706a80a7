"""Thresholds, states, dwell times and photon statistics on traces with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from tttr.analysis import blinking as bl
from tttr.analysis.photon_stats import intensity_histogram, mandel_q, mandel_q_curve


def test_dwell_times_exclude_censored_runs_by_default():
    st = np.array([2, 2, 0, 0, 0, 2, 0, 2, 2, 2], np.int8)
    d = bl.dwell_times(st, bin_width_s=0.01)
    assert d.on_s.tolist() == pytest.approx([0.01]) and d.off_s.tolist() == pytest.approx([0.03, 0.01])
    d = bl.dwell_times(st, bin_width_s=0.01, include_censored=True)
    assert d.on_s.tolist() == pytest.approx([0.02, 0.01, 0.03])


def test_two_level_trace_statistics_are_exact():
    # 10 ON bins at 100 counts, 5 OFF at 5, repeated: every quantity is known
    counts = np.tile(np.r_[np.full(10, 100), np.full(5, 5)], 40)
    s = bl.blinking_statistics(counts, bin_width_s=0.01, window_s=1.5)
    assert s.threshold.i_max_counts == 100 and s.threshold.counts == 50
    assert s.on_fraction == pytest.approx(10 / 15)
    assert s.n_on_to_off == 40
    assert s.blinking_rate_hz == pytest.approx(40 / 6.0)
    assert s.charging_rate_hz == pytest.approx(40 / 4.0)
    assert np.allclose(s.dwell.on_s, 0.1) and np.allclose(s.dwell.off_s, 0.05)
    assert s.dwell.on_s.size == 39 and s.dwell.off_s.size == 39  # 80 runs; first (ON) and last (OFF) censored
    assert np.allclose(s.windowed_on_fraction, 10 / 15)


@pytest.mark.parametrize("method", ["valley", "otsu", "on_level"])
def test_automatic_thresholds_separate_two_poisson_levels(method):
    rng = np.random.default_rng(3)
    truth = rng.random(20000) < 0.6
    counts = np.where(truth, rng.poisson(80, truth.size), rng.poisson(10, truth.size))
    thr = bl.threshold(counts, method=method)
    st = bl.states(counts, thr)
    # levels 80 and 10 are > 7 sigma apart: misclassification must be rare
    assert np.mean((st == bl.ON) != truth) < 0.002


def test_three_level_split():
    counts = np.array([100, 100, 40, 40, 5, 100, 5])
    thr = bl.threshold(counts, method="absolute", value=60, off_counts=20)
    assert bl.states(counts, thr).tolist() == [2, 2, 1, 1, 0, 2, 0]


def test_threshold_errors():
    with pytest.raises(ValueError, match="unknown threshold method"):
        bl.threshold([1, 2], method="nope")
    with pytest.raises(ValueError, match="value="):
        bl.threshold([1, 2], method="absolute")


def test_mandel_q_poisson_and_blinking():
    rng = np.random.default_rng(5)
    q = mandel_q(rng.poisson(50, 60000), bin_width_s=0.01)
    # Poisson: E[Q] = 0, SE ≈ sqrt(2/N + 1/(N<n>)) ≈ 0.0058; allow 4 SE
    assert abs(q.q) < 4 * q.q_err and q.q_err == pytest.approx(np.sqrt(2 / 59999 + 1 / (60000 * 50)), rel=0.01)
    # telegraph between 80 and 10 counts with ON fraction 0.6: Q = p(1-p)(80-10)^2/<n> (from the law of total variance)
    on = rng.random(60000) < 0.6
    counts = np.where(on, rng.poisson(80, on.size), rng.poisson(10, on.size))
    mean = 0.6 * 80 + 0.4 * 10
    expected = 0.6 * 0.4 * 70**2 / mean
    q = mandel_q(counts)
    assert abs(q.q - expected) < 0.05 * expected


def test_mandel_q_curve_grows_for_correlated_blinking():
    rng = np.random.default_rng(9)
    on = np.repeat(rng.random(3000) < 0.5, 20)  # 20-bin dwell periods
    counts = np.where(on, rng.poisson(30, on.size), rng.poisson(3, on.size))
    qs = mandel_q_curve(counts, bin_width_s=0.01, factors=(1, 5, 20))
    assert [x.bin_width_s for x in qs] == pytest.approx([0.01, 0.05, 0.2])
    assert qs[0].q < qs[1].q < qs[2].q


def test_intensity_histogram_poisson_expectation_sums_to_bins():
    rng = np.random.default_rng(2)
    n = rng.poisson(20, 5000)
    h = intensity_histogram(n, bin_width_s=0.01)
    from scipy import stats

    assert h.occurrences.sum() == 5000
    # the expectation covers 0..max observed: N times the Poisson CDF at the max
    assert h.poisson_expected.sum() == pytest.approx(5000 * stats.poisson.cdf(n.max(), n.mean()), rel=1e-9)


def test_useful_frame_fraction_peaks_at_one_over_k():
    r = np.linspace(0.01, 0.99, 99)
    useful = [bl.useful_frame_fraction(x, 4)["useful"] for x in r]
    assert r[int(np.argmax(useful))] == pytest.approx(0.25, abs=0.011)


def test_smoothed_histogram_and_peaks_find_two_levels():
    from tttr.analysis.photon_stats import histogram_peaks, smoothed_intensity_histogram

    rng = np.random.default_rng(4)
    counts = np.r_[rng.poisson(300, 20000), rng.poisson(80, 20000)]
    sm = smoothed_intensity_histogram(counts)
    # a boxcar keeps the total except what spills past the ends: at most the occupancy of
    # the `width` outermost bins on each side
    occ = np.bincount(counts)
    width = int(round(np.sqrt(counts.mean()) / 2))
    assert abs(sm.sum() - counts.size) <= occ[:width].sum() + occ[-width:].sum()
    peaks = histogram_peaks(sm)
    top2 = np.sort(peaks[np.argsort(sm[peaks])[-2:]])
    # each level's smoothed maximum lies within one Poisson σ of its mean
    assert abs(top2[0] - 80) < np.sqrt(80) and abs(top2[1] - 300) < np.sqrt(300)


# ------------------------------------------------------- is there any blinking at all?
@pytest.mark.parametrize("mean", [0.5, 4.0, 100.0, 3000.0])
def test_single_level_test_false_positive_rate(mean):
    # Poisson counts at one level: the dispersion test rejects with probability 1e-3, so over
    # 200 traces the expected number of detections is 0.2; at most 2 allowed
    # (P(≥ 3 | Poisson 0.2) ≈ 1e-3).
    rng = np.random.default_rng(int(mean * 10))
    calls = [bl.single_level_test(rng.poisson(mean, 2000)).blinking_detected for _ in range(200)]
    assert sum(calls) <= 2


def test_single_level_test_detects_two_levels():
    # ON 30 counts / OFF 3 counts per bin, switching every ~20 bins: D/dof ≈ 1 + Q = 1 + 60
    rng = np.random.default_rng(3)
    level = np.repeat(rng.integers(0, 2, 300), rng.integers(5, 40, 300))
    n = rng.poisson(np.where(level == 1, 30.0, 3.0))
    t = bl.single_level_test(n)
    assert t.blinking_detected is True and t.p_value < 1e-10 and "more than one" in t.reason
    # a rare (2 %) OFF level at contrast 2 is still blinking: excess f(1−f)(1−c)²/(f+(1−f)c)² ≈ 5e-3
    level = rng.random(20_000) < 0.02
    n = rng.poisson(np.where(level, 500.0, 1000.0))
    assert bl.single_level_test(n).blinking_detected is True


def test_single_level_test_ignores_excitation_noise_of_a_bright_emitter():
    # 3000 counts per bin with 1 % rms excitation noise: excess variance 1e-4 is highly
    # significant (D/dof ≈ 1.3) but two orders below blinking: not detected, reason says why
    rng = np.random.default_rng(4)
    n = rng.poisson(3000.0 * (1 + 0.01 * rng.standard_normal(20_000)))
    t = bl.single_level_test(n)
    assert t.p_value < 1e-6 and t.excess_variance == pytest.approx(1e-4, abs=5e-5)
    assert t.blinking_detected is False and "too small" in t.reason


def test_single_level_test_without_data():
    for n in ([], [5], [0, 0, 0]):
        t = bl.single_level_test(np.asarray(n, dtype=np.int64))
        assert t.blinking_detected is None and "cannot test" in t.reason


def test_single_level_test_sub_poisson_is_one_level():
    # dead time / antibunching make the counts sub-Poissonian (Q < 0): never evidence of levels
    rng = np.random.default_rng(5)
    n = rng.binomial(20, 0.5, 5000)  # Q = −0.5
    t = bl.single_level_test(n)
    assert t.blinking_detected is False and t.p_value > 0.99


def test_on_fraction_error_covers_for_short_dwells():
    # telegraph trace with geometric dwells (mean 5 bins), 20 000 bins: the reported error (over
    # regeneration cycles; before, batch means over blocks of 1000 bins, which are nearly
    # independent here) matches the spread over 200 traces within
    # the error of a 200-sample sd (±5 %) plus the ±16 % scatter of each 20-block estimate
    # averaged over 200 (±1 %): ratio within 0.85–1.15; and the exact value for blocks of
    # known fractions
    rng = np.random.default_rng(9)
    f, e = [], []
    for _ in range(200):
        lengths = rng.geometric(0.2, 8000)
        state = np.repeat(np.arange(lengths.size) % 2, lengths)[:20_000]
        counts = np.where(state == 0, rng.poisson(50, state.size), rng.poisson(5, state.size))
        s = bl.blinking_statistics(counts, bin_width_s=0.01)
        f.append(s.on_fraction)
        e.append(s.on_fraction_err)
    assert np.std(f, ddof=1) / np.mean(e) == pytest.approx(1.0, abs=0.15)
    on = np.repeat(np.r_[np.ones(10), np.zeros(10)], 5)  # blocks of 5 bins: fractions 1,1,0,0,...
    assert bl.batch_means_error(on, blocks=20) == pytest.approx(np.std(np.r_[np.ones(10), np.zeros(10)], ddof=1)
                                                                / np.sqrt(20))
    assert np.isnan(bl.batch_means_error(np.ones(1)))
