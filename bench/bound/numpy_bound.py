#!/usr/bin/python3
"""The peer for bench/bound: the numpy/scipy reference of tests/oracle/stats_ref.py (whose conbo
functions follow conbo 0.1's own numpy code) computing the same per-prompt fields as
`leakbound bound`, from the same JSONL input.

usage: numpy_bound.py IN.jsonl OUT.json METHOD ALPHA THRESHOLD...
Prints the seconds spent (reading + bounds) on stdout."""
import json
import math
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "oracle"))
import stats_ref as ref  # noqa: E402


def prompt(x, a, method, ths):
    n = len(x)
    e1 = ref.eps_one_sided(n, a)
    if method == "conbo":
        _, mlo, mhi = ref.conbo_expectation(x, 2 * a)
        sig = ref.conbo_std(x, a)[2]
    else:
        mhi, mlo = ref.anderson_upper(x, e1), ref.anderson_lower(x, e1)
        sig = ref.sigma_exact(x, a)
    c = int(np.sum(x >= 1.0))
    d = {"n": n, "mean": float(x.mean()), "std": float(x.std()), "max": float(x.max()),
         "M_mu": mhi, "M_mu_lower": mlo, "M_sigma": sig, "ED": mhi + 2 * sig,
         "M_gen": {f"{t:g}": ref.dkw_tail(x, e1, t) for t in ths}}
    if np.all((x == 0) | (x == 1)):
        d["M_bin"] = ref.cp_upper(int(x.sum()), n, a)
    d["P_ge"] = {f"{t:g}": ref.cp_upper(int(np.sum(x >= t)), n, a) for t in ths}
    d["queries"] = ref.queries(ref.cp_upper(c, n, a), 1)
    d["leak_at"] = c / n
    return d


def main():
    src, dst, method, a = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    ths = [float(t) for t in sys.argv[5:]]
    t0 = time.perf_counter()
    groups = {}
    with open(src, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                o = json.loads(line)
                vals = o["scores"] if "scores" in o else [o["score"]]
                groups.setdefault(json.dumps(o["id"]), []).extend(vals)
    out = []
    for key, vals in groups.items():
        d = {"id": json.loads(key)}
        d.update(prompt(np.asarray(vals, dtype=float), a, method, ths))
        out.append(d)
    secs = time.perf_counter() - t0
    with open(dst, "w", encoding="utf-8") as f:
        json.dump({"prompts": out}, f)
    print(f"{secs:.3f}")


if __name__ == "__main__":
    main()
