"""Validation of change points, level groups and level-resolved dwell times on emitters with known switches.

``nice -n 10 python benchmarks/validation_levels.py [--budget-s 2400] [--out benchmarks/results/validation_levels.jsonl]``
``python benchmarks/validation_levels.py --report-only``  (tables only, from the saved results)

The emitters are made here, not by ``tttr.simulate``: a telegraph process over two or three
states written in plain numpy (dwells exponential or power law, Poisson photons at each
state's rate plus a uniform background, exponential nanotimes per state, at most one photon
per laser pulse), saved with its switching times and written to a PTU file. The same file
goes through ``tttr.analysis.levels.levels`` (change points and level lifetimes),
``tttr.analysis.level_groups.group_levels`` and ``tttr.analysis.level_analyses``, and through
``tttr.pipeline.analyze`` (the binned analysis at 10 ms) for the dwell-time exponents.

Two grids:

* **switching** (exponential dwells): bright-state rate × contrast (bright/dim intensity
  ratio) × mean dwell. Per cell: the fraction of true switches with a detected change point
  within 10 ms (recall), the fraction of detected change points with no true switch within
  10 ms (false), the number of groups found against the truth, and the coverage of the
  group lifetimes (|τ_group − τ_true| within 1 and 2 of the group's errors).
* **power law** (dwells ``P(t) ∝ t^(−1.6)`` from ``t_min``): α of the ON and OFF dwells from
  the levels (unbinned ML, t_min by KS search from the shortest dwell) and from the 10 ms bins
  of ``analyze`` (discrete ML, t_min by KS search), mean and spread over seeds against 1.6.

Results are appended one line per (cell, seed) to the JSON-lines file, so an interrupted run
resumes where it stopped; the run stops starting new cells when the time budget is spent,
and the Markdown tables (docs/validation_levels.md) are regenerated from whatever is saved.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PERIOD_S = 200e-9         # 5 MHz laser
NT_UNIT_S = 50e-12        # 50 ps nanotime bins
NT_BINS = int(round(PERIOD_S / NT_UNIT_S))
BACKGROUND_CPS = 200.0
TAUS_NS = (20.0, 5.0, 10.0)   # bright, dim, (grey) state lifetimes
MATCH_S = 10e-3
ALPHA = 1.6

SWITCH_RATES = (10e3, 50e3, 200e3)
SWITCH_CONTRASTS = (1.2, 2.0, 4.0, 10.0)
SWITCH_DWELLS = (5e-3, 50e-3, 0.5, 5.0)
PL_RATES = (20e3, 100e3)
PL_CONTRASTS = (2.0, 10.0)
PL_TMIN = (1e-3, 10e-3)


# ------------------------------------------------------------------------------ simulator
def dwells(rng, law, scale_s, duration_s):
    """Dwell durations filling ``duration_s``: exponential (mean ``scale_s``) or power law α = 1.6 from ``scale_s``."""
    out, t = [], 0.0
    while t < duration_s:
        m = 256
        d = rng.exponential(scale_s, m) if law == "exp" else scale_s * (1 - rng.random(m)) ** (-1 / (ALPHA - 1))
        out.append(d)
        t += d.sum()
    d = np.concatenate(out)
    end = np.cumsum(d)
    k = int(np.searchsorted(end, duration_s)) + 1
    return d[:k]


def telegraph(rng, rates_cps, law, scale_s, duration_s):
    """States and switching times of an emitter that always changes state at a switch.

    Returns ``(switch_s, state)``: the start of each dwell (first 0) and its state index.
    """
    d = dwells(rng, law, scale_s, duration_s)
    k = len(rates_cps)
    state = np.empty(d.size, np.int64)
    state[0] = rng.integers(k)
    steps = rng.integers(1, k, d.size) if k > 2 else np.ones(d.size, np.int64)
    for j in range(1, d.size):
        state[j] = (state[j - 1] + steps[j]) % k
    start = np.concatenate([[0.0], np.cumsum(d)[:-1]])
    keep = start < duration_s
    return start[keep], state[keep]


def photons(rng, switch_s, state, rates_cps, taus_ns, duration_s):
    """T3 photons (sync ticks, detectors, nanotime ticks) of a state sequence plus background."""
    ends = np.append(switch_s[1:], duration_s)
    dur = ends - switch_s
    n = rng.poisson(np.asarray(rates_cps)[state] * dur)
    t = np.repeat(switch_s, n) + rng.random(int(n.sum())) * np.repeat(dur, n)
    nt = rng.exponential(np.repeat(np.asarray(taus_ns)[state], n) * 1e-9)
    nb = rng.poisson(BACKGROUND_CPS * duration_s)
    t = np.concatenate([t, rng.random(nb) * duration_s])
    nt = np.concatenate([nt, rng.random(nb) * PERIOD_S])
    ts = np.floor(t / PERIOD_S).astype(np.int64)
    order = np.argsort(ts, kind="stable")
    ts, nt = ts[order], nt[order]
    keep = np.concatenate([[True], np.diff(ts) > 0])  # one photon per pulse (detector dead time)
    ts, nt = ts[keep], nt[keep]
    det = (rng.random(ts.size) < 0.5).astype(np.uint8)
    return ts, det, np.clip(np.floor(np.mod(nt, PERIOD_S) / NT_UNIT_S), 0, NT_BINS - 1).astype(np.uint16)


def write_ptu(path, ts, det, nt):
    from tttr.io.events import PhotonChunk
    from tttr.io.ptu import PTUWriter

    with PTUWriter(path, "HydraHarp2T3", timestamps_unit_s=PERIOD_S, nanotimes_unit_s=NT_UNIT_S,
                   sync_rate_hz=1 / PERIOD_S, force=True) as w:
        step = 1 << 20
        for i in range(0, ts.size, step):
            w.write(PhotonChunk(ts[i:i + step], det[i:i + step], nt[i:i + step]))


# ------------------------------------------------------------------------------ metrics
def nearest_distance(a, b):
    """For each time in ``a``, the distance to the nearest time in ``b`` (inf if ``b`` is empty)."""
    a, b = np.asarray(a, float), np.sort(np.asarray(b, float))
    if b.size == 0:
        return np.full(a.size, np.inf)
    i = np.clip(np.searchsorted(b, a), 1, b.size - 1) if b.size > 1 else np.zeros(a.size, np.int64)
    d1 = np.abs(a - b[i])
    d0 = np.abs(a - b[np.maximum(i - 1, 0)])
    return np.minimum(d0, d1)


def oracle_levels(ts, switch_s, duration_s):
    """Levels cut at the true switching times (photon counts from the simulated photons)."""
    from types import SimpleNamespace

    t = ts * PERIOD_S
    edges = np.append(switch_s, duration_s)
    n = np.diff(np.searchsorted(t, edges))
    return SimpleNamespace(start_s=edges[:-1], end_s=edges[1:], n_photons=n)


def switch_metrics(lv, grp, switch_s, state, rates, taus, oracle_groups):
    true_cp = switch_s[1:]
    found = np.asarray(lv.start_s[1:], float)
    recall = float(np.mean(nearest_distance(true_cp, found) <= MATCH_S)) if true_cp.size else float("nan")
    false = float(np.mean(nearest_distance(found, true_cp) > MATCH_S)) if found.size else 0.0
    n_true = int(np.unique(state).size)
    cover1 = cover2 = n_cov = 0
    dom_ok = False
    if grp.n_groups >= n_true:
        # the n_true groups with the most time, by intensity, against the states by intensity
        dom = np.sort(np.argsort(grp.time_s)[::-1][:n_true])
        truth = np.argsort(np.asarray(rates))  # state indices by increasing rate
        dom_ok = True
        for g, s in zip(dom, truth):
            true_i = rates[s] + BACKGROUND_CPS
            dom_ok &= abs(grp.intensity_cps[g] - true_i) < 0.05 * true_i
            t, e = grp.tau_ns[g], grp.tau_err_ns[g]
            if np.isfinite(t) and e > 0:
                n_cov += 1
                cover1 += abs(t - taus[s]) <= e
                cover2 += abs(t - taus[s]) <= 2 * e
    dom_time = float(np.sort(grp.time_s)[::-1][:n_true].sum() / grp.time_s.sum())
    return {"recall": recall, "false": false, "n_true_cp": int(true_cp.size), "n_found_cp": int(found.size),
            "n_groups": int(grp.n_groups), "n_groups_oracle": int(oracle_groups), "n_states": n_true,
            "dominant_ok": bool(dom_ok), "dominant_time": dom_time,
            "cov1": int(cover1), "cov2": int(cover2), "n_cov": int(n_cov)}


def binned_alpha(path):
    """α of the ON and OFF dwells from tttr's binned analysis (10 ms bins)."""
    from tttr.pipeline import analyze

    rep = analyze(path, fit_flid=False, power_law_gof_draws=0, power_law_error_draws=0, truncated_gof_draws=0)
    d = rep.to_dict()
    pl = (d.get("blinking") or {}).get("power_law") or d.get("power_law") or {}
    if not pl:
        for v in d.values():
            if isinstance(v, dict) and "power_law" in v:
                pl = v["power_law"] or {}
    out = {}
    for k in ("on", "off"):
        e = pl.get(k) or {}
        out[k] = (e.get("alpha"), e.get("alpha_err"), e.get("t_min_s"), e.get("n"))
    return out


