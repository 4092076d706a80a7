"""Reading Photon-HDF5: the probe, :class:`PhotonHDF5Stream` and :func:`open_stream`.

h5py is imported lazily: probing a non-HDF5 file never pays for it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import numpy as np

from ... import defaults
from ...errors import FormatError
from ..base import TTTRStream
from ..events import PhotonChunk, StreamInfo

#: The 8-byte HDF5 superblock signature.
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"

#: Photons read from the file per HDF5 access when streaming; small requested chunk sizes
#: are cut from blocks of this size (see :meth:`PhotonHDF5Stream.chunks`).
READ_BLOCK = 1 << 16

#: Arrays up to this many elements are copied into ``header`` (as lists).
HEADER_MAX_ARRAY = 256

_PHOTON_DATA_RE = re.compile(r"^photon_data(\d*)$")


def _h5py():
    import h5py  # noqa: PLC0415 - lazy on purpose (see module docstring)

    return h5py


# --------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------


def _has_signature(path: Path, head: bytes) -> bool:
    """HDF5 signature at byte 0 or at a user-block boundary (512, 1024, 2048, ...)."""
    size = path.stat().st_size
    offset = 0
    with path.open("rb") as fh:
        while offset + len(HDF5_SIGNATURE) <= size:
            if offset + len(HDF5_SIGNATURE) <= len(head):
                sig = head[offset : offset + len(HDF5_SIGNATURE)]
            else:
                fh.seek(offset)
                sig = fh.read(len(HDF5_SIGNATURE))
            if sig == HDF5_SIGNATURE:
                return True
            offset = 512 if offset == 0 else offset * 2
    return False


def _photon_data_names(h5file) -> list[str]:
    """Names of the root's ``photon_data`` / ``photon_dataN`` groups."""
    h5py = _h5py()
    out = []
    for name in h5file.keys():
        if _PHOTON_DATA_RE.fullmatch(name) and h5file.get(name, getclass=True) is h5py.Group:
            out.append(name)
    return out


def probe(path, head: bytes) -> bool:
    """Does ``path`` hold a Photon-HDF5 file?

    Parameters
    ----------
    path : pathlib.Path
        The candidate file.
    head : bytes
        Its first bytes (as read by :mod:`tttr.io.sniff`).

    Returns
    -------
    bool
        True if the file carries the HDF5 signature and a ``/photon_data`` group (or
        ``/photon_dataN`` groups of a multispot file). Never raises.

    Notes
    -----
    HDF5 allows a user block before the superblock, so the signature is looked for at
    byte 0 and then at 512, 1024, 2048, ... (the only places the HDF5 specification
    allows). Only when it is found is the file opened with h5py to look for the group.
    """
    try:
        p = Path(path)
        if not p.is_file() or not _has_signature(p, head or b""):
            return False
        with _h5py().File(p, "r") as f:
            return bool(_photon_data_names(f))
    except Exception:  # noqa: BLE001 - a probe answers, it does not raise
        return False


def _decode(value):
    """A stored HDF5 value as a plain Python value (bytes decoded as UTF-8)."""
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return _decode(value[()])
        if value.dtype.kind in "SO":
            return [_decode(v) for v in value.ravel().tolist()]
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _collect_header(h5file, group_name: str, prefix: str, out: dict) -> None:
    """Copy the scalar (and small array) fields of a group, recursively, into ``out``."""
    h5py = _h5py()
    if group_name not in h5file or not isinstance(h5file[group_name], h5py.Group):
        return
    for name, node in h5file[group_name].items():
        key = f"{prefix}{name}"
        if isinstance(node, h5py.Group):
            _collect_header(h5file, f"{group_name}/{name}", f"{key}/", out)
        elif isinstance(node, h5py.Dataset) and (node.ndim == 0 or node.size <= HEADER_MAX_ARRAY):
            try:
                out[key] = _decode(node[()])
            except Exception:  # noqa: BLE001 - an unreadable odd field is not worth failing on
                continue


