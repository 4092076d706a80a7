"""matplotlib figure of a FLID map with the fitted models, and its lifetime trace.

Meant to be merged into :mod:`tttr.plot`; matplotlib is imported lazily, as there.
"""

from __future__ import annotations

import numpy as np

from .plot import _plt

__all__ = ["flid_figure"]

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
