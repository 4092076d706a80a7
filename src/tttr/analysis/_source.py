"""Accept a path, an open stream or decoded photons wherever an analysis takes data."""

from __future__ import annotations

from pathlib import Path

from .. import defaults
from ..io.base import TTTRStream
from ..io.events import PhotonChunk


def stream_of(source, **options):
    """Return ``(info, chunk_iterable)`` for a path, a :class:`TTTRStream` or photons read with ``tttr.read``.

    ``chunk_records`` (records per chunk) is taken out of ``options``; the rest are reader
    options (units of columnar files, ...) used when ``source`` is a path.
    """
    chunk_records = options.pop("chunk_records", None) or defaults.CHUNK_RECORDS
    if isinstance(source, (str, Path)):
        from ..io import open as open_stream

        source = open_stream(source, **options)  # reader options only
    if isinstance(source, TTTRStream):
        return source.info, source.chunks(chunk_records)
    if isinstance(source, PhotonChunk):
        info = getattr(source, "info", None)
        if info is None:
            raise TypeError("photons without .info: pass the path or the stream, or the result of tttr.read()")
        return info, [source]
    raise TypeError(f"cannot analyse a {type(source).__name__}; give a path, a stream or tttr.read() photons")
