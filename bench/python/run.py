#!/usr/bin/python3
"""leakbound.bounds on a 10,000 x 1,024 numpy array against conbo 0.1 in numpy, in one run.

usage: /usr/bin/python3 bench/python/run.py [--rows R] [--samples N] [--lib PATH] [--no-update]

Peers (tests/oracle/conbo_numpy.py: conbo's own algorithm, one pass over the data per grid
point, vectorised over rows as conbo is on a 2-D array):
  - conbo vectorised: expectation_bounds(X, 2a) and std_bounds(X, a) on the whole array (the
    numbers of `--method conbo`);
  - conbo per row: expectation_bounds(x, 2a) called once per row, as notebooks do today.
leakbound: bounds(X) (exact method: every field of `leakbound bound`, one call into C), bounds
(X, method="conbo"), leakbound.conbo's expectation/std_bounds, and bounds(X, threads=1).
Wall and CPU seconds (the machine is shared), best of the repeats; numbers are compared in
the same run. Writes the "python" section of bench/RESULTS.md unless --no-update."""
import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "tests", "oracle"))


def timed(fn, repeat):
    best_w, best_c, out = float("inf"), float("inf"), None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        best_w = min(best_w, time.perf_counter() - w)
        best_c = min(best_c, time.process_time() - c)
    return best_w, best_c, out


