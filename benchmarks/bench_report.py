"""What writing the report costs: figures + HTML + summary page per file, against analyze alone.

Usage: python benchmarks/bench_report.py [--repeat 3] [--profile FILE] [files ...]

For each file (default: every time-tag sample in data/samples): the median wall time of
``analyze`` (no plots), of ``write_report`` without plots (JSON + arrays) and of
``write_report`` with plots (every figure as PNG, the summary page as PNG and PDF, the HTML
report). The report adds ``plots - no plots`` seconds per file; the goal is < 2 s.
``--profile NAME`` also writes a cProfile of one plotted write of each file to ``NAME.FILE.prof``
and prints its 15 most expensive functions (cumulative time). Results go to
benchmarks/results/report.json.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import warnings
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
from timing import machine, median_time, save  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "data" / "samples"


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
    print(f"{'file':42s} {'analyze s':>10s} {'no plots s':>10s} {'plots s':>9s} {'added s':>8s}")
    for path in files:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_analyze, _ = median_time(lambda: analyze(str(path)), args.repeat)
            report = analyze(str(path))
            with tempfile.TemporaryDirectory() as tmp:
                t_plain, _ = median_time(lambda: write_report(report, tmp, force=True), args.repeat)
                t_plots, times = median_time(lambda: write_report(report, tmp, plots=True, force=True), args.repeat)
                if args.profile:
                    prof = cProfile.Profile()
                    prof.runcall(write_report, report, tmp, plots=True, force=True)
                    out = f"{args.profile}.{path.name}.prof"
                    prof.dump_stats(out)
                    pstats.Stats(out).sort_stats("cumulative").print_stats(15)
        added = t_plots - t_plain
        rel = path.relative_to(REPO).as_posix() if path.is_relative_to(REPO) else str(path)
        rows.append({"file": rel, "analyze_s": t_analyze, "write_no_plots_s": t_plain, "write_plots_s": t_plots,
                     "added_s": added, "plots_times_s": times})
        print(f"{rel:42s} {t_analyze:10.2f} {t_plain:10.3f} {t_plots:9.2f} {added:8.2f}")
    added = sorted(r["added_s"] for r in rows)
    median = added[len(added) // 2] if len(added) % 2 else 0.5 * (added[len(added) // 2 - 1] + added[len(added) // 2])
    print(f"added by the report per file: median {median:.2f} s, max {added[-1]:.2f} s (goal < 2 s)")
    path = save("report", {"repeat": args.repeat, "machine": machine(), "files": rows,
                           "added_median_s": median, "added_max_s": added[-1]})
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
