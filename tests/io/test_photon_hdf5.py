"""Photon-HDF5 reading and writing (tttr.io.photon_hdf5).

The real file is ``derived/pq_hydraharp_v2_t3_symphotime.photon-hdf5.h5`` (made by phconvert
from a HydraHarp V2 T3 PTU); its photons are checked against the reference decode of the
source PTU. Files we write are loaded and validated by phconvert (strict descriptions).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import h5py
import numpy as np
import phconvert.hdf5 as phc_hdf5  # a declared dependency; its validator is the reference
import pytest

from tttr.errors import FormatError, TttrWarning
from tttr.io import photon_hdf5 as ph
from tttr.io.events import PhotonChunk, concatenate_chunks

DERIVED = "derived/pq_hydraharp_v2_t3_symphotime.photon-hdf5.h5"
REFERENCE = "reference/pq_hydraharp_v2_t3_symphotime.ptu.events.npz"


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------


def synthetic(mode: str, n: int = 5000, n_det: int = 2, seed: int = 1) -> PhotonChunk:
    rng = np.random.default_rng(seed)
    ts = np.cumsum(rng.integers(0, 400, n)).astype(np.int64) + 10
    det = rng.integers(0, n_det, n).astype(np.uint8)
    nt = rng.integers(0, 3125, n).astype(np.uint16) if mode == "T3" else None
    return PhotonChunk(timestamps=ts, detectors=det, nanotimes=nt)


def split(chunk: PhotonChunk, size: int):
    n = len(chunk)
    for a in range(0, n, size):
        yield PhotonChunk(
            timestamps=chunk.timestamps[a : a + size],
            detectors=chunk.detectors[a : a + size],
            nanotimes=None if chunk.nanotimes is None else chunk.nanotimes[a : a + size],
        )


def writer_args(mode: str) -> dict:
    if mode == "T3":
        return dict(timestamps_unit_s=2.000016e-7, nanotimes_unit_s=6.4e-11, tcspc_num_bins=3125)
    return dict(timestamps_unit_s=1e-12)


def phconvert_check(path: Path) -> None:
    """phconvert's loader (validates) and its strictest validation must accept the file."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its advisory warnings about optional fields
        h5 = phc_hdf5.load_photon_hdf5(str(path))
        try:
            phc_hdf5.assert_valid_photon_hdf5(
                h5, warnings=False, verbose=True, strict_description=True, require_rootformat=True
            )
        finally:
            h5.close()


def assert_same_photons(a: PhotonChunk, b: PhotonChunk) -> None:
    np.testing.assert_array_equal(a.timestamps, b.timestamps)
    np.testing.assert_array_equal(a.detectors, b.detectors)
    assert a.timestamps.dtype == np.int64 and a.detectors.dtype == np.uint8
    if b.nanotimes is None:
        assert a.nanotimes is None
    else:
        assert a.nanotimes.dtype == np.uint16
        np.testing.assert_array_equal(a.nanotimes, b.nanotimes)


def h5_content(path: Path, skip=("identity/creation_time", "identity/filename", "identity/filename_full")):
    """Every dataset's value and every attribute of a file (minus per-file identity)."""
    out = {}
    with h5py.File(path, "r") as f:
        out["/attrs"] = {k: f.attrs[k] for k in f.attrs}

        def visit(name, node):
            if name in skip:
                return
            attrs = {k: node.attrs[k] for k in node.attrs}
            if isinstance(node, h5py.Dataset):
                out[name] = (node[()], node.dtype, attrs)
            else:
                out[name] = attrs

        f.visititems(visit)
    return out


