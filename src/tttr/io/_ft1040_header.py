"""The text of an FT1040 export's first segment: the column line and the key-value header.

Used by :mod:`tttr.io.ft1040` (its probe and its reader); public names are re-exported there.

Notes
-----
The header layout is not public; keys are matched loosely (see
:func:`parse_header_lines`). Text is decoded as UTF-8, else GB18030, else Latin-1 (which never
fails).
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import FormatError

#: The column names of the export, in the order the vendor writes them.
COLUMN_NAMES = ("Flag", "Channel", "Time(ps)", "Sync")

#: Header lines the first segment is documented to carry before the column line.
EXPECTED_HEADER_LINES = 10

#: Lines of the first segment searched for the column line.
_MAX_HEADER_SCAN_LINES = 200
_HEADER_SCAN_BYTES = 1 << 18
_INT_ROW_RE = re.compile(rb"^\s*[-+]?\d+(\s+[-+]?\d+){3}\s*$")
_NUMBER_RE = re.compile(r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-zµμ]+)?")
_TIME_UNITS = {"fs": 1e-15, "ps": 1e-12, "ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0,
               "sec": 1.0, "min": 60.0, "h": 3600.0}
_FREQ_UNITS = {"hz": 1.0, "khz": 1e3, "mhz": 1e6, "ghz": 1e9}


def _norm_token(tok: str) -> str:
    return re.sub(r"\s+", "", tok).lower()


_COLUMN_KEYS = tuple(_norm_token(c) for c in COLUMN_NAMES)


def _split_columns(line: str) -> list[str]:
    """Split a column line on tabs, else on runs of whitespace."""
    parts = [p.strip() for p in line.strip().split("\t")]
    parts = [p for p in parts if p]
    if len(parts) != len(COLUMN_NAMES):
        parts = line.split()
    return parts


def _column_order(line: str) -> tuple[int, ...] | None:
    """Positions of Flag, Channel, Time(ps), Sync in a column line, or None if it is not one."""
    tokens = [_norm_token(t) for t in _split_columns(line)]
    if sorted(tokens) != sorted(_COLUMN_KEYS):
        return None
    return tuple(tokens.index(k) for k in _COLUMN_KEYS)


def _is_int_row(line: bytes) -> bool:
    return bool(_INT_ROW_RE.match(line))


# ----------------------------------------------------------------------------- header


def _decode_text(raw: bytes) -> str:
    for enc in ("utf-8", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            pass
    return raw.decode("latin-1")


def _split_key_value(line: str) -> tuple[str, str] | None:
    """``key: value`` (also a full-width colon), ``key = value`` or ``key<TAB>value``; else None."""
    for sep in (":", "\uff1a", "=", "\t"):  # ASCII colon, full-width colon, equals, tab
        if sep in line:
            key, value = line.split(sep, 1)
            key, value = key.strip(), value.strip()
            if key and len(key) <= 64 and re.search(r"[^\W\d_]", key):  # a key holds a letter
                return key, value
    return None


def _quantity(value: str, key: str, units: dict) -> float | None:
    """Number in ``value`` times its unit (from the value, else from ``(unit)`` in the key)."""
    m = _NUMBER_RE.search(value)
    if m is None:
        return None
    number = float(m[1])
    unit = (m[2] or "").lower()
    if not unit:
        km = re.search(r"[\(\[]\s*([A-Za-zµμ]+)\s*[\)\]]", key)
        unit = km[1].lower() if km else ""
    if unit in units:
        return number * units[unit]
    return None


def parse_header_lines(lines: list[str]) -> tuple[dict, dict]:
    """Split the header lines into fields and extract the quantities the reader needs.

    Returns
    -------
    fields : dict
        ``key -> value`` (str) of every ``key: value`` / ``key = value`` / ``key<TAB>value``
        line, in file order (a repeated key keeps the first value).
    found : dict
        Any of ``resolution_ps``, ``sync_rate_hz``, ``acquisition_time_s``, ``sync_divider``
        that could be read, plus ``unparsed`` (lines with no key) and ``keys`` (field of origin).

    Notes
    -----
    The header layout is not public. Keys are matched loosely (case, spaces and
    punctuation ignored): ``resolution``/``bin width`` (a time), ``sync rate``/
    ``repetition``/``laser frequency`` (a frequency; a bare number is taken as Hz),
    ``sync period`` (a time), ``acquisition time``/``measurement time``/``duration``
    (a time), ``sync divider`` (an integer). A time needs its unit (``64 ps`` or a
    ``(ps)`` in the key); a resolution without a unit is taken as ps.
    """
    fields: dict = {}
    unparsed: list[str] = []
    found: dict = {"keys": {}}
    for line in lines:
        kv = _split_key_value(line)
        if kv is None:
            if line.strip():
                unparsed.append(line)
            continue
        key, value = kv
        fields.setdefault(key, value)
        k = re.sub(r"[^a-z]", "", key.lower())

        def take(name, val):
            if val is not None and name not in found:
                found[name] = val
                found["keys"][name] = key

        if "resolution" in k or "binwidth" in k or "timebin" in k:
            q = _quantity(value, key, _TIME_UNITS)
            if q is None:
                m = _NUMBER_RE.search(value)
                q = float(m[1]) * 1e-12 if m and not m[2] else None
            take("resolution_ps", None if q is None or q <= 0 else q * 1e12)
        elif "divider" in k:
            m = _NUMBER_RE.search(value)
            take("sync_divider", int(float(m[1])) if m else None)
        elif "syncperiod" in k or "laserperiod" in k or "repetitionperiod" in k:
            q = _quantity(value, key, _TIME_UNITS)
            take("sync_rate_hz", 1.0 / q if q else None)
        elif any(s in k for s in ("syncrate", "syncfreq", "repetition", "reprate", "laserfreq", "laserrate")):
            q = _quantity(value, key, _FREQ_UNITS)
            if q is None:
                m = _NUMBER_RE.search(value)
                q = float(m[1]) if m and not m[2] else None
            take("sync_rate_hz", q if q and q > 0 else None)
        elif any(s in k for s in ("acquisitiontime", "measurementtime", "duration")):
            take("acquisition_time_s", _quantity(value, key, _TIME_UNITS))
    found["unparsed"] = unparsed
    return fields, found


def read_first_segment_header(path: Path) -> tuple[list[str], tuple[int, ...] | None, int]:
    """Header lines, column positions and lines before the first row of the ``_s0`` file.

    Returns
    -------
    lines : list of str
        The lines before the column line (decoded as UTF-8, else GB18030, else Latin-1).
    order : tuple of int or None
        Positions of ``Flag, Channel, Time(ps), Sync`` in a row; None if the file has no
        column line and starts directly with rows (then the vendor order is assumed).
    skip_lines : int
        Lines before the first data row.

    Raises
    ------
    FormatError
        The column line is not within the first lines and the file does not start with rows.
    """
    with path.open("rb") as fh:
        raw = fh.read(_HEADER_SCAN_BYTES)
    lines = raw.split(b"\n")[:_MAX_HEADER_SCAN_LINES]
    for i, line in enumerate(lines):
        line = line.rstrip(b"\r")
        text = _decode_text(line)
        order = _column_order(text)
        if order is not None:
            return [_decode_text(ln.rstrip(b"\r")) for ln in lines[:i]], order, i + 1
        if _is_int_row(line):
            if i == 0:
                return [], None, 0
            raise FormatError(path, f"rows start at line {i + 1} without the column line 'Flag Channel Time(ps) Sync'")
    raise FormatError(path, "no column line 'Flag Channel Time(ps) Sync' in the first lines: not an FT1040 text export")
