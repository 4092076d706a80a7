"""``tttr lifetime FILE``: decay histogram and Poisson-ML lifetime fit."""

from __future__ import annotations

import click

from tttr import defaults

from .options import (DURATION_OR_ZERO, DetectorList, emit_json, force_option, format_duration, json_option,
                      names_the_file, open_with_nanotimes, plot_option, progress_bar, reader_kwargs, reader_options,
                      refuse_existing)
from .summary import pm


@click.command()
@click.argument("file", type=click.Path(path_type=str))
@click.option("--model", type=click.Choice(defaults.LIFETIME_MODELS), default=defaults.LIFETIME_MODEL, show_default=True)
@click.option("--tail-shift", "tail_shift_s", type=DURATION_OR_ZERO, default=defaults.TAIL_SHIFT_NS * 1e-9,
              show_default=format_duration(defaults.TAIL_SHIFT_NS * 1e-9), help="Tail fit starts this long after t0.")
@click.option("--t0", "t0_s", type=DURATION_OR_ZERO, default=None, help="Time zero (default: rising edge at half maximum).")
@click.option("--detectors", type=DetectorList(), default=None, help="Detectors to sum, e.g. 0,1 (default: all).")
@plot_option
@force_option("the --plot file")
@json_option
@reader_options
@names_the_file
def lifetime(file, model, tail_shift_s, t0_s, detectors, plot_path, force, as_json, **kwargs):
    """Decay histogram of FILE (detectors aligned) and its lifetime fit.

    The fit is made on the decay merged to at most 1024 bins, exactly as ``tttr analyze``
    does, so both commands give one answer for one file.
    """
    from tttr.analysis.lifetime import decay_lifetime

    refuse_existing(plot_path, force=force)
    stream = open_with_nanotimes(file, reader_kwargs(kwargs), "lifetime")
    t0 = {} if t0_s is None else {"t0": t0_s * 1e9}
    with progress_bar(as_json, stream.info.n_records, desc="histogramming") as update:
        hist, fit = decay_lifetime(stream, model=model, tail_shift_ns=tail_shift_s * 1e9, detectors=detectors,
                                   progress=update, **t0)
    if plot_path:
        from tttr import plot

        plot.save(plot.decay_figure(hist, fit), plot_path, force=force)
    if as_json:
        out = fit.to_dict(arrays=False)
        out.update(file=file, t0_ns=hist.t0_ns, background_per_bin=hist.background_per_bin,
                   histogram_bin_width_ns=hist.bin_width_ns,
                   detector_delays_ns=hist.detector_delays_ns.tolist(), n_photons=hist.n_photons)
        emit_json({k: v for k, v in out.items() if v is not None or k in ("tau2_ns",)})
        return
    click.echo(f"{hist.n_photons:,} photons; t0 {hist.t0_ns:.3f} ns; background {hist.background_per_bin:.2f} counts "
               f"per {hist.bin_width_ns * 1e3:.3g} ps bin; fitted in {fit.bin_width_ns * 1e3:.3g} ps bins "
               f"from {fit.window_ns[0]:.3g} ns to {fit.window_ns[1]:.3g} ns"
               + (" (through the end of the period)" if fit.window_ns[0] > fit.window_ns[1] else ""))
    if model == "mono":
        click.echo(f"τ = {pm(fit.tau_ns, fit.tau_err_ns, 'ns')}   (reduced χ² {fit.chi2_reduced:.3f})")
    else:
        click.echo(f"τ1 = {pm(fit.tau1_ns, fit.tau1_err_ns, 'ns')} (a1 {pm(fit.a1, fit.a1_err)}), "
                   f"τ2 = {pm(fit.tau2_ns, fit.tau2_err_ns, 'ns')} (a2 {pm(fit.a2, fit.a2_err)}); "
                   f"τ_amp {pm(fit.tau_amp_ns, fit.tau_amp_err_ns, 'ns')}, τ_int {pm(fit.tau_int_ns, fit.tau_int_err_ns, 'ns')} "
                   f"(reduced χ² {fit.chi2_reduced:.3f})")
