"""Reported errors of time averages over simulated blinking emitters (issue 13).

The traces are alternating renewal processes (ON and OFF dwells drawn independently from a
truncated or pure power law, in whole bins) with Poisson counts per bin: the model of
science.md §5, built here without the photon simulator so that hundreds of traces take
seconds. Each test states the statistics behind its tolerance.
"""

from types import SimpleNamespace

import numpy as np
import pytest

from tttr.analysis import blinking as bl
from tttr.analysis.flid import _mixing_shift
from tttr.analysis.photon_stats import mandel_q
from tttr.analysis.powerlaw import random_power_law_durations


def renewal_on(rng, n_bins, alpha, t_min_bins, tau_c_bins=np.inf):
    """ON state per bin of an alternating renewal process with the same dwell law ON and OFF
    (long-run ON fraction 1/2), starting in a random state."""
    d = random_power_law_durations(4000, alpha=alpha, t_min_s=float(t_min_bins), bin_width_s=1.0,
                                   tau_c_s=float(tau_c_bins), rng=rng).astype(np.int64)
    d = d[: np.searchsorted(np.cumsum(d), n_bins) + 1]
    return np.repeat(np.arange(d.size) % 2 == (rng.random() < 0.5), d)[:n_bins]


def test_on_fraction_cycle_error_matches_the_spread_over_emitters():
    # 300 traces of 6000 bins, dwells α = 1.5 from 3 bins truncated at 200 bins (the 60 s /
    # 10 ms baseline of docs/validation_estimators.md, τ_c = 2 s). Long-run ON fraction 1/2.
    # The spread of the ON fraction over traces, divided by the mean reported error, is known
    # to ±4 % (sd of 300 values); measured 1.13 for the cycle error (the delta method is a
    # little small for skewed cycles at ~100 cycles a trace) and 1.31 for the former batch
    # means over 20 blocks. Accepted: 0.85–1.2; the batch-means error must fail that band.
    rng = np.random.default_rng(1)
    f, err, batch = [], [], []
    for _ in range(300):
        on = renewal_on(rng, 6000, 1.5, 3, 200)
        f.append(on.mean())
        e, why = bl.cycle_ratio_error(on)
        assert why is None
        err.append(e)
        batch.append(bl.batch_means_error(on))
    f = np.array(f)
    spread = f.std(ddof=1)
    assert 0.85 < spread / np.mean(err) < 1.2
    assert spread / np.mean(batch) > 1.2
    # coverage of the long-run value at 1.96σ: binomial sd of a correct 95 % over 300 is 1.3 %
    assert np.mean(np.abs(f - 0.5) <= 1.96 * np.array(err)) > 0.85


def test_on_fraction_error_needs_cycles():
    on = np.zeros(1000, bool)
    on[100:200] = on[500:600] = True
    e, why = bl.cycle_ratio_error(on)
    assert np.isnan(e) and "cycles" in why


def _counts(rng, on, i_on=100.0, i_off=20.0):
    return rng.poisson(np.where(on, i_on, i_off))


def test_infinite_mean_dwells_give_no_on_fraction_error():
    # Pure power law α = 1.5 (infinite mean dwell): no stationary ON fraction, so no error; a
    # truncated law with τ_c = 20 bins has one. 20000 bins hold ~500 dwells of the truncated
    # law (its truncation is detected at p < 0.05 with these numbers) and ~60 of the pure one.
    rng = np.random.default_rng(3)
    pure = bl.blinking_statistics(_counts(rng, renewal_on(rng, 20000, 1.5, 3)), bin_width_s=0.01)
    assert np.isnan(pure.on_fraction_err) and "infinite" in pure.on_fraction_err_reason
    trunc = bl.blinking_statistics(_counts(rng, renewal_on(rng, 20000, 1.5, 3, 20)), bin_width_s=0.01)
    assert np.isfinite(trunc.on_fraction_err) and trunc.on_fraction_err_reason is None
    q = mandel_q(_counts(rng, renewal_on(rng, 20000, 1.5, 3)), bin_width_s=0.01)
    assert np.isnan(q.q_err) and "infinite" in q.q_err_reason


