"""matplotlib figures of the results (imported lazily; the core never needs matplotlib).

Every function takes a result, draws on a new figure (or the ``ax`` given) and returns the
figure; :func:`save` writes it as PNG or PDF (by the extension) with the Agg backend.
"""

from __future__ import annotations

import numpy as np

__all__ = ["trace_figure", "intensity_histogram_figure", "dwell_time_figure", "save"]


def _plt():
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "pdf", "svg") and not _interactive():
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _interactive() -> bool:
    import sys

    return hasattr(sys, "ps1")


def save(fig, path) -> str:
    """Write ``fig`` to ``path`` (PNG/PDF/SVG by extension) and close it."""
    fig.savefig(path, dpi=150, bbox_inches="tight")
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
    """Decay histogram (log counts vs delay), with the fitted model and its window."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4))
    y = np.asarray(hist.summed if hasattr(hist, "summed") else hist, float)
    t = (np.arange(y.size) + 0.5) * hist.bin_width_ns
    ax.semilogy(t, np.where(y > 0, y, np.nan), ".", ms=2, color="0.3", label="data")
    if fit is not None:
        m = np.asarray(fit.model_counts, float)
        inside = np.asarray(fit.window_mask, bool)
        ax.semilogy(t[: m.size], np.where(inside, m, np.nan), "-", color="tab:red", lw=1.2,
                    label=f"{fit.model}: τ = {fit.tau_ns:.3g} ± {fit.tau_err_ns:.2g} ns")
    ax.axvline(hist.t0_ns, color="tab:green", lw=0.8, ls=":", label=f"t0 = {hist.t0_ns:.3g} ns")
    ax.set_xlabel("delay (ns)")
    ax.set_ylabel(f"counts / {hist.bin_width_ns * 1e3:.3g} ps")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def g2_figure(curve, analysis=None):
    """g2(τ) histogram with the g2(0) result in the title; the CW fit is drawn when there is one."""
    plt = _plt()
    a = analysis if analysis is not None else getattr(curve, "analysis", None)
    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.plot(curve.lag_s * 1e9, curve.g2, lw=0.6, color="0.15", drawstyle="steps-mid")
    ax.axhline(1.0, color="0.6", lw=0.8, ls=":")
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


def flid_figure(flid_map, fit=None, **kwargs):
    """FLID map in false colour with the fitted model curves, and the lifetime trace
    (see :func:`tttr.plot_flid.flid_figure`)."""
    from .plot_flid import flid_figure as _flid_figure

    return _flid_figure(flid_map, fit, **kwargs)
