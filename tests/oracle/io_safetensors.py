#!/usr/bin/python3
"""Oracle for the safetensors reader/writer (src/io/safetensors.c, st_convert.c, st_write.c).

Files are written here by an independent Python writer (struct + json + numpy; BF16 via torch),
read back through tests/io/driver_io.c, and every widened value is compared bit for bit with
what numpy/torch compute. Also: the writer round trip (our writer, this reader), a sharded
checkpoint, and F32 -> F16/BF16 rounding against numpy/torch.
"""
import json
import os
import struct
import subprocess
import sys

import numpy as np
import torch

DRIVER = os.path.join(os.environ["LB_DRIVERS"], "driver_io")
WORK = os.path.join(os.environ["LB_WORK"], "io_safetensors")
os.makedirs(WORK, exist_ok=True)
rng = np.random.default_rng(20261127)
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def to_bf16_bits(f32):
    """float32 array -> uint16 BF16 bits, rounded by torch (round to nearest even)."""
    t = torch.from_numpy(np.ascontiguousarray(f32, dtype=np.float32)).to(torch.bfloat16)
    return t.view(torch.int16).numpy().view(np.uint16)


def raw(dtype, arr):
    if dtype == "F32":
        return np.ascontiguousarray(arr, dtype="<f4").tobytes()
    if dtype == "F16":
        return np.ascontiguousarray(arr, dtype="<f2").tobytes()
    return np.ascontiguousarray(arr, dtype="<u2").tobytes()  # BF16 given as bits


def write_st(path, tensors, metadata=None, data_order=None):
    """tensors: list of (name, dtype, shape, bytes). Data laid out in data_order (indices)."""
    order = data_order if data_order is not None else list(range(len(tensors)))
    header, off = {}, 0
    if metadata is not None:
        header["__metadata__"] = metadata
    offsets = {}
    for i in order:
        name, dt, shape, b = tensors[i]
        offsets[name] = (off, off + len(b))
        off += len(b)
    for name, dt, shape, b in tensors:
        header[name] = {"dtype": dt, "shape": list(shape), "data_offsets": list(offsets[name])}
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for i in order:
            f.write(tensors[i][3])


def read_st(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    return n, header, blob[8 + n:]


def widen_expected(dt, b):
    """Expected F32 bit patterns (uint32) of raw tensor bytes."""
    if dt == "F32":
        return np.frombuffer(b, dtype="<u4")
    if dt == "BF16":
        return np.frombuffer(b, dtype="<u2").astype(np.uint32) << 16
    h = np.frombuffer(b, dtype="<f2")
    out = h.astype(np.float32).view(np.uint32).copy()
    # NaN: sign and payload kept, quiet bit set (F16C and torch do this; numpy keeps sNaN).
    nan = np.isnan(h)
    out[nan] |= np.uint32(0x00400000)
    return out


def run_widen(path):
    out = os.path.join(WORK, "widened.f32")
    p = subprocess.run([DRIVER, "widen", path, out], capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"driver widen {path} failed: {p.stderr}")
    return json.loads(p.stdout), np.fromfile(out, dtype="<u4")


def compare_widen(path, tensors, metadata=None):
    doc, got = run_widen(path)
    names = sorted(t[0] for t in tensors)
    check([t["name"] for t in doc["tensors"]] == names, f"{path}: tensor names/order {doc['tensors']}")
    by = {t[0]: t for t in tensors}
    pos = 0
    for t in doc["tensors"]:
        name, dt, shape, b = by[t["name"]]
        check(t["dtype"] == dt and t["shape"] == list(shape) and t["nbytes"] == len(b),
              f"{path}: {name} header {t}")
        exp = widen_expected(dt, b)
        seg = got[pos:pos + exp.size]
        pos += exp.size
        bad = np.nonzero(seg != exp)[0]
        check(seg.size == exp.size and bad.size == 0,
              f"{path}: {name} ({dt}) {bad.size} values differ, first at {bad[:5]}: "
              f"got {[hex(x) for x in seg[bad[:3]]]} want {[hex(x) for x in exp[bad[:3]]]}")
    check(pos == got.size, f"{path}: {got.size} values written, {pos} expected")
    if metadata is not None:
        check(doc["metadata"] == metadata, f"{path}: metadata {doc['metadata']} != {metadata}")
    return doc


def special_f32(n):
    """Random float32 values over the whole exponent range plus the awkward ones."""
    bits = rng.integers(0, 2**32, size=n, dtype=np.uint64).astype(np.uint32)
    v = bits.view(np.float32)
    extra = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 1.17549435e-38,
                      65504.0, 65520.0, 65519.99, 6.1035156e-05, 5.9604645e-08, 2.9802322e-08,
                      2.9802326e-08, 1.0, -2.5, 3.0e38], dtype=np.float32)
    return np.concatenate([v, extra])


