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
#: sub-bin switching (tests/analysis/test_estimator_errors.py); 30 % also covers bins with several
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

# ------------------------------------- FLID emission states and g2 internals (§3.1, §6)
# (moved from analysis/flid_states.py and analysis/g2/; the modules keep their old names as
# aliases of these values)

#: β between a BC level (β = 1) and a trion (β ≈ 2; seed 001 measures 1.82): a charged
#: level needs ρ above this and 3 σ above the BC band ``1 + FLID_BC_TOLERANCE``.
FLID_BETA_SPLIT: float = 1.4

#: |ρ − 1| allowed for a state on the BC line on top of 3 σ (systematics of the pooled,
#: mono-exponential lifetime of a level: IRF offset, residual mixtures at the band edges).
FLID_BC_TOLERANCE: float = 0.2

#: Lowest ρ of a charged (trion-like) state: a BC level needs ρ 3 σ below it. (Trions of
#: CdSe/CdS and perovskite dots have β ≈ 1.6–2.2; seed 001: 1.82.)
FLID_CHARGED_MIN_BETA: float = 1.5

#: Fewer steady bins than this share of the bins with a lifetime means the emitter switches
#: faster than the bin: every "level" is then a mixture of states, and mixtures of Auger states
#: (ρ 0.86–0.95 along the Eq.-1 curve for β 1.8, τ2/τ1 0.2) and of BC states (ρ down to 0.8)
#: cannot be told apart. Measured: 2 % steady bins for exponential 5 ms dwells at 10 ms bins,
#: 94–98 % for power-law dwells from 2 ms and for slower switching (benchmarks/independent_emitters.py).
FLID_MIN_STEADY_SHARE: float = 0.25

#: A level holds at least this share of the steady bins, and this many bins, to vote.
FLID_MIN_LEVEL_SHARE: float = 0.02
FLID_MIN_LEVEL_BINS: int = 20

#: Relative distance in lifetime from the exciton–trion mixing curve (Eq. 1) within which a
#: BC-like level is taken for a mixture: the charged level that anchors the curve is pulled
#: by ≈ 0.3 ns (7 %) by the mixtures at the edge of its band, which moves the curve by up to
#: ≈ 2 % half-way (random_flid maps, seeds 0–2).
FLID_MIXTURE_TOLERANCE: float = 0.03

#: Relative lifetime difference above which two states of one intensity band are split.
FLID_LIFETIME_SPLIT: float = 0.25

#: Mandel Q below this many standard errors: no blinking.
FLID_Q_SIGMA: float = 5.0

#: A T3 period within this of a whole number of nanotime ticks is taken as whole (then the
#: fine time is exact): measured sync rates are quoted to 6–7 digits, so a real mismatch is
#: far larger and a rounding one far smaller.
G2_INTEGER_RATIO_TOL: float = 1e-6

#: Intensity classes of the g2 nanotime histograms, ``floor(2·log2(n + 1))`` of a trace bin's
#: count: classes 2^½ apart; 40 reach 2^19.5 ≈ 7·10⁵ photons per bin (the last class takes
#: anything above).
G2_INTENSITY_CLASSES: int = 40

#: Peak shapes need at least this many nanotime bins per period (coarser histograms give none).
G2_SHAPE_MIN_BINS: int = 16

#: The tail fit of a delay histogram merges it down to at most this many bins.
G2_SHAPE_FIT_BINS: int = 512

#: Wrapped tail terms q**n of a delay density are kept while above this (1e-7 of a peak is
#: far below any pair count of a measurement).
G2_WRAP_CUTOFF: float = 1e-7

#: A tail longer than this many periods (q > e**-1) is not unwrapped: the repetition rate is
#: then too high for the lifetime, and the shape is left to the window ratio.
G2_MAX_TAIL_PERIODS: float = 1.0

#: The peak-overlap matrix is taken as singular (no overlap correction) when |det| is below this.
G2_OVERLAP_MIN_DETERMINANT: float = 1e-9

#: CW fit: a parameter within this fraction of its allowed range of a bound counts as on the
#: bound (the fit is then no result).
G2_CW_AT_BOUND_FRACTION: float = 1e-3

# -------------------------- decay histograms, lifetime fits, the binned pass (§2, §3)
# (analysis/lifetime/, analysis/binned.py)
#: Width (ns) of the circular moving average applied before locating a decay's rise or peak:
#: 0.1 ns is no wider than the IRF of SPAD/TCSPC set-ups (~0.1-0.5 ns FWHM), so the rise keeps
#: its place, and spans several bins at 4-16 ps nanotime units, so the noise averages.
DECAY_SMOOTH_NS: float = 0.1

#: Percentile of the smoothed decay taken as the foot of the rising edge (the background, or
#: the minimum of the wrapped tails just before the rise): a low percentile, not the minimum,
#: so that one empty bin does not set it.
DECAY_FOOT_PERCENTILE: float = 5.0

#: Significance of a detector's rise: aligned only if no flat Poisson histogram of the same
#: median shows so high a smoothed peak with probability 1e-3 (over all windows of the period).
DECAY_RISE_SIGNIFICANCE: float = 1e-3

