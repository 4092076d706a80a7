"""A fast, deterministic subset of the hostile-input campaign of ``benchmarks/fuzz.py``.

Forty inputs (every seed format and every mutation class; see ``fuzz.plan``) are run as
``tttr info`` and ``tttr analyze`` in capped child processes (60 s, 4 GiB of address space).
Each must end in a clean result or a one-line, printable error naming the input: no internal
error, no hang, no run above 1 GiB, no exit-0 result with an impossible value, nothing
written beside the input. The long run (>= 2000 inputs) is ``python benchmarks/fuzz.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
import fuzz  # noqa: E402

pytestmark = pytest.mark.slow  # the campaign: ~70 s

GOOD = {"ok", "error"}


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    """The campaign, run by a fresh interpreter.

    Notes
    -----
    The campaign forks its children from the process that runs it, and a child's peak RSS and
    address space include what it inherits. Late in a whole-suite run this test process holds
    gigabytes, so children forked from it would count as "over 1 GiB" (or hit the 4 GiB cap)
    before doing any work. A fresh interpreter imports ``tttr``, warms the kernels up and forks
    small children, as ``python benchmarks/fuzz.py`` does.
    """
    work = tmp_path_factory.mktemp("fuzz")
    code = ("import json, sys; sys.path.insert(0, sys.argv[1]); import fuzz; "
            "from pathlib import Path; "
            "r = fuzz.run_campaign(40, seed=20241204, timeout=60, as_limit_gb=4, quick=True, work=Path(sys.argv[2])); "
            "print(json.dumps(r, default=str))")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "src"), str(REPO / "cli"),
                                                        os.environ.get("PYTHONPATH", "")]))
    r = subprocess.run([sys.executable, "-c", code, str(REPO / "benchmarks"), str(work)], capture_output=True,
                       text=True, timeout=1800, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_every_run_is_a_clean_result_or_a_named_one_line_error(campaign):
    bad = [f for f in campaign["failures"] if f["outcome"] not in GOOD]
    assert not bad, bad[:5]
    assert campaign["runs"] == 80


def test_the_subset_covers_every_format_and_class(campaign):
    assert set(campaign["by_class"]) == set(fuzz.CLASSES)
    assert {"PTU", "SPC", "Photon-HDF5", "columns-npz", "columns-csv", "FT1040"} <= set(campaign["by_format"])


def test_hostile_inputs_are_not_all_refused(campaign):
    # a harness whose every input errors tests nothing: bit flips in records must still decode
    assert campaign["counts"].get("ok", 0) >= 10 and campaign["counts"].get("error", 0) >= 10


def test_classifier_catches_what_it_is_for():
    ok = fuzz.classify("/t/a.ptu", "info", 2, "", "tttr: error: /t/a.ptu: bad\n", 1000, 0.1, 60, None, None)
    assert ok == "error"
    assert fuzz.classify("/t/a.ptu", "info", 2, "", "tttr: error: bad\n", 1000, 0.1, 60, None, None) == "unnamed"
    assert fuzz.classify("/t/a.ptu", "info", 3, "", "tttr: internal error: X\n", 1000, 0.1, 60, None, None) \
        == "internal"
    assert fuzz.classify("/t/a.ptu", "info", None, "", "", 1000, 61, 60, None, None) == "timeout"
    assert fuzz.classify("/t/a.ptu", "info", 2, "", "tttr: error: /t/a.ptu \x1b[31m\n", 10, 1, 60, None, None) \
        == "unprintable"
    assert fuzz.classify("/t/a.ptu", "info", 0, '{"sync_rate_hz": -5}', "", 10, 1, 60, None, None) == "impossible"
    assert fuzz.classify("/t/a.ptu", "info", 0, "{}", "", 2 * 2**20, 1, 60, None, None) == "over_1gb"
    assert fuzz.classify("/t/a.ptu", "info", 0, "{}", "", 10, 1, 60, {"a"}, {"a", "b"}) == "wrote_beside_input"
