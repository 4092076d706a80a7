"""Every default of ``tttr`` in one place, shared by the API and the command line.

Values follow ``docs/science.md``; the docstrings of the functions that use them say why.
"""

from __future__ import annotations

#: Records decoded per chunk when streaming. 2**20 records are 4 MiB of input and about
#: 11 MiB of decoded photon arrays, so memory stays far below 100 MB at any file size.
CHUNK_RECORDS: int = 1 << 20

#: Rows per chunk when streaming text exports (FT1040, CSV): text parsing needs ~170 bytes
#: per row at its peak, so 2**18 rows keep a chunk near 45 MB.
CHUNK_ROWS: int = 1 << 18

#: Largest number of trace bins one pass may hold: 2**24 is 46.6 h at the 10 ms default,
#: above the 24-hour measurements the memory budget (docs/reliability.md) is set for. A
#: longer span (or a corrupt file whose times jump far ahead) is refused with an error.
MAX_TRACE_BINS: int = 1 << 24

#: Budget of the per-bin arrays of one pass (counts per detector, window counts and delay
#: sums): 384 MB is 24 h at 10 ms with up to 16 detectors (4 B each + 12 B per bin).
MAX_BINNED_BYTES: int = 384 * 2**20

#: Most photons one trace bin may hold while it is being filled: 2**23 photons in a 10 ms bin
#: would be 8e8 counts per second, beyond any detector set; holding them takes ~90 MB.
MAX_PHOTONS_PER_BIN: int = 1 << 23

#: Highest count rate (all detectors) a file may show over a chunk: a single-photon detector
#: saturates near 1e8 counts/s and time-taggers have at most 64-128 inputs; a higher rate
#: means corrupt timestamps (e.g. every photon at one time). Used by the reader check.
MAX_COUNT_RATE_CPS: float = 1e10

#: Longest time an event may lie after the start of a file (s): 1e7 s is 115 days, beyond
#: any single measurement; a later event means a corrupt time unit or corrupt records.
MAX_DURATION_S: float = 1e7

#: Intensity-trace bin width in seconds (science.md §1: 10 ms as in seeds 001 and 002).
BIN_WIDTH_S: float = 10e-3

#: ON threshold as a fraction of the robust maximum (science.md §5, seed 002).
THRESHOLD_FRACTION: float = 0.5

#: Percentile of the per-bin counts taken as the robust maximum I_max (science.md §5).
ROBUST_MAX_PERCENTILE: float = 99.0

#: Minimum photons in a bin for a per-bin lifetime; fewer gives NaN (science.md §2).
MIN_PHOTONS_PER_BIN: int = 20

#: g2 correlation half-window and bin width in seconds (science.md §6).
G2_WINDOW_S: float = 1e-6
G2_BIN_S: float = 100e-12

# ------------------------------------------------------------------- lifetimes (§2)
#: Tail fits start this long after t0 (ns), past the IRF.
TAIL_SHIFT_NS: float = 1.0

#: Fraction of the period at its end used for the background estimate when no clean
#: pre-rise region exists (science.md §2).
BACKGROUND_FRACTION: float = 0.1

#: Margin (ns) left before the end of the period for the per-bin lifetime window W.
LIFETIME_WINDOW_MARGIN_NS: float = 2.0

# ------------------------------------------------------------------------ FLID (§3)
#: Number of lifetime bins (x) of the FLID 2D histogram.
FLID_LIFETIME_BINS: int = 100

# ------------------------------------------------------------------- power laws (§5)
#: Smallest duration included by the power-law fitting functions, in trace bins (1 = every
#: resolved duration; "auto" picks it by minimising the KS distance).
POWERLAW_TMIN_BINS: int = 1

#: Where ``tttr analyze`` starts its t_min search (and ``tttr blink`` its fits), in trace bins:
#: run lengths of dwells near the bin width are smeared by ±1 bin by the thresholding, which
#: the likelihoods do not model (docs/bias.md), so the reports start 2 bins above the resolution.
REPORT_POWERLAW_TMIN_BINS: int = 3