def _scalar(group, name):
    """Value of the scalar dataset ``group[name]`` or None when absent."""
    if group is None or name not in group:
        return None
    node = group[name]
    if not isinstance(node, _h5py().Dataset):
        return None
    value = node[()]
    if isinstance(value, np.ndarray):
        if value.size != 1:
            return None
        value = value.ravel()[0]
    return _decode(value)


def _uniform(group, name):
    """The common value of a per-detector array ``group[name]``, or None."""
    if group is None or name not in group:
        return None
    arr = np.asarray(group[name][()]).ravel()
    if arr.size == 0 or not np.all(arr == arr[0]):
        return None
    return arr[0].item()


def _subgroup(parent, name: str):
    """``parent[name]`` when it is a group, else None (also for a None parent)."""
    if parent is None:
        return None
    node = parent.get(name)
    return node if isinstance(node, _h5py().Group) else None


def _laser_rate(meas, setup) -> float | None:
    """The laser repetition rate in Hz, or None.

    Notes
    -----
    ``measurement_specs/laser_repetition_rate``, else the first non-zero
    ``/setup/laser_repetition_rates``; a value that is not positive counts as absent.
    """
    rate = _scalar(meas, "laser_repetition_rate")
    if rate is None and setup is not None and "laser_repetition_rates" in setup:
        rates = np.asarray(setup["laser_repetition_rates"][()], dtype=float).ravel()
        rates = rates[rates > 0]
        rate = float(rates[0]) if rates.size else None
    return float(rate) if rate is not None and float(rate) > 0 else None


def _flat_header(f, group: str) -> dict:
    """The flat ``"group/field"`` header of :class:`PhotonHDF5Stream` (see its Attributes)."""
    header: dict = {}
    for name in ("format_name", "format_version", "description", "acquisition_duration"):
        value = _scalar(f, name)
        if value is not None:
            header[name] = value
    for name in ("identity", "setup", "provenance", "sample"):
        _collect_header(f, name, f"{name}/", header)
    _collect_header(f, f"{group}/measurement_specs", "measurement_specs/", header)
    return header


