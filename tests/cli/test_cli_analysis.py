"""Every analysis command through CliRunner: JSON schema, figures, exit codes, one-line errors."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tttr_cli.main import cli

from conftest import SAMPLES

AUGER = SAMPLES / "sim_auger.ptu"
T2_ONE_DET = SAMPLES / "real" / "pq_hydraharp_v2_t2_acqui.ptu"

ANALYZE_KEYS = {"file", "format", "mode", "duration_s", "n_photons", "count_rate_cps", "bin_width_s", "mandel_q",
                "on_fraction", "threshold_counts", "blinking_rate_hz", "power_law", "lifetime", "g2", "flid", "beta",
                "warnings"}


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def auger_json():
    r = run("analyze", "--json", AUGER)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_analyze_json_schema(auger_json):
    d = auger_json
    assert ANALYZE_KEYS <= set(d)
    for k in ("on", "off"):
        assert {"alpha", "alpha_err", "t_min_s", "n", "truncated"} <= set(d["power_law"][k])
        assert {"alpha", "tau_c_s"} <= set(d["power_law"][k]["truncated"])
    assert {"tau_ns", "tau_amp_ns", "tau_int_ns"} <= set(d["lifetime"])
    assert {"mode", "g2_zero", "g2_zero_err", "g2_zero_corrected"} <= set(d["g2"])
    assert d["g2"]["mode"] == "pulsed" and 0 < d["g2"]["g2_zero"] < 0.5
    assert "verdict" in d["flid"] and "models" in d["flid"]
    truth = json.loads((SAMPLES / "sim_auger.ptu.truth.json").read_text())
    assert d["n_photons"] == truth["acquisition"]["n_photons"]
    assert d["beta"] == pytest.approx(1.84, abs=0.05)


def test_analyze_null_with_reason_for_one_detector_t2():
    r = run("analyze", "--json", T2_ONE_DET)
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["g2"] is None and d["lifetime"] is None and d["flid"] is None
    assert any("two detectors" in w for w in d["warnings"]) and any("T2" in w for w in d["warnings"])


def test_analyze_out_writes_atomically_and_refuses_overwrite(tmp_path):
    out = tmp_path / "res"
    r = run("analyze", AUGER, "--out", out, "--plots")
    assert r.exit_code == 0, r.output
    names = {p.name for p in out.iterdir()}
    assert {"sim_auger.ptu.report.json", "sim_auger.ptu.tttr.h5", "sim_auger.ptu.trace.png",
            "sim_auger.ptu.decay.png", "sim_auger.ptu.g2.png"} <= names
    assert not any(n.endswith(".part") for n in names)
    before = (out / "sim_auger.ptu.report.json").read_bytes()
    r = run("analyze", AUGER, "--out", out)
    assert r.exit_code == 2 and "exists" in r.stderr and "--force" in r.stderr
    assert (out / "sim_auger.ptu.report.json").read_bytes() == before
    import h5py

    with h5py.File(out / "sim_auger.ptu.tttr.h5", "r") as f:
        assert f["user/tttr/trace/counts"].shape[0] == 1199


@pytest.mark.parametrize("cmd", ["analyze", "trace", "blink", "lifetime", "flid", "g2"])
def test_bad_input_one_line_errors(tmp_path, cmd):
    bad = tmp_path / "bad.ptu"
    bad.write_bytes(b"\x00" * 100)
    r = run(cmd, bad)
    assert r.exit_code == 2 and r.stderr.count("\n") == 1 and str(bad) in r.stderr, r.output
    r = run(cmd, tmp_path / "missing.ptu")
    assert r.exit_code == 2 and "no such file" in r.stderr
    cut = tmp_path / "cut.ptu"
    cut.write_bytes(AUGER.read_bytes()[:500])
    r = run(cmd, cut)
    assert r.exit_code == 2 and "header cut short" in r.stderr


@pytest.mark.parametrize("cmd,needle", [("trace", "Mandel Q"), ("blink", "ON fraction"), ("lifetime", "τ1"),
                                        ("flid", "β"), ("g2", "g2(0)")])
def test_human_output_and_plot(tmp_path, cmd, needle):
    png = tmp_path / f"{cmd}.png"
    extra = ["--model", "bi"] if cmd == "lifetime" else []
    r = run(cmd, AUGER, "--plot", png, *extra)
    assert r.exit_code == 0, r.output
    assert needle in r.stdout and png.stat().st_size > 10_000


@pytest.mark.parametrize("cmd", ["trace", "blink", "lifetime", "flid", "g2"])
def test_json_is_one_object(cmd):
    r = run(cmd, "--json", AUGER)
    assert r.exit_code == 0, r.output
    assert isinstance(json.loads(r.stdout), dict)


def test_g2_needs_two_detectors():
    r = run("g2", T2_ONE_DET)
    assert r.exit_code == 2 and "two detectors" in r.stderr


def test_flid_of_t2_is_a_clear_error():
    r = run("flid", T2_ONE_DET)
    assert r.exit_code == 2 and "T2" in r.stderr


def test_simulate_writes_file_and_truth_and_refuses_overwrite(tmp_path):
    out = tmp_path / "s.ptu"
    r = run("simulate", out, "--model", "bc", "--duration", "2s", "--seed", "4")
    assert r.exit_code == 0, r.output
    truth = json.loads((tmp_path / "s.ptu.truth.json").read_text())
    assert truth["config"]["model"] == "bc" and out.exists()
    r = run("simulate", out, "--duration", "2s")
    assert r.exit_code == 2 and "exists" in r.stderr
    r = run("simulate", tmp_path / "t.ptu", "--duration", "1s", "--set", "no_such_field=1")
    assert r.exit_code == 2 and "no_such_field" in r.output


def test_durations_need_units_or_seconds():
    r = run("trace", AUGER, "--bin", "ten")
    assert r.exit_code == 2 and "not a duration" in r.output


def test_columnar_file_through_analyze_and_binned_pass(tmp_path):
    """Reader options and chunk size travel separately through the one source normaliser."""
    import numpy as np

    import tttr
    from tttr.analysis.flid import binned_pass

    d = tttr.read(AUGER)
    p = tmp_path / "tags.npz"
    np.savez(p, timestamp=d.timestamps, channel=d.detectors, nanotime=d.nanotimes)
    opts = dict(timestamps_unit_s=d.info.timestamps_unit_s, nanotimes_unit_s=d.info.nanotimes_unit_s)
    ref = binned_pass(AUGER, chunk_records=50_000)
    got = binned_pass(p, chunk_records=50_000, **opts)
    np.testing.assert_array_equal(got.counts, ref.counts)
    rep = tttr.analyze(p, chunk_records=50_000, **opts)
    assert rep.n_photons == len(d) and rep.to_dict()["g2"]["g2_zero"] is not None
