"""Monte-Carlo photon streams of a single quantum emitter, with their ground truth.

A simulated measurement is the confocal HBT experiment of ``docs/science.md`` §0: one
emitter (non-blinking, Auger-blinking, BC-blinking or both), pulsed or continuous-wave
excitation, a 50/50 splitter onto two detectors with efficiency, dark counts and
background, dead time, timing jitter and delay offsets, recorded in T3 (pulsed) or T2.
Every number the analyses of ``tttr`` estimate has its true value in the *truth*
dictionary: state intensities and lifetimes, β, the ON fraction, dwell-time laws, the
g2(0) an ideal estimator sees, and the Mandel Q expected at the 10 ms bin width.

Entry points
------------
:class:`SimulationConfig`
    Every parameter, with units in the names and documented defaults.
:func:`simulate_to_file`
    Write a PTU (HydraHarp V2 T3 or Generic T2) or Photon-HDF5 file and
    ``OUT.truth.json`` beside it; returns the truth.
:func:`simulate_photons`
    The whole measurement in memory (small runs, tests), with per-photon labels.
:class:`SimulatedStream`
    Block-by-block generation in bounded memory (what the two above use).

The physics, the equations and how each truth value is derived are in
``docs/simulator.md``.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import numpy as np

from . import defaults
from .io.events import PhotonChunk, StreamInfo, concatenate_chunks
from .kernels import simulate as _k

__all__ = [
    "MODELS",
    "DWELL_LAWS",
    "SimulationConfig",
    "EmitterState",
    "PhotonLabels",
    "SimulatedPhotons",
    "SimulatedStream",
    "emitter_states",
    "dwell_times",
    "simulate_photons",
    "simulate_to_file",
    "truth_path",
]

#: Emitter models (``docs/science.md`` §3.1; seed 001).
MODELS = ("nonblinking", "auger", "bc", "mixed")

#: Dwell-time laws of the ON and OFF periods.
DWELL_LAWS = ("power_law", "truncated_power_law", "exponential")

#: Photon sources in :class:`PhotonLabels`.
SOURCE_EXCITON = 0  # exciton photon of a pulse that made one exciton (or any CW photon)
SOURCE_CASCADE_EXCITON = 1  # exciton photon after a biexciton decay (pulsed, n >= 2)
SOURCE_BIEXCITON = 2  # biexciton photon (pulsed, n >= 2)
SOURCE_BACKGROUND = 3  # dark count or background light

#: Gaussian jitter is clipped at this many standard deviations, so that the earliest
#: possible arrival after a pulse is known exactly (needed to emit photons in time order).
_JITTER_CLIP_SIGMA = 8.0
_FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))
_TRUTH_SCHEMA = "tttr.simulate.truth/1"


# --------------------------------------------------------------------------------------
# parameters
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SimulationConfig:
    """Every parameter of a simulated measurement (units in the names).

    Attributes
    ----------
    model : {"nonblinking", "auger", "bc", "mixed"}
        Emitter model. ``auger``: exciton (I1, τ1) ↔ trion (I2, τ2). ``bc``: fixed
        radiative rate, non-radiative rate switching between the exciton level and the
        levels of ``bc_level_lifetimes_ns`` (I ∝ τ). ``mixed``: both processes at once,
        independently (see Notes). Default ``"auger"``.
    mode : {"t3", "t2"}
        Recording mode. T3 needs pulsed excitation. Default ``"t3"``.
    excitation : {"pulsed", "cw"}
        Default ``"pulsed"``.
    seed : int or None
        Seed of every random stream (``numpy.random.SeedSequence(seed)``). None draws
        fresh entropy; the seed used is recorded in the truth. Default None.
    duration_s : float
        Measurement length. Pulsed: ``floor(duration_s * repetition_rate_hz)`` pulses.
        Default 60.
    repetition_rate_hz : float
        Laser repetition rate (pulsed). Default 5 MHz (period 200 ns ≫ τ1 = 24.7 ns).
    mean_excitons_per_pulse : float
        ⟨N⟩, the mean of the Poisson number of excitons made by one pulse. Default 0.1
        (seed 001, Fig. 1c).
    biexciton_qy_ratio : float
        QY_BX / QY_X, the biexciton-to-exciton quantum-yield ratio; at low ⟨N⟩ it is the
        signal g2(0). Default 0.05.
    cw_excitation_rate_hz : float
        Excitation rate k_exc of the ground state under CW light. Default 2 MHz.
    exciton_intensity_counts_per_10ms : float
        I1: detected signal counts per 10 ms (both detectors, after detection efficiency,
        before dead time, without background) while the emitter is in the exciton (ON)
        state. Sets the exciton quantum yield. Default 760 (seed 001).
    exciton_lifetime_ns : float
        τ1. Default 24.7 (seed 001).
    trion_intensity_counts_per_10ms : float or None
        I2 of the trion state. None: ``2 * I1 * τ2 / τ1`` (trion radiative rate exactly
        2·k_r, β = 2). Default 280 (seed 001; β = 1.82).
    trion_lifetime_ns : float
        τ2. Default 5.0 (seed 001).
    bc_level_lifetimes_ns : tuple of float
        Lifetimes of the dim BC levels (exciton with an active trap), each < τ1; level i
        has intensity ``I1 * τ_i / τ1``. Default (10.0, 5.0, 2.5), all below half of I1.
    dwell_law_on, dwell_law_off : {"power_law", "truncated_power_law", "exponential"}
        Law of the ON and OFF dwell times. Default ``"power_law"``.
    alpha_on, alpha_off : float
        Power-law exponent α of ``P(t) ∝ t^-α`` (> 1 for the pure law, >= 0 truncated).
        Default 1.5.
    t_min_on_s, t_min_off_s : float
        Lower bound t_min of the (truncated) power law. Default 1 ms.
    truncation_on_s, truncation_off_s : float
        τ_c of the truncated law ``t^-α exp(-t/τ_c)``. Default 1 s.
    mean_dwell_on_s, mean_dwell_off_s : float
        Mean of the exponential law. Default 50 ms.
    detection_efficiency : float
        η: probability that an emitted photon is detected by one of the detectors
        (collection × transmission × detector efficiency). Default 0.2.
    splitter_ratio : float
        Fraction of the light sent to detector 0. Default 0.5.
    dark_counts_cps : (2,) float
        Dark counts per second of each detector. Default (100, 100).
    background_cps : float
        Background light reaching the detectors (counts per second before the splitter;
        uniform in time). Default 500.
    dead_time_ns : (2,) float
        Non-paralysable dead time of each detector (applied to recorded times). Default
        (80, 80), below the 200 ns period: see Notes.
    irf_fwhm_ns : float
        FWHM of the Gaussian timing jitter (IRF) added to every signal photon. Default 0.1.
    detector_delays_ns : (2,) float
        Constant delay of each detector channel (cables, electronics). Default (2.0, 2.6).
    nanotimes_unit_s : float
        TCSPC bin (T3). Default 16 ps (HydraHarp-like; 12 500 bins per 200 ns period).
    t2_timestamps_unit_s : float
        T2 time-tag unit. Default 1 ps.
    block_duration_s : float
        Length of one generation block (bounds the memory; does not change the result).
        Default 1 s.
    truth_bin_width_s : float
        Bin width of the binned truth values (ON fraction as seen in bins, Mandel Q).
        Default ``tttr.defaults.BIN_WIDTH_S`` (10 ms).
    auger_share : float or None
        ``mixed`` only. None (default): the two independent processes of the Notes. A value
        p in (0, 1): one switching process whose every OFF dwell is a trion dwell with
        probability p and a dwell in one of the BC trap levels (exciton with an active trap,
        chosen uniformly) otherwise, so that the dim time splits as
        ``A_Auger : A_BC = p : (1 − p)`` (truth ``mixture``).

    Notes
    -----
    * Blinking processes start in their ON state at t = 0, and ON and OFF dwells
      alternate; every OFF dwell of the BC process picks one of the dim levels uniformly
      at random.
    * ``mixed``: a charging process (exciton ↔ trion, the Auger part) and a trap process
      (BC levels) switch independently with the same dwell laws. An active trap adds the
      same non-radiative rate ``1/τ_i - 1/τ1`` to the exciton and to the trion, and the
      radiative rates stay fixed, so within each charge state I ∝ τ.
    * Dead time shorter than the period (the default) lets a detector record two photons
      of one pulse only when they are further apart than the dead time (a biexciton
      photon and a late exciton photon, or a background count). A dead time longer than
      the period also suppresses photons of the following pulses, as on real hardware.
    """

    model: str = "auger"
    mode: str = "t3"
    excitation: str = "pulsed"
    seed: int | None = None
    duration_s: float = 60.0
    repetition_rate_hz: float = 5e6
    mean_excitons_per_pulse: float = 0.1
    biexciton_qy_ratio: float = 0.05
    cw_excitation_rate_hz: float = 2e6
    exciton_intensity_counts_per_10ms: float = 760.0
    exciton_lifetime_ns: float = 24.7
    trion_intensity_counts_per_10ms: float | None = 280.0
    trion_lifetime_ns: float = 5.0
    bc_level_lifetimes_ns: tuple = (10.0, 5.0, 2.5)
    dwell_law_on: str = "power_law"
    alpha_on: float = 1.5
    t_min_on_s: float = 1e-3
    truncation_on_s: float = 1.0
    mean_dwell_on_s: float = 0.05
    dwell_law_off: str = "power_law"
    alpha_off: float = 1.5
    t_min_off_s: float = 1e-3
    truncation_off_s: float = 1.0
    mean_dwell_off_s: float = 0.05
    detection_efficiency: float = 0.2
    splitter_ratio: float = 0.5
    dark_counts_cps: tuple = (100.0, 100.0)
    background_cps: float = 500.0
    dead_time_ns: tuple = (80.0, 80.0)
    irf_fwhm_ns: float = 0.1
    detector_delays_ns: tuple = (2.0, 2.6)
    nanotimes_unit_s: float = 16e-12
    t2_timestamps_unit_s: float = 1e-12
    block_duration_s: float = 1.0
    truth_bin_width_s: float = defaults.BIN_WIDTH_S
    auger_share: float | None = None

    def __post_init__(self):
        for name in ("bc_level_lifetimes_ns", "dark_counts_cps", "dead_time_ns", "detector_delays_ns"):
            object.__setattr__(self, name, tuple(float(v) for v in np.atleast_1d(getattr(self, name))))
        if self.seed is not None:
            seed = int(self.seed)
            if seed < 0:
                raise ValueError(f"seed must be a non-negative integer, not {self.seed!r}")
            object.__setattr__(self, "seed", seed)
        _check_choice("model", self.model, MODELS)
        _check_choice("mode", self.mode, ("t3", "t2"))
        _check_choice("excitation", self.excitation, ("pulsed", "cw"))
        _check_choice("dwell_law_on", self.dwell_law_on, DWELL_LAWS)
        _check_choice("dwell_law_off", self.dwell_law_off, DWELL_LAWS)
        if self.mode == "t3" and self.excitation != "pulsed":
            raise ValueError("T3 mode needs pulsed excitation (a CW measurement has no sync); use mode='t2'")
        for name in ("duration_s", "repetition_rate_hz", "cw_excitation_rate_hz", "exciton_intensity_counts_per_10ms",
                     "exciton_lifetime_ns", "trion_lifetime_ns", "nanotimes_unit_s", "t2_timestamps_unit_s",
                     "block_duration_s", "truth_bin_width_s", "mean_excitons_per_pulse", "detection_efficiency",
                     "t_min_on_s", "t_min_off_s", "truncation_on_s", "truncation_off_s", "mean_dwell_on_s",
                     "mean_dwell_off_s"):
            _check_positive(name, getattr(self, name))
        for name in ("biexciton_qy_ratio", "background_cps", "irf_fwhm_ns", "alpha_on", "alpha_off"):
            v = float(getattr(self, name))
            if not (math.isfinite(v) and v >= 0):
                raise ValueError(f"{name} must be a finite number >= 0, not {v!r}")
        if self.trion_intensity_counts_per_10ms is not None:
            v = float(self.trion_intensity_counts_per_10ms)
            if not (math.isfinite(v) and v >= 0):
                raise ValueError(f"trion_intensity_counts_per_10ms must be >= 0 or None, not {v!r}")
        if not 0.0 < self.detection_efficiency <= 1.0:
            raise ValueError(f"detection_efficiency must be in (0, 1], not {self.detection_efficiency}")
        if not 0.0 <= self.splitter_ratio <= 1.0:
            raise ValueError(f"splitter_ratio must be in [0, 1], not {self.splitter_ratio}")
        for name in ("dark_counts_cps", "dead_time_ns", "detector_delays_ns"):
            v = getattr(self, name)
            if len(v) != 2 or not all(math.isfinite(x) for x in v):
                raise ValueError(f"{name} needs two finite values (one per detector), not {v!r}")
        if min(self.dark_counts_cps) < 0 or min(self.dead_time_ns) < 0:
            raise ValueError("dark_counts_cps and dead_time_ns must be >= 0")
        for side in ("on", "off"):
            law, alpha = getattr(self, f"dwell_law_{side}"), getattr(self, f"alpha_{side}")
            if law == "power_law" and alpha <= 1.0:
                raise ValueError(f"alpha_{side} must be > 1 for a pure power law (got {alpha}); "
                                 "use truncated_power_law for alpha <= 1")
        if self.model in ("bc", "mixed"):
            lv = self.bc_level_lifetimes_ns
            if not lv or min(lv) <= 0 or max(lv) >= self.exciton_lifetime_ns:
                raise ValueError(f"bc_level_lifetimes_ns must be in (0, exciton_lifetime_ns={self.exciton_lifetime_ns}), "
                                 f"not {lv!r}")
        if self.auger_share is not None:
            v = float(self.auger_share)
            if self.model != "mixed" or not 0.0 < v < 1.0:
                raise ValueError(f"auger_share must be in (0, 1) and needs model='mixed', not {self.auger_share!r}")
            object.__setattr__(self, "auger_share", v)
        if self.mode == "t3":
            n_bins = math.ceil(self.period_s / self.nanotimes_unit_s - 1e-9)
            if n_bins > 65535:
                raise ValueError(f"{n_bins} TCSPC bins per period do not fit uint16 nanotimes; "
                                 "raise nanotimes_unit_s or the repetition rate")
        emitter_states(self)  # raises on unphysical quantum yields

    @property
    def period_s(self) -> float:
        """Laser period (s)."""
        return 1.0 / self.repetition_rate_hz

    @property
    def pulsed(self) -> bool:
        return self.excitation == "pulsed"

    def to_dict(self) -> dict:
        """JSON-safe dictionary of the parameters (tuples as lists)."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}


