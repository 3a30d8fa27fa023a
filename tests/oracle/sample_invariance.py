#!/usr/bin/python3
"""Oracle: the sampler's samples are byte-identical for --batch 1, 2, 3 and 64 with 1 and 2
threads on a model where the order of a matrix product's sums decides the draws.

A GPT-2 with D = 256, V = 1000 whose head repeats each of 8 dominant rows at the far end of
the vocabulary: the two logits of a pair are mathematically equal, and with a temperature of
2e-6 the split of probability between them (so the draws) follows the last bits of the
products. OpenBLAS rounds a column differently by its place in sgemm's panels and by the
number of rows (sgemv for 1-2 rows), so without the engine's batch-invariant mode the runs
disagree (checked by disabling it); with it they must be identical bit for bit."""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model_ref  # noqa: E402
import sample_common as sc  # noqa: E402


def tie_model(folder, V=1000, D=256):
    cfg = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": V,
           "n_embd": D, "n_layer": 2, "n_head": 4, "n_positions": 128, "n_ctx": 128,
           "n_inner": None, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5,
           "tie_word_embeddings": False, "bos_token_id": sc.EOS, "eos_token_id": sc.EOS}
    gen = torch.Generator().manual_seed(11)
    named = []
    for n, t in model_ref.random_weights(cfg, gen):
        if n == "lm_head.weight":
            t = t.clone()
            for i in range(8):   # tokens 300+i and V-1-i: one row, scaled to dominate
                t[300 + i] = t[300 + i] * 6.0
                t[V - 1 - i] = t[300 + i]
        named.append((n, t))
    file_t, _ = model_ref.to_file_dtypes(named, lambda n, t: "F32")
    model_ref.write_checkpoint(folder, cfg, file_t)
    sc.write_byte_tokenizer(folder)


def main():
    d = sc.work_dir("invariance")
    model = os.path.join(d, "model")
    # Under the sanitizers the unoptimised kernels are slow: a narrower model, fewer prompts.
    tie_model(model, D=128 if sc.SANITIZED else 256)
    prompts = [list(b"Hello"), list(b"xyz"), list(b"The answer is"), [32], list(b"A") * 9]
    prompts = prompts[:3] if sc.SANITIZED else prompts
    base = {"prompts": prompts, "keys": ["p%d" % i for i in range(len(prompts))],
            "n": 2 if sc.SANITIZED else 5, "greedy_too": True,
            "max_new": 6 if sc.SANITIZED else 16, "eos": [sc.EOS], "seed": 77, "top_k": 50,
            "top_p": 1.0, "temperature": 2e-6}
    ref_rows, ref = sc.run_driver(model, dict(base, batch=64, threads=2), "inv_ref")
    want = len(prompts) * (base["n"] + 1)
    if len(ref_rows) != want:
        sc.fail(f"invariance: {len(ref_rows)} results, want {want}")
    runs = 0
    for batch in (1, 2, 3, 64):
        for threads in (1, 2):
            if (batch, threads) == (64, 2):
                continue
            tag = f"inv_b{batch}_t{threads}"
            _, out = sc.run_driver(model, dict(base, batch=batch, threads=threads), tag)
            runs += 1
            if out != ref:
                sc.fail(f"invariance: --batch {batch} with {threads} threads differs from "
                        "--batch 64 with 2 threads")
    print(f"invariance: {want} results x {runs + 1} runs (batch 1/2/3/64, threads 1/2): "
          "byte-identical")


if __name__ == "__main__":
    main()
