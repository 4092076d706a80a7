"""Bias, spread and coverage of the reported errors of the report's estimators.

Every cell of a grid of simulated emitters (``tttr.simulate``) is analysed with
``tttr.pipeline.analyze`` exactly as a user's file would be, for seeds 0, 1, 2, ... and each
estimate is compared with the simulator's truth:

- ON fraction (``on_fraction ± on_fraction_err``) against the time-weighted truth;
- Mandel Q at 10 ms (``mandel_q ± mandel_q_err``) against the realised truth (the expectation
  given the run's state trajectory);
- α of the pure power law (cells with pure power-law dwells) and of the truncated power law
  (truncated cells), ON and OFF pooled, against the generator's α (``t_min`` by the report's
  automatic KS search);
- the lifetime of each intensity region (brightest → τ1 of the exciton, dimmest → τ2 of the
  trion), and for non-blinking emitters the whole-file mono-exponential τ.

For each (cell, estimator): bias (mean of estimate − truth, with its standard error),
spread (standard deviation over seeds), the mean reported error, and the coverage: the
fraction of seeds whose interval ``estimate ± k·error`` holds the truth, for k = 1 (nominal
68.3 %) and k = 1.96 (nominal 95 %). A coverage far below nominal means the reported error is
too small.

The grid varies what real measurements vary, one factor at a time around a baseline (Auger
emitter, ON-state signal 30 kcps, background 2 % of it, truncated power-law dwells α 1.5 from
t_min 30 ms with τ_c 2 s, 10 ms bins, 60 s): the count rate (10–300 kcps), the background
(0–10 %), the switching speed against the bin (dwell t_min 2 ms to 500 ms), pure power laws
from 30 ms and from 200 ms, and non-blinking emitters.

The run is resumable and time-budgeted: results are written to
``benchmarks/results/validation_estimators.json`` after every simulation, finished
(cell, seed) pairs are skipped, and seeds are run in order across all cells (seed 0 of every
cell, then seed 1, ...) so that a budget that runs out leaves every cell with the same seeds.
The markdown tables go to ``docs/validation_estimators.md``.

Usage::

    python benchmarks/validation_estimators.py [--seeds 20] [--budget-s 1800] [--duration 60]
                                               [--cells r10,base,...] [--no-write] [--report-only]
"""

from __future__ import annotations

import os

for _v in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tttr.io.base import TTTRStream  # noqa: E402
from tttr.pipeline import analyze  # noqa: E402
from tttr.simulate import SimulatedStream  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "validation_estimators.json"
DOC = ROOT / "docs" / "validation_estimators.md"

#: Excitation and detection that reach 300 kcps with a quantum yield below 1 at 5 MHz.
OPTICS = dict(mean_excitons_per_pulse=0.2, detection_efficiency=0.5, dark_counts_cps=(0.0, 0.0))
BASE = dict(model="auger", rate_kcps=30.0, background=0.02, law="truncated_power_law", alpha=1.5, t_min_s=0.03,
            tau_c_s=2.0)


def _cell(name, label, **over):
    c = dict(BASE, **over)
    c.update(name=name, label=label)
    return c


