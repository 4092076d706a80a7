"""Levels in the report: ``analyze(levels=True)``, ``tttr analyze --levels`` and ``tttr levels``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO

from tttr.pipeline import analyze

SAMPLES = REPO / "data" / "samples"
AUGER = SAMPLES / "sim_auger.ptu"


def _cli(*args):
    return subprocess.run([sys.executable, "-c", "from tttr_cli.main import cli; cli()", *map(str, args)],
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def auger_report():
    return analyze(AUGER, levels=True)


def test_levels_are_off_by_default_and_the_json_keeps_its_keys():
    d = analyze(SAMPLES / "sim_nonblinking.ptu").to_dict()
    assert "levels" not in d and "n_level_groups" not in d and "level_analysis" not in d


def test_analyze_levels_recovers_the_two_states_of_the_auger_sample(auger_report):
    truth = json.loads((SAMPLES / "sim_auger.ptu.truth.json").read_text())
    d = auger_report.to_dict()
    assert d["n_levels"] == len(d["levels"]) > 10
    lv = d["levels"][0]
    assert {"start_s", "end_s", "n_photons", "intensity_cps", "intensity_err_cps", "tau_ns", "tau_err_ns",
            "group"} <= set(lv)
    # levels tile the file: each starts where the previous one ended
    starts = np.array([x["start_s"] for x in d["levels"]])
    ends = np.array([x["end_s"] for x in d["levels"]])
    np.testing.assert_allclose(starts[1:], ends[:-1])
    groups = sorted(d["level_groups"], key=lambda g: -g["time_s"])[:2]
    assert d["n_level_groups"] >= 2
    taus = sorted(g["tau_ns"] for g in groups)
    # the two groups holding most of the time are the trion (5.0 ns) and the exciton (24.7 ns);
    # a level's lifetime is a fit of its own photons with t0 held, so mixing enters only from
    # unresolved short excursions inside a level: measured bias ≤ 1 %, tolerance 3 %
    assert taus[0] == pytest.approx(truth["tau2_ns"], rel=0.03)
    assert taus[1] == pytest.approx(truth["tau1_ns"], rel=0.03)
    a = d["level_analysis"]
    # β of the two dominant groups against the truth's 1.82 (statistical error 0.008; 3 % for the
    # same mixing bias as the lifetimes)
    assert a["beta"] == pytest.approx(truth["beta"], rel=0.03)
    # ON fraction of the levels against the time-weighted truth, within its reported error
    assert abs(a["on_fraction"] - truth["on_fraction"]["time_weighted"]) <= 2 * a["on_fraction_err"]


def test_a_constant_emitter_gives_one_group_and_says_why():
    d = analyze(SAMPLES / "sim_nonblinking.ptu", levels=True).to_dict()
    assert d["n_level_groups"] == 1
    a = d["level_analysis"]
    assert a["on_fraction"] is None and "one group" in a["reasons"]["on_fraction"]


def test_cli_analyze_levels_and_levels_command():
    r = _cli("analyze", AUGER, "--levels")
    assert r.returncode == 0, r.stderr
    assert "levels:" in r.stdout and "groups by BIC" in r.stdout and "from levels: ON fraction" in r.stdout
    r = _cli("levels", AUGER, "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["n_level_groups"] >= 2 and all(x["group"] >= 0 for x in d["levels"])
    r = _cli("analyze", AUGER, "--levels-confidence", "0.5")
    assert r.returncode == 2 and "usage error" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_batch_levels_columns_have_their_documented_dtypes(tmp_path):
    import shutil

    import pandas as pd

    from tttr.batch.columns import documented

    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(SAMPLES / "sim_bc.ptu", src / "sim_bc.ptu")
    r = _cli("batch", src, "--out", tmp_path / "out", "--levels")
    assert r.returncode == 0, r.stderr
    table = pd.read_csv(tmp_path / "out" / "summary.csv", dtype_backend="numpy_nullable")
    doc = documented()
    level_cols = [c for c in table.columns if c.startswith("level") or c in ("n_levels", "n_level_groups")]
    assert {"n_levels", "n_level_groups", "level_analysis.beta", "level_analysis.on_fraction"} <= set(level_cols)
    for c in level_cols:
        assert c in doc, f"{c} is not documented"
        assert str(table[c].dtype) == doc[c], (c, table[c].dtype, doc[c])
    long = pd.read_csv(tmp_path / "out" / "summary_long.csv")
    assert (long["quantity"] == "levels.intensity_cps").sum() == int(table["n_levels"].iloc[0])
