"""``tttr blink FILE``: ON/OFF thresholds, ON fraction, dwell times and their power laws."""

from __future__ import annotations

import click

from tttr import defaults

from .options import (DURATION, FRACTION, NON_NEGATIVE, LibraryChoice, check_bins, emit_json, for_the_command_line, force_option,
                      format_duration, json_option, names_the_file, plot_option, progress_bar, reader_kwargs,
                      reader_options, refuse_existing)
from .summary import pm, power_law_line


@click.command()
@click.argument("file", type=click.Path(path_type=str))
@click.option("--bin", "bin_width_s", type=DURATION, default=defaults.BIN_WIDTH_S,
              show_default=format_duration(defaults.BIN_WIDTH_S), help="Bin width.")
@click.option("--threshold-method", type=LibraryChoice("tttr.analysis.blinking", "METHODS"),
              default=defaults.THRESHOLD_METHOD, show_default=True, help="How the ON threshold is chosen (science.md §5).")
@click.option("--fraction", type=FRACTION, default=defaults.THRESHOLD_FRACTION, show_default=True,
              help="f in ON if counts ≥ f·I_max (0 < f ≤ 1).")
@click.option("--threshold", "threshold_value", type=NON_NEGATIVE, default=None,
              help="Absolute ON threshold (counts/bin).")
@click.option("--off-below", type=NON_NEGATIVE, default=None, help="Three levels: OFF below this many counts, grey between.")
@click.option("--t-min", "t_min_s", type=DURATION, default=None,
              help=f"Shortest dwell in the power-law fits  [default: {defaults.REPORT_POWERLAW_TMIN_BINS} bins]")
@plot_option
@force_option("the --plot file")
@json_option
@reader_options
@names_the_file
def blink(file, bin_width_s, threshold_method, fraction, threshold_value, off_below, t_min_s, plot_path, force,
          as_json, **kwargs):
    """ON/OFF statistics of FILE: threshold, ON fraction, rates, dwell-time power laws."""
    import tttr
    from tttr.analysis.dwell_fits import blinking_analysis
    from tttr.analysis.trace import intensity_trace
    from tttr.errors import AnalysisError

    refuse_existing(plot_path, force=force)
    stream = tttr.open(file, **reader_kwargs(kwargs))
    with progress_bar(as_json, stream.info.n_records, desc="binning") as update:
        tr = intensity_trace(stream, bin_width_s=bin_width_s, progress=update)
    check_bins(tr.counts.shape[0], tr.bin_width_s, tr.measurement_s, file=file)
    if t_min_s is not None and t_min_s < tr.bin_width_s:
        raise click.BadParameter(f"{format_duration(t_min_s)} is shorter than the bin "
                                 f"({format_duration(tr.bin_width_s)}); dwell times are whole bins",
                                 param_hint="'--t-min'")
    res = blinking_analysis(tr.total, bin_width_s=tr.bin_width_s, duration_s=tr.measurement_s,
                            method="absolute" if threshold_value is not None else threshold_method,
                            fraction=fraction, value=threshold_value, off_counts=off_below,
                            t_min_s="auto" if t_min_s is None else t_min_s)
    detected = res.blinking_detected is True
    if detected and res.statistics is None:
        raise AnalysisError(res.warnings[0])
    st, q, level = res.statistics, res.mandel_q, res.level_test
    if plot_path:
        from tttr import plot

        plot.save(plot.trace_figure(tr, blinking=st), plot_path, force=force)
    if as_json:
        out = st.to_dict(arrays=False) if detected else {"on_fraction": 1.0}
        out.update(file=file, mandel_q=q.q, mandel_q_err=q.q_err, blinking_detected=level.blinking_detected,
                   blinking_test=level.to_dict(),
                   power_law={k: {"pure": v[0].to_dict() if v[0] else None,
                                  "truncated": v[1].to_dict() if v[1] else None}
                              for k, v in res.power_law.items()} or None,
                   warnings=res.warnings)
        emit_json(out)
        return
    if not detected:
        click.echo(f"no blinking: {level.reason}; ON fraction 1, no threshold, rates or dwell statistics "
                   f"(Mandel Q = {q.q:.3f} ± {q.q_err:.3f})")
        return
    thr = st.threshold
    click.echo(f"threshold {thr.counts:.1f} counts/bin ({thr.method}); ON fraction {pm(st.on_fraction, st.on_fraction_err)}; "
               f"blinking rate {st.blinking_rate_hz:.3f} s⁻¹; charging rate {st.charging_rate_hz:.3f} s⁻¹; "
               f"Mandel Q = {pm(q.q, q.q_err)}")
    for name, (pl, tpl) in res.power_law.items():
        click.echo(power_law_line(name, pl.to_dict() if pl else {}, tpl.to_dict() if tpl else None,
                                  n_total=getattr(st.dwell, name + "_s").size))
    for w in res.warnings:
        click.echo(f"warning: {for_the_command_line(w)}", err=True)
