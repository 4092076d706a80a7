"""Folders of files: every supported file of a tree analysed, one summary table for all.

:func:`run_batch` finds the time-tag files under a folder, runs :func:`tttr.pipeline.analyze`
and :func:`tttr.report_io.write_report` on each one in a worker, and then writes the
population outputs: ``summary.csv`` (one row per file), histograms of the main statistics
and, for an excitation series, the power law of the charging rate against ⟨N⟩.

The workers are a local process pool by default (nothing to start), or a Dask distributed
cluster when a scheduler is given; both run the same per-file task. A file that cannot be
read or analysed becomes a :class:`Failed` record and the batch goes on.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import sys
import time
import warnings
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

import numpy as np

from .results import Result, flatten

__all__ = ["run_batch", "find_inputs", "read_metadata", "fit_series", "BatchResult", "Analyzed", "Failed",
           "SUMMARY_NAME", "SERIES_NAME", "POPULATION_QUANTITIES"]

#: Name of the per-file table written into the output folder.
SUMMARY_NAME = "summary.csv"
#: Name of the excitation-series fit written when the metadata has ``mean_excitons``.
SERIES_NAME = "series.json"

#: Suffixes whose files claim to be time-tag data by name: always part of a batch, so a
#: damaged one is reported as failed instead of being passed over silently.
DATA_SUFFIXES = frozenset({".ptu", ".pt3", ".pt2", ".ht3", ".ht2", ".spc"})

#: Suffixes that are never time-tag data (reports, figures, notes, vendor sidecars such as
#: the ``.set`` file of an SPC measurement); skipped without looking inside.
NON_DATA_SUFFIXES = frozenset({".json", ".md", ".rst", ".png", ".jpg", ".jpeg", ".pdf", ".svg", ".set",
                               ".log", ".py", ".ipynb", ".part", ".yaml", ".yml", ".toml", ".ini", ".cfg"})

#: Summary columns drawn as population histograms: column -> (file name part, axis label).
POPULATION_QUANTITIES = {
    "on_fraction": ("on_fraction", "ON fraction"),
    "mandel_q": ("mandel_q", "Mandel Q"),
    "power_law.on.alpha": ("alpha_on", "α_on (ON dwell-time power law)"),
    "power_law.off.alpha": ("alpha_off", "α_off (OFF dwell-time power law)"),
    "g2.g2_zero": ("g2_zero", "g2(0)"),
    "lifetime.tau_ns": ("tau", "τ (mono-exponential, ns)"),
}

_FT1040_SEGMENT = re.compile(r"^(?P<prefix>.+)_s(?P<index>\d+)\.txt$", re.IGNORECASE)

#: Start method of the local worker processes; see :func:`run_batch` Notes.
_MP_START = "forkserver"


# ----------------------------------------------------------------------------- records


@dataclass(frozen=True, repr=False)
class Analyzed(Result):
    """A file that was analysed (now, or by an earlier run that ``--resume`` kept).

    Attributes
    ----------
    path : str
        The file, relative to the batch folder (``/``-separated).
    report : dict
        Its JSON report (:meth:`tttr.pipeline.Report.to_dict`), exactly as in
        ``{stem}.report.json``.
    resumed : bool
        True when the outputs of an earlier run were complete and kept.
    seconds : float
        Wall time of the analysis and the writing in the worker (0 when resumed).
    """

    path: str
    report: dict
    resumed: bool = False
    seconds: float = 0.0

    ok = True

    def to_row(self) -> dict:
        """``path``, ``status`` = ``ok`` and the flattened report (lists JSON-encoded)."""
        row = {"path": self.path, "status": "ok"}
        for k, v in flatten(self.report).items():
            row[k] = json.dumps(v) if isinstance(v, list) else v
        return row


@dataclass(frozen=True, repr=False)
class Failed(Result):
    """A file of the batch that could not be read, analysed or written.

    Attributes
    ----------
    path : str
        The file, relative to the batch folder (``/``-separated).
    reason : str
        One line: what went wrong (the error message without the file name, which is
        ``path``).
    """

    path: str
    reason: str

    ok = False

    def to_row(self) -> dict:
        """``path`` and ``status`` = ``failed: {reason}``."""
        return {"path": self.path, "status": f"failed: {self.reason}"}


@dataclass(frozen=True, repr=False)
class BatchResult(Result):
    """What :func:`run_batch` did.

    Attributes
    ----------
    in_dir, out_dir : str
        The folders (absolute).
    records : tuple of Analyzed or Failed
        One per file of the batch, sorted by relative path (the order of ``summary.csv``).
    skipped : tuple of str
        Files of the tree that are not time-tag data (relative paths); not in the summary.
    summary_path : str
        The ``summary.csv`` written.
    figures : tuple of str
        Population figures written.
    series : dict or None
        The excitation-series fit (:func:`fit_series`), when the metadata has ``mean_excitons``.
    warnings : tuple of str
        Batch-level notes (metadata rows that match no file, too few points for the series fit).
    elapsed_s : float
        Wall time of the whole batch.
    """

    in_dir: str
    out_dir: str
    records: tuple
    skipped: tuple = ()
    summary_path: str = ""
    figures: tuple = ()
    series: dict | None = None
    warnings: tuple = ()
    elapsed_s: float = 0.0

    @property
    def n_files(self) -> int:
        """Files in the batch (analysed, resumed or failed)."""
        return len(self.records)

    @property
    def n_ok(self) -> int:
        """Files with a complete report (including resumed ones)."""
        return sum(r.ok for r in self.records)

    @property
    def n_failed(self) -> int:
        """Files that failed."""
        return sum(not r.ok for r in self.records)

    @property
    def n_resumed(self) -> int:
        """Files whose earlier outputs were kept (``resume=True``)."""
        return sum(bool(getattr(r, "resumed", False)) for r in self.records)

    @property
    def failed(self) -> list:
        """The :class:`Failed` records."""
        return [r for r in self.records if not r.ok]

    def to_dict(self, *, arrays: bool = False) -> dict:
        """Counts, paths and failures (the JSON of ``tttr batch --json``); no per-file reports."""
        return {"in_dir": self.in_dir, "out_dir": self.out_dir, "n_files": self.n_files, "n_ok": self.n_ok,
                "n_failed": self.n_failed, "n_resumed": self.n_resumed, "n_skipped": len(self.skipped),
                "summary": self.summary_path, "figures": list(self.figures),
                "failed": [{"path": r.path, "reason": r.reason} for r in self.failed],
                "series": self.series, "warnings": list(self.warnings), "elapsed_s": self.elapsed_s}


# ----------------------------------------------------------------------------- discovery


def _is_hidden(name: str) -> bool:
    return name.startswith(".") or name == "__pycache__"


def find_inputs(in_dir, *, exclude=()) -> tuple[list[str], list[str]]:
    """The files of a folder tree that a batch analyses, and those it passes over.

    Parameters
    ----------
    in_dir : str or Path
        The folder; searched recursively.
    exclude : iterable of path
        Files or folders to leave out entirely (the output folder when it lies inside
        ``in_dir``, the metadata table).

    Returns
    -------
    inputs : list of str
        Paths relative to ``in_dir`` (``/``-separated), sorted.
    skipped : list of str
        Files that are not time-tag data, relative and sorted.

    Notes
    -----
    A file is an input when

    * its suffix names a vendor time-tag format (``.ptu .pt3 .pt2 .ht3 .ht2 .spc``), whatever
      its content: a damaged one must show up as failed, not vanish from the batch; or
    * :func:`tttr.io.sniff.detect_format` recognises its content (Photon-HDF5, FT1040,
      columnar exports, and vendor files under other names).

    Passed over without a look inside: hidden files and folders, reports and figures
    (``.json``, ``.png``, ...), the arrays ``tttr`` writes (``*.tttr.h5``), truth files
    (``*.truth.json``), SPC ``.set`` sidecars, and the later segments ``*_sN.txt`` (N ≥ 1) of
    an FT1040 export, which the reader joins to their ``*_s0.txt`` (the export is one input,
    named by its ``_s0`` file). Anything else that ``detect_format`` rejects is skipped.
    """
    from .errors import TttrError
    from .io.sniff import detect_format

    root = Path(in_dir).resolve()
    if not root.exists():
        raise FileNotFoundError(f"{in_dir}: no such folder")
    if not root.is_dir():
        raise NotADirectoryError(f"{in_dir}: not a folder")
    excluded = [Path(e).resolve() for e in exclude if e is not None]
    inputs, skipped = [], []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not _is_hidden(d) and (here / d).resolve() not in excluded)
        for name in sorted(filenames):
            p = here / name
            rel = p.relative_to(root).as_posix()
            if _is_hidden(name) or p.resolve() in excluded or not p.is_file():
                continue
            low = name.lower()
            suffix = Path(low).suffix
            m = _FT1040_SEGMENT.match(name)
            if (suffix in NON_DATA_SUFFIXES or low.endswith(".tttr.h5") or low == SUMMARY_NAME
                    or (m is not None and int(m["index"]) != 0)):
                skipped.append(rel)
                continue
            if suffix in DATA_SUFFIXES:
                inputs.append(rel)
                continue
            try:
                detect_format(p)
            except (TttrError, OSError):
                skipped.append(rel)
            else:
                inputs.append(rel)
    return sorted(inputs), sorted(skipped)


# ----------------------------------------------------------------------------- metadata


def _parse_cell(text: str):
    text = text.strip()
    if text == "":
        return None
    for kind in (int, float):
        try:
            v = kind(text)
        except ValueError:
            continue
        return v if kind is int or math.isfinite(v) else None
    return text


def read_metadata(path) -> dict:
    """Read a ``metadata.csv``: ``{file: {column: value}}``.

    Parameters
    ----------
    path : str or Path
        A CSV table (comma-separated, header line) with a column ``file`` and any others
        (``mean_excitons``, ``power_uW``, ``sample``, ...).

    Returns
    -------
    dict
        Keyed by the ``file`` cell as written (``\\`` turned into ``/``, a leading ``./``
        removed). Cells that parse as numbers become int or float, empty cells None.

    Raises
    ------
    FormatError
        No ``file`` column, or one file named twice.
    """
    from .errors import FormatError

    path = Path(path)
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        fields = [f.strip() for f in (reader.fieldnames or [])]
        if "file" not in fields:
            raise FormatError(path, f"metadata table has no 'file' column (columns: {', '.join(fields) or 'none'})")
        out: dict = {}
        for lineno, raw in enumerate(reader, start=2):
            row = {(k or "").strip(): (v if isinstance(v, str) else "") for k, v in raw.items()}
            key = row.pop("file").strip().replace("\\", "/")
            while key.startswith("./"):
                key = key[2:]
            if not key:
                continue
            if key in out:
                raise FormatError(path, f"line {lineno}: file {key!r} appears twice")
            out[key] = {k: _parse_cell(v) for k, v in row.items() if k}
    return out


def _match_metadata(meta: dict, inputs: list[str], meta_path) -> tuple[dict, list[str]]:
    """rel path -> metadata row; plus notes on rows that match nothing."""
    from .errors import FormatError

    by_name: dict = {}
    for rel in inputs:
        by_name.setdefault(PurePosixPath(rel).name, []).append(rel)
    known = set(inputs)
    matched: dict = {}
    unmatched = []
    for key, row in meta.items():
        if key in known:
            targets = [key]
        elif key in by_name:
            targets = by_name[key]
            if len(targets) > 1:
                raise FormatError(meta_path, f"file {key!r} matches {len(targets)} files ({', '.join(targets[:3])}); "
                                             "give the path relative to the batch folder")
        else:
            unmatched.append(key)
            continue
        for rel in targets:
            if rel in matched:
                raise FormatError(meta_path, f"{rel} is named twice (by its path and by its name)")
            matched[rel] = row
    notes = []
    if unmatched:
        shown = ", ".join(unmatched[:5]) + (" ..." if len(unmatched) > 5 else "")
        notes.append(f"{meta_path}: {len(unmatched)} row(s) match no file of the batch: {shown}")
    return matched, notes


# ----------------------------------------------------------------------------- one file


@dataclass(frozen=True)
class _Task:
    """Everything a worker needs for one file (picklable, absolute paths)."""

    source: str
    rel: str
    out_dir: str
    stem: str
    force: bool
    plots: bool
    options: dict = field(default_factory=dict)


def _reason(exc: BaseException, source: str) -> str:
    """One line for a failure; the file name is dropped (the summary's ``path`` has it)."""
    from .errors import TttrError

    lines = str(exc).strip().splitlines()
    msg = lines[0].strip() if lines else ""
    for prefix in (f"{source}: ", f"{Path(source).name}: "):
        if msg.startswith(prefix):
            msg = msg[len(prefix):]
    if not isinstance(exc, TttrError):
        msg = f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__
    return msg or type(exc).__name__


def _remove_partials(out_dir: Path, stem: str) -> None:
    """Delete temporary files left by an interrupted write of this file's outputs."""
    import glob

    for p in out_dir.glob(f".{glob.escape(stem)}.*.part"):
        p.unlink(missing_ok=True)


def _analyze_and_write(task: _Task) -> dict:
    """analyze + write_report; returns the report dict as written (JSON round trip)."""
    from .pipeline import analyze
    from .report_io import write_report

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = analyze(task.source, **task.options)
    prefix = f"{task.source}: "
    said = [str(w.message) for w in caught]
    said = [m[len(prefix):] if m.startswith(prefix) else m for m in said]  # the report is about this file
    extra = [m for m in said if m not in report.warnings]
    if extra:
        report = replace(report, warnings=list(dict.fromkeys([*report.warnings, *extra])))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # figure-drawing chatter is not about the file
        write_report(report, task.out_dir, stem=task.stem, plots=task.plots, force=task.force)
    return json.loads(json.dumps(report.to_dict(), allow_nan=False))


def _process_one(task: _Task):
    """The per-file task of every executor: never raises for a problem with the file.

    Returns
    -------
    Analyzed or Failed

    Raises
    ------
    OutputError
        The outputs cannot be written (full disk, I/O error); nothing of them is left.
    """
    from .errors import OutputError
    from .io._atomic import output_errors

    t0 = time.perf_counter()
    try:
        out = Path(task.out_dir)
        with output_errors(out):
            out.mkdir(parents=True, exist_ok=True)
        _remove_partials(out, task.stem)
        report = _analyze_and_write(task)
    except OutputError:
        raise  # a full or failing disk is not this file's fault: it stops the batch
    except Exception as exc:  # noqa: BLE001 - one bad file never stops the batch
        return Failed(task.rel, _reason(exc, task.source))
    return Analyzed(task.rel, report, resumed=False, seconds=time.perf_counter() - t0)


# ----------------------------------------------------------------------------- executors


def _run_inline(tasks):
    for task in tasks:
        yield _process_one(task)


def _mp_context():
    import multiprocessing as mp

    try:
        ctx = mp.get_context(_MP_START)
    except ValueError:  # forkserver is POSIX-only
        return mp.get_context("spawn")
    if _MP_START == "forkserver":
        ctx.set_forkserver_preload(list(_PRELOAD))
    return ctx


#: Imported once by the fork server, so that every worker starts with them loaded.
_PRELOAD = ("tttr.batch", "tttr.pipeline", "tttr.report_io", "tttr.io.sniff", "tttr.analysis.binned",
            "tttr.analysis.blinking", "tttr.analysis.lifetime", "tttr.analysis.flid", "tttr.analysis.g2",
            "tttr.analysis.models", "tttr.analysis.photon_stats", "tttr.analysis.powerlaw", "tttr.analysis.trace")


def _process_alive(pid: int) -> bool:
    """True while process ``pid`` exists and is not a zombie (Linux: ``/proc``; else ``kill 0``)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rsplit(b")", 1)[1].split()[0]
        return state not in (b"Z", b"X")
    except (OSError, IndexError):
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _watch_parent(batch_pid: int, parent_pid: int, period_s: float) -> None:
    """Kill this worker as soon as the batch process or this worker's parent is gone."""
    import signal

    while True:
        if os.getppid() != parent_pid or not _process_alive(batch_pid):
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(period_s)


def _worker_init(batch_pid: int) -> None:
    """Initializer of every local worker: it must not outlive the batch.

    Notes
    -----
    * Linux: ``prctl(PR_SET_PDEATHSIG, SIGKILL)``, so the kernel kills the worker when its
      parent dies (the fork server, which exits when the batch process dies, or the batch
      process itself under ``spawn``).
    * Everywhere: a daemon thread that checks twice a second that the parent is still the
      same and the batch process still runs (not a zombie), and kills the worker
      otherwise (a portable fallback, and the guard against a parent that died before the
      ``prctl``).
    * SIGINT is ignored: a Ctrl-C reaches the whole process group, and the batch process
      ends its workers itself (:func:`_end_workers`).
    """
    import signal
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no prctl: the watchdog remains
            pass
    threading.Thread(target=_watch_parent, args=(batch_pid, parent, _WATCHDOG_PERIOD_S), daemon=True,
                     name="tttr-batch-watchdog").start()


#: How often a worker checks that its batch still runs (s).
_WATCHDOG_PERIOD_S = 0.5


def _new_pool(ctx, jobs: int):
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_worker_init,
                               initargs=(os.getpid(),))


