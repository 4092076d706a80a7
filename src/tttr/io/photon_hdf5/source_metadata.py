"""What a source file's header says that Photon-HDF5 has a field for.

:func:`source_metadata` turns the header of any reader (``stream.header``) into
:class:`~tttr.io.photon_hdf5.writer.PhotonHDF5Writer` arguments, so that a converted file
answers the descriptive fields phconvert asks for (author, creation time, software, sample,
detector roles) wherever the source states them, and leaves them out where it does not.

Notes
-----
Only what the header states is written; nothing is guessed:

* **PTU** (PicoQuant): ``CreatorSW_Name``/``CreatorSW_Version`` -> provenance software;
  ``File_CreatingTime`` (an OLE date) -> provenance creation time; ``File_Comment`` -> the
  description; the enabled input channels (``HWInpChan_Enabled[i]``) of the HydraHarp
  family (HydraHarp, TimeHarp 260, MultiHarp: their detector ids are the 0-based input
  channels) -> the detector list, so a silent detector of an HBT pair is still declared;
  ``TTResult_StopAfter`` (ms) -> the acquisition duration when the measurement stopped
  before ``MeasDesc_AcquisitionTime``. In PicoHarp T2 the sync input is time-tagged as
  detector 0, so its ``TTResult_SyncRate`` is that detector's count rate, not a laser's:
  ``sync_is_a_detector`` tells the converter to describe no pulsed laser.
* **Legacy PicoQuant** (HT2/HT3/PT2/PT3): ``CreatorName``/``CreatorVersion`` -> software;
  ``FileTime`` -> creation time, verbatim (its day/month order is not stated); ``Comment``
  -> the description.
* **SPC** with its ``.set`` file: ``Date`` and ``Time`` -> creation time; ``Author`` and
  ``Company`` -> identity author and affiliation, unless they are the placeholders SPCM
  writes ("System", "Unknown"); ``Title`` and ``Contents`` -> the description.
* **FT1040**: the start time in the file name -> creation time.
* **Photon-HDF5** (re-conversion): its identity's optional fields; its software,
  version and creation time as the provenance (the file converted is the Photon-HDF5
  file, so its own provenance would name another file); its sample, its optional setup
  arrays, and its measurement type and
  ``detectors_specs`` (when the type is one the writer can describe; else "generic" with
  the detector roles kept, and the description says so).
"""

from __future__ import annotations

import re

from ..ptu import ole_datetime
from .spec import _IDENTITY_OPTIONAL, _SAMPLE_FIELDS, _SETUP_OPTIONAL, WRITABLE_MEASUREMENT_TYPES

__all__ = ["source_metadata"]

#: Values that SPCM writes when nobody filled the field in.
_PLACEHOLDERS = {"", "unknown", "system", "none", "n/a"}

#: PTU record types whose detector ids are the 0-based input channels (``HWInpChan_*[i]``).
_INPUT_CHANNEL_FAMILIES = ("HydraHarp", "TimeHarp260", "Generic")

_SPECS_RE = re.compile(r"^measurement_specs/detectors_specs/((spectral|polarization|split)_ch\d+)$")