CELLS = [
    _cell("r10", "rate 10 kcps", rate_kcps=10.0),
    _cell("base", "baseline: 30 kcps, bg 2 %, t_min 30 ms"),
    _cell("r100", "rate 100 kcps", rate_kcps=100.0),
    _cell("r300", "rate 300 kcps", rate_kcps=300.0),
    _cell("bg0", "background 0 %", background=0.0),
    _cell("bg5", "background 5 %", background=0.05),
    _cell("bg10", "background 10 %", background=0.10),
    _cell("tm2", "dwell t_min 2 ms (< bin)", t_min_s=0.002),
    _cell("tm10", "dwell t_min 10 ms (= bin)", t_min_s=0.01),
    _cell("tm100", "dwell t_min 100 ms", t_min_s=0.1),
    _cell("tm500", "dwell t_min 500 ms", t_min_s=0.5),
    _cell("pl30", "pure power law α 2.0 from 30 ms", law="power_law", alpha=2.0),
    _cell("pl200", "pure power law α 2.0 from 200 ms", law="power_law", alpha=2.0, t_min_s=0.2),
    _cell("nb10", "non-blinking, 10 kcps", model="nonblinking", rate_kcps=10.0),
    _cell("nb100", "non-blinking, 100 kcps", model="nonblinking", rate_kcps=100.0),
]
ESTIMATORS = [
    ("on_fraction", "ON fraction (truth: time-weighted)"),
    ("mandel_q", "Mandel Q at 10 ms (truth: realised)"),
    ("alpha_pure", "α, pure power law (ON and OFF pooled; error: bootstrap with the t_min search)"),
    ("alpha_truncated", "α, truncated power law (ON and OFF pooled; error: bootstrap with the t_min search)"),
    ("tau_region_bright", "τ of the brightest region (truth τ1 = 24.7 ns)"),
    ("tau_region_dim", "τ of the dimmest region (truth τ2 = 5 ns)"),
    ("tau_mono", "τ, whole-file mono-exponential (non-blinking; truth 24.7 ns)"),
]


#: Bumped when what a run records changes: runs of another version are not reused.
VERSION = 3


def _key(cell: dict, duration_s: float) -> str:
    """Fingerprint of a cell's definition: results of a changed cell are not reused."""
    s = json.dumps({k: v for k, v in cell.items() if k != "label"}, sort_keys=True) + f"|{duration_s}|{VERSION}"
    return hashlib.sha1(s.encode()).hexdigest()[:12]


def simulation_params(cell: dict, seed: int, duration_s: float) -> dict:
    """SimulationConfig fields of one (cell, seed)."""
    i1 = cell["rate_kcps"] * 1e3 * 0.01  # ON-state signal counts per 10 ms
    p = dict(OPTICS, model=cell["model"], seed=int(seed), duration_s=float(duration_s),
             exciton_intensity_counts_per_10ms=i1, trion_intensity_counts_per_10ms=None,
             background_cps=cell["background"] * cell["rate_kcps"] * 1e3)
    if cell["model"] != "nonblinking":
        for s in ("on", "off"):
            p[f"dwell_law_{s}"] = cell["law"]
            p[f"alpha_{s}"] = cell["alpha"]
            p[f"t_min_{s}_s"] = cell["t_min_s"]
            p[f"truncation_{s}_s"] = cell["tau_c_s"]
    return p


class _Simulation(TTTRStream):
    """A simulated stream handed to ``analyze`` like an opened file (no file written)."""

    def __init__(self, sim: SimulatedStream):
        self.sim, self.info, self.header, self.path = sim, sim.info, {}, Path("<simulation>")

    def _chunks(self, size=None):
        return self.sim.chunks()


