"""PicoQuant PTU and legacy readers: real files, kernels vs numpy twins, round trips, bad input."""

from __future__ import annotations

import struct
import warnings

import numpy as np
import pytest

import tttr
from tttr.errors import FormatError, HeaderWarning, TruncatedFileWarning, TruncatedHeaderError, UnsupportedRecordTypeError
from tttr.io import _records as rec
from tttr.io.events import PhotonChunk, concatenate_chunks
from tttr.io.picoquant import RECORD_TYPES, RECORD_TYPES_BY_NAME, decode_records
from tttr.io.ptu import PTUWriter, TagType, _pack_tag, read_ptu_header

from conftest import real_file
from naive import decode_pq

PQ_FILES = [
    # name, photons, photons per detector (None: not stated in SOURCES.md), markers
    ("pq_hydraharp_v1_t3_symphotime.ptu", 94560, {0: 48001, 1: 46559}, 0),
    ("pq_hydraharp_v2_t3_symphotime.ptu", 77883, {0: 45012, 1: 32871}, 0),
    ("pq_hydraharp_v2_t2_acqui.ptu", 305565, {0: 305565}, 0),
    ("pq_picoharp_t2.ptu", 920177, {0: 531477, 1: 388700}, 0),
    ("pq_picoharp_t3_flim_hazelnut_z1.ptu", 150363, {0: 150363}, 2565),
    ("pq_hydraharp_v2_t3_microtime200_beads_image.ptu", 73787, {0: 52833, 1: 20954}, 100),
    ("pq_hydraharp_v2.ht3", 44141, {0: 7102, 1: 26648, 2: 3085, 3: 7306}, 0),
    ("pq_hydraharp_v1_8ch_symphotime.ht3", 181023, None, 0),
    ("pq_hydraharp_v1_truncated.ht3", 32, None, 0),
    ("pq_picoharp_fcs_topfluorPE.pt3", 973337, {0: 482775, 1: 490562}, 0),
]


def _read(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TruncatedFileWarning)
        return tttr.read(path)


# --------------------------------------------------------------------------- real files
@pytest.mark.parametrize("name,n_photons,per_det,n_markers", PQ_FILES, ids=[f[0] for f in PQ_FILES])
def test_real_file_matches_reference_decode(name, n_photons, per_det, n_markers):
    path = real_file(name)
    ref = np.load(real_file(f"reference/{name}.events.npz"))
    d = _read(path)
    assert len(d) == n_photons == ref["timestamps"].shape[0]
    np.testing.assert_array_equal(d.timestamps, ref["timestamps"])
    np.testing.assert_array_equal(d.detectors, ref["detectors"])
    assert d.timestamps.dtype == np.int64 and d.detectors.dtype == np.uint8
    if "nanotimes" in ref.files:
        np.testing.assert_array_equal(d.nanotimes, ref["nanotimes"])
        assert d.nanotimes.dtype == np.uint16
        # legacy PicoHarp stores the resolution as float32: agree to its precision
        assert d.info.nanotimes_unit_s == pytest.approx(float(ref["nanotimes_unit"]), rel=1e-7)
    else:
        assert d.nanotimes is None
    assert d.info.timestamps_unit_s == pytest.approx(float(ref["timestamps_unit"]), rel=1e-12)
    if per_det is not None:
        det, cnt = np.unique(d.detectors, return_counts=True)
        assert dict(zip(det.tolist(), cnt.tolist())) == per_det
    assert len(d.markers) == n_markers


def test_image_markers_bits():
    d = tttr.read(real_file("pq_hydraharp_v2_t3_microtime200_beads_image.ptu"))
    bits, cnt = np.unique(d.markers, return_counts=True)
    assert dict(zip(bits.tolist(), cnt.tolist())) == {4: 50, 8: 50}


def test_hydraharp_v2_t2_overflow_counts_carry_wraps():
    """129 754 overflow records with a wrap count: the file that separates right from wrong decoders."""
    s = tttr.open(real_file("pq_hydraharp_v2_t2_acqui.ptu"))
    state = rec.new_state()
    for block in s.raw_records():
        s._decode(block, state)
    assert state[1] == 129754


