"""The population tables of a batch: ``summary.csv`` (one row per file, one column per scalar)
and the long tables of what is not a scalar (``summary_long.csv``, ``summary_text.csv``).

``summary.csv`` is tidy: one column per scalar of the report with its unit in its name
(:mod:`tttr.batch.columns` documents each one), booleans as ``True``/``False``, counts as
integers, no empty column and no JSON in a cell. Lists (the windowed ON fraction, g2 peak
areas, region lifetimes, the Mandel Q curve, photons per detector, the FLID model
parameters) go to ``summary_long.csv`` (``path, quantity, index, value``) and lists of text
(the warnings) to ``summary_text.csv`` (``path, quantity, index, text``).
"""

from __future__ import annotations

import csv
import io
import math
import re

from ..results import flatten
from .columns import LEADING_COLUMNS, documented

__all__ = ["SUMMARY_NAME", "LONG_NAME", "TEXT_NAME", "summary_tables"]

#: Name of the per-file table written into the output folder.
SUMMARY_NAME = "summary.csv"
#: Name of the long table of the numeric lists (``path, quantity, index, value``).
LONG_NAME = "summary_long.csv"
#: Name of the long table of the lists of text (``path, quantity, index, text``).
TEXT_NAME = "summary_text.csv"

_DETECTOR = re.compile(r"^(?P<q>photons_per_detector)\.(?P<i>\d+)$")


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _typed(value, dtype: str):
    """A report value as its documented dtype (None stays None; a non-finite float is empty)."""
    if value is None:
        return None
    if dtype == "Int64" and _number(value) and float(value).is_integer():
        return int(value)
    if dtype == "Float64" and _number(value):
        return float(value) if math.isfinite(value) else None
    if dtype == "boolean" and isinstance(value, bool):
        return value
    if dtype == "string":
        return str(value)
    return value


def _list_rows(path: str, key: str, values: list, long: list, text: list) -> None:
    """The long-table rows of one list of the report."""
    for i, v in enumerate(values):
        if isinstance(v, str):
            text.append((path, key, i, v))
        elif isinstance(v, dict):
            for sub, x in v.items():
                if _number(x) or x is None:
                    long.append((path, f"{key}.{sub}", i, x))
        elif isinstance(v, (list, tuple)):
            for j, x in enumerate(v):
                if _number(x) or x is None:
                    long.append((path, f"{key}.{j}", i, x))
        elif _number(v) or v is None:
            long.append((path, key, i, v))


def _report_tables(path: str, report: dict, dtypes: dict) -> tuple[dict, list, list]:
    """``(row, long, text)`` of one analysed file."""
    row: dict = {"n_warnings": len(report.get("warnings") or [])}
    long: list = []
    text: list = []
    for key, value in flatten(report).items():
        det = _DETECTOR.match(key)
        if isinstance(value, (list, tuple)):
            _list_rows(path, key, list(value), long, text)
        elif det is not None:
            long.append((path, det["q"], int(det["i"]), value))
        elif key.startswith("flid.models."):
            if _number(value):
                long.append((path, key, 0, value))
        elif key in dtypes:
            row[key] = _typed(value, dtypes[key])
        elif value is not None:  # a scalar the documentation does not know yet: kept, as it is
            row[key] = value
    return row, long, text


def summary_tables(records, metadata: dict) -> tuple[list[str], list[dict], list[tuple], list[tuple]]:
    """``(columns, rows, long, text)`` of the batch tables.

    Parameters
    ----------
    records : sequence of Analyzed or Failed
        In the order of the table (sorted paths).
    metadata : dict
        ``{path: {column: value}}`` of the metadata table, joined after ``reason``.

    Returns
    -------
    columns : list of str
        ``path, status, reason``, the metadata columns (renamed ``metadata.{name}`` when they
        clash with a report column), the documented report columns in their documented order,
        then any other scalar; a column that is empty in every row is left out.
    rows : list of dict
    long : list of tuple
        ``(path, quantity, index, value)``; ``index`` is the position in the list (the
        detector number for ``photons_per_detector``, 0 for the FLID model parameters).
    text : list of tuple
        ``(path, quantity, index, text)``.

    Notes
    -----
    The tables depend only on the reports, not on timing or completion order, so a resumed
    batch writes the same bytes as an uninterrupted one.
    """
    dtypes = documented()
    rows, long, text = [], [], []
    for rec in records:
        if rec.ok:
            row, lrows, trows = _report_tables(rec.path, rec.report, dtypes)
            long += lrows
            text += trows
            rows.append({"path": rec.path, "status": "ok", **row})
        else:
            rows.append({"path": rec.path, "status": "failed", "reason": rec.reason})
    seen: list[str] = []
    for row in rows:
        seen += [k for k in row if k not in LEADING_COLUMNS and k not in seen]
    order = {k: i for i, k in enumerate(dtypes)}
    report_cols = sorted(seen, key=lambda k: (order.get(k, len(order)), seen.index(k)))
    meta_cols: list[str] = []
    for m in metadata.values():
        meta_cols += [k for k in m if k not in meta_cols]
    clash = set(report_cols) | set(LEADING_COLUMNS)
    rename = {k: (f"metadata.{k}" if k in clash else k) for k in meta_cols}
    for rec, row in zip(records, rows):
        m = metadata.get(rec.path, {})
        row.update({rename[k]: m.get(k) for k in meta_cols})
    columns = [*LEADING_COLUMNS, *(rename[k] for k in meta_cols), *report_cols]
    keep = [c for c in columns if c in ("path", "status") or any(r.get(c) is not None for r in rows)]
    return keep, rows, long, text


def _cell(v):
    return "" if v is None else v


def _csv_bytes(columns, rows) -> bytes:
    """CSV of dict rows (``columns`` in order; None as an empty cell)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for row in rows:
        w.writerow([_cell(row.get(c)) for c in columns])
    return buf.getvalue().encode("utf-8")


def _tuples_csv_bytes(header, tuples) -> bytes:
    """CSV of tuple rows under ``header`` (None as an empty cell)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows([_cell(x) for x in t] for t in tuples)
    return buf.getvalue().encode("utf-8")
