"""A full disk (or an I/O error) is an ordinary error: one line, nothing half-written left.

Two ways to fill the disk: a write wrapper that raises ENOSPC/EIO after a byte budget (runs
everywhere), and a real, small tmpfs (needs root and mount; skipped otherwise). The CLI
runs in subprocesses for the tmpfs tests because the failure this guards against was a
crash of the whole process (HDF5 closing a file after a failed write).
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import tttr
from tttr.errors import OutputError
from tttr.io.atomic import atomic_save_figure, atomic_write_bytes
from tttr.io.photon_hdf5 import write_photon_hdf5
from tttr.simulate import simulate_to_file

from conftest import REPO, SAMPLES

SAMPLE = SAMPLES / "sim_auger.ptu"
CLI = "import sys; from tttr_cli.main import cli; cli(sys.argv[1:])"


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def budget(monkeypatch):
    """``budget(n, code)``: from now on, writes through ``os.pwrite`` (the HDF5 guard) fail
    with ``code`` once ``n`` bytes have been written; ``os.fsync`` fails when the budget is
    spent. Returns a dict with the bytes written so far."""
    real_pwrite = os.pwrite
    state = {"left": None, "code": errno.ENOSPC, "written": 0}

    def pwrite(fd, data, offset):
        if state["left"] is not None:
            if state["left"] <= 0:
                raise OSError(state["code"], os.strerror(state["code"]))
            data = bytes(data)[: state["left"]]  # a short write, as a filling disk does
            state["left"] -= len(data)
        n = real_pwrite(fd, data, offset)
        state["written"] += n
        return n

    real_fsync = os.fsync

    def fsync(fd):
        if state["left"] is not None and state["left"] <= 0:
            raise OSError(state["code"], os.strerror(state["code"]))
        return real_fsync(fd)

    monkeypatch.setattr(os, "pwrite", pwrite)
    monkeypatch.setattr(os, "fsync", fsync)

    def set_budget(n, code=errno.ENOSPC):
        state.update(left=n, code=code, written=0)
        return state

    return set_budget


# ----------------------------------------------------------------------------- write wrapper


def test_photon_hdf5_on_a_full_disk_leaves_nothing(tmp_path, budget):
    state = budget(None)
    whole = write_photon_hdf5(tmp_path / "whole.h5", tttr.open(SAMPLE))
    size = state["written"]
    assert whole.stat().st_size > 100_000 and size >= whole.stat().st_size  # HDF5 rewrites some blocks
    # the disk fills at the start, in the middle, and in the last flush at close
    for left in (0, 1000, size // 2, size - 2000):
        budget(left)
        with pytest.raises(OutputError) as e:
            write_photon_hdf5(tmp_path / "x.h5", tttr.open(SAMPLE))
        assert str(e.value) == f"{tmp_path / 'x.h5'}: cannot write: No space left on device"
        assert e.value.errno == errno.ENOSPC
        assert _files(tmp_path) == ["whole.h5"]
    budget(size // 3, errno.EIO)
    with pytest.raises(OutputError, match="cannot write: Input/output error"):
        write_photon_hdf5(tmp_path / "x.h5", tttr.open(SAMPLE))
    assert _files(tmp_path) == ["whole.h5"]
    budget(None)  # space again: the same call succeeds
    write_photon_hdf5(tmp_path / "x.h5", tttr.open(SAMPLE))
    with tttr.open(tmp_path / "x.h5") as a, tttr.open(whole) as b:
        assert a.info.n_records == b.info.n_records


def test_report_outputs_are_all_or_nothing(tmp_path, budget):
    from tttr.pipeline import analyze
    from tttr.report_io import write_report

    report = analyze(SAMPLE)
    for left in (0, 20_000):
        budget(left)
        with pytest.raises(OutputError, match="sim_auger.ptu.tttr.h5: cannot write: No space left on device"):
            write_report(report, tmp_path / "out")
        assert _files(tmp_path) == []
    budget(None)
    written = write_report(report, tmp_path / "out")
    assert sorted(written) == ["arrays", "report"]
    with pytest.raises(FileExistsError, match="exists; not overwritten"):
        write_report(report, tmp_path / "out")


def test_simulate_and_ptu_writer_leave_nothing(tmp_path, budget):
    budget(0)  # the PTU writer's data reach the disk at fsync, where the error surfaces here
    with pytest.raises(OutputError, match=r"s\.ptu: cannot write: No space left on device"):
        simulate_to_file(tmp_path / "s.ptu", model="auger", seed=1, duration_s=2)
    budget(0, errno.EIO)
    with pytest.raises(OutputError, match=r"s\.h5: cannot write: Input/output error"):
        simulate_to_file(tmp_path / "s.h5", model="auger", seed=1, duration_s=2)
    assert _files(tmp_path) == []


def test_figures_and_bytes_are_placed_whole_and_not_over_existing_files(tmp_path, budget):
    from matplotlib.figure import Figure

    fig = Figure()
    fig.subplots().plot([0, 1], [1, 0])
    dest = tmp_path / "f.png"
    budget(0)
    with pytest.raises(OutputError, match="f.png: cannot write"):
        atomic_save_figure(fig, dest)
    assert _files(tmp_path) == []  # no 0-byte image
    budget(None)
    atomic_save_figure(fig, dest)
    png = dest.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(FileExistsError):
        atomic_save_figure(fig, dest)
    with pytest.raises(FileExistsError):
        atomic_write_bytes(dest, b"x")  # the default refuses to overwrite
    assert dest.read_bytes() == png


def test_a_failing_write_of_the_ptu_writer_is_one_error(tmp_path, monkeypatch):
    """Every record write goes through the file object (numpy's ``tofile`` would report a
    short write without an errno, which became an "internal error")."""
    import builtins

    from tttr.io import ptu

    class FullFile:
        def __init__(self, path):
            self._fh = builtins.open(path, "wb")

        def write(self, data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def __getattr__(self, name):  # seek, flush, fileno, close
            return getattr(self._fh, name)

    monkeypatch.setattr(ptu, "open", lambda path, mode="r", *a, **k: FullFile(path), raising=False)
    with pytest.raises(OutputError, match=r"s\.ptu: cannot write: No space left on device"):
        simulate_to_file(tmp_path / "s.ptu", model="auger", seed=1, duration_s=1)
    assert _files(tmp_path) == []


# ----------------------------------------------------------------------------- a real full disk


@pytest.fixture
def small_disk(tmp_path):
    """A tmpfs of 200 KiB at ``tmp_path/disk`` (skips when mounting is not permitted);
    yields ``(path, resize)``."""
    if not sys.platform.startswith("linux") or shutil.which("mount") is None:
        pytest.skip("needs Linux mount")
    d = tmp_path / "disk"
    d.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(d)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")

    def resize(size: str) -> None:
        subprocess.run(["mount", "-o", f"remount,size={size}", str(d)], check=True)

    try:
        yield d, resize
    finally:
        subprocess.run(["umount", "-l", str(d)], check=False)


def _cli(*args, cwd=None):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), str(REPO / "cli"), env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-c", CLI, *map(str, args)], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=300)


def test_commands_on_a_full_tmpfs_fail_in_one_line_and_leave_nothing(small_disk, tmp_path):
    disk, resize = small_disk
    filler = disk / "filler"
    filler.write_bytes(b"\0" * (200 - 16) * 1024)  # about 16 KiB left, as in the report
    commands = [("convert", SAMPLE, disk / "o.h5"), ("analyze", SAMPLE, "--out", disk / "an"),
                ("simulate", "--duration", "5s", disk / "s.ptu"), ("simulate", "--duration", "5s", disk / "s.h5")]
    for args in commands:
        r = _cli(*args)
        assert r.returncode == 2, (args, r.returncode, r.stderr[-500:])
        lines = r.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("tttr: error: ") and \
            lines[0].endswith(": cannot write: No space left on device"), (args, r.stderr[-500:])
        assert [p for p in _files(disk) if p != "filler"] == [], args
    resize("64m")  # space again: the same commands succeed
    for args in commands:
        r = _cli(*args)
        assert r.returncode == 0, (args, r.stderr[-500:])
    assert (disk / "o.h5").stat().st_size > 100_000 and (disk / "an" / "sim_auger.ptu.report.json").exists()


# ----------------------------------------------------------------------------- batches


@pytest.fixture(scope="module")
def small_tree(tmp_path_factory):
    """Three simulated files in two folders, and the outputs of an uninterrupted batch."""
    from tttr.batch import run_batch

    d = tmp_path_factory.mktemp("fd") / "in"
    (d / "sub").mkdir(parents=True)
    simulate_to_file(d / "a.ptu", model="auger", seed=1, duration_s=3)
    simulate_to_file(d / "sub" / "b.ptu", model="bc", seed=2, duration_s=3)
    simulate_to_file(d / "sub" / "c.h5", model="mixed", seed=3, duration_s=3)
    ref = d.parent / "ref"
    assert run_batch(d, ref).n_ok == 3
    return d, ref


def _parts(folder: Path) -> list[str]:
    return [p for p in _files(folder) if p.endswith(".part")]


def test_batch_on_a_full_disk_stops_in_one_error_and_resumes(small_tree, tmp_path, budget):
    from tttr.batch import run_batch

    tree, ref = small_tree
    out = tmp_path / "out"
    first = (ref / "a.ptu.tttr.h5").stat().st_size
    assert (ref / "sub" / "b.ptu.tttr.h5").stat().st_size > first // 2
    budget(int(1.5 * first))  # enough for the first file's arrays (HDF5 rewrites a few blocks), not the second's
    with pytest.raises(OutputError) as e:
        run_batch(tree, out)
    msg = str(e.value)
    assert "\n" not in msg and "cannot write: No space left on device; the batch stopped" in msg \
        and "run it again with --resume" in msg
    assert _parts(out) == [] and not (out / "summary.csv").exists()
    done = [p for p in _files(out) if p.endswith(".report.json")]
    assert len(done) == 1 and f"{done[0][:-len('.report.json')]}.tttr.h5" in _files(out)  # all or nothing
    budget(None)
    result = run_batch(tree, out, resume=True)
    assert (result.n_ok, result.n_resumed) == (3, 1)
    assert (out / "summary.csv").read_bytes() == (ref / "summary.csv").read_bytes()


def test_batch_with_workers_on_a_full_tmpfs(small_tree, small_disk):
    tree, ref = small_tree
    disk, resize = small_disk
    resize("400k")  # room for one or two files' outputs of three
    out = disk / "out"
    r = _cli("batch", tree, "--out", out, "-j", "2")
    assert r.returncode == 2, r.stderr[-1000:]
    assert r.stderr.splitlines() == [r.stderr.strip()] and "Traceback" not in r.stderr, r.stderr[-1000:]
    assert r.stderr.startswith("tttr: error: ") and "No space left on device; the batch stopped" in r.stderr
    assert _parts(out) == [] and not (out / "summary.csv").exists()
    resize("64m")
    r = _cli("batch", tree, "--out", out, "--resume", "-j", "2")
    assert r.returncode == 0, r.stderr[-1000:]
    assert (out / "summary.csv").read_bytes() == (ref / "summary.csv").read_bytes()


def test_user_arrays_on_a_full_disk_are_one_error(tmp_path, budget):
    from tttr.io.photon_hdf5 import write_user_arrays

    h5 = write_photon_hdf5(tmp_path / "x.h5", tttr.open(SAMPLE))
    budget(0)
    with pytest.raises(OutputError, match=r"x\.h5: cannot write: No space left on device"):
        write_user_arrays(h5, "trace", {"counts": list(range(100_000))})
    budget(None)  # space again: the same call succeeds on the file edited in place
    assert write_user_arrays(h5, "trace", {"counts": [1, 2, 3]}) == "/user/tttr/trace"
