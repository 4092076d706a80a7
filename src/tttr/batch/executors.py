"""Where the per-file tasks run: in this process, a local process pool, or a Dask cluster.

Each executor is a generator of :class:`~tttr.batch.records.Analyzed`/:class:`~tttr.batch.records.Failed`
records in completion order; closing it ends its workers at once."""

from __future__ import annotations

import os
import sys
import time
from collections import deque

from .records import Failed
from .worker import _process_one, _reason, _Task

#: Start method of the local worker processes; see :func:`run_batch` Notes.
_MP_START = "forkserver"



def _run_inline(tasks):
    for task in tasks:
        yield _process_one(task)


def _mp_context():
    import multiprocessing as mp

    try:
        ctx = mp.get_context(_MP_START)
    except ValueError:  # forkserver is POSIX-only
        return mp.get_context("spawn")
    if _MP_START == "forkserver":
        ctx.set_forkserver_preload(list(_PRELOAD))
    return ctx


#: Imported once by the fork server, so that every worker starts with them loaded.
_PRELOAD = ("tttr.batch", "tttr.batch.worker", "tttr.pipeline", "tttr.report_io", "tttr.io.sniff", "tttr.analysis.binned",
            "tttr.analysis.blinking", "tttr.analysis.lifetime", "tttr.analysis.flid", "tttr.analysis.g2",
            "tttr.analysis.models", "tttr.analysis.photon_stats", "tttr.analysis.powerlaw", "tttr.analysis.trace")


def _process_alive(pid: int) -> bool:
    """True while process ``pid`` exists and is not a zombie (Linux: ``/proc``; else ``kill 0``)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rsplit(b")", 1)[1].split()[0]
        return state not in (b"Z", b"X")
    except (OSError, IndexError):
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _watch_parent(batch_pid: int, parent_pid: int, period_s: float) -> None:
    """Kill this worker as soon as the batch process or this worker's parent is gone."""
    import signal

    while True:
        if os.getppid() != parent_pid or not _process_alive(batch_pid):
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(period_s)


def _worker_init(batch_pid: int) -> None:
    """Initializer of every local worker: it must not outlive the batch.

    Notes
    -----
    * Linux: ``prctl(PR_SET_PDEATHSIG, SIGKILL)``, so the kernel kills the worker when its
      parent dies (the fork server, which exits when the batch process dies, or the batch
      process itself under ``spawn``).
    * Everywhere: a daemon thread that checks twice a second that the parent is still the
      same and the batch process still runs (not a zombie), and kills the worker
      otherwise (a portable fallback, and the guard against a parent that died before the
      ``prctl``).
    * SIGINT is ignored: a Ctrl-C reaches the whole process group, and the batch process
      ends its workers itself (:func:`_end_workers`).
    """
    import signal
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no prctl: the watchdog remains
            pass
    threading.Thread(target=_watch_parent, args=(batch_pid, parent, _WATCHDOG_PERIOD_S), daemon=True,
                     name="tttr-batch-watchdog").start()


#: How often a worker checks that its batch still runs (s).
_WATCHDOG_PERIOD_S = 0.5


def _new_pool(ctx, jobs: int):
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_worker_init,
                               initargs=(os.getpid(),))


def _end_workers(pool) -> None:
    """Kill the worker processes of ``pool`` (an interrupted batch) and shut it down."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for p in procs:
        try:
            p.kill()
        except (OSError, ValueError):
            pass
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        try:
            p.join(5)
        except (OSError, ValueError, AssertionError):
            pass


def _check_workers_start(ctx) -> None:
    """Raise when a worker process cannot even start (so no file is blamed for it)."""
    from concurrent.futures.process import BrokenProcessPool

    try:
        with _new_pool(ctx, 1) as pool:
            pool.submit(os.getpid).result()
    except BrokenProcessPool:
        raise RuntimeError(
            f"local worker processes ({ctx.get_start_method()}) fail to start; a script that calls run_batch "
            "with jobs > 1 must do so under `if __name__ == \"__main__\":` (or use jobs=1)") from None


def _died(task: _Task) -> Failed:
    return Failed(task.rel, "the worker process died while analysing this file (crash or out of memory)")


def _run_pool(tasks, jobs: int):
    """Local process pool, at most ``2 * jobs`` tasks in flight.

    When a worker process dies the pool breaks and every task in flight fails with it; those
    are then run again one at a time, each in a fresh one-process pool, so only the file
    that kills its worker is recorded as failed.
    """
    from concurrent.futures import FIRST_COMPLETED, wait
    from concurrent.futures.process import BrokenProcessPool

    from ..errors import OutputError

    ctx = _mp_context()
    pending = deque(tasks)
    while pending:
        suspects = []
        pool = _new_pool(ctx, jobs)
        finished = False
        try:
            inflight: dict = {}
            broken = False
            while (pending or inflight) and not broken:
                while pending and len(inflight) < 2 * jobs:
                    task = pending.popleft()
                    inflight[pool.submit(_process_one, task)] = task
                done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                for fut in done:
                    task = inflight.pop(fut)
                    try:
                        yield fut.result()
                    except BrokenProcessPool:
                        suspects.append(task)
                        broken = True
                    except OutputError:
                        raise
                    except Exception as exc:  # noqa: BLE001 - e.g. a result that does not unpickle
                        yield Failed(task.rel, _reason(exc, task.source))
            suspects += list(inflight.values())
            finished = True
        finally:
            if finished:
                pool.shutdown(wait=True, cancel_futures=True)
            else:  # interrupted (Ctrl-C, disk full, the consumer stopped): end the workers now
                _end_workers(pool)
        if suspects:
            _check_workers_start(ctx)
        for task in suspects:
            alone = _new_pool(ctx, 1)
            finished = False
            try:
                try:
                    yield alone.submit(_process_one, task).result()
                except BrokenProcessPool:
                    yield _died(task)
                finished = True
            finally:
                if finished:
                    alone.shutdown(wait=True)
                else:
                    _end_workers(alone)


def _dask_client(scheduler):
    """(client, owned): a Client for an address, a cluster object or a Client."""
    from ..errors import TttrError

    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - optional dependency
        raise TttrError("--scheduler needs Dask distributed: pip install 'tttr[dask]'") from exc
    if isinstance(scheduler, Client):
        return scheduler, False
    address = getattr(scheduler, "scheduler_address", scheduler)
    try:
        return Client(address, set_as_default=False), True
    except (OSError, TimeoutError) as exc:
        raise TttrError(f"cannot connect to the Dask scheduler at {address}: {exc}") from None


def _run_dask(tasks, scheduler):
    """One Dask task per file; results in completion order."""
    from distributed import as_completed

    from ..errors import OutputError

    client, owned = _dask_client(scheduler)
    try:
        futures = {client.submit(_process_one, task, pure=False, key=f"tttr-batch-{os.getpid()}-{i}-{time.time_ns()}"):
                   task for i, task in enumerate(tasks)}
        for fut in as_completed(list(futures), loop=client.loop):
            task = futures[fut]
            try:
                yield fut.result()
            except OutputError:
                raise
            except Exception as exc:  # noqa: BLE001 - a worker that died (KilledWorker), ...
                yield Failed(task.rel, f"Dask worker: {_reason(exc, task.source)}")
            finally:
                fut.release()
    finally:
        if owned:
            client.close()

