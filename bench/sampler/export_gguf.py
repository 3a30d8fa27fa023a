#!/usr/bin/python3
"""Write a Hugging Face GPT-2 or Phi checkpoint (config.json + model.safetensors in F32, F16 or
BF16) and its GPT-2-style tokenizer.json as a GGUF v3 file for llama.cpp's `gpt2` or `phi2`
architecture, so node-llama-cpp runs the very weights leakbound's benchmarks run.

usage: /usr/bin/python3 bench/sampler/export_gguf.py MODEL_DIR TOKENIZER_JSON OUT.gguf [f32|f16|bf16]

The last argument (default f32) is the GGUF type of the matrices; vectors (norms, biases) are
written F32, as llama.cpp's convert_hf_to_gguf.py writes them. Values are converted from the
safetensors dtype: F32 -> F16 by numpy (round to nearest even), F32 -> BF16 by rounding to
nearest even, BF16 -> BF16 and F16 -> F16 copied bit for bit, 16-bit -> F32 exactly; F16 <-> BF16
is refused (it would round twice).

No gguf Python package is on this machine, so the container is written by hand:
  header   "GGUF", u32 version 3, u64 n_tensors, u64 n_kv
  kv       string key, u32 value type, value (arrays: u32 element type, u64 count, elements)
  infos    string name, u32 n_dims, u64 ne[n_dims] (ne[0] the fastest axis, i.e. the numpy
           shape reversed), u32 ggml type (0 = F32, 1 = F16, 30 = BF16), u64 offset into the
           data section
  padding  to general.alignment (32), then each tensor's bytes, each padded to 32.
Tensor names and layouts follow llama.cpp's convert_hf_to_gguf.py: for GPT2LMHeadModel the
Conv1D weights (stored (in, out) in HF) are transposed so that ne = [in, out] as for any
llama.cpp linear layer, and the tied head is written out again as `output.weight`; for
PhiForCausalLM (llama.cpp `phi2`) q/k/v stay separate (`attn_q/k/v`), `dense` is
`attn_output`, fc1/fc2 are `ffn_up`/`ffn_down`, and the rotary dimension is
partial_rotary_factor x head_dim.
"""
import json
import os
import struct
import sys

import numpy as np

ALIGN = 32
T_U32, T_I32, T_F32, T_BOOL, T_STRING, T_ARRAY = 4, 5, 6, 7, 8, 9
GGML = {"f32": 0, "f16": 1, "bf16": 30}           # ggml_type
FILE_TYPE = {"f32": 0, "f16": 1, "bf16": 32}      # llama_ftype: ALL_F32, MOSTLY_F16, MOSTLY_BF16
NP = {"F32": "<f4", "F16": "<f2", "BF16": "<u2"}  # BF16 kept as its bits


