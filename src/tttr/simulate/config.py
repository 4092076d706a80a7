"""The parameters of a simulated measurement (:class:`SimulationConfig`) and their checks."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from .. import defaults
from .states import emitter_states

__all__ = ["MODELS", "DWELL_LAWS", "SimulationConfig"]


#: Emitter models (``docs/science.md`` §3.1; seed 001).
MODELS = ("nonblinking", "auger", "bc", "mixed")


#: Dwell-time laws of the ON and OFF periods.
DWELL_LAWS = ("power_law", "truncated_power_law", "exponential")


#: Photon sources in :class:`PhotonLabels`.
SOURCE_EXCITON = 0  # exciton photon of a pulse that made one exciton (or any CW photon)


SOURCE_CASCADE_EXCITON = 1  # exciton photon after a biexciton decay (pulsed, n >= 2)


SOURCE_BIEXCITON = 2  # biexciton photon (pulsed, n >= 2)


SOURCE_BACKGROUND = 3  # dark count or background light


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
        self._normalise_fields()
        self._check_choices()
        self._check_numbers()
        self._check_detectors()
        self._check_model_options()
        emitter_states(self)  # raises on unphysical quantum yields

    def _normalise_fields(self):
        """Tuples of floats for the per-detector and per-level fields; an int seed."""
        for name in ("bc_level_lifetimes_ns", "dark_counts_cps", "dead_time_ns", "detector_delays_ns"):
            object.__setattr__(self, name, tuple(float(v) for v in np.atleast_1d(getattr(self, name))))
        if self.seed is not None:
            seed = int(self.seed)
            if seed < 0:
                raise ValueError(f"seed must be a non-negative integer, not {self.seed!r}")
            object.__setattr__(self, "seed", seed)

    def _check_choices(self):
        _check_choice("model", self.model, MODELS)
        _check_choice("mode", self.mode, ("t3", "t2"))
        _check_choice("excitation", self.excitation, ("pulsed", "cw"))
        _check_choice("dwell_law_on", self.dwell_law_on, DWELL_LAWS)
        _check_choice("dwell_law_off", self.dwell_law_off, DWELL_LAWS)
        if self.mode == "t3" and self.excitation != "pulsed":
            raise ValueError("T3 mode needs pulsed excitation (a CW measurement has no sync); use mode='t2'")

    def _check_numbers(self):
        """Positive, non-negative and bounded scalar parameters."""
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

    def _check_detectors(self):
        for name in ("dark_counts_cps", "dead_time_ns", "detector_delays_ns"):
            v = getattr(self, name)
            if len(v) != 2 or not all(math.isfinite(x) for x in v):
                raise ValueError(f"{name} needs two finite values (one per detector), not {v!r}")
        if min(self.dark_counts_cps) < 0 or min(self.dead_time_ns) < 0:
            raise ValueError("dark_counts_cps and dead_time_ns must be >= 0")

    def _check_model_options(self):
        """Dwell laws, BC levels, the Auger share and the TCSPC bins of the period."""
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
