"""Which files of a folder tree a batch analyses, and which it passes over."""

from __future__ import annotations

import os
import re
from pathlib import Path

from .summary_table import LONG_NAME, SUMMARY_NAME, TEXT_NAME

__all__ = ["find_inputs", "DATA_SUFFIXES", "NON_DATA_SUFFIXES"]

#: Suffixes whose files claim to be time-tag data by name: always part of a batch, so a
#: damaged one is reported as failed instead of being passed over silently.
DATA_SUFFIXES = frozenset({".ptu", ".pt3", ".pt2", ".ht3", ".ht2", ".spc"})

#: Suffixes that are never time-tag data (reports, figures, notes, vendor sidecars such as
#: the ``.set`` file of an SPC measurement); skipped without looking inside.
NON_DATA_SUFFIXES = frozenset({".json", ".md", ".rst", ".png", ".jpg", ".jpeg", ".pdf", ".svg", ".html", ".set",
                               ".log", ".py", ".ipynb", ".part", ".yaml", ".yml", ".toml", ".ini", ".cfg"})


_FT1040_SEGMENT = re.compile(r"^(?P<prefix>.+)_s(?P<index>\d+)\.txt$", re.IGNORECASE)



def _is_hidden(name: str) -> bool:
    return name.startswith(".") or name == "__pycache__"


def find_inputs(in_dir, *, exclude=()) -> tuple[list[str], list[str]]:
    """The files of a folder tree that a batch analyses, and those it passes over.

    Parameters
    ----------
    in_dir : str or Path
        The folder; searched recursively.
    exclude : iterable of path
        Files or folders to leave out entirely (the output folder when it lies inside
        ``in_dir``, the metadata table).

    Returns
    -------
    inputs : list of str
        Paths relative to ``in_dir`` (``/``-separated), sorted.
    skipped : list of str
        Files that are not time-tag data, relative and sorted.

    Notes
    -----
    A file is an input when

    * its suffix names a vendor time-tag format (``.ptu .pt3 .pt2 .ht3 .ht2 .spc``), whatever
      its content: a damaged one must show up as failed, not vanish from the batch; or
    * :func:`tttr.io.sniff.detect_format` recognises its content (Photon-HDF5, FT1040,
      columnar exports, and vendor files under other names).

    Passed over without a look inside: hidden files and folders, reports and figures
    (``.json``, ``.png``, ...), the arrays ``tttr`` writes (``*.tttr.h5``), truth files
    (``*.truth.json``), SPC ``.set`` sidecars, and the later segments ``*_sN.txt`` (N ≥ 1) of
    an FT1040 export, which the reader joins to their ``*_s0.txt`` (the export is one input,
    named by its ``_s0`` file). Anything else that ``detect_format`` rejects is skipped.
    """
    from ..errors import TttrError
    from ..io.sniff import detect_format

    root = Path(in_dir).resolve()
    if not root.exists():
        raise FileNotFoundError(f"{in_dir}: no such folder")
    if not root.is_dir():
        raise NotADirectoryError(f"{in_dir}: not a folder")
    excluded = [Path(e).resolve() for e in exclude if e is not None]
    inputs, skipped = [], []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not _is_hidden(d) and (here / d).resolve() not in excluded)
        for name in sorted(filenames):
            p = here / name
            rel = p.relative_to(root).as_posix()
            if _is_hidden(name) or p.resolve() in excluded or not p.is_file():
                continue
            low = name.lower()
            suffix = Path(low).suffix
            m = _FT1040_SEGMENT.match(name)
            if (suffix in NON_DATA_SUFFIXES or low.endswith(".tttr.h5") or low in (SUMMARY_NAME, LONG_NAME, TEXT_NAME)
                    or (m is not None and int(m["index"]) != 0)):
                skipped.append(rel)
                continue
            if suffix in DATA_SUFFIXES:
                inputs.append(rel)
                continue
            try:
                detect_format(p)
            except (TttrError, OSError):
                skipped.append(rel)
            else:
                inputs.append(rel)
    return sorted(inputs), sorted(skipped)

