"""Converting any time-tag stream to Photon-HDF5 (``tttr convert FILE OUT.h5``)."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Iterable

from ...errors import FormatError
from ..events import PhotonChunk, StreamInfo
from .source_metadata import source_metadata
from .writer import PhotonHDF5Writer, _checked_measurement


def write_photon_hdf5(path, source_stream_or_chunks, info: StreamInfo | None = None, **kw) -> Path:
    """Stream a time-tag file (or chunks) into a new Photon-HDF5 file.

    Parameters
    ----------
    path : str or Path
        Destination (``OUT.h5``).
    source_stream_or_chunks : TTTRStream or iterable of PhotonChunk
        The photons. A stream is read with ``chunks(chunk_size)``.
    info : StreamInfo, optional
        Metadata of the source; default ``source.info``. Gives the units, the T2/T3 mode,
        ``tcspc_num_bins``, the sync rate and the acquisition time.
    **kw
        ``chunk_size`` (photons per chunk read from a stream) and any
        :class:`PhotonHDF5Writer` argument, which overrides what ``info`` gives
        (``provenance`` entries are merged over the defaults).

    Returns
    -------
    Path
        The written file.

    Notes
    -----
    * Defaults taken from ``info``: the detector list is what the data contain
      (``detectors=()``); the laser repetition rate is ``info.sync_rate_hz`` when positive;
      ``/acquisition_duration`` is ``info.acquisition_time_s`` when positive (else the
      timestamp span); ``/provenance`` gets the source's file name, full path and
      modification time; ``/description`` names the source file and its record type.
    * What the source's header states is written too (provenance software, version and
      creation time, author, sample, a comment, declared detectors, the measurement type
      and detector roles, the true duration of a measurement stopped early): see
      :mod:`tttr.io.photon_hdf5.source_metadata`. ``**kw`` overrides it field by field.
    * The source's markers and T2 sync events are kept under ``/user/tttr`` (see
      :class:`PhotonHDF5Writer`).
    """
    chunk_size = kw.pop("chunk_size", None)
    if info is None:
        info = getattr(source_stream_or_chunks, "info", None)
        if info is None:
            raise ValueError("info is required when the source is not a TTTRStream")
    src = Path(info.path)
    if info.is_t3 and info.nanotimes_unit_s is None and kw.get("nanotimes_unit_s") is None:
        raise FormatError(src, "the nanotime unit is not in the file; give nanotimes_unit_s to convert it")
    args = dict(
        timestamps_unit_s=info.timestamps_unit_s,
        nanotimes_unit_s=info.nanotimes_unit_s if info.is_t3 else None,
        tcspc_num_bins=info.tcspc_num_bins if info.is_t3 else None,
        laser_repetition_rate_hz=info.sync_rate_hz if info.sync_rate_hz and info.sync_rate_hz > 0 else None,
        detectors=(),
        description=f"Photons of {src.name} ({info.format} {info.record_type}, {info.mode}) converted by tttr.",
        acquisition_duration_s=(
            info.acquisition_time_s if info.acquisition_time_s and info.acquisition_time_s > 0 else None
        ),
    )
    meta = source_metadata(info, getattr(source_stream_or_chunks, "header", None))
    if meta.get("notes"):
        args["description"] = args["description"][:-1] + "; " + "; ".join(meta["notes"]) + "."
    args["detectors"] = meta.get("detectors", ())
    if meta.get("sync_is_a_detector"):
        args["laser_repetition_rate_hz"] = None
    if meta.get("acquisition_duration_s"):
        args["acquisition_duration_s"] = meta["acquisition_duration_s"]
    args.update(_measurement_args(meta))
    provenance = {"filename": src.name}
    if src.exists():
        provenance["filename_full"] = str(src.resolve())
        mtime = _dt.datetime.fromtimestamp(src.stat().st_mtime)
        provenance["modification_time"] = mtime.strftime("%Y-%m-%d %H:%M:%S")
    provenance.update(meta.get("provenance", {}))
    provenance.update(kw.pop("provenance", None) or {})
    for group in ("identity", "sample", "setup"):
        merged = {**meta.get(group, {}), **(kw.pop(group, None) or {})}
        if merged:
            args[group] = merged
    args.update(kw)
    args["provenance"] = provenance
    if hasattr(source_stream_or_chunks, "chunks"):
        chunks: Iterable[PhotonChunk] = source_stream_or_chunks.chunks(chunk_size)
    else:
        chunks = source_stream_or_chunks
    with PhotonHDF5Writer(path, **args) as writer:
        for chunk in chunks:
            writer.write(chunk)
    return writer.path


def _measurement_args(meta: dict) -> dict:
    """``measurement_type``/``detectors_specs`` writer arguments from the source, when valid.

    Notes
    -----
    A type or channel layout the writer cannot describe falls back to "generic" with the
    roles kept, then to the default layout (every detector a split channel).
    """
    specs = meta.get("detectors_specs")
    for mtype, sp in ((meta.get("measurement_type", "generic"), specs), ("generic", specs)):
        try:
            _checked_measurement(mtype, sp)
        except ValueError:
            continue
        return {"measurement_type": mtype, "detectors_specs": sp}
    return {}
