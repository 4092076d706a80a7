"""Every analysis of one file in one streaming pass: :func:`analyze` and its :class:`Report`.

The pass itself (chunks handed to accumulators, prefetching) is :mod:`tttr.streaming`;
:func:`analyze` chooses the accumulators, runs the pass and computes everything else from
their results in named steps (photon statistics, lifetimes and FLID, g2).
"""

from __future__ import annotations

import warnings as _warnings
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from . import defaults
from .io.source import nanotime_problem, stream_of
from .results import Result, jsonable
from .streaming import feed, stream_pass

__all__ = ["Report", "analyze", "rebinned_decay", "stream_pass", "feed"]


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
    blinking_test: object = None
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
    levels: object = None
    warnings: list = field(default_factory=list)

    def _repr_html_(self) -> str:
        """The report's summary table (units and errors), for Jupyter."""
        import html

        from .report_html import summary_rows

        rows = "".join(f"<tr><td>{html.escape(r['name'])}</td><td>{html.escape(r['value'])}</td></tr>"
                       for r in summary_rows(self.to_dict()))
        return f"<table><caption>{html.escape(str(self.file))}</caption>{rows}</table>"

    def to_dict(self) -> dict:
        """The JSON summary of the report (``tttr analyze --json``), composed of each result's
        ``summary()``.

        Notes
        -----
        Keys are present whatever was computed: a section whose result is missing is None, or
        its keys with None where the section exists (a failed power-law fit beside a good one).
        ON/OFF statistics are reported only for a trace in which blinking was detected (not
        for an undetermined test either); with no blinking the ON fraction is 1.
        """
        detected = self.blinking_test.blinking_detected if self.blinking_test is not None else None
        blinks = self.blinking is not None and detected is not False
        out = {
            "file": self.file, "format": self.format, "mode": self.mode, "duration_s": self.duration_s,
            "n_photons": self.n_photons, "count_rate_cps": self.count_rate_cps, "bin_width_s": self.bin_width_s,
            "photons_per_detector": _per_detector(self.binned),
            "n_photons_trace": int(self.binned.counts.sum()) if self.binned is not None else None,
            "mandel_q": self.mandel_q.q if self.mandel_q is not None else None,
            "mandel_q_err": self.mandel_q.q_err if self.mandel_q is not None else None,
            "mandel_q_err_method": self.mandel_q.q_err_method if self.mandel_q is not None else None,
            "mandel_q_err_reason": self.mandel_q.q_err_reason if self.mandel_q is not None else None,
            "mandel_q_curve": [m.summary() for m in self.mandel_q_curve],
            "blinking_detected": detected,
            "blinking_test": self.blinking_test.summary() if self.blinking_test is not None else None,
        }
        out.update(self._blinking_summary(detected, blinks))
        out["power_law"] = self._power_law_summary() if blinks else None
        out["lifetime"] = self._lifetime_summary()
        out["regions"] = self.regions.summary() if self.regions is not None else None
        out["g2"] = _g2_summary(self.g2, self.g2_corrected, self.g2_curve) if self.g2 is not None else None
        out["flid"] = self._flid_summary()
        out["beta"], out["beta_err"] = self._beta()
        if self.levels is not None:  # only when asked for (analyze(levels=True)): other reports unchanged
            out.update(self.levels.summary())
        out["warnings"] = list(self.warnings)
        return jsonable(out)

    def to_row(self) -> dict:
        """The scalar keys of :meth:`to_dict`, flattened (``a.b``), for tables."""
        from .results import flatten

        return {k: v for k, v in flatten(self.to_dict()).items() if not isinstance(v, list)}

    def _blinking_summary(self, detected, blinks: bool) -> dict:
        from .analysis.blinking import BlinkingStats

        d = self.blinking.summary() if blinks else dict.fromkeys(BlinkingStats.SUMMARY_KEYS)
        if detected is False:
            d["on_fraction"] = 1.0
        return d

    def _power_law_summary(self) -> dict:
        # p_value: goodness of fit (semi-parametric bootstrap); truncated.p_value stays the
        # likelihood-ratio test against the pure law, truncated.gof_p_value is its fit
        from .analysis.powerlaw import PowerLawFit, TruncatedPowerLawFit

        pl = {}
        for k in ("on", "off"):
            pure, trunc = self.power_law.get(k, (None, None))
            pl[k] = {**_summary(pure, PowerLawFit.SUMMARY_KEYS),
                     "truncated": _summary(trunc, TruncatedPowerLawFit.SUMMARY_KEYS)}
        return pl

    def _lifetime_summary(self) -> dict | None:
        if self.lifetime_mono is None and self.lifetime_bi is None:
            return None
        from .analysis.lifetime import LifetimeFit

        return {**_summary(self.lifetime_mono, LifetimeFit.SUMMARY_KEYS["mono"]),
                **_summary(self.lifetime_bi, LifetimeFit.SUMMARY_KEYS["bi"]),
                "t0_ns": self.decay.t0_ns if self.decay is not None else None,
                "background_fraction": _background_fraction(self.decay)}

    def _flid_summary(self) -> dict | None:
        if self.flid_fit is not None:
            return self.flid_fit.summary()
        if self.flid_map is not None:
            return {"verdict": None, "reason": None, "evidence": None, "models": None}
        return None

    def _beta(self) -> tuple:
        """β and its error: the FLID fit's (background-corrected), else the regions' (no error)."""
        fit = self.flid_fit
        beta, beta_err = (fit.beta, fit.beta_err) if fit is not None else (None, None)
        if beta is None:
            beta = self.regions.beta if self.regions is not None else None
        return beta, beta_err


