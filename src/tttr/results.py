"""The base of every result container: frozen dataclasses, short repr, JSON-safe ``to_dict``.

Result classes live next to the analysis that makes them and derive from :class:`Result`.
``to_dict()`` turns numpy scalars and arrays into plain numbers and lists, NaN and inf into
``None``, nested results into dicts, so that ``json.dumps(result.to_dict(), allow_nan=False)``
always works. ``to_row()`` flattens the scalar fields for batch tables.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

__all__ = ["Result", "jsonable", "flatten"]


def jsonable(obj: Any, *, arrays: bool = True) -> Any:
    """Convert ``obj`` into JSON-safe Python objects (NaN/inf → None).

    Parameters
    ----------
    arrays : bool
        If False, numpy arrays are dropped (replaced by None); used for compact reports.
    """
    if isinstance(obj, Result):
        return obj.to_dict(arrays=arrays)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: jsonable(getattr(obj, f.name), arrays=arrays) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): jsonable(v, arrays=arrays) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v, arrays=arrays) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist(), arrays=arrays) if arrays else None
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if obj is None or isinstance(obj, str):
        return obj
    return str(obj)


def flatten(d: dict, prefix: str = "", sep: str = ".") -> dict:
    """Flatten nested dicts into ``{"a.b.c": value}`` (lists and None kept as values)."""
    out = {}
    for k, v in d.items():
        key = f"{prefix}{sep}{k}" if prefix else str(k)
        if isinstance(v, dict):
            out.update(flatten(v, key, sep))
        else:
            out[key] = v
    return out


@dataclasses.dataclass(frozen=True, repr=False)
class Result:
    """Base of result containers (subclass with ``@dataclass(frozen=True, repr=False)``)."""

    def to_dict(self, *, arrays: bool = True) -> dict:
        """JSON-safe dictionary of every field (arrays as lists unless ``arrays=False``)."""
        return {f.name: jsonable(getattr(self, f.name), arrays=arrays) for f in dataclasses.fields(self)}

    def to_row(self) -> dict:
        """Scalar fields only, flattened (``a.b``), for batch tables."""
        d = self.to_dict(arrays=False)
        return {k: v for k, v in flatten(d).items() if not isinstance(v, list)}

    def _repr_html_(self) -> str:
        """A small table of the scalar fields, for Jupyter (errors beside their values)."""
        import html

        from .text import pm

        row = self.to_row()
        cells = []
        for k, v in row.items():
            if k.endswith("_err") or "_err_" in k or (v is None and isinstance(getattr(self, k, None), np.ndarray)):
                continue
            err = row.get(f"{k}_err")
            text = pm(v, err) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)
            cells.append(f"<tr><td>{html.escape(k)}</td><td>{html.escape(text)}</td></tr>")
        return (f"<table><caption>{html.escape(type(self).__name__)}</caption>"
                + "".join(cells) + "</table>")

    def __repr__(self) -> str:
        parts = []
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, np.ndarray):
                s = f"array{v.shape}"
            elif isinstance(v, (float, np.floating)):
                s = f"{float(v):.6g}"
            elif isinstance(v, Result):
                s = type(v).__name__ + "(...)"
            elif isinstance(v, (dict, list, tuple)) and len(v) > 4:
                s = f"{type(v).__name__}[{len(v)}]"
            else:
                s = repr(v)
            parts.append(f"{f.name}={s}")
        return f"{type(self).__name__}({', '.join(parts)})"
