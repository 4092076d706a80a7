"""``tttr trace FILE``: the intensity (blinking) trace."""

from __future__ import annotations

import click

from .options import DURATION, emit_json, json_option, reader_kwargs, reader_options


@click.command()
@click.argument("file", type=click.Path(path_type=str))
@click.option("--bin", "bin_width_s", type=DURATION, default="10ms", show_default=True, help="Bin width.")
@click.option("--detectors", default=None, help="Detectors to sum, e.g. 0,1 (default: all).")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None, help="Write the figure (PNG/PDF).")
@json_option
@reader_options
def trace(file, bin_width_s, detectors, plot_path, as_json, **kwargs):
    """Counts per bin of FILE, per detector and summed."""
    from tttr.analysis.photon_stats import mandel_q, mandel_q_curve
    from tttr.analysis.trace import intensity_trace

    dets = [int(d) for d in detectors.split(",")] if detectors else None
    tr = intensity_trace(file, bin_width_s=bin_width_s, detectors=dets, **reader_kwargs(kwargs))
    q = mandel_q(tr.total, bin_width_s=tr.bin_width_s)
    if plot_path:
        from tttr import plot

        plot.save(plot.trace_figure(tr), plot_path)
    if as_json:
        emit_json({"file": file, "bin_width_s": tr.bin_width_s, "n_bins": int(tr.counts.shape[0]),
                   "detectors": list(tr.detectors), "mean_counts": q.mean_counts, "mandel_q": q.q,
                   "mandel_q_err": q.q_err,
                   "mandel_q_curve": [{"bin_width_s": m.bin_width_s, "q": m.q, "q_err": m.q_err}
                                      for m in mandel_q_curve(tr.total, bin_width_s=tr.bin_width_s)],
                   "counts": tr.counts.tolist()})
        return
    click.echo(f"{tr.counts.shape[0]:,} bins of {tr.bin_width_s * 1e3:g} ms; mean {q.mean_counts:.2f} counts/bin "
               f"({q.mean_counts / tr.bin_width_s:,.0f} cps); Mandel Q = {q.q:.3f} ± {q.q_err:.3f}")
    curve = mandel_q_curve(tr.total, bin_width_s=tr.bin_width_s)
    click.echo("Q(T): " + ", ".join(f"{m.bin_width_s * 1e3:g} ms {m.q:.3g}" for m in curve))
