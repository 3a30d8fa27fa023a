#!/usr/bin/python3
"""PyTorch peer for the sampler benchmark: what transformers' generate(do_sample=True,
num_return_sequences=N, max_new_tokens=S) does on GPT-2 in fp32 — the prompt expanded to N
rows and prefilled together, then S batched decode steps on a KV cache with HF's default
warpers (top-k 50 at T = 1: TopKLogitsWarper's masked_fill) and torch.multinomial. The model is
bench/model/torch_gpt2.py's transcription of modeling_gpt2.py (transformers is not packaged in
Debian here).

usage: torch_sampler.py MODEL_DIR N NEW_TOKENS PROMPT_LEN
Threads: OMP_NUM_THREADS (default 2). Prints one JSON line (loading not timed).
"""
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "model"))
import torch_gpt2  # noqa: E402


def main():
    d = sys.argv[1]
    n, steps, plen = (int(x) for x in sys.argv[2:5])
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    cfg = json.load(open(os.path.join(d, "config.json")))
    model = torch_gpt2.GPT2(torch_gpt2.load_safetensors(os.path.join(d, "model.safetensors")), cfg).eval()
    V = cfg["vocab_size"]
    prompt = torch.tensor([[(1000 + 37 * i) % V for i in range(plen)]])
    g = torch.Generator().manual_seed(0)
    with torch.inference_mode():
        t0 = time.perf_counter()
        ids = prompt.repeat_interleave(n, dim=0)           # generate's _expand_inputs_for_generation
        logits, past = model(ids)
        out = []
        for s in range(steps):
            kth = torch.topk(logits, 50)[0][..., -1, None]  # TopKLogitsWarper
            logits = logits.masked_fill(logits < kth, -float("inf"))
            probs = torch.softmax(logits, dim=-1)
            nxt = torch.multinomial(probs, num_samples=1, generator=g)
            out.append(nxt)
            if s + 1 < steps:
                logits, past = model(nxt, past)
        dt = time.perf_counter() - t0
    print(json.dumps({"seconds": round(dt, 4), "tokens": n * steps, "tok_s": round(n * steps / dt, 2),
                      "threads": torch.get_num_threads(), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
