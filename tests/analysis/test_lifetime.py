"""Tests of decay histograms and lifetime fits (``tttr.analysis.lifetime``, ``tttr.kernels.decay``).

Kernels are checked against slow, obviously correct numpy twins on random inputs. Fits are
checked on photons simulated here in numpy with a known truth, with tolerances taken from
the statistics (each assertion says which).
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
from scipy.integrate import quad

from tttr.analysis import lifetime as lt
from tttr.errors import AnalysisError
from tttr.io.events import PhotonChunk, StreamInfo

import naive
from conftest import SAMPLES

DT = 0.016  # ns per microtime bin (16 ps)
PERIOD = 200.0  # ns (5 MHz)
T0 = 20.0  # ns, excitation time


# ================================================================================ helpers
def simulate_nanotimes(rng, n, taus, fractions=None, *, t0=T0, irf_sigma=0.05, bg=0.01,
                       period=PERIOD, dt=DT):
    """Microtime bins of ``n`` photons: a fraction ``bg`` uniform over the period, the rest
    excited at ``t0 + N(0, irf_sigma)`` and delayed by an exponential (component k with
    photon fraction ``fractions[k]``), folded into the period (earlier pulses' tails wrap)."""
    taus = np.atleast_1d(np.asarray(taus, float))
    fractions = np.ones(1) if fractions is None else np.asarray(fractions, float)
    nb = rng.binomial(n, bg)
    ns = n - nb
    comp = rng.choice(taus.size, ns, p=fractions)
    t = t0 + rng.normal(0.0, irf_sigma, ns) + rng.exponential(taus[comp])
    t = np.concatenate([np.mod(t, period), rng.uniform(0.0, period, nb)])
    return np.floor(t / dt).astype(np.int64)


def histogram(nt, period=PERIOD, dt=DT):
    counts = np.bincount(nt, minlength=int(round(period / dt)))
    return lt.DecayHistogram.from_counts(counts, dt, period_ns=period)


def chunk_of(nt, det=None, ts=None):
    n = nt.size
    det = np.zeros(n, np.uint8) if det is None else det.astype(np.uint8)
    ts = np.arange(n, dtype=np.int64) if ts is None else ts.astype(np.int64)
    return PhotonChunk(ts, det, nt.astype(np.uint16))


def info_t3(unit_s=DT * 1e-9, period_s=PERIOD * 1e-9, tcspc_num_bins=None):
    return StreamInfo(path="sim.ptu", format="PTU", record_type="sim", mode="T3", timestamps_unit_s=period_s,
                      nanotimes_unit_s=unit_s, sync_rate_hz=1.0 / period_s, n_records=0,
                      tcspc_num_bins=tcspc_num_bins)


# ============================================================================ accumulator
def test_accumulator_grows_past_nominal_bins_and_chunks_equal_whole():
    rng = np.random.default_rng(4)
    n = 50000
    det = rng.integers(0, 2, n).astype(np.uint8)
    det[:10] = 5  # a detector appearing late in numbering
    nt = rng.integers(0, 1010, n).astype(np.uint16)  # 10 bins past the nominal 1000
    info = info_t3(unit_s=1e-11, period_s=1e-8, tcspc_num_bins=1000)
    whole = lt.DecayAccumulator(info, align=False)
    whole.add(chunk_of(nt, det))
    parts = lt.DecayAccumulator(info, align=False)
    for a in range(0, n, 7777):
        parts.add(chunk_of(nt[a:a + 7777], det[a:a + 7777]))
    hw, hp = whole.result(), parts.result()
    ref, _ = naive.accumulate_decay(det, nt, (6, 1010))
    np.testing.assert_array_equal(hw.counts, ref)
    np.testing.assert_array_equal(hp.counts, ref)
    assert hw.n_photons == n and hw.n_overflow == 0
    assert hw.period_ns == pytest.approx(10.10)  # photons past the header's period extend it


def test_accumulator_fixed_bins_reports_overflow():
    rng = np.random.default_rng(5)
    nt = rng.integers(0, 1200, 10000).astype(np.uint16)
    acc = lt.DecayAccumulator(info_t3(unit_s=1e-11, period_s=1.2e-8), n_bins=1000, align=False)
    acc.add(chunk_of(nt))
    with pytest.warns(RuntimeWarning, match="n_overflow"):
        h = acc.result()
    assert h.n_overflow == int((nt >= 1000).sum()) > 0
    assert h.n_photons + h.n_overflow == nt.size


def test_gated_accumulator_counts_only_gated_bins():
    rng = np.random.default_rng(6)
    n = 40000
    ts = np.sort(rng.integers(0, 100_000, n))
    det = rng.integers(0, 2, n).astype(np.uint8)
    nt = rng.integers(0, 500, n).astype(np.uint16)
    gate = rng.random(90) < 0.5  # bins of 1000 ticks; photons past 90 000 are outside
    acc = lt.DecayAccumulator(info_t3(unit_s=1e-11, period_s=5e-9), align=False, gate=gate, gate_bin_width_ticks=1000)
    for a in range(0, n, 9000):
        acc.add(chunk_of(nt[a:a + 9000], det[a:a + 9000], ts[a:a + 9000]))
    ref, _ = naive.accumulate_decay_gated(det, nt, ts // 1000, gate, (2, 500))
    np.testing.assert_array_equal(acc.result().counts, ref)


def test_bad_input_errors():
    t2 = StreamInfo(path="x.ptu", format="PTU", record_type="sim", mode="T2", timestamps_unit_s=1e-12,
                    nanotimes_unit_s=None, sync_rate_hz=None, n_records=0)
    with pytest.raises(AnalysisError, match="T3"):
        lt.DecayAccumulator(t2)
    with pytest.raises(AnalysisError, match="nanotime unit"):
        lt.DecayAccumulator(info_t3(unit_s=None))
    acc = lt.DecayAccumulator(info_t3())
    with pytest.raises(AnalysisError, match="T3"):
        acc.add(PhotonChunk(np.arange(3), np.zeros(3, np.uint8), None))
    with pytest.raises(AnalysisError, match="too little data"):
        lt.fit_lifetime(np.r_[np.zeros(50), [3, 2, 1], np.zeros(50)], bin_width_ns=0.1)


# ======================================================================== model and t0/bg
def test_exponential_bin_means_exact_and_periodic_sum():
    dt, t0, tau, period = 0.25, 3.1, 7.0, 40.0
    t_lo = np.arange(160) * dt
    got = lt.exponential_bin_means(t_lo, dt, t0, tau)
    single = lambda t: math.exp(-(t - t0) / tau) if t >= t0 else 0.0
    ref = [quad(single, a, a + dt, points=[t0] if a < t0 < a + dt else None, epsabs=1e-13)[0] / dt for a in t_lo]
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-13)
    # periodic: the closed form equals the brute-force sum over this and 59 earlier pulses
    per = lt.exponential_bin_means(t_lo, dt, t0, tau, period)
    brute = sum(lt.exponential_bin_means(t_lo, dt, t0 - k * period, tau) for k in range(60))
    np.testing.assert_allclose(per, brute, rtol=1e-9)
    # the bin with the next rise inside it is split at the discontinuity
    t0b = 3.0 + 0.1
    perb = lt.exponential_bin_means(np.array([t0b - 0.05]), 0.2, t0b, tau, period)
    expect = (tau / 0.2) * ((np.exp(-(period - 0.05) / tau) - np.exp(-period / tau)) + (1 - np.exp(-0.15 / tau)))
    assert perb[0] == pytest.approx(expect / (1 - np.exp(-period / tau)), rel=1e-12)


def test_t0_and_background_estimates():
    rng = np.random.default_rng(7)
    nt = simulate_nanotimes(rng, 400_000, 5.0, bg=0.05)
    h = histogram(nt)
    # half max of an IRF-convolved exponential rise is within a few IRF widths of the
    # excitation time (σ = 50 ps); the smoothing and discretisation add < 1 bin
    assert abs(h.t0_ns - T0) < 0.1
    assert lt.estimate_t0(h.summed, DT, method="peak") == pytest.approx(T0, abs=0.3)
    # pre-rise background: 20000 uniform photons over 12500 bins -> 1.6 per bin; the mean of
    # ~1190 pre-rise bins has σ = sqrt(1.6 / 1190) = 0.037; the tail of τ = 5 ns there is e^-36
    assert h.background_method == "pre-rise"
    true_bg = 0.05 * 400_000 / 12500
    assert abs(h.background_per_bin - true_bg) < 4 * math.sqrt(true_bg / 1190)
    # a rise near the start of the period: no 5 % pre-rise region, the end of the period is used
    nt2 = simulate_nanotimes(rng, 400_000, 5.0, bg=0.05, t0=2.0)
    h2 = histogram(nt2)
    assert h2.background_method == "tail"
    assert abs(h2.background_per_bin - true_bg) < 4 * math.sqrt(true_bg / 1250)
    assert h2.background_counts == pytest.approx(h2.background_per_bin * 12500)


# ==================================================================================== fits
@pytest.mark.parametrize("tau", [5.0, 24.7])
def test_mono_fit_recovers_tau_and_its_error_by_repetition(tau):
    n_seeds, n = 100, 100_000
    est, err = [], []
    for seed in range(n_seeds):
        rng = np.random.default_rng(1000 + seed)
        fit = lt.fit_lifetime(histogram(simulate_nanotimes(rng, n, tau)))
        assert fit.success
        est.append(fit.tau_ns)
        err.append(fit.tau_err_ns)
    est, err = np.array(est), np.array(err)
    # every fit within 4 of its own standard errors (P(|z| > 4) = 6e-5 per fit)
    assert np.all(np.abs(est - tau) < 4 * err)
    # the reported error is near τ/√n, the bound for a clean exponential of n photons; the
    # fitted background, amplitude and the window's end (7.3 τ for τ = 24.7 ns) inflate it
    assert 1.0 < err.mean() / (tau / math.sqrt(n)) < 1.35
    # the spread over 100 seeds matches the reported error: the sample SD of 100 values has a
    # relative standard error 1/sqrt(2·99) = 7 %, so 25 % is a 3.5σ band
    assert abs(est.std(ddof=1) / err.mean() - 1) < 0.25
    # no bias: the mean of 100 estimates within 4 standard errors of the mean
    assert abs(est.mean() - tau) < 4 * err.mean() / math.sqrt(n_seeds)


def test_bi_fit_recovers_both_lifetimes_and_mean_lifetimes():
    rng = np.random.default_rng(11)
    taus, frac = np.array([24.7, 5.0]), np.array([0.5, 0.5])  # photon fractions
    fit = lt.fit_lifetime(histogram(simulate_nanotimes(rng, 1_000_000, taus, frac)), model="bi")
    assert fit.success and fit.model == "bi"
    assert fit.tau1_ns == pytest.approx(24.7, rel=0.05)
    assert fit.tau2_ns == pytest.approx(5.0, rel=0.05)
    # and within 4 of their standard errors (here ~0.3 % and 0.4 %)
    assert abs(fit.tau1_ns - 24.7) < 4 * fit.tau1_err_ns and abs(fit.tau2_ns - 5.0) < 4 * fit.tau2_err_ns
    # formulas: a_k = A_k/ΣA, τ_amp = Σaτ, τ_int = Σaτ²/Σaτ
    A, t = fit.amplitudes, np.array([fit.tau1_ns, fit.tau2_ns])
    assert fit.a1 == pytest.approx(A[0] / A.sum()) and fit.a1 + fit.a2 == pytest.approx(1.0)
    assert fit.tau_amp_ns == pytest.approx((A * t).sum() / A.sum(), rel=1e-12)
    assert fit.tau_int_ns == pytest.approx((A * t ** 2).sum() / (A * t).sum(), rel=1e-12)
    assert fit.tau_ns == fit.tau_int_ns
    # truth: amplitudes ∝ photon fraction / τ, so τ_amp = 1/Σ(f/τ), τ_int = Σ f τ
    assert abs(fit.tau_amp_ns - 1 / (frac / taus).sum()) < 4 * fit.tau_amp_err_ns
    assert abs(fit.tau_int_ns - (frac * taus).sum()) < 4 * fit.tau_int_err_ns
    assert abs(fit.a1 - (frac[0] / taus[0]) / (frac / taus).sum()) < 4 * fit.a1_err
    # delta-method errors: recompute τ_int's from the covariance with a numerical gradient
    th = fit.params[:4]
    f_int = lambda p: (p[0] * p[1] ** 2 + p[2] * p[3] ** 2) / (p[0] * p[1] + p[2] * p[3])
    g = np.array([(f_int(th + e) - f_int(th - e)) / (2 * e[i]) for i, e in enumerate(np.diag(th * 1e-6))])
    assert fit.tau_int_err_ns == pytest.approx(math.sqrt(g @ fit.covariance[:4, :4] @ g), rel=1e-5)
    # bi beats mono by far on this mixture
    mono = lt.fit_lifetime(histogram(simulate_nanotimes(np.random.default_rng(11), 1_000_000, taus, frac)))
    assert mono.aic - fit.aic > 100


def test_irf_reconvolution_recovers_short_lifetime_and_shift():
    rng = np.random.default_rng(12)
    # IRF measured 0.3 ns later than the decay's excitation (e.g. another cable)
    irf = histogram(simulate_nanotimes(rng, 1_000_000, 1e-9, t0=T0 + 0.3, irf_sigma=0.1, bg=0.0))
    h = histogram(simulate_nanotimes(rng, 200_000, 0.5, irf_sigma=0.1))
    fit = lt.fit_lifetime(h, irf=irf)
    assert fit.success
    assert fit.tau_ns == pytest.approx(0.5, rel=0.05)
    assert abs(fit.tau_ns - 0.5) < 4 * fit.tau_err_ns  # σ ≈ 1.3 ps here
    # fitted shift of the IRF: -0.3 ns, to within one 16 ps bin (the peak-bin convention)
    assert fit.irf_shift_ns == pytest.approx(-0.3, abs=DT)
    assert 0.8 < fit.chi2_reduced < 1.2
    # the background: 2000 photons over 12500 bins
    assert abs(fit.background_per_bin - 0.16) < 4 * fit.background_err
    # linear (single-pulse) convolution gives the same here (τ ≪ P), and an IRF array works
    lin = lt.fit_lifetime(h, irf=irf.summed, periodic=False)
    assert lin.tau_ns == pytest.approx(fit.tau_ns, rel=1e-3) and lin.irf_shift_ns == pytest.approx(-0.3, abs=DT)
    # a tail fit (from t0 + 1 ns, two τ past the IRF) is also right, with a larger error
    tail = lt.fit_lifetime(h)
    assert abs(tail.tau_ns - 0.5) < 4 * tail.tau_err_ns and tail.tau_err_ns > fit.tau_err_ns


def test_periodic_correction_matters_and_is_right():
    # τ = 50 ns at P = 100 ns: the tail of each pulse wraps with weight e^-2 = 0.135
    period, tau, n = 100.0, 50.0, 200_000
    rng = np.random.default_rng(13)
    nt = simulate_nanotimes(rng, n, tau, period=period, bg=0.01)
    h = histogram(nt, period=period)
    fit = lt.fit_lifetime(h)  # periodic by default in T3; window: ages in [1 ns, P - 1 ns]
    assert fit.periodic and fit.window_ns[0] > fit.window_ns[1]  # wraps through the period end
    assert abs(fit.tau_ns - tau) < 4 * fit.tau_err_ns
    # the same window with a single-pulse model is badly biased (the wrapped tail before t0
    # looks like background)
    single = lt.fit_lifetime(h, periodic=False, window_ns=fit.window_ns)
    assert abs(single.tau_ns - tau) > 10 * single.tau_err_ns
    # photon budget: periodic A τ / Δt is the single-pulse decay content = the simulated
    # signal photons (binomial σ ≈ 45); its error from the covariance by the delta method
    A, t = fit.params[0], fit.params[1]
    g = np.array([t, A]) / DT
    sig_err = math.sqrt(g @ fit.covariance[:2, :2] @ g)
    n_signal = n - round(0.01 * n)
    assert abs(fit.signal_counts - n_signal) < 4 * math.hypot(sig_err, 45)
    # a single-pulse tail fit gets τ right (same shape after t0) but inflates the amplitude
    # by the periodic factor 1/(1 - e^{-P/τ}) = 1.157
    tail = lt.fit_lifetime(h, periodic=False)
    assert tail.signal_counts / fit.signal_counts == pytest.approx(1 / (1 - math.exp(-period / tau)), rel=0.03)


def test_fixed_background_and_user_t0():
    rng = np.random.default_rng(20)
    n = 200_000
    nt = simulate_nanotimes(rng, n, 5.0)
    true_bg = 0.01 * n / 12500
    fit = lt.fit_lifetime(histogram(nt), background=true_bg)
    assert fit.background_fixed and np.isnan(fit.background_err) and fit.background_per_bin == true_bg
    assert abs(fit.tau_ns - 5.0) < 4 * fit.tau_err_ns
    assert fit.param_names == ("amplitude1", "tau1_ns") and fit.covariance.shape == (2, 2)
    free = lt.fit_lifetime(histogram(nt))
    assert fit.tau_err_ns < free.tau_err_ns  # knowing the background can only help
    h = lt.decay_histogram(chunk_of(nt), info=info_t3(), t0=21.0)
    assert h.t0_method == "user" and h.t0_ns == 21.0
    assert lt.fit_lifetime(h).window_ns[0] == pytest.approx(22.0)
    hp = lt.decay_histogram(chunk_of(nt), info=info_t3(), t0="peak")
    assert hp.t0_method == "peak" and abs(hp.t0_ns - T0) < 0.3


# ====================================================================== per-bin lifetimes
def truncated_exponential(rng, shape, tau, w):
    u = rng.random(shape)
    return -tau * np.log1p(-u * -np.expm1(-w / tau))


def test_truncation_corrected_lifetime_is_unbiased_and_plain_mean_is_low():
    rng = np.random.default_rng(14)
    tau, w, n_bins, n = 10.0, 30.0, 4000, 500
    d = truncated_exponential(rng, (n_bins, n), tau, w)
    mean = lt.mean_delay_lifetime(d.sum(axis=1), np.full(n_bins, n))
    # theory: the mean of the truncated exponential is τ - W/(e^{W/τ} - 1) = 8.428 ns;
    # the grand mean of 2e6 delays has σ ≈ 7.1/sqrt(2e6) = 0.005 ns
    expect = tau - w / math.expm1(w / tau)
    assert abs(mean.mean() - expect) < 5 * 0.005
    assert expect < tau - 1.5
    corr = lt.truncation_corrected_lifetime(mean, w)
    # unbiased to within 1 % over many bins: the O(1/n) bias at n = 500 is 0.26 % and the
    # statistical σ of the mean over 4000 bins is 0.1 %
    assert np.isfinite(corr).all()
    assert abs(corr.mean() / tau - 1) < 0.01
    # the per-bin MLE without background is the same estimator
    np.testing.assert_allclose(lt.per_bin_mle_lifetime(d.sum(axis=1), np.full(n_bins, n), w), corr)


def test_truncation_corrected_small_sample_bias_follows_first_order_theory():
    # bias ≈ τ²|μ''|/(2 μ'² n) with μ(τ) = τ - W/(e^{W/τ} - 1); for W = 3τ, n = 50: +2.57 %
    tau, w, n, n_bins = 10.0, 30.0, 50, 40000
    x = w / tau
    e = math.exp(x)
    mu1 = 1 - x * x * e / (e - 1) ** 2
    mu2 = x * e / (e - 1) ** 2 * (2 + x - 2 * x * e / (e - 1)) * x / tau
    theory = -0.5 * mu2 * tau ** 2 / (mu1 ** 2 * n) / tau
    d = truncated_exponential(np.random.default_rng(21), (n_bins, n), tau, w)
    bias = np.nanmean(lt.truncation_corrected_lifetime(d.mean(axis=1), w)) / tau - 1
    # statistical σ 0.11 %; second-order terms ~10 % of the bias at n = 50
    assert theory == pytest.approx(0.0257, abs=5e-4)
    assert bias == pytest.approx(theory, rel=0.25)


def test_per_bin_mle_removes_known_background_and_nan_rules():
    rng = np.random.default_rng(15)
    tau, w, n_bins, n_sig, n_bg = 10.0, 30.0, 2000, 200, 50
    d_sig = truncated_exponential(rng, (n_bins, n_sig), tau, w)
    d_bg = rng.uniform(0.0, w, (n_bins, n_bg))
    s = d_sig.sum(axis=1) + d_bg.sum(axis=1)
    cnt = np.full(n_bins, n_sig + n_bg)
    with_bg = lt.per_bin_mle_lifetime(s, cnt, w, background_counts=n_bg)
    # moment-corrected: consistent; over 2000 bins within 2 % (statistical σ ≈ 0.3 %)
    assert abs(np.nanmean(with_bg) / tau - 1) < 0.02
    ignored = lt.truncation_corrected_lifetime(lt.mean_delay_lifetime(s, cnt), w)
    assert np.nanmean(ignored) > 1.1 * tau  # uniform background pulls the mean towards W/2
    # NaN rules: too few photons, no signal left, mean >= W/2
    out = lt.per_bin_mle_lifetime(np.array([50.0, 100.0, 300.0]), np.array([10, 25, 25]), 20.0,
                                  background_counts=np.array([0, 30, 0]))
    assert np.all(np.isnan(out))
    assert np.isnan(lt.mean_delay_lifetime(np.array([100.0]), np.array([19]))).all()
    assert np.isfinite(lt.mean_delay_lifetime(np.array([100.0]), np.array([20]))).all()


def test_lifetime_window_and_background_per_trace_bin():
    h = histogram(simulate_nanotimes(np.random.default_rng(16), 100_000, 5.0))
    assert lt.lifetime_window_ns(h) == pytest.approx(PERIOD - h.t0_ns - 2.0)
    b = lt.per_bin_background_counts(h, 100.0, bin_width_s=0.01, duration_s=10.0)
    assert b == pytest.approx(h.background_per_bin / DT * 100.0 / 1000.0)


# ============================================================================== alignment
def test_two_detectors_with_a_delay_are_aligned():
    rng = np.random.default_rng(17)
    n = 300_000
    nt0 = simulate_nanotimes(rng, n, 5.0)
    nt1 = simulate_nanotimes(rng, n // 2, 5.0, t0=T0 + 1.3)  # detector 1 lags by 1.3 ns
    nt = np.concatenate([nt0, nt1])
    det = np.r_[np.zeros(nt0.size, np.uint8), np.ones(nt1.size, np.uint8)]
    h = lt.decay_histogram(chunk_of(nt, det), info=info_t3())
    assert h.reference_detector == 0 and h.delays_from == "estimated"
    assert abs(h.detector_delays_ns[1] - 1.3) < DT  # within one bin
    assert h.detector_shifts_bins[1] == -round(1.3 / DT)
    # the aligned sum rises where each detector does, and fits to τ
    assert abs(h.t0_ns - T0) < 0.1
    assert abs(lt.estimate_t0(np.roll(h.counts[1], h.detector_shifts_bins[1]), DT) - h.t0_ns) < 2 * DT
    fit = lt.fit_lifetime(h)
    assert abs(fit.tau_ns - 5.0) < 4 * fit.tau_err_ns
    # a detector's own fit uses its own rise
    assert lt.fit_lifetime(h, detector=1).t0_ns == pytest.approx(h.t0_ns + 1.3, abs=DT)
    # user delays override the estimate
    hu = lt.decay_histogram(chunk_of(nt, det), info=info_t3(), detector_delays_ns={1: 1.0})
    assert hu.delays_from == "user" and hu.detector_shifts_bins[1] == -round(1.0 / DT)
    # no alignment: plain sum
    hn = lt.decay_histogram(chunk_of(nt, det), info=info_t3(), align=False)
    np.testing.assert_array_equal(hn.summed, hn.counts.sum(axis=0))


def test_flat_histograms_are_not_aligned():
    rng = np.random.default_rng(18)
    nt = rng.integers(0, 12500, 100_000)
    det = rng.integers(0, 2, nt.size).astype(np.uint8)
    h = lt.decay_histogram(chunk_of(nt, det), info=info_t3())
    assert h.delays_from == "none" and np.all(h.detector_shifts_bins == 0)


# ================================================================================ results
def test_results_are_json_safe_and_readable():
    h = histogram(simulate_nanotimes(np.random.default_rng(19), 50_000, 5.0))
    fit = lt.fit_lifetime(h)
    for r in (h, fit):
        json.dumps(r.to_dict(), allow_nan=False)
        json.dumps(r.to_row(), allow_nan=False)
    row = fit.to_row()
    assert row["tau_ns"] == pytest.approx(fit.tau_ns) and row["tau2_ns"] is None
    assert "tau_ns=" in repr(fit) and "mono" in repr(fit) and len(repr(fit)) < 400
    assert "DecayHistogram(" in repr(h)


def test_lifetime_fit_follows_the_fit_result_convention():
    from tttr.fit_result import FitResult

    rng = np.random.default_rng(23)
    h = histogram(simulate_nanotimes(rng, 200_000, [24.7, 5.0], [0.5, 0.5]))
    for model in ("mono", "bi"):
        fit = lt.fit_lifetime(h, model=model)
        assert isinstance(fit, FitResult)
        values, errors = fit.fit_values(), fit.fit_errors()
        assert list(values) == list(errors)  # one error per value, same keys
        tau_key = "tau_ns" if model == "mono" else "tau1_ns"
        assert values[tau_key] == getattr(fit, tau_key)
        assert errors[tau_key] == getattr(fit, tau_key.replace("_ns", "_err_ns"))
        assert fit.fit_statistics()["dof"] == fit.dof and fit.fit_statistics()["n"] == fit.n_photons_window
        text = fit.report()
        assert f"{model}-exponential" in fit.fit_model() and fit.fit_model() in text
        line = next(x for x in text.splitlines() if x.split() and x.split()[0] == tau_key)
        assert f"{values[tau_key]:.6g} +/- {errors[tau_key]:.6g}" in line
        # the fixed t0 of a tail fit has no error: no "+/-" on its line
        assert "+/-" not in next(x for x in text.splitlines() if x.split() and x.split()[0] == "t0_ns")
    # the mixin adds no field: the JSON keys are the dataclass fields
    assert set(fit.to_dict()) == {f.name for f in dataclasses.fields(fit)}


def test_decay_lifetime_fits_the_merged_decay_as_analyze_does():
    from tttr.pipeline import rebinned_decay

    rng = np.random.default_rng(29)
    nt = simulate_nanotimes(rng, 100_000, 5.0)
    hist, fit = lt.decay_lifetime(chunk_of(nt), info=info_t3(), model="mono")
    merged = hist.rebinned()
    k = -(-hist.n_bins // 1024)  # bins merged: ceil(12 500 / 1024) = 13
    assert merged.n_bins == hist.n_bins // k and merged.bin_width_ns == pytest.approx(k * DT)
    assert merged.summed.sum() == hist.summed[: merged.n_bins * k].sum() and merged.t0_ns == hist.t0_ns
    # the same merged decay as the pipeline's, hence the same fit as `tttr analyze`
    assert np.array_equal(rebinned_decay(hist).summed, merged.summed)
    assert fit.tau_ns == lt.fit_lifetime(rebinned_decay(hist), model="mono").tau_ns
    assert hist.rebinned(max_bins=hist.n_bins) is hist


def test_lifetime_command_takes_a_sync_rate(tmp_path):
    from click.testing import CliRunner
    from tttr_cli.main import cli

    sample = SAMPLES / "sim_auger.ptu"
    res = CliRunner().invoke(cli, ["lifetime", str(sample), "--sync-rate", "5e6", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    hist, fit = lt.decay_lifetime(str(sample), sync_rate_hz=5e6)
    assert out["tau_ns"] == pytest.approx(fit.tau_ns, rel=1e-12) and out["n_photons"] == hist.n_photons


def test_real_file_keeps_every_photon(real):
    import warnings

    import tttr

    path = real("pq_hydraharp_v1_8ch_symphotime.ht3")  # nanotimes run past TCSPC_num_bins
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stream = tttr.open(path)
        n = len(stream.read())
        h = lt.decay_histogram(stream, chunk_records=50_000)
    assert h.n_bins > stream.info.tcspc_num_bins
    assert h.counts.sum() == n and h.n_overflow == 0
    fit = lt.fit_lifetime(h, detector=0)
    assert fit.success and 1.0 < fit.tau_ns < 10.0
