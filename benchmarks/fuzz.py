"""Hostile inputs for every reader: build them from the samples, run ``tttr info`` and
``tttr analyze`` on each in a capped child process, and count the outcomes.

Usage::

    python benchmarks/fuzz.py --n 2000 --seed 1 [--out benchmarks/results/fuzz.json]
                              [--timeout 60] [--as-limit-gb 4] [--spawn]

What is built (``--n`` inputs, drawn deterministically from ``--seed``): from each seed file
(the real files in ``/work/shared/data/real`` and ``data/samples``, plus columnar, FT1040 and
Photon-HDF5 files made from them) a mutation of one class:

``header_bitflip``    1-8 random bits flipped in the first 4 KiB
``record_bitflip``    1-64 random bits flipped after the header
``header_value``      one header number set to NaN, +-inf, 0, -1, a denormal, 1e300, 2**63-1, ...
``record_type``       the record-type id / measurement mode replaced (T2 <-> T3, unknown ids)
``records``           records replaced by random words, overflow records turned into photons,
                      all photons given one time, a block reversed
``truncate``          the file cut at a random byte
``container``         HDF5 with links/strings/wrong dtypes, NPZ with object or structured
                      members, corrupt Parquet and ZIP, CSV garbage
``special_path``      a directory, ``/dev/null``, ``/dev/zero``, a FIFO, a broken symlink, a
                      name with a newline and escapes, a missing file

Each input is run as ``tttr info --json`` and ``tttr analyze --json`` in a child process
with ``RLIMIT_AS`` (``--as-limit-gb``) and a wall-clock limit (``--timeout``). By default the
child is forked from a parent that has imported ``tttr`` and run every kernel once (so a run
costs its own work, not a second of imports); ``--spawn`` starts a fresh interpreter per run
instead. The child's peak RSS (``ru_maxrss``) includes the pages it shares with the parent,
so it over-states the run's own memory.

Outcome classes: ``ok`` (exit 0, plausible values), ``error`` (exit 2, one printable line
``tttr: error: ...`` naming the input), ``impossible`` (exit 0 with a value no measurement
can have), ``internal`` (exit 3 or a traceback), ``unnamed`` (an error line that does not
name the input), ``unprintable`` (a line with control characters), ``timeout``,
``over_1gb`` (peak RSS above 1 GiB), ``killed`` (a signal, e.g. out of address space), and
``wrote_beside_input`` (a new file appeared next to the input).
"""

from __future__ import annotations

import argparse
import glob
import json
import math
import os
import random
import resource
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
REAL = Path("/work/shared/data/real")
HOSTILE_FLOATS = [float("nan"), float("inf"), float("-inf"), 0.0, -0.0, -1.0, -1e-12, 5e-324, 2.2e-308, 1e300,
                  1e-30, 1e30, 1.0, 1e-3]
HOSTILE_INTS = [0, -1, -2**31, 2**31 - 1, 2**63 - 1, -2**63, 1, 7, 2**32, 10**15]
CLASSES = ("header_bitflip", "record_bitflip", "header_value", "record_type", "records", "truncate", "container",
           "special_path")
GIB = 2**30


# ---------------------------------------------------------------------------------- seeds
def _ptu_tags(data: bytes):
    """(name, type, value offset) of every PTU tag up to Header_End."""
    out, pos = [], 16
    while pos + 48 <= len(data):
        name = data[pos:pos + 32].split(b"\0", 1)[0].decode("ascii", "replace")
        typ = struct.unpack_from("<I", data, pos + 36)[0]
        out.append((name, typ, pos + 40))
        pos += 48
        if typ in (0x2001FFFF, 0x4001FFFF, 0x4002FFFF, 0xFFFFFFFF):
            pos += struct.unpack_from("<q", data, pos - 8)[0]
        if name == "Header_End":
            break
    return out


