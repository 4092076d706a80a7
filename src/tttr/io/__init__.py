"""Readers and writers of time-tag files; all yield the common event model.

``open(path)`` detects the format by content (magic bytes, header text, container
signatures), with the file extension used only to break ties for formats that carry no
signature (Becker & Hickl SPC), and returns a :class:`~tttr.io.base.TTTRStream`.
"""

from __future__ import annotations

from ._timeorder import ON_TIME_ERROR
from .base import RecordStream, TTTRStream
from .events import PhotonChunk, StreamInfo
from .sniff import detect_format, open, read
from .source import nanotime_problem, stream_of

__all__ = ["open", "read", "detect_format", "stream_of", "nanotime_problem", "TTTRStream", "RecordStream", "PhotonChunk", "StreamInfo",
           "ON_TIME_ERROR"]