@pytest.mark.parametrize("name", ["pq_hydraharp_v1_truncated.ht2", "pq_hydraharp_v2_truncated.ht2"])
def test_ht2_against_libpicoquant(name):
    """libpicoquant's text decodes of the two truncated HT2 files.

    v2.0: times in ps match ours exactly; libpicoquant labels sync records with channel 4
    (the number of inputs), we keep them as sync events. v1.0: libpicoquant multiplies the raw
    tag by the header's ``Resolution`` field (0.5), our tag unit is the 1 ps base resolution, so
    its times are exactly half of ours (SOURCES.md, reference table).
    """
    path = real_file(name)
    ref = np.loadtxt(real_file(f"reference/{name}.libpicoquant.csv"), delimiter=",", dtype=np.int64, ndmin=2)
    with pytest.warns(TruncatedFileWarning, match="header says"):
        d = tttr.read(path)
    assert d.info.timestamps_unit_s == 1e-12
    if "v2" in name:
        assert len(d) == 0 and np.all(ref[:, 0] == 4)
        np.testing.assert_array_equal(d.sync_timestamps, ref[:, 1])
    else:
        assert len(d) == 19 and len(d.sync_timestamps) == 0
        np.testing.assert_array_equal(d.detectors, ref[:, 0])
        np.testing.assert_array_equal(d.timestamps, 2 * ref[:, 1])


def test_truncated_ht3_warns_and_decodes():
    with pytest.warns(TruncatedFileWarning, match="72463591"):
        s = tttr.open(real_file("pq_hydraharp_v1_truncated.ht3"))
    assert s.info.n_records == 1050 and s.info.n_records_header == 72463591


@pytest.mark.parametrize("name", ["pq_hydraharp_v2_t2_acqui.ptu", "pq_picoharp_t3_flim_hazelnut_z1.ptu",
                                  "pq_hydraharp_v1_t3_symphotime.ptu", "pq_picoharp_fcs_topfluorPE.pt3"])
@pytest.mark.parametrize("size", [1, 2, 3, 1000, 65536])
def test_streaming_equals_whole_read_on_real_files(name, size):
    path = real_file(name)
    s = tttr.open(path)
    if size == 1 and s.info.n_records > 200_000:
        size = 7  # same boundary logic, 7x fewer Python-level chunks
    whole = s.read()
    joined = concatenate_chunks(s.chunks(size), t3=s.info.is_t3)
    for f in ("timestamps", "detectors", "nanotimes", "marker_timestamps", "markers", "sync_timestamps"):
        a, b = getattr(whole, f), getattr(joined, f)
        assert (a is None and b is None) or np.array_equal(a, b), f


# --------------------------------------------------------------- kernels vs numpy twins
def _random_records(rng, n, family):
    r = rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32)
    # enrich in special records so overflows, markers and sync events all occur often
    special = rng.random(n) < 0.3
    if family.startswith("hydraharp"):
        ch = rng.choice([63, 0, 1, 2, 15, 20], n).astype(np.uint32)
        r[special] = (np.uint32(1) << 31) | (ch[special] << 25) | (r[special] & 0x1FFFFFF)
        small = rng.random(n) < 0.1  # overflow count 0 (means 1)
        r[special & small & (ch == 63)] &= np.uint32(0xFE000000) if family.endswith("t2") else np.uint32(0xFFFFFC00)
    else:
        ovf = rng.random(n) < 0.5
        low = np.where(ovf, 0, rng.integers(1, 16, n)).astype(np.uint32)
        if family == "picoharp_t3":
            r[special] = (np.uint32(15) << 28) | (low[special] << 16) | (r[special] & 0xFFFF)
        else:
            r[special] = (np.uint32(15) << 28) | (r[special] & 0x0FFFFFF0) | low[special]
    return r


@pytest.mark.parametrize("rtype", list(RECORD_TYPES.values()), ids=lambda t: t.name)
def test_kernel_agrees_with_numpy_twin_across_chunks(rtype):
    rng = np.random.default_rng(rtype.id & 0xFFFF)
    records = _random_records(rng, 5000, rtype.family)
    ref = decode_pq(records, rtype.family, rtype.v1)
    for cuts in ([], [1], [17, 18, 2500, 4999], list(range(100, 5000, 333))):
        state = rec.new_state()
        parts = [decode_records(rtype, blk, state) for blk in np.split(records, cuts)]
        got = concatenate_chunks(parts, t3=rtype.mode == "T3")
        for key, val in ref.items():
            np.testing.assert_array_equal(getattr(got, key), val, err_msg=f"{key} cuts={cuts}")