def make_seeds(work: Path, quick: bool = False) -> list[dict]:
    """Seed files of every format, copied or derived into ``work``; each a dict with
    ``format``, ``path`` and ``args`` (extra CLI arguments)."""
    import tttr

    work.mkdir(parents=True, exist_ok=True)
    seeds = []
    pq = sorted(p for p in glob.glob(str(REAL / "*")) if p.endswith((".ptu", ".ht3", ".ht2", ".pt3", ".pt2")))
    pq += sorted(glob.glob(str(ROOT / "data" / "samples" / "*.ptu")))
    if not pq:
        pq = sorted(glob.glob(str(ROOT / "data" / "samples" / "real" / "*.p*")) +
                    glob.glob(str(ROOT / "data" / "samples" / "real" / "*.ht*")))
    if quick:
        pq = [p for p in pq if os.path.getsize(p) < 800_000][:4]
    for p in pq:
        seeds.append({"format": Path(p).suffix[1:].upper(), "path": p, "args": []})
    spc = [REAL / "bh_spc150_test_noise.spc", REAL / "bh_spc132.spc"]
    spc = [p for p in spc if p.exists()] or [ROOT / "data" / "samples" / "real" / "bh_spc150_test_noise.spc"]
    for p in spc[: 1 if quick else 2]:
        has_set = p.with_suffix(".set").exists()
        seeds.append({"format": "SPC", "path": str(p), "set": str(p.with_suffix(".set")),
                      "args": [] if has_set else ["--nanotimes-unit", "12.2ps"]})
    h5 = REAL / "derived" / "pq_hydraharp_v2_t3_symphotime.photon-hdf5.h5"
    src = next((p for p in pq if "hydraharp_v2_t3_symphotime" in p or "v2.ht3" in p), pq[0])
    with tttr.open(src) as s:
        data, info = s.read(), s.info
    if h5.exists():
        seeds.append({"format": "Photon-HDF5", "path": str(h5), "args": []})
    else:  # pragma: no cover - no derived file on this machine
        from tttr.io.photon_hdf5 import write_photon_hdf5  # noqa: F401
    n = min(len(data), 20_000)
    ts, det, nt = data.timestamps[:n], data.detectors[:n], data.nanotimes[:n]
    cols = work / "seed_columns.npz"
    np.savez(cols, sync=ts, channel=det.astype(np.int64), nanotime=nt)
    (work / "seed_columns.npz.units.json").write_text(json.dumps({"sync_rate_hz": info.sync_rate_hz,
                                                                 "nanotimes_unit_s": info.nanotimes_unit_s}))
    seeds.append({"format": "columns-npz", "path": str(cols), "args": [], "sidecar": True})
    csv = work / "seed_columns.csv"
    t_ps = (ts * info.timestamps_unit_s * 1e12).astype(np.int64)
    with open(csv, "w") as fh:
        fh.write("time_ps,channel\n")
        np.savetxt(fh, np.column_stack([t_ps, det]), fmt="%d", delimiter=",")
    seeds.append({"format": "columns-csv", "path": str(csv), "args": []})
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq_

        pqf = work / "seed_columns.parquet"
        pq_.write_table(pa.table({"time_ps": t_ps, "channel": det.astype(np.int64)}), pqf)
        seeds.append({"format": "columns-parquet", "path": str(pqf), "args": []})
    except ImportError:  # pragma: no cover
        pass
    ft = work / "seed_ft1040"
    ft.mkdir(exist_ok=True)
    res_ps = 64
    period_ps = int(round(info.timestamps_unit_s * 1e12))
    t = np.minimum((nt.astype(np.int64) * round(info.nanotimes_unit_s * 1e12)) // res_ps * res_ps,
                   period_ps - res_ps)
    rows = np.column_stack([np.zeros(n, np.int64), det.astype(np.int64) % 4 + 1, t, ts])
    head = ["Siminics FT1040 TCSPC Data Export", "Software Version: 3.2.0", "Device: Dev0", "Measurement Mode: T3",
            "Start Time: 2024-03-05 14:03:22", f"Sync Rate: {1e6 / period_ps:.6f} MHz", f"Resolution: {res_ps} ps",
            "Acquisition Time: 60 s", "Enabled Channels: 1,2,3,4", "seed export"]
    for i, part in enumerate(np.array_split(rows, 3)):
        body = "".join(f"{a}\t{b}\t{c}\t{d}\r\n" for a, b, c, d in part.tolist())
        hd = "\r\n".join(head + ["Flag\tChannel\tTime(ps)\tSync"]) + "\r\n" if i == 0 else ""
        (ft / f"Dev0_T3_2024_03_05_14_03_22_s{i}.txt").write_text(hd + body)
    seeds.append({"format": "FT1040", "path": str(ft / "Dev0_T3_2024_03_05_14_03_22_s0.txt"), "args": [],
                  "folder": str(ft)})
    return seeds


# ------------------------------------------------------------------------------ mutations
def _copy_seed(seed: dict, dest: Path) -> Path:
    """Copy the seed (with its .set / sidecar / other segments) into the empty folder ``dest``."""
    dest.mkdir(parents=True)
    src = Path(seed["path"])
    if seed.get("folder"):
        for f in Path(seed["folder"]).iterdir():
            shutil.copy(f, dest / f.name)
    else:
        shutil.copy(src, dest / src.name)
        if seed.get("set") and Path(seed["set"]).exists():
            shutil.copy(seed["set"], dest / Path(seed["set"]).name)
        if seed.get("sidecar"):
            shutil.copy(str(src) + ".units.json", dest / (src.name + ".units.json"))
    p = dest / src.name
    os.chmod(p, 0o644)
    return p


