"""matplotlib figures of the results (imported lazily; the core never needs matplotlib).

Every function takes a result, draws on a new figure (or the ``ax`` given) and returns the
figure; :func:`save` writes it as PNG or PDF (by the extension) with the Agg backend.
"""

from __future__ import annotations

import numpy as np

__all__ = ["trace_figure", "intensity_histogram_figure", "dwell_time_figure", "decay_figure", "flid_figure",
           "g2_figure", "mandel_q_figure", "summary_figure", "report_figures", "png_bytes", "save"]
__all__ += ["level_flid_figure"]  # levels (issue 16)


def _plt():
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "pdf", "svg") and not _interactive():
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _legend(ax, **kw):
    """A legend only when something is labelled (matplotlib warns otherwise)."""
    if ax.get_legend_handles_labels()[1]:
        ax.legend(**kw)


def _fixed_margins(fig, *, left: float = 0.8, right: float = 0.2, bottom: float = 0.6, top: float = 0.4,
                   hspace: float | None = None) -> None:
    """Place the axes with fixed margins (inches) around them, instead of a layout engine.

    Notes
    -----
    ``tight_layout`` measures every text of the figure once more before it is saved (about
    0.1 s per figure); the margins here leave room for the tick labels, axis labels and a
    title at the sizes used in this module, and the tight bounding box at saving trims what
    is left over, so the saved image looks the same.
    """
    w, h = fig.get_size_inches()
    fig.subplots_adjust(left=left / w, right=1 - right / w, bottom=bottom / h, top=1 - top / h, hspace=hspace)


def _interactive() -> bool:
    import sys

    return hasattr(sys, "ps1")


def png_bytes(fig, *, dpi: int = 150) -> bytes:
    """``fig`` rendered as PNG bytes (RGB, cropped to its content plus 0.1 inch), and closed.

    Notes
    -----
    Same picture as ``savefig(bbox_inches="tight")`` but drawn once: ``bbox_inches="tight"``
    lays the whole figure out a second time to measure it, which costs about as much as
    drawing it. Here the figure is drawn once and the pixels are cropped to the non-white
    area with a 0.1-inch pad (matplotlib's default pad). When something touches the edge of
    the figure (it may reach beyond it), the figure is saved the slower way instead, so
    nothing is cut off. An artist placed wholly outside the figure would not be seen (the
    figures of this module keep their legends and texts inside). The background is opaque
    white, so RGB loses nothing against RGBA.
    """
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    buf = io.BytesIO()
    try:
        fig.set_dpi(dpi)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        rgb = np.asarray(canvas.buffer_rgba())[..., :3]
        ink = (rgb != 255).any(axis=2)
        rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
        if rows.size == 0 or rows[0] == 0 or cols[0] == 0 or rows[-1] == ink.shape[0] - 1 \
                or cols[-1] == ink.shape[1] - 1:
            fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
        else:
            pad = round(0.1 * dpi)
            r0, r1 = max(rows[0] - pad, 0), min(rows[-1] + 1 + pad, ink.shape[0])
            c0, c1 = max(cols[0] - pad, 0), min(cols[-1] + 1 + pad, ink.shape[1])
            Image.fromarray(np.ascontiguousarray(rgb[r0:r1, c0:c1])).save(buf, format="PNG", dpi=(dpi, dpi))
    finally:
        _plt().close(fig)
    return buf.getvalue()


def save(fig, path, *, format: str | None = None, force: bool = False) -> str:  # noqa: A002 - matplotlib's name
    """Write ``fig`` to ``path`` (PNG/PDF/SVG by extension, or ``format``) and close it.

    Notes
    -----
    Rendered in memory and written atomically (:func:`tttr.io.atomic.atomic_save_figure`):
    a full disk leaves nothing at ``path`` (never a 0-byte image), and an existing file is
    replaced only with ``force``.
    """
    from pathlib import Path

    from .io.atomic import atomic_save_figure

    fmt = format or Path(path).suffix.lstrip(".").lower() or "png"
    try:
        atomic_save_figure(fig, path, force=force, format=fmt, dpi=150, bbox_inches="tight")
    finally:
        _plt().close(fig)
    return str(path)


