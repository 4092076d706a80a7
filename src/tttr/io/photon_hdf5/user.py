"""Derived results stored under ``/user/tttr`` of an existing (Photon-)HDF5 file."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import numpy as np

from ..h5guard import open_guarded_h5, output_error

_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")


def write_user_arrays(path, group: str, arrays: dict) -> str:
    """Store derived arrays in ``/user/tttr/<group>`` of an existing HDF5 file.

    Parameters
    ----------
    path : str or Path
        An existing (Photon-)HDF5 file, opened in append mode.
    group : str
        Group name below ``/user/tttr``; ``"a/b"`` nests. Names are letters, digits and
        ``_ . -`` (no leading dot: hidden names are used for staging).
    arrays : dict of str to array-like
        Datasets to store: numbers and numeric arrays as they are, strings as UTF-8 bytes.

    Returns
    -------
    str
        HDF5 path of the group written.

    Notes
    -----
    * HDF5 writes through :class:`tttr.io.h5guard.GuardedFile`: a full disk is an
      :class:`~tttr.errors.OutputError`, not a crash (the file, edited in place, may then
      need the call repeated once there is space).
    * "Atomic enough": the arrays are written into a hidden staging group next to the
      target, which then replaces the target by an HDF5 link move. Readers see the old
      group or the complete new one, never a mix; a crash can leave only a hidden
      ``.<name>.tmp-*`` group, which the next call for the same name removes.
    * Replacing a group does not shrink the file (HDF5 does not reclaim freed space;
      ``h5repack`` does).
    * ``/user`` is outside the Photon-HDF5 specification's validated fields, so the file
      stays valid for phconvert.
    """
    parts = str(group).strip("/").split("/")
    if not group or not all(_NAME_RE.fullmatch(p) for p in parts):
        raise ValueError(f"bad group name {group!r} (letters, digits, '_', '.', '-'; '/' to nest)")
    if not isinstance(arrays, dict) or not all(isinstance(k, str) and _NAME_RE.fullmatch(k) for k in arrays):
        raise ValueError("arrays must be a dict whose keys are plain dataset names")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    parent_path = "/user/tttr/" + "/".join(parts[:-1]) if len(parts) > 1 else "/user/tttr"
    leaf = parts[-1]
    target = f"{parent_path}/{leaf}"
    f, guard = open_guarded_h5(path, "a")
    try:
        with f:
            _put_user_group(f, parent_path, leaf, arrays)
    finally:
        guard.close()
    if guard.error is not None:  # no crash of HDF5; but a file edited in place may be damaged
        raise output_error(path, guard.error)
    return target


def _put_user_group(f, parent_path: str, leaf: str, arrays: dict) -> None:
    """Write ``arrays`` into a staging group and move it onto ``parent_path/leaf``."""
    parent = f.require_group(parent_path)
    for stale in [k for k in parent.keys() if k.startswith(f".{leaf}.tmp-")]:
        del parent[stale]
    staging = f".{leaf}.tmp-{uuid.uuid4().hex[:8]}"
    g = parent.create_group(staging)
    try:
        for key, value in arrays.items():
            if isinstance(value, str):
                data = np.bytes_(value.encode("utf-8"))
            else:
                data = np.asarray(value)
                if data.dtype.kind == "U":
                    data = np.char.encode(data, "utf-8")
            g.create_dataset(key, data=data)
    except BaseException:
        del parent[staging]
        raise
    if leaf in parent:
        del parent[leaf]
    parent.move(staging, leaf)
    f.flush()
