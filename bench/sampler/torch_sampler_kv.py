#!/usr/bin/python3
"""A competent PyTorch peer for the sampler benchmark: n samples of one prompt from
a GPT-2-shaped fp32 checkpoint, written the way one would write it by hand for speed, not the
way transformers' generate() does it:

- the prompt is prefilled ONCE (batch 1); its K/V are kept once and shared by all n rows
  (q . K_prompt is one broadcast matmul per layer, no copy of the prompt cache per sample);
- the samples' own K/V go into a cache preallocated for all steps (written in place with
  slicing: no per-step torch.cat of the whole cache);
- every projection is one addmm over the batch (Conv1D (in, out) weights as stored), the LM
  head one matmul;
- top-k 50 at T = 1 samples from the softmax of the 50 largest logits (the same distribution as
  HF's TopKLogitsWarper + softmax over the vocabulary, without the masked full-vocab softmax);
- the n rows are decoded in batches of at most CHUNK rows (default 128), one after another,
  each with its own cache: at n = 1,024 one batch of all rows holds a ~7 GB K/V cache and its
  attention runs out of cache (on a 2-core AMD EPYC the unsplit loop fell from 293 tokens/s at
  n = 128 to 106 at n = 1,024); a user who measures splits the work as this loop does.

usage: torch_sampler_kv.py MODEL_DIR N NEW_TOKENS PROMPT_LEN [CHUNK]
Threads: OMP_NUM_THREADS (default 2). Prints one JSON line (loading not timed); the prompt ids
are bench_sampler.c's ((1000 + 37 i) mod V).
"""
import json
import math
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "model"))
import torch_gpt2  # noqa: E402


def ln(x, w, b, eps):
    return torch.nn.functional.layer_norm(x, (x.size(-1),), w, b, eps)


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)))


def main():
    d = sys.argv[1]
    n, steps, plen = (int(x) for x in sys.argv[2:5])
    chunk = int(sys.argv[5]) if len(sys.argv) > 5 else 128
    if chunk < 1:
        sys.exit("torch_sampler_kv.py: CHUNK must be >= 1")
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    cfg = json.load(open(os.path.join(d, "config.json")))
    W = torch_gpt2.load_safetensors(os.path.join(d, "model.safetensors"))
    pre = "transformer." if "transformer.wte.weight" in W else ""
    W = {k[len(pre):]: v for k, v in W.items()}
    D, H, L, V = cfg["n_embd"], cfg["n_head"], cfg["n_layer"], cfg["vocab_size"]
    hd, eps = D // H, cfg["layer_norm_epsilon"]
    P = [{k: W[f"h.{l}.{k}"] for k in ("ln_1.weight", "ln_1.bias", "attn.c_attn.weight",
                                        "attn.c_attn.bias", "attn.c_proj.weight",
                                        "attn.c_proj.bias", "ln_2.weight", "ln_2.bias",
                                        "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight",
                                        "mlp.c_proj.bias")} for l in range(L)]
    wte, wpe = W["wte.weight"], W["wpe.weight"]
    head = wte.t().contiguous()
    scale = 1.0 / math.sqrt(hd)
    prompt = torch.tensor([(1000 + 37 * i) % V for i in range(plen)])
    g = torch.Generator().manual_seed(0)

    with torch.inference_mode():
        t0 = time.perf_counter()
        # Prefill once: (plen, D), causal attention, keep K/V (H, plen, hd) per layer.
        x = wte[prompt] + wpe[:plen]
        kp, vp = [], []
        mask = torch.full((plen, plen), float("-inf")).triu(1)
        for p in P:
            h = ln(x, p["ln_1.weight"], p["ln_1.bias"], eps)
            q, k, v = torch.addmm(p["attn.c_attn.bias"], h, p["attn.c_attn.weight"]).split(D, 1)
            q, k, v = (t.view(plen, H, hd).transpose(0, 1) for t in (q, k, v))
            kp.append(k.contiguous())
            vp.append(v.contiguous())
            a = torch.softmax(q @ k.transpose(1, 2) * scale + mask, -1) @ v
            x = x + torch.addmm(p["attn.c_proj.bias"], a.transpose(0, 1).reshape(plen, D),
                                p["attn.c_proj.weight"])
            h = gelu_new(torch.addmm(p["mlp.c_fc.bias"], ln(x, p["ln_2.weight"], p["ln_2.bias"],
                                                            eps), p["mlp.c_fc.weight"]))
            x = x + torch.addmm(p["mlp.c_proj.bias"], h, p["mlp.c_proj.weight"])
        last = ln(x[-1:], W["ln_f.weight"], W["ln_f.bias"], eps) @ head  # (1, V)
        for c0 in range(0, n, chunk):
            c = min(chunk, n - c0)  # rows in this batch
            logits = last.expand(c, V)
            # This batch's own K/V: (c, H, steps, hd) per layer, written in place.
            ks = [torch.empty(c, H, steps, hd) for _ in range(L)]
            vs = [torch.empty(c, H, steps, hd) for _ in range(L)]
            out = torch.empty(c, steps, dtype=torch.long)
            for s in range(steps):
                top, idx = torch.topk(logits, 50, dim=-1)
                pick = torch.multinomial(torch.softmax(top, -1), 1, generator=g)
                nxt = idx.gather(1, pick).squeeze(1)
                out[:, s] = nxt
                if s + 1 == steps:
                    break
                x = wte[nxt] + wpe[plen + s]
                for l, p in enumerate(P):
                    h = ln(x, p["ln_1.weight"], p["ln_1.bias"], eps)
                    q, k, v = torch.addmm(p["attn.c_attn.bias"], h, p["attn.c_attn.weight"]).split(D, 1)
                    q = q.view(c, H, 1, hd)
                    ks[l][:, :, s] = k.view(c, H, hd)
                    vs[l][:, :, s] = v.view(c, H, hd)
                    # Scores over the shared prompt (one broadcast matmul) and over own tokens.
                    sp = (q @ kp[l].transpose(1, 2).unsqueeze(0)) * scale          # (c, H, 1, plen)
                    so = (q @ ks[l][:, :, :s + 1].transpose(2, 3)) * scale         # (c, H, 1, s+1)
                    w = torch.softmax(torch.cat((sp, so), -1), -1)
                    a = w[..., :plen] @ vp[l].unsqueeze(0) + w[..., plen:] @ vs[l][:, :, :s + 1]
                    x = x + torch.addmm(p["attn.c_proj.bias"], a.view(c, D), p["attn.c_proj.weight"])
                    h = gelu_new(torch.addmm(p["mlp.c_fc.bias"],
                                             ln(x, p["ln_2.weight"], p["ln_2.bias"], eps),
                                             p["mlp.c_fc.weight"]))
                    x = x + torch.addmm(p["mlp.c_proj.bias"], h, p["mlp.c_proj.weight"])
                logits = ln(x, W["ln_f.weight"], W["ln_f.bias"], eps) @ head
        dt = time.perf_counter() - t0
    print(json.dumps({"seconds": round(dt, 4), "tokens": n * steps, "tok_s": round(n * steps / dt, 2),
                      "threads": torch.get_num_threads(), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
