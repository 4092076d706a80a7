"""Run every benchmark (one command), then write docs/performance.md.

Usage: python benchmarks/run_all.py [--quick]

--quick uses small sizes (minutes); the default sizes are those of the project's issue 8
(500 MB decode files, 10^8-photon g2, 2 GB and 20 GB analyze, 50-file batch) and take ~30-60 min.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run(args):
    print("+", " ".join(args), flush=True)
    subprocess.run([sys.executable, *args], check=True, cwd=os.path.dirname(HERE))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    b = lambda name: os.path.join(HERE, name)  # noqa: E731
    if a.quick:
        run([b("bench_decode.py"), "--size-mb", "50", "--repeat", "3"])
        run([b("bench_g2.py"), "--photons", "5000000"])
        run([b("bench_analyze.py"), "--duration-s", "120", "--sizes-gb", "0.5"])
        run([b("bench_info_memory.py"), "--size-gb", "0.5"])
    else:
        run([b("bench_decode.py"), "--size-mb", "500", "--repeat", "3"])
        run([b("bench_g2.py")])
        run([b("bench_info_memory.py"), "--size-gb", "2"])
        run([b("bench_pass.py"), "--duration-s", "785"])
        run([b("bench_analyze.py")])
        if os.path.exists(b("bench_batch.py")):
            run([b("bench_batch.py")])
    run([b("report.py")])


if __name__ == "__main__":
    main()