def _summary(result, keys) -> dict:
    """``result.summary()``, or its keys with None when the result is missing (a failed fit)."""
    return dict.fromkeys(keys) if result is None else result.summary()


def _per_detector(binned) -> dict | None:
    """Photons of the whole file by detector (sums to ``n_photons``; the trace holds
    ``n_photons_trace`` of them: the last partial bin is dropped)."""
    if binned is None:
        return None
    counts = binned.photons_per_detector
    if counts is None:
        counts = binned.counts.sum(axis=0)
    return {str(d): int(c) for d, c in enumerate(counts) if c}


def _g2_summary(g, corrected, curve) -> dict:
    """The ``g2`` section: the g2 result's own summary, its background-corrected keys filled
    from the separate correction where the result has none (a CW fit; never for a fit on a
    bound, which gives no values)."""
    d = {"mode": curve.mode if curve is not None else None, **g.summary()}
    if corrected is not None:
        rejected = d["fit_at_bound"] is not None
        for k, v in corrected.summary().items():
            if d[k] is None and not (rejected and k.startswith("g2_zero")):
                d[k] = v
    return d


def rebinned_decay(decay, max_bins: int = defaults.LIFETIME_FIT_MAX_BINS):
    """The aligned, summed decay merged to at most ``max_bins`` bins, which the report's lifetime
    fits use (:meth:`tttr.analysis.lifetime.DecayHistogram.rebinned`; ``tttr lifetime`` fits the
    same, so both commands give one answer)."""
    return decay.rebinned(max_bins)


def _background_fraction(decay):
    if decay is None or not decay.n_photons:
        return None
    return float(min(max(decay.background_counts / decay.n_photons, 0.0), defaults.BACKGROUND_FRACTION_MAX))


