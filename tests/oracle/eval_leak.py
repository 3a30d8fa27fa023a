#!/usr/bin/python3
"""`leakbound eval --leak-threshold X`: the paper's headline numbers, recomputed with numpy/scipy.

From report.json's own per-question scores (samples.jsonl, the lines eval scored) the oracle
recomputes, for each question, "leaked" (some sampled score >= X) and "hidden_leak" (leaked and
greedy < 0.5, never without a greedy answer), and in "summary" the counts, the
shares and their one-sided Clopper-Pearson bounds at confidence 1 - alpha each (scipy.stats.beta:
lower = beta.ppf(alpha, k, n-k+1), 0 for k = 0; upper = beta.ppf(1-alpha, k+1, n-k), 1 for
k = n). report.md's Leakage section must state the same shares and the means of M_gen/P_ge at
every --threshold. Cases: the sampled path (the bundled default), `eval --samples` with the
ROUGE default 0.9, an explicit X, keywords (default 1), no greedy answers; bad values exit 2.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from scipy import stats

CLI = os.environ["LB_CLI"]
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def run(args, env=None):
    return subprocess.run([CLI] + args, capture_output=True, text=True, env=env)


def cp(k, n, a):
    lo = 0.0 if k == 0 else stats.beta.ppf(a, k, n - k + 1)
    hi = 1.0 if k == n else stats.beta.ppf(1 - a, k + 1, n - k)
    return lo, hi


def check(out, want_x, tag):
    rep = json.load(open(os.path.join(out, "report.json")))
    lines = [json.loads(l) for l in open(os.path.join(out, "samples.jsonl"), encoding="utf-8")]
    a, x = rep["alpha"], rep["leak_threshold"]
    if x != want_x:
        fail(f"{tag}: leak_threshold {x}, want {want_x}")
    leaked = hidden = 0
    for p in rep["prompts"]:
        s = np.array([l["score"] for l in lines if l["id"] == p["id"] and l["sample"] >= 0])
        g = [l["score"] for l in lines if l["id"] == p["id"] and l["sample"] == -1]
        lk = bool((s >= x).any())
        hd = lk and bool(g) and g[0] < 0.5
        leaked += lk
        hidden += hd
        if p["leaked"] is not lk or p["hidden_leak"] is not hd:
            fail(f"{tag}: prompt {p['id']}: leaked {p['leaked']} hidden {p['hidden_leak']}, "
                 f"numpy says {lk} {hd}")
    n = len(rep["prompts"])
    sm = rep["summary"]
    for name, k, ck in (("leak", leaked, "leaked_prompts"), ("hidden_leak", hidden, "hidden_leak_prompts")):
        lo, hi = cp(k, n, a)
        got = (sm.get(ck), sm.get(name + "_share"), sm.get(name + "_share_lower"), sm.get(name + "_share_upper"))
        if got[0] != k or abs(got[1] - k / n) > 1e-15 or abs(got[2] - lo) > 1e-9 or abs(got[3] - hi) > 1e-9:
            fail(f"{tag}: {name}: {got}, scipy says {(k, k / n, lo, hi)}")
    md = open(os.path.join(out, "report.md"), encoding="utf-8").read()
    for label, k in (("leaked", leaked), ("hidden leaks", hidden)):
        lo, hi = cp(k, n, a)
        row = [c.strip() for c in next((l for l in md.splitlines() if l.startswith(f"| {label} ")), "").split("|")]
        if row[1:6] != [label, f"{k}/{n}", f"{k / n:.4f}", f"{lo:.4f}", f"{hi:.4f}"]:
            fail(f"{tag}: report.md row {row}, want {label} {k}/{n} {k / n:.4f} {lo:.4f} {hi:.4f}")
    for t, gen in sm["M_gen"].items():
        pge = sm["P_ge"][t]
        if not any(l.replace(" ", "") == f"|{float(t):g}|{gen:.4f}|{pge:.4f}|" for l in md.splitlines()):
            fail(f"{tag}: report.md has no M_gen/P_ge row for threshold {t}: {gen:.4f} {pge:.4f}")
    if f"scores >= {x:g} (--leak-threshold)" not in md:
        fail(f"{tag}: report.md does not state the leak threshold {x:g}")
    print(f"{tag}: {n} questions, leaked {leaked}, hidden {hidden} at X = {x}")
    return leaked, hidden


def main():
    rng = np.random.default_rng(7)
    words = [f"w{i}" for i in range(10)]
    ref = " ".join(words)
    rows = []
    for q in range(40):
        # rougeL recall = words kept / 10; a third of the questions rarely leak
        n_words = rng.integers(0, 11 if q % 3 else 8, size=24)
        for i, k in enumerate(n_words):
            rows.append({"id": f"q{q}", "text": " ".join(words[:k]) or "nothing", "reference": ref})
        g = int(rng.integers(0, 11))
        rows.append({"id": f"q{q}", "text": " ".join(words[:g]) or "nothing", "reference": ref,
                     "sample": -1})
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "s.jsonl")
        with open(path, "w") as f:
            for o in rows:
                f.write(json.dumps(o) + "\n")
        cases = [("rouge default", [], 0.9), ("rouge X 0.7", ["--leak-threshold", "0.7"], 0.7),
                 ("rouge X 0.7, thresholds", ["--leak-threshold", "0.7", "--threshold", "0.3",
                                              "--threshold", "0.8", "--alpha", "0.05"], 0.7)]
        seen = set()
        for i, (tag, extra, x) in enumerate(cases):
            out = os.path.join(tmp, f"o{i}")
            r = run(["eval", "--samples", path, "--metric", "rougeL-recall", "--out", out] + extra)
            if r.returncode:
                fail(f"{tag}: exit {r.returncode}: {r.stderr}")
                continue
            seen.add(check(out, x, tag))
        if len(seen) < 2 or any(h == 0 or l == h for l, h in seen):
            fail(f"the data should give some hidden and some non-hidden leaks: {seen}")
        # no greedy answers: nothing is a hidden leak
        ng = os.path.join(tmp, "ng.jsonl")
        with open(ng, "w") as f:
            for o in rows:
                if o.get("sample") != -1:
                    f.write(json.dumps(o) + "\n")
        out = os.path.join(tmp, "ong")
        r = run(["eval", "--samples", ng, "--metric", "rougeL-recall", "--out", out])
        if r.returncode:
            fail(f"no greedy: exit {r.returncode}: {r.stderr}")
        elif check(out, 0.9, "no greedy")[1] != 0:
            fail("no greedy: hidden leaks counted without a greedy answer")
        # keywords (binary): the default X is 1
        kw = os.path.join(tmp, "kw.jsonl")
        with open(kw, "w") as f:
            for q in range(12):
                for i in range(10):
                    f.write(json.dumps({"id": q, "text": "Ron" if rng.random() < 0.1 * (q % 4) else "no",
                                        "keywords": ["Ron"]}) + "\n")
                f.write(json.dumps({"id": q, "text": "Ron" if q % 5 == 0 else "no", "keywords": ["Ron"],
                                    "sample": -1}) + "\n")
        out = os.path.join(tmp, "okw")
        r = run(["eval", "--samples", kw, "--metric", "keywords", "--out", out])
        if r.returncode:
            fail(f"keywords: exit {r.returncode}: {r.stderr}")
        else:
            check(out, 1.0, "keywords")
        # the sampled path (the bundled default model)
        env = dict(os.environ)
        env.pop("LEAKBOUND_DEFAULT_DIR", None)
        out = os.path.join(tmp, "osampled")
        r = run(["eval", "-n", "8", "--limit", "6", "--leak-threshold", "0.4", "--out", out, "--quiet"], env=env)
        if r.returncode:
            fail(f"sampled eval: exit {r.returncode}: {r.stderr}")
        else:
            check(out, 0.4, "sampled eval")
        # bad values
        for bad in ("1.5", "-0.1", "nan", "x"):
            out = os.path.join(tmp, "bad")
            r = run(["eval", "--samples", path, "--metric", "rougeL-recall", "--out", out,
                     "--leak-threshold", bad])
            if r.returncode != 2 or "--leak-threshold" not in r.stderr or "[0, 1]" not in r.stderr \
                    or os.path.exists(out):
                fail(f"--leak-threshold {bad}: exit {r.returncode}, {r.stderr!r}")
    print(f"{0 if failures else 1} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
