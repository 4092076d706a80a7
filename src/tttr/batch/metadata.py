"""The metadata table of a batch (``metadata.csv``): its rows, their files, and the reader
options a row sets for its file."""

from __future__ import annotations

import csv
import math
from pathlib import Path, PurePosixPath

__all__ = ["read_metadata", "READER_OPTIONS"]



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
    from ..errors import FormatError

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
    from ..errors import FormatError

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