def _header_len(data: bytes, fmt: str) -> int:
    if data[:6] == b"PQTTTR":
        tags = _ptu_tags(data)
        return tags[-1][2] + 8 if tags else 4096
    if data[:4] == b"\x89HDF":
        return len(data)
    return min(len(data), 4096 if fmt in ("HT3", "HT2", "PT3", "PT2") else 512)


def _flip(data: bytearray, lo: int, hi: int, k: int, rng: random.Random) -> None:
    if hi <= lo:
        return
    for _ in range(k):
        i = rng.randrange(lo, hi)
        data[i] ^= 1 << rng.randrange(8)


def _hostile_value(rng):
    return rng.choice(HOSTILE_FLOATS) if rng.random() < 0.6 else rng.choice(HOSTILE_INTS)


def mutate(seed: dict, cls: str, dest: Path, rng: random.Random) -> tuple[str, str]:
    """Build one hostile input of class ``cls`` in the new folder ``dest``; returns (path, note)."""
    fmt = seed["format"]
    if cls == "special_path":
        return _special(dest, rng)
    p = _copy_seed(seed, dest)
    data = bytearray(p.read_bytes())
    hl = _header_len(bytes(data), fmt)
    note = ""
    if cls == "header_bitflip":
        k = rng.randint(1, 8)
        _flip(data, 0, min(len(data), 4096), k, rng)
        note = f"{k} bits"
    elif cls == "record_bitflip":
        k = rng.randint(1, 64)
        _flip(data, min(hl, len(data) - 1), len(data), k, rng)
        note = f"{k} bits"
    elif cls == "truncate":
        cut = rng.choice([rng.randrange(0, max(1, hl + 64)), rng.randrange(0, len(data))])
        del data[cut:]
        note = f"at {cut}"
    elif cls == "header_value":
        note = _header_value(seed, p, data, rng)
        if note.startswith("rewritten"):
            return str(p), note
    elif cls == "record_type":
        note = _record_type(seed, data, rng)
    elif cls == "records":
        note = _records(seed, p, data, hl, rng)
        if note.startswith("rewritten"):
            return str(p), note
    elif cls == "container":
        return _container(seed, p, dest, rng)
    p.write_bytes(bytes(data))
    return str(p), note


def _header_value(seed, p: Path, data: bytearray, rng) -> str:
    fmt = seed["format"]
    v = _hostile_value(rng)
    if data[:6] == b"PQTTTR":
        tags = [t for t in _ptu_tags(bytes(data)) if t[1] in (0x10000008, 0x20000008, 0x21000008, 0x00000008)]
        key = ("MeasDesc_GlobalResolution", "MeasDesc_Resolution", "TTResult_SyncRate", "TTResult_NumberOfRecords",
               "MeasDesc_AcquisitionTime", "TTResultFormat_TTTRRecType", "Measurement_Mode")
        pref = [t for t in tags if t[0] in key]
        name, typ, off = rng.choice(pref if pref and rng.random() < 0.8 else tags)
        if typ == 0x20000008 or typ == 0x21000008:
            struct.pack_into("<d", data, off, float(v))
        else:
            iv = int(v) if math.isfinite(v) and abs(v) < 2**63 else -1
            struct.pack_into("<q", data, off, iv)
        return f"{name}={v!r}"
    if fmt in ("HT3", "HT2", "PT3", "PT2"):
        # legacy headers: a 4-byte int or float, or an 8-byte double, at a random aligned offset
        off = rng.randrange(16, min(len(data), 900) - 8, 4)
        kind = rng.choice(["i", "f", "d"])
        if kind == "i":
            iv = int(v) if math.isfinite(v) and -2**31 <= v < 2**31 else -1
            struct.pack_into("<i", data, off, iv)
        else:
            with np.errstate(over="ignore"):
                struct.pack_into("<" + kind, data, off, float(v) if kind == "d" else float(np.float32(v)))
        return f"{kind}@{off}={v!r}"
    if fmt == "SPC":
        setp = p.with_suffix(".set")
        if setp.exists() and rng.random() < 0.6:
            txt = setp.read_bytes().decode("latin-1")
            import re

            keys = re.findall(r"#SP \[(SP_[A-Z_]+),([FIL]),([^\]]*)\]", txt)
            if keys:
                k, typ, old = rng.choice(keys)
                new = repr(v) if typ == "F" else str(int(v) if math.isfinite(v) and abs(v) < 2**31 else -1)
                txt = txt.replace(f"[{k},{typ},{old}]", f"[{k},{typ},{new}]", 1)
                setp.write_bytes(txt.encode("latin-1"))
                data[:] = p.read_bytes()
                return f"set {k}={new}"
        word = rng.choice([0x80000000, 0x80000001, 0xFFFFFFFF, 0x80FFFFFF, 0x00000000])
        struct.pack_into("<I", data, 0, word)
        return f"header record 0x{word:08X}"
    if fmt == "Photon-HDF5":
        import h5py

        with h5py.File(p, "r+") as f:
            fields = [k for k in ("photon_data/timestamps_specs/timestamps_unit",
                                  "photon_data/nanotimes_specs/tcspc_unit",
                                  "photon_data/nanotimes_specs/tcspc_num_bins",
                                  "photon_data/measurement_specs/laser_repetition_rate",
                                  "acquisition_duration") if k in f]
            k = rng.choice(fields)
            del f[k]
            f[k] = v
        return f"rewritten {k}={v!r}"
    if fmt == "columns-npz":
        side = Path(str(p) + ".units.json")
        side.write_text(json.dumps({"sync_rate_hz": v, "nanotimes_unit_s": 1.6e-11}) if rng.random() < 0.5 else
                        json.dumps({"sync_rate_hz": 1e6, "nanotimes_unit_s": v}) if rng.random() < 0.6 else
                        "{\"sync_rate_hz\": \"x\\n\\u0007\"}")
        return f"sidecar sync_rate_hz={v!r}"
    if fmt.startswith("columns"):
        return "no header number"
    if fmt == "FT1040":
        txt = bytes(data).decode()
        line = rng.choice(["Sync Rate", "Resolution"])
        import re

        txt = re.sub(rf"{line}: [^\r]*", f"{line}: {v!r} {'MHz' if line == 'Sync Rate' else 'ps'}", txt, count=1)
        data[:] = txt.encode()
        return f"{line}={v!r}"
    return "none"