def _text(value) -> str | None:
    """A non-placeholder string, stripped, or None."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    return None if value.lower() in _PLACEHOLDERS else value


def _ole_time(days) -> str | None:
    """A PTU ``TDateTime`` as ``YYYY-MM-DD hh:mm:ss``; None if implausible (see :func:`ole_datetime`)."""
    when = ole_datetime(days)
    return None if when is None else when.strftime("%Y-%m-%d %H:%M:%S")


def source_metadata(info, header) -> dict:
    """Writer arguments stated by the source's header.

    Parameters
    ----------
    info : StreamInfo
        The source's info (its ``format`` and ``record_type`` choose the mapping).
    header : dict
        The source's ``header``.

    Returns
    -------
    dict
        Any of ``provenance``, ``identity``, ``sample``, ``setup`` (dicts of specification
        fields), ``notes`` (list of str for the description), ``detectors`` (declared ids),
        ``acquisition_duration_s``, ``measurement_type`` and ``detectors_specs``. Empty when
        the header states nothing usable.

    Notes
    -----
    See the module Notes for the fields read per format.
    """
    if not isinstance(header, dict):
        return {}
    mapper = {
        "PTU": _from_ptu,
        "SPC": _from_spc,
        "FT1040": _from_ft1040,
        "Photon-HDF5": _from_photon_hdf5,
    }.get(info.format, _from_legacy if "CreatorName" in header else None)
    if mapper is None:
        return {}
    out = mapper(info, header)
    return {k: v for k, v in out.items() if v}


def _from_ptu(info, h: dict) -> dict:
    provenance = {
        "software": _text(h.get("CreatorSW_Name")),
        "software_version": _text(h.get("CreatorSW_Version")),
        "creation_time": _ole_time(h.get("File_CreatingTime")),
    }
    out = {"provenance": {k: v for k, v in provenance.items() if v}}
    comment = _text(h.get("File_Comment"))
    out["notes"] = [f"file comment: {comment!r}"] if comment else []
    if info.record_type.startswith(_INPUT_CHANNEL_FAMILIES):
        out["detectors"] = tuple(
            int(m[1]) for k, v in h.items() if (m := re.fullmatch(r"HWInpChan_Enabled\[(\d+)\]", k)) and v is True
        )
    if info.record_type == "PicoHarpT2":
        out["sync_is_a_detector"] = True
        out["notes"].append("detector 0 is the PicoHarp sync input, time-tagged like a detector")
    stop_ms, acq_ms = h.get("TTResult_StopAfter"), h.get("MeasDesc_AcquisitionTime")
    if isinstance(stop_ms, int) and stop_ms > 0 and (not isinstance(acq_ms, int) or not 0 < acq_ms <= stop_ms):
        out["acquisition_duration_s"] = stop_ms * 1e-3
    return out


def _from_legacy(info, h: dict) -> dict:
    provenance = {
        "software": _text(h.get("CreatorName")),
        "software_version": _text(h.get("CreatorVersion")),
        "creation_time": _text(h.get("FileTime")),
    }
    comment = _text(h.get("Comment"))
    return {
        "provenance": {k: v for k, v in provenance.items() if v},
        "notes": [f"file comment: {comment!r}"] if comment else [],
    }


def _from_spc(info, h: dict) -> dict:
    ident = h.get("set_identification")
    if not isinstance(ident, dict):
        return {}
    when = " ".join(t for t in (_text(ident.get("Date")), _text(ident.get("Time"))) if t)
    identity = {"author": _text(ident.get("Author")), "author_affiliation": _text(ident.get("Company"))}
    notes = [f"{key.lower()}: {v!r}" for key in ("Title", "Contents") if (v := _text(ident.get(key)))]
    return {
        "provenance": {"creation_time": when} if when else {},
        "identity": {k: v for k, v in identity.items() if v},
        "notes": notes,
    }


def _from_ft1040(info, h: dict) -> dict:
    start = (h.get("file_name") or {}).get("start_time")
    return {"provenance": {"creation_time": start.replace("T", " ")}} if isinstance(start, str) else {}


def _group_fields(h: dict, group: str, allowed: dict) -> dict:
    return {k: h[f"{group}/{k}"] for k in allowed if f"{group}/{k}" in h}


def _from_photon_hdf5(info, h: dict) -> dict:
    out = {
        "identity": _group_fields(h, "identity", _IDENTITY_OPTIONAL),
        "sample": _group_fields(h, "sample", _SAMPLE_FIELDS),
        "provenance": {
            k: h[f"identity/{k}"] for k in ("software", "software_version", "creation_time") if f"identity/{k}" in h
        },
        "setup": _group_fields(h, "setup", _SETUP_OPTIONAL),
        "notes": [],
    }
    specs = {m[1]: v for k, v in h.items() if (m := _SPECS_RE.fullmatch(k))}
    meas_type = h.get("measurement_specs/measurement_type")
    if specs:
        out["detectors_specs"] = specs
    if meas_type in WRITABLE_MEASUREMENT_TYPES:
        out["measurement_type"] = meas_type
    elif isinstance(meas_type, str):
        out["notes"].append(f"source measurement_type {meas_type!r} written as 'generic' (detector roles kept)")
    if isinstance(h.get("description"), str) and h["description"].strip():
        out["notes"].append(f"source description: {h['description'].strip()!r}")
    return out
