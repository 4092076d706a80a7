"""What writing the report costs: figures + HTML + summary page per file, against analyze alone.

Usage: python benchmarks/bench_report.py [--repeat 3] [--profile FILE] [files ...]

For each file (default: every time-tag sample in data/samples): the wall time of one
``analyze`` (no plots; for scale), and the median over ``--repeat`` runs of ``write_report``
without plots (JSON + arrays) and with plots (every figure as PNG, the summary page as PNG
and PDF, the HTML report), as wall time and as CPU time of this process. The report adds
``plots - no plots`` seconds per file; the goal is < 2 s. On a shared machine the CPU time is
the steadier number (the wall time grows with the load of the other processes).
``--profile NAME`` also writes a cProfile of one plotted write of each file to ``NAME.FILE.prof``
and prints its 15 most expensive functions (cumulative time). Results go to
benchmarks/results/report.json.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
from timing import machine, save  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "data" / "samples"


def _median_times(fn, repeat: int) -> tuple[float, float, list]:
    """Median wall and CPU time (s) of this process over ``repeat`` calls of ``fn``, and the wall times."""
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu), wall


def _samples() -> list[Path]:
    real = [p for p in sorted((SAMPLES / "real").iterdir()) if p.suffix in (".ptu", ".ht3", ".spc")]
    return sorted(SAMPLES.glob("sim_*.ptu")) + real


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", default=None, help="write cProfile output to PROFILE.<file>.prof")
    args = ap.parse_args(argv)

    import matplotlib

    matplotlib.use("Agg")
    from tttr.pipeline import analyze
    from tttr.report_io import write_report

    files = args.files or _samples()
    rows = []
    print(f"{'file':42s} {'analyze s':>10s} {'no plots s':>10s} {'plots s':>9s} {'added s':>8s} {'added cpu s':>11s}")
    for path in files:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            report = analyze(str(path))
            t_analyze = time.perf_counter() - t0
            with tempfile.TemporaryDirectory() as tmp:
                if not rows:
                    write_report(report, tmp, plots=True, force=True)  # warm-up: fonts, matplotlib caches
                t_plain, c_plain, _ = _median_times(lambda: write_report(report, tmp, force=True), args.repeat)
                t_plots, c_plots, times = _median_times(lambda: write_report(report, tmp, plots=True, force=True),
                                                        args.repeat)
                if args.profile:
                    prof = cProfile.Profile()
                    prof.runcall(write_report, report, tmp, plots=True, force=True)
                    out = f"{args.profile}.{path.name}.prof"
                    prof.dump_stats(out)
                    pstats.Stats(out).sort_stats("cumulative").print_stats(15)
        added = t_plots - t_plain
        added_cpu = c_plots - c_plain
        rel = path.relative_to(REPO).as_posix() if path.is_relative_to(REPO) else str(path)
        rows.append({"file": rel, "analyze_s": t_analyze, "write_no_plots_s": t_plain, "write_plots_s": t_plots,
                     "added_s": added, "added_cpu_s": added_cpu, "plots_times_s": times})
        print(f"{rel:42s} {t_analyze:10.2f} {t_plain:10.3f} {t_plots:9.2f} {added:8.2f} {added_cpu:11.2f}")
    wall = [r["added_s"] for r in rows]
    cpu = [r["added_cpu_s"] for r in rows]
    print(f"added by the report per file: wall median {statistics.median(wall):.2f} s (max {max(wall):.2f}), "
          f"CPU median {statistics.median(cpu):.2f} s (max {max(cpu):.2f}); goal < 2 s; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    path = save("report", {"repeat": args.repeat, "machine": machine(), "load_average": os.getloadavg()[0],
                           "files": rows, "added_median_s": statistics.median(wall),
                           "added_cpu_median_s": statistics.median(cpu), "added_max_s": max(wall)})
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