def _f(x):
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def run_one(cell: dict, seed: int, duration_s: float) -> dict:
    """Simulate and analyse one (cell, seed); estimates, reported errors and truths."""
    sim = SimulatedStream(**simulation_params(cell, seed, duration_s))
    t0 = time.perf_counter()
    rep = analyze(_Simulation(sim), fit_flid=False, power_law_gof_draws=0, truncated_gof_draws=0)
    truth = sim.truth()
    d = rep.to_dict()
    out = {"seconds": time.perf_counter() - t0, "n_photons": d["n_photons"],
           "blinking_detected": d["blinking_detected"], "warnings": len(d["warnings"])}
    # rows: [estimate, reported error, truth of this run, truth of the emitter (ensemble) or None]
    # ON fraction: the ensemble value is 1 without blinking, and 1/2 here with blinking (the same
    # dwell law ON and OFF); Mandel Q: the simulator has no ensemble value for power-law dwells
    ens_on = 1.0 if cell["model"] == "nonblinking" else 0.5
    out["on_fraction"] = [[_f(d["on_fraction"]), _f(d.get("on_fraction_err")),
                           _f(truth["on_fraction"]["time_weighted"]), ens_on]]
    out["mandel_q"] = [[_f(d["mandel_q"]), _f(d["mandel_q_err"]), _f(truth["mandel_q"]["realized"]),
                        _f(truth["mandel_q"].get("ensemble"))]]
    if cell["model"] != "nonblinking" and d["power_law"]:
        key = "alpha_pure" if cell["law"] == "power_law" else "alpha_truncated"
        rows = []
        for s in ("on", "off"):
            p = d["power_law"][s] if key == "alpha_pure" else d["power_law"][s]["truncated"]
            rows.append([_f(p["alpha"]), _f(p["alpha_err"]), float(cell["alpha"]), float(cell["alpha"]),
                         _f(p["t_min_s"])])
        out[key] = rows
    if d["regions"] and len(d["regions"]["tau_ns"]) >= 2:
        tau, err = d["regions"]["tau_ns"], d["regions"]["tau_err_ns"]
        out["tau_region_bright"] = [[_f(tau[-1]), _f(err[-1]), float(truth["tau1_ns"]), float(truth["tau1_ns"])]]
        if cell["model"] == "auger":
            out["tau_region_dim"] = [[_f(tau[0]), _f(err[0]), float(truth["tau2_ns"]), float(truth["tau2_ns"])]]
    if cell["model"] == "nonblinking" and d["lifetime"]:
        out["tau_mono"] = [[_f(d["lifetime"]["tau_ns"]), _f(d["lifetime"]["tau_err_ns"]), float(truth["tau1_ns"]),
                            float(truth["tau1_ns"])]]
    return out


# ---------------------------------------------------------------------------- summary
def summarise(rows: list, ensemble_fallback: bool = False) -> dict | None:
    """Bias, spread, mean error and coverage of (estimate, error, truth) rows.

    ``ensemble_fallback``: where the simulator has no ensemble value, take the mean of the
    run truths over the seeds (an estimate of the long-run value, itself uncertain by
    spread/√n)."""
    r = [x for x in rows if x[0] is not None and x[2] is not None]
    if not r:
        return None
    if ensemble_fallback and all(len(x) < 4 or x[3] is None for x in r):
        m = float(np.mean([x[2] for x in r]))
        r = [list(x[:3]) + [m] for x in r]
    est = np.array([x[0] for x in r])
    truth = np.array([x[2] for x in r])
    dev = est - truth
    err = np.array([x[1] if x[1] is not None else np.nan for x in r])
    has = np.isfinite(err) & (err > 0)
    out = {"n": int(dev.size), "truth_mean": float(truth.mean()), "bias": float(dev.mean()),
           "bias_se": float(dev.std(ddof=1) / math.sqrt(dev.size)) if dev.size > 1 else None,
           "spread": float(est.std(ddof=1)) if dev.size > 1 else None,
           "n_with_error": int(has.sum())}
    if has.any():
        out["mean_error"] = float(err[has].mean())
        out["coverage_68"] = float(np.mean(np.abs(dev[has]) <= err[has]))
        out["coverage_95"] = float(np.mean(np.abs(dev[has]) <= 1.96 * err[has]))
        out["spread_over_error"] = (float(est.std(ddof=1) / err[has].mean()) if dev.size > 1 else None)
        ens = np.array([x[3] if len(x) > 3 and x[3] is not None else np.nan for x in r])
        e = has & np.isfinite(ens)
        if e.any():
            out["ensemble_mean"] = float(ens[e].mean())
            out["ensemble_from_seeds"] = bool(ensemble_fallback and all(len(x) < 4 or x[3] is None for x in rows
                                                                         if x[0] is not None and x[2] is not None))
            out["ensemble_bias"] = float((est[e] - ens[e]).mean())
            out["ensemble_coverage_68"] = float(np.mean(np.abs(est[e] - ens[e]) <= err[e]))
            out["ensemble_coverage_95"] = float(np.mean(np.abs(est[e] - ens[e]) <= 1.96 * err[e]))
    return out


def _fmt(x, f=".3g"):
    return "–" if x is None or (isinstance(x, float) and not math.isfinite(x)) else format(x, f)


