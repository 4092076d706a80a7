"""Format detection by content, and the ``open``/``read`` entry points.

Each reader module exposes ``probe(path, head) -> bool`` (does this content belong to me?)
and ``open_stream(path, **options) -> TTTRStream``. Probes are tried from the most specific
signature to the weakest: PTU and Photon-HDF5 have magic bytes, the legacy PicoQuant files an
ASCII identifier, the FT1040 export its column line, columnar files their container
signature; Becker & Hickl SPC files have no signature at all, so their probe needs the
``.spc`` extension *and* a plausible first record.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from ..errors import FormatError, UnknownFormatError
from ._timeorder import check_on_time_error
from .base import unreadable_as_format_error

__all__ = ["detect_format", "open", "read", "READERS"]

#: (format family, module) in the order probes are tried.
READERS = (
    ("PTU", "ptu"),
    ("Photon-HDF5", "photon_hdf5"),
    ("PicoQuant legacy", "legacy"),
    ("FT1040", "ft1040"),
    ("columns", "columns"),
    ("SPC", "spc"),
)

HEAD_BYTES = 4096


def _module(name):
    return importlib.import_module(f"{__package__}.{name}")


def _check_path(path) -> Path:
    p = Path(path)
    if not p.exists():
        raise FormatError(p, "no such file")
    if p.is_dir():
        return p
    if not p.is_file():
        raise FormatError(p, "is not a regular file (a device, FIFO or socket); refused")
    if os.path.getsize(p) == 0:
        raise FormatError(p, "file is empty (0 bytes)")
    return p


def detect_format(path) -> str:
    """Name of the reader module whose probe accepts ``path`` (by content).

    Raises
    ------
    FormatError
        The path does not exist, is empty, or is a directory that holds no FT1040 export.
    UnknownFormatError
        No reader recognises the content.
    """
    p = _check_path(path)
    head = b""
    if p.is_file():
        with p.open("rb") as fh:
            head = fh.read(HEAD_BYTES)
    for _family, modname in READERS:
        # a reader that cannot be imported is a broken installation: its ImportError is raised,
        # never passed over (the file would be called "unknown format" when its reader is broken)
        if _module(modname).probe(p, head):
            return modname
    if p.is_dir():
        raise FormatError(p, "is a directory, not a time-tag file (no FT1040 segments *_s0.txt inside)")
    raise UnknownFormatError(p, "not a recognised time-tag file (no PTU/HDF5/PicoQuant/FT1040/columns/SPC signature)")


def open(path, **options):  # noqa: A001 - mirrors builtins.open on purpose
    """Open a time-tag file for streaming.

    Parameters
    ----------
    path : str or Path
        The file (or, for a segmented FT1040 export, its folder or ``_s0`` file).
    **options
        Reader-specific options (e.g. units of a columnar file); see each reader. Every
        reader takes ``on_time_error`` (``"raise"``, the default, ``"drop"`` or ``"sort"``):
        what happens when decoded times go backwards (:mod:`tttr.io._timeorder`).

    Returns
    -------
    TTTRStream
        With ``.info``, ``.header`` and ``.chunks(size)``.
    """
    on_time_error = check_on_time_error(options.pop("on_time_error", None) or "raise")
    options = {k: v for k, v in options.items() if v is not None}
    try:
        with unreadable_as_format_error(path, "cannot be opened"):
            modname = detect_format(path)
            try:
                stream = _module(modname).open_stream(Path(path), **options)
            except TypeError as exc:  # an option this reader does not take: a user error, not a bug
                if "option" in str(exc) or "keyword" in str(exc):
                    raise _OptionError(f"the {modname} reader does not accept {exc}") from None
                raise
    except _OptionError as exc:
        raise FormatError(path, str(exc)) from None
    stream.set_on_time_error(on_time_error)
    return stream


class _OptionError(Exception):
    """An option the reader does not take (kept apart from TypeErrors of a corrupt file)."""


def read(path, **options):
    """Decode a whole file: a :class:`~tttr.io.events.PhotonData` (the photons, markers and
    sync events as one chunk, plus ``.info``, the :class:`StreamInfo`)."""
    from dataclasses import fields

    from .events import PhotonData

    stream = open(path, **options)
    data = stream.read()
    return PhotonData(**{f.name: getattr(data, f.name) for f in fields(data)}, info=stream.info)
