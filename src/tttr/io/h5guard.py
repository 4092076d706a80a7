"""HDF5 files written through a guard that keeps write errors (full disk, I/O error) away from HDF5.

With h5py 3.16 / HDF5 2.0, a failed write of cached data (``ENOSPC`` while HDF5 flushes
chunks or metadata) leaves the library in a state where closing the file crashes the
process (segmentation fault or bus error). So HDF5 must never see a failed write: it
writes into a :class:`GuardedFile`, a Python file object that records the first
operating-system error, keeps every later write in memory (so HDF5 still reads back what
it wrote and closes normally), and lets the caller raise a one-line error and delete the
temporary file afterwards.
"""

from __future__ import annotations

import errno as _errno
import io
import os
from pathlib import Path

__all__ = ["GuardedFile", "open_guarded_h5", "output_error"]


def output_error(path, exc: OSError):
    """The one-line :class:`~tttr.errors.OutputError` for an operating-system error writing ``path``."""
    from ..errors import OutputError

    code = exc.errno if exc.errno is not None else _errno.EIO
    return OutputError(path, code, os.strerror(code))


class GuardedFile(io.RawIOBase):
    """A binary file for HDF5 (h5py's file-object driver) that never fails a write.

    Parameters
    ----------
    path : str or Path
        An existing (normally empty, temporary) file, opened for reading and writing.

    Attributes
    ----------
    error : OSError or None
        The first error of a write, truncate or flush; None while everything reached the
        disk.

    Notes
    -----
    Until the first error every operation goes straight to the file (``pwrite``/``pread``
    at an explicit position). From then on writes are kept in memory as ``(offset, data)``
    pieces and reads combine the disk with these pieces, so HDF5 sees a consistent file
    and its close succeeds; the file on disk is then garbage and must be deleted. The
    memory held is what HDF5 writes after the error, which the writers bound by checking
    :attr:`error` after every chunk and aborting.
    """

    def __init__(self, path):
        super().__init__()
        self.path = Path(path)
        self._fd = os.open(self.path, os.O_RDWR)
        self._pos = 0
        self._size = os.fstat(self._fd).st_size
        self.error: OSError | None = None
        self._pieces: list[tuple[int, bytes]] = []

    # -- io.RawIOBase -----------------------------------------------------------------------
    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self._size}[whence]
        self._pos = base + offset
        return self._pos

    def _fail(self, exc: OSError) -> None:
        if self.error is None:
            self.error = exc

    def write(self, data) -> int:
        data = bytes(data)
        n = len(data)
        if self.error is None:
            try:
                done = 0
                while done < n:
                    done += os.pwrite(self._fd, data[done:], self._pos + done)
            except OSError as exc:
                self._fail(exc)
        if self.error is not None:
            self._pieces.append((self._pos, data))
        self._pos += n
        self._size = max(self._size, self._pos)
        return n

    def readinto(self, buf) -> int:
        view = memoryview(buf).cast("B")
        n = max(0, min(len(view), self._size - self._pos))
        got = os.preadv(self._fd, [view[:n]], self._pos) if n else 0
        if got < n:
            view[got:n] = bytes(n - got)  # written after the error, or a hole
        lo, hi = self._pos, self._pos + n
        for off, data in self._pieces:  # in write order: later pieces win
            a, b = max(lo, off), min(hi, off + len(data))
            if a < b:
                view[a - lo:b - lo] = data[a - off:b - off]
        self._pos += n
        return n

    def truncate(self, size: int | None = None) -> int:
        size = self._pos if size is None else int(size)
        if self.error is None:
            try:
                os.ftruncate(self._fd, size)
            except OSError as exc:
                self._fail(exc)
        self._size = size
        return size

    def flush(self) -> None:
        pass  # every write is already a system call; nothing is buffered here

    def sync(self) -> None:
        """``fsync`` the file (errors are recorded, not raised)."""
        if self.error is None:
            try:
                os.fsync(self._fd)
            except OSError as exc:
                self._fail(exc)

    def close(self) -> None:
        if not self.closed:
            os.close(self._fd)
            self._pieces = []
        super().close()


def open_guarded_h5(path, mode: str = "w", **kw):
    """``(h5py.File, GuardedFile)`` writing to ``path`` through a :class:`GuardedFile`.

    Notes
    -----
    Close the h5py file first, then the guard, then check ``guard.error``. ``mode`` is
    passed to h5py (``"w"`` for a new, empty temporary file).
    """
    import h5py

    guard = GuardedFile(path)
    try:
        return h5py.File(guard, mode, **kw), guard
    except BaseException:
        guard.close()
        raise