# -------------------------------------------------------------------------- g2 (§6)
#: Pulsed g2 peak integration half-window as a fraction of the period (± half a period).
G2_PEAK_HALF_WINDOW_FRACTION: float = 0.5

#: Side peaks averaged on each side for the pulsed g2(0) reference (±1 by default).
G2_SIDE_PEAKS: int = 1

# ----------------------------------------------------- power-law t_min and p-values (§5)
#: Candidates of the automatic t_min search (geometrically spaced distinct durations): 40
#: over three decades is a 12 % step in t_min, finer than the ~20 % at which the KS minimum
#: itself scatters for a few hundred dwells (Clauset et al. 2009, SIAM Rev. 51, 661, §3.3).
POWERLAW_TMIN_CANDIDATES: int = 40

#: Semi-parametric bootstrap draws behind a pure power law's goodness-of-fit p-value in the
#: reports: 200 give p to ±0.02 at p = 0.1 (binomial) for ~0.5 s per dwell series of a few
#: hundred dwells (Clauset et al. 2009 §4.1 use 2500 for ±0.01).
POWERLAW_GOF_DRAWS: int = 200

#: Bootstrap resamples behind the reported pure-law α error: each repeats the t_min search
#: (Clauset et al. 2009 §3.5), ~3 ms a resample. Over simulated emitters (60 s, α 2 from 30
#: or 200 ms, 20 seeds) the Fisher error at the chosen t_min covered the truth in 38–55 % /
#: 80–90 % of cases at 1σ / 1.96σ, this bootstrap in 60–65 % / 88–95 % (nominal 68 / 95;
#: docs/validation_estimators.md).
POWERLAW_ERROR_DRAWS: int = 100

#: The truncated law is refitted (two parameters, one SLSQP run of ~3 ms) at each candidate,
#: so its search is coarser: 12 geometrically spaced candidates (a 1.5× step over two decades).
TRUNCATED_TMIN_CANDIDATES: int = 12

#: Bootstrap draws for the truncated law's p-value in the reports: each draw repeats the
#: 12-candidate search (up to ~45 ms a draw), so 20 draws cost ≲ 1 s per dwell series; p to
#: ±0.07 at p = 0.1 — enough to tell a law that fits (p ≳ 0.1) from one that does not
#: (p ≈ 0); ask for more (``truncated_gof_draws``) to quote p itself.
TRUNCATED_GOF_DRAWS: int = 20

