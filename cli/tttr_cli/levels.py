"""``tttr levels FILE``: intensity levels from change points of the photon arrival times."""

from __future__ import annotations

import click

from tttr import defaults

from .options import (DURATION, LEVELS_CONFIDENCE, DetectorList, emit_json, force_option, format_duration, json_option,
                      names_the_file, plot_option, progress_bar, reader_kwargs, reader_options, refuse_existing)
from .summary import pm


@click.command()
@click.argument("file", type=click.Path(path_type=str))
@click.option("--confidence", type=LEVELS_CONFIDENCE, default=defaults.LEVELS_CONFIDENCE, show_default=True,
              help="1 − false-positive rate of each change-point test.")
@click.option("--detectors", type=DetectorList(), default=None, help="Detectors to use, e.g. 0,1 (default: all).")
@click.option("--no-lifetimes", is_flag=True, help="Skip the lifetime fit of each level.")
@click.option("--bin", "bin_width_s", type=DURATION, default=defaults.BIN_WIDTH_S,
              show_default=format_duration(defaults.BIN_WIDTH_S), help="Bin of the trace drawn under the levels (--plot).")
@plot_option
@force_option("the --plot file")
@json_option
@reader_options
@names_the_file
def levels(file, confidence, detectors, no_lifetimes, bin_width_s, plot_path, force, as_json, **kwargs):
    """Intensity levels of FILE without bins: change points of the photon arrival times
    (Watkins & Yang's likelihood-ratio test), each level's intensity and lifetime, and the
    levels grouped into states by hierarchical clustering with a BIC.

    One streaming pass; memory does not grow with the file.
    """
    import tttr
    from tttr.io import nanotime_problem
    from tttr.analysis.levels import LevelsAccumulator
    from tttr.pipeline import stream_pass

    refuse_existing(plot_path, force=force)
    reader = reader_kwargs(kwargs)
    stream = tttr.open(file, **reader)
    info = stream.info
    lifetimes = not no_lifetimes and nanotime_problem(info) is None
    accs = {"levels": LevelsAccumulator(info, confidence=confidence, detectors=detectors, lifetimes=lifetimes)}
    if plot_path:
        from tttr.analysis.binned import BinnedAccumulator

        accs["binned"] = BinnedAccumulator(info, bin_width_s=bin_width_s, detectors=detectors)
    with progress_bar(as_json, info.n_records, desc="change points") as update:
        res = stream_pass(stream, accs, progress=update)
    from tttr.analysis.level_statistics import level_statistics

    stats = level_statistics(res["levels"])
    lv = stats.levels
    if plot_path:
        from tttr import plot
        from tttr.analysis.trace import trace_from_binned

        plot.save(plot.levels_figure(lv, trace_from_binned(res["binned"])), plot_path, force=force)
    if as_json:
        emit_json({"file": file, "confidence": lv.confidence, "n_levels": lv.n_levels,
                   "n_change_points": lv.n_change_points, "t0_ns": lv.t0_ns,
                   "decay_bin_width_ns": lv.decay_bin_width_ns, **stats.summary()})
        return
    click.echo(f"{lv.n_levels} levels, {lv.n_change_points} change points (confidence {lv.confidence:g})")
    from .analyze import level_lines

    for line in level_lines(stats.summary())[1:]:
        click.echo(line)
    if lv.n_levels == 0:
        return
    dur = lv.duration_s
    click.echo(f"level duration: median {format_duration(float(sorted(dur)[len(dur) // 2]))}, "
               f"shortest {format_duration(float(dur.min()))}, longest {format_duration(float(dur.max()))}")
    show = min(lv.n_levels, 20)
    click.echo(f"{'start (s)':>12} {'duration':>10} {'photons':>9}  {'intensity (cps)':>22}  {'lifetime (ns)':>16}  group")
    for i in range(show):
        tau = pm(lv.tau_ns[i], lv.tau_err_ns[i]) if lv.tau_ns[i] == lv.tau_ns[i] else "-"
        click.echo(f"{lv.start_s[i]:12.6f} {format_duration(float(dur[i])):>10} {int(lv.n_photons[i]):9d}  "
                   f"{pm(lv.intensity_cps[i], lv.intensity_err_cps[i]):>22}  {tau:>16}  {int(lv.group[i])}")
    if lv.n_levels > show:
        click.echo(f"... {lv.n_levels - show} more (--json for all)")
