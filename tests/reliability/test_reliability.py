"""What the readers promise for bad input (docs/reliability.md), one test per promise.

1. Time that goes backwards is detected in every reader; ``on_time_error`` chooses an error
   (default) or a counted repair.
2. Header numbers are checked against what instruments can produce; container-library errors
   and hostile bytes become one printable line naming the file.
3. Memory that depends on file content is bounded or refused with a clear error.
"""

from __future__ import annotations

import json
import os
import struct
import warnings

import h5py
import numpy as np
import pytest
from click.testing import CliRunner

import naive
import tttr
from tttr import defaults
from tttr.analysis.binned import BinnedAccumulator
from tttr.errors import AnalysisError, FormatError, TimeOrderError, TimeOrderWarning, printable
from tttr.io._timeorder import backward_steps, monotonic_mask
from tttr.io.events import PhotonChunk, StreamInfo
from tttr.io.ptu import PTUWriter, read_ptu_header
from tttr_cli.main import cli
from conftest import SAMPLES


# ------------------------------------------------------------------------------- helpers
def write_t3(path, n=20_000, seed=0, record_type="HydraHarp2T3", unit=2e-7, res=16e-12):
    """A valid T3 PTU with ``n`` Poisson photons on two detectors (mean gap 40 syncs)."""
    rng = np.random.default_rng(seed)
    ts = np.cumsum(rng.geometric(1 / 40, n)).astype(np.int64)
    det = rng.integers(0, 2, n).astype(np.uint8)
    nt = rng.integers(0, 3000, n).astype(np.uint16)
    with PTUWriter(path, record_type, timestamps_unit_s=unit, nanotimes_unit_s=res, sync_rate_hz=1 / unit) as w:
        w.write(PhotonChunk(ts, det, nt))
    return ts


def records_of(path):
    _tags, off, _v, _m = read_ptu_header(path)
    return off, np.fromfile(path, "<u4", offset=off)


def overflow_as_photon(path, k=3):
    """Turn the ``k``-th HydraHarp overflow record into a photon (the corruption seen in real files).

    Returns the index (0-based, among the photons) of the first photon decoded too early.
    """
    off, rec = records_of(path)
    ovf = np.flatnonzero((rec >> 25) == 127)
    i = int(ovf[k])
    rec[i] &= 0x7FFFFFFF  # special bit cleared: channel 63, nsync = the wrap count
    with open(path, "r+b") as fh:
        fh.seek(off + 4 * i)
        fh.write(rec[i:i + 1].tobytes())
    photons_before = int(np.count_nonzero((rec[: i + 1] >> 31) == 0))
    return photons_before  # the new photon and those after it lost the wraps


def patch_ptu_tag(path, name, value):
    """Overwrite the 8-byte value of PTU tag ``name`` (float for Float8 tags, else int)."""
    data = bytearray(path.read_bytes())
    pos = 16
    while True:
        tname = data[pos:pos + 32].split(b"\0", 1)[0].decode()
        typ = struct.unpack_from("<I", data, pos + 36)[0]
        if tname == name:
            struct.pack_into("<d" if typ == 0x20000008 else "<q", data, pos + 40, value)
            break
        pos += 48
        if typ in (0x2001FFFF, 0x4001FFFF, 0x4002FFFF, 0xFFFFFFFF):
            pos += struct.unpack_from("<q", data, pos - 8)[0]
        assert tname != "Header_End", name
    path.write_bytes(bytes(data))


def run_cli(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def error_line(result):
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("tttr: error:")]
    assert len(lines) == 1, result.stderr
    assert all(ln.isprintable() for ln in result.stderr.splitlines())
    return lines[0]


# ----------------------------------------------------------------- 1. time going backwards
@pytest.mark.parametrize("seed", range(5))
def test_backward_kernels_match_naive_twins(seed):
    rng = np.random.default_rng(seed)
    ts = np.cumsum(rng.integers(-3, 10, 500)).astype(np.int64)
    last = int(rng.integers(-5, 20))
    assert tuple(int(x) for x in backward_steps(ts, np.int64(last))) == naive.backward_steps(ts, last)
    np.testing.assert_array_equal(monotonic_mask(ts, np.int64(last)), naive.monotonic_mask(ts, last))
    srt = np.sort(ts)  # the vectorised fast path for sorted input
    assert tuple(int(x) for x in backward_steps(srt, np.int64(last))) == naive.backward_steps(srt, last)


