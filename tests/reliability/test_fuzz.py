"""A fast, deterministic subset of the hostile-input campaign of ``benchmarks/fuzz.py``.

Forty inputs (every seed format and every mutation class; see ``fuzz.plan``) are run as
``tttr info`` and ``tttr analyze`` in capped child processes (60 s, 4 GiB of address space).
Each must end in a clean result or a one-line, printable error naming the input: no internal
error, no hang, no run above 1 GiB, no exit-0 result with an impossible value, nothing
written beside the input. The long run (>= 2000 inputs) is ``python benchmarks/fuzz.py``.
"""

from __future__ import annotations

import sys

import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
import fuzz  # noqa: E402

pytestmark = pytest.mark.slow  # the campaign: ~70 s

GOOD = {"ok", "error"}


def inherited_gib() -> float:
    """Address space of this process in GiB, which every forked child of the campaign inherits.

    Notes
    -----
    The children are forked from the test process, so their address-space cap must sit above
    what they inherit: late in a whole-suite run the test process holds several GiB of address
    space and a flat 4 GiB cap made every child fail with ``MemoryError``. 0 where
    ``/proc/self/status`` is absent.
    """
    try:
        with open("/proc/self/status") as f:
            kb = next(int(line.split()[1]) for line in f if line.startswith("VmSize:"))
    except (OSError, StopIteration, ValueError):
        return 0.0
    return kb / 2**20


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    # 4 GiB for each child's own growth, on top of what it inherits from this process
    return fuzz.run_campaign(40, seed=20241204, timeout=60, as_limit_gb=4 + inherited_gib(), quick=True,
                             work=tmp_path_factory.mktemp("fuzz"))


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
