"""Confusion matrix of the FLID blinking-type verdict on simulated photon files.

For every emitter model (auger, bc, mixed, nonblinking) and seed, a 10-minute T3 file at
≈ 50 kcps is simulated with ``tttr.simulate.simulate_to_file``, analysed with the pipeline of
docs/flid.md (one binned pass, region lifetimes, background from the region fits, MLE FLID
map, ``fit_flid``) with both objectives, and deleted. The recovery of A_Auger : A_BC is
measured on ``random_flid`` maps (bins that follow Eq. 3), since the simulator's mixed
emitter has no Eq. 3 amplitudes.

Writes the tables of docs/flid.md between the ``flid-confusion`` markers (with ``--write``),
so that no number there is typed by hand. Seeds are fixed: the tables are reproducible.

Usage: python benchmarks/flid_confusion.py [--seeds 20] [--duration 600] [--jobs 2] [--write]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np

DOC = Path(__file__).resolve().parents[1] / "docs" / "flid.md"
START, END = "<!-- flid-confusion:start -->", "<!-- flid-confusion:end -->"

MODELS = ("auger", "bc", "mixed", "nonblinking")
VERDICTS = ("auger", "bc", "mixed", "undetermined")
EXPECTED = {"auger": "auger", "bc": "bc", "mixed": "mixed", "nonblinking": "undetermined"}
# ≈ 50 kcps time-averaged signal; truncated power-law dwells (α = 1.5, t_min = 1 ms, τ_c = 1 s)
DWELLS = dict(dwell_law_on="truncated_power_law", dwell_law_off="truncated_power_law")
EMITTERS = {
    "auger": {},
    "bc": dict(exciton_intensity_counts_per_10ms=800.0),
    "mixed": dict(exciton_intensity_counts_per_10ms=1080.0, trion_intensity_counts_per_10ms=398.0,
                  detection_efficiency=0.3),
    "nonblinking": dict(exciton_intensity_counts_per_10ms=500.0),
}
SEED0 = 1000


def one_run(args):
    model, seed, duration, tmpdir = args
    from tttr.analysis.flid import binned_pass, flid_map, region_lifetimes
    from tttr.analysis.models import fit_flid, region_background_counts
    from tttr.errors import AnalysisError
    from tttr.simulate import simulate_to_file

    path = Path(tmpdir) / f"{model}_{seed}.ptu"
    t0 = time.perf_counter()
    truth = simulate_to_file(path, model=model, mode="t3", seed=seed, duration_s=duration, force=True,
                             **DWELLS, **EMITTERS[model])
    t1 = time.perf_counter()
    binned = binned_pass(path)
    t2 = time.perf_counter()
    try:
        regions = region_lifetimes(binned)
    except AnalysisError:  # one intensity level: a single region over everything
        regions = region_lifetimes(binned, regions=[(0, int(binned.intensity().max()))])
    bg = region_background_counts(binned, regions)
    fmap = flid_map(binned, estimator="mle", background_counts=bg)
    t3 = time.perf_counter()
    out = {"model": model, "seed": seed, "cps": truth["acquisition"]["mean_signal_cps"],
           "truth": {k: truth[k] for k in ("I1_counts_per_10ms", "I2_counts_per_10ms", "tau1_ns", "tau2_ns", "beta")},
           "bg": bg, "bg_truth": truth["acquisition"]["background_counts_per_10ms"] * fmap.window_ns / 200.0,
           "t_simulate": t1 - t0, "t_pass": t2 - t1, "t_map": t3 - t2}
    for objective in ("binned", "odr"):
        ts = time.perf_counter()
        fit = fit_flid(fmap, regions=regions, background_counts=bg, objective=objective)
        out[f"t_fit_{objective}"] = time.perf_counter() - ts
        f = fit.models["mixed"].value("f") if "mixed" in fit.models else None
        rec = {"verdict": fit.verdict, "margin": fit.margin, "beta": fit.beta, "ratio": fit.auger_bc_ratio, "f": f,
               "curv_z": fit.curvature["z"], "excluded": fit.switching_excluded}
        if "auger" in fit.models:
            a = fit.models["auger"]
            rec["endpoints"] = {k: a.value(k) for k in ("i1", "i2", "tau1", "tau2")}
        out[objective] = rec
    path.unlink()
    Path(str(path) + ".truth.json").unlink()
    return out


def synthetic(seeds: int) -> list[dict]:
    from tttr.analysis.models import fit_flid, random_flid

    rows = []
    for f in (0.25, 0.5):
        for objective in ("binned", "odr"):
            r = [fit_flid(random_flid(f=f, rng=s), objective=objective) for s in range(seeds)]
            rows.append({"f": f, "objective": objective, "truth": (1 - f) / f,
                         "ratio": np.array([x.auger_bc_ratio for x in r]),
                         "err": np.array([x.auger_bc_ratio_err for x in r]),
                         "verdicts": [x.verdict for x in r]})
    return rows


def confusion(runs, objective):
    rows = ["| simulated \\ verdict | " + " | ".join(VERDICTS) + " | right |", "|---" * (len(VERDICTS) + 2) + "|"]
    right_all = total = 0
    for m in MODELS:
        v = [r[objective]["verdict"] for r in runs if r["model"] == m]
        counts = [sum(x == c for x in v) for c in VERDICTS]
        right = sum(x == EXPECTED[m] for x in v)
        right_all += right
        total += len(v)
        rows.append(f"| {m} | " + " | ".join(str(c) for c in counts) + f" | {right}/{len(v)} ({right / len(v):.0%}) |")
    rows.append(f"| **all** | | | | | **{right_all}/{total} ({right_all / total:.1%})** |")
    return rows


def fmt_stats(a, digits=2):
    a = np.asarray([x for x in a if x is not None and np.isfinite(x)], float)
    if a.size == 0:
        return "–"
    return f"{a.mean():.{digits}f} ± {a.std(ddof=1) if a.size > 1 else 0:.{digits}f}"


def tables(runs, synth, args, wall) -> list[str]:
    out = [f"Command: `python benchmarks/flid_confusion.py --seeds {args.seeds} --duration {args.duration:g} "
           f"--jobs {args.jobs} --write` ({len(runs)} files, {wall / 60:.1f} min wall time on {args.jobs} "
           f"process(es)).", ""]
    for m in MODELS:
        cps = [r["cps"] for r in runs if r["model"] == m]
        out.append(f"- {m}: {len(cps)} seeds ({SEED0}…{SEED0 + args.seeds - 1}), mean signal "
                   f"{min(cps) / 1e3:.1f}–{max(cps) / 1e3:.1f} kcps")
    out += ["", "**Verdicts, binned objective (default).**", ""] + confusion(runs, "binned")
    out += ["", "**Verdicts, odr objective.**", ""] + confusion(runs, "odr")
    out += ["", "**Margins and diagnostics (binned).** ΔBIC of the verdict (see `FlidFit.margin`), β from the "
            "region-gated decays, residual curvature z of the Auger fit, BC fraction f = A_BC of the mixed fit "
            "(A_Auger = 1 − f), fraction of bins left out as switching (mean ± sd over the seeds).", "",
            "| simulated | ΔBIC min | ΔBIC median | β | curvature z | f = A_BC | switching left out |",
            "|---|---|---|---|---|---|---|"]
    for m in MODELS:
        rs = [r["binned"] for r in runs if r["model"] == m]
        mg = [x["margin"] for x in rs if x["margin"] is not None]
        mgs = f"{min(mg):.0f} | {np.median(mg):.0f}" if mg else "– | –"
        out.append(f"| {m} | {mgs} | {fmt_stats([x['beta'] for x in rs])} | {fmt_stats([x['curv_z'] for x in rs], 1)} | "
                   f"{fmt_stats([x['f'] for x in rs])} | "
                   f"{fmt_stats([x['excluded'] for x in rs])} |")
    out += ["", "**Auger endpoints** (simulated auger emitter; I in signal counts per 10 ms after subtracting the "
            "background, τ1/τ2 the region lifetimes the curve is anchored at). Error = fit/truth − 1 over the seeds.", "",
            "| objective | parameter | truth | mean fit | mean error | max abs error |", "|---|---|---|---|---|---|"]
    names = {"i1": "I1_counts_per_10ms", "i2": "I2_counts_per_10ms", "tau1": "tau1_ns", "tau2": "tau2_ns"}
    for objective in ("binned", "odr"):
        rs = [r for r in runs if r["model"] == "auger"]
        for p, tk in names.items():
            fit = np.array([r[objective]["endpoints"][p] for r in rs])
            tru = np.array([r["truth"][tk] for r in rs])
            e = fit / tru - 1
            out.append(f"| {objective} | {p} | {tru.mean():.4g} | {fit.mean():.4g} | {e.mean():+.2%} | {np.abs(e).max():.2%} |")
    bgs = np.array([r["bg"] / r["bg_truth"] - 1 for r in runs])
    out += ["", f"Background per bin from the region fits (`region_background_counts`) against the truth: "
            f"mean error {bgs.mean():+.1%}, range {bgs.min():+.1%} … {bgs.max():+.1%} (all models).", ""]
    out += ["**A_Auger : A_BC on maps that follow Eq. 3** (`random_flid`, 60 000 bins = 10 min of 10 ms, "
            f"{len(synth[0]['ratio'])} seeds each).", "",
            "| A_Auger : A_BC | objective | mean ratio | bias | spread (sd) | mean error bar | within 20 % | verdict mixed |",
            "|---|---|---|---|---|---|---|---|"]
    for s in synth:
        r, t = s["ratio"], s["truth"]
        out.append(f"| {t:g} : 1 | {s['objective']} | {r.mean():.3f} | {r.mean() / t - 1:+.1%} | {r.std(ddof=1):.3f} | "
                   f"{s['err'].mean():.3f} | {np.mean(np.abs(r / t - 1) < 0.2):.0%} | "
                   f"{np.mean([v == 'mixed' for v in s['verdicts']]):.0%} |")
    keys = ("t_simulate", "t_pass", "t_map", "t_fit_binned", "t_fit_odr")
    out += ["", "**Timing per file** (mean over all files, one process each): " +
            ", ".join(f"{k[2:]} {np.mean([r[k] for r in runs]):.2f} s" for k in keys) + "."]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--duration", type=float, default=600.0)
    ap.add_argument("--jobs", type=int, default=max(1, min(2, os.cpu_count() or 1)))
    ap.add_argument("--write", action="store_true", help="replace the tables in docs/flid.md")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="flid_confusion_") as tmp:
        tasks = [(m, SEED0 + s, args.duration, tmp) for s in range(args.seeds) for m in MODELS]
        runs = []
        with Pool(args.jobs) as pool:
            for i, r in enumerate(pool.imap_unordered(one_run, tasks), 1):
                runs.append(r)
                print(f"[{i}/{len(tasks)}] {r['model']} seed {r['seed']}: binned {r['binned']['verdict']} "
                      f"(margin {r['binned']['margin']}), odr {r['odr']['verdict']}", file=sys.stderr, flush=True)
    synth = synthetic(args.seeds)
    wall = time.perf_counter() - t0
    runs.sort(key=lambda r: (MODELS.index(r["model"]), r["seed"]))
    text = "\n".join(tables(runs, synth, args, wall))
    print(text)
    if args.write:
        doc = DOC.read_text()
        if START not in doc or END not in doc:
            raise SystemExit(f"markers {START} … {END} not found in {DOC}")
        new = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: f"{START}\n{text}\n{END}", doc, flags=re.S)
        DOC.write_text(new)
        print(f"wrote {DOC}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