def _check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}; not {value!r}")


def _check_positive(name, value):
    v = float(value)
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be a finite number > 0, not {value!r}")


@dataclass(frozen=True)
class EmitterState:
    """One emission state of the simulated emitter.

    Attributes
    ----------
    index : int
        Index used in :class:`PhotonLabels` ``state``.
    name : str
        ``"exciton"``, ``"trion"``, ``"exciton+trap2"``, ...
    charged : bool
        Trion (charged) state.
    trap_level : int
        Active BC trap level (0: none).
    is_on : bool
        The bright reference state (neutral, no trap): the "ON" of the truth.
    lifetime_ns : float
        τ of the state's single-exciton (or trion) decay.
    intensity_counts_per_10ms : float
        Detected signal counts per 10 ms in this state (both detectors, after detection
        efficiency, before dead time, no background).
    quantum_yield : float
        Photons per exciton (or trion) decay, derived from the intensity.
    radiative_rate_per_ns : float
        ``quantum_yield / lifetime_ns``.
    biexciton_lifetime_ns : float
        Pulsed only: ``biexciton_qy_ratio * τ / 4`` (radiative rate 4·k_r, see the docs).
    """

    index: int
    name: str
    charged: bool
    trap_level: int
    is_on: bool
    lifetime_ns: float
    intensity_counts_per_10ms: float
    quantum_yield: float
    radiative_rate_per_ns: float
    biexciton_lifetime_ns: float

    def to_dict(self) -> dict:
        return asdict(self)


def _poisson_excitons(mean_n: float) -> tuple[float, float]:
    """``(P(n = 1), P(n >= 2))`` for a Poisson number of excitons per pulse."""
    p0 = math.exp(-mean_n)
    p1 = mean_n * p0
    p2 = -math.expm1(-mean_n) - p1  # 1 - p0 - p1 without cancellation at small <N>
    return p1, max(p2, 0.0)


def emitter_states(config: SimulationConfig) -> tuple[EmitterState, ...]:
    """The emission states of ``config.model`` with their derived quantum yields.

    Parameters
    ----------
    config : SimulationConfig

    Returns
    -------
    tuple of EmitterState
        Index 0 is the bright reference (ON) state.

    Raises
    ------
    ValueError
        A requested intensity needs a quantum yield above 1 (more photons than the
        excitation and detection efficiency allow).

    Notes
    -----
    Intensities set the quantum yields: pulsed,
    ``I = f · η · QY · (P(n≥1) + r · P(n≥2))`` (exciton photon of every excited pulse, plus
    a biexciton photon with yield ``r · QY`` when two or more excitons were made); CW,
    ``I = η · QY · k_exc · Γ / (k_exc + Γ)`` with ``Γ = 1/τ``. BC levels keep k_r
    (``I_i = I1 · τ_i / τ1``); the trion keeps its own radiative rate (``I2 · τ / τ2``).
    """
    c = config
    i1 = float(c.exciton_intensity_counts_per_10ms)
    t1 = float(c.exciton_lifetime_ns)
    t2 = float(c.trion_lifetime_ns)
    i2 = float(c.trion_intensity_counts_per_10ms) if c.trion_intensity_counts_per_10ms is not None else 2.0 * i1 * t2 / t1
    levels = [t1] + list(c.bc_level_lifetimes_ns)
    specs = []  # (name, charged, trap, tau_ns, intensity)
    if c.model == "nonblinking":
        specs.append(("exciton", False, 0, t1, i1))
    elif c.model == "auger":
        specs += [("exciton", False, 0, t1, i1), ("trion", True, 0, t2, i2)]
    elif c.model == "bc":
        specs += [("exciton" if i == 0 else f"exciton+trap{i}", False, i, tau, i1 * tau / t1) for i, tau in enumerate(levels)]
    else:  # mixed
        for charged in (False, True):
            for i, tau_i in enumerate(levels):
                extra_knr = 1.0 / tau_i - 1.0 / t1
                if charged:
                    tau = 1.0 / (1.0 / t2 + extra_knr)
                    inten = i2 * tau / t2
                    name = "trion" if i == 0 else f"trion+trap{i}"
                else:
                    tau, inten = tau_i, i1 * tau_i / t1
                    name = "exciton" if i == 0 else f"exciton+trap{i}"
                specs.append((name, charged, i, tau, inten))
    eta, r = c.detection_efficiency, c.biexciton_qy_ratio
    out = []
    for idx, (name, charged, trap, tau, inten) in enumerate(specs):
        rate_cps = inten / 0.01
        if c.pulsed:
            p1, p2 = _poisson_excitons(c.mean_excitons_per_pulse)
            a = rate_cps / c.repetition_rate_hz / (p1 + p2 + r * p2)
        else:
            gamma = 1e9 / tau
            k = c.cw_excitation_rate_hz
            a = rate_cps * (k + gamma) / (k * gamma)
        qy = a / eta
        if qy > 1.0 + 1e-12 or (c.pulsed and r * qy > 1.0 + 1e-12):
            raise ValueError(
                f"state {name!r}: {inten:g} counts per 10 ms need a quantum yield of {qy:.3g} "
                f"(biexciton {r * qy:.3g}) > 1 with detection_efficiency={eta:g}; raise the excitation "
                "(mean_excitons_per_pulse, repetition_rate_hz or cw_excitation_rate_hz) or the detection efficiency")
        out.append(EmitterState(
            index=idx, name=name, charged=charged, trap_level=trap, is_on=(idx == 0), lifetime_ns=tau,
            intensity_counts_per_10ms=inten, quantum_yield=qy, radiative_rate_per_ns=qy / tau,
            biexciton_lifetime_ns=r * tau / 4.0,
        ))
    return tuple(out)


