#!/usr/bin/python3
"""Provenance covers what was loaded (src/model/hash.c, src/data/dataset.c, src/io/safetensors.c):

- `--data` read from a pipe records the SHA-256 of the bytes actually read (checked against
  hashlib), in sample's FILE.settings.json and in eval's report.json; `sample --resume` with
  other piped bytes is refused, with the same bytes it continues.
- model_sha256 is lb_model_sha256's framed hash of the files a load reads (config.json, the
  tokenizer/generation files present, the shard index and the shards it names), recomputed here
  with hashlib from the folder (single file and a two-shard split made here); files the loader
  does not read do not change it, a shard does.
- A shard index entry naming a path (../B/weights.bin, an absolute path) is refused with exit 2
  naming the index file and the entry.
"""
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sample_common as sc  # noqa: E402

from provenance_common import CLI, DATA, MODEL, check  # noqa: E402
import provenance_common  # noqa: E402


def run(args, stdin=None, cwd=None):
    return subprocess.run([CLI] + args, input=stdin, capture_output=True, cwd=cwd)


def sample(model, data_args, out, stdin=None, extra=()):
    return run(["sample", "--model", model, *data_args, "--template", "phi", "-n", "2",
                "--max-new-tokens", "4", "--limit", "3", "--threads", "1", "--quiet", "-o", out,
                *extra], stdin=stdin)


