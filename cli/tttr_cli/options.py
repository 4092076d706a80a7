"""Options and helpers shared by the sub-commands (defined once)."""

from __future__ import annotations

import json
import math
import re
import sys

import click
import numpy as np

_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9, "ps": 1e-12, "min": 60.0, "h": 3600.0}


class Duration(click.ParamType):
    """A duration with a unit: ``10ms``, ``1us``, ``2.5ns``; a bare number is seconds."""

    name = "duration"

    def convert(self, value, param, ctx):
        if isinstance(value, (int, float)):
            return float(value)
        m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([a-zµ]*)\s*", str(value))
        if not m or m.group(2) not in _UNITS and m.group(2) != "":
            self.fail(f"{value!r} is not a duration like 10ms, 1us, 2.5ns", param, ctx)
        return float(m.group(1)) * _UNITS.get(m.group(2), 1.0)


DURATION = Duration()

json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout and nothing else.")


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def emit_json(obj) -> None:
    """Write ``obj`` as one JSON object (NaN/inf become null) to stdout."""
    click.echo(json.dumps(_jsonable(obj), indent=2, allow_nan=False))


def progress_enabled(as_json: bool) -> bool:
    """Progress bars only on a terminal and never with ``--json``."""
    return not as_json and sys.stderr.isatty()


def reader_options(f):
    """Options that tell a reader what its file does not (units of columnar files, ...)."""
    opts = [
        click.option("--timestamps-unit", "timestamps_unit_s", type=DURATION, default=None,
                     help="Columnar files: duration of one timestamp tick (e.g. 1ps)."),
        click.option("--nanotimes-unit", "nanotimes_unit_s", type=DURATION, default=None,
                     help="Columnar/FT1040/SPC: duration of one nanotime tick (e.g. 16ps)."),
        click.option("--sync-rate", "sync_rate_hz", type=float, default=None,
                     help="FT1040/columnar T3: laser repetition rate in Hz."),
        click.option("--channel-base", "channel_base", type=click.IntRange(0, 1), default=None,
                     help="Columnar files: 1 if channels are numbered from 1."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def reader_kwargs(kwargs: dict) -> dict:
    """Pop the reader options out of a command's keyword arguments (None = not given)."""
    keys = ("timestamps_unit_s", "nanotimes_unit_s", "sync_rate_hz", "channel_base")
    popped = {k: kwargs.pop(k, None) for k in keys}
    return {k: v for k, v in popped.items() if v is not None}
