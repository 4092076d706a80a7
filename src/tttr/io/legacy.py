"""Legacy PicoQuant files: ``.pt3``/``.pt2`` (PicoHarp 300) and ``.ht3``/``.ht2`` (HydraHarp).

These have a fixed binary header (an ASCII identifier, a format version, a hardware block
and a TTTR block) followed by the same 32-bit records as PTU. Only the fields needed to
decode and describe the records are interpreted; the rest are kept in ``header``.

Header layouts (little-endian; offsets in bytes; checked on the real files of
``shared/data/real``, whose header sizes 728, 800 and 880 bytes they reproduce):

PicoHarp 300 (format version 2.0), one board::

    0 Ident[16] 16 FormatVersion[6] 22 CreatorName[18] 40 CreatorVersion[12] 52 FileTime[18]
    70 CRLF[2] 72 Comment[256] 328 Curves, BitsPerRecord, RoutingChannels, NumberOfBoards,
    ActiveCurve, MeasurementMode, SubMode, RangeNo, Offset, Tacq(ms), StopAt, StopOnOvfl,
    Restart, DispLinLog, DispTimeFrom, DispTimeTo, DispCountFrom, DispCountTo (int32 each),
    400 DispCurves[8]x(MapTo, Show), 464 Params[3]x(Start, Step, End: float32), 500 RepeatMode,
    RepeatsPerCurve, RepeatTime, RepeatWaitTime, 516 ScriptName[20];
    per board (96 + 60 bytes): 536 HardwareIdent[16], HardwareVersion[8], HardwareSerial,
    SyncDivider, CFDZeroCross0, CFDLevel0, CFDZeroCross1, CFDLevel1, Resolution (float32, ns),
    RouterModelCode, RouterEnabled, 4 x (InputType, InputLevel, InputEdge, CFDPresent, CFDLevel,
    CFDZeroCross); then ExtDevices, Reserved1, Reserved2, CntRate0 (sync rate), CntRate1,
    StopAfter, StopReason, Records, ImgHdrSize, ImgHdr[ImgHdrSize] (int32 each).

HydraHarp (format versions 1.0 and 2.0)::

    0..328 as above; 328 NumberOfCurves, BitsPerRecord, ActiveCurve, MeasurementMode, SubMode,
    Binning, 352 Resolution (float64, ps), 360 Offset, Tacq(ms), StopAt, StopOnOvfl, Restart,
    DispLinLog, DispTimeFrom, DispTimeTo, DispCountFrom, DispCountTo, 400 DispCurves, 464 Params,
    500 RepeatMode .. 516 ScriptName[20], 536 HardwareIdent[16], 552 HardwarePartNo[8],
    560 HardwareSerial, 564 nModulesPresent, 568 ModuleInfo[10]x(ModelCode, VersionCode),
    648 BaseResolution (float64, ps), 656 InputsEnabled (int64), 664 InpChansPresent,
    RefClockSource, ExtDevices, MarkerSettings, SyncDivider, SyncCFDLevel, SyncCFDZeroCross,
    SyncOffset, 696 per input (ModuleIdx, CFDLevel, CFDZeroCross, Offset), then per input
    InputRate, then SyncRate, StopAfter, StopReason, ImgHdrSize, nRecords (int64), ImgHdr.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np

from ..errors import FormatError, TruncatedHeaderError, UnsupportedRecordTypeError
from ._validate import LIMITS, header_number
from .base import records_present
from .events import StreamInfo
from .picoquant import RECORD_TYPES_BY_NAME, PicoQuantStream

__all__ = ["LegacyStream", "probe", "open_stream", "read_legacy_header"]

_IDENTS = {b"PicoHarp 300": "PicoHarp", b"HydraHarp": "HydraHarp"}


def _text(b: bytes) -> str:
    return b.split(b"\0", 1)[0].decode("latin-1").strip()


def _need(path, buf: bytes, end: int, what: str):
    if len(buf) < end:
        raise TruncatedHeaderError(path, f"header cut short: file ends before the {what} ({end} bytes needed)")


def _common(buf: bytes) -> dict:
    return {
        "Ident": _text(buf[0:16]),
        "FormatVersion": _text(buf[16:22]),
        "CreatorName": _text(buf[22:40]),
        "CreatorVersion": _text(buf[40:52]),
        "FileTime": _text(buf[52:70]),
        "Comment": _text(buf[72:328]),
    }


def _picoharp_header(path, buf: bytes) -> tuple[dict, int]:
    _need(path, buf, 536, "PicoHarp measurement block")
    h = _common(buf)
    (h["Curves"], h["BitsPerRecord"], h["RoutingChannels"], h["NumberOfBoards"], h["ActiveCurve"],
     h["MeasurementMode"], h["SubMode"], h["RangeNo"], h["Offset"], h["Tacq"]) = struct.unpack_from("<10i", buf, 328)
    nboards = h["NumberOfBoards"]
    if not 1 <= nboards <= 4:
        raise FormatError(path, f"implausible PicoHarp header: NumberOfBoards = {nboards}")
    board = 536
    _need(path, buf, board + 156 * nboards + 36, "PicoHarp board and TTTR blocks")
    h["HardwareIdent"] = _text(buf[board:board + 16])
    h["HardwareVersion"] = _text(buf[board + 16:board + 24])
    h["HardwareSerial"], h["SyncDivider"] = struct.unpack_from("<2i", buf, board + 24)
    # float32 in the file: keep its shortest decimal form (0.016, not 0.01600000076)
    h["Resolution_ns"] = float(str(np.float32(struct.unpack_from("<f", buf, board + 48)[0])))
    t = board + 156 * nboards
    (h["ExtDevices"], _r1, _r2, h["CntRate0"], h["CntRate1"], h["StopAfter"], h["StopReason"],
     h["Records"], h["ImgHdrSize"]) = struct.unpack_from("<9i", buf, t)
    return h, t + 36 + 4 * h["ImgHdrSize"]


def _hydraharp_header(path, buf: bytes) -> tuple[dict, int]:
    _need(path, buf, 696, "HydraHarp hardware block")
    h = _common(buf)
    (h["NumberOfCurves"], h["BitsPerRecord"], h["ActiveCurve"], h["MeasurementMode"], h["SubMode"],
     h["Binning"]) = struct.unpack_from("<6i", buf, 328)
    h["Resolution_ps"] = struct.unpack_from("<d", buf, 352)[0]
    h["Offset"], h["Tacq"] = struct.unpack_from("<2i", buf, 360)
    h["HardwareIdent"] = _text(buf[536:552])
    h["HardwarePartNo"] = _text(buf[552:560])
    h["HardwareSerial"], h["nModulesPresent"] = struct.unpack_from("<2i", buf, 560)
    h["BaseResolution_ps"] = struct.unpack_from("<d", buf, 648)[0]
    h["InputsEnabled"] = struct.unpack_from("<q", buf, 656)[0]
    (h["InpChansPresent"], h["RefClockSource"], h["ExtDevices"], h["MarkerSettings"], h["SyncDivider"],
     h["SyncCFDLevel"], h["SyncCFDZeroCross"], h["SyncOffset"]) = struct.unpack_from("<8i", buf, 664)
    nch = h["InpChansPresent"]
    if not 1 <= nch <= 64:
        raise FormatError(path, f"implausible HydraHarp header: InpChansPresent = {nch}")
    t = 696 + 20 * nch
    _need(path, buf, t + 24, "HydraHarp TTTR block")
    h["InputRate"] = list(struct.unpack_from(f"<{nch}i", buf, 696 + 16 * nch))
    h["SyncRate"], h["StopAfter"], h["StopReason"], h["ImgHdrSize"] = struct.unpack_from("<4i", buf, t)
    h["nRecords"] = struct.unpack_from("<q", buf, t + 16)[0]
    return h, t + 24 + 4 * h["ImgHdrSize"]


def read_legacy_header(path):
    """Parse a legacy PicoQuant header.

    Returns
    -------
    header : dict
        The interpreted fields (names as in PicoQuant's demo documentation).
    data_offset : int
        Byte offset of the first record.
    family : str
        ``"PicoHarp"`` or ``"HydraHarp"``.
    """
    path = Path(path)
    with open(path, "rb") as fh:
        buf = fh.read(64 * 1024)
    family = _IDENTS.get(buf[:16].split(b"\0", 1)[0].strip())
    if family is None:
        raise FormatError(path, "not a legacy PicoQuant file (identifier 'PicoHarp 300' or 'HydraHarp' missing)")
    header, offset = (_picoharp_header if family == "PicoHarp" else _hydraharp_header)(path, buf)
    if offset > os.path.getsize(path):
        raise TruncatedHeaderError(path, "header cut short: file ends inside the image header")
    if header["MeasurementMode"] not in (2, 3):
        raise FormatError(path, f"unsupported measurement mode {header['MeasurementMode']} (only T2 = 2 and T3 = 3 hold time tags)")
    return header, offset, family


class LegacyStream(PicoQuantStream):
    """A legacy ``.pt3/.pt2/.ht3/.ht2`` file opened for streaming.

    Notes
    -----
    * Record layout: PicoHarp files use the PicoHarp T2/T3 layout; HydraHarp files of format
      version 1.x the HydraHarp V1 layout (one wrap per overflow record, T2 wrap
      33 552 000), version 2.x the V2 layout (overflow records carry a wrap count).
    * T3 timestamps are in sync periods, ``timestamps_unit_s = 1 / SyncRate`` (PicoHarp:
      ``CntRate0``); nanotimes in units of the header resolution (HydraHarp ``Resolution``
      in ps, PicoHarp board ``Resolution`` in ns).
    * T2 time tags: HydraHarp ticks are ``BaseResolution`` (1 ps); the header's
      ``Resolution`` field is not the tag unit (it reads 0.5 in a real v1.0 ``.ht2``).
      PicoHarp T2 ticks are the board resolution (4 ps).
    * Detectors are 0-based: PicoHarp T3 channels 1..4 become 0..3.
    """

    def __init__(self, path):
        super().__init__(path)
        h, offset, family = read_legacy_header(self.path)
        self.header = h
        self._data_offset = offset
        mode = "T3" if h["MeasurementMode"] == 3 else "T2"
        version = h["FormatVersion"]
        if family == "PicoHarp":
            if not version.startswith("2."):
                raise UnsupportedRecordTypeError(self.path, f"PicoHarp format version {version!r} not supported (2.0 only)")
            rtype = RECORD_TYPES_BY_NAME[f"PicoHarp{mode}"]
            fmt = "PT3" if mode == "T3" else "PT2"
            sync = float(h["CntRate0"]) or None
            res = h["Resolution_ns"] * 1e-9
            n_header = h["Records"]
        else:
            if version.startswith("1."):
                rtype = RECORD_TYPES_BY_NAME[f"HydraHarp{mode}"]
            elif version.startswith("2."):
                rtype = RECORD_TYPES_BY_NAME[f"HydraHarp2{mode}"]
            else:
                raise UnsupportedRecordTypeError(self.path, f"HydraHarp format version {version!r} not supported (1.x, 2.x)")
            fmt = "HT3" if mode == "T3" else "HT2"
            sync = float(h["SyncRate"]) or None
            res = (h["Resolution_ps"] if mode == "T3" else h["BaseResolution_ps"] or 1.0) * 1e-12
            n_header = h["nRecords"]
        self.record_type = rtype
        # the one place legacy header numbers are checked (tttr.io._validate)
        sync_field = "CntRate0" if family == "PicoHarp" else "SyncRate"
        res_field = "Resolution" if (family == "PicoHarp" or mode == "T3") else "BaseResolution"
        if mode == "T3":
            if not sync:
                raise FormatError(self.path, f"T3 header field {sync_field} is 0; the sync period is unknown")
            sync = header_number(self.path, sync_field, sync, *LIMITS["sync_rate_hz"], "Hz")
            res = header_number(self.path, res_field, res, *LIMITS["nanotimes_unit_s"], "s")
            ts_unit, nt_unit = 1.0 / sync, res
            header_number(self.path, f"sync period (1/{sync_field})", ts_unit, *LIMITS["t3_sync_period_s"], "s")
            nbins = int(header_number(self.path, f"1/{sync_field} / {res_field}", round(ts_unit / nt_unit),
                                      *LIMITS["tcspc_num_bins"]))
        else:
            if sync:
                sync = header_number(self.path, sync_field, sync, *LIMITS["sync_rate_hz"], "Hz")
            res = header_number(self.path, res_field, res, *LIMITS["picoquant_t2_resolution_s"], "s")
            ts_unit, nt_unit, nbins = res, None, None
        if ts_unit <= 0:
            raise FormatError(self.path, "header resolution is not positive")
        n, msgs = records_present(self.path, offset, 4, int(n_header))
        tacq = h.get("Tacq")
        self.info = StreamInfo(
            path=str(self.path), format=fmt, record_type=rtype.name, mode=mode,
            timestamps_unit_s=ts_unit, nanotimes_unit_s=nt_unit, sync_rate_hz=sync, n_records=n,
            n_records_header=int(n_header), record_type_id=rtype.id, tcspc_num_bins=nbins,
            acquisition_time_s=tacq * 1e-3 if tacq else None, warnings=tuple(msgs),
        )


def probe(path: Path, head: bytes) -> bool:
    """True when the file starts with a PicoHarp 300 or HydraHarp legacy identifier."""
    return head[:16].split(b"\0", 1)[0].strip() in _IDENTS


def open_stream(path, **_ignored) -> LegacyStream:
    """Open a legacy PicoQuant file for streaming."""
    return LegacyStream(path)
