"""The one source contract: a path, an open stream or decoded photons become ``(info, chunks)``.

Every analysis that takes data (``intensity_trace``, ``decay_histogram``, ``g2``,
``binned_pass``, ``analyze``) accepts any of the three and goes through :func:`stream_of`, so
that files are opened in one place (here, in ``io``) and an analysis never opens one itself.
"""

from __future__ import annotations

from pathlib import Path

from .. import defaults
from .base import TTTRStream
from .events import PhotonChunk

__all__ = ["stream_of", "nanotime_problem", "records_in"]


def records_in(chunk: PhotonChunk) -> int:
    """Records of the file behind ``chunk`` (its photons where the reader does not say)."""
    n = chunk.n_records
    return len(chunk) if n is None else int(n)


def nanotime_problem(info) -> str | None:
    """Why the nanotimes of a stream cannot be used (None when they can).

    A T2 file has none; a T3 file whose header does not give the nanotime unit (a Becker &
    Hickl ``.spc`` without its ``.set``) has them, but no lifetime can be computed from them
    until the unit is given (``nanotimes_unit_s``).
    """
    if not info.is_t3:
        return "T2 data have no nanotimes"
    if info.nanotimes_unit_s is None:
        return "the nanotime unit is not in the file; give nanotimes_unit_s (e.g. 12.2 ps)"
    return None


def _reporting(chunks, progress):
    for chunk in chunks:
        yield chunk
        progress(records_in(chunk))


def stream_of(source, *, progress=None, **options):
    """Return ``(info, chunk_iterable)`` for a path, a :class:`TTTRStream` or photons read with ``tttr.read``.

    Parameters
    ----------
    source : path, TTTRStream or PhotonChunk
    progress : callable, optional
        Called after each chunk with the number of file records it consumed, so that a
        progress bar whose total is ``info.n_records`` ends at 100 %.
    **options
        ``chunk_records`` (records per chunk, default ``defaults.CHUNK_RECORDS``) is taken
        out; the rest are reader options (units of columnar files, ...) used when ``source``
        is a path.

    Returns
    -------
    info : StreamInfo
    chunks : iterable of PhotonChunk
        Lazy for a path or a stream (one chunk decoded at a time); a one-element list for
        photons already decoded.

    Raises
    ------
    TypeError
        ``source`` is none of the three, or photons without their ``.info``.

    Notes
    -----
    Reader options are applied only when a path is opened here; a stream or photons were
    opened with theirs already.
    """
    chunk_records = options.pop("chunk_records", None) or defaults.CHUNK_RECORDS
    if isinstance(source, (str, Path)):
        from .sniff import open as open_stream

        source = open_stream(source, **options)  # reader options only
    if isinstance(source, TTTRStream):
        info, chunks = source.info, source.chunks(chunk_records)
    elif isinstance(source, PhotonChunk):
        info = getattr(source, "info", None)
        if info is None:
            raise TypeError("photons without .info: pass the path or the stream, or the result of tttr.read()")
        chunks = [source]
    else:
        raise TypeError(f"cannot analyse a {type(source).__name__}; give a path, a stream or tttr.read() photons")
    return info, (chunks if progress is None else _reporting(chunks, progress))