# -------------------------------------------------------------------------- round trips
def _synthetic_events(rng, t3: bool, n=3000, gap_scale=2_000):
    gaps = rng.geometric(1 / gap_scale, n).astype(np.int64)
    gaps[rng.random(n) < 0.01] *= 5_000  # long dark periods: runs of wraps
    ts = np.cumsum(gaps)
    det = rng.integers(0, 4, n).astype(np.uint8)
    nt = rng.integers(0, 4096, n).astype(np.uint16) if t3 else None
    mts = np.sort(rng.choice(ts, 20, replace=False)) + 1
    return ts, det, nt, mts


@pytest.mark.parametrize("rtype", list(RECORD_TYPES.values()), ids=lambda t: t.name)
@pytest.mark.parametrize("write_chunks", [1, 3])
def test_ptu_round_trip_every_record_type(tmp_path, rtype, write_chunks):
    rng = np.random.default_rng(7)
    t3 = rtype.mode == "T3"
    ts, det, nt, mts = _synthetic_events(rng, t3)
    mbits = rng.integers(1, 16, mts.size).astype(np.uint8)
    if rtype.family == "picoharp_t2":
        mts = (mts & ~np.int64(0xF)) | mbits  # marker bits live in the 4 lowest time bits
    sync = np.empty(0, np.int64)
    if rtype.family == "hydraharp_t2":
        sync = np.arange(5, ts[-1], 997_003, dtype=np.int64)
    path = tmp_path / f"{rtype.name}.ptu"
    nsplit = np.array_split(np.arange(ts.size), write_chunks)
    with PTUWriter(path, rtype.name, timestamps_unit_s=1e-7 if t3 else 1e-12,
                   nanotimes_unit_s=2.5e-11 if t3 else None, sync_rate_hz=1e7) as w:
        for k, idx in enumerate(nsplit):
            lo = ts[idx[0]] if k else -1
            hi = ts[idx[-1]] + 1 if k < write_chunks - 1 else 10**18
            msel = (mts >= lo) & (mts < hi)
            ssel = (sync >= lo) & (sync < hi)
            w.write(PhotonChunk(ts[idx], det[idx], nt[idx] if t3 else None, mts[msel], mbits[msel], sync[ssel]))
    d = tttr.read(path)
    assert d.info.record_type == rtype.name and d.info.mode == rtype.mode
    np.testing.assert_array_equal(d.timestamps, ts)
    np.testing.assert_array_equal(d.detectors, det)
    if t3:
        np.testing.assert_array_equal(d.nanotimes, nt)
    np.testing.assert_array_equal(d.marker_timestamps, mts)
    np.testing.assert_array_equal(d.markers, mbits)
    np.testing.assert_array_equal(d.sync_timestamps, sync)
    # streaming with a chunk boundary after every record gives the same photons
    s = tttr.open(path)
    # V1 formats write one overflow record per wrap: keep the 1-record pass affordable
    joined = concatenate_chunks(s.chunks(1 if s.info.n_records < 20_000 else 3), t3=t3)
    np.testing.assert_array_equal(joined.timestamps, ts)


def _ptu_bytes(rtype_name, records, **tags):
    rt = RECORD_TYPES_BY_NAME[rtype_name]
    blob = b"PQTTTR\0\0" + b"1.0.00\0\0"
    blob += _pack_tag("TTResultFormat_TTTRRecType", rt.id)
    blob += _pack_tag("MeasDesc_GlobalResolution", tags.get("glob", 1e-7))
    blob += _pack_tag("MeasDesc_Resolution", tags.get("res", 1e-11))
    blob += _pack_tag("TTResult_NumberOfRecords", len(records))
    blob += _pack_tag("Header_End", None)
    return blob + np.asarray(records, "<u4").tobytes()


def _hh_ovf(count):
    return (1 << 31) | (63 << 25) | count


