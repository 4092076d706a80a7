"""Tests of the Becker & Hickl SPC FIFO reader (``tttr.io.spc``) and its numba kernels.

Real files come from ``../shared/data/real`` (skipped when absent); everything else is
synthetic: records made by the encoder below, and slow plain-Python twins of each kernel.
"""

from __future__ import annotations

import shutil

import numpy as np

import tttr
import pytest

from tttr.errors import FormatError, TruncatedFileWarning
from tttr.io import _spc_records as k
from tttr.io import spc
from tttr.io.events import concatenate_chunks
from tttr.io.sniff import detect_format

import naive

PERIOD = {"SPC-130": 1 << 12, "SPC-600_256": 1 << 17, "SPC-600_4096": 1 << 24}
MAXBIN = {"SPC-130": 4095, "SPC-600_256": 255, "SPC-600_4096": 4095}
MAXROUT = {"SPC-130": 15, "SPC-600_256": 7, "SPC-600_4096": 255}
KERNEL = {"SPC-130": k.decode_spc130, "SPC-600_256": k.decode_spc600_256, "SPC-600_4096": k.decode_spc600_4096}
PHOTON, MARKER, INVALID = 0, 1, 2


# ============================================================================ record packing
def word130(mt, rout, adc, *, invalid=0, mtov=0, gap=0, mark=0):
    return (invalid << 31) | (mtov << 30) | (gap << 29) | (mark << 28) | (adc << 16) | (rout << 12) | mt


def word256(mt, rout, adc, *, invalid=0, mtov=0, gap=0):
    return (invalid << 31) | (mtov << 30) | (gap << 29) | (rout << 25) | (mt << 8) | adc


def words4096(mt, rout, adc, *, invalid=0, mtov=0, gap=0):
    return ((gap << 14) | (mtov << 13) | (invalid << 12) | adc, (rout << 8) | (mt >> 16), mt & 0xFFFF)


def count_entry(n):
    """A 32-bit multiple-overflow entry (INVALID + MTOV, count in bits 0-27)."""
    return (1 << 31) | (1 << 30) | n


def header(layout, clock=135, routing_bits=4):
    if layout == "SPC-600_4096":
        return [(0x1000 | (routing_bits << 8), clock, 0)]
    return [(1 << 31) | (routing_bits << 27) | clock]


def as_records(layout, rows):
    if layout == "SPC-600_4096":
        return np.array(rows, dtype="<u2").reshape(-1, 3)
    return np.array(rows, dtype="<u4")