def test_single_file():
    f32 = special_f32(1001 - 18).reshape(7, 11, 13)
    f16 = np.concatenate([rng.standard_normal(500).astype(np.float16),
                          np.array([0, -0.0, np.inf, -np.inf, np.nan, 6e-8, -6e-8, 65504], np.float16)])
    bf = to_bf16_bits(rng.standard_normal(333).astype(np.float32) * 1e3)
    tensors = [
        ("model.layers.0.w", "F32", f32.shape, raw("F32", f32)),
        ("odd.f16", "F16", (f16.size,), raw("F16", f16)),           # odd count: unaligned after it
        ("b.bf16", "BF16", (9, 37), raw("BF16", bf)),
        ("scalar", "F32", (), raw("F32", np.array([3.25], np.float32))),
        ("empty", "F16", (0, 4), b""),
        ("small.f32", "F32", (3,), raw("F32", np.array([1, 2, 3], np.float32))),
    ]
    # Data order puts the F32 tensors after the odd-sized F16 one: their offsets are not 4-aligned.
    path = os.path.join(WORK, "single.safetensors")
    md = {"format": "pt", "note": "ünïcode ✓"}
    write_st(path, tensors, metadata=md, data_order=[1, 0, 2, 3, 4, 5])
    compare_widen(path, tensors, md)
    # The same through the folder form (model.safetensors in a directory).
    d = os.path.join(WORK, "single_dir")
    os.makedirs(d, exist_ok=True)
    write_st(os.path.join(d, "model.safetensors"), tensors, metadata=md, data_order=[5, 4, 3, 2, 1, 0])
    compare_widen(d, tensors, md)
    return tensors, md


def test_exhaustive():
    """Every F16 and every BF16 bit pattern, at an odd byte offset."""
    allbits = np.arange(65536, dtype=np.uint32).astype(np.uint16)
    tensors = [("pad", "F16", (1,), raw("F16", np.zeros(1, np.float16))),
               ("all.f16", "F16", (256, 256), allbits.tobytes()),
               ("all.bf16", "BF16", (65536,), allbits.tobytes())]
    path = os.path.join(WORK, "exhaustive.safetensors")
    write_st(path, tensors)
    compare_widen(path, tensors)
    # Independent cross-check of the F16 expectations through torch (which also quiets NaNs).
    t = torch.from_numpy(allbits.view(np.int16).copy()).view(torch.float16).float()
    tb = t.numpy().view(np.uint32)
    check(np.array_equal(tb, widen_expected("F16", allbits.tobytes())), "numpy/torch F16 disagree")


def test_sharded():
    d = os.path.join(WORK, "sharded")
    os.makedirs(d, exist_ok=True)
    a = [("model.embed", "F32", (5, 4), raw("F32", rng.standard_normal(20))),
         ("model.norm", "BF16", (4,), raw("BF16", to_bf16_bits(rng.standard_normal(4).astype(np.float32))))]
    b = [("lm_head", "F16", (3, 4), raw("F16", rng.standard_normal(12).astype(np.float16)))]
    write_st(os.path.join(d, "model-00001-of-00002.safetensors"), a, metadata={"format": "pt"})
    write_st(os.path.join(d, "model-00002-of-00002.safetensors"), b)
    wm = {t[0]: "model-00001-of-00002.safetensors" for t in a}
    wm.update({t[0]: "model-00002-of-00002.safetensors" for t in b})
    with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": 0}, "weight_map": wm}, f)
    compare_widen(d, a + b, {"format": "pt"})
    # A mapped tensor its shard lacks is an error naming it.
    wm["ghost"] = "model-00002-of-00002.safetensors"
    bad = os.path.join(d, "bad.index.json")
    with open(bad, "w") as f:
        json.dump({"weight_map": wm}, f)
    p = subprocess.run([DRIVER, "check", bad], capture_output=True, text=True)
    check(p.returncode == 2 and "ghost" in p.stderr and "bad.index.json" in p.stderr,
          f"sharded missing tensor: rc={p.returncode} {p.stderr!r}")


