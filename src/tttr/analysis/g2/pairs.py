"""The merged A/B photon stream, the ON-state gate and the uncorrelated-pair normalisation.

Shared by both accumulators (:mod:`.accumulators`): the staging of photons chunk by chunk with
the carried tail, argument checks, and the pairs uncorrelated light gives in a lag bin.
"""

from __future__ import annotations

import math

import numpy as np

from ...errors import AnalysisError
from ...io.events import PhotonChunk, StreamInfo
from ...kernels import correlate as _k
from .timebase import TimeBase

MODES = ("auto", "pulsed", "cw")

_EMPTY_U16 = np.empty(0, np.uint16)
_NO_GATE = np.zeros(1, np.bool_)


class _Gate:
    """ON-state gate: boolean per trace bin, bin width and origin in timestamp ticks."""

    def __init__(self, on_mask, on_bin_ticks, on_origin_ticks, timestamps_unit_s):
        if on_mask is None:
            self.mask, self.bin_ticks, self.origin = _NO_GATE, 0, 0
            self.active = False
            return
        mask = np.ascontiguousarray(np.asarray(on_mask, dtype=bool).ravel())
        if on_bin_ticks is None or int(on_bin_ticks) < 1:
            raise ValueError("on_mask needs on_bin_ticks, the trace bin width in timestamp ticks (>= 1)")
        if mask.size == 0:
            raise ValueError("on_mask is empty")
        self.mask, self.bin_ticks, self.origin = mask, int(on_bin_ticks), int(on_origin_ticks)
        self.active = True
        self.bin_s = self.bin_ticks * float(timestamps_unit_s)

    @property
    def on_time_s(self) -> float:
        return float(np.count_nonzero(self.mask)) * self.bin_s

    def pair_counts(self, q_max: int) -> np.ndarray:
        """``S(q) = Σ_k m_k·m_(k+q)`` for ``q = 0 … q_max`` (ON-bin pairs ``q`` bins apart)."""
        m = self.mask.astype(np.float64)
        n = m.size
        q_max = int(min(q_max, n))
        out = np.zeros(q_max + 2)
        if q_max <= 512:
            for q in range(min(q_max + 1, n)):
                out[q] = float(np.dot(m[: n - q], m[q:]))
        else:
            size = 1 << int(math.ceil(math.log2(2 * n)))
            f = np.fft.rfft(m, size)
            ac = np.fft.irfft(f * np.conj(f), size)[: q_max + 1]
            out[: q_max + 1] = np.round(ac)
        return out