def run_cell(kind, rate, contrast, scale, seed, tmpdir):
    from tttr.analysis.level_analyses import level_dwell_fits
    from tttr.analysis.level_groups import group_levels
    from tttr.analysis.levels import levels

    rng = np.random.default_rng([zlib.crc32(repr((kind, rate, contrast, scale)).encode()), seed])
    if kind == "switch":  # photons bounded (≲ 3 M) so that the grid fits its time budget
        duration = (10.0 if rate > 100e3 else 30.0) * (2.0 if scale >= 1 else 1.0)
        if scale >= 1 and rate > 100e3:
            duration = 30.0
        law = "exp"
    else:
        duration = 30.0
        law = "pl"
    rates = (rate, rate / contrast)
    taus = TAUS_NS[:2]
    switch_s, state = telegraph(rng, rates, law, scale, duration)
    ts, det, nt = photons(rng, switch_s, state, rates, taus, duration)
    path = os.path.join(tmpdir, f"emitter_{os.getpid()}.ptu")
    write_ptu(path, ts, det, nt)
    t0 = time.perf_counter()
    lv = levels(path)
    t_levels = time.perf_counter() - t0
    grp = group_levels(lv, dispersion="poisson")
    grp_gamma = group_levels(lv, dispersion="gamma")
    cache = Path(os.environ.get("LEVELS_CACHE", tempfile.gettempdir())) / "validation_levels_cache"
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(cache / f"{kind}_{rate:g}_{contrast:g}_{scale:g}_{seed}.npz", start=lv.start_s, end=lv.end_s,
             n=lv.n_photons, tau=lv.tau_ns, tau_err=lv.tau_err_ns, switch=switch_s, state=state)
    row = {"kind": kind, "rate": rate, "contrast": contrast, "scale": scale, "seed": seed, "duration": duration,
           "n_photons": int(ts.size), "t_levels_s": t_levels, "n_levels": int(lv.start_s.size)}
    if kind == "switch":
        og = group_levels(oracle_levels(ts, switch_s, duration), dispersion="poisson").n_groups
        row.update(switch_metrics(lv, grp, switch_s, state, rates, taus, og))
        gm = switch_metrics(lv, grp_gamma, switch_s, state, rates, taus, og)
        row.update({f"gamma_{k}": gm[k] for k in ("n_groups", "dominant_ok", "dominant_time", "cov1", "cov2", "n_cov")})
    else:
        row.update(level_alpha(lv))
        b = binned_alpha(path)
        row["bin_on"], row["bin_off"] = list(b["on"]), list(b["off"])
        row["n_groups"] = int(grp.n_groups)
    row["t_total_s"] = time.perf_counter() - t0
    return row


