"""The streaming contract shared by every reader.

A reader is a :class:`TTTRStream`: it parses its header when opened (``.info``,
``.header``) and yields :class:`~tttr.io.events.PhotonChunk` objects from ``.chunks(size)``,
carrying any decoder state (overflow counts) from one chunk to the next so that the
concatenation of the chunks equals the whole-file decode for every chunk size. Memory is
bounded by the chunk size.

Binary formats whose payload is a flat array of fixed-size records derive from
:class:`RecordStream` and only supply the header parser and a numba decoder.
"""

from __future__ import annotations

import contextlib
import os
import struct
import warnings
from abc import ABC, abstractmethod
from dataclasses import replace
from pathlib import Path
from typing import Iterator

import numpy as np

from .. import defaults
from ..errors import FormatError, TttrError, TruncatedFileWarning, printable
from ._timeorder import TimeOrderGuard, check_on_time_error
from .events import PhotonChunk, StreamInfo, concatenate_chunks

__all__ = ["TTTRStream", "RecordStream", "records_present", "unreadable_as_format_error"]

#: Exceptions a corrupt file makes the container libraries (h5py, pyarrow, numpy, pandas, the
#: struct module, numba on a wrong dtype) raise while a reader works; they become one
#: :class:`FormatError` naming the file. Missing or unreadable paths keep their own errors.
_CONTAINER_ERRORS = (OSError, ValueError, KeyError, IndexError, TypeError, OverflowError, ZeroDivisionError,
                     RuntimeError, EOFError, UnicodeError, struct.error, AttributeError)
_PATH_ERRORS = (FileNotFoundError, PermissionError, IsADirectoryError)


def _numba_error():
    try:
        from numba.core.errors import NumbaError
    except ImportError:  # pragma: no cover - numba is required
        return ()
    return (NumbaError,)


@contextlib.contextmanager
def unreadable_as_format_error(path, what: str = "cannot be read"):
    """Turn an exception of a container library inside the block into a one-line FormatError.

    Notes
    -----
    :class:`~tttr.errors.TttrError` and path errors (missing file, permission) pass
    unchanged; so does ``MemoryError``. The original exception is chained (``--debug`` shows
    it). The message keeps the exception's type and its first 200 printable characters.
    """
    try:
        yield
    except TttrError:
        raise
    except _PATH_ERRORS:
        raise
    except _CONTAINER_ERRORS + _numba_error() as exc:
        msg = " ".join(str(exc).split())
        raise FormatError(path, f"{what}: {type(exc).__name__}: {printable(msg, 200)}") from exc


class TTTRStream(ABC):
    """A time-tag file opened for streaming.

    Subclasses set ``self.info`` (:class:`StreamInfo`) and ``self.header`` (dict of raw
    vendor fields) in ``__init__`` and implement :meth:`chunks`.
    """

    info: StreamInfo
    header: dict
    #: What a backward step of time does: "raise", "drop" or "sort" (:mod:`tttr.io._timeorder`).
    on_time_error: str = "raise"
    #: The repair counts of the last complete pass (None before one, or in "raise" mode).
    time_order_repairs: dict | None = None

    def __init__(self, path):
        self.path = Path(path)

    def set_on_time_error(self, mode: str) -> None:
        """Choose what a backward step of time does: ``"raise"``, ``"drop"`` or ``"sort"``."""
        self.on_time_error = check_on_time_error(mode)

    @abstractmethod
    def _chunks(self, size: int | None = None) -> Iterator[PhotonChunk]:
        """Yield the file's events in order as decoded (before the time-order check)."""

    def chunks(self, size: int | None = None) -> Iterator[PhotonChunk]:
        """Yield the file's events in order, ``size`` records (or rows) at a time.

        Notes
        -----
        Every chunk passes the time-order check of :class:`~tttr.io._timeorder.TimeOrderGuard`
        (``on_time_error``), and an exception a container library raises on a corrupt file
        becomes a one-line :class:`~tttr.errors.FormatError` naming it.
        """
        guard = TimeOrderGuard(self.path, self.on_time_error, self.info.timestamps_unit_s, self._locate_event)
        it = self._chunks(size)
        while True:
            with unreadable_as_format_error(self.path, "cannot be read"):
                try:
                    chunk = next(it)
                except StopIteration:
                    break
            yield guard(chunk)
        guard.finish()
        self._record_repairs(guard)

    def _locate_event(self, stream: int, index: int) -> str:
        """Where in the file event ``index`` of the last chunk's ``stream`` (0 photons, 1 markers,
        2 sync) came from, as text for an error message; readers that know add to it."""
        return ""

    def _record_repairs(self, guard: TimeOrderGuard) -> None:
        if guard.mode != "raise":
            self.time_order_repairs = {"mode": guard.mode, "dropped_photons": guard.dropped[0],
                                       "dropped_markers": guard.dropped[1], "dropped_sync": guard.dropped[2],
                                       "sorted_chunks": guard.reordered}

    def read(self) -> PhotonChunk:
        """Decode the whole file into one :class:`PhotonChunk` (small files only)."""
        return concatenate_chunks(self.chunks(), t3=self.info.is_t3)

    def close(self) -> None:  # readers open their file per pass; nothing to release
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __repr__(self) -> str:
        i = self.info
        return f"<{type(self).__name__} {i.format} {i.record_type} {i.mode} '{self.path.name}' n_records={i.n_records}>"


