"""``tttr g2 FILE``: the HBT cross-correlation g2(τ) of two detectors, with g2(0)."""

from __future__ import annotations

import click

from .options import DURATION, emit_json, json_option, reader_kwargs, reader_options


def _detector_pair(ctx, param, value):
    try:
        a, b = (int(x) for x in str(value).split(","))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not two detectors like 0,1") from None
    return a, b


@click.command()
@click.argument("file", type=click.Path(path_type=str))
@click.option("--window", "window_s", type=DURATION, default=None,
              help="Half-width of the lag range  [default: 1us; pulsed: at least 2 periods]")
@click.option("--bin", "bin_s", type=DURATION, default="100ps", show_default=True, help="Lag bin width.")
@click.option("--detectors", default="0,1", show_default=True, callback=_detector_pair,
              help="Detectors A,B; the lag is t_B - t_A.")
@click.option("--mode", type=click.Choice(["auto", "pulsed", "cw"]), default="auto", show_default=True,
              help="pulsed: peak areas; cw: antibunching fit; auto: pulsed for T3 files.")
@click.option("--side-peaks", "n_side_peaks", type=int, default=None,
              help="Pulsed: side peaks averaged on each side  [default: 1]")
@click.option("--half-window", "half_window_s", type=DURATION, default=None,
              help="Pulsed: peak integration half-window  [default: half a period]")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None, help="Write the figure (PNG/PDF).")
@json_option
@reader_options
def g2(file, window_s, bin_s, detectors, mode, n_side_peaks, half_window_s, plot_path, as_json, **kwargs):
    """Cross-correlate detectors A and B of FILE and report g2(0)."""
    from tttr import defaults
    from tttr.analysis.g2 import g2 as compute_g2

    k = defaults.G2_SIDE_PEAKS if n_side_peaks is None else n_side_peaks
    curve = compute_g2(file, window_s=window_s, bin_s=bin_s, detectors=detectors, mode=mode, n_side_peaks=k,
                       half_window_s=half_window_s, **reader_kwargs(kwargs))
    if plot_path:
        from tttr import plot

        plot.save(plot.g2_figure(curve), plot_path)
    if as_json:
        out = {"file": file}
        out.update(curve.to_dict())
        emit_json(out)
        return
    a = curve.analysis
    lines = [
        f"g2 of detectors {curve.detectors[0]} -> {curve.detectors[1]}: {curve.n_a:,} x {curve.n_b:,} photons "
        f"over {curve.duration_s:.4g} s; {curve.counts.sum():,} pairs within +-{curve.window_s * 1e9:.4g} ns "
        f"in {curve.bin_s * 1e12:.4g} ps bins",
    ]
    if a is None:
        lines.append(f"{curve.mode} g2(0): not computed: {curve.analysis_error}")
    elif curve.mode == "pulsed":
        lines.append(f"pulsed (period {a.period_s * 1e9:.4g} ns): g2(0) = {a.g2_zero:.4f} +- {a.g2_zero_err:.4f}, "
                     f"purity {a.purity:.4f}  (central {a.central_area:,} pairs, side mean {a.side_area_mean:,.1f}, "
                     f"K = {a.n_side_peaks})")
        near = [(int(k), float(v)) for k, v in zip(a.peak_index, a.peak_g2) if 0 < abs(k) <= 3]
        lines.append("side peaks / uncorrelated: " + ", ".join(f"{k:+d}: {v:.3f}" for k, v in near))
    else:
        lines.append(f"cw fit: g2(0) = {a.g2_zero:.4f} +- {a.g2_zero_err:.4f}, tau_a = {a.tau_a_ns:.4g} +- "
                     f"{a.tau_a_ns_err:.2g} ns, tau0 = {a.tau0_ns:.4g} ns, plateau {a.amplitude:.4g}")
    if a is not None:
        lines.append(f"single emitter (g2(0) < 0.5): {'yes' if a.g2_zero < 0.5 else 'no'}")
    click.echo("\n".join(lines))
