"""Reader of Becker & Hickl SPC FIFO files (``.spc``, with the ``.set`` setup file beside it).

An ``.spc`` file is a flat array of fixed-size little-endian photon records whose first
record is a header written by the SPCM software (macro-clock period, routing bits). The
files carry no magic number and no record count; the record layout depends on the SPC
module (see :mod:`tttr.io._spc_records` for the bit layouts and :func:`open_stream` for
how the layout is chosen). The ``.set`` file written next to it (same stem) holds the
module type and the TAC settings that give the micro-time unit.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import FormatError
from . import _spc_records as _k
from .base import RecordStream, records_present
from .events import PhotonChunk, StreamInfo

__all__ = ["probe", "open_stream", "SPCStream", "read_set_file", "LAYOUTS"]


@dataclass(frozen=True)
class _Layout:
    """One SPC record layout: size, macro-timer period, micro-time bins and its numba decoder."""

    name: str
    record_dtype: np.dtype
    period: int
    num_bins: int
    has_markers: bool
    kernel: Callable

    @property
    def record_size(self) -> int:
        return self.record_dtype.itemsize


#: The record layouts by name (``StreamInfo.record_type``).
LAYOUTS = {
    "SPC-130": _Layout("SPC-130", np.dtype("<u4"), _k.SPC130_PERIOD, 4096, True, _k.decode_spc130),
    "SPC-600_256": _Layout("SPC-600_256", np.dtype("<u4"), _k.SPC600_256_PERIOD, 256, False, _k.decode_spc600_256),
    "SPC-600_4096": _Layout(
        "SPC-600_4096", np.dtype(("<u2", 3)), _k.SPC600_4096_PERIOD, 4096, False, _k.decode_spc600_4096
    ),
}

#: Module codes of the ``.set`` file header (``revision`` bits 4-11), from B&H's
#: ``SPC_data_file_structure.h``; codes from 0x2b on as listed by phconvert 0.10.
_SET_MODULES = {
    0x20: "SPC-130", 0x21: "SPC-600", 0x22: "SPC-630", 0x23: "SPC-700", 0x24: "SPC-730",
    0x25: "SPC-830", 0x26: "SPC-140", 0x27: "SPC-930", 0x28: "SPC-150", 0x29: "DPC-230",
    0x2A: "SPC-130EM", 0x2B: "SPC-160", 0x2E: "SPC-150N", 0x80: "SPC-150NX", 0x81: "SPC-160X",
    0x82: "SPC-160PCIE", 0x83: "SPC-130EMN", 0x84: "SPC-180N", 0x85: "SPC-180NX",
    0x86: "SPC-180NXX", 0x87: "SPC-180N-USB", 0x88: "SPC-130IN", 0x89: "SPC-130INX",
    0x8A: "SPC-130INXX", 0x8B: "SPC-QC-104", 0x8C: "SPC-QC-004", 0x8D: "SPC-QC-106",
    0x8E: "SPC-QC-006",
}

#: Records decoded per candidate layout when the layout is inferred from the data.
_DETECT_RECORDS = 1 << 16
#: A ``.set`` file is a few kB; never read more than this of one.
_SET_MAX_BYTES = 1 << 22
_SET_PARAM = re.compile(r"\[\s*([A-Za-z0-9_]+)\s*,\s*([A-Za-z])\s*,\s*([^\]\r\n]*)\]")


# ----------------------------------------------------------------------------- probe
def _header_ok_4(head: bytes) -> bool:
    """First 4 bytes look like the header of a 32-bit-record file (INVALID set, clock > 0)."""
    if len(head) < 4:
        return False
    word = int.from_bytes(head[:4], "little")
    return bool(word >> 31) and (word & 0xFFFFFF) > 0


def _header_ok_6(head: bytes, strict: bool = True) -> bool:
    """First 6 bytes look like an SPC-600/630 48-bit header (INVALID set, clock > 0, word 3 zero)."""
    if len(head) < 6:
        return False
    w0, w1, w2 = (int.from_bytes(head[i : i + 2], "little") for i in (0, 2, 4))
    ok = bool(w0 & 0x1000) and w1 > 0
    return ok and (not strict or (w2 == 0 and not w0 & 0xE000))


def probe(path: Path, head: bytes) -> bool:
    """True if ``path`` is plausibly an SPC FIFO file.

    Parameters
    ----------
    path : pathlib.Path
        The candidate file.
    head : bytes
        Its first bytes (at least 6 for a positive answer).

    Returns
    -------
    bool
        Never raises.

    Notes
    -----
    SPC files have no signature, so both must hold: the suffix is ``.spc`` (any case), and the
    content starts like one of the layouts: a 4-byte header record (INVALID bit 31 set, macro
    clock in bits 0-23 non-zero), or an SPC-600/630 48-bit header (INVALID bit 12 of word 0
    set, GAP/MTOV clear, clock word non-zero, third word zero). The file size is not
    required to be a whole number of records: a file cut short is claimed and decoded up to
    its last whole record with a :class:`~tttr.errors.TruncatedFileWarning` (design.md).
    """
    try:
        p = Path(path)
        if p.suffix.lower() != ".spc" or not p.is_file():
            return False
        size = p.stat().st_size
        fits4 = size >= 4 and _header_ok_4(head)
        fits6 = size >= 6 and _header_ok_6(head)
        return bool(fits4 or fits6)
    except Exception:  # a probe must never raise
        return False


# ----------------------------------------------------------------------------- .set file
def _find_set_file(path: Path) -> Path | None:
    """The ``.set`` file with the stem of ``path`` (suffix ``.set``, ``.SET`` or ``.Set``), if any."""
    for suffix in (".set", ".SET", ".Set"):
        cand = path.with_suffix(suffix)
        if cand.is_file():
            return cand
    return None


def _section(text: str, start: str, stops: tuple) -> str:
    """Text after the marker ``start`` up to the first of ``stops`` ('' if ``start`` is absent)."""
    i = text.find(start)
    if i < 0:
        return ""
    i += len(start)
    ends = [j for j in (text.find(s, i) for s in stops) if j >= 0]
    return text[i : min(ends)] if ends else text[i:]


def _set_value(kind: str, value: str):
    """Convert one SETUP value by its type letter (I/U/L int, F float, B bool, else str)."""
    value = value.strip()
    try:
        if kind in "IUL":
            return int(value)
        if kind == "F":
            return float(value)
        if kind == "B":
            return bool(int(value))
    except ValueError:
        pass
    return value


def _identification(section: str) -> dict:
    """``key : value`` lines of the IDENTIFICATION section; continuation lines are appended."""
    out, key = {}, None
    for line in section.splitlines():
        line = "".join(ch for ch in line if ch.isprintable()).strip()
        if not line:
            continue
        if ":" in line:
            key, _, val = line.partition(":")
            key = key.strip()
            out[key] = val.strip()
        elif key is not None:
            out[key] = f"{out[key]} {line}".strip()
    return out


def read_set_file(path) -> dict:
    """Read a Becker & Hickl ``.set`` setup file.

    Parameters
    ----------
    path : str or Path
        The ``.set`` file.

    Returns
    -------
    dict
        ``path``; ``revision`` (first 16-bit word); ``module_code`` and ``module`` (the SPC
        module type from bits 4-11 of ``revision``, or None when the software revision in
        bits 0-3 is below 12, which predates the field); ``identification`` (the
        ``*IDENTIFICATION`` lines as strings); ``parameters`` (the ``[NAME,TYPE,VALUE]``
        entries of the ASCII ``*SETUP`` part, converted by type letter); ``conflicting``
        (names that appear more than once with different values, as in multi-module setups;
        the first value is kept).

    Raises
    ------
    FormatError
        The file is shorter than its 2-byte revision word or has no ``*SETUP`` section.

    Notes
    -----
    Layout from B&H's ``SPC_data_file_structure.h``: a packed binary file header, then the
    ASCII IDENTIFICATION part (``*IDENTIFICATION`` … ``*END``), then the ASCII SETUP part
    (``*SETUP`` … ``*END``) followed by a binary part (``BIN_PARA_BEGIN:``) that is not read.
    """
    path = Path(path)
    with path.open("rb") as fh:
        raw = fh.read(_SET_MAX_BYTES)
    if len(raw) < 2:
        raise FormatError(path, f"too short for a B&H .set file ({len(raw)} bytes)")
    revision = int.from_bytes(raw[:2], "little")
    code = (revision >> 4) & 0xFF if (revision & 0xF) >= 12 else None
    text = raw.decode("latin-1")
    setup = _section(text, "*SETUP", ("BIN_PARA_BEGIN", "*END"))
    if not setup:
        raise FormatError(path, "no *SETUP section: not a B&H .set file")
    params, conflicting = {}, set()
    for name, kind, value in _SET_PARAM.findall(setup):
        v = _set_value(kind.upper(), value)
        if name not in params:
            params[name] = v
        elif params[name] != v:
            conflicting.add(name)
    return {
        "path": str(path),
        "revision": revision,
        "module_code": code,
        "module": _SET_MODULES.get(code) if code is not None else None,
        "identification": _identification(_section(text, "*IDENTIFICATION", ("*END",))),
        "parameters": params,
        "conflicting": sorted(conflicting),
    }


def _nanotime_unit_from_set(params: dict, layout: _Layout) -> tuple[float | None, list]:
    """Micro-time bin in seconds, ``SP_TAC_R / (SP_TAC_G * SP_ADC_RE)``, and notes."""
    try:
        tac_r, tac_g, adc_re = (float(params[k]) for k in ("SP_TAC_R", "SP_TAC_G", "SP_ADC_RE"))
    except (KeyError, TypeError, ValueError):
        return None, ["nanotime unit unknown: the .set file lacks numeric SP_TAC_R, SP_TAC_G, SP_ADC_RE"]
    if not (tac_r > 0 and tac_g > 0 and adc_re > 0):
        return None, [f"nanotime unit unknown: .set has SP_TAC_R={tac_r}, SP_TAC_G={tac_g}, SP_ADC_RE={adc_re}"]
    unit = tac_r / (tac_g * adc_re)
    notes = []
    if int(adc_re) != layout.num_bins:
        notes.append(
            f".set SP_ADC_RE={int(adc_re)} but {layout.name} records have {layout.num_bins} ADC channels; "
            f"nanotimes_unit_s assumes {int(adc_re)} channels span SP_TAC_R/SP_TAC_G"
        )
    tc = params.get("SP_TAC_TC")
    if isinstance(tc, float) and tc > 0 and abs(tc - unit) > 1e-3 * unit:
        notes.append(f".set SP_TAC_TC={tc:g} s disagrees with SP_TAC_R/(SP_TAC_G*SP_ADC_RE)={unit:g} s")
    return unit, notes


# ----------------------------------------------------------------------------- layout choice
def _layout_from_name(path: Path, module) -> _Layout:
    """The layout a user-given module name means (case and ``-``/``_``/space insensitive)."""
    key = re.sub(r"[\s_]+", "-", str(module).strip().upper())
    if re.fullmatch(r"SPC-?[18]\d\d[A-Z0-9-]*", key):
        return LAYOUTS["SPC-130"]
    m = re.fullmatch(r"SPC-?6\d0-(256|4096)", key)
    if m:
        return LAYOUTS[f"SPC-600_{m.group(1)}"]
    raise FormatError(
        path,
        f"unknown SPC module {module!r}: use 'SPC-130' (SPC-130/132/134/140/150/160/830), "
        "'SPC-600_256' or 'SPC-600_4096' (SPC-600/630 in 256- or 4096-channel mode)",
    )


def _layout_from_set(path: Path, setinfo: dict, head: bytes) -> _Layout | None:
    """The layout the ``.set`` module type implies; None if it does not say."""
    name = setinfo.get("module")
    if name is None:
        return None
    if re.fullmatch(r"SPC-[18]\d\d[A-Z0-9-]*", name):
        return LAYOUTS["SPC-130"]
    if name in ("SPC-600", "SPC-630"):
        adc = setinfo["parameters"].get("SP_ADC_RE")
        if adc in (256, 4096):
            return LAYOUTS[f"SPC-600_{adc}"]
        if _header_ok_4(head):
            return LAYOUTS["SPC-600_256"]
        return LAYOUTS["SPC-600_4096"] if _header_ok_6(head, strict=False) else None
    raise FormatError(path, f"the .set file names module {name}, whose FIFO record layout is not supported")


def _backward_steps(path: Path, layout: _Layout) -> tuple[int, int]:
    """(backward macrotime steps, photons) when the first records are decoded as ``layout``."""
    recs = np.fromfile(path, dtype=layout.record_dtype, count=_DETECT_RECORDS, offset=layout.record_size)
    ts = _decode_block(layout, recs, _k.new_state()).timestamps
    return int(np.count_nonzero(np.diff(ts) < 0)), int(ts.shape[0])


def _layout_from_content(path: Path, head: bytes) -> tuple[_Layout, dict, list]:
    """Infer the layout from the header record and, for 32-bit records, macrotime monotonicity."""
    if _header_ok_4(head):
        scores = {name: _backward_steps(path, LAYOUTS[name]) for name in ("SPC-130", "SPC-600_256")}
        (b130, n130), (b256, _) = scores["SPC-130"], scores["SPC-600_256"]
        best = "SPC-600_256" if b256 < b130 else "SPC-130"
        notes = []
        if min(b130, b256) > 0 or b130 == b256:
            notes.append(
                f"record layout {best} guessed from the data (no .set file): {b130} backward macrotime "
                f"steps as SPC-130, {b256} as SPC-600_256 in the first {_DETECT_RECORDS} records "
                f"({n130} photons); pass module=... to force"
            )
        detection = {name: {"backward_steps": b, "photons": n} for name, (b, n) in scores.items()}
        return LAYOUTS[best], detection, notes
    if _header_ok_6(head, strict=False):
        return LAYOUTS["SPC-600_4096"], {}, []
    raise FormatError(
        path,
        "first record is not an SPC FIFO header (neither a 32-bit header with the INVALID bit "
        "set and a non-zero macro clock, nor a 48-bit SPC-600/630 header)",
    )


# ----------------------------------------------------------------------------- header record
def _parse_header_record(path: Path, layout: _Layout, head: bytes) -> dict:
    """Fields of the first (header) record of ``layout``; FormatError if it is not a header.

    Notes
    -----
    32-bit header (B&H): bits 0-23 macro clock in 0.1 ns, bits 27-30 number of routing bits,
    bit 31 INVALID; for SPC-130 bit 26 flags raw (diagnostic) data and bit 25 a file with
    markers. B&H's text calls bits 24-26 "reserved" for SPC-600/630, so there the two flags are
    only recorded. 48-bit header: word 0 bit 12 INVALID and bits 8-11 routing bits, word 1 the
    clock in 0.1 ns, word 2 zero.
    """
    if len(head) < layout.record_size:
        raise FormatError(path, f"file is shorter than one {layout.record_size}-byte SPC record")
    if layout.record_size == 4:
        word = int.from_bytes(head[:4], "little")
        clock = word & 0xFFFFFF
        out = {
            "header_record": word,
            "macro_clock_0p1ns": clock,
            "routing_bits": (word >> 27) & 0xF,
            "raw_data_flag": bool((word >> 26) & 1),
            "marker_flag": bool((word >> 25) & 1),
            "invalid_flag": bool(word >> 31),
        }
    else:
        w0, w1, w2 = (int.from_bytes(head[i : i + 2], "little") for i in (0, 2, 4))
        clock = w1
        out = {
            "header_record": (w2 << 32) | (w1 << 16) | w0,
            "macro_clock_0p1ns": clock,
            "routing_bits": (w0 >> 8) & 0xF,
            "invalid_flag": bool(w0 & 0x1000),
        }
    if not out["invalid_flag"]:
        raise FormatError(path, f"first record is not an {layout.name} file header (its INVALID bit is clear)")
    if clock == 0:
        raise FormatError(path, "SPC header record gives a macro-time clock of 0")
    return out


# ----------------------------------------------------------------------------- decoding
def _decode_block(layout: _Layout, records: np.ndarray, state: np.ndarray) -> PhotonChunk:
    """Decode one block of raw records with the layout's numba kernel (``state`` updated)."""
    n = records.shape[0]
    ts = np.empty(n, np.int64)
    det = np.empty(n, np.uint8)
    nt = np.empty(n, np.uint16)
    n_mark = n if layout.has_markers else 0
    mts = np.empty(n_mark, np.int64)
    mbits = np.empty(n_mark, np.uint8)
    p, m = layout.kernel(records, state, ts, det, nt, mts, mbits)
    return PhotonChunk(
        timestamps=ts[:p], detectors=det[:p], nanotimes=nt[:p], marker_timestamps=mts[:m], markers=mbits[:m]
    )