_PQ_IDS = [0x00010203, 0x00010303, 0x00010204, 0x00010304, 0x01010204, 0x01010304, 0x00010205, 0x00010305,
           0x00010207, 0x00010307, 0x12345678, 0, -1]


def _record_type(seed, data: bytearray, rng) -> str:
    fmt = seed["format"]
    if data[:6] == b"PQTTTR":
        for name, _typ, off in _ptu_tags(bytes(data)):
            if name == "TTResultFormat_TTTRRecType":
                new = rng.choice(_PQ_IDS)
                struct.pack_into("<q", data, off, new)
                return f"rectype 0x{new & 0xFFFFFFFF:08X}"
        return "no rectype tag"
    if fmt in ("HT3", "HT2", "PT3", "PT2"):
        # MeasurementMode: HydraHarp at 328+12, PicoHarp at 328+20
        off = 340 if fmt.startswith("H") else 348
        new = rng.choice([2, 3, 0, 7, -1])
        struct.pack_into("<i", data, off, new)
        if rng.random() < 0.3:
            data[16:22] = rng.choice([b"1.0\0\0\0", b"2.0\0\0\0", b"3.0\0\0\0", b"\xff\xfe\0\0\0\0"])
        return f"mode {new}"
    if fmt == "SPC":
        word = struct.unpack_from("<I", data, 0)[0]
        word ^= rng.choice([1 << 26, 1 << 25, 0xF << 27, 1 << 31])
        struct.pack_into("<I", data, 0, word)
        return "header flags"
    return "no record type"