def markdown(data: dict) -> str:
    cells = {c["name"]: c for c in CELLS}
    lines = ["## Estimator validation: bias, spread and coverage over simulated emitters", "",
             "Generated by `benchmarks/validation_estimators.py` from "
             "`benchmarks/results/validation_estimators.json`; no number here is typed by hand.", "",
             f"Each cell is one simulated emitter ({data['meta']['duration_s']:g} s, 10 ms bins) analysed by "
             "`tttr.pipeline.analyze` for seeds 0…n−1. Baseline: Auger emitter (τ1 24.7 ns exciton, τ2 5 ns "
             "trion, β = 2), ON-state signal 30 kcps, background 2 % of it, truncated power-law dwells "
             "α 1.5 from t_min 30 ms with τ_c 2 s; each other cell changes one thing. *bias* = mean(estimate "
             "− truth) ± its standard error; *spread* = standard deviation over seeds; *err* = mean reported "
             "standard error; *cov68* / *cov95* = fraction of estimates with |estimate − truth| ≤ 1 / 1.96 "
             "reported errors (nominal 68.3 % / 95 %; with n seeds the binomial scatter of a correct "
             "coverage is ±√(p(1−p)/n), ±10 % at 68 % and n = 20). α pools the ON and OFF fits (2 per seed); "
             "power laws are read from the automatic `t_min` (KS search from 3 bins).", ""]
    for key, title in ESTIMATORS:
        rows = []
        for name, per in data["cells"].items():
            s = per.get("summary", {}).get(key)
            if s:
                rows.append((name, s))
        if not rows:
            continue
        realised = key in ("on_fraction", "mandel_q")
        lines += [f"### {title}", ""]
        if realised:
            lines += ["Two truths: the value of this run's state trajectory (*run*: bias and cov68/cov95 "
                      "against it measure the photon-counting error alone) and the emitter's (*ens.*: "
                      "the long-run value, which the reported error is meant to cover; – where none "
                      "exists or the simulator has none; marked * where it is the mean of the run "
                      "truths over the seeds, itself uncertain by spread/√n). *spread* is over seeds, "
                      "i.e. against the ensemble. *n err*: seeds with a reported error (the others "
                      "report none, with the reason: dwell laws that may have no finite mean); err, "
                      "spread/err and the coverages are over those seeds.", ""]
        lines += ["| cell | n | truth | bias | spread | err | spread/err | cov68 | cov95 |"
                  + (" n err | ens. | ens. bias | ens. cov68 | ens. cov95 |" if realised else ""),
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|" + ("---:|---:|---:|---:|---:|" if realised else "")]
        for name, s in rows:
            line = (f"| {cells[name]['label'] if name in cells else name} | {s['n']} | {_fmt(s['truth_mean'])} | "
                    f"{_fmt(s['bias'], '+.3g')} ± {_fmt(s['bias_se'], '.2g')} | {_fmt(s['spread'])} | "
                    f"{_fmt(s.get('mean_error'))} | {_fmt(s.get('spread_over_error'), '.2f')} | "
                    f"{_fmt(s.get('coverage_68'), '.0%')} | {_fmt(s.get('coverage_95'), '.0%')} |")
            if realised:
                star = "*" if s.get("ensemble_from_seeds") else ""
                line += (f" {s.get('n_with_error', 0)} | {_fmt(s.get('ensemble_mean'))}{star} | "
                         f"{_fmt(s.get('ensemble_bias'), '+.3g')} | "
                         f"{_fmt(s.get('ensemble_coverage_68'), '.0%')} | "
                         f"{_fmt(s.get('ensemble_coverage_95'), '.0%')} |")
            lines.append(line)
        lines.append("")
    det = [(n, p["summary"].get("blinking_detected_rate")) for n, p in data["cells"].items() if p.get("summary")]
    lines += ["### Blinking detected (index-of-dispersion test)", "", "| cell | fraction of seeds |", "|---|---:|"]
    lines += [f"| {cells[n]['label'] if n in cells else n} | {_fmt(v, '.0%')} |" for n, v in det]
    m = data["meta"]
    lines += ["", f"Run: {m.get('n_runs', 0)} simulations, {m.get('seconds', 0):.0f} s of analysis on "
              f"{m.get('machine', '?')}; seeds per cell: {m.get('seeds_done', '?')}.", ""]
    return "\n".join(lines)


START, END = "<!-- validation-estimators:start -->", "<!-- validation-estimators:end -->"


def write_doc(path: Path, generated: str) -> None:
    """Replace the text between the markers (prose outside them is kept)."""
    block = f"{START}\n{generated}\n{END}"
    text = path.read_text() if path.exists() else ""
    if START in text and END in text:
        text = text[:text.index(START)] + block + text[text.index(END) + len(END):]
    else:
        text = text + ("\n" if text else "") + block + "\n"
    path.write_text(text)


def load(path: Path) -> dict:
    if path.exists():
        try:
            return json.loads(path.read_text())
        except json.JSONDecodeError:
            pass
    return {"meta": {}, "cells": {}}


def save(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=1, allow_nan=False))
    os.replace(tmp, path)


