"""Former home of the source contract, now :mod:`tttr.io.source` (names re-exported for old imports)."""

from __future__ import annotations

from ..io.source import nanotime_problem, records_in, stream_of

__all__ = ["stream_of", "nanotime_problem", "records_in"]
