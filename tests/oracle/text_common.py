"""Shared helpers for the text oracles: the record protocol of tests/text/driver_text.c and
the environment CTest passes (LB_DRIVERS, LB_CLI, LB_WORK, LB_SANITIZED)."""
import os
import struct
import subprocess
import sys


def pack(items):
    """Length-prefixed records (4-byte little-endian length + UTF-8 bytes)."""
    out = bytearray()
    for s in items:
        b = s if isinstance(s, bytes) else s.encode("utf-8")
        out += struct.pack("<I", len(b)) + b
    return bytes(out)


def unpack(data):
    recs, i = [], 0
    while i < len(data):
        (n,) = struct.unpack_from("<I", data, i)
        recs.append(data[i + 4:i + 4 + n])
        i += 4 + n
    return recs


def run_driver(mode, items):
    """Run driver_text MODE over items; returns the output records as bytes."""
    exe = os.path.join(os.environ["LB_DRIVERS"], "driver_text")
    res = subprocess.run([exe, mode], input=pack(items), stdout=subprocess.PIPE, check=True)
    out = unpack(res.stdout)
    if len(out) != len(items):
        sys.exit(f"driver_text {mode}: {len(out)} records back for {len(items)} sent")
    return out


def sanitized():
    return os.environ.get("LB_SANITIZED") == "1"


def work_dir(sub):
    """LB_WORK/<sub>: each oracle keeps its scratch files apart from other tests'."""
    d = os.path.join(os.environ.get("LB_WORK", "/tmp/lb_work"), sub)
    os.makedirs(d, exist_ok=True)
    return d


def report(name, mismatches, total, show=20):
    """Print the first mismatches and exit non-zero if there is any."""
    for m in mismatches[:show]:
        print("MISMATCH", m)
    print(f"{name}: {total - len(mismatches)}/{total} identical")
    if mismatches or total == 0:
        sys.exit(1)
