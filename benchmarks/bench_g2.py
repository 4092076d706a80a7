"""g2 histogram speed: tttr vs tttrlib's Correlator vs pycorrelate's pcorrelate, one run.

Usage: python benchmarks/bench_g2.py [--photons 1e8] [--repeat 3] [--pycorrelate-photons 2e5]

The job is the ±1 µs, 100 ps cross-correlation histogram of two detectors (science.md §6):
every pair (A, B) with ``(k − ½)·100 ps ≤ t_B − t_A < (k + ½)·100 ps``, ``k = −10000 … 10000``.
The data: ``--photons`` photons of two independent Poisson streams (T2, 1 ps ticks, ``--rate``
total, detectors 0/1 at random), held in memory, so that only the correlation is timed.

What each tool is given and computes (made comparable, differences noted):

* **tttr**: the photon arrays as 2**20-photon chunks through :class:`G2Accumulator` (the
  streaming path every file takes), and as one chunk. Output: the 20 001 bins directly.
* **tttrlib** ``Correlator(method="wahl", n_bins=N, n_casc=1)``: its multi-tau correlator
  cut to the first cascade counts pairs at every whole-tick lag 1…N of t2 − t1 (positive
  lags only, zero lag never). Given the two detectors' ps times (split beforehand, uint64,
  weights 1) with N = 1 000 050, once per direction, and its per-ps counts summed into our
  bins, it gives *exactly* our histogram (checked) up to the zero-lag pairs it does not
  count. Times for splitting and for the rebinning are reported apart; the ratio uses its
  two ``get_corr`` calls only. A second timing feeds it times already quantised to 100 ps
  (N = 10 000): cheaper, but then it histograms lags of quantised times, a different (not
  the same-bins) quantity, shown for reference.
* **pycorrelate** ``pcorrelate(t, u, bins)``: the Laurence arbitrary-bin algorithm with our
  20 002 edges (negative and positive lags in one call), bins half-open ``[e_k, e_(k+1))``
  like ours; it returns counts / bin width, converted back to counts and checked equal.
  Its cost is O(N × bins) — hours for 10⁸ photons with 20 001 bins — so it runs on the
  first ``--pycorrelate-photons`` photons and its photons/s is extrapolated linearly.

Every tool runs in this process, ``--repeat`` times (median reported), after one warm-up
call (numba compilation excluded). Results go to ``benchmarks/results/g2.json``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from timing import machine, median_time, save  # noqa: E402

from tttr.analysis.g2 import G2Accumulator  # noqa: E402
from tttr.io.events import PhotonChunk, StreamInfo  # noqa: E402

WINDOW_S = 1e-6
BIN_S = 100e-12
BIN_TICKS = 100  # ps
N_HALF = 10_000
HALF = ((2 * N_HALF + 1) * BIN_TICKS) // 2  # 1 000 050 ps: bins cover −HALF ≤ Δ < HALF


def make_photons(n: int, rate_cps: float, seed: int = 0):
    """Two independent Poisson streams merged: int64 ps timestamps and uint8 detectors."""
    rng = np.random.default_rng(seed)
    ts = np.empty(n, np.int64)
    last = 0.0
    block = 10_000_000
    for s in range(0, n, block):
        m = min(block, n - s)
        t = last + np.cumsum(rng.exponential(1e12 / rate_cps, m))
        last = float(t[-1])
        ts[s:s + m] = t.astype(np.int64)
    det = rng.integers(0, 2, n, dtype=np.uint8)
    return ts, det


def info_t2() -> StreamInfo:
    return StreamInfo(path="bench", format="memory", record_type="synthetic", mode="T2", timestamps_unit_s=1e-12,
                      nanotimes_unit_s=None, sync_rate_hz=None, n_records=0)


def tttr_hist(ts, det, chunk: int) -> np.ndarray:
    acc = G2Accumulator(info_t2(), window_s=WINDOW_S, bin_s=BIN_S, detectors=(0, 1), mode="cw")
    for s in range(0, ts.size, chunk):
        acc.add(PhotonChunk(ts[s:s + chunk], det[s:s + chunk]))
    return acc.result().counts


def tttrlib_per_tick(t1, t2, n_bins: int) -> np.ndarray:
    import tttrlib

    c = tttrlib.Correlator(method="wahl", n_bins=n_bins, n_casc=1)
    c.set_events(t1, np.ones(t1.size), t2, np.ones(t2.size))
    return np.asarray(c.get_corr())[: n_bins + 1]


def rebin_tttrlib(pos, neg, zero_lag: int) -> np.ndarray:
    """Per-ps counts of both directions into our centred 100 ps bins (zero lag added back)."""
    lag = np.arange(1, HALF + 1)
    out = np.zeros(2 * N_HALF + 1)
    np.add.at(out, (lag[:-1] + HALF) // BIN_TICKS, pos[1:-1])
    np.add.at(out, (HALF - lag) // BIN_TICKS, neg[1:])
    out[N_HALF] += zero_lag
    return out.astype(np.int64)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photons", type=float, default=1e8)
    ap.add_argument("--rate", type=float, default=5e5, help="total count rate of the two detectors (cps)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pycorrelate-photons", type=float, default=2e5)
    ap.add_argument("--no-save", action="store_true")
    args = ap.parse_args(argv)
    n = int(args.photons)
    t0 = time.perf_counter()
    ts, det = make_photons(n, args.rate)
    print(f"{n:,} photons, {args.rate:,.0f} cps, {ts[-1] * 1e-12:,.1f} s of data "
          f"(made in {time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    result = {"machine": machine(), "photons": n, "rate_cps": args.rate, "window_s": WINDOW_S, "bin_s": BIN_S,
              "n_bins": 2 * N_HALF + 1, "repeat": args.repeat, "tools": {}}
    tools = result["tools"]

    def record(name, seconds, times, photons, agrees, note, extra=None):
        tools[name] = {"seconds": seconds, "times": times, "photons": photons, "photons_per_s": photons / seconds,
                       "agrees_with_tttr": agrees, "note": note, **(extra or {})}
        print(f"{name:48s} {seconds:9.3f} s  {photons / seconds / 1e6:9.2f} M photons/s  agrees={agrees}",
              file=sys.stderr)

    # --- tttr
    tttr_hist(ts[:100_000], det[:100_000], 1 << 14)  # compile
    ref = tttr_hist(ts, det, 1 << 20)
    sec, times = median_time(lambda: tttr_hist(ts, det, 1 << 20), args.repeat)
    record("tttr G2Accumulator (2^20-photon chunks)", sec, times, n, True, "streaming path; 20 001 bins directly")
    sec, times = median_time(lambda: tttr_hist(ts, det, n), args.repeat)
    record("tttr G2Accumulator (one chunk)", sec, times, n, bool(np.array_equal(tttr_hist(ts, det, n), ref)),
           "whole array at once")
    result["pairs_in_window"] = int(ref.sum())
    base = tools["tttr G2Accumulator (2^20-photon chunks)"]["seconds"]

    # --- tttrlib
    try:
        import tttrlib  # noqa: F401

        ts0 = time.perf_counter()
        ta = ts[det == 0].astype(np.uint64)
        tb = ts[det == 1].astype(np.uint64)
        split_s = time.perf_counter() - ts0
        tttrlib_per_tick(ta[:10_000], tb[:10_000], 1000)
        out = {}

        def run_exact():
            out["pos"] = tttrlib_per_tick(ta, tb, HALF)
            out["neg"] = tttrlib_per_tick(tb, ta, HALF)

        sec, times = median_time(run_exact, args.repeat)
        r0 = time.perf_counter()
        ia = np.searchsorted(tb, ta, side="left")
        ib = np.searchsorted(tb, ta, side="right")
        zero = int(np.sum(ib - ia))  # same-ps pairs, which tttrlib never counts
        tl = rebin_tttrlib(out["pos"], out["neg"], zero)
        rebin_s = time.perf_counter() - r0
        record("tttrlib Correlator wahl, 1 cascade, per-ps lags", sec, times, n, bool(np.array_equal(tl, ref)),
               "two get_corr calls (A→B, B→A) on split uint64 ps times; rebinned into our bins + zero-lag pairs",
               {"split_seconds": split_s, "rebin_seconds": rebin_s, "zero_lag_pairs": zero})
        qa, qb = ta // BIN_TICKS, tb // BIN_TICKS

        def run_quantised():
            out["qpos"] = tttrlib_per_tick(qa, qb, N_HALF)
            out["qneg"] = tttrlib_per_tick(qb, qa, N_HALF)

        sec, times = median_time(run_quantised, args.repeat)
        q_total = int(out["qpos"][1:].sum() + out["qneg"][1:].sum())
        record("tttrlib Correlator wahl, 1 cascade, 100 ps-quantised", sec, times, n, False,
               "NOT the same bins: lags of times quantised to 100 ps (triangular bin response, no zero lag); "
               f"{q_total:,} pairs vs tttr's {int(ref.sum()):,}")
        del ta, tb, qa, qb, out
    except ImportError:
        print("tttrlib not installed: skipped", file=sys.stderr)

    # --- pycorrelate
    try:
        from pycorrelate import pcorrelate

        m = min(n, int(args.pycorrelate_photons))
        sa, sb = ts[:m][det[:m] == 0], ts[:m][det[:m] == 1]
        edges = (np.arange(-N_HALF, N_HALF + 2) - 0.5) * BIN_TICKS  # integers: BIN_TICKS is even
        edges = edges.astype(np.int64)
        pcorrelate(sa[:1000], sb[:1000], edges)  # compile
        out = {}

        def run_pc():
            out["g"] = pcorrelate(sa, sb, edges)

        sec, times = median_time(run_pc, args.repeat)
        counts = np.round(out["g"] * np.diff(edges)).astype(np.int64)
        sub_ref = tttr_hist(ts[:m], det[:m], 1 << 20)
        record("pycorrelate pcorrelate (subset)", sec, times, m, bool(np.array_equal(counts, sub_ref)),
               f"first {m:,} photons only (O(N x bins)); same edges, half-open bins",
               {"extrapolated_seconds_full": sec * n / m})
    except ImportError:
        print("pycorrelate not installed: skipped", file=sys.stderr)

    for name, v in tools.items():
        v["time_ratio_vs_tttr"] = (v["seconds"] * n / v["photons"]) / base  # >1: slower than tttr
    print("\nratios (time per photon relative to tttr streaming; >1 means slower than tttr):", file=sys.stderr)
    for name, v in tools.items():
        print(f"  {name:48s} {v['time_ratio_vs_tttr']:10.1f}x", file=sys.stderr)
    if not args.no_save:
        print(f"saved {save('g2', result)}", file=sys.stderr)
    return result


if __name__ == "__main__":
    main()