class PhotonHDF5Stream(TTTRStream):
    """A Photon-HDF5 file opened for streaming.

    Parameters
    ----------
    path : str or Path
        The file.
    spot : int, optional
        Which spot of a multispot file to read (``/photon_data<spot>``). With the default
        0, a single-spot file's ``/photon_data`` is read.

    Attributes
    ----------
    info : StreamInfo
        ``format="Photon-HDF5"``, ``record_type`` = ``measurement_type``, ``mode`` T3 when
        ``nanotimes`` are present (T2 otherwise), units, laser repetition rate,
        ``tcspc_num_bins``, ``acquisition_time_s`` = ``/acquisition_duration``.
    header : dict
        Flat ``"group/field"`` keys: every scalar (and every array of at most
        :data:`HEADER_MAX_ARRAY` elements, as a list) of ``/identity``, ``/setup``,
        ``/provenance``, ``/sample`` and the chosen ``photon_data``'s
        ``measurement_specs``, plus the root ``description``, ``acquisition_duration``,
        ``format_name`` and ``format_version``. Byte strings are decoded as UTF-8.

    Raises
    ------
    FormatError
        Not an HDF5 file, no such ``photon_data`` group, or a mandatory field
        (``timestamps``, ``timestamps_specs/timestamps_unit``, the nanotimes unit when
        nanotimes are present) missing or inconsistent.

    Notes
    -----
    * Detectors are returned as stored (Photon-HDF5 ids are the 0-based ids of the event
      model); stored types wider than uint8 are accepted when the values fit. A file
      without a ``detectors`` array (allowed for one-detector ``generic`` data) reads as
      detector 0 everywhere.
    * The nanotime unit is ``nanotimes_specs/tcspc_unit``; a file that instead gives
      ``/setup/detectors/tcspc_units`` (one value per detector) is accepted when all
      detectors share one unit.
    * The laser repetition rate is ``measurement_specs/laser_repetition_rate``, else the
      first non-zero ``/setup/laser_repetition_rates``.
    * Photon-HDF5 photon arrays hold photons only. Markers and T2 sync events that
      :class:`~tttr.io.photon_hdf5.writer.PhotonHDF5Writer` kept under
      ``/user/tttr/markers`` and ``/user/tttr/sync`` are read back into the chunks (each
      chunk carries the events up to its last photon, the last chunk the rest), when their
      ``timestamps_unit`` is that of the photons; other files give chunks without them.
    """

    def __init__(self, path, *, spot: int = 0):
        super().__init__(path)
        h5py = _h5py()
        self.spot = int(spot)
        try:
            f = h5py.File(self.path, "r")
        except OSError as exc:
            raise FormatError(self.path, f"cannot be opened as HDF5 ({_one_line(exc)})") from None
        with f:
            self._parse(f)

    # -- header -------------------------------------------------------------------------

    def _parse(self, f) -> None:
        """Read the header of ``f`` into ``self.info`` and ``self.header``.

        Notes
        -----
        Named steps, in order: the photon_data group of the spot, its photon arrays, the
        timestamp unit, the nanotime unit and bin count (T3 only), the measurement type
        and laser rate, the flat header.
        """
        group = self._photon_data_group(f)
        self._group = group
        pd = f[group]
        where = f"/{group}"
        ts, det, nt = self._photon_arrays(pd, where)
        n = int(ts.shape[0])
        self._has_detectors = det is not None
        self._has_nanotimes = nt is not None
        self._dtypes = {
            "timestamps": ts.dtype,
            "detectors": det.dtype if det is not None else None,
            "nanotimes": nt.dtype if nt is not None else None,
        }
        ts_unit = self._timestamps_unit(pd, where)
        setup = _subgroup(f, "setup")
        nt_unit, num_bins = self._nanotime_specs(pd, setup, where) if self._has_nanotimes else (None, None)
        meas = _subgroup(pd, "measurement_specs")
        meas_type = _scalar(meas, "measurement_type")
        info_warnings = []
        if meas_type is None:
            meas_type = "unspecified"
            info_warnings.append(f"{where}/measurement_specs/measurement_type is missing")
        duration = _scalar(f, "acquisition_duration")
        duration = float(duration) if isinstance(duration, (int, float)) else None
        self.header = _flat_header(f, group)
        self.info = StreamInfo(
            path=str(self.path),
            format="Photon-HDF5",
            record_type=str(meas_type),
            mode="T3" if self._has_nanotimes else "T2",
            timestamps_unit_s=ts_unit,
            nanotimes_unit_s=nt_unit,
            sync_rate_hz=_laser_rate(meas, setup),
            n_records=n,
            n_records_header=None,
            record_type_id=None,
            tcspc_num_bins=num_bins,
            acquisition_time_s=duration,
            warnings=tuple(info_warnings),
        )

    def _photon_data_group(self, f) -> str:
        """Name of the photon_data group of ``self.spot`` (a FormatError if absent)."""
        names = _photon_data_names(f)
        if not names:
            raise FormatError(self.path, "HDF5 file without a /photon_data group: not Photon-HDF5")
        if self.spot == 0 and "photon_data" in names:
            return "photon_data"
        if f"photon_data{self.spot}" in names:
            return f"photon_data{self.spot}"
        raise FormatError(
            self.path, f"no photon data for spot {self.spot} (groups present: {', '.join(sorted(names))})"
        )

    def _photon_arrays(self, pd, where: str):
        """The timestamps, detectors and nanotimes datasets (the last two may be None)."""
        h5py = _h5py()

        def dataset(name, required):
            if name not in pd:
                if required:
                    raise FormatError(self.path, f"{where}/{name} is missing")
                return None
            node = pd[name]
            if not isinstance(node, h5py.Dataset) or node.ndim != 1:
                raise FormatError(self.path, f"{where}/{name} is not a 1-D array")
            if node.dtype.kind not in "iu":
                raise FormatError(self.path, f"{where}/{name} has non-integer type {node.dtype}")
            return node

        ts = dataset("timestamps", True)
        det = dataset("detectors", False)
        nt = dataset("nanotimes", False)
        n = int(ts.shape[0])
        for name, node in (("detectors", det), ("nanotimes", nt)):
            if node is not None and node.shape[0] != n:
                raise FormatError(self.path, f"{where}/{name} has {node.shape[0]} elements, timestamps {n}")
        return ts, det, nt

    def _timestamps_unit(self, pd, where: str) -> float:
        """``timestamps_specs/timestamps_unit`` in seconds (a FormatError if absent or not positive)."""
        unit = _scalar(_subgroup(pd, "timestamps_specs"), "timestamps_unit")
        if unit is None:
            raise FormatError(self.path, f"{where}/timestamps_specs/timestamps_unit is missing")
        return _positive(self.path, f"{where}/timestamps_specs/timestamps_unit", unit)

    def _nanotime_specs(self, pd, setup, where: str):
        """``(tcspc_unit in s, tcspc_num_bins or None)`` of a file with nanotimes.

        Notes
        -----
        ``nanotimes_specs`` first, else the per-detector ``/setup/detectors`` arrays
        (``tcspc_units`` or ``tcspc_unit``, ``tcspc_num_bins``) when all detectors agree.
        """
        nt_specs = _subgroup(pd, "nanotimes_specs")
        setup_det = _subgroup(setup, "detectors")
        raw = _scalar(nt_specs, "tcspc_unit")
        if raw is None:
            raw = _uniform(setup_det, "tcspc_units")
            if raw is None:
                raw = _uniform(setup_det, "tcspc_unit")
        if raw is None:
            raise FormatError(self.path, f"{where}/nanotimes present but nanotimes_specs/tcspc_unit is missing")
        nt_unit = _positive(self.path, f"{where}/nanotimes_specs/tcspc_unit", raw)
        raw = _scalar(nt_specs, "tcspc_num_bins")
        if raw is None:
            raw = _uniform(setup_det, "tcspc_num_bins")
        return nt_unit, (int(raw) if raw is not None else None)

    # -- photons ------------------------------------------------------------------------

    def _chunks(self, size: int | None = None) -> Iterator[PhotonChunk]:
        """Yield the photons, ``size`` at a time.

        Parameters
        ----------
        size : int, optional
            Photons per chunk (default :data:`tttr.defaults.CHUNK_RECORDS`).

        Yields
        ------
        PhotonChunk
            int64 timestamps, uint8 detectors, uint16 nanotimes (T3) or None (T2).

        Notes
        -----
        The file is opened for each pass and read by HDF5 slices of ``size`` photons, or,
        for sizes below :data:`READ_BLOCK`, of the smallest multiple of ``size`` that
        reaches it, from which the chunks are cut (an HDF5 access per tiny slice would
        dominate the run time). Every chunk but the last has exactly ``size`` photons;
        memory is bounded by about ``max(size, 2 * READ_BLOCK)`` photons, whatever the
        file size.
        """
        size = int(size or defaults.CHUNK_RECORDS)
        if size < 1:
            raise ValueError("chunk size must be at least 1 photon")
        block = size * -(-READ_BLOCK // size)  # a multiple of size: only the last chunk is short
        n = self.info.n_records
        where = f"/{self._group}"
        with _h5py().File(self.path, "r") as f:
            pd = f[self._group]
            ts_ds = pd["timestamps"]
            det_ds = pd["detectors"] if self._has_detectors else None
            nt_ds = pd["nanotimes"] if self._has_nanotimes else None
            events = self._event_cursors(f)
            if n == 0 and events:
                yield PhotonChunk(timestamps=np.zeros(0, np.int64), detectors=np.zeros(0, np.uint8),
                                  nanotimes=np.zeros(0, np.uint16) if nt_ds is not None else None,
                                  **_events_until(events, None))
            for start in range(0, n, block):
                stop = min(start + block, n)
                ts = _as_type(self.path, f"{where}/timestamps", ts_ds[start:stop], np.int64)
                if det_ds is not None:
                    det = _as_type(self.path, f"{where}/detectors", det_ds[start:stop], np.uint8)
                else:
                    det = np.zeros(stop - start, np.uint8)
                nt = None
                if nt_ds is not None:
                    nt = _as_type(self.path, f"{where}/nanotimes", nt_ds[start:stop], np.uint16)
                for a in range(0, stop - start, size):
                    b = a + size
                    final = start + b >= n
                    yield PhotonChunk(
                        timestamps=ts[a:b],
                        detectors=det[a:b],
                        nanotimes=None if nt is None else nt[a:b],
                        **_events_until(events, None if final else int(ts[a:b][-1])),
                    )

    def _event_cursors(self, f) -> dict:
        """Cursors over the markers and sync events kept under ``/user/tttr`` (see Notes)."""
        out = {}
        for kind, names in (("markers", ("timestamps", "bits")), ("sync", ("timestamps",))):
            group = f.get(f"user/tttr/{kind}")
            if not isinstance(group, _h5py().Group) or not all(k in group for k in (*names, "timestamps_unit")):
                continue
            if _scalar(group, "timestamps_unit") != self.info.timestamps_unit_s or self._group != "photon_data":
                continue
            out[kind] = _EventCursor([group[k] for k in names])
        return out


class _EventCursor:
    """Reads time-ordered event datasets block by block and hands them out up to a time.

    Notes
    -----
    Memory is bounded by :data:`READ_BLOCK` events plus what one call returns.
    """

    def __init__(self, datasets):
        self._ds = datasets
        self._n = int(datasets[0].shape[0])
        self._pos = 0
        self._buf = [ds[0:0] for ds in datasets]

    def take_until(self, last: int | None) -> list:
        """The events with timestamp <= ``last`` not handed out yet (all of them for None)."""
        parts = []
        while True:
            if self._buf[0].size == 0 and self._pos < self._n:
                stop = min(self._pos + READ_BLOCK, self._n)
                self._buf = [ds[self._pos : stop] for ds in self._ds]
                self._pos = stop
            ts = self._buf[0]
            if ts.size == 0:
                break
            k = ts.size if last is None else int(np.searchsorted(ts, last, side="right"))
            parts.append([b[:k] for b in self._buf])
            self._buf = [b[k:] for b in self._buf]
            if k < ts.size:
                break
        if not parts:
            return [ds[0:0] for ds in self._ds]
        return [np.concatenate([p[i] for p in parts]) for i in range(len(self._ds))]


def _events_until(events: dict, last: int | None) -> dict:
    """PhotonChunk keyword arguments with the events up to ``last`` (all for None)."""
    out = {}
    if "markers" in events:
        mts, bits = events["markers"].take_until(last)
        out.update(marker_timestamps=mts.astype(np.int64, copy=False), markers=bits.astype(np.uint8, copy=False))
    if "sync" in events:
        (sync,) = events["sync"].take_until(last)
        out["sync_timestamps"] = sync.astype(np.int64, copy=False)
    return out


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _positive(path, field: str, value) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise FormatError(path, f"{field} is not a number ({value!r})") from None
    if not np.isfinite(v) or v <= 0:
        raise FormatError(path, f"{field} must be a positive number of seconds, not {v!r}")
    return v


def _as_type(path, field: str, arr: np.ndarray, dtype) -> np.ndarray:
    """``arr`` as ``dtype``; a FormatError if a value does not fit."""
    if arr.dtype == dtype:
        return arr
    if arr.size:
        info = np.iinfo(dtype)
        lo, hi = arr.min(), arr.max()
        if lo < info.min or hi > info.max:
            raise FormatError(
                path, f"{field} holds values {int(lo)}..{int(hi)} that do not fit {np.dtype(dtype).name}"
            )
    return arr.astype(dtype)


def open_stream(path, *, spot: int = 0, **ignored) -> PhotonHDF5Stream:
    """Open a Photon-HDF5 file for streaming (the entry point :mod:`tttr.io.sniff` calls).

    Parameters
    ----------
    path : str or Path
        The file.
    spot : int, optional
        Spot of a multispot file (``/photon_data<spot>``); 0 reads ``/photon_data`` of a
        single-spot file.
    **ignored
        Options meant for other readers are accepted and ignored.

    Returns
    -------
    PhotonHDF5Stream
    """
    return PhotonHDF5Stream(path, spot=spot)