@pytest.mark.parametrize("chunk", [None, 1000, 7])
def test_backward_time_is_an_error_naming_file_and_photon(tmp_path, chunk):
    p = tmp_path / "bad.ptu"
    write_t3(p)
    first_bad = overflow_as_photon(p)
    with pytest.raises(TimeOrderError) as ei:
        for _ in tttr.open(p).chunks(chunk):
            pass
    msg = str(ei.value)
    assert str(p) in msg and "backwards" in msg
    # the reported photon is where the running maximum is first undercut: at or after the
    # corrupted record (the photon made from it has nsync = wrap count, which may still be late)
    idx = int(msg.split("at photon ")[1].split()[0])
    assert first_bad - 1 <= idx <= first_bad + 2


@pytest.mark.parametrize("chunk", [None, 500])
def test_backward_time_error_names_the_record_and_byte(tmp_path, chunk):
    p = tmp_path / "bad.ptu"
    write_t3(p)
    off, rec = records_of(p)
    i = int(np.flatnonzero((rec >> 25) == 127)[3])
    overflow_as_photon(p)
    with pytest.raises(TimeOrderError) as ei:
        for _ in tttr.open(p).chunks(chunk):
            pass
    msg = str(ei.value)
    r = int(msg.split("(record ")[1].split(",")[0])
    b = int(msg.split(", byte ")[1].split(")")[0])
    assert i <= r <= i + 3 and b == off + 4 * r
    # that record is the first whose photon is earlier than one before it
    d = tttr.open(p, on_time_error="sort")
    with pytest.warns(TimeOrderWarning):
        d.read()


def test_backward_time_at_any_chunk_size_gives_the_same_error(tmp_path):
    p = tmp_path / "bad.ptu"
    write_t3(p)
    overflow_as_photon(p)
    msgs = set()
    for size in (1, 13, 4096, None):
        with pytest.raises(TimeOrderError) as ei:
            for _ in tttr.open(p).chunks(size):
                pass
        msgs.add(str(ei.value).split(" (")[0])
    assert len(msgs) == 1, msgs


@pytest.mark.parametrize("size", [None, 333])
def test_drop_repair_counts_and_gives_monotonic_time(tmp_path, size):
    p = tmp_path / "bad.ptu"
    write_t3(p)
    overflow_as_photon(p)
    with pytest.warns(TimeOrderWarning, match="sorted 1 chunk"):
        raw = tttr.open(p, on_time_error="sort").read()  # whole file in one chunk: a sort of everything
    s = tttr.open(p, on_time_error="drop")
    with pytest.warns(TimeOrderWarning, match=r"dropped \d+ photons"):
        parts = [c.timestamps for c in s.chunks(size)]
    ts = np.concatenate(parts)
    assert np.all(np.diff(ts) >= 0)
    assert s.time_order_repairs["dropped_photons"] == len(raw) - len(ts) > 0


def test_drop_keeps_what_the_naive_twin_keeps(tmp_path):
    p = tmp_path / "bad.ptu"
    write_t3(p)
    overflow_as_photon(p)
    from tttr.io import ptu
    from tttr.io.base import RecordStream

    s = ptu.PTUStream(p)
    decoded = RecordStream._chunks(s, None)  # the decoder's output, before the check
    raw = np.concatenate([c.timestamps for c in decoded])
    with pytest.warns(TimeOrderWarning):
        got = tttr.open(p, on_time_error="drop").read().timestamps
    np.testing.assert_array_equal(got, raw[naive.monotonic_mask(raw, np.iinfo(np.int64).min)])


def test_sort_repair_sorts_whole_file_read(tmp_path):
    p = tmp_path / "bad.ptu"
    truth = write_t3(p)
    overflow_as_photon(p)
    with pytest.warns(TimeOrderWarning, match="sorted"):
        d = tttr.open(p, on_time_error="sort").read()
    assert np.all(np.diff(d.timestamps) >= 0)
    assert len(d) == len(truth) + 1  # every record kept (the corrupted one is a photon now)


def test_on_time_error_value_is_checked(tmp_path):
    p = tmp_path / "ok.ptu"
    write_t3(p, n=100)
    with pytest.raises(ValueError, match="on_time_error"):
        tttr.open(p, on_time_error="ignore")


def test_analyze_on_backward_time_exits_2_with_one_line(tmp_path):
    p = tmp_path / "bad.ptu"
    write_t3(p)
    overflow_as_photon(p)
    for cmd in ("analyze", "g2", "trace", "info"):
        r = run_cli(cmd, "--json", p)
        assert r.exit_code == 2, (cmd, r.output)
        line = error_line(r)
        assert str(p) in line and "backwards" in line


