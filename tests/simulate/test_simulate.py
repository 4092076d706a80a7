"""The photon-stream simulator against its own theory, its kernels against plain twins.

Statistical tolerances are 4 standard errors of the estimator (the formula is in a
comment at each assertion); the seeds are fixed, so the tests are deterministic, and a
4-sigma bound would fail by chance about once in 16 000 independent checks.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import integrate, special

import tttr
from tttr.simulate import (
    SOURCE_BACKGROUND,
    SOURCE_BIEXCITON,
    SOURCE_CASCADE_EXCITON,
    SOURCE_EXCITON,
    SimulatedStream,
    SimulationConfig,
    dwell_times,
    emitter_states,
    simulate_photons,
    simulate_to_file,
    truth_path,
)

# --------------------------------------------------------------------------------------
# emitter models and parameters
# --------------------------------------------------------------------------------------


def test_default_auger_states_match_seed_001():
    s = emitter_states(SimulationConfig(model="auger"))
    assert [x.name for x in s] == ["exciton", "trion"]
    assert (s[0].intensity_counts_per_10ms, s[0].lifetime_ns) == (760.0, 24.7)
    assert (s[1].intensity_counts_per_10ms, s[1].lifetime_ns) == (280.0, 5.0)
    beta = s[1].radiative_rate_per_ns / s[0].radiative_rate_per_ns
    assert beta == pytest.approx(280 * 24.7 / (760 * 5.0)) and round(beta, 2) == 1.82
    # without I2 the trion radiates at exactly 2 k_r
    s2 = emitter_states(SimulationConfig(model="auger", trion_intensity_counts_per_10ms=None))
    assert s2[1].radiative_rate_per_ns / s2[0].radiative_rate_per_ns == pytest.approx(2.0)


def test_bc_and_mixed_states_keep_radiative_rates():
    bc = emitter_states(SimulationConfig(model="bc"))
    kr = {round(x.radiative_rate_per_ns, 12) for x in bc}
    assert len(kr) == 1  # Eq. 2: I = tau / tau_r, one k_r for every level
    for x in bc:
        assert x.intensity_counts_per_10ms == pytest.approx(760 * x.lifetime_ns / 24.7)
    mixed = emitter_states(SimulationConfig(model="mixed"))
    assert len(mixed) == 2 * (1 + 3)
    for charged in (False, True):
        branch = [x for x in mixed if x.charged == charged]
        assert len({round(x.radiative_rate_per_ns, 12) for x in branch}) == 1
    # a trap adds the same non-radiative rate to exciton and trion
    for i in (1, 2, 3):
        x = next(m for m in mixed if not m.charged and m.trap_level == i)
        t = next(m for m in mixed if m.charged and m.trap_level == i)
        assert 1 / x.lifetime_ns - 1 / 24.7 == pytest.approx(1 / t.lifetime_ns - 1 / 5.0)


@pytest.mark.parametrize("bad", [
    dict(model="blinky"),
    dict(mode="t3", excitation="cw"),
    dict(exciton_intensity_counts_per_10ms=5000.0),  # QY > 1
    dict(alpha_on=0.9),  # pure power law needs alpha > 1
    dict(model="bc", bc_level_lifetimes_ns=(30.0,)),  # a BC level longer than tau1
    dict(dead_time_ns=(1.0,)),
    dict(nanotimes_unit_s=1e-12),  # 200 000 bins do not fit uint16
])
def test_bad_parameters_are_refused(bad):
    with pytest.raises(ValueError):
        SimulationConfig(**bad)


def test_config_round_trips_through_json():
    c = SimulationConfig(model="mixed", seed=3)
    assert SimulationConfig(**json.loads(json.dumps(c.to_dict()))) == c


# --------------------------------------------------------------------------------------
# dwell-time laws
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("alpha", [1.5, 2.3])
def test_power_law_exponent_by_mle(alpha):
    t = dwell_times("power_law", 20_000, alpha=alpha, t_min_s=1e-3, seed=10)
    assert t.min() >= 1e-3
    a_hat = 1 + t.size / np.log(t / 1e-3).sum()
    # continuous power-law MLE, standard error (alpha - 1) / sqrt(n)
    assert abs(a_hat - alpha) < 4 * (a_hat - 1) / math.sqrt(t.size)


@pytest.mark.parametrize("alpha", [1.5, 0.7])
def test_truncated_power_law_moments(alpha):
    t_min, tc = 1e-3, 0.05
    t = dwell_times("truncated_power_law", 20_000, alpha=alpha, t_min_s=t_min, truncation_s=tc, seed=11)
    assert t.min() >= t_min

    def moment(g):
        f = lambda x: x ** -alpha * math.exp(-x / tc)  # noqa: E731
        z = integrate.quad(f, t_min, 60 * tc, limit=200, points=[tc])[0]
        return integrate.quad(lambda x: g(x) * f(x), t_min, 60 * tc, limit=200, points=[tc])[0] / z

    for g, sample in ((lambda x: x, t), (math.log, np.log(t))):
        # sample mean vs the law's mean; standard error = sample std / sqrt(n)
        assert abs(sample.mean() - moment(g)) < 4 * sample.std() / math.sqrt(t.size)


def test_exponential_dwell_mean():
    t = dwell_times("exponential", 20_000, mean_s=0.03, seed=12)
    assert abs(t.mean() - 0.03) < 4 * 0.03 / math.sqrt(t.size)  # SE of the mean = mean / sqrt(n)


# --------------------------------------------------------------------------------------
# photons against theory
# --------------------------------------------------------------------------------------

FAST_SWITCHING = dict(dwell_law_on="exponential", dwell_law_off="exponential", mean_dwell_on_s=0.03,
                      mean_dwell_off_s=0.03)


@pytest.fixture(scope="module", params=["nonblinking", "auger", "bc", "mixed"])
def model_run(request):
    return simulate_photons(model=request.param, duration_s=8.0, seed=21, **FAST_SWITCHING)


def test_lifetime_per_state_by_mle(model_run):
    lab, truth = model_run.labels, model_run.truth
    checked = 0
    for st in truth["states"]:
        d = lab.delay_ns[(lab.state == st["index"]) & (lab.source == SOURCE_EXCITON)]
        if d.size < 200:
            continue
        tau_hat = d.mean()  # exponential MLE; SE = tau / sqrt(n)
        assert abs(tau_hat - st["lifetime_ns"]) < 4 * st["lifetime_ns"] / math.sqrt(d.size), st["name"]
        checked += 1
    assert checked >= 1
    # biexciton photons decay with tau_BX = r tau / 4
    d = lab.delay_ns[(lab.state == 0) & (lab.source == SOURCE_BIEXCITON)]
    tbx = truth["states"][0]["biexciton_lifetime_ns"]
    assert abs(d.mean() - tbx) < 4 * tbx / math.sqrt(d.size)


def test_rate_per_state(model_run):
    lab, truth = model_run.labels, model_run.truth
    signal = lab.source != SOURCE_BACKGROUND
    for st in truth["states"]:
        expected = (st["intensity_counts_per_10ms"] / 0.01 - st["dead_time_loss_cps"]) * st["time_s"]
        if expected < 100:
            continue
        n = np.sum(signal & (lab.state == st["index"]))
        # photon counts are (sub-)Poisson given the state times: 4 sigma = 4 sqrt(expected)
        assert abs(n - expected) < 4 * math.sqrt(expected), st["name"]
    bg = truth["acquisition"]["background_cps_per_detector"]
    for d in (0, 1):
        n_bg = np.sum((lab.source == SOURCE_BACKGROUND) & (model_run.photons.detectors == d))
        exp_bg = bg[d] * truth["acquisition"]["duration_s"]
        assert abs(n_bg - exp_bg) < 4 * math.sqrt(exp_bg)


def test_t3_timestamps_and_nanotimes_follow_the_wrap_rule(model_run):
    ph, lab, cfg = model_run.photons, model_run.labels, model_run.config
    sig = lab.source != SOURCE_BACKGROUND
    period_ns, bin_ns = cfg.period_s * 1e9, cfg.nanotimes_unit_s * 1e9
    recorded = ph.timestamps[sig] * period_ns + ph.nanotimes[sig] * bin_ns
    expected = lab.pulse[sig] * period_ns + lab.delay_ns[sig] + np.array(cfg.detector_delays_ns)[ph.detectors[sig]]
    sigma = cfg.irf_fwhm_ns / 2.3548
    # recorded = expected + jitter (clipped at 8 sigma), floored to the TCSPC bin
    assert np.all(np.abs(recorded - expected) <= 8 * sigma + bin_ns + 1e-6)
    assert ph.nanotimes.max() < model_run.info.tcspc_num_bins
    late = lab.delay_ns[sig] + np.array(cfg.detector_delays_ns)[ph.detectors[sig]] > period_ns
    assert np.all(ph.timestamps[sig][late] > lab.pulse[sig][late])  # late photons wrap into later syncs
    assert np.all(np.diff(ph.timestamps) >= 0)


def test_dwell_exponent_of_the_drawn_trajectory():
    # alpha > 2 (finite mean) so that 20 s hold thousands of dwells; alpha = 1.5 is checked above
    alpha = {"on": 2.5, "off": 3.0}
    run = simulate_photons(model="auger", duration_s=20.0, seed=5, alpha_on=alpha["on"], alpha_off=alpha["off"],
                           labels=False)
    for side in ("on", "off"):
        d = run.truth["dwell"]["processes"]["charge"][side]
        # continuous power-law MLE on the drawn durations; SE = (alpha - 1) / sqrt(n)
        assert d["n_drawn"] > 1000
        assert abs(d["alpha_mle_drawn"] - alpha[side]) < 4 * d["alpha_mle_drawn_se"]
    dw = run.truth["dwell"]
    assert abs(dw["n_on_dwells"] - dw["n_off_dwells"]) <= 1  # alternating complete dwells


@pytest.mark.parametrize("kw", [dict(model="auger", seed=7), dict(model="mixed", seed=8),
                                dict(model="bc", mode="t2", excitation="cw", seed=9)])
def test_switch_times_are_the_state_changes(kw):
    run = simulate_photons(duration_s=5.0, **kw)
    t, s = run.switch_times_s, run.state_sequence
    end = run.truth["acquisition"]["duration_s"]
    assert t[0] == 0 and np.all(np.diff(t) > 0) and t[-1] < end and len(t) > 20
    assert np.all(s[1:] != s[:-1])
    dur = np.diff(np.append(t, end))
    per_state = np.bincount(s, weights=dur, minlength=len(run.truth["states"]))
    time_s = np.array([st["time_s"] for st in run.truth["states"]])
    if run.config.pulsed:
        # the truth counts whole pulses per state: each stretch is off by less than one period
        n_stretches = np.bincount(s, minlength=time_s.size)
        assert np.all(np.abs(per_state - time_s) <= (n_stretches + 1) * run.config.period_s)
        # every signal photon carries the state of the stretch its pulse falls in
        sig = run.labels.state >= 0
        k = np.searchsorted(t, run.labels.pulse[sig] * run.config.period_s, side="right") - 1
        assert np.array_equal(s[k], run.labels.state[sig])
    else:
        assert per_state == pytest.approx(time_s, rel=1e-9, abs=1e-12)  # CW: the truth sums the same seconds
    # complete ON dwells (not the first, from t = 0, nor the last, cut by the end) are the truth's
    on = np.flatnonzero(s == 0)
    inner = on[(on > 0) & (on < s.size - 1)]
    assert inner.size == run.truth["dwell"]["n_on_dwells"]
    assert dur[inner].mean() == pytest.approx(run.truth["dwell"]["mean_on_dwell_s"], rel=1e-9)


def test_trajectory_is_optional_and_does_not_change_the_run():
    kept = SimulatedStream(model="auger", duration_s=1.0, seed=4)
    with pytest.raises(RuntimeError):
        kept.record
    n_kept = sum(len(c) for c in kept.chunks())
    bare = SimulatedStream(model="auger", duration_s=1.0, seed=4, keep_trajectory=False)
    n_bare = sum(len(c) for c in bare.chunks())
    assert bare.trajectory is None and len(kept.trajectory) > 1
    assert n_kept == n_bare and json.dumps(kept.truth()) == json.dumps(bare.truth())
    assert kept.trajectory.durations_s.sum() == pytest.approx(kept.t_end_s, rel=1e-12)


def coincidences(t_a, t_b, lo, hi):
    """Number of pairs with t_b - t_a in [lo, hi) (both arrays sorted)."""
    return int((np.searchsorted(t_b, t_a + hi, "left") - np.searchsorted(t_b, t_a + lo, "left")).sum())


@pytest.fixture(scope="module")
def nonblinking_run():
    return simulate_photons(model="nonblinking", duration_s=60.0, seed=31)


def test_g2_zero_of_the_recorded_photons(nonblinking_run):
    ph, cfg, truth = nonblinking_run.photons, nonblinking_run.config, nonblinking_run.truth
    p_ns = cfg.period_s * 1e9
    t = ph.timestamps * p_ns + ph.nanotimes * cfg.nanotimes_unit_s * 1e9
    t_a, t_b = t[ph.detectors == 0], t[ph.detectors == 1]
    delta = cfg.detector_delays_ns[1] - cfg.detector_delays_ns[0]
    area = {k: coincidences(t_a, t_b, k * p_ns - p_ns / 2 + delta, k * p_ns + p_ns / 2 + delta) for k in (-1, 0, 1)}
    side = (area[-1] + area[1]) / 2
    g2 = area[0] / side
    # Poisson counts: relative SE of a ratio = sqrt(1/C0 + 1/(C-1 + C+1))
    se = g2 * math.sqrt(1 / area[0] + 1 / (area[-1] + area[1]))
    assert abs(g2 - truth["g2"]["g2_0"]) < 4 * se
    assert abs(side - truth["g2"]["side_peak_area_expected"]) < 4 * math.sqrt(side)
    assert truth["g2"]["g2_0"] > truth["g2"]["g2_0_signal_only"] > 0  # background raises g2(0)


def test_g2_zero_of_photon_pairs_by_pulse(nonblinking_run):
    ph, lab, truth = nonblinking_run.photons, nonblinking_run.labels, nonblinking_run.truth
    sig = lab.source != SOURCE_BACKGROUND
    pa = np.sort(lab.pulse[sig & (ph.detectors == 0)])
    pb = np.sort(lab.pulse[sig & (ph.detectors == 1)])
    same = coincidences(pa, pb, 0, 1)
    side = (coincidences(pa, pb, -1, 0) + coincidences(pa, pb, 1, 2)) / 2
    g2 = same / side
    se = g2 * math.sqrt(1 / same + 1 / (2 * side))  # as above
    assert abs(g2 - truth["g2"]["g2_0_pulse_resolved_signal"]) < 4 * se


def counts_per_bin(photons, cfg, bin_s=0.01):
    unit = cfg.period_s if cfg.mode == "t3" else cfg.t2_timestamps_unit_s
    per_bin = int(round(bin_s / unit))
    n_bins = int(photons.timestamps[-1] // per_bin) if len(photons) else 0
    return np.bincount(photons.timestamps // per_bin, minlength=n_bins)


def q_standard_error(lam_b):
    """SE of the sample Q given the bins' expected counts (conditional variance ~ mean).

    Var(s^2) = sum(4 (lam_b - mean)^2 v_b + 2 v_b^2) / M^2 and the mean's own noise
    (v / M), propagated through s^2 / mean.
    """
    m = lam_b.size
    mean = lam_b.mean()
    s2 = lam_b.var() + mean
    var_s2 = (4 * (lam_b - mean) ** 2 * lam_b + 2 * lam_b ** 2).sum() / m ** 2
    return math.sqrt(var_s2 / mean ** 2 + (s2 / mean ** 2) ** 2 * mean / m)


def test_mandel_q_of_the_nonblinking_emitter(nonblinking_run):
    n = counts_per_bin(nonblinking_run.photons, nonblinking_run.config)
    lam = nonblinking_run.expected_counts_per_bin
    n = n[: lam.size]
    q_hat = n.var() / n.mean() - 1
    q_true = nonblinking_run.truth["mandel_q"]["realized"]
    se = q_standard_error(lam)  # ~ sqrt(2 / M) for Poisson-like counts
    assert -0.03 < q_true < 0  # antibunching and dead time: slightly sub-Poissonian
    assert q_true == pytest.approx(nonblinking_run.truth["mandel_q"]["ensemble"], abs=1e-9)
    assert abs(q_hat - q_true) < 4 * se
    assert abs(q_hat) < 4 * se + abs(q_true)  # Poisson within its error


def test_mandel_q_antibunching_at_high_photon_number_per_pulse():
    # 1 MHz, <N> = 1: 0.076 detected photons per pulse -> Q ~ -0.07 (binomial, not Poisson)
    run = simulate_photons(model="nonblinking", duration_s=40.0, seed=32, repetition_rate_hz=1e6,
                           mean_excitons_per_pulse=1.0, background_cps=0.0, dark_counts_cps=(0, 0), labels=False)
    n = counts_per_bin(run.photons, run.config)[: run.expected_counts_per_bin.size]
    q_true = run.truth["mandel_q"]["realized"]
    assert q_true < -0.05
    assert abs(n.var() / n.mean() - 1 - q_true) < 4 * q_standard_error(run.expected_counts_per_bin)


def test_blinking_q_and_on_fraction_match_the_trajectory():
    run = simulate_photons(model="auger", duration_s=30.0, seed=41, labels=False)
    lam = run.expected_counts_per_bin
    n = counts_per_bin(run.photons, run.config)[: lam.size]
    q_true = run.truth["mandel_q"]["realized"]
    assert q_true > 5  # blinking: super-Poissonian
    assert abs(n.var() / n.mean() - 1 - q_true) < 4 * q_standard_error(lam)
    # ON bins: the noise-free threshold applied to the noisy counts misclassifies a bin with
    # probability Phi(-|lam - thr| / sqrt(lam)); bound the mismatches by mean + 4 sqrt(mean)
    thr = 0.5 * run.truth["states"][0]["expected_recorded_counts_per_10ms"]
    truth_on = lam >= thr
    assert truth_on.mean() == pytest.approx(run.truth["on_fraction"]["binned"])
    p_mis = special.ndtr(-np.abs(lam - thr) / np.sqrt(lam))
    mismatches = np.sum((n >= thr) != truth_on)
    assert mismatches <= p_mis.sum() + 4 * math.sqrt(p_mis.sum()) + 1


def test_cw_antibunching_and_rate():
    run = simulate_photons(model="nonblinking", excitation="cw", mode="t2", duration_s=20.0, seed=51,
                           background_cps=0.0, dark_counts_cps=(0, 0), dead_time_ns=(0, 0), irf_fwhm_ns=0.0,
                           detector_delays_ns=(0, 0))
    ph, truth = run.photons, run.truth
    rate = 760 / 0.01
    # Poisson bound on the total count (the renewal process is sub-Poissonian)
    assert abs(len(ph) - rate * 20) < 4 * math.sqrt(rate * 20)
    t = ph.timestamps * 1e-12
    t_a, t_b = t[ph.detectors == 0], t[ph.detectors == 1]
    w = 5e-9
    g = truth["g2"]["antibunching_rate_hz_per_state"][0]
    flat = len(t_a) * len(t_b) / 20.0  # pairs per unit delay for uncorrelated light
    expected = flat * 2 * (w - (1 - math.exp(-g * w)) / g)  # integral of 1 - exp(-g|tau|) over |tau| < w
    got = coincidences(t_a, t_b, -w, w)
    assert abs(got - expected) < 4 * math.sqrt(expected)  # Poisson count of pairs
    assert got < 0.3 * flat * 2 * w  # clearly antibunched
    assert truth["g2"]["g2_0"] == 0.0


# --------------------------------------------------------------------------------------
# determinism, blocks, files
# --------------------------------------------------------------------------------------


def _nearly_equal(x, y, rel=1e-9):
    if isinstance(x, dict):
        return x.keys() == y.keys() and all(_nearly_equal(x[k], y[k], rel) for k in x)
    if isinstance(x, list):
        return len(x) == len(y) and all(_nearly_equal(u, v, rel) for u, v in zip(x, y))
    if isinstance(x, float) and isinstance(y, float):
        return x == pytest.approx(y, rel=rel, abs=1e-12)
    return x == y


def _same(a, b):
    return _same_chunks(a.photons, b.photons)


def _same_chunks(pa, pb):
    return (len(pa) == len(pb) and np.array_equal(pa.timestamps, pb.timestamps)
            and np.array_equal(pa.detectors, pb.detectors)
            and (pa.nanotimes is None or np.array_equal(pa.nanotimes, pb.nanotimes)))


@pytest.mark.parametrize("kw", [
    dict(model="auger"),
    dict(model="mixed", mode="t2", dwell_law_on="truncated_power_law", dwell_law_off="exponential"),
    dict(model="bc", excitation="cw", mode="t2"),
])
def test_deterministic_and_independent_of_block_size(kw):
    a = simulate_photons(duration_s=2.5, seed=7, labels=False, **kw)
    b = simulate_photons(duration_s=2.5, seed=7, labels=False, block_duration_s=0.0371, **kw)
    c = simulate_photons(duration_s=2.5, seed=7, labels=False, **kw)
    d = simulate_photons(duration_s=2.5, seed=8, labels=False, **kw)
    assert _same(a, c) and a.truth == c.truth
    assert _same(a, b)
    ta, tb = dict(a.truth), dict(b.truth)
    ta.pop("config"), tb.pop("config")
    # counts are equal; sums accumulated block by block may differ in the last digits
    assert _nearly_equal(ta, tb)
    assert not _same(a, d)


def test_seed_none_is_recorded():
    run = simulate_photons(model="nonblinking", duration_s=0.05, labels=False)
    again = simulate_photons(model="nonblinking", duration_s=0.05, seed=run.truth["seed"], labels=False)
    assert _same(run, again)


@pytest.mark.parametrize("name,kw", [
    ("t3.ptu", dict(mode="t3")),
    ("t2.ptu", dict(mode="t2")),
    ("t3.h5", dict(mode="t3")),
    ("cw.h5", dict(mode="t2", excitation="cw")),
    ("cw.ptu", dict(mode="t2", excitation="cw")),
])
def test_files_decode_to_the_simulated_photons(tmp_path, name, kw):
    path = tmp_path / name
    truth = simulate_to_file(path, model="auger", seed=9, duration_s=1.5, **kw)
    mem = simulate_photons(model="auger", seed=9, duration_s=1.5, labels=False, **kw)
    back = tttr.read(path)
    assert _same_chunks(mem.photons, back)
    assert back.info.mode == kw["mode"].upper()
    cfg = mem.config
    if kw["mode"] == "t3":
        assert back.info.timestamps_unit_s == pytest.approx(cfg.period_s)
        assert back.info.nanotimes_unit_s == pytest.approx(cfg.nanotimes_unit_s)
    else:
        assert back.info.timestamps_unit_s == pytest.approx(cfg.t2_timestamps_unit_s)
    streamed = np.concatenate([c.timestamps for c in tttr.open(path).chunks(50_000)])
    assert np.array_equal(streamed, mem.photons.timestamps)
    on_disk = json.loads(truth_path(path).read_text())
    assert on_disk == json.loads(json.dumps(truth))
    assert truth["acquisition"]["n_photons"] == len(back)
    ref = dict(mem.truth)
    assert {k: v for k, v in truth.items() if k != "file"} == ref


def test_existing_files_are_not_overwritten_without_force(tmp_path):
    path = tmp_path / "a.ptu"
    simulate_to_file(path, model="nonblinking", seed=1, duration_s=0.1)
    before = path.read_bytes()
    with pytest.raises(FileExistsError):
        simulate_to_file(path, model="nonblinking", seed=2, duration_s=0.1)
    assert path.read_bytes() == before
    truth_path(path).unlink()
    with pytest.raises(FileExistsError):  # the data file alone also blocks
        simulate_to_file(path, model="nonblinking", seed=2, duration_s=0.1)
    simulate_to_file(path, model="nonblinking", seed=2, duration_s=0.1, force=True)
    assert path.read_bytes() != before and truth_path(path).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.ptu", "a.ptu.truth.json"]  # no temporaries


def test_stream_runs_once_and_truth_waits_for_the_end():
    sim = SimulatedStream(model="nonblinking", duration_s=0.05, seed=1)
    with pytest.raises(RuntimeError):
        sim.truth()
    n = sum(len(c) for c in sim.chunks())
    assert sim.truth()["acquisition"]["n_photons"] == n
    with pytest.raises(RuntimeError):
        next(sim.chunks())


def test_truth_holds_every_parameter_and_the_seed_001_numbers():
    run = simulate_photons(model="auger", duration_s=1.0, seed=2, labels=False)
    t = run.truth
    assert t["config"] == SimulationConfig(model="auger", duration_s=1.0, seed=2).to_dict()
    assert (t["I1_counts_per_10ms"], t["I2_counts_per_10ms"], t["tau1_ns"], t["tau2_ns"]) == (760.0, 280.0, 24.7, 5.0)
    assert t["beta"] == pytest.approx(1.82, abs=0.005)
    json.dumps(t, allow_nan=False)
    assert 0 <= t["on_fraction"]["time_weighted"] <= 1
    src = t["acquisition"]["n_photons_per_source"]
    assert sum(src.values()) == t["acquisition"]["n_photons"]
    assert SOURCE_CASCADE_EXCITON == 1 and src["cascade_exciton"] > 0


def test_ptu_t3_refuses_nanotimes_beyond_the_15_bit_field(tmp_path):
    # 1 MHz with 16 ps bins: 62 500 bins per period fit uint16 but not HydraHarp's dtime
    with pytest.raises(ValueError, match="15-bit"):
        simulate_to_file(tmp_path / "x.ptu", model="nonblinking", seed=1, duration_s=0.01, repetition_rate_hz=1e6,
                         mean_excitons_per_pulse=1.0)
    assert not any(tmp_path.iterdir())
    truth = simulate_to_file(tmp_path / "x.h5", model="nonblinking", seed=1, duration_s=0.01,
                             repetition_rate_hz=1e6, mean_excitons_per_pulse=1.0)
    assert tttr.read(tmp_path / "x.h5").nanotimes.max() < truth["acquisition"]["tcspc_num_bins"]


def test_config_argument_and_heavy_tails(tmp_path):
    base = SimulationConfig(model="bc", duration_s=0.3, alpha_on=1.02, alpha_off=1.02, t_min_on_s=1e-4)
    truth = simulate_to_file(tmp_path / "b.ptu", config=base, seed=4)
    assert truth["config"]["model"] == "bc" and truth["config"]["seed"] == 4
    assert truth["config"]["alpha_on"] == 1.02  # dwells of 10^100 s are capped, not overflowing
    assert truth["acquisition"]["n_photons"] == len(tttr.read(tmp_path / "b.ptu"))
