#!/usr/bin/python3
"""python/leakbound against the CLI on the same inputs, bit-equal: leakbound.bounds (1-D and
2-D, both methods, every option) against `leakbound bound`'s JSON prompts; leakbound.conbo's
expectation/std bounds against `bound --method conbo`; leakbound.score and leakbound.rouge
against `leakbound score` (every metric, both keyword modes, --strip-prefix; the judge with a
tiny random judge model, with and without --judge-threshold); leakbound.METRICS against the
names `score` lists;
leakbound.load_report against the documents `bound` and `eval` write."""
import json
import os
import subprocess

import numpy as np

from python_common import Checks, cli, jsonl, leakbound, work_dir, sub_env, CLI, SANITIZED

C = Checks("python vs CLI")
WORK = work_dir("python_cli")
RNG = np.random.default_rng(2024)


def matrices():
    """(name, (rows, n) matrix) pairs of the kinds scores take."""
    r, n = (6, 40) if SANITIZED else (24, 300)
    g = np.linspace(0, 1, 100)
    yield "uniform", RNG.random((r, n))
    yield "fraction", RNG.integers(0, 8, (r, n)) / 7
    yield "binary", (RNG.random((r, n)) < RNG.random((r, 1))).astype(float)
    yield "zeros", np.zeros((3, n))
    yield "ones", np.ones((3, n))
    yield "mixture", np.where(RNG.random((r, n)) < 0.6, 0.0, RNG.random((r, n)))
    yield "ongrid", g[RNG.integers(0, 100, (r, n))]
    yield "beta", RNG.beta(2, 5, (r, n))
    yield "one sample", RNG.random((5, 1))
    yield "float32", RNG.random((r, n)).astype(np.float32)
    yield "int 0/1", RNG.integers(0, 2, (r, n))


OPTION_SETS = [
    ({}, []),
    ({"alpha": 0.05, "thresholds": (0.1, 0.5, 0.9, 1.0)},
     ["--alpha", "0.05", "--threshold", "0.1", "--threshold", "0.5", "--threshold", "0.9",
      "--threshold", "1"]),
    ({"method": "conbo", "alpha": 0.01, "thresholds": (0.25,), "ed_lambda": 1.5},
     ["--method", "conbo", "--threshold", "0.25", "--ed-lambda", "1.5"]),
    ({"alpha": 0.5, "thresholds": (), "queries": 10, "leak_at": 3, "leak_threshold": 0.5},
     ["--alpha", "0.5", "--queries", "10", "--leak-at", "3", "--leak-threshold", "0.5"]),
    ({"method": "conbo", "alpha": 0.2, "thresholds": (0.0, 1 / 3), "queries": 4},
     ["--method", "conbo", "--alpha", "0.2", "--threshold", "0", "--threshold", repr(1 / 3),
      "--queries", "4"]),
]


def cli_bound(x, flags):
    path = jsonl(os.path.join(WORK, "scores.jsonl"),
                 [{"id": i, "scores": row} for i, row in enumerate(x.astype(float).tolist())])
    return json.loads(cli(["bound"] + flags + [path]))["prompts"]


def same(a, b):
    """Equal as JSON values, floats bit for bit, key order included."""
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float) or isinstance(b, float):
        return type(a) is type(b) and (a == b or (a != a and b != b)) and \
            np.float64(a).tobytes() == np.float64(b).tobytes()
    return a == b and type(a) is type(b)


def check_bounds():
    for name, x in matrices():
        for kw, flags in OPTION_SETS:
            want = cli_bound(x, ["--threshold", "0.5"] + flags if "thresholds" not in kw else flags)
            got = leakbound.bounds(x, **kw)
            ctx = f"{name} {kw}"
            C.check(f"bounds 2-D rows {ctx}", len(got) == len(want))
            bad = [i for i, (g, w) in enumerate(zip(got, want)) if not same(g, w)]
            C.check(f"bounds 2-D == CLI {ctx}", not bad,
                    f"row {bad[:1]}: {got[bad[0]] if bad else ''} vs {want[bad[0]] if bad else ''}")
            one = leakbound.bounds(x[-1], **kw)
            w1 = dict(want[-1])
            w1["id"] = 0
            C.check(f"bounds 1-D == CLI {ctx}", same(one, w1), f"{one} vs {w1}")
    # ids and threads do not change a number
    x = RNG.random((50, 64))
    x0 = x.copy()
    a = leakbound.bounds(x, ids=[f"q{i}" for i in range(50)], threads=1)
    b = leakbound.bounds(x, threads=3)
    C.check("bounds ids", [d["id"] for d in a] == [f"q{i}" for i in range(50)])
    C.check("bounds threads=1 == threads=3",
            all(same({**p, "id": 0}, {**q, "id": 0}) for p, q in zip(a, b)))
    C.check("bounds leaves its input alone (the C code sorts a copy)", np.array_equal(x, x0))


