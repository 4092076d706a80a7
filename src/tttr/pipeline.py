"""Every analysis over ONE streaming pass of a file.

:func:`stream_pass` reads a file once and hands every chunk to each accumulator (anything
with ``add(chunk)`` and ``result()``): the per-bin sums (trace, FLID, intensity-resolved
decays), the full-resolution decay histogram, the pair correlation. Each accumulator keeps
its own bounded state, so memory does not grow with the file.
"""

from __future__ import annotations

import os
import queue
import threading
from concurrent.futures import ThreadPoolExecutor

from .analysis._source import stream_of

__all__ = ["stream_pass", "feed"]


def _prefetched(chunks, depth: int = 2):
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
        Called with the number of photons of each chunk.
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
    two prefetched chunks.
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
                progress(len(chunk))
    else:
        with ThreadPoolExecutor(max_workers=n_threads, thread_name_prefix="tttr-acc") as pool:
            for chunk in _prefetched(chunks):
                futures = [pool.submit(acc.add, chunk) for _name, acc in accs]
                for f in futures:
                    f.result()
                if progress is not None:
                    progress(len(chunk))
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


# ----------------------------------------------------------------------------- analyze
import warnings as _warnings  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

import numpy as np  # noqa: E402

from . import defaults  # noqa: E402
from .results import Result, jsonable  # noqa: E402

__all__ += ["Report", "analyze"]


