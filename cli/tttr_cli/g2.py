"""``tttr g2 FILE``: the HBT cross-correlation g2(τ) of two detectors, with g2(0)."""

from __future__ import annotations

import click

from tttr import defaults

from .options import (DURATION, DetectorList, LibraryChoice, emit_json, force_option, format_duration, json_option, names_the_file,
                      plot_option, progress_bar, reader_kwargs, reader_options, refuse_existing)
from .summary import pm


@click.command()
@click.argument("file", type=click.Path(path_type=str))
@click.option("--window", "window_s", type=DURATION, default=None,
              help="Half-width of the lag range  [default: 1us; pulsed: at least 2 periods]")
@click.option("--bin", "bin_s", type=DURATION, default=defaults.G2_BIN_S, show_default=format_duration(defaults.G2_BIN_S),
              help="Lag bin width.")
@click.option("--detectors", type=DetectorList(count=2), default=defaults.G2_DETECTORS,
              show_default=",".join(map(str, defaults.G2_DETECTORS)),
              help="Detectors A,B; the lag is t_B - t_A.")
@click.option("--mode", type=LibraryChoice("tttr.analysis.g2", "MODES"), default="auto", show_default=True,
              help="pulsed: peak areas; cw: antibunching fit; auto: pulsed for T3 files.")
@click.option("--side-peaks", "n_side_peaks", type=click.IntRange(1, 1000), default=None,
              help=f"Pulsed: side peaks averaged on each side  [default: {defaults.G2_SIDE_PEAKS}]")
@click.option("--half-window", "half_window_s", type=DURATION, default=None,
              help="Pulsed: peak integration half-window  [default: half a period]")
@plot_option
@force_option("the --plot file")
@json_option
@reader_options
@names_the_file
def g2(file, window_s, bin_s, detectors, mode, n_side_peaks, half_window_s, plot_path, force, as_json, **kwargs):
    """Cross-correlate detectors A and B of FILE and report g2(0)."""
    import tttr
    from tttr.analysis.g2 import g2 as compute_g2

    if window_s is not None and bin_s >= window_s:
        raise click.BadParameter(f"{format_duration(bin_s)} is not shorter than the window "
                                 f"{format_duration(window_s)}", param_hint="'--bin'")
    refuse_existing(plot_path, force=force)
    k = defaults.G2_SIDE_PEAKS if n_side_peaks is None else n_side_peaks
    stream = tttr.open(file, **reader_kwargs(kwargs))
    with progress_bar(as_json, stream.info.n_records, desc="correlating") as update:
        curve = compute_g2(stream, window_s=window_s, bin_s=bin_s, detectors=detectors, mode=mode, n_side_peaks=k,
                           half_window_s=half_window_s, progress=update)
    if plot_path:
        from tttr import plot

        plot.save(plot.g2_figure(curve), plot_path, force=force)
    if as_json:
        out = {"file": file}
        out.update(curve.to_dict())
        emit_json(out)
        return
    a = curve.analysis
    lines = [
        f"g2 of detectors {curve.detectors[0]} -> {curve.detectors[1]}: {curve.n_a:,} x {curve.n_b:,} photons "
        f"over {curve.duration_s:.4g} s; {curve.counts.sum():,} pairs within ±{curve.window_s * 1e9:.4g} ns "
        f"in {curve.bin_s * 1e12:.4g} ps bins",
    ]
    if a is None:
        lines.append(f"{curve.mode} g2(0): not computed: {curve.analysis_error}")
    elif curve.mode == "pulsed":
        lines.append(f"pulsed (period {a.period_s * 1e9:.4g} ns): g2(0) = {_with_ci(a.g2_zero, a.g2_zero_err, a)}"
                     + (" (peak overlap removed)" if a.overlap_corrected else ""))
        if a.g2_zero_window is not None:
            lines.append(f"plain window ratio {a.g2_zero_window:.4f} (central {a.central_area:,} pairs, "
                         f"side mean {a.side_area_mean:,.1f}, K = {a.n_side_peaks}, ±{a.half_window_s * 1e9:.4g} ns)")
        if a.g2_zero_corrected is not None:
            lines.append(f"background-corrected ({a.correction}): "
                         f"{_with_ci(a.g2_zero_corrected, a.g2_zero_corrected_err, a, 'g2_zero_corrected_ci')}"
                         + (f"; background fractions {', '.join(f'{x:.3f}' for x in a.background_fractions)}"
                            if a.background_fractions is not None else ""))
        near = [(int(k), float(v)) for k, v in zip(a.peak_index, a.peak_g2) if 0 < abs(k) <= 3]
        lines.append("side peaks / uncorrelated: " + ", ".join(f"{k:+d}: {v:.3f}" for k, v in near))
    else:
        lines.append(f"cw fit: g2(0) = {_with_ci(a.g2_zero, a.g2_zero_err, a)}, tau_a = {a.tau_a_ns:.4g} ± "
                     f"{a.tau_a_ns_err:.2g} ns, tau0 = {a.tau0_ns:.4g} ns, plateau {a.amplitude:.4g}")
    if a is not None:
        lines.append(_single_emitter_line(a))
    click.echo("\n".join(lines))


def _with_ci(value, err, a, ci_name="g2_zero_ci") -> str:
    ci = getattr(a, ci_name, None)
    text = pm(value, err)
    if ci is not None and None not in tuple(ci):
        text += f", 95 % interval [{ci[0]:.3g}, {ci[1]:.3g}]"
    return text


def _single_emitter_line(a) -> str:
    """The single-emitter decision as the analysis made it (null with its reason when undecided)."""
    word = {True: "yes", False: "no", None: "undetermined"}[a.single_emitter]
    reason = a.single_emitter_reason
    return f"single emitter (g2(0) < 0.5): {word}" + (f" ({reason})" if reason else "")