def _records(seed, p: Path, data: bytearray, hl: int, rng) -> str:
    fmt = seed["format"]
    if fmt == "Photon-HDF5":
        import h5py

        how = rng.choice(["reverse", "constant", "float", "negative", "shuffle", "huge_det"])
        with h5py.File(p, "r+") as f:
            ts = f["photon_data/timestamps"][:]
            del f["photon_data/timestamps"]
            if how == "reverse":
                ts = ts[::-1].copy()
            elif how == "constant":
                ts = np.full_like(ts, ts[len(ts) // 2])
            elif how == "float":
                ts = ts.astype(np.float64) + 0.5
            elif how == "negative":
                ts = -ts
            elif how == "shuffle":
                ts = ts[np.random.default_rng(rng.randrange(2**31)).permutation(len(ts))]
            f["photon_data/timestamps"] = ts
            if how == "huge_det" and "photon_data/detectors" in f:
                d = f["photon_data/detectors"][:].astype(np.int64) + 1000
                del f["photon_data/detectors"]
                f["photon_data/detectors"] = d
        return f"rewritten {how}"
    if fmt.startswith("columns") or fmt == "FT1040":
        if fmt == "columns-npz":
            z = dict(np.load(p))
            how = rng.choice(["reverse", "constant", "negative", "huge"])
            k = "sync"
            z[k] = {"reverse": z[k][::-1], "constant": np.full_like(z[k], 5), "negative": -z[k],
                    "huge": z[k] + 2**62}[how]
            np.savez(p, **z)
            return f"rewritten {how}"
        lines = bytes(data).split(b"\n")
        start = next(i for i, ln in enumerate(lines) if ln[:1].isdigit())
        body = lines[start:]
        how = rng.choice(["reverse", "swap", "garbage", "constant"])
        if how == "reverse":
            body = body[::-1]
        elif how == "swap" and len(body) > 10:
            i = rng.randrange(len(body) - 5)
            body[i], body[i + 3] = body[i + 3], body[i]
        elif how == "garbage":
            i = rng.randrange(len(body))
            body[i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 40)))
        else:
            body = [b.split(b",")[0][:0] + b"5," + b.split(b",")[-1] if b"," in b else b for b in body]
        data[:] = b"\n".join(lines[:start] + body)
        return how
    size = 6 if (fmt == "SPC" and len(data) % 6 == 0 and len(data) % 4) else 4
    start = hl + (-hl % size) if fmt != "SPC" else size
    n = (len(data) - start) // size
    if n < 4:
        return "too short"
    words = np.frombuffer(bytes(data[start:start + n * 4]), "<u4").copy() if size == 4 else None
    how = rng.choice(["random_words", "overflow_as_photon", "one_time", "reverse_block", "zero_block", "ones"])
    if words is None:
        how = "random_bytes"
        for _ in range(rng.randint(1, 50)):
            i = rng.randrange(start, len(data))
            data[i] = rng.randrange(256)
        return how
    if how == "random_words":
        idx = np.random.default_rng(rng.randrange(2**31)).integers(0, n, rng.randint(1, 200))
        words[idx] = np.random.default_rng(rng.randrange(2**31)).integers(0, 2**32, idx.size, dtype=np.uint64)
    elif how == "overflow_as_photon":
        if fmt in ("PT3", "PT2") or seed["path"].endswith("picoharp_t2.ptu") or "picoharp" in seed["path"]:
            ovf = (words >> 28) == 15
            words[ovf] = (words[ovf] & 0x0FFFFFFF) | (1 << 28)
        else:
            ovf = (words >> 25) == 127
            words[ovf] &= 0x7FFFFFFF
    elif how == "one_time":
        words = words & ~np.uint32(0x3FF) if fmt != "SPC" else words & ~np.uint32(0xFFF)
        words = words[(words >> 31) == 0] if fmt != "SPC" else words
        words = np.resize(words, n)
    elif how == "reverse_block":
        a = rng.randrange(n)
        b = min(n, a + rng.randint(2, 5000))
        words[a:b] = words[a:b][::-1].copy()
    elif how == "zero_block":
        a = rng.randrange(n)
        words[a:a + rng.randint(1, 1000)] = 0
    else:
        a = rng.randrange(n)
        words[a:a + rng.randint(1, 1000)] = 0xFFFFFFFF
    data[start:start + n * 4] = words.astype("<u4").tobytes()
    return how