@dataclass(frozen=True, repr=False)
class Report(Result):
    """Everything :func:`analyze` found in one file.

    The scalar summary is :meth:`to_dict` (the JSON of ``tttr analyze --json``); the full
    results (arrays, fits) are kept in the other attributes (None where not computed, with
    the reason in ``warnings``).
    """

    file: str
    format: str
    mode: str
    duration_s: float
    n_photons: int
    count_rate_cps: float
    bin_width_s: float
    info: object = None
    binned: object = None
    trace: object = None
    mandel_q: object = None
    mandel_q_curve: list = field(default_factory=list)
    blinking: object = None
    power_law: dict = field(default_factory=dict)
    decay: object = None
    lifetime_mono: object = None
    lifetime_bi: object = None
    flid_map: object = None
    regions: object = None
    flid_fit: object = None
    g2_curve: object = None
    g2: object = None
    g2_corrected: object = None
    warnings: list = field(default_factory=list)

    def to_dict(self, *, arrays: bool = False) -> dict:  # noqa: D102 - the documented schema
        def get(obj, name):
            return None if obj is None else getattr(obj, name, None)

        pl = {}
        for k in ("on", "off"):
            pure, trunc = self.power_law.get(k, (None, None))
            pl[k] = {"alpha": get(pure, "alpha"), "alpha_err": get(pure, "alpha_err"), "t_min_s": get(pure, "t_min_s"),
                     "n": get(pure, "n"), "ks_distance": get(pure, "ks_distance"),
                     "truncated": {"alpha": get(trunc, "alpha"), "alpha_err": get(trunc, "alpha_err"),
                                   "tau_c_s": get(trunc, "tau_c_s"), "tau_c_err_s": get(trunc, "tau_c_err_s"),
                                   "p_value": get(trunc, "p_value"), "preferred": get(trunc, "preferred")}}
        lt = None
        if self.lifetime_mono is not None or self.lifetime_bi is not None:
            lt = {"tau_ns": get(self.lifetime_mono, "tau_ns"), "tau_err_ns": get(self.lifetime_mono, "tau_err_ns"),
                  "tau1_ns": get(self.lifetime_bi, "tau1_ns"), "tau2_ns": get(self.lifetime_bi, "tau2_ns"),
                  "a1": get(self.lifetime_bi, "a1"), "a2": get(self.lifetime_bi, "a2"),
                  "tau_amp_ns": get(self.lifetime_bi, "tau_amp_ns"), "tau_int_ns": get(self.lifetime_bi, "tau_int_ns"),
                  "t0_ns": get(self.decay, "t0_ns"),
                  "background_fraction": _background_fraction(self.decay)}
        g2 = None
        if self.g2 is not None:
            g2 = {"mode": self.g2_curve.mode if self.g2_curve is not None else None,
                  "g2_zero": get(self.g2, "g2_zero"), "g2_zero_err": get(self.g2, "g2_zero_err"),
                  "g2_zero_corrected": get(self.g2_corrected, "g2_zero"),
                  "g2_zero_corrected_err": get(self.g2_corrected, "g2_zero_err"),
                  "background_fraction": get(self.g2_corrected, "background_fraction"),
                  "correction": get(self.g2_corrected, "method"),
                  "tau_a_ns": get(self.g2, "tau_a_ns"),
                  "peak_index": get(self.g2, "peak_index"),
                  "peak_areas_relative": get(self.g2, "peak_areas_relative")}
        flid = None
        if self.flid_fit is not None:
            d = self.flid_fit.to_dict()
            flid = {"verdict": d.get("verdict"), "reason": d.get("reason"), "evidence": d.get("evidence"),
                    "models": d.get("models"), "criterion": d.get("criterion")}
        elif self.flid_map is not None:
            flid = {"verdict": None, "reason": None, "evidence": None, "models": None}
        beta, beta_err = get(self.flid_fit, "beta"), get(self.flid_fit, "beta_err")
        if beta is None:  # no FLID fit: the regions' β (no error)
            beta = get(self.regions, "beta")
        out = {
            "file": self.file, "format": self.format, "mode": self.mode, "duration_s": self.duration_s,
            "n_photons": self.n_photons, "count_rate_cps": self.count_rate_cps, "bin_width_s": self.bin_width_s,
            "photons_per_detector": ({str(d): int(c) for d, c in enumerate(self.binned.counts.sum(axis=0)) if c}
                                     if self.binned is not None else None),
            "mandel_q": get(self.mandel_q, "q"), "mandel_q_err": get(self.mandel_q, "q_err"),
            "mandel_q_curve": [{"bin_width_s": m.bin_width_s, "q": m.q, "q_err": m.q_err} for m in self.mandel_q_curve],
            "on_fraction": get(self.blinking, "on_fraction"),
            "threshold_counts": get(get(self.blinking, "threshold"), "counts"),
            "threshold_method": get(get(self.blinking, "threshold"), "method"),
            "blinking_rate_hz": get(self.blinking, "blinking_rate_hz"),
            "charging_rate_hz": get(self.blinking, "charging_rate_hz"),
            "on_fraction_windowed": ({"window_s": self.blinking.window_s,
                                      "start_s": self.blinking.windowed_start_s,
                                      "on_fraction": self.blinking.windowed_on_fraction}
                                     if self.blinking is not None else None),
            "power_law": pl if self.blinking is not None else None,
            "lifetime": lt,
            "regions": ({"bands_counts": self.regions.regions, "intensity_counts": self.regions.intensity_counts,
                         "tau_ns": self.regions.tau_ns, "tau_err_ns": self.regions.tau_err_ns}
                        if self.regions is not None else None),
            "g2": g2,
            "flid": flid,
            "beta": beta,
            "beta_err": beta_err,
            "warnings": list(self.warnings),
        }
        return jsonable(out)


