#!/usr/bin/python3
"""Clopper-Pearson upper bound (docs/bounds.md) against scipy's beta.ppf and statsmodels'
proportion_confint(method="beta") over a grid of n in 1..5000, k and alpha: <= 1e-10 abs.

statsmodels' interval is two-sided, so its upper end at 2*alpha is the one-sided bound at
alpha. Also checks the reference values listed in docs/bounds.md (7 digits)."""
import os
import random
import sys

import numpy as np
from scipy.stats import beta as beta_dist
from statsmodels.stats.proportion import proportion_confint

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stats_ref as ref  # noqa: E402


def grid():
    rng = random.Random(20260101)
    ns = sorted(set([1, 2, 3, 4, 5, 7, 10, 16, 32, 64, 100, 128, 255, 256, 500, 512, 1000, 1024,
                     2000, 2048, 3000, 4096, 4999, 5000] + [rng.randint(1, 5000) for _ in range(40)]))
    alphas = [1e-4, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5]
    cases = []
    for n in ns:
        ks = {0, 1, 2, n // 10, n // 4, n // 2, n - 2, n - 1, n} | {rng.randint(0, n) for _ in range(6)}
        for k in sorted(k for k in ks if 0 <= k <= n):
            for a in alphas:
                cases.append((k, n, a))
    return cases


def main():
    cases = grid()
    got = ref.run_driver([f"cp {k} {n} {a!r}" for k, n, a in cases])
    chk = ref.Checker(1e-10)
    for (k, n, a), (v,) in zip(cases, got):
        want_scipy = 1.0 if k == n else float(beta_dist.ppf(1 - a, k + 1, n - k))
        want_sm = float(proportion_confint(k, n, alpha=2 * a, method="beta")[1])
        if k == n:
            want_sm = 1.0 if np.isnan(want_sm) else want_sm
        ctx = f"k={k} n={n} alpha={a}"
        chk.check("cp vs scipy beta.ppf", v, want_scipy, ctx)
        chk.check("cp vs statsmodels", v, want_sm, ctx)

    # Reference values (docs/bounds.md), alpha = 0.01, n = 128 (printed to 7 significant digits).
    spec = {0: 0.0353384, 1: 0.0507345, 2: 0.0640496, 5: 0.0992053, 10: 0.1511927,
            64: 0.6053237, 127: 0.9999215}
    got = ref.run_driver([f"cp {k} 128 0.01" for k in spec])
    spec_chk = ref.Checker(5e-8)
    for (k, want), (v,) in zip(spec.items(), got):
        spec_chk.check("reference value", v, want, f"S={k}")
    # S = 0 has the closed form 1 - alpha^(1/n).
    for n in (1, 7, 128, 5000):
        (v,), = ref.run_driver([f"cp 0 {n} 0.01"])
        chk.check("S=0 closed form", v, 1 - 0.01 ** (1 / n), f"n={n}")
    spec_chk.report("reference values")
    chk.report(f"Clopper-Pearson on {len(cases)} (k, n, alpha) cases")


if __name__ == "__main__":
    main()
