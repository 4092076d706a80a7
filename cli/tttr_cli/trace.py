"""``tttr trace FILE``: the intensity (blinking) trace."""

from __future__ import annotations

import click

from tttr import defaults

from .summary import pm
from .options import (DURATION, DetectorList, check_bins, emit_json, force_option, format_duration, json_option,
                      names_the_file, plot_option, progress_bar, reader_kwargs, reader_options, refuse_existing)


@click.command()
@click.argument("file", type=click.Path(path_type=str))
@click.option("--bin", "bin_width_s", type=DURATION, default=defaults.BIN_WIDTH_S,
              show_default=format_duration(defaults.BIN_WIDTH_S), help="Bin width.")
@click.option("--detectors", type=DetectorList(), default=None, help="Detectors to sum, e.g. 0,1 (default: all).")
@plot_option
@force_option("the --plot file")
@json_option
@reader_options
@names_the_file
def trace(file, bin_width_s, detectors, plot_path, force, as_json, **kwargs):
    """Counts per bin of FILE, per detector and summed, with Mandel Q."""
    import tttr
    from tttr.analysis.trace import trace_statistics

    refuse_existing(plot_path, force=force)
    stream = tttr.open(file, **reader_kwargs(kwargs))
    with progress_bar(as_json, stream.info.n_records, desc="binning") as update:
        stats = trace_statistics(stream, bin_width_s=bin_width_s, detectors=detectors, progress=update)
    tr, q, curve = stats.trace, stats.mandel_q, stats.mandel_q_curve
    check_bins(tr.counts.shape[0], tr.bin_width_s, tr.measurement_s, file=file)
    if plot_path:
        from tttr import plot

        plot.save(plot.trace_figure(tr), plot_path, force=force)
    if as_json:
        emit_json({"file": file, **stats.summary(), "counts": tr.counts.tolist()})
        return
    click.echo(f"{tr.counts.shape[0]:,} bins of {format_duration(tr.bin_width_s)}; mean {q.mean_counts:.2f} counts/bin "
               f"({q.mean_counts / tr.bin_width_s:,.0f} counts/s); Mandel Q = {pm(q.q, q.q_err)}"
               + (f" ({q.q_err_method})" if q.q_err_method else ""))
    click.echo("Q(T): " + ", ".join(f"{format_duration(m.bin_width_s)} {pm(m.q, m.q_err)}" for m in curve))
    reasons = {m.q_err_reason for m in [q, *curve] if m.q_err_reason}
    for why in sorted(reasons):
        click.echo(f"note: {why}")
