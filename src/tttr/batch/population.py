"""Population figures of a batch: histograms of the main statistics, verdict counts, the
excitation series."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

__all__ = ["POPULATION_QUANTITIES"]

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


def _population_figures(rows: list[dict], out_dir: Path, *, force: bool = False) -> list[str]:
    """Histograms of the main statistics and the FLID verdict counts; returns the paths."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    from ..report_io import atomic_write_bytes

    ok = [r for r in rows if r["status"] == "ok"]
    written = []
    for col, (name, label) in POPULATION_QUANTITIES.items():
        x = _finite(r.get(col) for r in ok)
        if x.size == 0:
            continue
        fig = Figure(figsize=(4.5, 3.2))
        ax = fig.subplots()
        ax.hist(x, bins=max(5, min(30, int(np.sqrt(x.size)) + 3)), color="0.35", edgecolor="white")
        ax.set_xlabel(label)
        ax.set_ylabel("files")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(f"{label.split(' (')[0]}: n = {x.size}, median {np.median(x):.3g}", fontsize=9)
        path = out_dir / f"population.{name}.png"
        atomic_write_bytes(path, _figure_bytes(fig), force=force)
        written.append(str(path))
    verdicts: dict = {}
    for r in ok:
        v = r.get("flid.verdict")
        if "flid.verdict" in r:
            key = v if v else "none"
            verdicts[key] = verdicts.get(key, 0) + 1
    if verdicts:
        fig = Figure(figsize=(4.5, 3.2))
        ax = fig.subplots()
        names = sorted(verdicts)
        ax.bar(names, [verdicts[n] for n in names], color="0.35")
        ax.set_ylabel("files")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title("FLID verdict", fontsize=9)
        ax.tick_params(axis="x", labelrotation=20)
        path = out_dir / "population.flid_verdict.png"
        atomic_write_bytes(path, _figure_bytes(fig), force=force)
        written.append(str(path))
    return written


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