def assert_same_content(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        if isinstance(a[k], tuple):
            va, da, aa = a[k]
            vb, db, ab = b[k]
            assert da == db, k
            np.testing.assert_array_equal(va, vb, err_msg=k)
            assert aa == ab, k
        else:
            assert a[k] == b[k], k


# ---------------------------------------------------------------------------------------
# 1. the real derived file reads back to the reference photons
# ---------------------------------------------------------------------------------------


def test_real_derived_file_matches_reference_decode(real):
    path = real(DERIVED)
    ref = np.load(real(REFERENCE))
    stream = ph.open_stream(path)
    info = stream.info
    assert info.format == "Photon-HDF5"
    assert info.record_type == "generic"
    assert info.mode == "T3" and info.is_t3
    assert info.n_records == 77_883
    assert info.timestamps_unit_s == float(ref["timestamps_unit"])
    assert info.nanotimes_unit_s == float(ref["nanotimes_unit"])
    assert info.tcspc_num_bins == 3125
    assert info.sync_rate_hz == 4_999_960.0
    assert info.acquisition_time_s == 10.0

    data = stream.read()
    np.testing.assert_array_equal(data.timestamps, ref["timestamps"])
    np.testing.assert_array_equal(data.detectors, ref["detectors"])
    np.testing.assert_array_equal(data.nanotimes, ref["nanotimes"])
    assert data.timestamps.dtype == np.int64
    assert data.detectors.dtype == np.uint8
    assert data.nanotimes.dtype == np.uint16
    assert np.bincount(data.detectors).tolist() == [45_012, 32_871]
    assert data.markers.size == 0 and data.sync_timestamps.size == 0


def test_real_derived_header(real):
    h = ph.open_stream(real(DERIVED)).header
    assert h["identity/software"] == "phconvert"
    assert h["identity/format_version"] == "0.5"
    assert h["provenance/filename"] == "v20_t3.ptu"
    assert h["setup/num_pixels"] == 2
    assert h["setup/lifetime"] == 1
    assert h["measurement_specs/detectors_specs/split_ch1"] == [0]
    assert h["measurement_specs/detectors_specs/split_ch2"] == [1]
    assert h["description"].startswith("DERIVED test file")
    assert all(isinstance(k, str) for k in h)


def test_real_derived_is_detected(real):
    path = real(DERIVED)
    with path.open("rb") as fh:
        head = fh.read(4096)
    assert ph.probe(path, head) is True
    from tttr.io.sniff import detect_format

    assert detect_format(path) == "photon_hdf5"


# ---------------------------------------------------------------------------------------
# 2. round trips: our writer -> our reader, phconvert, h5py
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["T3", "T2"])
def test_round_trip_synthetic(tmp_path, mode):
    data = synthetic(mode, n_det=2)
    out = tmp_path / f"syn_{mode}.h5"
    with ph.PhotonHDF5Writer(
        out,
        **writer_args(mode),
        description="synthetic test photons",
        identity={"author": "tttr tests", "author_affiliation": "n/a"},
        provenance={"filename": "nothing.ptu", "software": "numpy"},
        sample={"sample_name": "random", "num_dyes": 1},
        setup={"excitation_wavelengths": [485e-9], "detection_wavelengths": [520e-9]},
    ) as w:
        w.write(data)
    assert out.exists()

    stream = ph.open_stream(out)
    assert stream.info.mode == mode
    assert stream.info.n_records == len(data)
    assert stream.info.timestamps_unit_s == writer_args(mode)["timestamps_unit_s"]
    assert_same_photons(stream.read(), data)
    assert stream.header["sample/sample_name"] == "random"
    assert stream.header["identity/author"] == "tttr tests"

    phconvert_check(out)
    with h5py.File(out, "r") as f:
        pd = f["photon_data"]
        np.testing.assert_array_equal(pd["timestamps"][:], data.timestamps)
        np.testing.assert_array_equal(pd["detectors"][:], data.detectors)
        assert pd["timestamps"].dtype == np.int64 and pd["detectors"].dtype == np.uint8
        assert pd["measurement_specs/measurement_type"][()] == b"generic"
        assert pd["measurement_specs/detectors_specs/split_ch1"][:].tolist() == [0]
        assert pd["measurement_specs/detectors_specs/split_ch2"][:].tolist() == [1]
        assert f["setup/num_split_ch"][()] == 2
        assert f["setup/detectors/counts"][:].tolist() == np.bincount(data.detectors).tolist()
        assert f.attrs["format_version"] == b"0.5"
        if mode == "T3":
            np.testing.assert_array_equal(pd["nanotimes"][:], data.nanotimes)
            assert pd["nanotimes"].dtype == np.uint16
            assert pd["nanotimes_specs/tcspc_num_bins"][()] == 3125
            assert f["setup/lifetime"][()] == 1
            assert f["setup/excitation_cw"][:].tolist() == [0]
        else:
            assert "nanotimes" not in pd
            assert f["setup/lifetime"][()] == 0
            assert f["setup/excitation_cw"][:].tolist() == [1]
            assert "laser_repetition_rate" not in pd["measurement_specs"]
    # phconvert sees the same arrays through PyTables
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        h5 = phc_hdf5.load_photon_hdf5(str(out))
    try:
        np.testing.assert_array_equal(h5.root.photon_data.timestamps.read(), data.timestamps)
        np.testing.assert_array_equal(h5.root.photon_data.detectors.read(), data.detectors)
        if mode == "T3":
            np.testing.assert_array_equal(h5.root.photon_data.nanotimes.read(), data.nanotimes)
    finally:
        h5.close()


def test_round_trip_t2_pulsed_many_detectors_and_one_detector(tmp_path):
    # T2 with a known laser rate is described as pulsed; 4 detectors -> 4 split channels
    many = synthetic("T2", n_det=4, seed=3)
    out = tmp_path / "t2_4det.h5"
    with ph.PhotonHDF5Writer(out, timestamps_unit_s=1e-12, laser_repetition_rate_hz=80e6, detectors=()) as w:
        w.write(many)
    phconvert_check(out)
    s = ph.open_stream(out)
    assert s.info.sync_rate_hz == 80e6 and s.header["setup/num_split_ch"] == 4
    assert_same_photons(s.read(), many)

    one = PhotonChunk(timestamps=np.arange(10, dtype=np.int64), detectors=np.zeros(10, np.uint8))
    out1 = tmp_path / "t2_1det.h5"
    with ph.PhotonHDF5Writer(out1, timestamps_unit_s=1e-12, detectors=(0,)) as w:
        w.write(one)
    phconvert_check(out1)
    assert ph.open_stream(out1).header["setup/num_pixels"] == 1


