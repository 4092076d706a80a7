"""Critical values of the Watkins-Yang change-point statistic by simulation.

Prints the table held in ``tttr.kernels.changepoint.CRITICAL_VALUES``: for each segment size
``N`` of ``CRITICAL_N``, the quantiles at ``CRITICAL_CONFIDENCE`` of ``max_k 2 ln L_k`` over
constant-rate segments (:func:`simulated_max_llr`), made non-decreasing in ``N``.

Usage: ``python benchmarks/changepoint_critical_values.py [--draws-small 20000] [--draws-large 5000]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from tttr.kernels.changepoint import CRITICAL_CONFIDENCE, CRITICAL_N, simulated_max_llr


def table(draws_small: int, draws_large: int, seed: int = 2005) -> np.ndarray:
    rows = []
    for i, n in enumerate(CRITICAL_N.astype(int)):
        draws = draws_small if n <= 4096 else draws_large
        z = simulated_max_llr(int(n), draws, seed + i)
        rows.append(np.quantile(z, CRITICAL_CONFIDENCE))
    t = np.array(rows)
    return np.maximum.accumulate(t, axis=0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws-small", type=int, default=20000)
    ap.add_argument("--draws-large", type=int, default=5000)
    a = ap.parse_args()
    t0 = time.perf_counter()
    t = table(a.draws_small, a.draws_large)
    print(f"# {time.perf_counter() - t0:.1f} s")
    print("CRITICAL_VALUES = np.array([")
    for n, row in zip(CRITICAL_N.astype(int), t):
        print("    [" + ", ".join(f"{v:.3f}" for v in row) + f"],  # N = {n}")
    print("])")


if __name__ == "__main__":
    main()
