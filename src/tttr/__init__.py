"""tttr: streaming analysis of time-tagged photon streams from single emitters.

The public face: :func:`open` (a file as a stream of photon chunks), :func:`read` (the whole
file at once) and the result types. Heavy modules (analysis, plotting) load on first use.
"""

from __future__ import annotations

from .errors import FormatError, TruncatedFileWarning, TttrError
from ._version import __version__
from .io import PhotonChunk, StreamInfo, open, read


def analyze(source, **options):
    """Every analysis of one file in one streaming pass (see :func:`tttr.pipeline.analyze`)."""
    from .pipeline import analyze as _analyze

    return _analyze(source, **options)

__all__ = ["open", "read", "analyze", "PhotonChunk", "StreamInfo", "TttrError", "FormatError", "TruncatedFileWarning", "__version__"]
