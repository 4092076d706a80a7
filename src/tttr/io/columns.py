"""Reader of generic columnar time tags: ``.npy``/``.npz``, CSV/TSV text and Parquet.

Many taggers (Swabian, quTAG, home-built FPGA cards) export plain arrays. This reader takes
any container below whose columns are named as follows (case-insensitive):

===============  ==========================================================  ==========
role             accepted names                                              required
===============  ==========================================================  ==========
timestamps       ``timestamp(s)``, ``time(s)``, ``timetag(s)``, ``macrotime(s)``  yes [1]_
detectors        ``channel(s)``, ``detector(s)``                              yes
nanotimes        ``nanotime(s)``, ``dtime(s)``, ``microtime(s)``              no (T3)
sync             ``sync``, ``nsync``: laser pulse index                      no
===============  ==========================================================  ==========

.. [1] Without a timestamps column, a ``sync`` column is the macrotime.

A name may state its unit after ``_``, space or in brackets: ``time_ps``, ``timestamp_ns``,
``time (ps)``, ``nanotime[ps]``; the unit then needs no option. Containers are recognised
by content: the NUMPY magic (a structured array with named fields), the ZIP magic (an
``.npz`` with one array per column), the ``PAR1`` magic (Parquet), else a text header line
naming the columns (comma, tab, semicolon or whitespace separated; ``#`` lines before it
are comments).
"""

from __future__ import annotations

import io
import json
import math
import re
import zipfile
from pathlib import Path
from typing import Iterator

import numpy as np

from .. import defaults
from ..errors import FormatError
from .base import TTTRStream
from .events import PhotonChunk, StreamInfo
from .ft1040 import count_lines

__all__ = ["probe", "open_stream", "ColumnsStream", "OPTIONS", "column_role"]

#: Options (and sidecar keys) this reader takes.
OPTIONS = (
    "timestamps_unit_s", "nanotimes_unit_s", "channel_base", "mode", "sync_rate_hz", "sync_channel",
    "timestamps_column", "detectors_column", "nanotimes_column",
)

