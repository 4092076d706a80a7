"""Writing Photon-HDF5: :class:`PhotonHDF5Writer`, a streaming writer.

Chunk by chunk, bounded memory, atomic rename on success; phconvert's validator accepts
its files.
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path

import numpy as np

from ..atomic import new_temporary, output_errors, place
from ..h5guard import open_guarded_h5, output_error
from ..events import PhotonChunk
from .spec import (
    _IDENTITY_AUTO,
    _IDENTITY_OPTIONAL,
    _PHOTON_DATA_FIELDS,
    _PROVENANCE_FIELDS,
    _ROOT_FIELDS,
    _ROOT_TITLE,
    _SAMPLE_FIELDS,
    _SETUP_FIELDS,
    _SETUP_OPTIONAL,
    WRITABLE_MEASUREMENT_TYPES,
    _SPLIT_CH_TITLE,
    channel_title,
    FORMAT_NAME,
    FORMAT_URL,
    FORMAT_VERSION,
    _ordinal,
)

#: Elements per HDF5 chunk of the photon arrays (512 KiB of int64 timestamps).
H5_CHUNK = 1 << 16

#: TITLE of the ``/user/tttr`` groups that keep the non-photon events.
_EVENT_TITLES = {
    "markers": "Marker events of the source file: timestamps (unit timestamps_unit, s) and marker bits.",
    "sync": "T2 laser sync events of the source file: timestamps (unit timestamps_unit, s).",
}


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------


def _set_title(node, title: str) -> None:
    node.attrs["TITLE"] = np.bytes_(title.encode("utf-8"))


def _as_bytes(value) -> np.bytes_:
    if isinstance(value, (bytes, np.bytes_)):
        return np.bytes_(bytes(value))
    return np.bytes_(str(value).encode("utf-8"))


def _convert(kind: str, value, what: str):
    """``value`` as the HDF5 value of a field of ``kind`` (ValueError if it cannot be)."""
    if kind == "string":
        return _as_bytes(value)
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{what} must be numeric, not {value!r}")
    if arr.dtype.kind == "b":
        arr = arr.astype(np.uint8)
    if kind == "scalar":
        if arr.ndim != 0:
            raise ValueError(f"{what} must be a single number, not {value!r}")
        return arr[()]
    return np.atleast_1d(arr)


def _software_version() -> str:
    from ..._version import __version__  # noqa: PLC0415 - a leaf module, not the package root

    return str(__version__)


def _check_user_dict(name: str, given, allowed: dict, reserved=()) -> dict:
    """Validate a caller's metadata dict against the specification's field list."""
    if given is None:
        return {}
    if not isinstance(given, dict):
        raise TypeError(f"{name} must be a dict of field: value, not {type(given).__name__}")
    out = {}
    for key, value in given.items():
        if value is None:
            continue
        if key in reserved:
            raise ValueError(f"{name}/{key} is written by the writer itself and cannot be given")
        if key not in allowed:
            raise ValueError(
                f"{name}/{key} is not a Photon-HDF5 {FORMAT_VERSION} field (allowed: {', '.join(sorted(allowed))}); "
                "put other data under /user with write_user_arrays"
            )
        kind, _ = allowed[key]
        out[key] = _convert(kind, value, f"{name}/{key}")
    return out


class PhotonHDF5Writer:
    """Stream photons into a new Photon-HDF5 (0.5) file.

    Parameters
    ----------
    path : str or Path
        Destination file.
    timestamps_unit_s : float
        Seconds per timestamp tick (the sync period in T3, the tag resolution in T2).
    nanotimes_unit_s : float, optional
        Seconds per nanotime tick. Given: a T3 (TCSPC) file with ``nanotimes``; None: a T2
        file without.
    tcspc_num_bins : int, optional
        Number of nanotime bins in a laser period (T3). Default: the laser period over
        ``nanotimes_unit_s``, rounded. Either way the value written is at least the
        largest nanotime written + 1 (see Notes).
    laser_repetition_rate_hz : float, optional
        Pulsed-laser rate. Default in T3: ``1 / timestamps_unit_s`` (T3 timestamps count
        sync pulses). In T2: None means a CW (or unknown, treated as CW) excitation.
    detectors : sequence of int, optional
        Detector ids of the measurement (default ``(0, 1)``, an HBT pair). Ids met in the
        data but not listed are added; listed ids without photons stay (with count 0).
    description : str, optional
        ``/description``.
    identity, provenance, sample, setup : dict, optional
        Extra fields of these groups. Only field names of the specification are accepted
        (``identity``: author, author_affiliation, creator, creator_affiliation, url, doi,
        funding, license; ``provenance``: filename, filename_full, creation_time,
        modification_time, software, software_version; ``sample``: num_dyes, dye_names,
        buffer_name, sample_name; ``setup``: the optional wavelength, polarization and
        power arrays). Anything else is a ValueError: phconvert's validator rejects files
        with unknown fields outside ``/user``.
    force : bool, optional
        Replace an existing ``path``. Without it an existing file is never overwritten.
    acquisition_duration_s : float, optional
        ``/acquisition_duration``. Default: span of the timestamps written (max - min)
        times ``timestamps_unit_s``.
    measurement_type : {"generic", "smFRET"}, optional
        ``measurement_specs/measurement_type`` (default "generic").
    detectors_specs : dict, optional
        Detector roles: ``{"spectral_ch1": [0], "spectral_ch2": [1]}``,
        ``polarization_chN`` or ``split_chN`` keys (numbered from 1) to lists of detector
        ids. Default: every detector is a split channel (see Notes).
    compression : {"gzip", "lzf", None}, optional
        HDF5 filter of the photon arrays (default "gzip" level 4, with shuffle; readable
        by every HDF5 installation, PyTables and h5py alike).

    Raises
    ------
    FileExistsError
        ``path`` exists and ``force`` is False.
    ValueError
        Inconsistent units or unknown metadata fields.

    Notes
    -----
    * The file is built as a hidden temporary file in the destination's folder and
      renamed onto ``path`` by :meth:`close` only when everything succeeded, so a reader
      never sees a half-written file and an error (or an exception inside the ``with``
      block) leaves nothing at ``path``. A process killed outright may leave the hidden
      ``.<name>.*.part`` file behind, never a partial ``path``.
    * HDF5 writes through :class:`tttr.io.h5guard.GuardedFile`, which keeps write errors
      away from HDF5 (whose close crashes the process after a failed write): a full disk
      or an I/O error becomes :class:`~tttr.errors.OutputError` after the chunk in
      progress, and the temporary file is deleted.
    * Photon arrays are resizable chunked datasets (:data:`H5_CHUNK` elements per HDF5
      chunk) appended chunk by chunk: memory is bounded by the caller's chunk size.
      Metadata that depend on the data (detector ids and counts, channel counts, the
      duration, a derived ``tcspc_num_bins``) are written at :meth:`close`; the file's
      content does not depend on how the photons were split into chunks.
    * Layout choices, all so that phconvert 0.10.2's ``assert_valid_photon_hdf5`` (strict
      descriptions) accepts the file: ``measurement_type`` is "generic" unless given;
      one spot; without ``detectors_specs``, one spectral and one polarization channel
      and every detector a split channel (``num_split_ch`` = number of detectors,
      ``detectors_specs/split_ch<k>`` = ``[id_k]``), which is how the specification
      describes an HBT (antibunching) pair, for which it has no type of its own; with
      ``detectors_specs``, the channel counts are the numbers of ``spectral_chN``,
      ``polarization_chN`` and ``split_chN`` fields given; one excitation source, never
      alternated, pulsed when a repetition rate is known (always in T3), else CW;
      ``/setup/detectors/{id,counts}`` are filled; every node carries the TITLE the
      specification prescribes; ``format_name``, ``format_version`` and ``format_url``
      are root attributes and ``format_name``/``format_version`` also root datasets.
      Scalar and string fields carry PyTables' ``FLAVOR="python"`` attribute, without
      which PyTables (phconvert, FRETBursts) reads them as 0-d arrays, not values.
    * ``tcspc_num_bins`` is raised to the largest nanotime + 1 when needed, so that
      every stored nanotime lies in ``[0, tcspc_num_bins)`` and a histogram sized from it
      loses no photon: hardware records microtimes a few bins beyond the nominal sync
      period (seen in real HydraHarp and PicoHarp files), while readers derive the
      nominal count as period / resolution.
    * Markers and T2 sync events have no place among Photon-HDF5 photons (the spec's
      ``non_photon_id`` would mix them into ``detectors``, where every reader would count
      them as photons). They are kept under ``/user/tttr`` (outside the validated
      specification): ``/user/tttr/markers/{timestamps, bits}`` (int64 ticks, uint8
      marker bits) and ``/user/tttr/sync/timestamps`` (int64 ticks), in the unit of
      ``/photon_data/timestamps`` (also stored there as ``timestamps_unit``, seconds).
      The groups exist only when such events were written, so a photons-only file is
      unchanged.
    """

    def __init__(
        self,
        path,
        *,
        timestamps_unit_s: float,
        nanotimes_unit_s: float | None = None,
        tcspc_num_bins: int | None = None,
        laser_repetition_rate_hz: float | None = None,
        detectors=(0, 1),
        description: str = "",
        identity: dict | None = None,
        provenance: dict | None = None,
        sample: dict | None = None,
        setup: dict | None = None,
        force: bool = False,
        acquisition_duration_s: float | None = None,
        compression: str | None = "gzip",
        measurement_type: str = "generic",
        detectors_specs: dict | None = None,
    ):
        self.path = Path(path)
        self._f = None
        self._tmp = None
        self._closed = False
        self.force = bool(force)

        def positive(name, v):
            v = float(v)
            if not np.isfinite(v) or v <= 0:
                raise ValueError(f"{name} must be a positive number, not {v!r}")
            return v

        self.timestamps_unit_s = positive("timestamps_unit_s", timestamps_unit_s)
        self.t3 = nanotimes_unit_s is not None
        self.nanotimes_unit_s = positive("nanotimes_unit_s", nanotimes_unit_s) if self.t3 else None
        if tcspc_num_bins is not None and not self.t3:
            raise ValueError("tcspc_num_bins given without nanotimes_unit_s (a T2 file has no nanotimes)")
        self.tcspc_num_bins = int(tcspc_num_bins) if tcspc_num_bins is not None else None
        if self.tcspc_num_bins is not None and self.tcspc_num_bins < 1:
            raise ValueError(f"tcspc_num_bins must be >= 1, not {tcspc_num_bins}")
        if laser_repetition_rate_hz is not None:
            self.laser_repetition_rate_hz = positive("laser_repetition_rate_hz", laser_repetition_rate_hz)
        elif self.t3:
            self.laser_repetition_rate_hz = 1.0 / self.timestamps_unit_s
        else:
            self.laser_repetition_rate_hz = None
        ids = sorted({int(d) for d in detectors})
        if ids and (ids[0] < 0 or ids[-1] > 255):
            raise ValueError(f"detector ids must be 0..255, not {ids}")
        self.detectors = tuple(ids)
        self.description = description or ""
        self.acquisition_duration_s = (
            float(acquisition_duration_s) if acquisition_duration_s is not None else None
        )
        self._identity = _check_user_dict(
            "identity", identity, _IDENTITY_OPTIONAL, reserved=tuple(_IDENTITY_AUTO)
        )
        self._provenance = _check_user_dict("provenance", provenance, _PROVENANCE_FIELDS)
        self._sample = _check_user_dict("sample", sample, _SAMPLE_FIELDS)
        self._setup = _check_user_dict("setup", setup, _SETUP_OPTIONAL, reserved=tuple(_SETUP_FIELDS))
        if compression not in ("gzip", "lzf", None):
            raise ValueError(f"compression must be 'gzip', 'lzf' or None, not {compression!r}")
        self._compression = compression
        self.measurement_type, self._det_specs = _checked_measurement(measurement_type, detectors_specs)
        self._num_ch = {
            feature: sum(1 for k in self._det_specs if k.startswith(f"{feature}_ch")) or 1
            for feature in ("spectral", "polarization", "split")
        }

        # running statistics (all independent of how the photons are chunked)
        self.n_photons = 0
        self._counts = np.zeros(256, np.int64)
        self._ts_min = None
        self._ts_max = None
        self._nt_max = -1
        self._n_markers = 0
        self._n_sync = 0

        if self.path.is_dir():
            raise IsADirectoryError(f"{self.path}: is a directory, not a file name")
        if self.path.exists() and not self.force:
            raise FileExistsError(f"{self.path}: already exists (pass force=True to overwrite)")
        self._guard = None
        with output_errors(self.path):
            self._tmp = new_temporary(self.path)
        try:
            self._f, self._guard = open_guarded_h5(self._tmp, "w")
            self._create_layout()
            self._check_disk()
        except BaseException:
            self.abort()
            raise

    # -- layout -------------------------------------------------------------------------

    def _field(self, group, name: str, kind: str, title: str, value):
        if kind == "group":
            node = group.require_group(name)
        else:
            node = group.create_dataset(name, data=_convert(kind, value, name))
            if kind != "array":
                # PyTables (hence phconvert) returns 0-d data as Python objects only with
                # this attribute; without it a string reads as an ndarray.
                node.attrs["FLAVOR"] = np.bytes_(b"python")
        _set_title(node, title)
        return node

    def _group(self, parent, name: str, table: dict):
        return self._field(parent, name, "group", table[name][1], None)

    def _fields(self, group, values: dict, table: dict) -> None:
        for key, value in values.items():
            kind, title = table[key]
            self._field(group, key, kind, title, value)

    def _create_layout(self) -> None:
        f = self._f
        _set_title(f, _ROOT_TITLE)
        f.attrs["format_name"] = np.bytes_(FORMAT_NAME.encode())
        f.attrs["format_version"] = np.bytes_(FORMAT_VERSION.encode())
        f.attrs["format_url"] = np.bytes_(FORMAT_URL.encode())
        self._fields(
            f,
            {"format_name": FORMAT_NAME, "format_version": FORMAT_VERSION, "description": self.description},
            _ROOT_FIELDS,
        )

        pd = self._group(f, "photon_data", _ROOT_FIELDS)
        pdf = _PHOTON_DATA_FIELDS
        opts = dict(maxshape=(None,), chunks=(H5_CHUNK,))
        if self._compression == "gzip":
            opts.update(compression="gzip", compression_opts=4, shuffle=True)
        elif self._compression == "lzf":
            opts.update(compression="lzf", shuffle=True)
        arrays = [("timestamps", np.int64), ("detectors", np.uint8)]
        if self.t3:
            arrays.append(("nanotimes", np.uint16))
        self._ds = {}
        self._opts = opts
        for name, dtype in arrays:
            ds = pd.create_dataset(name, shape=(0,), dtype=dtype, **opts)
            _set_title(ds, pdf[name][1])
            self._ds[name] = ds

        g = self._field(pd, "timestamps_specs", *pdf["timestamps_specs"], None)
        self._field(g, "timestamps_unit", *pdf["timestamps_specs/timestamps_unit"], np.float64(self.timestamps_unit_s))

        meas = self._field(pd, "measurement_specs", *pdf["measurement_specs"], None)
        self._field(meas, "measurement_type", *pdf["measurement_specs/measurement_type"], self.measurement_type)
        if self.laser_repetition_rate_hz is not None:
            self._field(
                meas,
                "laser_repetition_rate",
                *pdf["measurement_specs/laser_repetition_rate"],
                np.float64(self.laser_repetition_rate_hz),
            )

        setup = self._group(f, "setup", _ROOT_FIELDS)
        pulsed = self.laser_repetition_rate_hz is not None
        sf = _SETUP_FIELDS
        self._fields(
            setup,
            {
                "num_spots": np.int64(1),
                "num_spectral_ch": np.int64(self._num_ch["spectral"]),
                "num_polarization_ch": np.int64(self._num_ch["polarization"]),
                "modulated_excitation": np.int64(0),
                "lifetime": np.int64(1 if self.t3 else 0),
                "excitation_alternated": np.array([0], np.uint8),
                "excitation_cw": np.array([0 if pulsed else 1], np.uint8),
            },
            sf,
        )
        if pulsed:
            self._fields(setup, {"laser_repetition_rates": np.array([self.laser_repetition_rate_hz])}, sf)
        self._fields(setup, self._setup, _SETUP_OPTIONAL)

        ident = self._group(f, "identity", _ROOT_FIELDS)
        auto = {
            "filename": self.path.name,
            "filename_full": str(self.path.resolve()),
            "creation_time": _dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
            "software": "tttr",
            "software_version": _software_version(),
            "format_name": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "format_url": FORMAT_URL,
        }
        self._fields(ident, auto, _IDENTITY_AUTO)
        self._fields(ident, self._identity, _IDENTITY_OPTIONAL)

        prov = self._group(f, "provenance", _ROOT_FIELDS)
        self._fields(prov, self._provenance, _PROVENANCE_FIELDS)
        if self._sample:
            sample = self._group(f, "sample", _ROOT_FIELDS)
            self._fields(sample, self._sample, _SAMPLE_FIELDS)

    # -- streaming ----------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once the file was closed (renamed into place) or aborted."""
        return self._closed

    def write(self, chunk: PhotonChunk) -> None:
        """Append the photons of ``chunk``.

        Parameters
        ----------
        chunk : PhotonChunk
            Photons in the common event model. A T3 writer needs ``chunk.nanotimes``; a T2
            writer refuses chunks that carry nanotimes (their unit would be lost).

        Raises
        ------
        ValueError
            Mode mismatch, arrays of different lengths, or values that do not fit the
            stored types (detectors uint8, nanotimes uint16).
        """
        if self._closed or self._f is None:
            raise ValueError(f"{self.path}: writer is closed")
        ts = np.asarray(chunk.timestamps)
        det = np.asarray(chunk.detectors)
        nt = chunk.nanotimes
        n = ts.shape[0]
        if ts.ndim != 1 or det.shape != (n,):
            raise ValueError(f"timestamps ({ts.shape}) and detectors ({det.shape}) must be 1-D of one length")
        if self.t3:
            if nt is None:
                raise ValueError("a T3 writer (nanotimes_unit_s given) needs chunks with nanotimes")
            nt = np.asarray(nt)
            if nt.shape != (n,):
                raise ValueError(f"nanotimes ({nt.shape}) and timestamps ({ts.shape}) differ in length")
        elif nt is not None:
            raise ValueError("chunk has nanotimes but the writer is T2 (give nanotimes_unit_s for a T3 file)")
        self._write_events(chunk)
        if n == 0:
            return
        ts = _fit(ts, np.int64, "timestamps")
        det = _fit(det, np.uint8, "detectors")
        new = {"timestamps": ts, "detectors": det}
        if self.t3:
            nt = _fit(nt, np.uint16, "nanotimes")
            new["nanotimes"] = nt
            self._nt_max = max(self._nt_max, int(nt.max()))
        start = self.n_photons
        for name, arr in new.items():
            ds = self._ds[name]
            ds.resize((start + n,))
            ds[start : start + n] = arr
        self.n_photons = start + n
        self._check_disk()
        self._counts += np.bincount(det, minlength=256)
        lo, hi = int(ts.min()), int(ts.max())
        self._ts_min = lo if self._ts_min is None else min(self._ts_min, lo)
        self._ts_max = hi if self._ts_max is None else max(self._ts_max, hi)

    def _write_events(self, chunk: PhotonChunk) -> None:
        """Append the chunk's markers and T2 sync events under ``/user/tttr`` (see Notes)."""
        mts = np.asarray(chunk.marker_timestamps)
        bits = np.asarray(chunk.markers)
        if mts.shape != bits.shape or mts.ndim != 1:
            raise ValueError(f"marker_timestamps ({mts.shape}) and markers ({bits.shape}) must be 1-D of one length")
        if bits.shape[0]:
            self._append_events(
                "markers",
                {"timestamps": _fit(mts, np.int64, "marker_timestamps"), "bits": _fit(bits, np.uint8, "markers")},
            )
            self._n_markers += int(bits.shape[0])
        sync = np.asarray(chunk.sync_timestamps)
        if sync.shape[0]:
            self._append_events("sync", {"timestamps": _fit(sync, np.int64, "sync_timestamps")})
            self._n_sync += int(sync.shape[0])

    def _append_events(self, kind: str, arrays: dict) -> None:
        """Append ``arrays`` to the resizable datasets of ``/user/tttr/<kind>`` (made on first use)."""
        group = self._f.require_group(f"user/tttr/{kind}")
        if "timestamps_unit" not in group:
            group.attrs["TITLE"] = np.bytes_(_EVENT_TITLES[kind].encode())
            group.create_dataset("timestamps_unit", data=np.float64(self.timestamps_unit_s))
            for name, arr in arrays.items():
                group.create_dataset(name, shape=(0,), dtype=arr.dtype, **self._opts)
        for name, arr in arrays.items():
            ds = group[name]
            start = ds.shape[0]
            ds.resize((start + arr.shape[0],))
            ds[start:] = arr
        self._check_disk()

    def _finish_layout(self) -> None:
        f = self._f
        pd = f["photon_data"]
        pdf = _PHOTON_DATA_FIELDS
        seen = np.flatnonzero(self._counts)
        in_specs = {int(i) for ids_k in self._det_specs.values() for i in ids_k}
        ids = sorted(set(self.detectors) | {int(i) for i in seen} | in_specs) or [0]
        ids_arr = np.array(ids, np.uint8)

        if self.t3:
            num_bins = self.tcspc_num_bins
            if num_bins is None:
                num_bins = int(round(1.0 / (self.laser_repetition_rate_hz * self.nanotimes_unit_s)))
            num_bins = max(num_bins, self._nt_max + 1, 1)  # every nanotime in [0, num_bins)
            g = self._field(pd, "nanotimes_specs", *pdf["nanotimes_specs"], None)
            self._field(g, "tcspc_unit", *pdf["nanotimes_specs/tcspc_unit"], np.float64(self.nanotimes_unit_s))
            self._field(g, "tcspc_num_bins", *pdf["nanotimes_specs/tcspc_num_bins"], np.int64(num_bins))
            self._field(
                g, "tcspc_range", *pdf["nanotimes_specs/tcspc_range"], np.float64(num_bins * self.nanotimes_unit_s)
            )

        specs = self._field(
            pd["measurement_specs"], "detectors_specs", *pdf["measurement_specs/detectors_specs"], None
        )
        if self._det_specs:
            for name, members in self._det_specs.items():
                feature, _, n = name.partition("_ch")
                self._field(specs, name, "array", channel_title(feature, int(n)), members)
            num_split = self._num_ch["split"]
        else:
            if len(ids) > 1:
                for k, d in enumerate(ids, start=1):
                    title = _SPLIT_CH_TITLE.replace("{NTH}", _ordinal(k))
                    self._field(specs, f"split_ch{k}", "array", title, np.array([d], np.uint8))
            num_split = max(len(ids), 1)

        setup = f["setup"]
        sf = _SETUP_FIELDS
        self._fields(setup, {"num_pixels": np.int64(len(ids)), "num_split_ch": np.int64(num_split)}, sf)
        det_group = self._field(setup, "detectors", *sf["detectors"], None)
        self._field(det_group, "id", *sf["detectors/id"], ids_arr)
        self._field(det_group, "counts", *sf["detectors/counts"], self._counts[ids_arr].astype(np.int64))

        if self.acquisition_duration_s is not None:
            duration = self.acquisition_duration_s
        elif self.n_photons:
            duration = (self._ts_max - self._ts_min) * self.timestamps_unit_s
        else:
            duration = 0.0
        self._fields(f, {"acquisition_duration": np.float64(duration)}, _ROOT_FIELDS)

    def close(self) -> Path:
        """Finish the metadata, close the file and move it onto ``path``.

        Returns
        -------
        Path
            The written file.

        Raises
        ------
        FileExistsError
            ``path`` appeared meanwhile and ``force`` is False (the temporary file is
            removed; the existing file is untouched).
        """
        if self._closed:
            return self.path
        try:
            self._finish_layout()
            self._f.close()
            self._f = None
            self._guard.sync()
            self._check_disk()
            self._guard.close()
            self._guard = None
            with output_errors(self.path):
                place(self._tmp, self.path, self.force)
        except BaseException:
            self.abort()
            raise
        self._tmp = None
        self._closed = True
        return self.path

    def _check_disk(self) -> None:
        """Raise :class:`~tttr.errors.OutputError` once a write to the temporary file failed."""
        if self._guard is not None and self._guard.error is not None:
            err = self._guard.error
            self.abort()
            raise output_error(self.path, err)

    def abort(self) -> None:
        """Discard everything written: close and delete the temporary file."""
        self._closed = True
        if self._f is not None:
            try:
                self._f.close()
            except Exception:  # noqa: BLE001
                pass
            self._f = None
        guard = getattr(self, "_guard", None)
        if guard is not None:
            guard.close()
            self._guard = None
        if self._tmp is not None:
            try:
                self._tmp.unlink()
            except FileNotFoundError:
                pass
            self._tmp = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort()
        return False

    def __del__(self):  # a writer dropped without close() leaves nothing behind
        try:
            if not self._closed:
                self.abort()
        except Exception:  # noqa: BLE001
            pass

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<PhotonHDF5Writer '{self.path.name}' {'T3' if self.t3 else 'T2'} n_photons={self.n_photons} {state}>"