def test_roundtrip(tensors, md):
    src = os.path.join(WORK, "single.safetensors")
    dst = os.path.join(WORK, "copy.safetensors")
    p = subprocess.run([DRIVER, "copy", src, dst], capture_output=True, text=True)
    check(p.returncode == 0, f"copy failed: {p.stderr}")
    n, header, data = read_st(dst)
    check(n % 8 == 0, f"header length {n} not padded to 8")
    check(header.get("__metadata__") == md, f"round-trip metadata {header.get('__metadata__')}")
    by = {t[0]: t for t in tensors}
    check(set(header) - {"__metadata__"} == set(by), f"round-trip names {sorted(header)}")
    spans = []
    for name, (_, dt, shape, b) in by.items():
        e = header.get(name, {})
        s, t = e.get("data_offsets", [0, 0])
        check(e.get("dtype") == dt and e.get("shape") == list(shape), f"round-trip {name}: {e}")
        check(data[s:t] == b, f"round-trip {name}: data differs")
        spans.append((s, t))
    spans.sort()
    check(spans[-1][1] == len(data) and all(a[1] == b[0] for a, b in zip(spans, spans[1:])),
          f"round-trip layout not back to back: {spans}")
    # And our reader reads our writer's file to the same values.
    compare_widen(dst, tensors, md)


def test_narrowing():
    v = special_f32(200000)
    # Exact ties for F16 (13 dropped bits = 0x1000) and BF16 (16 dropped bits = 0x8000).
    ties16 = ((rng.integers(0x38800000, 0x477fe000, 4000, dtype=np.uint64).astype(np.uint32)
               & ~np.uint32(0x1fff)) | np.uint32(0x1000)).view(np.float32)
    tiesb = ((rng.integers(0, 0x7f7f0000, 4000, dtype=np.uint64).astype(np.uint32)
              & ~np.uint32(0xffff)) | np.uint32(0x8000)).view(np.float32)
    # Subnormal F16 range and the overflow edge.
    sub = rng.uniform(-7e-5, 7e-5, 20000).astype(np.float32)
    edge = np.float32(65504) + rng.uniform(-40, 40, 2000).astype(np.float32)
    v = np.concatenate([v, ties16, tiesb, sub, edge, -edge]).astype(np.float32)
    inp = os.path.join(WORK, "narrow_in.f32")
    v.tofile(inp)
    with np.errstate(over="ignore", invalid="ignore"):
        want = {"f16": v.astype(np.float16).view(np.uint16), "bf16": to_bf16_bits(v)}
    nan = np.isnan(v)
    for kind in ("f16", "bf16"):
        out = os.path.join(WORK, f"narrow_{kind}.bin")
        p = subprocess.run([DRIVER, "narrow", kind, inp, out], capture_output=True, text=True)
        check(p.returncode == 0, f"narrow {kind}: {p.stderr}")
        got = np.fromfile(out, dtype="<u2")
        w = want[kind]
        bad = np.nonzero((got != w) & ~nan)[0]
        check(bad.size == 0, f"narrow {kind}: {bad.size} differ, e.g. {v[bad[:3]]} -> "
              f"{[hex(x) for x in got[bad[:3]]]} want {[hex(x) for x in w[bad[:3]]]}")
        exp_mask, man_mask = (0x7c00, 0x3ff) if kind == "f16" else (0x7f80, 0x7f)
        isnan = ((got & exp_mask) == exp_mask) & ((got & man_mask) != 0)
        check(bool(np.all(isnan[nan])), f"narrow {kind}: NaN not kept")


def test_errors():
    path = os.path.join(WORK, "i64.safetensors")
    write_st(path, [("ids", "I64", (2,), b"\0" * 16)])
    p = subprocess.run([DRIVER, "check", path], capture_output=True, text=True)
    check(p.returncode == 2 and "unsupported dtype I64 for tensor \"ids\"" in p.stderr and path in p.stderr,
          f"I64 error: {p.stderr!r}")


def main():
    tensors, md = test_single_file()
    test_exhaustive()
    test_sharded()
    test_roundtrip(tensors, md)
    test_narrowing()
    test_errors()
    if failures:
        print(f"{len(failures)} failure(s)", file=sys.stderr)
        sys.exit(1)
    print("io_safetensors: all checks passed")


if __name__ == "__main__":
    main()
