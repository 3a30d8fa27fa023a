"""Shared by the sampler oracles (sample_*.py): tiny checkpoints in Hugging Face layout with a
byte-level tokenizer.json, the driver and CLI runners, and Hugging Face's warpers restated in
numpy/torch (transformers/generation/logits_process.py: Temperature, TopK, TopP, MinP)."""
import hashlib
import json
import math
import os
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model_ref  # noqa: E402

DRIVERS = os.environ.get("LB_DRIVERS", "")
CLI = os.environ.get("LB_CLI", "")
SANITIZED = os.environ.get("LB_SANITIZED") == "1"
EOS = 256                      # "<|endoftext|>" in the byte tokenizer below


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def work_dir(sub):
    d = os.path.join(os.environ.get("LB_WORK", "/tmp/lb_work"), sub)
    os.makedirs(d, exist_ok=True)
    return d


def bytes_to_unicode():
    """GPT-2's byte -> printable character table (openai/gpt-2 encoder.py)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def write_byte_tokenizer(folder):
    """Byte-level BPE without merges: id = byte value, 256 = <|endoftext|> (special)."""
    b2u = bytes_to_unicode()
    vocab = {b2u[b]: b for b in range(256)}
    bl = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    doc = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": EOS, "content": "<|endoftext|>", "single_word": False,
                          "lstrip": False, "rstrip": False, "normalized": True, "special": True}],
        "normalizer": None, "pre_tokenizer": bl, "post_processor": dict(bl, trim_offsets=False),
        "decoder": bl,
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": "", "end_of_word_suffix": "", "fuse_unk": False,
                  "byte_fallback": False, "ignore_merges": False, "vocab": vocab, "merges": []},
    }
    with open(os.path.join(folder, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False)


def gpt2_model(folder, seed=1, V=260, D=32, L=2, H=4, npos=128, logit_scale=3.0):
    """A random GPT-2 (untied head, scaled so the next-token distributions are peaked enough to
    exercise top-k/top-p) with the byte tokenizer; V > 257 pads the vocabulary past the
    tokenizer's, as real checkpoints do. Returns (config, float64 weights as stored)."""
    cfg = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": V,
           "n_embd": D, "n_layer": L, "n_head": H, "n_positions": npos, "n_ctx": npos,
           "n_inner": None, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5,
           "tie_word_embeddings": False, "bos_token_id": EOS, "eos_token_id": EOS}
    gen = torch.Generator().manual_seed(seed)
    named = model_ref.random_weights(cfg, gen)
    named = [(n, t * logit_scale if n == "lm_head.weight" else t) for n, t in named]
    file_t, W = model_ref.to_file_dtypes(named, lambda n, t: "F32")
    model_ref.write_checkpoint(folder, cfg, file_t)
    write_byte_tokenizer(folder)
    return cfg, W


def bias_model(folder, bias):
    """A Phi model whose head weights are all zero: its logits are exactly lm_head.bias at every
    position (0 * h sums to 0 exactly), so ties can be crafted bit for bit."""
    V = len(bias)
    cfg = {"architectures": ["PhiForCausalLM"], "model_type": "phi", "vocab_size": V,
           "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1,
           "num_attention_heads": 2, "num_key_value_heads": None, "max_position_embeddings": 64,
           "layer_norm_eps": 1e-5, "rope_theta": 10000.0, "partial_rotary_factor": 0.5,
           "hidden_act": "gelu_new", "qk_layernorm": False, "tie_word_embeddings": False,
           # Config ids must lie in the vocabulary: none when EOS (256) is outside it.
           "bos_token_id": EOS if EOS < V else None, "eos_token_id": EOS if EOS < V else None,
           "torch_dtype": "float32"}
    gen = torch.Generator().manual_seed(5)
    named = model_ref.random_weights(cfg, gen)
    out = []
    for n, t in named:
        if n == "lm_head.weight":
            t = torch.zeros_like(t)
        if n == "lm_head.bias":
            t = torch.tensor(bias, dtype=torch.float32)
        out.append((n, t))
    file_t, _ = model_ref.to_file_dtypes(out, lambda n, t: "F32")
    model_ref.write_checkpoint(folder, cfg, file_t)
    write_byte_tokenizer(folder)
    return cfg