class _Rates:
    """Per-state arrays the generator needs (derived once from the states)."""

    def __init__(self, config: SimulationConfig, states):
        c = config
        self.n = len(states)
        self.tau_ns = np.array([s.lifetime_ns for s in states])
        self.tau_bx_ns = np.array([s.biexciton_lifetime_ns for s in states])
        self.signal_cps = np.array([s.intensity_counts_per_10ms / 0.01 for s in states])
        self.a = np.array([s.quantum_yield for s in states]) * c.detection_efficiency  # X detected per X decay
        self.b = c.biexciton_qy_ratio * self.a  # BX photon detected per biexciton decay
        if c.pulsed:
            p1, p2 = _poisson_excitons(c.mean_excitons_per_pulse)
            self.p1, self.p2 = p1, p2
            a, b = self.a, self.b
            cats = np.stack([p1 * a, p2 * b * (1 - a), p2 * a * (1 - b), p2 * a * b], axis=1)
            self.q_event = cats.sum(axis=1)  # P(at least one detected photon per pulse)
            with np.errstate(invalid="ignore", divide="ignore"):
                cum = np.cumsum(cats, axis=1) / self.q_event[:, None]
            self.cat_cum = np.ascontiguousarray(np.nan_to_num(cum[:, :3], nan=1.0))
            self.mu = a * (p1 + p2) + p2 * b  # mean detected photons per pulse
            self.both = p2 * a * b  # P(BX and X photons both detected)
        else:
            k = c.cw_excitation_rate_hz
            gamma = 1e9 / self.tau_ns
            s, prod = k + gamma, self.a * k * gamma
            disc = np.sqrt(np.maximum(s * s - 4.0 * prod, 0.0))
            self.r1 = (s + disc) / 2.0
            self.r2 = np.where(prod > 0, 2.0 * prod / (s + disc), 0.0)  # stable small root
            self.antibunching_rate_hz = s


# --------------------------------------------------------------------------------------
# random streams
# --------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------
# dwell times and the emitter trajectory
# --------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------
# the generator
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PhotonLabels:
    """What the simulator knows about each recorded photon (parallel to the photon arrays).

    Attributes
    ----------
    state : (n,) int16
        Emitter state index (:func:`emitter_states`) at emission; -1 for background.
    source : (n,) uint8
        0 exciton (single-exciton pulse, or CW), 1 exciton after a biexciton, 2 biexciton,
        3 background / dark count.
    pulse : (n,) int64
        Index of the exciting pulse (pulsed signal photons); -1 otherwise.
    delay_ns : (n,) float64
        Emission time after the exciting pulse (pulsed signal photons; without jitter and
        detector delay); NaN for CW and background photons.
    """

    state: np.ndarray
    source: np.ndarray
    pulse: np.ndarray
    delay_ns: np.ndarray

    def __len__(self):
        return int(self.state.shape[0])


@dataclass(frozen=True, eq=False)
class SimulatedPhotons:
    """A whole simulated measurement in memory (see :func:`simulate_photons`).

    Attributes
    ----------
    photons : PhotonChunk
    labels : PhotonLabels or None
    truth : dict
    config : SimulationConfig
    info : StreamInfo
    expected_counts_per_bin : (n_bins,) float64
        Noise-free expected recorded counts per truth bin
        (:meth:`SimulatedStream.expected_counts_per_bin`).
    """

    photons: PhotonChunk
    labels: PhotonLabels | None
    truth: dict
    config: SimulationConfig
    info: StreamInfo
    expected_counts_per_bin: np.ndarray

    def __repr__(self):
        return f"SimulatedPhotons({self.config.model}, {self.info.mode}, n_photons={len(self.photons)})"


_LABEL_KEYS = ("state", "pulse", "delay_ns")


