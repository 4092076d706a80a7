"""Regenerate the README figures from the Auger sample: ``python docs/make_figures.py``.

Runs ``tttr analyze data/samples/sim_auger.ptu --levels --out <tmp> --plots`` through the API and keeps
only the PNGs, in docs/figures/.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from tttr.pipeline import analyze  # noqa: E402
from tttr.report_io import write_report  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "samples" / "sim_auger.ptu"
OUT = ROOT / "docs" / "figures"


def main():
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        written = write_report(analyze(SAMPLE, levels=True), tmp, plots=True, force=True)
        for name, path in written.items():
            if name.startswith("plot_"):
                shutil.copy(path, OUT / Path(path).name)
                print("wrote", OUT / Path(path).name)


if __name__ == "__main__":
    main()