# ---- estimator errors (issue 13): truncated power-law bootstrap, regeneration cycles ----
#: Bootstrap resamples behind the truncated law's α error (each repeats the 12-candidate
#: t_min search, ~40 ms): the inverse-Hessian error was too small by 1.6–2.2× over simulated
#: emitters (coverage ≈ 40 % / 85 % at 1σ / 1.96σ; docs/validation_estimators.md). 40
#: resamples give the error to ±11 % (√(1/(2·39))) for ≈ 1.5 s per dwell series.
TRUNCATED_ERROR_DRAWS: int = 40
#: Wall-clock bound of that bootstrap per dwell series (seconds); resamples done by then count.
TRUNCATED_ERROR_BUDGET_S: float = 5.0
#: Fewer finished resamples than this: the inverse-Hessian error is reported instead.
TRUNCATED_ERROR_MIN_DRAWS: int = 10
#: Errors of time averages (ON fraction, Mandel Q) over regeneration cycles (an ON dwell and
#: the following OFF dwell): fewer complete cycles than this give no error (the sample
#: variance of 10 cycles is known to ±24 %).
ON_FRACTION_MIN_CYCLES: int = 10
#: A pure power law with α ≤ 2 has an infinite mean dwell (no stationary state; science.md §5)
#: and a trace then has no finite error of its time averages; ...
HEAVY_TAIL_ALPHA: float = 2.0
#: ... which is assumed unless the fitted α exceeds 2 by this many standard errors (or the
#: likelihood-ratio test detects a truncation). 0: the point estimate decides. A 60 s trace
#: barely tells a pure law of α = 2 from a truncated one of α = 1.5 (τ_c = 2 s): both fit a pure
#: α of 1.7–2.3 (docs/validation_estimators.md), so a margin of 1σ would withhold the error of
#: most truncated emitters too.
HEAVY_TAIL_Z: float = 0.0
#: Groups of consecutive regeneration cycles for the grouped jackknife of Mandel Q of a
#: blinking trace (as ON_FRACTION_BLOCKS: the error of the error ±16 %).
MANDEL_Q_GROUPS: int = 20
#: Region lifetimes are corrected for bins that mix states only if each region has at least
#: this many steady bins (both neighbours in the region) to take its level from.
REGION_MIN_STEADY_BINS: int = 10
#: Points of the midpoint rule over the fraction x of a switching bin spent in the other state
#: (the mixing correction of region lifetimes; the integrand is smooth, 200 points are exact
#: to < 1e-4 relative).
REGION_MIXING_GRID: int = 200
#: Relative uncertainty of that correction (added in quadrature to the region's τ error): the
#: computed share of foreign photons matched the true one within 4–11 % on a trace with known
#: sub-bin switching (tests/test_estimator_errors.py); 30 % also covers bins with several
#: switches and the shape of the other state's decay.
REGION_MIXING_MODEL_ERROR: float = 0.3
#: Window of the windowed ON fraction (s): photodarkening and bleaching make long traces
#: non-stationary; one minute holds ~100 dwells of a typical (sub-second) blinker.
ON_FRACTION_WINDOW_S: float = 60.0

# ------------------------------------------------------------- blinking detection (§5)
#: Level of the one-sided index-of-dispersion test of "one Poisson level": a trace is called
#: blinking only if a single level would give its variance with probability < 1e-3 (one false
#: call per thousand non-blinking files).
BLINKING_TEST_SIGNIFICANCE: float = 1e-3

#: ... and only if the relative excess variance (s² − n̄)/n̄² = Q/n̄ is at least this: 1e-3 is
#: a 3 % rms intensity fluctuation beyond shot noise, 10× the 1 % excitation-power noise of a
#: stable laser (whose excess, 1e-4, is significant at high count rates without any
#: blinking); any two levels of contrast ≥ 2 with ≥ 1 % of the time in the rarer one exceed it.
BLINKING_MIN_EXCESS_VARIANCE: float = 1e-3

#: Blocks of the batch-means standard error of the ON fraction: 20 blocks give the error of
#: the error ±16 % (χ² with 19 dof) while each block of a 10-minute trace is still 30 s, long
#: against the typical (sub-second) dwells.
ON_FRACTION_BLOCKS: int = 20

# ---------------------------------------------------------------- sanity of fits (§2, §3)
#: β = I2·τ1/(I1·τ2) outside this range is flagged: the models predict 1 (BC blinking) to 2
#: (Auger: the trion's radiative rate is twice the exciton's; seed 001); a factor 2 beyond
#: either end is taken as a sign of a failed region lifetime, not of new physics.
BETA_PLAUSIBLE_RANGE: tuple = (0.5, 4.0)

# ------------------------------------------------------------------ g2 estimators (§6)
#: Background correction of g2(0): remove the pairs that involve a background photon from
#: every peak (issue 13; "rho" = Brouri et al. 2000, "subtract" = seed 002 are options).
G2_BACKGROUND_CORRECTION: str = "pairs"

#: Confidence level of the g2(0) intervals (two-sided; single_emitter needs the whole
#: interval on one side of 0.5, seed 000's criterion).
G2_CI_LEVEL: float = 0.95

#: CW fit: largest |tau0| (dip centre = detector delay difference) when the data and the user
#: give none. HBT delay mismatches are cable/electronics delays of a few ns; 10 ns keeps the
#: fit from placing the dip on a noise dip hundreds of ns away (issue 13).
G2_CW_TAU0_MAX_S: float = 10e-9
