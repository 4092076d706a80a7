"""Options, value types and helpers shared by the sub-commands (defined once).

Every value a person can type is checked here, at parse time, so that a bad value is a
usage error (exit 2) naming the option and what it accepts, never an exception deep in the
library.
"""

from __future__ import annotations

import json
import math
import re
import sys
from contextlib import contextmanager
from pathlib import Path

import click
import numpy as np

from tttr.text import DURATION_UNITS as _UNITS
from tttr.text import format_duration

_UNIT_LIST = ", ".join(u for u in _UNITS if u != "µs")


class Duration(click.ParamType):
    """A duration with a unit: ``10ms``, ``1us``, ``2.5ns``.

    Parameters
    ----------
    allow_zero : bool
        Accept 0 (a time zero or a shift may be 0; a bin or a window may not).

    Notes
    -----
    A bare number is refused with a hint (``did you mean 10ms?``): an earlier version read it
    as seconds, so ``--bin 10`` silently meant ten seconds. Negative, NaN and infinite values
    are refused.
    """

    name = "duration"

    def __init__(self, *, allow_zero: bool = False):
        self.allow_zero = allow_zero

    def convert(self, value, param, ctx):
        if isinstance(value, (int, float)) and not isinstance(value, bool):  # a default from tttr.defaults
            seconds = float(value)
        else:
            text = str(value).strip()
            m = re.fullmatch(r"([-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)\s*([a-zµ]*)", text)
            if not m or (m.group(2) and m.group(2) not in _UNITS):
                self.fail(f"{value!r} is not a duration; give a number and a unit ({_UNIT_LIST}), e.g. 10ms",
                          param, ctx)
            if not m.group(2):
                self.fail(f"{value!r} has no unit: did you mean {m.group(1)}ms? (units: {_UNIT_LIST})", param, ctx)
            seconds = float(m.group(1)) * _UNITS[m.group(2)]
        if not math.isfinite(seconds) or seconds < 0 or (seconds == 0 and not self.allow_zero):
            need = "zero or positive" if self.allow_zero else "positive"
            self.fail(f"{value!r}: the duration must be {need}", param, ctx)
        return seconds


class Number(click.ParamType):
    """A finite real number within bounds (``nan``, ``inf`` and out-of-range values refused)."""

    name = "number"

    def __init__(self, low: float | None = None, high: float | None = None, *, low_open: bool = False,
                 high_open: bool = False, what: str | None = None):
        self.low, self.high, self.low_open, self.high_open = low, high, low_open, high_open
        self.what = what

    def _range(self) -> str:
        if self.what:
            return self.what
        lo = "" if self.low is None else f"{self.low:g} {'<' if self.low_open else '≤'} "
        hi = "" if self.high is None else f" {'<' if self.high_open else '≤'} {self.high:g}"
        return f"a number with {lo}x{hi}"

    def convert(self, value, param, ctx):
        try:
            x = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number; expected {self._range()}", param, ctx)
        ok = math.isfinite(x)
        if ok and self.low is not None:
            ok = x > self.low if self.low_open else x >= self.low
        if ok and self.high is not None:
            ok = x < self.high if self.high_open else x <= self.high
        if not ok:
            self.fail(f"{value!r} is out of range; expected {self._range()}", param, ctx)
        return x


class DetectorList(click.ParamType):
    """Comma-separated 0-based detector numbers: ``0,1``."""

    name = "detectors"

    def __init__(self, count: int | None = None):
        self.count = count

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        try:
            dets = tuple(int(x) for x in str(value).split(","))
        except ValueError:
            dets = ()
        want = f"{self.count} " if self.count else ""
        if not dets or any(not 0 <= d <= 255 for d in dets) or (self.count and len(dets) != self.count):
            self.fail(f"{value!r} is not {want}detector numbers like {'0,1' if self.count != 1 else '0'} "
                      f"(0-based, 0 to 255)", param, ctx)
        if len(set(dets)) != len(dets):
            self.fail(f"{value!r} names a detector twice", param, ctx)
        return dets


