"""matplotlib figures of the results (imported lazily; the core never needs matplotlib).

Every function takes a result, draws on a new figure (or the ``ax`` given) and returns the
figure; :func:`save` writes it as PNG or PDF (by the extension) with the Agg backend.
"""

from __future__ import annotations

import numpy as np

__all__ = ["trace_figure", "intensity_histogram_figure", "dwell_time_figure", "decay_figure", "flid_figure",
           "g2_figure", "save"]


def _plt():
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "pdf", "svg") and not _interactive():
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _interactive() -> bool:
    import sys

    return hasattr(sys, "ps1")


def save(fig, path, *, format: str | None = None, force: bool = False) -> str:  # noqa: A002 - matplotlib's name
    """Write ``fig`` to ``path`` (PNG/PDF/SVG by extension, or ``format``) and close it.

    Notes
    -----
    Written through a temporary file beside ``path`` (:mod:`tttr.io._atomic`): a failed
    write (a full disk) leaves nothing at ``path``, and an existing file is replaced only
    with ``force``.
    """
    from pathlib import Path

    from .io._atomic import atomic_path

    fmt = format or Path(path).suffix.lstrip(".").lower() or "png"
    try:
        with atomic_path(path, force=force) as tmp:
            fig.savefig(tmp, dpi=150, bbox_inches="tight", format=fmt)
    finally:
        _plt().close(fig)
    return str(path)


def trace_figure(trace, *, blinking=None, lifetime_trace_ns=None, max_points: int = 200_000):
    """Intensity trace (counts per bin), with the ON threshold, and optionally the lifetime
    trace below it on the same time axis (the papers' figure)."""
    plt = _plt()
    rows = 2 if lifetime_trace_ns is not None else 1
    fig, axes = plt.subplots(rows, 1, figsize=(10, 3.2 * rows), sharex=True, squeeze=False)
    ax = axes[0, 0]
    t = trace.times_s
    y = trace.total
    step = max(1, t.size // max_points)
    ax.plot(t[::step], y[::step], lw=0.5, color="0.15")
    if blinking is not None:
        thr = blinking.threshold
        ax.axhline(thr.counts, color="tab:red", lw=1, label=f"ON threshold {thr.counts:.0f} ({thr.method})")
        if thr.off_counts is not None:
            ax.axhline(thr.off_counts, color="tab:orange", lw=1, ls="--", label=f"OFF below {thr.off_counts:.0f}")
        ax.legend(loc="upper right", fontsize=8)
        ax.set_title(f"ON fraction {blinking.on_fraction:.3f}, blinking rate {blinking.blinking_rate_hz:.2f} s⁻¹", fontsize=9)
    ax.set_ylabel(f"counts / {trace.bin_width_s * 1e3:g} ms")
    if lifetime_trace_ns is not None:
        ax2 = axes[1, 0]
        ax2.plot(t[::step], np.asarray(lifetime_trace_ns)[::step], ".", ms=1, color="tab:blue")
        ax2.set_ylabel("lifetime (ns)")
    axes[-1, 0].set_xlabel("time (s)")
    fig.tight_layout()
    return fig


def intensity_histogram_figure(hist, *, threshold=None):
    """Occurrences of per-bin counts with the Poisson expectation of the same mean (seed 002, Fig. 2)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.bar(hist.counts_per_bin, hist.occurrences, width=1.0, color="0.6", label="data")
    ax.plot(hist.counts_per_bin, hist.poisson_expected, color="tab:red", lw=1.2, label=f"Poisson, mean {hist.mean_counts:.1f}")
    if threshold is not None:
        ax.axvline(threshold.counts, color="tab:green", lw=1, label="ON threshold")
    ax.set_xlabel(f"counts / {hist.bin_width_s * 1e3:g} ms")
    ax.set_ylabel("occurrences")
    ax.legend(fontsize=8)
    fig.tight_layout()
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
            ax.loglog(tt, frac * fit.pdf(tt), "-", color=color, label=f"α = {fit.alpha:.2f} ± {fit.alpha_err:.2f}")
    ax.set_xlabel("dwell time (s)")
    ax.set_ylabel("P(t) (s⁻¹)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def decay_figure(hist, fit=None):
    """Decay histogram (log counts vs delay), with the fitted model over its window.

    Notes
    -----
    When the fit was made on a coarser copy of the histogram (``tttr analyze`` and
    ``tttr lifetime`` fit the decay merged to at most 1024 bins), the data are shown merged
    to the fit's bins, so that data and model are counts per the same bin.
    """
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4))
    y = np.asarray(hist.summed if hasattr(hist, "summed") else hist, float)
    width = float(hist.bin_width_ns)
    if fit is not None and fit.bin_width_ns > width * 1.01:
        k = int(round(fit.bin_width_ns / width))
        m = (y.size // k) * k
        y, width = y[:m].reshape(-1, k).sum(axis=1), width * k
    t = (np.arange(y.size) + 0.5) * width
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
    ax.axvline(hist.t0_ns, color="tab:green", lw=0.8, ls=":", label=f"t0 = {hist.t0_ns:.3g} ns")
    ax.set_xlabel("delay (ns)")
    ax.set_ylabel(f"counts / {width * 1e3:.3g} ps")
    ax.legend(fontsize=8)
    fig.tight_layout()
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
    else:
        title = "g2"
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("lag τ = t_B − t_A (ns)")
    ax.set_ylabel("g2(τ)")
    fig.tight_layout()
    return fig


_COLORS = {"auger": "tab:red", "bc": "tab:cyan", "mixed": "tab:orange"}


def flid_figure(flid_map, fit=None, lifetime_trace: bool = True, *, max_points: int = 200_000):
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
    ax.set_xlabel("lifetime (ns)")
    ax.set_ylabel(f"counts / {flid_map.bin_width_s * 1e3:g} ms")
    if fit is not None:
        bg = float(fit.background_counts)
        t = np.linspace(max(flid_map.lifetime_edges_ns[0], 1e-3), flid_map.lifetime_edges_ns[-1], 400)
        if fit.tau_ns.size:
            ax.plot(fit.tau_ns, fit.intensity + bg, "o", ms=2.5, mfc="white", mec="k", mew=0.4,
                    label="fitted points")
        for name, m in fit.models.items():
            with np.errstate(all="ignore"):
                y = m.eval(t) + bg
            y = np.where((y > flid_map.intensity_edges[0]) & (y < 1.5 * flid_map.intensity_edges[-1]), y, np.nan)
            ax.plot(t, y, "-", lw=1.3, color=_COLORS.get(name, "k"),
                    label=f"{name} ({fit.criterion.upper()} {getattr(m, fit.criterion):.0f})")
        ax.set_ylim(flid_map.intensity_edges[0], flid_map.intensity_edges[-1])
        ax.set_xlim(flid_map.lifetime_edges_ns[0], flid_map.lifetime_edges_ns[-1])
        ax.legend(loc="upper left", fontsize=7, framealpha=0.6)
        margin = "" if fit.margin is None else f", Δ{fit.criterion.upper()} = {fit.margin:.0f}"
        beta = "" if not np.isfinite(fit.beta) else f", β = {fit.beta:.2f}"
        ax.set_title(f"verdict: {fit.verdict}{margin}{beta}", fontsize=9)

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
        fig.tight_layout()
    return fig
