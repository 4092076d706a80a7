"""Change points and levels on a 10-minute, 100 kcps stream, next to the binned pass; peak
memory of the level pass against the length of the stream.

The photons of a blinking emitter (ON 100 kcps / 25 ns, OFF 8 kcps / 5 ns, exponential
dwells of mean 100 ms: ~6000 levels in 10 minutes) are generated with numpy in chunks of
2**20 and never held whole; every pass is fed the same chunks (same seed), in its own
subprocess, and the generation alone is timed too and subtracted. Passes: ``binned`` (trace,
FLID sums and decay: the accumulators of ``analyze``), ``changepoints`` (levels without
lifetimes), ``levels_mle`` (closed-form ML lifetime per level), ``both`` (``binned`` and
``levels_mle`` in one pass, threads as in ``analyze``), ``levels_fit`` (``fit_lifetime`` per
level).

The memory series runs the change points without the level lifetimes (the fits take time,
not memory: each level's histogram is dropped when it is fitted).

Usage: ``python benchmarks/bench_levels.py [--minutes 10] [--memory-gphotons 0.0625,0.125,0.25,0.5]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from timing import machine, save  # noqa: E402

RUN = r"""
import sys, time, json, resource
import numpy as np
from tttr.io.events import PhotonChunk, StreamInfo

what, n_total, seed = sys.argv[1], int(float(sys.argv[2])), int(sys.argv[3])
UNIT_T, UNIT_NT, NBINS = 1e-7, 16e-12, 6250          # 10 MHz sync, 16 ps nanotime bins
info = StreamInfo(path="synthetic", format="PTU", record_type="synthetic", mode="T3", timestamps_unit_s=UNIT_T,
                  nanotimes_unit_s=UNIT_NT, sync_rate_hz=1e7, n_records=n_total, tcspc_num_bins=NBINS)

def chunks(n_total, seed, size=1 << 20):
    rng = np.random.default_rng(seed)
    t, on, made, parts, held = 0.0, True, 0, [], 0
    while made < n_total:
        rate, tau_ns = (1e5, 25.0) if on else (8e3, 5.0)
        dwell = rng.exponential(0.1)
        n = min(rng.poisson(rate * dwell), n_total - made)
        ts = np.sort(rng.uniform(t, t + dwell, n))
        nt = np.minimum(rng.exponential(tau_ns, n) / (UNIT_NT * 1e9) + 125, NBINS - 1)
        parts.append((ts, nt))
        held += n
        made += n
        t += dwell
        on = not on
        while held >= size or (made >= n_total and held):
            ts = np.concatenate([p[0] for p in parts]); nt = np.concatenate([p[1] for p in parts])
            k = min(size, ts.size)
            yield PhotonChunk((ts[:k] / UNIT_T).astype(np.int64), rng.integers(0, 2, k).astype(np.uint8),
                              nt[:k].astype(np.uint16))
            parts, held = [(ts[k:], nt[k:])], ts.size - k

accs = {}
if what in ("binned", "both"):
    from tttr.analysis.binned import BinnedAccumulator
    from tttr.analysis.lifetime import DecayAccumulator
    accs["binned"] = BinnedAccumulator(info)
    accs["decay"] = DecayAccumulator(info)
if what in ("levels_fit", "levels_mle", "both", "changepoints"):
    from tttr.analysis.levels import LevelsAccumulator
    accs["levels"] = LevelsAccumulator(info, lifetimes=what != "changepoints",
                                       lifetime_method="fit" if what == "levels_fit" else "mle")
from tttr.pipeline import feed
t0 = time.perf_counter()
res = feed(chunks(n_total, seed), accs, threads=None)
wall = time.perf_counter() - t0
lv = res.get("levels")
print(json.dumps({"wall_s": wall, "n_levels": lv.n_levels if lv is not None else None,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(script: str, what: str, n: float, seed: int = 1) -> dict:
    """One pass in its own process: its JSON line, plus the peak RSS from GNU time."""
    r = subprocess.run(["/usr/bin/time", "-f", "%M", sys.executable, script, what, str(n), str(seed)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(r.stderr[-2000:])
    d = json.loads(r.stdout.strip().splitlines()[-1])
    d["peak_rss_mb"] = int(r.stderr.strip().splitlines()[-1]) / 1024.0
    return d


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--memory-gphotons", default="0.0625,0.125,0.25,0.5",
                    help="stream lengths (10^9 photons) of the memory series (4 bytes a photon in a PTU file)")
    args = ap.parse_args(argv)
    import tempfile

    script = os.path.join(tempfile.mkdtemp(prefix="tttr-levels-"), "run.py")
    with open(script, "w") as fh:
        fh.write(RUN)
    n = 1e5 * 60 * args.minutes * 0.52  # ON half the time at 100 kcps, OFF at 8 kcps: ~54 kcps mean
    n = 60e6 if args.minutes == 10 else n
    res = {"machine": machine(), "n_photons": n}
    for what in ("generate", "binned", "changepoints", "levels_mle", "both", "levels_fit"):
        d = run(script, what, n)
        res[what] = d
        print(f"{what:13s} {d['wall_s']:7.2f} s in the pass, peak RSS {d['peak_rss_mb']:6.0f} MB, "
              f"levels {d['n_levels']}", flush=True)
    gen = res["generate"]["wall_s"]
    for what in ("binned", "changepoints", "levels_mle", "both", "levels_fit"):
        res[what]["minus_generation_s"] = res[what]["wall_s"] - gen
    mem = []
    for g in (float(x) for x in args.memory_gphotons.split(",")):
        d = run(script, "changepoints", g * 1e9)
        d.update(n_photons=g * 1e9, ptu_bytes=4 * g * 1e9)
        mem.append(d)
        print(f"memory: {g:g}e9 photons (~{4 * g:.2g} GB of PTU): peak RSS {d['peak_rss_mb']:.0f} MB, "
              f"{d['wall_s']:.1f} s, {d['n_levels']} levels", flush=True)
    res["memory_series"] = mem
    print("saved", save("levels", res))


if __name__ == "__main__":
    main()
