"""Writing files atomically: a hidden temporary file beside the destination, renamed into place.

Every writer of ``tttr`` goes through here, so an interrupted write never leaves a
half-written file at the destination, an existing file is only replaced when asked, and a
full disk (or an I/O error) is one :class:`~tttr.errors.OutputError` with the temporary
file removed.
"""

from __future__ import annotations

import errno
import os
import uuid
from contextlib import contextmanager
from pathlib import Path

__all__ = ["new_temporary", "place", "atomic_path", "atomic_write_bytes", "atomic_save_figure", "output_errors",
           "DISK_ERRNOS"]

#: Errors of the operating system that say the destination cannot take the output (not
#: that the input is bad): full disk, quota, file too large, read-only, I/O error.
DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO})


@contextmanager
def output_errors(dest):
    """Turn a disk-level :class:`OSError` (:data:`DISK_ERRNOS`) into an ``OutputError`` naming ``dest``."""
    try:
        yield
    except OSError as exc:
        from ..errors import OutputError

        if isinstance(exc, OutputError) or exc.errno not in DISK_ERRNOS:
            raise
        raise OutputError(dest, exc.errno, os.strerror(exc.errno)) from None


def new_temporary(dest) -> Path:
    """Create an empty hidden file beside ``dest`` and return its path.

    Notes
    -----
    Created exclusively (``O_EXCL``) under a unique name, with the mode of any new file
    (0o666 minus the umask; ``mkstemp`` would make it private).
    """
    dest = Path(dest)
    tmp = dest.parent / f".{dest.name}.{uuid.uuid4().hex[:12]}.part"
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    return tmp


def place(tmp, dest, force: bool) -> None:
    """Move the finished ``tmp`` onto ``dest`` atomically; refuse to replace unless ``force``.

    Raises
    ------
    FileExistsError
        ``dest`` exists and ``force`` is False (``tmp`` is left for the caller to remove).
    """
    tmp, dest = Path(tmp), Path(dest)
    if force:
        os.replace(tmp, dest)
        return
    try:
        os.link(tmp, dest)  # fails if dest exists: no window for a race
    except FileExistsError:
        raise FileExistsError(f"{dest}: exists; not overwritten (use force)") from None
    except OSError:  # file system without hard links
        if dest.exists():
            raise FileExistsError(f"{dest}: exists; not overwritten (use force)") from None
        os.replace(tmp, dest)
        return
    tmp.unlink()


@contextmanager
def atomic_path(dest, *, force: bool = False):
    """Yield a temporary path to write; on success it is placed at ``dest``, on failure removed.

    Raises
    ------
    FileExistsError
        ``dest`` exists and ``force`` is False (checked before and, race-free, after writing).
    OutputError
        The disk is full or failed (the temporary file is removed; ``dest`` is untouched).
    """
    dest = Path(dest)
    if not force and dest.exists():
        raise FileExistsError(f"{dest}: exists; not overwritten (use force)")
    with output_errors(dest):
        tmp = new_temporary(dest)
        try:
            yield tmp
            place(tmp, dest, force)
        finally:
            Path(tmp).unlink(missing_ok=True)


def atomic_write_bytes(dest, data: bytes, *, force: bool = False) -> None:
    """Write ``data`` to ``dest`` through a temporary file and a rename (``fsync`` before it).

    Raises
    ------
    FileExistsError
        ``dest`` exists and ``force`` is False.
    OutputError
        The disk is full or failed; nothing is left behind.
    """
    with atomic_path(dest, force=force) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())


def atomic_save_figure(fig, dest, *, force: bool = False, **savefig_kw) -> str:
    """Save a matplotlib figure to ``dest`` atomically (never a 0-byte or partial image).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    dest : str or Path
        The image; its suffix gives the format unless ``format`` is passed.
    force : bool
        Replace an existing ``dest``.
    **savefig_kw
        Passed to ``fig.savefig`` (``dpi``, ``bbox_inches``, ``format``).

    Returns
    -------
    str
        ``dest``.

    Notes
    -----
    The image is rendered into memory first and then written with
    :func:`atomic_write_bytes`, so a full disk raises :class:`~tttr.errors.OutputError`
    and leaves neither ``dest`` nor a temporary file.
    """
    import io

    dest = Path(dest)
    if not force and dest.exists():
        raise FileExistsError(f"{dest}: exists; not overwritten (use force)")
    kw = dict(savefig_kw)
    kw.setdefault("format", (dest.suffix.lstrip(".") or "png").lower())
    buf = io.BytesIO()
    fig.savefig(buf, **kw)
    atomic_write_bytes(dest, buf.getvalue(), force=force)
    return str(dest)
