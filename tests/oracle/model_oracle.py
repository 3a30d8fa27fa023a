"""Oracle test: leakbound's forward (batched prefill, forks, chunked extend, 32 decode steps on
the paged KV cache) against the PyTorch reference in model_ref.py, per family and feature.

usage: model_oracle.py CASE     (CASE from CASES below, or "all")
Pass: for every call, max |ours - reference| <= 1e-4 * max |reference logit| (reference in
float64, full causal forward of each whole sequence, no cache); a forked sequence's logits
equal those of an unshared copy of its prompt fed the same tokens.
"""
import json
import os
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model_ref  # noqa: E402

TOL = 1e-4


# Small HF-layout configs (the model tests' sizes); shared with the training oracles.
llama_cfg, phi_cfg, gpt2_cfg = model_ref.llama_cfg, model_ref.phi_cfg, model_ref.gpt2_cfg


LLAMA3_ROPE = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
               "high_freq_factor": 4.0, "original_max_position_embeddings": 32}


def f32(name, t):
    return "F32"


def const(dt):
    return lambda name, t: dt


def mixed(name, t):
    # Real files mix dtypes: norms and biases F32, matrices F16, embeddings BF16.
    if t.dim() == 1:
        return "F32"
    return "BF16" if "embed" in name or "wte" in name else "F16"


# name: (config, dtype chooser, shards, keep_file_dtype, block_size[, prompt length factor]);
# keep_file_dtype "inv": matrices used in place from the file and the runner batch-invariant
# (the sampler's setting: every product through the invariant kernel, 16-bit widened on the fly).
CASES = {
    "llama_gqa_f32": (llama_cfg(), f32, 1, False, 4),
    "llama_tied_bf16_llama3": (llama_cfg(tie_word_embeddings=True, rope_scaling=LLAMA3_ROPE,
                                          rope_theta=500000.0), const("BF16"), 1, False, 5),
    "llama_bias_keep_f16": (llama_cfg(attention_bias=True, mlp_bias=True, num_key_value_heads=4),
                            const("F16"), 1, True, 3),
    "qwen2_bias_sharded_f16": (llama_cfg(architectures=["Qwen2ForCausalLM"], model_type="qwen2",
                                          num_key_value_heads=1, use_sliding_window=False,
                                          sliding_window=4, tie_word_embeddings=True),
                               const("F16"), 3, False, 4),
    "mistral_window_headdim": (llama_cfg(architectures=["MistralForCausalLM"],
                                          model_type="mistral", head_dim=24, sliding_window=12),
                               mixed, 2, False, 4),
    "phi_partial_f16": (phi_cfg(), const("F16"), 1, False, 4),
    "phi_mixed_keep_gqa": (phi_cfg(num_key_value_heads=2, partial_rotary_factor=0.375,
                                   tie_word_embeddings=True), mixed, 2, True, 7),
    "gpt2_tied_f32": (gpt2_cfg(), f32, 1, False, 4),
    "gpt2_noprefix_bf16_keep": (gpt2_cfg(_prefix="", n_inner=80), const("BF16"), 2, True, 6),
    "gpt2_untied_gelu_f16": (gpt2_cfg(tie_word_embeddings=False, activation_function="gelu"),
                             const("F16"), 1, False, 8),
    "llama_gqa_f32_keep_inv": (llama_cfg(), f32, 1, "inv", 4),
    "llama_f32_keep_sharded": (llama_cfg(attention_bias=True), f32, 2, True, 4),
    "phi_bf16_keep_inv": (phi_cfg(), const("BF16"), 1, "inv", 4),
    "gpt2_f16_keep_inv": (gpt2_cfg(), const("F16"), 1, "inv", 5),
    "phi_mixed_keep_inv": (phi_cfg(num_key_value_heads=2), mixed, 2, "inv", 4),
    # With the three above: each family x each dtype (F32, F16, BF16) as sample/eval load it.
    "llama_bf16_keep_inv": (llama_cfg(), const("BF16"), 1, "inv", 4),
    "llama_bf16_keep": (llama_cfg(tie_word_embeddings=True), const("BF16"), 1, True, 5),
    "phi_f32_keep": (phi_cfg(), f32, 1, True, 4),
    "phi_f16_keep_inv": (phi_cfg(num_key_value_heads=2), const("F16"), 1, "inv", 3),
    "gpt2_f32_keep_inv": (gpt2_cfg(), f32, 1, "inv", 4),
    "gpt2_bf16_keep_inv": (gpt2_cfg(tie_word_embeddings=False), const("BF16"), 1, "inv", 6),
    # Big enough that every OpenMP loop runs on the team (the small cases stay single-threaded).
    "gpt2_parallel": (gpt2_cfg(n_embd=256, n_positions=512, vocab_size=300), f32, 1, False, 16,
                      20),
    "llama_parallel": (llama_cfg(hidden_size=256, intermediate_size=384, vocab_size=300,
                                 num_attention_heads=8, num_key_value_heads=2,
                                 max_position_embeddings=512), const("BF16"), 1, False, 16, 20),
}


