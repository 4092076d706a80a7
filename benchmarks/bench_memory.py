"""Peak memory of ``tttr info``, ``tttr analyze`` and ``tttr g2`` against file size and duration.

Usage::

    python benchmarks/bench_memory.py --sizes-gb 0.25 1 2 4 8 [--rate-cps 1e5] [--dir /tmp]
    python benchmarks/bench_memory.py --hours 24 --rate-cps 2e3      # a long, sparse file

Each file is a synthetic HydraHarp T3 PTU (``synth.write_synthetic_ptu``: Poisson photons on
two detectors at ``--rate-cps``, 5 MHz sync), written, measured and deleted. The duration of
a file is its photon count over the rate, so at 1e5 cps an 8 GiB file spans about 5.6 h;
``--hours`` fixes the duration instead of the size (the size follows from the rate). Peak
RSS is GNU time's ``%M`` of a fresh process (imports included). Results go to
``benchmarks/results/memory.json`` (one entry per file, merged with earlier runs).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from synth import write_synthetic_ptu  # noqa: E402
from timing import machine, peak_rss_mb, save  # noqa: E402

COMMANDS = {
    "info": ["info", "--json"],
    "analyze": ["analyze", "--json"],
    "g2": ["g2", "--json"],
}


def measure(path: str, commands) -> dict:
    """Peak RSS (MB) and wall time (s) of each command on ``path``."""
    out = {}
    for name in commands:
        try:
            mb, wall = peak_rss_mb([sys.executable, "-m", "tttr_cli.main", *COMMANDS[name], path])
            out[name] = {"peak_rss_mb": round(mb), "wall_s": round(wall, 1)}
        except RuntimeError as exc:
            out[name] = {"failed": str(exc)[-300:]}
        print(f"  {name}: {out[name]}", file=sys.stderr, flush=True)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes-gb", type=float, nargs="*", default=[])
    ap.add_argument("--hours", type=float, nargs="*", default=[])
    ap.add_argument("--rate-cps", type=float, default=1e5)
    ap.add_argument("--commands", nargs="*", default=list(COMMANDS))
    ap.add_argument("--dir", default=None)
    args = ap.parse_args(argv)
    d = args.dir or tempfile.mkdtemp(prefix="tttr-mem-")
    res_path = os.path.join(os.path.dirname(__file__), "results", "memory.json")
    try:
        results = json.load(open(res_path))["runs"]
    except (OSError, ValueError, KeyError):
        results = []
    base_mb, _ = peak_rss_mb([sys.executable, "-c", "import tttr, tttr.summary, tttr.pipeline, numba, numpy"])
    jobs = [("size", s) for s in args.sizes_gb] + [("hours", h) for h in args.hours]
    for kind, value in jobs:
        n_ph = int(value * 2**30 / 4 / 1.06) if kind == "size" else int(value * 3600 * args.rate_cps)
        path = os.path.join(d, f"mem_{kind}_{value:g}.ptu")
        try:
            print(f"writing {path} ({n_ph} photons at {args.rate_cps:g} cps) ...", file=sys.stderr, flush=True)
            write_synthetic_ptu(path, n_ph, "HydraHarp2T3", rate_cps=args.rate_cps, block=10_000_000)
            size = os.path.getsize(path)
            entry = {"file_bytes": size, "file_gib": round(size / 2**30, 2), "photons": n_ph,
                     "rate_cps": args.rate_cps, "duration_h": round(n_ph / args.rate_cps / 3600, 2),
                     **measure(path, args.commands)}
            results = [r for r in results if not (r["photons"] == n_ph and r["rate_cps"] == args.rate_cps)]
            results.append(entry)
            print(json.dumps(entry), flush=True)
        finally:
            if os.path.exists(path):
                os.remove(path)
    results.sort(key=lambda r: (r["rate_cps"], r["file_bytes"]))
    print("saved", save("memory", {"machine": machine(), "import_only_peak_rss_mb": round(base_mb),
                                   "runs": results}))


if __name__ == "__main__":
    main()
