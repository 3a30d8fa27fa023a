#!/usr/bin/python3
"""The PyTorch peer of bench_train.c: one training step (forward + loss + backward + AdamW with
clipping) of a GPT-2 or Llama checkpoint in float32, written batched as modeling_gpt2.py /
modeling_llama.py do (eager attention), weights loaded from the same model.safetensors.

usage: torch_train.py MODEL_DIR [BATCH SEQ_LEN STEPS]     (threads: torch.set_num_threads from
OMP_NUM_THREADS). Prints one JSON line like bench_train."""
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests",
                                "oracle"))
import train_common as tc  # noqa: E402


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


def attention(q, k, v, T):
    # q (B, H, T, hd), k/v (B, H, T, hd)
    s = (q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    mask = torch.ones(T, T, dtype=torch.bool).tril()
    s = s.masked_fill(~mask, float("-inf"))
    return torch.softmax(s, dim=-1) @ v


def gpt2(cfg, W, ids):
    B, T = ids.shape
    D, H = cfg["n_embd"], cfg["n_head"]
    p0 = "transformer." if "transformer.wte.weight" in W else ""
    ln = F.layer_norm
    x = W[p0 + "wte.weight"][ids] + W[p0 + "wpe.weight"][:T]
    for l in range(cfg["n_layer"]):
        p = "%sh.%d." % (p0, l)
        h = ln(x, (D,), W[p + "ln_1.weight"], W[p + "ln_1.bias"], 1e-5)
        qkv = torch.addmm(W[p + "attn.c_attn.bias"], h.view(B * T, D), W[p + "attn.c_attn.weight"])
        q, k, v = (t.view(B, T, H, D // H).transpose(1, 2) for t in qkv.split(D, dim=1))
        a = attention(q, k, v, T).transpose(1, 2).reshape(B * T, D)
        x = x + torch.addmm(W[p + "attn.c_proj.bias"], a, W[p + "attn.c_proj.weight"]).view(B, T, D)
        h = ln(x, (D,), W[p + "ln_2.weight"], W[p + "ln_2.bias"], 1e-5).view(B * T, D)
        h = gelu_new(torch.addmm(W[p + "mlp.c_fc.bias"], h, W[p + "mlp.c_fc.weight"]))
        x = x + torch.addmm(W[p + "mlp.c_proj.bias"], h, W[p + "mlp.c_proj.weight"]).view(B, T, D)
    x = ln(x, (D,), W[p0 + "ln_f.weight"], W[p0 + "ln_f.bias"], 1e-5)
    return x @ W[p0 + "wte.weight"].t()


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def llama(cfg, W, ids):
    B, T = ids.shape
    D, H, KV = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = D // H
    inv = 1.0 / (cfg.get("rope_theta", 10000.0) ** (torch.arange(0, hd, 2).float() / hd))
    fr = torch.arange(T).float()[:, None] * inv[None, :]
    emb = torch.cat((fr, fr), dim=-1)
    cos, sin = emb.cos(), emb.sin()

    def rms(x, w):
        return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5))
    x = W["model.embed_tokens.weight"][ids]
    for l in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % l
        h = rms(x, W[p + "input_layernorm.weight"])
        q = (h @ W[p + "self_attn.q_proj.weight"].t()).view(B, T, H, hd).transpose(1, 2)
        k = (h @ W[p + "self_attn.k_proj.weight"].t()).view(B, T, KV, hd).transpose(1, 2)
        v = (h @ W[p + "self_attn.v_proj.weight"].t()).view(B, T, KV, hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(H // KV, dim=1)
        v = v.repeat_interleave(H // KV, dim=1)
        a = attention(q, k, v, T).transpose(1, 2).reshape(B, T, D)
        x = x + a @ W[p + "self_attn.o_proj.weight"].t()
        h = rms(x, W[p + "post_attention_layernorm.weight"])
        g = F.silu(h @ W[p + "mlp.gate_proj.weight"].t()) * (h @ W[p + "mlp.up_proj.weight"].t())
        x = x + g @ W[p + "mlp.down_proj.weight"].t()
    x = rms(x, W["model.norm.weight"])
    return x @ W["lm_head.weight"].t()


def main():
    folder = sys.argv[1]
    B = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    T = int(sys.argv[3]) if len(sys.argv) > 3 else 64
    steps = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    cfg = json.load(open(os.path.join(folder, "config.json")))
    W = {k: v.float().requires_grad_(True)
         for k, v in tc.read_safetensors(os.path.join(folder, "model.safetensors")).items()}
    params = list(W.values())
    fwd = gpt2 if cfg["architectures"][0] == "GPT2LMHeadModel" else llama
    V = cfg["vocab_size"]
    ids = torch.randint(0, V, (B, T), generator=torch.Generator().manual_seed(1))
    decay = [p for p in params if p.dim() == 2]
    nodecay = [p for p in params if p.dim() != 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01},
                             {"params": nodecay, "weight_decay": 0.0}], lr=1e-5)
    best, total = 1e30, 0.0
    for s in range(steps + 1):
        t0 = time.perf_counter()
        opt.zero_grad()
        logits = fwd(cfg, W, ids)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, V), ids[:, 1:].reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        dt = time.perf_counter() - t0
        if s == 0:
            continue
        total += dt
        best = min(best, dt)
    print(json.dumps({"step_s": best, "mean_s": total / steps,
                      "params": sum(p.numel() for p in params), "loss": float(loss),
                      "torch": torch.__version__}))


if __name__ == "__main__":
    main()