def _end_workers(pool) -> None:
    """Kill the worker processes of ``pool`` (an interrupted batch) and shut it down."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for p in procs:
        try:
            p.kill()
        except (OSError, ValueError):
            pass
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        try:
            p.join(5)
        except (OSError, ValueError, AssertionError):
            pass


def _check_workers_start(ctx) -> None:
    """Raise when a worker process cannot even start (so no file is blamed for it)."""
    from concurrent.futures.process import BrokenProcessPool

    try:
        with _new_pool(ctx, 1) as pool:
            pool.submit(os.getpid).result()
    except BrokenProcessPool:
        raise RuntimeError(
            f"local worker processes ({ctx.get_start_method()}) fail to start; a script that calls run_batch "
            "with jobs > 1 must do so under `if __name__ == \"__main__\":` (or use jobs=1)") from None


def _died(task: _Task) -> Failed:
    return Failed(task.rel, "the worker process died while analysing this file (crash or out of memory)")


def _run_pool(tasks, jobs: int):
    """Local process pool, at most ``2 * jobs`` tasks in flight.

    When a worker process dies the pool breaks and every task in flight fails with it; those
    are then run again one at a time, each in a fresh one-process pool, so only the file
    that kills its worker is recorded as failed.
    """
    from concurrent.futures import FIRST_COMPLETED, wait
    from concurrent.futures.process import BrokenProcessPool

    from .errors import OutputError

    ctx = _mp_context()
    pending = deque(tasks)
    while pending:
        suspects = []
        pool = _new_pool(ctx, jobs)
        finished = False
        try:
            inflight: dict = {}
            broken = False
            while (pending or inflight) and not broken:
                while pending and len(inflight) < 2 * jobs:
                    task = pending.popleft()
                    inflight[pool.submit(_process_one, task)] = task
                done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                for fut in done:
                    task = inflight.pop(fut)
                    try:
                        yield fut.result()
                    except BrokenProcessPool:
                        suspects.append(task)
                        broken = True
                    except OutputError:
                        raise
                    except Exception as exc:  # noqa: BLE001 - e.g. a result that does not unpickle
                        yield Failed(task.rel, _reason(exc, task.source))
            suspects += list(inflight.values())
            finished = True
        finally:
            if finished:
                pool.shutdown(wait=True, cancel_futures=True)
            else:  # interrupted (Ctrl-C, disk full, the consumer stopped): end the workers now
                _end_workers(pool)
        if suspects:
            _check_workers_start(ctx)
        for task in suspects:
            alone = _new_pool(ctx, 1)
            finished = False
            try:
                try:
                    yield alone.submit(_process_one, task).result()
                except BrokenProcessPool:
                    yield _died(task)
                finished = True
            finally:
                if finished:
                    alone.shutdown(wait=True)
                else:
                    _end_workers(alone)


def _dask_client(scheduler):
    """(client, owned): a Client for an address, a cluster object or a Client."""
    from .errors import TttrError

    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - optional dependency
        raise TttrError("--scheduler needs Dask distributed: pip install 'tttr[dask]'") from exc
    if isinstance(scheduler, Client):
        return scheduler, False
    address = getattr(scheduler, "scheduler_address", scheduler)
    try:
        return Client(address, set_as_default=False), True
    except (OSError, TimeoutError) as exc:
        raise TttrError(f"cannot connect to the Dask scheduler at {address}: {exc}") from None


def _run_dask(tasks, scheduler):
    """One Dask task per file; results in completion order."""
    from distributed import as_completed

    from .errors import OutputError

    client, owned = _dask_client(scheduler)
    try:
        futures = {client.submit(_process_one, task, pure=False, key=f"tttr-batch-{os.getpid()}-{i}-{time.time_ns()}"):
                   task for i, task in enumerate(tasks)}
        for fut in as_completed(list(futures), loop=client.loop):
            task = futures[fut]
            try:
                yield fut.result()
            except OutputError:
                raise
            except Exception as exc:  # noqa: BLE001 - a worker that died (KilledWorker), ...
                yield Failed(task.rel, f"Dask worker: {_reason(exc, task.source)}")
            finally:
                fut.release()
    finally:
        if owned:
            client.close()


# ----------------------------------------------------------------------------- population outputs


def _cell(v):
    if v is None:
        return ""
    if isinstance(v, (list, dict)):
        return json.dumps(v)
    return v


def _summary_rows(records, metadata: dict) -> tuple[list[str], list[dict]]:
    """Columns and rows of ``summary.csv``: path, status, metadata columns, report columns."""
    rows = [r.to_row() for r in records]
    report_cols: list[str] = []
    seen = {"path", "status"}
    for row in rows:
        for k in row:
            if k not in seen:
                seen.add(k)
                report_cols.append(k)
    meta_cols: list[str] = []
    for row in metadata.values():
        for k in row:
            if k not in meta_cols:
                meta_cols.append(k)
    rename = {k: (f"metadata.{k}" if k in seen else k) for k in meta_cols}
    out = []
    for rec, row in zip(records, rows):
        m = metadata.get(rec.path, {})
        full = {"path": row.pop("path"), "status": row.pop("status")}
        full.update({rename[k]: m.get(k) for k in meta_cols})
        full.update(row)
        out.append(full)
    return ["path", "status", *(rename[k] for k in meta_cols), *report_cols], out


def _csv_bytes(columns, rows) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for row in rows:
        w.writerow([_cell(row.get(c)) for c in columns])
    return buf.getvalue().encode("utf-8")


def _figure_bytes(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120, bbox_inches="tight")
    return buf.getvalue()


def _finite(values) -> np.ndarray:
    x = np.array([v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)], dtype=float)
    return x[np.isfinite(x)]


def _population_figures(rows: list[dict], out_dir: Path, *, force: bool = False) -> list[str]:
    """Histograms of the main statistics and the FLID verdict counts; returns the paths."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    from .report_io import atomic_write_bytes

    ok = [r for r in rows if r["status"] == "ok"]
    written = []
    for col, (name, label) in POPULATION_QUANTITIES.items():
        x = _finite(r.get(col) for r in ok)
        if x.size == 0:
            continue
        fig = Figure(figsize=(4.5, 3.2))
        ax = fig.subplots()
        ax.hist(x, bins=max(5, min(30, int(np.sqrt(x.size)) + 3)), color="0.35", edgecolor="white")
        ax.set_xlabel(label)
        ax.set_ylabel("files")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(f"{label.split(' (')[0]}: n = {x.size}, median {np.median(x):.3g}", fontsize=9)
        path = out_dir / f"population.{name}.png"
        atomic_write_bytes(path, _figure_bytes(fig), force=force)
        written.append(str(path))
    verdicts: dict = {}
    for r in ok:
        v = r.get("flid.verdict")
        if "flid.verdict" in r:
            key = v if v else "none"
            verdicts[key] = verdicts.get(key, 0) + 1
    if verdicts:
        fig = Figure(figsize=(4.5, 3.2))
        ax = fig.subplots()
        names = sorted(verdicts)
        ax.bar(names, [verdicts[n] for n in names], color="0.35")
        ax.set_ylabel("files")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title("FLID verdict", fontsize=9)
        ax.tick_params(axis="x", labelrotation=20)
        path = out_dir / "population.flid_verdict.png"
        atomic_write_bytes(path, _figure_bytes(fig), force=force)
        written.append(str(path))
    return written


