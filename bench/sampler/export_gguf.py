#!/usr/bin/python3
"""Write a Hugging Face GPT-2 checkpoint (config.json + model.safetensors, fp32) and a GPT-2
tokenizer.json as a GGUF v3 file with f32 tensors for llama.cpp's `gpt2` architecture, so
node-llama-cpp runs the very weights leakbound's sampler benchmark runs (issue 4 §7 (d)).

usage: /usr/bin/python3 bench/sampler/export_gguf.py MODEL_DIR TOKENIZER_JSON OUT.gguf

No gguf Python package is on this machine, so the container is written by hand:
  header   "GGUF", u32 version 3, u64 n_tensors, u64 n_kv
  kv       string key, u32 value type, value (arrays: u32 element type, u64 count, elements)
  infos    string name, u32 n_dims, u64 ne[n_dims] (ne[0] the fastest axis, i.e. the numpy
           shape reversed), u32 ggml type (0 = F32), u64 offset into the data section
  padding  to general.alignment (32), then each tensor's bytes, each padded to 32.
Tensor names and layouts follow llama.cpp's convert_hf_to_gguf.py for GPT2LMHeadModel: the
Conv1D weights (stored (in, out) in HF) are transposed so that ne = [in, out] as for any
llama.cpp linear layer; the tied head is written out again as `output.weight`.
"""
import json
import os
import struct
import sys

import numpy as np

ALIGN = 32
T_U32, T_I32, T_F32, T_STRING, T_ARRAY = 4, 5, 6, 8, 9


def s(x):
    b = x.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def kv(key, typ, val):
    out = s(key) + struct.pack("<I", typ)
    if typ == T_U32:
        return out + struct.pack("<I", val)
    if typ == T_F32:
        return out + struct.pack("<f", val)
    if typ == T_STRING:
        return out + s(val)
    raise ValueError(typ)


def kv_array(key, elem, vals):
    out = s(key) + struct.pack("<IIQ", T_ARRAY, elem, len(vals))
    if elem == T_STRING:
        return out + b"".join(s(v) for v in vals)
    if elem == T_I32:
        return out + np.asarray(vals, dtype="<i4").tobytes()
    raise ValueError(elem)


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        head = json.loads(f.read(n))
        base = 8 + n
    mm = np.memmap(path, dtype=np.uint8, mode="r")
    out = {}
    for name, t in head.items():
        if name == "__metadata__":
            continue
        if t["dtype"] != "F32":
            sys.exit(f"{path}: tensor {name}: dtype {t['dtype']}, only F32 is exported")
        a, b = t["data_offsets"]
        out[name] = mm[base + a:base + b].view("<f4").reshape(t["shape"])
    return out


def tensors(cfg, w):
    """(gguf name, numpy array in llama.cpp's layout) in file order."""
    pre = "transformer." if "transformer.wte.weight" in w else ""
    g = lambda k: w[pre + k]  # noqa: E731
    yield "token_embd.weight", g("wte.weight")           # (V, D) -> ne [D, V]
    yield "position_embd.weight", g("wpe.weight")        # (P, D) -> ne [D, P]
    for i in range(cfg["n_layer"]):
        h, b = f"h.{i}.", f"blk.{i}."
        yield b + "attn_norm.weight", g(h + "ln_1.weight")
        yield b + "attn_norm.bias", g(h + "ln_1.bias")
        yield b + "attn_qkv.weight", g(h + "attn.c_attn.weight").T   # (3D, D) -> ne [D, 3D]
        yield b + "attn_qkv.bias", g(h + "attn.c_attn.bias")
        yield b + "attn_output.weight", g(h + "attn.c_proj.weight").T
        yield b + "attn_output.bias", g(h + "attn.c_proj.bias")
        yield b + "ffn_norm.weight", g(h + "ln_2.weight")
        yield b + "ffn_norm.bias", g(h + "ln_2.bias")
        yield b + "ffn_up.weight", g(h + "mlp.c_fc.weight").T        # (4D, D) -> ne [D, 4D]
        yield b + "ffn_up.bias", g(h + "mlp.c_fc.bias")
        yield b + "ffn_down.weight", g(h + "mlp.c_proj.weight").T     # (D, 4D) -> ne [4D, D]
        yield b + "ffn_down.bias", g(h + "mlp.c_proj.bias")
    yield "output_norm.weight", g("ln_f.weight")
    yield "output_norm.bias", g("ln_f.bias")
    head = w.get("lm_head.weight")
    yield "output.weight", head if head is not None else g("wte.weight")


