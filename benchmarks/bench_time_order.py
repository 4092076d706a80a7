"""Cost of the time-order check: streaming decode with and without it, same process, interleaved.

Usage: python benchmarks/bench_time_order.py [--photons 25000000]

Writes a HydraHarp2T3 and a GenericT2 PTU (synth.py), then times ``stream.chunks()`` (decode +
check) against the bare decoder (``RecordStream._chunks``) seven times each, interleaved, and
prints the median times and their ratio.
"""
import argparse, os, sys, time, tempfile
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from synth import write_synthetic_ptu
import tttr
from tttr.io.base import RecordStream
ap = argparse.ArgumentParser(); ap.add_argument("--photons", type=int, default=25_000_000)
N = ap.parse_args().photons
d = tempfile.mkdtemp(prefix="tttr-speed-")
out = {}
for rt in ("HydraHarp2T3", "GenericT2"):
    p = os.path.join(d, f"{rt}.ptu")
    write_synthetic_ptu(p, N, rt, block=5_000_000)
    s = tttr.open(p)
    def checked():
        n = 0
        for c in s.chunks():
            n += len(c)
        return n
    def unchecked():
        n = 0
        for c in RecordStream._chunks(s, None):
            n += len(c)
        return n
    checked(); unchecked()
    a, b = [], []
    for _ in range(7):
        t = time.perf_counter(); unchecked(); a.append(time.perf_counter() - t)
        t = time.perf_counter(); checked(); b.append(time.perf_counter() - t)
    out[rt] = (np.median(a), np.median(b), s.info.n_records)
    print(rt, f"records {s.info.n_records}: unchecked {np.median(a):.3f} s, checked {np.median(b):.3f} s, ratio {np.median(b)/np.median(a):.3f}", flush=True)
    os.remove(p)
