"""``tttr batch DIR --out DIR``: every time-tag file of a folder tree, one summary table."""

from __future__ import annotations

import click

from tttr import defaults

from .options import (DURATION, FRACTION, LEVELS_CONFIDENCE, LibraryChoice, emit_json, format_duration, json_option, progress_enabled, reader_kwargs, reader_options)


@click.command()
@click.argument("in_dir", metavar="DIR", type=click.Path(exists=True, file_okay=False, path_type=str))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=str),
              help="Output folder: per-file reports (folders mirrored), summary.csv, index.html, population figures.")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=1, show_default=True,
              help="Local worker processes (0: one per CPU).")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Run on a Dask distributed cluster (e.g. tcp://host:8786) instead of local processes.")
@click.option("--resume", is_flag=True, help="Keep files whose outputs are complete and newer than the file.")
@click.option("--force", is_flag=True, help="Redo every file; replace existing outputs.")
@click.option("--plots", is_flag=True, help="Also write each file's figures (PNG), summary page (PNG, PDF) and HTML report.")
@click.option("--metadata", type=click.Path(exists=True, dir_okay=False, path_type=str), default=None,
              help="CSV with a 'file' column; its other columns join the summary (mean_excitons: series fit).")
@click.option("--bin", "bin_width_s", type=DURATION, default=defaults.BIN_WIDTH_S,
              show_default=format_duration(defaults.BIN_WIDTH_S), help="Trace bin width.")
@click.option("--threshold-method", type=LibraryChoice("tttr.analysis.blinking", "METHODS", exclude=("absolute",)),
              default=defaults.THRESHOLD_METHOD, show_default=True, help="How the ON threshold is chosen.")
@click.option("--fraction", "threshold_fraction", type=FRACTION, default=defaults.THRESHOLD_FRACTION,
              show_default=True, help="ON if counts ≥ fraction × I_max (0 < f ≤ 1).")
@click.option("--levels/--no-levels", "levels", default=defaults.ANALYZE_LEVELS, show_default=True,
              help="Also find change-point levels and their states in every file (see tttr analyze --levels).")
@click.option("--levels-confidence", type=LEVELS_CONFIDENCE, default=defaults.LEVELS_CONFIDENCE, show_default=True,
              help="1 − false-positive rate of each change-point test (0.69 … 0.99).")
@json_option
@reader_options
@click.pass_context
def batch(ctx, in_dir, out_dir, jobs, scheduler, resume, force, plots, metadata, bin_width_s, threshold_method,
          threshold_fraction, levels, levels_confidence, as_json, **kwargs):
    """Analyse every time-tag file under DIR; write summary.csv, index.html and the per-file results.

    A file that cannot be read or analysed is recorded as failed (with the reason) and the
    batch goes on; the exit code is 1 when any file failed. The reader options apply to
    every file; a metadata column of the same name (timestamps_unit_s, nanotimes_unit_s,
    sync_rate_hz, channel_base; numbers in s, Hz) sets one file's value. A full disk stops
    the batch with one line (finished files are kept; --resume completes it); a second
    batch into a folder in use is refused.
    """
    import signal

    from tttr.batch import run_batch

    if resume and force:
        raise click.UsageError("--resume and --force exclude each other")
    if scheduler and jobs != 1:
        raise click.UsageError("--jobs applies to local processes; with --scheduler the cluster sets the workers")
    bar = None
    echo_err = click.echo

    def progress(n_done, n_total, record):
        nonlocal bar, echo_err
        if record is None:
            if progress_enabled(as_json):
                import sys

                from tqdm import tqdm

                bar = tqdm(total=n_total, unit="file", desc="batch", leave=False, file=sys.stderr)
                echo_err = lambda msg, err=True: tqdm.write(msg, file=sys.stderr)  # noqa: E731 - above the bar
            return
        if bar is not None:
            bar.update(1)
        if not record.ok and not as_json:
            echo_err(f"failed: {record.path}: {record.reason}", err=True)

    options = {"bin_width_s": bin_width_s, "threshold_method": threshold_method,
               "threshold_fraction": threshold_fraction}
    if levels:  # only when asked for, so that a batch without levels passes the same options as before
        options.update(levels=True, levels_confidence=levels_confidence)
    def terminated(signum, frame):
        raise KeyboardInterrupt  # so that the batch ends its workers and removes its temporaries

    try:
        previous = signal.signal(signal.SIGTERM, terminated)
    except ValueError:  # not the main thread: SIGTERM keeps its default
        previous = None
    try:
        result = run_batch(in_dir, out_dir, jobs=jobs, scheduler=scheduler, resume=resume, force=force, plots=plots,
                           metadata=metadata, analyze_options=options, reader_options=reader_kwargs(kwargs),
                           progress=progress)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if bar is not None:
            bar.close()
    if as_json:
        emit_json(result.to_dict())
    else:
        resumed = f" ({result.n_resumed} kept from an earlier run)" if result.n_resumed else ""
        click.echo(f"{result.n_files} files: {result.n_ok} ok{resumed}, {result.n_failed} failed; "
                   f"{len(result.skipped)} other files skipped; {result.elapsed_s:.1f} s")
        click.echo(f"summary: {result.summary_path}")
        click.echo(f"index: {result.index_path}")
        s = result.series
        if s and s.get("p") is not None:
            err = f" ± {s['p_err']:.2g}" if s.get("p_err") is not None else ""
            click.echo(f"series: charging rate ∝ ⟨N⟩^p, p = {s['p']:.3g}{err} ({s['n_points']} files)")
        for w in result.warnings:
            click.echo(f"warning: {w}", err=True)
    if result.n_failed:
        ctx.exit(1)
