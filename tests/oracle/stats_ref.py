"""Independent numpy/scipy reference for leakbound's stats module (docs/bounds.md).

Written from docs/bounds.md and from reading conbo 0.1's source (bounds on the expectation and the
variance through a DKW band on a 100-point grid). Nothing here calls leakbound: the oracle
scripts compare the C results with these functions.
"""
import math
from fractions import Fraction

import numpy as np
from scipy.stats import beta as beta_dist


def eps_one_sided(n, alpha):
    return math.sqrt(math.log(1.0 / alpha) / (2.0 * n))


def eps_two_sided(n, alpha):
    return math.sqrt(math.log(2.0 / alpha) / (2.0 * n))


# ---- Clopper-Pearson ------------------------------------------------------------------------

def cp_upper(k, n, alpha):
    """One-sided (1-alpha) upper bound on p from k successes out of n."""
    if k >= n:
        return 1.0
    return float(beta_dist.ppf(1.0 - alpha, k + 1, n - k))


# ---- conbo 0.1 (grid version) ---------------------------------------------------------------

def _conbo_cdf(x, T, alpha):
    n = len(x)
    eps = np.sqrt(np.log(2 / alpha) / (2 * n))
    cdf = np.array([(x <= t).mean() for t in T])
    return cdf, np.maximum(cdf - eps, 0), np.minimum(cdf + eps, 1), eps


def conbo_expectation(x, alpha, stepsize=100):
    """(sample mean, lower, upper) as conbo.expectation_bounds computes them."""
    x = np.asarray(x, dtype=float)
    T = np.linspace(0, 1, stepsize)
    _, lo, hi, _ = _conbo_cdf(x, T, alpha)
    h = np.diff(T)
    return x.mean(), 1 - (hi[1:] * h).sum(), 1 - (lo[:-1] * h).sum()


def conbo_variance(x, alpha, stepsize=100):
    """(sample variance, lower, upper) as conbo.variance_bounds computes them.

    Quirks kept on purpose: the expectation bounds use the default grid whatever stepsize is,
    the same alpha (not 2 alpha), the bracket (cdf +- eps) is not clipped, and only the lower
    bound is floored at 0."""
    x = np.asarray(x, dtype=float)
    _, m_lo, m_hi = conbo_expectation(x, alpha)
    T = np.linspace(0, 1, stepsize)
    t1, t2 = T[:-1], T[1:]
    etas = np.stack([(t1 - m_lo) ** 2, (t1 - m_hi) ** 2, (t2 - m_lo) ** 2, (t2 - m_hi) ** 2])
    emax, emin = etas.max(axis=0), etas.min(axis=0)
    cdf, lo, hi, eps = _conbo_cdf(x, T, alpha)
    d = emax[:-1] - emax[1:]
    s = np.where(d > 0, 1.0, -1.0)
    v_hi = ((cdf[1:-1] + s * eps) * d).sum() + emax[-1] - emax[0] * lo[0]
    d = emin[:-1] - emin[1:]
    s = np.where(d > 0, 1.0, -1.0)
    v_lo = ((cdf[1:-1] - s * eps) * d).sum() + emin[-1] - emin[0] * hi[0]
    v_lo = max(v_lo, 0.0)
    var = max((x ** 2).mean() - x.mean() ** 2, 0.0)
    return var, v_lo, v_hi


def conbo_std(x, alpha, stepsize=100):
    var, lo, hi = conbo_variance(x, alpha, stepsize)
    with np.errstate(invalid="ignore"):
        return math.sqrt(var), math.sqrt(lo), (math.sqrt(hi) if hi >= 0 else float("nan"))


# ---- exact Anderson bounds and DKW ----------------------------------------------------------

def _padded(xs):
    return np.concatenate([[0.0], np.sort(np.asarray(xs, dtype=float)), [1.0]])


def anderson_upper(xs, eps):
    """1 - sum_{i=1..n} (x_(i+1) - x_(i)) max(0, i/n - eps), x_(0)=0, x_(n+1)=1."""
    p = _padded(xs)
    n = len(p) - 2
    i = np.arange(1, n + 1)
    return 1.0 - float(np.sum((p[2:] - p[1:-1]) * np.maximum(0.0, i / n - eps)))


def anderson_lower(xs, eps):
    """1 - sum_{i=0..n} (x_(i+1) - x_(i)) min(1, i/n + eps)."""
    p = _padded(xs)
    n = len(p) - 2
    i = np.arange(0, n + 1)
    return 1.0 - float(np.sum((p[1:] - p[:-1]) * np.minimum(1.0, i / n + eps)))