class SPCStream(RecordStream):
    """A Becker & Hickl SPC FIFO file opened for streaming; see :func:`open_stream`."""

    def __init__(self, path, *, module=None, nanotimes_unit_s=None):
        super().__init__(path)
        if nanotimes_unit_s is not None and not float(nanotimes_unit_s) > 0:
            raise ValueError(f"nanotimes_unit_s must be a positive number of seconds, not {nanotimes_unit_s!r}")
        try:
            size = os.path.getsize(self.path)
            with self.path.open("rb") as fh:
                head = fh.read(6)
        except OSError as exc:
            raise FormatError(self.path, f"cannot read file ({exc.strerror or exc})") from None
        notes: list = []
        setinfo = self._read_set(notes)
        layout, source, detection = self._choose_layout(module, setinfo, head, notes)
        fields = _parse_header_record(self.path, layout, head)
        if layout.name == "SPC-130" and fields.get("raw_data_flag"):
            notes.append(
                "header flags raw (diagnostic-mode) data, in which INVALID+MTOV entries may not be "
                "overflow counts; decoded as normal FIFO data"
            )
        n, msgs = records_present(self.path, layout.record_size, layout.record_size, None)
        unit = self._nanotime_unit(nanotimes_unit_s, setinfo, layout, notes)
        self._layout = layout
        self._data_offset = layout.record_size
        self._record_dtype = layout.record_dtype
        self._state = _k.new_state()
        self.header = {
            **fields,
            "layout": layout.name,
            "layout_source": source,
            "layout_detection": detection,
            "file_size": size,
            "set_file": setinfo["path"] if setinfo else None,
            "set_module_code": setinfo["module_code"] if setinfo else None,
            "set_module": setinfo["module"] if setinfo else None,
            "set_identification": setinfo["identification"] if setinfo else {},
            "set_parameters": setinfo["parameters"] if setinfo else {},
        }
        self.info = StreamInfo(
            path=str(self.path),
            format="SPC",
            record_type=layout.name,
            mode="T3",
            timestamps_unit_s=fields["macro_clock_0p1ns"] * 1e-10,
            nanotimes_unit_s=unit,
            sync_rate_hz=None,
            n_records=n,
            n_records_header=None,
            record_type_id=setinfo["module_code"] if setinfo else None,
            tcspc_num_bins=layout.num_bins,
            acquisition_time_s=None,
            warnings=tuple(msgs) + tuple(notes),
        )

    # -- construction helpers
    def _read_set(self, notes: list) -> dict | None:
        set_path = _find_set_file(self.path)
        if set_path is None:
            return None
        try:
            setinfo = read_set_file(set_path)
        except (OSError, FormatError) as exc:
            notes.append(f"ignored the .set file {set_path.name}: {exc}")
            return None
        if setinfo["conflicting"]:
            notes.append(
                f".set parameters {', '.join(setinfo['conflicting'])} differ between modules; using the first values"
            )
        return setinfo

    def _choose_layout(self, module, setinfo, head, notes) -> tuple[_Layout, str, dict]:
        """(layout, where it came from: "user" / "set file" / "content", detection scores)."""
        if module is not None:
            layout = _layout_from_name(self.path, module)
            if setinfo and setinfo["module"]:
                try:
                    implied = _layout_from_set(self.path, setinfo, head)
                except FormatError:  # an unsupported .set module is what forcing is for
                    implied = None
                if implied is not None and implied is not layout:
                    notes.append(f"module={module!r} overrides the .set module {setinfo['module']} ({implied.name})")
            return layout, "user", {}
        if setinfo:
            layout = _layout_from_set(self.path, setinfo, head)
            if layout is not None:
                return layout, "set file", {}
        layout, detection, more = _layout_from_content(self.path, head)
        notes.extend(more)
        return layout, "content", detection

    @staticmethod
    def _nanotime_unit(override, setinfo, layout, notes) -> float | None:
        if setinfo is not None:
            unit, more = _nanotime_unit_from_set(setinfo["parameters"], layout)
            if override is None:
                notes.extend(more)
        else:
            unit = None
            if override is None:
                notes.append(
                    "nanotime unit unknown: no .set file next to the .spc (nanotimes are ADC channels; "
                    "pass nanotimes_unit_s=...)"
                )
        return float(override) if override is not None else unit

    # -- RecordStream interface
    def _new_state(self) -> np.ndarray:
        self._state = _k.new_state()
        return self._state

    def _decode(self, records: np.ndarray, state: np.ndarray) -> PhotonChunk:
        return _decode_block(self._layout, records, state)

    @property
    def decoder_counts(self) -> dict:
        """Record counts of the latest pass of :meth:`chunks` (so far, if it is still running).

        Returns
        -------
        dict
            ``overflow_entries`` (multiple-overflow records), ``invalid_records`` (dropped
            records that were neither photon, marker nor overflow entry) and ``gap_records``
            (records flagged GAP: the FIFO overran and photons before them may be lost).
        """
        s = self._state
        return {"overflow_entries": int(s[1]), "invalid_records": int(s[2]), "gap_records": int(s[3])}


