"""Level-resolved analyses (tttr.analysis.level_analyses): dwells, ON fraction, β, level FLID, gate."""

from types import SimpleNamespace

import numpy as np
import pytest

from tttr.analysis import level_analyses as la
from tttr.analysis.level_groups import LevelGroups, group_levels
from tttr.errors import AnalysisError

from test_level_groups import make_levels


def fixed_groups(group, intensity, tau=None, time=None):
    """A LevelGroups with given values (no clustering), for exact checks."""
    g = np.asarray(group)
    G = len(intensity)
    tau = np.full(G, np.nan) if tau is None else np.asarray(tau, float)
    time = np.ones(G) if time is None else np.asarray(time, float)
    z = np.zeros(G)
    return LevelGroups(G, g, np.asarray(intensity, float), z + 1.0, tau, z + 0.1, time,
                       np.bincount(g, minlength=G), np.bincount(g, minlength=G) * 100, z, z, z.astype(int))


def test_dwells_merge_consecutive_levels_of_one_class():
    # levels: ON ON OFF ON OFF OFF ON ON (groups 2 2 0 1 0 0 2 1); groups 1 and 2 are ON
    dur = np.array([1.0, 2.0, 0.5, 3.0, 0.25, 0.75, 4.0, 1.5])
    start = np.concatenate([[0.0], np.cumsum(dur)[:-1]])
    lv = SimpleNamespace(start_s=start, end_s=start + dur, n_photons=np.ones(8))
    g = fixed_groups([2, 2, 0, 1, 0, 0, 2, 1], [1e3, 30e3, 50e3])
    d = la.level_dwell_times(lv, g)
    # dwells: ON 3.0 (censored), OFF 0.5, ON 3.0, OFF 1.0, ON 5.5 (censored)
    assert d.on_s.tolist() == [3.0]
    assert d.off_s.tolist() == [0.5, 1.0]
    assert d.n_censored == 2 and d.first_on and d.last_on
    full = la.level_dwell_times(lv, g, include_censored=True)
    assert full.on_s.tolist() == [3.0, 3.0, 5.5]
    # the given order of the levels does not matter (sorted by start)
    perm = np.array([3, 0, 7, 1, 6, 2, 5, 4])
    lv2 = SimpleNamespace(start_s=start[perm], end_s=(start + dur)[perm], n_photons=np.ones(8))
    g2 = fixed_groups(np.array([2, 2, 0, 1, 0, 0, 2, 1])[perm], [1e3, 30e3, 50e3])
    assert la.level_dwell_times(lv2, g2).off_s.tolist() == [0.5, 1.0]
    # only the brightest group ON: group 1 (30 kcps) is OFF now
    b = la.level_dwell_times(lv, g, rule="brightest", include_censored=True)
    assert b.on_s.tolist() == [3.0, 4.0]


def test_on_fraction_rule_and_value():
    dur = np.array([1.0, 2.0, 0.5, 3.0, 0.25, 0.75, 4.0, 1.5])
    start = np.concatenate([[0.0], np.cumsum(dur)[:-1]])
    lv = SimpleNamespace(start_s=start, end_s=start + dur, n_photons=np.ones(8))
    g = fixed_groups([2, 2, 0, 1, 0, 0, 2, 1], [1e3, 30e3, 50e3])
    f = la.level_on_fraction(lv, g)
    assert f.on_fraction == pytest.approx(11.5 / 13.0)
    assert f.on_groups.tolist() == [False, True, True]
    assert la.level_on_fraction(lv, g, rule="brightest").on_fraction == pytest.approx(7.0 / 13.0)
    with pytest.raises(AnalysisError):
        la.level_on_groups(g, rule="nope")


def test_beta_from_the_two_dominant_groups():
    # exact values: β = I2·τ1/(I1·τ2) = 25e3·20/(50e3·5) = 2; a third, rarely visited group is ignored
    g = fixed_groups([0, 1, 2], [2e3, 25e3, 50e3], tau=[2.0, 5.0, 20.0], time=[0.1, 10.0, 20.0])
    b = la.level_beta(g)
    assert b.beta == pytest.approx(2.0, rel=1e-12)
    assert (b.bright, b.dim) == (2, 1)
    # background subtracted: (25e3 − 1e3)·20 / ((50e3 − 1e3)·5)
    assert la.level_beta(g, background_cps=1e3).beta == pytest.approx(24e3 * 20 / (49e3 * 5), rel=1e-12)
    assert np.isnan(la.level_beta(fixed_groups([0], [1e3], tau=[3.0])).beta)