def analyze(source, *, bin_width_s: float = defaults.BIN_WIDTH_S, detectors=None,
            g2_detectors=defaults.G2_DETECTORS, g2_window_s: float | None = None, g2_bin_s: float | None = None,
            threshold_method: str = defaults.THRESHOLD_METHOD,
            threshold_fraction: float = defaults.THRESHOLD_FRACTION, power_law_t_min_s="auto",
            power_law_gof_draws: int = defaults.POWERLAW_GOF_DRAWS,
            power_law_error_draws: int = defaults.POWERLAW_ERROR_DRAWS,
            truncated_gof_draws: int = defaults.TRUNCATED_GOF_DRAWS, flid_estimator: str = defaults.FLID_ESTIMATOR,
            fit_flid: bool = True, levels: bool = defaults.ANALYZE_LEVELS,
            levels_confidence: float = defaults.LEVELS_CONFIDENCE, progress=None,
            g2_correction: str = defaults.G2_BACKGROUND_CORRECTION, **options) -> Report:
    """Every analysis of one file in one streaming pass.

    Parameters
    ----------
    source : path, TTTRStream or photons from ``tttr.read``
    bin_width_s : float
        Intensity-trace bin width (default 10 ms); every statistic is reported with it.
    detectors : sequence of int, optional
        Detectors summed into the trace, FLID and decay (default: all).
    g2_detectors : (int, int)
        The HBT pair (default ``defaults.G2_DETECTORS``, 0 and 1).
    g2_window_s, g2_bin_s : float, optional
        Correlation half-window and bin (defaults 1 µs, or ±2 periods in pulsed mode; 100 ps).
    threshold_method, threshold_fraction : see :func:`tttr.analysis.blinking.threshold`.
    power_law_t_min_s : float, "auto" or None
        Smallest dwell time in the power-law fits. ``"auto"`` (default): each law's ``t_min``
        minimises its KS distance (Clauset et al. 2009) among candidates from
        ``REPORT_POWERLAW_TMIN_BINS`` = 3 bins up (shorter run lengths are distorted by the
        binning, docs/bias.md); None: fixed at those 3 bins; seconds: fixed there.
    power_law_gof_draws, truncated_gof_draws : int
        Semi-parametric bootstrap draws behind the goodness-of-fit p-values of the pure and
        the truncated law (0: not computed). Defaults ``POWERLAW_GOF_DRAWS`` (200, ~0.5 s per
        dwell series) and ``TRUNCATED_GOF_DRAWS`` (20, ≲ 1 s per series); the draws are seeded
        (rng 0), so a report is reproducible.
    power_law_error_draws : int
        Bootstrap resamples behind the pure law's ``alpha_err`` (default
        ``POWERLAW_ERROR_DRAWS`` = 100): with the automatic ``t_min`` each repeats the search,
        so the error includes the uncertainty of ``t_min``; 0 gives the Fisher error at the
        chosen ``t_min`` (too small, docs/validation_estimators.md).
    flid_estimator : {"mean", "corrected", "mle"}
    fit_flid : bool
        Fit the FLID models and give the verdict.
    g2_correction : {"pairs", "rho", "subtract"}
        Background correction of g2(0) (default "pairs": the pairs with a background photon
        removed from every peak; see :func:`tttr.analysis.g2.pulsed_g2_zero`).
    levels : bool
        Also find intensity levels by change-point detection in the same pass, group them into
        states and report the level-resolved statistics
        (:func:`tttr.analysis.level_statistics.level_statistics`). Off by default
        (``defaults.ANALYZE_LEVELS``): the change-point search costs about 2.4 times the binned
        pass (docs/levels.md), above the goal of costing no more than it.
    levels_confidence : float
        1 − type-I error of each change-point test (0.69 … 0.99).

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

    ON/OFF statistics are reported only when
    :func:`~tttr.analysis.blinking.single_level_test` rejects one Poisson level (otherwise ON
    fraction 1, no threshold, rates or power laws, and the test's numbers in ``warnings``).
    Fitted quantities the instrument cannot measure (:mod:`tttr.analysis.sanity`: lifetimes
    outside IRF width … laser period, parameters on a bound of the fit, implausible β, τ_c
    below one bin or beyond the measurement) each add a warning.
    """
    if g2_correction not in G2_CORRECTIONS:
        raise ValueError(f"g2_correction must be 'pairs', 'rho' or 'subtract', got {g2_correction!r}")
    from .analysis.trace import trace_from_binned

    info, chunks = stream_of(source, **options)
    msgs: list[str] = list(info.warnings)
    attempt = partial(_attempt, msgs)
    accs = _accumulators(info, msgs, bin_width_s=bin_width_s, detectors=detectors, g2_window_s=g2_window_s,
                         g2_bin_s=g2_bin_s, g2_detectors=g2_detectors)
    if levels:
        accs["levels"] = _levels_accumulator(info, detectors, levels_confidence)
    res = _one_pass(chunks, accs, progress, msgs)
    binned = res["binned"]
    trace = trace_from_binned(binned)
    n_ph = int(binned.n_photons)
    rep = dict(file=str(getattr(source, "path", source)), format=info.format, mode=info.mode,
               duration_s=binned.duration_s, n_photons=n_ph,
               count_rate_cps=n_ph / binned.duration_s if binned.duration_s > 0 else float("nan"),
               bin_width_s=binned.bin_width_s, info=info, binned=binned, trace=trace)
    rep.update(_photon_statistics(trace, binned, msgs, threshold_method=threshold_method,
                                  threshold_fraction=threshold_fraction, power_law_t_min_s=power_law_t_min_s,
                                  power_law_gof_draws=power_law_gof_draws,
                                  power_law_error_draws=power_law_error_draws,
                                  truncated_gof_draws=truncated_gof_draws))
    no_nanotimes = nanotime_problem(info)
    if no_nanotimes is None and res.get("decay") is not None:
        rep.update(_lifetimes_and_flid(binned, res["decay"], attempt, msgs, flid_estimator=flid_estimator,
                                       fit_flid=fit_flid))
    elif no_nanotimes is not None:
        msgs.append(f"lifetime, FLID: {no_nanotimes}")
    if "g2" in accs:
        rep.update(_g2_results(res.get("g2"), rep.get("decay"), attempt, msgs, g2_detectors=g2_detectors,
                               g2_correction=g2_correction))
    if levels and res.get("levels") is not None:
        rep["levels"] = _level_statistics(res["levels"], rep, fit_flid=fit_flid)
    rep["warnings"] = list(dict.fromkeys(msgs))  # each message once, in order
    return Report(**rep)


