"""Every analysis over ONE streaming pass of a file.

:func:`stream_pass` reads a file once and hands every chunk to each accumulator (anything
with ``add(chunk)`` and ``result()``): the per-bin sums (trace, FLID, intensity-resolved
decays), the full-resolution decay histogram, the pair correlation. Each accumulator keeps
its own bounded state, so memory does not grow with the file.
"""

from __future__ import annotations

from .analysis._source import stream_of

__all__ = ["stream_pass"]


def stream_pass(source, accumulators: dict, *, progress=None, **options) -> dict:
    """Feed every chunk of ``source`` to each accumulator; return ``{name: result()}``.

    Parameters
    ----------
    source : path, TTTRStream or photons from ``tttr.read``
    accumulators : dict
        ``name -> accumulator``.
    progress : callable, optional
        Called with the number of photons of each chunk.
    """
    _info, chunks = stream_of(source, **options)
    for chunk in chunks:
        for acc in accumulators.values():
            acc.add(chunk)
        if progress is not None:
            progress(len(chunk))
    return {name: acc.result() for name, acc in accumulators.items()}
