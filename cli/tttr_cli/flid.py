"""``tttr flid FILE``: FLID map, region-gated lifetimes and β (and, with --fit, the model verdict)."""

from __future__ import annotations

import click

from .options import DURATION, emit_json, json_option, reader_kwargs, reader_options


@click.command()
@click.argument("file", type=click.Path(path_type=str))
@click.option("--bin", "bin_width_s", type=DURATION, default="10ms", show_default=True, help="Bin width.")
@click.option("--estimator", type=click.Choice(["mean", "corrected", "mle"]), default="mean", show_default=True,
              help="Per-bin lifetime estimator.")
@click.option("--regions", default=None, help="Intensity bands lo:hi,lo:hi in counts per bin (default: automatic).")
@click.option("--fit", "do_fit", is_flag=True, help="Fit the Auger, BC and mixed models and give a verdict.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None, help="Write the figure (PNG/PDF).")
@json_option
@reader_options
def flid(file, bin_width_s, estimator, regions, do_fit, plot_path, as_json, **kwargs):
    """FLID of FILE: per-bin intensity vs lifetime, region lifetimes, β."""
    from tttr.analysis.flid import binned_pass, flid_map, region_lifetimes
    from tttr.errors import AnalysisError

    binned = binned_pass(file, bin_width_s=bin_width_s, **reader_kwargs(kwargs))
    fm = flid_map(binned, estimator=estimator)
    bands = [tuple(int(x) for x in r.split(":")) for r in regions.split(",")] if regions else None
    warnings = []
    try:
        rl = region_lifetimes(binned, bands)
    except AnalysisError as exc:
        rl = None
        warnings.append(str(exc))
    fit = None
    if do_fit:
        from tttr.analysis.models import fit_flid

        fit = fit_flid(fm, regions=rl)
    if plot_path:
        from tttr import plot

        plot.save(plot.flid_figure(fm, fit), plot_path)
    out = {"file": file, "bin_width_s": fm.bin_width_s, "estimator": estimator, "window_ns": fm.window_ns,
           "t0_ns": fm.t0_ns, "regions": rl.to_dict(arrays=True) if rl else None,
           "beta": rl.beta if rl else None, "warnings": warnings}
    if rl:
        out["regions"].pop("fits", None)
    if fit is not None:
        out["flid"] = fit.to_dict()
    if as_json:
        emit_json(out)
        return
    if rl:
        for (lo, hi), i, t, e in zip(rl.regions, rl.intensity_counts, rl.tau_ns, rl.tau_err_ns):
            click.echo(f"region {lo}-{hi} counts/bin: I = {i:.1f}, τ = {t:.4g} ± {e:.2g} ns")
        click.echo(f"β = I2·τ1/(I1·τ2) = {rl.beta:.3f}")
    for w in warnings:
        click.echo(f"warning: {w}", err=True)
    if fit is not None:
        click.echo(f"verdict: {fit.verdict}")
