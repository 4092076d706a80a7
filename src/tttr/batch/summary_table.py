"""The population table ``summary.csv``: one row per file."""

from __future__ import annotations

import csv
import io
import json

__all__ = ["SUMMARY_NAME"]

#: Name of the per-file table written into the output folder.
SUMMARY_NAME = "summary.csv"


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