def _container(seed, p: Path, dest: Path, rng) -> tuple[str, str]:
    fmt = seed["format"]
    if fmt == "Photon-HDF5":
        import h5py

        how = rng.choice(["external_link", "soft_link_loop", "string_ts", "group_ts", "empty", "2d", "corrupt"])
        if how == "corrupt":
            data = bytearray(p.read_bytes())
            _flip(data, 0, min(len(data), 4096), rng.randint(1, 40), rng)
            p.write_bytes(bytes(data))
            return str(p), how
        with h5py.File(p, "r+") as f:
            del f["photon_data/timestamps"]
            if how == "external_link":
                f["photon_data/timestamps"] = h5py.ExternalLink("/nonexistent/x.h5", "/ts")
            elif how == "soft_link_loop":
                f["photon_data/timestamps"] = h5py.SoftLink("/photon_data/timestamps")
            elif how == "string_ts":
                f["photon_data/timestamps"] = np.array([b"a\nb", b"\x1b[31m"], dtype="S4")
            elif how == "group_ts":
                f.create_group("photon_data/timestamps")
            elif how == "empty":
                f["photon_data/timestamps"] = np.zeros(0, np.int64)
            else:
                f["photon_data/timestamps"] = np.zeros((3, 3), np.int64)
        return str(p), how
    if fmt == "columns-npz":
        how = rng.choice(["object", "structured", "corrupt_zip", "2d", "strings"])
        if how == "corrupt_zip":
            data = bytearray(p.read_bytes())
            _flip(data, 0, len(data), rng.randint(1, 40), rng)
            p.write_bytes(bytes(data))
        else:
            z = dict(np.load(p))
            if how == "object":
                z["channel"] = np.array([{"a": 1}, None, "x"] * 10, dtype=object)
            elif how == "structured":
                z["sync"] = np.zeros(len(z["sync"]), dtype=[("a", "<i8"), ("b", "<f4")])
            elif how == "2d":
                z["sync"] = np.zeros((4, 4), np.int64)
            else:
                z["channel"] = np.array(["\x1b[2J", "a\nb"] * 5)
            np.savez(p, **z)
        return str(p), how
    if fmt == "columns-parquet":
        data = bytearray(p.read_bytes())
        how = rng.choice(["flip", "cut_footer", "magic_only"])
        if how == "flip":
            _flip(data, 4, len(data) - 4, rng.randint(1, 64), rng)
        elif how == "cut_footer":
            data = data[: len(data) - rng.randint(5, 200)] + b"PAR1"
        else:
            data = bytearray(b"PAR1" + bytes(rng.randrange(256) for _ in range(100)) + b"PAR1")
        p.write_bytes(bytes(data))
        return str(p), how
    # text and binary formats: binary garbage of the same length after a valid start
    data = bytearray(p.read_bytes())
    k = rng.randint(1, 200)
    i = rng.randrange(len(data))
    data[i:i + k] = bytes(rng.randrange(256) for _ in range(k))
    if fmt in ("columns-csv", "FT1040"):
        data[i:i] = rng.choice([b"\x00", b"\x1b[31m", b"\r", "\u202e".encode(), b"\xff\xfe", b"nan", b"1e999"])
    p.write_bytes(bytes(data))
    return str(p), "garbage"


def _special(dest: Path, rng) -> tuple[str, str]:
    dest.mkdir(parents=True)
    how = rng.choice(["directory", "dev_null", "dev_zero", "fifo", "broken_link", "link_loop", "odd_name", "missing",
                      "empty"])
    if how == "directory":
        (dest / "d.ptu").mkdir()
        return str(dest / "d.ptu"), how
    if how == "dev_null":
        return "/dev/null", how
    if how == "dev_zero":
        return "/dev/zero", how
    if how == "fifo":
        f = dest / "pipe.ptu"
        os.mkfifo(f)
        return str(f), how
    if how == "broken_link":
        (dest / "b.ptu").symlink_to(dest / "nowhere")
        return str(dest / "b.ptu"), how
    if how == "link_loop":
        (dest / "l1.ptu").symlink_to(dest / "l2.ptu")
        (dest / "l2.ptu").symlink_to(dest / "l1.ptu")
        return str(dest / "l1.ptu"), how
    if how == "odd_name":
        f = dest / "a\nb\x1b[31m\u202e.ptu"
        shutil.copy(ROOT / "data" / "samples" / "sim_bc.ptu", f)
        return str(f), how
    if how == "empty":
        f = dest / "e.ptu"
        f.write_bytes(b"")
        return str(f), how
    return str(dest / "missing.ptu"), how


# ------------------------------------------------------------------------------- running
def _impossible(cmd: str, out: str) -> str | None:
    """Reason why the JSON on stdout holds a value no measurement can have, or None."""
    try:
        d = json.loads(out)
    except ValueError:
        return "stdout is not JSON"

    def bad(x, lo, hi, allow_none=True):
        if x is None:
            return not allow_none
        return not (isinstance(x, (int, float)) and math.isfinite(x) and lo <= x <= hi)

    checks = [("timestamps_unit_s", 1e-15, 10, True), ("nanotimes_unit_s", 1e-15, 1e-5, True),
              ("sync_rate_hz", 0.1, 1e10, True), ("duration_s", 0, 1e7, True), ("count_rate_cps", 0, 1e10, True),
              ("n_photons", 0, 1e13, True), ("acquisition_time_s", 0, 1e7, True)]
    for k, lo, hi, none_ok in checks:
        if k in d and bad(d[k], lo, hi, none_ok):
            return f"{k}={d[k]!r}"
    lt = d.get("lifetime") or {}
    for k in ("tau_ns", "tau1_ns", "tau2_ns"):
        if lt.get(k) is not None and bad(lt[k], 0, 1e6):
            return f"lifetime.{k}={lt[k]!r}"
    g2 = d.get("g2") or {}
    if g2.get("g2_zero") is not None and bad(g2["g2_zero"], -1e3, 1e6):
        return f"g2.g2_zero={g2['g2_zero']!r}"
    return None


