"""What ``tttr info`` reports: header metadata plus counts from one streaming pass."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from . import defaults
from .io import open as open_stream

__all__ = ["FileSummary", "file_summary"]


@dataclass(frozen=True)
class FileSummary:
    """Header metadata and event counts of one time-tag file.

    Attributes
    ----------
    path, format, record_type, mode : str
    n_records : int
        Whole records (rows) decoded.
    n_photons : int
    photons_per_detector : dict
        0-based detector number (as a string, for JSON) → photon count.
    timestamps_unit_s, nanotimes_unit_s, sync_rate_hz : float or None
    duration_s : float
        Time of the last event of any kind (photon, marker, sync) after the start of the
        measurement (timestamp 0).
    count_rate_cps : float or None
        ``n_photons / duration_s``.
    n_markers, n_sync : int
    acquisition_time_s : float or None
        As stated by the header.
    warnings : list of str
    """

    path: str
    format: str
    record_type: str
    mode: str
    n_records: int
    n_photons: int
    photons_per_detector: dict
    timestamps_unit_s: float
    nanotimes_unit_s: float | None
    sync_rate_hz: float | None
    duration_s: float
    count_rate_cps: float | None
    n_markers: int
    n_sync: int
    acquisition_time_s: float | None
    tcspc_num_bins: int | None = None
    warnings: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def file_summary(path, *, chunk_records: int | None = None, progress=None, **options) -> FileSummary:
    """Summarise a file in one streaming pass (memory bounded by the chunk size).

    Parameters
    ----------
    path : str or Path
    chunk_records : int, optional
        Records per chunk (default :data:`tttr.defaults.CHUNK_RECORDS`).
    progress : callable, optional
        Called with the number of records of each chunk (e.g. a progress bar's ``update``).
    **options
        Passed to the reader (units of columnar files, ...).

    Notes
    -----
    Warnings the reader issues (truncation, odd headers) are caught and listed in the
    summary rather than printed, so that ``--json`` output stays one object.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        stream = open_stream(path, **options)
        info = stream.info
        counts = np.zeros(256, np.int64)
        n_markers = n_sync = 0
        last = -1
        max_nt = -1
        for chunk in stream.chunks(chunk_records or defaults.CHUNK_RECORDS):
            if len(chunk):
                counts += np.bincount(chunk.detectors, minlength=256)
                if chunk.nanotimes is not None:
                    max_nt = max(max_nt, int(chunk.nanotimes.max()))
            n_markers += chunk.markers.shape[0]
            n_sync += chunk.sync_timestamps.shape[0]
            lt = chunk.last_timestamp
            if lt is not None:
                last = max(last, lt)
            if progress is not None:
                progress(len(chunk) if chunk.n_records is None else chunk.n_records)
    msgs = list(info.warnings)
    for w in caught:
        text = str(w.message)
        text = text.split(": ", 1)[1] if text.startswith(str(path)) else text
        if text not in msgs:
            msgs.append(text)
    n_photons = int(counts.sum())
    duration = (last + 1) * info.timestamps_unit_s if last >= 0 else 0.0
    nbins = info.tcspc_num_bins
    if nbins is not None and max_nt >= nbins:
        msgs.append(f"nanotimes reach bin {max_nt}, beyond the nominal {nbins} bins per period")
    return FileSummary(
        path=str(path), format=info.format, record_type=info.record_type, mode=info.mode,
        n_records=info.n_records, n_photons=n_photons,
        photons_per_detector={str(d): int(c) for d, c in enumerate(counts) if c},
        timestamps_unit_s=info.timestamps_unit_s, nanotimes_unit_s=info.nanotimes_unit_s,
        sync_rate_hz=info.sync_rate_hz, duration_s=float(duration),
        count_rate_cps=(n_photons / duration) if duration > 0 else None,
        n_markers=int(n_markers), n_sync=int(n_sync), acquisition_time_s=info.acquisition_time_s,
        tcspc_num_bins=nbins, warnings=msgs,
    )
