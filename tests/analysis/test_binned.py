"""The one-pass binning kernel and accumulator against a plain numpy twin."""

from __future__ import annotations

import numpy as np
import pytest

from tttr.analysis.binned import BinnedAccumulator, bin_ticks_for
from tttr.io.events import PhotonChunk, StreamInfo

import naive


def _info(t3=True):
    return StreamInfo(path="x", format="test", record_type="test", mode="T3" if t3 else "T2",
                      timestamps_unit_s=1e-7, nanotimes_unit_s=1e-10 if t3 else None, sync_rate_hz=1e7,
                      n_records=0, tcspc_num_bins=1000 if t3 else None)


def _stream(rng, n=20000, t3=True):
    ts = np.cumsum(rng.geometric(0.02, n)).astype(np.int64)
    det = rng.choice(np.array([0, 1, 3], np.uint8), n)
    nt = rng.integers(0, 1000, n).astype(np.uint16) if t3 else None
    return ts, det, nt


@pytest.mark.parametrize("t3", [True, False])
@pytest.mark.parametrize("splits", [[], [1], [5000, 5001, 5002], "every7", "random"])
def test_accumulator_matches_twin_for_any_chunking(t3, splits):
    rng = np.random.default_rng(1)
    ts, det, nt = _stream(rng, t3=t3)
    if splits == "every7":
        splits = list(range(7, ts.size, 7))
    elif splits == "random":
        splits = sorted(rng.choice(np.arange(1, ts.size), 40, replace=False).tolist())
    shift = {0: 0, 1: 13, 3: -4}
    acc = BinnedAccumulator(_info(t3), bin_width_s=1e-4, detectors=(0, 1), t0_ticks=50, window_ticks=700,
                            detector_shift_ticks=shift, n_levels=16, n_columns=128)
    for part in np.split(np.arange(ts.size), splits):
        acc.add(PhotonChunk(ts[part], det[part], nt[part] if t3 else None))
    r = acc.result()
    bin_ticks = bin_ticks_for(1e-4, 1e-7)
    n_full = (int(ts[-1]) + 1) // bin_ticks
    sh = np.zeros(256, np.int64)
    for d, s in shift.items():
        sh[d] = s
    ref = naive.binned_accumulation(ts, det, nt, bin_ticks=bin_ticks, n_full=n_full, sel_dets=[0, 1], shift=sh, t0=50, window=700,
               rebin=r.decay_rebin, lw=r.level_width_counts,
               cube_shape=r.decay_matrix.shape if t3 else None, period=r.period_ticks)
    assert r.period_ticks == (1000 if t3 else 0)
    assert r.n_bins == n_full and r.bin_width_s == pytest.approx(1e-4)
    np.testing.assert_array_equal(r.counts, ref["counts"][:, : r.counts.shape[1]])
    assert ref["counts"][:, r.counts.shape[1]:].sum() == 0
    if t3:
        np.testing.assert_array_equal(r.decay_matrix, ref["cube"])
        np.testing.assert_array_equal(r.n_window, ref["n_win"])
        np.testing.assert_array_equal(r.sum_delay_ticks, ref["sum_delay"])
        assert r.decay_matrix.sum() == r.intensity().sum()  # every selected photon of full bins


def test_last_partial_bin_dropped_and_empty_bins_kept():
    ts = np.array([5, 15, 15, 1000 * 3 + 1, 1000 * 5 - 1, 1000 * 5 + 10], np.int64)  # bin ticks 1000
    acc = BinnedAccumulator(_info(False), bin_width_s=1e-4, calibrate=False)
    acc.add(PhotonChunk(ts, np.zeros(6, np.uint8)))
    r = acc.result()
    assert r.counts[:, 0].tolist() == [3, 0, 0, 1, 1]  # bin 5 (partial, ends at 5011) dropped


def test_bin_width_rounds_to_whole_ticks():
    assert bin_ticks_for(10e-3, 1 / 78.133041e6) == 781330
    with pytest.raises(ValueError):
        bin_ticks_for(0, 1e-7)


def test_binned_and_decay_accumulators_share_one_calibration():
    """t0 and the detector shifts of the FLID sums and of the whole decay come from one
    calibration (the decay of the first photons), even when later photons would move them."""
    from tttr.analysis.lifetime import DecayAccumulator

    rng = np.random.default_rng(5)
    n, n_cal, unit_ns = 60_000, 20_000, 0.1  # 100 ps ticks, 1000 ticks = the 100 ns period
    # the rise sits at 20 ns for the calibration photons and at 23 ns afterwards (a drift of
    # 30 ticks, far beyond the sub-tick scatter of a half-maximum estimate from 20 000 photons)
    rise = np.where(np.arange(n) < n_cal, 20.0, 23.0)
    det = rng.integers(0, 2, n).astype(np.uint8)
    t = rise + 2.0 * det + rng.normal(0, 0.05, n) + rng.exponential(5.0, n)  # detector 1 lags 2 ns
    nt = (np.mod(t, 100.0) / unit_ns).astype(np.uint16)
    ts = np.cumsum(rng.geometric(0.02, n)).astype(np.int64)
    info = _info()
    binned = BinnedAccumulator(info, bin_width_s=1e-5, calibration_photons=n_cal)
    decay = DecayAccumulator(info, calibration_photons=n_cal)
    for a in range(0, n, 7_000):  # chunk boundaries away from the calibration's end
        chunk = PhotonChunk(ts[a:a + 7_000], det[a:a + 7_000], nt[a:a + 7_000])
        binned.add(chunk)
        decay.add(chunk)
    b, d = binned.result(), decay.result()
    first = DecayAccumulator(info, calibration_photons=None)
    first.add(PhotonChunk(ts[:n_cal], det[:n_cal], nt[:n_cal]))
    cal = first.result()
    assert d.t0_ns == cal.t0_ns and d.t0_method == "halfmax"
    assert np.array_equal(d.detector_shifts_bins, cal.detector_shifts_bins)
    assert b.t0_ns == d.t0_ns and b.t0_ticks == round(d.t0_ns / unit_ns)
    assert np.array_equal(b.detector_shift_ticks[:2], d.detector_shifts_bins)
    # detector 1's 2 ns lag, in ticks (whichever detector is the reference)
    assert d.detector_shifts_bins[1] - d.detector_shifts_bins[0] == -20
    # the calibration is of the first photons: every photon's histogram rises ~3 ns later
    whole = DecayAccumulator(info, calibration_photons=None)
    whole.add(PhotonChunk(ts, det, nt))
    assert whole.result().t0_ns - d.t0_ns > 1.0
    # and the histogram still holds every photon, the same as the uncalibrated one's counts
    assert np.array_equal(d.counts, whole.result().counts) and d.n_photons == n
