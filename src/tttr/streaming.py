"""One streaming pass of a file through any number of accumulators.

:func:`stream_pass` reads a file once and hands every chunk to each accumulator (anything
with ``add(chunk)`` and ``result()``): the per-bin sums (trace, FLID, intensity-resolved
decays), the full-resolution decay histogram, the pair correlation. Each accumulator keeps
its own bounded state, so memory does not grow with the file. :func:`feed` is the same for
chunks already opened; a background thread decodes the next chunk meanwhile.
"""

from __future__ import annotations

import os
import queue
import threading
from concurrent.futures import ThreadPoolExecutor

from . import defaults
from .io.source import records_in, stream_of

__all__ = ["stream_pass", "feed"]


def _prefetched(chunks, depth: int = defaults.PREFETCH_CHUNKS):
    """Iterate ``chunks`` in a background thread, ``depth`` chunks ahead (reading and decoding
    release the GIL, so the next chunk is decoded while the current one is analysed)."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def produce():
        try:
            for c in chunks:
                while not stop.is_set():
                    try:
                        q.put(c, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(done)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            q.put(exc)

    t = threading.Thread(target=produce, name="tttr-prefetch", daemon=True)
    t.start()
    try:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()


def stream_pass(source, accumulators: dict, *, progress=None, errors: dict | None = None, threads: int | None = None,
                **options) -> dict:
    """Feed every chunk of ``source`` to each accumulator; return ``{name: result()}``.

    Parameters
    ----------
    source : path, TTTRStream or photons from ``tttr.read``
    accumulators : dict
        ``name -> accumulator``.
    progress : callable, optional
        Called with the number of file records of each chunk (its total is ``info.n_records``).
    errors : dict, optional
        If given, an accumulator whose ``result()`` raises gets None and its exception is
        stored here under its name (the others are not lost); otherwise the exception
        propagates.
    threads : int, optional
        Threads that run the accumulators of a chunk side by side (default: one per
        accumulator, at most the number of CPUs); 1 runs everything in this thread.

    Notes
    -----
    The numba kernels release the GIL, so with ``threads > 1`` the accumulators of one chunk
    run in parallel while a prefetch thread reads and decodes the next chunk. Each
    accumulator only reads the shared chunk and changes its own state, and sees the chunks in
    file order, so the results are identical to a sequential pass. Memory grows by at most
    ``defaults.PREFETCH_CHUNKS`` (2) prefetched chunks.
    """
    _info, chunks = stream_of(source, **options)
    return feed(chunks, accumulators, progress=progress, errors=errors, threads=threads)


def feed(chunks, accumulators: dict, *, progress=None, errors: dict | None = None, threads: int | None = None) -> dict:
    """The body of :func:`stream_pass` for chunks already opened (same parameters and result)."""
    accs = list(accumulators.items())
    n_threads = threads if threads is not None else min(len(accs), os.cpu_count() or 1)
    if n_threads <= 1 or len(accs) <= 1:
        for chunk in chunks:
            for _name, acc in accs:
                acc.add(chunk)
            if progress is not None:
                progress(records_in(chunk))
    else:
        with ThreadPoolExecutor(max_workers=n_threads, thread_name_prefix="tttr-acc") as pool:
            for chunk in _prefetched(chunks):
                futures = [pool.submit(acc.add, chunk) for _name, acc in accs]
                for f in futures:
                    f.result()
                if progress is not None:
                    progress(records_in(chunk))
    out = {}
    for name, acc in accs:
        try:
            out[name] = acc.result()
        except Exception as exc:  # noqa: BLE001 - collected for the caller when asked
            if errors is None:
                raise
            errors[name] = exc
            out[name] = None
    return out