def _poisson_levels(counts: np.ndarray, threshold: float | None, max_iter: int = 200):
    """Weights and means of a one- or two-level Poisson mixture of per-bin counts (EM on the histogram).

    Notes
    -----
    For display: the figure draws each level's Poisson law beside the trace. Started from the
    split at ``threshold``; one level when there is no threshold or one side is empty.
    """
    from scipy.stats import poisson

    k = np.arange(int(counts.max()) + 1 if counts.size else 1)
    occ = np.bincount(counts.astype(np.int64), minlength=k.size).astype(float)
    n = occ.sum()
    if n == 0:
        return np.array([1.0]), np.array([0.0])
    if threshold is None or not (counts < threshold).any() or not (counts >= threshold).any():
        return np.array([1.0]), np.array([counts.mean()])
    lo, hi = counts[counts < threshold], counts[counts >= threshold]
    w = np.array([lo.size, hi.size], float) / counts.size
    mu = np.array([max(lo.mean(), 1e-3), hi.mean()])
    for _ in range(max_iter):
        pk = w[:, None] * poisson.pmf(k[None, :], mu[:, None]) + 1e-300
        r = pk / pk.sum(axis=0)
        nk = (r * occ).sum(axis=1)
        w_new, mu_new = nk / n, np.maximum((r * occ * k).sum(axis=1) / np.maximum(nk, 1e-300), 1e-3)
        done = np.allclose(mu_new, mu, rtol=1e-6) and np.allclose(w_new, w, atol=1e-8)
        w, mu = w_new, mu_new
        if done:
            break
    return w, mu


def trace_figure(trace, *, blinking=None, lifetime_trace_ns=None, max_points: int = 200_000):
    """Intensity trace with the rotated intensity histogram beside it, and the lifetime trace below.

    Parameters
    ----------
    trace : IntensityTrace
    blinking : BlinkingStats, optional
        Adds the ON threshold, the ON periods shaded, and a Poisson law per intensity level
        on the histogram.
    lifetime_trace_ns : (n_bins,) float, optional
        Per-bin lifetimes drawn under the trace on the same time axis (the papers' figure).
    max_points : int
        Trace points drawn at most (every k-th bin beyond that).

    Notes
    -----
    The histogram shares the trace's count axis (as in seeds 001 and 002); the level laws
    come from a two-level Poisson mixture fitted to the counts (one level without blinking),
    so they sit on the two states rather than on the global mean between them.
    """
    plt = _plt()
    from scipy.stats import poisson

    rows = 2 if lifetime_trace_ns is not None else 1
    fig = plt.figure(figsize=(10, 2.9 * rows + 0.4))
    gs = fig.add_gridspec(rows, 2, width_ratios=(5, 1), wspace=0.04, hspace=0.08)
    ax = fig.add_subplot(gs[0, 0])
    ax_h = fig.add_subplot(gs[0, 1], sharey=ax)
    t = trace.times_s
    y = trace.total
    step = max(1, t.size // max_points)
    ax.plot(t[::step], y[::step], lw=0.5, color="0.15", drawstyle="steps-post")
    thr = blinking.threshold if blinking is not None else None
    detected = getattr(blinking, "blinking_detected", True) if blinking is not None else False
    if thr is not None and detected and y.size:
        on = y >= thr.counts
        ax.fill_between(t[::step], 0, 1, where=on[::step], step="post", color="tab:orange", alpha=0.12,
                        transform=ax.get_xaxis_transform(), lw=0, label="ON")
        ax.axhline(thr.counts, color="tab:red", lw=1, label=f"threshold {thr.counts:.0f} ({thr.method})")
        if thr.off_counts is not None:
            ax.axhline(thr.off_counts, color="tab:orange", lw=1, ls="--", label=f"OFF below {thr.off_counts:.0f}")
        _legend(ax, loc="upper right", fontsize=7, ncol=3)
        ax.set_title(f"ON fraction {blinking.on_fraction:.3f}, blinking rate {blinking.blinking_rate_hz:.2f} s⁻¹",
                     fontsize=9)
    elif blinking is not None:
        ax.set_title("no blinking detected (one Poisson level)", fontsize=9)
    ax.set_ylabel(f"counts / {trace.bin_width_s * 1e3:g} ms")
    ax.set_ylim(bottom=0)
    # rotated histogram of the counts with one Poisson law per level
    if y.size:
        k = np.arange(int(y.max()) + 2)
        occ = np.bincount(y.astype(np.int64), minlength=k.size)
        # one filled step outline (not one bar patch per count value): same picture, far fewer artists
        ax_h.stairs(occ, np.arange(k.size + 1) - 0.5, orientation="horizontal", fill=True, color="0.5", lw=0)
        w, mu = _poisson_levels(y, thr.counts if (thr is not None and detected) else None)
        for wi, mi, c in zip(w, mu, ("tab:blue", "tab:red")):
            ax_h.plot(y.size * wi * poisson.pmf(k, mi), k, color=c, lw=1.1, label=f"Poisson {mi:.0f}")
        if thr is not None and detected:
            ax_h.axhline(thr.counts, color="tab:red", lw=1)
        _legend(ax_h, fontsize=7, loc="upper right")
    ax_h.set_xlabel("bins", fontsize=8)
    ax_h.tick_params(labelleft=False, labelsize=7)
    if lifetime_trace_ns is not None:
        ax.tick_params(labelbottom=False)
        ax2 = fig.add_subplot(gs[1, 0], sharex=ax)
        ax2.plot(t[::step], np.asarray(lifetime_trace_ns)[::step], ".", ms=1, color="tab:blue")
        ax2.set_ylabel("lifetime (ns)")
        ax2.set_xlabel("time (s)")
        lt = np.asarray(lifetime_trace_ns, float)
        if np.isfinite(lt).any():
            ax2.set_ylim(0, np.nanpercentile(lt, 99.5) * 1.15)
    else:
        ax.set_xlabel("time (s)")
    return fig


def mandel_q_figure(curve):
    """Mandel Q against the bin width T (log axis), with errors: how bunching grows with T."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    T = np.array([m.bin_width_s for m in curve], float)
    q = np.array([m.q for m in curve], float)
    e = np.array([m.q_err for m in curve], float)
    ax.errorbar(T * 1e3, q, yerr=e, fmt="o-", ms=3, lw=1, color="0.2", capsize=2)
    ax.axhline(0, color="0.6", lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_xlabel("bin width T (ms)")
    ax.set_ylabel("Mandel Q(T)")
    _fixed_margins(fig)
    return fig


def intensity_histogram_figure(hist, *, threshold=None):
    """Occurrences of per-bin counts with the Poisson expectation of the same mean (seed 002, Fig. 2)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5, 3.5))
    c = np.asarray(hist.counts_per_bin, float)
    edges = np.append(c - 0.5, c[-1] + 0.5) if c.size else np.array([0.0])
    ax.stairs(hist.occurrences, edges, fill=True, color="0.5", lw=0, label="data")
    ax.plot(hist.counts_per_bin, hist.poisson_expected, color="tab:red", lw=1.2, label=f"Poisson, mean {hist.mean_counts:.1f}")
    if threshold is not None:
        ax.axvline(threshold.counts, color="tab:green", lw=1, label="ON threshold")
    ax.set_xlabel(f"counts / {hist.bin_width_s * 1e3:g} ms")
    ax.set_ylabel("occurrences")
    _legend(ax, fontsize=8)
    _fixed_margins(fig)
    return fig


