"""Intensity levels without bins: change points of the photon stream, and each level's
intensity and lifetime (issue 16).

* :class:`Levels`: the levels of one file (arrays, one entry per level).
* :class:`LevelsAccumulator`: fed chunk by chunk (``add``/``result``, also ``feed``/``finish``),
  so that the levels come out of the one streaming pass of :func:`tttr.pipeline.analyze`.
* :func:`levels`: the levels of a path, a stream or photons read with ``tttr.read``.
"""

from __future__ import annotations

import math
import warnings
from array import array
from dataclasses import dataclass

import numpy as np

from .. import defaults
from ..errors import AnalysisError
from ..io.events import PhotonChunk, StreamInfo
from ..kernels.changepoint import level_decays
from ..results import Result
from ..io.source import nanotime_problem, stream_of
from .changepoints import ChangePointFinder

__all__ = ["Levels", "LevelsAccumulator", "levels"]


@dataclass(frozen=True, repr=False)
class Levels(Result):
    """Intensity levels of one photon stream, in time order.

    Attributes
    ----------
    start_s, end_s : (n,) float
        Start and end of each level (s, on the file's clock: timestamp × unit); a level ends
        where the next begins, at the photon where the rate changes.
    n_photons : (n,) int64
        Photons of each level (the first level also holds the file's first photon).
    intensity_cps : (n,) float
        Maximum-likelihood rate: inter-photon intervals / duration (counts per second).
    intensity_err_cps : (n,) float
        Its Poisson error, √intervals / duration.
    tau_ns, tau_err_ns : (n,) float
        Mono-exponential lifetime of the level's photons by Poisson ML and its error (NaN
        without nanotimes, with fewer than ``LEVEL_MIN_PHOTONS_LIFETIME`` photons, or when
        the fit fails).
    group : (n,) int64
        State the level belongs to; -1 until the levels are grouped.
    start_ticks, end_ticks : (n,) int64
        The same boundaries in timestamp ticks (for gating photons by level).
    timestamps_unit_s : float
    confidence : float
        1 − type-I error of each change-point test.
    window_photons : int
        Photons segmented at once.
    decay_bin_width_ns : float or None
        Bin of the level decays (None without nanotimes).
    t0_ns : float or None
        Time zero held in every level's fit (from the first photons, see Notes of
        :class:`LevelsAccumulator`).
    """

    start_s: np.ndarray
    end_s: np.ndarray
    n_photons: np.ndarray
    intensity_cps: np.ndarray
    intensity_err_cps: np.ndarray
    tau_ns: np.ndarray
    tau_err_ns: np.ndarray
    group: np.ndarray
    start_ticks: np.ndarray
    end_ticks: np.ndarray
    timestamps_unit_s: float
    confidence: float
    window_photons: int
    decay_bin_width_ns: float | None = None
    t0_ns: float | None = None

    @property
    def n_levels(self) -> int:
        return int(self.start_s.shape[0])

    @property
    def n_change_points(self) -> int:
        return max(self.n_levels - 1, 0)

    @property
    def duration_s(self) -> np.ndarray:
        """(n,) length of each level (s)."""
        return self.end_s - self.start_s

    def records(self) -> list:
        """One dict per level with the keys of ``tttr analyze --json`` (``levels``)."""
        keys = ("start_s", "end_s", "n_photons", "intensity_cps", "intensity_err_cps", "tau_ns", "tau_err_ns",
                "group")
        cols = [getattr(self, k).tolist() for k in keys]
        out = []
        for row in zip(*cols):
            out.append({k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in zip(keys, row)})
        return out

    def with_groups(self, group) -> "Levels":
        """A copy with ``group`` set (one int per level)."""
        from dataclasses import replace

        g = np.asarray(group, np.int64)
        if g.shape != self.start_s.shape:
            raise ValueError(f"group needs {self.n_levels} entries, got {g.shape}")
        return replace(self, group=g)


