"""Shared fixtures: the real instrument files of ../shared (skipped cleanly when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "data" / "samples"
REAL = REPO.parent / "shared" / "data" / "real"


def real_file(name: str) -> Path:
    """Path of a file in ``../shared/data/real``; skips the test when it is absent."""
    p = REAL / name
    if not p.exists():
        pytest.skip(f"real sample {name} not available (../shared absent)")
    return p


@pytest.fixture
def real():
    """``real(name)`` gives the path of a real instrument file or skips the test."""
    return real_file
