#!/usr/bin/python3
"""Oracle for src/sample/warp.c: Hugging Face's TemperatureLogitsWarper, TopKLogitsWarper and
TopPLogitsWarper, transcribed line by line in torch (transformers/generation/logits_process.py),
applied in generate's order, against tests/sample/driver_warp.c.

Two documented choices of ours are mirrored here: torch.sort(stable=True) (HF leaves the order of
tied logits to torch's unstable sort) and top-p's softmax/cumsum in float64. Cases are built to hit
ties at the top-k and top-p boundaries; the multinomial pick is checked against the inverse CDF.
"""
import json
import math
import os
import subprocess
import sys

import numpy as np
import torch

DRIVER = os.path.join(os.environ["LB_DRIVERS"], "driver_warp")
rng = np.random.default_rng(7)


def hf_warp(scores, temperature, top_k, top_p):
    scores = torch.tensor(scores, dtype=torch.float32)
    if temperature != 1.0:
        scores = scores / temperature
    if top_k != 0:
        top_k = min(max(top_k, 1), scores.size(-1))
        indices_to_remove = scores < torch.topk(scores, top_k)[0][..., -1, None]
        scores = scores.masked_fill(indices_to_remove, -float("inf"))
    if top_p < 1.0:
        sorted_logits, sorted_indices = torch.sort(scores.double(), descending=False, stable=True)
        cumulative_probs = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
        sorted_indices_to_remove = cumulative_probs <= (1 - top_p)
        sorted_indices_to_remove[..., -1:] = 0
        indices_to_remove = sorted_indices_to_remove.scatter(0, sorted_indices, sorted_indices_to_remove)
        scores = scores.masked_fill(indices_to_remove, -float("inf"))
    return scores.numpy()


def inverse_cdf(warped, u):
    ok = np.isfinite(warped)
    p = np.where(ok, np.exp(warped.astype(np.float64) - warped[ok].max()), 0.0)
    c = np.cumsum(p)
    return int(np.searchsorted(c, u * c[-1], side="right"))


def cases():
    out = []
    # Exact ties at the boundaries (dyadic probabilities: sums are exact in both implementations).
    out.append(([0, 0, 0, 0], 1.0, 0, 0.5))         # cum .25 .5 .75 1: two lowest ids dropped
    out.append(([0, 0, 0, 0], 1.0, 0, 0.75))        # cum .25 <= .25 dropped
    out.append(([1, 3, 3, 2], 1.0, 2, 1.0))         # top-k ties: both 3s
    out.append(([1, 3, 3, 2], 1.0, 1, 1.0))         # k=1 still keeps both 3s (>= k-th)
    out.append(([5, 5, 5, 1, 5], 1.0, 3, 1.0))      # 4 tied at the k-th value: all kept
    out.append(([2, 2, 2, 2, 2, 2, 2, 2], 1.0, 0, 0.3))
    out.append(([0, None, 0, None], 1.0, 0, 0.5))   # -inf inputs
    out.append(([7.0], 1.0, 50, 0.9))               # V = 1
    out.append(([1, 2, 3], 1.0, 0, 1e-9))           # tiny p: only the top survives
    out.append(([3, 3, 1], 1.0, 0, 1e-9))           # ...and among tied tops the higher id
    # Random, with many ties (logits on a 0.25 grid) and the usual settings.
    for V in (2, 5, 17, 50, 64, 1000, 5000):
        for _ in range(12):
            l = np.round(rng.standard_normal(V) * 3 * 4) / 4
            if rng.random() < 0.2:
                l[rng.random(V) < 0.1] = -np.inf
                l[0] = 0.0
            T = float(rng.choice([1.0, 0.7, 1.3, 2.0, 0.5]))
            k = int(rng.choice([0, 1, 2, 10, 50, V, V + 3]))
            p = float(rng.choice([1.0, 0.95, 0.9, 0.5, 0.1, 0.999]))
            out.append(([None if math.isinf(x) else float(x) for x in l], T, k, p))
    # Large vocabularies (the one-pass top-k refills its candidate buffer many times): rising
    # logits (the bar rises at every refill), all equal (copies of the bar are kept), a few
    # values repeated, and a GPT-2-sized row.
    out.append(([float(i) / 8 for i in range(6000)], 1.0, 50, 1.0))
    out.append(([1.5] * 6000, 1.0, 10, 1.0))
    out.append(([float(x) for x in rng.integers(0, 4, 6000)], 1.0, 300, 1.0))
    out.append(([float(x) for x in np.round(rng.standard_normal(50257) * 16) / 4], 1.0, 50, 0.9))
    # Continuous logits (no ties), the reference settings T=1, top_k 50, top_p 0.9.
    for _ in range(30):
        out.append(([float(x) for x in rng.standard_normal(2000) * 4], 1.0, 50, 0.9))
    return out


def main():
    cs = cases()
    us = rng.random(len(cs))
    lines = []
    for (l, T, k, p), u in zip(cs, us):
        lines.append(json.dumps({"logits": l, "temperature": T, "top_k": k, "top_p": p, "u": float(u)}))
    proc = subprocess.run([DRIVER], input="\n".join(lines) + "\n", capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"driver_warp failed: {proc.stderr}")
    got = [json.loads(x) for x in proc.stdout.splitlines()]
    if len(got) != len(cs):
        sys.exit(f"{len(got)} results for {len(cs)} cases")
    bad = 0
    for i, ((l, T, k, p), u, g) in enumerate(zip(cs, us, got)):
        inp = np.array([-np.inf if x is None else x for x in l], dtype=np.float32)
        want = hf_warp(inp, T, k, p)
        have = np.array([-np.inf if x is None else x for x in g["logits"]], dtype=np.float32)
        kept = int(np.isfinite(want).sum())
        amax = int(np.argmax(inp))
        pick = inverse_cdf(want, u)
        same = np.array_equal(np.isfinite(want), np.isfinite(have)) and np.array_equal(
            want[np.isfinite(want)], have[np.isfinite(have)])
        # lb_sample_warp_kept: the kept ids ascending; lb_sample_pick_list over them: the same pick
        listed = g["kept_ids"] == [int(x) for x in np.flatnonzero(np.isfinite(want))]
        if not same or g["kept"] != kept or g["argmax"] != amax or g["pick"] != pick or \
                not listed or g["pick_list"] != pick:
            bad += 1
            if bad <= 5:
                print(f"case {i} (V={len(l)} T={T} k={k} p={p}): kept {g['kept']} want {kept}; "
                      f"argmax {g['argmax']} want {amax}; pick {g['pick']} / {g['pick_list']} want {pick}; "
                      f"kept ids listed right: {listed}; "
                      f"masks equal: {np.array_equal(np.isfinite(want), np.isfinite(have))}",
                      file=sys.stderr)
    if bad:
        sys.exit(f"{bad} of {len(cs)} cases differ")
    print(f"sample_warp: {len(cs)} cases match")


if __name__ == "__main__":
    main()
