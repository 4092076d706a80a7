"""What PTU and the legacy PicoQuant files share: record types and the record decoder.

A PicoQuant file, whatever its header, ends in a flat array of 32-bit records whose layout
is one of four families (:mod:`tttr.io._records`). :class:`PicoQuantStream` decodes them for
both the PTU and the legacy readers, which only differ in how they parse the header.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _records as rec
from .base import RecordStream
from .events import PhotonChunk

__all__ = ["RecordType", "RECORD_TYPES", "RECORD_TYPES_BY_NAME", "PicoQuantStream"]


@dataclass(frozen=True)
class RecordType:
    """One PicoQuant record type: its code, name, layout family and mode."""

    id: int
    name: str
    family: str  # picoharp_t3 | picoharp_t2 | hydraharp_t3 | hydraharp_t2
    mode: str  # T2 | T3
    v1: bool = False  # HydraHarp V1 overflow semantics (one wrap per record, T2 wrap 33 552 000)


RECORD_TYPES = {
    t.id: t
    for t in (
        RecordType(0x00010203, "PicoHarpT2", "picoharp_t2", "T2"),
        RecordType(0x00010303, "PicoHarpT3", "picoharp_t3", "T3"),
        RecordType(0x00010204, "HydraHarpT2", "hydraharp_t2", "T2", v1=True),
        RecordType(0x00010304, "HydraHarpT3", "hydraharp_t3", "T3", v1=True),
        RecordType(0x01010204, "HydraHarp2T2", "hydraharp_t2", "T2"),
        RecordType(0x01010304, "HydraHarp2T3", "hydraharp_t3", "T3"),
        RecordType(0x00010205, "TimeHarp260NT2", "hydraharp_t2", "T2"),
        RecordType(0x00010305, "TimeHarp260NT3", "hydraharp_t3", "T3"),
        RecordType(0x00010206, "TimeHarp260PT2", "hydraharp_t2", "T2"),
        RecordType(0x00010306, "TimeHarp260PT3", "hydraharp_t3", "T3"),
        RecordType(0x00010207, "GenericT2", "hydraharp_t2", "T2"),
        RecordType(0x00010307, "GenericT3", "hydraharp_t3", "T3"),
    )
}
RECORD_TYPES_BY_NAME = {t.name: t for t in RECORD_TYPES.values()}


def decode_records(rtype: RecordType, records: np.ndarray, state: np.ndarray) -> PhotonChunk:
    """Decode one block of raw 32-bit records of type ``rtype`` (state carried in place)."""
    n = records.shape[0]
    records = np.ascontiguousarray(records, dtype=np.uint32)
    ts = np.empty(n, np.int64)
    det = np.empty(n, np.uint8)
    mts = np.empty(n, np.int64)
    mbits = np.empty(n, np.uint8)
    fam = rtype.family
    if fam == "hydraharp_t3":
        nt = np.empty(n, np.uint16)
        p, m = rec.decode_hydraharp_t3(records, rtype.v1, state, ts, det, nt, mts, mbits)
        return PhotonChunk(ts[:p], det[:p], nt[:p], mts[:m], mbits[:m])
    if fam == "picoharp_t3":
        nt = np.empty(n, np.uint16)
        p, m = rec.decode_picoharp_t3(records, state, ts, det, nt, mts, mbits)
        return PhotonChunk(ts[:p], det[:p], nt[:p], mts[:m], mbits[:m])
    if fam == "hydraharp_t2":
        sts = np.empty(n, np.int64)
        p, m, s = rec.decode_hydraharp_t2(records, rtype.v1, state, ts, det, mts, mbits, sts)
        return PhotonChunk(ts[:p], det[:p], None, mts[:m], mbits[:m], sts[:s])
    if fam == "picoharp_t2":
        p, m = rec.decode_picoharp_t2(records, state, ts, det, mts, mbits)
        return PhotonChunk(ts[:p], det[:p], None, mts[:m], mbits[:m])
    raise ValueError(f"unknown record family {fam!r}")


def encode_records(rtype: RecordType, chunk: PhotonChunk, state: np.ndarray) -> np.ndarray:
    """Encode the events of ``chunk`` (photons, markers, T2 sync) as raw records.

    Events are merged in time order; overflow records are inserted as needed and
    ``state[0]`` (the overflow base already written) is carried across calls, so a file
    written chunk by chunk equals one written at once.

    Notes
    -----
    PicoHarp T2 marker records carry the marker bits in the low 4 bits of the time tag, so a
    marker's decoded time has those bits in place of its 4 lowest time bits (format property).
    """
    t3 = rtype.mode == "T3"
    parts_ts = [chunk.timestamps, chunk.marker_timestamps]
    parts_kind = [np.full(len(chunk.timestamps), rec.KIND_PHOTON, np.uint8),
                  np.full(len(chunk.marker_timestamps), rec.KIND_MARKER, np.uint8)]
    parts_chan = [chunk.detectors.astype(np.int64), chunk.markers.astype(np.int64)]
    parts_dt = [chunk.nanotimes.astype(np.int64) if (t3 and chunk.nanotimes is not None)
                else np.zeros(len(chunk.timestamps), np.int64),
                np.zeros(len(chunk.marker_timestamps), np.int64)]
    if not t3 and chunk.sync_timestamps.size:
        parts_ts.append(chunk.sync_timestamps)
        parts_kind.append(np.full(len(chunk.sync_timestamps), rec.KIND_SYNC, np.uint8))
        parts_chan.append(np.zeros(len(chunk.sync_timestamps), np.int64))
        parts_dt.append(np.zeros(len(chunk.sync_timestamps), np.int64))
    ts = np.concatenate(parts_ts).astype(np.int64)
    order = np.argsort(ts, kind="stable")
    ts = np.ascontiguousarray(ts[order])
    kind = np.ascontiguousarray(np.concatenate(parts_kind)[order])
    chan = np.ascontiguousarray(np.concatenate(parts_chan)[order])
    dt = np.ascontiguousarray(np.concatenate(parts_dt)[order])
    if ts.size and ts[0] < state[0]:
        raise ValueError("events must not go back in time across chunks")
    out = np.empty(rec.records_needed(rtype.family, ts, int(state[0]), rtype.v1), np.uint32)
    fam = rtype.family
    if fam == "hydraharp_t3":
        k = rec.encode_hydraharp_t3(ts, kind, chan, dt, rtype.v1, state, out)
    elif fam == "picoharp_t3":
        k = rec.encode_picoharp_t3(ts, kind, chan, dt, state, out)
    elif fam == "hydraharp_t2":
        k = rec.encode_hydraharp_t2(ts, kind, chan, rtype.v1, state, out)
    else:
        k = rec.encode_picoharp_t2(ts, kind, chan, state, out)
    assert k == out.shape[0]
    return out


class PicoQuantStream(RecordStream):
    """Decoder half of every PicoQuant reader; subclasses parse the header.

    Subclasses set ``record_type`` (:class:`RecordType`), ``info``, ``header`` and
    ``_data_offset``.
    """

    record_type: RecordType

    def _new_state(self) -> np.ndarray:
        return rec.new_state()

    def _decode(self, records, state):
        return decode_records(self.record_type, records, state)