def fit_series(mean_excitons, rates_hz, *, paths=None) -> dict:
    """Power law of a rate against the mean exciton number: ``r = A·⟨N⟩^p``.

    Parameters
    ----------
    mean_excitons : sequence of float
        ⟨N⟩ of each measurement (excitons per pulse).
    rates_hz : sequence of float or None
        The rate of each measurement (the charging rate, s⁻¹).
    paths : sequence of str, optional
        Names of the measurements, kept in ``points``.

    Returns
    -------
    dict
        ``p``, ``p_err`` (None with fewer than 3 points), ``amplitude_hz`` (A, the rate at
        ⟨N⟩ = 1), ``n_points``, ``n_excluded`` (points with a missing or non-positive rate
        or ⟨N⟩), ``consistent_with_1``/``consistent_with_2`` (|p − k| ≤ 2 p_err), ``points``
        and a ``note`` when no fit was possible (then ``p`` is None).

    Notes
    -----
    Ordinary least squares of ``log r`` on ``log ⟨N⟩``: each measurement is one point of a
    population trend, and the scatter between emitters, not the counting error of one rate,
    dominates, so equal weights in log space are the honest choice. The slope's standard
    error is the textbook one from the residual variance (n − 2 degrees of freedom).
    Measurements with no ON→OFF switching (rate 0) cannot enter a log-log fit and are
    counted in ``n_excluded``; many of them bias p upward at low ⟨N⟩.

    p ≈ 1 means the charging (ionisation) happens from the single exciton, p ≈ 2 that it
    needs two excitons (Auger ionisation).

    Examples
    --------
    >>> r = fit_series([0.1, 0.2, 0.4], [1.0, 4.0, 16.0])
    >>> round(r["p"], 6), r["n_points"]
    (2.0, 3)
    """
    n_arr = list(mean_excitons)
    r_arr = list(rates_hz)
    names = list(paths) if paths is not None else [None] * len(n_arr)
    pts, excluded = [], 0
    for name, n, r in zip(names, n_arr, r_arr):
        ok = all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0 for v in (n, r))
        if ok:
            pts.append((name, float(n), float(r)))
        else:
            excluded += 1
    out = {"model": "charging_rate_hz = amplitude_hz * mean_excitons**p",
           "method": "least squares of log(rate) on log(mean_excitons)",
           "p": None, "p_err": None, "amplitude_hz": None, "n_points": len(pts), "n_excluded": excluded,
           "consistent_with_1": None, "consistent_with_2": None,
           "points": [{"path": a, "mean_excitons": n, "charging_rate_hz": r} for a, n, r in pts]}
    x = np.log([p[1] for p in pts]) if pts else np.zeros(0)
    y = np.log([p[2] for p in pts]) if pts else np.zeros(0)
    if len(pts) < 2 or np.ptp(x) == 0:
        out["note"] = (f"{len(pts)} usable point(s) with distinct mean_excitons; a power law needs at least 2 "
                       f"({excluded} excluded: missing, zero or negative rate or mean_excitons)")
        return out
    xm, ym = x.mean(), y.mean()
    sxx = float(((x - xm) ** 2).sum())
    p = float(((x - xm) * (y - ym)).sum() / sxx)
    a = float(ym - p * xm)
    out["p"] = p
    out["amplitude_hz"] = float(np.exp(a))
    if len(pts) >= 3:
        resid = y - (a + p * x)
        p_err = float(np.sqrt((resid ** 2).sum() / (len(pts) - 2) / sxx))
        out["p_err"] = p_err
        out["consistent_with_1"] = bool(abs(p - 1.0) <= 2 * p_err)
        out["consistent_with_2"] = bool(abs(p - 2.0) <= 2 * p_err)
    return out


