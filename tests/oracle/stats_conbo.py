#!/usr/bin/python3
"""conbo 0.1 parity (docs/bounds.md, '--method conbo'): leakbound's grid expectation and std bounds, and the
`--method conbo` prompt bounds built on them, against the numpy re-implementation in
stats_ref.py on >= 1,000 random inputs (n from 1 to 4,096; ties, all zeros, all ones, point
masses, values exactly on and next to grid points). Tolerance 1e-9 absolute.

Square roots of values near 0 (the sample std of a point mass, a lower variance bound that is
barely positive) amplify 1e-17 rounding differences to ~1e-9; there the variances are compared
instead of their roots."""
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stats_ref as ref  # noqa: E402

GRID = np.linspace(0, 1, 100)


def make_inputs(rng, count):
    out = []
    kinds = ["uniform", "rounded", "fraction", "zeros", "ones", "point", "gridpoint", "binary",
             "mixture", "ongrid", "neargrid", "beta"]
    for i in range(count):
        kind = kinds[i % len(kinds)]
        if i < 24:  # the extremes of n first
            n = [1, 2, 3, 4096][i % 4]
        else:
            n = int(round(math.exp(rng.uniform(0, math.log(4096)))))
        if kind == "uniform":
            x = rng.random(n)
        elif kind == "rounded":
            x = np.round(rng.random(n), int(rng.integers(1, 3)))
        elif kind == "fraction":  # ROUGE-recall-like k/m values, many ties
            m = int(rng.integers(1, 40))
            x = rng.integers(0, m + 1, n) / m
        elif kind == "zeros":
            x = np.zeros(n)
        elif kind == "ones":
            x = np.ones(n)
        elif kind == "point":
            x = np.full(n, rng.random())
        elif kind == "gridpoint":
            x = np.full(n, GRID[int(rng.integers(0, 100))])
        elif kind == "binary":
            x = (rng.random(n) < rng.random()).astype(float)
        elif kind == "mixture":
            x = np.where(rng.random(n) < 0.6, 0.0, rng.random(n))
        elif kind == "ongrid":
            x = GRID[rng.integers(0, 100, n)]
        elif kind == "neargrid":
            g = GRID[rng.integers(0, 100, n)]
            x = np.clip(np.where(rng.random(n) < 0.5, np.nextafter(g, 0), np.nextafter(g, 1)), 0, 1)
        else:
            x = rng.beta(2, 5, n)
        out.append((kind, x.astype(float)))
    return out


def sqrt_or_square(chk, name, got, want_var, ctx):
    if want_var > 1e-6:
        chk.check(name, got, math.sqrt(want_var), ctx)
    else:
        chk.check(name + " (as variance)", got * got, want_var, ctx)


def main():
    rng = np.random.default_rng(12345)
    count = 600 if os.environ.get("LB_SANITIZED") else 1200
    inputs = make_inputs(rng, count)
    alphas = [0.001, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5]
    chk = ref.Checker(1e-9)

    reqs, meta = [], []
    for i, (kind, x) in enumerate(inputs):
        a = alphas[i % len(alphas)]
        reqs.append(f"sample {a!r} {ref.fmt_sample(x)}")
        meta.append(("sample", kind, x, a, 100))
        reqs.append(f"prompt 1 {a!r} 2 1 1 1 0 {ref.fmt_sample(x)}")
        meta.append(("prompt", kind, x, a, 100))
        if i % 10 == 0:  # other grid sizes: conbo keeps the mean bounds on the default grid
            s = int(rng.integers(2, 400))
            reqs.append(f"grid {a!r} {s} {ref.fmt_sample(x)}")
            meta.append(("grid", kind, x, a, s))
    got = ref.run_driver(reqs)

    sizes = []
    for (op, kind, x, a, s), g in zip(meta, got):
        ctx = f"{kind} n={len(x)} alpha={a} stepsize={s}"
        sizes.append(len(x))
        if op in ("sample", "grid"):
            mean, lo, hi = ref.conbo_expectation(x, a, s)
            var, vlo, vhi = ref.conbo_variance(x, a, s)
            if op == "sample":
                g = g[5:]
            chk.check("expectation mean", g[0], mean, ctx)
            chk.check("expectation lower", g[1], lo, ctx)
            chk.check("expectation upper", g[2], hi, ctx)
            sqrt_or_square(chk, "std estimate", g[3], var, ctx)
            sqrt_or_square(chk, "std lower", g[4], vlo, ctx)
            chk.check("std upper", g[5], math.sqrt(vhi) if vhi >= 0 else float("nan"), ctx)
        else:
            _, mlo, mhi = ref.conbo_expectation(x, 2 * a)
            sd_hi = ref.conbo_std(x, a)[2]
            chk.check("conbo M_mu", g[4], mhi, ctx)
            chk.check("conbo M_mu_lower", g[5], mlo, ctx)
            chk.check("conbo M_sigma", g[6], sd_hi, ctx)
            chk.check("conbo ED (lambda 2)", g[7], mhi + 2 * sd_hi, ctx)
    print(f"inputs: {len(inputs)}, n from {min(sizes)} to {max(sizes)}")
    chk.report("conbo parity")


if __name__ == "__main__":
    main()