@pytest.mark.parametrize("beta_true", [1.0, 2.0])
def test_beta_on_grouped_levels_within_error(beta_true):
    i1, t1, t2 = 50e3, 20.0, 5.0
    lv, _ = make_levels((i1, beta_true * i1 * t2 / t1), (t1, t2), 300, rng=5)
    b = la.level_beta(group_levels(lv))
    # 4 σ: a false failure has probability 6e-5
    assert abs(b.beta - beta_true) < 4 * b.beta_err


@pytest.mark.parametrize("kind,beta_true", [("auger", 2.0), ("bc", 1.0)])
def test_level_flid_verdict(kind, beta_true):
    i1, t1, t2 = 50e3, 20.0, 5.0
    lv, _ = make_levels((i1, beta_true * i1 * t2 / t1), (t1, t2), 300, rng=6)
    fit = la.level_flid_fit(lv, group_levels(lv))
    assert fit.verdict == kind
    assert set(fit.models) == {"auger", "bc", "mixed"}
    # Eq. 1 through the two states: its fitted intensities at the anchors are the states'
    # (4 σ of the fit's own errors)
    a = fit.models["auger"]
    assert abs(a.value("i1") - i1) < 4 * a.stderr("i1")
    assert fit.fit_statistics()["n"] == fit.tau_ns.size


def test_level_flid_needs_levels():
    lv, _ = make_levels((40e3,), (10.0,), 2, rng=7)
    with pytest.raises(AnalysisError):
        la.level_flid_fit(lv, group_levels(lv))


def test_dwell_fits_are_unbinned_power_laws():
    # alternating ON/OFF levels with power-law durations α = 1.6 from 10 ms: the continuous ML
    gen = np.random.default_rng(8)
    m = 1500
    dur = 0.01 * (1 - gen.random(m)) ** (-1 / 0.6)
    start = np.concatenate([[0.0], np.cumsum(dur)[:-1]])
    state = np.arange(m) % 2
    n = gen.poisson(np.where(state == 0, 40e3, 4e3) * dur)
    lv = SimpleNamespace(start_s=start, end_s=start + dur, n_photons=n)
    g = group_levels(lv)
    fits = la.level_dwell_fits(lv, g, t_min_s=0.01)
    for f in (fits.on, fits.off):
        assert f.bin_width_s == 0.0 and f.method == "continuous"
        # 4 σ of the ML error (α − 1)/√n: false failure 6e-5
        assert abs(f.alpha - 1.6) < 4 * f.alpha_err


def test_group_gate_bins_inside_levels():
    lv = SimpleNamespace(start_s=np.array([0.0, 0.00105, 0.0031]), end_s=np.array([0.00105, 0.0031, 0.005]),
                         n_photons=np.array([10, 10, 10]))
    g = fixed_groups([1, 0, 1], [1e3, 5e3])
    mask, ticks = la.group_gate(lv, g, 1, timestamps_unit_s=1e-6, gate_bin_s=1e-4)
    assert ticks == 100
    on = np.flatnonzero(mask)
    # level 1: [0, 1.05 ms) holds bins 0..9; level 3: [3.1, 5.0 ms) holds bins 31..49
    assert on.tolist() == list(range(0, 10)) + list(range(31, 50))


def test_level_flid_figure_draws_points_and_curves():
    pytest.importorskip("matplotlib")
    from tttr import plot

    lv, _ = make_levels((50e3, 25e3), (20.0, 5.0), 120, rng=9)
    g = group_levels(lv)
    fit = la.level_flid_fit(lv, g)
    fig = plot.level_flid_figure(fit, g, lv)
    ax = fig.axes[0]
    assert len(ax.lines) == len(fit.models)  # one curve per fitted model
    assert ax.collections[-1].get_offsets().shape[0] == fit.tau_ns.size
    assert plot.png_bytes(fig)[:4] == b"\x89PNG"


def test_midpoint_rule_uses_the_two_dominant_groups():
    # groups 1 (30 kcps) and 2 (50 kcps) hold the most time: threshold 40 kcps, so group 1 is OFF
    g = fixed_groups([0, 1, 2], [1e3, 30e3, 50e3], time=[0.5, 5.0, 8.0])
    assert la.level_on_groups(g, rule="midpoint").tolist() == [False, False, True]
    # the fraction rule (0.5 × 50 kcps) calls it ON
    assert la.level_on_groups(g).tolist() == [False, True, True]
