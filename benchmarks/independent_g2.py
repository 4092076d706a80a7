"""Pulsed HBT emitters made WITHOUT tttr's simulator, to check g2(0) against a pulse-index truth.

``python benchmarks/independent_g2.py [--seeds 3] [--duration 60]``

Per laser pulse an emitter in its ON (or dim) state emits one photon with probability ``q1``
or a biexciton cascade (two photons) with probability ``q2``; each photon is detected with
efficiency ``eta`` on detector A or B (50/50), at most one photon per detector per pulse.
Delays are exponential with the state's lifetime plus a Gaussian IRF; background photons are
uniform in time and in the period. Because T3 data carry the pulse index, the truth needs no
peak model: the coincidence ratio is the number of A–B pairs within one pulse over the mean
number with the B photon one pulse later or earlier. It is computed on all photons
(``truth_raw``, what an overlap-free g2(0) estimate should give) and on the emitter's photons
alone (``truth_emitter``, what a background correction should recover).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

NT_UNIT_S = 16e-12


def _pairs(pa, pb, lag):
    """A–B pairs with B's pulse = A's pulse + lag (pulse indices, each unique per detector)."""
    return int(np.intersect1d(pa + lag, pb, assume_unique=True).size)


def ratio(ts, det, mask=None):
    sel = np.ones(ts.size, bool) if mask is None else mask
    pa, pb = np.unique(ts[sel & (det == 0)]), np.unique(ts[sel & (det == 1)])
    side = 0.5 * (_pairs(pa, pb, 1) + _pairs(pa, pb, -1))
    return _pairs(pa, pb, 0) / side if side else float("nan")


def emitter(rng, duration_s, period_s, tau_ns, q1, q2, eta, background_frac, dim=0.35, dwell_s=0.05):
    """Photons (pulse index, detector, delay s, is_background) of a blinking emitter."""
    n_pulses = int(duration_s / period_s)
    edges = np.cumsum(rng.exponential(dwell_s, int(3 * duration_s / dwell_s) + 10)) / period_s
    edges = np.concatenate([[0], edges[edges < n_pulses], [n_pulses]]).astype(np.int64)
    out_p, out_d, out_t = [], [], []

    def detect(pulses, delays):
        ok = rng.random(pulses.size) < eta
        out_p.append(pulses[ok])
        out_d.append((rng.random(int(ok.sum())) < 0.5).astype(np.uint8))
        out_t.append(delays[ok])

    tau_s = tau_ns * 1e-9
    for i in range(edges.size - 1):
        lo, hi = edges[i], max(edges[i + 1], edges[i] + 1)
        scale = 1.0 if i % 2 == 0 else dim
        # emitting pulses without repetition: a pulse excites the emitter once (no Poisson pairs)
        emitting = np.unique(rng.integers(lo, hi, rng.poisson((q1 + q2) * scale * (hi - lo))))
        is_two = rng.random(emitting.size) < q2 / (q1 + q2)
        one, two = emitting[~is_two], emitting[is_two]
        detect(one, rng.exponential(tau_s, one.size))
        t_xx = rng.exponential(tau_s / 2, two.size)          # biexciton photon first
        detect(two, t_xx)
        detect(two, t_xx + rng.exponential(tau_s, two.size))  # then the exciton photon
    p = np.concatenate(out_p)
    d = np.concatenate(out_d)
    t = np.concatenate(out_t)
    n_em = p.size
    nb = int(rng.poisson(background_frac / (1 - background_frac) * n_em))
    p = np.concatenate([p, rng.integers(0, n_pulses, nb)])
    d = np.concatenate([d, (rng.random(nb) < 0.5).astype(np.uint8)])
    t = np.concatenate([t + 2e-9 + rng.normal(0, 50e-12, t.size), rng.random(nb) * period_s])
    bg = np.concatenate([np.zeros(n_em, bool), np.ones(nb, bool)])
    # one photon per detector per pulse (the detector's dead time), then time order
    key = p * 2 + d
    order = np.lexsort((t, key))
    first = np.concatenate([[True], np.diff(key[order]) != 0])
    keep = order[first]
    keep = keep[np.argsort(p[keep], kind="stable")]
    return p[keep], d[keep], np.mod(t[keep], period_s), bg[keep]


def main(argv=None):
    import tttr
    from tttr.io.events import PhotonChunk
    from tttr.io.ptu import PTUWriter

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--duration", type=float, default=60.0)
    args = ap.parse_args(argv)
    grid = [(200e-9, 24.7, 0.0), (200e-9, 24.7, 0.06), (50e-9, 5.0, 0.06), (200e-9, 3.0, 0.10)]
    print(f"{'period':>7s} {'tau':>5s} {'bg':>4s} | {'truth raw':>9s} {'g2_zero':>16s} {'window':>7s} | "
          f"{'truth emitter':>13s} {'corrected':>16s}")
    with tempfile.TemporaryDirectory() as tmp:
        for period, tau, bgf in grid:
            for seed in range(args.seeds):
                rng = np.random.default_rng(500 + seed)
                p, d, t, bg = emitter(rng, args.duration, period, tau, q1=0.03, q2=2.5e-5, eta=0.3,
                                      background_frac=bgf)
                path = Path(tmp) / "g.ptu"
                with PTUWriter(path, "HydraHarp2T3", timestamps_unit_s=period, nanotimes_unit_s=NT_UNIT_S,
                               sync_rate_hz=1 / period, force=True) as w:
                    w.write(PhotonChunk(p.astype(np.int64), d, np.round(t / NT_UNIT_S).astype(np.uint16)))
                g = tttr.analyze(path).to_dict()["g2"] or {}
                raw, em = ratio(p, d), ratio(p, d, ~bg)

                def f(k):
                    v, e = g.get(k), g.get(k + "_err")
                    return "–" if v is None else (f"{v:.4f}±{e:.4f}" if e is not None else f"{v:.4f}")

                print(f"{period * 1e9:5.0f}ns {tau:5.1f} {bgf:4.2f} | {raw:9.4f} {f('g2_zero'):>16s} "
                      f"{(g.get('g2_zero_window') or float('nan')):7.4f} | {em:13.4f} {f('g2_zero_corrected'):>16s}",
                      flush=True)


if __name__ == "__main__":
    main()