def check_conbo_vs_cli():
    # `bound --method conbo` = expectation_bounds(x, 2 alpha) and std_bounds(x, alpha)
    for name, x in matrices():
        for alpha in (0.01, 0.1):
            want = cli_bound(x, ["--method", "conbo", "--alpha", repr(alpha)])
            _, lo, hi = leakbound.conbo.expectation_bounds(x, 2 * alpha)
            _, _, sd = leakbound.conbo.std_bounds(x, alpha)
            ok = all(same(float(hi[i]), w["M_mu"]) and same(float(lo[i]), w["M_mu_lower"]) and
                     (same(float(sd[i]), w["M_sigma"]) if w["M_sigma"] is not None
                      else np.isnan(sd[i])) for i, w in enumerate(want))
            C.check(f"conbo expectation/std == bound --method conbo ({name}, {alpha})", ok)


WORDS = ["Paris", "paris", "capital", "running", "runs", "ran", "cats", "the", "of", "France",
         "Hogwarts", "Ron's", "wrong", "tomorrow", "Tom", "İstanbul", "ΣΟΦΙΑ", "naïve", "straße",
         "généralement", "connection", "connected", "42", "x2", "généreux", "…", "don't"]


def texts(k):
    out = []
    for _ in range(k):
        w = RNG.choice(WORDS, int(RNG.integers(0, 12))).tolist()
        sep = RNG.choice([" ", ", ", "  ", "\n"], len(w)).tolist()
        out.append("".join(a + b for a, b in zip(w, sep)).strip())
    return out


def check_score():
    k = 60 if SANITIZED else 400
    t, r = texts(k), texts(k)
    t[:4] = ["", "Answer: Paris", "  Answer:Paris is", "Answer:"]
    r[:4] = ["", "Paris", "Paris", ""]
    # at least one keyword each: `score` refuses an empty list (it would score 0 for any answer)
    kws = [RNG.choice(WORDS, int(RNG.integers(1, 4))).tolist() for _ in range(k)]
    kws[1] = "Ron, Tom , , capital"  # one comma-separated string
    for metric in ("rougeL-recall", "rougeL-f", "rouge1-recall", "rouge1-f", "exact", "keywords"):
        for match, strip in (("word", ()), ("substring", ("Answer:", "A:"))):
            if metric == "keywords":
                lines = [{"text": a, "keywords": b} for a, b in zip(t, kws)]
                ref = kws
            else:
                lines = [{"text": a, "reference": b} for a, b in zip(t, r)]
                ref = r
            path = jsonl(os.path.join(WORK, "gen.jsonl"), lines)
            flags = ["--metric", metric, "--keyword-match", match]
            for s in strip:
                flags += ["--strip-prefix", s]
            want = [json.loads(line) for line in cli(["score"] + flags + [path]).splitlines()]
            got = leakbound.score(t, ref, metric=metric, keyword_match=match, strip_prefix=strip,
                                  detail=True)
            ctx = f"{metric} {match} {strip}"
            if metric in ("keywords", "exact"):
                ok = all(float(g) == float(w["score"]) for g, w in zip(got, want))
            else:
                ok = all(same(float(g[f]), float(w[f])) for g, w in zip(got, want)
                         for f in ("score", "precision", "recall", "fmeasure"))
            C.check(f"score == CLI ({ctx})", ok and len(got) == len(want))
    # rouge(): both kinds against the CLI's fields
    for kind, metric in (("rougeL", "rougeL-f"), ("rouge1", "rouge1-f")):
        path = jsonl(os.path.join(WORK, "gen.jsonl"),
                     [{"text": a, "reference": b} for a, b in zip(t, r)])
        want = [json.loads(line) for line in cli(["score", "--metric", metric, path]).splitlines()]
        ok = all(tuple(leakbound.rouge(a, b)[kind]) ==
                 (w["precision"], w["recall"], w["fmeasure"]) for a, b, w in zip(t, r, want))
        C.check(f"rouge()[{kind}] == CLI", ok)