def classify(path: str, cmd: str, rc: int | None, out: str, err: str, maxrss_kb: int, wall: float, timeout: float,
             before: set | None, after: set | None) -> str:
    """Outcome class of one run (see the module docstring)."""
    if rc is None:
        return "timeout"
    if rc < 0:
        return "killed"
    lines = err.splitlines()
    if any(not ln.isprintable() for ln in lines):
        return "unprintable"
    if rc == 3 or "Traceback" in err or "internal error" in err:
        return "internal"
    if maxrss_kb > GIB // 1024:
        return "over_1gb"
    if before is not None and after is not None and after - before:
        return "wrote_beside_input"
    if rc == 0:
        why = _impossible(cmd, out)
        return "impossible" if why else "ok"
    # "tttr: error: ..." for bad input, "tttr CMD: usage error: ..." for an option the file makes
    # impossible (a bin longer than the measurement)
    errs = [ln for ln in lines if ln.startswith("tttr") and (": error:" in ln or ": usage error:" in ln)]
    if not errs:
        return "internal"
    from tttr.errors import printable

    names = {printable(path, 1000), printable(os.path.basename(path), 1000), printable(os.path.dirname(path), 1000)}
    if not any(n and n in errs[-1] for n in names):
        return "unnamed"
    return "error"


def _child(args: list[str], as_bytes: int, out_fd: int, err_fd: int) -> None:  # pragma: no cover - in the child
    try:
        resource.setrlimit(resource.RLIMIT_AS, (as_bytes, as_bytes))
        os.dup2(out_fd, 1)
        os.dup2(err_fd, 2)
        sys.stdout = open(1, "w", closefd=False)
        sys.stderr = open(2, "w", closefd=False)
        import warnings

        warnings.resetwarnings()  # a fresh interpreter's filters, not the parent's (pytest: errors)
        warnings.simplefilter("default")
        from tttr_cli.main import cli

        try:
            cli.main(args=args, prog_name="tttr", standalone_mode=True)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    except BaseException:  # noqa: BLE001
        import traceback

        traceback.print_exc()
        sys.stderr.flush()
        os._exit(3)


def run_one(args: list[str], *, timeout: float, as_bytes: int, spawn: bool, tmp: Path) -> tuple:
    """Run ``tttr ARGS`` capped; returns (rc or None on timeout, stdout, stderr, maxrss_kb, wall_s)."""
    outp, errp = tmp / "out.txt", tmp / "err.txt"
    t0 = time.monotonic()
    with open(outp, "wb") as fo, open(errp, "wb") as fe:
        if spawn:
            def limit():  # pragma: no cover - in the child
                resource.setrlimit(resource.RLIMIT_AS, (as_bytes, as_bytes))

            env = dict(os.environ, PYTHONPATH=f"{ROOT / 'src'}:{ROOT / 'cli'}")
            proc = subprocess.Popen([sys.executable, "-m", "tttr_cli.main", *args], stdout=fo, stderr=fe,
                                    stdin=subprocess.DEVNULL, preexec_fn=limit, env=env, start_new_session=True)
            pid = proc.pid
        else:
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - in the child
                os.setsid()
                _child(args, as_bytes, fo.fileno(), fe.fileno())
        rc, rss = None, 0
        while True:
            wpid, status, ru = os.wait4(pid, os.WNOHANG)
            if wpid == pid:
                rc = os.waitstatus_to_exitcode(status)
                rss = ru.ru_maxrss
                break
            if time.monotonic() - t0 > timeout:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                _, status, ru = os.wait4(pid, 0)
                rc, rss = None, ru.ru_maxrss
                break
            time.sleep(0.01)
    wall = time.monotonic() - t0
    return rc, outp.read_text(errors="replace"), errp.read_bytes().decode("utf-8", "replace"), rss, wall


def _listing(path: str) -> set | None:
    d = Path(path).parent
    try:
        return {f.name for f in d.iterdir()} if d.is_dir() and str(d).startswith(tempfile.gettempdir()) else None
    except OSError:
        return None


def warm_up(seeds: list[dict], tmp: Path) -> None:
    """Run info and analyze once on a seed of each kind in this process, so that forked
    children inherit the loaded kernels instead of loading them again."""
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from tttr_cli.main import cli

    for s in seeds:
        if s["format"] not in ("PTU", "HT2", "SPC", "Photon-HDF5", "columns-npz", "FT1040"):
            continue
        for cmd in ("info", "analyze"):
            with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
                try:
                    cli.main(args=[cmd, "--json", *s["args"], s["path"]], prog_name="tttr", standalone_mode=False)
                except BaseException:  # noqa: BLE001 - warm-up only
                    pass


