"""The one error hierarchy of ``tttr``.

Every problem with a user's input is raised as a :class:`TttrError` subclass whose
message is one line that names the file and the problem; the command line prints that
line and exits non-zero, without a traceback unless ``--debug`` is given.
"""

from __future__ import annotations

__all__ = [
    "TttrError",
    "FormatError",
    "UnknownFormatError",
    "UnsupportedRecordTypeError",
    "TruncatedHeaderError",
    "AnalysisError",
    "OutputError",
    "OutputInUseError",
    "TttrWarning",
    "TruncatedFileWarning",
    "HeaderWarning",
    "TimeOrderError",
    "TimeOrderWarning",
    "printable",
]


def printable(text, limit: int = 300) -> str:
    """``text`` as one printable line: control characters, newlines and undecodable bytes are
    shown as escapes, and anything past ``limit`` characters is cut (with an ellipsis).

    Notes
    -----
    Error messages quote header values and names taken from hostile files; this keeps a
    message one line on any terminal and in any log.
    """
    s = str(text)
    if not s.isprintable():
        s = "".join(c if c.isprintable() else c.encode("unicode_escape", "backslashreplace").decode("ascii")
                    for c in s)
    return s if len(s) <= limit else s[: limit - 3] + "..."


class TttrError(Exception):
    """Base class of every error ``tttr`` raises on purpose."""


class FormatError(TttrError, ValueError):
    """A file is not what it claims to be, or its header is inconsistent."""

    def __init__(self, path, problem: str):
        self.path = str(path)
        self.problem = printable(problem, 600)
        super().__init__(f"{printable(self.path, 1000)}: {self.problem}")


class UnknownFormatError(FormatError):
    """The content of a file matches no supported time-tag format."""


class UnsupportedRecordTypeError(FormatError):
    """A PicoQuant header names a record type this version cannot decode."""


class TruncatedHeaderError(FormatError):
    """The file ends inside its header."""


class AnalysisError(TttrError, ValueError):
    """An analysis cannot be computed from the data given (e.g. g2 with one detector)."""


class TttrWarning(UserWarning):
    """Base class of the warnings ``tttr`` issues about a file."""


class TruncatedFileWarning(TttrWarning):
    """The records end early; everything up to the last whole record was decoded."""


class HeaderWarning(TttrWarning):
    """The header is odd but decodable (duplicate tag with equal value, count 0, ...)."""


class OutputError(TttrError, OSError):
    """An output file cannot be written: the disk is full, a quota is reached, an I/O error.

    ``errno`` and ``strerror`` are those of the operating system's error; the message is one
    line naming the file (nothing half-written is left at that path).
    """

    def __init__(self, path, code: int, problem: str):
        self.path = str(path)
        self.problem = problem
        OSError.__init__(self, code, problem)
        self.filename = self.path

    def __str__(self) -> str:
        return f"{self.path}: cannot write: {self.problem}"

    def __reduce__(self):  # picklable across worker processes
        return (type(self), (self.path, self.errno, self.problem))


class OutputInUseError(TttrError):
    """An output folder is locked by another run (two batches into one folder)."""


class TimeOrderError(FormatError):
    """Decoded times go backwards: the records are corrupt (see ``on_time_error``)."""


class TimeOrderWarning(TttrWarning):
    """Events whose time went backwards were dropped or re-sorted (``on_time_error``)."""
