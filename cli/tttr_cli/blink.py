"""``tttr blink FILE``: ON/OFF thresholds, ON fraction, dwell times and their power laws."""

from __future__ import annotations

import click

from .options import DURATION, emit_json, json_option, reader_kwargs, reader_options


@click.command()
@click.argument("file", type=click.Path(path_type=str))
@click.option("--bin", "bin_width_s", type=DURATION, default="10ms", show_default=True, help="Bin width.")
@click.option("--threshold-method", type=click.Choice(["fraction", "max", "on_level", "absolute", "valley", "otsu"]),
              default="fraction", show_default=True, help="How the ON threshold is chosen (science.md §5).")
@click.option("--fraction", type=float, default=0.5, show_default=True, help="f in ON if counts ≥ f·I_max.")
@click.option("--threshold", "threshold_value", type=float, default=None, help="Absolute ON threshold (counts/bin).")
@click.option("--off-below", type=float, default=None, help="Three levels: OFF below this many counts, grey between.")
@click.option("--t-min", "t_min_s", type=DURATION, default=None,
              help="Shortest dwell in the power-law fits (default 3 bins).")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None, help="Write the figure (PNG/PDF).")
@json_option
@reader_options
def blink(file, bin_width_s, threshold_method, fraction, threshold_value, off_below, t_min_s, plot_path, as_json,
          **kwargs):
    """ON/OFF statistics of FILE: threshold, ON fraction, rates, dwell-time power laws."""
    from tttr.analysis.blinking import blinking_statistics, threshold
    from tttr.analysis.photon_stats import mandel_q
    from tttr.analysis.powerlaw import fit_power_law, fit_truncated_power_law
    from tttr.analysis.trace import intensity_trace

    tr = intensity_trace(file, bin_width_s=bin_width_s, **reader_kwargs(kwargs))
    method = "absolute" if threshold_value is not None else threshold_method
    thr = threshold(tr.total, method=method, fraction=fraction, value=threshold_value, off_counts=off_below)
    st = blinking_statistics(tr.total, bin_width_s=tr.bin_width_s, thr=thr)
    from tttr.defaults import REPORT_POWERLAW_TMIN_BINS

    t_min = t_min_s if t_min_s is not None else REPORT_POWERLAW_TMIN_BINS * tr.bin_width_s
    fits = {}
    for name in ("on", "off"):
        dur = getattr(st.dwell, f"{name}_s")
        fits[name] = (fit_power_law(dur, bin_width_s=tr.bin_width_s, t_min_s=t_min),
                      fit_truncated_power_law(dur, bin_width_s=tr.bin_width_s, t_min_s=t_min))
    q = mandel_q(tr.total, bin_width_s=tr.bin_width_s)
    if plot_path:
        from tttr import plot

        plot.save(plot.trace_figure(tr, blinking=st), plot_path)
    if as_json:
        out = st.to_dict(arrays=False)
        out.update(file=file, mandel_q=q.q, mandel_q_err=q.q_err,
                   power_law={k: {"pure": v[0].to_dict(), "truncated": v[1].to_dict()} for k, v in fits.items()})
        emit_json(out)
        return
    click.echo(f"threshold {thr.counts:.1f} counts/bin ({thr.method}); ON fraction {st.on_fraction:.3f}; "
               f"blinking rate {st.blinking_rate_hz:.3f} s⁻¹; charging rate {st.charging_rate_hz:.3f} s⁻¹; Q = {q.q:.2f}")
    for name, (pl, tpl) in fits.items():
        click.echo(f"{name.upper():3s} dwells n={getattr(st.dwell, name + '_s').size}: α = {pl.alpha:.3f} ± {pl.alpha_err:.3f} "
                   f"(t_min {pl.t_min_s * 1e3:g} ms); truncated α = {tpl.alpha:.3f}, τc = {tpl.tau_c_s:.3g} s")