def plan(seeds: list[dict], n: int, seed: int) -> list[tuple[dict, str, int]]:
    """``n`` (seed file, class, sub-seed) triples.

    Input ``i`` takes seed file ``s = i mod S`` and class ``(i div S + s) mod C``: every block
    of ``S`` inputs covers every seed file (and every class when ``S >= C``), and the first
    ``S x C`` inputs are all the (file, class) pairs once. Sub-seeds come from ``seed``.
    """
    rng = random.Random(seed)
    S, C = len(seeds), len(CLASSES)
    return [(seeds[i % S], CLASSES[(i // S + i % S) % C], rng.randrange(2**31)) for i in range(n)]


def run_campaign(n: int, seed: int, *, timeout: float = 60.0, as_limit_gb: float = 4.0, spawn: bool = False,
                 quick: bool = False, commands=("info", "analyze"), work: Path | None = None, log=None) -> dict:
    """Build ``n`` hostile inputs and run ``commands`` on each; returns the summary dict."""
    own = work is None
    work = Path(tempfile.mkdtemp(prefix="tttr-fuzz-")) if own else Path(work)
    try:
        seeds = make_seeds(work / "seeds", quick=quick)
        if not spawn:
            warm_up(seeds, work)
        counts = Counter()
        by_fmt = defaultdict(Counter)
        by_cls = defaultdict(Counter)
        bad = []
        peak = {"rss_mb": 0.0, "wall_s": 0.0}
        as_bytes = int(as_limit_gb * GIB)
        for i, (s, cls, sub) in enumerate(plan(seeds, n, seed)):
            dest = work / f"case{i:05d}"
            rng = random.Random(sub)
            try:
                path, note = mutate(s, cls, dest, rng)
            except Exception as exc:  # noqa: BLE001 - a mutation that does not apply to this seed
                path, note = s["path"], f"mutation failed ({type(exc).__name__}); seed as is"
            for cmd in commands:
                before = _listing(path)
                rc, out, err, rss, wall = run_one([cmd, "--json", *s["args"], path], timeout=timeout,
                                                  as_bytes=as_bytes, spawn=spawn, tmp=work)
                after = _listing(path)
                outcome = classify(path, cmd, rc, out, err, rss, wall, timeout, before, after)
                counts[outcome] += 1
                by_fmt[s["format"]][outcome] += 1
                by_cls[cls][outcome] += 1
                peak["rss_mb"] = max(peak["rss_mb"], rss / 1024)
                peak["wall_s"] = max(peak["wall_s"], wall)
                if outcome not in ("ok", "error"):
                    last = err.strip().splitlines()[-1] if err.strip() else ""
                    why = _impossible(cmd, out) if outcome == "impossible" else None
                    bad.append({"case": i, "format": s["format"], "class": cls, "note": note, "cmd": cmd,
                                "outcome": outcome, "rc": rc, "rss_mb": round(rss / 1024), "wall_s": round(wall, 1),
                                "why": why, "stderr_last": last[:300], "path": path})
                    if log:
                        log(f"[{i}] {outcome} {cmd} {s['format']} {cls} {note}: {why or last[:200]}")
            shutil.rmtree(dest, ignore_errors=True)
        return {"n_inputs": n, "seed": seed, "runs": sum(counts.values()), "counts": dict(counts),
                "by_format": {k: dict(v) for k, v in by_fmt.items()},
                "by_class": {k: dict(v) for k, v in by_cls.items()}, "peak_rss_mb": round(peak["rss_mb"]),
                "peak_wall_s": round(peak["wall_s"], 1), "timeout_s": timeout, "as_limit_gb": as_limit_gb,
                "mode": "spawn" if spawn else "fork", "failures": bad}
    finally:
        if own:
            shutil.rmtree(work, ignore_errors=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--as-limit-gb", type=float, default=4.0)
    ap.add_argument("--spawn", action="store_true")
    ap.add_argument("--quick", action="store_true", help="small seed set")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    sys.path[:0] = [str(ROOT / "src"), str(ROOT / "cli")]
    t0 = time.time()
    res = run_campaign(args.n, args.seed, timeout=args.timeout, as_limit_gb=args.as_limit_gb, spawn=args.spawn,
                       quick=args.quick, log=lambda m: print(m, file=sys.stderr, flush=True))
    res["wall_s"] = round(time.time() - t0)
    print(json.dumps({k: v for k, v in res.items() if k != "failures"}, indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
