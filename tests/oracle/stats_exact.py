#!/usr/bin/python3
"""leakbound's default-mode bounds against independent numpy/fractions code (stats_ref.py):
exact Anderson upper/lower bounds on E[X], the corrected M_sigma, the DKW tail bound and curve,
the per-prompt aggregate (exact mode), sorting, leak@k against exact rational arithmetic
(math.comb) and the several-queries bound. Tolerance 1e-10 absolute (leak@k: 1e-12)."""
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stats_ref as ref  # noqa: E402


def samples(rng, count):
    out = []
    for i in range(count):
        n = [1, 2, 5, 4096][i] if i < 4 else int(round(math.exp(rng.uniform(0, math.log(4096)))))
        k = i % 7
        if k == 0:
            x = rng.random(n)
        elif k == 1:
            x = np.where(rng.random(n) < 0.6, 0.0, rng.random(n))
        elif k == 2:
            x = (rng.random(n) < rng.random()).astype(float)
        elif k == 3:
            x = np.full(n, rng.choice([0.0, 1.0, 0.3, rng.random()]))
        elif k == 4:
            x = rng.integers(0, 11, n) / 10
        elif k == 5:
            x = rng.beta(2, 5, n)
        else:
            x = np.where(rng.random(n) < 0.5, 1.0, rng.random(n) ** 4)
        out.append(x)
    return out


