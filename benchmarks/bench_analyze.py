"""``tttr analyze`` end to end: wall time and peak memory, against decoding the same file alone;
and peak memory on large generated files (default 2 GB and 20 GB), which must not grow with size.

Usage: python benchmarks/bench_analyze.py [--sizes-gb 2 20] [--duration-s 785] [--skip-large]

Each measurement is a separate process (GNU time's maximum resident set size). Files are
written to a temporary folder and deleted afterwards.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from synth import write_synthetic_ptu  # noqa: E402
from timing import machine, peak_rss_mb, save  # noqa: E402

DECODE = """
import sys, tttr
n = 0
for c in tttr.open(sys.argv[1]).chunks():
    n += len(c)
print(n)
"""


def measure(path, workdir):
    script = os.path.join(workdir, "_decode.py")
    with open(script, "w") as fh:
        fh.write(DECODE)
    dec_mb, dec_s = peak_rss_mb([sys.executable, script, path])
    ana_mb, ana_s = peak_rss_mb(["tttr", "analyze", "--json", path])
    return {"bytes": os.path.getsize(path), "decode_wall_s": dec_s, "decode_peak_rss_mb": dec_mb,
            "analyze_wall_s": ana_s, "analyze_peak_rss_mb": ana_mb, "analyze_over_decode": ana_s / dec_s}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration-s", type=float, default=785.0, help="simulated measurement (785 s ≈ 6e7 photons)")
    ap.add_argument("--sizes-gb", type=float, nargs="*", default=[2.0, 20.0])
    ap.add_argument("--skip-large", action="store_true")
    ap.add_argument("--dir", default=None)
    ap.add_argument("--merge", action="store_true", help="update the stored results instead of replacing them")
    args = ap.parse_args(argv)
    work = tempfile.mkdtemp(prefix="tttr-analyze-", dir=args.dir)
    res = {"machine": machine(), "runs": {}}
    stored = os.path.join(os.path.dirname(__file__), "results", "analyze.json")
    if args.merge and os.path.exists(stored):
        import json

        with open(stored) as fh:
            res["runs"] = json.load(fh).get("runs", {})
    try:
        from tttr.simulate import simulate_to_file

        sim = os.path.join(work, "nonblinking.ptu")
        simulate_to_file(sim, model="nonblinking", mode="t3", seed=1, duration_s=args.duration_s, force=True)
        r = measure(sim, work)
        res["runs"]["simulated_10min_100kcps"] = r
        print(f"simulated {r['bytes'] / 2**20:.0f} MiB: decode {r['decode_wall_s']:.2f} s / {r['decode_peak_rss_mb']:.0f} MB; "
              f"analyze {r['analyze_wall_s']:.2f} s / {r['analyze_peak_rss_mb']:.0f} MB; ratio {r['analyze_over_decode']:.2f}",
              flush=True)
        os.remove(sim)
        if not args.skip_large:
            for gb in args.sizes_gb:
                path = os.path.join(work, f"synthetic_{gb:g}GB.ptu")
                n_ph = int(gb * 2**30 / 4 / 1.3)  # ~1.3 records per photon at 1 Mcps, 5 MHz
                write_synthetic_ptu(path, n_ph, "HydraHarp2T3", rate_cps=1e6, block=10_000_000)
                r = measure(path, work)
                res["runs"][f"synthetic_{gb:g}GB"] = r
                print(f"{gb:g} GB ({r['bytes'] / 2**30:.2f} GiB): decode {r['decode_wall_s']:.1f} s / "
                      f"{r['decode_peak_rss_mb']:.0f} MB; analyze {r['analyze_wall_s']:.1f} s / "
                      f"{r['analyze_peak_rss_mb']:.0f} MB; ratio {r['analyze_over_decode']:.2f}", flush=True)
                os.remove(path)
        print("saved", save("analyze", res))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
