"""Emitters of known type made WITHOUT tttr's simulator, to check the FLID verdict and β.

``python benchmarks/independent_emitters.py [--seeds 5] [--out DIR]``

The project's simulator and its classifier were written together; this script makes the
photons another way (plain numpy, its own state sequences and photon statistics, written with
the PTU writer only) so that a classifier tuned to the simulator would show it here. Each
emitter is a sequence of dwells in states; each state has an emission rate (counts per 10 ms
detected) and a lifetime. Photons of a dwell are Poisson in number and uniform in time, at
most one per laser pulse; each is delayed by an exponential of the state's lifetime plus a
Gaussian IRF, and goes to one of two detectors. Background photons are uniform in time and
in the period.

Physics of the cases:

* Auger (exciton/trion): the trion's radiative rate is β times the exciton's, so
  ``I2 = β · I1 · τ2/τ1`` with β ≈ 1.8–2.
* BC: states share the radiative rate; a state of lifetime τ emits ``I ∝ τ`` (β = 1).
  "continuum" draws a non-radiative rate per dwell.

The table printed gives, per case, the verdicts over the seeds, β (mean ± spread) against its
truth, and the time per file.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

PERIOD_S = 200e-9          # 5 MHz laser
NT_UNIT_S = 16e-12         # 16 ps nanotime bins
NT_BINS = int(round(PERIOD_S / NT_UNIT_S))


def dwell_sequence(rng, duration_s, states, law, scale_s):
    """Alternating dwells over ``states`` (indices), each from ``law`` with scale ``scale_s``."""
    t, seq = 0.0, []
    k = int(rng.integers(len(states)))
    while t < duration_s:
        if law == "exp":
            d = rng.exponential(scale_s)
        else:  # power law P(t) ~ t^-1.6 from scale_s, truncated at 10 s
            u = rng.random()
            d = min(scale_s * (1 - u) ** (-1 / 0.6), 10.0)
        seq.append((t, min(d, duration_s - t), states[k]))
        t += d
        k = (k + 1 + int(rng.integers(len(states) - 1)) if len(states) > 2 else k + 1) % len(states)
    return seq


def photons(rng, seq, level_of, background_cps, duration_s, irf_s=50e-12):
    """Timestamps (sync periods), detectors and nanotimes (ticks) for a dwell sequence."""
    ts, nt = [], []
    for start, d, state in seq:
        rate_cps, tau_ns = level_of(state, rng)
        n = rng.poisson(rate_cps * d)
        ts.append(np.floor((start + rng.random(n) * d) / PERIOD_S).astype(np.int64))
        delay = rng.exponential(tau_ns * 1e-9, n) + rng.normal(2e-9, irf_s, n)
        nt.append(np.mod(delay, PERIOD_S))
    nb = rng.poisson(background_cps * duration_s)
    ts.append(np.floor(rng.random(nb) * duration_s / PERIOD_S).astype(np.int64))
    nt.append(rng.random(nb) * PERIOD_S)
    ts, nt = np.concatenate(ts), np.concatenate(nt)
    order = np.argsort(ts, kind="stable")
    ts, nt = ts[order], nt[order]
    keep = np.concatenate([[True], np.diff(ts) > 0])  # at most one photon per pulse (dead time)
    ts, nt = ts[keep], nt[keep]
    det = (rng.random(ts.size) < 0.5).astype(np.uint8)
    return ts, det, np.clip(np.round(nt / NT_UNIT_S), 0, NT_BINS - 1).astype(np.uint16)


def write(path, ts, det, nt):
    from tttr.io.events import PhotonChunk
    from tttr.io.ptu import PTUWriter

    with PTUWriter(path, "HydraHarp2T3", timestamps_unit_s=PERIOD_S, nanotimes_unit_s=NT_UNIT_S,
                   sync_rate_hz=1 / PERIOD_S, force=True) as w:
        for i in range(0, ts.size, 1 << 20):
            w.write(PhotonChunk(ts[i:i + (1 << 20)], det[i:i + (1 << 20)], nt[i:i + (1 << 20)]))


def cases():
    """name -> (truth verdict, beta truth, builder(rng, duration) -> (seq, level_of, background))."""
    per10 = 100.0  # counts per 10 ms -> counts per second

    def two_state(i1, tau1, i2, tau2, law, scale, bg_frac=0.0):
        def build(rng, dur):
            seq = dwell_sequence(rng, dur, [0, 1], law, scale)
            levels = {0: (i1 * per10, tau1), 1: (i2 * per10, tau2)}
            mean_i = 0.5 * (i1 + i2) * per10
            return seq, (lambda s, r: levels[s]), bg_frac / (1 - bg_frac) * mean_i
        return build

    def bc_continuum(i1, tau1, tau_lo, law, scale):
        def build(rng, dur):
            seq = dwell_sequence(rng, dur, [0, 1], law, scale)

            def level(s, r):
                tau = tau1 if s == 0 else r.uniform(tau_lo, 0.8 * tau1)
                return i1 * per10 * tau / tau1, tau
            return seq, level, 0.0
        return build

    b = 1.8
    return {
        "auger fast (5 ms dwells)": ("auger", b, two_state(760, 24.7, b * 760 * 5 / 24.7, 5.0, "exp", 5e-3)),
        "auger slow (200 ms dwells)": ("auger", b, two_state(760, 24.7, b * 760 * 5 / 24.7, 5.0, "exp", 0.2)),
        "auger 76/28 kcps, power law from 20 ms": ("auger", 280 * 24.7 / (760 * 5.0),
                                                   two_state(760, 24.7, 280, 5.0, "pow", 20e-3)),
        "auger 6 % background": ("auger", b, two_state(760, 24.7, b * 760 * 5 / 24.7, 5.0, "pow", 20e-3, 0.06)),
        "bc two states": ("bc", 1.0, two_state(760, 24.7, 760 * 8 / 24.7, 8.0, "pow", 20e-3)),
        "bc continuum": ("bc", None, bc_continuum(760, 24.7, 3.0, "pow", 20e-3)),
    }


def main(argv=None):
    import tttr

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--duration", type=float, default=120.0, help="seconds per emitter")
    ap.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, (truth, beta_true, build) in cases().items():
            verdicts, betas, times = [], [], []
            for seed in range(args.seeds):
                rng = np.random.default_rng(1000 + seed)
                seq, level, bg = build(rng, args.duration)
                ts, det, nt = photons(rng, seq, level, bg, args.duration)
                path = Path(tmp) / "e.ptu"
                write(path, ts, det, nt)
                t0 = time.perf_counter()
                d = tttr.analyze(path).to_dict()
                times.append(time.perf_counter() - t0)
                verdicts.append((d.get("flid") or {}).get("verdict"))
                betas.append(d.get("beta"))
            b = np.array([x for x in betas if x is not None], float)
            row = {"case": name, "truth": truth, "verdicts": verdicts,
                   "correct": sum(v == truth for v in verdicts) / len(verdicts),
                   "beta_true": beta_true, "beta_mean": float(b.mean()) if b.size else None,
                   "beta_sd": float(b.std(ddof=1)) if b.size > 1 else None, "s_per_file": float(np.mean(times))}
            rows.append(row)
            bt = "–" if beta_true is None else f"{beta_true:.2f}"
            bm = "–" if row["beta_mean"] is None else f"{row['beta_mean']:.2f} ± {row['beta_sd'] or 0:.2f}"
            print(f"{name:42s} truth {truth:5s} correct {row['correct']:.0%}  {verdicts}  β {bm} (true {bt})  "
                  f"{row['s_per_file']:.1f} s/file", flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
