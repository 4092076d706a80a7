"""Simulated measurements written to PTU or Photon-HDF5 files, with the truth beside them."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

from .config import _check_choice, SimulationConfig
from .generator import SimulatedStream

__all__ = ["truth_path", "simulate_to_file"]


def truth_path(out_path) -> Path:
    """Where the truth of a simulated file goes: ``OUT`` + ``.truth.json``."""
    p = Path(out_path)
    return p.with_name(p.name + ".truth.json")


def _file_format(path: Path, file_format: str | None) -> str:
    if file_format is None:
        suf = path.suffix.lower()
        if suf == ".ptu":
            return "ptu"
        if suf in (".h5", ".hdf5", ".hdf"):
            return "hdf5"
        raise ValueError(f"{path}: cannot tell the format from the suffix {suf!r}; use .ptu, .h5 or file_format")
    _check_choice("file_format", file_format, ("ptu", "hdf5"))
    return file_format


def simulate_to_file(out_path, *, model: str | None = None, mode: str | None = None, seed: int | None = None,
                     duration_s: float | None = None, config: SimulationConfig | None = None,
                     file_format: str | None = None, force: bool = False, **params) -> dict:
    """Simulate a measurement into a file and write its truth beside it.

    Parameters
    ----------
    out_path : str or Path
        ``.ptu`` (PicoQuant PTU: HydraHarp V2 T3 in T3 mode, Generic T2 in T2 mode) or
        ``.h5``/``.hdf5`` (Photon-HDF5).
    model, mode, seed, duration_s : optional
        See :class:`SimulationConfig` (defaults ``"auger"``, ``"t3"``, fresh entropy,
        60 s). None keeps the value of ``config`` (or the default).
    config : SimulationConfig, optional
        Base parameters; the named arguments and ``params`` override it.
    file_format : {"ptu", "hdf5"}, optional
        Default: from the suffix.
    force : bool
        Replace existing files. Without it an existing data or truth file is an error
        before any work is done.
    **params
        Any other field of :class:`SimulationConfig`.

    Returns
    -------
    dict
        The truth, also written to :func:`truth_path` ``(out_path)``.

    Notes
    -----
    Both files are written to temporary names in the destination folder and renamed into
    place when complete (the data file first, then the truth), so an interrupted run
    leaves neither a partial data file nor a truth without its data.
    """
    out_path = Path(out_path)
    fmt = _file_format(out_path, file_format)
    named = {"model": model, "mode": mode, "seed": seed, "duration_s": duration_s}
    over = {k: v for k, v in named.items() if v is not None}
    cfg = replace(config, **over, **params) if config is not None else SimulationConfig(**over, **params)
    if fmt == "ptu" and cfg.mode == "t3":
        n_bins = math.ceil(cfg.period_s / cfg.nanotimes_unit_s - 1e-9)
        if n_bins > 1 << 15:
            raise ValueError(f"{n_bins} TCSPC bins per period exceed the 15-bit HydraHarp T3 dtime field; "
                             "raise nanotimes_unit_s or the repetition rate, or write Photon-HDF5")
    tpath = truth_path(out_path)
    if not force:
        for p in (out_path, tpath):
            if p.exists():
                raise FileExistsError(f"{p}: exists; not overwritten (use force)")
    stream = SimulatedStream(cfg, keep_trajectory=False)  # the file's truth does not list the switches
    cfg = stream.config
    t3 = stream.t3
    if fmt == "ptu":
        from ..io.ptu import PTUWriter

        writer = PTUWriter(
            out_path, "HydraHarp2T3" if t3 else "GenericT2",
            timestamps_unit_s=cfg.period_s if t3 else cfg.t2_timestamps_unit_s,
            nanotimes_unit_s=cfg.nanotimes_unit_s if t3 else None,
            sync_rate_hz=cfg.repetition_rate_hz if cfg.pulsed else None,
            acquisition_time_s=stream.t_end_s,
            extra_tags=[("UsrTttrSimulationModel", cfg.model), ("UsrTttrSimulationSeed", int(cfg.seed))],
            force=force,
        )
    else:
        from ..io.photon_hdf5 import PhotonHDF5Writer

        writer = PhotonHDF5Writer(
            out_path, timestamps_unit_s=cfg.period_s if t3 else cfg.t2_timestamps_unit_s,
            nanotimes_unit_s=cfg.nanotimes_unit_s if t3 else None,
            tcspc_num_bins=stream.nb_period if t3 else None,
            laser_repetition_rate_hz=cfg.repetition_rate_hz if cfg.pulsed else None,
            description=f"tttr simulation: model={cfg.model}, excitation={cfg.excitation}, seed={cfg.seed}",
            acquisition_duration_s=stream.t_end_s, force=force,
        )
    with writer:
        for chunk in stream.chunks():
            writer.write(chunk)
    truth = stream.truth()
    truth["file"] = {"path": out_path.name, "format": fmt,
                     "record_type": ("HydraHarp2T3" if t3 else "GenericT2") if fmt == "ptu" else "Photon-HDF5",
                     "mode": cfg.mode.upper()}
    try:
        _write_json_atomic(tpath, truth, force=force)
    except BaseException:
        out_path.unlink(missing_ok=True)  # no data file without its truth
        raise
    return truth


def _write_json_atomic(path: Path, obj: dict, *, force: bool) -> None:
    """Write JSON to a new file beside ``path`` and move it into place (:mod:`tttr.io.atomic`)."""
    from ..io.atomic import atomic_path

    with atomic_path(path, force=force) as tmp:
        with open(tmp, "w") as fh:
            json.dump(obj, fh, indent=1, allow_nan=False)
            fh.write("\n")