def shift_var_at(xs, eps, c):
    """U(c) = (1-c)^2 - int_0^1 2(t-c) G(t) dt, G = min(1, F_n + eps) for t < c and
    max(0, F_n - eps) for t > c, integrated gap by gap (docs/bounds.md)."""
    p = _padded(xs)
    n = len(p) - 2
    a, b = p[:-1], p[1:]
    f = np.arange(0, n + 1) / n
    hi, lo = np.minimum(1.0, f + eps), np.maximum(0.0, f - eps)
    al, bl = a, np.minimum(b, c)     # the part of each gap left of c
    ar, br = np.maximum(a, c), b     # and right of it
    left = np.where(bl > al, (bl - al) * (bl + al - 2 * c), 0.0)
    right = np.where(br > ar, (br - ar) * (br + ar - 2 * c), 0.0)
    return (1 - c) ** 2 - float(np.sum(left * hi + right * lo))


def shift_var_min(xs, eps):
    """min over c of U(c): U is convex (a supremum of convex quadratics), so a bounded scalar
    minimisation finds it; the bracket ends are checked too."""
    from scipy.optimize import minimize_scalar
    r = minimize_scalar(lambda c: shift_var_at(xs, eps, c), bounds=(0.0, 1.0), method="bounded",
                        options={"xatol": 1e-12, "maxiter": 500})
    return min(r.fun, shift_var_at(xs, eps, 0.0), shift_var_at(xs, eps, 1.0))


def sigma_exact(xs, alpha):
    """leakbound's default M_sigma (docs/bounds.md): on the two-sided DKW event with eps2(alpha),
    Var <= min(U2 - L1^2, max_{m in [L1, U1]} m (1 - m), min_c U(c)), square-rooted, capped."""
    xs = np.asarray(xs, dtype=float)
    e = eps_two_sided(len(xs), alpha)
    u2 = anderson_upper(xs ** 2, e)
    u1 = anderson_upper(xs, e)
    l1 = max(0.0, anderson_lower(xs, e))
    a = u2 - l1 * l1
    if l1 <= 0.5 <= u1:
        b = 0.25
    elif u1 < 0.5:
        b = u1 * (1 - u1)
    else:
        b = l1 * (1 - l1)
    return min(0.5, math.sqrt(max(0.0, min(a, b, shift_var_min(xs, e)))))


def dkw_tail(xs, eps, t):
    """min(1, 1 - F_n(t-) + eps): upper bound on P(X >= t)."""
    xs = np.asarray(xs, dtype=float)
    return min(1.0, 1.0 - float(np.mean(xs < t)) + eps)


# ---- several queries, leak@k ----------------------------------------------------------------

def queries(m, k):
    return 1.0 - (1.0 - m) ** k


def leak_at_k_exact(n, c, k):
    """Exact rational 1 - C(n-c, k) / C(n, k) (1 when n - c < k)."""
    if n - c < k:
        return Fraction(1)
    return 1 - Fraction(math.comb(n - c, k), math.comb(n, k))


# ---- talking to the C driver ----------------------------------------------------------------

def driver_path():
    import os
    return os.path.join(os.environ["LB_DRIVERS"], "driver_stats")


def run_driver(requests):
    """Send request lines to tests/stats/driver_stats; return one list of floats per line."""
    import subprocess
    text = "".join(r + "\n" for r in requests)
    p = subprocess.run([driver_path()], input=text, capture_output=True, text=True, check=False)
    if p.returncode != 0:
        raise SystemExit(f"driver_stats failed (exit {p.returncode}): {p.stdout[-500:]} {p.stderr}")
    out = [[float(v) for v in line.split()] for line in p.stdout.splitlines()]
    if len(out) != len(requests):
        raise SystemExit(f"driver_stats answered {len(out)} of {len(requests)} requests")
    return out


def fmt_sample(xs):
    return f"{len(xs)} " + " ".join(repr(float(v)) for v in xs)


class Checker:
    """Collects the worst absolute error per quantity and the first few failures."""

    def __init__(self, tol):
        self.tol = tol
        self.worst = {}
        self.failures = []
        self.count = 0

    def check(self, name, got, want, context):
        self.count += 1
        if math.isnan(want) or math.isnan(got):
            ok = math.isnan(want) and math.isnan(got)
            err = 0.0 if ok else float("inf")
        else:
            err = abs(got - want)
            ok = err <= self.tol
        if err > self.worst.get(name, (-1.0, ""))[0]:
            self.worst[name] = (err, context)
        if not ok and len(self.failures) < 10:
            self.failures.append(f"{name}: got {got!r} want {want!r} ({context})")

    def report(self, title):
        print(f"{title}: {self.count} comparisons, tolerance {self.tol:g}")
        for name, (err, ctx) in sorted(self.worst.items()):
            print(f"  {name:28s} worst |err| = {err:.3g}  ({ctx})")
        if self.failures:
            print("FAILURES:")
            for f in self.failures:
                print("  " + f)
            raise SystemExit(1)
