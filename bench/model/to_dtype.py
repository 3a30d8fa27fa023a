#!/usr/bin/python3
"""Copy a checkpoint folder with every F32 tensor of model.safetensors converted to BF16 or F16
(round to nearest even, as torch's .to() does), for the F32-vs-16-bit memory bench.

usage: /usr/bin/python3 bench/model/to_dtype.py SRC_DIR DST_DIR bf16|f16
"""
import json
import os
import shutil
import struct
import sys

import numpy as np


def to_bf16(a):
    u = a.view(np.uint32).astype(np.uint64)
    r = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    return r.astype(np.uint16)


def main():
    src, dst, dt = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(dst, exist_ok=True)
    for f in os.listdir(src):
        if f != "model.safetensors":
            shutil.copy(os.path.join(src, f), os.path.join(dst, f))
    path = os.path.join(src, "model.safetensors")
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        hdr = json.loads(f.read(n))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + n)
    meta = hdr.pop("__metadata__", None)
    out_hdr, off, names = {}, 0, sorted(hdr, key=lambda k: hdr[k]["data_offsets"][0])
    for k in names:
        v = hdr[k]
        nb = (v["data_offsets"][1] - v["data_offsets"][0]) // (2 if v["dtype"] == "F32" else 1)
        out_hdr[k] = {"dtype": dt.upper() if v["dtype"] == "F32" else v["dtype"],
                      "shape": v["shape"], "data_offsets": [off, off + nb]}
        off += nb
    if meta is not None:
        out_hdr["__metadata__"] = meta
    h = json.dumps(out_hdr).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(os.path.join(dst, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for k in names:
            v = hdr[k]
            raw = data[v["data_offsets"][0]:v["data_offsets"][1]]
            if v["dtype"] != "F32":
                f.write(raw.tobytes())
                continue
            a = np.frombuffer(raw, dtype=np.float32)
            for i in range(0, a.size, 1 << 24):
                c = a[i:i + (1 << 24)]
                f.write((to_bf16(c) if dt == "bf16" else c.astype(np.float16)).tobytes())
    cfg_path = os.path.join(dst, "config.json")
    cfg = json.load(open(cfg_path))
    cfg["torch_dtype"] = "bfloat16" if dt == "bf16" else "float16"
    json.dump(cfg, open(cfg_path, "w"), indent=2)


if __name__ == "__main__":
    main()