def test_photon_hdf5_reversed_timestamps_is_an_error(tmp_path):
    src = tmp_path / "ok.ptu"
    write_t3(src, n=5000)
    h5 = tmp_path / "rev.h5"
    r = run_cli("convert", src, h5)
    assert r.exit_code == 0, r.output
    with h5py.File(h5, "r+") as f:
        ts = f["photon_data/timestamps"][:]
        del f["photon_data/timestamps"]
        f["photon_data/timestamps"] = ts[::-1].copy()
    with pytest.raises(TimeOrderError, match="rev.h5"):
        tttr.open(h5).read()
    with pytest.warns(TimeOrderWarning):
        d = tttr.open(h5, on_time_error="sort").read()
    np.testing.assert_array_equal(d.timestamps, np.sort(ts))


def test_columns_repair_options_reach_the_reader(tmp_path):
    p = tmp_path / "c.npz"
    ts = np.array([10, 20, 15, 30, 40], np.int64)
    np.savez(p, timestamp_ps=ts, channel=np.array([0, 1, 0, 1, 0]))
    with pytest.raises(FormatError, match="decrease"):
        tttr.open(p).read()
    with pytest.warns(TimeOrderWarning):
        d = tttr.open(p, on_time_error="drop").read()
    np.testing.assert_array_equal(d.timestamps, [10, 20, 30, 40])


# --------------------------------------------------------------------- 2. header numbers
@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf"), 0.0, -1e-9, 5e-324, 1e300])
@pytest.mark.parametrize("tag", ["MeasDesc_GlobalResolution", "MeasDesc_Resolution"])
def test_impossible_ptu_resolution_is_one_line_naming_field(tmp_path, tag, value):
    p = tmp_path / "x.ptu"
    write_t3(p, n=200)
    patch_ptu_tag(p, tag, value)
    with pytest.raises(FormatError) as ei:
        tttr.open(p)
    msg = str(ei.value)
    assert str(p) in msg and tag in msg and "\n" not in msg
    r = run_cli("info", p)
    assert r.exit_code == 2 and tag in error_line(r)


def test_t2_file_relabelled_t3_is_refused(tmp_path):
    p = tmp_path / "t2.ptu"
    rng = np.random.default_rng(1)
    ts = np.cumsum(rng.integers(1, 10**6, 1000)).astype(np.int64)
    with PTUWriter(p, "HydraHarp2T2", timestamps_unit_s=1e-12, sync_rate_hz=8e7) as w:
        w.write(PhotonChunk(ts, np.zeros(1000, np.uint8)))
    patch_ptu_tag(p, "TTResultFormat_TTTRRecType", 0x01010304)
    with pytest.raises(FormatError, match="MeasDesc_GlobalResolution = 1e-12"):
        tttr.open(p)


@pytest.mark.parametrize("value", [-5.0, float("nan"), 1e15])
def test_impossible_t2_sync_rate_is_refused(tmp_path, value):
    p = tmp_path / "t2.ptu"
    with PTUWriter(p, "HydraHarp2T2", timestamps_unit_s=1e-12, sync_rate_hz=8e7) as w:
        w.write(PhotonChunk(np.arange(1, 100, dtype=np.int64) * 1000, np.zeros(99, np.uint8)))
    # the writer stores TTResult_SyncRate as Int8; a Float8 impostor is what corrupt files hold
    patch_ptu_tag(p, "TTResult_SyncRate", int(value) if np.isfinite(value) and abs(value) < 2**62 else -1)
    with pytest.raises(FormatError, match="TTResult_SyncRate"):
        tttr.open(p)


@pytest.mark.parametrize("field,value", [("timestamps_unit_s", float("nan")), ("timestamps_unit_s", 0.0),
                                         ("nanotimes_unit_s", -1e-12), ("sync_rate_hz", -8e7),
                                         ("TCSPC bins", 1 << 40), ("acquisition_time_s", float("inf"))])
def test_stream_info_refuses_impossible_numbers(field, value):
    kw = dict(path="f.x", format="columns", record_type="r", mode="T3", timestamps_unit_s=1e-7,
              nanotimes_unit_s=1e-11, sync_rate_hz=1e7, n_records=10)
    kw["tcspc_num_bins" if field == "TCSPC bins" else field] = value
    with pytest.raises(FormatError, match=field):
        StreamInfo(**kw)