def test_mandel_q_error_of_a_blinking_trace_covers_the_trajectory():
    # 40 traces of 6000 bins, dwells α = 1.5 from 5 bins truncated at 100 bins, 100 / 20
    # counts per bin ON / OFF. Q scatters from trace to trace with the state trajectory:
    # measured spread/error 0.83 for the cycle jackknife and 2.5 for the photon-counting
    # error. The sd of 40 values is known to ±11 %: accepted 0.6–1.4 for the jackknife, and
    # the photon-counting error must be too small by more than 1.6×.
    rng = np.random.default_rng(2)
    q, err, photon = [], [], []
    for _ in range(40):
        n = _counts(rng, renewal_on(rng, 6000, 1.5, 5, 100))
        r = mandel_q(n, bin_width_s=0.01)
        assert r.q_err_method == "cycle jackknife" and r.q_err_reason is None
        q.append(r.q)
        err.append(r.q_err)
        photon.append(mandel_q(n, bin_width_s=0.01, trajectory_error=False).q_err)
    spread = np.std(q, ddof=1)
    assert 0.6 < spread / np.mean(err) < 1.4
    assert spread / np.mean(photon) > 1.6


def test_mandel_q_error_without_blinking_is_the_photon_counting_error():
    rng = np.random.default_rng(4)
    n = rng.poisson(50.0, 20000)
    r = mandel_q(n, bin_width_s=0.01)
    assert r.q_err_method == "photon counting" and r.q_err_reason is None
    assert r.q_err == mandel_q(n, bin_width_s=0.01, trajectory_error=False).q_err


def test_mixing_shift_recovers_the_mean_delay_of_steady_bins():
    # A bright region of 4000 bins with τ = 25 ns photons (200 per bin), 10 % of them
    # (isolated, so each has other-region neighbours) mixing in 30 % photons of τ = 5 ns.
    # Per-bin delay sums are Gamma(k, τ) sums. The shift must bring the mean of all bins to
    # that of the steady bins: expected shift (0.1·0.3·(25 − 5) ≈ +0.6 ns) to within its
    # 4 standard errors.
    rng = np.random.default_rng(5)
    nb = 4000
    sel = np.ones(nb, bool)
    mixed = np.zeros(nb, bool)
    mixed[rng.choice(np.arange(2, nb - 2, 3), nb // 10, replace=False)] = True
    k_long = np.where(mixed, 140, 200)
    k_short = np.where(mixed, 60, 0)
    sums = rng.gamma(np.maximum(k_long, 1), 25.0) + np.where(k_short > 0, rng.gamma(np.maximum(k_short, 1), 5.0), 0.0)
    unit = 1.0  # ns per tick; the kernel's sums are of tick indices, +½ tick per photon added back
    binned = SimpleNamespace(window_ticks=1000, decay_rebin=1, sum_delay_ticks=sums - 0.5 * (k_long + k_short),
                             n_window=(k_long + k_short).astype(np.int64))
    fit = SimpleNamespace(background_per_bin=0.0, tau_ns=25.0)
    # the region is the whole trace; isolate the mixed bins from the rest by marking their
    # neighbours as outside the region, as a switch does
    region = sel & ~(np.roll(mixed, 1) | np.roll(mixed, -1))
    shift, err, n_steady = _mixing_shift(binned, region, fit, unit, int(region.sum()))
    all_mean = sums[region].sum() / (k_long + k_short)[region].sum()
    steady = region & ~mixed & np.roll(region, 1) & np.roll(region, -1)
    steady[0] = steady[-1] = False
    steady_mean = sums[steady].sum() / (k_long + k_short)[steady].sum()
    assert n_steady == int(steady.sum())
    assert shift == pytest.approx(steady_mean - all_mean, rel=1e-9)
    # the steady mean itself scatters by τ/√(photons of steady bins)
    assert abs(all_mean + shift - 25.0) < 4 * np.hypot(err, 25.0 / np.sqrt((k_long + k_short)[steady].sum()))
    assert shift > 0.3  # the bias it removes: 0.1·0.3·20 ns ≈ 0.6 ns, far above its error