def _levels_accumulator(info, detectors, confidence):
    """The change-point accumulator of the one pass (level lifetimes by
    ``defaults.ANALYZE_LEVEL_LIFETIME_METHOD``)."""
    from .analysis.levels import LevelsAccumulator

    with_tau = nanotime_problem(info) is None
    return LevelsAccumulator(info, confidence=confidence, detectors=detectors, lifetimes=with_tau,
                             lifetime_method=defaults.ANALYZE_LEVEL_LIFETIME_METHOD)


def _level_statistics(levels, rep: dict, *, fit_flid: bool):
    """Groups and level-resolved statistics, with the background rate the decay gives."""
    from .analysis.level_statistics import level_statistics

    bf = _background_fraction(rep.get("decay"))
    rate = rep.get("count_rate_cps")
    background_cps = bf * rate if bf is not None and rate is not None and np.isfinite(rate) else 0.0
    return level_statistics(levels, background_cps=background_cps, fit_flid=fit_flid)


#: The background corrections of g2(0) :func:`analyze` accepts (those of
#: :func:`tttr.analysis.g2.correct_background` and :func:`tttr.analysis.g2.pulsed_g2_zero`).
G2_CORRECTIONS = ("pairs", "rho", "subtract")


def _attempt(msgs: list, name: str, fn):
    """``fn()``, or None with ``"name: error"`` appended to ``msgs`` when it raises.

    NaN/inf arithmetic on empty or degenerate data is expected here (a bin without photons, a
    fit that cannot converge): the result says NaN/None and the reason goes to the warnings,
    so numpy's floating-point RuntimeWarnings are not printed as well.
    """
    try:
        with np.errstate(all="ignore"), _warnings.catch_warnings():
            _warnings.simplefilter("ignore", RuntimeWarning)
            return fn()
    except Exception as exc:  # noqa: BLE001 - one failed analysis never sinks the report
        msgs.append(f"{name}: {exc}")
        return None


