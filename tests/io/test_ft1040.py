"""Tests of the Siminics FT1040 text-export reader (``tttr.io.ft1040``).

No real FT1040 export is public, so :func:`write_ft1040` writes a synthetic one. What it
follows is public (``docs/formats.md``): segments ``Dev0_T3_YYYY_MM_DD_hh_mm_ss_sN.txt``,
10 header lines then the tab-separated column line ``Flag Channel Time(ps) Sync`` in the
first segment, rows only in the later ones. **The header lines themselves are invented**
(their keys, values and wording are plausible guesses, not copied from a real file), and
so are the meaning and frequency of the non-zero flags. Lines end in CRLF, as a Windows
acquisition program would write them.
"""

from __future__ import annotations

import random
import warnings
from pathlib import Path

import numpy as np
import pytest

from tttr import defaults
from tttr.errors import FormatError, HeaderWarning, TruncatedFileWarning
from tttr.io import ft1040
from tttr.io.events import concatenate_chunks

PREFIX = "Dev0_T3_2024_03_05_14_03_22"


def invented_header(*, rate_line=True, resolution_line=True, resolution_ps=64, period_ps=200_000):
    """Ten invented header lines (no public specification of the real ones exists)."""
    lines = [
        "Siminics FT1040 TCSPC Data Export",
        "Software Version: 3.2.0",
        "Device: Dev0 (FT1040, S/N 1040-0123)",
        "Measurement Mode: T3",
        "Start Time: 2024-03-05 14:03:22",
        f"Sync Rate: {1e12 / period_ps / 1e6:.3f} MHz" if rate_line else "Sync Input: CH0, -200 mV",
        f"Resolution: {resolution_ps} ps" if resolution_line else "Stop Inputs: 1, 2",
        "Acquisition Time: 60 s",
        "Enabled Channels: 1,2",
        "CdSe/ZnS QD 12, 532 nm excitation",  # a free-text line without a key
    ]
    assert len(lines) == ft1040.EXPECTED_HEADER_LINES
    return lines


def make_rows(n, *, seed=0, resolution_ps=64, period_ps=200_000, flag_fraction=0.02, channels=(1, 2)):
    """Rows (n, 4) in file column order Flag, Channel, Time(ps), Sync, sorted by Sync."""
    rng = np.random.default_rng(seed)
    sync = np.cumsum(rng.geometric(1 / 40, n)).astype(np.int64) + 1000
    n_bins = period_ps // resolution_ps
    bins = np.minimum(rng.exponential(20_000 / resolution_ps, n).astype(np.int64), n_bins - 1)
    bins[rng.random(n) < 0.01] = n_bins - 1  # a few photons at the end of the period
    t = bins * resolution_ps
    chan = rng.choice(np.asarray(channels), n)
    flag = np.where(rng.random(n) < flag_fraction, rng.choice([1, 2], n), 0)
    return np.column_stack([flag, chan, t, sync]).astype(np.int64)


def write_ft1040(folder: Path, rows: np.ndarray, n_segments: int, *, header=None, prefix=PREFIX,
                 newline="\r\n", encoding="utf-8") -> list[Path]:
    """Write ``rows`` as an FT1040 export of ``n_segments`` segments; returns the paths in order.

    The files are written in a shuffled order so that nothing depends on creation order.
    """
    folder.mkdir(parents=True, exist_ok=True)
    header = invented_header() if header is None else header
    parts = np.array_split(rows, n_segments)
    paths = [folder / f"{prefix}_s{i}.txt" for i in range(n_segments)]
    order = list(range(n_segments))
    random.Random(1).shuffle(order)
    for i in order:
        body = "".join(f"{a}\t{b}\t{c}\t{d}{newline}" for a, b, c, d in parts[i].tolist())
        head = newline.join(header + ["Flag\tChannel\tTime(ps)\tSync"]) + newline if i == 0 else ""
        paths[i].write_bytes((head + body).encode(encoding))
    return paths