def reference_logits(cfg, W, ids):
    """float64 next-token logits after ids (full causal forward, no cache)."""
    out = model_ref.reference_forward(cfg, W, list(ids))
    return out[-1].numpy()


def hf_warp(scores, T, top_k, top_p, min_p=0.0):
    """Temperature -> top-k -> top-p -> min-p on float32 scores, as transformers does; top-p's
    sort is stable and its softmax/cumsum run in float64 (our documented choices), min-p's
    softmax in float64. Returns the warped float32 scores (removed = -inf)."""
    s = torch.tensor(np.asarray(scores, dtype=np.float32))
    if T != 1.0:
        s = s / T
    if top_k:
        k = min(max(top_k, 1), s.size(-1))
        s = s.masked_fill(s < torch.topk(s, k)[0][..., -1, None], -float("inf"))
    if top_p < 1.0:
        sl, si = torch.sort(s.double(), descending=False, stable=True)
        cp = sl.softmax(dim=-1).cumsum(dim=-1)
        rm = cp <= (1 - top_p)
        rm[..., -1:] = 0
        s = s.masked_fill(rm.scatter(0, si, rm), -float("inf"))
    if min_p > 0:
        p = s.double().softmax(dim=-1)
        s = s.masked_fill(p < min_p * p.max(), -float("inf"))
    return s.numpy()


def probs_of(warped):
    w = warped.astype(np.float64)
    ok = np.isfinite(w)
    p = np.where(ok, np.exp(w - w[ok].max()), 0.0)
    return p / p.sum()


def run_driver(model_dir, spec, tag):
    d = work_dir("sampler")
    sp, out = os.path.join(d, tag + ".json"), os.path.join(d, tag + ".txt")
    with open(sp, "w") as f:
        json.dump(spec, f)
    proc = subprocess.run([os.path.join(DRIVERS, "driver_sampler"), model_dir, sp, out],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        fail(f"{tag}: driver_sampler failed: {proc.stderr}")
    rows = []
    with open(out) as f:
        for line in f:
            a = line.split()
            rows.append((int(a[0]), int(a[1]), a[2], [int(x) for x in a[4:4 + int(a[3])]]))
    return rows, open(out, "rb").read()


def run_cli(args, check=True):
    proc = subprocess.run([CLI] + args, capture_output=True, text=True)
    if check and proc.returncode != 0:
        fail(f"leakbound {' '.join(args)} exited {proc.returncode}: {proc.stderr}")
    return proc


def chi_square(counts, p, tag, min_expected=5.0):
    """Pearson chi-square of counts against probabilities p; bins with expected < 5 merged.
    Tokens of probability 0 must never appear. Returns the p-value."""
    from scipy import stats
    counts = np.asarray(counts, dtype=np.float64)
    n = counts.sum()
    zero = p == 0
    if counts[zero].sum() > 0:
        fail(f"{tag}: {int(counts[zero].sum())} draws of tokens the warpers removed "
             f"(ids {np.nonzero(zero & (counts > 0))[0][:10].tolist()})")
    exp = p * n
    big = exp >= min_expected
    obs_b, exp_b = list(counts[big]), list(exp[big])
    rest = ~big & ~zero
    if rest.any():
        obs_b.append(counts[rest].sum())
        exp_b.append(exp[rest].sum())
    if len(obs_b) < 2:
        return 1.0
    return float(stats.chisquare(obs_b, exp_b).pvalue)


MODEL_SIDE_FILES = ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"]


def model_sha256(folder):
    """model_sha256 as docs/evaluation.md ('Provenance') defines it, with hashlib: for each file a
    load reads (config.json; the generation/tokenizer files present; the shard index and the
    distinct shards it names in name order, else model.safetensors): its name, a NUL byte, its
    size as 8 bytes little-endian, its bytes."""
    names = [n for n in MODEL_SIDE_FILES
             if n == "config.json" or os.path.exists(os.path.join(folder, n))]
    index = os.path.join(folder, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            wm = json.load(f)["weight_map"]
        names += ["model.safetensors.index.json"] + sorted(set(wm.values()))
    else:
        names.append("model.safetensors")
    h = hashlib.sha256()
    for n in names:
        with open(os.path.join(folder, n), "rb") as f:
            b = f.read()
        h.update(n.encode() + b"\0" + len(b).to_bytes(8, "little") + b)
    return h.hexdigest()