def _accumulators(info, msgs: list, *, bin_width_s, detectors, g2_window_s, g2_bin_s, g2_detectors) -> dict:
    """The accumulators of the one pass: per-bin sums always, the decay when the nanotimes can
    be used, the pair correlation unless it cannot be set up (the reason then in ``msgs``)."""
    from .analysis.binned import BinnedAccumulator
    from .analysis.lifetime import DecayAccumulator

    accs = {"binned": BinnedAccumulator(info, bin_width_s=bin_width_s, detectors=detectors)}
    if nanotime_problem(info) is None:
        accs["decay"] = DecayAccumulator(info, detectors=detectors)
    try:
        from .analysis.g2 import G2Accumulator

        accs["g2"] = G2Accumulator(info, window_s=g2_window_s, bin_s=g2_bin_s, detectors=g2_detectors)
    except Exception as exc:  # noqa: BLE001 - reported, not fatal
        msgs.append(f"g2: {exc}")
    return accs


def _one_pass(chunks, accs: dict, progress, msgs: list) -> dict:
    """Feed the chunks to the accumulators; a failed accumulator and every warning of the pass
    go to ``msgs`` (only the per-bin sums are indispensable: their failure is raised)."""
    with _warnings.catch_warnings(record=True) as caught:
        _warnings.simplefilter("always")
        failed: dict = {}
        res = feed(chunks, accs, progress=progress, errors=failed)
    for name, exc in failed.items():
        msgs.append(f"{name}: {exc}")
    msgs += [str(w.message) for w in caught if str(w.message) not in msgs]
    if res["binned"] is None:
        raise failed["binned"]
    return res


def _photon_statistics(trace, binned, msgs: list, *, threshold_method, threshold_fraction, power_law_t_min_s,
                       power_law_gof_draws, power_law_error_draws, truncated_gof_draws) -> dict:
    """Mandel Q (and its curve), the single-level test and, for a blinking trace, the ON/OFF
    statistics and the dwell-time power laws (report fields;
    :func:`tttr.analysis.dwell_fits.blinking_analysis`)."""
    from .analysis.dwell_fits import blinking_analysis
    from .analysis.photon_stats import mandel_q_curve

    total = trace.total
    if total.size < 2:
        msgs.append(f"trace: only {total.size} full bins of {binned.bin_width_s:g} s; no photon statistics")
        return {}
    ba = blinking_analysis(total, bin_width_s=binned.bin_width_s, duration_s=binned.duration_s,
                           method=threshold_method, fraction=threshold_fraction, t_min_s=power_law_t_min_s,
                           gof_draws=power_law_gof_draws, error_draws=power_law_error_draws,
                           truncated_gof_draws=truncated_gof_draws)
    msgs += ba.warnings
    if ba.blinking_detected is not True:
        msgs.append(f"blinking: {ba.level_test.reason}: ON fraction 1, no threshold, rates or dwell-time statistics")
    # without blinking there is no split: nothing downstream (figures, saved dwell arrays) may use one
    return {"mandel_q": ba.mandel_q, "mandel_q_curve": mandel_q_curve(total, bin_width_s=binned.bin_width_s),
            "blinking": ba.statistics, "blinking_test": ba.level_test, "power_law": ba.power_law}


def _lifetimes_and_flid(binned, decay, attempt, msgs: list, *, flid_estimator, fit_flid) -> dict:
    """Lifetime fits of the (merged) decay, the FLID map, the intensity regions, the FLID model
    fit and the sanity warnings of each (report fields)."""
    from .analysis.flid import flid_map as make_flid, region_lifetimes
    from .analysis.lifetime import fit_lifetime

    rep = {"decay": decay}
    coarse = attempt("decay rebinning", lambda: rebinned_decay(decay))
    if coarse is not None:
        rep["lifetime_mono"] = attempt("lifetime (mono)", lambda: fit_lifetime(coarse, model="mono"))
        rep["lifetime_bi"] = attempt("lifetime (bi)", lambda: fit_lifetime(coarse, model="bi"))
    fm = attempt("flid", lambda: make_flid(binned, estimator=flid_estimator))
    rep["flid_map"] = fm
    regions = attempt("intensity regions", lambda: region_lifetimes(binned))
    rep["regions"] = regions
    msgs += _lifetime_warnings(decay, rep.get("lifetime_mono"), rep.get("lifetime_bi"), regions)
    if fit_flid and fm is not None:
        def _fit():
            from .analysis.models import fit_flid as _fit_flid

            reg = regions
            if reg is None:  # one intensity level: one region over everything, for the background only
                top = int(binned.intensity().max()) if binned.intensity().size else 0
                reg = attempt("background region", lambda: region_lifetimes(binned, regions=[(0, top)]))
            return _fit_flid(fm, regions=reg)

        rep["flid_fit"] = attempt("flid models", _fit)
    return rep


