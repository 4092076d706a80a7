"""The command line through click's CliRunner: exit codes, JSON, one-line errors."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest
from click.testing import CliRunner

import tttr
from tttr_cli.main import cli

from conftest import SAMPLES

T3 = SAMPLES / "real" / "pq_hydraharp_v2_t3_symphotime.ptu"

INFO_KEYS = {"format", "record_type", "mode", "n_records", "n_photons", "photons_per_detector",
             "timestamps_unit_s", "nanotimes_unit_s", "sync_rate_hz", "duration_s", "n_markers", "warnings"}


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_info_json_has_the_documented_keys():
    r = run("info", "--json", T3)
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert INFO_KEYS <= set(d)
    assert d["format"] == "PTU" and d["record_type"] == "HydraHarp2T3" and d["mode"] == "T3"
    assert d["n_records"] == 106349 and d["n_photons"] == 77883
    assert d["photons_per_detector"] == {"0": 45012, "1": 32871}
    assert d["nanotimes_unit_s"] == pytest.approx(6.4e-11) and d["warnings"] == []
    # duration: last event of a 10 s acquisition
    assert 9.9 < d["duration_s"] <= 10.0


def test_info_human_readable():
    r = run("info", T3)
    assert r.exit_code == 0 and "HydraHarp2T3" in r.output and "77,883" in r.output


def test_info_t2_has_null_nanotime_unit():
    d = json.loads(run("info", "--json", SAMPLES / "real" / "pq_hydraharp_v2_t2_acqui.ptu").stdout)
    assert d["mode"] == "T2" and d["nanotimes_unit_s"] is None and d["n_photons"] == 305565


@pytest.mark.parametrize("content,msg", [
    (b"", "empty"),
    (b"just some text\n", "not a recognised time-tag file"),
    (b"PQTTTR\0\0" + b"1.0.00\0\0" + b"\0" * 30, "header cut short"),
])
def test_bad_input_one_line_error(tmp_path, content, msg):
    p = tmp_path / "bad.ptu"
    p.write_bytes(content)
    r = run("info", p)
    assert r.exit_code == 2
    assert r.stderr.count("\n") == 1 and str(p) in r.stderr and msg in r.stderr
    assert "Traceback" not in r.output
    assert list(tmp_path.iterdir()) == [p]  # nothing written next to the input


def test_directory_and_missing_file(tmp_path):
    r = run("info", tmp_path)
    assert r.exit_code == 2 and "is a directory" in r.stderr
    r = run("info", tmp_path / "nope.ptu")
    assert r.exit_code == 2 and "no such file" in r.stderr


def test_debug_shows_the_exception(tmp_path):
    p = tmp_path / "bad.ptu"
    p.write_bytes(b"nonsense")
    r = run("--debug", "info", p)
    assert r.exit_code != 0 and isinstance(r.exception, tttr.FormatError)


def test_convert_to_photon_hdf5_and_no_overwrite(tmp_path):
    out = tmp_path / "out.h5"
    r = run("convert", T3, out)
    assert r.exit_code == 0, r.output
    with h5py.File(out, "r") as f:
        assert f["photon_data/timestamps"].shape == (77883,)
    back = tttr.read(out)
    src = tttr.read(T3)
    np.testing.assert_array_equal(back.timestamps, src.timestamps)
    np.testing.assert_array_equal(back.nanotimes, src.nanotimes)
    before = out.read_bytes()
    r = run("convert", T3, out)
    assert r.exit_code == 2 and "exists" in r.stderr and out.read_bytes() == before
    assert run("convert", "--force", T3, out).exit_code == 0


def test_truncated_file_warns_but_succeeds(tmp_path):
    p = tmp_path / "cut.ptu"
    p.write_bytes(T3.read_bytes()[:-2])
    d = json.loads(run("info", "--json", p).stdout)
    assert any("trailing" in w for w in d["warnings"])


HT3 = SAMPLES / "real" / "pq_hydraharp_v2.ht3"


def test_a_reader_that_cannot_be_imported_is_an_error_not_an_unknown_format(monkeypatch):
    # the legacy PicoQuant reader broken (its import fails): an .ht3 file must not be called
    # "not a recognised time-tag file" by the probes that follow it
    import sys

    from tttr.errors import UnknownFormatError

    assert tttr.io.detect_format(HT3) == "legacy"
    monkeypatch.setitem(sys.modules, "tttr.io.legacy", None)  # importing it now raises ImportError
    with pytest.raises(ImportError) as info:
        tttr.open(HT3)
    assert not isinstance(info.value, UnknownFormatError)
    r = run("info", HT3)
    assert r.exit_code == 3 and "internal error" in r.stderr and "tttr.io.legacy" in r.stderr, r.output
    assert "not a recognised" not in r.stderr
