#!/usr/bin/python3
"""Statistical oracle for the batched sampler: the empirical distribution of sampled
tokens matches the exact warped distribution (Pearson chi-square, p > 0.001, scipy).

- First token: >= 100,000 draws per setting (T, top-k, top-p, min-p) on a random GPT-2, against
  Hugging Face's warpers (sample_common.hf_warp) applied to the float64 PyTorch reference logits
  (model_ref.py) of the prompt.
- Ties: a Phi model whose head is all zero, so its logits are lm_head.bias exactly; the bias
  puts a run of equal logits across the top-p cut (and the top-k cut), where the rule decides
  which tied ids stay.
- A later step: 2-token samples; among those whose first token is t0, the second token follows
  warp(reference logits of prompt + [t0]) — the forked, batched decode path.
- Adaptive temperature (reconstructed rule): above the confidence threshold every draw is the
  argmax; below it the draws follow the base temperature's distribution.
Under LB_SANITIZED=1 the draw counts shrink (20,000).
"""
import numpy as np

import sample_common as sc

N = 20000 if sc.SANITIZED else 100000
ALPHA = 0.001


def counts_first(rows, V, pos=0):
    c = np.zeros(V)
    for _, _, _, toks in rows:
        if len(toks) > pos:
            c[toks[pos]] += 1
    return c


def check(tag, counts, p):
    pv = sc.chi_square(counts, p, tag)
    print(f"{tag}: n={int(counts.sum())} kept={int((p > 0).sum())} p-value={pv:.4f}")
    if pv <= ALPHA:
        sc.fail(f"{tag}: chi-square p-value {pv:.2e} <= {ALPHA}")


def main():
    d = sc.work_dir("sample_stats")
    g2 = d + "/gpt2"
    cfg, W = sc.gpt2_model(g2, seed=11)
    V = cfg["vocab_size"]
    prompt = list(b"The answer is")
    ref = sc.reference_logits(cfg, W, prompt)
    settings = [(1.0, 50, 1.0, 0.0), (0.7, 0, 0.9, 0.0), (1.5, 20, 0.8, 0.0), (1.0, 0, 1.0, 0.05),
                (1.3, 40, 0.95, 0.02)]
    for i, (T, k, p, mp) in enumerate(settings):
        spec = {"prompts": [prompt], "keys": ["q"], "n": N, "max_new": 1, "temperature": T,
                "top_k": k, "top_p": p, "min_p": mp, "seed": 100 + i, "eos": []}
        rows, _ = sc.run_driver(g2, spec, f"first{i}")
        if len(rows) != N:
            sc.fail(f"first{i}: {len(rows)} results for n={N}")
        check(f"first token T={T} k={k} p={p} min_p={mp}", counts_first(rows, V),
              sc.probs_of(sc.hf_warp(ref.astype(np.float32), T, k, p, mp)))

    # Ties across the top-p and top-k cuts, bit-exact logits.
    bias = np.full(64, -3.0, dtype=np.float32)
    bias[:40] += np.linspace(-1, 0, 40, dtype=np.float32)
    bias[50], bias[51], bias[52] = 2.0, 1.5, 1.25
    bias[[41, 43, 44, 47, 48, 60]] = 0.5          # six tied logits
    bm = d + "/bias"
    bcfg = sc.bias_model(bm, [float(x) for x in bias])
    p_sorted = np.sort(sc.probs_of(bias))
    tie_p = float(sc.probs_of(bias)[41])
    below = p_sorted[p_sorted < tie_p - 1e-12].sum()
    # 1 - top_p lands halfway into the third tied token: two tied ids dropped, four kept.
    top_p_tie = 1.0 - (below + 2.5 * tie_p)
    tie_settings = [(1.0, 0, top_p_tie), (1.0, 5, 1.0), (1.0, 6, top_p_tie), (0.9, 0, 0.6)]
    for i, (T, k, p) in enumerate(tie_settings):
        spec = {"prompts": [[1, 2, 3]], "keys": ["tie"], "n": N, "max_new": 1, "temperature": T,
                "top_k": k, "top_p": p, "seed": 7 + i, "eos": []}
        rows, _ = sc.run_driver(bm, spec, f"tie{i}")
        want = sc.probs_of(sc.hf_warp(bias, T, k, p))
        if i == 0 and (want[[41, 43]].any() or not want[[44, 47, 48, 60]].all()):
            sc.fail("tie case: the crafted top-p cut does not split the tie as intended")
        check(f"ties T={T} k={k} p={p:.6f}", counts_first(rows, bcfg["vocab_size"]), want)

    # Second token, conditioned on the first: the forked decode path.
    T, k, p = 1.0, 50, 0.9
    spec = {"prompts": [prompt], "keys": ["q2"], "n": N, "max_new": 2, "temperature": T,
            "top_k": k, "top_p": p, "seed": 42, "eos": [], "batch": 256}
    rows, _ = sc.run_driver(g2, spec, "second")
    first = counts_first(rows, V)
    check("step 1 of 2-token samples", first, sc.probs_of(sc.hf_warp(ref.astype(np.float32), T, k, p)))
    for t0 in np.argsort(-first)[:2]:
        t0 = int(t0)
        c = np.zeros(V)
        for _, _, _, toks in rows:
            if toks[0] == t0:
                c[toks[1]] += 1
        ref2 = sc.reference_logits(cfg, W, prompt + [t0])
        check(f"step 2 given first token {t0}", c, sc.probs_of(sc.hf_warp(ref2.astype(np.float32), T, k, p)))

    # Adaptive temperature: the bias model's max probability is known exactly.
    pmax = float(sc.probs_of(bias).max())
    for conf, c_val in (("maxprob", pmax),
                        ("entropy", 1 + float((sc.probs_of(bias) * np.log(sc.probs_of(bias))).sum()) / np.log(64))):
        for thr, hot in ((c_val - 0.01, False), (c_val + 0.01, True)):
            spec = {"prompts": [[1, 2, 3]], "keys": ["ad"], "n": N // 5, "max_new": 1,
                    "temperature": 1.0, "top_k": 0, "top_p": 1.0, "seed": 3, "eos": [],
                    "adaptive": True, "confidence": conf, "threshold": thr, "low_temperature": 0}
            rows, _ = sc.run_driver(bm, spec, f"adaptive_{conf}_{hot}")
            c = counts_first(rows, 64)
            if not hot:
                if c[50] != len(rows):
                    sc.fail(f"adaptive {conf}: confidence {c_val:.4f} >= {thr:.4f} but not all argmax")
                print(f"adaptive {conf}: c={c_val:.4f} >= threshold: all {len(rows)} draws argmax")
            else:
                check(f"adaptive {conf}: c={c_val:.4f} < threshold", c, sc.probs_of(bias))
    print("OK")


if __name__ == "__main__":
    main()
