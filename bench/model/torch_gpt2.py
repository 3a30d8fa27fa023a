#!/usr/bin/python3
"""PyTorch peer for the model benchmark: GPT-2 written as transformers' modeling_gpt2.py does
(Conv1D as addmm, fused c_attn, eager attention with a causal mask, gelu_new, pre-LN blocks,
head tied to wte) with a KV cache (past key/values concatenated per layer), in fp32.

usage: torch_gpt2.py MODEL_DIR [BATCH SEQ_LEN DECODE_PROMPT DECODE_STEPS REPS]
Threads: torch.set_num_threads(N) with N from OMP_NUM_THREADS (default 2). Measures exactly what
bench_lb.c measures: a batched prefill (last-token logits) and greedy single-sequence decode
(argmax in the loop, as generate does); best of REPS. Prints one JSON line.
"""
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn


def load_safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + n)
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        assert e["dtype"] == "F32"
        s, t = e["data_offsets"]
        out[name] = torch.from_numpy(np.array(data[s:t]).view(np.float32).reshape(e["shape"]))
    return out


class Conv1D(nn.Module):
    def __init__(self, w, b):
        super().__init__()
        self.weight, self.bias = nn.Parameter(w, requires_grad=False), nn.Parameter(b, requires_grad=False)

    def forward(self, x):
        size_out = x.size()[:-1] + (self.weight.size(-1),)
        return torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight).view(size_out)


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class Block(nn.Module):
    def __init__(self, W, p, cfg):
        super().__init__()
        D = cfg["n_embd"]
        eps = cfg["layer_norm_epsilon"]
        self.H, self.hd = cfg["n_head"], D // cfg["n_head"]
        self.ln_1 = nn.LayerNorm(D, eps=eps)
        self.ln_2 = nn.LayerNorm(D, eps=eps)
        with torch.no_grad():
            for ln, n in ((self.ln_1, "ln_1"), (self.ln_2, "ln_2")):
                ln.weight.copy_(W[p + n + ".weight"])
                ln.bias.copy_(W[p + n + ".bias"])
        self.c_attn = Conv1D(W[p + "attn.c_attn.weight"], W[p + "attn.c_attn.bias"])
        self.c_proj = Conv1D(W[p + "attn.c_proj.weight"], W[p + "attn.c_proj.bias"])
        self.c_fc = Conv1D(W[p + "mlp.c_fc.weight"], W[p + "mlp.c_fc.bias"])
        self.mlp_proj = Conv1D(W[p + "mlp.c_proj.weight"], W[p + "mlp.c_proj.bias"])

    def split(self, t):
        B, T, _ = t.shape
        return t.view(B, T, self.H, self.hd).permute(0, 2, 1, 3)

    def forward(self, x, past):
        h = self.ln_1(x)
        q, k, v = self.c_attn(h).split(x.size(-1), dim=2)
        q, k, v = self.split(q), self.split(k), self.split(v)
        if past is not None:
            k = torch.cat((past[0], k), dim=-2)
            v = torch.cat((past[1], v), dim=-2)
        present = (k, v)
        w = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.hd)
        Tq, Tk = q.size(-2), k.size(-2)
        causal = torch.ones(Tk, Tk, dtype=torch.bool).tril()[Tk - Tq:Tk, :Tk]
        w = torch.where(causal, w, torch.tensor(torch.finfo(w.dtype).min, dtype=w.dtype))
        a = torch.matmul(nn.functional.softmax(w, dim=-1), v)
        B, _, T, _ = a.shape
        a = a.permute(0, 2, 1, 3).reshape(B, T, -1)
        x = x + self.c_proj(a)
        x = x + self.mlp_proj(gelu_new(self.c_fc(self.ln_2(x))))
        return x, present


class GPT2(nn.Module):
    def __init__(self, W, cfg):
        super().__init__()
        self.wte, self.wpe = W["wte.weight"], W["wpe.weight"]
        self.h = nn.ModuleList(Block(W, f"h.{l}.", cfg) for l in range(cfg["n_layer"]))
        self.ln_f = nn.LayerNorm(cfg["n_embd"], eps=cfg["layer_norm_epsilon"])
        with torch.no_grad():
            self.ln_f.weight.copy_(W["ln_f.weight"])
            self.ln_f.bias.copy_(W["ln_f.bias"])

    def forward(self, ids, past=None):
        start = 0 if past is None else past[0][0].size(-2)
        pos = torch.arange(start, start + ids.size(1))
        x = self.wte[ids] + self.wpe[pos]
        presents = []
        for i, blk in enumerate(self.h):
            x, pr = blk(x, None if past is None else past[i])
            presents.append(pr)
        x = self.ln_f(x[:, -1, :])          # last-token logits only, as bench_lb.c asks for
        return x @ self.wte.t(), presents


def main():
    d = sys.argv[1]
    B, T, P, S, reps = [int(a) for a in sys.argv[2:7]] if len(sys.argv) >= 7 else (8, 256, 128, 128, 3)
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    cfg = json.load(open(os.path.join(d, "config.json")))
    t0 = time.perf_counter()
    model = GPT2(load_safetensors(os.path.join(d, "model.safetensors")), cfg).eval()
    t_load = time.perf_counter() - t0
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(0, cfg["vocab_size"], (B, T), generator=g)
    best_p = best_d = float("inf")
    with torch.inference_mode():
        for _ in range(reps):
            t0 = time.perf_counter()
            model(ids)
            best_p = min(best_p, time.perf_counter() - t0)
        prompt = torch.randint(0, cfg["vocab_size"], (1, P), generator=g)
        for _ in range(reps):
            logits, past = model(prompt)
            t0 = time.perf_counter()
            for _ in range(S):
                nxt = torch.argmax(logits, dim=-1, keepdim=True)
                logits, past = model(nxt, past)
            best_d = min(best_d, time.perf_counter() - t0)
    print(json.dumps({"load_s": round(t_load, 3), "prefill_s": round(best_p, 4),
                      "prefill_tok_s": round(B * T / best_p, 1), "decode_s": round(best_d, 4),
                      "decode_tok_s": round(S / best_d, 2), "threads": torch.get_num_threads(),
                      "torch": torch.__version__}))


if __name__ == "__main__":
    main()
