"""``tttr info FILE``: header, record type, counts per detector, duration, rates."""

from __future__ import annotations

import click

from .options import (emit_json, json_option, names_the_file, progress_bar, progress_enabled, reader_kwargs,
                      reader_options)


@click.command()
@click.argument("file", type=click.Path(path_type=str))
@json_option
@reader_options
@names_the_file
def info(file, as_json, **kwargs):
    """Describe FILE: format, record type, units, counts per detector, duration."""
    from tttr.summary import file_summary

    ropts = reader_kwargs(kwargs)
    total = None
    if progress_enabled(as_json):
        import warnings

        import tttr

        with warnings.catch_warnings():  # the summary reports the reader's warnings itself
            warnings.simplefilter("ignore")
            total = tttr.open(file, **ropts).info.n_records
    with progress_bar(as_json, total, desc="reading") as update:
        s = file_summary(file, progress=update, **ropts)
    if as_json:
        emit_json(s.to_dict())
        return
    nt = f"{s.nanotimes_unit_s * 1e12:.4g} ps" if s.nanotimes_unit_s else "-"
    lines = [
        f"file            {s.path}",
        f"format          {s.format}  ({s.record_type}, {s.mode})",
        f"records         {s.n_records:,}",
        f"photons         {s.n_photons:,}   per detector: "
        + ", ".join(f"{k}: {v:,}" for k, v in s.photons_per_detector.items()),
        f"markers         {s.n_markers:,}" + (f"   sync events: {s.n_sync:,}" if s.n_sync else ""),
        f"timestamp unit  {s.timestamps_unit_s:.6g} s   nanotime unit {nt}",
        f"sync rate       {s.sync_rate_hz:,.6g} Hz" if s.sync_rate_hz else "sync rate       -",
        f"duration        {s.duration_s:.6g} s" + (f"   count rate {s.count_rate_cps:,.0f} cps" if s.count_rate_cps else ""),
    ]
    for w in s.warnings:
        lines.append(f"warning         {w}")
    click.echo("\n".join(lines))
