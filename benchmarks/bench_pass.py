"""One streaming pass (trace + decay + FLID sums together) on a 10-min, 100 kcps T3 file,
next to ``tttr info`` on the same file: wall time and peak memory of each, in subprocesses.

Usage: python benchmarks/bench_pass.py [--duration-s 600] [--keep PATH]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from timing import machine, peak_rss_mb, save  # noqa: E402

PASS = """
import sys, time
import tttr
from tttr.analysis.binned import BinnedAccumulator
from tttr.analysis.lifetime import DecayAccumulator
from tttr.pipeline import stream_pass
s = tttr.open(sys.argv[1])
t = time.perf_counter()
r = stream_pass(s, {"binned": BinnedAccumulator(s.info), "decay": DecayAccumulator(s.info)})
print(time.perf_counter() - t, r["binned"].n_photons, r["binned"].n_bins)
"""


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration-s", type=float, default=600)
    ap.add_argument("--keep", default=None, help="write the file here and keep it")
    args = ap.parse_args(argv)
    from tttr.simulate import simulate_to_file

    path = args.keep or os.path.join(tempfile.mkdtemp(prefix="tttr-pass-"), "nonblinking_100kcps.ptu")
    try:
        if not os.path.exists(path):
            # the non-blinking default is ~100 kcps (science.md scale: 6e7 photons in 10 min)
            simulate_to_file(path, model="nonblinking", mode="t3", seed=1, duration_s=args.duration_s, force=True)
        size = os.path.getsize(path)
        info_mb, info_s = peak_rss_mb(["tttr", "info", "--json", path])
        script = os.path.join(os.path.dirname(path), "_pass.py")
        with open(script, "w") as fh:
            fh.write(PASS)
        import subprocess

        pass_mb, pass_wall = peak_rss_mb([sys.executable, script, path])
        out = subprocess.run([sys.executable, script, path], capture_output=True, text=True, check=True).stdout.split()
        res = {"machine": machine(), "file_bytes": size, "n_photons": int(out[1]), "n_bins": int(out[2]),
               "tttr_info_wall_s": info_s, "tttr_info_peak_rss_mb": info_mb,
               "one_pass_wall_s_process": pass_wall, "one_pass_compute_s": float(out[0]), "one_pass_peak_rss_mb": pass_mb}
        print(f"{res['n_photons']:,} photons, {size / 2**20:.0f} MiB")
        print(f"tttr info:              {info_s:6.2f} s wall (process), peak RSS {info_mb:6.0f} MB")
        print(f"trace+decay+FLID pass:  {pass_wall:6.2f} s wall (process; {float(out[0]):.2f} s in the pass), "
              f"peak RSS {pass_mb:6.0f} MB")
        print("saved", save("one_pass", res))
    finally:
        if not args.keep and os.path.exists(path):
            os.remove(path)


if __name__ == "__main__":
    main()