def level_alpha(lv):
    """α of ON and OFF level dwells: Gamma–Poisson groups, ON = at least the midpoint of the two dominant groups."""
    from tttr.analysis.level_analyses import level_dwell_fits
    from tttr.analysis.level_groups import group_levels

    grp = group_levels(lv, dispersion="gamma")
    lf = level_dwell_fits(lv, grp, t_min_s="auto", rule="midpoint") if grp.n_groups >= 2 else None
    return {"level_on": [lf.on.alpha, lf.on.alpha_err, lf.on.t_min_s, lf.on.n] if lf else None,
            "level_off": [lf.off.alpha, lf.off.alpha_err, lf.off.t_min_s, lf.off.n] if lf else None,
            "level_rule": "midpoint"}


def refit_levels(rows):
    """Recompute the level α of the power-law rows from the cached levels (after a change of rule)."""
    from types import SimpleNamespace

    cache = Path(os.environ.get("LEVELS_CACHE", tempfile.gettempdir())) / "validation_levels_cache"
    for r in rows:
        if r["kind"] != "pl":
            continue
        f = cache / f"pl_{r['rate']:g}_{r['contrast']:g}_{r['scale']:g}_{r['seed']}.npz"
        if f.exists():
            d = np.load(f)
            r.update(level_alpha(SimpleNamespace(start_s=d["start"], end_s=d["end"], n_photons=d["n"])))
    return rows