class IntensityBands(click.ParamType):
    """Intensity bands in counts per bin: ``lo:hi`` (or ``lo-hi``), comma-separated."""

    name = "bands"

    def convert(self, value, param, ctx):
        if isinstance(value, list):
            return value
        bands = []
        for part in str(value).split(","):
            m = re.fullmatch(r"\s*(\d+)\s*[:-]\s*(\d+)\s*", part)
            if not m or int(m.group(1)) >= int(m.group(2)):
                self.fail(f"{part!r} is not a band lo:hi of counts per bin with lo < hi (e.g. 10:20,40:60)",
                          param, ctx)
            bands.append((int(m.group(1)), int(m.group(2))))
        return bands


class LibraryChoice(click.Choice):
    """One of the names in a tuple of the library (``module.NAME``), read when first needed.

    Parameters
    ----------
    module, name : str
        Where the tuple lives, e.g. ``"tttr.analysis.flid", "ESTIMATORS"``.
    exclude : tuple of str
        Names the command does not offer (e.g. a method that needs another option).

    Notes
    -----
    The choices are the library's own, so the command line cannot drift from what the
    library accepts; they are imported lazily so that ``tttr --help`` or ``tttr info`` do not
    load the analyses.
    """

    def __init__(self, module: str, name: str, *, exclude: tuple = ()):  # noqa: D107 - see the class
        self._where = (module, name, tuple(exclude))
        self._resolved = None
        self.case_sensitive = True

    @property
    def choices(self) -> tuple:
        if self._resolved is None:
            import importlib

            module, name, exclude = self._where
            self._resolved = tuple(c for c in getattr(importlib.import_module(module), name) if c not in exclude)
        return self._resolved


DURATION = Duration()
DURATION_OR_ZERO = Duration(allow_zero=True)
POSITIVE = Number(0, None, low_open=True, what="a positive number")
NON_NEGATIVE = Number(0, None, what="a number ≥ 0")
FRACTION = Number(0, 1, low_open=True, what="a fraction with 0 < f ≤ 1")
LEVELS_CONFIDENCE = Number(0.69, 0.99, what="a confidence with 0.69 ≤ c ≤ 0.99 (the simulated critical values)")

#: Python parameter names in library messages -> the flags a person types (longest first).
_FLAGS = (
    ("pass force=True to overwrite", "use --force to overwrite"),
    ("(use force)", "(use --force)"),
    ("nanotimes_unit_s=...", "--nanotimes-unit"),
    ("nanotimes_unit_s", "--nanotimes-unit"),
    ("timestamps_unit_s", "--timestamps-unit"),
    ("sync_rate_hz", "--sync-rate"),
    ("repetition_rate_hz", "--sync-rate"),
    ("channel_base", "--channel-base"),
    ("bin_width_s", "--bin"),
    ("t_min_s", "--t-min"),
    ("with detectors=...", "with --detectors A,B"),
)


def for_the_command_line(message: str) -> str:
    """A library message with its Python parameter names replaced by the command's flags."""
    for name, flag in _FLAGS:
        message = message.replace(name, flag)
    return message



json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout and nothing else.")


def force_option(what: str = "existing outputs"):
    """``--force``: the only way anything the user already has is replaced."""
    return click.option("--force", is_flag=True, help=f"Overwrite {what}.")


_FIGURE_FORMATS = ("png", "pdf", "svg")


class FigurePath(click.Path):
    """Where a figure goes: a file name ending in .png, .pdf or .svg."""

    def __init__(self):
        super().__init__(dir_okay=False, path_type=str)

    def convert(self, value, param, ctx):
        path = super().convert(value, param, ctx)
        if Path(path).suffix.lstrip(".").lower() not in _FIGURE_FORMATS:
            self.fail(f"{value!r}: a figure is written as {', '.join('.' + f for f in _FIGURE_FORMATS)}", param, ctx)
        return path


plot_option = click.option("--plot", "plot_path", type=FigurePath(), default=None,
                           help="Write the figure here (.png, .pdf or .svg); not overwritten without --force.")


