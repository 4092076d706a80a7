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
