"""``tttr batch``: bad files recorded not fatal, atomic outputs, resume after a kill, Dask, series."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import tttr
import tttr.batch as tb
import tttr.batch.executors
import tttr.batch.metadata
import tttr.batch.worker
from tttr.batch import Analyzed, Failed, find_inputs, fit_series, read_metadata, run_batch
from tttr.errors import FormatError
from tttr.simulate import simulate_to_file
from tttr_cli.batch import batch


GOOD = ["a.ptu", "sub/b.ptu", "sub/cutrec.ptu", "sub/deeper/c.h5", "sub/deeper/d.ptu"]
BAD = {"corrupt.ptu": "not a recognised time-tag file", "cuthead.ptu": "header cut short"}
INPUTS = sorted(GOOD + list(BAD))


def _summary(path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _parts(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".part")]


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """Four simulated files (PTU and Photon-HDF5, nested folders), one cut in its records,
    one corrupt and one cut in its header, plus files that are not data."""
    d = tmp_path_factory.mktemp("batch") / "in"
    (d / "sub" / "deeper").mkdir(parents=True)
    simulate_to_file(d / "a.ptu", model="auger", seed=1, duration_s=5, force=True)
    simulate_to_file(d / "sub" / "b.ptu", model="bc", seed=2, duration_s=5, force=True)
    simulate_to_file(d / "sub" / "deeper" / "c.h5", model="mixed", seed=3, duration_s=5, force=True)
    simulate_to_file(d / "sub" / "deeper" / "d.ptu", model="nonblinking", seed=4, duration_s=3, force=True)
    whole = (d / "a.ptu").read_bytes()
    (d / "sub" / "cutrec.ptu").write_bytes(whole[: len(whole) // 2 + 3])  # cut mid-record
    (d / "cuthead.ptu").write_bytes(whole[:200])  # cut in the header
    (d / "corrupt.ptu").write_bytes(bytes(range(256)) * 20)  # not a PTU at all
    (d / "notes.md").write_text("# measurement notes\n")
    (d / "README.txt").write_text("not photons\n")
    (d / ".hidden.ptu").write_bytes(whole[:1000])
    return d


@pytest.fixture(scope="module")
def reference(tree, tmp_path_factory):
    """An uninterrupted run (in this process), with the progress calls recorded."""
    out = tmp_path_factory.mktemp("ref") / "out"
    calls = []
    result = run_batch(tree, out, jobs=1, progress=lambda n, total, rec: calls.append((n, total, rec)))
    return result, out, calls


# ----------------------------------------------------------------------------- discovery


def test_find_inputs_takes_data_and_passes_over_the_rest(tree, tmp_path):
    inputs, skipped = find_inputs(tree)
    assert inputs == INPUTS
    assert "notes.md" in skipped and "README.txt" in skipped and "a.ptu.truth.json" in skipped
    assert not any(".hidden" in p for p in inputs + skipped)
    # FT1040: one export = its _s0 file; SPC sidecar .set skipped, .spc kept by name; our outputs skipped
    (tmp_path / "run_s0.txt").write_text("Flag Channel Time(ps) Sync\n0 1 100 1\n")
    (tmp_path / "run_s1.txt").write_text("0 1 200 2\n")
    (tmp_path / "m.spc").write_bytes(b"\0" * 16)
    (tmp_path / "m.set").write_bytes(b"\0" * 16)
    (tmp_path / "x.ptu.tttr.h5").write_bytes(b"\0" * 16)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "y.ptu").write_bytes(b"\0" * 16)
    inputs, skipped = find_inputs(tmp_path, exclude=[tmp_path / "out"])
    assert inputs == ["m.spc", "run_s0.txt"]
    assert {"run_s1.txt", "m.set", "x.ptu.tttr.h5"} <= set(skipped) and "out/y.ptu" not in skipped


# ----------------------------------------------------------------------------- bad files


def test_bad_files_are_recorded_and_the_rest_processed(reference):
    result, out, calls = reference
    assert (result.n_files, result.n_ok, result.n_failed, result.n_resumed) == (7, 5, 2, 0)
    assert [r.path for r in result.records] == INPUTS
    for r in result.records:
        if r.path in BAD:
            assert isinstance(r, Failed) and BAD[r.path] in r.reason and "\n" not in r.reason
            assert not (out / f"{r.path}.report.json").exists()
        else:
            assert isinstance(r, Analyzed) and r.report["n_photons"] > 0
            rep = json.loads((out / f"{r.path}.report.json").read_text())
            assert rep == r.report  # the record holds exactly what was written
            assert (out / f"{r.path}.tttr.h5").exists()
    rows = _summary(out / "summary.csv")
    assert [row["path"] for row in rows] == INPUTS
    by = {row["path"]: row for row in rows}
    assert by["corrupt.ptu"]["status"] == "failed"
    assert by["corrupt.ptu"]["reason"].startswith("not a recognised time-tag file")
    assert by["cuthead.ptu"]["status"] == "failed" and by["cuthead.ptu"]["reason"].startswith("header cut short")
    texts = _summary(out / "summary_text.csv")
    for p in GOOD:
        rep = json.loads((out / f"{p}.report.json").read_text())
        assert by[p]["status"] == "ok" and int(by[p]["n_photons"]) == rep["n_photons"] and by[p]["reason"] == ""
        warned = [t["text"] for t in texts if t["path"] == p and t["quantity"] == "warnings"]
        assert float(by[p]["mandel_q"]) == rep["mandel_q"] and warned == rep["warnings"]
        assert int(by[p]["n_warnings"]) == len(rep["warnings"])
    # cut in its records: decoded up to the last whole record, with the warning, and ok
    warn = [t["text"] for t in texts if t["path"] == "sub/cutrec.ptu" and t["quantity"] == "warnings"]
    assert any("truncated" in w for w in warn) and not any(w.startswith("/") for w in warn)
    assert int(by["sub/cutrec.ptu"]["n_photons"]) < int(by["a.ptu"]["n_photons"])
    assert by["sub/deeper/c.h5"]["format"] == "Photon-HDF5"
    # population figures, no temporaries, progress reported for every file
    names = {Path(f).name for f in result.figures}
    assert {"population.on_fraction.png", "population.mandel_q.png", "population.tau.png",
            "population.flid_verdict.png"} <= names
    assert all(Path(f).stat().st_size > 1000 for f in result.figures)
    assert _parts(out) == []
    assert calls[0] == (0, 7, None) and [c[0] for c in calls[1:]] == list(range(1, 8))
    assert {c[2].path for c in calls[1:]} == set(INPUTS)


def test_cli_pool_same_summary_and_nonzero_exit(tree, reference, tmp_path):
    _, ref_out, _ = reference
    out = tmp_path / "out"
    r = CliRunner().invoke(batch, [str(tree), "--out", str(out), "--jobs", "2", "--json"])
    assert r.exit_code == 1, r.output
    d = json.loads(r.stdout)
    assert (d["n_files"], d["n_ok"], d["n_failed"], d["n_skipped"]) == (7, 5, 2, 6)
    reasons = {f["path"]: f["reason"] for f in d["failed"]}
    assert set(reasons) == set(BAD) and all(BAD[p] in reasons[p] for p in BAD)
    # worker processes give the very same table as the in-process run
    assert (out / "summary.csv").read_bytes() == (ref_out / "summary.csv").read_bytes()

    # again with --resume: nothing redone, the failed files tried again and reported
    r = CliRunner().invoke(batch, [str(tree), "--out", str(out), "--resume"])
    assert r.exit_code == 1
    assert "7 files: 5 ok (5 kept from an earlier run), 2 failed" in r.stdout
    assert "failed: corrupt.ptu: not a recognised time-tag file" in r.stderr
    assert "failed: cuthead.ptu: header cut short" in r.stderr
    assert "Traceback" not in r.output
    assert (out / "summary.csv").read_bytes() == (ref_out / "summary.csv").read_bytes()

    r = CliRunner().invoke(batch, [str(tree), "--out", str(out), "--resume", "--force"])
    assert r.exit_code == 2 and "exclude each other" in r.stderr


def test_nothing_overwritten_without_force(tree, reference, tmp_path):
    _, ref_out, _ = reference
    with pytest.raises(FileExistsError, match="summary.csv: exists; use --resume"):
        run_batch(tree, ref_out)
    out = tmp_path / "out"
    shutil.copytree(ref_out, out)
    (out / "summary.csv").unlink()  # e.g. an earlier run that was killed...
    for p in [*out.glob("population.*.png"), out / "summary_long.csv", out / "summary_text.csv", out / "index.html"]:
        p.unlink()  # (a run killed before its summary has none: they come after it)
    figure = out / "population.on_fraction.png"
    figure.write_bytes(b"the user's own figure")
    with pytest.raises(FileExistsError, match="population.on_fraction.png: exists; not overwritten"):
        run_batch(tree, out)  # ...and a population figure in the folder is not replaced either
    assert figure.read_bytes() == b"the user's own figure"
    figure.unlink()
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.report.json")}
    result = run_batch(tree, out)
    assert result.n_ok == 0 and result.n_failed == 7  # the batch ran to the end all the same
    for r in result.records:
        if r.path in GOOD:
            assert r.reason == f"{Path(r.path).name}.report.json exists; use --force or --resume"
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.report.json")} == before
    assert "exists; use --force or --resume" in _summary(out / "summary.csv")[0]["reason"]
    with pytest.raises(ValueError, match="exclude each other"):
        run_batch(tree, out, resume=True, force=True)


def test_force_replaces_and_resume_redoes_stale_outputs(tree, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy2(tree / "sub" / "deeper" / "d.ptu", src / "d.ptu")
    out = tmp_path / "out"
    assert run_batch(src, out).n_ok == 1
    report = out / "d.ptu.report.json"
    report.write_text("{}")  # something that is not ours any more...
    with pytest.raises(FileExistsError):
        run_batch(src, out)
    r = run_batch(src, out, force=True)  # ...replaced only with force
    assert r.n_ok == 1 and json.loads(report.read_text())["n_photons"] > 0
    # an input newer than its outputs (outputs made stale) is redone by --resume
    old = (src / "d.ptu").stat().st_mtime - 100
    for p in (report, out / "d.ptu.tttr.h5"):
        os.utime(p, (old, old))
    r = run_batch(src, out, resume=True)
    assert r.n_ok == 1 and r.n_resumed == 0 and report.stat().st_mtime > old + 100
    assert run_batch(src, out, resume=True).n_resumed == 1


# ----------------------------------------------------------------------------- kill and resume


def test_killed_run_resumes_to_the_same_results(tree, reference, tmp_path):
    _, ref_out, _ = reference
    out = tmp_path / "out"
    code = "import sys; from tttr_cli.batch import batch; batch(sys.argv[1:])"
    proc = subprocess.Popen([sys.executable, "-c", code, str(tree), "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not list(out.rglob("*.report.json")):
            assert proc.poll() is None, "the batch ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.01)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert not (out / "summary.csv").exists()
    assert not (out / "sub" / "deeper" / "d.ptu.report.json").exists()  # really killed mid-run
    # what a kill during a write leaves: a temporary, and the arrays of a file without its report
    (out / "sub" / "deeper").mkdir(parents=True, exist_ok=True)
    (out / "sub" / "deeper" / ".d.ptu.report.json.x1y2z3.part").write_text('{"n_photo')
    (out / "sub" / "deeper" / "d.ptu.tttr.h5").write_bytes(b"\x89HDF half written")

    result = run_batch(tree, out, resume=True)
    assert result.n_resumed >= 1 and result.n_ok == 5 and result.n_failed == 2
    assert (out / "summary.csv").read_bytes() == (ref_out / "summary.csv").read_bytes()
    for p in GOOD:
        assert json.loads((out / f"{p}.report.json").read_text()) == \
            json.loads((ref_out / f"{p}.report.json").read_text())
        assert (out / f"{p}.tttr.h5").stat().st_size > 1000
    assert _parts(out) == []


# ----------------------------------------------------------------------------- Dask


def test_dask_local_cluster_gives_the_same_summary(tree, reference, tmp_path):
    distributed = pytest.importorskip("distributed")
    _, ref_out, _ = reference
    out = tmp_path / "out"
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        result = run_batch(tree, out, scheduler=cluster.scheduler_address)
    assert (result.n_ok, result.n_failed) == (5, 2)
    assert (out / "summary.csv").read_bytes() == (ref_out / "summary.csv").read_bytes()


def test_unreachable_scheduler_is_one_clear_error(tree, tmp_path):
    dask = pytest.importorskip("dask")
    pytest.importorskip("distributed")
    from tttr.errors import TttrError

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        with pytest.raises(TttrError, match="cannot connect to the Dask scheduler at tcp://127.0.0.1:9"):
            run_batch(tree, tmp_path / "out", scheduler="tcp://127.0.0.1:9")
    assert not (tmp_path / "out" / "summary.csv").exists()


# ----------------------------------------------------------------------------- failures inside workers


def test_an_exception_in_the_analysis_is_one_failed_file(tree, tmp_path, monkeypatch):
    def flaky(task):
        if task.rel == "a.ptu":
            raise ValueError("fit exploded\nwith a second line")
        return {"file": task.source, "n_photons": 1, "warnings": []}

    monkeypatch.setattr(tb.worker, "_analyze_and_write", flaky)
    r = run_batch(tree, tmp_path / "out")
    assert [(f.path, f.reason) for f in r.failed] == [("a.ptu", "ValueError: fit exploded")]
    assert r.n_ok == 6


@pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")
def test_a_worker_that_dies_fails_only_its_file(tree, tmp_path, monkeypatch):
    def crashing(task):
        if task.rel == "sub/b.ptu":
            os._exit(13)  # a segfault or the OOM killer, as far as the pool can tell
        return {"file": task.source, "n_photons": 1, "warnings": []}

    monkeypatch.setattr(tb.executors, "_MP_START", "fork")  # so the workers see the patched function
    monkeypatch.setattr(tb.worker, "_analyze_and_write", crashing)
    r = run_batch(tree, tmp_path / "out", jobs=2)
    assert [f.path for f in r.failed] == ["sub/b.ptu"] and "worker process died" in r.failed[0].reason
    assert r.n_ok == 6


# ----------------------------------------------------------------------------- metadata and series


def test_fit_series_recovers_exact_power_laws():
    s = fit_series([0.1, 0.2, 0.4, 0.8], [3.0, 12.0, 48.0, 192.0], paths=list("abcd"))
    assert s["p"] == pytest.approx(2.0) and s["amplitude_hz"] == pytest.approx(300.0)
    assert s["p_err"] == pytest.approx(0.0, abs=1e-9) and s["n_points"] == 4 and s["points"][0]["path"] == "a"
    s = fit_series([1, 2, 4, 3], [5.0, 10.0, 20.0, 0.0])
    assert s["p"] == pytest.approx(1.0) and s["n_excluded"] == 1 and s["consistent_with_1"]
    s = fit_series([1.0, 1.0], [5.0, 6.0])
    assert s["p"] is None and "needs at least 2" in s["note"]


def test_metadata_errors(tmp_path):
    m = tmp_path / "m.csv"
    m.write_text("name,power_uW\na.ptu,1\n")
    with pytest.raises(FormatError, match="no 'file' column"):
        read_metadata(m)
    m.write_text("file,sample\nx/a.ptu,1\n./x/a.ptu,2\n")
    with pytest.raises(FormatError, match="appears twice"):
        read_metadata(m)
    m.write_text("file,sample\na.ptu,QD1\n")
    with pytest.raises(FormatError, match="matches 2 files"):
        tb.metadata._match_metadata(read_metadata(m), ["x/a.ptu", "y/a.ptu"], m)
    meta, notes = tb.metadata._match_metadata({"x/a.ptu": {"s": 1}, "gone.ptu": {"s": 2}}, ["x/a.ptu", "y/a.ptu"], m)
    assert meta == {"x/a.ptu": {"s": 1}} and "gone.ptu" in notes[0]


def test_excitation_series_one_command(tmp_path):
    """Charging rate ∝ ⟨N⟩² by construction (mean ON time ∝ ⟨N⟩⁻²): the fit finds p ≈ 2."""
    src = tmp_path / "series" / "QD7"
    src.mkdir(parents=True)
    lines = ["file,mean_excitons,power_uW,sample"]
    for i, n in enumerate([0.4, 0.6, 0.9, 1.35]):
        simulate_to_file(src / f"p{i}.ptu", model="auger", seed=10 + i, duration_s=10, force=True,
                         mean_excitons_per_pulse=n, dwell_law_on="exponential", mean_dwell_on_s=(0.4 / n) ** 2,
                         dwell_law_off="exponential", mean_dwell_off_s=0.05)
        lines.append(f"{'QD7/' if i == 0 else ''}p{i}.ptu,{n},{n * 12.5:g},QD7")
    lines.append("missing.ptu,2.0,25,QD7")
    meta = tmp_path / "metadata.csv"
    meta.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    r = CliRunner().invoke(batch, [str(tmp_path / "series"), "--out", str(out), "--metadata", str(meta)])
    assert r.exit_code == 0, r.output
    assert "series: charging rate ∝ ⟨N⟩^p, p = " in r.stdout and "missing.ptu" in r.stderr
    rows = _summary(out / "summary.csv")
    assert list(rows[0])[:5] == ["path", "status", "mean_excitons", "power_uW", "sample"]
    assert [(row["path"], row["mean_excitons"], row["sample"]) for row in rows] == [
        (f"QD7/p{i}.ptu", str(n), "QD7") for i, n in enumerate([0.4, 0.6, 0.9, 1.35])]
    s = json.loads((out / "series.json").read_text())
    assert s["n_points"] == 4 and s["p_err"] > 0
    assert 1.6 < s["p"] < 2.8 and abs(s["p"] - 2) < abs(s["p"] - 1)
    assert (out / "series.png").stat().st_size > 1000


# ----------------------------------------------------------------------------- worker processes, locking


def _proc_state(pid: int):
    """State letter of a process from /proc (None when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0].decode()
    except (OSError, IndexError):
        return None