def test_v2_t3_overflow_edge_cases(tmp_path):
    """A run of wraps in one record, count 0 meaning 1, markers between overflows, chunk boundary after an overflow."""
    records = [
        (0 << 25) | (5 << 10) | 3,  # photon det 0 at nsync 3
        _hh_ovf(1000),  # 1000 wraps in one record
        (1 << 31) | (2 << 25) | 7,  # marker bits 2 at 1000*1024 + 7
        _hh_ovf(0),  # count 0 means 1
        (1 << 25) | (9 << 10) | 1023,  # photon det 1
        _hh_ovf(1),
        (1 << 31) | (4 << 25) | 0,  # marker between overflows
        _hh_ovf(2),
        (3 << 25) | 1,
    ]
    p = tmp_path / "edge.ptu"
    p.write_bytes(_ptu_bytes("HydraHarp2T3", records))
    want_ts = [3, 1001 * 1024 + 1023, 1004 * 1024 + 1]
    s = tttr.open(p)
    for size in (1, 2, 4, 100):  # size 2 puts a boundary right after the first overflow
        d = concatenate_chunks(s.chunks(size), t3=True)
        assert d.timestamps.tolist() == want_ts
        assert d.detectors.tolist() == [0, 1, 3] and d.nanotimes.tolist() == [5, 9, 0]
        assert d.marker_timestamps.tolist() == [1000 * 1024 + 7, 1002 * 1024]
        assert d.markers.tolist() == [2, 4]
    # V1 semantics on the same bytes: every overflow record is one wrap, whatever its count field
    p1 = tmp_path / "edge_v1.ptu"
    p1.write_bytes(_ptu_bytes("HydraHarpT3", records))
    assert tttr.read(p1).timestamps.tolist() == [3, 2 * 1024 + 1023, 4 * 1024 + 1]


def test_t2_sync_and_wrap_constants(tmp_path):
    recs = [(1 << 31) | 17, _hh_ovf(0), (2 << 25) | 5, (1 << 31) | (63 << 25) | 3, (1 << 31) | 9]
    p2 = tmp_path / "v2.ptu"
    p2.write_bytes(_ptu_bytes("GenericT2", recs, glob=1e-12))
    d = tttr.read(p2)
    assert d.sync_timestamps.tolist() == [17, 4 * 33554432 + 9]
    assert d.timestamps.tolist() == [33554432 + 5] and d.detectors.tolist() == [2]
    p1 = tmp_path / "v1.ptu"
    p1.write_bytes(_ptu_bytes("HydraHarpT2", recs, glob=1e-12))
    assert tttr.read(p1).timestamps.tolist() == [33552000 + 5]
    ph = tmp_path / "ph.ptu"
    ph.write_bytes(_ptu_bytes("PicoHarpT2", [0xF0000000, (1 << 28) | 5, 0xF0000000 | 0x33, 0xF0000000, (2 << 28) | 1], glob=4e-12))
    d = tttr.read(ph)
    assert d.timestamps.tolist() == [210698240 + 5, 2 * 210698240 + 1] and d.detectors.tolist() == [1, 2]
    assert d.marker_timestamps.tolist() == [210698240 + 0x33] and d.markers.tolist() == [3]


def test_every_tag_type_parses(tmp_path):
    extra = [
        ("T_Empty", None, TagType.Empty8), ("T_Bool", True, TagType.Bool8), ("T_Int", -5, TagType.Int8),
        ("T_Bits", 0xFF00, TagType.BitSet64), ("T_Color", 0x00FF00, TagType.Color8),
        ("T_Float", 2.5, TagType.Float8), ("T_Date", 45000.5, TagType.TDateTime),
        ("T_Arr", np.array([1.0, 2.0, 3.0]), TagType.Float8Array), ("T_Ansi", "Grüße", TagType.AnsiString),
        ("T_Wide", "wide ☃", TagType.WideString), ("T_Blob", b"\x00\x01\x02", TagType.BinaryBlob),
        ("UsrHeadName", "head1", TagType.AnsiString, 1), ("UsrHeadName", "head3", TagType.AnsiString, 3),
    ]
    p = tmp_path / "tags.ptu"
    with PTUWriter(p, "GenericT3", timestamps_unit_s=1e-7, nanotimes_unit_s=1e-11, extra_tags=extra) as w:
        w.write(PhotonChunk(np.array([1, 2]), np.array([0, 1], np.uint8), np.array([3, 4], np.uint16)))
    tags, offset, version, msgs = read_ptu_header(p)
    assert tags["T_Empty"] is None and tags["T_Bool"] is True and tags["T_Int"] == -5
    assert tags["T_Bits"] == 0xFF00 and tags["T_Color"] == 0x00FF00 and tags["T_Float"] == 2.5
    assert tags["T_Date"] == 45000.5 and tags["T_Arr"].tolist() == [1.0, 2.0, 3.0]
    assert tags["T_Ansi"] == "Grüße" and tags["T_Wide"] == "wide ☃" and tags["T_Blob"][:3] == b"\x00\x01\x02"
    assert tags["UsrHeadName[1]"] == "head1" and tags["UsrHeadName[3]"] == "head3"
    assert tags["TTResult_NumberOfRecords"] == 2 and msgs == []


