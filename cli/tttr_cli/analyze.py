"""``tttr analyze FILE``: every analysis in one streaming pass."""

from __future__ import annotations

import click

from tttr import defaults

from .options import (DURATION, FRACTION, LEVELS_CONFIDENCE, LibraryChoice, check_bins, emit_json, for_the_command_line, force_option, format_duration,
                      json_option, names_the_file, progress_bar, reader_kwargs, reader_options)
from .summary import DASH, pm, power_law_line


@click.command()
@click.argument("file", type=click.Path(path_type=str))
@click.option("--bin", "bin_width_s", type=DURATION, default=defaults.BIN_WIDTH_S,
              show_default=format_duration(defaults.BIN_WIDTH_S), help="Trace bin width.")
@click.option("--g2-window", "g2_window_s", type=DURATION, default=None,
              help=f"g2 half-window  [default: {format_duration(defaults.G2_WINDOW_S)}; pulsed: ±2 periods]")
@click.option("--g2-bin", "g2_bin_s", type=DURATION, default=None,
              help=f"g2 bin width  [default: {format_duration(defaults.G2_BIN_S)}]")
@click.option("--threshold-method", type=LibraryChoice("tttr.analysis.blinking", "METHODS", exclude=("absolute",)),
              default=defaults.THRESHOLD_METHOD, show_default=True, help="How the ON threshold is chosen (science.md §5).")
@click.option("--fraction", "threshold_fraction", type=FRACTION, default=defaults.THRESHOLD_FRACTION,
              show_default=True, help="ON if counts ≥ fraction × I_max (0 < f ≤ 1).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Write the report (JSON), the arrays (HDF5 /user/tttr) and, with --plots, the figures here.")
@click.option("--plots", is_flag=True, help="With --out: write the standard figures as PNG.")
@click.option("--levels/--no-levels", "levels", default=defaults.ANALYZE_LEVELS, show_default=True,
              help="Also find intensity levels by change points (Watkins & Yang), group them into states and "
                   "report level-resolved statistics (off by default: costs ~2.4x the binned pass).")
@click.option("--levels-confidence", type=LEVELS_CONFIDENCE, default=defaults.LEVELS_CONFIDENCE, show_default=True,
              help="1 − false-positive rate of each change-point test (0.69 … 0.99).")
@force_option("existing outputs in --out")
@json_option
@reader_options
@names_the_file
def analyze(file, bin_width_s, g2_window_s, g2_bin_s, threshold_method, threshold_fraction, out_dir, plots, levels,
            levels_confidence, force, as_json, **kwargs):
    """Trace, Mandel Q, ON/OFF, power laws, lifetimes, FLID + verdict, β and g2 of FILE."""
    import tttr
    from tttr.pipeline import analyze as run
    from tttr.report_io import output_paths, write_report

    if plots and not out_dir:
        raise click.UsageError("--plots needs --out DIR (where the figures go)")
    if g2_window_s is not None and g2_bin_s is not None and g2_bin_s >= g2_window_s:
        raise click.BadParameter(f"{format_duration(g2_bin_s)} is not shorter than the g2 window "
                                 f"{format_duration(g2_window_s)}", param_hint="'--g2-bin'")
    ropts = reader_kwargs(kwargs)
    if out_dir and not force:
        from pathlib import Path

        existing = [p for p in output_paths(out_dir, Path(file).name, plots=plots).values() if p.exists()]
        if existing:
            raise FileExistsError(f"{existing[0]}: exists; not overwritten (use --force)")
    stream = tttr.open(file, **ropts)
    with progress_bar(as_json, stream.info.n_records, desc="analyzing") as update:
        report = run(stream, bin_width_s=bin_width_s, g2_window_s=g2_window_s, g2_bin_s=g2_bin_s,
                     threshold_method=threshold_method, threshold_fraction=threshold_fraction, levels=levels,
                     levels_confidence=levels_confidence, progress=update)
    if report.binned is not None:
        check_bins(report.binned.n_bins, report.binned.bin_width_s, report.duration_s, file=file)
    if out_dir:
        written = write_report(report, out_dir, plots=plots, force=force)
        for p in written.values():
            click.echo(f"wrote {p}", err=True)
    d = report.to_dict()
    if as_json:
        emit_json(d)
        return
    for line in summary_lines(d):
        click.echo(line)
    for w in d["warnings"]:
        click.echo(f"warning: {for_the_command_line(w)}", err=True)


def _num(x, spec):
    return DASH if x is None else format(x, spec)