def _descendants(pid: int) -> set[int]:
    """Every living descendant of ``pid`` (from the parent ids in /proc)."""
    parent = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat", "rb") as fh:
                    parent[int(d)] = int(fh.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = set(), {pid}
    while frontier:
        frontier = {c for c, p in parent.items() if p in frontier and c not in found}
        found |= frontier
    return found


def _alive(pids) -> list[int]:
    return [p for p in pids if _proc_state(p) not in (None, "Z", "X")]


def _start_batch(tree, out, *args, stderr):
    """The batch command in a new session; its stderr goes to the file ``stderr`` (not a pipe,
    which surviving workers would hold open)."""
    code = "import sys; from tttr_cli.main import cli; cli(sys.argv[1:])"
    with open(stderr, "w") as err:
        return subprocess.Popen([sys.executable, "-c", code, "batch", str(tree), "--out", str(out), *args],
                                stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)


def _wait_for(cond, proc, what: str, timeout: float = 90.0):
    deadline = time.monotonic() + timeout
    while not cond():
        assert proc.poll() is None, f"the batch ended before {what}"
        assert time.monotonic() < deadline, f"no {what} within {timeout} s"
        time.sleep(0.02)


linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


@linux_only
@pytest.mark.parametrize("how", ["SIGKILL", "SIGINT"])
def test_no_worker_outlives_its_batch(tree, tmp_path, how):
    out = tmp_path / "out"
    errfile = tmp_path / "stderr.txt"
    # four copies of the tree: work left when the signal comes, even when the machine is slow to
    # let this test see the first report (with one copy the batch could end before the signal)
    work = tmp_path / "in"
    for i in range(4):
        shutil.copytree(tree, work / f"copy{i}")
    proc = _start_batch(work, out, "-j", "2", stderr=errfile)
    kids: set = set()
    try:
        # fork server, resource tracker and 2 workers, one of them done with a file (so that
        # both are past their start-up, which an interruption would only make noisy)
        _wait_for(lambda: len(_alive(_descendants(proc.pid))) >= 4 and any(out.rglob("*.report.json")), proc,
                  "its workers started")
        kids = _descendants(proc.pid)
        if how == "SIGKILL":  # the batch process alone, as the OOM killer would
            os.kill(proc.pid, signal.SIGKILL)
        else:  # Ctrl-C in a terminal reaches the whole process group
            os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 5.0  # the watchdog period is 0.5 s; PDEATHSIG is immediate
        while _alive(kids) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _alive(kids) == [], f"workers survived their batch: {_alive(kids)}"
    finally:  # survivors would hold the stderr pipe open (and keep running): end them
        for p in _alive(kids | (_descendants(proc.pid) if proc.poll() is None else set())):
            os.kill(p, signal.SIGKILL)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    if how == "SIGINT":  # a clean interruption also removes its temporaries
        assert _parts(out) == []
        assert "Traceback" not in errfile.read_text()
    assert not (out / "summary.csv").exists()


def test_the_watchdog_kills_a_worker_whose_batch_is_gone():
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    code = f"import os, tttr.batch as b; b.executors._watch_parent({gone.pid}, os.getppid(), 0.05)"
    worker = subprocess.Popen([sys.executable, "-c", code])
    assert worker.wait(timeout=60) == -signal.SIGKILL


@linux_only
def test_a_zombie_batch_counts_as_dead():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 30
    while _proc_state(child.pid) != "Z":  # exited, not yet reaped
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert not tb.executors._process_alive(child.pid) and tb.executors._process_alive(os.getpid())
    child.wait()


def test_a_second_batch_into_a_folder_in_use_is_refused(tree, reference, tmp_path):
    _, ref_out, _ = reference
    out = tmp_path / "out"
    first = _start_batch(tree, out, "-j", "1", stderr=tmp_path / "stderr.txt")
    try:
        lock = out / tb.LOCK_NAME
        _wait_for(lambda: lock.exists() and lock.read_text().strip() == str(first.pid), first, "it took the lock")
        code = "import sys; from tttr_cli.main import cli; cli(sys.argv[1:])"
        second = subprocess.run([sys.executable, "-c", code, "batch", str(tree), "--out", str(out)],
                                capture_output=True, text=True, timeout=120)
        assert first.poll() is None, "the first batch ended too early for this test"
        assert second.returncode == 2 and second.stdout == ""
        assert second.stderr.splitlines() == [f"tttr: error: {out.resolve()}: in use by another batch "
                                              f"(process {first.pid}); wait for it to finish or choose another "
                                              "output folder"]
        assert first.wait(timeout=300) == 1  # two bad files of the tree; the good ones are not called failed
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
    assert (out / "summary.csv").read_bytes() == (ref_out / "summary.csv").read_bytes()
    run_batch(tree, out, resume=True)  # the lock is released when its batch ends


# ----------------------------------------------------------------------------- reader options


def _columns_csv(path: Path, sim: Path) -> dict:
    """The photons of ``sim`` as a CSV without units; returns the units it needs."""
    d = tttr.read(sim)
    with open(path, "w") as fh:
        fh.write("timestamp,channel,nanotime\n")
        for t, c, n in zip(d.timestamps.tolist(), d.detectors.tolist(), d.nanotimes.tolist()):
            fh.write(f"{t},{c},{n}\n")
    return {"timestamps_unit_s": d.info.timestamps_unit_s, "nanotimes_unit_s": d.info.nanotimes_unit_s}


def test_reader_options_for_every_file_and_per_file_from_metadata(tmp_path):
    from conftest import real_file
    from tttr.pipeline import analyze

    spc = real_file("bh_spc132.spc")
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    shutil.copy(spc, src / "x.spc")  # no .set beside them: the nanotime unit is unknown
    shutil.copy(spc, src / "sub" / "y.spc")
    sim = tmp_path / "sim.ptu"
    simulate_to_file(sim, model="auger", seed=5, duration_s=3)
    units = _columns_csv(src / "tags.csv", sim)
    meta = tmp_path / "metadata.csv"
    meta.write_text("file,nanotimes_unit_s,timestamps_unit_s,sample\n"
                    "sub/y.spc,2.4e-11,,QD2\n"
                    f"tags.csv,{units['nanotimes_unit_s']!r},{units['timestamps_unit_s']!r},sim\n")

    r = CliRunner().invoke(batch, [str(src), "--out", str(tmp_path / "bare")])
    assert r.exit_code == 1  # without the options the reader cannot say what a nanotime is
    status = {row["path"]: (row["status"], row["reason"]) for row in _summary(tmp_path / "bare" / "summary.csv")}
    # a .spc without its unit still gives everything that needs no nanotimes, and says what is missing
    assert status["x.spc"] == ("ok", "") and status["tags.csv"][0] == "failed"
    assert "timestamps_unit_s" in status["tags.csv"][1]
    bare = json.loads((tmp_path / "bare" / "x.spc.report.json").read_text())
    assert bare["lifetime"] is None and any("nanotime unit" in w for w in bare["warnings"])

    out = tmp_path / "out"
    r = CliRunner().invoke(batch, [str(src), "--out", str(out), "--nanotimes-unit", "12ps", "--metadata", str(meta)])
    assert r.exit_code == 0, r.output
    expected = {"x.spc": {"nanotimes_unit_s": 12e-12},  # the command line's
                "sub/y.spc": {"nanotimes_unit_s": 2.4e-11},  # its metadata row's over the command line's
                "tags.csv": units}  # the metadata's for both units
    for rel, opts in expected.items():
        got = json.loads((out / f"{rel}.report.json").read_text())
        single = json.loads(json.dumps(analyze(str(src / rel), **opts).to_dict(), allow_nan=False))
        assert got == single, rel
    assert got["n_photons"] == tttr.read(sim).timestamps.size
    rows = {row["path"]: row for row in _summary(out / "summary.csv")}
    assert rows["sub/y.spc"]["sample"] == "QD2" and rows["sub/y.spc"]["nanotimes_unit_s"] == "2.4e-11"


def test_a_bad_reader_option_in_the_metadata_fails_only_its_file(tree, tmp_path):
    meta = tmp_path / "m.csv"
    meta.write_text("file,nanotimes_unit_s,channel_base\na.ptu,-1,\nsub/b.ptu,,2\n")
    r = run_batch(tree, tmp_path / "out", metadata=meta)
    reasons = {f.path: f.reason for f in r.failed}
    assert reasons["a.ptu"] == f"{meta}: nanotimes_unit_s = -1 for this file; must be a positive number (SI units: s, Hz)"
    assert reasons["sub/b.ptu"] == f"{meta}: channel_base = 2 for this file; must be 0 or 1"
    assert r.n_ok == 3 and r.n_failed == 4  # 5 good files of which 2 misconfigured, 2 bad files
