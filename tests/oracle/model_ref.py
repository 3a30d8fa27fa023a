"""PyTorch reference of the Hugging Face causal LMs leakbound runs (no transformers import).

Written from modeling_llama.py, modeling_phi.py and modeling_gpt2.py: same module structure,
tensor names, order of operations and defaults. Computes in float64 on the weights exactly as
the checkpoint stores them (F16/BF16 widened), so it is the exact answer the fp32 engine
approximates. Also writes checkpoints in HF layout (config.json + safetensors, single or sharded).
"""
import json
import math
import os
import struct

import torch

DT = torch.float64
ST_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


# Config builders: config.json dicts in exact Hugging Face layout for small random models of
# each family; keyword arguments override or add keys.
def llama_cfg(**kw):
    c = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 97,
         "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2,
         "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 256,
         "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "hidden_act": "silu",
         "tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False,
         "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "float32"}
    c.update(kw)
    return c


def phi_cfg(**kw):
    # phi-1.5's config.json shape: num_key_value_heads null, gelu_new, partial rotary.
    c = {"architectures": ["PhiForCausalLM"], "model_type": "phi", "vocab_size": 101,
         "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
         "num_attention_heads": 4, "num_key_value_heads": None, "max_position_embeddings": 256,
         "layer_norm_eps": 1e-5, "rope_theta": 10000.0, "partial_rotary_factor": 0.5,
         "hidden_act": "gelu_new", "qk_layernorm": False, "tie_word_embeddings": False,
         "resid_pdrop": 0.0, "embd_pdrop": 0.0, "attention_dropout": 0.0,
         "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "float16"}
    c.update(kw)
    return c


def gpt2_cfg(**kw):
    c = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": 113,
         "n_embd": 48, "n_layer": 2, "n_head": 4, "n_positions": 128, "n_ctx": 128,
         "n_inner": None, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5,
         "scale_attn_weights": True}
    c.update(kw)
    # As GPT-2's own config: "<|endoftext|>" is the last id of the vocabulary (ids must be in it).
    for k in ("bos_token_id", "eos_token_id"):
        c.setdefault(k, c["vocab_size"] - 1)
    return c


# ---------------------------------------------------------------- safetensors writer
def _raw(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def write_safetensors(path, tensors):
    """tensors: list of (name, tensor already in its file dtype). 8-byte LE header length,
    JSON header padded with spaces to a multiple of 8, then the raw data back to back."""
    names = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}
    header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
    for name, t in tensors:
        b = _raw(t)
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape),
                        "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def write_checkpoint(folder, config, tensors, shards=1):
    """config: dict for config.json; tensors: list of (name, tensor in file dtype)."""
    os.makedirs(folder, exist_ok=True)
    for f in os.listdir(folder):
        os.remove(os.path.join(folder, f))
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    if shards == 1:
        write_safetensors(os.path.join(folder, "model.safetensors"), tensors)
        return
    per = (len(tensors) + shards - 1) // shards
    weight_map, total = {}, 0
    for s in range(shards):
        fname = "model-%05d-of-%05d.safetensors" % (s + 1, shards)
        part = tensors[s * per:(s + 1) * per]
        write_safetensors(os.path.join(folder, fname), part)
        for name, t in part:
            weight_map[name] = fname
            total += t.numel() * t.element_size()
    with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)


