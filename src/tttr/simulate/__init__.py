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
    Block-by-block generation in bounded memory (what the two above use); after the run its
    :attr:`~SimulatedStream.trajectory` holds the true state change points and its
    :attr:`~SimulatedStream.record` what the truth is computed from.
:func:`random_flid`
    A synthetic FLID map (no photons) for tests of the FLID fits.

Modules
-------
config (:class:`SimulationConfig`), states (emission states and rates), samplers (random
streams, dwell times, switching processes), generator (:class:`SimulatedStream`,
:func:`simulate_photons`), records (what a run hands back), truth, files
(:func:`simulate_to_file`), flid_map.

The physics, the equations and how each truth value is derived are in
``docs/simulator.md``.
"""

from .config import (DWELL_LAWS, MODELS, SOURCE_BACKGROUND, SOURCE_BIEXCITON, SOURCE_CASCADE_EXCITON,  # noqa: F401
                     SOURCE_EXCITON, SimulationConfig)
from .files import simulate_to_file, truth_path
from .flid_map import random_flid
from .generator import SimulatedStream, simulate_photons
from .records import GenerationRecord, PhotonLabels, SimulatedPhotons, StateTrajectory
from .samplers import dwell_times
from .states import EmitterState, emitter_states

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
    "StateTrajectory",
    "GenerationRecord",
    "random_flid",
]