class SimulatedStream:
    """A simulated measurement generated block by block in bounded memory.

    Parameters
    ----------
    config : SimulationConfig, optional
    **params
        Fields of :class:`SimulationConfig` (override ``config``).

    Examples
    --------
    >>> from tttr.simulate import SimulatedStream
    >>> sim = SimulatedStream(model="nonblinking", duration_s=0.2, seed=1)
    >>> n = sum(len(c) for c in sim.chunks())
    >>> sim.truth()["acquisition"]["n_photons"] == n
    True

    Notes
    -----
    :meth:`chunks` can run once; :meth:`truth` is available after it is exhausted. The
    emitter state, pending photons, dead-time memory and every random stream are carried
    from block to block, and every random stream is consumed in an order that does not
    depend on the blocks, so the photons do not depend on ``block_duration_s``.
    """

    def __init__(self, config: SimulationConfig | None = None, **params):
        config = config or SimulationConfig()
        if params:
            config = replace(config, **params)
        if config.seed is None:
            config = replace(config, seed=int(np.random.SeedSequence().entropy % (1 << 63)))
        self.config = config
        self.states = emitter_states(config)
        self.rates = _Rates(config, self.states)
        c = config
        self.t3 = c.mode == "t3"
        if c.pulsed:
            self.n_pulses = int(math.floor(c.duration_s * c.repetition_rate_hz + 1e-6))
            self.t_end_s = self.n_pulses * c.period_s
        else:
            self.n_pulses = 0
            self.t_end_s = float(c.duration_s)
        self.nb_period = math.ceil(c.period_s / c.nanotimes_unit_s - 1e-9) if self.t3 else 0
        # T2: the period in tags, snapped to an integer when only rounding error separates them
        x = c.period_s / c.t2_timestamps_unit_s
        self.period_ticks = float(round(x)) if abs(x - round(x)) < 1e-9 * x else x
        split = np.array([c.splitter_ratio, 1.0 - c.splitter_ratio])
        self._bg_rate = np.array(c.dark_counts_cps) + c.background_cps * split  # per detector (1/s)
        self.sigma_ns = c.irf_fwhm_ns / _FWHM_PER_SIGMA
        # earliest arrival after its pulse (or emission) of any signal photon: jitter is clipped
        self.min_offset_ns = min(c.detector_delays_ns) - _JITTER_CLIP_SIGMA * self.sigma_ns
        self._done = False
        self._started = False
        self._truth = None

    # -- metadata --------------------------------------------------------------------------

    @property
    def info(self) -> StreamInfo:
        """The stream's metadata in the common event model."""
        c = self.config
        return StreamInfo(
            path="<simulation>", format="simulation", record_type=f"simulated {c.mode.upper()}",
            mode=c.mode.upper(), timestamps_unit_s=c.period_s if self.t3 else c.t2_timestamps_unit_s,
            nanotimes_unit_s=c.nanotimes_unit_s if self.t3 else None,
            sync_rate_hz=c.repetition_rate_hz if c.pulsed else None, n_records=-1,
            tcspc_num_bins=self.nb_period if self.t3 else None, acquisition_time_s=self.t_end_s,
        )

    # -- generation ------------------------------------------------------------------------

    def chunks(self, *, labels: bool = False):
        """Yield the photons block by block.

        Parameters
        ----------
        labels : bool
            Also yield a :class:`PhotonLabels` per chunk: items are then
            ``(PhotonChunk, PhotonLabels)``.

        Yields
        ------
        PhotonChunk or (PhotonChunk, PhotonLabels)
            Time-ordered photons of one block (possibly empty).
        """
        if self._started:
            raise RuntimeError("a SimulatedStream runs once; make a new one")
        self._started = True
        self._setup()
        gen = self._pulsed_blocks(labels) if self.config.pulsed else self._cw_blocks(labels)
        for out in gen:
            ts, det, nt, lab = out
            chunk = PhotonChunk(timestamps=ts, detectors=det, nanotimes=nt)
            if labels:
                yield chunk, PhotonLabels(state=lab["state"].astype(np.int16), source=lab["source"],
                                          pulse=lab["pulse"], delay_ns=lab["delay_ns"])
            else:
                yield chunk
        self._done = True

    def _setup(self):
        c = self.config
        self.streams = _streams(c.seed)
        s = self.streams
        n_lv = len(c.bc_level_lifetimes_ns)

        def sampler(side, stream):
            return _DwellSampler(getattr(c, f"dwell_law_{side}"), getattr(c, f"alpha_{side}"),
                                 getattr(c, f"t_min_{side}_s"), getattr(c, f"truncation_{side}_s"),
                                 getattr(c, f"mean_dwell_{side}_s"), stream)

        def stats(side):
            return _DwellStats(getattr(c, f"dwell_law_{side}"), getattr(c, f"alpha_{side}"),
                               getattr(c, f"t_min_{side}_s"), getattr(c, f"truncation_{side}_s"),
                               getattr(c, f"mean_dwell_{side}_s"))

        procs = []
        if c.model == "mixed" and c.auger_share is not None:
            # one process: OFF level 1 = trion (weight p), 1 + i = exciton with trap i ((1 − p)/n each)
            w = np.concatenate(([c.auger_share], np.full(n_lv, (1.0 - c.auger_share) / n_lv)))
            procs.append(_SwitchingProcess("dim", n_lv + 1, sampler("on", s["charge_on"]), sampler("off", s["charge_off"]),
                                           s["charge_level"], self.t_end_s, stats("on"), stats("off"),
                                           level_cdf=np.cumsum(w)[:-1]))
            state_of = np.array([0, n_lv + 1] + list(range(1, n_lv + 1)), np.int64)

            def combine(levels):
                return state_of[levels[0]]
        elif c.model in ("auger", "mixed"):
            procs.append(_SwitchingProcess("charge", 1, sampler("on", s["charge_on"]), sampler("off", s["charge_off"]),
                                           s["charge_level"], self.t_end_s, stats("on"), stats("off")))
        if c.model == "bc" or (c.model == "mixed" and c.auger_share is None):
            procs.append(_SwitchingProcess("trap", n_lv, sampler("on", s["trap_on"]), sampler("off", s["trap_off"]),
                                           s["trap_level"], self.t_end_s, stats("on"), stats("off")))
        if c.model == "mixed" and c.auger_share is not None:
            pass  # combine defined with the process above
        elif c.model == "mixed":
            def combine(levels):
                return levels[0] * (n_lv + 1) + levels[1]
        else:
            def combine(levels):
                return levels[0]
        self.processes = procs
        self.trajectory = _Trajectory(procs, combine, self.t_end_s)
        # live segments
        self._seg = {"start_s": np.empty(0), "end_s": np.empty(0), "state": np.empty(0, np.int64)}
        # truth accumulators
        self.bin_width_s = float(c.truth_bin_width_s)
        self.n_bins = int(math.floor(self.t_end_s / self.bin_width_s + 1e-9))
        self._bins = np.zeros((self.n_bins, 5))
        self._occupancy = np.zeros(self.rates.n)
        self._runs = {"on": [0, 0.0], "off": [0, 0.0], "cur_on": None, "cur_start": 0.0}
        self._counts = {"lost_dead_time": 0, "per_source": np.zeros(4, np.int64), "per_detector": np.zeros(2, np.int64)}
        self._dead = {"last_coarse": np.zeros(2, np.int64), "last_fine": np.zeros(2, np.int64),
                      "has_last": np.zeros(2, np.uint8), "dead_s": np.array(c.dead_time_ns) * 1e-9}
        self._bg_next = [None, None]  # carried pending background arrival of each detector (absolute s)
        self._carry = None

    # segments ------------------------------------------------------------------------------

    def _ensure_segments(self, horizon_s: float):
        seg = self._seg
        while seg["end_s"].size == 0 or seg["end_s"][-1] < horizon_s:
            st, en, sta = self.trajectory.segments(horizon_s)
            if st.size == 0:
                break
            self._count_runs(st, en, sta)
            seg["start_s"] = np.concatenate((seg["start_s"], st))
            seg["end_s"] = np.concatenate((seg["end_s"], en))
            seg["state"] = np.concatenate((seg["state"], sta))
            if self.config.pulsed:
                f = self.config.repetition_rate_hz
                seg["start_pulse"] = np.ceil(seg["start_s"] * f).astype(np.int64)
                seg["end_pulse"] = np.ceil(seg["end_s"] * f).astype(np.int64)

    def _trim_segments(self, keep_from_end):
        """Drop segments that end at or before ``keep_from_end`` (in the kernel's unit)."""
        seg = self._seg
        key = seg["end_pulse"] if self.config.pulsed else seg["end_s"]
        i = int(np.searchsorted(key, keep_from_end, side="right"))
        if i:
            for name in list(seg):
                seg[name] = seg[name][i:]
        return i

    def _count_runs(self, start, end, state):
        """Streaming count of the complete ON and OFF dwells of the combined state."""
        r = self._runs
        keep = start < self.t_end_s
        st = start[keep]
        on = np.array([x.is_on for x in self.states])[state[keep]]
        if on.size == 0:
            return
        if r["cur_on"] is None:
            r["cur_on"], r["cur_start"] = bool(on[0]), float(st[0])
        prev = np.concatenate(([r["cur_on"]], on[:-1]))
        chg = np.flatnonzero(on != prev)  # segments where the ON/OFF run changes
        run_start = np.concatenate(([r["cur_start"]], st[chg]))
        run_on = np.concatenate(([r["cur_on"]], on[chg]))
        closed_len = st[chg] - run_start[:-1]
        complete = run_start[:-1] > 0.0  # the run that starts at t = 0 is censored
        for key, flag in (("on", True), ("off", False)):
            m = complete & (run_on[:-1] == flag)
            r[key][0] += int(m.sum())
            r[key][1] += float(closed_len[m].sum())
        r["cur_on"], r["cur_start"] = bool(run_on[-1]), float(run_start[-1])

    def _weights(self):
        """Per-state weights of the binned truth, per unit of the segment clock."""
        r, c = self.rates, self.config
        loss = self._loss_per_s()
        on = np.array([1.0 if s.is_on else 0.0 for s in self.states])
        if c.pulsed:
            f = c.repetition_rate_hz
            mean = r.mu
            var = r.mu + 2 * r.both - r.mu ** 2
            return np.ascontiguousarray(np.stack([mean, var, loss / f, on, np.ones(r.n)], axis=1))
        mean = r.signal_cps
        var = r.signal_cps * (1.0 - 2.0 * r.signal_cps / r.antibunching_rate_hz)
        return np.ascontiguousarray(np.stack([mean, var, loss, on, np.ones(r.n)], axis=1))

    # pulsed ---------------------------------------------------------------------------------

    def _pulsed_blocks(self, labels):
        c, r = self.config, self.rates
        f = c.repetition_rate_hz
        block = max(1, int(round(c.block_duration_s * f)))
        # bin b holds the pulses j with j*P in [b*T, (b+1)*T): j >= ceil(b*T*f), with b*T*f
        # snapped to an integer when rounding error alone moves it off one
        x = np.arange(self.n_bins + 1) * (self.bin_width_s * f)
        xr = np.round(x)
        edges = np.ceil(np.where(np.abs(x - xr) < 1e-6, xr, x))
        weights = self._weights()
        ev_state = np.array([0, 0, -1], np.int64)
        j0 = 0
        while j0 < self.n_pulses:
            j1 = min(j0 + block, self.n_pulses)
            final = j1 == self.n_pulses
            self._ensure_segments((j1 + 1) / f)
            seg = self._seg
            seg_p = np.ascontiguousarray(r.q_event[seg["state"]])
            _k.accumulate_bins(seg["start_pulse"].astype(np.float64), seg["end_pulse"].astype(np.float64),
                               seg["state"], float(j0), float(j1), edges, weights, self._bins, self._occupancy)
            pulses, segs = self._run_event_kernel(seg["end_pulse"], seg_p, j1, ev_state, r.q_event.max() * (j1 - j0))
            st = seg["state"][segs]
            ph = self._pulsed_photons(pulses, st, labels)
            # cut: every later photon comes from a pulse >= j1 with offset >= min_offset
            if final:  # the measurement ends with the last pulse's period
                cut_key = self.n_pulses * self.nb_period if self.t3 else int(
                    math.floor(self.n_pulses * self.period_ticks))
                cut_s = self.t_end_s
            else:
                k, _, _ = self._pulsed_keys(np.array([j1], np.int64), np.array([self.min_offset_ns]))
                cut_key = int(k[0])
                cut_s = j1 / f + self.min_offset_ns * 1e-9
            bg = self._background(cut_s, labels)
            yield self._finish_block([ph, bg], cut_key, final, labels)
            dropped = self._trim_segments(j1)
            ev_state[0] -= dropped
            j0 = j1

    def _run_event_kernel(self, seg_end_pulse, seg_p, stop, state, expected):
        stream = self.streams["pulse_gap"]
        cap = int(expected * 1.1 + 6 * math.sqrt(expected + 1) + 1024)
        out_p, out_k = np.empty(cap, np.int64), np.empty(cap, np.int64)
        parts_p, parts_k = [], []
        need = int(expected + 6 * math.sqrt(expected + 1)) + 1024
        while True:
            u = stream.peek(need)
            n, used = _k.event_pulses(seg_end_pulse, seg_p, u, stop, state, out_p, out_k)
            stream.advance(used)
            parts_p.append(out_p[:n].copy())
            parts_k.append(out_k[:n].copy())
            if n == cap:
                continue
            if used == u.shape[0]:
                need = u.shape[0] + _DrawStream.PIECE
                continue
            break
        return np.concatenate(parts_p), np.concatenate(parts_k)

    def _pulsed_keys(self, pulse, offset_ns):
        """(sort key, coarse, fine) of photons at ``pulse·P + offset_ns``; see docs on wrapping."""
        c = self.config
        p_ns = 1e9 / c.repetition_rate_hz
        if self.t3:
            q = np.floor(offset_ns / p_ns)
            rem = np.clip(offset_ns - q * p_ns, 0.0, None)
            nt = np.minimum((rem / (c.nanotimes_unit_s * 1e9)).astype(np.int64), self.nb_period - 1)
            sync = pulse + q.astype(np.int64)
            return sync * self.nb_period + nt, sync, nt
        ticks = np.floor(pulse * self.period_ticks + offset_ns * (1e-9 / c.t2_timestamps_unit_s)).astype(np.int64)
        return ticks, ticks, np.zeros_like(ticks)

    def _pulsed_photons(self, pulses, st, labels):
        c, r = self.config, self.rates
        s = self.streams
        n = pulses.shape[0]
        u_cat = s["category"].take(n)
        e_bx = s["biexciton_delay"].take(n)
        e_x = s["exciton_delay"].take(n)
        z = s["jitter"].take(2 * n).reshape(n, 2)
        ud = s["detector"].take(2 * n).reshape(n, 2)
        cat = (u_cat[:, None] >= r.cat_cum[st]).sum(axis=1)
        t_bx = e_bx * r.tau_bx_ns[st]
        t_x = e_x * r.tau_ns[st]
        first = np.where(cat == 0, t_x, np.where(cat == 2, t_bx + t_x, t_bx))
        src1 = np.where(cat == 0, SOURCE_EXCITON, np.where(cat == 2, SOURCE_CASCADE_EXCITON, SOURCE_BIEXCITON))
        two = cat == 3
        delay = np.concatenate((first, (t_bx + t_x)[two]))
        src = np.concatenate((src1, np.full(int(two.sum()), SOURCE_CASCADE_EXCITON))).astype(np.uint8)
        zz = np.concatenate((z[:, 0], z[two, 1]))
        uu = np.concatenate((ud[:, 0], ud[two, 1]))
        pulse = np.concatenate((pulses, pulses[two]))
        det = (uu >= c.splitter_ratio).astype(np.uint8)
        offset = delay + np.asarray(c.detector_delays_ns)[det] + self.sigma_ns * np.clip(zz, -_JITTER_CLIP_SIGMA,
                                                                                          _JITTER_CLIP_SIGMA)
        key, coarse, fine = self._pulsed_keys(pulse, offset)
        out = {"key": key, "coarse": coarse, "fine": fine, "det": det, "source": src}
        if labels:
            out.update(state=np.concatenate((st, st[two])), pulse=pulse, delay_ns=delay)
        return out

    def _background(self, cut_s, labels):
        """Dark counts and background light on both detectors up to ``cut_s`` (absolute)."""
        c = self.config
        parts = []
        for d in (0, 1):
            rate = self._bg_rate[d]
            if rate <= 0:
                continue
            stream = self.streams[f"background{d}"]
            times = []
            t = self._bg_next[d]
            if t is None:  # first arrival of the run
                t = float(stream.take(1)[0] / rate)
            while t < cut_s:
                m = int((cut_s - t) * rate * 1.05 + 5 * math.sqrt((cut_s - t) * rate + 1) + 16)
                e = stream.peek(m)[:m]
                arr = np.cumsum(np.concatenate(([t], e / rate)))  # arr[0] = t, arr[i] = next arrivals
                i = int(np.searchsorted(arr, cut_s, side="left"))  # arr[:i] < cut_s
                if i <= m:  # arr[i] >= cut_s is the next pending arrival
                    times.append(arr[:i])
                    stream.advance(i)
                    t = float(arr[i])
                else:
                    times.append(arr[:m])
                    stream.advance(m)
                    t = float(arr[m])
            self._bg_next[d] = t
            if not times:
                continue
            ts = np.concatenate(times)
            ts = ts[ts < min(cut_s, self.t_end_s)]
            if self.t3:
                p = c.period_s
                sync = np.floor(ts / p).astype(np.int64)
                rem = np.clip(ts - sync * p, 0.0, None)
                nt = np.minimum((rem / c.nanotimes_unit_s).astype(np.int64), self.nb_period - 1)
                key, coarse, fine = sync * self.nb_period + nt, sync, nt
            else:
                key = np.floor(ts / c.t2_timestamps_unit_s).astype(np.int64)
                coarse, fine = key, np.zeros_like(key)
            part = {"key": key, "coarse": coarse, "fine": fine, "det": np.full(key.shape[0], d, np.uint8),
                    "source": np.full(key.shape[0], SOURCE_BACKGROUND, np.uint8)}
            if labels:
                part.update(state=np.full(key.shape[0], -1, np.int64), pulse=np.full(key.shape[0], -1, np.int64),
                            delay_ns=np.full(key.shape[0], np.nan))
            parts.append(part)
        return parts

    def _finish_block(self, parts, cut_key, final, labels):
        """Merge, sort, emit photons before ``cut_key``, carry the rest, apply dead time."""
        flat = []
        for p in parts:
            flat.extend(p if isinstance(p, list) else [p])
        if self._carry is not None:
            flat.insert(0, self._carry)
        names = ["key", "coarse", "fine", "det", "source"] + (list(_LABEL_KEYS) if labels else [])
        allp = {nm: np.concatenate([p[nm] for p in flat]) if flat else np.empty(0) for nm in names}
        order = np.argsort(allp["key"], kind="stable")
        for nm in names:
            allp[nm] = allp[nm][order]
        n_final = int(np.searchsorted(allp["key"], cut_key, side="left"))
        if final:
            self._carry = None
        else:
            self._carry = {nm: allp[nm][n_final:] for nm in names}
        out = {nm: allp[nm][:n_final] for nm in names}
        keep = np.empty(n_final, np.bool_)
        dd = self._dead
        if self.t3:
            cu, fu = self.config.period_s, self.config.nanotimes_unit_s
        else:
            cu, fu = self.config.t2_timestamps_unit_s, 0.0
        coarse = np.ascontiguousarray(out["coarse"], np.int64)
        fine = np.ascontiguousarray(out["fine"], np.int64)
        det = np.ascontiguousarray(out["det"], np.uint8)
        _k.dead_time_keep(coarse, fine, det, cu, fu, dd["dead_s"], dd["last_coarse"], dd["last_fine"],
                          dd["has_last"], keep)
        self._counts["lost_dead_time"] += int(n_final - keep.sum())
        ts = coarse[keep]
        det = det[keep]
        nt = fine[keep].astype(np.uint16) if self.t3 else None
        src = out["source"][keep]
        self._counts["per_source"] += np.bincount(src, minlength=4)[:4]
        self._counts["per_detector"] += np.bincount(det, minlength=2)[:2]
        lab = {"source": src}
        if labels:
            lab.update({nm: out[nm][keep] for nm in _LABEL_KEYS})
        return ts, det, nt, lab

    # continuous wave -----------------------------------------------------------------------

    def _cw_blocks(self, labels):
        c, r = self.config, self.rates
        res = c.t2_timestamps_unit_s
        edges = np.arange(self.n_bins + 1) * self.bin_width_s
        weights = self._weights()
        state_k = np.zeros(1, np.int64)
        state_t = np.array([0.0, -1.0])
        t0 = 0.0
        block = c.block_duration_s
        while t0 < self.t_end_s:
            t1 = min(t0 + block, self.t_end_s)
            final = t1 >= self.t_end_s
            self._ensure_segments(t1 * (1 + 1e-12) + 1e-9)
            seg = self._seg
            _k.accumulate_bins(seg["start_s"], seg["end_s"], seg["state"], t0, t1, edges, weights, self._bins,
                               self._occupancy)
            r1 = np.ascontiguousarray(r.r1[seg["state"]])
            r2 = np.ascontiguousarray(r.r2[seg["state"]])
            times, segs = self._run_cw_kernel(seg["end_s"], r1, r2, t1, state_k, state_t,
                                              r.signal_cps.max() * (t1 - t0))
            st = seg["state"][segs]
            n = times.shape[0]
            s = self.streams
            z = s["jitter"].take(n)
            ud = s["detector"].take(n)
            det = (ud >= c.splitter_ratio).astype(np.uint8)
            off_s = (np.asarray(c.detector_delays_ns)[det]
                     + self.sigma_ns * np.clip(z, -_JITTER_CLIP_SIGMA, _JITTER_CLIP_SIGMA)) * 1e-9
            key = np.floor((times + off_s) / res).astype(np.int64)
            ph = {"key": key, "coarse": key, "fine": np.zeros_like(key), "det": det,
                  "source": np.full(n, SOURCE_EXCITON, np.uint8)}
            if labels:
                ph.update(state=st, pulse=np.full(n, -1, np.int64), delay_ns=np.full(n, np.nan))
            if final:
                cut_s = self.t_end_s
            else:
                cut_s = t1 + self.min_offset_ns * 1e-9
            cut_key = int(math.floor(cut_s / res))
            bg = self._background(cut_s, labels)
            yield self._finish_block([ph, bg], cut_key, final, labels)
            dropped = self._trim_segments(t1)
            state_k[0] -= dropped
            t0 = t1

    def _run_cw_kernel(self, seg_end_s, r1, r2, stop, state_k, state_t, expected):
        stream = self.streams["cw_interval"]
        cap = int(expected * 1.1 + 6 * math.sqrt(expected + 1) + 1024)
        out_t, out_k = np.empty(cap), np.empty(cap, np.int64)
        parts_t, parts_k = [], []
        need = 2 * int(expected + 6 * math.sqrt(expected + 1)) + 2048
        while True:
            e = stream.peek(need)
            n, used = _k.cw_detection_times(seg_end_s, r1, r2, e, float(stop), state_k, state_t, out_t, out_k)
            stream.advance(used)
            parts_t.append(out_t[:n].copy())
            parts_k.append(out_k[:n].copy())
            if n == cap:
                continue
            if used + 2 > e.shape[0]:
                need = e.shape[0] + _DrawStream.PIECE
                continue
            break
        return np.concatenate(parts_t), np.concatenate(parts_k)

    # truth ----------------------------------------------------------------------------------

    def truth(self) -> dict:
        """The ground truth (JSON-safe dict) of the finished run; see ``docs/simulator.md``."""
        if not self._done:
            raise RuntimeError("truth() is known once chunks() has been exhausted")
        if self._truth is None:
            self._truth = _assemble_truth(self)
        return self._truth

    def expected_counts_per_bin(self) -> np.ndarray:
        """Noise-free expected recorded counts of each full truth bin (after the run).

        Returns
        -------
        (n_bins,) float64
            Signal + background - first-order dead-time loss, bins of ``truth_bin_width_s``
            from t = 0 (a last partial bin is dropped).
        """
        if not self._done:
            raise RuntimeError("expected_counts_per_bin() is known once chunks() has been exhausted")
        return _binned_truth(self)[0]

    def _loss_per_s(self):
        """First-order dead-time loss rate (1/s) of each state: same-detector pairs closer than the dead time."""
        c, r = self.config, self.rates
        split = np.array([c.splitter_ratio, 1 - c.splitter_ratio])
        bg = self._bg_rate
        loss = np.zeros(r.n)
        for d in (0, 1):
            td = c.dead_time_ns[d] * 1e-9
            if td <= 0:
                continue
            sd = r.signal_cps * split[d]
            if c.pulsed:
                f, p_ns = c.repetition_rate_hz, 1e9 / c.repetition_rate_hz
                td_ns = td * 1e9
                sig = np.zeros(r.n)
                for s in range(r.n):
                    if r.mu[s] <= 0:
                        continue
                    w, lam = _photon_delay_mixture(r, s)
                    m_max = int(math.ceil((40 * max(r.tau_ns[s], r.tau_bx_ns[s]) + td_ns) / p_ns)) + 2
                    ms = np.arange(1, m_max + 1) * p_ns
                    prob = (_diff_cdf(w, lam, w, lam, -ms + td_ns) - _diff_cdf(w, lam, w, lam, -ms - td_ns)).sum()
                    mu_d = r.mu[s] * split[d]
                    same = r.both[s] * split[d] ** 2 * -math.expm1(-td_ns / r.tau_ns[s])
                    sig[s] = f * (mu_d ** 2 * prob + same)
            else:
                g = r.antibunching_rate_hz
                sig = sd ** 2 * (td + np.expm1(-g * td) / g)
            loss += sig + (2 * sd * bg[d] + bg[d] ** 2) * td
        return loss