def expected(rows, resolution_ps=64):
    photon = rows[:, 0] == 0
    return rows[photon, 3], (rows[photon, 1] - 1).astype(np.uint8), (rows[photon, 2] // resolution_ps).astype(np.uint16)


def assert_photons(chunk, rows, resolution_ps=64):
    ts, det, nt = expected(rows, resolution_ps)
    assert chunk.timestamps.dtype == np.int64 and chunk.detectors.dtype == np.uint8
    assert chunk.nanotimes.dtype == np.uint16
    np.testing.assert_array_equal(chunk.timestamps, ts)
    np.testing.assert_array_equal(chunk.detectors, det)
    np.testing.assert_array_equal(chunk.nanotimes, nt)


def head_of(path: Path) -> bytes:
    return path.read_bytes()[:4096] if path.is_file() else b""


@pytest.fixture
def export(tmp_path):
    rows = make_rows(1200)
    paths = write_ft1040(tmp_path / "run", rows, 12)
    return tmp_path / "run", paths, rows


# --------------------------------------------------------------------------- segments, entry points


def test_twelve_segments_join_in_numeric_order(export):
    folder, paths, rows = export
    s = ft1040.open_stream(folder)
    assert s.header["segments"] == [p.name for p in paths]  # s10, s11 after s9
    assert [seg.index for seg in s.segments] == list(range(12))
    assert_photons(s.read(), rows)
    assert s.info.n_records == len(rows)
    # string order would put s10, s11 before s2 and make Sync decrease
    assert sorted(p.name for p in paths) != [p.name for p in paths]


@pytest.mark.parametrize("entry", ["folder", "s0", "s5", "s11"])
def test_every_entry_point_reads_the_whole_export(export, entry):
    folder, paths, rows = export
    path = folder if entry == "folder" else paths[int(entry[1:])]
    assert ft1040.probe(path, head_of(path))
    s = ft1040.open_stream(path)
    assert_photons(s.read(), rows)
    assert s.info.format == "FT1040" and s.info.mode == "T3"
    assert s.info.record_type == "FT1040 T3 text export"


def test_header_fields_and_metadata(export):
    folder, _paths, rows = export
    s = ft1040.open_stream(folder)
    f = s.header["fields"]
    assert f["Software Version"] == "3.2.0"
    assert f["Start Time"] == "2024-03-05 14:03:22"
    assert s.header["unparsed_lines"] == ["Siminics FT1040 TCSPC Data Export", "CdSe/ZnS QD 12, 532 nm excitation"]
    assert len(s.header["lines"]) == 10
    assert s.header["columns"] == ["Flag", "Channel", "Time(ps)", "Sync"]
    assert s.header["file_name"] == {"device": "Dev0", "mode": "T3", "start_time": "2024-03-05T14:03:22"}
    i = s.info
    assert i.sync_rate_hz == pytest.approx(5e6)
    assert i.timestamps_unit_s == pytest.approx(200e-9)
    assert i.nanotimes_unit_s == pytest.approx(64e-12)
    assert i.tcspc_num_bins == 3125
    assert i.acquisition_time_s == pytest.approx(60.0)
    assert i.warnings == ()
    assert i.to_dict()["format"] == "FT1040"


def test_non_ascii_header_in_gb18030(tmp_path):
    header = invented_header()
    header[-1] = "样品：CdSe/ZnS 量子点 12"  # an invented Chinese comment line, GB18030-encoded
    rows = make_rows(50)
    write_ft1040(tmp_path, rows, 2, header=header, encoding="gb18030")
    s = ft1040.open_stream(tmp_path)
    assert s.header["fields"]["样品"] == "CdSe/ZnS 量子点 12"
    assert_photons(s.read(), rows)


def test_missing_first_segment_is_an_error(tmp_path):
    paths = write_ft1040(tmp_path, make_rows(50), 3)
    paths[0].unlink()
    assert not ft1040.probe(paths[1], head_of(paths[1]))
    with pytest.raises(FormatError, match=r"_s0\.txt.*missing"):
        ft1040.open_stream(paths[1])
    with pytest.raises(FormatError, match="no FT1040 first segment"):
        ft1040.open_stream(tmp_path)


def test_gap_in_segment_numbers_warns(tmp_path):
    rows = make_rows(90)
    paths = write_ft1040(tmp_path, rows, 3)
    paths[1].unlink()
    with pytest.warns(TruncatedFileWarning, match="s1"):
        s = ft1040.open_stream(paths[0])
    kept = np.concatenate(np.array_split(rows, 3)[::2])
    assert_photons(s.read(), kept)


def test_two_exports_in_one_folder_must_be_chosen(tmp_path):
    write_ft1040(tmp_path, make_rows(20), 2)
    other = write_ft1040(tmp_path, make_rows(30, seed=3), 2, prefix="Dev0_T3_2024_03_05_15_00_00")
    with pytest.raises(FormatError, match="2 FT1040 exports"):
        ft1040.open_stream(tmp_path)
    assert ft1040.open_stream(other[0]).info.n_records == 30


# --------------------------------------------------------------------------- event model


def test_flags_are_counted_and_kept_out_of_photons(export):
    folder, _paths, rows = export
    s = ft1040.open_stream(folder)
    data = s.read()
    flagged = rows[rows[:, 0] != 0]
    assert len(flagged) > 0
    assert len(data) == len(rows) - len(flagged)
    assert s.flag_counts == {int(v): int(c) for v, c in zip(*np.unique(flagged[:, 0], return_counts=True))}
    assert s.n_flagged == len(flagged)
    assert data.markers.size == 0
    m = ft1040.open_stream(folder, flags="markers").read()
    np.testing.assert_array_equal(m.marker_timestamps, flagged[:, 3])
    np.testing.assert_array_equal(m.markers, flagged[:, 0].astype(np.uint8))
    np.testing.assert_array_equal(m.timestamps, data.timestamps)


def test_channels_become_zero_based(tmp_path):
    rows = make_rows(200, channels=(1, 2, 3, 4), flag_fraction=0)
    write_ft1040(tmp_path, rows, 1)
    d = ft1040.open_stream(tmp_path).read()
    assert set(np.unique(d.detectors).tolist()) == {0, 1, 2, 3}


def test_resolution_inferred_when_header_lacks_it(tmp_path):
    rows = make_rows(500, resolution_ps=128, flag_fraction=0)
    write_ft1040(tmp_path, rows, 2, header=invented_header(resolution_line=False))
    s = ft1040.open_stream(tmp_path)
    assert s.info.nanotimes_unit_s == pytest.approx(128e-12)
    assert "inferred" in s.header["derived"]["resolution"]
    assert_photons(s.read(), rows, resolution_ps=128)


def test_resolution_option_overrides_header(export):
    folder, _paths, rows = export
    s = ft1040.open_stream(folder, nanotimes_unit_s=256e-12)
    assert s.info.nanotimes_unit_s == pytest.approx(256e-12)
    assert_photons(s.read(), rows, resolution_ps=256)  # floor division: a coarser unit on purpose


def test_inferred_resolution_is_checked_on_every_row(tmp_path):
    rows = make_rows(300, flag_fraction=0)
    rows[:, 2] = (rows[:, 2] // 256) * 256  # the first rows suggest 256 ps ...
    rows[-1, 2] = 64  # ... but a late row is only a multiple of 64 ps
    write_ft1040(tmp_path, rows, 3, header=invented_header(resolution_line=False))
    s = ft1040.open_stream(tmp_path, infer_rows=100)
    with pytest.raises(FormatError, match=r"not a multiple of the resolution 256 ps; pass nanotimes_unit_s="):
        s.read()
    assert_photons(ft1040.open_stream(tmp_path, infer_rows=100, nanotimes_unit_s=64e-12).read(), rows)


def test_sync_period_estimated_from_microtime_range(tmp_path):
    rows = make_rows(400, period_ps=100_000, flag_fraction=0)  # 10 MHz
    write_ft1040(tmp_path, rows, 2, header=invented_header(rate_line=False))
    with pytest.warns(HeaderWarning, match="estimate"):
        s = ft1040.open_stream(tmp_path)
    assert s.info.sync_rate_hz == pytest.approx(10e6)
    assert s.info.timestamps_unit_s == pytest.approx(100e-9)
    assert any("estimated" in w for w in s.info.warnings)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        given = ft1040.open_stream(tmp_path, repetition_rate_hz=10e6)
    assert given.info.sync_rate_hz == 10e6 and given.info.warnings == ()


def test_nothing_in_header_everything_inferred(tmp_path):
    rows = make_rows(400, resolution_ps=512, period_ps=12_800, flag_fraction=0)
    write_ft1040(tmp_path, rows, 1, header=invented_header(rate_line=False, resolution_line=False))
    with pytest.warns(HeaderWarning):
        s = ft1040.open_stream(tmp_path)
    assert s.info.nanotimes_unit_s == pytest.approx(512e-12)
    # largest Time(ps) 12 288 + one 512 ps bin = 12.8 ns, rounded up to the series: 20 ns
    assert s.info.timestamps_unit_s == pytest.approx(20e-9)
    assert s.info.tcspc_num_bins == 40


# --------------------------------------------------------------------------- streaming


@pytest.mark.parametrize("size", [1, 7, 1000, None])
def test_streaming_equals_whole_read(export, size):
    folder, _paths, rows = export
    s = ft1040.open_stream(folder, flags="markers")
    whole = s.read()
    chunks = list(s.chunks(size))
    assert all(len(c) <= (size or defaults.CHUNK_ROWS) for c in chunks)
    if size == 1:
        assert len(chunks) == len(rows)
    joined = concatenate_chunks(chunks, t3=True)
    for name in ("timestamps", "detectors", "nanotimes", "marker_timestamps", "markers"):
        np.testing.assert_array_equal(getattr(joined, name), getattr(whole, name))
    assert_photons(joined, rows)
    assert s.n_flagged == int((rows[:, 0] != 0).sum())


def test_lf_line_endings_and_spaces(tmp_path):
    rows = make_rows(100)
    paths = write_ft1040(tmp_path, rows, 2, newline="\n")
    paths[1].write_text(paths[1].read_text().replace("\t", "   "))
    assert_photons(ft1040.open_stream(paths[0]).read(), rows)


def test_n_records_counts_rows_without_trailing_newline(tmp_path):
    rows = make_rows(40)
    paths = write_ft1040(tmp_path, rows, 2)
    paths[1].write_bytes(paths[1].read_bytes().rstrip(b"\r\n"))
    s = ft1040.open_stream(tmp_path)
    assert s.info.n_records == 40
    assert_photons(s.read(), rows)


# --------------------------------------------------------------------------- probing, bad input


def test_probe_rejects_other_content(tmp_path):
    p = tmp_path / "notes_s0.txt"
    p.write_text("just some notes\n1 2 3\n")
    assert not ft1040.probe(p, head_of(p))
    q = tmp_path / "data.csv"
    q.write_text("timestamp,channel\n1,1\n")
    assert not ft1040.probe(q, head_of(q))
    assert not ft1040.probe(tmp_path, b"")
    assert not ft1040.probe(tmp_path / "absent_s3.txt", b"0\t1\t2\t3\n")
    b = tmp_path / "bin_s1.txt"
    b.write_bytes(bytes(range(256)))
    assert not ft1040.probe(b, head_of(b))


def test_detect_format_routes_to_ft1040(export):
    from tttr.io.sniff import detect_format

    folder, paths, _rows = export
    assert detect_format(folder) == "ft1040"
    assert detect_format(paths[0]) == "ft1040"
    assert detect_format(paths[7]) == "ft1040"


def _corrupt(path: Path, line_no: int, new: str):
    lines = path.read_bytes().split(b"\r\n")
    lines[line_no - 1] = new.encode()
    path.write_bytes(b"\r\n".join(lines))


@pytest.mark.parametrize("bad, message", [
    ("0\t1\tabc\t5000", r"_s2\.txt, line 4: non-integer cell 'abc' in column Time\(ps\)"),
    ("0\t1\t6400", r"_s2\.txt, line 4: missing cell in column Sync"),
    ("0\t1\t64.5\t5000", r"_s2\.txt, line 4: non-integer cell '64.5' in column Time\(ps\)"),
    ("0\t1\t64\t5000\t7", r"_s2\.txt.*Expected 4 fields"),
    ("0\t0\t64\t99999999", r"_s2\.txt, line 4: photon Channel 0 outside"),
    ("0\t1\t64\t1", r"_s2\.txt, line 4: Sync decreases"),
    ("0\t1\t-64\t99999999", r"_s2\.txt, line 4: negative Time\(ps\)"),
])
def test_bad_rows_name_the_segment_and_line(tmp_path, bad, message):
    rows = make_rows(60, flag_fraction=0)
    paths = write_ft1040(tmp_path, rows, 3)
    _corrupt(paths[2], 4, bad)
    s = ft1040.open_stream(paths[0], infer_rows=10)
    with pytest.raises(FormatError, match=message):
        s.read()


def test_bad_row_in_first_segment_counts_header_lines(tmp_path):
    paths = write_ft1040(tmp_path, make_rows(30, flag_fraction=0), 1)
    _corrupt(paths[0], 14, "0\t2\tx\t5")
    with pytest.raises(FormatError, match=r"_s0\.txt, line 14: non-integer cell 'x' in column Time\(ps\)"):
        ft1040.open_stream(paths[0]).read()


def test_nanotime_must_fit_uint16(tmp_path):
    rows = make_rows(20, flag_fraction=0)
    rows[5, 2] = 70_000 * 64
    write_ft1040(tmp_path, rows, 1, header=invented_header(rate_line=False))
    with pytest.warns(HeaderWarning):
        s = ft1040.open_stream(tmp_path)
    with pytest.raises(FormatError, match="does not fit uint16"):
        s.read()


def test_column_line_missing_is_an_error(tmp_path):
    p = tmp_path / f"{PREFIX}_s0.txt"
    p.write_text("Software Version: 3.2.0\nsomething else\n0\t1\t64\t5\n")
    with pytest.raises(FormatError, match="without the column line"):
        ft1040.open_stream(p)


def test_unknown_option_is_rejected(export):
    folder, _paths, _rows = export
    with pytest.raises(TypeError, match="timestamps_unit_s"):
        ft1040.open_stream(folder, timestamps_unit_s=1e-9)
    assert ft1040.open_stream(folder, timestamps_unit_s=None).info.n_records == 1200
