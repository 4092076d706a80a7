"""The shared atomic-write helper every writer uses."""

from __future__ import annotations

import os
import stat

import pytest

from tttr.io.atomic import atomic_path, atomic_write_bytes, new_temporary


def test_written_whole_or_not_at_all(tmp_path):
    dest = tmp_path / "out.bin"
    with pytest.raises(RuntimeError):
        with atomic_path(dest) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []  # neither the destination nor the temporary
    atomic_write_bytes(dest, b"whole")
    assert dest.read_bytes() == b"whole" and [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_existing_file_replaced_only_with_force(tmp_path):
    dest = tmp_path / "out.bin"
    dest.write_bytes(b"keep")
    with pytest.raises(FileExistsError, match="not overwritten"):
        atomic_write_bytes(dest, b"new", force=False)
    assert dest.read_bytes() == b"keep" and [p.name for p in tmp_path.iterdir()] == ["out.bin"]
    atomic_write_bytes(dest, b"new", force=True)
    assert dest.read_bytes() == b"new"


def test_temporary_is_hidden_beside_and_has_the_usual_mode(tmp_path):
    tmp = new_temporary(tmp_path / "x.ptu")
    assert tmp.parent == tmp_path and tmp.name.startswith(".x.ptu.") and tmp.name.endswith(".part")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(tmp.stat().st_mode) == 0o666 & ~umask