class _PairStream:
    """The merged A/B photon stream fed chunk by chunk, with the carried tail.

    Photons are staged into one buffer ``[tail | pending + new]``. After a chunk, the
    photons earlier than the earliest time a later chunk can bring (``bound``) are final:
    the pairs among them (except tail–tail pairs, counted before) are counted by the kernel.
    Final photons within ``reach`` of ``bound`` stay as the tail; the rest are dropped.
    Photons at or after ``bound`` stay pending until the next chunk (in T3 photons of one
    sync period may be recorded out of order, so their order is only settled later).
    """

    def __init__(self, info: StreamInfo, tb: TimeBase, det_a: int, det_b: int, reach: int, gate: _Gate):
        self.info, self.tb, self.gate = info, tb, gate
        self.det_a, self.det_b = int(det_a), int(det_b)
        self.reach = int(reach)
        self.t = np.empty(1 << 16, np.int64)
        self.d = np.empty(1 << 16, np.uint8)
        self.n_tail = 0  # final photons kept for pairs with later ones
        self.n_all = 0  # tail + pending
        self.bound = np.iinfo(np.int64).min
        self.stats = np.array([0, 0, np.iinfo(np.int64).max, np.iinfo(np.int64).min], np.int64)
        self.det_seen = np.zeros(256, np.int64)

    def _reserve(self, n: int) -> None:
        if self.t.shape[0] >= n:
            return
        size = max(n, 2 * self.t.shape[0])
        t = np.empty(size, np.int64)
        d = np.empty(size, np.uint8)
        t[: self.n_all] = self.t[: self.n_all]
        d[: self.n_all] = self.d[: self.n_all]
        self.t, self.d = t, d

    def add(self, chunk: PhotonChunk, count) -> None:
        """Stage one chunk and call ``count(t, d, n, n_old)`` on the photons now final."""
        n = len(chunk)
        if n == 0:
            return
        ts = np.ascontiguousarray(chunk.timestamps, dtype=np.int64)
        det = np.ascontiguousarray(chunk.detectors, dtype=np.uint8)
        nt = _EMPTY_U16
        if self.tb.use_nanotimes and chunk.nanotimes is not None:
            nt = np.ascontiguousarray(chunk.nanotimes, dtype=np.uint16)
        if int(ts[-1]) > self.tb.max_timestamp or int(ts[0]) < 0:
            raise AnalysisError(f"{self.info.path}: timestamps beyond the range of the fine-time arithmetic "
                                f"({self.tb.description})")
        self._reserve(self.n_all + n)
        end = _k.stage_photons(ts, det, nt, self.det_a, self.det_b, self.tb.p_int, self.tb.p_frac,
                               self.tb.r_int, self.tb.r_frac, self.gate.mask, self.gate.bin_ticks,
                               self.gate.origin, self.t, self.d, self.n_all, self.n_tail, self.bound, self.stats,
                               self.det_seen)
        if end < 0:
            i = -1 - end
            raise AnalysisError(f"{self.info.path}: photon times go backwards across chunks "
                                f"(timestamp {int(ts[i])}); the stream must be in time order")
        # earliest fine time any later photon can have: last timestamp with nanotime 0
        raw_max = int(self.stats[3])
        bound = int(self.tb.fine(np.array([raw_max]))[0])
        e = self.n_tail + int(np.searchsorted(self.t[self.n_tail:end], bound, side="left"))
        if e > self.n_tail:
            count(self.t, self.d, e, self.n_tail)
        k0 = int(np.searchsorted(self.t[:e], bound - self.reach, side="left"))
        keep = end - k0
        if k0 > 0:
            self.t[:keep] = self.t[k0:end]
            self.d[:keep] = self.d[k0:end]
        self.n_tail = e - k0
        self.n_all = keep
        self.bound = bound

    def finish(self, count) -> None:
        """Count the pairs of the pending photons (the stream has ended)."""
        if self.n_all > self.n_tail:
            count(self.t, self.d, self.n_all, self.n_tail)

    @property
    def n_a(self) -> int:
        return int(self.stats[0])

    @property
    def n_b(self) -> int:
        return int(self.stats[1])

    def check_detectors(self) -> None:
        """One-line :class:`AnalysisError` when A or B has no photons."""
        if self.n_a > 0 and self.n_b > 0:
            return
        seen = [int(i) for i in np.flatnonzero(self.det_seen)]
        path = self.info.path or "data"
        if len(seen) == 1:
            raise AnalysisError(f"g2 needs two detectors; {path} has photons on detector {seen[0]} only")
        if not seen:
            raise AnalysisError(f"g2 needs two detectors; {path} has no photons")
        if self.gate.active and self.det_seen[self.det_a] and self.det_seen[self.det_b]:
            raise AnalysisError(f"no photons of detectors {self.det_a} and {self.det_b} fall in ON bins of the gate")
        raise AnalysisError(f"g2 needs photons on detectors {self.det_a} and {self.det_b}; {path} has photons "
                            f"on detectors {', '.join(map(str, seen))} (choose two with detectors=...)")

    def duration_s(self) -> float:
        """Measurement time for the normalisation: the ON time when gated, else the photon span."""
        if self.gate.active:
            return self.gate.on_time_s
        lo, hi = int(self.stats[2]), int(self.stats[3])
        if hi < lo:
            return 0.0
        unit = float(self.info.timestamps_unit_s)
        if self.info.mode == "T3":
            return (hi - lo + 1) * unit  # whole sync periods
        return max(hi - lo, 1) * unit


