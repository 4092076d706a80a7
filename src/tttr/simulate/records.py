"""What a simulation hands back besides the photon stream: labels, the whole run, the change points
and the generation record the truth is computed from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..io.events import PhotonChunk, StreamInfo
from .config import SimulationConfig

__all__ = ["PhotonLabels", "SimulatedPhotons", "StateTrajectory", "GenerationRecord"]


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
    switch_times_s : (k,) float64 or None
        When the emitter entered each state of ``state_sequence``, seconds from the start of
        the measurement: ``switch_times_s[0] = 0``, then every change of state before the end
        (:attr:`StateTrajectory.switch_times_s`). The true change points of the intensity
        trace: a change-point method is validated against these.
    state_sequence : (k,) int64 or None
        The state (index into :func:`emitter_states` of the config, 0 = the bright ON state)
        from ``switch_times_s[i]`` to ``switch_times_s[i + 1]`` (the last one to the end).

    Notes
    -----
    ``switch_times_s`` is the time of the emitter's switch, not of a photon: the first photon
    of the new state follows it by the waiting time of the next detection (plus the
    detector delay and jitter). A state lasting less than a pulse period emits nothing.
    """

    photons: PhotonChunk
    labels: PhotonLabels | None
    truth: dict
    config: SimulationConfig
    info: StreamInfo
    expected_counts_per_bin: np.ndarray
    switch_times_s: np.ndarray | None = None
    state_sequence: np.ndarray | None = None

    def __repr__(self):
        return f"SimulatedPhotons({self.config.model}, {self.info.mode}, n_photons={len(self.photons)})"


@dataclass(frozen=True, eq=False)
class StateTrajectory:
    """The emitter's true state over the measurement, as change points.

    Attributes
    ----------
    switch_times_s : (k,) float64
        Start of each stretch in one state, seconds from the start of the measurement;
        ``switch_times_s[0] = 0`` and every later entry is a change of state before the end.
    state_sequence : (k,) int64
        The state of each stretch (index into :attr:`SimulatedStream.states`, 0 = the bright
        ON state); consecutive entries differ.
    end_s : float
        End of the measurement (the last stretch runs to it).

    Notes
    -----
    Built from the generator's state segments as they are drawn (16 bytes per change of
    state; kept only when the stream is made with ``keep_trajectory=True``, the default).
    """

    switch_times_s: np.ndarray
    state_sequence: np.ndarray
    end_s: float

    def __len__(self):
        return int(self.switch_times_s.shape[0])

    @property
    def durations_s(self) -> np.ndarray:
        """Length of each stretch (the first and the last are censored by the measurement)."""
        return np.diff(np.append(self.switch_times_s, self.end_s))


@dataclass(frozen=True, eq=False)
class GenerationRecord:
    """What a finished run recorded besides its photons: everything its truth is computed from.

    Attributes
    ----------
    background_cps : (2,) float64
        Dark counts plus background light of each detector (1/s).
    state_clock : (n_states,) float64
        Time spent in each state, in units of the segment clock: pulses when pulsed,
        seconds for CW.
    bin_sums : (n_bins, 5) float64
        Per truth bin (``truth_bin_width_s``): expected signal photons, their conditional
        variance, the first-order dead-time loss, the clock units ON and all clock units.
    loss_cps : (n_states,) float64
        First-order dead-time loss rate of each state (1/s).
    dwell_runs : dict
        ``{"on": (n, total_s), "off": (n, total_s)}``: the complete ON and OFF runs of the
        combined state (censored first and last runs excluded).
    counts : dict
        ``lost_dead_time`` (int), ``per_source`` ((4,) int64: exciton, cascade exciton,
        biexciton, background) and ``per_detector`` ((2,) int64) of the recorded photons.
    trajectory : StateTrajectory or None
        The state change points (None when not kept).
    """

    background_cps: np.ndarray
    state_clock: np.ndarray
    bin_sums: np.ndarray
    loss_cps: np.ndarray
    dwell_runs: dict
    counts: dict
    trajectory: StateTrajectory | None = None