def summary_lines(d: dict) -> list:
    """The text summary of ``tttr analyze``: one topic a line, every number with unit and error."""
    lines = []
    per_det = d.get("photons_per_detector") or {}
    lines.append(f"{d['file']}: {d['format']} {d['mode']}, {d['n_photons']:,} photons in {d['duration_s']:.4g} s "
                 f"({_num(d['count_rate_cps'], ',.0f')} counts/s); per detector "
                 + ", ".join(f"{k}: {v:,}" for k, v in per_det.items()))
    lines.append(f"trace: {format_duration(d['bin_width_s'])} bins ({_num(d.get('n_photons_trace'), ',')} photons in "
                 f"whole bins; the last partial bin is dropped); Mandel Q = {pm(d['mandel_q'], d['mandel_q_err'])}")
    detected = d.get("blinking_detected")
    if detected is False:
        lines.append("blinking: not detected (the trace is consistent with one Poisson level); ON fraction 1")
    else:
        lines.append(f"blinking: ON fraction {pm(d['on_fraction'], d.get('on_fraction_err'))} (threshold {_num(d['threshold_counts'], '.1f')} "
                     f"counts/bin, {d.get('threshold_method') or DASH}); blinking rate {_num(d['blinking_rate_hz'], '.3g')} s⁻¹, "
                     f"charging rate {_num(d.get('charging_rate_hz'), '.3g')} s⁻¹")
    pl = d.get("power_law") or {}
    for k in ("on", "off"):
        if pl.get(k):
            lines.append("  " + power_law_line(k, pl[k], pl[k].get("truncated")))
    lt = d.get("lifetime")
    if lt:
        lines.append(f"lifetime: mono τ = {pm(lt.get('tau_ns'), lt.get('tau_err_ns'), 'ns')}; "
                     f"background {_num(lt.get('background_fraction'), '.1%')} of the photons")
        lines.append(f"  bi: τ1 = {pm(lt.get('tau1_ns'), lt.get('tau1_err_ns'), 'ns')} (a1 {pm(lt.get('a1'), lt.get('a1_err'))}), "
                     f"τ2 = {pm(lt.get('tau2_ns'), lt.get('tau2_err_ns'), 'ns')}; "
                     f"τ_amp {pm(lt.get('tau_amp_ns'), lt.get('tau_amp_err_ns'), 'ns')}, "
                     f"τ_int {pm(lt.get('tau_int_ns'), lt.get('tau_int_err_ns'), 'ns')}")
    r = d.get("regions")
    if r:
        i_err = r.get("intensity_err_counts") or [None] * len(r["tau_ns"])
        parts = [f"I = {pm(i, ie, 'counts/bin')}, τ = {pm(t, te, 'ns')}"
                 for i, ie, t, te in zip(r["intensity_counts"], i_err, r["tau_ns"], r["tau_err_ns"])]
        lines.append("intensity regions: " + "; ".join(parts))
    if d.get("beta") is not None:
        lines.append(f"β = I2·τ1/(I1·τ2) = {pm(d['beta'], d.get('beta_err'))}"
                     + (" (background-corrected)" if d.get("beta_err") is not None else ""))
    f = d.get("flid")
    if f:
        verdict = f.get("verdict") or "undetermined"
        reason = f.get("reason")
        lines.append(f"FLID verdict: {verdict}" + (f" — {reason}" if reason else ""))
    g = d.get("g2")
    if g:
        ci = g.get("g2_zero_ci")
        ci_txt = f", 95 % interval [{ci[0]:.3g}, {ci[1]:.3g}]" if ci and None not in ci else ""
        line = f"g2(0) = {pm(g.get('g2_zero'), g.get('g2_zero_err'))}{ci_txt} ({g.get('mode')})"
        if g.get("g2_zero_window") is not None:
            line += f"; plain window ratio {g['g2_zero_window']:.3g}"
        if g.get("g2_zero_corrected") is not None:
            line += (f"; background-corrected {pm(g['g2_zero_corrected'], g.get('g2_zero_corrected_err'))}"
                     + (f" ({g['correction']})" if g.get("correction") else ""))
        lines.append(line)
        if "single_emitter" in g:
            word = {True: "yes", False: "no", None: "undetermined"}[g["single_emitter"]]
            why = g.get("single_emitter_reason")
            lines.append(f"single emitter: {word}" + (f" ({why})" if why else ""))
    if "n_levels" in d:
        lines += level_lines(d)
    return lines


def level_lines(d: dict) -> list:
    """The level lines of the summary (``--levels``): groups, then the level-resolved statistics."""
    lines = [f"levels: {d['n_levels']} (change points at confidence {d['levels_confidence']:g}), "
             f"{_num(d.get('n_level_groups'), 'd')} groups by BIC (an upper bound on the states when dwells are short; "
             "β and the level FLID use the two groups holding most time)"]
    for k, g in enumerate(d.get("level_groups") or []):
        lines.append(f"  group {k}: I = {pm(g['intensity_cps'], g.get('intensity_err_cps'), 'counts/s')}, "
                     f"τ = {pm(g.get('tau_ns'), g.get('tau_err_ns'), 'ns')}, {g['time_s']:.4g} s in {g['n_levels']} levels")
    a = d.get("level_analysis") or {}
    if a.get("on_fraction") is not None:
        lines.append(f"  from levels: ON fraction {pm(a['on_fraction'], a.get('on_fraction_err'))}; "
                     f"β = {pm(a.get('beta'), a.get('beta_err'))}; FLID verdict {a.get('flid_verdict') or 'undetermined'}")
        for k in ("on", "off"):
            p = (a.get("power_law") or {}).get(k) or {}
            if p.get("alpha") is not None:
                lines.append(f"  from levels: α_{k.upper()} = {pm(p['alpha'], p.get('alpha_err'))} "
                             f"({p.get('n')} dwells ≥ {format_duration(p['t_min_s'])})")
    else:
        why = (a.get("reasons") or {}).get("on_fraction")
        if why:
            lines.append(f"  from levels: {why}")
    return lines
