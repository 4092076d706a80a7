"""Levels from change points: intensities and lifetimes per level, the accumulator, the
command, on simulated emitters of known states."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from click.testing import CliRunner

from tttr.analysis.levels import Levels, LevelsAccumulator, levels
from tttr.io.events import PhotonChunk, PhotonData
from tttr.simulate import simulate_photons, simulate_to_file


@pytest.fixture(scope="module")
def auger():
    """10 s of the default Auger emitter (exciton 76 kcps, 24.7 ns; trion 28 kcps, 5.0 ns)."""
    sim = simulate_photons(model="auger", duration_s=10, seed=11, labels=False)
    p = sim.photons
    return sim, PhotonData(p.timestamps, p.detectors, p.nanotimes, info=sim.info)


def test_levels_fields_and_bookkeeping(auger):
    sim, data = auger
    lv = levels(data)
    n = lv.n_levels
    assert n > 10  # the power-law blinking of 10 s switches many times
    for name in ("start_s", "end_s", "n_photons", "intensity_cps", "intensity_err_cps", "tau_ns", "tau_err_ns",
                 "group"):
        assert getattr(lv, name).shape == (n,)
    assert np.all(lv.group == -1)
    assert lv.n_photons.sum() == len(data)  # every photon in exactly one level
    np.testing.assert_array_equal(lv.start_s[1:], lv.end_s[:-1])  # contiguous
    assert lv.start_s[0] == data.timestamps[0] * sim.info.timestamps_unit_s
    assert lv.end_s[-1] == data.timestamps[-1] * sim.info.timestamps_unit_s
    rec = lv.records()
    assert len(rec) == n and set(rec[0]) == {"start_s", "end_s", "n_photons", "intensity_cps",
                                             "intensity_err_cps", "tau_ns", "tau_err_ns", "group"}
    json.dumps(lv.to_dict(), allow_nan=False)
    assert np.all(lv.with_groups(np.arange(n)).group == np.arange(n))


def test_level_intensities_and_lifetimes_match_the_states(auger):
    sim, data = auger
    lv = levels(data)
    t = sim.truth
    big = lv.n_photons >= 1000  # long levels: few unresolved sub-levels inside
    bright = big & (lv.intensity_cps > 5.2e4)
    dim = big & (lv.intensity_cps < 5.2e4)
    assert bright.sum() >= 3 and dim.sum() >= 3
    # intensity: photon-weighted mean of the long levels within 3 % of the state's detected
    # rate (signal I per 10 ms, plus background and minus dead-time losses of ~1 %)
    for sel, i10 in ((bright, t["I1_counts_per_10ms"]), (dim, t["I2_counts_per_10ms"])):
        mean = np.average(lv.intensity_cps[sel], weights=lv.n_photons[sel])
        assert mean == pytest.approx(i10 * 100, rel=0.03)
    # lifetime: the inverse-variance mean of the long levels within 4 standard errors (plus 3 %
    # for short switches inside a level that the test cannot resolve) of the state's τ
    for sel, tau in ((bright, t["tau1_ns"]), (dim, t["tau2_ns"])):
        w = 1 / lv.tau_err_ns[sel] ** 2
        mean = np.sum(w * lv.tau_ns[sel]) / w.sum()
        assert abs(mean - tau) < 4 / np.sqrt(w.sum()) + 0.03 * tau


def test_chunks_do_not_change_the_levels(auger):
    _sim, data = auger
    ref = levels(data, window_photons=100_000)
    got = levels(data, window_photons=100_000, chunk_records=7777)
    for name in ("start_ticks", "end_ticks", "n_photons", "intensity_cps", "tau_ns", "tau_err_ns"):
        np.testing.assert_array_equal(getattr(got, name), getattr(ref, name))


def test_accumulator_by_hand_equals_levels(auger):
    sim, data = auger
    acc = LevelsAccumulator(sim.info, window_photons=50_000)
    for a in range(0, len(data), 60_000):
        acc.feed(PhotonChunk(data.timestamps[a:a + 60_000], data.detectors[a:a + 60_000],
                             data.nanotimes[a:a + 60_000]))
    lv = acc.finish()
    ref = levels(data, window_photons=50_000)
    np.testing.assert_array_equal(lv.start_ticks, ref.start_ticks)
    np.testing.assert_array_equal(lv.tau_ns, ref.tau_ns)
    with pytest.raises(RuntimeError):
        acc.add(PhotonChunk(data.timestamps[:5], data.detectors[:5], data.nanotimes[:5]))


def test_t2_levels_have_no_lifetimes():
    sim = simulate_photons(model="auger", mode="t2", duration_s=2, seed=4, labels=False)
    p = sim.photons
    lv = levels(PhotonData(p.timestamps, p.detectors, None, info=sim.info))
    assert lv.n_levels >= 1 and np.all(np.isnan(lv.tau_ns)) and lv.t0_ns is None
    assert np.all(np.isfinite(lv.intensity_cps[lv.end_s > lv.start_s]))


def test_no_photons_gives_no_levels(auger):
    sim, _ = auger
    acc = LevelsAccumulator(sim.info)
    lv = acc.result()
    assert lv.n_levels == 0 and lv.records() == []


def test_levels_command(tmp_path):
    from tttr_cli.main import cli

    path = tmp_path / "a.ptu"
    simulate_to_file(path, model="auger", mode="t3", seed=5, duration_s=3, force=True)
    r = CliRunner().invoke(cli, ["levels", str(path), "--json", "--confidence", "0.99"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["confidence"] == 0.99 and out["n_levels"] == len(out["levels"]) >= 1
    plot = tmp_path / "l.png"
    r = CliRunner().invoke(cli, ["levels", str(path), "--plot", str(plot)])
    assert r.exit_code == 0, r.output
    assert plot.stat().st_size > 1000 and "levels" in r.output
    r = CliRunner().invoke(cli, ["levels", str(path), "--plot", str(plot)])
    assert r.exit_code == 2 and "--force" in r.output  # nothing overwritten without --force
    r = CliRunner().invoke(cli, ["levels", str(path), "--confidence", "0.3"])
    assert r.exit_code == 2 and "--confidence" in r.output
    r = CliRunner().invoke(cli, ["levels", str(tmp_path / "missing.ptu")])
    assert r.exit_code == 2 and "missing.ptu" in r.output


def test_levels_figure_draws_groups(auger):
    from tttr import plot

    _sim, data = auger
    lv = levels(data, lifetimes=False)
    lv = replace(lv, group=(lv.intensity_cps > 5e4).astype(np.int64))
    fig = plot.levels_figure(lv)
    assert "2 groups" in fig.axes[0].get_title()
    assert isinstance(lv, Levels)
    plot._plt().close(fig)


def test_closed_form_lifetimes_agree_with_the_fits(auger):
    # "mle" (closed form, own tail background) against "fit" (fit_lifetime) on the long
    # levels: within 3 combined standard errors plus 5 % (the tail background of the 24.7 ns
    # state, see _mle_lifetime's Notes)
    _sim, data = auger
    fit = levels(data)
    mle = levels(data, lifetime_method="mle")
    np.testing.assert_array_equal(fit.start_ticks, mle.start_ticks)
    ok = (fit.n_photons >= 1000) & np.isfinite(fit.tau_ns)
    assert ok.sum() >= 6
    diff = np.abs(fit.tau_ns[ok] - mle.tau_ns[ok])
    assert np.all(diff < 3 * np.hypot(fit.tau_err_ns[ok], mle.tau_err_ns[ok]) + 0.05 * fit.tau_ns[ok])
    with pytest.raises(ValueError, match="IRF"):
        LevelsAccumulator(data.info, irf=np.ones(10), lifetime_method="mle")
