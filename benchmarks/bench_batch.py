"""``tttr batch`` wall time over N simulated files with 1 and 2 local worker processes.

Each configuration runs as its own command-line process (``tttr batch DIR --out OUT --jobs J
--json``), so the times include start-up, worker start-up and the summary/figures, as a user
sees them. Results go to ``benchmarks/results/batch.json``.

    python benchmarks/bench_batch.py            # 50 files of 10 s, jobs 1 and 2
    python benchmarks/bench_batch.py --n 20 --duration 5 --jobs 1 2 4
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import machine, save

MODELS = ("auger", "bc", "mixed", "nonblinking")
RUN = "import sys; from tttr_cli.batch import batch; batch(sys.argv[1:])"


def make_files(folder: Path, n: int, duration_s: float) -> float:
    """n simulated T3 PTU files in two sub-folders; returns the seconds it took."""
    from tttr.simulate import simulate_to_file

    t0 = time.perf_counter()
    for i in range(n):
        sub = folder / f"qd{i % 2}"
        sub.mkdir(parents=True, exist_ok=True)
        simulate_to_file(sub / f"m{i:03d}.ptu", model=MODELS[i % len(MODELS)], mode="t3", seed=1000 + i,
                         duration_s=duration_s, force=True)
    return time.perf_counter() - t0


def _table(path: Path) -> list[dict]:
    import csv

    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def run(in_dir: Path, out_dir: Path, jobs: int) -> dict:
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", RUN, str(in_dir), "--out", str(out_dir), "--jobs", str(jobs), "--json"],
                       capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode not in (0, 1):
        raise RuntimeError(f"tttr batch failed ({r.returncode}): {r.stderr[-2000:]}")
    d = json.loads(r.stdout)
    return {"jobs": jobs, "wall_s": round(wall, 3), "batch_elapsed_s": round(d["elapsed_s"], 3),
            "n_ok": d["n_ok"], "n_failed": d["n_failed"]}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=50, help="number of files")
    ap.add_argument("--duration", type=float, default=10.0, help="seconds of measurement per file")
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tttr-bench-batch-") as tmp:
        tmp = Path(tmp)
        sim_s = make_files(tmp / "in", args.n, args.duration)
        n_bytes = sum(p.stat().st_size for p in (tmp / "in").rglob("*.ptu"))
        runs = []
        for j in args.jobs:
            r = run(tmp / "in", tmp / f"out_j{j}", j)
            r["s_per_file"] = round(r["wall_s"] / args.n, 3)
            runs.append(r)
            print(f"jobs {j}: {r['wall_s']:.1f} s wall ({r['s_per_file']:.2f} s/file), "
                  f"{r['n_ok']} ok, {r['n_failed']} failed", file=sys.stderr)
        tables = [_table(tmp / f"out_j{j}" / "summary.csv") for j in args.jobs]
        differ = sorted({f"{row['path']}: {k}" for t in tables[1:] for row, ref in zip(t, tables[0])
                         for k in ref if row.get(k) != ref[k]})
        same = not differ and all(len(t) == len(tables[0]) for t in tables)
    base = runs[0]["wall_s"]
    for r in runs:
        r["speedup_vs_first"] = round(base / r["wall_s"], 3)
    result = {"benchmark": "tttr batch over simulated files, local process pool",
              "n_files": args.n, "file_duration_s": args.duration, "models": list(MODELS), "mode": "t3",
              "input_mb": round(n_bytes / 1e6, 1), "simulation_s": round(sim_s, 1),
              "runs": runs, "summaries_identical": same, "differing_cells": differ[:20], "machine": machine()}
    path = save("batch", result)
    print(json.dumps({k: result[k] for k in ("n_files", "runs", "summaries_identical", "differing_cells")}, indent=2))
    print(f"saved {path}", file=sys.stderr)
    return result


if __name__ == "__main__":
    main()