def data(rows, n, seed=11):
    """ROUGE-recall-like scores: k/20 with 40% zeros, per-row leak rates."""
    rng = np.random.default_rng(seed)
    p = rng.beta(1, 3, (rows, 1))
    x = rng.binomial(20, p, (rows, n)) / 20
    x[rng.random((rows, n)) < 0.4] = 0.0
    return x


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--samples", type=int, default=1_024)
    ap.add_argument("--lib", help="libleakbound.so (default: LEAKBOUND_LIB, else build/)")
    ap.add_argument("--no-update", action="store_true")
    a = ap.parse_args()
    if a.lib:
        os.environ["LEAKBOUND_LIB"] = a.lib
    import leakbound
    import conbo_numpy as conbo_np

    alpha = 0.01
    X = data(a.rows, a.samples)
    runs = []

    def add(name, fn, repeat):
        w, c, out = timed(fn, repeat)
        runs.append((name, w, c))
        print(f"{name:58s} wall {w:8.3f} s  CPU {c:8.3f} s", flush=True)
        return w, out

    w_lb, lb = add("leakbound.bounds(X) (exact, every field)", lambda: leakbound.bounds(X), 3)
    w_lb1, _ = add("leakbound.bounds(X, threads=1)", lambda: leakbound.bounds(X, threads=1), 3)
    w_lbc, lbc = add("leakbound.bounds(X, method=\"conbo\")",
                     lambda: leakbound.bounds(X, method="conbo"), 3)
    w_dc, dc = add("leakbound.conbo: expectation_bounds(X, 2a) + std_bounds(X, a)",
                   lambda: (leakbound.conbo.expectation_bounds(X, 2 * alpha),
                            leakbound.conbo.std_bounds(X, alpha)), 3)
    w_np, npc = add("conbo in numpy, vectorised: expectation(X, 2a) + std(X, a)",
                    lambda: (conbo_np.expectation_bounds(X, 2 * alpha),
                             conbo_np.std_bounds(X, alpha)), 2)
    w_npe, npe = add("conbo in numpy, vectorised: expectation_bounds(X, 2a) only",
                     lambda: conbo_np.expectation_bounds(X, 2 * alpha), 2)
    w_row, rowe = add("conbo in numpy, per row: expectation_bounds(x, 2a) x rows",
                      lambda: [conbo_np.expectation_bounds(x, 2 * alpha) for x in X], 1)
    w_lbe, lbe = add("leakbound.conbo.expectation_bounds(X, 2a)",
                     lambda: leakbound.conbo.expectation_bounds(X, 2 * alpha), 3)

    # the same numbers: leakbound's conbo mode against conbo in numpy
    mu_np, sd_np = npc[0][2], npc[1][2]
    d_mu = max(abs(p["M_mu"] - q) for p, q in zip(lbc, mu_np))
    d_sd = max(abs((p["M_sigma"] if p["M_sigma"] is not None else np.nan) - q)
               for p, q in zip(lbc, sd_np) if not np.isnan(q))
    d_row = max(abs(float(r[2]) - float(q)) for r, q in zip(rowe, lbe[2]))
    d_dc = float(np.max(np.abs(dc[0][2] - mu_np)))
    print(f"max |M_mu - numpy| {d_mu:.3g}, |M_sigma - numpy| {d_sd:.3g}, per-row {d_row:.3g}")

    load = os.getloadavg()[0]
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    c_np = next(c for name, _, c in runs if name.startswith("conbo in numpy, vectorised: expectation(X"))
    c_row = next(c for name, _, c in runs if name.startswith("conbo in numpy, per row"))
    cpu_of = {name: c for name, _, c in runs}
    c_npe = cpu_of["conbo in numpy, vectorised: expectation_bounds(X, 2a) only"]
    c_lbe = cpu_of["leakbound.conbo.expectation_bounds(X, 2a)"]
    c_dc = cpu_of["leakbound.conbo: expectation_bounds(X, 2a) + std_bounds(X, a)"]
    rows = "\n".join(f"| {name} | {w:.3f} | {c:.3f} | {w_np / w:.1f}× / {c_np / c:.1f}× | "
                     f"{w_row / w:.1f}× / {c_row / c:.1f}× |" for name, w, c in runs)
    md = f"""## Python: `leakbound.bounds` on a {a.rows:,} × {a.samples:,} array vs conbo 0.1 in numpy (`bench/python/`)

Command: `/usr/bin/python3 bench/python/run.py` (rows {a.rows:,}, samples {a.samples:,}; {platform.machine()}, {os.cpu_count()} cores, {cpu}; numpy {np.__version__}; 1-minute load average {load:.1f} at the end: the machine is shared, so CPU seconds are the steadier measure). Input: ROUGE-recall-like scores k/20 with 40% zeros, seed 11. conbo is not installable here (no PyPI); its peer is `tests/oracle/conbo_numpy.py`, conbo 0.1's algorithm in numpy (one pass over the array per grid point, vectorised over rows as conbo is on a 2-D array). Best of 3 (numpy vectorised: 2, per row: 1).

| run | wall s | CPU s | conbo vectorised ÷ this (wall / CPU) | conbo per row ÷ this (wall / CPU) |
|---|---:|---:|---:|---:|
{rows}

leakbound.bounds computes every field of `leakbound bound` per row (exact Anderson M_mu / M_mu_lower, the M_sigma valid with mass at 0, M_gen and P_ge at 0.5 with Clopper-Pearson, queries, leak@k) and builds one dict per row; the conbo peers compute only the expectation (and std) bounds. Same numbers: `bounds(X, method="conbo")` against conbo in numpy, max |ΔM_mu| = {d_mu:.2g}, max |ΔM_sigma| = {d_sd:.2g}; leakbound.conbo.expectation_bounds against conbo per row, max |Δ| = {d_row:.2g}, against vectorised {d_dc:.2g} (numpy sums the grid pairwise, C in order). Like for like (CPU): conbo's expectation_bounds on the 2-D array {c_npe / c_lbe:.1f}× (numpy ÷ leakbound.conbo), called per row {c_row / c_lbe:.1f}×; expectation + std {c_np / c_dc:.1f}×. Default threads: one per 2^16 scores, at most the CPUs (2 here); `threads=1` is the single-core figure (numpy is single-threaded here).
"""
    print(md)
    if not a.no_update:
        with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False) as f:
            f.write(md)
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "update_results.py"),
                        "python", f.name], check=True)
        os.unlink(f.name)


if __name__ == "__main__":
    main()