def open_stream(path, *, module=None, nanotimes_unit_s=None, **ignored) -> SPCStream:
    """Open a Becker & Hickl SPC FIFO file for streaming.

    Parameters
    ----------
    path : str or Path
        The ``.spc`` file. A ``.set`` file with the same stem, if present, is read too.
    module : str, optional
        Force the record layout: ``"SPC-130"`` (also accepted: any SPC-1xx/8xx name such as
        ``"SPC-150"``) for the 32-bit records of SPC-130/132/134/140/150/160/830;
        ``"SPC-600_256"`` or ``"SPC-600_4096"`` for SPC-600/630 in 256-channel (32-bit
        records) or 4096-channel (48-bit records) mode. Detected when None.
    nanotimes_unit_s : float, optional
        Micro-time bin in seconds; overrides the value derived from the ``.set`` file.
    **ignored
        Options meant for other readers.

    Returns
    -------
    SPCStream
        ``info.mode`` is ``"T3"``; ``timestamps`` count macro-clock ticks
        (``info.timestamps_unit_s``), ``nanotimes`` are micro-time channels.

    Raises
    ------
    FormatError
        The first record is not an SPC header, the macro clock is 0, the file is shorter
        than one record, the ``.set`` file names an unsupported module, or ``module`` is unknown.

    Notes
    -----
    **Layout detection** (when ``module`` is None), in this order:

    1. The ``.set`` file's module type (bits 4-11 of its first word): SPC-1xx/8xx give
       ``SPC-130``; SPC-600/630 give ``SPC-600_256`` or ``SPC-600_4096`` by ``SP_ADC_RE``
       (256 or 4096), else by the header record as in 3.
    2. Without a ``.set``, a first 32-bit record with the INVALID bit 31 set and a non-zero
       clock means 32-bit records. SPC-130 and SPC-600/630-256 headers cannot be told apart,
       so the first 65,536 records are decoded both ways and the layout with fewer backward
       macrotime steps wins (ties go to ``SPC-130``, with a note in ``info.warnings``). On
       the real files the wrong layout is obvious: ``bh_spc132.spc`` read as SPC-600_256 gives
       3,031 backward steps among the 38,440 photons of its first 65,536 records (0 as
       SPC-130); ``bh_spc630_256ch.spc`` read as SPC-130 gives 31,971 of 64,525 (0 as
       SPC-600_256).
    3. Otherwise a 48-bit SPC-600/630 header (INVALID bit 12 of word 0, clock in word 1)
       means ``SPC-600_4096``.

    **Event model.** The header record is skipped (data start at one record size) and gives
    the macro clock: ``timestamps_unit_s`` = clock × 0.1 ns (bits 0-23, or word 1 of the
    48-bit header). Timestamps are the unwrapped macrotime: each MTOV flag adds one timer
    period (2**12, 2**17, 2**24 ticks) and, in the 32-bit layouts, a multiple-overflow
    entry (INVALID+MTOV) adds its 28-bit count of periods. ``detectors`` are the routing bits as stored (0-based,
    not complemented: B&H's table labels them "inverted", but tttrlib and libtcspc also take
    them as stored, and ``bh_spc132.spc`` matches tttrlib's channels 0, 1, 8, 9).
    ``nanotimes`` are ``4095 - ADC`` (``255 - ADC`` in 256-channel mode), B&H's "real micro
    time": the ADC counts in reversed start-stop, so a photon later after the laser pulse
    gets a larger nanotime. Invalid records are dropped, GAP flags
    are only counted (:attr:`SPCStream.decoder_counts`), and SPC-130 markers go to the
    marker stream with their 4-bit mask (bit 0 pixel, 1 line, 2 frame, 3 user).

    **Nanotime unit.** ``SP_TAC_R / (SP_TAC_G * SP_ADC_RE)`` from the ``.set`` file: the TAC
    range divided by the TAC gain is the recorded time window, spread over ``SP_ADC_RE``
    channels. This is the value SPCM itself writes as ``SP_TAC_TC`` (2.4430455e-12 s in
    ``bh_spc150_test_noise.set``, which the formula reproduces to 7 digits); a disagreement
    is reported in ``info.warnings``. Without a ``.set`` file ``nanotimes_unit_s`` is None
    and ``info.warnings`` says so; nanotimes are still the ADC-derived channels.
    ``sync_rate_hz`` is None: the file does not say whether the macro clock is the SYNC.

    Examples
    --------
    >>> stream = open_stream("measurement.spc")  # doctest: +SKIP
    >>> stream.info.record_type, stream.info.timestamps_unit_s  # doctest: +SKIP
    ('SPC-130', 1.35e-08)
    >>> photons = stream.read()  # or: for chunk in stream.chunks(1 << 20): ...  # doctest: +SKIP
    """
    return SPCStream(path, module=module, nanotimes_unit_s=nanotimes_unit_s)
