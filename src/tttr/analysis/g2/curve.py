"""The entry points that read a source and return a :class:`~.results.G2Curve`."""

from __future__ import annotations

from dataclasses import replace

from ... import defaults
from ...errors import AnalysisError
from ...io.source import stream_of
from .accumulators import G2Accumulator, LongLagAccumulator
from .cw_fit import fit_cw_g2
from .pulsed import pulsed_g2_zero
from .results import CWG2Fit, G2Curve

__all__ = ["g2", "long_lag_correlation"]


def g2(source, *, window_s: float | None = None, bin_s: float | None = None, detectors=(0, 1),
       mode: str = "auto", offsets_s=None, period_s: float | None = None,
       n_side_peaks: int = defaults.G2_SIDE_PEAKS, half_window_s: float | None = None,
       on_mask=None, on_bin_ticks: int | None = None, on_origin_ticks: int = 0, tau0_bound_s: float | None = None,
       background: str | None = defaults.G2_BACKGROUND_CORRECTION, **options) -> G2Curve:
    """g2(τ) of a file: the A → B cross-correlation histogram, normalised, with g2(0).

    Parameters
    ----------
    source : path, TTTRStream or photons from ``tttr.read``
    window_s, bin_s : float, optional
        Half-width of the lag range and bin width (defaults 1 µs and 100 ps, science.md §6).
    detectors : (int, int)
        Detectors A and B (default (0, 1)); the lag is ``t_B − t_A``.
    mode : {"auto", "pulsed", "cw"}
        ``auto``: pulsed for T3 recordings (the sync is the laser), CW otherwise.
    offsets_s : dict or sequence, optional
        Detector delay offsets (s) added to each detector's times.
    period_s : float, optional
        Laser period, overriding the file's.
    n_side_peaks, half_window_s : optional
        Pulsed analysis options (see :func:`pulsed_g2_zero`).
    on_mask, on_bin_ticks, on_origin_ticks : optional
        State-gated g2 (see :class:`G2Accumulator`).
    tau0_bound_s : float, optional
        CW: largest |τ0| of the fit (see :func:`fit_cw_g2`).
    background : {"pairs", "rho", "subtract"} or None
        Pulsed: background correction (see :func:`pulsed_g2_zero`; default "pairs").
    **options
        Reader options (``chunk_records``, units of columnar files, ...).

    Returns
    -------
    G2Curve
        With ``analysis`` = :class:`PulsedG2` (pulsed) or :class:`CWG2Fit` (CW).

    Raises
    ------
    AnalysisError
        Fewer than two detectors with photons, or no laser period in pulsed mode.

    Notes
    -----
    One streaming pass (:class:`G2Accumulator`), then the analysis of the mode on the
    histogram. If that analysis is impossible on a valid histogram (e.g. side peaks emptied
    by a detector dead time longer than the period), the curve is still returned, with
    ``analysis=None`` and the one-line reason in ``analysis_error``. The background
    correction is separate (:func:`correct_background`), because the background fraction
    comes from the decay histogram.
    """
    info, chunks = stream_of(source, **options)
    acc = G2Accumulator(info, window_s=window_s, bin_s=bin_s, detectors=detectors, offsets_s=offsets_s,
                        mode=mode, period_s=period_s, n_side_peaks=n_side_peaks, on_mask=on_mask,
                        on_bin_ticks=on_bin_ticks, on_origin_ticks=on_origin_ticks)
    for c in chunks:
        acc.add(c)
    curve = acc.result()
    try:
        if curve.mode == "pulsed":
            analysis = pulsed_g2_zero(curve, n_side_peaks=n_side_peaks, half_window_s=half_window_s,
                                      background=background)
        else:
            analysis = fit_cw_g2(curve, tau0_bound_s=tau0_bound_s)
    except AnalysisError as exc:
        return replace(curve, analysis_error=str(exc))
    if isinstance(analysis, CWG2Fit) and analysis.at_bound:
        return replace(curve, rejected_analysis=analysis,
                       analysis_error=f"CW fit not a result: {analysis.single_emitter_reason} "
                                      f"(tau0 = {analysis.tau0_ns:.4g} ns within {analysis.tau0_bounds_ns[0]:.4g}"
                                      f"..{analysis.tau0_bounds_ns[1]:.4g} ns, tau_a = {analysis.tau_a_ns:.4g} ns)")
    return replace(curve, analysis=analysis)


def long_lag_correlation(source, *, min_lag_s: float = 10e-9, max_lag_s: float = 1.0, bins_per_decade: int = 10,
                         detectors=(0, 1), symmetric: bool = True, offsets_s=None, on_mask=None,
                         on_bin_ticks: int | None = None, on_origin_ticks: int = 0, **options) -> G2Curve:
    """Normalised cross-correlation on log-spaced lags, for the bunching caused by blinking.

    Parameters
    ----------
    source : path, TTTRStream or photons from ``tttr.read``
    min_lag_s, max_lag_s, bins_per_decade, detectors, symmetric, offsets_s, on_mask, on_bin_ticks, on_origin_ticks
        See :class:`LongLagAccumulator`.

    Returns
    -------
    G2Curve
        ``spacing == "log"``; ``g2`` is 1 for uncorrelated light and rises at the lags where
        the emitter's ON/OFF switching correlates the photons.

    Notes
    -----
    Science.md §6 allows multi-tau or the arbitrary-bin algorithm; the arbitrary-bin one is
    used because its counts are exact (no coarsening of the time axis) and its bins are
    whatever the caller asks for.
    """
    info, chunks = stream_of(source, **options)
    acc = LongLagAccumulator(info, min_lag_s=min_lag_s, max_lag_s=max_lag_s, bins_per_decade=bins_per_decade,
                             detectors=detectors, symmetric=symmetric, offsets_s=offsets_s, on_mask=on_mask,
                             on_bin_ticks=on_bin_ticks, on_origin_ticks=on_origin_ticks)
    for c in chunks:
        acc.add(c)
    return acc.result()
