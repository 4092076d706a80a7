"""Decoding speed: tttr (streaming and whole-file) vs ptufile vs tttrlib vs phconvert, one run.

Usage: python benchmarks/bench_decode.py [--size-mb 500] [--repeat 3] [--keep]

Writes a HydraHarp V2 T3 and a Generic T2 PTU of about ``--size-mb`` each (tttr's writer),
then decodes each with every tool in the same process, ``--repeat`` times, interleaved, and
reports the median records per second and the ratio to tttr. The floor is reading the same
bytes with ``numpy.fromfile`` and summing them. The page cache is warm for every tool.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from synth import write_synthetic_ptu  # noqa: E402
from timing import machine, median_time, save  # noqa: E402

import tttr  # noqa: E402


def tools(path, t3: bool):
    """name -> zero-argument callable that decodes the whole file."""
    out = {}

    def floor():
        with open(path, "rb") as fh:
            fh.seek(tttr.open(path)._data_offset)
            return int(np.fromfile(fh, np.uint32).sum(dtype=np.uint64))

    out["numpy.fromfile + sum (floor)"] = floor

    def ours_stream():
        n = 0
        for c in tttr.open(path).chunks():
            n += len(c)
        return n

    out["tttr streaming (2^20 records/chunk)"] = ours_stream
    out["tttr whole file"] = lambda: len(tttr.read(path))
    try:
        import ptufile

        def pf():
            with ptufile.PtuFile(path) as f:
                return f.decode_records().shape[0]

        out["ptufile"] = pf
    except ImportError:
        pass
    try:
        import tttrlib

        out["tttrlib"] = lambda: len(tttrlib.TTTR(str(path), "PTU").macro_times)
    except ImportError:
        pass
    try:
        import phconvert.pqreader as pq

        out["phconvert"] = lambda: len(pq.load_ptu(str(path))[0])
    except ImportError:
        pass
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mb", type=float, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dir", default=None, help="where to write the test files (default: a temp dir)")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args(argv)
    workdir = args.dir or tempfile.mkdtemp(prefix="tttr-bench-")
    result = {"machine": machine(), "size_mb": args.size_mb, "repeat": args.repeat, "files": {}}
    for rtype in ("HydraHarp2T3", "GenericT2"):
        path = os.path.join(workdir, f"bench_{rtype}.ptu")
        ratio = 1.06 if rtype.endswith("T3") else 1.5  # records per photon (overflows), measured
        n_ph = int(args.size_mb * 2**20 / 4 / ratio)
        if not os.path.exists(path):
            print(f"writing {path} ...", file=sys.stderr)
            write_synthetic_ptu(path, n_ph, rtype)
        info = tttr.open(path).info
        n_rec = info.n_records
        t3 = info.is_t3
        fns = tools(path, t3)
        for fn in fns.values():  # warm page cache and JIT
            fn()
        times = {k: [] for k in fns}
        for _ in range(args.repeat):  # interleave the tools: same machine conditions
            for k, fn in fns.items():
                times[k].append(median_time(fn, 1)[0])
        rows = {}
        ours = np.median(times["tttr whole file"])
        for k, ts in times.items():
            med = float(np.median(ts))
            rows[k] = {"median_s": med, "records_per_s": n_rec / med, "times_s": ts, "time_vs_tttr_whole": med / ours}
        result["files"][rtype] = {"n_records": n_rec, "bytes": os.path.getsize(path), "rows": rows}
        print(f"\n{rtype}: {n_rec:,} records, {os.path.getsize(path) / 2**20:.0f} MiB")
        print(f"{'tool':40s} {'median s':>9s} {'Mrec/s':>8s} {'time / tttr whole':>18s}")
        for k, r in rows.items():
            print(f"{k:40s} {r['median_s']:9.3f} {r['records_per_s'] / 1e6:8.1f} {r['time_vs_tttr_whole']:18.2f}")
        if not args.keep:
            os.remove(path)
    print("\nsaved", save("decode", result))


if __name__ == "__main__":
    main()