# --------------------------------------------------------------------------------------
# analytic truth helpers
# --------------------------------------------------------------------------------------


def _photon_delay_mixture(r: _Rates, s: int):
    """Emission delay of a random detected signal photon of state ``s`` (pulsed).

    Returns weights ``w`` and rates ``lam`` (1/ns) of a signed mixture of exponentials:
    density ``Σ w_i lam_i exp(-lam_i t)``. Exciton photons of single-exciton pulses are
    Exp(τ); exciton photons after a biexciton are hypo-exponential (τ_BX then τ);
    biexciton photons are Exp(τ_BX).
    """
    tau, tbx = r.tau_ns[s], r.tau_bx_ns[s]
    if abs(tbx - tau) < 1e-9 * tau:
        tbx = tau * (1 - 1e-6)  # hypo-exponential needs distinct rates
    l1, l2 = 1.0 / tbx, 1.0 / tau
    x1 = r.p1 * r.a[s]
    x2 = r.p2 * r.a[s]
    bx = r.p2 * r.b[s]
    tot = x1 + x2 + bx
    w = np.array([x1 + x2 * l1 / (l1 - l2), x2 * l2 / (l2 - l1) + bx]) / tot
    lam = np.array([l2, l1])
    return w, lam


def _diff_cdf(wa, la, wb, lb, x):
    """CDF at ``x`` of ``D = e_B - e_A`` for independent exponential mixtures ``e_A``, ``e_B``."""
    x = np.atleast_1d(np.asarray(x, float))
    out = np.empty_like(x)
    pos = x >= 0
    c = np.outer(wa, wb)  # c[i, j]
    lai, lbj = la[:, None], lb[None, :]
    if pos.any():
        coef = (c * lai / (lai + lbj))  # P(D > x) = Σ c λa/(λa+λb) e^{-λb x}
        out[pos] = 1.0 - (coef[:, :, None] * np.exp(-lbj[:, :, None] * x[pos][None, None, :])).sum(axis=(0, 1))
    if (~pos).any():
        coef = (c * lbj / (lai + lbj))  # P(D < x) = Σ c λb/(λa+λb) e^{λa x}
        out[~pos] = (coef[:, :, None] * np.exp(lai[:, :, None] * x[~pos][None, None, :])).sum(axis=(0, 1))
    return out


