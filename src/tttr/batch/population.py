"""Population figures of a batch: histograms of the main statistics, verdict counts, the
excitation series."""

from __future__ import annotations

import io

import numpy as np

__all__ = ["POPULATION_QUANTITIES", "population_pngs"]

#: Summary columns drawn as population histograms: column -> (file name part, axis label).
POPULATION_QUANTITIES = {
    "on_fraction": ("on_fraction", "ON fraction"),
    "mandel_q": ("mandel_q", "Mandel Q"),
    "power_law.on.alpha": ("alpha_on", "α_on (ON dwell-time power law)"),
    "power_law.off.alpha": ("alpha_off", "α_off (OFF dwell-time power law)"),
    "g2.g2_zero": ("g2_zero", "g2(0)"),
    "lifetime.tau_ns": ("tau", "τ (mono-exponential, ns)"),
}

def _figure_bytes(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120, bbox_inches="tight")
    return buf.getvalue()


def _finite(values) -> np.ndarray:
    x = np.array([v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)], dtype=float)
    return x[np.isfinite(x)]


def population_pngs(rows: list[dict]) -> dict:
    """PNG bytes of the population figures: ``{file name: bytes}``.

    Histograms of the :data:`POPULATION_QUANTITIES` columns over the ok rows (a quantity
    that no file has is left out) and the counts of the FLID verdicts.
    """
    ok = [r for r in rows if r["status"] == "ok"]
    out = {}
    for col, (name, label) in POPULATION_QUANTITIES.items():
        x = _finite(r.get(col) for r in ok)
        if x.size:
            out[f"population.{name}.png"] = _figure_bytes(_histogram_figure(x, label, _REFERENCES.get(col)))
    verdicts: dict = {}
    for r in ok:
        if "flid.verdict" in r:
            key = r["flid.verdict"] or "none"
            verdicts[key] = verdicts.get(key, 0) + 1
    if verdicts:
        out["population.flid_verdict.png"] = _figure_bytes(_verdict_figure(verdicts))
    return out


#: Reference lines drawn on a population histogram: column -> (value, label).
_REFERENCES = {"g2.g2_zero": (0.5, "0.5: single-emitter limit")}

#: Bar colours and order of the FLID verdicts (``none``: the file had no FLID fit).
_VERDICTS = {"auger": "C0", "bc": "C1", "mixed": "C2", "undetermined": "0.55", "none": "0.8"}
_VERDICT_LABELS = {"none": "no FLID fit"}


def _histogram_figure(x: np.ndarray, label: str, reference=None):
    """Histogram of one statistic over the files, each file a tick below it, the median dashed.

    Notes
    -----
    A positive quantity that spans more than a factor 20 (lifetimes, switching rates) gets
    log-spaced bins on a log axis, so that one slow emitter does not squash the others into
    one bin. The ticks show each file, which a histogram of a handful of files hides.
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(4.5, 3.2), layout="constrained")
    ax = fig.subplots()
    n_bins = max(5, min(30, int(np.sqrt(x.size)) + 3))
    log = bool(np.all(x > 0) and x.max() > 20 * x.min())
    bins = np.geomspace(x.min() / 1.05, x.max() * 1.05, n_bins + 1) if log else n_bins
    ax.hist(x, bins=bins, color="0.55", edgecolor="white")
    if log:
        ax.set_xscale("log")
    ax.plot(x, np.zeros(x.size), "|", color="k", ms=10, mew=1, clip_on=False, label="files")
    med = float(np.median(x))
    ax.axvline(med, color="C3", ls="--", lw=1, label=f"median {med:.3g}")
    if reference is not None:
        ax.axvline(reference[0], color="C0", ls=":", lw=1.2, label=reference[1])
    ax.set_xlabel(label)
    ax.set_ylabel("files")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(f"{label.split(' (')[0]}: n = {x.size}", fontsize=9)
    ax.legend(fontsize=7, frameon=False)
    return fig


def _verdict_figure(verdicts: dict):
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(4.5, 3.2), layout="constrained")
    ax = fig.subplots()
    names = [v for v in _VERDICTS if v in verdicts] + sorted(v for v in verdicts if v not in _VERDICTS)
    counts = [verdicts[n] for n in names]
    ax.bar([_VERDICT_LABELS.get(n, n) for n in names], counts, color=[_VERDICTS.get(n, "0.35") for n in names])
    for i, c in enumerate(counts):
        ax.annotate(str(c), (i, c), ha="center", va="bottom", fontsize=8)
    ax.set_ylabel("files")
    ax.set_ylim(0, max(counts) * 1.15)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(f"FLID verdict: n = {sum(counts)}", fontsize=9)
    return fig


def _series_figure(series: dict) -> bytes:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4.5, 3.4))
    ax = fig.subplots()
    n = np.array([p["mean_excitons"] for p in series["points"]])
    r = np.array([p["charging_rate_hz"] for p in series["points"]])
    ax.loglog(n, r, "o", color="0.2", label="files")
    if series["p"] is not None:
        xs = np.geomspace(n.min(), n.max(), 50)
        err = f" ± {series['p_err']:.2g}" if series["p_err"] is not None else ""
        ax.loglog(xs, series["amplitude_hz"] * xs ** series["p"], "-", color="C3",
                  label=f"r ∝ ⟨N⟩^p, p = {series['p']:.2f}{err}")
    ax.set_xlabel("⟨N⟩ (mean excitons per pulse)")
    ax.set_ylabel("charging rate (s⁻¹)")
    ax.legend(fontsize=8)
    return _figure_bytes(fig)