# ============================================================================ encoder
def random_events(layout, n, rng):
    """Sorted synthetic events ``(t, kind, chan, nanotime)``; gaps sometimes span many periods."""
    period = PERIOD[layout]
    small = rng.integers(0, period // 3, n)
    big = rng.integers(0, 6 * period, n)
    t = np.cumsum(np.where(rng.random(n) < 0.25, big, small)).astype(np.int64)
    kinds = rng.choice([PHOTON, MARKER, INVALID], n, p=[0.8, 0.1, 0.1])
    if layout != "SPC-130":
        kinds[kinds == MARKER] = PHOTON  # SPC-600/630 records carry no markers
    chan = np.where(kinds == MARKER, rng.integers(1, 16, n), rng.integers(0, MAXROUT[layout] + 1, n))
    nt = rng.integers(0, MAXBIN[layout] + 1, n)
    return t, kinds, chan, nt


def encode(layout, events, rng, clock=135):
    """Raw records (header first) of ``events``, choosing overflow encodings at random.

    A wrap of ``w`` periods before an event is written as an MTOV flag on the event, as a
    multiple-overflow entry (32-bit layouts), or as a mixture; in the 48-bit layout extra
    wraps ride on invalid filler records with MTOV set. GAP flags and invalid filler are
    sprinkled in; neither may change the decoded events.
    """
    t, kinds, chan, nt = events
    period = PERIOD[layout]
    rows = header(layout, clock)
    base = 0
    for ti, kind, ch, ntime in zip(t.tolist(), kinds.tolist(), chan.tolist(), nt.tolist()):
        w = (ti - base) // period
        base += w * period
        mtov = 0
        if layout == "SPC-600_4096":
            rows += [words4096(int(rng.integers(0, 1 << 24)), 0, 0, invalid=1, mtov=1)] * max(w - 1, 0)
            mtov = int(w >= 1)
        elif w >= 1:
            # invalid photons cannot carry MTOV: INVALID+MTOV is the multiple-overflow entry
            on_event = kind != INVALID and rng.random() < 0.5
            if w - on_event > 0:
                rows.append(count_entry(w - on_event))
            mtov = int(on_event)
        mt = ti - base
        adc = MAXBIN[layout] - ntime
        gap = int(rng.random() < 0.05)
        inv = int(kind == INVALID)
        if layout == "SPC-130":
            rows.append(word130(mt, ch, adc, invalid=int(kind != PHOTON), mtov=mtov, gap=gap, mark=int(kind == MARKER)))
        elif layout == "SPC-600_256":
            rows.append(word256(mt, ch, adc, invalid=inv, mtov=mtov, gap=gap))
        else:
            rows.append(words4096(mt, ch, adc, invalid=inv, mtov=mtov, gap=gap))
    return as_records(layout, rows)


def expected(events):
    t, kinds, chan, nt = events
    ph, mk = kinds == PHOTON, kinds == MARKER
    return t[ph], chan[ph], nt[ph], t[mk], chan[mk]


def write_spc(tmp_path, layout, records, name="synthetic.spc"):
    p = tmp_path / name
    records.tofile(p)
    return p


# ============================================================================ slow twins (tests/naive.py)
TWIN = {"SPC-130": naive.decode_spc130, "SPC-600_256": naive.decode_spc600_256,
        "SPC-600_4096": naive.decode_spc600_4096}


def random_records(layout, n, rng):
    """Raw records of every flag combination: half uniformly random bits, half typed records."""
    if layout == "SPC-600_4096":
        recs = rng.integers(0, 1 << 16, (n, 3)).astype(np.uint16)
        flags = rng.choice([0, 0x1000, 0x2000, 0x3000, 0x4000], n, p=[0.6, 0.1, 0.15, 0.1, 0.05])
        typed = rng.random(n) < 0.5
        recs[typed, 0] = (recs[typed, 0] & 0x0FFF) | flags[typed]
        return recs
    recs = rng.integers(0, 1 << 32, n, dtype=np.uint64)
    top = rng.choice([0x0, 0x4, 0x8, 0xC, 0x9, 0xD, 0x1, 0x2], n, p=[0.5, 0.1, 0.1, 0.1, 0.08, 0.05, 0.02, 0.05])
    small = rng.random(n) < 0.8  # multiple-overflow entries mostly with small counts
    low = np.where(small & (top == 0xC), rng.integers(0, 5, n), recs & 0x0FFFFFFF)
    typed = rng.random(n) < 0.5
    recs = np.where(typed, (top.astype(np.uint64) << 28) | low.astype(np.uint64), recs)
    return recs.astype(np.uint32)


def run_kernel(layout, records, state):
    chunk = spc._decode_block(spc.LAYOUTS[layout], records, state)
    return chunk


# ============================================================================ kernels vs twins
@pytest.mark.parametrize("layout", list(PERIOD))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kernel_matches_twin_on_random_records(layout, seed):
    rng = np.random.default_rng(seed)
    records = random_records(layout, 3000, rng)
    s_fast, s_slow = k.new_state(), k.new_state()
    got = run_kernel(layout, records, s_fast)
    ts, det, nt, mts, mb = TWIN[layout](records, s_slow)
    np.testing.assert_array_equal(got.timestamps, np.array(ts, np.int64))
    np.testing.assert_array_equal(got.detectors, np.array(det, np.uint8))
    np.testing.assert_array_equal(got.nanotimes, np.array(nt, np.uint16))
    np.testing.assert_array_equal(got.marker_timestamps, np.array(mts, np.int64))
    np.testing.assert_array_equal(got.markers, np.array(mb, np.uint8))
    np.testing.assert_array_equal(s_fast, s_slow)
    assert got.timestamps.dtype == np.int64 and got.detectors.dtype == np.uint8 and got.nanotimes.dtype == np.uint16
    if layout == "SPC-130":
        assert len(mts) > 0 and s_slow[1] > 0 and s_slow[2] > 0  # markers, overflow entries, invalid all hit


@pytest.mark.parametrize("layout", list(PERIOD))
def test_kernel_state_carries_across_blocks(layout):
    rng = np.random.default_rng(7)
    records = random_records(layout, 2000, rng)
    whole = run_kernel(layout, records, k.new_state())
    state = k.new_state()
    cuts = np.sort(rng.choice(np.arange(1, 2000), 30, replace=False))
    parts = [run_kernel(layout, r, state) for r in np.split(records, cuts)]
    joined = concatenate_chunks(parts, t3=True)
    for name in ("timestamps", "detectors", "nanotimes", "marker_timestamps", "markers"):
        np.testing.assert_array_equal(getattr(joined, name), getattr(whole, name))


# ============================================================================ encoder round trip
@pytest.mark.parametrize("layout", list(PERIOD))
def test_synthetic_round_trip_and_autodetect(tmp_path, layout):
    rng = np.random.default_rng(11)
    events = random_events(layout, 4000, rng)
    p = write_spc(tmp_path, layout, encode(layout, events, rng))
    assert spc.probe(p, p.read_bytes()[:4096])
    s = spc.open_stream(p)
    assert s.info.record_type == layout and s.header["layout_source"] == "content"
    d = s.read()
    ts, det, nt, mts, mb = expected(events)
    np.testing.assert_array_equal(d.timestamps, ts)
    np.testing.assert_array_equal(d.detectors, det)
    np.testing.assert_array_equal(d.nanotimes, nt)
    np.testing.assert_array_equal(d.marker_timestamps, mts)
    np.testing.assert_array_equal(d.markers, mb)
    assert s.info.timestamps_unit_s == pytest.approx(13.5e-9)
    assert s.info.tcspc_num_bins == MAXBIN[layout] + 1
    assert s.info.nanotimes_unit_s is None
    assert any("nanotime unit unknown" in w for w in s.info.warnings)
    # forcing the layout gives the same events
    forced = spc.open_stream(p, module=layout).read()
    np.testing.assert_array_equal(forced.timestamps, ts)


@pytest.mark.parametrize("layout", list(PERIOD))
@pytest.mark.parametrize("size", [1, 7, 1000, None])
def test_synthetic_streaming_equals_whole_read(tmp_path, layout, size):
    rng = np.random.default_rng(5)
    p = write_spc(tmp_path, layout, encode(layout, random_events(layout, 1500, rng), rng))
    s = spc.open_stream(p, module=layout)
    whole = s.read()
    joined = concatenate_chunks(s.chunks(size), t3=True)
    for name in ("timestamps", "detectors", "nanotimes", "marker_timestamps", "markers"):
        np.testing.assert_array_equal(getattr(joined, name), getattr(whole, name))


def test_gap_flags_are_counted_not_dropped(tmp_path):
    rows = header("SPC-130") + [word130(5, 1, 100), word130(9, 2, 200, gap=1), word130(20, 3, 300, mtov=1)]
    p = write_spc(tmp_path, "SPC-130", as_records("SPC-130", rows))
    s = spc.open_stream(p)
    d = s.read()
    np.testing.assert_array_equal(d.timestamps, [5, 9, 4096 + 20])
    np.testing.assert_array_equal(d.nanotimes, [3995, 3895, 3795])
    assert s.decoder_counts == {"overflow_entries": 0, "invalid_records": 0, "gap_records": 1}


def test_spc130_marker_with_mtov_and_marker_without_invalid(tmp_path):
    rows = header("SPC-130") + [
        word130(4000, 0, 7),
        word130(3, 0b0110, 0, invalid=1, mark=1, mtov=1),  # line+frame marker after one wrap
        word130(10, 5, 0, mark=1),  # MARK without INVALID: undocumented, dropped
        count_entry(3),
        word130(1, 2, 4095),
    ]
    d = spc.open_stream(write_spc(tmp_path, "SPC-130", as_records("SPC-130", rows))).read()
    np.testing.assert_array_equal(d.timestamps, [4000, 4 * 4096 + 1])
    np.testing.assert_array_equal(d.detectors, [0, 2])
    np.testing.assert_array_equal(d.nanotimes, [4088, 0])
    np.testing.assert_array_equal(d.marker_timestamps, [4096 + 3])
    np.testing.assert_array_equal(d.markers, [6])


# ============================================================================ real files
def test_spc150_noise_matches_phconvert_asc(real):
    """``test_noise.asc`` (phconvert) holds ``macrotime microtime`` per photon.

    Column 1 is the unwrapped macrotime in macro-clock ticks; column 2 is ``4095 - ADC``
    (B&H's "real micro time"), which is exactly our ``nanotimes`` convention. The raw ADC
    value would not match (checked below).
    """
    p = real("bh_spc150_test_noise.spc")
    ref = np.loadtxt(real("reference/bh_spc150_test_noise.asc"), dtype=np.int64)
    s = spc.open_stream(p)
    d = s.read()
    assert len(d) == 6114 == ref.shape[0]
    np.testing.assert_array_equal(d.timestamps, ref[:, 0])
    np.testing.assert_array_equal(d.nanotimes, ref[:, 1])
    assert not np.array_equal(4095 - d.nanotimes.astype(np.int64), ref[:, 1])
    assert set(np.unique(d.detectors)) == {0}
    assert d.markers.size == 0
    # the .set file: SPC-150 module code 0x28, TAC 50.03 ns / gain 5 / 4096 channels
    assert s.header["layout_source"] == "set file" and s.header["set_module"] == "SPC-150"
    assert s.info.record_type_id == 0x28 and s.info.record_type == "SPC-130"
    assert s.info.timestamps_unit_s == pytest.approx(9.5e-9)
    assert s.info.nanotimes_unit_s == pytest.approx(5.0033574e-08 / (5 * 4096))
    assert s.info.nanotimes_unit_s == pytest.approx(s.header["set_parameters"]["SP_TAC_TC"], rel=1e-6)
    assert s.info.warnings == ()
    assert s.info.n_records == 26111  # 26,112 records minus the header


def test_spc150_noise_without_set_file(real, tmp_path):
    p = tmp_path / "noise.spc"
    shutil.copyfile(real("bh_spc150_test_noise.spc"), p)
    s = spc.open_stream(p)
    assert s.info.record_type == "SPC-130" and s.header["layout_source"] == "content"
    assert s.info.nanotimes_unit_s is None
    assert any("no .set file" in w for w in s.info.warnings)
    assert len(s.read()) == 6114
    s2 = spc.open_stream(p, nanotimes_unit_s=2.5e-12)
    assert s2.info.nanotimes_unit_s == 2.5e-12 and s2.info.warnings == ()


@pytest.mark.parametrize("size", [1, 7, 1000, None])
def test_spc150_noise_streaming_equals_whole(real, size):
    s = spc.open_stream(real("bh_spc150_test_noise.spc"))
    whole = s.read()
    joined = concatenate_chunks(s.chunks(size), t3=True)
    np.testing.assert_array_equal(joined.timestamps, whole.timestamps)
    np.testing.assert_array_equal(joined.nanotimes, whole.nanotimes)
    np.testing.assert_array_equal(joined.detectors, whole.detectors)


def test_spc132_matches_tttrlib(real):
    """tttrlib's ``micro time`` (arr_1) is ``4095 - ADC``, the same as our nanotimes."""
    s = spc.open_stream(real("bh_spc132.spc"))
    ref = np.load(real("reference/bh_spc132.tttrlib.npz"))
    d = s.read()
    assert len(d) == 183_657
    np.testing.assert_array_equal(d.detectors, ref["arr_0"].astype(np.uint8))
    np.testing.assert_array_equal(d.nanotimes, ref["arr_1"])
    np.testing.assert_array_equal(d.timestamps, ref["arr_2"].astype(np.int64))
    assert set(np.unique(d.detectors)) == {0, 1, 8, 9}
    assert s.info.record_type == "SPC-130" and s.info.timestamps_unit_s == pytest.approx(13.5e-9)
    assert s.header["macro_clock_0p1ns"] == 135 and s.header["layout_source"] == "content"
    assert (d.timestamps[-1] - d.timestamps[0]) * s.info.timestamps_unit_s == pytest.approx(62.3, abs=0.1)


@pytest.mark.parametrize(
    "name, n_photons",
    [
        ("bh_spc132_smDNA_m000.spc", 174_438),
        ("bh_spc132_smDNA_m001.spc", 179_471),
        ("bh_spc132_smDNA_m002.spc", 179_790),
    ],
)
def test_spc132_smdna_photon_counts(real, name, n_photons):
    s = spc.open_stream(real(name))
    d = s.read()
    assert len(d) == n_photons
    assert np.all(np.diff(d.timestamps) >= 0)
    assert set(np.unique(d.detectors)) <= {0, 1, 8, 9}


def test_spc630_256ch_against_tttrlib(real):
    """SPC-630 256-channel file: ours is monotonic; tttrlib agrees up to the first MTOV record.

    B&H (``SPC_data_file_structure.h``, "SPC-600/630, 256 Channel Mode") defines byte 3 as
    ``INVALID MTOV GAP 0 R2 R1 R0 MT16``: bit 6 is MTOV (add 2**17 ticks), and bits 7 and 6
    together mark a multiple-overflow entry whose bits 0-27 count the periods. In this file
    61 records have bit 6 set: 8 photons with MTOV and 53 entries INVALID+MTOV with count 1.
    The one record with bit 5 (GAP) set is the header (its bits 27-30 hold the number of
    routing bits, 4), not a data record.

    tttrlib 0.26.2 ignores both kinds of overflow and its macrotimes step backwards 62 times;
    ours never do. The 5,199 photons before data record 5,272 (0-based after the header; the
    first with MTOV) agree exactly. Across that record we go 131,049 -> 131,074 ticks (MT
    wraps at 2**17 = 131,072), tttrlib 131,049 -> 65,538. Routing channel and micro time
    (``255 - ADC``) agree on all 294,884 photons. Leaving out the 53 count entries would leave
    53 backward steps, so they are real overflow entries, although the header's bit 26 (B&H's
    raw-data mask, "reserved" in the SPC-600/630 text) is set.
    """
    s = spc.open_stream(real("bh_spc630_256ch.spc"))
    ref = np.load(real("reference/bh_spc630_256ch.tttrlib.npz"))
    d = s.read()
    assert s.info.record_type == "SPC-600_256" and s.header["layout_source"] == "content"
    assert len(d) == 294_884 == ref["arr_0"].size
    assert np.all(np.diff(d.timestamps) >= 0)
    ref_t = ref["arr_2"].astype(np.int64)
    assert np.count_nonzero(np.diff(ref_t) < 0) == 62
    np.testing.assert_array_equal(d.detectors, ref["arr_0"].astype(np.uint8))
    np.testing.assert_array_equal(d.nanotimes, ref["arr_1"])
    assert set(np.unique(d.detectors)) == {0, 2, 4, 6}
    raw = np.fromfile(real("bh_spc630_256ch.spc"), "<u4")[1:]
    first_mtov = int(np.flatnonzero((raw >> 30) & 1)[0])
    assert first_mtov == 5272
    n_agree = int(np.count_nonzero(((raw[:first_mtov] >> 31) & 1) == 0))
    assert n_agree == 5199
    np.testing.assert_array_equal(d.timestamps[:n_agree], ref_t[:n_agree])
    assert d.timestamps[n_agree] != ref_t[n_agree]
    assert d.timestamps[n_agree - 1 : n_agree + 1].tolist() == [131_049, 131_074]
    assert s.decoder_counts["overflow_entries"] == 53
    assert s.header["raw_data_flag"] and s.header["routing_bits"] == 4
    assert s.info.timestamps_unit_s == pytest.approx(11.8e-9)
    assert s.info.tcspc_num_bins == 256


@pytest.mark.parametrize("size", [7, 1000, None])
def test_spc630_streaming_equals_whole(real, size):
    s = spc.open_stream(real("bh_spc630_256ch.spc"))
    whole = s.read()
    joined = concatenate_chunks(s.chunks(size), t3=True)
    np.testing.assert_array_equal(joined.timestamps, whole.timestamps)
    np.testing.assert_array_equal(joined.nanotimes, whole.nanotimes)


@pytest.mark.parametrize(
    "name",
    ["bh_spc132.spc", "bh_spc132_smDNA_m000.spc", "bh_spc150_test_noise.spc", "bh_spc630_256ch.spc"],
)
def test_probe_and_sniff_real_files(real, name):
    p = real(name)
    assert spc.probe(p, p.read_bytes()[:4096])
    assert detect_format(p) == "spc"


@pytest.mark.parametrize(
    "name", ["pq_hydraharp_v2.ht3", "pq_hydraharp_v1_truncated.ht3", "pq_hydraharp_v2_t3_symphotime.ptu"]
)
def test_probe_rejects_picoquant_files_renamed_to_spc(real, tmp_path, name):
    p = tmp_path / "renamed.spc"
    shutil.copyfile(real(name), p)
    assert not spc.probe(p, p.read_bytes()[:4096])


# ============================================================================ probe and bad input
def test_probe_needs_suffix_and_plausible_content(tmp_path):
    good = as_records("SPC-130", header("SPC-130") + [word130(1, 0, 0)])
    p = write_spc(tmp_path, "SPC-130", good)
    assert spc.probe(p, p.read_bytes())
    upper = tmp_path / "UPPER.SPC"
    good.tofile(upper)
    assert spc.probe(upper, upper.read_bytes())
    other = tmp_path / "x.bin"
    good.tofile(other)
    assert not spc.probe(other, other.read_bytes())
    bad_header = write_spc(tmp_path, "SPC-130", as_records("SPC-130", [135, 0]), "bad.spc")
    assert not spc.probe(bad_header, bad_header.read_bytes())
    zero_clock = write_spc(tmp_path, "SPC-130", as_records("SPC-130", [1 << 31, 0]), "zero.spc")
    assert not spc.probe(zero_clock, zero_clock.read_bytes())
    odd = tmp_path / "odd.spc"
    odd.write_bytes(good.tobytes() + b"\x00")
    assert spc.probe(odd, odd.read_bytes())  # cut short: claimed, decoded with a warning
    assert not spc.probe(tmp_path / "missing.spc", b"")
    assert not spc.probe(tmp_path, b"")
    assert not spc.probe(p, b"")
    assert not spc.probe(None, None)  # never raises


def test_probe_48bit_header(tmp_path):
    recs = as_records("SPC-600_4096", header("SPC-600_4096", clock=500) + [words4096(7, 1, 10)] * 3)
    p = write_spc(tmp_path, "SPC-600_4096", recs)
    assert p.stat().st_size % 4 == 0 and spc.probe(p, p.read_bytes())
    s = spc.open_stream(p)
    assert s.info.record_type == "SPC-600_4096" and s.info.timestamps_unit_s == pytest.approx(50e-9)
    assert len(s.read()) == 3


def test_open_rejects_non_header_first_record(tmp_path):
    p = write_spc(tmp_path, "SPC-130", as_records("SPC-130", [word130(1, 0, 0), word130(2, 0, 0)]))
    with pytest.raises(FormatError, match="not an SPC FIFO header"):
        spc.open_stream(p)
    with pytest.raises(FormatError, match="INVALID bit is clear"):
        spc.open_stream(p, module="SPC-130")


def test_open_rejects_zero_clock_short_file_and_unknown_module(tmp_path):
    p = write_spc(tmp_path, "SPC-130", as_records("SPC-130", [1 << 31, word130(2, 0, 0)]))
    with pytest.raises(FormatError, match="clock of 0"):
        spc.open_stream(p, module="SPC-130")
    short = tmp_path / "short.spc"
    short.write_bytes(b"\x87\x00")
    with pytest.raises(FormatError):
        spc.open_stream(short)
    ok = write_spc(tmp_path, "SPC-130", as_records("SPC-130", header("SPC-130")), "ok.spc")
    with pytest.raises(FormatError, match="unknown SPC module"):
        spc.open_stream(ok, module="PicoHarp")
    with pytest.raises(ValueError):
        spc.open_stream(ok, nanotimes_unit_s=0)


def test_header_only_file_has_no_photons(tmp_path):
    p = write_spc(tmp_path, "SPC-130", as_records("SPC-130", header("SPC-130")))
    s = spc.open_stream(p)
    assert s.info.n_records == 0 and len(s.read()) == 0
    assert any("guessed" in w for w in s.info.warnings)  # no photons: the layout is a default


def test_trailing_partial_record_warns_and_decodes(tmp_path):
    good = as_records("SPC-130", header("SPC-130") + [word130(1, 0, 0), word130(2, 1, 0)])
    p = tmp_path / "cut.spc"
    p.write_bytes(good.tobytes() + b"\x01\x02")
    with pytest.warns(TruncatedFileWarning):
        s = spc.open_stream(p, module="SPC-130")
    assert s.info.n_records == 2 and len(s.read()) == 2
    # detection claims the cut-short file too, so tttr.open decodes it with a warning
    with pytest.warns(TruncatedFileWarning):
        assert len(tttr.open(p).read()) == 2


# ============================================================================ .set files
def make_set(path, module_code, params, software_rev=13):
    """A minimal B&H .set file: binary header word, IDENTIFICATION and SETUP sections."""
    lines = "".join(f"  #SP [{name},{kind},{value}]\r\n" for name, kind, value in params)
    body = (
        "*IDENTIFICATION\r\n  ID        : SPC Setup Script File\r\n  Title     : synthetic\r\n*END\r\n\r\n"
        f"*SETUP\r\n  SYS_PARA_BEGIN:\r\n{lines}  SYS_PARA_END:\r\n*END\r\n"
    )
    rev = (module_code << 4) | software_rev
    path.write_bytes(rev.to_bytes(2, "little") + bytes(40) + body.encode("latin-1"))
    return path


def test_set_file_selects_spc600_layouts(tmp_path):
    rng = np.random.default_rng(3)
    for adc, layout in [(256, "SPC-600_256"), (4096, "SPC-600_4096")]:
        events = random_events(layout, 300, rng)
        p = write_spc(tmp_path, layout, encode(layout, events, rng), f"m{adc}.spc")
        params = [("SP_TAC_R", "F", "5e-08"), ("SP_TAC_G", "I", "4"), ("SP_ADC_RE", "I", str(adc))]
        make_set(tmp_path / f"m{adc}.set", 0x22, params)
        s = spc.open_stream(p)
        assert s.info.record_type == layout and s.header["layout_source"] == "set file"
        assert s.header["set_module"] == "SPC-630" and s.info.record_type_id == 0x22
        assert s.info.nanotimes_unit_s == pytest.approx(5e-8 / (4 * adc))
        assert s.info.warnings == ()
        np.testing.assert_array_equal(s.read().timestamps, expected(events)[0])
    forced = spc.open_stream(tmp_path / "m256.spc", module="SPC-130")
    assert forced.header["layout_source"] == "user"
    assert any("overrides the .set module SPC-630" in w for w in forced.info.warnings)


def test_set_file_unsupported_module_and_overrides(tmp_path):
    p = write_spc(tmp_path, "SPC-130", as_records("SPC-130", header("SPC-130") + [word130(1, 0, 0)]), "d.spc")
    make_set(tmp_path / "d.set", 0x29, [("SP_TAC_R", "F", "5e-08")])  # DPC-230
    with pytest.raises(FormatError, match="DPC-230"):
        spc.open_stream(p)
    s = spc.open_stream(p, module="SPC-150")  # forcing a layout bypasses the .set module
    assert s.info.record_type == "SPC-130" and s.header["layout_source"] == "user"
    assert any("nanotime unit unknown" in w for w in s.info.warnings)  # TAC gain/ADC missing


def test_set_file_inconsistent_tac_tc_is_reported(tmp_path):
    p = write_spc(tmp_path, "SPC-130", as_records("SPC-130", header("SPC-130") + [word130(1, 0, 0)]), "t.spc")
    params = [("SP_TAC_R", "F", "5e-08"), ("SP_TAC_G", "I", "1"), ("SP_ADC_RE", "I", "4096")]
    params.append(("SP_TAC_TC", "F", "1e-11"))  # should be 5e-8 / 4096 = 1.22e-11
    make_set(tmp_path / "t.set", 0x28, params)
    s = spc.open_stream(p)
    assert s.info.nanotimes_unit_s == pytest.approx(5e-8 / 4096)
    assert any("SP_TAC_TC" in w for w in s.info.warnings)


def test_read_set_file_real(real):
    info = spc.read_set_file(real("bh_spc150_test_noise.set"))
    assert info["module_code"] == 0x28 and info["module"] == "SPC-150"
    assert info["identification"]["Title"] == "test_noise"
    assert "SPC-150" in info["identification"]["Contents"]
    params = info["parameters"]
    assert params["SP_TAC_R"] == pytest.approx(5.0033574e-08) and params["SP_TAC_G"] == 5
    assert params["SP_ADC_RE"] == 4096 and params["SP_MODE"] == 11