def test_corrupt_hdf5_is_one_line(tmp_path):
    src = tmp_path / "ok.ptu"
    write_t3(src, n=2000)
    h5 = tmp_path / "c.h5"
    assert run_cli("convert", src, h5).exit_code == 0
    data = bytearray(h5.read_bytes())
    data[600:700] = bytes(range(100))
    h5.write_bytes(bytes(data))
    r = run_cli("info", h5)
    assert r.exit_code == 2 and str(h5) in error_line(r)


def test_hdf5_external_link_is_one_line(tmp_path):
    src = tmp_path / "ok.ptu"
    write_t3(src, n=2000)
    h5 = tmp_path / "l.h5"
    assert run_cli("convert", src, h5).exit_code == 0
    with h5py.File(h5, "r+") as f:
        del f["photon_data/timestamps"]
        f["photon_data/timestamps"] = h5py.ExternalLink("/nonexistent/x.h5", "/ts")
    r = run_cli("analyze", "--json", h5)
    assert r.exit_code == 2 and str(h5) in error_line(r)


def test_npz_object_and_structured_members_are_one_line(tmp_path):
    p = tmp_path / "o.npz"
    np.savez(p, timestamp_ps=np.arange(10), channel=np.array([{"a": 1}, None] * 5, dtype=object))
    r = run_cli("info", p)
    assert r.exit_code == 2 and str(p) in error_line(r)
    q = tmp_path / "s.npz"
    np.savez(q, timestamp_ps=np.zeros(10, dtype=[("a", "<i8"), ("b", "<f4")]), channel=np.zeros(10, int))
    r = run_cli("info", q)
    assert r.exit_code == 2 and str(q) in error_line(r)


def test_corrupt_parquet_is_one_line(tmp_path):
    pytest.importorskip("pyarrow")
    p = tmp_path / "x.parquet"
    p.write_bytes(b"PAR1" + bytes(range(200)) + b"PAR1")
    r = run_cli("analyze", "--json", p)
    assert r.exit_code == 2 and str(p) in error_line(r)


def test_error_lines_are_printable():
    e = FormatError("a\nb.ptu", "tag '\x1b[31mX\r' bad\x00")
    assert "\n" not in str(e) and str(e).isprintable()
    assert printable("x" * 1000, 50).endswith("...") and len(printable("x" * 1000, 50)) == 50


def test_fifo_and_devices_are_refused(tmp_path):
    f = tmp_path / "pipe.ptu"
    os.mkfifo(f)
    r = run_cli("info", f)
    assert r.exit_code == 2 and "regular file" in error_line(r)
    r = run_cli("info", "/dev/zero")
    assert r.exit_code == 2 and "/dev/zero" in error_line(r)


# -------------------------------------------------------------------------- 3. memory
def _info(unit=1e-3):
    return StreamInfo(path="mem.x", format="columns", record_type="r", mode="T2", timestamps_unit_s=unit,
                      nanotimes_unit_s=None, sync_rate_hz=None, n_records=0)


def test_events_later_than_any_measurement_are_refused(tmp_path):
    # a T2 PTU whose tag unit was corrupted to 1 us (still a possible unit): 1e13 ticks is 1e7 s
    p = tmp_path / "late.ptu"
    with PTUWriter(p, "GenericT2", timestamps_unit_s=1e-6, sync_rate_hz=8e7, acquisition_time_s=1.0) as w:
        w.write(PhotonChunk(np.array([10, 20, 10**13 + 10**12], np.int64), np.zeros(3, np.uint8)))
    with pytest.raises(FormatError, match=r"photon 2 \(0-based\) is at 1\.1e\+07 s"):
        tttr.open(p).read()


def test_picoquant_t2_unit_of_seconds_is_refused(tmp_path):
    p = tmp_path / "t2.ptu"
    with PTUWriter(p, "GenericT2", timestamps_unit_s=1e-12, sync_rate_hz=8e7) as w:
        w.write(PhotonChunk(np.arange(1, 10, dtype=np.int64), np.zeros(9, np.uint8)))
    patch_ptu_tag(p, "MeasDesc_GlobalResolution", 7.0)
    with pytest.raises(FormatError, match="MeasDesc_GlobalResolution = 7.0 s"):
        tttr.open(p)


