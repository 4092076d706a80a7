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

#: Where ``tttr analyze`` and ``tttr blink`` start their dwell-time fits, in trace bins: run
#: lengths of dwells near the bin width are smeared by ±1 bin by the thresholding, which the
#: likelihoods do not model (docs/bias.md), so the reports start 2 bins above the resolution.
REPORT_POWERLAW_TMIN_BINS: int = 3

# -------------------------------------------------------------------------- g2 (§6)
#: Pulsed g2 peak integration half-window as a fraction of the period (± half a period).
G2_PEAK_HALF_WINDOW_FRACTION: float = 0.5

#: Side peaks averaged on each side for the pulsed g2(0) reference (±1 by default).
G2_SIDE_PEAKS: int = 1