def test_detectors_not_declared_are_added(tmp_path):
    data = synthetic("T3", n_det=3)  # detector 2 is not in the default (0, 1)
    out = tmp_path / "three.h5"
    with ph.PhotonHDF5Writer(out, **writer_args("T3")) as w:
        w.write(data)
    phconvert_check(out)
    with h5py.File(out, "r") as f:
        assert f["setup/detectors/id"][:].tolist() == [0, 1, 2]
        assert f["setup/num_split_ch"][()] == 3


def test_round_trip_real_derived_through_our_writer(real, tmp_path):
    src = ph.open_stream(real(DERIVED))
    original = src.read()
    out = tmp_path / "rewritten.h5"
    written = ph.write_photon_hdf5(out, src, chunk_size=10_000)
    assert written == out and out.exists()
    phconvert_check(out)
    back = ph.open_stream(out)
    assert_same_photons(back.read(), original)
    for field in ("timestamps_unit_s", "nanotimes_unit_s", "tcspc_num_bins", "sync_rate_hz", "acquisition_time_s"):
        assert getattr(back.info, field) == getattr(src.info, field), field
    assert back.header["provenance/filename"] == Path(DERIVED).name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        h5 = phc_hdf5.load_photon_hdf5(str(out))
    try:
        np.testing.assert_array_equal(h5.root.photon_data.nanotimes.read(), original.nanotimes)
    finally:
        h5.close()


def test_write_photon_hdf5_from_chunks(tmp_path):
    from tttr.io.events import StreamInfo

    data = synthetic("T3")
    info = StreamInfo(
        path=str(tmp_path / "source.ptu"), format="PTU", record_type="HydraHarp2T3", mode="T3",
        timestamps_unit_s=2e-7, nanotimes_unit_s=6.4e-11, sync_rate_hz=5e6, n_records=len(data),
        tcspc_num_bins=None, acquisition_time_s=None,
    )  # fmt: skip
    out = tmp_path / "from_chunks.h5"
    ph.write_photon_hdf5(out, split(data, 999), info, description="given")
    phconvert_check(out)
    s = ph.open_stream(out)
    assert_same_photons(s.read(), data)
    assert s.info.tcspc_num_bins == 3125  # period / unit
    assert s.header["description"] == "given"


# ---------------------------------------------------------------------------------------
# 3. streaming
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 7, 1000, None])
def test_streaming_equals_whole_read_real(real, size):
    s = ph.open_stream(real(DERIVED))
    whole = s.read()
    chunks = list(s.chunks(size))
    expected = size or len(whole)
    assert all(len(c) <= expected for c in chunks)
    assert sum(len(c) for c in chunks) == len(whole)
    assert_same_photons(concatenate_chunks(chunks, t3=True), whole)


@pytest.mark.parametrize("mode", ["T3", "T2"])
@pytest.mark.parametrize("size", [1, 7, 1000, None])
def test_streaming_equals_whole_read_synthetic(tmp_path, mode, size):
    data = synthetic(mode, n=70_000 if size != 1 else 3_000)  # > READ_BLOCK unless size 1
    out = tmp_path / "s.h5"
    with ph.PhotonHDF5Writer(out, **writer_args(mode)) as w:
        w.write(data)
    s = ph.open_stream(out)
    chunks = list(s.chunks(size))
    if size:
        assert [len(c) for c in chunks[:-1]] == [size] * (len(chunks) - 1)
    assert_same_photons(concatenate_chunks(chunks, t3=mode == "T3"), data)


def test_chunk_size_must_be_positive(tmp_path):
    out = tmp_path / "s.h5"
    with ph.PhotonHDF5Writer(out, **writer_args("T2")) as w:
        w.write(synthetic("T2", n=10))
    with pytest.raises(ValueError):
        next(ph.open_stream(out).chunks(-1))


@pytest.mark.parametrize("mode", ["T3", "T2"])
def test_writer_chunking_does_not_change_the_file(tmp_path, mode):
    data = synthetic(mode, n=2000)
    contents = []
    for size in (None, 1, 7):
        out = tmp_path / f"w_{size}.h5"
        with ph.PhotonHDF5Writer(out, **writer_args(mode), description="same") as w:
            for c in [data] if size is None else split(data, size):
                w.write(c)
        contents.append(h5_content(out))
    assert_same_content(contents[0], contents[1])
    assert_same_content(contents[0], contents[2])


def test_tcspc_num_bins_covers_every_nanotime(tmp_path):
    # real files hold microtimes a few bins past period / resolution
    c = PhotonChunk(np.arange(3, dtype=np.int64), np.zeros(3, np.uint8), np.array([5, 802, 10], np.uint16))
    out = tmp_path / "bins.h5"
    with ph.PhotonHDF5Writer(out, timestamps_unit_s=1.28e-8, nanotimes_unit_s=1.6e-11, tcspc_num_bins=800) as w:
        w.write(c)
    info = ph.open_stream(out).info
    assert info.tcspc_num_bins == 803
    with h5py.File(out, "r") as f:
        assert f["photon_data/nanotimes_specs/tcspc_range"][()] == pytest.approx(803 * 1.6e-11)
    phconvert_check(out)