def _lifetime_warnings(decay, mono, bi, regions) -> list:
    """Sanity warnings of the lifetimes (outside IRF width … period, on a bound) and of β."""
    from .analysis import sanity

    lo_ns, hi_ns = sanity.lifetime_range_ns(decay)
    msgs = sanity.lifetime_warnings("lifetime (mono)", mono, lo_ns, hi_ns)
    msgs += sanity.lifetime_warnings("lifetime (bi)", bi, lo_ns, hi_ns)
    if regions is not None:
        flagged = False
        for i, f in enumerate(regions.fits):
            w = sanity.lifetime_warnings(f"region {i + 1} lifetime", f, lo_ns, hi_ns)
            flagged |= bool(w) and i in (0, len(regions.fits) - 1)
            msgs += w
        msgs += sanity.beta_warnings(regions.beta, flagged)
    return msgs


def _g2_results(curve, decay, attempt, msgs: list, *, g2_detectors, g2_correction) -> dict:
    """g2(0) of the correlation (peak areas when pulsed, the antibunching fit when CW) and its
    background correction with the decay's background fraction (report fields)."""
    rep = {"g2_curve": curve}
    if curve is None:
        return rep
    if curve.n_a == 0 or curve.n_b == 0:
        msgs.append(f"g2: needs photons on detectors {g2_detectors[0]} and {g2_detectors[1]}; "
                    f"found {curve.n_a} and {curve.n_b}")
        return rep
    bf = _background_fraction(decay)
    if curve.mode == "pulsed":
        rep["g2"], rep["g2_corrected"] = _pulsed_g2(curve, bf, attempt, g2_correction)
    else:
        rep["g2"], rep["g2_corrected"] = _cw_g2(curve, bf, attempt, msgs, g2_correction)
    return rep


def _pulsed_g2(curve, bf, attempt, g2_correction) -> tuple:
    """(PulsedG2, its background-corrected value as a BackgroundCorrectedG2 or None)."""
    from .analysis.g2 import BackgroundCorrectedG2, pulsed_g2_zero

    g = attempt("g2 pulsed", lambda: pulsed_g2_zero(curve, background_fraction=bf, background=g2_correction))
    corrected = None
    if g is not None and g.g2_zero_corrected is not None:
        corrected = BackgroundCorrectedG2(
            g2_zero=g.g2_zero_corrected, g2_zero_err=g.g2_zero_corrected_err, g2_zero_raw=g.g2_zero,
            g2_zero_raw_err=g.g2_zero_err, method=g.correction,
            background_fraction=g.background_fraction, rho=1.0 - g.background_fraction)
    return g, corrected


def _cw_g2(curve, bf, attempt, msgs: list, g2_correction) -> tuple:
    """(CWG2Fit, BackgroundCorrectedG2 or None); the single-emitter decision is made on the
    background-corrected interval when there is one."""
    from .analysis.g2 import correct_background, fit_cw_g2

    g = attempt("g2 cw", lambda: fit_cw_g2(curve))
    corrected = None
    if g is not None and g.at_bound:
        msgs.append(f"g2 cw: {g.single_emitter_reason} (tau0 = {g.tau0_ns:.4g} ns, "
                    f"tau_a = {g.tau_a_ns:.4g} ns)")
    elif g is not None and bf is not None:
        corrected = attempt("g2 background", lambda: correct_background(
            g, background_fraction=bf, method=g2_correction))
        if corrected is not None and np.isfinite(corrected.g2_zero_err):
            from dataclasses import replace as _replace

            single, why = corrected.single_emitter_decision(f"the background-corrected CW g2(0) ({corrected.method})")
            g = _replace(g, single_emitter=single, single_emitter_reason=why)
    return g, corrected
