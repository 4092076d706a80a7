"""Writing one file's analysis: the JSON report, the arrays (HDF5 ``/user/tttr/``), the figures.

Every output is written to a temporary file in the destination folder and renamed into
place, so an interrupted run leaves either the old file or the complete new one, never a
half-written one. Existing outputs are not overwritten without ``force``. On a full disk
(or an I/O error) :func:`write_report` raises :class:`~tttr.errors.OutputError` and removes
what it had already placed, so a file has all its outputs or none.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from .io.atomic import atomic_path, atomic_write_bytes

__all__ = ["output_paths", "write_report", "outputs_complete", "atomic_write_bytes"]


def output_paths(out_dir, stem: str, *, plots: bool = False) -> dict:
    """Paths of the outputs of one file (``{stem}.report.json``, ``{stem}.tttr.h5``, figures)."""
    d = Path(out_dir)
    paths = {"report": d / f"{stem}.report.json", "arrays": d / f"{stem}.tttr.h5"}
    if plots:
        for name in ("trace", "decay", "flid", "dwell", "g2", "intensity_histogram", "mandel_q", "levels",
                     "level_flid", "summary"):
            paths[f"plot_{name}"] = d / f"{stem}.{name}.png"
        paths["summary_pdf"] = d / f"{stem}.summary.pdf"
        paths["html"] = d / f"{stem}.report.html"
    return paths


def _write_arrays(report, path, dest) -> None:
    """The arrays into the temporary ``path`` (through the HDF5 write guard; errors name ``dest``)."""
    from .io.h5guard import open_guarded_h5, output_error

    f, guard = open_guarded_h5(path, "w")
    try:
        with f:
            _fill_arrays(f, report)
        guard.sync()
    finally:
        guard.close()
    if guard.error is not None:
        raise output_error(dest, guard.error)


def _fill_arrays(f, report) -> None:
    """The groups and datasets of ``/user/tttr`` in the open file ``f``."""
    g = f.create_group("user/tttr")
    g.attrs["source_file"] = str(report.file)
    g.attrs["report_json"] = json.dumps(report.to_dict(), allow_nan=False)
    if report.trace is not None:
        t = g.create_group("trace")
        t.create_dataset("counts", data=report.trace.counts, compression="gzip")
        t.attrs["bin_width_s"] = report.trace.bin_width_s
        t.attrs["detectors"] = list(report.trace.detectors)
    if report.decay is not None:
        d = g.create_group("decay")
        d.create_dataset("counts", data=report.decay.counts, compression="gzip")
        d.create_dataset("summed", data=report.decay.summed, compression="gzip")
        d.attrs["bin_width_ns"] = report.decay.bin_width_ns
        d.attrs["t0_ns"] = report.decay.t0_ns
    if report.flid_map is not None:
        m = g.create_group("flid")
        m.create_dataset("lifetime_ns", data=report.flid_map.lifetime_ns, compression="gzip")
        m.create_dataset("intensity_counts", data=report.flid_map.intensity_counts, compression="gzip")
        m.create_dataset("histogram", data=report.flid_map.histogram, compression="gzip")
        m.create_dataset("lifetime_edges_ns", data=report.flid_map.lifetime_edges_ns)
        m.create_dataset("intensity_edges", data=report.flid_map.intensity_edges)
        m.attrs["estimator"] = report.flid_map.estimator
    if report.blinking is not None:
        b = g.create_group("dwell_times")
        b.create_dataset("on_s", data=report.blinking.dwell.on_s)
        b.create_dataset("off_s", data=report.blinking.dwell.off_s)
    if report.g2_curve is not None:
        c = g.create_group("g2")
        c.create_dataset("lag_s", data=report.g2_curve.lag_s)
        c.create_dataset("counts", data=report.g2_curve.counts)
        c.create_dataset("g2", data=np.asarray(report.g2_curve.g2))
        c.attrs["mode"] = report.g2_curve.mode


def _figures(report) -> dict:
    """name -> figure, for what the report holds (:func:`tttr.plot.report_figures` and the
    intensity histogram)."""
    from . import plot

    figs = plot.report_figures(report)
    if report.trace is not None:
        from .analysis.photon_stats import intensity_histogram

        figs["intensity_histogram"] = plot.intensity_histogram_figure(
            intensity_histogram(report.trace.total, bin_width_s=report.trace.bin_width_s),
            threshold=report.blinking.threshold if report.blinking is not None else None)
    return figs


def _rendered(report) -> dict:
    """name -> PNG bytes of every figure, each drawn once (for the files, the summary page
    and the HTML report alike)."""
    from .plot import png_bytes

    return {name: png_bytes(fig, dpi=100) for name, fig in _figures(report).items()}


def outputs_complete(out_dir, stem: str, source, *, plots: bool = False) -> bool:
    """True when the report and arrays exist and are newer than ``source`` (for ``--resume``)."""
    paths = output_paths(out_dir, stem, plots=False)
    try:
        src = os.path.getmtime(source)
        return all(p.exists() and os.path.getmtime(p) >= src for p in paths.values())
    except OSError:
        return False


def write_report(report, out_dir, *, stem: str | None = None, plots: bool = False, force: bool = False) -> dict:
    """Write one file's outputs into ``out_dir``; returns ``{name: path}`` of what was written.

    Raises
    ------
    FileExistsError
        An output exists and ``force`` is False (nothing is written then).
    OutputError
        The disk is full or failed; nothing of this call's outputs is left behind.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = stem or Path(report.file).name
    paths = output_paths(out, stem, plots=plots)
    if not force:
        existing = [str(p) for p in paths.values() if p.exists()]
        if existing:
            raise FileExistsError(f"{existing[0]}: exists; not overwritten (use --force)")
    written: dict = {}
    try:
        with atomic_path(paths["arrays"], force=force) as tmp:
            _write_arrays(report, tmp, paths["arrays"])
        written["arrays"] = paths["arrays"]
        if plots:
            from .report_html import report_html
            from .report_page import pdf_from_png, summary_page_png

            pngs = _rendered(report)
            for name, data in pngs.items():
                atomic_write_bytes(paths[f"plot_{name}"], data, force=force)
                written[f"plot_{name}"] = paths[f"plot_{name}"]
            # the summary page from the PNGs just drawn; its PDF embeds the page's PNG data as is
            page = summary_page_png(pngs, Path(str(report.file)).name)
            for key, data in (("plot_summary", page), ("summary_pdf", pdf_from_png(page, title=stem))):
                atomic_write_bytes(paths[key], data, force=force)
                written[key] = paths[key]
            atomic_write_bytes(paths["html"], report_html(report, pngs=pngs).encode("utf-8"), force=force)
            written["html"] = paths["html"]
        # the report last: its presence marks the outputs as complete (--resume)
        atomic_write_bytes(paths["report"], json.dumps(report.to_dict(), indent=2, allow_nan=False).encode(),
                           force=force)
        written["report"] = paths["report"]
    except BaseException:
        for p in written.values():  # all or nothing: no arrays without their report
            Path(p).unlink(missing_ok=True)
        raise
    return written