#: The region before the rise gives the background only if it spans at least this fraction of
#: the period (science.md §2); shorter, it holds too few bins and the period's end is used.
BACKGROUND_MIN_PRE_RISE_FRACTION: float = 0.05

#: The occupied microtime range is the whole period when photons reach within 2 % of its end
#: (the last bins of a period can be empty by chance at low background).
DECAY_RANGE_FULL_FRACTION: float = 0.98

#: Photons at the start of a stream from which t0 and the detector alignment are calibrated:
#: 2**20 photons put ~10**3 counts per 16 ps bin at the peak of a ns decay, which fixes the
#: half-maximum rise to about a picosecond, while holding them back costs ~11 MB.
CALIBRATION_PHOTONS: int = 1 << 20

#: Rows (intensity levels) and target columns (rebinned nanotimes) of the intensity-resolved
#: decay matrix of the binned pass: 1024 × 2048 int64 is 16 MB; 2048 columns keep ≤ 100 ps
#: columns for periods up to 200 ns.
DECAY_MATRIX_LEVELS: int = 1024
DECAY_MATRIX_COLUMNS: int = 2048

#: The decay matrix's rows cover this many times the mean intensity of the calibration photons;
#: brighter bins go to the last row (and are counted as clipped). A blinking emitter's ON level
#: is its mean divided by its ON fraction, so 8× covers ON fractions down to 1/8 with Poisson room.
DECAY_MATRIX_INTENSITY_SPAN: float = 8.0

#: Trace bins allocated before the first photon when the header states no acquisition time,
#: and the margin added to a stated acquisition time (5 %, plus that many bins).
TRACE_INITIAL_BINS: int = 1024
TRACE_CAPACITY_MARGIN: float = 1.05

#: Decay models of a lifetime fit, and the default (science.md §2).
LIFETIME_MODELS: tuple = ("mono", "bi")
LIFETIME_MODEL: str = "mono"

#: Lifetime fits of the whole decay are made on it merged to at most this many bins: a
#: 12 500-bin decay (16 ps) costs seconds per bi-exponential fit and holds no more information
#: on ns lifetimes than ~200 ps bins. (``pipeline.rebinned_decay`` uses the same number.)
LIFETIME_FIT_MAX_BINS: int = 1024

#: Bounds of a fitted τ: from the bin width divided by this (τ unresolvable below) ...
LIFETIME_TAU_MIN_DIVISOR: float = 50.0
#: ... to this many times the period or occupied range (a flat decay, not a lifetime).
LIFETIME_TAU_MAX_RANGES: float = 1e3

#: Starting (τ1, τ2) of a bi-exponential fit as multiples of the tail's mean-delay lifetime;
#: the best likelihood of the three is kept (one long/short split may converge to a saddle).
LIFETIME_BI_START_RATIOS: tuple = ((2.0, 0.5), (1.5, 0.25), (3.0, 0.7))

#: Poisson optimiser of the lifetime fit: iteration cap, convergence when the Newton decrement
#: gᵀH⁻¹g is below this (NLL within 1e-10 of its minimum, far below the 0.5 of one standard
#: error), central-difference steps of ∂m/∂τ (fraction of τ) and ∂m/∂t0 (fraction of a bin),
#: and the scale of a fitted t0 (ns; its start lies within the IRF width already).
LIFETIME_MAX_ITERATIONS: int = 500
LIFETIME_NEWTON_DECREMENT: float = 1e-10
LIFETIME_TAU_STEP_FRACTION: float = 1e-4
LIFETIME_T0_STEP_BINS: float = 1e-2
LIFETIME_T0_SCALE_NS: float = 0.1

# ------------------------------------------------- change points and levels (issue 16)
#: Confidence (1 − type-I error) of each change-point test: 0.95 as in Watkins & Yang's
#: examples; the simulated table covers 0.69 … 0.99 (tttr.kernels.changepoint).
LEVELS_CONFIDENCE: float = 0.95

#: Whether ``tttr analyze`` finds levels by default: no. The change-point search costs about
#: 2.4x the binned pass on a 60 M-photon stream (docs/levels.md), above the goal of levels for
#: no more than the cost of the binned pass; ``--levels`` (``analyze(levels=True)``) turns it on.
ANALYZE_LEVELS: bool = False

#: How ``analyze --levels`` fits each level's lifetime: "fit" (Poisson ML fit of the level's
#: decay with a fitted background, ~30 ms a level) rather than the closed-form "mle" (µs a
#: level): on the Auger sample the closed form puts the two groups at 5.07 / 23.94 ns (truth
#: 5.0 / 24.7) and β at 1.74 (truth 1.82), the fit at β 1.83 ± 0.01. Correct first; a file with
#: 10⁴ levels then takes minutes for its level lifetimes (docs/levels.md).
ANALYZE_LEVEL_LIFETIME_METHOD: str = "fit"

#: Photons segmented at once when streaming: 2**20 photons are 8 MB of timestamps (plus 3 MB
#: of detectors and nanotimes held for the level decays), and a level boundary needs only a
#: few hundred photons on each side to be found, so a window this size finds every change
#: point a whole-file segmentation finds (docs/levels.md).
CHANGEPOINT_WINDOW_PHOTONS: int = 1 << 20

