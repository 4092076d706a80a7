"""What ``analyze`` must not claim: dwell statistics without blinking, power laws read below
their onset, fitted quantities the instrument cannot measure.

Emitters are remade with the project's simulator; real files come from ../shared/data/real
or, when that is absent, from data/samples/real (skipped when neither has them).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special

from tttr import defaults
from tttr.analysis import sanity
from tttr.analysis.lifetime import DecayHistogram, fit_lifetime
from tttr.pipeline import analyze, rebinned_decay
from tttr.simulate import simulate_to_file

from conftest import REAL, SAMPLES


def real_or_sample(name: str):
    for p in (REAL / name, SAMPLES / "real" / name):
        if p.exists():
            return p
    pytest.skip(f"real sample {name} not available")


# ------------------------------------------------------------- no blinking, no dwell statistics
def test_poissonian_file_reports_no_blinking():
    # bh_spc150_test_noise.spc: 6 114 photons in 16 s (3.8 per 10 ms bin), Q = −0.02 ± 0.04:
    # the dispersion test does not reject one Poisson level (p ≈ 0.7)
    d = analyze(real_or_sample("bh_spc150_test_noise.spc"), fit_flid=False).to_dict()
    assert d["blinking_detected"] is False
    assert d["on_fraction"] == 1.0
    assert d["blinking_rate_hz"] is None and d["charging_rate_hz"] is None and d["power_law"] is None
    assert d["threshold_counts"] is None and d["on_fraction_windowed"] is None
    assert d["blinking_test"]["p_value"] > defaults.BLINKING_TEST_SIGNIFICANCE
    assert any("single Poisson level" in w for w in d["warnings"])


def test_simulated_nonblinking_emitter_reports_no_blinking(tmp_path):
    p = tmp_path / "nb.ptu"
    simulate_to_file(p, model="nonblinking", seed=21, duration_s=20, force=True)
    d = analyze(p, fit_flid=False).to_dict()
    assert d["blinking_detected"] is False and d["on_fraction"] == 1.0 and d["power_law"] is None


# ----------------------------------------------------------- a power law that starts at 200 ms
LATE = dict(model="auger", duration_s=600, exciton_intensity_counts_per_10ms=300, trion_intensity_counts_per_10ms=None,
            t_min_on_s=0.2, t_min_off_s=0.2)


@pytest.fixture(scope="module")
def late_pure(tmp_path_factory):
    p = tmp_path_factory.mktemp("late") / "late_pure.ptu"
    simulate_to_file(p, seed=2, force=True, dwell_law_on="power_law", dwell_law_off="power_law", alpha_on=2.0,
                     alpha_off=2.2, **LATE)
    return p


def test_power_law_from_200ms_is_read_from_its_onset(late_pure):
    # Auger emitter, pure power laws α_on 2.0 / α_off 2.2 from 200 ms (20 bins), 600 s: about
    # 300 dwells each. Read from 3 bins (the old fixed start) the exponents come out near 1.3,
    # many σ low; with the KS search t_min lands at or above the onset (the pick scatters up
    # by tens of percent when n is a few hundred) and α is within 3σ of the truth.
    r = analyze(late_pure, fit_flid=False)
    d = r.to_dict()
    assert d["blinking_detected"] is True
    fixed = analyze(late_pure, fit_flid=False, power_law_t_min_s=None, power_law_gof_draws=0,
                    truncated_gof_draws=0).to_dict()["power_law"]
    for k, alpha in (("on", 2.0), ("off", 2.2)):
        p = d["power_law"][k]
        assert p["t_min_selection"] == "auto"
        assert 0.17 <= p["t_min_s"] <= 0.5
        assert abs(p["alpha"] - alpha) < 3 * p["alpha_err"]
        # a p-value was computed with the default draws; a true power law is not rejected at 1 %
        assert p["gof_draws"] == defaults.POWERLAW_GOF_DRAWS and p["p_value"] > 0.01
        tr = p["truncated"]
        assert tr["t_min_s"] is not None and tr["gof_draws"] == defaults.TRUNCATED_GOF_DRAWS
        assert 0.0 <= tr["gof_p_value"] <= 1.0
        assert fixed[k]["alpha"] < alpha - 5 * fixed[k]["alpha_err"]


def test_truncated_law_from_200ms(tmp_path):
    # α 1.4 / 1.5 truncated at τ_c = 2 s, from 200 ms: the truncated α (its own KS search)
    # within 3σ of the truth; the p-value of the truncated law is not small
    p = tmp_path / "late_tpl.ptu"
    simulate_to_file(p, seed=1, force=True, dwell_law_on="truncated_power_law", dwell_law_off="truncated_power_law",
                     alpha_on=1.4, alpha_off=1.5, truncation_on_s=2.0, truncation_off_s=2.0, **LATE)
    d = analyze(p, fit_flid=False).to_dict()["power_law"]
    for k, alpha in (("on", 1.4), ("off", 1.5)):
        tr = d[k]["truncated"]
        assert tr["t_min_s"] >= 0.15
        assert abs(tr["alpha"] - alpha) < 3 * tr["alpha_err"]
        assert tr["gof_p_value"] > 0.01


# ----------------------------------------------------------------- sanity of fitted quantities
def test_hydraharp_fits_outside_the_instrument_range_are_flagged():
    # pq_hydraharp_v2.ht3: the bi-exponential τ2 ends at 0.02 ns (the τ search bound, far below
    # the 1 ns fit bins), region 1's lifetime is 1.3e5 ns (the laser period is 1001 ns), and β
    # is built on it
    d = analyze(real_or_sample("pq_hydraharp_v2.ht3"), fit_flid=False).to_dict()
    w = "\n".join(d["warnings"])
    assert "lifetime (bi): τ2" in w and "shorter than the instrument response" in w
    assert "ended on the bound" in w
    assert "region 1 lifetime" in w and "longer than the laser period" in w
    assert "β =" in w and "not meaningful" in w


T_NS = (np.arange(3125) + 0.5) * 0.016  # 50 ns period in 16 ps bins


def emg(tau, fwhm, t0=5.0):
    """Exponential decay convolved with a Gaussian IRF (normalised to 1)."""
    s = fwhm / 2.3548
    z = (T_NS - t0) / s - s / tau
    y = np.exp(s * s / (2 * tau * tau) - (T_NS - t0) / tau) * 0.5 * special.erfc(-z / math.sqrt(2))
    return y / y.sum()


@pytest.mark.parametrize("fwhm", [0.1, 0.5, 1.0])
def test_irf_width_from_the_rise(fwhm):
    # the 10–90 % rise of a Gaussian edge is 1.088 FWHM; 2e5 photons, 5-bin smoothing: ±25 %
    rng = np.random.default_rng(int(fwhm * 10))
    h = DecayHistogram.from_counts(rng.poisson(2e5 * emg(5.0, fwhm) + 2.0), 0.016, period_ns=50.0)
    assert sanity.irf_width_ns(h) == pytest.approx(1.088 * fwhm, rel=0.25)


def test_scatter_spike_gives_a_flagged_sub_irf_component():
    # τ = 5 ns plus laser scatter (an IRF-shaped spike, 15 % of the photons): the
    # bi-exponential takes the spike as a "lifetime" far below the IRF: flagged; the clean
    # mono-exponential is not
    rng = np.random.default_rng(7)
    g = np.exp(-0.5 * ((T_NS - 5.0) / (0.3 / 2.3548)) ** 2)
    h = DecayHistogram.from_counts(rng.poisson(2e5 * emg(5.0, 0.3) + 3e4 * g / g.sum() + 2.0), 0.016, period_ns=50.0)
    lo, hi = sanity.lifetime_range_ns(h)
    assert hi == 50.0 and 0.2 < lo < 0.5
    bi = fit_lifetime(rebinned_decay(h), model="bi")
    assert any("shorter than the instrument response" in w for w in sanity.lifetime_warnings("bi", bi, lo, hi))
    clean = DecayHistogram.from_counts(rng.poisson(2e5 * emg(5.0, 0.3) + 2.0), 0.016, period_ns=50.0)
    mono = fit_lifetime(rebinned_decay(clean), model="mono")
    assert sanity.lifetime_warnings("mono", mono, *sanity.lifetime_range_ns(clean)) == []


def test_lifetime_longer_than_the_period_is_flagged():
    # a nearly flat decay (τ = 1 µs in a 50 ns period): the fitted τ exceeds the period
    rng = np.random.default_rng(8)
    h = DecayHistogram.from_counts(rng.poisson(2e5 * emg(1000.0, 0.3) + 1.0), 0.016, period_ns=50.0)
    f = fit_lifetime(rebinned_decay(h), model="mono")
    w = sanity.lifetime_warnings("mono", f, *sanity.lifetime_range_ns(h))
    assert f.tau_ns > 50.0 and any("longer than the laser period" in x for x in w)


def test_beta_and_tau_c_checks():
    assert sanity.beta_warnings(1.8, False) == []
    assert "outside" in sanity.beta_warnings(1e-5, False)[0]
    assert "not meaningful" in sanity.beta_warnings(1.8, True)[0]
    assert sanity.beta_warnings(float("nan"), True) == []

    class Tr:
        tau_c_s = 0.004

    assert "shorter than one trace bin" in sanity.power_law_warnings("power law on", Tr, 0.01, 60.0)[0]
    Tr.tau_c_s = 100.0
    assert "longer than the measurement" in sanity.power_law_warnings("power law on", Tr, 0.01, 60.0)[0]
    Tr.tau_c_s = 1.0
    assert sanity.power_law_warnings("power law on", Tr, 0.01, 60.0) == []


# ---------------------------------------------------------------- the report's composed summary
def _attributes(cls) -> set:
    """Fields and properties of a result class (what ``getattr`` may read)."""
    import dataclasses

    return {f.name for f in dataclasses.fields(cls)} | {k for k in dir(cls) if isinstance(getattr(cls, k), property)}


def test_summary_keys_name_attributes_of_their_result():
    # a result whose summary lists its keys by name must own each of them: a field renamed
    # without its summary would otherwise read as a missing value (None) in every report
    from tttr.analysis.lifetime import LifetimeFit
    from tttr.analysis.powerlaw import PowerLawFit, TruncatedPowerLawFit

    for cls, keys in ((PowerLawFit, PowerLawFit.SUMMARY_KEYS), (TruncatedPowerLawFit, TruncatedPowerLawFit.SUMMARY_KEYS),
                      (LifetimeFit, LifetimeFit.SUMMARY_KEYS["mono"] + LifetimeFit.SUMMARY_KEYS["bi"])):
        missing = set(keys) - _attributes(cls)
        assert not missing, (cls.__name__, missing)


def test_report_sections_keep_their_keys_when_a_result_is_missing():
    from tttr.analysis.blinking import BlinkingStats, blinking_statistics, single_level_test
    from tttr.analysis.powerlaw import PowerLawFit, TruncatedPowerLawFit
    from tttr.pipeline import Report

    base = dict(file="x", format="sim", mode="t3", duration_s=1.0, n_photons=0, count_rate_cps=0.0, bin_width_s=0.01)
    d = Report(**base).to_dict()
    # nothing computed: every top-level blinking key is there, null (no test, so no ON fraction 1)
    assert all(d[k] is None for k in BlinkingStats.SUMMARY_KEYS)
    assert d["power_law"] is None and d["lifetime"] is None and d["g2"] is None and d["flid"] is None
    # two levels (20 and 2 counts per bin, alternating every 50 bins) blink beyond doubt; both
    # power-law fits failed: each state keeps its section's keys, all null
    counts = np.tile(np.r_[np.full(50, 20), np.full(50, 2)], 20)
    st = blinking_statistics(counts, bin_width_s=0.01)
    level = single_level_test(counts)
    assert level.blinking_detected is True
    d = Report(**base, blinking=st, blinking_test=level, power_law={"on": (None, None)}).to_dict()
    assert d["on_fraction"] == pytest.approx(0.5) and d["blinking_test"]["dof"] == counts.size - 1
    for state in ("on", "off"):
        pl = d["power_law"][state]
        assert set(pl) == set(PowerLawFit.SUMMARY_KEYS) | {"truncated"}
        assert set(pl["truncated"]) == set(TruncatedPowerLawFit.SUMMARY_KEYS)
        assert all(pl[k] is None for k in PowerLawFit.SUMMARY_KEYS)
        assert all(v is None for v in pl["truncated"].values())


def test_a_failed_threshold_keeps_the_level_test_and_says_why():
    from tttr.analysis.dwell_fits import blinking_analysis

    counts = np.tile(np.r_[np.full(50, 20), np.full(50, 2)], 20)  # two levels, 20 and 2 counts per bin
    res = blinking_analysis(counts, bin_width_s=0.01, duration_s=counts.size * 0.01, method="absolute")  # no value
    assert res.blinking_detected is True and res.statistics is None and res.power_law == {}
    assert len(res.warnings) == 1 and res.warnings[0].startswith("blinking: ") and "value" in res.warnings[0]
    assert res.mandel_q.q == pytest.approx(81 * 2000 / 1999 / 11 - 1)  # Q = s²/mean − 1, s² = 81·N/(N−1)