def records_present(path, data_offset: int, record_size: int, n_header: int | None):
    """Number of whole records in a file, reconciled with the header's claim.

    Returns
    -------
    n_records : int
        Records to decode.
    messages : list of str
        Warnings about the reconciliation (already issued as warnings).

    Notes
    -----
    * A header count of 0 or less (seen on huge PTU files) is replaced by the count derived
      from the file size, with a warning.
    * Fewer records than the header claims (a file cut short) decodes what is there and warns
      with :class:`TruncatedFileWarning`; so does a trailing partial record.
    * More whole records than the header claims is an inconsistent header: a
      :class:`FormatError`, since either the header or the data would have to be ignored.
    """
    size = os.path.getsize(path)
    payload = size - data_offset
    if payload < 0:
        raise FormatError(path, f"file ends inside the header ({size} bytes, data should start at byte {data_offset})")
    n_file, tail = divmod(payload, record_size)
    msgs = []
    if tail:
        msgs.append(f"{tail} trailing bytes after the last whole record are ignored")
    if n_header is None or n_header <= 0:
        if n_header is not None:
            msgs.append(f"header record count is {n_header}; using {n_file} from the file size")
        n = n_file
    elif n_file < n_header:
        msgs.append(f"file is truncated: header says {n_header} records, file holds {n_file}; decoding those")
        n = n_file
    elif n_file > n_header:
        raise FormatError(path, f"header says {n_header} records but the file holds {n_file} whole records")
    else:
        n = n_file
    for m in msgs:
        cat = TruncatedFileWarning if ("truncated" in m or "trailing" in m) else None
        if cat is not None:
            warnings.warn(f"{path}: {m}", cat, stacklevel=3)
    return n, msgs


class RecordStream(TTTRStream):
    """Base of readers whose payload is a flat array of fixed-size little-endian records.

    Subclasses set ``info``, ``header``, ``_data_offset``, ``_record_dtype`` and implement
    :meth:`_new_state` and :meth:`_decode`.
    """

    _data_offset: int
    _record_dtype: np.dtype = np.dtype("<u4")

    @abstractmethod
    def _new_state(self) -> np.ndarray:
        """Fresh decoder state (int64 array) for the start of the file."""

    @abstractmethod
    def _decode(self, records: np.ndarray, state: np.ndarray) -> PhotonChunk:
        """Decode one block of records, updating ``state`` in place."""

    def raw_records(self, size: int | None = None) -> Iterator[np.ndarray]:
        """Yield the raw records in blocks of ``size`` (no decoding)."""
        size = int(size or defaults.CHUNK_RECORDS)
        if size < 1:
            raise ValueError("chunk size must be at least 1 record")
        remaining = self.info.n_records
        with open(self.path, "rb") as fh:
            fh.seek(self._data_offset)
            while remaining > 0:
                n = min(size, remaining)
                block = np.fromfile(fh, dtype=self._record_dtype, count=n)
                if block.shape[0] != n:  # file shrank while reading
                    raise FormatError(self.path, "file ended while reading records")
                remaining -= n
                yield block

    def _chunks(self, size: int | None = None) -> Iterator[PhotonChunk]:
        state = self._new_state()
        first = 0
        for block in self.raw_records(size):
            self._block = (block, state.copy(), first)  # kept to name the record of a bad event
            yield replace(self._decode(block, state), n_records=int(block.shape[0]))
            first += block.shape[0]
        self._block = None

    def _locate_event(self, stream: int, index: int) -> str:
        """Record number and byte offset of event ``index`` of ``stream`` in the last block.

        Notes
        -----
        Only called on the error path: the block prefix that first yields ``index + 1`` events
        is found by bisection, decoding prefixes from a copy of the block's start state
        (about 20 decodes of at most one block).
        """
        ctx = getattr(self, "_block", None)
        if ctx is None:
            return ""
        block, state0, first = ctx
        attr = ("timestamps", "marker_timestamps", "sync_timestamps")[stream]

        def count(m):
            return getattr(self._decode(block[:m], state0.copy()), attr).shape[0]

        lo, hi = 1, block.shape[0]
        if count(hi) <= index:
            return ""
        while lo < hi:
            mid = (lo + hi) // 2
            if count(mid) > index:
                hi = mid
            else:
                lo = mid + 1
        rec = first + lo - 1
        return f" (record {rec}, byte {self._data_offset + rec * self._record_dtype.itemsize})"

    def read(self) -> PhotonChunk:
        """Decode the whole file with one kernel call (no chunk concatenation), time-order checked."""
        n = self.info.n_records
        guard = TimeOrderGuard(self.path, self.on_time_error, self.info.timestamps_unit_s, self._locate_event)
        with unreadable_as_format_error(self.path, "cannot be read"):
            block = next(self.raw_records(max(n, 1))) if n else np.empty(0, self._record_dtype)
            state = self._new_state()
            self._block = (block, state.copy(), 0)
            data = self._decode(block, state)
        try:
            data = guard(data)
        finally:
            self._block = None
        guard.finish()
        self._record_repairs(guard)
        return data
