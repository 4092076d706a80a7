"""Synthetic PTU files of any size for the benchmarks (written by tttr's own PTU writer).

Photons arrive as a Poisson stream (geometric gaps) on two detectors; T3 nanotimes are
exponential (τ = 5 ns). Nothing here is physics validation: it only gives the decoders a
realistic mix of photon and overflow records.
"""

from __future__ import annotations

import numpy as np

from tttr.io.events import PhotonChunk
from tttr.io.ptu import PTUWriter


def write_synthetic_ptu(path, n_photons: int, record_type: str = "HydraHarp2T3", *, rate_cps: float = 1e5,
                        seed: int = 0, block: int = 5_000_000, force: bool = True) -> int:
    """Write ``n_photons`` photons as a PTU file; returns the number of records written."""
    rng = np.random.default_rng(seed)
    t3 = record_type.endswith("T3")
    sync_hz = 5e6
    unit = 1.0 / sync_hz if t3 else 1e-12
    res = 16e-12
    p_tick = rate_cps * unit  # photons per tick
    last = 0
    with PTUWriter(path, record_type, timestamps_unit_s=unit, nanotimes_unit_s=res if t3 else None,
                   sync_rate_hz=sync_hz, force=force) as w:
        left = n_photons
        while left > 0:
            n = min(block, left)
            if t3:
                gaps = rng.geometric(min(p_tick, 1.0), n).astype(np.int64)
            else:
                gaps = rng.exponential(1.0 / p_tick, n).astype(np.int64) + 1
            ts = last + np.cumsum(gaps)
            last = int(ts[-1])
            det = rng.integers(0, 2, n, dtype=np.uint8)
            nt = np.minimum(rng.exponential(5e-9 / res, n), 12499).astype(np.uint16) if t3 else None
            w.write(PhotonChunk(ts, det, nt))
            left -= n
        return w.n_records
