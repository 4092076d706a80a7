"""Reader of the Siminics FT1040 T3 text export (segmented, tab-separated).

The FT1040 acquisition software writes T3 data as text, split into numbered segments
``Dev0_T3_YYYY_MM_DD_hh_mm_ss_s0.txt``, ``..._s1.txt``, ... The first segment starts with
10 header lines and the column line ``Flag  Channel  Time(ps)  Sync``; later segments hold
rows only. No public specification exists; this module implements what is publicly known
(``docs/formats.md``) and is tolerant of anything else.

Mapping to the common event model (``docs/formats.md``, "One event model"):

=============  =============================================================================
file column    event model
=============  =============================================================================
``Sync``       ``timestamps`` (int64), laser pulse index; unit = sync period (s)
``Time(ps)``   ``nanotimes`` (uint16) = ``Time(ps) // resolution_ps``; unit = resolution (s)
``Channel``    ``detectors`` (uint8) = ``Channel - 1`` (the stop inputs 1..4 become 0..3)
``Flag``       0: a photon. Non-zero: a non-photon event, kept out of the photons and
               counted (``FT1040Stream.flag_counts``), or given as markers on request
=============  =============================================================================
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from .. import defaults
from ..errors import FormatError, HeaderWarning, TruncatedFileWarning
from ._ft1040_header import (  # noqa: F401 - COLUMN_NAMES, EXPECTED_HEADER_LINES, parse_header_lines re-exported
    _MAX_HEADER_SCAN_LINES,
    COLUMN_NAMES,
    EXPECTED_HEADER_LINES,
    _column_order,
    _is_int_row,
    parse_header_lines,
    read_first_segment_header,
)
from .base import TTTRStream
from .events import PhotonChunk, StreamInfo

__all__ = ["probe", "open_stream", "FT1040Stream", "COLUMN_NAMES"]

#: Smallest T3 resolution of the FT1040 (2**6 ps); used when no photon gives a clue.
MIN_RESOLUTION_PS = 64

#: Rows read when opening, to infer the resolution and (if needed) the sync period.
INFER_ROWS = 1 << 16

_COUNT_BLOCK_BYTES = 1 << 24
_UINT16_MAX = np.iinfo(np.uint16).max
_INT64_MAX = np.iinfo(np.int64).max

_SEGMENT_RE = re.compile(r"^(?P<prefix>.+)_s(?P<index>\d+)\.txt$", re.IGNORECASE)
_NAME_RE = re.compile(
    r"(?P<device>Dev\d+)_(?P<mode>T[23])_(?P<Y>\d{4})_(?P<mo>\d{2})_(?P<d>\d{2})"
    r"_(?P<H>\d{2})_(?P<M>\d{2})_(?P<S>\d{2})",
    re.IGNORECASE,
)
_FLAG_MODES = ("drop", "markers")
_OPTIONS = ("nanotimes_unit_s", "sync_rate_hz", "repetition_rate_hz", "flags", "infer_rows")


# ----------------------------------------------------------------------------- probing


def _complete_lines(head: bytes, limit: int) -> list[bytes]:
    """The whole lines of ``head`` (the last one dropped if ``head`` may have cut it)."""
    lines = head.split(b"\n")
    if len(head) >= 4096 or not head.endswith(b"\n"):
        lines = lines[:-1] if len(lines) > 1 else lines
    return [ln.rstrip(b"\r") for ln in lines[:limit]]


def _head_has_column_line(head: bytes) -> bool:
    for raw in _complete_lines(head, _MAX_HEADER_SCAN_LINES):
        if _column_order(raw.decode("latin-1")) is not None:
            return True
    return False


def _read_head(path: Path, n: int = 4096) -> bytes:
    with path.open("rb") as fh:
        return fh.read(n)


def probe(path: Path, head: bytes) -> bool:
    """Whether ``path`` is an FT1040 text export, judged by content.

    Parameters
    ----------
    path : pathlib.Path
        A file or a folder.
    head : bytes
        The first 4096 bytes of the file (empty for a folder).

    Returns
    -------
    bool
        True for (a) a text file whose first lines contain the column line
        ``Flag Channel Time(ps) Sync``; (b) a folder holding a ``*_s0.txt`` file with that
        column line; (c) a later segment ``*_sN.txt`` (N >= 1) whose complete lines in
        ``head`` are rows of 4 integers and whose sibling ``*_s0.txt`` exists.

    Notes
    -----
    Never raises: any problem reading the path gives False.
    """
    try:
        path = Path(path)
        if path.is_dir():
            for p in sorted(path.glob("*_s0.txt")) + sorted(path.glob("*_S0.TXT")):
                if p.is_file() and _head_has_column_line(_read_head(p)):
                    return True
            return False
        if _head_has_column_line(head):
            return True
        m = _SEGMENT_RE.match(path.name)
        if m is None or int(m["index"]) == 0:
            return False
        lines = [ln for ln in _complete_lines(head, 8) if ln.strip()]
        if not lines or not all(_is_int_row(ln) for ln in lines):
            return False
        return any((path.parent / f"{m['prefix']}_{s}0{ext}").is_file()
                   for s in "sS" for ext in {".txt", ".TXT", path.suffix})
    except Exception:  # a probe never raises
        return False


# ----------------------------------------------------------------------------- segments


@dataclass(frozen=True)
class Segment:
    """One text file of an export: its number, path and lines to skip before the rows."""

    index: int
    path: Path
    skip_lines: int


def find_segments(path: Path) -> tuple[list[tuple[int, Path]], list[str]]:
    """All segments of the export that ``path`` (folder or any segment) belongs to.

    Returns
    -------
    segments : list of (int, Path)
        Sorted by the integer after ``_s`` (so ``_s10`` follows ``_s9``).
    notes : list of str
        Gaps in the numbering (a missing segment).

    Raises
    ------
    FormatError
        No ``_s0`` segment, several exports in one folder, or two files with one number.
    """
    path = Path(path)
    if path.is_dir():
        groups: dict[str, list[tuple[int, Path]]] = {}
        for p in path.iterdir():
            m = _SEGMENT_RE.match(p.name)
            if m and p.is_file():
                groups.setdefault(m["prefix"], []).append((int(m["index"]), p))
        starts = sorted(k for k, v in groups.items() if any(i == 0 for i, _ in v))
        if not starts:
            raise FormatError(path, "folder holds no FT1040 first segment (*_s0.txt)")
        if len(starts) > 1:
            names = ", ".join(f"{s}_s0.txt" for s in starts)
            raise FormatError(path, f"folder holds {len(starts)} FT1040 exports ({names}); open one of their _s0 files")
        members = groups[starts[0]]
    else:
        m = _SEGMENT_RE.match(path.name)
        if m is None:  # a renamed single file: the whole export
            return [(0, path)], []
        members = []
        for p in path.parent.iterdir():
            mm = _SEGMENT_RE.match(p.name)
            if mm and mm["prefix"] == m["prefix"] and p.is_file():
                members.append((int(mm["index"]), p))
        if not any(i == 0 for i, _ in members):
            raise FormatError(path, f"first segment {m['prefix']}_s0.txt (which holds the header) is missing")
    members.sort(key=lambda ip: ip[0])
    idx = [i for i, _ in members]
    dup = sorted({i for i in idx if idx.count(i) > 1})
    if dup:
        raise FormatError(path, f"several files carry segment number {dup[0]} (e.g. _s1 and _s01)")
    missing = sorted(set(range(idx[-1] + 1)) - set(idx))
    notes = []
    if missing:
        shown = ", ".join(f"s{i}" for i in missing[:5]) + (" ..." if len(missing) > 5 else "")
        notes.append(f"segments missing from the export: {shown}; their rows are absent")
    return members, notes


def count_lines(path: Path) -> int:
    """Number of lines of a text file up to its last non-blank one.

    Newlines are counted in binary blocks (no Python loop over lines). A last line without a
    final newline counts; blank lines at the end of the file (within its last MiB) do not;
    blank lines between rows do.
    """
    n = 0
    with path.open("rb") as fh:
        while True:
            block = fh.read(_COUNT_BLOCK_BYTES)
            if not block:
                break
            n += block.count(b"\n")
        size = fh.tell()
        fh.seek(max(0, size - (1 << 20)))
        tail = fh.read()
    content = tail.rstrip(b" \t\r\n")
    if not content and size <= len(tail):
        return 0  # nothing but whitespace
    return n - tail[len(content):].count(b"\n") + 1


def _nice_period_ps(min_period_ps: float) -> int:
    """Smallest period of the 1-1.25-2-2.5-4-5 x 10**k ps series that is >= ``min_period_ps``."""
    for e in range(0, 16):
        for m in (1.0, 1.25, 2.0, 2.5, 4.0, 5.0):
            p = m * 10**e
            if p >= min_period_ps:
                return int(round(p))
    raise ValueError("period out of range")


def _file_name_info(name: str, notes: list) -> dict:
    """Device, mode and start time from a ``Dev0_T3_YYYY_MM_DD_hh_mm_ss`` file name (else {})."""
    m = _NAME_RE.search(name)
    if not m:
        return {}
    info = {"device": m["device"], "mode": m["mode"].upper(),
            "start_time": f"{m['Y']}-{m['mo']}-{m['d']}T{m['H']}:{m['M']}:{m['S']}"}
    if info["mode"] != "T3":
        notes.append(f"file name says {info['mode']}; rows read as T3 (Sync, Time(ps))")
    return info


# ----------------------------------------------------------------------------- stream


class FT1040Stream(TTTRStream):
    """A Siminics FT1040 T3 text export opened for streaming.

    Parameters
    ----------
    path : str or Path
        The folder, the ``_s0`` file or any segment ``_sN`` of the export.
    nanotimes_unit_s : float, optional
        T3 resolution in seconds; overrides the header and the inference.
    sync_rate_hz, repetition_rate_hz : float, optional
        Laser repetition rate (two names for one option); overrides the header.
    flags : {"drop", "markers"}, default "drop"
        What to do with rows whose ``Flag`` is non-zero: count and drop them, or count them
        and also return them as markers (``markers`` = flag value, which must fit uint8).
    infer_rows : int, default 65536
        Rows read when opening to infer the resolution (and the sync period if needed).

    Attributes
    ----------
    info : StreamInfo
    header : dict
        ``fields`` (key -> value of the header lines), ``lines`` (all header lines, raw),
        ``unparsed_lines``, ``columns`` (as named in the file), ``segments`` (file names in
        order), ``file_name`` (device, mode, start time from the file name if it has them)
        and ``derived`` (the quantities used, with their source: header, option, inferred,
        estimated).
    flag_counts : dict of int -> int
        Rows per non-zero flag value seen by the last (or current) pass of :meth:`chunks`.
    segments : list of Segment

    Notes
    -----
    * **Segments.** Every ``<prefix>_s<N>.txt`` beside the given path with the same prefix is
      part of the export; they are joined in order of the integer ``N`` (``s10`` after
      ``s9``). A gap in the numbering warns (:class:`~tttr.errors.TruncatedFileWarning`). A
      folder must hold exactly one export.
    * **Rows** are parsed by pandas' C tokenizer on runs of whitespace (tabs or spaces, CRLF
      or LF), one chunk of ``size`` rows at a time, so memory is bounded by the chunk size.
      Chunks do not span segments: a chunk ends at a segment's end, so chunks can be shorter
      than ``size``. All conversion is vectorised numpy; there is no Python loop over rows.
    * **Bad rows** (a non-integer or missing cell, a row of other than 4 fields, a negative
      ``Sync`` or ``Time(ps)``, a photon ``Channel`` outside 1..256, a ``Sync`` that
      decreases between photons) raise :class:`~tttr.errors.FormatError` naming the segment
      and line. ``Sync`` is assumed to be a running pulse index over the whole export (never
      restarting at a segment); a decrease is an error rather than a guess.
    * **Resolution** (``nanotimes_unit_s``): the option, else a header field, else inferred
      as the greatest power of two (in ps) dividing every photon ``Time(ps)`` of the first
      ``infer_rows`` rows. An inferred or header resolution is then checked on every row
      (a ``Time(ps)`` that is not a multiple raises, asking for ``nanotimes_unit_s``); a
      resolution given as an option is applied as floor division, so a coarser unit can
      be chosen on purpose. Nanotimes must fit uint16 (else FormatError).
    * **Sync period** (``timestamps_unit_s``): the option, else a header field, else an
      estimate from the microtime range of the first ``infer_rows`` rows: the largest
      ``Time(ps)`` plus one resolution bin, rounded up to the series 1, 1.25, 2, 2.5, 4,
      5 x 10**k ps (12.5 ns = 80 MHz, 200 ns = 5 MHz, ...). The estimate warns
      (:class:`~tttr.errors.HeaderWarning`): pass ``sync_rate_hz`` to set it.
    * **Flags**: a non-zero ``Flag`` is a non-photon event (``docs/formats.md``); its
      ``Sync`` is not checked for order.
    * ``n_records`` is the number of rows (photons and flagged rows) of all segments,
      counted as newlines in binary blocks minus the header lines (blank lines at the end
      of a segment are not counted, blank lines between rows are).
    * Option values that are out of range (``flags``, a non-positive unit or rate) raise
      ``ValueError``: they come from the caller, not from the file.
    """

    def __init__(self, path, *, nanotimes_unit_s=None, sync_rate_hz=None, repetition_rate_hz=None,
                 flags="drop", infer_rows=INFER_ROWS):
        super().__init__(path)
        if flags not in _FLAG_MODES:
            raise ValueError(f"flags must be one of {_FLAG_MODES}, not {flags!r}")
        if sync_rate_hz is not None and repetition_rate_hz is not None and \
                not math.isclose(float(sync_rate_hz), float(repetition_rate_hz), rel_tol=1e-12):
            raise ValueError("sync_rate_hz and repetition_rate_hz are the same option; they disagree")
        rate_opt = sync_rate_hz if sync_rate_hz is not None else repetition_rate_hz
        for name, val in (("nanotimes_unit_s", nanotimes_unit_s), ("sync_rate_hz", rate_opt)):
            if val is not None and not (float(val) > 0 and math.isfinite(float(val))):
                raise ValueError(f"{name} must be a positive number, not {val!r}")
        self._flags = flags
        self.flag_counts: dict[int, int] = {}
        notes: list[str] = []

        members, seg_notes = find_segments(self.path)
        for n in seg_notes:
            warnings.warn(f"{self.path}: {n}", TruncatedFileWarning, stacklevel=3)
        notes += seg_notes
        first = members[0][1]
        lines, order, skip = read_first_segment_header(first)
        columns = self._column_layout(order, skip, notes)
        self._order = order if order is not None else tuple(range(len(COLUMN_NAMES)))
        self.segments = [Segment(i, p, skip if k == 0 else 0) for k, (i, p) in enumerate(members)]

        fields, found = parse_header_lines(lines)
        name_info = _file_name_info(first.name, notes)
        derived: dict = {}

        n_rows = sum(count_lines(s.path) - s.skip_lines for s in self.segments)

        need_sample = nanotimes_unit_s is None and "resolution_ps" not in found
        need_sample |= rate_opt is None and "sync_rate_hz" not in found
        sample = self._photon_times_sample(int(infer_rows)) if need_sample else None
        res_ps = self._resolution_ps(nanotimes_unit_s, found, sample, infer_rows, notes, derived)
        rate = self._sync_rate_hz(rate_opt, sync_rate_hz is not None, found, sample, res_ps, infer_rows,
                                  notes, derived)
        period_ps = 1e12 / rate
        if sample is not None and sample.size and sample.max() >= period_ps:
            notes.append(f"largest Time(ps) {int(sample.max())} ps exceeds the sync period {period_ps:g} ps")
        derived.update(resolution_ps=res_ps, sync_rate_hz=rate, sync_period_ps=period_ps)

        self.header = {
            "fields": fields,
            "lines": lines,
            "unparsed_lines": found["unparsed"],
            "columns": columns,
            "segments": [s.path.name for s in self.segments],
            "file_name": name_info,
            "derived": derived,
        }
        if "sync_divider" in found:
            self.header["derived"]["sync_divider"] = found["sync_divider"]
        self.info = StreamInfo(
            path=str(self.path),
            format="FT1040",
            record_type="FT1040 T3 text export",
            mode="T3",
            timestamps_unit_s=1.0 / rate,
            nanotimes_unit_s=res_ps * 1e-12,
            sync_rate_hz=rate,
            n_records=int(n_rows),
            n_records_header=None,
            record_type_id=None,
            tcspc_num_bins=int(math.ceil(period_ps / res_ps - 1e-9)),
            acquisition_time_s=found.get("acquisition_time_s"),
            warnings=tuple(notes),
        )

    # -- named steps of __init__ ---------------------------------------------------------

    @staticmethod
    def _column_layout(order, skip: int, notes: list) -> list:
        """Column names by position in a row (the vendor order when the file has no column line)."""
        if order is None:
            notes.append("first segment has no header or column line; vendor column order assumed")
            return list(COLUMN_NAMES)
        columns = [None] * len(COLUMN_NAMES)
        for name, pos in zip(COLUMN_NAMES, order):
            columns[pos] = name
        if skip - 1 != EXPECTED_HEADER_LINES:
            notes.append(f"first segment has {skip - 1} header lines (expected {EXPECTED_HEADER_LINES})")
        return columns

    def _resolution_ps(self, nanotimes_unit_s, found: dict, sample, infer_rows, notes: list, derived: dict) -> float:
        """The T3 resolution in ps (option, header or inferred); sets ``_strict`` and ``_res_int``.

        Notes
        -----
        Inferred as the greatest power of two dividing every sampled photon ``Time(ps)``
        (see the class Notes). An option resolution is applied by floor division
        (``_strict`` False); so is one that is not a whole number of ps.
        """
        self._strict = True
        if nanotimes_unit_s is not None:
            res_ps = float(nanotimes_unit_s) * 1e12
            self._strict = False
            derived["resolution"] = "option nanotimes_unit_s"
        elif "resolution_ps" in found:
            res_ps = found["resolution_ps"]
            derived["resolution"] = f"header field {found['keys']['resolution_ps']!r}"
        else:
            g = int(np.gcd.reduce(sample)) if sample.size else 0
            if g == 0:
                res_ps = float(MIN_RESOLUTION_PS)
                notes.append(f"no non-zero photon Time(ps) in the first {infer_rows} rows; "
                             f"resolution taken as {MIN_RESOLUTION_PS} ps")
            else:
                res_ps = float(g & -g)
                if res_ps < MIN_RESOLUTION_PS:
                    notes.append(f"inferred resolution {res_ps:g} ps is below the FT1040's {MIN_RESOLUTION_PS} ps")
            derived["resolution"] = f"inferred from the first {infer_rows} rows"
        rounded = round(res_ps)
        self._res_int = int(rounded) if abs(res_ps - rounded) < 1e-6 * max(1.0, res_ps) and rounded > 0 else None
        self._res_ps = res_ps
        if self._res_int is None:
            self._strict = False
        return res_ps

    def _sync_rate_hz(self, rate_opt, named_sync: bool, found: dict, sample, res_ps: float, infer_rows,
                      notes: list, derived: dict) -> float:
        """The laser repetition rate in Hz: the option, the header, else estimated (with a warning).

        Notes
        -----
        ``named_sync`` tells whether the option was given as ``sync_rate_hz`` (else as
        ``repetition_rate_hz``), for ``header["derived"]``. The estimate is the largest
        sampled ``Time(ps)`` plus one bin, rounded up by :func:`_nice_period_ps`.
        """
        if rate_opt is not None:
            derived["sync_rate"] = "option sync_rate_hz" if named_sync else "option repetition_rate_hz"
            return float(rate_opt)
        if "sync_rate_hz" in found:
            derived["sync_rate"] = f"header field {found['keys']['sync_rate_hz']!r}"
            return float(found["sync_rate_hz"])
        if sample.size == 0:
            raise FormatError(self.path, f"cannot estimate the sync period: no photon rows in the first "
                                         f"{infer_rows} rows; pass sync_rate_hz=")
        max_t = int(sample.max())
        period_ps = _nice_period_ps(max_t + res_ps)
        rate = 1e12 / period_ps
        msg = (f"sync rate not in the header: estimated {rate / 1e6:g} MHz (period {period_ps / 1e3:g} ns) "
               f"from the largest Time(ps) {max_t} ps; an estimate, pass sync_rate_hz= to set it")
        warnings.warn(f"{self.path}: {msg}", HeaderWarning, stacklevel=4)
        notes.append(msg)
        derived["sync_rate"] = "estimated from the microtime range"
        return rate

    # -- raw rows ------------------------------------------------------------------------

    def _where(self, seg: Segment, row: int) -> str:
        return f"segment {seg.path.name}, line {seg.skip_lines + row + 1}"

    def raw_rows(self, size: int | None = None) -> Iterator[tuple[Segment, int, tuple]]:
        """Yield ``(segment, first_row, columns)`` blocks of at most ``size`` validated rows.

        ``columns`` is a tuple of four ``(n,)`` int64 arrays ``Flag, Channel, Time(ps),
        Sync`` (whatever their order in the file); ``first_row`` is the 0-based row of the
        block within its segment.
        """
        import pandas as pd
        from pandas.errors import EmptyDataError, ParserError

        size = int(size or defaults.CHUNK_ROWS)
        if size < 1:
            raise ValueError("chunk size must be at least 1 row")
        for seg in self.segments:
            row = 0
            try:
                reader = pd.read_csv(seg.path, sep=r"\s+", header=None, skiprows=seg.skip_lines, chunksize=size,
                                     engine="c", encoding="latin-1", skip_blank_lines=True)
            except EmptyDataError:  # a segment without rows
                continue
            except (ParserError, ValueError, OSError) as exc:
                raise FormatError(seg.path, f"cannot parse rows: {_one_line(exc)}") from None
            with reader:
                while True:
                    try:
                        df = next(reader)
                    except StopIteration:
                        break
                    except EmptyDataError:
                        break
                    except (ParserError, ValueError) as exc:
                        raise FormatError(seg.path, f"bad row after line {seg.skip_lines + row}: "
                                                    f"{_one_line(exc)}") from None
                    yield seg, row, self._validate(df, seg, row)
                    row += len(df)

    def _validate(self, df, seg: Segment, row: int) -> tuple:
        import pandas as pd

        if df.shape[1] != len(COLUMN_NAMES):
            raise FormatError(seg.path, f"{self._where(seg, row)}: rows have {df.shape[1]} fields, expected 4 "
                                        f"(Flag Channel Time(ps) Sync)")
        out = []
        for k, pos in enumerate(self._order):
            col = df.iloc[:, pos]
            ok = pd.api.types.is_integer_dtype(col.dtype)
            if ok and col.dtype == np.uint64 and len(col) and int(col.max()) > _INT64_MAX:
                ok = False
            if not ok:
                num = pd.to_numeric(col, errors="coerce")
                bad = ~(num.notna().to_numpy() & (num.to_numpy(dtype=float, na_value=np.nan) % 1 == 0))
                bad |= np.abs(num.to_numpy(dtype=float, na_value=0.0)) > 2.0**63 - 1
                i = int(np.flatnonzero(bad)[0]) if bad.any() else 0
                cell = col.iloc[i]
                what = "missing cell" if pd.isna(cell) else f"non-integer cell {str(cell)!r}"
                raise FormatError(seg.path, f"{self._where(seg, row + i)}: {what} in column {COLUMN_NAMES[k]}")
            out.append(col.to_numpy(dtype=np.int64))
        return tuple(out)

    def _photon_times_sample(self, n: int) -> np.ndarray:
        """``Time(ps)`` of the photon rows among the first ``n`` rows of the export."""
        got, parts = 0, []
        gen = self.raw_rows(max(1, min(n, defaults.CHUNK_ROWS)))
        try:
            for _seg, _row, rows in gen:
                flag, t = rows[0][: n - got], rows[2][: n - got]
                got += len(flag)
                parts.append(t[flag == 0])
                if got >= n:
                    break
        finally:
            gen.close()
        t = np.concatenate(parts) if parts else np.empty(0, np.int64)
        return t[t >= 0]

    # -- events ----------------------------------------------------------------------------

    def _chunks(self, size: int | None = None) -> Iterator[PhotonChunk]:
        """Yield the photons in order, one chunk per ``size`` rows of a segment.

        Parameters
        ----------
        size : int, optional
            Rows per chunk (default :data:`tttr.defaults.CHUNK_ROWS`).

        Yields
        ------
        PhotonChunk
            T3 photons; flagged rows as markers if ``flags="markers"``.
        """
        self.flag_counts = {}
        last = np.iinfo(np.int64).min
        for seg, row, rows in self.raw_rows(size):
            chunk, last = self._convert(rows, seg, row, last)
            yield chunk

    def _convert(self, rows: np.ndarray, seg: Segment, row: int, last: int):
        flag, chan, t, sync = rows
        photon = flag == 0
        idx = np.flatnonzero(photon)

        def fail(mask, problem):
            i = int(idx[np.flatnonzero(mask)[0]])
            raise FormatError(seg.path, f"{self._where(seg, row + i)}: {problem(i)}")

        ts, ch, tp = sync[idx], chan[idx], t[idx]
        if ts.size:
            neg = ts < 0
            if neg.any():
                fail(neg, lambda i: f"negative Sync {sync[i]}")
            bad = (ch < 1) | (ch > 256)
            if bad.any():
                fail(bad, lambda i: f"photon Channel {chan[i]} outside the stop inputs 1..256")
            neg = tp < 0
            if neg.any():
                fail(neg, lambda i: f"negative Time(ps) {t[i]}")
            prev = np.empty_like(ts)
            prev[0] = last
            prev[1:] = ts[:-1]
            dec = ts < prev
            if self.on_time_error == "raise" and dec.any():  # else the time-order guard repairs
                j = int(np.flatnonzero(dec)[0])
                raise FormatError(seg.path, f"{self._where(seg, row + int(idx[j]))}: Sync decreases from "
                                            f"{int(prev[j])} to {int(ts[j])} (photons must be in pulse order)")
            last = max(last, int(ts.max()))
            if self._res_int is not None:
                nt = tp // self._res_int
                if self._strict:
                    off = tp % self._res_int != 0
                    if off.any():
                        fail(off, lambda i: f"Time(ps) {t[i]} is not a multiple of the resolution "
                                            f"{self._res_int} ps; pass nanotimes_unit_s=")
            else:
                nt = np.floor(tp / self._res_ps).astype(np.int64)
            big = nt > _UINT16_MAX
            if big.any():
                fail(big, lambda i: f"nanotime {int(nt[np.searchsorted(idx, i)])} (Time(ps) {t[i]}) does not fit "
                                    f"uint16; pass a coarser nanotimes_unit_s=")
        else:
            nt = np.empty(0, np.int64)
        others = ~photon
        mts = np.empty(0, np.int64)
        mbits = np.empty(0, np.uint8)
        if others.any():
            fv = flag[others]
            vals, counts = np.unique(fv, return_counts=True)
            for v, c in zip(vals.tolist(), counts.tolist()):
                self.flag_counts[v] = self.flag_counts.get(v, 0) + c
            if self._flags == "markers":
                if (fv < 0).any() or (fv > 255).any():
                    i = int(np.flatnonzero(others & ((flag < 0) | (flag > 255)))[0])
                    raise FormatError(seg.path, f"{self._where(seg, row + i)}: Flag {flag[i]} does not fit "
                                                "a uint8 marker")
                mts = sync[others].astype(np.int64)
                mbits = fv.astype(np.uint8)
        chunk = PhotonChunk(
            timestamps=np.ascontiguousarray(ts, dtype=np.int64),
            detectors=(ch - 1).astype(np.uint8),
            nanotimes=nt.astype(np.uint16),
            marker_timestamps=mts,
            markers=mbits,
        )
        return chunk, last

    @property
    def n_flagged(self) -> int:
        """Rows with a non-zero ``Flag`` seen by the last pass of :meth:`chunks`."""
        return int(sum(self.flag_counts.values()))


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def open_stream(path, **options) -> FT1040Stream:
    """Open an FT1040 text export (folder, ``_s0`` file or any segment) for streaming.

    Parameters
    ----------
    path : str or Path
    **options
        ``nanotimes_unit_s``, ``sync_rate_hz`` (or ``repetition_rate_hz``), ``flags``,
        ``infer_rows``: see :class:`FT1040Stream`. Options whose value is None are ignored,
        so a caller can pass every option it knows of.

    Returns
    -------
    FT1040Stream

    Raises
    ------
    TypeError
        An option this reader does not know (with a non-None value).
    FormatError
        The export is missing a segment 0, has no column line, or a bad row.
    """
    opts = {k: v for k, v in options.items() if v is not None}
    unknown = sorted(set(opts) - set(_OPTIONS))
    if unknown:
        raise TypeError(f"FT1040 reader got unknown option(s) {', '.join(unknown)}; it takes {', '.join(_OPTIONS)}")
    return FT1040Stream(path, **opts)
