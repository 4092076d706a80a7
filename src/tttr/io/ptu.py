"""PicoQuant unified TTTR files (``.ptu``): tag header, streaming reader and writer.

The header is ``PQTTTR\\0\\0``, an 8-byte version string, then 48-byte tags
``<32s i I 8s>`` (name, index, type code, value) up to ``Header_End``; the 32-bit records
follow. Strings, float arrays and blobs keep their payload after the tag.
"""

from __future__ import annotations

import datetime as _dt
import os
import struct
import warnings
from pathlib import Path

import numpy as np

from ..errors import FormatError, HeaderWarning, TruncatedHeaderError, UnsupportedRecordTypeError
from . import _records as rec
from .atomic import new_temporary, output_errors, place
from ._validate import LIMITS, header_number
from .base import records_present
from .events import PhotonChunk, StreamInfo
from .picoquant import RECORD_TYPES, RECORD_TYPES_BY_NAME, PicoQuantStream, encode_records

__all__ = ["MAGIC", "TagType", "read_ptu_header", "PTUStream", "PTUWriter", "probe", "open_stream"]

MAGIC = b"PQTTTR\0\0"
_TAG = struct.Struct("<32siI8s")


class TagType:
    """PTU tag type codes."""

    Empty8 = 0xFFFF0008
    Bool8 = 0x00000008
    Int8 = 0x10000008
    BitSet64 = 0x11000008
    Color8 = 0x12000008
    Float8 = 0x20000008
    TDateTime = 0x21000008
    Float8Array = 0x2001FFFF
    AnsiString = 0x4001FFFF
    WideString = 0x4002FFFF
    BinaryBlob = 0xFFFFFFFF


_PAYLOAD_TYPES = {TagType.Float8Array, TagType.AnsiString, TagType.WideString, TagType.BinaryBlob}
_KNOWN_TYPES = {v for k, v in vars(TagType).items() if not k.startswith("_")}
#: Tags whose value decides how records are decoded: a duplicate with another value is fatal.
_CRITICAL = {"TTResultFormat_TTTRRecType", "TTResult_NumberOfRecords", "MeasDesc_GlobalResolution",
             "MeasDesc_Resolution", "Measurement_Mode"}
_OLE_EPOCH = _dt.datetime(1899, 12, 30)


def _decode_text(raw: bytes) -> str:
    raw = raw.split(b"\0", 1)[0]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _tag_key(name: str, idx: int) -> str:
    return name if idx == -1 else f"{name}[{idx}]"


def read_ptu_header(path):
    """Parse a PTU tag header.

    Returns
    -------
    tags : dict
        ``name`` (or ``name[index]`` for array tags) → Python value. ``TDateTime`` values
        are kept as float days since 1899-12-30 (the raw OLE date).
    data_offset : int
        Byte offset of the first record.
    version : str
        The file's tag-version string.
    messages : list of str
        Oddities found (duplicate tags with equal values, ...), already warned.

    Raises
    ------
    FormatError
        Bad magic, unknown tag type, a duplicate decode-critical tag with conflicting
        values. :class:`TruncatedHeaderError` if the file ends before ``Header_End``.

    Notes
    -----
    A duplicate tag with the same value is accepted with a warning; a duplicate of a
    non-critical tag with another value keeps the first value and warns; a duplicate of a tag
    that decides the decoding with another value is an error, because either choice could
    silently corrupt every timestamp.
    """
    path = Path(path)
    size = os.path.getsize(path)
    tags: dict = {}
    msgs: list[str] = []
    with open(path, "rb") as fh:
        head = fh.read(16)
        if len(head) < 16 or head[:8] != MAGIC:
            if head[:6] == MAGIC[:6]:
                raise TruncatedHeaderError(path, "header cut short (file ends in the PTU preamble)")
            raise FormatError(path, "not a PTU file (magic 'PQTTTR' missing)")
        version = _decode_text(head[8:16]).strip()
        while True:
            raw = fh.read(_TAG.size)
            if len(raw) < _TAG.size:
                raise TruncatedHeaderError(path, "header cut short: file ends before the 'Header_End' tag")
            name_b, idx, typ, value = _TAG.unpack(raw)
            name = _decode_text(name_b)
            if typ not in _KNOWN_TYPES:
                raise FormatError(path, f"unknown PTU tag type 0x{typ:08X} in tag '{name}'")
            if typ in _PAYLOAD_TYPES:
                nbytes = struct.unpack("<q", value)[0]
                if nbytes < 0 or fh.tell() + nbytes > size:
                    raise TruncatedHeaderError(path, f"header cut short inside the payload of tag '{name}'")
                payload = fh.read(nbytes)
                if typ == TagType.AnsiString:
                    val = _decode_text(payload)
                elif typ == TagType.WideString:
                    val = payload.decode("utf-16-le", errors="replace").split("\0", 1)[0]
                elif typ == TagType.Float8Array:
                    val = np.frombuffer(payload[: nbytes - nbytes % 8], "<f8").copy()
                else:
                    val = payload
            elif typ in (TagType.Int8, TagType.BitSet64, TagType.Color8):
                val = struct.unpack("<q", value)[0]
            elif typ == TagType.Bool8:
                val = struct.unpack("<q", value)[0] != 0
            elif typ in (TagType.Float8, TagType.TDateTime):
                val = struct.unpack("<d", value)[0]
            else:  # Empty8
                val = None
            if name == "Header_End":
                break
            key = _tag_key(name, idx)
            if key in tags:
                old = tags[key]
                same = np.array_equal(old, val) if isinstance(val, np.ndarray) else old == val
                if not same and name in _CRITICAL:
                    raise FormatError(path, f"duplicate header tag '{key}' with conflicting values {old!r} and {val!r}")
                msgs.append(f"duplicate header tag '{key}'" + ("" if same else f" ({val!r}); kept the first value {old!r}"))
                continue
            tags[key] = val
        data_offset = fh.tell()
    for m in msgs:
        warnings.warn(f"{path}: {m}", HeaderWarning, stacklevel=2)
    return tags, data_offset, version, msgs