_SPECS_KEY = re.compile(r"^(spectral|polarization|split)_ch([1-9]\d*)$")


def _checked_measurement(measurement_type: str, detectors_specs: dict | None):
    """``(measurement_type, {name: uint8 ids})`` checked against the specification.

    Notes
    -----
    Each feature's channels must be numbered 1..N without gaps, and a detector may sit in
    one channel of a feature only. "smFRET" needs exactly two spectral channels and no
    polarization or split channels (what phconvert's validator requires of it); the ALEX
    types are refused (see :data:`~tttr.io.photon_hdf5.spec.WRITABLE_MEASUREMENT_TYPES`).
    """
    if measurement_type not in WRITABLE_MEASUREMENT_TYPES:
        raise ValueError(
            f"measurement_type must be one of {WRITABLE_MEASUREMENT_TYPES}, not {measurement_type!r} "
            "(the ALEX types need alternation periods this writer does not take)"
        )
    specs = {}
    for name, ids in (detectors_specs or {}).items():
        if not _SPECS_KEY.fullmatch(str(name)):
            raise ValueError(f"detectors_specs/{name} is not a spectral_chN, polarization_chN or split_chN field")
        arr = np.atleast_1d(np.asarray(ids))
        if arr.ndim != 1 or arr.size == 0 or arr.dtype.kind not in "iu" or arr.min() < 0 or arr.max() > 255:
            raise ValueError(f"detectors_specs/{name} must be a non-empty list of detector ids 0..255, not {ids!r}")
        specs[str(name)] = arr.astype(np.uint8)
    for feature in ("spectral", "polarization", "split"):
        numbers = sorted(int(_SPECS_KEY.fullmatch(k)[2]) for k in specs if k.startswith(f"{feature}_ch"))
        if numbers and numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(f"detectors_specs {feature}_ch numbers must be 1..{len(numbers)}, not {numbers}")
        members = [i for k, v in specs.items() if k.startswith(f"{feature}_ch") for i in v.tolist()]
        if len(members) != len(set(members)):
            raise ValueError(f"a detector is in two {feature} channels of detectors_specs")
    if measurement_type == "smFRET":
        names = set(specs)
        if not {"spectral_ch1", "spectral_ch2"} <= names or any(
            k.startswith(("polarization", "split")) or k == "spectral_ch3" for k in names
        ):
            raise ValueError("smFRET needs detectors_specs spectral_ch1 (donor) and spectral_ch2 (acceptor) only")
    return measurement_type, dict(sorted(specs.items()))


def _fit(arr: np.ndarray, dtype, name: str) -> np.ndarray:
    """``arr`` as ``dtype`` (a ValueError if a value does not fit)."""
    if arr.dtype == dtype:
        return arr
    if arr.dtype.kind not in "iub":
        raise ValueError(f"{name} must be integers, not {arr.dtype}")
    info = np.iinfo(dtype)
    if arr.size and (arr.min() < info.min or arr.max() > info.max):
        raise ValueError(f"{name} values {arr.min()}..{arr.max()} do not fit {np.dtype(dtype).name}")
    return arr.astype(dtype)