def test_writer_with_empty_chunks_and_no_photons(tmp_path):
    out = tmp_path / "empty.h5"
    empty = PhotonChunk(np.empty(0, np.int64), np.empty(0, np.uint8), np.empty(0, np.uint16))
    with ph.PhotonHDF5Writer(out, **writer_args("T3")) as w:
        w.write(empty)
    phconvert_check(out)
    s = ph.open_stream(out)
    assert s.info.n_records == 0 and len(s.read()) == 0 and list(s.chunks(7)) == []


# ---------------------------------------------------------------------------------------
# 4. overwrite protection and atomicity
# ---------------------------------------------------------------------------------------


def test_overwrite_refused_without_force(tmp_path):
    out = tmp_path / "exists.h5"
    out.write_bytes(b"precious")
    with pytest.raises(FileExistsError) as exc:
        ph.PhotonHDF5Writer(out, **writer_args("T2"))
    assert "exists.h5" in str(exc.value) and "\n" not in str(exc.value)
    with pytest.raises(FileExistsError):
        ph.write_photon_hdf5(out, [synthetic("T2")], _info_t2(tmp_path))
    assert out.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exists.h5"]

    with ph.PhotonHDF5Writer(out, **writer_args("T2"), force=True) as w:
        w.write(synthetic("T2"))
    assert ph.probe(out, out.read_bytes()[:4096])


def test_file_appearing_during_writing_is_not_overwritten(tmp_path):
    out = tmp_path / "race.h5"
    w = ph.PhotonHDF5Writer(out, **writer_args("T2"))
    w.write(synthetic("T2"))
    out.write_bytes(b"someone else")
    with pytest.raises(FileExistsError):
        w.close()
    assert out.read_bytes() == b"someone else"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["race.h5"]


def test_failure_inside_with_leaves_nothing(tmp_path):
    out = tmp_path / "fail.h5"
    with pytest.raises(RuntimeError):
        with ph.PhotonHDF5Writer(out, **writer_args("T3")) as w:
            w.write(synthetic("T3"))
            raise RuntimeError("boom")
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []
    assert w.closed