# ---------------------------------------------------------------- shared pieces
def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def rope_inv_freq(cfg, dim):
    """_compute_default_rope_parameters, then _compute_llama3_parameters when configured."""
    base = cfg.get("rope_theta", 10000.0)
    inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).to(DT) / dim))
    rs = cfg.get("rope_scaling")
    if rs and rs.get("rope_type", rs.get("type")) == "llama3":
        factor = rs["factor"]
        low, high = rs["low_freq_factor"], rs["high_freq_factor"]
        old = rs["original_max_position_embeddings"]
        low_wl, high_wl = old / low, old / high
        wavelen = 2 * math.pi / inv_freq
        inv_l = torch.where(wavelen > low_wl, inv_freq / factor, inv_freq)
        smooth = (old / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * inv_l / factor + smooth * inv_l
        medium = ~(wavelen < high_wl) * ~(wavelen > low_wl)
        inv_freq = torch.where(medium, smoothed, inv_l)
    return inv_freq


def rope_cos_sin(cfg, dim, T):
    inv = rope_inv_freq(cfg, dim)
    freqs = torch.arange(T, dtype=DT)[:, None] * inv[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()      # (T, dim)


def causal_attention(q, k, v, scale, window=None):
    """q (H, T, hd), k/v (H, T, hd) already repeated for GQA. Eager attention: scores, mask,
    softmax (fp32 in HF; float64 here), weighted sum."""
    T = q.shape[1]
    s = (q @ k.transpose(-1, -2)) * scale
    i = torch.arange(T)[:, None]
    j = torch.arange(T)[None, :]
    keep = j <= i
    if window:
        keep = keep & (j > i - window)
    s = s.masked_fill(~keep, float("-inf"))
    return torch.softmax(s, dim=-1) @ v


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


def act(name, x):
    if name in ("gelu_new", "gelu_pytorch_tanh", "gelu_fast"):
        return gelu_new(x)
    if name == "gelu":
        return torch.nn.functional.gelu(x)
    if name in ("silu", "swish"):
        return torch.nn.functional.silu(x)
    raise ValueError(name)


def linear(x, W, b=None):           # nn.Linear: W (out, in)
    y = x @ W.t()
    return y + b if b is not None else y


# ---------------------------------------------------------------- families
def llama_forward(cfg, W, ids):
    """LlamaForCausalLM / MistralForCausalLM / Qwen2ForCausalLM on one sequence → (T, V)."""
    D, H = cfg["hidden_size"], cfg["num_attention_heads"]
    KV = cfg.get("num_key_value_heads") or H
    hd = cfg.get("head_dim") or D // H
    eps = cfg.get("rms_norm_eps", 1e-6)
    mt = cfg["model_type"]
    window = None
    if mt == "mistral" or (mt == "qwen2" and cfg.get("use_sliding_window")):
        window = cfg.get("sliding_window")
    T = len(ids)
    cos, sin = rope_cos_sin(cfg, hd, T)

    def rms(x, w):
        var = x.pow(2).mean(-1, keepdim=True)
        return w * (x * torch.rsqrt(var + eps))

    def g(name):
        return W.get(name)

    x = g("model.embed_tokens.weight")[torch.tensor(ids)]
    for l in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % l
        h = rms(x, g(p + "input_layernorm.weight"))
        q = linear(h, g(p + "self_attn.q_proj.weight"), g(p + "self_attn.q_proj.bias"))
        k = linear(h, g(p + "self_attn.k_proj.weight"), g(p + "self_attn.k_proj.bias"))
        v = linear(h, g(p + "self_attn.v_proj.weight"), g(p + "self_attn.v_proj.bias"))
        q = q.view(T, H, hd).transpose(0, 1)
        k = k.view(T, KV, hd).transpose(0, 1)
        v = v.view(T, KV, hd).transpose(0, 1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(H // KV, dim=0)     # repeat_kv
        v = v.repeat_interleave(H // KV, dim=0)
        a = causal_attention(q, k, v, hd ** -0.5, window)
        a = a.transpose(0, 1).reshape(T, H * hd)
        x = x + linear(a, g(p + "self_attn.o_proj.weight"), g(p + "self_attn.o_proj.bias"))
        h = rms(x, g(p + "post_attention_layernorm.weight"))
        gate = linear(h, g(p + "mlp.gate_proj.weight"), g(p + "mlp.gate_proj.bias"))
        up = linear(h, g(p + "mlp.up_proj.weight"), g(p + "mlp.up_proj.bias"))
        x = x + linear(act(cfg.get("hidden_act", "silu"), gate) * up,
                       g(p + "mlp.down_proj.weight"), g(p + "mlp.down_proj.bias"))
    x = rms(x, g("model.norm.weight"))
    head = g("model.embed_tokens.weight") if cfg.get("tie_word_embeddings") else g("lm_head.weight")
    return linear(x, head)


def phi_forward(cfg, W, ids):
    """PhiForCausalLM: LayerNorm, attention and MLP in parallel on one normed input, partial
    rotary on the first rotary_ndims of each head, biases everywhere, lm_head bias."""
    D, H = cfg["hidden_size"], cfg["num_attention_heads"]
    KV = cfg.get("num_key_value_heads") or H
    hd = D // H
    rot = int(cfg.get("partial_rotary_factor", 0.5) * hd)
    eps = cfg.get("layer_norm_eps", 1e-5)
    T = len(ids)
    cos, sin = rope_cos_sin(cfg, rot, T)
    ln = torch.nn.functional.layer_norm
    x = W["model.embed_tokens.weight"][torch.tensor(ids)]
    for l in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % l
        h = ln(x, (D,), W[p + "input_layernorm.weight"], W[p + "input_layernorm.bias"], eps)
        q = linear(h, W[p + "self_attn.q_proj.weight"], W[p + "self_attn.q_proj.bias"])
        k = linear(h, W[p + "self_attn.k_proj.weight"], W[p + "self_attn.k_proj.bias"])
        v = linear(h, W[p + "self_attn.v_proj.weight"], W[p + "self_attn.v_proj.bias"])
        q = q.view(T, H, hd).transpose(0, 1)
        k = k.view(T, KV, hd).transpose(0, 1)
        v = v.view(T, KV, hd).transpose(0, 1)
        q_rot, q_pass = q[..., :rot], q[..., rot:]
        k_rot, k_pass = k[..., :rot], k[..., rot:]
        q = torch.cat((q_rot * cos + rotate_half(q_rot) * sin, q_pass), dim=-1)
        k = torch.cat((k_rot * cos + rotate_half(k_rot) * sin, k_pass), dim=-1)
        k = k.repeat_interleave(H // KV, dim=0)
        v = v.repeat_interleave(H // KV, dim=0)
        a = causal_attention(q, k, v, hd ** -0.5).transpose(0, 1).reshape(T, D)
        attn_out = linear(a, W[p + "self_attn.dense.weight"], W[p + "self_attn.dense.bias"])
        ff = linear(act(cfg.get("hidden_act", "gelu_new"),
                        linear(h, W[p + "mlp.fc1.weight"], W[p + "mlp.fc1.bias"])),
                    W[p + "mlp.fc2.weight"], W[p + "mlp.fc2.bias"])
        x = attn_out + ff + x
    x = ln(x, (D,), W["model.final_layernorm.weight"], W["model.final_layernorm.bias"], eps)
    head = W["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else W["lm_head.weight"]
    return linear(x, head, W["lm_head.bias"])


def gpt2_forward(cfg, W, ids, prefix="transformer."):
    """GPT2LMHeadModel: learned positions, Conv1D (x @ W + b with W (in, out)), fused c_attn,
    pre-LayerNorm blocks, ln_f, lm_head tied to wte."""
    D, H = cfg["n_embd"], cfg["n_head"]
    hd = D // H
    eps = cfg.get("layer_norm_epsilon", 1e-5)
    T = len(ids)
    ln = torch.nn.functional.layer_norm

    def conv1d(x, name):
        return torch.addmm(W[name + ".bias"], x, W[name + ".weight"])

    p0 = prefix
    x = W[p0 + "wte.weight"][torch.tensor(ids)] + W[p0 + "wpe.weight"][torch.arange(T)]
    for l in range(cfg["n_layer"]):
        p = "%sh.%d." % (p0, l)
        h = ln(x, (D,), W[p + "ln_1.weight"], W[p + "ln_1.bias"], eps)
        q, k, v = conv1d(h, p + "attn.c_attn").split(D, dim=1)
        q, k, v = (t.view(T, H, hd).transpose(0, 1) for t in (q, k, v))
        a = causal_attention(q, k, v, 1.0 / math.sqrt(hd)).transpose(0, 1).reshape(T, D)
        x = x + conv1d(a, p + "attn.c_proj")
        h = ln(x, (D,), W[p + "ln_2.weight"], W[p + "ln_2.bias"], eps)
        h = act(cfg.get("activation_function", "gelu_new"), conv1d(h, p + "mlp.c_fc"))
        x = x + conv1d(h, p + "mlp.c_proj")
    x = ln(x, (D,), W[p0 + "ln_f.weight"], W[p0 + "ln_f.bias"], eps)
    head = W[p0 + "wte.weight"] if cfg.get("tie_word_embeddings", True) else W["lm_head.weight"]
    return x @ head.t()


def reference_forward(cfg, W, ids):
    arch = cfg["architectures"][0]
    with torch.no_grad():
        if arch == "PhiForCausalLM":
            return phi_forward(cfg, W, ids)
        if arch == "GPT2LMHeadModel":
            prefix = "transformer." if "transformer.wte.weight" in W else ""
            return gpt2_forward(cfg, W, ids, prefix)
        return llama_forward(cfg, W, ids)


# ---------------------------------------------------------------- random checkpoints
def random_weights(cfg, gen):
    """(name, fp32 tensor) in HF layout for cfg, values scaled so activations stay O(1)."""
    arch = cfg["architectures"][0]
    out = []

    def mat(name, rows, cols, scale=None):
        s = scale if scale is not None else 1.0 / math.sqrt(cols)
        out.append((name, torch.randn(rows, cols, generator=gen) * s))

    def vec(name, n, base=0.0, scale=0.1):
        out.append((name, base + torch.randn(n, generator=gen) * scale))

    if arch == "GPT2LMHeadModel":
        D, L, V = cfg["n_embd"], cfg["n_layer"], cfg["vocab_size"]
        I = cfg.get("n_inner") or 4 * D
        p = cfg.get("_prefix", "transformer.")
        mat(p + "wte.weight", V, D, 1.0)
        mat(p + "wpe.weight", cfg["n_positions"], D, 0.5)
        for l in range(L):
            q = "%sh.%d." % (p, l)
            vec(q + "ln_1.weight", D, 1.0)
            vec(q + "ln_1.bias", D)
            mat(q + "attn.c_attn.weight", D, 3 * D, 1.0 / math.sqrt(D))   # Conv1D (in, out)
            vec(q + "attn.c_attn.bias", 3 * D)
            mat(q + "attn.c_proj.weight", D, D, 1.0 / math.sqrt(D))
            vec(q + "attn.c_proj.bias", D)
            vec(q + "ln_2.weight", D, 1.0)
            vec(q + "ln_2.bias", D)
            mat(q + "mlp.c_fc.weight", D, I, 1.0 / math.sqrt(D))
            vec(q + "mlp.c_fc.bias", I)
            mat(q + "mlp.c_proj.weight", I, D, 1.0 / math.sqrt(I))
            vec(q + "mlp.c_proj.bias", D)
        vec(p + "ln_f.weight", D, 1.0)
        vec(p + "ln_f.bias", D)
        if not cfg.get("tie_word_embeddings", True):
            mat("lm_head.weight", V, D)
        return out

    D, L, V = cfg["hidden_size"], cfg["num_hidden_layers"], cfg["vocab_size"]
    H = cfg["num_attention_heads"]
    KV = cfg.get("num_key_value_heads") or H
    hd = cfg.get("head_dim") or D // H
    I = cfg["intermediate_size"]
    phi = arch == "PhiForCausalLM"
    qwen2 = cfg["model_type"] == "qwen2"
    ab = cfg.get("attention_bias", False)
    mb = cfg.get("mlp_bias", False)
    mat("model.embed_tokens.weight", V, D, 1.0)
    for l in range(L):
        p = "model.layers.%d." % l
        vec(p + "input_layernorm.weight", D, 1.0)
        if phi:
            vec(p + "input_layernorm.bias", D)
        else:
            vec(p + "post_attention_layernorm.weight", D, 1.0)
        for n, rows in (("q_proj", H * hd), ("k_proj", KV * hd), ("v_proj", KV * hd)):
            mat(p + "self_attn.%s.weight" % n, rows, D)
            if phi or qwen2 or ab:
                vec(p + "self_attn.%s.bias" % n, rows)
        if phi:
            mat(p + "self_attn.dense.weight", D, H * hd)
            vec(p + "self_attn.dense.bias", D)
            mat(p + "mlp.fc1.weight", I, D)
            vec(p + "mlp.fc1.bias", I)
            mat(p + "mlp.fc2.weight", D, I)
            vec(p + "mlp.fc2.bias", D)
        else:
            mat(p + "self_attn.o_proj.weight", D, H * hd)
            if ab:
                vec(p + "self_attn.o_proj.bias", D)
            mat(p + "mlp.gate_proj.weight", I, D)
            mat(p + "mlp.up_proj.weight", I, D)
            mat(p + "mlp.down_proj.weight", D, I)
            if mb:
                vec(p + "mlp.gate_proj.bias", I)
                vec(p + "mlp.up_proj.bias", I)
                vec(p + "mlp.down_proj.bias", D)
    if phi:
        vec("model.final_layernorm.weight", D, 1.0)
        vec("model.final_layernorm.bias", D)
    else:
        vec("model.norm.weight", D, 1.0)
    if not cfg.get("tie_word_embeddings", False):
        mat("lm_head.weight", V, D)
    if phi:
        vec("lm_head.bias", V)
    return out


def to_file_dtypes(named, dtype_of):
    """Round each tensor to its file dtype; returns (file tensors, float64 weights as stored)."""
    file_t, W = [], {}
    for name, t in named:
        ft = t.to(ST_DTYPES[dtype_of(name, t)])
        file_t.append((name, ft))
        W[name] = ft.to(DT)
    return file_t, W