def refuse_existing(*paths, force: bool) -> None:
    """Stop before any work when an output exists and ``--force`` was not given."""
    if force:
        return
    for p in paths:
        if p is not None and Path(p).exists():
            raise FileExistsError(f"{p}: exists; not overwritten (use --force)")


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


@contextmanager
def progress_bar(as_json: bool, total: int | None, *, desc: str, unit: str = "rec"):
    """A progress bar on stderr when a person is watching; yields its ``update`` or None.

    ``total`` is the number of records in the file (``info.n_records``); the analyses call
    the update with the records of each chunk (:func:`tttr.io.source.stream_of`).
    """
    if not progress_enabled(as_json):
        yield None
        return
    from tqdm import tqdm

    bar = tqdm(total=total if total else None, unit=unit, unit_scale=True, leave=False, desc=desc, file=sys.stderr)
    try:
        yield bar.update
    finally:
        bar.close()


def open_with_nanotimes(file, reader_opts: dict, what: str):
    """Open ``file`` for an analysis that needs nanotimes of known unit (``what``: "FLID", ...).

    Raises
    ------
    AnalysisError
        The file is T2, or T3 without its nanotime unit (the message says which flag helps).
    """
    import tttr
    from tttr.io.source import nanotime_problem
    from tttr.errors import AnalysisError

    stream = tttr.open(file, **reader_opts)
    problem = nanotime_problem(stream.info)
    if problem is not None:
        raise AnalysisError(f"{file}: no {what}: {problem}")
    return stream


def check_bins(n_bins: int, bin_width_s: float, duration_s: float, *, file=None, option: str = "--bin",
               need: int = 2) -> None:
    """Usage error when the trace bin leaves fewer than ``need`` whole bins in the measurement."""
    if n_bins < need:
        where = f"{file} lasts" if file is not None else "the measurement lasts"
        raise click.BadParameter(
            f"{where} {duration_s:.4g} s: {format_duration(bin_width_s)} leaves {n_bins} whole "
            f"bin{'s' if n_bins != 1 else ''}; choose a bin shorter than {format_duration(duration_s / need)}",
            param_hint=f"'{option}'")


def names_the_file(command):
    """Decorate a command whose first argument is ``file``: its errors name that file.

    A library error about the data (a fit with too few photons, say) may not know which file
    the data came from; the person at the terminal must be told.
    """
    import functools

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from tttr.errors import AnalysisError, TttrError

        try:
            return command(*args, **kwargs)
        except TttrError as exc:
            file = kwargs.get("file")
            if file is None or str(file) in str(exc):
                raise
            raise AnalysisError(f"{file}: {exc}") from exc

    return wrapper


def reader_options(f):
    """Options that tell a reader what its file does not (units of columnar files, ...)."""
    opts = [
        click.option("--timestamps-unit", "timestamps_unit_s", type=DURATION, default=None,
                     help="Columnar files: duration of one timestamp tick (e.g. 1ps)."),
        click.option("--nanotimes-unit", "nanotimes_unit_s", type=DURATION, default=None,
                     help="Columnar/FT1040/SPC without .set: duration of one nanotime tick (e.g. 16ps)."),
        click.option("--sync-rate", "sync_rate_hz", type=POSITIVE, default=None,
                     help="FT1040/columnar T3: laser repetition rate in Hz."),
        click.option("--channel-base", "channel_base", type=click.IntRange(0, 1), default=None,
                     help="Columnar files: 1 if channels are numbered from 1."),
        click.option("--on-time-error", "on_time_error", type=LibraryChoice("tttr.io", "ON_TIME_ERROR"), default=None,
                     help="When decoded times go backwards (corrupt records): stop with an error naming the record "
                          "(default), or drop / re-sort the offending events with a warning that counts them."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


READER_OPTION_NAMES = ("timestamps_unit_s", "nanotimes_unit_s", "sync_rate_hz", "channel_base", "on_time_error")


def reader_kwargs(kwargs: dict) -> dict:
    """Pop the reader options out of a command's keyword arguments (None = not given)."""
    popped = {k: kwargs.pop(k, None) for k in READER_OPTION_NAMES}
    return {k: v for k, v in popped.items() if v is not None}
