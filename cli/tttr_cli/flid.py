"""``tttr flid FILE``: FLID map, region-gated lifetimes and β (and, with --fit, the model verdict)."""

from __future__ import annotations

import click

from tttr import defaults

from .options import (DURATION, IntensityBands, LibraryChoice, check_bins, emit_json, force_option, format_duration, json_option,
                      names_the_file, open_with_nanotimes, plot_option, progress_bar, reader_kwargs, reader_options,
                      refuse_existing)
from .summary import pm


@click.command()
@click.argument("file", type=click.Path(path_type=str))
@click.option("--bin", "bin_width_s", type=DURATION, default=defaults.BIN_WIDTH_S,
              show_default=format_duration(defaults.BIN_WIDTH_S), help="Bin width.")
@click.option("--estimator", type=LibraryChoice("tttr.analysis.flid", "ESTIMATORS"), default=defaults.FLID_ESTIMATOR,
              show_default=True,
              help="Per-bin lifetime estimator.")
@click.option("--regions", type=IntensityBands(), default=None,
              help="Intensity bands in counts per bin, lo:hi,lo:hi (e.g. 10:20,40:60; default: automatic).")
@click.option("--fit", "do_fit", is_flag=True, help="Fit the Auger, BC and mixed models and give a verdict.")
@plot_option
@force_option("the --plot file")
@json_option
@reader_options
@names_the_file
def flid(file, bin_width_s, estimator, regions, do_fit, plot_path, force, as_json, **kwargs):
    """FLID of FILE: per-bin intensity vs lifetime, region lifetimes, β."""
    from tttr.analysis.flid_analysis import flid_analysis

    refuse_existing(plot_path, force=force)
    stream = open_with_nanotimes(file, reader_kwargs(kwargs), "FLID")
    with progress_bar(as_json, stream.info.n_records, desc="binning") as update:
        res = flid_analysis(stream, bin_width_s=bin_width_s, estimator=estimator, regions=regions, fit=do_fit,
                            progress=update)
    binned, rl, fit, warnings = res.binned, res.regions, res.fit, res.warnings
    check_bins(binned.n_bins, binned.bin_width_s, binned.duration_s, file=file)
    if plot_path:
        from tttr import plot

        plot.save(plot.flid_figure(res.flid_map, fit), plot_path, force=force)
    out = {"file": file, **res.summary()}
    if as_json:
        emit_json(out)
        return
    if rl:
        i_err = getattr(rl, "intensity_err_counts", None) or [None] * len(rl.tau_ns)
        for (lo, hi), i, ie, t, e in zip(rl.regions, rl.intensity_counts, i_err, rl.tau_ns, rl.tau_err_ns):
            click.echo(f"region {lo}–{hi} counts/bin: I = {pm(i, ie, 'counts/bin')}, τ = {pm(t, e, 'ns')}")
        click.echo(f"β = I2·τ1/(I1·τ2) = {pm(rl.beta, getattr(rl, 'beta_err', None))}")
    for w in warnings:
        click.echo(f"warning: {w}", err=True)
    if fit is not None:
        d = fit.to_dict()
        reason = d.get("reason")
        click.echo(f"FLID verdict: {d.get('verdict')}" + (f" — {reason}" if reason else ""))