def s(x):
    b = x.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def kv(key, typ, val):
    out = s(key) + struct.pack("<I", typ)
    if typ == T_U32:
        return out + struct.pack("<I", val)
    if typ == T_F32:
        return out + struct.pack("<f", val)
    if typ == T_BOOL:
        return out + struct.pack("<B", 1 if val else 0)
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
    """{name: (dtype, array of the file's values; BF16 as uint16 bits)}, memory-mapped."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        head = json.loads(f.read(n))
        base = 8 + n
    mm = np.memmap(path, dtype=np.uint8, mode="r")
    out = {}
    for name, t in head.items():
        if name == "__metadata__":
            continue
        if t["dtype"] not in NP:
            sys.exit(f"{path}: tensor {name}: dtype {t['dtype']} (F32, F16 or BF16 only)")
        a, b = t["data_offsets"]
        out[name] = (t["dtype"], mm[base + a:base + b].view(NP[t["dtype"]]).reshape(t["shape"]))
    return out


def to_f32(dt, a):
    if dt == "BF16":
        return (a.astype(np.uint32) << 16).view(np.float32)
    return a.astype(np.float32)


def convert(dt, a, want):
    """a (file dtype dt) as little-endian bytes of GGUF type want."""
    if want == "f32":
        return np.ascontiguousarray(to_f32(dt, a), dtype="<f4").tobytes()
    if want == "f16":
        if dt == "BF16":
            sys.exit("BF16 -> F16 would round twice: export F16 from the F32 file")
        return np.ascontiguousarray(a if dt == "F16" else a.astype(np.float16), dtype="<f2").tobytes()
    if dt == "F16":
        sys.exit("F16 -> BF16 would round twice: export BF16 from the F32 or BF16 file")
    if dt == "BF16":
        return np.ascontiguousarray(a, dtype="<u2").tobytes()
    u = np.ascontiguousarray(a, dtype="<f4").view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2").tobytes()


def tensors_gpt2(cfg, w):
    """(gguf name, (dtype, array in llama.cpp's layout)) in file order."""
    pre = "transformer." if "transformer.wte.weight" in w else ""

    def g(k, transpose=False):
        dt, a = w[pre + k]
        return dt, (a.T if transpose else a)
    yield "token_embd.weight", g("wte.weight")           # (V, D) -> ne [D, V]
    yield "position_embd.weight", g("wpe.weight")        # (P, D) -> ne [D, P]
    for i in range(cfg["n_layer"]):
        h, b = f"h.{i}.", f"blk.{i}."
        yield b + "attn_norm.weight", g(h + "ln_1.weight")
        yield b + "attn_norm.bias", g(h + "ln_1.bias")
        yield b + "attn_qkv.weight", g(h + "attn.c_attn.weight", True)   # (3D, D) -> ne [D, 3D]
        yield b + "attn_qkv.bias", g(h + "attn.c_attn.bias")
        yield b + "attn_output.weight", g(h + "attn.c_proj.weight", True)
        yield b + "attn_output.bias", g(h + "attn.c_proj.bias")
        yield b + "ffn_norm.weight", g(h + "ln_2.weight")
        yield b + "ffn_norm.bias", g(h + "ln_2.bias")
        yield b + "ffn_up.weight", g(h + "mlp.c_fc.weight", True)        # (4D, D) -> ne [D, 4D]
        yield b + "ffn_up.bias", g(h + "mlp.c_fc.bias")
        yield b + "ffn_down.weight", g(h + "mlp.c_proj.weight", True)     # (D, 4D) -> ne [4D, D]
        yield b + "ffn_down.bias", g(h + "mlp.c_proj.bias")
    yield "output_norm.weight", g("ln_f.weight")
    yield "output_norm.bias", g("ln_f.bias")
    yield "output.weight", w["lm_head.weight"] if "lm_head.weight" in w else g("wte.weight")


def tensors_phi(cfg, w):
    """PhiForCausalLM as llama.cpp's phi2: nn.Linear (out, in) is already ne [in, out]."""
    g = lambda k: w["model." + k]  # noqa: E731
    yield "token_embd.weight", g("embed_tokens.weight")
    for i in range(cfg["num_hidden_layers"]):
        h, b = f"layers.{i}.", f"blk.{i}."
        yield b + "attn_norm.weight", g(h + "input_layernorm.weight")
        yield b + "attn_norm.bias", g(h + "input_layernorm.bias")
        for x in "qkv":
            yield b + f"attn_{x}.weight", g(h + f"self_attn.{x}_proj.weight")
            yield b + f"attn_{x}.bias", g(h + f"self_attn.{x}_proj.bias")
        yield b + "attn_output.weight", g(h + "self_attn.dense.weight")
        yield b + "attn_output.bias", g(h + "self_attn.dense.bias")
        yield b + "ffn_up.weight", g(h + "mlp.fc1.weight")
        yield b + "ffn_up.bias", g(h + "mlp.fc1.bias")
        yield b + "ffn_down.weight", g(h + "mlp.fc2.weight")
        yield b + "ffn_down.bias", g(h + "mlp.fc2.bias")
    yield "output_norm.weight", g("final_layernorm.weight")
    yield "output_norm.bias", g("final_layernorm.bias")
    yield "output.weight", w["lm_head.weight"] if "lm_head.weight" in w else g("embed_tokens.weight")
    yield "output.bias", w["lm_head.bias"]


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


def hparams_gpt2(cfg):
    D = cfg["n_embd"]
    return "gpt2", [
        kv("gpt2.context_length", T_U32, cfg.get("n_ctx", cfg["n_positions"])),
        kv("gpt2.embedding_length", T_U32, D),
        kv("gpt2.feed_forward_length", T_U32, cfg.get("n_inner") or 4 * D),
        kv("gpt2.block_count", T_U32, cfg["n_layer"]),
        kv("gpt2.attention.head_count", T_U32, cfg["n_head"]),
        kv("gpt2.attention.layer_norm_epsilon", T_F32, cfg["layer_norm_epsilon"]),
    ]


def hparams_phi(cfg):
    D, H = cfg["hidden_size"], cfg["num_attention_heads"]
    return "phi2", [
        kv("phi2.context_length", T_U32, cfg["max_position_embeddings"]),
        kv("phi2.embedding_length", T_U32, D),
        kv("phi2.feed_forward_length", T_U32, cfg["intermediate_size"]),
        kv("phi2.block_count", T_U32, cfg["num_hidden_layers"]),
        kv("phi2.attention.head_count", T_U32, H),
        kv("phi2.attention.head_count_kv", T_U32, cfg.get("num_key_value_heads") or H),
        kv("phi2.attention.layer_norm_epsilon", T_F32, cfg.get("layer_norm_eps", 1e-5)),
        kv("phi2.rope.dimension_count", T_U32,
           int(cfg.get("partial_rotary_factor", 0.5) * (D // H))),
        kv("phi2.rope.freq_base", T_F32, cfg.get("rope_theta", 10000.0)),
        kv("tokenizer.ggml.add_bos_token", T_BOOL, False),
    ]


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    model_dir, tok_path, out_path = sys.argv[1:4]
    want = sys.argv[4] if len(sys.argv) == 5 else "f32"
    if want not in GGML:
        sys.exit(__doc__)
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    w = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    arch_hf = cfg["architectures"][0]
    if arch_hf == "GPT2LMHeadModel":
        arch, hp = hparams_gpt2(cfg)
        ts = list(tensors_gpt2(cfg, w))
    elif arch_hf == "PhiForCausalLM":
        arch, hp = hparams_phi(cfg)
        ts = list(tensors_phi(cfg, w))
    else:
        sys.exit(f"{model_dir}: architecture {arch_hf} (GPT2LMHeadModel or PhiForCausalLM)")
    eos = cfg.get("eos_token_id", 50256)
    bos = cfg.get("bos_token_id", eos)
    toks, types, merges = vocab(tok_path, cfg["vocab_size"])
    meta = [
        kv("general.architecture", T_STRING, arch),
        kv("general.name", T_STRING, "leakbound-bench-" + arch),
        kv("general.file_type", T_U32, FILE_TYPE[want]),
        kv("general.alignment", T_U32, ALIGN),
    ] + hp + [
        kv("tokenizer.ggml.model", T_STRING, "gpt2"),
        kv("tokenizer.ggml.pre", T_STRING, "gpt-2"),
        kv_array("tokenizer.ggml.tokens", T_STRING, toks),
        kv_array("tokenizer.ggml.token_type", T_I32, types),
        kv_array("tokenizer.ggml.merges", T_STRING, merges),
        kv("tokenizer.ggml.bos_token_id", T_U32, bos),
        kv("tokenizer.ggml.eos_token_id", T_U32, eos),
    ]
    infos, off = [], 0
    for name, (dt, a) in ts:
        typ = want if a.ndim == 2 else "f32"
        ne = list(reversed(a.shape))
        infos.append(s(name) + struct.pack("<I", len(ne)) + struct.pack(f"<{len(ne)}Q", *ne)
                     + struct.pack("<IQ", GGML[typ], off))
        off += -(-a.size * (4 if typ == "f32" else 2) // ALIGN) * ALIGN
    tmp = out_path + f".tmp.{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(b"GGUF" + struct.pack("<IQQ", 3, len(ts), len(meta)))
        for x in meta + infos:
            f.write(x)
        f.write(b"\0" * (-f.tell() % ALIGN))
        for name, (dt, a) in ts:
            b = convert(dt, a, want if a.ndim == 2 else "f32")
            f.write(b + b"\0" * (-len(b) % ALIGN))
    os.replace(tmp, out_path)
    print(f"{out_path}: {arch}, {want}, {len(ts)} tensors, {len(meta)} keys, "
          f"{os.path.getsize(out_path) / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
