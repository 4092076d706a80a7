"""Reported errors of time averages over simulated blinking emitters (issue 13).

The traces are alternating renewal processes (ON and OFF dwells drawn independently from a
truncated or pure power law, in whole bins) with Poisson counts per bin: the model of
science.md §5, built here without the photon simulator so that hundreds of traces take
seconds. Each test states the statistics behind its tolerance.
"""

import numpy as np
import pytest

from tttr.analysis import blinking as bl
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
    # Q keeps the error of its own trajectory (the verdict's "is Q above 0?" needs it), and says why
    q = mandel_q(_counts(rng, renewal_on(rng, 20000, 1.5, 3)), bin_width_s=0.01)
    assert np.isfinite(q.q_err) and "infinite" in q.q_err_reason and "trajectory" in q.q_err_reason


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
    # without the bin width (the FLID state analysis's test "is Q above 0?"), the
    # photon-counting error, which is right under that hypothesis
    assert mandel_q(n).q_err_method == "photon counting" and mandel_q(n).q_err == photon[-1]
    spread = np.std(q, ddof=1)
    assert 0.6 < spread / np.mean(err) < 1.4
    assert spread / np.mean(photon) > 1.6


def test_mandel_q_error_without_blinking_is_the_photon_counting_error():
    rng = np.random.default_rng(4)
    n = rng.poisson(50.0, 20000)
    r = mandel_q(n, bin_width_s=0.01)
    assert r.q_err_method == "photon counting" and r.q_err_reason is None
    assert r.q_err == mandel_q(n, bin_width_s=0.01, trajectory_error=False).q_err


def test_mixing_fractions_match_the_foreign_photons_of_switching_bins():
    # Two levels of 120 and 300 counts per bin (signal 114 / 294 plus 6 background), switching
    # in continuous time with exponential dwells of mean 8 bins, 200 000 bins. For each bin the
    # time spent in each state is exact, and the photons of each state are drawn separately,
    # so the share of photons from the other state in each automatic region is known. The
    # computed share must match it within 15 % (the foreign photons number ~10⁴ in each
    # region: Poisson ±1 %; the model's one-switch-per-bin assumption fails for the ~6 % of
    # switching bins that hold two switches).
    from tttr.analysis.flid import _mixing_fractions, intensity_regions

    rng = np.random.default_rng(6)
    n_bins, bg = 200_000, 6.0
    dwell = rng.exponential(8.0, 60_000)
    edges = np.concatenate(([0.0], np.cumsum(dwell)))
    high_first = True
    # cumulative time in the high state at each switch time, interpolated at the bin edges
    hi_dur = np.where((np.arange(dwell.size) % 2 == 0) == high_first, dwell, 0.0)
    cum_hi = np.concatenate(([0.0], np.cumsum(hi_dur)))
    t = np.arange(n_bins + 1, dtype=np.float64)
    hi_time = np.clip(np.diff(np.interp(t, edges, cum_hi)), 0.0, 1.0)  # rounding
    n_hi = rng.poisson(294.0 * hi_time)
    n_lo = rng.poisson(114.0 * (1.0 - hi_time))
    inten = n_hi + n_lo + rng.poisson(bg, n_bins)
    bands = intensity_regions(inten)
    sels = [(inten >= lo) & (inten <= hi) for lo, hi in bands]
    eps, n_steady = _mixing_fractions(inten, sels, bands, [bg, bg])
    true = [n_hi[sels[0]].sum() / (n_lo[sels[0]].sum()), n_lo[sels[1]].sum() / n_hi[sels[1]].sum()]
    assert min(n_steady) > 1000
    for e, want in zip(eps, true):
        assert want > 1e-3  # a bias worth correcting: ε·Δτ ≈ 0.02 ns for Δτ = 20 ns
        assert e == pytest.approx(want, rel=0.15)