def _g2_truth(sim: SimulatedStream, mean_signal_cps: np.ndarray) -> dict:
    c, r = sim.config, sim.rates
    split = np.array([c.splitter_ratio, 1 - c.splitter_ratio])
    bg = sim._bg_rate
    t = sim.t_end_s
    sa, sb = mean_signal_cps * split
    if not c.pulsed:
        num = sa * bg[1] + bg[0] * sb + bg[0] * bg[1]
        den = (sa + bg[0]) * (sb + bg[1])
        return {
            "g2_0": num / den if den > 0 else None,
            "g2_0_signal_only": 0.0,
            "antibunching_rate_hz_per_state": r.antibunching_rate_hz.tolist(),
            "definition": "zero-delay value of the HBT cross-correlation normalised to 1 for uncorrelated "
                          "light (T_total / (N_A N_B dtau)); the signal has g2(0) = 0, background adds "
                          "(S_A b_B + b_A S_B + b_A b_B) / ((S_A + b_A)(S_B + b_B))",
        }
    p_ns = 1e9 / c.repetition_rate_hz
    half = p_ns / 2
    n_pulses = sim._occupancy  # pulses spent in each state
    c_peak = {-1: 0.0, 0: 0.0, 1: 0.0}
    c_pulse_same, c_pulse_side = 0.0, 0.0
    for s in range(r.n):
        if n_pulses[s] <= 0 or r.mu[s] <= 0:
            continue
        w, lam = _photon_delay_mixture(r, s)
        m_max = int(math.ceil(40 * max(r.tau_ns[s], r.tau_bx_ns[s]) / p_ns)) + 2
        ms = np.arange(-m_max, m_max + 1)
        ms = ms[ms != 0]
        ab = split[0] * split[1]
        tau = r.tau_ns[s]
        for k in (-1, 0, 1):
            lo, hi = (k - ms) * p_ns - half, (k - ms) * p_ns + half
            other = (_diff_cdf(w, lam, w, lam, hi) - _diff_cdf(w, lam, w, lam, lo)).sum()
            # same-pulse pairs: (BX on A, X on B) at +e_x and (BX on B, X on A) at -e_x
            lo_k, hi_k = k * p_ns - half, k * p_ns + half
            pos = _exp_prob(tau, lo_k, hi_k)
            neg = _exp_prob(tau, -hi_k, -lo_k)
            c_peak[k] += n_pulses[s] * ab * (r.mu[s] ** 2 * other + r.both[s] * (pos + neg))
        c_pulse_same += n_pulses[s] * 2 * ab * r.both[s]
        c_pulse_side += n_pulses[s] * ab * r.mu[s] ** 2
    flat = p_ns * 1e-9 * t * (bg[0] * (sb + bg[1]) + sa * bg[1])
    side = 0.5 * (c_peak[1] + c_peak[-1])
    return {
        "g2_0": (c_peak[0] + flat) / (side + flat) if side + flat > 0 else None,
        "g2_0_signal_only": c_peak[0] / side if side > 0 else None,
        "g2_0_pulse_resolved_signal": c_pulse_same / c_pulse_side if c_pulse_side > 0 else None,
        "central_peak_area_expected": c_peak[0] + flat,
        "side_peak_area_expected": side + flat,
        "side_peak_areas_expected": [c_peak[-1] + flat, c_peak[1] + flat],
        "flat_background_area_per_peak": flat,
        "peak_window_ns": [-half, half],
        "definition": "A-B pairs with t_B - t_A - (delay_B - delay_A) in [kP - P/2, kP + P/2); g2(0) = "
                      "area(k=0) / mean(area(k=-1), area(k=+1)); includes pairs of other pulses leaking "
                      "into a window through long delays and the flat background pairs; jitter, dead "
                      "time and pulse pairs that straddle a state switch are neglected",
    }