def _check_detectors(detectors) -> tuple[int, int]:
    try:
        a, b = (int(x) for x in detectors)
    except (TypeError, ValueError):
        raise ValueError(f"detectors must be two detector numbers (A, B), got {detectors!r}") from None
    if not (0 <= a < 256 and 0 <= b < 256):
        raise ValueError(f"detector numbers must be in 0..255, got {detectors!r}")
    if a == b:
        raise AnalysisError(f"g2 needs two different detectors, got {a} and {b}")
    return a, b


def _offsets(offsets_s, a: int, b: int, fine_unit_s: float) -> tuple[int, int]:
    """Delay offsets of A and B in fine ticks from a mapping or a sequence indexed by detector."""
    if offsets_s is None:
        return 0, 0
    if isinstance(offsets_s, dict):
        oa, ob = offsets_s.get(a, 0.0), offsets_s.get(b, 0.0)
    else:
        seq = list(offsets_s)
        oa = seq[a] if a < len(seq) else 0.0
        ob = seq[b] if b < len(seq) else 0.0
    return int(round(float(oa) / fine_unit_s)), int(round(float(ob) / fine_unit_s))


def _resolve_mode(mode: str, info: StreamInfo, tb: TimeBase, period_s) -> tuple[str, float | None]:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    period = float(period_s) if period_s else tb.period_s
    if info.mode == "T3" and tb.use_nanotimes:
        period = float(period_s) if period_s else float(info.timestamps_unit_s)
    if mode == "auto":
        mode = "pulsed" if (info.mode == "T3" and period) else "cw"
    if mode == "pulsed" and not period:
        raise AnalysisError("pulsed g2 needs the laser period: the file states none (pass period_s=...)")
    return mode, period


# --------------------------------------------------------------------- normalisation
def _overlap_antiderivative(tau_s: np.ndarray, duration_s: float, gate: _Gate) -> np.ndarray:
    """``G(τ) = ∫_0^τ L(u) du`` with ``L(u)`` the time during which both ``t`` and ``t + u`` are observed.

    Without a gate ``L(u) = T − |u|``. With a gate, ``L(u) = (w − r)·S(q) + r·S(q+1)`` for
    ``|u| = q·w + r`` (``w`` the gate bin width, ``S`` the ON-bin pair counts), piecewise linear.
    """
    x = np.abs(np.asarray(tau_s, np.float64))
    sgn = np.sign(tau_s)
    if not gate.active:
        T = float(duration_s)
        xc = np.minimum(x, T)
        return sgn * (T * xc - 0.5 * xc * xc)
    w = gate.bin_s
    q = np.floor(x / w).astype(np.int64)
    q_max = int(q.max(initial=0)) + 1
    S = gate.pair_counts(q_max)
    S = np.concatenate([S, np.zeros(2)])
    seg = 0.5 * w * w * (S[:-1] + S[1:])  # ∫ over whole bin-lags k → k+1
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    qc = np.minimum(q, S.size - 2)
    r = x - qc * w
    val = cum[qc] + (w * r - 0.5 * r * r) * S[qc] + 0.5 * r * r * S[qc + 1]
    return sgn * val


def _expected_pairs(edges_s, n_a, n_b, duration_s, gate: _Gate) -> np.ndarray:
    """Pairs uncorrelated photons at the measured rates give in each lag bin.

    ``n_a·n_b/T² · ∫_bin L(τ) dτ``: with ``L = T − |τ|`` this is ``C·T/(N_A·N_B·Δτ)`` of
    science.md §6 with the finite-duration factor ``T/(T − |τ|)``, which is 1 to within
    ``W/T`` for the ±1 µs histogram and matters only for lags of seconds.
    """
    if duration_s <= 0:
        return np.zeros(len(edges_s) - 1)
    G = _overlap_antiderivative(np.asarray(edges_s, np.float64), duration_s, gate)
    return float(n_a) * float(n_b) / (float(duration_s) ** 2) * np.diff(G)


def _normalised(counts, expected):
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(expected > 0, counts / expected, np.nan)
        err = np.where(expected > 0, np.sqrt(counts) / expected, np.nan)
    return g, err
