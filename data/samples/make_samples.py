"""Regenerate the simulated sample files of this folder (reproducible: fixed seeds).

    PYTHONPATH=src python data/samples/make_samples.py [--force]

Writes ``sim_<model>.ptu`` (HydraHarp V2 T3, 5 MHz, 16 ps bins) and
``sim_<model>.ptu.truth.json`` for the four emitter models, with the default parameters of
:class:`tttr.simulate.SimulationConfig` (seed 001's Auger emitter: I1 = 760, I2 = 280
counts per 10 ms, τ1 = 24.7 ns, τ2 = 5.0 ns; ON/OFF power laws α = 1.5, t_min = 1 ms).
12 s each keeps every file under 5 MB even when the emitter stays ON throughout
(76 kcps × 12 s × ~4.3 bytes per photon with overflow records ≈ 4 MB).

The files are synthetic, made by this repository's code; they carry the project's
licence and no third-party content.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# seeds chosen (among 101-124) for trajectories that blink visibly: ON fraction 0.4-0.65, many dwells
SEEDS = {"nonblinking": 101, "auger": 122, "bc": 113, "mixed": 110}
DURATION_S = 12.0
MAX_BYTES = 5_000_000


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="regenerate data/samples/sim_*.ptu")
    ap.add_argument("--force", action="store_true", help="replace existing files")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(HERE.parents[1] / "src"))
    from tttr.simulate import simulate_to_file, truth_path

    for model, seed in SEEDS.items():
        out = HERE / f"sim_{model}.ptu"
        truth = simulate_to_file(out, model=model, mode="t3", seed=seed, duration_s=DURATION_S, force=args.force)
        size = out.stat().st_size
        acq = truth["acquisition"]
        print(f"{out.name}: {acq['n_photons']:,} photons, {size / 1e6:.2f} MB, ON fraction "
              f"{truth['on_fraction']['time_weighted']:.3f}, g2(0) {truth['g2']['g2_0']:.3f} "
              f"-> {truth_path(out).name}")
        if size >= MAX_BYTES:
            raise SystemExit(f"{out.name} is {size} bytes, over the {MAX_BYTES} limit: shorten DURATION_S")
    return 0


if __name__ == "__main__":
    sys.exit(main())