def dwell_time_figure(dwell, *, fits=None):
    """ON and OFF dwell-time densities (Kuno/Nesbitt normalisation) on log-log axes, with
    fitted power laws when ``fits`` (``{"on": PowerLawFit, "off": PowerLawFit}``) is given."""
    plt = _plt()
    from .analysis.powerlaw import kuno_nesbitt_density

    fig, ax = plt.subplots(figsize=(5, 4))
    for name, dur, color in (("ON", dwell.on_s, "tab:red"), ("OFF", dwell.off_s, "tab:blue")):
        if dur.size < 2:
            continue
        t, p = kuno_nesbitt_density(dur, bin_width_s=dwell.bin_width_s)
        ax.loglog(t, p, "o", ms=3, color=color, alpha=0.7, label=f"{name} (n={dur.size})")
        fit = (fits or {}).get(name.lower())
        if fit is not None and np.isfinite(getattr(fit, "alpha", np.nan)):
            tt = np.geomspace(max(fit.t_min_s, t.min()), t.max(), 50)
            # same normalisation as the density: the fitted law covers the fraction of events ≥ t_min
            frac = fit.n / dur.size
            ax.loglog(tt, frac * fit.pdf(tt), "-", color=color,
                      label=f"α = {fit.alpha:.2f} ± {fit.alpha_err:.2f} from t_min {fit.t_min_s * 1e3:.3g} ms")
            ax.axvline(fit.t_min_s, color=color, lw=0.8, ls=":")
    ax.set_xlabel("dwell time (s)")
    ax.set_ylabel("P(t) (s⁻¹)")
    _legend(ax, fontsize=8)
    _fixed_margins(fig)
    return fig


