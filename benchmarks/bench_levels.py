"""Change points and levels on a 10-minute, 100 kcps stream, next to the binned pass; peak
memory of the level pass against the length of the stream.

The photons of a blinking emitter (ON 100 kcps / 25 ns, OFF 8 kcps / 5 ns, exponential
dwells of mean 100 ms) are generated with numpy in chunks of 2**20 photons (same seed for
every pass).

* Speed: the 60 M photons are generated once and held in memory (0.7 GB), then each pass is
  fed them in turn in one thread (``both``: threads as in ``analyze``). Passes: ``binned``
  (trace, FLID sums and decay: the accumulators of ``analyze``), ``changepoints`` (levels
  without lifetimes), ``levels_mle`` (closed-form ML lifetime per level), ``both``
  (``binned`` and ``levels_mle`` in one pass), ``levels_fit`` (``fit_lifetime`` per level;
  with ``--fit``, minutes).
* Memory: each length of the series in its own process, fed from the generator (never held
  whole), change points without lifetimes (the fits take time, not memory: each level's
  histogram is dropped when it is fitted). Peak RSS from GNU time.

Usage: ``python benchmarks/bench_levels.py [--fit] [--memory-gphotons 0.0625,0.125,0.25,0.5]``
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

def accumulators(what):
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
    return accs

from tttr.pipeline import feed
if what == "speed":  # every pass on the same chunks held in memory, one after the other
    held = list(chunks(n_total, seed))
    for w in sys.argv[4].split(","):
        accs = accumulators(w)
        t0 = time.perf_counter()
        res = feed(held, accs, threads=1 if w != "both" else None)
        wall = time.perf_counter() - t0
        lv = res.get("levels")
        print(json.dumps({"what": w, "wall_s": wall, "n_levels": lv.n_levels if lv is not None else None}),
              flush=True)
else:
    t0 = time.perf_counter()
    res = feed(chunks(n_total, seed), accumulators(what), threads=None)
    wall = time.perf_counter() - t0
    lv = res.get("levels")
    print(json.dumps({"what": what, "wall_s": wall, "n_levels": lv.n_levels if lv is not None else None}))
"""


def run(script: str, what: str, n: float, seed: int = 1, passes: str = "") -> list:
    """Passes in their own process: their JSON lines, plus the peak RSS from GNU time."""
    r = subprocess.run(["/usr/bin/time", "-f", "%M", sys.executable, script, what, str(n), str(seed), passes],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(r.stderr[-2000:])
    out = [json.loads(line) for line in r.stdout.strip().splitlines() if line.startswith("{")]
    for d in out:
        d["process_peak_rss_mb"] = int(r.stderr.strip().splitlines()[-1]) / 1024.0
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--memory-gphotons", default="0.0625,0.125,0.25,0.5",
                    help="stream lengths (10^9 photons) of the memory series (4 bytes a photon in a PTU file)")
    ap.add_argument("--fit", action="store_true", help="also time fit_lifetime per level (minutes)")
    args = ap.parse_args(argv)
    import tempfile

    script = os.path.join(tempfile.mkdtemp(prefix="tttr-levels-"), "run.py")
    with open(script, "w") as fh:
        fh.write(RUN)
    n = 60e6  # 10 minutes at 100 kcps
    res = {"machine": machine(), "n_photons": n, "load_average_before": os.getloadavg()}
    passes = "binned,changepoints,levels_mle,both" + (",levels_fit" if args.fit else "")
    for d in run(script, "speed", n, passes=passes):
        res[d["what"]] = d
        print(f"{d['what']:13s} {d['wall_s']:7.2f} s, levels {d['n_levels']}", flush=True)
    mem = []
    for g in (float(x) for x in args.memory_gphotons.split(",")):
        d = run(script, "changepoints", g * 1e9)[0]
        d.update(n_photons=g * 1e9, ptu_bytes=4 * g * 1e9)
        mem.append(d)
        print(f"memory: {g:g}e9 photons (~{4 * g:.2g} GB of PTU): peak RSS {d['process_peak_rss_mb']:.0f} MB, "
              f"{d['wall_s']:.1f} s, {d['n_levels']} levels", flush=True)
    res["memory_series"] = mem
    res["load_average_after"] = os.getloadavg()
    print("saved", save("levels", res))


if __name__ == "__main__":
    main()
