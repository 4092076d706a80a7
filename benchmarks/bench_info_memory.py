"""Peak memory and wall time of ``tttr info`` on a large PTU (generated, then deleted).

Usage: python benchmarks/bench_info_memory.py [--size-gb 2] [--record-type HydraHarp2T3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from synth import write_synthetic_ptu  # noqa: E402
from timing import machine, peak_rss_mb, save  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-gb", type=float, default=2.0)
    ap.add_argument("--record-type", default="HydraHarp2T3")
    ap.add_argument("--dir", default=None)
    args = ap.parse_args(argv)
    d = args.dir or tempfile.mkdtemp(prefix="tttr-mem-")
    path = os.path.join(d, f"big_{args.record_type}.ptu")
    try:
        n_ph = int(args.size_gb * 2**30 / 4 / 1.06)
        print(f"writing {path} ({args.size_gb} GiB) ...", file=sys.stderr)
        write_synthetic_ptu(path, n_ph, args.record_type, block=10_000_000)
        size = os.path.getsize(path)
        base_mb, _ = peak_rss_mb([sys.executable, "-c", "import tttr, tttr.summary, numba, numpy"])
        mb, wall = peak_rss_mb(["tttr", "info", "--json", path])
        res = {"machine": machine(), "file_bytes": size, "record_type": args.record_type,
               "tttr_info_peak_rss_mb": mb, "tttr_info_wall_s": wall, "import_only_peak_rss_mb": base_mb}
        print(f"file {size / 2**30:.2f} GiB: tttr info peak RSS {mb:.0f} MB (imports alone {base_mb:.0f} MB), "
              f"wall {wall:.1f} s, {size / 2**20 / wall:.0f} MiB/s")
        print("saved", save(f"info_memory_{args.size_gb:g}gb", res))
    finally:
        if os.path.exists(path):
            os.remove(path)


if __name__ == "__main__":
    main()
