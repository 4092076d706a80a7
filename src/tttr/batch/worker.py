"""The per-file task of every executor: analyse one file and write its outputs."""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

from .records import Analyzed, Failed



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
    from ..errors import TttrError

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
    from ..pipeline import analyze
    from ..report_io import write_report

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
    from ..errors import OutputError
    from ..io.atomic import output_errors

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