def refresh_summaries(data: dict) -> None:
    for per in data["cells"].values():
        runs = list(per.get("runs", {}).values())
        summ = {}
        cell = per.get("cell", {})
        for key, _ in ESTIMATORS:
            fallback = key == "mandel_q" and cell.get("law") != "power_law" and cell.get("model") != "nonblinking"
            s = summarise([row for r in runs for row in r.get(key, [])], ensemble_fallback=fallback)
            if s:
                summ[key] = s
        if runs:
            det = [r["blinking_detected"] for r in runs if r.get("blinking_detected") is not None]
            summ["blinking_detected_rate"] = float(np.mean(det)) if det else None
        per["summary"] = summ
    done = [len(p.get("runs", {})) for p in data["cells"].values()]
    data["meta"]["seeds_done"] = f"{min(done)}–{max(done)}" if done else "0"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--budget-s", type=float, default=1800.0, help="stop starting new simulations after this")
    ap.add_argument("--duration", type=float, default=60.0, help="simulated seconds per emitter")
    ap.add_argument("--cells", default=None, help="comma-separated cell names (default: all)")
    ap.add_argument("--results", type=Path, default=RESULTS)
    ap.add_argument("--doc", type=Path, default=DOC)
    ap.add_argument("--no-write", action="store_true", help="do not write the markdown")
    ap.add_argument("--report-only", action="store_true", help="only rebuild the summary and markdown")
    a = ap.parse_args(argv)
    cells = CELLS if a.cells is None else [c for c in CELLS if c["name"] in a.cells.split(",")]
    data = load(a.results)
    data["meta"].update(duration_s=a.duration, machine=f"{platform.machine()} {platform.python_version()}")
    for c in cells:  # drop the runs of cells whose definition changed
        k = _key(c, a.duration)
        per = data["cells"].get(c["name"])
        if per is None or per.get("key") != k:
            data["cells"][c["name"]] = {"key": k, "cell": c, "runs": {}}
    start = time.perf_counter()
    stop = False
    if not a.report_only:
        for seed in range(a.seeds):
            for c in cells:
                per = data["cells"][c["name"]]
                if str(seed) in per["runs"]:
                    continue
                if time.perf_counter() - start > a.budget_s:
                    stop = True
                    break
                try:
                    r = run_one(c, seed, a.duration)
                except Exception:  # noqa: BLE001 - recorded, the grid goes on
                    r = {"error": traceback.format_exc(limit=3)}
                per["runs"][str(seed)] = r
                data["meta"]["n_runs"] = sum(len(p["runs"]) for p in data["cells"].values())
                data["meta"]["seconds"] = sum(x.get("seconds", 0.0) for p in data["cells"].values()
                                              for x in p["runs"].values())
                save(a.results, data)
                print(f"seed {seed} {c['name']}: {r.get('seconds', float('nan')):.1f} s", flush=True)
            if stop:
                print(f"budget of {a.budget_s:g} s reached after seed {seed - 1} (complete)", flush=True)
                break
    refresh_summaries(data)
    save(a.results, data)
    if not a.no_write:
        write_doc(a.doc, markdown(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
