"""Writing files atomically: a hidden temporary file beside the destination, renamed into place.

Every writer of ``tttr`` goes through here, so an interrupted write never leaves a
half-written file at the destination, and an existing file is only replaced when asked.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path

__all__ = ["new_temporary", "place", "atomic_path", "atomic_write_bytes"]


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
    """Yield a temporary path to write; on success it is placed at ``dest``, on failure removed."""
    tmp = new_temporary(dest)
    try:
        yield tmp
        place(tmp, dest, force)
    finally:
        Path(tmp).unlink(missing_ok=True)


def atomic_write_bytes(dest, data: bytes, *, force: bool = True) -> None:
    """Write ``data`` to ``dest`` through a temporary file and a rename."""
    with atomic_path(dest, force=force) as tmp:
        Path(tmp).write_bytes(data)