def ole_datetime(days: float):
    """Convert an OLE ``TDateTime`` (days since 1899-12-30) to ``datetime``; None if implausible."""
    if not isinstance(days, float) or not (0 < days < 2958465):  # up to year 9999
        return None
    return _OLE_EPOCH + _dt.timedelta(days=days)


class PTUStream(PicoQuantStream):
    """A PTU file opened for streaming (all twelve PicoQuant record types).

    Notes
    -----
    * ``timestamps_unit_s`` is ``MeasDesc_GlobalResolution``: the sync period in T3, the time
      tag resolution in T2. ``nanotimes_unit_s`` is ``MeasDesc_Resolution`` in T3.
    * Detectors are 0-based: PicoHarp T3 channels 1..4 become 0..3; PicoHarp T2 channel 0
      (the sync input, which is time-tagged like a detector in PicoHarp T2) stays 0; HydraHarp
      family channels are already 0-based. HydraHarp-family T2 sync events go to
      ``sync_timestamps``, never to the photons.
    * The record count comes from the file size and is checked against
      ``TTResult_NumberOfRecords`` (see :func:`tttr.io.base.records_present`).
    """

    def __init__(self, path):
        super().__init__(path)
        tags, offset, version, msgs = read_ptu_header(self.path)
        self.header = tags
        self._data_offset = offset
        code = tags.get("TTResultFormat_TTTRRecType")
        if code is None:
            raise FormatError(self.path, "PTU header has no 'TTResultFormat_TTTRRecType' tag")
        rtype = RECORD_TYPES.get(int(code))
        if rtype is None:
            raise UnsupportedRecordTypeError(self.path, f"unknown PTU record type 0x{int(code):08X}")
        self.record_type = rtype
        glob = tags.get("MeasDesc_GlobalResolution")
        res = tags.get("MeasDesc_Resolution")
        if glob is None:
            raise FormatError(self.path, "PTU header lacks 'MeasDesc_GlobalResolution'")
        if rtype.mode == "T3" and res is None:
            raise FormatError(self.path, "PTU T3 header lacks 'MeasDesc_Resolution'")
        # the one place PTU header numbers are checked (tttr.io._validate)
        if rtype.mode == "T3":
            glob = header_number(self.path, "MeasDesc_GlobalResolution", glob, *LIMITS["t3_sync_period_s"], "s")
            res = header_number(self.path, "MeasDesc_Resolution", res, *LIMITS["nanotimes_unit_s"], "s")
        else:
            glob = header_number(self.path, "MeasDesc_GlobalResolution", glob, *LIMITS["picoquant_t2_resolution_s"],
                                 "s")
        mode_tag = tags.get("Measurement_Mode")
        if mode_tag not in (None, 2, 3) or (mode_tag is not None and f"T{mode_tag}" != rtype.mode):
            msgs.append(f"Measurement_Mode {mode_tag} disagrees with record type {rtype.name}; trusting the record type")
        n_header = tags.get("TTResult_NumberOfRecords")
        n, more = records_present(self.path, offset, 4, None if n_header is None else int(n_header))
        msgs += more
        sync = tags.get("TTResult_SyncRate")
        if rtype.mode == "T3":
            sync_rate = 1.0 / glob
        else:
            sync_rate = header_number(self.path, "TTResult_SyncRate", sync, *LIMITS["sync_rate_hz"], "Hz") \
                if sync else None
        acq = tags.get("MeasDesc_AcquisitionTime")
        if acq:
            acq = header_number(self.path, "MeasDesc_AcquisitionTime", acq, 0, LIMITS["acquisition_time_s"][1] * 1e3,
                                "ms")
        nbins = None
        if rtype.mode == "T3":
            nbins = header_number(self.path, "MeasDesc_GlobalResolution / MeasDesc_Resolution", round(glob / res),
                                  *LIMITS["tcspc_num_bins"])
            nbins = int(nbins)
        self.info = StreamInfo(
            path=str(self.path), format="PTU", record_type=rtype.name, mode=rtype.mode,
            timestamps_unit_s=float(glob), nanotimes_unit_s=float(res) if rtype.mode == "T3" else None,
            sync_rate_hz=sync_rate, n_records=n,
            n_records_header=None if n_header is None else int(n_header), record_type_id=rtype.id,
            tcspc_num_bins=nbins, acquisition_time_s=(acq * 1e-3) if acq else None,
            warnings=tuple(msgs),
        )
        self.version = version