class LevelsAccumulator:
    """Change points and level statistics, fed chunk by chunk in file order.

    Parameters
    ----------
    info : StreamInfo
    confidence : float
        1 − type-I error of each change-point test (0.69 … 0.99; default 0.95).
    detectors : sequence of int, optional
        Detectors whose photons make the stream (default: all).
    irf : DecayHistogram or (n,) array, optional
        Instrument response at the file's nanotime resolution: lifetimes by IRF reconvolution.
    lifetimes : bool
        Fit a lifetime per level (T3 with a known nanotime unit only).
    lifetime_method : {"fit", "mle"}
        ``"fit"`` (default): :func:`~tttr.analysis.lifetime.fit_lifetime` on the level's decay
        (mono-exponential tail fit with a fitted background, Poisson ML; ~5-10 ms a level).
        ``"mle"``: the closed-form ML lifetime of the photons in the window after t0
        (:func:`~tttr.analysis.lifetime.per_bin_mle_lifetime`, the background from the level's
        own counts late in the period; microseconds a level), for files
        with very many levels. No IRF with ``"mle"``.
    window_photons, margin_photons : int, optional
        See :class:`~tttr.analysis.changepoints.ChangePointFinder`.
    calibration_photons : int
        Photons whose decay fixes time zero and the detector alignment (default
        ``defaults.CALIBRATION_PHOTONS``, the calibration of the binned and decay accumulators).
    nanotimes_unit_s : float, optional
        Overrides ``info`` (a ``.spc`` without its ``.set``).

    Notes
    -----
    * **One pass.** A level's photons are known once both its change points are final
      (:class:`~tttr.analysis.changepoints.ChangePointFinder`); its nanotimes go into its own
      decay histogram as soon as they are settled, and the level is fitted and its histogram
      dropped when it closes. Memory: the change-point window, the photons held for the
      calibration (at most ``calibration_photons``), one histogram per open level, and 64
      bytes per finished level (the result itself). No second pass is needed.
    * **Time zero and alignment** are properties of the set-up, not of a level: they come
      from the decay of the first ``calibration_photons`` photons (every photon of a shorter
      file; :class:`~tttr.analysis.lifetime.DecayAccumulator`: each detector shifted onto the
      reference's rise), as the binned pass does, so the result does not depend on the chunk
      size. Each level's fit holds that t0 and fits amplitude and background (with an IRF,
      t0 comes from the IRF fit of the calibration decay).
    * **Level decays** are merged to at most ``LEVEL_DECAY_BINS`` bins over the period.
    * **Intensity** is the ML rate of a Poisson process, intervals / duration; its error
      √intervals / duration.
    """

    def __init__(self, info: StreamInfo, *, confidence: float = defaults.LEVELS_CONFIDENCE, detectors=None,
                 irf=None, lifetimes: bool = True, window_photons: int = defaults.CHANGEPOINT_WINDOW_PHOTONS,
                 margin_photons: int | None = None, calibration_photons: int = defaults.CALIBRATION_PHOTONS,
                 nanotimes_unit_s: float | None = None, lifetime_method: str = "fit"):
        if lifetime_method not in ("fit", "mle"):
            raise ValueError(f"lifetime_method must be 'fit' or 'mle', got {lifetime_method!r}")
        if lifetime_method == "mle" and irf is not None:
            raise ValueError("an IRF needs lifetime_method='fit' (the closed-form ML is a tail estimator)")
        self.lifetime_method = lifetime_method
        self.info = info
        self.finder = ChangePointFinder(confidence=confidence, window_photons=window_photons,
                                        margin_photons=margin_photons)
        self.detectors = None if detectors is None else tuple(int(d) for d in detectors)
        self._sel = None
        if self.detectors is not None:
            self._sel = np.zeros(256, np.bool_)
            self._sel[list(self.detectors)] = True
        self._unit_ns = None
        unit = nanotimes_unit_s if nanotimes_unit_s is not None else info.nanotimes_unit_s
        if lifetimes and info.is_t3 and unit:
            self._unit_ns = float(unit) * 1e9
        self.irf = irf
        self._n_cal = int(calibration_photons)
        self._cal = None            # (shift, period_ticks, factor, n_cols, t0_ns, bin_ns, period_ns)
        self._det: list = []
        self._nt: list = []
        self._next = 0              # global index of the first photon not yet histogrammed
        self._rows = None           # histograms of the levels from self._level on
        self._level = 0             # first level not yet closed
        # per finished level: 48 bytes in typed arrays (a Python list would take ~250)
        self._out: dict = {k: array("q") for k in ("start", "end", "n", "intervals")}
        self._out.update(tau=array("d"), tau_err=array("d"))
        self.n_overflow = 0
        self._seen = 0
        self._cal_last_tick = None
        self._bg_rate = 0.0
        self._range_ns = 0.0
        self._done = False

    # ---------------------------------------------------------------------------- feed
    def add(self, chunk: PhotonChunk) -> None:
        """Take one chunk (file order)."""
        if self._done:
            raise RuntimeError("result() was already called")
        if len(chunk) == 0:
            return
        ts, det, nt = chunk.timestamps, chunk.detectors, chunk.nanotimes
        if self._sel is not None:
            keep = self._sel[det]
            ts, det = ts[keep], det[keep]
            nt = nt[keep] if nt is not None else None
        self.finder.push(ts)
        if self._seen < self._n_cal:  # the calibration photons' last time (background rate of "mle")
            self._cal_last_tick = int(ts[min(self._n_cal - self._seen, ts.size) - 1]) if ts.size else None
        self._seen += int(ts.size)
        if self._unit_ns is not None and nt is not None:
            self._det.append(np.ascontiguousarray(det, np.uint8))
            self._nt.append(np.ascontiguousarray(nt, np.uint16))
        self._advance()

    feed = add

    def result(self) -> Levels:
        """The levels (call once, after the last chunk)."""
        if not self._done:
            self._done = True
            self.finder.finish()
            self._advance(final=True)
        o, f = self._out, self.finder
        unit = self.info.timestamps_unit_s
        start = np.asarray(o["start"], np.int64)
        end = np.asarray(o["end"], np.int64)
        dur = (end - start) * unit
        iv = np.asarray(o["intervals"], np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(dur > 0, iv / dur, np.nan)
            err = np.where(dur > 0, np.sqrt(iv) / dur, np.nan)
        cal = self._cal
        return Levels(start_s=start * unit, end_s=end * unit, n_photons=np.asarray(o["n"], np.int64),
                      intensity_cps=rate, intensity_err_cps=err, tau_ns=np.asarray(o["tau"], np.float64),
                      tau_err_ns=np.asarray(o["tau_err"], np.float64), group=np.full(start.size, -1, np.int64),
                      start_ticks=start, end_ticks=end, timestamps_unit_s=float(unit), confidence=f.confidence,
                      window_photons=f.window, decay_bin_width_ns=cal[5] if cal else None,
                      t0_ns=cal[4] if cal else None)

    finish = result

    # -------------------------------------------------------------------------- inside
    def _advance(self, final: bool = False) -> None:
        f = self.finder
        if self._unit_ns is not None:
            if self._cal is None and (self._seen >= self._n_cal or final):
                self._calibrate()
            if self._cal is not None:
                self._histogram(f.settled)
        n_final = len(f.boundaries)
        while self._level < n_final or (final and self._level == n_final and f.n_photons):
            self._close(self._level)

    def _pending(self):
        if len(self._det) > 1:
            self._det = [np.concatenate(self._det)]
            self._nt = [np.concatenate(self._nt)]
        if not self._det:
            return np.empty(0, np.uint8), np.empty(0, np.uint16)
        return self._det[0], self._nt[0]

    def _calibrate(self) -> None:
        from .lifetime import DecayAccumulator, fit_lifetime

        det, nt = self._pending()
        n = min(self._n_cal, det.size)
        if n == 0:
            self._unit_ns = None
            return
        acc = DecayAccumulator(self.info, nanotimes_unit_s=self._unit_ns * 1e-9, detectors=self.detectors)
        acc.add(PhotonChunk(np.zeros(n, np.int64), det[:n], nt[:n]))
        hist = acc.result()
        shift = np.zeros(256, np.int64)
        shift[: hist.detector_shifts_bins.size] = hist.detector_shifts_bins
        period = int(round(hist.period_ns / hist.bin_width_ns)) if hist.period_ns else 0
        span = period if period else int(hist.n_bins)
        factor = max(1, -(-span // defaults.LEVEL_DECAY_BINS))
        n_cols = -(-span // factor) if period else -(-(span + int(np.abs(shift).max())) // factor)
        bin_ns = hist.bin_width_ns * factor
        t0_ns = float(hist.t0_ns)
        if self.irf is not None:
            coarse = self._coarse(hist.summed, factor, n_cols)
            fit = _quiet(lambda: fit_lifetime(coarse, model="mono", irf=self._coarse_irf(factor),
                                              bin_width_ns=bin_ns, period_ns=hist.period_ns))
            if fit is not None and np.isfinite(fit.t0_ns):
                t0_ns = float(fit.t0_ns)
        self._cal = (shift, period, factor, n_cols, t0_ns, bin_ns, hist.period_ns)
        span_s = (self._cal_last_tick - self.finder.first_tick) * self.info.timestamps_unit_s
        # background photons per ns of microtime per second of measurement (for "mle")
        self._bg_rate = (hist.background_per_bin / hist.bin_width_ns / span_s) if span_s > 0 else 0.0
        self._range_ns = hist.n_range_bins * hist.bin_width_ns

    @staticmethod
    def _coarse(counts, factor: int, n_cols: int) -> np.ndarray:
        c = np.zeros(n_cols * factor, np.int64)
        m = min(c.size, counts.size)
        c[:m] = counts[:m]
        return c.reshape(n_cols, factor).sum(axis=1)

    def _coarse_irf(self, factor: int) -> np.ndarray:
        irf = getattr(self.irf, "summed", self.irf)
        irf = np.asarray(irf, np.float64).ravel()
        n = -(-irf.size // factor)
        return self._coarse(irf, factor, n)

    def _histogram(self, settled: int) -> None:
        """Put photons ``self._next .. settled`` into their levels' histograms."""
        if settled < self._next:
            return
        det, nt = self._pending()
        k = settled - self._next + 1
        f = self.finder
        shift, period, factor, n_cols = self._cal[:4]
        lo_level = self._level
        hi_level = len(f.boundaries)  # the open level
        n_rows = hi_level - lo_level + 1
        if self._rows is None:
            self._rows = np.zeros((n_rows, n_cols), np.int64)
        elif self._rows.shape[0] < n_rows:
            grown = np.zeros((n_rows, n_cols), np.int64)
            grown[: self._rows.shape[0]] = self._rows
            self._rows = grown
        bounds = np.empty(n_rows + 1, np.int64)
        bounds[0] = f.boundaries[lo_level - 1] if lo_level > 0 else -1
        bounds[1:n_rows] = f.boundaries[lo_level:hi_level]
        bounds[n_rows] = np.iinfo(np.int64).max
        self.n_overflow += int(level_decays(self._next, det[:k], nt[:k], shift, period, factor, bounds, self._rows))
        self._det, self._nt = [det[k:]], [nt[k:]]
        self._next = settled + 1

    def _close(self, level: int) -> None:
        f = self.finder
        lower = f.boundaries[level - 1] if level > 0 else -1
        last = level >= len(f.boundaries)
        upper = f.n_photons - 1 if last else f.boundaries[level]
        o = self._out
        o["start"].append(f.boundary_ticks[level - 1] if level > 0 else f.first_tick)
        o["end"].append(f.last_tick if last else f.boundary_ticks[level])
        o["n"].append(upper - lower)
        o["intervals"].append(upper - max(lower, 0))
        tau = tau_err = np.nan
        if self._rows is not None and self._cal is not None:
            row = self._rows[0]
            dur_s = (o["end"][-1] - o["start"][-1]) * self.info.timestamps_unit_s
            if self.lifetime_method == "mle":
                tau, tau_err = _mle_lifetime(self._cal, self._bg_rate, self._range_ns, row, dur_s)
            else:
                tau, tau_err = self._fit(row)
            self._rows = self._rows[1:] if self._rows.shape[0] > 1 else None
        o["tau"].append(tau)
        o["tau_err"].append(tau_err)
        self._level += 1

    def _fit(self, row: np.ndarray) -> tuple:
        from .lifetime import DecayHistogram, fit_lifetime

        if row.sum() < defaults.LEVEL_MIN_PHOTONS_LIFETIME:
            return np.nan, np.nan
        _shift, _period, factor, _n, t0_ns, bin_ns, period_ns = self._cal
        irf = self._coarse_irf(factor) if self.irf is not None else None

        def fit():
            h = DecayHistogram.from_counts(row, bin_ns, period_ns=period_ns, align=False, t0=t0_ns)
            return fit_lifetime(h, model="mono", t0_ns=t0_ns, irf=irf)

        res = _quiet(fit)
        if res is None or not res.success:
            return np.nan, np.nan
        return float(res.tau_ns), float(res.tau_err_ns)


def _mle_lifetime(cal: tuple, bg_rate: float, range_ns: float, row: np.ndarray, duration_s: float) -> tuple:
    """Closed-form ML lifetime of a level's decay (``lifetime_method="mle"``) and its error.

    Notes
    -----
    Photons of the whole bins from ``t0 + TAIL_SHIFT_NS`` on (past the rise, as the tail fit;
    the exponential is memoryless) to the end of the occupied range less
    ``LIFETIME_WINDOW_MARGIN_NS``, delays from the window's start at the bin centres; the
    background ``b`` (the level's own counts per ns in the last quarter of the range, × W)
    removed from the sufficient statistics (:func:`~tttr.analysis.lifetime.per_bin_mle_lifetime`). Error: the
    truncated exponential is an exponential family in ``-1/τ``, so the ML error is
    ``τ² / √(n_s Var)`` with ``Var = τ² − W² e^{W/τ} / (e^{W/τ} − 1)²`` the variance of one
    delay and ``n_s`` the signal photons. On the default Auger emitter (τ 24.7 / 5.0 ns in a
    200 ns period) it agrees with ``"fit"`` within ~3 %; a long lifetime's tail in the last
    quarter raises ``b`` and lowers τ (−2 % at τ = range / 8).
    """
    from .lifetime import per_bin_mle_lifetime

    _shift, _period, _factor, _n, t0_ns, bin_ns, _p = cal
    start_ns = t0_ns + defaults.TAIL_SHIFT_NS  # past the rise, as the tail fit (memoryless)
    w_ns = range_ns - start_ns - defaults.LIFETIME_WINDOW_MARGIN_NS
    if not w_ns > 0:
        return np.nan, np.nan
    lo = int(np.ceil(start_ns / bin_ns))  # whole bins only
    d = (np.arange(row.size) + 0.5) * bin_ns - lo * bin_ns
    w_ns = min(w_ns, (row.size - lo) * bin_ns)
    win = (d >= 0) & (d < w_ns)
    n = float(row[win].sum())
    # background: the level's own counts in the last quarter of the occupied range (where a
    # decay with τ < range / 8 has fallen below e⁻⁶), or the calibration's rate if none
    c = (np.arange(row.size) + 0.5) * bin_ns
    tail = (c >= 0.75 * range_ns) & (c < range_ns)
    tail_ns = tail.sum() * bin_ns
    b = float(row[tail].sum()) / tail_ns * w_ns if tail_ns > 0 else bg_rate * w_ns * duration_s
    tau = float(per_bin_mle_lifetime(float((row[win] * d[win]).sum()), n, w_ns, background_counts=b,
                                     min_photons=defaults.LEVEL_MIN_PHOTONS_LIFETIME))
    if not np.isfinite(tau):
        return np.nan, np.nan
    x = w_ns / tau
    var = tau * tau - w_ns * w_ns * np.exp(-x) / (1.0 - np.exp(-x)) ** 2 if x < 700 else tau * tau
    n_s = n - b
    err = tau * tau / np.sqrt(n_s * var) if var > 0 and n_s > 0 else np.nan
    return tau, float(err)


def _quiet(fn):
    """``fn()`` with numpy's and the fit's warnings silenced; None if it raises (a level's
    lifetime that cannot be fitted is NaN, not an error)."""
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn()
    except (AnalysisError, ValueError, FloatingPointError, np.linalg.LinAlgError):
        return None


def levels(source, *, confidence: float = defaults.LEVELS_CONFIDENCE, detectors=None, irf=None,
           lifetimes: bool = True, window_photons: int = defaults.CHANGEPOINT_WINDOW_PHOTONS,
           lifetime_method: str = "fit", progress=None, **options) -> Levels:
    """Intensity levels of a file by change-point detection on the photon arrival times.

    Parameters
    ----------
    source : path, TTTRStream or photons from ``tttr.read``
    confidence : float
        1 − type-I error of each change-point test (0.69 … 0.99).
    detectors : sequence of int, optional
        Detectors whose photons are used (default: all).
    irf : DecayHistogram or (n,) array, optional
        Instrument response (same nanotime bin as the file) for the level lifetimes.
    lifetimes : bool
        Fit each level's lifetime (T3 only).
    lifetime_method : {"fit", "mle"}
        See :class:`LevelsAccumulator`.
    window_photons : int
        Photons segmented at once (memory; the result does not depend on the chunk size).
    progress : callable, optional
    **options
        Reader options and ``chunk_records``.

    Returns
    -------
    Levels

    Notes
    -----
    One streaming pass (:class:`LevelsAccumulator`). Change points: Watkins & Yang's
    likelihood-ratio test with binary segmentation (:mod:`tttr.kernels.changepoint`);
    lifetimes: :func:`tttr.analysis.lifetime.fit_lifetime` (mono-exponential with a fitted
    background, Poisson ML) on each level's decay.
    """
    info, chunks = stream_of(source, progress=progress, **options)
    unit = options.get("nanotimes_unit_s")
    if lifetimes and nanotime_problem(info) is not None and unit is None:
        lifetimes = False
    acc = LevelsAccumulator(info, confidence=confidence, detectors=detectors, irf=irf, lifetimes=lifetimes,
                            window_photons=window_photons, nanotimes_unit_s=unit, lifetime_method=lifetime_method)
    for chunk in chunks:
        acc.add(chunk)
    return acc.result()
