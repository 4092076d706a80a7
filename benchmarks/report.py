"""Write docs/performance.md from the JSON results in benchmarks/results/ (no number typed by hand).

Usage: python benchmarks/report.py
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")
OUT = os.path.join(os.path.dirname(HERE), "docs", "performance.md")


def load(name):
    p = os.path.join(RESULTS, f"{name}.json")
    if not os.path.exists(p):
        return None
    with open(p) as fh:
        d = json.load(fh)
    d["_mtime"] = dt.datetime.fromtimestamp(os.path.getmtime(p), dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return d


def machine_line(d):
    m = d.get("machine", {})
    return f"{m.get('cpu', '?')}, {m.get('cores', '?')} cores, {m.get('memory_gib', '?')} GiB, Python {m.get('python', '?')}"


def decode_section(d):
    lines = ["## Decoding PTU files", "",
             f"`python benchmarks/bench_decode.py --size-mb {d['size_mb']:g} --repeat {d['repeat']}` "
             f"({d['_mtime']}; {machine_line(d)}). Files written by our PTU writer; page cache warm; tools "
             "interleaved in each repetition; medians.", ""]
    for rtype, f in d["files"].items():
        rows = f["rows"]
        best_peer = min((r["median_s"] for k, r in rows.items() if not k.startswith(("tttr", "numpy"))), default=None)
        floor = rows.get("numpy.fromfile + sum (floor)", {}).get("median_s")
        lines += [f"**{rtype}**: {f['n_records']:,} records, {f['bytes'] / 2**20:.0f} MiB", "",
                  "| tool | median s | M records/s | time / tttr whole-file | time / fastest peer | time / floor |",
                  "|---|---:|---:|---:|---:|---:|"]
        for k, r in rows.items():
            lines.append(f"| {k} | {r['median_s']:.3f} | {r['records_per_s'] / 1e6:.1f} | {r['time_vs_tttr_whole']:.2f} | "
                         f"{r['median_s'] / best_peer:.2f} | {r['median_s'] / floor:.2f} |" if best_peer and floor else
                         f"| {k} | {r['median_s']:.3f} | {r['records_per_s'] / 1e6:.1f} | {r['time_vs_tttr_whole']:.2f} | | |")
        lines.append("")
    return lines


def g2_section(d):
    lines = ["## g2 histogram", "",
             f"`python benchmarks/bench_g2.py` ({d['_mtime']}; {machine_line(d)}): {d['photons']:,} photons on two "
             f"detectors at {d['rate_cps']:,.0f} cps, ±{d['window_s'] * 1e6:g} µs at {d['bin_s'] * 1e12:g} ps "
             f"({d['n_bins']:,} bins); load average before/after {d.get('load_average_before')} / {d.get('load_average_after')}.", "",
             "| tool | median s | photons/s | time / tttr | same histogram |", "|---|---:|---:|---:|---|"]
    for k, r in d["tools"].items():
        lines.append(f"| {k} | {r['seconds']:.2f} | {r['photons_per_s']:,.0f} | {r.get('time_ratio_vs_tttr', float('nan')):.2f} | "
                     f"{'yes' if r.get('agrees_with_tttr') else 'no'} |")
    return lines + [""]


def analyze_section(d, one_pass, info_mem):
    lines = ["## `tttr analyze` end to end and memory", "",
             f"`python benchmarks/bench_analyze.py` ({d['_mtime']}; {machine_line(d)}). Each figure is one process: "
             "wall time and peak resident memory (GNU time). Decode = streaming every chunk, nothing else.", "",
             "| file | size | decode s | decode peak MB | analyze s | analyze peak MB | analyze / decode |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for k, r in d["runs"].items():
        lines.append(f"| {k} | {r['bytes'] / 2**20:,.0f} MiB | {r['decode_wall_s']:.2f} | {r['decode_peak_rss_mb']:.0f} | "
                     f"{r['analyze_wall_s']:.2f} | {r['analyze_peak_rss_mb']:.0f} | {r['analyze_over_decode']:.2f} |")
    lines.append("")
    if one_pass:
        lines += [f"One pass computing trace + decay + FLID sums together (`python benchmarks/bench_pass.py "
                  f"--duration-s 785`, {one_pass['_mtime']}): {one_pass['n_photons']:,} photons in "
                  f"{one_pass['one_pass_compute_s']:.2f} s ({one_pass['one_pass_wall_s_process']:.2f} s for the whole "
                  f"process), peak {one_pass['one_pass_peak_rss_mb']:.0f} MB; `tttr info` on the same file "
                  f"{one_pass['tttr_info_wall_s']:.2f} s, peak {one_pass['tttr_info_peak_rss_mb']:.0f} MB.", ""]
    if info_mem:
        lines += [f"`tttr info` on a {info_mem['file_bytes'] / 2**30:.2f} GiB PTU (`python benchmarks/bench_info_memory.py`, "
                  f"{info_mem['_mtime']}): peak {info_mem['tttr_info_peak_rss_mb']:.0f} MB (imports alone "
                  f"{info_mem['import_only_peak_rss_mb']:.0f} MB), {info_mem['tttr_info_wall_s']:.1f} s.", ""]
    return lines


def batch_section(d):
    lines = ["## `tttr batch` scaling", "", f"`python benchmarks/bench_batch.py` ({d['_mtime']}; {machine_line(d)}).", ""]
    lines += ["```", json.dumps({k: v for k, v in d.items() if k not in ("machine", "_mtime")}, indent=1)[:3000], "```", ""]
    return lines


def targets_section(dec, g2, ana):
    """Each target of the project's issue 8, checked from the stored numbers."""
    rows = []

    def row(target, value, ok):
        rows.append(f"| {target} | {value} | {'met' if ok else '**missed**'} |")

    if dec:
        for rtype, f in dec["files"].items():
            r = f["rows"]
            peers = {k: v["median_s"] for k, v in r.items() if not k.startswith(("tttr", "numpy"))}
            best = min(peers.values()) if peers else None
            floor = r["numpy.fromfile + sum (floor)"]["median_s"]
            for mode in ("tttr streaming (2^20 records/chunk)", "tttr whole file"):
                t = r[mode]["median_s"]
                if best:
                    row(f"{rtype} decode, {mode.split(' (')[0]}: at least as fast as the fastest peer",
                        f"{best / t:.2f}× the fastest peer's speed", t <= best)
                row(f"{rtype} decode, {mode.split(' (')[0]}: within 3× the fromfile floor", f"{t / floor:.2f}× the floor",
                    t <= 3 * floor)
    if g2:
        ours = g2["tools"]["tttr G2Accumulator (2^20-photon chunks)"]["photons_per_s"]
        for k, v in g2["tools"].items():
            if not k.startswith("tttr ") and v.get("agrees_with_tttr"):  # peers computing the same histogram
                row(f"g2 faster than {k}", f"{ours / v['photons_per_s']:.1f}× faster (photons/s)",
                    ours > v["photons_per_s"])
    if ana:
        for k, r in ana["runs"].items():
            row(f"analyze ≤ 3× decode ({k})", f"{r['analyze_over_decode']:.2f}×", r["analyze_over_decode"] <= 3)
            row(f"analyze peak memory < 1 GB ({k})", f"{r['analyze_peak_rss_mb']:.0f} MB", r["analyze_peak_rss_mb"] < 1000)
    return ["## Targets (issue 8), checked from the numbers above", "", "| target | measured | |", "|---|---|---|",
            *rows, ""]


def main():
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE).stdout.strip()
    except OSError:
        commit = "?"
    parts = ["# Performance", "",
             "Generated by `python benchmarks/report.py` from `benchmarks/results/*.json`, which the benchmark "
             f"scripts write (`python benchmarks/run_all.py` runs them all, then this). Commit `{commit}`. "
             "Timings on a shared 2-core machine are noisy: each table gives medians of repetitions and the "
             "date it was measured; rerun on a quiet machine for better numbers.", ""]
    for name, fn in (("decode", decode_section), ("g2", g2_section)):
        d = load(name)
        if d:
            parts += fn(d)
    a = load("analyze")
    if a:
        parts += analyze_section(a, load("one_pass"), load("info_memory_2gb"))
    b = load("batch")
    if b:
        parts += batch_section(b)
    parts += targets_section(load("decode"), load("g2"), a)
    with open(OUT, "w") as fh:
        fh.write("\n".join(parts) + "\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