def probe(path: Path, head: bytes) -> bool:
    """True when the content starts with the PTU magic (or a cut-short prefix of it)."""
    return len(head) >= 6 and head[:6] == MAGIC[:6]


def open_stream(path, **_ignored) -> PTUStream:
    """Open a PTU file for streaming."""
    return PTUStream(path)


# ------------------------------------------------------------------------------- writer
def _pack_tag(name: str, value, typ: int | None = None, idx: int = -1) -> bytes:
    """One PTU tag (with payload). ``typ`` defaults from the Python type of ``value``."""
    if typ is None:
        if isinstance(value, bool):
            typ = TagType.Bool8
        elif isinstance(value, (int, np.integer)):
            typ = TagType.Int8
        elif isinstance(value, (float, np.floating)):
            typ = TagType.Float8
        elif isinstance(value, str):
            typ = TagType.AnsiString
        elif isinstance(value, (bytes, bytearray)):
            typ = TagType.BinaryBlob
        elif isinstance(value, np.ndarray):
            typ = TagType.Float8Array
        elif value is None:
            typ = TagType.Empty8
        else:
            raise TypeError(f"cannot store {type(value).__name__} in a PTU tag")
    payload = b""
    if typ in (TagType.Int8, TagType.BitSet64, TagType.Color8, TagType.Bool8):
        val8 = struct.pack("<q", int(value))
    elif typ in (TagType.Float8, TagType.TDateTime):
        val8 = struct.pack("<d", float(value))
    elif typ == TagType.Empty8:
        val8 = bytes(8)
    else:
        if typ == TagType.AnsiString:
            payload = value.encode("utf-8") + b"\0"
        elif typ == TagType.WideString:
            payload = value.encode("utf-16-le") + b"\0\0"
        elif typ == TagType.Float8Array:
            payload = np.asarray(value, "<f8").tobytes()
        else:
            payload = bytes(value)
        payload += b"\0" * (-len(payload) % 8)
        val8 = struct.pack("<q", len(payload))
    return _TAG.pack(name.encode("ascii"), idx, typ, val8) + payload


def _tttr_version() -> str:
    from .._version import __version__

    return __version__


_HW_TYPE = {"PicoHarp": "PicoHarp", "HydraHar": "HydraHarp", "TimeHarp": "TimeHarp 260", "GenericT": "MultiHarp"}