def test_cp1252_ansi_string(tmp_path):
    p = tmp_path / "cp.ptu"
    raw = _ptu_bytes("GenericT2", [5], glob=1e-12)
    i = raw.index(b"Header_End")
    name = b"File_Comment".ljust(32, b"\0")
    payload = "café µs".encode("cp1252").ljust(8, b"\0")
    tag = name + struct.pack("<iIq", -1, TagType.AnsiString, len(payload)) + payload
    p.write_bytes(raw[:i] + tag + raw[i:])
    tags, *_ = read_ptu_header(p)
    assert tags["File_Comment"] == "café µs"


# ------------------------------------------------------------------------------ bad input
def test_bad_inputs_give_one_line_errors(tmp_path):
    cases = {}
    (tmp_path / "empty.ptu").write_bytes(b"")
    cases["empty.ptu"] = "empty"
    (tmp_path / "text.ptu").write_text("hello, I am not a time-tag file\n")
    cases["text.ptu"] = "not a recognised"
    full = _ptu_bytes("HydraHarp2T3", [1, 2, 3])
    (tmp_path / "cut_header.ptu").write_bytes(full[:100])
    cases["cut_header.ptu"] = "header cut short"
    bad_type = full.replace(struct.pack("<q", 0x01010304), struct.pack("<q", 0x01010399))
    (tmp_path / "bad_type.ptu").write_bytes(bad_type)
    cases["bad_type.ptu"] = "unknown PTU record type 0x01010399"
    longer = _ptu_bytes("HydraHarp2T3", [1, 2, 3])
    longer = longer.replace(struct.pack("<q", 3), struct.pack("<q", 2), 1)
    (tmp_path / "count.ptu").write_bytes(longer)
    cases["count.ptu"] = "header says 2 records but the file holds 3"
    raw = _ptu_bytes("HydraHarp2T3", [1])
    i = raw.index(b"Header_End")
    dup = _pack_tag("MeasDesc_GlobalResolution", 5e-8)
    (tmp_path / "dup.ptu").write_bytes(raw[:i] + dup + raw[i:])
    cases["dup.ptu"] = "duplicate header tag 'MeasDesc_GlobalResolution' with conflicting values"
    (tmp_path / "adir").mkdir()
    cases["adir"] = "is a directory"
    cases["missing.ptu"] = "no such file"
    (tmp_path / "legacy_cut.ht3").write_bytes(b"HydraHarp".ljust(16, b"\0") + b"2.0".ljust(6, b"\0") + bytes(300))
    cases["legacy_cut.ht3"] = "header cut short"
    for name, msg in cases.items():
        with pytest.raises(FormatError) as exc:
            tttr.open(tmp_path / name)
        text = str(exc.value)
        assert "\n" not in text and str(tmp_path / name) in text and msg in text, text


def test_duplicate_tag_with_equal_value_warns(tmp_path):
    raw = _ptu_bytes("HydraHarp2T3", [1])
    i = raw.index(b"Header_End")
    dup = _pack_tag("MeasDesc_GlobalResolution", 1e-7)
    (tmp_path / "dup.ptu").write_bytes(raw[:i] + dup + raw[i:])
    with pytest.warns(HeaderWarning, match="duplicate"):
        s = tttr.open(tmp_path / "dup.ptu")
    assert s.info.n_records == 1


