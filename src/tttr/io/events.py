"""The one event model every reader produces (``docs/formats.md``).

Photons come as three parallel arrays (Photon-HDF5 names): ``timestamps`` (int64,
unwrapped, in units of ``timestamps_unit_s``), ``detectors`` (uint8, 0-based) and, in T3
mode, ``nanotimes`` (uint16, in units of ``nanotimes_unit_s``). Markers and T2 sync events
are kept in streams of their own and never mixed into the photons.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

__all__ = ["PhotonChunk", "PhotonData", "StreamInfo", "concatenate_chunks"]

_EMPTY_I64 = np.empty(0, np.int64)
_EMPTY_U8 = np.empty(0, np.uint8)


@dataclass(frozen=True, eq=False)
class PhotonChunk:
    """A run of consecutive events of one file in the common event model.

    Attributes
    ----------
    timestamps : (n,) int64
        Photon macrotimes, unwrapped, in ticks of ``StreamInfo.timestamps_unit_s``.
    detectors : (n,) uint8
        0-based detector (input channel) of each photon.
    nanotimes : (n,) uint16 or None
        T3 microtimes in ticks of ``StreamInfo.nanotimes_unit_s``; None in T2 mode.
    marker_timestamps : (m,) int64
        Timestamps of marker events (same unit as ``timestamps``).
    markers : (m,) uint8
        Marker bits of each marker event.
    sync_timestamps : (k,) int64
        T2 only: laser sync events recorded as their own stream.
    n_records : int or None
        Records (rows) of the file consumed to make this chunk, photons or not (overflows,
        markers, sync events); None where the reader does not say. Progress bars count these
        against ``StreamInfo.n_records``.
    """

    timestamps: np.ndarray
    detectors: np.ndarray
    nanotimes: np.ndarray | None = None
    marker_timestamps: np.ndarray = field(default_factory=lambda: _EMPTY_I64)
    markers: np.ndarray = field(default_factory=lambda: _EMPTY_U8)
    sync_timestamps: np.ndarray = field(default_factory=lambda: _EMPTY_I64)
    n_records: int | None = None

    def __len__(self) -> int:
        return int(self.timestamps.shape[0])

    def __repr__(self) -> str:
        mode = "T2" if self.nanotimes is None else "T3"
        return (
            f"PhotonChunk({mode}, n_photons={len(self)}, n_markers={self.markers.shape[0]}, "
            f"n_sync={self.sync_timestamps.shape[0]})"
        )

    @property
    def last_timestamp(self) -> int | None:
        """Largest timestamp of any event in the chunk (photon, marker or sync), or None."""
        last = [a[-1] for a in (self.timestamps, self.marker_timestamps, self.sync_timestamps) if a.size]
        return int(max(last)) if last else None


def concatenate_chunks(chunks, t3: bool) -> PhotonChunk:
    """Join chunks into one :class:`PhotonChunk` (the whole-file read)."""
    chunks = list(chunks)

    def cat(name, dtype):
        arrs = [getattr(c, name) for c in chunks]
        return np.concatenate(arrs).astype(dtype, copy=False) if arrs else np.empty(0, dtype)

    return PhotonChunk(
        timestamps=cat("timestamps", np.int64),
        detectors=cat("detectors", np.uint8),
        nanotimes=cat("nanotimes", np.uint16) if t3 else None,
        marker_timestamps=cat("marker_timestamps", np.int64),
        markers=cat("markers", np.uint8),
        sync_timestamps=cat("sync_timestamps", np.int64),
    )


@dataclass(frozen=True)
class StreamInfo:
    """Normalised metadata of a time-tag file, known from its header alone.

    Attributes
    ----------
    path : str
    format : str
        File family: ``"PTU"``, ``"PT3"``, ``"PT2"``, ``"HT3"``, ``"HT2"``, ``"SPC"``,
        ``"FT1040"``, ``"columns"``, ``"Photon-HDF5"``.
    record_type : str
        Human name of the record layout (e.g. ``"HydraHarp2T3"``, ``"SPC-130"``).
    mode : str
        ``"T2"`` or ``"T3"``.
    timestamps_unit_s : float
        Seconds per timestamp tick (the sync period in T3, the tag resolution in T2).
    nanotimes_unit_s : float or None
        Seconds per nanotime tick (T3); None in T2.
    sync_rate_hz : float or None
        Laser repetition rate if known.
    n_records : int
        Number of whole records (or rows) present in the file.
    n_records_header : int or None
        The count the header claims, if it states one.
    record_type_id : int or None
        The vendor's numeric record-type code, if any.
    tcspc_num_bins : int or None
        Number of nanotime bins in one period (T3), if known.
    acquisition_time_s : float or None
        Acquisition time the header states, if any.
    warnings : tuple of str
        Oddities found while reading the header.

    Notes
    -----
    Every number is checked against what a time-tagger can produce when the object is
    built (:func:`tttr.io._validate.check_stream_info`): a FormatError naming the file.
    """

    path: str
    format: str
    record_type: str
    mode: str
    timestamps_unit_s: float
    nanotimes_unit_s: float | None
    sync_rate_hz: float | None
    n_records: int
    n_records_header: int | None = None
    record_type_id: int | None = None
    tcspc_num_bins: int | None = None
    acquisition_time_s: float | None = None
    warnings: tuple = ()

    def __post_init__(self):
        from ._validate import check_stream_info

        check_stream_info(self)

    @property
    def is_t3(self) -> bool:
        return self.mode == "T3"

    def to_dict(self) -> dict:
        """JSON-safe dictionary of the metadata."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["warnings"] = list(self.warnings)
        return out


@dataclass(frozen=True, eq=False, repr=False)
class PhotonData(PhotonChunk):
    """All the events of a file (what :func:`tttr.read` returns), with its metadata.

    Attributes
    ----------
    info : StreamInfo
        The file's normalised metadata (units, mode, record type, ...).
    """

    info: StreamInfo | None = None

    def __repr__(self) -> str:
        base = PhotonChunk.__repr__(self).replace("PhotonChunk(", "PhotonData(", 1)
        return base if self.info is None else base[:-1] + f", format={self.info.format!r}, record_type={self.info.record_type!r})"
