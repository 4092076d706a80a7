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

Every tool runs in this process after one warm-up call (numba compilation excluded); the
tools take turns for ``--repeat`` rounds (interleaved, so load from other processes hits
them alike) and the median per tool is reported, with the machine's load average before
and after. Results go to ``benchmarks/results/g2.json``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from timing import machine, save  # noqa: E402

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

    # Every tool gets its inputs in the form it needs (prepared once, outside the timing), is
    # compiled/warmed up once, and then all tools run in turn, --repeat rounds, interleaved, so
    # that load from other processes on the machine hits them alike. Median per tool.
    runs = {}  # name -> (callable returning its histogram in our bins, photons, note, extra)
    tttr_hist(ts[:100_000], det[:100_000], 1 << 14)  # compile
    runs["tttr G2Accumulator (2^20-photon chunks)"] = (
        lambda: tttr_hist(ts, det, 1 << 20), n, "streaming path; 20 001 bins directly", {})
    runs["tttr G2Accumulator (one chunk)"] = (
        lambda: tttr_hist(ts, det, n), n, "whole array at once (allocates a staging buffer as large as the data)", {})
    try:
        import tttrlib  # noqa: F401

        s0 = time.perf_counter()
        ta = ts[det == 0].astype(np.uint64)
        tb = ts[det == 1].astype(np.uint64)
        split_s = time.perf_counter() - s0
        ia = np.searchsorted(tb, ta, side="left")
        zero = int(np.sum(np.searchsorted(tb, ta, side="right") - ia))  # same-ps pairs: tttrlib never counts them
        del ia
        qa, qb = ta // BIN_TICKS, tb // BIN_TICKS
        tttrlib_per_tick(ta[:10_000], tb[:10_000], 1000)

        def tl_exact():  # rebinned after the timing (see below)
            return tttrlib_per_tick(ta, tb, HALF), tttrlib_per_tick(tb, ta, HALF)

        def tl_quantised():
            pos, neg = tttrlib_per_tick(qa, qb, N_HALF), tttrlib_per_tick(qb, qa, N_HALF)
            return int(pos[1:].sum() + neg[1:].sum())

        runs["tttrlib Correlator wahl, 1 cascade, per-ps lags"] = (
            tl_exact, n, "two get_corr calls (A→B, B→A) on split uint64 ps times, n_bins = 1 000 050 (per-ps "
            "lags); rebinned into our bins (+ zero-lag pairs, counted apart) outside the timing",
            {"split_seconds": split_s, "zero_lag_pairs": zero})
        runs["tttrlib Correlator wahl, 1 cascade, 100 ps-quantised"] = (
            tl_quantised, n, "NOT the same bins: lags of times quantised to 100 ps (triangular bin response, "
            "no zero lag); total pairs only", {})
    except ImportError:
        print("tttrlib not installed: skipped", file=sys.stderr)
    try:
        from pycorrelate import pcorrelate

        m = min(n, int(args.pycorrelate_photons))
        sa, sb = ts[:m][det[:m] == 0], ts[:m][det[:m] == 1]
        edges = ((np.arange(-N_HALF, N_HALF + 2) - 0.5) * BIN_TICKS).astype(np.int64)  # integers: even bin
        pcorrelate(sa[:1000], sb[:1000], edges)  # compile
        runs["pycorrelate pcorrelate (subset)"] = (
            lambda: np.round(pcorrelate(sa, sb, edges) * np.diff(edges)).astype(np.int64), m,
            f"first {m:,} photons only (O(N x bins)); same edges, half-open bins", {})
        sub_ref = tttr_hist(ts[:m], det[:m], 1 << 20)
    except ImportError:
        print("pycorrelate not installed: skipped", file=sys.stderr)

    ref = tttr_hist(ts, det, 1 << 20)
    result["pairs_in_window"] = int(ref.sum())
    times = {name: [] for name in runs}
    outputs = {}
    result["load_average_before"] = os.getloadavg()
    for rnd in range(args.repeat):
        for name, (fn, _, _, _) in runs.items():
            t0 = time.perf_counter()
            outputs[name] = fn()
            times[name].append(time.perf_counter() - t0)
        print(f"round {rnd + 1}/{args.repeat}: " + ", ".join(f"{k.split(' (')[0].split(',')[0]} {v[-1]:.2f}s"
                                                             for k, v in times.items()), file=sys.stderr)
    result["load_average_after"] = os.getloadavg()
    for name, (fn, photons, note, extra) in runs.items():
        out = outputs[name]
        if name.startswith("pycorrelate"):
            agrees = bool(np.array_equal(out, sub_ref))
        elif name.startswith("tttrlib") and name.endswith("per-ps lags"):
            agrees = bool(np.array_equal(rebin_tttrlib(*out, extra["zero_lag_pairs"]), ref))
        elif name.endswith("quantised"):
            agrees = False
            note += f": {out:,} pairs vs tttr's {int(ref.sum()):,}"
        else:
            agrees = bool(np.array_equal(out, ref))
        record(name, float(np.median(times[name])), times[name], photons, agrees, note, extra)
    if "pycorrelate pcorrelate (subset)" in tools:
        v = tools["pycorrelate pcorrelate (subset)"]
        v["extrapolated_seconds_full"] = v["seconds"] * n / v["photons"]
    base = tools["tttr G2Accumulator (2^20-photon chunks)"]["seconds"]

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
