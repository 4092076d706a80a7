"""The emission states of a simulated emitter and the per-state rates the generator draws from."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .config import SimulationConfig

__all__ = ["EmitterState", "emitter_states"]


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
