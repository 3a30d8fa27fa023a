#!/usr/bin/python3
"""The competent peer for bench/bound: `bound --method conbo` as a numpy user would write it for
a whole file at once — the JSONL read with ujson (Debian's python3-ujson; the stdlib json module
when it is missing), every prompt's scores in one (P, n) array, and conbo 0.1's algorithm
(100-point grid CDF bounds, expectation and variance bounds) vectorised over all prompts, with
Clopper-Pearson bounds from scipy.special.betaincinv and DKW tails from one searchsorted. The
per-prompt fields and the document written are the same as leakbound's.

usage: numpy_fast.py IN.jsonl OUT.json ALPHA THRESHOLD...
Prints the seconds spent (reading + bounds + writing) and the JSON module used on stdout."""
import math
import sys
import time

import numpy as np
from scipy.special import betaincinv

try:
    import ujson as jsonlib
except ImportError:  # pragma: no cover
    import json as jsonlib


def cp_upper(k, n, a):
    out = np.ones_like(k, dtype=float)
    m = k < n
    out[m] = betaincinv(k[m] + 1.0, (n - k[m]).astype(float), 1.0 - a)
    return out


def rank(xs, t, side):
    """For sorted rows xs (P, n): per row, the count of x <= t[j] (side "right") or x < t[j]
    (side "left"), for all j (P, len(t)): one searchsorted over the rows laid end to end."""
    P, n = xs.shape
    off = 2.0 * np.arange(P)[:, None]
    flat = (xs + off).ravel()
    return np.searchsorted(flat, (t[None, :] + off).ravel(), side=side).reshape(P, -1) - \
        (n * np.arange(P))[:, None]


def conbo_all(xs, a):
    """conbo.expectation_bounds(x, 2a) and conbo.variance_bounds(x, a) for every row."""
    P, n = xs.shape
    T = np.linspace(0, 1, 100)
    h = np.diff(T)
    cdf = rank(xs, T, "right") / n
    e2 = math.sqrt(math.log(2 / (2 * a)) / (2 * n))
    m_lo = 1 - (np.minimum(cdf + e2, 1)[:, 1:] * h).sum(1)
    m_hi = 1 - (np.maximum(cdf - e2, 0)[:, :-1] * h).sum(1)
    # variance_bounds: its expectation bounds at alpha (not 2 alpha), brackets unclipped
    e = math.sqrt(math.log(2 / a) / (2 * n))
    lo, hi = np.maximum(cdf - e, 0), np.minimum(cdf + e, 1)
    v_mlo = 1 - (hi[:, 1:] * h).sum(1)
    v_mhi = 1 - (lo[:, :-1] * h).sum(1)
    t1, t2 = T[:-1][None, :], T[1:][None, :]
    ml, mh = v_mlo[:, None], v_mhi[:, None]
    etas = np.stack([(t1 - ml) ** 2, (t1 - mh) ** 2, (t2 - ml) ** 2, (t2 - mh) ** 2])
    emax, emin = etas.max(0), etas.min(0)
    d = emax[:, :-1] - emax[:, 1:]
    s = np.where(d > 0, 1.0, -1.0)
    v_hi = ((cdf[:, 1:-1] + s * e) * d).sum(1) + emax[:, -1] - emax[:, 0] * lo[:, 0]
    with np.errstate(invalid="ignore"):
        sig_hi = np.sqrt(v_hi)
    return m_lo, m_hi, sig_hi


def main():
    src, dst, a = sys.argv[1], sys.argv[2], float(sys.argv[3])
    ths = [float(t) for t in sys.argv[4:]]
    t0 = time.perf_counter()
    order, rows = {}, []
    with open(src, "rb") as f:
        for line in f:
            if line.strip():
                o = jsonlib.loads(line)
                key = (type(o["id"]).__name__, o["id"])
                i = order.setdefault(key, len(order))
                if i == len(rows):
                    rows.append([])
                rows[i].extend(o["scores"] if "scores" in o else [o["score"]])
    lens = {len(r) for r in rows}
    if len(lens) != 1:
        sys.exit("numpy_fast.py: prompts of different sizes are outside this peer's scope")
    x = np.array(rows, dtype=float)
    P, n = x.shape
    xs = np.sort(x, axis=1)
    mean, std, mx = x.mean(1), x.std(1), xs[:, -1]
    m_lo, m_hi, sig = conbo_all(xs, a)
    e1 = math.sqrt(math.log(1 / a) / (2 * n))
    th = np.array(ths)
    below = rank(xs, th, "left") if ths else np.zeros((P, 0))
    m_gen = np.minimum(1.0, 1.0 - below / n + e1)
    p_ge = [cp_upper((n - below[:, j]).astype(float), n, a) for j in range(len(ths))]
    c = n - rank(xs, np.array([1.0]), "left")[:, 0]
    q = cp_upper(c.astype(float), n, a)
    binary = np.all((x == 0) | (x == 1), axis=1)
    m_bin = cp_upper(x.sum(1), n, a)
    out = []
    keys = list(order.keys())
    for p in range(P):
        d = {"id": keys[p][1], "n": n, "mean": mean[p], "std": std[p], "max": mx[p],
             "M_mu": m_hi[p], "M_mu_lower": m_lo[p], "M_sigma": sig[p], "ED": m_hi[p] + 2 * sig[p],
             "M_gen": {f"{t:g}": m_gen[p, j] for j, t in enumerate(ths)}}
        if binary[p]:
            d["M_bin"] = m_bin[p]
        d["P_ge"] = {f"{t:g}": p_ge[j][p] for j, t in enumerate(ths)}
        d["queries"] = q[p]
        d["leak_at"] = c[p] / n
        out.append(d)
    with open(dst, "w", encoding="utf-8") as f:
        jsonlib.dump({"prompts": out}, f)
    secs = time.perf_counter() - t0
    print(f"{secs:.3f} {jsonlib.__name__}")


if __name__ == "__main__":
    main()