_ROLE_NAMES = {
    "timestamps": r"timestamps?|times?|timetags?|macrotimes?",
    "detectors": r"channels?|detectors?",
    "nanotimes": r"nanotimes?|dtimes?|microtimes?",
    "sync": r"n?syncs?",
}
_UNITS = {"fs": 1e-15, "ps": 1e-12, "ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0}
_UNIT_RE = r"(?:(?:[ _\-]+|\s*[\(\[]\s*)(?P<unit>fs|ps|ns|us|µs|μs|ms|s)\s*[\)\]]?)?"
_ROLE_RES = {role: re.compile(rf"^(?:{names}){_UNIT_RE if role in ('timestamps', 'nanotimes') else ''}$")
             for role, names in _ROLE_NAMES.items()}
_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_PARQUET_MAGIC = b"PAR1"
_HEADER_SCAN_BYTES = 1 << 16
_INT64_MAX = np.iinfo(np.int64).max
_UINT16_MAX = np.iinfo(np.uint16).max


def column_role(name: str) -> tuple[str | None, float | None]:
    """Role (``timestamps``, ``detectors``, ``nanotimes``, ``sync``) and unit (s) a name states.

    Examples
    --------
    >>> column_role("time_ps")
    ('timestamps', 1e-12)
    >>> column_role("Channel")
    ('detectors', None)
    >>> column_role("intensity")
    (None, None)
    """
    key = str(name).strip().strip('"').strip("'").strip().lower()
    for role, rx in _ROLE_RES.items():
        m = rx.match(key)
        if m:
            unit = m.groupdict().get("unit")
            return role, (_UNITS[unit] if unit else None)
    return None, None


# ----------------------------------------------------------------------------- probing


def _container(head: bytes) -> str:
    if head.startswith(_NPY_MAGIC):
        return "npy"
    if head.startswith(_ZIP_MAGICS):
        return "npz"
    if head.startswith(_PARQUET_MAGIC):
        return "parquet"
    return "text"


def _npy_header(fh) -> tuple[tuple, bool, np.dtype]:
    version = np.lib.format.read_magic(fh)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(fh)
    return np.lib.format.read_array_header_2_0(fh)


def _names_have_time(names) -> bool:
    return any(column_role(n)[0] in ("timestamps", "sync") for n in names)


def _text_header(raw: bytes) -> tuple[int, str] | None:
    """``(lines before the header line, header line)`` of a text table, or None."""
    if b"\x00" in raw:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    lines = text.split("\n")
    if len(lines) > 1:
        lines = lines[:-1]  # the last piece may be cut
    for i, line in enumerate(lines):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        return i, line.rstrip("\r")
    return None


def _delimiter(header_line: str) -> str:
    for sep in ("\t", ",", ";"):
        if sep in header_line:
            return sep
    return r"\s+"


def _split_names(header_line: str) -> list[str]:
    sep = _delimiter(header_line)
    parts = header_line.split(sep) if sep != r"\s+" else header_line.split()
    return [p.strip().strip('"').strip("'") for p in parts]


def probe(path: Path, head: bytes) -> bool:
    """Whether ``path`` is a columnar time-tag file, judged by content.

    Parameters
    ----------
    path : pathlib.Path
    head : bytes
        The first 4096 bytes of the file (empty for a folder).

    Returns
    -------
    bool
        True for a ``.npy`` (NUMPY magic) structured array, or an ``.npz`` (ZIP magic), whose
        column names include a timestamps (or sync) column; for any file with the Parquet
        ``PAR1`` magic (its columns are checked when it is opened); for a text file whose
        first non-comment line names a timestamps (or sync) column.

    Notes
    -----
    Never raises: any problem gives False.
    """
    try:
        path = Path(path)
        if not head or path.is_dir():
            return False
        kind = _container(head)
        if kind == "npy":
            _shape, _fortran, dtype = _npy_header(io.BytesIO(head))
            return dtype.names is not None and _names_have_time(dtype.names)
        if kind == "npz":
            with zipfile.ZipFile(path) as zf:
                names = [n[:-4] for n in zf.namelist() if n.endswith(".npy")]
            return _names_have_time(names)
        if kind == "parquet":
            return True
        found = _text_header(head)
        return found is not None and _names_have_time(_split_names(found[1]))
    except Exception:  # a probe never raises
        return False


# ----------------------------------------------------------------------------- options


def _sidecar(path: Path) -> tuple[dict, str | None, list[str]]:
    """Options from ``<file>.units.json`` or else ``<stem>.json`` beside the file."""
    notes: list[str] = []
    dedicated = path.with_name(path.name + ".units.json")
    if dedicated.is_file():
        try:
            values = json.loads(dedicated.read_text(encoding="utf-8"))
        except (ValueError, OSError) as exc:
            raise FormatError(dedicated, f"unreadable units sidecar: {' '.join(str(exc).split())}") from None
        if not isinstance(values, dict):
            raise FormatError(dedicated, "units sidecar must hold a JSON object")
        unknown = sorted(set(values) - set(OPTIONS))
        if unknown:
            raise FormatError(dedicated, f"unknown key(s) {', '.join(unknown)}; expected some of {', '.join(OPTIONS)}")
        return values, str(dedicated), notes
    loose = path.with_suffix(".json")
    if loose != path and loose.is_file():
        try:
            values = json.loads(loose.read_text(encoding="utf-8"))
        except (ValueError, OSError):
            notes.append(f"{loose.name} beside the file is not JSON; ignored")
            return {}, None, notes
        if isinstance(values, dict):
            known = {k: v for k, v in values.items() if k in OPTIONS}
            if known:
                return known, str(loose), notes
    return {}, None, notes


def _positive(path, name, value) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = float("nan")
    if not (v > 0 and math.isfinite(v)):
        raise FormatError(path, f"{name} must be a positive number of seconds/hertz, not {value!r}")
    return v


# ----------------------------------------------------------------------------- integer columns


def _as_int64(path, values, column: str, row0: int, where) -> np.ndarray:
    """``values`` as int64, or FormatError naming the first row that is not an integer."""
    a = np.asarray(values)
    if a.size == 0:
        return np.empty(0, np.int64)
    if a.dtype.kind in "iu":
        if a.dtype == np.uint64 and a.size and int(a.max()) > _INT64_MAX:
            i = int(np.flatnonzero(a > _INT64_MAX)[0])
            raise FormatError(path, f"{where(row0 + i)}: {column} value {a[i]} does not fit int64")
        return a.astype(np.int64, copy=False)
    if a.dtype.kind == "b":
        return a.astype(np.int64)
    if a.dtype.kind == "f":
        bad = ~np.isfinite(a) | (a != np.floor(a)) | (np.abs(a) > 2.0**63 - 1024)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            what = "missing value" if np.isnan(a[i]) else f"non-integer value {float(a[i])!r}"
            raise FormatError(path, f"{where(row0 + i)}: {what} in column {column!r} (integer ticks expected)")
        return a.astype(np.int64)
    # strings or objects: find the first cell that is not an integer
    import pandas as pd

    num = pd.to_numeric(pd.Series(a), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(num) | (num != np.floor(num))
    i = int(np.flatnonzero(bad)[0]) if bad.any() else 0
    cell = a[i] if a.size else None
    what = "missing value" if cell is None or (isinstance(cell, float) and math.isnan(cell)) \
        else f"non-integer value {str(cell)!r}"
    raise FormatError(path, f"{where(row0 + i)}: {what} in column {column!r} (integer ticks expected)")


# ----------------------------------------------------------------------------- stream


class ColumnsStream(TTTRStream):
    """A columnar time-tag file (``.npy``, ``.npz``, CSV/TSV, Parquet) opened for streaming.

    Parameters
    ----------
    path : str or Path
    timestamps_unit_s : float, optional
        Seconds per timestamp tick. Required unless the timestamps column names its unit
        (``time_ps``), the sidecar gives it, or the timestamps come from a ``sync`` column and
        ``sync_rate_hz`` is given.
    nanotimes_unit_s : float, optional
        Seconds per nanotime tick; required in T3 unless the column names its unit.
    channel_base : {0, 1}, default 0
        Number of the first channel in the file; 1-based channels are shifted to 0-based.
    mode : {"T2", "T3"}, optional
        Default: T3 if a nanotimes column is present, else T2. ``"T2"`` ignores a nanotimes
        column; ``"T3"`` without one is an error.
    sync_rate_hz : float, optional
        Laser repetition rate, for the metadata (and as the timestamps unit of a ``sync``
        macrotime column).
    sync_channel : int, optional
        Channel number (as in the file, before ``channel_base``) that carries the laser sync
        of a T2 tagger: its rows go to ``sync_timestamps``, not to the photons.
    timestamps_column, detectors_column, nanotimes_column : str, optional
        Column to use for a role, when the names are ambiguous or non-standard.

    Attributes
    ----------
    info : StreamInfo
    header : dict
        ``container``, ``columns`` (all names in the file), ``used`` (column per role),
        ``units`` (each unit and where it came from), ``sidecar`` (path or None) and, per
        container, ``delimiter``/``header_line`` (text), ``dtype`` (npy), ``members`` (npz),
        ``metadata`` (Parquet key-value metadata).

    Notes
    -----
    * **Units**: an explicit option wins over the sidecar, which wins over a unit stated in
      the column name. The sidecar is ``<file>.units.json`` (every key must be an option
      name) or else ``<stem>.json`` (only its option-named keys are read; a JSON file
      without any is ignored). A unit that cannot be found is a
      :class:`~tttr.errors.FormatError` that names the option to pass.
    * **Timestamps** must be integer ticks (integral floats are accepted) and non-decreasing
      over the whole file: checked inside each chunk and between consecutive chunks; an
      error names the 0-based data row (and, for text, the line). If both a timestamps and
      a ``sync`` column are present, the timestamps column is the macrotime and ``sync`` is
      ignored (noted in ``info.warnings``); choose with ``timestamps_column``.
    * **Detectors** = channel - ``channel_base``, which must lie in 0..255 (uint8).
      **Nanotimes** must lie in 0..65535 (uint16).
    * **Streaming**: ``.npy`` is memory-mapped and sliced; an ``.npz`` member stored without
      compression is memory-mapped in place, a compressed one (``np.savez_compressed``)
      cannot be sliced and is **read whole** (one column at a time, only the columns used);
      text is parsed by pandas' C parser ``size`` rows at a time; Parquet by
      ``pyarrow.parquet.ParquetFile.iter_batches(size)``, which decodes one row group at a
      time, so Parquet memory is bounded by the writer's row-group size as well as by
      ``size``. Every chunk holds at most ``size`` rows; there is no Python loop over rows.
    * ``n_records`` is the number of rows: the array length (npy/npz headers), the Parquet
      footer's row count, or for text the newlines counted in binary blocks minus the
      comment and header lines (trailing blank lines are not counted).
    * ``tcspc_num_bins`` is ``round(1 / (sync_rate_hz * nanotimes_unit_s))`` when both are known.
    """

    def __init__(self, path, **options):
        super().__init__(path)
        p = self.path
        unknown = sorted(k for k, v in options.items() if v is not None and k not in OPTIONS)
        if unknown:
            raise TypeError(f"columns reader got unknown option(s) {', '.join(unknown)}; "
                            f"it takes {', '.join(OPTIONS)}")
        if not p.is_file():
            raise FormatError(p, "not a file")
        with p.open("rb") as fh:
            head = fh.read(_HEADER_SCAN_BYTES)
        self._kind = _container(head)
        side, side_path, notes = _sidecar(p)
        opts = {**side, **{k: v for k, v in options.items() if v is not None}}
        self.header: dict = {"container": self._kind, "sidecar": side_path}

        # columns present and the rows they hold
        if self._kind == "npy":
            names, n_rows = self._open_npy()
        elif self._kind == "npz":
            names, n_rows = self._open_npz()
        elif self._kind == "parquet":
            names, n_rows = self._open_parquet()
        else:
            names, n_rows = self._open_text(head)
        self.header["columns"] = list(names)

        used, name_units = self._choose_columns(names, opts, notes)
        mode = self._mode(opts, used, notes)
        self.header["used"] = used
        if self._kind == "npz":
            n_rows = int(self._members[used["timestamps"]][1][0])
        self._base, self._sync_channel = self._channel_options(opts)

        rate = _positive(p, "sync_rate_hz", opts["sync_rate_hz"]) if "sync_rate_hz" in opts else None
        sources = {"option": options, "sidecar": side, "sidecar_path": side_path, "column": name_units}
        units: dict = {}
        ts_unit = self._unit("timestamps_unit_s", "timestamps", used, sources, rate, units)
        nt_unit = self._unit("nanotimes_unit_s", "nanotimes", used, sources, rate, units) if mode == "T3" else None
        if rate is None and self._ts_is_sync:
            rate = 1.0 / ts_unit
        self.header["units"] = units
        bins = int(round(1.0 / (rate * nt_unit))) if (rate and nt_unit) else None

        self.info = StreamInfo(
            path=str(p),
            format="columns",
            record_type=self._record_type(),
            mode=mode,
            timestamps_unit_s=float(ts_unit),
            nanotimes_unit_s=None if nt_unit is None else float(nt_unit),
            sync_rate_hz=rate,
            n_records=int(n_rows),
            tcspc_num_bins=bins,
            warnings=tuple(notes),
        )

    # -- named steps of __init__ ---------------------------------------------------------------

    def _mode(self, opts: dict, used: dict, notes: list) -> str:
        """"T2" or "T3": the ``mode`` option, else T3 exactly when a nanotimes column is used.

        Notes
        -----
        Mode T2 with a nanotimes column drops the column (``used["nanotimes"] = None``) with
        a note; mode T3 without one is a FormatError.
        """
        mode = opts.get("mode")
        if mode is None:
            return "T3" if used["nanotimes"] is not None else "T2"
        mode = str(mode).upper()
        if mode not in ("T2", "T3"):
            raise FormatError(self.path, f"mode must be T2 or T3, not {opts['mode']!r}")
        if mode == "T3" and used["nanotimes"] is None:
            raise FormatError(
                self.path, "mode T3 asked for but there is no nanotimes column (nanotime/nanotimes/dtime)"
            )
        if mode == "T2" and used["nanotimes"] is not None:
            notes.append(f"nanotimes column {used['nanotimes']!r} ignored (mode T2)")
            used["nanotimes"] = None
        return mode

    def _channel_options(self, opts: dict):
        """``(channel_base, sync_channel or None)`` checked (a FormatError names the bad value)."""
        p = self.path
        base = opts.get("channel_base", 0)
        if base not in (0, 1) or isinstance(base, bool):
            raise FormatError(p, f"channel_base must be 0 or 1, not {base!r}")
        sc = opts.get("sync_channel")
        if sc is not None:
            try:
                ok = not isinstance(sc, bool) and float(sc).is_integer()
            except (TypeError, ValueError):
                ok = False
            if not ok:
                raise FormatError(p, f"sync_channel must be an integer channel number, not {sc!r}")
            sc = int(float(sc))
        return int(base), sc

    def _unit(self, key: str, role: str, used: dict, sources: dict, rate, units: dict) -> float:
        """Seconds per tick of the ``role`` column; records where it came from in ``units[key]``.

        Notes
        -----
        Precedence: the explicit option, the sidecar, the unit in the column name, and for a
        sync-count timestamps column ``1 / sync_rate_hz``. None found is a FormatError naming
        the option to pass.
        """
        p = self.path
        options, side, side_path = sources["option"], sources["sidecar"], sources["sidecar_path"]
        if key in options and options[key] is not None:
            units[key] = "option"
            return _positive(p, key, options[key])
        if key in side:
            units[key] = f"sidecar {Path(side_path).name}"
            return _positive(p, key, side[key])
        if sources["column"][role] is not None:
            units[key] = f"column name {used[role]!r}"
            return sources["column"][role]
        if role == "timestamps" and self._ts_is_sync and rate is not None:
            units[key] = "1 / sync_rate_hz"
            return 1.0 / rate
        sidecar_name = Path(side_path).name if side_path else f"{p.name}.units.json"
        raise FormatError(p, f"{role} unit unknown (column {used[role]!r} names none): pass {key}=<seconds per "
                             f"tick> or put \"{key}\" in {sidecar_name}")

    def _record_type(self) -> str:
        """The container (NPY, NPZ, Parquet) or the text dialect (TSV, CSV, ...) as a record type."""
        container_names = {"npy": "NPY structured array", "npz": "NPZ arrays", "parquet": "Parquet"}
        return container_names.get(self._kind) or {"\t": "TSV", ",": "CSV", ";": "CSV (semicolon)"}.get(
            self._sep, "text (whitespace-separated)")

    # -- containers --------------------------------------------------------------------------

    _sep = None

    def _open_npy(self):
        try:
            arr = np.load(self.path, mmap_mode="r", allow_pickle=False)
        except (ValueError, OSError) as exc:
            raise FormatError(self.path, f"unreadable .npy: {' '.join(str(exc).split())}") from None
        if arr.dtype.names is None:
            raise FormatError(self.path, f".npy holds a plain {arr.dtype} array of shape {arr.shape} without column "
                                         "names; save a structured array or an .npz with one array per column")
        if arr.ndim != 1:
            raise FormatError(self.path, f".npy structured array has shape {arr.shape}; "
                                         "expected one row per event (1-D)")
        self.header["dtype"] = str(arr.dtype)
        return list(arr.dtype.names), int(arr.shape[0])

    def _npz_members(self):
        """``{column: (ZipInfo, shape, dtype, data_offset or None)}`` from the npy headers only."""
        out = {}
        try:
            with zipfile.ZipFile(self.path) as zf, self.path.open("rb") as raw:
                for info in zf.infolist():
                    if not info.filename.endswith(".npy"):
                        continue
                    with zf.open(info) as fh:
                        shape, fortran, dtype = _npy_header(fh)
                        header_len = fh.tell()
                    offset = None
                    if info.compress_type == zipfile.ZIP_STORED and not dtype.hasobject:
                        raw.seek(info.header_offset)
                        local = raw.read(30)
                        n_name = int.from_bytes(local[26:28], "little")
                        n_extra = int.from_bytes(local[28:30], "little")
                        offset = info.header_offset + 30 + n_name + n_extra + header_len
                    out[info.filename[:-4]] = (info, shape, dtype, offset)
        except (zipfile.BadZipFile, ValueError, OSError) as exc:
            raise FormatError(self.path, f"unreadable .npz: {' '.join(str(exc).split())}") from None
        return out

    def _open_npz(self):
        members = self._npz_members()
        self._members = members
        self.header["members"] = {k: {"shape": list(v[1]), "dtype": str(v[2]),
                                      "stored": "uncompressed" if v[3] is not None else "compressed"}
                                  for k, v in members.items()}
        bad = [k for k, v in members.items() if len(v[1]) != 1]
        self._npz_bad = bad
        return list(members), 0  # the row count is that of the columns used (set once chosen)

    def _open_parquet(self):
        pq = _pyarrow_parquet(self.path)
        try:
            pf = pq.ParquetFile(self.path)
        except Exception as exc:  # pyarrow raises several types for damaged files
            raise FormatError(self.path, f"unreadable Parquet file: {' '.join(str(exc).split())}") from None
        meta = pf.schema_arrow.metadata or {}
        self.header["metadata"] = {k.decode("utf-8", "replace"): v.decode("utf-8", "replace")
                                   for k, v in meta.items() if k != b"pandas" and k != b"ARROW:schema"}
        return list(pf.schema_arrow.names), int(pf.metadata.num_rows)

    def _open_text(self, head: bytes):
        found = _text_header(head)
        if found is None:
            raise FormatError(self.path, "no header line naming the columns (e.g. 'timestamp,channel')")
        skip, line = found
        self._skip = skip
        self._sep = _delimiter(line)
        import pandas as pd

        try:
            names = list(pd.read_csv(self.path, sep=self._sep, skiprows=skip, nrows=0, engine="c",
                                     encoding="latin-1").columns)
        except Exception as exc:  # pandas parser errors
            raise FormatError(self.path, f"cannot parse the header line: {' '.join(str(exc).split())}") from None
        self.header.update(delimiter=self._sep, header_line=line)
        return names, max(count_lines(self.path) - skip - 1, 0)

    # -- column choice -------------------------------------------------------------------------

    def _choose_columns(self, names, opts, notes):
        p = self.path
        by_role: dict[str, list[str]] = {r: [] for r in _ROLE_NAMES}
        name_units: dict[str, float | None] = {}
        for n in names:
            role, _u = column_role(n)
            if role:
                by_role[role].append(n)
        used: dict[str, str | None] = {}
        for role in ("timestamps", "detectors", "nanotimes"):
            key = f"{role}_column"
            if opts.get(key) is not None:
                col = str(opts[key])
                if col not in names:
                    raise FormatError(p, f"{key}={col!r} is not a column (columns: {', '.join(map(str, names))})")
                used[role] = col
                continue
            cands = by_role[role]
            if len(cands) > 1:
                raise FormatError(p, f"columns {', '.join(map(repr, cands))} all look like {role}; pass {key}=")
            used[role] = cands[0] if cands else None
        self._ts_is_sync = False
        if used["timestamps"] is None:
            if len(by_role["sync"]) == 1:
                used["timestamps"] = by_role["sync"][0]
                self._ts_is_sync = True
            else:
                raise FormatError(p, "no timestamps column (timestamp/timestamps/time/time_ps/... or sync); "
                                     f"columns: {', '.join(map(str, names))}")
        elif by_role["sync"] and used["timestamps"] not in by_role["sync"]:
            notes.append(f"column {by_role['sync'][0]!r} ignored: timestamps come from {used['timestamps']!r}")
        else:
            self._ts_is_sync = used["timestamps"] in by_role["sync"]
        if used["detectors"] is None:
            raise FormatError(p, "no channel column (channel/detector/detectors); "
                                 f"columns: {', '.join(map(str, names))}")
        for role in ("timestamps", "nanotimes"):
            name_units[role] = column_role(used[role])[1] if used[role] is not None else None
        if self._kind == "npz":
            for col in (c for c in used.values() if c is not None):
                if col in self._npz_bad:
                    raise FormatError(p, f"member {col!r} has shape {list(self._members[col][1])}; expected 1-D")
            lengths = {self._members[c][1][0] for c in used.values() if c is not None}
            if len(lengths) > 1:
                raise FormatError(p, f"columns have different lengths {sorted(lengths)}")
        return used, name_units

    # -- reading -------------------------------------------------------------------------------

    def _where(self, row: int) -> str:
        if self._kind == "text":
            return f"row {row} (line {self._skip + row + 2})"
        return f"row {row}"

    def _columns_needed(self) -> list[str]:
        used = self.header["used"]
        return [c for c in (used["timestamps"], used["detectors"], used["nanotimes"]) if c is not None]

    def raw_columns(self, size: int | None = None) -> Iterator[tuple[int, dict]]:
        """Yield ``(first_row, {column: array})`` blocks of at most ``size`` rows, unconverted."""
        size = int(size or defaults.CHUNK_ROWS)
        if size < 1:
            raise ValueError("chunk size must be at least 1 row")
        cols = self._columns_needed()
        if self._kind == "npy":
            arr = np.load(self.path, mmap_mode="r", allow_pickle=False)
            for start in range(0, arr.shape[0], size):
                block = arr[start:start + size]
                yield start, {c: np.array(block[c]) for c in cols}
        elif self._kind == "npz":
            arrays = {}
            for c in cols:
                info, shape, dtype, offset = self._members[c]
                if offset is not None:
                    arrays[c] = np.memmap(self.path, dtype=dtype, mode="r", offset=offset, shape=shape)
                else:  # compressed member: no random access, read the column whole
                    with np.load(self.path, allow_pickle=False) as npz:
                        arrays[c] = npz[c]
            n = self.info.n_records
            for start in range(0, n, size):
                yield start, {c: np.array(a[start:start + size]) for c, a in arrays.items()}
        elif self._kind == "parquet":
            pq = _pyarrow_parquet(self.path)
            start = 0
            for batch in pq.ParquetFile(self.path).iter_batches(batch_size=size, columns=cols):
                block = {}
                for c in cols:
                    arr = batch.column(c)
                    if arr.null_count:
                        i = int(np.flatnonzero(arr.is_null().to_numpy(zero_copy_only=False))[0])
                        raise FormatError(self.path, f"{self._where(start + i)}: missing value in column {c!r}")
                    block[c] = arr.to_numpy(zero_copy_only=False)
                yield start, block
                start += batch.num_rows
        else:
            import pandas as pd
            from pandas.errors import EmptyDataError, ParserError

            start = 0
            try:
                reader = pd.read_csv(self.path, sep=self._sep, skiprows=self._skip, header=0, usecols=cols,
                                     chunksize=size, engine="c", encoding="latin-1")
            except EmptyDataError:
                return
            except (ParserError, ValueError) as exc:
                raise FormatError(self.path, f"cannot parse: {' '.join(str(exc).split())}") from None
            with reader:
                while True:
                    try:
                        df = next(reader)
                    except StopIteration:
                        break
                    except (ParserError, ValueError) as exc:
                        raise FormatError(self.path, f"bad row after {self._where(start)}: "
                                                     f"{' '.join(str(exc).split())}") from None
                    if len(df):
                        yield start, {c: df[c].to_numpy() for c in cols}
                    start += len(df)

    def _chunks(self, size: int | None = None) -> Iterator[PhotonChunk]:
        """Yield the events in order, ``size`` rows at a time.

        Parameters
        ----------
        size : int, optional
            Rows per chunk (default :data:`tttr.defaults.CHUNK_ROWS`).

        Yields
        ------
        PhotonChunk
            Photons (and, with ``sync_channel``, the sync events of those rows).
        """
        used = self.header["used"]
        last = np.iinfo(np.int64).min
        p = self.path
        for row0, block in self.raw_columns(size):
            ts = _as_int64(p, block[used["timestamps"]], used["timestamps"], row0, self._where)
            ch = _as_int64(p, block[used["detectors"]], used["detectors"], row0, self._where)
            if ts.size:
                prev = np.empty_like(ts)
                prev[0] = last
                prev[1:] = ts[:-1]
                dec = ts < prev
                if self.on_time_error == "raise" and dec.any():  # else the time-order guard repairs
                    i = int(np.flatnonzero(dec)[0])
                    raise FormatError(p, f"{self._where(row0 + i)}: timestamps decrease from {int(prev[i])} to "
                                         f"{int(ts[i])}; rows must be sorted by time")
                last = max(last, int(ts.max()))
            sync_ts = np.empty(0, np.int64)
            if self._sync_channel is not None:
                is_sync = ch == self._sync_channel
                sync_ts = ts[is_sync]
                keep = np.flatnonzero(~is_sync)
            else:
                keep = None
            det = ch - self._base
            bad = (det < 0) | (det > 255)
            if keep is not None:
                bad[ch == self._sync_channel] = False
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise FormatError(p, f"{self._where(row0 + i)}: channel {int(ch[i])} gives detector {int(det[i])}, "
                                     f"outside 0..255 (channel_base={self._base})")
            nt = None
            if self.info.is_t3:
                nt = _as_int64(p, block[used["nanotimes"]], used["nanotimes"], row0, self._where)
                badn = (nt < 0) | (nt > _UINT16_MAX)
                if keep is not None:
                    badn[ch == self._sync_channel] = False
                if badn.any():
                    i = int(np.flatnonzero(badn)[0])
                    raise FormatError(p, f"{self._where(row0 + i)}: nanotime {int(nt[i])} outside 0..65535 (uint16)")
            if keep is not None:
                ts, det = ts[keep], det[keep]
                nt = None if nt is None else nt[keep]
            yield PhotonChunk(
                timestamps=np.ascontiguousarray(ts, dtype=np.int64),
                detectors=det.astype(np.uint8),
                nanotimes=None if nt is None else nt.astype(np.uint16),
                sync_timestamps=sync_ts,
            )


def _pyarrow_parquet(path):
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise FormatError(path, "reading Parquet needs pyarrow (pip install pyarrow)") from None
    return pq


def open_stream(path, **options) -> ColumnsStream:
    """Open a columnar time-tag file (``.npy``, ``.npz``, CSV/TSV, Parquet) for streaming.

    Parameters
    ----------
    path : str or Path
    **options
        Any of :data:`OPTIONS` (see :class:`ColumnsStream`). Options whose value is None are
        ignored, so a caller can pass every option it knows of.

    Returns
    -------
    ColumnsStream

    Raises
    ------
    TypeError
        An option this reader does not know (with a non-None value).
    FormatError
        A missing column or unit, a bad cell, unsorted timestamps, an unreadable container.
    """
    return ColumnsStream(path, **options)