def _exp_prob(tau, lo, hi):
    """P(lo <= X < hi) for X ~ Exp(mean tau), X >= 0."""
    lo, hi = max(lo, 0.0), max(hi, 0.0)
    return math.exp(-lo / tau) - math.exp(-hi / tau)


def _q_ensemble(sim: SimulatedStream, mean_rate, var_rate, loss_rate) -> tuple:
    """Ensemble Mandel Q at the truth bin width when it has a closed form, else (None, reason)."""
    c = sim.config
    tb = sim.bin_width_s
    bg = float(sim._bg_rate.sum())
    if c.model == "nonblinking":
        m = (mean_rate[0] + bg - loss_rate[0]) * tb
        v = (var_rate[0] + bg - 3 * loss_rate[0]) * tb
        return v / m - 1.0, None
    if c.model == "auger" and c.dwell_law_on == "exponential" and c.dwell_law_off == "exponential":
        m1, m2 = c.mean_dwell_on_s, c.mean_dwell_off_s
        pi1, pi2 = m1 / (m1 + m2), m2 / (m1 + m2)
        tc = 1.0 / (1.0 / m1 + 1.0 / m2)
        mean = (pi1 * (mean_rate[0] - loss_rate[0]) + pi2 * (mean_rate[1] - loss_rate[1]) + bg) * tb
        x = tb / tc
        var_int = ((mean_rate[0] - mean_rate[1]) ** 2 * pi1 * pi2 * 2 * tc * tc * (x - 1 + math.exp(-x)))
        var = var_int + (pi1 * (var_rate[0] - 3 * loss_rate[0]) + pi2 * (var_rate[1] - 3 * loss_rate[1]) + bg) * tb
        return var / mean - 1.0, None
    if "power_law" in (c.dwell_law_on, c.dwell_law_off) and min(
            a for law, a in ((c.dwell_law_on, c.alpha_on), (c.dwell_law_off, c.alpha_off)) if law == "power_law") <= 2:
        return None, ("a power law with alpha <= 2 has an infinite mean dwell time: the process has no "
                      "stationary state, so Q depends on the trajectory (see mandel_q_realized)")
    return None, ("closed form implemented only for the non-blinking emitter and the two-state telegraph "
                  "(auger) with exponential dwell times")


def _runs_of(mask: np.ndarray):
    """(values, lengths) of the runs of equal values in a boolean array."""
    if mask.size == 0:
        return np.empty(0, bool), np.empty(0, np.int64)
    change = np.flatnonzero(mask[1:] != mask[:-1]) + 1
    starts = np.concatenate(([0], change))
    lengths = np.diff(np.concatenate((starts, [mask.size])))
    return mask[starts], lengths


def _clean(x):
    """JSON-safe: numpy scalars to Python, non-finite floats to None."""
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, np.ndarray):
        return [_clean(v) for v in x.tolist()]
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        x = float(x)
        return x if math.isfinite(x) else None
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def _binned_truth(sim: SimulatedStream):
    """Noise-free expected recorded counts, conditional variances and ON flags of the full bins."""
    c, r = sim.config, sim.rates
    loss = sim._loss_per_s()
    bg_bin = float(sim._bg_rate.sum()) * sim.bin_width_s
    b = sim._bins
    signal_b, var_b, loss_b = b[:, 0], b[:, 1], b[:, 2]
    if c.pulsed:
        on_ref = b[:, 4] * (r.mu[0] - loss[0] / c.repetition_rate_hz)  # b[:, 4]: pulses in the bin
    else:
        on_ref = b[:, 4] * (r.signal_cps[0] - loss[0])  # b[:, 4]: seconds in the bin
    lam = signal_b + bg_bin - loss_b
    var = var_b + bg_bin - 3 * loss_b
    on_bins = lam >= defaults.THRESHOLD_FRACTION * (on_ref + bg_bin)
    return lam, var, on_bins


def _assemble_truth(sim: SimulatedStream) -> dict:
    from . import __version__

    c, r, states = sim.config, sim.rates, sim.states
    t_end = sim.t_end_s
    tb = sim.bin_width_s
    unit_s = c.period_s if c.pulsed else 1.0  # segment clock unit
    occ_s = sim._occupancy * unit_s  # seconds in each state
    loss = sim._loss_per_s()
    if c.pulsed:
        mean_rate = r.mu * c.repetition_rate_hz
        var_rate = (r.mu + 2 * r.both - r.mu ** 2) * c.repetition_rate_hz
    else:
        mean_rate = r.signal_cps
        var_rate = r.signal_cps * (1.0 - 2.0 * r.signal_cps / r.antibunching_rate_hz)
    mean_signal_cps = float((occ_s * mean_rate).sum() / t_end) if t_end > 0 else 0.0
    bg = sim._bg_rate

    # binned truth
    lam, var, on_bins = _binned_truth(sim)
    thr = defaults.THRESHOLD_FRACTION
    vals, lens = _runs_of(on_bins)
    inner_v, inner_l = vals[1:-1], lens[1:-1]
    q_real = float((lam.var() + var.mean()) / lam.mean() - 1.0) if sim.n_bins and lam.mean() > 0 else None
    q_ens, q_reason = _q_ensemble(sim, mean_rate, var_rate, loss)

    on_time = float(sum(occ_s[s.index] for s in states if s.is_on))
    runs = sim._runs
    per_state = []
    for s in states:
        d = s.to_dict()
        d.update(
            time_s=float(occ_s[s.index]),
            time_fraction=float(occ_s[s.index] / t_end) if t_end > 0 else None,
            expected_recorded_counts_per_10ms=float((mean_rate[s.index] - loss[s.index]) * 0.01 + float(bg.sum()) * 0.01),
            dead_time_loss_cps=float(loss[s.index]),
        )
        if c.pulsed:
            d.update(detected_photons_per_pulse=float(r.mu[s.index]),
                     event_probability_per_pulse=float(r.q_event[s.index]),
                     pulses=float(sim._occupancy[s.index]))
        else:
            d.update(antibunching_rate_hz=float(r.antibunching_rate_hz[s.index]))
        per_state.append(d)

    truth = {
        "schema": _TRUTH_SCHEMA,
        "tttr_version": __version__,
        "seed": c.seed,
        "config": c.to_dict(),
        "acquisition": {
            "duration_s": t_end,
            "n_pulses": sim.n_pulses if c.pulsed else None,
            "n_photons": int(sim._counts["per_detector"].sum()),
            "n_photons_per_detector": sim._counts["per_detector"].tolist(),
            "n_signal_photons": int(sim._counts["per_source"][:3].sum()),
            "n_background_photons": int(sim._counts["per_source"][3]),
            "n_photons_per_source": dict(zip(("exciton", "cascade_exciton", "biexciton", "background"),
                                             sim._counts["per_source"].tolist())),
            "n_lost_dead_time": sim._counts["lost_dead_time"],
            "mean_signal_cps": mean_signal_cps,
            "background_cps_per_detector": bg.tolist(),
            "background_counts_per_10ms": float(bg.sum()) * 0.01,
            "timestamps_unit_s": c.period_s if sim.t3 else c.t2_timestamps_unit_s,
            "nanotimes_unit_s": c.nanotimes_unit_s if sim.t3 else None,
            "tcspc_num_bins": sim.nb_period if sim.t3 else None,
            "nanotime_rule": ("sync = floor(t / P), nanotime = floor((t - sync*P) / bin) with t = pulse*P + "
                              "emission delay + detector delay + jitter: late photons wrap into later syncs"
                              if sim.t3 else None),
        },
        "states": per_state,
        "on_state": states[0].name,
        "I1_counts_per_10ms": states[0].intensity_counts_per_10ms,
        "tau1_ns": states[0].lifetime_ns,
    }
    if c.model in ("auger", "mixed"):
        trion = next(s for s in states if s.charged and s.trap_level == 0)
        truth.update(I2_counts_per_10ms=trion.intensity_counts_per_10ms, tau2_ns=trion.lifetime_ns,
                     beta=trion.intensity_counts_per_10ms * states[0].lifetime_ns
                     / (states[0].intensity_counts_per_10ms * trion.lifetime_ns))
    elif c.model == "bc":
        lvl = states[1]
        truth.update(I2_counts_per_10ms=lvl.intensity_counts_per_10ms, tau2_ns=lvl.lifetime_ns,
                     beta=1.0, bc_radiative_lifetime_ns=1.0 / states[0].radiative_rate_per_ns)
    else:
        truth.update(I2_counts_per_10ms=None, tau2_ns=None, beta=None)
    if c.model == "mixed":
        charged_t = float(sum(occ_s[s.index] for s in states if s.charged))
        trap_t = float(sum(occ_s[s.index] for s in states if not s.charged and s.trap_level > 0))
        truth["mixture"] = {
            "auger_share": c.auger_share,
            "a_auger_a_bc": (c.auger_share / (1.0 - c.auger_share)) if c.auger_share is not None else None,
            "charged_time_s": charged_t,
            "trap_time_s": trap_t,
            "realized_a_auger_a_bc": charged_t / trap_t if trap_t > 0 else None,
            "definition": ("A_Auger : A_BC = time in charged (trion) states : time in neutral trap (BC) states; "
                           "auger_share p sets it to p : (1 - p) in expectation (one process whose OFF dwells "
                           "are trion dwells with probability p); None: independent charging and trap processes"),
        }
    truth["on_fraction"] = {
        "time_weighted": on_time / t_end if t_end > 0 else None,
        "binned": float(on_bins.mean()) if on_bins.size else None,
        "bin_width_s": tb,
        "definition": (f"ON = state {states[0].name!r}. time_weighted: time in ON / duration. binned: "
                       f"fraction of the {sim.n_bins} full bins whose expected recorded count is >= "
                       f"{thr} x the expected count of a bin spent entirely ON (noise-free threshold)"),
    }
    truth["dwell"] = {
        "processes": {p.name: {"on": p.stats_on.to_dict(), "off": p.stats_off.to_dict(),
                               "n_off_levels": p.n_off} for p in sim.processes},
        "n_on_dwells": runs["on"][0],
        "n_off_dwells": runs["off"][0],
        "mean_on_dwell_s": runs["on"][1] / runs["on"][0] if runs["on"][0] else None,
        "mean_off_dwell_s": runs["off"][1] / runs["off"][0] if runs["off"][0] else None,
        "n_on_runs_binned": int((inner_v).sum()),
        "n_off_runs_binned": int((~inner_v).sum()),
        "mean_on_run_binned_s": float(inner_l[inner_v].mean() * tb) if inner_v.any() else None,
        "mean_off_run_binned_s": float(inner_l[~inner_v].mean() * tb) if (~inner_v).any() else None,
        "definition": "n_on/off_dwells: complete dwells of the ON state vs any other state inside the "
                      "measurement (the first, starting at 0, and the last, cut by the end, are censored "
                      "and excluded); *_binned: runs of the noise-free binned ON/OFF trace, first and last "
                      "excluded; processes: every drawn dwell that starts inside the measurement",
    }
    if c.model == "nonblinking":
        truth["dwell"]["processes"] = {}
    truth["intensity"] = {
        "mean_counts_per_bin_expected": float(lam.mean()) if lam.size else None,
        "bin_width_s": tb,
    }
    truth["g2"] = _g2_truth(sim, np.array(mean_signal_cps))
    truth["mandel_q"] = {
        "bin_width_s": tb,
        "realized": q_real,
        "ensemble": q_ens,
        "ensemble_null_reason": q_reason,
        "definition": "Q = Var(n)/<n> - 1 over the full bins. realized: expectation given this run's "
                      "state trajectory, (population variance of the expected bin counts + mean "
                      "conditional variance) / mean - 1, with the conditional variance from the per-pulse "
                      "photon statistics (antibunching) or the CW renewal Fano factor, Poisson background, "
                      "and first-order dead-time losses. ensemble: the stationary value where it exists",
    }
    return _clean(truth)


