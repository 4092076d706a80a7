"""The batch itself: :func:`run_batch` finds the inputs, runs the per-file tasks and writes the
population outputs, with its output folder locked."""

from __future__ import annotations

import json
import os
import re
import time
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from .discovery import find_inputs
from .executors import _run_dask, _run_inline, _run_pool
from .metadata import _file_reader_options, _match_metadata, read_metadata
from .index_page import INDEX_NAME, index_html
from .population import _series_figure, population_pngs
from .records import Analyzed, BatchResult, Failed
from .series import SERIES_NAME, fit_series
from .summary_table import LONG_NAME, SUMMARY_NAME, TEXT_NAME, _csv_bytes, _tuples_csv_bytes, summary_tables
from .worker import _remove_partials, _Task

__all__ = ["run_batch", "LOCK_NAME"]



def _read_back(out_dir: Path, stem: str):
    from ..report_io import output_paths

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
        Also write each file's figures (PNG), summary page and HTML report
        (:func:`tttr.report_io.write_report`), linked from ``index.html``.
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
        ``out_dir/summary.csv`` or another batch output (``summary_long.csv``,
        ``summary_text.csv``, ``index.html``, ``population.*.png``, ``series.json``, ``series.png``) exists and neither ``resume`` nor ``force`` is
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
      ``status = failed`` and ``reason``. A file cut short in its records is decoded up to its last
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
    * ``summary.csv`` columns: ``path`` (relative), ``status`` (``ok``/``failed``), ``reason``,
      the metadata columns (renamed ``metadata.{name}`` if they clash with a report column),
      then the report's scalars under their ``a.b.c`` names (documented with unit and dtype
      in :mod:`tttr.batch.columns`); an all-empty column is left out. Lists go to
      ``summary_long.csv`` (numbers) and ``summary_text.csv`` (text, the warnings); see
      :func:`tttr.batch.summary_table.summary_tables`. ``index.html`` shows the table, the
      population figures and links to each file's report.
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
    from ..errors import OutputError
    from ..io.atomic import output_errors

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
    _refuse_existing_outputs(out_root, again=resume or force)
    inputs, skipped = find_inputs(root, exclude=[out_root, metadata])
    notes: list[str] = []
    meta: dict = {}
    if metadata is not None:
        meta, notes = _match_metadata(read_metadata(metadata), inputs, metadata)
    for p in out_root.glob(f".{SUMMARY_NAME}.*.part"):
        p.unlink(missing_ok=True)
    records, tasks = _planned(inputs, root, out_root, resume=resume, force=force, plots=plots, meta=meta,
                              metadata=metadata, options=options, reader_options=reader_options)
    _run_tasks(tasks, records, inputs, jobs=jobs, scheduler=scheduler, progress=progress)
    ordered = tuple(records[rel] for rel in inputs)
    figures, series = _write_population_outputs(ordered, meta, out_root, notes, again=resume or force)
    return BatchResult(in_dir=str(root), out_dir=str(out_root), records=ordered, skipped=tuple(skipped),
                       summary_path=str(out_root / SUMMARY_NAME), index_path=str(out_root / INDEX_NAME), figures=tuple(figures), series=series,
                       warnings=tuple(notes), elapsed_s=time.perf_counter() - t_start)


def _refuse_existing_outputs(out_root: Path, *, again: bool) -> None:
    """Raise FileExistsError when batch-level outputs exist and neither resume nor force is given."""
    if again:
        return
    summary_path = out_root / SUMMARY_NAME
    if summary_path.exists():
        raise FileExistsError(f"{summary_path}: exists; use --resume to add new or changed files, "
                              "--force to redo every file")
    mine = _batch_outputs(out_root)
    if mine:
        raise FileExistsError(f"{mine[0]}: exists; not overwritten (use --force, or --resume to update the "
                              "batch outputs)")


def _planned(inputs, root: Path, out_root: Path, *, resume, force, plots, meta, metadata, options,
             reader_options) -> tuple[dict, list]:
    """``(records, tasks)``: the files settled without work (resumed, or refused) and the tasks of the others."""
    from ..report_io import output_paths, outputs_complete

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
    return records, tasks


def _run_tasks(tasks, records: dict, inputs, *, jobs, scheduler, progress) -> None:
    """Run ``tasks`` on the chosen executor, adding their records to ``records`` (progress reported)."""
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


def _write_population_outputs(ordered, meta: dict, out_root: Path, notes: list, *, again: bool):
    """Write the summary tables, the population figures, the series and ``index.html``.

    Returns ``(figures, series)``. ``again`` (resume or force): the batch outputs are this
    batch's own and are replaced. Notes of the series fit are appended to ``notes``.
    """
    from ..report_io import atomic_write_bytes

    columns, rows, long, text = summary_tables(ordered, meta)
    atomic_write_bytes(out_root / SUMMARY_NAME, _csv_bytes(columns, rows), force=again)
    atomic_write_bytes(out_root / LONG_NAME, _tuples_csv_bytes(("path", "quantity", "index", "value"), long),
                       force=again)
    atomic_write_bytes(out_root / TEXT_NAME, _tuples_csv_bytes(("path", "quantity", "index", "text"), text),
                       force=again)
    pngs = population_pngs(rows)
    series = None
    if any(isinstance(m.get("mean_excitons"), (int, float)) for m in meta.values()):
        ok = [r for r in ordered if r.ok]
        series = fit_series([meta.get(r.path, {}).get("mean_excitons") for r in ok],
                            [r.report.get("charging_rate_hz") for r in ok], paths=[r.path for r in ok])
        atomic_write_bytes(out_root / SERIES_NAME, json.dumps(series, indent=2, allow_nan=False).encode(),
                           force=again)
        if series["points"]:
            pngs["series.png"] = _series_figure(series)
        if series.get("note"):
            notes.append(f"series: {series['note']}")
    for name, data in pngs.items():
        atomic_write_bytes(out_root / name, data, force=again)
    page = index_html(rows, [r for r in ordered if not r.ok], out_root, figures=pngs, title=out_root.name,
                      notes=notes)
    atomic_write_bytes(out_root / INDEX_NAME, page.encode("utf-8"), force=again)
    return [str(out_root / n) for n in pngs], series


def _batch_outputs(out_root: Path) -> list[str]:
    """The batch-level outputs (summary, population figures, series) already in ``out_root``."""
    names = [SUMMARY_NAME, LONG_NAME, TEXT_NAME, INDEX_NAME, SERIES_NAME, "series.png"]
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
    from ..errors import OutputInUseError
    from ..io.atomic import output_errors

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

