"""``tttr analyze FILE``: every analysis in one streaming pass."""

from __future__ import annotations

import click

from .options import DURATION, emit_json, json_option, progress_enabled, reader_kwargs, reader_options


@click.command()
@click.argument("file", type=click.Path(path_type=str))
@click.option("--bin", "bin_width_s", type=DURATION, default="10ms", show_default=True, help="Trace bin width.")
@click.option("--g2-window", "g2_window_s", type=DURATION, default=None, help="g2 half-window (default 1us, ±2 periods pulsed).")
@click.option("--g2-bin", "g2_bin_s", type=DURATION, default=None, help="g2 bin width (default 100ps).")
@click.option("--threshold-method", type=click.Choice(["fraction", "max", "on_level", "valley", "otsu"]),
              default="fraction", show_default=True)
@click.option("--fraction", "threshold_fraction", type=float, default=0.5, show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Write the report (JSON), the arrays (HDF5 /user/tttr) and, with --plots, the figures here.")
@click.option("--plots", is_flag=True, help="With --out: write the standard figures as PNG.")
@click.option("--force", is_flag=True, help="Overwrite existing outputs.")
@json_option
@reader_options
def analyze(file, bin_width_s, g2_window_s, g2_bin_s, threshold_method, threshold_fraction, out_dir, plots, force,
            as_json, **kwargs):
    """Trace, Mandel Q, ON/OFF, power laws, lifetimes, FLID + verdict, β and g2 of FILE."""
    import tttr
    from tttr.pipeline import analyze as run
    from tttr.report_io import output_paths, write_report

    ropts = reader_kwargs(kwargs)
    if out_dir and not force:
        from pathlib import Path

        existing = [p for p in output_paths(out_dir, Path(file).name, plots=plots).values() if p.exists()]
        if existing:
            raise FileExistsError(f"{existing[0]}: exists; not overwritten (use --force)")
    stream = tttr.open(file, **ropts)
    bar = None
    if progress_enabled(as_json):
        from tqdm import tqdm

        bar = tqdm(unit="ph", unit_scale=True, leave=False, desc="analyzing")
    try:
        report = run(stream, bin_width_s=bin_width_s, g2_window_s=g2_window_s, g2_bin_s=g2_bin_s,
                     threshold_method=threshold_method, threshold_fraction=threshold_fraction,
                     progress=bar.update if bar else None)
    finally:
        if bar:
            bar.close()
    if out_dir:
        written = write_report(report, out_dir, plots=plots, force=force)
        for p in written.values():
            click.echo(f"wrote {p}", err=True)
    d = report.to_dict()
    if as_json:
        emit_json(d)
        return
    _print_summary(d)


def _fmt(x, spec=".3g"):
    return "-" if x is None else format(x, spec)


def _print_summary(d: dict) -> None:
    click.echo(f"{d['file']}: {d['format']} {d['mode']}, {d['n_photons']:,} photons in {d['duration_s']:.4g} s "
               f"({_fmt(d['count_rate_cps'], ',.0f')} cps)")
    click.echo(f"bin {d['bin_width_s'] * 1e3:g} ms: Mandel Q {_fmt(d['mandel_q'])}, ON fraction {_fmt(d['on_fraction'])}, "
               f"threshold {_fmt(d['threshold_counts'])} counts, blinking rate {_fmt(d['blinking_rate_hz'])} s⁻¹")
    pl = d.get("power_law") or {}
    for k in ("on", "off"):
        if k in pl:
            p = pl[k]
            click.echo(f"{k.upper():3s} power law α = {_fmt(p['alpha'])} ± {_fmt(p['alpha_err'], '.2g')} (n={p['n']}); "
                       f"truncated α = {_fmt(p['truncated']['alpha'])}, τc = {_fmt(p['truncated']['tau_c_s'])} s")
    lt = d.get("lifetime")
    if lt:
        click.echo(f"lifetime τ = {_fmt(lt['tau_ns'], '.4g')} ns (mono); bi τ1 {_fmt(lt['tau1_ns'], '.4g')}, "
                   f"τ2 {_fmt(lt['tau2_ns'], '.4g')} ns, τ_amp {_fmt(lt['tau_amp_ns'], '.4g')}, τ_int {_fmt(lt['tau_int_ns'], '.4g')} ns")
    if d.get("regions"):
        r = d["regions"]
        click.echo("regions: " + "; ".join(f"I = {i:.1f}, τ = {t:.4g} ns" for i, t in zip(r["intensity_counts"], r["tau_ns"]))
                   + f"; β = {_fmt(d['beta'])}")
    if d.get("flid") and d["flid"].get("verdict"):
        click.echo(f"FLID verdict: {d['flid']['verdict']}")
    if d.get("g2"):
        g = d["g2"]
        click.echo(f"g2(0) = {_fmt(g['g2_zero'])} ± {_fmt(g['g2_zero_err'], '.2g')} ({g['mode']}); "
                   f"background-corrected {_fmt(g['g2_zero_corrected'])}")
    for w in d["warnings"]:
        click.echo(f"warning: {w}", err=True)