# --------------------------------------------------------------------------------------
# public entry points
# --------------------------------------------------------------------------------------


def simulate_photons(config: SimulationConfig | None = None, *, labels: bool = True, **params) -> SimulatedPhotons:
    """Simulate a whole (small) measurement in memory.

    Parameters
    ----------
    config : SimulationConfig, optional
    labels : bool
        Keep the per-photon :class:`PhotonLabels`.
    **params
        Fields of :class:`SimulationConfig`.

    Returns
    -------
    SimulatedPhotons

    Examples
    --------
    >>> from tttr.simulate import simulate_photons
    >>> sim = simulate_photons(model="auger", duration_s=0.5, seed=3)
    >>> round(sim.truth["beta"], 2)
    1.82
    """
    stream = SimulatedStream(config, **params)
    chunks, labs = [], []
    for item in stream.chunks(labels=labels):
        if labels:
            chunks.append(item[0])
            labs.append(item[1])
        else:
            chunks.append(item)
    photons = concatenate_chunks(chunks, t3=stream.t3)
    lab = None
    if labels:
        lab = PhotonLabels(*(np.concatenate([getattr(x, f.name) for x in labs]) if labs else np.empty(0)
                             for f in fields(PhotonLabels)))
    return SimulatedPhotons(photons=photons, labels=lab, truth=stream.truth(), config=stream.config, info=stream.info,
                            expected_counts_per_bin=stream.expected_counts_per_bin())


def truth_path(out_path) -> Path:
    """Where the truth of a simulated file goes: ``OUT`` + ``.truth.json``."""
    p = Path(out_path)
    return p.with_name(p.name + ".truth.json")


def _file_format(path: Path, file_format: str | None) -> str:
    if file_format is None:
        suf = path.suffix.lower()
        if suf == ".ptu":
            return "ptu"
        if suf in (".h5", ".hdf5", ".hdf"):
            return "hdf5"
        raise ValueError(f"{path}: cannot tell the format from the suffix {suf!r}; use .ptu, .h5 or file_format")
    _check_choice("file_format", file_format, ("ptu", "hdf5"))
    return file_format


def simulate_to_file(out_path, *, model: str | None = None, mode: str | None = None, seed: int | None = None,
                     duration_s: float | None = None, config: SimulationConfig | None = None,
                     file_format: str | None = None, force: bool = False, **params) -> dict:
    """Simulate a measurement into a file and write its truth beside it.

    Parameters
    ----------
    out_path : str or Path
        ``.ptu`` (PicoQuant PTU: HydraHarp V2 T3 in T3 mode, Generic T2 in T2 mode) or
        ``.h5``/``.hdf5`` (Photon-HDF5).
    model, mode, seed, duration_s : optional
        See :class:`SimulationConfig` (defaults ``"auger"``, ``"t3"``, fresh entropy,
        60 s). None keeps the value of ``config`` (or the default).
    config : SimulationConfig, optional
        Base parameters; the named arguments and ``params`` override it.
    file_format : {"ptu", "hdf5"}, optional
        Default: from the suffix.
    force : bool
        Replace existing files. Without it an existing data or truth file is an error
        before any work is done.
    **params
        Any other field of :class:`SimulationConfig`.

    Returns
    -------
    dict
        The truth, also written to :func:`truth_path` ``(out_path)``.

    Notes
    -----
    Both files are written to temporary names in the destination folder and renamed into
    place when complete (the data file first, then the truth), so an interrupted run
    leaves neither a partial data file nor a truth without its data.
    """
    out_path = Path(out_path)
    fmt = _file_format(out_path, file_format)
    named = {"model": model, "mode": mode, "seed": seed, "duration_s": duration_s}
    over = {k: v for k, v in named.items() if v is not None}
    cfg = replace(config, **over, **params) if config is not None else SimulationConfig(**over, **params)
    if fmt == "ptu" and cfg.mode == "t3":
        n_bins = math.ceil(cfg.period_s / cfg.nanotimes_unit_s - 1e-9)
        if n_bins > 1 << 15:
            raise ValueError(f"{n_bins} TCSPC bins per period exceed the 15-bit HydraHarp T3 dtime field; "
                             "raise nanotimes_unit_s or the repetition rate, or write Photon-HDF5")
    tpath = truth_path(out_path)
    if not force:
        for p in (out_path, tpath):
            if p.exists():
                raise FileExistsError(f"{p}: exists; not overwritten (use force)")
    stream = SimulatedStream(cfg)
    cfg = stream.config
    t3 = stream.t3
    if fmt == "ptu":
        from .io.ptu import PTUWriter

        writer = PTUWriter(
            out_path, "HydraHarp2T3" if t3 else "GenericT2",
            timestamps_unit_s=cfg.period_s if t3 else cfg.t2_timestamps_unit_s,
            nanotimes_unit_s=cfg.nanotimes_unit_s if t3 else None,
            sync_rate_hz=cfg.repetition_rate_hz if cfg.pulsed else None,
            acquisition_time_s=stream.t_end_s,
            extra_tags=[("UsrTttrSimulationModel", cfg.model), ("UsrTttrSimulationSeed", int(cfg.seed))],
            force=force,
        )
    else:
        from .io.photon_hdf5 import PhotonHDF5Writer

        writer = PhotonHDF5Writer(
            out_path, timestamps_unit_s=cfg.period_s if t3 else cfg.t2_timestamps_unit_s,
            nanotimes_unit_s=cfg.nanotimes_unit_s if t3 else None,
            tcspc_num_bins=stream.nb_period if t3 else None,
            laser_repetition_rate_hz=cfg.repetition_rate_hz if cfg.pulsed else None,
            description=f"tttr simulation: model={cfg.model}, excitation={cfg.excitation}, seed={cfg.seed}",
            acquisition_duration_s=stream.t_end_s, force=force,
        )
    with writer:
        for chunk in stream.chunks():
            writer.write(chunk)
    truth = stream.truth()
    truth["file"] = {"path": out_path.name, "format": fmt,
                     "record_type": ("HydraHarp2T3" if t3 else "GenericT2") if fmt == "ptu" else "Photon-HDF5",
                     "mode": cfg.mode.upper()}
    try:
        _write_json_atomic(tpath, truth, force=force)
    except BaseException:
        out_path.unlink(missing_ok=True)  # no data file without its truth
        raise
    return truth


def _write_json_atomic(path: Path, obj: dict, *, force: bool) -> None:
    """Write JSON to a new file beside ``path`` and move it into place (:mod:`tttr.io._atomic`)."""
    from .io._atomic import atomic_path

    with atomic_path(path, force=force) as tmp:
        with open(tmp, "w") as fh:
            json.dump(obj, fh, indent=1, allow_nan=False)
            fh.write("\n")
