"""Folders of files: every supported file of a tree analysed, one summary table for all.

:func:`run_batch` finds the time-tag files under a folder, runs :func:`tttr.pipeline.analyze`
and :func:`tttr.report_io.write_report` on each one in a worker, and then writes the
population outputs: ``summary.csv`` (one row per file), histograms of the main statistics
and, for an excitation series, the power law of the charging rate against ⟨N⟩.

The workers are a local process pool by default (nothing to start), or a Dask distributed
cluster when a scheduler is given; both run the same per-file task. A file that cannot be
read or analysed becomes a :class:`Failed` record and the batch goes on.

The package's modules, by what they hold: :mod:`.discovery` (which files are inputs),
:mod:`.metadata` (the metadata table and per-file reader options), :mod:`.records` (per-file and
batch results), :mod:`.worker` (the per-file task), :mod:`.executors` (inline, process pool,
Dask), :mod:`.summary_table` (``summary.csv``), :mod:`.population` (population figures),
:mod:`.series` (the excitation-series fit) and :mod:`.run` (:func:`run_batch`).
"""

from __future__ import annotations

from .discovery import DATA_SUFFIXES, NON_DATA_SUFFIXES, find_inputs
from .metadata import READER_OPTIONS, read_metadata
from .population import POPULATION_QUANTITIES
from .records import Analyzed, BatchResult, Failed
from .run import LOCK_NAME, run_batch
from .series import SERIES_NAME, fit_series
from .index_page import INDEX_NAME
from .summary_table import LONG_NAME, SUMMARY_NAME, TEXT_NAME

__all__ = ["run_batch", "find_inputs", "read_metadata", "fit_series", "BatchResult", "Analyzed", "Failed",
           "SUMMARY_NAME", "SERIES_NAME", "POPULATION_QUANTITIES", "LOCK_NAME", "READER_OPTIONS", "DATA_SUFFIXES",
           "NON_DATA_SUFFIXES", "INDEX_NAME", "LONG_NAME", "TEXT_NAME"]
