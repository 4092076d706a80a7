"""``tttr trace FILE``: the intensity (blinking) trace."""

from __future__ import annotations

import click

from tttr import defaults

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
    from tttr.analysis.photon_stats import mandel_q, mandel_q_curve
    from tttr.analysis.trace import intensity_trace

    refuse_existing(plot_path, force=force)
    stream = tttr.open(file, **reader_kwargs(kwargs))
    with progress_bar(as_json, stream.info.n_records, desc="binning") as update:
        tr = intensity_trace(stream, bin_width_s=bin_width_s, detectors=detectors, progress=update)
    check_bins(tr.counts.shape[0], tr.bin_width_s, tr.measurement_s, file=file)
    q = mandel_q(tr.total, bin_width_s=tr.bin_width_s)
    curve = mandel_q_curve(tr.total, bin_width_s=tr.bin_width_s)
    if plot_path:
        from tttr import plot

        plot.save(plot.trace_figure(tr), plot_path, force=force)
    if as_json:
        emit_json({"file": file, "bin_width_s": tr.bin_width_s, "n_bins": int(tr.counts.shape[0]),
                   "detectors": list(tr.detectors), "mean_counts": q.mean_counts, "mandel_q": q.q,
                   "mandel_q_err": q.q_err,
                   "mandel_q_curve": [m.summary() for m in curve],
                   "counts": tr.counts.tolist()})
        return
    click.echo(f"{tr.counts.shape[0]:,} bins of {format_duration(tr.bin_width_s)}; mean {q.mean_counts:.2f} counts/bin "
               f"({q.mean_counts / tr.bin_width_s:,.0f} counts/s); Mandel Q = {q.q:.3f} ± {q.q_err:.3f}")
    click.echo("Q(T): " + ", ".join(f"{format_duration(m.bin_width_s)} {m.q:.3g} ± {m.q_err:.2g}" for m in curve))