def scenario(V, gen, steps, mult=1):
    """Prompts of different lengths; forks of prompt 1 (a partly filled shared block); an
    unshared copy of prompt 1 fed exactly what fork 0 gets; a chunked extend; decode steps."""
    lens = [5 * mult, 11 * mult, 1, 7 * mult]
    prompts = [torch.randint(0, V, (n,), generator=gen).tolist() for n in lens]
    prompts.append(list(prompts[1]))                 # index 4: unshared copy of prompt 1
    forks = [1, 1]                                   # sequences 5, 6
    n_all = len(prompts) + len(forks)
    ext_lens = [3 * mult, 1, 6, 2 * mult, 4, 4, 2]
    extend = [torch.randint(0, V, (n,), generator=gen).tolist() for n in ext_lens]
    decode = torch.randint(0, V, (steps, n_all), generator=gen).tolist()
    extend[4] = list(extend[5])                      # copy 4 mirrors fork 5
    for s in decode:
        s[4] = s[5]
    return {"prompts": prompts, "forks": forks, "extend": extend, "decode": decode}


def run_case(name, work, drivers):
    cfg, dtype_of, shards, keep, bs = CASES[name][:5]
    mult = CASES[name][5] if len(CASES[name]) > 5 else 1
    if mult > 1 and os.environ.get("LB_SANITIZED"):
        mult = 4   # still past the OpenMP thresholds in attention, smaller under ASan
    gen = torch.Generator().manual_seed(sum(map(ord, name)))
    named = model_ref.random_weights(cfg, gen)
    file_t, W = model_ref.to_file_dtypes(named, dtype_of)
    folder = os.path.join(work, name)
    hf_cfg = {k: v for k, v in cfg.items() if not k.startswith("_")}
    model_ref.write_checkpoint(folder, hf_cfg, file_t, shards)
    V = cfg["vocab_size"]
    steps = 32
    spec = scenario(V, gen, steps, mult)
    spec["block_size"] = bs
    spec["keep_file_dtype"] = bool(keep)
    spec["batch_invariant"] = keep == "inv"
    spec_path = os.path.join(work, name + ".json")
    out_path = os.path.join(work, name + ".bin")
    with open(spec_path, "w") as f:
        json.dump(spec, f)
    p = subprocess.run([os.path.join(drivers, "driver_model"), folder, spec_path, out_path],
                       capture_output=True, text=True)
    if p.returncode != 0:
        print("%s: driver failed (%d): %s" % (name, p.returncode, p.stderr))
        return False
    got = np.fromfile(out_path, dtype=np.float32)

    prompts, forks, extend, decode = spec["prompts"], spec["forks"], spec["extend"], spec["decode"]
    full = [list(pr) for pr in prompts] + [list(prompts[s]) for s in forks]
    base = [len(s) for s in full]
    for j, e in enumerate(extend):
        full[j] += e
    mid = [len(s) for s in full]
    for step in decode:
        for j, t in enumerate(step):
            full[j].append(t)
    ref = [model_ref.reference_forward(cfg, W, s).numpy() for s in full]

    # Expected rows in the order the driver wrote them.
    want = [ref[i][:len(pr)] for i, pr in enumerate(prompts)]
    want += [ref[j][base[j]:mid[j]] for j in range(len(full))]
    for k in range(len(decode)):
        want.append(np.stack([ref[j][mid[j] + k] for j in range(len(full))]))
    want = np.concatenate([w.reshape(-1, V) for w in want])
    if got.size != want.size:
        print("%s: driver wrote %d floats, expected %d" % (name, got.size, want.size))
        return False
    got = got.reshape(-1, V)
    scale = float(np.abs(want).max())
    err = float(np.abs(got - want).max())
    ok = err <= TOL * scale and np.isfinite(got).all()

    # The fork (sequence 5) and its unshared twin (sequence 4) must agree to rounding.
    n_all = len(full)
    n_pre = sum(len(pr) for pr in prompts)
    n_ext = sum(len(e) for e in extend)
    dec = got[n_pre + n_ext:].reshape(len(decode), n_all, V)
    twin = float(np.abs(dec[:, 4] - dec[:, 5]).max())
    ok = ok and twin <= 1e-5 * scale
    print("%s: max|d| %.3g (limit %.3g, max|logit| %.3g), fork vs unshared %.3g over %d rows"
          % (name, err, TOL * scale, scale, twin, got.shape[0]))
    return ok


def main():
    work = os.environ.get("LB_WORK", "/tmp/lb_model_work")
    drivers = os.environ["LB_DRIVERS"]
    os.makedirs(work, exist_ok=True)
    torch.set_num_threads(1)
    names = list(CASES) if sys.argv[1] == "all" else sys.argv[1:]
    bad = [n for n in names if not run_case(n, work, drivers)]
    if bad:
        print("FAILED:", " ".join(bad))
        sys.exit(1)


if __name__ == "__main__":
    main()