class PTUWriter:
    """Write photons as a PTU file, chunk by chunk (streaming; bounded memory).

    Parameters
    ----------
    path : str or Path
        Destination. Written to a temporary file beside it and moved into place on
        :meth:`close` (:mod:`tttr.io.atomic`), so an interrupted write leaves nothing at
        ``path``, and a file that appeared meanwhile is not replaced without ``force``.
    record_type : str
        A name of :data:`~tttr.io.picoquant.RECORD_TYPES_BY_NAME`, e.g. ``"HydraHarp2T3"`` or
        ``"GenericT2"``.
    timestamps_unit_s : float
        ``MeasDesc_GlobalResolution``: sync period (T3) or tag resolution (T2).
    nanotimes_unit_s : float, optional
        ``MeasDesc_Resolution`` (T3).
    sync_rate_hz : float, optional
        ``TTResult_SyncRate``.
    extra_tags : list of tuple, optional
        ``(name, value)``, ``(name, value, type_code)`` or ``(name, value, type_code, index)``
        written after the standard tags.
    force : bool
        Overwrite an existing ``path``.

    Notes
    -----
    ``TTResult_NumberOfRecords`` and ``MeasDesc_AcquisitionTime`` (ms; the span up to the
    last event unless ``acquisition_time_s`` is given) are patched in place when the writer
    closes.
    """

    def __init__(self, path, record_type: str, *, timestamps_unit_s: float, nanotimes_unit_s: float | None = None,
                 sync_rate_hz: float | None = None, acquisition_time_s: float | None = None,
                 extra_tags=(), force: bool = False):
        self.path = Path(path)
        if self.path.exists() and not force:
            raise FileExistsError(f"{self.path}: exists; not overwritten (use force)")
        try:
            self.rtype = RECORD_TYPES_BY_NAME[record_type]
        except KeyError:
            raise ValueError(f"unknown record type {record_type!r}; one of {sorted(RECORD_TYPES_BY_NAME)}") from None
        if self.rtype.mode == "T3" and not nanotimes_unit_s:
            raise ValueError("a T3 record type needs nanotimes_unit_s")
        self.state = rec.new_state()
        self.n_records = 0
        self.force = force
        self._fh = None
        with output_errors(self.path):
            self._tmp = new_temporary(self.path)
        self._fh = open(self._tmp, "wb")
        t3 = self.rtype.mode == "T3"
        tags = [
            ("File_GUID", "{00000000-0000-0000-0000-000000000000}"),
            ("File_CreatingTime", (_dt.datetime.now() - _OLE_EPOCH).total_seconds() / 86400.0, TagType.TDateTime),
            ("CreatorSW_Name", "tttr"),
            ("CreatorSW_Version", _tttr_version()),
            ("HW_Type", _HW_TYPE.get(self.rtype.name[:8], "MultiHarp")),
            ("Measurement_Mode", 3 if t3 else 2),
            ("Measurement_SubMode", 0),
            ("TTResultFormat_TTTRRecType", self.rtype.id),
            ("TTResultFormat_BitsPerRecord", 32),
            ("MeasDesc_GlobalResolution", float(timestamps_unit_s)),
            ("MeasDesc_Resolution", float(nanotimes_unit_s if t3 else timestamps_unit_s)),
            ("TTResult_SyncRate", int(round(sync_rate_hz)) if sync_rate_hz else 0),
        ]
        self._acq_ms = None if acquisition_time_s is None else int(round(acquisition_time_s * 1e3))
        self._unit_s = float(timestamps_unit_s)
        self._last_ts = -1
        blob = bytearray(MAGIC + b"1.0.00\0\0")
        for t in list(tags) + list(extra_tags):
            blob += _pack_tag(t[0], t[1], *(t[2:]))
        self._acq_pos = len(blob) + 40  # value field of the next tag
        blob += _pack_tag("MeasDesc_AcquisitionTime", 0)
        self._count_pos = len(blob) + 40
        blob += _pack_tag("TTResult_NumberOfRecords", 0)
        blob += _pack_tag("Header_End", None)
        self._guarded(self._fh.write, blob)

    def _guarded(self, func, *args):
        """Call ``func``; on a disk error discard the temporary file and raise ``OutputError``."""
        try:
            with output_errors(self.path):
                return func(*args)
        except BaseException:
            self.abort()
            raise

    def write(self, chunk: PhotonChunk) -> int:
        """Append the events of ``chunk``; returns the number of records written."""
        if (self.rtype.mode == "T3") != (chunk.nanotimes is not None):
            raise ValueError(f"{self.rtype.name} is {self.rtype.mode} but the chunk is {'T3' if chunk.nanotimes is not None else 'T2'}")
        records = encode_records(self.rtype, chunk, self.state)
        last = chunk.last_timestamp
        if last is not None:
            self._last_ts = max(self._last_ts, last)
        data = memoryview(np.ascontiguousarray(records, dtype="<u4")).cast("B")
        self._guarded(self._fh.write, data)  # not tofile: its short-write error has no errno
        self.n_records += records.shape[0]
        return records.shape[0]

    def close(self) -> Path:
        """Patch the record count, close and move the file into place."""
        if self._fh is None:
            return self.path
        acq = self._acq_ms if self._acq_ms is not None else int(round((self._last_ts + 1) * self._unit_s * 1e3))

        def finish():
            fh = self._fh
            fh.seek(self._count_pos)
            fh.write(struct.pack("<q", self.n_records))
            fh.seek(self._acq_pos)
            fh.write(struct.pack("<q", acq))
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()  # a buffered write that fails here raises too
            self._fh = None

        self._guarded(finish)
        try:
            place(self._tmp, self.path, self.force)
        finally:
            self._tmp.unlink(missing_ok=True)
        return self.path

    def abort(self) -> None:
        """Discard the partial file (also when closing it fails, e.g. on a full disk)."""
        fh, self._fh = self._fh, None
        if fh is not None:
            try:
                fh.close()
            except OSError:
                pass  # the buffered rest could not be written: the file is discarded anyway
            finally:
                self._tmp.unlink(missing_ok=True)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort()
        return False
