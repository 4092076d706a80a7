"""Tests of the generic columnar reader (``tttr.io.columns``): npy, npz, CSV/TSV, Parquet."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from tttr import defaults
from tttr.errors import FormatError
from tttr.io import columns
from tttr.io.events import concatenate_chunks


def photons(n=500, seed=0, n_det=2):
    rng = np.random.default_rng(seed)
    ts = np.cumsum(rng.integers(0, 50, n)).astype(np.int64) + 10  # repeats allowed (non-decreasing)
    det = rng.integers(0, n_det, n).astype(np.uint8)
    nt = rng.integers(0, 4096, n).astype(np.uint16)
    return ts, det, nt


# ---------------------------------------------------------------------------- writers


def write(path: Path, kind: str, cols: dict) -> Path:
    """Write named columns in one container; ``kind`` picks the container."""
    names = list(cols)
    if kind == "npy":
        rec = np.empty(len(cols[names[0]]), dtype=[(k, np.asarray(v).dtype) for k, v in cols.items()])
        for k, v in cols.items():
            rec[k] = v
        np.save(path, rec)
    elif kind == "npz":
        np.savez(path, **cols)
    elif kind == "npz_compressed":
        np.savez_compressed(path, **cols)
    elif kind in ("csv", "tsv", "ssv"):
        sep = {"csv": ",", "tsv": "\t", "ssv": "  "}[kind]
        body = np.column_stack([np.asarray(v).astype(np.int64) for v in cols.values()])
        text = "# exported by a home-built FPGA card\n" + sep.join(names) + "\n"
        text += "".join(sep.join(map(str, r)) + "\n" for r in body.tolist())
        path.write_text(text)
    elif kind == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table({k: np.asarray(v) for k, v in cols.items()}), path, row_group_size=97)
    else:
        raise ValueError(kind)
    return path


SUFFIX = {"npy": ".npy", "npz": ".npz", "npz_compressed": ".npz", "csv": ".csv", "tsv": ".tsv", "ssv": ".txt",
          "parquet": ".parquet"}
KINDS = list(SUFFIX)


def make(tmp_path, kind, cols, name="tags"):
    p = tmp_path / f"{name}{SUFFIX[kind]}"
    write(p, kind, cols)
    return p


def head_of(p: Path) -> bytes:
    return p.read_bytes()[:4096]


def assert_same(chunk, ts, det, nt=None):
    assert chunk.timestamps.dtype == np.int64 and chunk.detectors.dtype == np.uint8
    np.testing.assert_array_equal(chunk.timestamps, ts)
    np.testing.assert_array_equal(chunk.detectors, det)
    if nt is None:
        assert chunk.nanotimes is None
    else:
        assert chunk.nanotimes.dtype == np.uint16
        np.testing.assert_array_equal(chunk.nanotimes, nt)


# ---------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("kind", KINDS)
def test_every_container_round_trips_the_same_photons_t3(tmp_path, kind):
    ts, det, nt = photons()
    p = make(tmp_path, kind, {"timestamp": ts, "channel": det, "nanotime": nt})
    assert columns.probe(p, head_of(p))
    s = columns.open_stream(p, timestamps_unit_s=12.5e-9, nanotimes_unit_s=16e-12)
    assert s.info.format == "columns" and s.info.mode == "T3"
    assert s.info.n_records == len(ts)
    assert s.info.timestamps_unit_s == 12.5e-9 and s.info.nanotimes_unit_s == 16e-12
    assert_same(s.read(), ts, det, nt)


@pytest.mark.parametrize("kind", KINDS)
def test_every_container_round_trips_t2_with_unit_in_name(tmp_path, kind):
    ts, det, _ = photons(seed=1)
    p = make(tmp_path, kind, {"time_ps": ts, "detectors": det})
    s = columns.open_stream(p)
    assert s.info.mode == "T2" and s.info.nanotimes_unit_s is None
    assert s.info.timestamps_unit_s == 1e-12
    assert s.header["units"]["timestamps_unit_s"] == "column name 'time_ps'"
    assert_same(s.read(), ts, det)


def test_record_types(tmp_path):
    ts, det, _ = photons(20)
    got = {k: columns.open_stream(make(tmp_path, k, {"time_ns": ts, "channel": det})).info.record_type
           for k in KINDS}
    assert got == {"npy": "NPY structured array", "npz": "NPZ arrays", "npz_compressed": "NPZ arrays", "csv": "CSV",
                   "tsv": "TSV", "ssv": "text (whitespace-separated)", "parquet": "Parquet"}


def test_npz_storage_is_reported(tmp_path):
    ts, det, _ = photons(30)
    a = columns.open_stream(make(tmp_path, "npz", {"time_ps": ts, "channel": det}, "a"))
    b = columns.open_stream(make(tmp_path, "npz_compressed", {"time_ps": ts, "channel": det}, "b"))
    assert a.header["members"]["time_ps"]["stored"] == "uncompressed"  # memory-mapped
    assert b.header["members"]["time_ps"]["stored"] == "compressed"  # read whole


# ---------------------------------------------------------------------------- streaming


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("size", [1, 7, None])
def test_streaming_equals_whole_read(tmp_path, kind, size):
    ts, det, nt = photons(300, seed=2)
    p = make(tmp_path, kind, {"timestamps": ts, "channel": det, "dtime": nt})
    s = columns.open_stream(p, timestamps_unit_s=1e-7, nanotimes_unit_s=1e-11)
    chunks = list(s.chunks(size))
    assert all(len(c) <= (size or defaults.CHUNK_ROWS) for c in chunks)
    if size == 1:
        assert len(chunks) == len(ts)
    joined = concatenate_chunks(chunks, t3=True)
    whole = s.read()
    for name in ("timestamps", "detectors", "nanotimes"):
        np.testing.assert_array_equal(getattr(joined, name), getattr(whole, name))
    assert_same(joined, ts, det, nt)


# ---------------------------------------------------------------------------- units


def test_missing_timestamps_unit_names_file_and_option(tmp_path):
    ts, det, _ = photons(10)
    p = make(tmp_path, "csv", {"timestamp": ts, "channel": det})
    with pytest.raises(FormatError) as e:
        columns.open_stream(p)
    msg = str(e.value)
    assert str(p) in msg and "timestamps_unit_s=" in msg and "tags.csv.units.json" in msg
    assert "\n" not in msg


def test_missing_nanotimes_unit_names_option(tmp_path):
    ts, det, nt = photons(10)
    p = make(tmp_path, "npz", {"time_ps": ts, "channel": det, "nanotimes": nt})
    with pytest.raises(FormatError, match=r"tags\.npz: nanotimes unit unknown.*pass nanotimes_unit_s="):
        columns.open_stream(p)


def test_sidecar_gives_units_and_options_override_it(tmp_path):
    ts, det, nt = photons(40)
    p = make(tmp_path, "csv", {"timestamp": ts, "channel": det + 1, "nanotime": nt})
    side = tmp_path / "tags.csv.units.json"
    side.write_text(json.dumps({"timestamps_unit_s": 5e-9, "nanotimes_unit_s": 8e-12, "channel_base": 1}))
    s = columns.open_stream(p)
    assert s.info.timestamps_unit_s == 5e-9 and s.info.nanotimes_unit_s == 8e-12
    assert s.header["sidecar"] == str(side)
    assert s.header["units"]["timestamps_unit_s"] == "sidecar tags.csv.units.json"
    assert_same(s.read(), ts, det, nt)
    o = columns.open_stream(p, timestamps_unit_s=1e-9)
    assert o.info.timestamps_unit_s == 1e-9 and o.header["units"]["timestamps_unit_s"] == "option"
    assert o.info.nanotimes_unit_s == 8e-12


def test_stem_json_sidecar_and_unrelated_json(tmp_path):
    ts, det, _ = photons(20)
    p = make(tmp_path, "parquet", {"timestamp": ts, "channel": det})
    stem = tmp_path / "tags.json"
    stem.write_text(json.dumps({"sample": "QD 12", "timestamps_unit_s": 1e-12}))
    assert columns.open_stream(p).info.timestamps_unit_s == 1e-12
    stem.write_text(json.dumps({"sample": "QD 12"}))  # nothing for us: ignored
    with pytest.raises(FormatError, match="timestamps_unit_s="):
        columns.open_stream(p)


def test_bad_sidecar_key_is_an_error(tmp_path):
    ts, det, _ = photons(20)
    p = make(tmp_path, "npy", {"timestamp": ts, "channel": det})
    (tmp_path / "tags.npy.units.json").write_text(json.dumps({"timestamp_unit_s": 1e-9}))
    with pytest.raises(FormatError, match=r"units\.json: unknown key\(s\) timestamp_unit_s"):
        columns.open_stream(p)


def test_option_overrides_unit_in_column_name(tmp_path):
    ts, det, _ = photons(20)
    p = make(tmp_path, "csv", {"time_ps": ts, "channel": det})
    assert columns.open_stream(p, timestamps_unit_s=4e-12).info.timestamps_unit_s == 4e-12


@pytest.mark.parametrize("name, unit", [("time_ns", 1e-9), ("Time (ps)", 1e-12), ("timestamps[us]", 1e-6),
                                        ("times", None), ("time_s", 1.0), ("TIMESTAMP", None)])
def test_column_names_and_units(name, unit):
    assert columns.column_role(name) == ("timestamps", unit)


def test_sync_column_is_the_macrotime_with_sync_rate(tmp_path):
    ts, det, nt = photons(50)
    p = make(tmp_path, "csv", {"sync": ts, "channel": det, "nanotime_ps": nt})
    s = columns.open_stream(p, sync_rate_hz=5e6)
    assert s.header["used"]["timestamps"] == "sync"
    assert s.info.timestamps_unit_s == pytest.approx(200e-9) and s.info.sync_rate_hz == 5e6
    assert s.info.nanotimes_unit_s == 1e-12 and s.info.tcspc_num_bins == 200_000
    assert_same(s.read(), ts, det, nt)


def test_timestamp_column_wins_over_sync_column(tmp_path):
    ts, det, _ = photons(50)
    p = make(tmp_path, "npz", {"time_ps": ts * 1000, "sync": ts, "channel": det})
    s = columns.open_stream(p)
    assert s.header["used"]["timestamps"] == "time_ps"
    assert any("'sync' ignored" in w for w in s.info.warnings)
    s2 = columns.open_stream(p, timestamps_column="sync", timestamps_unit_s=1e-7)
    np.testing.assert_array_equal(s2.read().timestamps, ts)


# ---------------------------------------------------------------------------- channels, mode


@pytest.mark.parametrize("kind", ["csv", "npy", "parquet"])
def test_channel_base_one_is_shifted(tmp_path, kind):
    ts, det, _ = photons(60, n_det=4)
    p = make(tmp_path, kind, {"time_ps": ts, "channel": det.astype(np.int64) + 1})
    assert_same(columns.open_stream(p, channel_base=1).read(), ts, det)
    assert_same(columns.open_stream(p).read(), ts, det + 1)  # default base 0: unchanged


def test_channel_zero_with_base_one_names_the_row(tmp_path):
    ts, det, _ = photons(30)
    ch = det.astype(np.int64) + 1
    ch[17] = 0
    p = make(tmp_path, "csv", {"time_ps": ts, "channel": ch})
    with pytest.raises(FormatError, match=r"row 17 \(line 20\): channel 0 gives detector -1"):
        columns.open_stream(p, channel_base=1).read()
    with pytest.raises(FormatError, match="channel_base must be 0 or 1"):
        columns.open_stream(p, channel_base=2)


def test_sync_channel_goes_to_its_own_stream(tmp_path):
    ts, det, _ = photons(200, n_det=3)
    p = make(tmp_path, "parquet", {"timestamp": ts, "channel": det})
    d = columns.open_stream(p, timestamps_unit_s=1e-12, sync_channel=2).read()
    keep = det != 2
    assert_same(d, ts[keep], det[keep])
    np.testing.assert_array_equal(d.sync_timestamps, ts[~keep])


def test_mode_option(tmp_path):
    ts, det, nt = photons(20)
    p = make(tmp_path, "npy", {"time_ps": ts, "channel": det, "nanotime_ps": nt})
    t2 = columns.open_stream(p, mode="T2")
    assert t2.info.mode == "T2" and t2.read().nanotimes is None
    q = make(tmp_path, "npy", {"time_ps": ts, "channel": det}, "t2only")
    with pytest.raises(FormatError, match="no nanotimes column"):
        columns.open_stream(q, mode="T3")


# ---------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("kind", ["csv", "npz", "parquet"])
def test_decreasing_timestamps_name_the_row_within_and_across_chunks(tmp_path, kind):
    ts, det, _ = photons(40)
    ts = ts.copy()
    ts[14] = ts[13] - 1  # row 14: the first row of the third chunk of 7
    p = make(tmp_path, kind, {"time_ps": ts, "channel": det})
    for size in (7, 5, None):  # across a chunk boundary, inside a chunk, whole
        with pytest.raises(FormatError, match=r"row 14\b.*timestamps decrease"):
            list(columns.open_stream(p).chunks(size))


def test_missing_channel_column(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("timestamp,intensity\n1,5\n")
    with pytest.raises(FormatError, match=r"t\.csv: no channel column"):
        columns.open_stream(p, timestamps_unit_s=1e-9)


def test_non_integer_cell_names_row_and_column(tmp_path):
    p = tmp_path / "t.tsv"
    p.write_text("timestamp\tchannel\n1\t0\n2\t1\n3.5\t0\n4\t1\n")
    with pytest.raises(FormatError, match=r"row 2 \(line 4\): non-integer value 3\.5 in column 'timestamp'"):
        columns.open_stream(p, timestamps_unit_s=1e-9).read()
    p.write_text("timestamp\tchannel\n1\t0\n2\tA\n")
    with pytest.raises(FormatError, match=r"row 1 \(line 3\): non-integer value 'A' in column 'channel'"):
        columns.open_stream(p, timestamps_unit_s=1e-9).read()
    p.write_text("timestamp\tchannel\n1\t0\n2\t\n")
    with pytest.raises(FormatError, match=r"row 1 \(line 3\): missing value in column 'channel'"):
        columns.open_stream(p, timestamps_unit_s=1e-9).read()


def test_integral_floats_are_accepted(tmp_path):
    ts, det, _ = photons(30)
    p = make(tmp_path, "parquet", {"time_ps": ts.astype(float), "channel": det})
    assert_same(columns.open_stream(p).read(), ts, det)


def test_nanotime_out_of_range(tmp_path):
    ts, det, _ = photons(30)
    nt = np.zeros(30, np.int64)
    nt[9] = 70000
    p = make(tmp_path, "npz", {"time_ps": ts, "channel": det, "nanotime_ps": nt})
    with pytest.raises(FormatError, match=r"row 9: nanotime 70000 outside 0\.\.65535"):
        columns.open_stream(p).read()


def test_ambiguous_columns(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("time,timestamp,channel\n1,1,0\n")
    with pytest.raises(FormatError, match="all look like timestamps; pass timestamps_column="):
        columns.open_stream(p, timestamps_unit_s=1e-9)
    s = columns.open_stream(p, timestamps_unit_s=1e-9, timestamps_column="time")
    assert s.header["used"]["timestamps"] == "time"


def test_plain_npy_without_names(tmp_path):
    p = tmp_path / "plain.npy"
    np.save(p, np.zeros((10, 2), np.int64))
    assert not columns.probe(p, head_of(p))
    with pytest.raises(FormatError, match="without column names"):
        columns.open_stream(p, timestamps_unit_s=1e-9)


def test_csv_row_count_skips_comments_and_trailing_blank_lines(tmp_path):
    ts, det, _ = photons(25)
    p = make(tmp_path, "csv", {"time_ps": ts, "channel": det})
    p.write_text(p.read_text() + "\n\n")
    s = columns.open_stream(p)
    assert s.info.n_records == 25
    assert_same(s.read(), ts, det)


def test_empty_table(tmp_path):
    p = tmp_path / "e.csv"
    p.write_text("time_ps,channel\n")
    s = columns.open_stream(p)
    assert s.info.n_records == 0 and len(s.read()) == 0


# ---------------------------------------------------------------------------- probing


def test_probe_rejects_other_content(tmp_path):
    a = tmp_path / "a.csv"
    a.write_text("x,y\n1,2\n")
    assert not columns.probe(a, head_of(a))
    z = tmp_path / "z.npz"
    np.savez(z, image=np.zeros(3))
    assert not columns.probe(z, head_of(z))
    b = tmp_path / "b.bin"
    b.write_bytes(bytes(range(256)) * 4)
    assert not columns.probe(b, head_of(b))
    assert not columns.probe(tmp_path, b"")
    assert not columns.probe(tmp_path / "absent.npz", b"PK\x03\x04garbage")


def test_unknown_option_is_rejected(tmp_path):
    ts, det, _ = photons(5)
    p = make(tmp_path, "csv", {"time_ps": ts, "channel": det})
    with pytest.raises(TypeError, match="flags"):
        columns.open_stream(p, flags="drop")
    assert columns.open_stream(p, flags=None).info.n_records == 5


@pytest.mark.parametrize("kind", ["npy", "npz", "csv", "tsv", "parquet"])
def test_detect_format_routes_to_columns(tmp_path, kind):
    from tttr.io.sniff import detect_format

    ts, det, _ = photons(20)
    p = make(tmp_path, kind, {"time_ps": ts, "channel": det})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert detect_format(p) == "columns"