def cells(dwells=SWITCH_DWELLS, power_law=True):
    for dwell in dwells:
        for c in SWITCH_CONTRASTS:
            for r in SWITCH_RATES:
                yield "switch", r, c, dwell
    for tmin in PL_TMIN if power_law else ():
        for c in PL_CONTRASTS:
            for r in PL_RATES:
                yield "pl", r, c, tmin


# ------------------------------------------------------------------------------ report
def _mean(v):
    v = [x for x in v if x is not None and np.isfinite(x)]
    return (float(np.mean(v)), float(np.std(v, ddof=1)) if len(v) > 1 else float("nan"), len(v)) if v else (
        float("nan"), float("nan"), 0)


def _f(x, nd=2):
    return "–" if x is None or not np.isfinite(x) else f"{x:.{nd}f}"


def report(rows, out_md, meta):
    sw = [r for r in rows if r["kind"] == "switch"]
    pl = [r for r in rows if r["kind"] == "pl"]
    lines = ["# Validation of change points, level groups and level dwell times",
             "",
             "Generated by `benchmarks/validation_levels.py` (do not edit by hand); raw results in",
             "`benchmarks/results/validation_levels.jsonl`. "
             + meta,
             "",
             "The emitters are simulated by the script itself (plain numpy, independent of `tttr.simulate`):",
             f"two states, bright {TAUS_NS[0]:g} ns and dim {TAUS_NS[1]:g} ns, a uniform background of "
             f"{BACKGROUND_CPS:g} cps, a 5 MHz laser (one photon per pulse at most), 50 ps nanotime bins. "
             "Change points: `tttr.analysis.levels.levels` at confidence 0.95; groups: "
             "`tttr.analysis.level_groups.group_levels` (mixture BIC); a switch is found when a change "
             f"point lies within {MATCH_S * 1e3:g} ms of it.",
             "",
             "## Switching grid (exponential dwells)",
             "",
             "Rate = bright-state signal (the dim state has rate/contrast); dwell = mean of both states; "
             "trace lengths as listed (photons kept ≲ 3 M per emitter for the time budget). n = seeds per cell. *recall*: true switches with a change "
             "point within 10 ms; *false*: change points with no true switch within 10 ms; *groups*: "
             "groups found per seed (truth 2) by the Poisson BIC of Watkins & Yang; *groups γ*: by the "
             "Gamma–Poisson BIC (`dispersion=\"gamma\"`); *groups (true cuts)*: the same grouping applied to levels cut at "
             "the true switching times (isolates the grouping from the change-point detection); *dominant ok*: "
             "seeds whose two groups with the most time are within 5 % of the two states' intensities; "
             "*time in dominant*: their share of the time; *τ cov 1σ/2σ*: lifetimes of those two groups within "
             "1 and 2 of their errors (N group lifetimes pooled over seeds; 68 % and 95 % expected); γ: the same "
             "for the Gamma–Poisson grouping.",
             "",
             "| dwell | contrast | rate (kcps) | trace (s) | n | switches/seed | recall | false | groups | groups γ | groups (true cuts) | dominant ok | time in dominant | τ cov 1σ (N) | τ cov 2σ | γ: dominant ok | γ: τ cov 1σ (N) | γ: τ cov 2σ | levels time (s) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    lines += _switch_rows(sw)
    lines += _pl_header()
    lines += _pl_rows(pl)
    lines += ["", "## Reading the tables", "", "(see the notes written after the run, below)", ""]
    old = out_md.read_text() if out_md.exists() else ""
    notes = old.split("<!-- notes -->", 1)[1] if "<!-- notes -->" in old else "\n"
    out_md.write_text("\n".join(lines) + "<!-- notes -->" + notes)


def _key(r):
    return r["scale"], r["contrast"], r["rate"]


def _coverage(rs, prefix=""):
    n = sum(r[prefix + "n_cov"] for r in rs)
    c1 = sum(r[prefix + "cov1"] for r in rs) / n if n else float("nan")
    c2 = sum(r[prefix + "cov2"] for r in rs) / n if n else float("nan")
    return c1, c2, n


def _switch_rows(sw):
    lines = []
    for key in sorted({_key(r) for r in sw}):
        rs = [r for r in sw if _key(r) == key]
        rec, fal = _mean([r["recall"] for r in rs]), _mean([r["false"] for r in rs])
        c1, c2, ncov = _coverage(rs)
        g1, g2, gn = _coverage(rs, "gamma_")
        groups = ",".join(str(r["n_groups"]) for r in rs)
        og = ",".join(str(r["n_groups_oracle"]) for r in rs)
        gg = ",".join(str(r["gamma_n_groups"]) for r in rs)
        dok = f"{sum(r['dominant_ok'] for r in rs)}/{len(rs)}"
        gdok = f"{sum(r['gamma_dominant_ok'] for r in rs)}/{len(rs)}"
        lines.append(f"| {key[0] * 1e3:g} ms | {key[1]:g} | {key[2] / 1e3:g} | {rs[0]['duration']:g} | {len(rs)} | "
                     f"{np.mean([r['n_true_cp'] for r in rs]):.0f} | {_f(rec[0])} | {_f(fal[0])} | {groups} | {gg} | {og} | "
                     f"{dok} | {_f(np.mean([r['dominant_time'] for r in rs]))} | "
                     f"{_f(c1)} ({ncov}) | {_f(c2)} | {gdok} | {_f(g1)} ({gn}) | {_f(g2)} | "
                     f"{np.mean([r['t_levels_s'] for r in rs]):.1f} |")
    return lines


def _pl_header():
    lines = []
    lines += ["",
              "## Dwell-time exponent: levels vs 10 ms bins (power-law dwells, α = 1.6)",
              "",
              "Both states' dwells follow `P(t) ∝ t^(−1.6)` from t_min; 30 s traces. *levels*: "
              "`level_dwell_fits` on the Gamma–Poisson groups with ON = at least the midpoint of the two dominant "
              "groups (unbinned continuous ML, t_min by KS search); *bins*: `tttr.pipeline.analyze` "
              "at 10 ms (discrete ML, t_min by KS search from 3 bins). Mean ± spread of α over the seeds, "
              "[mean Fisher error of one fit], (n seeds with a fit), and the mean number of ON+OFF dwells "
              "fitted. Truth 1.6.",
              "",
              "| t_min | contrast | rate (kcps) | n | α_ON levels | α_ON bins | α_OFF levels | α_OFF bins | dwells levels / bins |",
              "|---|---|---|---|---|---|---|---|---|"]
    return lines


def _pl_rows(pl):
    lines = []
    for key in sorted({_key(r) for r in pl}):
        rs = [r for r in pl if _key(r) == key]

        def col(name):
            m, s, k = _mean([(r.get(name) or [None])[0] for r in rs])
            e = _mean([(r.get(name) or [None, None])[1] for r in rs])[0]
            return f"{_f(m)} ± {_f(s)} [{_f(e)}] ({k})"

        def ndw(name):
            v = [(r.get(name) or [None] * 4)[3] for r in rs]
            v = [x for x in v if x is not None]
            return f"{np.mean(v):.0f}" if v else "–"

        lines.append(f"| {key[0] * 1e3:g} ms | {key[1]:g} | {key[2] / 1e3:g} | {len(rs)} | {col('level_on')} | "
                     f"{col('bin_on')} | {col('level_off')} | {col('bin_off')} | "
                     f"{ndw('level_on')}+{ndw('level_off')} / {ndw('bin_on')}+{ndw('bin_off')} |")
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget-s", type=float, default=2400.0)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results/validation_levels.jsonl"))
    ap.add_argument("--md", default=str(ROOT / "docs/validation_levels.md"))
    ap.add_argument("--report-only", action="store_true")
    ap.add_argument("--dwells", type=float, nargs="*", default=list(SWITCH_DWELLS),
                    help="mean dwells (s) of the switching grid to run (default all)")
    ap.add_argument("--skip-pl", action="store_true", help="leave out the power-law grid")
    ap.add_argument("--refit-levels", action="store_true",
                    help="recompute the level alpha of the power-law rows from the cached levels, then report")
    a = ap.parse_args(argv)
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = [json.loads(x) for x in out.read_text().splitlines() if x.strip()] if out.exists() else []
    done = {(r["kind"], r["rate"], r["contrast"], r["scale"], r["seed"]) for r in rows}
    t_start = time.perf_counter()
    stopped = False
    if a.refit_levels:
        rows = refit_levels(rows)
        out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    if not (a.report_only or a.refit_levels):
        with tempfile.TemporaryDirectory() as tmp:
            for seed in range(a.seeds):  # seed-major: a short budget still covers every cell once
                for cell in cells(tuple(a.dwells), not a.skip_pl):
                    if (*cell, seed) in done:
                        continue
                    if time.perf_counter() - t_start > a.budget_s:
                        stopped = True
                        break
                    row = run_cell(*cell, seed, tmp)
                    rows.append(row)
                    with out.open("a") as fh:
                        fh.write(json.dumps(row) + "\n")
                    print(json.dumps({k: v for k, v in row.items() if k not in ("level_on", "level_off")}),
                          flush=True)
                if stopped:
                    break
    n_cells = len({(r["kind"], r["rate"], r["contrast"], r["scale"]) for r in rows})
    meta = (f"{len(rows)} simulated emitters in {n_cells} cells"
            + (" (the time budget stopped the run before every cell had all its seeds)" if stopped else "") + ".")
    report(rows, Path(a.md), meta)
    return 0


if __name__ == "__main__":
    sys.exit(main())
