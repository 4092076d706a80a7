"""The FLID verdict as a classifier over a grid of simulated emitters of known type.

Every cell of the grid is one emitter (Auger, BC with two, five or a continuum of levels,
mixed at A_Auger : A_BC = 3 : 1 and 1 : 1, non-blinking) varied one factor at a time around
seed 001's numbers: switching faster than the bin and far slower, count rate 10–300 kcps,
background 0–10 %, τ1/τ2 from 2 to 8, bin widths 1, 10 and 50 ms. For each seed the photons
are simulated in memory (``tttr.simulate.SimulatedStream``), analysed as ``tttr analyze``
does (one binned pass, region lifetimes for the background, the default ``"mean"`` FLID map,
``fit_flid``), and one JSON line is appended to ``benchmarks/results/validation_flid.json``.
The runner is resumable: (cell, seed) pairs already in the file are skipped, so it can be
stopped and restarted, and run under a time budget.

Usage::

    python benchmarks/validation.py [--quick] [--seeds 20] [--jobs 2] [--budget-min 60]
                                    [--duration 120] [--table] [--write]

``--table`` prints the per-cell table from the results file; ``--write`` puts it into
docs/validation.md between the ``validation-flid`` markers.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "validation_flid.json"
DOC = ROOT / "docs" / "validation.md"
START, END = "<!-- validation-flid:start -->", "<!-- validation-flid:end -->"
GRID_VERSION = "flid-5"
SEED0 = 5000
VERDICTS = ("auger", "bc", "mixed", "undetermined")

# seed 001's exciton (760 counts per 10 ms, 24.7 ns) and trion (β = 1.82, 5 ns)
TAU1, I1, BETA, TAU2 = 24.7, 760.0, 1.82, 5.0
DWELLS = dict(dwell_law_on="truncated_power_law", dwell_law_off="truncated_power_law", alpha_on=1.5, alpha_off=1.5,
              t_min_on_s=1e-3, t_min_off_s=1e-3, truncation_on_s=1.0, truncation_off_s=1.0)


def _trion(i1=I1, tau2=TAU2, beta=BETA, tau1=TAU1):
    return dict(exciton_intensity_counts_per_10ms=i1, exciton_lifetime_ns=tau1, trion_lifetime_ns=tau2,
                trion_intensity_counts_per_10ms=beta * i1 * tau2 / tau1)


def _dwell(t_min, tau_c):
    return dict(t_min_on_s=t_min, t_min_off_s=t_min, truncation_on_s=tau_c, truncation_off_s=tau_c)


def _bg(fraction, mean_signal_cps):
    """background_cps (light) for a background share of all photons (dark counts 2 × 100 cps)."""
    total = fraction / (1.0 - fraction) * mean_signal_cps
    return dict(background_cps=max(total - 200.0, 0.0), dark_counts_cps=(100.0, 100.0) if total >= 200 else
                (total / 2, total / 2))


HIGH = dict(repetition_rate_hz=10e6, mean_excitons_per_pulse=0.3)  # enough excitation for 300 kcps
BC5 = (19.0, 14.0, 10.0, 6.5, 3.5)
BC_CONT = tuple(np.round(np.linspace(3.0, 22.0, 40), 3))


def cells() -> dict:
    """name -> (expected verdict, simulator parameters, bin width s)."""
    c = {}
    a = dict(model="auger", **DWELLS, **_trion())
    c["auger/base"] = ("auger", a, 0.01)
    c["auger/fast(2ms)"] = ("auger", {**a, **_dwell(2e-3, 1.0)}, 0.01)
    c["auger/slow(500ms)"] = ("auger", {**a, **_dwell(0.5, 5.0)}, 0.01)
    c["auger/10kcps"] = ("auger", {**a, **_trion(i1=100.0)}, 0.01)
    c["auger/300kcps"] = ("auger", {**a, **HIGH, **_trion(i1=3000.0)}, 0.01)
    c["auger/bg5%"] = ("auger", {**a, **_bg(0.05, 52e3)}, 0.01)
    c["auger/bg10%"] = ("auger", {**a, **_bg(0.10, 52e3)}, 0.01)
    c["auger/tau-ratio2"] = ("auger", {**a, **_trion(tau2=TAU1 / 2)}, 0.01)
    c["auger/tau-ratio8"] = ("auger", {**a, **_trion(tau2=TAU1 / 8)}, 0.01)
    c["auger/bin1ms"] = ("auger", a, 0.001)
    c["auger/bin50ms"] = ("auger", a, 0.05)
    c["auger/10kcps-bg10%"] = ("auger", {**a, **_trion(i1=100.0), **_bg(0.10, 7e3)}, 0.01)
    c["auger/2000-700"] = ("auger", {**a, **HIGH, **_trion(i1=2000.0, beta=700 * TAU1 / (2000 * TAU2))}, 0.01)
    b2 = dict(model="bc", **DWELLS, bc_level_lifetimes_ns=(8.0,))
    c["bc2/base"] = ("bc", b2, 0.01)
    c["bc2/fast(2ms)"] = ("bc", {**b2, **_dwell(2e-3, 1.0)}, 0.01)
    c["bc2/slow(500ms)"] = ("bc", {**b2, **_dwell(0.5, 5.0)}, 0.01)
    c["bc2/10kcps"] = ("bc", {**b2, "exciton_intensity_counts_per_10ms": 100.0}, 0.01)
    c["bc2/300kcps"] = ("bc", {**b2, **HIGH, "exciton_intensity_counts_per_10ms": 3000.0}, 0.01)
    c["bc2/bg10%"] = ("bc", {**b2, **_bg(0.10, 50e3)}, 0.01)
    c["bc2/bin1ms"] = ("bc", b2, 0.001)
    c["bc2/bin50ms"] = ("bc", b2, 0.05)
    b5 = dict(model="bc", **DWELLS, bc_level_lifetimes_ns=BC5)
    c["bc5/base"] = ("bc", b5, 0.01)
    c["bc5/fast(2ms)"] = ("bc", {**b5, **_dwell(2e-3, 1.0)}, 0.01)
    c["bc5/bg10%"] = ("bc", {**b5, **_bg(0.10, 45e3)}, 0.01)
    bcc = dict(model="bc", **DWELLS, bc_level_lifetimes_ns=BC_CONT)
    c["bc-continuum/base"] = ("bc", bcc, 0.01)
    c["bc-continuum/300kcps"] = ("bc", {**bcc, **HIGH, "exciton_intensity_counts_per_10ms": 3000.0}, 0.01)
    m = dict(model="mixed", **DWELLS, **_trion(), bc_level_lifetimes_ns=(15.0,))
    c["mixed3:1/base"] = ("mixed", {**m, "auger_share": 0.75}, 0.01)
    c["mixed1:1/base"] = ("mixed", {**m, "auger_share": 0.5}, 0.01)
    c["mixed3:1/bg5%"] = ("mixed", {**m, "auger_share": 0.75, **_bg(0.05, 52e3)}, 0.01)
    c["mixed3:1/300kcps"] = ("mixed", {**m, **HIGH, **_trion(i1=3000.0), "auger_share": 0.75}, 0.01)
    c["nonblinking/base"] = ("undetermined", dict(model="nonblinking", exciton_intensity_counts_per_10ms=500.0), 0.01)
    return c


QUICK = ("auger/base", "auger/fast(2ms)", "auger/bg10%", "bc2/base", "bc5/base", "bc-continuum/base",
         "mixed3:1/base", "nonblinking/base")


def one_run(args):
    name, seed, duration = args
    from tttr.analysis.binned import BinnedAccumulator
    from tttr.analysis.flid import flid_map, region_lifetimes
    from tttr.analysis.models import fit_flid
    from tttr.errors import AnalysisError
    from tttr.simulate import SimulatedStream

    expected, params, bin_s = cells()[name]
    t0 = time.perf_counter()
    sim = SimulatedStream(mode="t3", seed=seed, duration_s=duration, **params)
    acc = BinnedAccumulator(sim.info, bin_width_s=bin_s)
    for ch in sim.chunks():
        acc.add(ch)
    binned = acc.result()
    t1 = time.perf_counter()
    try:
        regions = region_lifetimes(binned)
    except AnalysisError:  # one level: one region over everything, for the background
        regions = region_lifetimes(binned, regions=[(0, int(binned.intensity().max()))])
    fmap = flid_map(binned, estimator="mean")
    t2 = time.perf_counter()
    fit = fit_flid(fmap, regions=regions)
    t3 = time.perf_counter()
    truth = sim.truth()
    beta_true = truth.get("beta")
    ev = fit.evidence or {}
    return {"grid": GRID_VERSION, "cell": name, "seed": seed, "duration_s": duration, "bin_width_s": bin_s,
            "expected": expected, "verdict": fit.verdict, "reason": fit.reason,
            "beta": _f(fit.beta), "beta_err": _f(fit.beta_err), "beta_true": beta_true,
            "votes": ev.get("votes"), "kinds": [lv["kind"] for lv in ev.get("levels", [])],
            "mean_signal_cps": truth["acquisition"]["mean_signal_cps"],
            "background_share": truth["acquisition"]["n_background_photons"] / max(truth["acquisition"]["n_photons"], 1),
            "realized_a_auger_a_bc": (truth.get("mixture") or {}).get("realized_a_auger_a_bc"),
            "auger_bc_ratio": _f(fit.auger_bc_ratio),
            "t_simulate_pass_s": t1 - t0, "t_regions_map_s": t2 - t1, "t_fit_flid_s": t3 - t2}


def _f(x):
    return float(x) if x is not None and np.isfinite(x) else None


def load() -> list:
    if not RESULTS.exists():
        return []
    out = []
    for line in RESULTS.read_text().splitlines():
        if line.strip():
            r = json.loads(line)
            if r.get("grid") == GRID_VERSION:
                out.append(r)
    return out


def run(names, seeds, duration, jobs, budget_s):
    done = {(r["cell"], r["seed"]) for r in load()}
    todo = [(n, SEED0 + k, duration) for k in range(seeds) for n in names if (n, SEED0 + k) not in done]
    print(f"{len(done)} runs on file, {len(todo)} to do", flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    t_start = time.time()
    with open(RESULTS, "a") as fh, Pool(jobs) as pool:
        for rec in pool.imap_unordered(one_run, todo):
            fh.write(json.dumps(rec) + "\n")
            fh.flush()
            print(f"{rec['cell']:24s} {rec['seed']} {rec['verdict']:12s} β={rec['beta']} "
                  f"fit {rec['t_fit_flid_s']:.2f}s", flush=True)
            if time.time() - t_start > budget_s:
                print("time budget reached; stopping (rerun to resume)", flush=True)
                pool.terminate()
                break


def table(runs) -> list:
    grid = cells()
    rows = ["| cell | expected | n | " + " | ".join(VERDICTS) + " | right | β − truth (mean ± sd) | β_err (median) "
            "| time/file: sim+pass, map, fit_flid (s) |", "|---" * (len(VERDICTS) + 7) + "|"]
    for name in grid:
        rs = [r for r in runs if r["cell"] == name]
        if not rs:
            continue
        n = len(rs)
        frac = [sum(r["verdict"] == v for r in rs) / n for v in VERDICTS]
        right = sum(r["verdict"] == r["expected"] for r in rs) / n
        d = [r["beta"] - r["beta_true"] for r in rs if r["beta"] is not None and r["beta_true"] is not None]
        db = f"{np.mean(d):+.3f} ± {np.std(d, ddof=1) if len(d) > 1 else 0:.3f}" if d else "–"
        be = [r["beta_err"] for r in rs if r["beta_err"] is not None]
        t = [np.mean([r[k] for r in rs]) for k in ("t_simulate_pass_s", "t_regions_map_s", "t_fit_flid_s")]
        rows.append(f"| {name} | {rs[0]['expected']} | {n} | " + " | ".join(f"{x:.0%}" for x in frac)
                    + f" | **{right:.0%}** | {db} | {np.median(be) if be else float('nan'):.3f} | "
                    + f"{t[0]:.1f}, {t[1]:.2f}, {t[2]:.2f} |")
    fits = [r["t_fit_flid_s"] for r in runs]
    if fits:
        rows += ["", f"fit_flid per file: median {np.median(fits):.2f} s, max {np.max(fits):.2f} s over {len(fits)} "
                 "files (shared 2-core machine)."]
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help=f"only the cells {', '.join(QUICK)}, 5 seeds")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--duration", type=float, default=120.0)
    ap.add_argument("--jobs", type=int, default=max(1, min(2, os.cpu_count() or 1)))
    ap.add_argument("--budget-min", type=float, default=60.0)
    ap.add_argument("--cells", default=None, help="comma-separated cell names (default: all)")
    ap.add_argument("--table", action="store_true", help="print the table of the results on file and exit")
    ap.add_argument("--write", action="store_true", help="write the table into docs/validation.md")
    args = ap.parse_args(argv)
    if not (args.table or args.write):
        names = list(QUICK) if args.quick else (args.cells.split(",") if args.cells else list(cells()))
        seeds = min(args.seeds, 5) if args.quick else args.seeds
        run(names, seeds, args.duration, args.jobs, args.budget_min * 60.0)
    rows = table(load())
    print("\n".join(rows))
    if args.write:
        text = DOC.read_text()
        block = START + "\n" + "\n".join(rows) + "\n" + END
        text = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S)
        DOC.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
