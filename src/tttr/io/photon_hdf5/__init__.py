"""Photon-HDF5 (specification 0.5): reading, streaming writing, and a place for derived results.

Photon-HDF5 is the interchange format of single-molecule and TCSPC photon data
(photon-hdf5.org; phconvert writes and validates it, FRETBursts and tttrlib read it). Its
photon arrays *are* the common event model of ``docs/formats.md``::

    /photon_data/timestamps                    int64, unwrapped, units: timestamps_specs/timestamps_unit (s)
    /photon_data/detectors                     detector (pixel) id of each photon, 0-based as stored
    /photon_data/nanotimes                     TCSPC microtime, units: nanotimes_specs/tcspc_unit (s)
    /photon_data/measurement_specs/...         measurement_type, laser_repetition_rate, detectors_specs
    /setup, /identity, /provenance, /sample    metadata groups
    /user/...                                  free area (not validated); ``tttr`` uses /user/tttr/

The package holds, one module each:

* ``spec``: the specification's fields, their kinds and TITLEs;
* ``reader``: :func:`probe` and :func:`open_stream` for :mod:`tttr.io.sniff` (reader:
  :class:`PhotonHDF5Stream`);
* ``writer``: :class:`PhotonHDF5Writer`, a streaming writer (chunk by chunk, bounded
  memory, atomic rename on success) whose files phconvert's validator accepts;
* ``convert``: :func:`write_photon_hdf5`, which streams any
  :class:`~tttr.io.base.TTTRStream` into a file (``tttr convert FILE OUT.h5``);
* ``user``: :func:`write_user_arrays`, which stores derived arrays under
  ``/user/tttr/<group>``.

Every public name is importable from ``tttr.io.photon_hdf5`` as before the split, and so
are the module constants (``HDF5_SIGNATURE``, ``H5_CHUNK``, ``READ_BLOCK``,
``HEADER_MAX_ARRAY``, ``FORMAT_NAME``, ``FORMAT_URL``).

h5py is imported lazily: probing a non-HDF5 file never pays for it.
"""

from __future__ import annotations

from .convert import write_photon_hdf5
from .reader import HDF5_SIGNATURE, HEADER_MAX_ARRAY, READ_BLOCK, PhotonHDF5Stream, open_stream, probe  # noqa: F401
from .spec import FORMAT_NAME, FORMAT_URL, FORMAT_VERSION  # noqa: F401
from .user import write_user_arrays
from .writer import H5_CHUNK, PhotonHDF5Writer  # noqa: F401

__all__ = [
    "probe",
    "open_stream",
    "PhotonHDF5Stream",
    "PhotonHDF5Writer",
    "write_photon_hdf5",
    "write_user_arrays",
    "FORMAT_VERSION",
]