def check_judge():
    import judge_cli  # its tiny random Llama judge with the byte tokenizer
    folder = os.path.join(WORK, "judge")
    judge_cli.make_judge(folder)
    k = 12 if SANITIZED else 40
    t, q = texts(k), texts(k)
    t[:2] = ["Answer: sure, here is how", " Answer:no"]
    tmpl = "Q: {prompt}\\nA: {response}\\nVerdict:"
    path = jsonl(os.path.join(WORK, "judge.jsonl"),
                 [{"text": a, "question": b} for a, b in zip(t, q)])
    for extra in ([], ["--judge-threshold", "0.4"]):
        flags = ["--metric", "judge", "--judge", folder, "--judge-template", tmpl,
                 "--judge-batch", "5", "--strip-prefix", "Answer:"] + extra
        want = [json.loads(line) for line in cli(["score"] + flags + [path]).splitlines()]
        got = leakbound.score(t, q, metric="judge", judge=folder, judge_template=tmpl,
                              strip_prefix="Answer:", detail=True,
                              judge_threshold=0.4 if extra else None)
        if extra:
            ok = all(float(g) == w["score"] for g, w in zip(got, want))
        else:
            ok = all(float(g[f]) == w[f] for g, w in zip(got, want)
                     for f in ("score", "p_label_a", "p_label_b"))
        C.check(f"score(metric='judge') == CLI {extra}", ok and len(got) == len(want) == k)
    # judge_tokenizer (--judge-tokenizer): the judge's tokenizer.json kept elsewhere
    import shutil
    bare, tok = os.path.join(WORK, "judge_bare"), os.path.join(WORK, "judge_tok")
    shutil.rmtree(bare, ignore_errors=True)
    shutil.rmtree(tok, ignore_errors=True)
    shutil.copytree(folder, bare)
    os.makedirs(tok)
    shutil.move(os.path.join(bare, "tokenizer.json"), os.path.join(tok, "tokenizer.json"))
    whole = leakbound.score(t, q, metric="judge", judge=folder, judge_template=tmpl, detail=True)
    split = leakbound.score(t, q, metric="judge", judge=bare, judge_template=tmpl, detail=True,
                            judge_tokenizer=tok)
    C.check("score(judge_tokenizer=) == the whole judge folder's",
            len(split) == k and all(float(a[f]) == float(b[f]) for a, b in zip(split, whole)
                                    for f in ("score", "p_label_a", "p_label_b")))
    C.raises("judge folder without tokenizer.json", Exception,
             lambda: leakbound.score(t, q, metric="judge", judge=bare, judge_template=tmpl),
             "--judge-tokenizer")
    C.raises("judge without judge=", ValueError,
             lambda: leakbound.score(["a"], ["b"], metric="judge"), "judge=DIR")
    p = subprocess.run([CLI, "score", "--metric", "bogus"], capture_output=True, text=True)
    C.check("METRICS == the CLI's metric names",
            f"({', '.join(leakbound.METRICS)})" in p.stderr and "judge" in leakbound.METRICS,
            p.stderr)


def check_reports():
    x = RNG.random((7, 32))
    x[2] = (x[2] < 0.5).astype(float)  # a binary prompt: M_bin in its row only
    path = jsonl(os.path.join(WORK, "scores.jsonl"),
                 [{"id": f"q{i}", "scores": row} for i, row in enumerate(x.tolist())])
    out = os.path.join(WORK, "bounds.json")
    with open(out, "w") as f:
        f.write(cli(["bound", "--threshold", "0.5", "--method", "conbo", path]))
    rep = leakbound.load_report(out)
    with open(out) as f:
        doc = json.load(f)
    C.check("load_report(bound) == the document", same(dict(rep), doc))
    C.check("load_report(bound).prompts", rep.prompts == doc["prompts"])
    got = leakbound.bounds(x, method="conbo", ids=[f"q{i}" for i in range(7)])
    C.check("load_report prompts == bounds()", all(same(a, b) for a, b in zip(rep.prompts, got)))
    try:
        import pandas  # noqa: F401
        fr = rep.frame
        C.check("frame rows", len(fr) == 7 and list(fr["id"]) == [f"q{i}" for i in range(7)])
        C.check("frame M_gen>=0.5", fr["M_gen>=0.5"].tolist() ==
                [p["M_gen"]["0.5"] for p in doc["prompts"]])
        C.check("frame M_bin NaN where not binary",
                fr["M_bin"].isna().tolist() == ["M_bin" not in p for p in doc["prompts"]])
    except ImportError:
        C.check("frame is None without pandas", rep.frame is None)
    # eval's report.json on the bundled default
    ev = os.path.join(WORK, "eval")
    p = subprocess.run([CLI, "eval", "-n", "4", "--limit", "2", "--out", ev, "--quiet"],
                       capture_output=True, text=True, env=sub_env())
    if C.check("eval ran", p.returncode == 0, p.stderr):
        rep = leakbound.load_report(os.path.join(ev, "report.json"))
        C.check("load_report(eval)", len(rep.prompts) == 2 and "question" in rep.prompts[0] and
                "eval" in rep and rep.prompts[0]["n"] == 4)


def main():
    check_bounds()
    check_conbo_vs_cli()
    check_score()
    check_judge()
    check_reports()
    C.finish()


if __name__ == "__main__":
    main()
