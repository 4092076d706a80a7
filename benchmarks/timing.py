"""Timing and memory helpers shared by the benchmarks."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time

import numpy as np


def median_time(fn, repeat: int = 3) -> tuple[float, list]:
    """Run ``fn`` ``repeat`` times; return the median wall time (s) and all times."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), times


def peak_rss_mb(cmd: list[str]) -> tuple[float, float]:
    """Peak resident memory (MB) and wall time (s) of a command, via GNU time."""
    t0 = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(f"{cmd} failed: {r.stderr[-2000:]}")
    kb = int(r.stderr.strip().splitlines()[-1])
    return kb / 1024.0, wall


def machine() -> dict:
    """What the numbers were measured on."""
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem, 1), "python": sys.version.split()[0],
            "platform": platform.platform()}


def save(name: str, result: dict) -> str:
    out = os.path.join(os.path.dirname(__file__), "results")
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, f"{name}.json")
    with open(path, "w") as fh:
        json.dump(result, fh, indent=2)
    return path