def rebinned_decay(decay, max_bins: int = 1024):
    """The aligned, summed decay with bins merged so that at most ``max_bins`` remain.

    Notes
    -----
    Used by :func:`analyze` for its lifetime fits: a 12 500-bin decay (16 ps bins) costs
    seconds per bi-exponential fit and holds no more information about nanosecond lifetimes
    than the same decay at ~200 ps; t0 is kept from the full-resolution histogram. The full
    histogram is what the report keeps and saves.
    """
    from .analysis.lifetime import DecayHistogram

    n = decay.summed.size
    k = max(1, -(-n // max_bins))
    if k == 1:
        return decay
    m = (n // k) * k
    merged = decay.summed[:m].reshape(-1, k).sum(axis=1)
    return DecayHistogram.from_counts(merged, decay.bin_width_ns * k, period_ns=decay.period_ns, align=False,
                                      t0=float(decay.t0_ns))


def _background_fraction(decay):
    if decay is None or not decay.n_photons:
        return None
    return float(min(max(decay.background_counts / decay.n_photons, 0.0), 0.999))


def analyze(source, *, bin_width_s: float = defaults.BIN_WIDTH_S, detectors=None, g2_detectors=(0, 1),
            g2_window_s: float | None = None, g2_bin_s: float | None = None, threshold_method: str = "fraction",
            threshold_fraction: float = defaults.THRESHOLD_FRACTION, power_law_t_min_s=None,
            flid_estimator: str = "mean", fit_flid: bool = True, progress=None, **options) -> Report:
    """Every analysis of one file in one streaming pass.

    Parameters
    ----------
    source : path, TTTRStream or photons from ``tttr.read``
    bin_width_s : float
        Intensity-trace bin width (default 10 ms); every statistic is reported with it.
    detectors : sequence of int, optional
        Detectors summed into the trace, FLID and decay (default: all).
    g2_detectors : (int, int)
        The HBT pair.
    g2_window_s, g2_bin_s : float, optional
        Correlation half-window and bin (defaults 1 µs, or ±2 periods in pulsed mode; 100 ps).
    threshold_method, threshold_fraction : see :func:`tttr.analysis.blinking.threshold`.
    power_law_t_min_s : float or "auto", optional
        Smallest dwell time in the power-law fits (default ``REPORT_POWERLAW_TMIN_BINS`` = 3
        bins: shorter run lengths are distorted by the binning, docs/bias.md).
    flid_estimator : {"mean", "corrected", "mle"}
    fit_flid : bool
        Fit the FLID models and give the verdict.

    Returns
    -------
    Report

    Notes
    -----
    One pass over the photons feeds three accumulators: the per-bin sums (trace, FLID,
    intensity-resolved decays), the full-resolution decay histogram, and the pair correlation.
    Everything else (Mandel Q, thresholds, dwell times, power laws, lifetime fits, region
    lifetimes, β, FLID models, g2(0) and its background correction) is computed from their
    results. A quantity that cannot be computed is None and the reason is in ``warnings``.
    """
    from .analysis import blinking as bl
    from .analysis.flid import flid_map as make_flid, region_lifetimes
    from .analysis.binned import BinnedAccumulator
    from .analysis.lifetime import DecayAccumulator, fit_lifetime
    from .analysis.photon_stats import mandel_q, mandel_q_curve
    from .analysis.powerlaw import fit_power_law, fit_truncated_power_law
    from .analysis.trace import trace_from_binned

    info, chunks = stream_of(source, **options)
    msgs: list[str] = list(info.warnings)
    accs = {"binned": BinnedAccumulator(info, bin_width_s=bin_width_s, detectors=detectors)}
    if info.is_t3:
        accs["decay"] = DecayAccumulator(info, detectors=detectors)
    g2_acc = None
    try:
        from .analysis.g2 import G2Accumulator

        g2_acc = G2Accumulator(info, window_s=g2_window_s, bin_s=g2_bin_s, detectors=g2_detectors)
        accs["g2"] = g2_acc
    except Exception as exc:  # noqa: BLE001 - reported, not fatal
        msgs.append(f"g2: {exc}")
    with _warnings.catch_warnings(record=True) as caught:
        _warnings.simplefilter("always")
        failed: dict = {}
        res = feed(chunks, accs, progress=progress, errors=failed)
    for name, exc in failed.items():
        msgs.append(f"{name}: {exc}")
    msgs += [str(w.message) for w in caught if str(w.message) not in msgs]
    binned = res["binned"]
    if binned is None:
        raise failed["binned"]
    trace = trace_from_binned(binned)
    n_ph = int(binned.n_photons)
    rep = dict(file=str(getattr(source, "path", source)), format=info.format, mode=info.mode,
               duration_s=binned.duration_s, n_photons=n_ph,
               count_rate_cps=n_ph / binned.duration_s if binned.duration_s > 0 else float("nan"),
               bin_width_s=binned.bin_width_s, info=info, binned=binned, trace=trace)

    def attempt(name, fn):
        # NaN/inf arithmetic on empty or degenerate data is expected here (a bin without
        # photons, a fit that cannot converge): the result says NaN/None and the reason goes
        # to `warnings`, so numpy's floating-point RuntimeWarnings are not printed as well
        try:
            with np.errstate(all="ignore"), _warnings.catch_warnings():
                _warnings.simplefilter("ignore", RuntimeWarning)
                return fn()
        except Exception as exc:  # noqa: BLE001 - one failed analysis never sinks the report
            msgs.append(f"{name}: {exc}")
            return None

    if power_law_t_min_s is None:
        power_law_t_min_s = defaults.REPORT_POWERLAW_TMIN_BINS * binned.bin_width_s
    total = trace.total
    if total.size < 2:
        msgs.append(f"trace: only {total.size} full bins of {binned.bin_width_s:g} s; no photon statistics")
    else:
        rep["mandel_q"] = mandel_q(total, bin_width_s=binned.bin_width_s)
        rep["mandel_q_curve"] = mandel_q_curve(total, bin_width_s=binned.bin_width_s)
        st = attempt("blinking", lambda: bl.blinking_statistics(
            total, bin_width_s=binned.bin_width_s, method=threshold_method, fraction=threshold_fraction))
        rep["blinking"] = st
        if st is not None:
            pl = {}
            for k in ("on", "off"):
                dur = getattr(st.dwell, f"{k}_s")
                pure = attempt(f"power law {k}", lambda: fit_power_law(dur, bin_width_s=binned.bin_width_s,
                                                                        t_min_s=power_law_t_min_s))
                trunc = attempt(f"truncated power law {k}", lambda: fit_truncated_power_law(
                    dur, bin_width_s=binned.bin_width_s, t_min_s=power_law_t_min_s))
                for f in (pure, trunc):
                    if f is not None and getattr(f, "warning", None):
                        msgs.append(f"power law {k}: {f.warning}")
                pl[k] = (pure, trunc)
            rep["power_law"] = pl
    if info.is_t3 and res.get("decay") is not None:
        decay = res["decay"]
        rep["decay"] = decay
        coarse = attempt("decay rebinning", lambda: rebinned_decay(decay))
        if coarse is not None:
            rep["lifetime_mono"] = attempt("lifetime (mono)", lambda: fit_lifetime(coarse, model="mono"))
            rep["lifetime_bi"] = attempt("lifetime (bi)", lambda: fit_lifetime(coarse, model="bi"))
        fm = attempt("flid", lambda: make_flid(binned, estimator=flid_estimator))
        rep["flid_map"] = fm
        regions = attempt("intensity regions", lambda: region_lifetimes(binned))
        rep["regions"] = regions
        if fit_flid and fm is not None:
            def _fit():
                from .analysis.models import fit_flid as _fit_flid

                reg = regions
                if reg is None:  # one intensity level: one region over everything, for the background only
                    top = int(binned.intensity().max()) if binned.intensity().size else 0
                    reg = attempt("background region", lambda: region_lifetimes(binned, regions=[(0, top)]))
                return _fit_flid(fm, regions=reg)

            rep["flid_fit"] = attempt("flid models", _fit)
    elif not info.is_t3:
        msgs.append("lifetime, FLID: T2 data have no nanotimes")
    if g2_acc is not None:
        curve = res.get("g2")
        rep["g2_curve"] = curve
        if curve is not None:
            if curve.n_a == 0 or curve.n_b == 0:
                msgs.append(f"g2: needs photons on detectors {g2_detectors[0]} and {g2_detectors[1]}; "
                            f"found {curve.n_a} and {curve.n_b}")
            else:
                from .analysis.g2 import correct_background, fit_cw_g2, pulsed_g2_zero

                if curve.mode == "pulsed":
                    g = attempt("g2 pulsed", lambda: pulsed_g2_zero(curve))
                else:
                    g = attempt("g2 cw", lambda: fit_cw_g2(curve))
                rep["g2"] = g
                bf = _background_fraction(rep.get("decay"))
                if g is not None and bf is not None:
                    rep["g2_corrected"] = attempt("g2 background", lambda: correct_background(g, background_fraction=bf))
    rep["warnings"] = list(dict.fromkeys(msgs))  # each message once, in order
    return Report(**rep)