def test_records_cut_short_decode_and_warn(tmp_path):
    raw = _ptu_bytes("HydraHarp2T3", [(1 << 25) | 4, 5, 6])
    (tmp_path / "cut.ptu").write_bytes(raw[:-6])  # last record and a half missing
    with pytest.warns(TruncatedFileWarning):
        d = tttr.read(tmp_path / "cut.ptu")
    assert d.timestamps.tolist() == [4] and d.detectors.tolist() == [1]


def test_zero_record_count_derived_from_size(tmp_path):
    raw = _ptu_bytes("HydraHarp2T3", [1, 2])
    raw = raw.replace(struct.pack("<q", 2), struct.pack("<q", 0), 1)
    (tmp_path / "zero.ptu").write_bytes(raw)
    s = tttr.open(tmp_path / "zero.ptu")
    assert s.info.n_records == 2 and any("record count is 0" in w for w in s.info.warnings)


def test_writer_refuses_overwrite_and_leaves_nothing_on_error(tmp_path):
    p = tmp_path / "x.ptu"
    p.write_bytes(b"keep")
    with pytest.raises(FileExistsError):
        PTUWriter(p, "GenericT2", timestamps_unit_s=1e-12)
    assert p.read_bytes() == b"keep"
    q = tmp_path / "y.ptu"
    with pytest.raises(RuntimeError):
        with PTUWriter(q, "GenericT2", timestamps_unit_s=1e-12) as w:
            w.write(PhotonChunk(np.array([1]), np.array([0], np.uint8)))
            raise RuntimeError("boom")
    assert not q.exists() and list(tmp_path.iterdir()) == [p]


def test_unsupported_legacy_version(tmp_path):
    path = real_file("pq_hydraharp_v2.ht3")
    raw = bytearray(path.read_bytes())
    raw[16:22] = b"9.0\0\0\0"
    (tmp_path / "v9.ht3").write_bytes(bytes(raw))
    with pytest.raises(UnsupportedRecordTypeError, match="format version '9.0'"):
        tttr.open(tmp_path / "v9.ht3")


def test_detection_is_by_content_not_extension(tmp_path):
    src = real_file("pq_hydraharp_v2_t3_symphotime.ptu")
    (tmp_path / "renamed.dat").write_bytes(src.read_bytes())
    assert tttr.open(tmp_path / "renamed.dat").info.format == "PTU"
    src = real_file("pq_picoharp_fcs_topfluorPE.pt3")
    (tmp_path / "renamed.bin").write_bytes(src.read_bytes())
    assert tttr.open(tmp_path / "renamed.bin").info.format == "PT3"


@pytest.mark.parametrize("rtype", ["HydraHarp2T3", "GenericT2", "PicoHarpT3", "HydraHarpT2"])
def test_written_ptu_decodes_identically_in_independent_readers(tmp_path, rtype):
    """phconvert (and ptufile when installed) read our writer's files to the same photons."""
    pq = pytest.importorskip("phconvert.pqreader")
    rng = np.random.default_rng(11)
    t3 = rtype.endswith("T3")
    ts, det, nt, _ = _synthetic_events(rng, t3, n=5000)
    det = (det % 2).astype(np.uint8)
    p = tmp_path / "w.ptu"
    with PTUWriter(p, rtype, timestamps_unit_s=2e-7 if t3 else 1e-12, nanotimes_unit_s=1.6e-11 if t3 else None,
                   sync_rate_hz=5e6) as w:
        w.write(PhotonChunk(ts, det, nt))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        timestamps, detectors, nanotimes = pq.load_ptu(str(p))[:3]
    np.testing.assert_array_equal(timestamps, ts)
    # phconvert numbers PicoHarp T3 channels as in the file (1-based); the others 0-based
    np.testing.assert_array_equal(detectors, det + (1 if rtype == "PicoHarpT3" else 0))
    if t3:
        np.testing.assert_array_equal(nanotimes, nt)
    ptufile = pytest.importorskip("ptufile")
    with ptufile.PtuFile(p) as f:
        r = f.decode_records()
    photons = r[r["channel"] >= 0]
    np.testing.assert_array_equal(photons["time"].astype(np.int64), ts)
    np.testing.assert_array_equal(photons["channel"], det)