def main():
    rng = np.random.default_rng(777)
    count = 300 if os.environ.get("LB_SANITIZED") else 700
    xs_list = samples(rng, count)
    alphas = [0.001, 0.01, 0.05, 0.1, 0.25, 0.5]
    ths = [0.0, 0.1, 0.3, 0.5, 0.9, 1.0]
    chk = ref.Checker(1e-10)

    reqs, meta = [], []
    for i, x in enumerate(xs_list):
        a = alphas[i % len(alphas)]
        reqs.append(f"sample {a!r} {ref.fmt_sample(x)}")
        meta.append(("sample", x, a, None))
        t = ths[i % len(ths)] if i % 3 else float(x[rng.integers(0, len(x))])
        e = ref.eps_one_sided(len(x), a)
        reqs.append(f"tail {e!r} {t!r} {ref.fmt_sample(x)}")
        meta.append(("tail", x, a, t))
        e2 = ref.eps_two_sided(len(x), a)
        reqs.append(f"shift {e2!r} {ref.fmt_sample(x)}")
        meta.append(("shift", x, a, e2))
        if i % 5 == 0:
            reqs.append(f"curve {e!r} {ref.fmt_sample(x)}")
            meta.append(("curve", x, a, e))
            reqs.append(f"sort {ref.fmt_sample(x)}")
            meta.append(("sort", x, a, None))
        lt = [1.0, 0.5, 0.3][i % 3]
        qk, lk = 1 + i % 9, 1 + (i * 7) % 20
        reqs.append(f"prompt 0 {a!r} 1.5 {qk} {lk} {lt!r} 3 0.1 0.5 0.9 {ref.fmt_sample(x)}")
        meta.append(("prompt", x, a, (lt, qk, lk)))
    got = ref.run_driver(reqs)

    for (op, x, a, extra), g in zip(meta, got):
        n = len(x)
        ctx = f"{op} n={n} alpha={a}"
        e1, e2 = ref.eps_one_sided(n, a), ref.eps_two_sided(n, a)
        if op == "sample":
            chk.check("eps1", g[0], e1, ctx)
            chk.check("eps2", g[1], e2, ctx)
            chk.check("anderson upper", g[2], ref.anderson_upper(x, e1), ctx)
            chk.check("anderson lower", g[3], ref.anderson_lower(x, e1), ctx)
            chk.check("sigma upper (exact)", g[4], ref.sigma_exact(x, a), ctx)
            # The bounds must bracket the sample statistics' plug-in values.
            chk.check("upper >= sample mean", float(g[2] >= x.mean() - 1e-12), 1.0, ctx)
            chk.check("lower <= sample mean", float(g[3] <= x.mean() + 1e-12), 1.0, ctx)
        elif op == "tail":
            chk.check("dkw tail", g[0], ref.dkw_tail(x, e1, extra), ctx + f" t={extra}")
            chk.check("count >= t", g[1], float(np.sum(x >= extra)), ctx)
        elif op == "shift":
            # The value at the reported minimiser is U there, and no c does better (U is
            # convex; a bounded scalar minimisation and a 257-point grid must not go lower).
            chk.check("shift var U(c*)", g[0], ref.shift_var_at(x, extra, g[1]), ctx)
            chk.check("shift var = min_c U", g[0], ref.shift_var_min(x, extra), ctx)
            grid_min = min(ref.shift_var_at(x, extra, c) for c in np.linspace(0, 1, 257))
            chk.check("shift var <= grid min", float(g[0] <= grid_min + 1e-12), 1.0, ctx)
        elif op == "curve":
            u = np.unique(x)
            m = int(g[0])
            chk.check("curve size", m, len(u), ctx)
            if m == len(u):
                for j, v in enumerate(u):
                    chk.check("curve x", g[1 + j], float(v), ctx)
                    chk.check("curve y", g[1 + m + j], ref.dkw_tail(x, extra, v), ctx)
        elif op == "sort":
            s = np.sort(x)
            chk.check("sort", float(np.array_equal(np.array(g), s)), 1.0, ctx)
        else:
            lt, qk, lk = extra
            c = int(np.sum(x >= lt))
            binary = bool(np.all((x == 0) | (x == 1)))
            mu_hi, mu_lo = ref.anderson_upper(x, e1), ref.anderson_lower(x, e1)
            sig = ref.sigma_exact(x, a)
            want = [n, x.mean(), x.std(), x.max(), mu_hi, mu_lo, sig, mu_hi + 1.5 * sig,
                    float(binary), ref.cp_upper(int(x.sum()), n, a) if binary else float("nan"),
                    c, ref.queries(ref.cp_upper(c, n, a), qk),
                    float(ref.leak_at_k_exact(n, c, lk))]
            want += [ref.dkw_tail(x, e1, t) for t in (0.1, 0.5, 0.9)]
            want += [ref.cp_upper(int(np.sum(x >= t)), n, a) for t in (0.1, 0.5, 0.9)]
            names = ["n", "mean", "std", "max", "M_mu", "M_mu_lower", "M_sigma", "ED", "binary",
                     "M_bin", "n_leaking", "queries", "leak_at", "M_gen@0.1", "M_gen@0.5",
                     "M_gen@0.9", "P_ge@0.1", "P_ge@0.5", "P_ge@0.9"]
            for nm, gv, wv in zip(names, g, want):
                chk.check("prompt " + nm, gv, float(wv), ctx)

    # leak@k against exact fractions, including n - c < k and large k.
    lk = []
    for n in (1, 2, 10, 128, 1000, 4096):
        for c in sorted({0, 1, n // 3, n // 2, n - 1, n}):
            for k in sorted({1, 2, 5, 10, 100, n // 2, n, n + 1}):
                if k >= 1 and 0 <= c <= n:
                    lk.append((n, c, k))
    got = ref.run_driver([f"leak {n} {c} {k}" for n, c, k in lk])
    lchk = ref.Checker(1e-12)
    for (n, c, k), (v,) in zip(lk, got):
        lchk.check("leak@k vs math.comb", v, float(ref.leak_at_k_exact(n, c, k)), f"n={n} c={c} k={k}")
    q = [(m, k) for m in (0.0, 1e-6, 0.01, 0.0353, 0.5, 0.99, 1.0) for k in (1, 2, 10, 128, 10000)]
    got = ref.run_driver([f"queries {m!r} {k}" for m, k in q])
    for (m, k), (v,) in zip(q, got):
        want = float(1 - (1 - __import__("fractions").Fraction(m)) ** k) if k <= 128 else \
            -math.expm1(k * math.log1p(-m)) if m < 1 else 1.0
        lchk.check("queries 1-(1-m)^k", v, want, f"m={m} k={k}")
    lchk.report("leak@k and queries")
    chk.report(f"exact-mode bounds on {len(xs_list)} samples")


if __name__ == "__main__":
    main()