def read_st(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    return json.loads(b[8:8 + n]), b[8 + n:]


def write_st(path, header, tensors):
    """tensors: name -> (entry without data_offsets, bytes)."""
    h, data, off = {}, b"", 0
    for name, (entry, raw) in tensors.items():
        h[name] = dict(entry, data_offsets=[off, off + len(raw)])
        data += raw
        off += len(raw)
    if header:
        h["__metadata__"] = header
    hj = json.dumps(h).encode()
    hj += b" " * (-len(hj) % 8)
    open(path, "wb").write(struct.pack("<Q", len(hj)) + hj + data)


def split_model(src, dst):
    """dst: src's side files and its weights as two shards with an index."""
    os.makedirs(dst)
    for n in os.listdir(src):
        if n != "model.safetensors":
            shutil.copy(os.path.join(src, n), dst)
    header, data = read_st(os.path.join(src, "model.safetensors"))
    meta = header.pop("__metadata__", None)
    names = sorted(header)
    parts = [names[: len(names) // 2], names[len(names) // 2:]]
    wm = {}
    for i, part in enumerate(parts):
        fn = f"model-{i + 1:05d}-of-00002.safetensors"
        t = {}
        for n in part:
            e = dict(header[n])
            a, b = e.pop("data_offsets")
            t[n] = (e, data[a:b])
            wm[n] = fn
        write_st(os.path.join(dst, fn), meta, t)
    json.dump({"metadata": {}, "weight_map": wm}, open(os.path.join(dst, "model.safetensors.index.json"), "w"))


def main():
    data = open(DATA, "rb").read()
    want_data = hashlib.sha256(data).hexdigest()
    with tempfile.TemporaryDirectory() as d:
        # 1. piped --data: the bytes read are hashed
        out = os.path.join(d, "s.jsonl")
        p = sample(MODEL, ["--data", "/dev/stdin", "--data-format", "jsonl"], out, stdin=data)
        check("sample from a pipe exits 0", p.returncode == 0, p.stderr.decode())
        st = json.load(open(out + ".settings.json")) if p.returncode == 0 else {}
        check("settings data_sha256 = hashlib of the piped bytes", st.get("data_sha256") == want_data,
              f"{st.get('data_sha256')} != {want_data}")
        check("settings model_sha256 = the documented framed hash", st.get("model_sha256") == sc.model_sha256(MODEL),
              f"{st.get('model_sha256')} != {sc.model_sha256(MODEL)}")
        # the same file by name hashes alike
        p2 = sample(MODEL, ["--data", DATA], os.path.join(d, "f.jsonl"))
        st2 = json.load(open(os.path.join(d, "f.jsonl.settings.json"))) if p2.returncode == 0 else {}
        check("settings from the file = settings from the pipe", st2 == st, f"{st2} vs {st}")
        # 2. resume with other piped bytes: refused; with the same bytes: continues
        lines = data.splitlines(keepends=True)
        other = lines[1] + lines[0] + b"".join(lines[2:])
        p = sample(MODEL, ["--data", "/dev/stdin", "--data-format", "jsonl"], out, stdin=other,
                   extra=["--resume"])
        err = p.stderr.decode()
        check("resume with other piped data is refused (exit 2, data_sha256 named)",
              p.returncode == 2 and "setting 'data_sha256' differs" in err, f"exit {p.returncode}: {err}")
        before = open(out, "rb").read()
        open(out, "wb").write(before[: len(before) // 2])  # an interrupted run
        p = sample(MODEL, ["--data", "-", "--data-format", "jsonl"], out, stdin=data, extra=["--resume"])
        check("resume with the same piped data completes the file", p.returncode == 0 and
              open(out, "rb").read() == before, p.stderr.decode())
        # 3. eval from a pipe: report.json's provenance
        p = run(["eval", "--model", MODEL, "--data", "/dev/stdin", "--data-format", "jsonl",
                 "--template", "phi", "--metric", "rougeL-recall", "-n", "2", "--max-new-tokens", "4",
                 "--limit", "2", "--threads", "1", "--quiet", "--out", os.path.join(d, "ev")], stdin=data)
        prov = json.load(open(os.path.join(d, "ev", "report.json")))["provenance"] if p.returncode == 0 else {}
        check("eval from a pipe: provenance data_sha256 and model_sha256",
              prov.get("data_sha256") == want_data and prov.get("model_sha256") == sc.model_sha256(MODEL),
              f"exit {p.returncode} {p.stderr.decode()} {prov}")
        # 4. a sharded model: index + shards hashed; unread files do not count
        sh = os.path.join(d, "sharded")
        split_model(MODEL, sh)
        p = sample(sh, ["--data", DATA], os.path.join(d, "sh.jsonl"))
        st = json.load(open(os.path.join(d, "sh.jsonl.settings.json"))) if p.returncode == 0 else {}
        check("sharded model: model_sha256 = the framed hash of config, tokenizer, index, shards",
              st.get("model_sha256") == sc.model_sha256(sh), f"exit {p.returncode} {p.stderr.decode()} {st}")
        check("sharded model samples what the single file samples",
              p.returncode == 0 and open(os.path.join(d, "sh.jsonl"), "rb").read() ==
              open(os.path.join(d, "f.jsonl"), "rb").read())
        open(os.path.join(sh, "README.md"), "w").write("not read by the loader\n")
        shutil.copy(os.path.join(sh, "model-00001-of-00002.safetensors"), os.path.join(sh, "unused.safetensors"))
        p = sample(sh, ["--data", DATA], os.path.join(d, "sh2.jsonl"))
        st2 = json.load(open(os.path.join(d, "sh2.jsonl.settings.json"))) if p.returncode == 0 else {}
        check("files the loader does not read leave model_sha256 alone",
              st2.get("model_sha256") == st.get("model_sha256"), f"{st2} {p.stderr.decode()}")
        # 5. shard names that are paths: refused naming the index and the entry
        b = os.path.join(d, "B")
        os.makedirs(b)
        shutil.copy(os.path.join(MODEL, "model.safetensors"), os.path.join(b, "weights.bin"))
        for bad in ("../B/weights.bin", os.path.join(b, "weights.bin"), ".."):
            a = os.path.join(d, "A")
            shutil.rmtree(a, ignore_errors=True)
            os.makedirs(a)
            for n in ("config.json", "tokenizer.json"):
                shutil.copy(os.path.join(MODEL, n), a)
            header, _ = read_st(os.path.join(MODEL, "model.safetensors"))
            wm = {k: bad for k in header if k != "__metadata__"}
            index = os.path.join(a, "model.safetensors.index.json")
            json.dump({"weight_map": wm}, open(index, "w"))
            for cmd in (["sample"], ["eval"]):
                args = ([*cmd, "--model", a, "--data", DATA, "--template", "phi", "-n", "1",
                         "--max-new-tokens", "2", "--limit", "1", "--threads", "1"] +
                        (["-o", os.path.join(d, "x.jsonl")] if cmd == ["sample"] else
                         ["--metric", "rougeL-recall", "--out", os.path.join(d, "xo")]))
                p = run(args)
                err = p.stderr.decode()
                check(f"{cmd[0]}: shard '{bad}' refused (exit 2, index and entry named)",
                      p.returncode == 2 and index in err and f'is "{bad}"' in err and "weight_map[" in err,
                      f"exit {p.returncode}: {err}")
    return provenance_common.status()


if __name__ == "__main__":
    sys.exit(main())
