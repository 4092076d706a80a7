"""Time the simulator: a 10-minute, 100 kcps measurement streamed to a PTU file.

Run from the repository root::

    PYTHONPATH=src python benchmarks/bench_simulate.py [--duration-s 600] [--mode t3|t2] [--keep DIR]

Prints (does not assert) the wall time, the photon rate and the peak resident memory.
A short warm-up run first loads (or compiles) the numba kernels, so the timing is the
steady-state cost.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration-s", type=float, default=600.0)
    ap.add_argument("--mode", choices=("t3", "t2"), default="t3")
    ap.add_argument("--model", default="nonblinking")
    ap.add_argument("--keep", type=Path, default=None, help="folder to keep the file in (default: a temp dir)")
    args = ap.parse_args(argv)

    from tttr.simulate import simulate_to_file

    # 100 kcps of signal: I1 = 1000 counts per 10 ms; <N> = 0.2 keeps the quantum yield below 1
    params = dict(model=args.model, mode=args.mode, seed=2024, exciton_intensity_counts_per_10ms=1000.0,
                  mean_excitons_per_pulse=0.2)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        t0 = time.perf_counter()
        simulate_to_file(folder / "warmup.ptu", duration_s=0.05, force=True, **params)
        warm = time.perf_counter() - t0
        out = folder / f"bench_{args.model}_{args.mode}.ptu"
        t0 = time.perf_counter()
        truth = simulate_to_file(out, duration_s=args.duration_s, force=True, **params)
        dt = time.perf_counter() - t0
        size_mb = out.stat().st_size / 1e6
    n = truth["acquisition"]["n_photons"]
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"warm-up (kernel load/compile): {warm:.2f} s")
    print(f"simulated {args.duration_s:g} s, model {args.model}, {args.mode.upper()} PTU: {n:,} photons "
          f"({n / truth['acquisition']['duration_s'] / 1e3:.1f} kcps), {size_mb:.0f} MB")
    print(f"wall time {dt:.2f} s = {n / dt / 1e6:.2f} M photons/s; peak RSS {rss_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