def vocab(tok_path, n_vocab):
    t = json.load(open(tok_path, encoding="utf-8"))
    m = t["model"]
    if m.get("type") != "BPE":
        sys.exit(f"{tok_path}: model.type {m.get('type')!r}, need GPT-2 byte-level BPE")
    toks = [None] * n_vocab
    types = [1] * n_vocab  # NORMAL
    for piece, i in m["vocab"].items():
        if i < n_vocab:
            toks[i] = piece
    for a in t.get("added_tokens", []):
        if a["id"] < n_vocab:
            toks[a["id"]] = a["content"]
            types[a["id"]] = 3 if a.get("special") else 4  # CONTROL / USER_DEFINED
    for i, x in enumerate(toks):
        if x is None:  # padded vocab rows: unused placeholders, as the convert script writes
            toks[i], types[i] = f"[PAD{i}]", 5
    merges = [x if isinstance(x, str) else " ".join(x) for x in m["merges"]]
    return toks, types, merges


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    model_dir, tok_path, out_path = sys.argv[1:]
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    w = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    D = cfg["n_embd"]
    eos = cfg.get("eos_token_id", 50256)
    bos = cfg.get("bos_token_id", eos)
    toks, types, merges = vocab(tok_path, cfg["vocab_size"])
    meta = [
        kv("general.architecture", T_STRING, "gpt2"),
        kv("general.name", T_STRING, "leakbound-bench-gpt2"),
        kv("general.file_type", T_U32, 0),  # ALL_F32
        kv("general.alignment", T_U32, ALIGN),
        kv("gpt2.context_length", T_U32, cfg.get("n_ctx", cfg["n_positions"])),
        kv("gpt2.embedding_length", T_U32, D),
        kv("gpt2.feed_forward_length", T_U32, cfg.get("n_inner") or 4 * D),
        kv("gpt2.block_count", T_U32, cfg["n_layer"]),
        kv("gpt2.attention.head_count", T_U32, cfg["n_head"]),
        kv("gpt2.attention.layer_norm_epsilon", T_F32, cfg["layer_norm_epsilon"]),
        kv("tokenizer.ggml.model", T_STRING, "gpt2"),
        kv("tokenizer.ggml.pre", T_STRING, "gpt-2"),
        kv_array("tokenizer.ggml.tokens", T_STRING, toks),
        kv_array("tokenizer.ggml.token_type", T_I32, types),
        kv_array("tokenizer.ggml.merges", T_STRING, merges),
        kv("tokenizer.ggml.bos_token_id", T_U32, bos),
        kv("tokenizer.ggml.eos_token_id", T_U32, eos),
    ]
    ts = list(tensors(cfg, w))
    infos, off = [], 0
    for name, a in ts:
        ne = list(reversed(a.shape))
        infos.append(s(name) + struct.pack("<I", len(ne)) + struct.pack(f"<{len(ne)}Q", *ne)
                     + struct.pack("<IQ", 0, off))
        off += -(-a.size * 4 // ALIGN) * ALIGN
    tmp = out_path + f".tmp.{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(b"GGUF" + struct.pack("<IQQ", 3, len(ts), len(meta)))
        for x in meta + infos:
            f.write(x)
        f.write(b"\0" * (-f.tell() % ALIGN))
        for name, a in ts:
            b = np.ascontiguousarray(a, dtype="<f4").tobytes()
            f.write(b + b"\0" * (-len(b) % ALIGN))
    os.replace(tmp, out_path)
    print(f"{out_path}: {len(ts)} tensors, {len(meta)} keys, {os.path.getsize(out_path) / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