def test_failure_in_source_stream_leaves_nothing(tmp_path):
    def broken():
        yield synthetic("T2", n=100)
        raise FormatError("src.ptu", "file ended while reading records")

    out = tmp_path / "conv.h5"
    with pytest.raises(FormatError):
        ph.write_photon_hdf5(out, broken(), _info_t2(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_bad_chunks_are_refused(tmp_path):
    out = tmp_path / "bad.h5"
    with pytest.raises(ValueError):
        with ph.PhotonHDF5Writer(out, **writer_args("T3")) as w:
            w.write(synthetic("T2"))  # no nanotimes for a T3 file
    with pytest.raises(ValueError):
        with ph.PhotonHDF5Writer(out, **writer_args("T2")) as w:
            w.write(synthetic("T3"))  # nanotimes without a unit
    with pytest.raises(ValueError):
        with ph.PhotonHDF5Writer(out, **writer_args("T2")) as w:
            w.write(PhotonChunk(np.arange(3, dtype=np.int64), np.array([0, 1, 300])))
    assert list(tmp_path.iterdir()) == []


def test_unknown_metadata_fields_are_refused(tmp_path):
    out = tmp_path / "meta.h5"
    with pytest.raises(ValueError, match="not a Photon-HDF5"):
        ph.PhotonHDF5Writer(out, **writer_args("T2"), identity={"favourite_colour": "blue"})
    with pytest.raises(ValueError, match="written by the writer"):
        ph.PhotonHDF5Writer(out, **writer_args("T2"), setup={"num_pixels": 4})
    assert list(tmp_path.iterdir()) == []


def test_markers_and_sync_events_are_kept_under_user(tmp_path):
    out = tmp_path / "markers.h5"
    chunks = [
        PhotonChunk(
            timestamps=np.array([1, 5], np.int64),
            detectors=np.array([0, 1], np.uint8),
            marker_timestamps=np.array([3], np.int64),
            markers=np.array([1], np.uint8),
            sync_timestamps=np.array([0, 2, 4], np.int64),
        ),
        PhotonChunk(  # a chunk of markers only
            timestamps=np.array([], np.int64),
            detectors=np.array([], np.uint8),
            marker_timestamps=np.array([7, 8], np.int64),
            markers=np.array([2, 4], np.uint8),
        ),
    ]
    with ph.PhotonHDF5Writer(out, **writer_args("T2")) as w:  # no warning any more (warnings are errors)
        for c in chunks:
            w.write(c)
    back = ph.open_stream(out).read()
    assert len(back) == 2  # photons only among the photons
    assert back.marker_timestamps.tolist() == [3, 7, 8] and back.markers.tolist() == [1, 2, 4]
    assert back.sync_timestamps.tolist() == [0, 2, 4]
    with h5py.File(out, "r") as f:
        m = f["user/tttr/markers"]
        assert m["timestamps"][:].tolist() == [3, 7, 8] and m["timestamps"].dtype == np.int64
        assert m["bits"][:].tolist() == [1, 2, 4] and m["bits"].dtype == np.uint8
        assert m["timestamps_unit"][()] == writer_args("T2")["timestamps_unit_s"]
        assert f["user/tttr/sync/timestamps"][:].tolist() == [0, 2, 4]
    phconvert_check(out)  # /user is outside the validated specification
    # a photons-only file has no /user group at all
    plain = tmp_path / "plain.h5"
    with ph.PhotonHDF5Writer(plain, **writer_args("T2")) as w:
        w.write(synthetic("T2", n=10))
    with h5py.File(plain, "r") as f:
        assert "user" not in f


def test_convert_keeps_the_markers_of_a_real_file(real, tmp_path):
    import tttr

    src = real("pq_hydraharp_v2_t3_microtime200_beads_image.ptu")  # 100 markers (SOURCES.md)
    whole = tttr.read(src)
    out = ph.write_photon_hdf5(tmp_path / "beads.h5", tttr.open(src), chunk_size=7_000)
    with h5py.File(out, "r") as f:
        np.testing.assert_array_equal(f["user/tttr/markers/timestamps"][:], whole.marker_timestamps)
        np.testing.assert_array_equal(f["user/tttr/markers/bits"][:], whole.markers)
    assert whole.markers.size == 100
    phconvert_check(out)
    # read back: every chunk carries the markers up to its last photon, none is lost or repeated
    for size in (1_000, 10**6):
        chunks = list(ph.open_stream(out).chunks(size))
        for c in chunks[:-1]:
            assert c.marker_timestamps.size == 0 or c.marker_timestamps[-1] <= c.timestamps[-1]
        back = concatenate_chunks(chunks, True)
        np.testing.assert_array_equal(back.marker_timestamps, whole.marker_timestamps)
        np.testing.assert_array_equal(back.markers, whole.markers)
        np.testing.assert_array_equal(back.timestamps, whole.timestamps)


def _info_t2(tmp_path):
    from tttr.io.events import StreamInfo

    return StreamInfo(
        path=str(tmp_path / "src.ptu"), format="PTU", record_type="HydraHarp2T2", mode="T2",
        timestamps_unit_s=1e-12, nanotimes_unit_s=None, sync_rate_hz=None, n_records=0,
    )  # fmt: skip


# ---------------------------------------------------------------------------------------
# 5. bad input
# ---------------------------------------------------------------------------------------


def test_hdf5_without_photon_data(tmp_path):
    p = tmp_path / "other.h5"
    with h5py.File(p, "w") as f:
        f.create_dataset("data", data=np.arange(10))
    assert ph.probe(p, p.read_bytes()[:4096]) is False
    with pytest.raises(FormatError, match="photon_data"):
        ph.open_stream(p)


def test_missing_timestamps_unit_is_a_one_line_format_error(tmp_path):
    p = tmp_path / "nounit.h5"
    with h5py.File(p, "w") as f:
        f.create_dataset("photon_data/timestamps", data=np.arange(10, dtype=np.int64))
        f.create_dataset("photon_data/detectors", data=np.zeros(10, np.uint8))
    assert ph.probe(p, p.read_bytes()[:4096]) is True  # it claims to be Photon-HDF5
    with pytest.raises(FormatError) as exc:
        ph.open_stream(p)
    msg = str(exc.value)
    assert "timestamps_unit" in msg and str(p) in msg and "\n" not in msg


def test_other_broken_files(tmp_path):
    # missing timestamps
    p = tmp_path / "nots.h5"
    with h5py.File(p, "w") as f:
        f.create_group("photon_data")
    with pytest.raises(FormatError, match="timestamps is missing"):
        ph.open_stream(p)
    # mismatched lengths
    p = tmp_path / "mismatch.h5"
    with h5py.File(p, "w") as f:
        f.create_dataset("photon_data/timestamps", data=np.arange(10, dtype=np.int64))
        f.create_dataset("photon_data/detectors", data=np.zeros(9, np.uint8))
        f.create_dataset("photon_data/timestamps_specs/timestamps_unit", data=1e-9)
    with pytest.raises(FormatError, match="9 elements"):
        ph.open_stream(p)
    # nanotimes without a unit
    p = tmp_path / "nonanounit.h5"
    with h5py.File(p, "w") as f:
        f.create_dataset("photon_data/timestamps", data=np.arange(10, dtype=np.int64))
        f.create_dataset("photon_data/nanotimes", data=np.zeros(10, np.uint16))
        f.create_dataset("photon_data/timestamps_specs/timestamps_unit", data=1e-9)
    with pytest.raises(FormatError, match="tcspc_unit"):
        ph.open_stream(p)
    # detectors that do not fit uint8
    p = tmp_path / "widedet.h5"
    with h5py.File(p, "w") as f:
        f.create_dataset("photon_data/timestamps", data=np.arange(3, dtype=np.int64))
        f.create_dataset("photon_data/detectors", data=np.array([0, 1, 300], np.uint16))
        f.create_dataset("photon_data/timestamps_specs/timestamps_unit", data=1e-9)
    with pytest.raises(FormatError, match="uint8"):
        ph.open_stream(p).read()


def test_probe_never_raises(tmp_path):
    fake = tmp_path / "fake.h5"
    fake.write_bytes(ph.HDF5_SIGNATURE + b"\0" * 100)  # signature, then garbage
    assert ph.probe(fake, fake.read_bytes()) is False
    text = tmp_path / "x.txt"
    text.write_text("hello")
    assert ph.probe(text, b"hello") is False
    assert ph.probe(tmp_path / "missing.h5", b"") is False
    assert ph.probe(tmp_path, b"") is False
    with pytest.raises(FormatError):
        ph.open_stream(fake)


def test_minimal_file_and_user_block(tmp_path):
    # no detectors array (allowed for one detector), HDF5 user block of 1024 bytes
    p = tmp_path / "ub.h5"
    with h5py.File(p, "w", userblock_size=1024) as f:
        f.create_dataset("photon_data/timestamps", data=np.arange(5, dtype=np.uint32))
        f.create_dataset("photon_data/timestamps_specs/timestamps_unit", data=12.5e-9)
    raw = p.read_bytes()
    assert raw[:8] != ph.HDF5_SIGNATURE and raw[1024:1032] == ph.HDF5_SIGNATURE
    assert ph.probe(p, raw[:4096]) is True
    s = ph.open_stream(p)
    d = s.read()
    assert s.info.mode == "T2" and s.info.record_type == "unspecified" and s.info.warnings
    assert d.timestamps.dtype == np.int64 and d.timestamps.tolist() == [0, 1, 2, 3, 4]
    assert d.detectors.tolist() == [0] * 5


def test_multispot(tmp_path):
    p = tmp_path / "multi.h5"
    with h5py.File(p, "w") as f:
        for spot in (0, 1):
            f.create_dataset(f"photon_data{spot}/timestamps", data=np.arange(4, dtype=np.int64) + 100 * spot)
            f.create_dataset(f"photon_data{spot}/detectors", data=np.full(4, spot, np.uint8))
            f.create_dataset(f"photon_data{spot}/timestamps_specs/timestamps_unit", data=1e-8)
    assert ph.probe(p, p.read_bytes()[:4096]) is True
    assert ph.open_stream(p).read().timestamps.tolist() == [0, 1, 2, 3]
    assert ph.open_stream(p, spot=1).read().timestamps.tolist() == [100, 101, 102, 103]
    with pytest.raises(FormatError, match="spot 5"):
        ph.open_stream(p, spot=5)


# ---------------------------------------------------------------------------------------
# /user/tttr
# ---------------------------------------------------------------------------------------


def test_write_user_arrays(tmp_path):
    out = tmp_path / "with_user.h5"
    with ph.PhotonHDF5Writer(out, **writer_args("T3")) as w:
        w.write(synthetic("T3", n=100))
    where = ph.write_user_arrays(out, "trace", {"counts": np.arange(5), "bin_width_s": 0.01, "model": "auger"})
    assert where == "/user/tttr/trace"
    ph.write_user_arrays(out, "trace", {"counts": np.arange(3)})  # replaces the whole group
    ph.write_user_arrays(out, "g2/fit", {"tau_ns": [1.0, 2.0]})
    with h5py.File(out, "r") as f:
        assert sorted(f["user/tttr/trace"].keys()) == ["counts"]
        assert f["user/tttr/trace/counts"][:].tolist() == [0, 1, 2]
        assert f["user/tttr/g2/fit/tau_ns"][:].tolist() == [1.0, 2.0]
        assert not [k for k in f["user/tttr"].keys() if k.startswith(".")]
    phconvert_check(out)  # /user is outside the validated specification
    assert len(ph.open_stream(out).read()) == 100
    with pytest.raises(ValueError):
        ph.write_user_arrays(out, "../x", {"a": 1})
    with pytest.raises(FileNotFoundError):
        ph.write_user_arrays(tmp_path / "nope.h5", "x", {"a": 1})


def test_temporary_file_lives_in_destination_folder(tmp_path):
    out = tmp_path / "sub" / "x.h5"
    out.parent.mkdir()
    w = ph.PhotonHDF5Writer(out, **writer_args("T2"))
    try:
        names = os.listdir(out.parent)
        assert len(names) == 1 and names[0].startswith(".x.h5.") and names[0].endswith(".part")
    finally:
        w.abort()
    assert os.listdir(out.parent) == []
    # the finished file follows the umask like any new file (not a private temp-file mode)
    umask = os.umask(0)
    os.umask(umask)
    with ph.PhotonHDF5Writer(out, **writer_args("T2")) as w:
        w.write(synthetic("T2", n=10))
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask


# ---------------------------------------------------------------------------------------
# layering: io names its version through the leaf module, never the package root
# ---------------------------------------------------------------------------------------


def test_io_imports_no_name_of_the_package_root():
    """``from .. import X`` in io may only import submodules of tttr (an upward arrow otherwise)."""
    import ast
    import importlib.util

    import tttr.io

    io_dir = Path(tttr.io.__file__).parent
    offenders = []
    for path in sorted(io_dir.rglob("*.py")):
        depth = len(path.relative_to(io_dir).parts)  # 1 in io/, 2 in io/photon_hdf5/
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module is None and node.level == depth + 1:
                for alias in node.names:
                    if importlib.util.find_spec(f"tttr.{alias.name}") is None:
                        offenders.append(f"{path.name}: {alias.name}")
    assert offenders == []


# ---------------------------------------------------------------------------------------
# 7. what the source says: measurement type, detector roles, descriptive fields
# ---------------------------------------------------------------------------------------


def _ole(days: float) -> str:
    """The PTU TDateTime convention (days since 1899-12-30), computed here independently."""
    import datetime as dt

    return (dt.datetime(1899, 12, 30) + dt.timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S")


def _advisory_warnings(path) -> list[str]:
    """phconvert's advisory warnings about missing descriptive fields."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        h5 = phc_hdf5.load_photon_hdf5(str(path))
        try:
            phc_hdf5.assert_valid_photon_hdf5(h5, warnings=True, strict_description=True)
        finally:
            h5.close()
    return [str(w.message) for w in caught if "Photon-HDF5 WARNING" in str(w.message)]


def test_convert_answers_descriptive_fields_from_a_ptu_header(real, tmp_path):
    import tttr

    src = real("pq_hydraharp_v2_t2_acqui.ptu")
    stream = tttr.open(src)
    h = stream.header
    out = ph.write_photon_hdf5(tmp_path / "t2.h5", stream)
    phconvert_check(out)
    back = ph.open_stream(out).header
    assert back["provenance/software"] == h["CreatorSW_Name"]
    assert back["provenance/software_version"] == h["CreatorSW_Version"]
    assert back["provenance/creation_time"] == _ole(h["File_CreatingTime"])
    assert h["File_Comment"] in back["description"]
    # both enabled inputs are declared, the silent one with 0 counts: an HBT pair, not one detector
    enabled = sorted(int(k[18:-1]) for k, v in h.items() if k.startswith("HWInpChan_Enabled[") and v)
    assert back["setup/detectors/id"] == enabled == [0, 1]
    assert back["setup/detectors/counts"] == np.bincount(stream.read().detectors, minlength=2).tolist()
    assert back["setup/num_split_ch"] == 2 and back["measurement_specs/measurement_type"] == "generic"
    # what the header does not state stays unanswered (no author, no wavelengths in a PTU)
    left = _advisory_warnings(out)
    assert left and not any("provenance" in w for w in left)
    assert all(any(f in w for f in ("author", "wavelengths")) for w in left)


def test_convert_answers_descriptive_fields_from_an_spc_set_file(real, tmp_path):
    import tttr

    stream = tttr.open(real("bh_spc150_test_noise.spc"))
    ident = stream.header["set_identification"]
    out = ph.write_photon_hdf5(tmp_path / "spc.h5", stream)
    phconvert_check(out)
    back = ph.open_stream(out).header
    assert back["provenance/creation_time"] == f"{ident['Date']} {ident['Time']}"
    assert ident["Title"] in back["description"]
    # "System" / "Unknown" are SPCM's placeholders, not an author and an affiliation
    assert ident["Author"] == "System" and "identity/author" not in back
    assert "identity/author_affiliation" not in back


def test_duration_of_a_measurement_stopped_early(real, tmp_path):
    import tttr

    stream = tttr.open(real("pq_picoharp_t2.ptu"))
    h = stream.header
    assert h["TTResult_StopAfter"] < h["MeasDesc_AcquisitionTime"]  # stopped early (7.65 s of 60 s)
    out = ph.write_photon_hdf5(tmp_path / "early.h5", stream)
    back = ph.open_stream(out)
    assert back.info.acquisition_time_s == h["TTResult_StopAfter"] * 1e-3
    # PicoHarp T2 time-tags its sync input as detector 0: its "sync rate" is no laser's
    assert h["TTResult_SyncRate"] > 0 and back.info.sync_rate_hz is None
    assert back.header["setup/excitation_cw"] == [1] and "setup/laser_repetition_rates" not in back.header
    ts = back.read().timestamps
    span = (int(ts[-1]) - int(ts[0])) * back.info.timestamps_unit_s
    # the photons span the stated duration: StopAfter has 1 ms resolution and the first and
    # last photons sit within a few mean gaps (< 0.1 ms here) of the ends
    assert abs(span - back.info.acquisition_time_s) < 2e-3


@pytest.mark.parametrize(
    "mtype, specs, counts",
    [
        ("smFRET", {"spectral_ch1": [0], "spectral_ch2": [1]}, (2, 1, 1)),
        ("generic", {"polarization_ch1": [0], "polarization_ch2": [1]}, (1, 2, 1)),
        ("generic", {"spectral_ch1": [0], "spectral_ch2": [1, 2]}, (2, 1, 1)),
    ],
)
def test_writer_measurement_type_and_detector_roles(tmp_path, mtype, specs, counts):
    out = tmp_path / "roles.h5"
    with ph.PhotonHDF5Writer(out, **writer_args("T3"), measurement_type=mtype, detectors_specs=specs) as w:
        w.write(synthetic("T3", n_det=3))
    phconvert_check(out)  # strict: the channel counts must match the roles
    h = ph.open_stream(out).header
    assert h["measurement_specs/measurement_type"] == mtype
    for name, ids in specs.items():
        assert h[f"measurement_specs/detectors_specs/{name}"] == ids
    assert (h["setup/num_spectral_ch"], h["setup/num_polarization_ch"], h["setup/num_split_ch"]) == counts


@pytest.mark.parametrize(
    "mtype, specs",
    [
        ("smFRET-nsALEX", None),  # needs alternation periods
        ("HBT", None),  # not a type of the specification
        ("smFRET", {"split_ch1": [0], "split_ch2": [1]}),  # smFRET needs two spectral channels
        ("generic", {"spectral_ch1": [0], "spectral_ch3": [1]}),  # numbering gap
        ("generic", {"spectral_ch1": [0], "spectral_ch2": [0]}),  # one detector in two bands
        ("generic", {"donor": [0]}),
        ("generic", {"split_ch1": [300]}),
    ],
)
def test_writer_refuses_measurements_it_cannot_describe(tmp_path, mtype, specs):
    with pytest.raises(ValueError):
        ph.PhotonHDF5Writer(tmp_path / "x.h5", **writer_args("T2"), measurement_type=mtype, detectors_specs=specs)
    assert not list(tmp_path.iterdir())


def test_reconversion_keeps_type_roles_sample_and_author(tmp_path):
    first = tmp_path / "first.h5"
    specs = {"spectral_ch1": [0], "spectral_ch2": [1]}
    with ph.PhotonHDF5Writer(
        first, **writer_args("T3"), measurement_type="smFRET", detectors_specs=specs,
        identity={"author": "A. Author", "author_affiliation": "Lab"}, sample={"sample_name": "QD 7"},
        setup={"excitation_wavelengths": [405e-9]},
    ) as w:  # fmt: skip
        w.write(synthetic("T3"))
    second = ph.write_photon_hdf5(tmp_path / "second.h5", ph.open_stream(first))
    phconvert_check(second)
    a, b = ph.open_stream(first).header, ph.open_stream(second).header
    for key in ("measurement_specs/measurement_type", "measurement_specs/detectors_specs/spectral_ch1",
                "measurement_specs/detectors_specs/spectral_ch2", "identity/author", "identity/author_affiliation",
                "sample/sample_name", "setup/excitation_wavelengths", "setup/num_spectral_ch"):  # fmt: skip
        assert b[key] == a[key], key
    assert b["provenance/software"] == "tttr" and b["provenance/filename"] == "first.h5"
    # the first file answered every advisory field but the detection wavelengths
    assert [w for w in _advisory_warnings(second) if "wavelengths" not in w] == []


def test_fretbursts_loads_a_t2_conversion_and_estimates_its_background(real, tmp_path):
    """FRETBursts (optional) on the single-active-detector T2 file from ``tttr convert``.

    Two things failed before: FRETBursts' loader crashes on a file that declares one
    detector (its 1-colour path), and its background estimate with ``tail_min_us="auto"``
    first fits the waiting times above 250 us, of which a 61 kcps source has none
    (P = exp(-61e3 * 250e-6) ~ 2e-7 per gap). The first was ours (the silent second input
    of the HBT pair was not declared); the second is a choice of the FRETBursts user: a
    threshold a few mean gaps long works.
    """
    import tttr

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its import warns about a missing Qt
        fretbursts = pytest.importorskip("fretbursts")
    from fretbursts import bg, loader

    stream = tttr.open(real("pq_hydraharp_v2_t2_acqui.ptu"))
    n = stream.info.n_records
    out = ph.write_photon_hdf5(tmp_path / "t2.h5", stream)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # FRETBursts' own deprecation warnings
        d = loader.photon_hdf5(str(out))  # default options, fix_order=True
        assert d.meas_type == "smFRET" and d.clk_p == stream.info.timestamps_unit_s
        ts = d.ph_times_m[0]
        d.calc_bg(bg.exp_fit, time_s=1, tail_min_us=50, F_bg=1.7)
        rate = float(np.mean(d.bg_mean[fretbursts.Ph_sel("all")]))
    assert n > ts.size > 0
    mean_rate = ts.size / ((int(ts[-1]) - int(ts[0])) * d.clk_p)
    # for a steady source the ML rate of the gaps above 50 us has a relative error of
    # 1/sqrt(n_tail) with n_tail ~ n * exp(-3) ~ 15e3 (0.8 %): 5 % is > 5 sigma
    assert rate == pytest.approx(mean_rate, rel=0.05)