def _series_figure(series: dict) -> bytes:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4.5, 3.4))
    ax = fig.subplots()
    n = np.array([p["mean_excitons"] for p in series["points"]])
    r = np.array([p["charging_rate_hz"] for p in series["points"]])
    ax.loglog(n, r, "o", color="0.2", label="files")
    if series["p"] is not None:
        xs = np.geomspace(n.min(), n.max(), 50)
        err = f" ± {series['p_err']:.2g}" if series["p_err"] is not None else ""
        ax.loglog(xs, series["amplitude_hz"] * xs ** series["p"], "-", color="C3",
                  label=f"r ∝ ⟨N⟩^p, p = {series['p']:.2f}{err}")
    ax.set_xlabel("⟨N⟩ (mean excitons per pulse)")
    ax.set_ylabel("charging rate (s⁻¹)")
    ax.legend(fontsize=8)
    return _figure_bytes(fig)


# ----------------------------------------------------------------------------- the batch


def _read_back(out_dir: Path, stem: str):
    from .report_io import output_paths

    try:
        return json.loads(output_paths(out_dir, stem)["report"].read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def run_batch(in_dir, out_dir, *, jobs: int = 1, scheduler=None, resume: bool = False, force: bool = False,
              plots: bool = False, metadata=None, analyze_options: dict | None = None, reader_options: dict | None = None,
              progress=None) -> BatchResult:
    """Analyse every time-tag file of a folder tree; write per-file results and a summary.

    Parameters
    ----------
    in_dir : str or Path
        The folder; searched recursively (see :func:`find_inputs` for what counts as input).
    out_dir : str or Path
        Where the results go. The folder structure of ``in_dir`` is mirrored: the file
        ``a/b/x.ptu`` gets ``out_dir/a/b/x.ptu.report.json`` and ``x.ptu.tttr.h5``
        (:func:`tttr.report_io.write_report`, stem = the file name).
    jobs : int
        Local worker processes (0: one per available CPU). 1 runs in this process.
        Ignored when ``scheduler`` is given.
    scheduler : str, distributed.Client or cluster, optional
        A Dask distributed scheduler address (``tcp://host:8786``), a ``Client``, or a
        cluster object (``LocalCluster``); one Dask task per file.
    resume : bool
        Keep the outputs of files whose report and arrays exist and are newer than the file
        (:func:`tttr.report_io.outputs_complete`); redo the others, replacing what an
        interrupted run left of their outputs.
    force : bool
        Redo every file and replace every existing output.
    plots : bool
        Also write each file's figures (PNG).
    metadata : str or Path, optional
        A CSV table with a ``file`` column (the path relative to ``in_dir``, or just the file
        name when that is unique) whose other columns are joined into the summary. A numeric
        ``mean_excitons`` column adds the excitation-series fit (:func:`fit_series`).
    analyze_options : dict, optional
        Keyword arguments of :func:`tttr.pipeline.analyze` (``bin_width_s``, ...).
    reader_options : dict, optional
        Reader options for every file (``nanotimes_unit_s`` of an ``.spc`` without its
        ``.set``, units and columns of columnar files, ``sync_rate_hz``, ``channel_base``).
        A metadata column named like one of :data:`READER_OPTIONS` sets that option for
        its file (an empty cell keeps the common value).
    progress : callable, optional
        ``progress(n_done, n_total, record)``: called once with ``(0, n_total, None)`` before
        the work starts, then after each file with its :class:`Analyzed`/:class:`Failed`.

    Returns
    -------
    BatchResult
        ``n_ok``, ``n_failed`` and the records, sorted by path.

    Raises
    ------
    FileExistsError
        ``out_dir/summary.csv`` or another batch output (``population.*.png``,
        ``series.json``, ``series.png``) exists and neither ``resume`` nor ``force`` is
        given (checked before any work).
    OutputInUseError
        Another batch is running into ``out_dir``.
    OutputError
        The disk is full or failed: the batch stops at once (files finished so far keep
        their complete outputs; no temporary is left; ``resume`` completes it later).
    ValueError
        ``resume`` and ``force`` together, or ``jobs`` < 0.
    FormatError
        A metadata table without a ``file`` column or naming a file ambiguously.
    TttrError
        The Dask scheduler cannot be reached.

    Notes
    -----
    * One bad file never stops the batch. Whatever goes wrong with it (unknown format,
      damaged header, an exception in the analysis, a worker process that dies) becomes a
      :class:`Failed` record whose one-line reason goes into ``summary.csv`` as
      ``status = failed: reason``. A file cut short in its records is decoded up to its last
      whole record and is ``ok``, with the warning in its report.
    * Nothing is overwritten without ``force``. Without ``resume``/``force``, a file whose
      outputs exist fails with "exists; use --force or --resume" (the rest of the batch
      runs); an existing ``summary.csv`` stops the batch before it starts, since a batch
      that has finished before would otherwise fail file by file. With ``resume`` the
      batch-level outputs (summary, population figures, series) are rewritten.
    * Every output is written to a temporary file and renamed (the report of each file last,
      so its presence marks the file as done); a killed run leaves complete outputs and
      possibly ``.*.part`` temporaries, which the next run deletes before writing that file.
      The rows of ``summary.csv`` follow the sorted relative paths, not the completion
      order, and hold no timing, so a resumed run gives the same table as an uninterrupted
      one.
    * Output layout: mirrored folders (not a flattened, renamed stem) so that names stay
      those of the inputs and equal names in different folders cannot collide.
    * ``summary.csv`` columns: ``path`` (relative), ``status``, the metadata columns (renamed
      ``metadata.{name}`` if they clash with a report column), then the report flattened to
      ``a.b.c`` keys. Lists (``warnings``, g2 peak areas, region lifetimes) are JSON-encoded
      in one cell; missing values are empty cells.
    * Local workers use the ``forkserver`` start method: a forked copy of a parent that runs
      threads (a Dask client, a progress bar) can deadlock, and ``spawn`` would re-import the
      libraries in every worker. The Dask path needs the input and output folders at the
      same absolute paths on every worker (a shared file system).
    * ``resume`` judges by time stamps only: after changing the analysis options, use
      ``force``.
    * One batch per output folder: an exclusive ``flock`` on ``out_dir/.tttr-batch.lock``
      (holding the pid, for the message) is held for the whole run; a second batch into the
      same folder fails at once with :class:`~tttr.errors.OutputInUseError` instead of
      taking the first one's fresh outputs for its own. The lock file stays (removing it
      would race with a waiting run); the kernel releases the lock when the process ends,
      however it ends.
    * A full disk or an I/O error while writing is not the file's fault and would fail
      every later file too, so it stops the batch with one
      :class:`~tttr.errors.OutputError`; per-file outputs are all-or-nothing
      (:func:`tttr.report_io.write_report`) and the temporaries are removed.
    * Workers never outlive the batch: each one asks the kernel to kill it when its parent
      dies (Linux ``PR_SET_PDEATHSIG``) and watches the batch process from a thread
      (portable); an interrupted batch (Ctrl-C, an error, SIGTERM through the command line)
      kills its workers at once instead of waiting for their files, and removes the
      temporaries of the output folder.
    """
    from .errors import OutputError
    from .io._atomic import output_errors

    t_start = time.perf_counter()
    if resume and force:
        raise ValueError("resume and force exclude each other (force redoes every file)")
    if jobs < 0:
        raise ValueError(f"jobs must be >= 0, not {jobs}")
    if jobs == 0:
        jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    root = Path(in_dir).resolve()
    out_root = Path(out_dir).resolve()
    with output_errors(out_root):
        out_root.mkdir(parents=True, exist_ok=True)
    with _out_dir_lock(out_root):
        try:
            return _batch(root, out_root, jobs=jobs, scheduler=scheduler, resume=resume, force=force, plots=plots,
                          metadata=metadata, options=dict(analyze_options or {}),
                          reader_options=dict(reader_options or {}), progress=progress, t_start=t_start)
        except OutputError as exc:
            _sweep_partials(out_root)
            raise OutputError(exc.path, exc.errno, f"{exc.problem}; the batch stopped (finished files are kept): "
                                                   "free space, then run it again with --resume") from None
        except BaseException:
            _sweep_partials(out_root)  # an interrupted batch leaves no temporaries behind
            raise


def _batch(root: Path, out_root: Path, *, jobs, scheduler, resume, force, plots, metadata, options, reader_options,
           progress, t_start) -> BatchResult:
    """The body of :func:`run_batch`, with the output folder locked."""
    from .report_io import atomic_write_bytes, output_paths, outputs_complete

    summary_path = out_root / SUMMARY_NAME
    if summary_path.exists() and not (resume or force):
        raise FileExistsError(f"{summary_path}: exists; use --resume to add new or changed files, "
                              "--force to redo every file")
    if not (resume or force):
        mine = _batch_outputs(out_root)
        if mine:
            raise FileExistsError(f"{mine[0]}: exists; not overwritten (use --force, or --resume to update the "
                                  "batch outputs)")
    inputs, skipped = find_inputs(root, exclude=[out_root, metadata])
    notes: list[str] = []
    meta: dict = {}
    if metadata is not None:
        meta, notes = _match_metadata(read_metadata(metadata), inputs, metadata)
    for p in out_root.glob(f".{SUMMARY_NAME}.*.part"):
        p.unlink(missing_ok=True)

    records: dict = {}
    tasks = []
    for rel in inputs:
        source = root / rel
        dest = out_root / PurePosixPath(rel).parent
        stem = PurePosixPath(rel).name
        if resume and outputs_complete(dest, stem, source):
            report = _read_back(dest, stem)
            if report is not None:
                _remove_partials(dest, stem)
                records[rel] = Analyzed(rel, report, resumed=True)
                continue
        if not (resume or force):
            existing = [p for p in output_paths(dest, stem, plots=plots).values() if p.exists()]
            if existing:
                records[rel] = Failed(rel, f"{existing[0].name} exists; use --force or --resume")
                continue
        try:
            ropts = _file_reader_options(reader_options, meta.get(rel, {}), rel, metadata)
        except ValueError as exc:
            records[rel] = Failed(rel, str(exc))
            continue
        tasks.append(_Task(str(source), rel, str(dest), stem, force=resume or force, plots=plots,
                           options={**options, **ropts}))

    total = len(inputs)
    n_done = 0
    if progress is not None:
        progress(0, total, None)
        # files settled without work (resumed, or refused) count as done at once
        for rel in inputs:
            if rel in records:
                n_done += 1
                progress(n_done, total, records[rel])
    n_done = len(records)
    if scheduler is not None:
        results = _run_dask(tasks, scheduler)
    elif jobs == 1 or len(tasks) <= 1:
        results = _run_inline(tasks)
    else:
        results = _run_pool(tasks, min(jobs, len(tasks)))
    try:
        for rec in results:
            records[rec.path] = rec
            n_done += 1
            if progress is not None:
                progress(n_done, total, rec)
    finally:
        results.close()  # ends the workers at once when the loop was left early

    ordered = tuple(records[rel] for rel in inputs)
    columns, rows = _summary_rows(ordered, meta)
    again = resume or force  # the batch outputs are this batch's own: replaced on resume too
    atomic_write_bytes(summary_path, _csv_bytes(columns, rows), force=again)
    figures = _population_figures(rows, out_root, force=again)
    series = None
    if any(isinstance(m.get("mean_excitons"), (int, float)) for m in meta.values()):
        ok = [r for r in ordered if r.ok]
        series = fit_series([meta.get(r.path, {}).get("mean_excitons") for r in ok],
                            [r.report.get("charging_rate_hz") for r in ok], paths=[r.path for r in ok])
        atomic_write_bytes(out_root / SERIES_NAME, json.dumps(series, indent=2, allow_nan=False).encode(),
                           force=again)
        if series["points"]:
            atomic_write_bytes(out_root / "series.png", _series_figure(series), force=again)
            figures.append(str(out_root / "series.png"))
        if series.get("note"):
            notes.append(f"series: {series['note']}")
    return BatchResult(in_dir=str(root), out_dir=str(out_root), records=ordered, skipped=tuple(skipped),
                       summary_path=str(summary_path), figures=tuple(figures), series=series,
                       warnings=tuple(notes), elapsed_s=time.perf_counter() - t_start)


def _batch_outputs(out_root: Path) -> list[str]:
    """The batch-level outputs (summary, population figures, series) already in ``out_root``."""
    names = [SUMMARY_NAME, SERIES_NAME, "series.png"]
    found = [str(out_root / n) for n in names if (out_root / n).exists()]
    return found + sorted(str(p) for p in out_root.glob("population.*.png"))


_PART = re.compile(r"^\..+\.[0-9a-f]{12}\.part$")


def _sweep_partials(out_root: Path) -> None:
    """Delete the temporaries (``.NAME.xxxxxxxxxxxx.part``) of interrupted writes under ``out_root``."""
    for dirpath, _dirs, files in os.walk(out_root):
        for name in files:
            if _PART.match(name):
                try:
                    os.unlink(os.path.join(dirpath, name))
                except OSError:
                    pass


#: The lock file of a batch's output folder (see :func:`run_batch` Notes).
LOCK_NAME = ".tttr-batch.lock"


@contextmanager
def _out_dir_lock(out_root: Path):
    """Hold an exclusive ``flock`` on ``out_root/.tttr-batch.lock`` (POSIX; elsewhere no lock).

    Raises
    ------
    OutputInUseError
        Another batch holds the lock.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    from .errors import OutputInUseError
    from .io._atomic import output_errors

    path = out_root / LOCK_NAME
    with output_errors(path):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
            who = f" (process {holder})" if holder.isdigit() else ""
            raise OutputInUseError(f"{out_root}: in use by another batch{who}; wait for it to finish "
                                   "or choose another output folder") from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError:
            pass  # the pid is only for the message; a full disk is met (and reported) later
        yield
    finally:
        os.close(fd)


#: Reader options a metadata column of the same name sets for one file (over the options
#: given for every file): units and rates as numbers in SI units (s, Hz), ``channel_base``
#: 0 or 1, and the column choices of columnar files (``timestamps_column``, ...).
READER_OPTIONS = ("timestamps_unit_s", "nanotimes_unit_s", "sync_rate_hz", "channel_base", "timestamps_column",
                  "detectors_column", "nanotimes_column", "mode", "sync_channel", "on_time_error")
_POSITIVE_OPTIONS = frozenset({"timestamps_unit_s", "nanotimes_unit_s", "sync_rate_hz"})


def _file_reader_options(common: dict, row: dict, rel: str, meta_path) -> dict:
    """The reader options of one file: ``common`` overridden by its metadata row.

    Raises
    ------
    ValueError
        A unit or rate that is not a positive number, a ``channel_base`` other than 0 or 1.

    Notes
    -----
    Column names and ``mode`` are passed on as written; the reader checks them (a bad one
    fails that file with the reader's message).
    """
    out = {k: v for k, v in common.items() if v is not None}
    for k in READER_OPTIONS:
        v = row.get(k)
        if v is None:
            continue
        if k == "channel_base":
            if v not in (0, 1) or isinstance(v, (bool, float)):
                raise ValueError(f"{meta_path}: {k} = {v!r} for this file; must be 0 or 1")
        elif k in _POSITIVE_OPTIONS and (not isinstance(v, (int, float)) or isinstance(v, bool)
                                         or not (math.isfinite(v) and v > 0)):
            raise ValueError(f"{meta_path}: {k} = {v!r} for this file; must be a positive number (SI units: s, Hz)")
        out[k] = v
    return out
