"""The records of a batch: one per file (:class:`Analyzed`, :class:`Failed`) and the whole run
(:class:`BatchResult`)."""

from __future__ import annotations

from dataclasses import dataclass

from ..results import Result

__all__ = ["Analyzed", "Failed", "BatchResult"]



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
        """``path``, ``status`` = ``ok`` and the report's scalars: its row of ``summary.csv``
        (lists are in the long tables, :func:`tttr.batch.summary_table.summary_tables`)."""
        from .columns import documented
        from .summary_table import _report_tables

        row, _, _ = _report_tables(self.path, self.report, documented())
        return {"path": self.path, "status": "ok", **row}


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
        """``path``, ``status`` = ``failed`` and the ``reason``."""
        return {"path": self.path, "status": "failed", "reason": self.reason}


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
        The ``summary.csv`` written (beside it ``summary_long.csv`` and ``summary_text.csv``).
    index_path : str
        The ``index.html`` written: the population table, figures and links to the reports.
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
    index_path: str = ""
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
                "summary": self.summary_path, "index": self.index_path, "figures": list(self.figures),
                "failed": [{"path": r.path, "reason": r.reason} for r in self.failed],
                "series": self.series, "warnings": list(self.warnings), "elapsed_s": self.elapsed_s}