def test_trace_longer_than_the_bin_limit_is_refused(monkeypatch):
    monkeypatch.setattr(defaults, "MAX_TRACE_BINS", 1000)
    acc = BinnedAccumulator(_info(), bin_width_s=1e-2, calibrate=False)
    ts = np.array([0, 5, 10_000 * 10 + 1], np.int64)  # 1000 bins of 10 ticks, then one photon past them
    with pytest.raises(AnalysisError, match="mem.x.*trace bins"):
        acc.add(PhotonChunk(ts, np.zeros(3, np.uint8)))
        acc.result()


def test_many_detector_inputs_over_the_budget_are_refused(monkeypatch):
    monkeypatch.setattr(defaults, "MAX_BINNED_BYTES", 100_000)
    acc = BinnedAccumulator(_info(), bin_width_s=1e-2, calibrate=False)
    ts = np.arange(0, 20_000, 10, dtype=np.int64)  # 200 bins
    det = np.zeros(ts.size, np.uint8)
    det[-1] = 255  # one corrupt channel number: 256 columns per bin
    with pytest.raises(AnalysisError, match="256 detector inputs"):
        acc.add(PhotonChunk(ts, det))
        acc.result()


def test_photons_piling_into_one_bin_are_refused(monkeypatch):
    monkeypatch.setattr(defaults, "MAX_PHOTONS_PER_BIN", 5000)
    acc = BinnedAccumulator(_info(), bin_width_s=1.0, calibrate=False)
    with pytest.raises(AnalysisError, match="one 1 s trace bin"):
        for _ in range(10):
            acc.add(PhotonChunk(np.full(1000, 7, np.int64), np.zeros(1000, np.uint8)))
        acc.result()


def test_photons_at_one_time_are_refused_by_the_reader(tmp_path):
    p = tmp_path / "one.npz"
    np.savez(p, timestamp_ps=np.full(5000, 123, np.int64), channel=np.zeros(5000, int))
    with pytest.raises(FormatError, match="counts/s"):
        tttr.open(p).read()


def test_per_bin_storage_grows_by_a_quarter_once_large():
    # 1.5 M bins of one photon each: capacity ends within 25 % of what is used (not 2x)
    n = 1_500_000
    acc = BinnedAccumulator(_info(), bin_width_s=1e-3, calibrate=False)
    ts = np.arange(n, dtype=np.int64)
    for a in range(0, n, 1 << 18):
        acc.add(PhotonChunk(ts[a:a + (1 << 18)], np.zeros(min(1 << 18, n - a), np.uint8)))
    res = acc.result()
    assert res.n_bins == n  # bins of one tick: the last one is complete
    assert acc.counts.shape[0] <= 1.25 * n + 1
    assert np.shares_memory(res.n_window, acc.n_win)  # no second copy of the per-bin sums


def test_flid_histogram_by_blocks_equals_one_histogram(tmp_path, monkeypatch):
    from tttr.analysis import flid as flid_mod

    p = tmp_path / "f.ptu"
    write_t3(p, n=60_000, seed=3)
    acc = BinnedAccumulator(tttr.open(p).info, bin_width_s=1e-3)
    for c in tttr.open(p).chunks():
        acc.add(c)
    binned = acc.result()
    whole = flid_mod.flid_map(binned)
    monkeypatch.setattr(flid_mod, "_HIST_BLOCK", 7)  # many blocks, one not full
    blocks = flid_mod.flid_map(binned)
    assert whole.histogram.sum() > 0
    np.testing.assert_array_equal(blocks.histogram, whole.histogram)


def test_g2_nanotime_classes_do_not_allocate_across_a_time_gap():
    """Two photons 1e12 ticks apart in one chunk: the per-class nanotime histograms of the g2
    accumulator must cost memory by photons, not by the gap (a corrupt .spc asked for 2.1 GiB)."""
    import tracemalloc

    import numpy as np

    import tttr
    from tttr.analysis.g2 import G2Accumulator
    from tttr.io.events import PhotonChunk

    info = tttr.open(SAMPLES / "sim_auger.ptu").info
    acc = G2Accumulator(info, detectors=(0, 1))
    ts = np.array([0, 5, 10**12, 10**12 + 3, 2 * 10**12], np.int64)
    chunk = PhotonChunk(ts, np.array([0, 1, 0, 1, 0], np.uint8), np.array([10, 20, 30, 40, 50], np.uint16))
    tracemalloc.start()
    acc.add(chunk)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 50 * 2**20, peak  # dense over the gap would be 1e12/bin_ticks float64s
