"""Random streams, dwell-time samplers and the switching processes that make the state trajectory."""

from __future__ import annotations

import math

import numpy as np

from .config import _check_choice, DWELL_LAWS

__all__ = ["dwell_times"]


class _DrawStream:
    """One named stream of random numbers, consumed strictly in order.

    Values come from the generator in pieces of fixed size, so the sequence a consumer
    sees does not depend on how many values it asks for at a time: this is what makes the
    output independent of the block size.
    """

    PIECE = 1 << 16

    def __init__(self, seed_seq: np.random.SeedSequence, kind: str):
        gen = np.random.Generator(np.random.PCG64(seed_seq))
        self._draw = {"random": gen.random, "exponential": gen.standard_exponential,
                      "normal": gen.standard_normal}[kind]
        self._buf = np.empty(0)
        self._pos = 0

    def peek(self, n: int) -> np.ndarray:
        """The values not consumed yet (at least ``n`` of them), without consuming."""
        avail = self._buf.shape[0] - self._pos
        if avail < n:
            n_pieces = -(-(n - avail) // self.PIECE)
            parts = [self._buf[self._pos:]] + [self._draw(self.PIECE) for _ in range(n_pieces)]
            self._buf = np.concatenate(parts)
            self._pos = 0
        return self._buf[self._pos:]

    def advance(self, n: int) -> None:
        self._pos += int(n)

    def take(self, n: int) -> np.ndarray:
        out = self.peek(n)[:n]
        self._pos += n
        return out


_STREAM_NAMES = (
    ("charge_on", "random"), ("charge_off", "random"), ("charge_level", "random"),
    ("trap_on", "random"), ("trap_off", "random"), ("trap_level", "random"),
    ("pulse_gap", "random"), ("category", "random"), ("biexciton_delay", "exponential"),
    ("exciton_delay", "exponential"), ("jitter", "normal"), ("detector", "random"),
    ("background0", "exponential"), ("background1", "exponential"), ("cw_interval", "exponential"),
)


def _streams(seed: int) -> dict:
    children = np.random.SeedSequence(seed).spawn(len(_STREAM_NAMES))
    return {name: _DrawStream(ss, kind) for (name, kind), ss in zip(_STREAM_NAMES, children)}


class _DwellSampler:
    """Dwell durations of one law, drawn in order from one uniform stream.

    Notes
    -----
    * power law (α > 1): inverse CDF, ``t = t_min · u^(-1/(α-1))``.
    * truncated power law ``∝ t^-α e^(-t/τ_c)`` on ``[t_min, ∞)``: exact rejection with
      two uniforms per candidate. α > 1: candidate from the pure power law, accepted with
      probability ``e^(-(t - t_min)/τ_c)``. α <= 1: candidate ``t_min + τ_c·E``, accepted
      with probability ``(t/t_min)^-α``.
    * exponential: ``t = mean · (-ln u)``.
    """

    def __init__(self, law: str, alpha: float, t_min_s: float, truncation_s: float, mean_s: float, stream):
        self.law, self.alpha, self.t_min_s = law, float(alpha), float(t_min_s)
        self.truncation_s, self.mean_s = float(truncation_s), float(mean_s)
        self.stream = stream
        self._acc = 0.5

    def draw(self, n: int) -> np.ndarray:
        if self.law == "exponential":
            return self.mean_s * -np.log1p(-self.stream.take(n))
        if self.law == "power_law":
            return self.t_min_s * (1.0 - self.stream.take(n)) ** (-1.0 / (self.alpha - 1.0))
        got = []
        need = n
        while need > 0:
            m = int(need / max(self._acc, 1e-4) * 1.2) + 16
            u = self.stream.peek(2 * m)[: 2 * m].reshape(m, 2)
            u1, u2 = 1.0 - u[:, 0], u[:, 1]
            if self.alpha > 1.0:
                t = self.t_min_s * u1 ** (-1.0 / (self.alpha - 1.0))
                ok = u2 < np.exp(-(t - self.t_min_s) / self.truncation_s)
            else:
                t = self.t_min_s - self.truncation_s * np.log(u1)
                ok = u2 < (t / self.t_min_s) ** (-self.alpha)
            idx = np.flatnonzero(ok)
            self._acc = 0.5 * self._acc + 0.5 * max(idx.size / m, 1e-4)
            if idx.size >= need:
                last = idx[need - 1]
                got.append(t[idx[:need]])
                self.stream.advance(2 * (last + 1))
                need = 0
            else:
                got.append(t[idx])
                self.stream.advance(2 * m)
                need -= idx.size
        return np.concatenate(got)


def dwell_times(law: str, n: int, *, alpha: float = 1.5, t_min_s: float = 1e-3, truncation_s: float = 1.0,
                mean_s: float = 0.05, seed: int | None = None) -> np.ndarray:
    """Draw ``n`` dwell times (s) of one law, exactly as the simulator does.

    Parameters
    ----------
    law : {"power_law", "truncated_power_law", "exponential"}
    n : int
    alpha, t_min_s, truncation_s, mean_s : float
        Law parameters (see :class:`SimulationConfig`).
    seed : int, optional

    Returns
    -------
    (n,) float64
    """
    _check_choice("law", law, DWELL_LAWS)
    if law == "power_law" and alpha <= 1:
        raise ValueError("a pure power law needs alpha > 1")
    stream = _DrawStream(np.random.SeedSequence(seed), "random")
    return _DwellSampler(law, alpha, t_min_s, truncation_s, mean_s, stream).draw(int(n))


class _DwellStats:
    """Running sums over the drawn dwells of one law that start inside the measurement."""

    def __init__(self, law, alpha, t_min_s, truncation_s, mean_s):
        self.law, self.alpha, self.t_min_s, self.truncation_s, self.mean_s = law, alpha, t_min_s, truncation_s, mean_s
        self.n = 0
        self.sum_log = 0.0
        self.sum_t = 0.0

    def add(self, t):
        if t.size:
            self.n += int(t.size)
            self.sum_t += float(t.sum())
            if self.law != "exponential":
                self.sum_log += float(np.log(t / self.t_min_s).sum())

    def to_dict(self) -> dict:
        d = {"law": self.law}
        if self.law == "exponential":
            d["mean_s"] = self.mean_s
        else:
            d.update(alpha=self.alpha, t_min_s=self.t_min_s)
            if self.law == "truncated_power_law":
                d["truncation_s"] = self.truncation_s
        d["n_drawn"] = self.n
        d["mean_drawn_s"] = self.sum_t / self.n if self.n else None
        if self.law == "power_law":
            d["alpha_mle_drawn"] = 1.0 + self.n / self.sum_log if self.n and self.sum_log > 0 else None
            d["alpha_mle_drawn_se"] = (d["alpha_mle_drawn"] - 1.0) / math.sqrt(self.n) if d["alpha_mle_drawn"] else None
        if self.law == "exponential":
            d["mean_mle_drawn_s"] = d["mean_drawn_s"]
        return d


class _SwitchingProcess:
    """ON (level 0) and OFF (level 1..n_off) dwells alternating, starting ON at t = 0."""

    BATCH = 256

    def __init__(self, name, n_off, on: _DwellSampler, off: _DwellSampler, level_stream, t_end_s, stats_on, stats_off,
                 level_cdf=None):
        self.name, self.n_off = name, int(n_off)
        self.level_cdf = None if level_cdf is None else np.asarray(level_cdf, float)  # OFF level weights
        self.on, self.off, self.level_stream = on, off, level_stream
        self.t_end_s = t_end_s
        self.stats_on, self.stats_off = stats_on, stats_off
        self.ends = np.empty(0)
        self.levels = np.empty(0, np.int64)
        self.t_last = 0.0
        self.cap_s = 2.0 * t_end_s + 10.0

    def extend(self, horizon_s: float) -> None:
        while self.t_last < horizon_s:
            b = self.BATCH
            on, off = self.on.draw(b), self.off.draw(b)
            if self.level_cdf is None:
                lev = 1 + np.minimum((self.level_stream.take(b) * self.n_off).astype(np.int64), self.n_off - 1)
            else:
                lev = 1 + np.minimum(np.searchsorted(self.level_cdf, self.level_stream.take(b), side="right"),
                                     self.n_off - 1)
            dur = np.empty(2 * b)
            dur[0::2], dur[1::2] = on, off
            # a dwell longer than the measurement is censored anyway: cap it so that heavy
            # tails (alpha near 1) cannot overflow the clocks; the statistics keep the draw
            np.minimum(dur, self.cap_s, out=dur)
            levels = np.zeros(2 * b, np.int64)
            levels[1::2] = lev
            ends = np.cumsum(np.concatenate(([self.t_last], dur)))[1:]  # sequential sum from t_last
            starts = np.concatenate(([self.t_last], ends[:-1]))
            inside = starts < self.t_end_s
            self.stats_on.add(on[inside[0::2]])
            self.stats_off.add(off[inside[1::2]])
            self.ends = np.concatenate((self.ends, ends))
            self.levels = np.concatenate((self.levels, levels))
            self.t_last = float(ends[-1])

    def level_at(self, seg_end_s: np.ndarray) -> np.ndarray:
        """Level of the dwell that contains each segment ending at ``seg_end_s``."""
        return self.levels[np.searchsorted(self.ends, seg_end_s, side="left")]

    def drop_until(self, t_s: float) -> None:
        i = np.searchsorted(self.ends, t_s, side="right")
        self.ends, self.levels = self.ends[i:], self.levels[i:]


class _Trajectory:
    """The emitter's state as contiguous segments ``[start, end)`` (s), generated lazily."""

    def __init__(self, processes, combine, t_end_s: float):
        self.processes = processes
        self.combine = combine  # levels per process -> state index
        self.t_emitted = 0.0
        self.t_end_s = t_end_s

    def segments(self, horizon_s: float):
        """New segments, the last one ending at or after ``horizon_s``."""
        if not self.processes:
            if self.t_emitted > 0:
                return np.empty(0), np.empty(0), np.empty(0, np.int64)
            end = 2.0 * self.t_end_s + 10.0  # the non-blinking emitter never switches
            self.t_emitted = end
            return np.array([0.0]), np.array([end]), np.zeros(1, np.int64)
        for p in self.processes:
            p.extend(horizon_s)
        h = min(p.t_last for p in self.processes)
        bounds = np.unique(np.concatenate([p.ends[p.ends <= h] for p in self.processes]))
        bounds = bounds[bounds > self.t_emitted]
        starts = np.concatenate(([self.t_emitted], bounds[:-1]))
        state = self.combine([p.level_at(bounds) for p in self.processes])
        for p in self.processes:
            p.drop_until(h)
        self.t_emitted = float(bounds[-1])
        return starts, bounds, state.astype(np.int64)