#: Segments with fewer inter-photon intervals are not tested: below 8 the test has almost
#: no power at the contrasts of blinking (a 10× jump needs ~5 photons on each side).
CHANGEPOINT_MIN_INTERVALS: int = 8

#: Level decays are merged to at most this many microtime bins (~0.2 ns at 50 ns periods):
#: a level holds hundreds to thousands of photons, far too few to need finer bins for
#: nanosecond lifetimes, and each level's histogram lives only until it is fitted.
LEVEL_DECAY_BINS: int = 256

#: Lifetime of a level only with at least this many photons in its decay (fewer: NaN): the
#: Poisson ML error of τ is ≈ τ/√n, 22 % at 20 photons (as MIN_PHOTONS_PER_BIN).
LEVEL_MIN_PHOTONS_LIFETIME: int = 20

#: Passes of the refinement that re-tests each change point between its neighbours (each
#: pass costs one scan of the window; it is usually stable after 2-3).
CHANGEPOINT_REFINE_ROUNDS: int = 10

#: Block of the branch-and-bound likelihood-ratio scan (tttr.kernels.changepoint.llr_scan): the
#: statistic at every 64th photon and a bound per block; only blocks that may hold the maximum
#: are scanned photon by photon. Same result as the full scan (1), several times faster.
CHANGEPOINT_SCAN_STRIDE: int = 64

#: Short-scale search of the change points (tttr.kernels.changepoint.change_points_of):
#: stretches longer than twice this are searched again in overlapping sub-stretches of
#: 2 × 8192 photons, where a burst or dip of tens to hundreds of photons stands out (in a
#: stretch of 10⁵ photons or more a single-change test barely sees it). 80 ms at 100 kcps.
CHANGEPOINT_SCALE_PHOTONS: int = 8192

# -------------------------------------------- one-pass report and command line (pipeline)
#: Chunks the prefetch thread of a streaming pass decodes ahead of the analysis: 2 keep the
#: next chunk ready while the current one is analysed and bound the extra memory to two
#: chunks (about 22 MiB at ``CHUNK_RECORDS``; docs/reliability.md's memory budget).
PREFETCH_CHUNKS: int = 2


#: The HBT detector pair of the report's g2 and of ``tttr g2`` (the first two inputs of a
#: two-detector setup, 0-based; science.md §6).
G2_DETECTORS: tuple = (0, 1)

#: How the ON threshold is chosen by default: a fraction of the robust maximum (science.md §5,
#: seed 002); one of :data:`tttr.analysis.blinking.METHODS`.
THRESHOLD_METHOD: str = "fraction"

#: Per-bin lifetime estimator of the FLID map: the mean delay after t0 minus the background
#: (science.md §3); one of :data:`tttr.analysis.flid.ESTIMATORS`.
FLID_ESTIMATOR: str = "mean"

#: Largest background fraction of the decay the report passes on (to the g2 background
#: correction): a fraction of 1 would leave no signal (ρ = 1 − f = 0) and an infinite
#: correction; 0.999 keeps ρ positive while changing no physically meaningful value.
BACKGROUND_FRACTION_MAX: float = 0.999

# ------------------------------------------- level groups and level-resolved analyses (issue 16)
#: Largest number of groups (states) the level grouping considers: QD traces show 2–3 states
#: (ON, grey, OFF); 10 leaves room for the BIC to find more and still rise and fall.
LEVEL_GROUPS_MAX: int = 10
#: EM iterations refining each clustering (a mixture of a few Poisson intensities converges
#: in tens of iterations; the loop stops earlier when the parameters no longer change).
LEVEL_GROUPS_EM_ITERATIONS: int = 200
#: Up to this many levels every pair of groups is a merge candidate (O(n²) time, memory
#: bounded by row blocks); above it only intensity neighbours (O(n log n)). 3000 levels take
#: ≈ 1 s on one core.
LEVEL_GROUPS_EXACT_MAX: int = 3000
#: Count model of a level in its group: "gamma" (Gamma–Poisson, one common relative extra
#: variance) because change-point levels scatter more than Poisson (missed short excursions
#: average into them): the Poisson BIC of Watkins & Yang then splits one state into several
#: groups (docs/validation_levels.md). "poisson" is Watkins & Yang's model.
LEVEL_GROUPS_DISPERSION: str = "gamma"
#: ON groups: a group is ON when its intensity is at least this fraction of the brightest
#: group's (the same f = 0.5 as the binned threshold, science.md §5).
LEVEL_ON_FRACTION: float = 0.5
#: Levels with fewer photons than this are left out of the level-based FLID (their lifetime
#: error exceeds ~20 %, and the per-level ML lifetime is biased at a few photons).
LEVEL_FLID_MIN_PHOTONS: int = 25
#: Trace-bin width of the gate of a group-gated g2: bins straddling a level boundary are
#: dropped, so the gate loses ≈ one bin per level; 100 µs is far below typical dwells.
LEVEL_G2_GATE_BIN_S: float = 1e-4
