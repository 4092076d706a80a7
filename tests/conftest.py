"""Shared fixtures: the real instrument files, wherever they are.

Real files are looked for, in order, in the folder named by the environment variable
``TTTR_TEST_DATA``, in the project workspace's ``../shared/data/real``, and in the copies
shipped in ``data/samples/real`` (five files with their reference decodes). A test whose file
is in none of them is skipped, unless ``TTTR_TEST_DATA`` is set: then the data were promised
and a missing file fails the test loudly.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "data" / "samples"
SHARED_REAL = REPO.parent / "shared" / "data" / "real"
SHIPPED_REAL = SAMPLES / "real"
DATA_ENV = "TTTR_TEST_DATA"


def _real_dirs() -> list:
    promised = os.environ.get(DATA_ENV)
    dirs = [Path(promised)] if promised else []
    return dirs + [SHARED_REAL, SHIPPED_REAL]


#: The first real-data folder that exists (for tests that list a folder).
REAL = next((d for d in _real_dirs() if d.is_dir()), SHIPPED_REAL)


def real_file(name: str) -> Path:
    """Path of a real instrument file (or of ``reference/...`` beside them); skips when absent.

    With ``TTTR_TEST_DATA`` set, an absent file fails the test instead of skipping it.
    """
    for d in _real_dirs():
        p = d / name
        if p.exists():
            return p
    promised = os.environ.get(DATA_ENV)
    if promised:
        pytest.fail(f"{name} is missing from {DATA_ENV}={promised} (and from {SHARED_REAL} and {SHIPPED_REAL})")
    pytest.skip(f"real file {name} not available (set {DATA_ENV} to a folder that holds it)")


@pytest.fixture
def real():
    """``real(name)`` gives the path of a real instrument file or skips the test."""
    return real_file