def decay_figure(hist, fit=None):
    """Decay histogram (log counts vs delay) with the fitted model and its normalised residuals.

    Notes
    -----
    When the fit was made on a coarser copy of the histogram (``tttr analyze`` and
    ``tttr lifetime`` fit the decay merged to at most 1024 bins), the data are shown merged
    to the fit's bins, so that data and model are counts per the same bin. Residuals are
    ``(n − m)/√m`` over the fitted window: a good fit scatters them by ±1 with no structure.
    """
    plt = _plt()
    y = np.asarray(hist.summed if hasattr(hist, "summed") else hist, float)
    width = float(hist.bin_width_ns)
    if fit is not None and fit.bin_width_ns > width * 1.01:
        k = int(round(fit.bin_width_ns / width))
        m = (y.size // k) * k
        y, width = y[:m].reshape(-1, k).sum(axis=1), width * k
    t = (np.arange(y.size) + 0.5) * width
    if fit is None:
        fig, ax = plt.subplots(figsize=(6, 4))
        axr = None
    else:
        fig, (ax, axr) = plt.subplots(2, 1, figsize=(6, 4.8), sharex=True, gridspec_kw={"height_ratios": (3, 1)})
    ax.semilogy(t, np.where(y > 0, y, np.nan), ".", ms=2, color="0.3", label="data")
    if fit is not None:
        model = np.asarray(fit.model_counts, float) * (width / fit.bin_width_ns)
        tm = (np.arange(model.size) + 0.5) * fit.bin_width_ns
        inside = np.asarray(fit.window_mask, bool)
        if fit.model == "bi":
            label = (f"bi: τ1 = {fit.tau1_ns:.3g} ± {fit.tau1_err_ns:.2g} ns, "
                     f"τ2 = {fit.tau2_ns:.3g} ± {fit.tau2_err_ns:.2g} ns")
        else:
            label = f"mono: τ = {fit.tau_ns:.3g} ± {fit.tau_err_ns:.2g} ns"
        ax.semilogy(tm, np.where(inside, model, np.nan), "-", color="tab:red", lw=1.2, label=label)
        n = min(model.size, y.size)
        with np.errstate(all="ignore"):
            res = np.where(inside[:n] & (model[:n] > 0), (y[:n] - model[:n]) / np.sqrt(model[:n]), np.nan)
        axr.plot(t[:n], res, ".", ms=2, color="0.3")
        axr.axhline(0, color="tab:red", lw=0.8)
        axr.set_ylabel("(n−m)/√m", fontsize=8)
        axr.set_xlabel("delay (ns)")
        lim = np.nanpercentile(np.abs(res), 99.5) if np.isfinite(res).any() else 3
        axr.set_ylim(-max(lim, 3) * 1.1, max(lim, 3) * 1.1)
        axr.text(0.99, 0.95, f"reduced χ² {fit.chi2_reduced:.2f}", transform=axr.transAxes, ha="right", va="top",
                 fontsize=7)
    else:
        ax.set_xlabel("delay (ns)")
    ax.axvline(hist.t0_ns, color="tab:green", lw=0.8, ls=":", label=f"t0 = {hist.t0_ns:.3g} ns")
    ax.set_ylabel(f"counts / {width * 1e3:.3g} ps")
    _legend(ax, fontsize=7)
    _fixed_margins(fig, hspace=0.08)
    fig.align_ylabels()
    return fig


def g2_figure(curve, analysis=None, *, max_bins: int = 1000):
    """g2(τ) histogram with the g2(0) result in the title; the CW fit is drawn when there is one."""
    plt = _plt()
    a = analysis if analysis is not None else getattr(curve, "analysis", None)
    fig, ax = plt.subplots(figsize=(8, 3.5))
    # display only: merge bins (pair counts over expected counts) down to <= max_bins
    counts = np.asarray(curve.counts, float)
    expected = np.asarray(curve.expected_counts, float)
    k = max(1, -(-counts.size // max_bins))
    m = (counts.size // k) * k
    lag = curve.lag_s[:m].reshape(-1, k).mean(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        g = counts[:m].reshape(-1, k).sum(axis=1) / expected[:m].reshape(-1, k).sum(axis=1)
    ax.plot(lag * 1e9, g, lw=0.7, color="0.15", drawstyle="steps-mid")
    ax.axhline(1.0, color="0.6", lw=0.8, ls=":")
    if k > 1 and curve.bin_s:
        ax.text(0.99, 0.97, f"shown in {k * curve.bin_s * 1e9:.3g} ns bins", transform=ax.transAxes,
                ha="right", va="top", fontsize=7, color="0.4")
    if a is not None and hasattr(a, "tau_a_ns"):
        from .analysis.g2 import cw_g2_model

        ax.plot(curve.lag_s * 1e9, cw_g2_model(curve.lag_s * 1e9, a.g2_zero, a.tau_a_ns, a.tau0_ns, a.amplitude),
                color="tab:red", lw=1)
        title = f"CW fit g2(0) = {a.g2_zero:.3f} ± {a.g2_zero_err:.3f}, τa = {a.tau_a_ns:.3g} ns"
    elif a is not None:
        title = f"pulsed g2(0) = {a.g2_zero:.3f} ± {a.g2_zero_err:.3f}"
        if getattr(a, "overlap_corrected", False) and getattr(a, "g2_zero_window", None) is not None:
            title += f" (peak overlap removed; window areas shown, central {a.g2_zero_window:.3f})"
        _shade_peaks(ax, a, lag)
    else:
        title = "g2"
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("lag τ = t_B − t_A (ns)")
    ax.set_ylabel("g2(τ)")
    _fixed_margins(fig)
    return fig


def _shade_peaks(ax, a, lag_s):
    """Shade each pulsed peak's integration window and label its area relative to the side peaks."""
    h = float(getattr(a, "half_window_s", np.nan))
    if not np.isfinite(h):
        return
    lo, hi = float(np.min(lag_s)), float(np.max(lag_s))
    rel = np.asarray(getattr(a, "peak_areas_relative", a.peak_g2), float)
    for k, c, r in zip(np.asarray(a.peak_index), np.asarray(a.peak_lag_s, float), rel):
        if c + h < lo or c - h > hi:
            continue
        central = int(k) == 0
        ax.axvspan((c - h) * 1e9, (c + h) * 1e9, color="tab:red" if central else "tab:blue",
                   alpha=0.10 if central else 0.05, lw=0)
        ax.text(c * 1e9, 0.98, f"{r:.2f}", transform=ax.get_xaxis_transform(), ha="center", va="top", fontsize=7,
                color="tab:red" if central else "tab:blue")


_COLORS = {"auger": "tab:red", "bc": "tab:cyan", "mixed": "tab:orange"}
_STYLES = {"auger": "-", "bc": "--", "mixed": ":"}


def flid_figure(flid_map, fit=None, lifetime_trace: bool = True, *, regions=None, max_points: int = 200_000):
    """FLID map in false colour with the fitted curves, and the traces beside it.

    Parameters
    ----------
    flid_map : FlidMap
        From :func:`tttr.analysis.flid.flid_map`.
    fit : FlidFit, optional
        From :func:`tttr.analysis.models.fit_flid`: its curves are drawn over the map
        (background counts added back, so they sit on the map's intensity axis), with the
        binned points that were fitted and the verdict in the title.
    lifetime_trace : bool
        Also draw the intensity trace and, under it on the same time axis, the lifetime
        trace (the per-bin lifetimes in time order).
    regions : RegionLifetimes, optional
        The intensity regions' pooled lifetimes, drawn as points with error bars, and β.
    max_points : int
        Trace points drawn at most (every k-th bin beyond that).

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    Lifetime on x, counts per bin on y, occurrences as colour on a logarithmic scale (empty
    cells left white), as in seed 001's figures.
    """
    plt = _plt()
    from matplotlib.colors import LogNorm

    if lifetime_trace:
        fig = plt.figure(figsize=(13, 5.2))
        gs = fig.add_gridspec(2, 2, width_ratios=(1.0, 1.6), hspace=0.08, wspace=0.28)
        ax = fig.add_subplot(gs[:, 0])
        ax_i = fig.add_subplot(gs[0, 1])
        ax_t = fig.add_subplot(gs[1, 1], sharex=ax_i)
    else:
        fig, ax = plt.subplots(figsize=(5.5, 4.5))

    h = np.asarray(flid_map.histogram, float)
    mesh = ax.pcolormesh(flid_map.lifetime_edges_ns, flid_map.intensity_edges, np.ma.masked_less_equal(h, 0),
                         norm=LogNorm(vmin=1, vmax=max(h.max(), 1)), cmap="viridis", shading="flat")
    fig.colorbar(mesh, ax=ax, label="occurrences", pad=0.02)
    ax.set_xlabel(f"per-bin lifetime (ns, {flid_map.estimator} estimator)")
    ax.set_ylabel(f"counts / {flid_map.bin_width_s * 1e3:g} ms")
    if fit is not None:
        bg = float(fit.background_counts)
        t = np.linspace(max(flid_map.lifetime_edges_ns[0], 1e-3), flid_map.lifetime_edges_ns[-1], 400)
        if fit.tau_ns.size:
            ax.plot(fit.tau_ns, fit.intensity + bg, "o", ms=2.5, mfc="white", mec="k", mew=0.4,
                    label="fitted points")
        crit = {name: getattr(m, fit.criterion) for name, m in fit.models.items()}
        best = min(crit.values()) if crit else 0.0
        for name, m in fit.models.items():
            with np.errstate(all="ignore"):
                y = m.eval(t) + bg
            y = np.where((y > flid_map.intensity_edges[0]) & (y < 1.5 * flid_map.intensity_edges[-1]), y, np.nan)
            ax.plot(t, y, _STYLES.get(name, "-"), lw=1.6 if name != "mixed" else 2.0, color=_COLORS.get(name, "k"),
                    label=f"{name} (Δ{fit.criterion.upper()} {crit[name] - best:.0f})")
    if regions is not None:
        bg = float(getattr(fit, "background_counts", 0.0) or 0.0) if fit is not None else 0.0
        i_err = getattr(regions, "intensity_err_counts", None)
        ax.errorbar(regions.tau_ns, regions.intensity_counts, xerr=regions.tau_err_ns,
                    yerr=None if i_err is None else i_err, fmt="s", ms=6, mfc="white", mec="black", ecolor="black",
                    mew=1.2, zorder=6, label="intensity regions (pooled decay fit)")
        if fit is None:  # with a fit, β (background-corrected, with its error) is in the title
            b = getattr(regions, "beta", np.nan)
            if np.isfinite(b):
                ax.plot([], [], " ", label=f"β = {b:.2f} (regions, uncorrected)")
    if fit is not None or regions is not None:
        ax.set_ylim(flid_map.intensity_edges[0], flid_map.intensity_edges[-1])
        ax.set_xlim(flid_map.lifetime_edges_ns[0], flid_map.lifetime_edges_ns[-1])
        _legend(ax, loc="upper left", fontsize=7, framealpha=0.6)
    if fit is not None:
        be = getattr(fit, "beta_err", None)
        beta = "" if not np.isfinite(fit.beta) else (
            f", β = {fit.beta:.2f}" + (f" ± {be:.2f}" if be is not None and np.isfinite(be) else ""))
        ax.set_title(f"verdict: {fit.verdict}{beta}", fontsize=9)

    if lifetime_trace:
        times = flid_map.times_s
        step = max(1, times.size // max_points)
        ax_i.plot(times[::step], flid_map.intensity_counts[::step], lw=0.5, color="0.15")
        ax_i.set_ylabel(f"counts / {flid_map.bin_width_s * 1e3:g} ms")
        ax_i.tick_params(labelbottom=False)
        ax_t.plot(times[::step], flid_map.lifetime_ns[::step], ".", ms=1, color="tab:blue")
        ax_t.set_ylabel("lifetime (ns)")
        ax_t.set_xlabel("time (s)")
        finite = np.isfinite(flid_map.lifetime_ns)
        if finite.any():
            ax_t.set_ylim(0, flid_map.lifetime_edges_ns[-1])
    else:
        _fixed_margins(fig)
    return fig


def report_figures(report) -> dict:
    """``name -> Figure`` for everything an :func:`tttr.analyze` report holds."""
    figs = {}
    if report.trace is not None:
        lt = report.flid_map.lifetime_ns if report.flid_map is not None else None
        figs["trace"] = trace_figure(report.trace, blinking=report.blinking, lifetime_trace_ns=lt)
    if report.mandel_q_curve:
        figs["mandel_q"] = mandel_q_figure(report.mandel_q_curve)
    if report.decay is not None:
        figs["decay"] = decay_figure(report.decay, report.lifetime_bi or report.lifetime_mono)
    if report.flid_map is not None:
        figs["flid"] = flid_figure(report.flid_map, report.flid_fit, regions=report.regions)
    if report.blinking is not None and report.power_law:
        figs["dwell"] = dwell_time_figure(report.blinking.dwell, fits={k: v[0] for k, v in report.power_law.items()})
    if report.g2_curve is not None and report.g2 is not None:
        figs["g2"] = g2_figure(report.g2_curve, report.g2)
    stats = getattr(report, "levels", None)
    if stats is not None and stats.levels.n_levels:
        figs["levels"] = levels_figure(stats.levels, report.trace)
        if stats.flid_fit is not None:
            figs["level_flid"] = level_flid_figure(stats.flid_fit, stats.groups, stats.levels)
    return figs


def summary_figure(report, *, images: dict | None = None, dpi: int = 110):
    """Every figure of one file's report on one page (A4 portrait), with the file name as title.

    Parameters
    ----------
    report : Report
    images : dict, optional
        ``name -> PNG bytes`` of figures already drawn (as :func:`tttr.report_io.write_report`
        has them); default: drawn here with :func:`report_figures`.

    Notes
    -----
    Each panel is drawn by its own figure function and placed as an image, so that the page
    shows exactly the figures of the report (the PDF holds them as raster images).
    """
    import io

    plt = _plt()
    if images is None:
        images = {name: png_bytes(f, dpi=dpi) for name, f in report_figures(report).items()}
    arrays = {name: plt.imread(io.BytesIO(data), format="png") for name, data in images.items()}
    layout = [("trace",), ("flid",), ("decay", "g2"), ("dwell", "mandel_q")]
    rows = [[n for n in row if n in arrays] for row in layout]
    rows = [r for r in rows if r]
    heights = [max(arrays[n].shape[0] / arrays[n].shape[1] * (1.0 / len(r)) for n in r) for r in rows]
    page = plt.figure(figsize=(8.27, 11.69))
    from pathlib import Path

    page.suptitle(Path(str(report.file)).name, fontsize=9)
    gs = page.add_gridspec(max(len(rows), 1), 1, height_ratios=heights or [1], hspace=0.05, top=0.97, bottom=0.01,
                           left=0.01, right=0.99)
    for i, r in enumerate(rows):
        sub = gs[i].subgridspec(1, len(r), wspace=0.02)
        for j, n in enumerate(r):
            ax = page.add_subplot(sub[0, j])
            ax.imshow(arrays[n])
            ax.set_axis_off()
    return page


# ------------------------------------------------------------ levels (issue 16, change points)
__all__ += ["levels_figure"]


def levels_figure(levels, trace=None, *, max_points: int = 200_000, max_levels: int = 50_000):
    """The intensity trace with the change-point levels drawn over it, coloured by group.

    Parameters
    ----------
    levels : tttr.analysis.levels.Levels
    trace : IntensityTrace, optional
        Drawn in grey underneath; the levels are then in counts per trace bin
        (``intensity_cps × bin width``), otherwise in counts per second.
    max_points, max_levels : int
        Trace points and levels drawn at most (every k-th beyond that).

    Notes
    -----
    Each level is a horizontal segment from its start to its end at its intensity; levels
    not yet grouped (group -1) are drawn in one colour. The lower panel shows each level's
    lifetime with its error (when there are lifetimes).
    """
    plt = _plt()
    has_tau = bool(np.isfinite(np.asarray(levels.tau_ns, float)).any())
    fig, axes = plt.subplots(2 if has_tau else 1, 1, figsize=(10, 5.2 if has_tau else 3.2), sharex=True,
                             squeeze=False, gridspec_kw={"hspace": 0.08})
    ax = axes[0, 0]
    scale, unit = 1.0, "counts / s"
    if trace is not None:
        t = trace.times_s
        y = trace.total
        step = max(1, t.size // max_points)
        ax.plot(t[::step], y[::step], lw=0.5, color="0.65", drawstyle="steps-post", label="trace")
        scale, unit = trace.bin_width_s, f"counts / {trace.bin_width_s * 1e3:g} ms"
    k = max(1, levels.n_levels // max_levels)
    s, e = levels.start_s[::k], levels.end_s[::k]
    y_l = levels.intensity_cps[::k] * scale
    g = np.asarray(levels.group)[::k]
    cmap = plt.get_cmap("tab10")
    colours = [cmap(int(v) % 10) if v >= 0 else "tab:red" for v in g]
    ax.hlines(y_l, s, e, colors=colours, lw=1.6)
    grouped = int(np.max(g)) + 1 if g.size and np.max(g) >= 0 else 0
    title = f"{levels.n_levels} levels ({levels.n_change_points} change points, confidence {levels.confidence:g})"
    if grouped:
        title += f", {grouped} groups"
    ax.set_title(title, fontsize=9)
    ax.set_ylabel(unit)
    # the axis follows the time the emitter spends at each intensity: a level of a few photons
    # over a microsecond (an afterpulse) has a huge rate but no visible length
    dur = np.asarray(e - s, float)
    order = np.argsort(y_l)
    cum = np.cumsum(dur[order])
    top = float(y_l[order][np.searchsorted(cum, 0.999 * cum[-1])]) if cum.size and cum[-1] > 0 else 0.0
    if trace is not None and trace.total.size:
        top = max(top, float(np.percentile(trace.total, 99.9)))
    ax.set_ylim(0, 1.15 * top if top > 0 else None)
    _legend(ax, loc="upper right", fontsize=7)
    if has_tau:
        ax2 = axes[1, 0]
        mid = 0.5 * (s + e)
        tau, err = levels.tau_ns[::k], levels.tau_err_ns[::k]
        ok = np.isfinite(tau)
        ax2.errorbar(mid[ok], tau[ok], yerr=np.where(np.isfinite(err[ok]), err[ok], 0), fmt="none", ecolor="0.6",
                     lw=0.6)
        ax2.hlines(tau[ok], s[ok], e[ok], colors=[c for c, o in zip(colours, ok) if o], lw=1.6)
        ax2.set_ylabel("lifetime (ns)")
        ax2.set_xlabel("time (s)")
        if ok.any():
            ax2.set_ylim(0, np.nanpercentile(tau[ok], 99) * 1.2)
    else:
        ax.set_xlabel("time (s)")
    return fig


# ----------------------------------------------------------- level-based FLID (issue 16, levels)
def level_flid_figure(fit, groups=None, levels=None):
    """Level-based FLID: each level a point (τ, I) with its error bars, the fitted Eqs. 1–3.

    Parameters
    ----------
    fit : LevelFlidFit
        From :func:`tttr.analysis.level_analyses.level_flid_fit`.
    groups, levels : optional
        With both, the points are coloured by group (the levels given to the fit, same order).

    Notes
    -----
    Error bars are the levels' own errors (Poisson intensity, lifetime fit), so long levels
    show as tight points and short ones as wide crosses; the curves are the fitted models
    (intensities background-subtracted, as fitted).
    """
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4.5))
    colour = None
    if groups is not None and levels is not None:
        from .analysis.level_groups import level_arrays

        order, T, n, tau, te = level_arrays(levels)
        ok = (n >= fit.options.get("min_photons", 0)) & np.isfinite(tau) & np.isfinite(te) & (te > 0)
        colour = np.asarray(groups.group)[order][ok]
        if colour.size != fit.tau_ns.size:
            colour = None
    ax.errorbar(fit.tau_ns, fit.intensity_cps / 1e3, xerr=fit.tau_err_ns, yerr=fit.intensity_err_cps / 1e3,
                fmt="none", ecolor="0.7", elinewidth=0.6, zorder=1)
    ax.scatter(fit.tau_ns, fit.intensity_cps / 1e3, s=8, c=colour if colour is not None else "C0",
               cmap="viridis" if colour is not None else None, zorder=2)
    if fit.tau_ns.size:
        t = np.linspace(max(float(np.min(fit.tau_ns)) * 0.9, 1e-3), float(np.max(fit.tau_ns)) * 1.1, 300)
        for k, (name, m) in enumerate(fit.models.items()):
            with np.errstate(all="ignore"):
                y = m.eval(t) / 1e3
            y = np.where(np.isfinite(y) & (y > 0), y, np.nan)
            lw = 2.0 if name == fit.verdict else 1.0
            ax.plot(t, y, lw=lw, color=f"C{k + 1}", label=f"Eq. {dict(auger=1, bc=2, mixed=3)[name]} ({name}), "
                                                          f"BIC {m.bic:.0f}")
    if fit.intensity_cps.size:  # the data set the axis, not a model curve that diverges beyond them
        top = float(np.nanpercentile(fit.intensity_cps, 99.5)) / 1e3
        ax.set_ylim(0, 1.3 * top if np.isfinite(top) and top > 0 else None)
    ax.set_xlabel("lifetime (ns)")
    ax.set_ylabel("intensity (kcps)")
    b = "" if not np.isfinite(fit.beta) else f", β = {fit.beta:.2f} ± {fit.beta_err:.2f}"
    ax.set_title(f"level FLID: {fit.verdict}{b}", fontsize=10)
    _legend(ax, fontsize=8)
    fig.tight_layout()
    return fig
