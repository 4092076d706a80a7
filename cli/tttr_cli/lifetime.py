"""``tttr lifetime FILE``: decay histogram and Poisson-ML lifetime fit."""

from __future__ import annotations

import click

from .options import DURATION, emit_json, json_option, reader_kwargs, reader_options


@click.command()
@click.argument("file", type=click.Path(path_type=str))
@click.option("--model", type=click.Choice(["mono", "bi"]), default="mono", show_default=True)
@click.option("--tail-shift", "tail_shift_s", type=DURATION, default="1ns", show_default=True,
              help="Tail fit starts this long after t0.")
@click.option("--t0", "t0_s", type=DURATION, default=None, help="Time zero (default: rising edge at half maximum).")
@click.option("--detectors", default=None, help="Detectors to sum, e.g. 0,1 (default: all).")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None, help="Write the figure (PNG/PDF).")
@json_option
@reader_options
def lifetime(file, model, tail_shift_s, t0_s, detectors, plot_path, as_json, **kwargs):
    """Decay histogram of FILE (detectors aligned) and its lifetime fit."""
    from tttr.analysis.lifetime import decay_histogram, fit_lifetime

    opts = reader_kwargs(kwargs)
    dets = [int(d) for d in detectors.split(",")] if detectors else None
    hist = decay_histogram(file, detectors=dets, t0=t0_s * 1e9 if t0_s is not None else "halfmax", **opts)
    fit = fit_lifetime(hist, model=model, tail_shift_ns=tail_shift_s * 1e9)
    if plot_path:
        from tttr import plot

        plot.save(plot.decay_figure(hist, fit), plot_path)
    if as_json:
        out = fit.to_dict(arrays=False)
        out.update(file=file, t0_ns=hist.t0_ns, background_per_bin=hist.background_per_bin,
                   detector_delays_ns=hist.detector_delays_ns.tolist(), n_photons=hist.n_photons)
        emit_json({k: v for k, v in out.items() if v is not None or k in ("tau2_ns",)})
        return
    click.echo(f"{hist.n_photons:,} photons; t0 {hist.t0_ns:.3f} ns; background {hist.background_per_bin:.2f}/bin")
    if model == "mono":
        click.echo(f"τ = {fit.tau_ns:.4g} ± {fit.tau_err_ns:.2g} ns   (reduced χ² {fit.chi2_reduced:.3f})")
    else:
        click.echo(f"τ1 = {fit.tau1_ns:.4g} ± {fit.tau1_err_ns:.2g} ns (a1 {fit.a1:.3f}), "
                   f"τ2 = {fit.tau2_ns:.4g} ± {fit.tau2_err_ns:.2g} ns (a2 {fit.a2:.3f}); "
                   f"τ_amp {fit.tau_amp_ns:.4g} ns, τ_int {fit.tau_int_ns:.4g} ns (reduced χ² {fit.chi2_reduced:.3f})")
