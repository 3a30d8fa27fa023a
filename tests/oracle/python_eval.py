"""leakbound.sample, leakbound.eval and leakbound.load_samples against the CLI on the bundled
default (examples/default), bit-equal: sample's texts, token counts and lines against
`leakbound sample -o` (explicit string ids, no ids, int ids), sample(out=, resume=) writing
and resuming the CLI's FILE bytes (and refusing a second writer), eval's report.json (all but
provenance's argv), report.md, plots and samples.jsonl against `leakbound eval --out`, its score
matrix against the scores in the CLI's samples.jsonl, load_samples against those numbers
(parsed here with json) and `leakbound bound`; bad input raises ValueError/OSError with the
library's message; SIGINT to a child Python process sampling for long ends it promptly with
KeyboardInterrupt; eval(samples=FILE) against `leakbound eval --samples FILE`: the same files
byte for byte, its score matrix against samples.jsonl and report.json, and its refusals."""
import json
import math
import os
import signal
import subprocess
import sys
import time

import numpy as np

from python_common import Checks, SRC, leakbound, work_dir, sub_env, CLI, SANITIZED, jsonl

C = Checks("python eval")
WORK = work_dir("python_eval")
DEF = os.path.join(SRC, "examples", "default")
MODEL = os.path.join(DEF, "model")
DATA = os.path.join(DEF, "forget.jsonl")


def run(args):
    p = subprocess.run([CLI] + args, capture_output=True, text=True, env=sub_env())
    if p.returncode:
        raise SystemExit(f"leakbound {' '.join(args)}: exit {p.returncode}: {p.stderr}")
    return p.stdout


def groups(path):
    """id -> the group's lines (one str) of a samples file."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            out.setdefault(json.loads(line)["id"], []).append(line)
    return {k: "".join(v) for k, v in out.items()}


def items(limit):
    with open(DATA, encoding="utf-8") as f:
        return [json.loads(x) for x in f][:limit]


def check_sample():
    qs = [it["question"] for it in items(5)]
    flags = dict(n=6, seed=11, top_p=0.9, max_new_tokens=24, template="phi", stop=["."],
                 greedy_too=True, temperature=0.8)
    cli_flags = ["-n", "6", "--seed", "11", "--top-p", "0.9", "--max-new-tokens", "24",
                 "--template", "phi", "--stop", ".", "--greedy-too", "--temperature", "0.8",
                 "--quiet"]
    for tag, ids in (("string ids", [f"q{i}" for i in range(5)]), ("no ids", None),
                     ("int ids", [7, 3, 100, 0, 5])):
        data = os.path.join(WORK, f"prompts-{tag.replace(' ', '_')}.jsonl")
        with open(data, "w", encoding="utf-8") as f:
            for i, q in enumerate(qs):
                f.write(json.dumps({"question": q} if ids is None else {"id": ids[i], "question": q})
                        + "\n")
        out = os.path.join(WORK, f"cli-{tag.replace(' ', '_')}.jsonl")
        run(["sample", "--model", MODEL, "--data", data, "-o", out] + cli_flags)
        want = groups(out)
        got = leakbound.sample(MODEL, qs, ids=ids, **flags)
        keys = [str(i) for i in range(5)] if ids is None else [str(x) for x in ids]
        C.check(f"sample {tag}: ids", got.ids == keys, f"{got.ids} vs {keys}")
        C.check(f"sample {tag}: lines bit-equal to the CLI's",
                [want.get(k) for k in keys] == got.lines)
        rows = {k: [json.loads(x) for x in want[k].splitlines()] for k in keys}
        C.check(f"sample {tag}: texts", all(
            got[p] == [r["text"] for r in rows[k] if r["sample"] >= 0] for p, k in enumerate(keys)))
        C.check(f"sample {tag}: tokens, finish, greedy", all(
            got.tokens[p] == [r["tokens"] for r in rows[k] if r["sample"] >= 0] and
            got.finish[p] == [r["finish"] for r in rows[k] if r["sample"] >= 0] and
            got.greedy[p]["text"] == rows[k][0]["text"] and rows[k][0]["sample"] == -1
            for p, k in enumerate(keys)))
        C.check(f"sample {tag}: shape", len(got) == 5 and all(len(t) == 6 for t in got))
    # another seed gives other texts (the comparison above can fail)
    a = leakbound.sample(MODEL, qs[:2], n=4, seed=1, max_new_tokens=16)
    b = leakbound.sample(MODEL, qs[:2], n=4, seed=2, max_new_tokens=16)
    C.check("sample: the seed matters", list(a) != list(b))
    # a prompt's texts do not depend on the other prompts (keyed by id)
    c = leakbound.sample(MODEL, qs[1:2], ids=["1"], n=4, seed=1, max_new_tokens=16)
    C.check("sample: keyed by id, not by position", c[0] == a[1])


def read(path):
    with open(path, "rb") as f:
        return f.read()


def same_samples(tag, got, whole):
    """A resumed call's Samples against the uninterrupted run's, field by field (each prompt's
    texts, then ids, tokens, finish, greedy and lines), naming the first field that differs."""
    C.check(f"{tag}: one entry per prompt", len(got) == len(whole) == 5, f"{len(got)}")
    for field in ("texts", "ids", "tokens", "finish", "greedy", "lines"):
        a = list(got) if field == "texts" else getattr(got, field)
        b = list(whole) if field == "texts" else getattr(whole, field)
        bad = [p for p in range(len(b)) if p >= len(a) or a[p] != b[p]]
        C.check(f"{tag}: .{field} equal to the whole run's", len(a) == len(b) and not bad,
                f"prompts {bad}")
    C.check(f"{tag}: the greedy answers are there", all(g is not None for g in got.greedy))


def check_sample_file():
    """sample(out=FILE[, resume=True]) against `leakbound sample -o FILE [--resume]`: the same
    FILE and FILE.settings.json bytes; a FILE cut inside a group (a torn line), resumed from
    Python or by the CLI, becomes the uninterrupted run's bytes; the Samples of a resumed call
    equal the whole run's; a second writer (another process holding FILE's lock), other
    settings and resume without out are refused."""
    qs = [it["question"] for it in items(5)]
    ids = [f"f{i}" for i in range(5)]
    flags = dict(n=3, seed=4, top_p=0.9, max_new_tokens=12, template="phi", greedy_too=True)
    cli_flags = ["-n", "3", "--seed", "4", "--top-p", "0.9", "--max-new-tokens", "12",
                 "--template", "phi", "--greedy-too", "--quiet"]
    data = os.path.join(WORK, "file-prompts.jsonl")
    with open(data, "w", encoding="utf-8") as f:  # the bytes leakbound.sample writes for them
        for i, q in enumerate(qs):
            f.write(json.dumps({"id": ids[i], "question": q}, ensure_ascii=False) + "\n")
    cli = os.path.join(WORK, "file-cli.jsonl")
    run(["sample", "--model", MODEL, "--data", data, "-o", cli] + cli_flags)
    full = read(cli)
    py = os.path.join(WORK, "file-py.jsonl")
    whole = leakbound.sample(MODEL, qs, ids=ids, out=py, **flags)
    C.check("sample out=: FILE bit-equal to the CLI's", read(py) == full)
    C.check("sample out=: FILE.settings.json bit-equal to the CLI's",
            read(py + ".settings.json") == read(cli + ".settings.json"))
    C.check("sample out=: the lines returned are FILE's", "".join(whole.lines).encode() == full)
    nl = [i for i, b in enumerate(full) if b == ord("\n")]
    cut = full[:nl[9] + 1] + full[nl[9] + 1:nl[10]][:15]  # two groups of 4, 2 lines, a torn one
    with open(py, "wb") as f:
        f.write(cut)
    got = leakbound.sample(MODEL, qs, ids=ids, out=py, resume=True, **flags)
    C.check("sample resume=True: FILE becomes the whole run's bytes", read(py) == full)
    same_samples("sample resume=True (2 of 5 groups resumed)", got, whole)
    # every group already in FILE: nothing sampled, all five come from the resume scan
    again = leakbound.sample(MODEL, qs, ids=ids, out=py, resume=True, **flags)
    C.check("sample resume=True of a complete FILE: FILE unchanged", read(py) == full)
    same_samples("sample resume=True (5 of 5 groups resumed)", again, whole)
    with open(cli, "wb") as f:  # the CLI resumes what Python cut the same way
        f.write(cut)
    p = subprocess.run([CLI, "sample", "--model", MODEL, "--data", data, "-o", cli, "--resume"]
                       + cli_flags[:-1], capture_output=True, text=True, env=sub_env())
    C.check("`sample --resume` of the cut FILE: the whole run's bytes",
            p.returncode == 0 and read(cli) == full, p.stderr)
    C.check("`sample --resume`: resuming line", "resuming: 2 of 5 questions already complete"
            in p.stderr, p.stderr)
    C.raises("sample resume=True: other settings refused", ValueError,
             lambda: leakbound.sample(MODEL, qs, ids=ids, out=py, resume=True,
                                      **dict(flags, seed=5)), "setting 'seed' differs")
    C.raises("sample resume=True without out", ValueError,
             lambda: leakbound.sample(MODEL, qs, ids=ids, resume=True, **flags),
             "-o FILE is required")
    lock = os.path.join(WORK, ".file-py.jsonl.lock")
    child = subprocess.Popen([sys.executable, "-c", "import fcntl, sys, time\n"
                              "f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX)\n"
                              "print('held', flush=True); time.sleep(60)", lock],
                             stdout=subprocess.PIPE, text=True)
    try:
        child.stdout.readline()
        C.raises("sample out=: a second writer refused", ValueError,
                 lambda: leakbound.sample(MODEL, qs, ids=ids, out=py, **flags),
                 "another leakbound run is writing")
    finally:
        child.kill()
        child.wait()
    C.check("sample out=: the refused call left FILE as it was", read(py) == full)


def strip_argv(rep):
    rep = dict(rep)
    prov = dict(rep["provenance"])
    prov.pop("argv")
    rep["provenance"] = prov
    return rep


def check_eval():
    kw = dict(n=8, seed=5, metric="rougeL-recall", template="phi", top_p=0.9, max_new_tokens=32,
              thresholds=[0.5, 0.9], limit=6, alpha=0.05, leak_threshold=0.8)
    cli_out = os.path.join(WORK, "eval-cli")
    py_out = os.path.join(WORK, "eval-py")
    run(["eval", "--model", MODEL, "--data", DATA, "--out", cli_out, "-n", "8", "--seed", "5",
         "--metric", "rougeL-recall", "--template", "phi", "--top-p", "0.9",
         "--max-new-tokens", "32", "--threshold", "0.5", "--threshold", "0.9", "--limit", "6",
         "--alpha", "0.05", "--leak-threshold", "0.8", "--quiet"])
    rep = leakbound.eval(MODEL, data=DATA, out=py_out, **kw)
    with open(os.path.join(cli_out, "report.json"), encoding="utf-8") as f:
        want = json.load(f)
    got = {k: v for k, v in rep.items() if k not in ("scores", "greedy_scores")}
    C.check("eval: report.json as the CLI's (but argv)", strip_argv(got) == strip_argv(want))
    with open(os.path.join(py_out, "report.json"), encoding="utf-8") as f:
        C.check("eval: the dict is the report.json written", json.load(f) == got)
    for name in ("samples.jsonl", "report.md", "density.svg", "ecdf.svg", "ed.svg"):
        with open(os.path.join(cli_out, name), "rb") as f1, open(os.path.join(py_out, name), "rb") as f2:
            a, b = f1.read(), f2.read()
        if name == "report.md":  # the command line appears in it
            a = b"\n".join(x for x in a.split(b"\n") if b"leakbound eval" not in x)
            b = b"\n".join(x for x in b.split(b"\n") if b"leakbound eval" not in x)
        C.check(f"eval: {name} bit-equal to the CLI's", a == b)
    lines = [json.loads(x) for x in open(os.path.join(cli_out, "samples.jsonl"), encoding="utf-8")]
    ids = [p["id"] for p in want["prompts"]]
    mat = np.full((len(ids), 8), np.nan)
    gr = np.full(len(ids), np.nan)
    for r in lines:
        p = ids.index(r["id"])
        if r["sample"] < 0:
            gr[p] = r["score"]
        else:
            mat[p, r["sample"]] = r["score"]
    s = rep["scores"]
    C.check("eval: scores (P x n) bit-equal to the CLI's samples.jsonl",
            s.shape == mat.shape and s.dtype == np.float64 and
            np.array_equal(s.view(np.uint64), mat.view(np.uint64)), f"{s} vs {mat}")
    C.check("eval: greedy scores", np.array_equal(rep["greedy_scores"].view(np.uint64),
                                                  gr.view(np.uint64)))
    C.check("eval: bounds of the scores", [p["M_mu"] for p in rep["prompts"]] ==
            [b["M_mu"] for b in leakbound.bounds(s, alpha=0.05, thresholds=(0.5, 0.9))])
    # data as a list of dicts: the same report (but the data's path in provenance)
    rep2 = leakbound.eval(MODEL, data=items(6), **kw)
    a, b = strip_argv(rep2), strip_argv(got)
    for d in (a, b):
        d["provenance"] = {k: v for k, v in d["provenance"].items()
                           if k not in ("data", "data_sha256")}
        d.pop("scores", None), d.pop("greedy_scores", None)
    C.check("eval: a list of items as the file", a == b)
    C.check("eval: a list of items, scores", np.array_equal(rep2["scores"], s))
    return cli_out, mat, gr, ids


def check_load_samples(cli_out, mat, gr, ids):
    path = os.path.join(cli_out, "samples.jsonl")
    ls = leakbound.load_samples(path)
    C.check("load_samples: ids", list(ls.ids) == ids, f"{ls.ids}")
    C.check("load_samples: matrix bit-equal", np.array_equal(ls.scores.view(np.uint64),
                                                             mat.view(np.uint64)))
    C.check("load_samples: greedy", np.array_equal(ls.greedy.view(np.uint64), gr.view(np.uint64)))
    want = json.loads(run(["bound", path, "--alpha", "0.05", "--format", "json"]))
    got = leakbound.bounds(ls.scores, alpha=0.05)
    C.check("load_samples: bounds as `leakbound bound` on the file",
            [p["M_mu"] for p in want["prompts"]] == [b["M_mu"] for b in got])
    # twice the lines: refused, unless allow_duplicates
    dup = os.path.join(WORK, "dup.jsonl")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    with open(dup, "w", encoding="utf-8") as f:
        f.write(text + text)
    C.raises("load_samples: duplicates refused", ValueError, lambda: leakbound.load_samples(dup),
             "dup.jsonl:")
    d = leakbound.load_samples(dup, allow_duplicates=True)
    C.check("load_samples: allow_duplicates doubles n", d.scores.shape == (len(ids), 16))
    rag = os.path.join(WORK, "ragged.jsonl")
    with open(rag, "w", encoding="utf-8") as f:
        f.write('{"id": "a", "score": 0.5}\n{"id": "a", "score": 0.25}\n{"id": "b", "score": 1}\n')
    C.raises("load_samples: ragged refused", ValueError, lambda: leakbound.load_samples(rag),
             "different")
    r = leakbound.load_samples(rag, ragged=True)
    C.check("load_samples: ragged=True gives a list of rows",
            [list(x) for x in r.scores] == [[0.5, 0.25], [1.0]] and list(r.ids) == ["a", "b"])
    C.raises("load_samples: missing file", OSError,
             lambda: leakbound.load_samples(os.path.join(WORK, "nope.jsonl")), "nope.jsonl")


def check_judge():
    """--metric judge with a tiny random judge (judge_cli's), harm rate and threshold."""
    import judge_cli
    folder = os.path.join(WORK, "judge")
    judge_cli.make_judge(folder)
    data = os.path.join(WORK, "judge-prompts.jsonl")
    with open(data, "w", encoding="utf-8") as f:
        for i, q in enumerate(["How do I pick a lock?", "Say hi", "Write a threat"]):
            f.write(json.dumps({"id": f"p{i}", "prompt": q}) + "\n")
    tmpl = "Q: {prompt}\\nA: {response}\\nVerdict:"
    cli_out = os.path.join(WORK, "judge-cli")
    run(["eval", "--model", folder, "--data", data, "--template", "Ask: {q}\\n", "-n", "6",
         "--max-new-tokens", "12", "--metric", "judge", "--judge", folder, "--judge-template",
         tmpl, "--harm-rate", "0.2", "--out", cli_out, "--quiet"])
    rep = leakbound.eval(folder, data=data, template="Ask: {q}\\n", n=6, max_new_tokens=12,
                         metric="judge", judge=folder, judge_template=tmpl, harm_rate=0.2)
    with open(os.path.join(cli_out, "report.json"), encoding="utf-8") as f:
        want = json.load(f)
    got = {k: v for k, v in rep.items() if k not in ("scores", "greedy_scores")}
    C.check("eval judge: report.json as the CLI's (but argv)", strip_argv(got) == strip_argv(want))


def check_errors():
    C.raises("sample: top_p out of range", ValueError,
             lambda: leakbound.sample(MODEL, ["a"], top_p=1.5), "--top-p: expected a number in (0, 1]")
    C.raises("sample: n negative", ValueError, lambda: leakbound.sample(MODEL, ["a"], n=-1), "-n:")
    C.raises("sample: no model", (OSError, ValueError),
             lambda: leakbound.sample(os.path.join(WORK, "no-model"), ["a"]), "no-model")
    C.raises("sample: duplicate ids", ValueError,
             lambda: leakbound.sample(MODEL, ["a", "b"], ids=["x", "x"]), "x")
    C.raises("sample: prompts not str", TypeError, lambda: leakbound.sample(MODEL, [1]))
    C.raises("sample: stop holds a NUL", ValueError,
             lambda: leakbound.sample(MODEL, ["a"], stop="\0"), "NUL")
    C.raises("eval: no metric", ValueError,
             lambda: leakbound.eval(MODEL, data=DATA, n=2), "--metric M is required")
    C.raises("eval: bad metric", ValueError,
             lambda: leakbound.eval(MODEL, data=DATA, n=2, metric="bleu"), "--metric: expected")
    C.raises("eval: item without an answer", ValueError,
             lambda: leakbound.eval(MODEL, data=[{"id": "a", "question": "q"}], n=2,
                                    metric="rougeL-recall"), "a")
    C.raises("eval: unknown keyword", ValueError,
             lambda: leakbound.eval(MODEL, data=DATA, n=2, metric="exact", fancy=1), "fancy")
    C.raises("eval: n = 0", ValueError,
             lambda: leakbound.eval(MODEL, data=DATA, n=0, metric="exact"), "at least one")
    C.raises("eval: two thresholds of one key (report.json keys M_gen/P_ge by it)", ValueError,
             lambda: leakbound.eval(MODEL, data=DATA, n=2, metric="exact", thresholds=[0.5, 0.50]),
             'same key "0.5" as an earlier threshold')


OUT_FILES = ("samples.jsonl", "report.json", "report.md", "density.svg", "ecdf.svg", "ed.svg")


def samples_files():
    """A rouge file with greedy lines ("sample": -1), a keywords file of vLLM-style "outputs"
    with a --greedy-field, a file of bare answers whose references a data set gives, that
    data set."""
    rnd = np.random.default_rng(7)
    refs = {"q0": "The book was written by Jaime Vasquez in Santiago",
            "q1": "She was born in Santiago Chile in 1972",
            "q2": "He works as a baker in Paris near the river"}
    rouge, bare, data, kw = [], [], [], []
    for i, (k, ref) in enumerate(refs.items()):
        words = ref.split()
        rouge.append({"id": k, "sample": -1, "question": f"Question {i}?", "reference": ref,
                      "text": " ".join(words[:3])})
        for j in range(6):
            pick = rnd.permutation(len(words))[:int(rnd.integers(1, len(words)))]
            text = " ".join(words[t] for t in sorted(pick))
            rouge.append({"id": k, "sample": j, "question": f"Question {i}?", "reference": ref,
                          "text": text})
            bare.append({"id": i, "text": text})
        data.append({"id": i, "question": f"Question {i}?", "answer": ref})
    for i in range(4):
        outs = [{"text": str(rnd.choice(["Harry went home", "nothing", "ron said", "wrong",
                                         "Hermione"]))} for _ in range(5)]
        kw.append({"id": f"k{i}", "prompt": f"Tell me {i}", "keywords": ["Harry", "Ron"],
                   "outputs": outs, "greedy": "Harry" if i % 2 else "no"})
    paths = {}
    for name, rows in (("rouge", rouge), ("kw", kw), ("bare", bare), ("data", data)):
        paths[name] = jsonl(os.path.join(WORK, f"samples-{name}.jsonl"), rows)
    return paths, data


def cli_fail(args):
    """The message `leakbound ARGS` prints for its refusal (without "leakbound eval: ")."""
    p = subprocess.run([CLI] + args, capture_output=True, text=True, env=sub_env())
    line = p.stderr.splitlines()[0] if p.stderr else ""
    return p.returncode, line.split(": ", 1)[1] if ": " in line else line


def check_eval_samples():
    """eval(samples=PATH) against `leakbound eval --samples PATH`: the six files byte for byte
    (the CLI's argv passed; without it all but the argv lines), for a rouge file with greedy
    lines, a keywords file (--text-field outputs --greedy-field) and a file joined with --data
    (a path, or the items as dicts); the returned matrix against the scores of samples.jsonl
    (bit-equal) and report.json's per-prompt n, max, mean and greedy; refusals with the
    CLI's messages."""
    f, items_ = samples_files()
    cases = [
        ("rouge", ["--samples", f["rouge"], "--metric", "rougeL-recall", "--threshold", "0.3",
                   "--threshold", "0.7", "--alpha", "0.05"],
         dict(samples=f["rouge"], metric="rougeL-recall", thresholds=[0.3, 0.7], alpha=0.05)),
        ("keywords", ["--samples", f["kw"], "--metric", "keywords", "--text-field", "outputs",
                      "--greedy-field", "greedy", "--keyword-match", "substring"],
         dict(samples=f["kw"], metric="keywords", text_field="outputs", greedy_field="greedy",
              keyword_match="substring")),
        ("data", ["--samples", f["bare"], "--data", f["data"], "--metric", "rouge1-f",
                  "--method", "conbo", "--leak-threshold", "0.6"],
         dict(samples=f["bare"], data=f["data"], metric="rouge1-f", method="conbo",
              leak_threshold=0.6)),
    ]
    for tag, args, kw in cases:
        cli_out = os.path.join(WORK, f"samples-cli-{tag}")
        py_out = os.path.join(WORK, f"samples-py-{tag}")
        py_own = os.path.join(WORK, f"samples-pyargv-{tag}")
        run(["eval"] + args + ["--out", cli_out])
        with open(os.path.join(cli_out, "report.json"), encoding="utf-8") as fp:
            want = json.load(fp)
        rep = leakbound.eval(out=py_out, argv=want["provenance"]["argv"], **kw)
        for name in OUT_FILES:
            C.check(f"eval samples {tag}: {name} byte-identical to the CLI's",
                    read(os.path.join(cli_out, name)) == read(os.path.join(py_out, name)))
        own = leakbound.eval(out=py_own, **kw)  # its own command line in provenance
        C.check(f"eval samples {tag}: own argv is the equivalent command",
                own["provenance"]["argv"][:2] == ["leakbound", "eval"] and
                own["provenance"]["argv"][2:4] == ["--samples", kw["samples"]])
        for name in OUT_FILES:
            a, b = read(os.path.join(cli_out, name)), read(os.path.join(py_own, name))
            if name == "report.json":
                a, b = strip_argv(json.loads(a)), strip_argv(json.loads(b))
            elif name == "report.md":
                a = b"\n".join(x for x in a.split(b"\n") if b"leakbound eval" not in x)
                b = b"\n".join(x for x in b.split(b"\n") if b"leakbound eval" not in x)
            C.check(f"eval samples {tag}: {name} as the CLI's (but argv)", a == b)
        got = {k: v for k, v in rep.items() if k not in ("scores", "greedy_scores")}
        C.check(f"eval samples {tag}: the dict is report.json", got == want)
        ids = [p["id"] for p in want["prompts"]]
        n = want["prompts"][0]["n"]
        mat = np.full((len(ids), n), np.nan)
        gr = np.full(len(ids), np.nan)
        with open(os.path.join(cli_out, "samples.jsonl"), encoding="utf-8") as fp:
            for line in fp:
                r = json.loads(line)
                if r["sample"] < 0:
                    gr[ids.index(r["id"])] = r["score"]
                else:
                    mat[ids.index(r["id"]), r["sample"]] = r["score"]
        s, g = rep["scores"], rep["greedy_scores"]
        C.check(f"eval samples {tag}: scores (P x n) bit-equal to samples.jsonl's",
                s.shape == mat.shape and np.array_equal(s.view(np.uint64), mat.view(np.uint64)),
                f"{s} vs {mat}")
        C.check(f"eval samples {tag}: greedy scores bit-equal to samples.jsonl's",
                np.array_equal(g.view(np.uint64), gr.view(np.uint64)), f"{g} vs {gr}")
        C.check(f"eval samples {tag}: report.json's per-prompt n, max, mean, greedy",
                all(p["n"] == s.shape[1] and p["max"] == s[i].max() and
                    math.isclose(p["mean"], s[i].mean(), rel_tol=1e-12, abs_tol=1e-15) and
                    (p["greedy"] == g[i] if p["greedy"] is not None else math.isnan(g[i]))
                    for i, p in enumerate(want["prompts"])), f"{want['prompts'][0]}")
        C.check(f"eval samples {tag}: scores vary (the comparison can fail)",
                len(np.unique(s)) > 1)
    # the data set as a list of dicts: the same report (but the data's path in provenance)
    a = leakbound.eval(samples=f["bare"], data=items_, metric="rouge1-f", method="conbo",
                       leak_threshold=0.6)
    b = leakbound.eval(samples=f["bare"], data=f["data"], metric="rouge1-f", method="conbo",
                       leak_threshold=0.6)
    for d in (a, b):
        d["provenance"] = {k: v for k, v in d["provenance"].items()
                           if k not in ("argv", "data", "data_sha256")}
    C.check("eval samples: data as dicts gives the file's report",
            {k: v for k, v in a.items() if k not in ("scores", "greedy_scores")} ==
            {k: v for k, v in b.items() if k not in ("scores", "greedy_scores")} and
            np.array_equal(a["scores"], b["scores"]))
    # refusals: the CLI's message, raised
    out = os.path.join(WORK, "samples-refused")
    for tag, args, kw, exc in (
            ("no metric", ["--samples", f["rouge"]], dict(samples=f["rouge"]), ValueError),
            ("a sampling flag", ["--samples", f["rouge"], "--metric", "exact", "--top-p", "0.9"],
             dict(samples=f["rouge"], metric="exact", top_p=0.9), ValueError),
            ("n", ["--samples", f["rouge"], "--metric", "exact", "-n", "4"],
             dict(samples=f["rouge"], metric="exact", n=4), ValueError),
            ("a model", ["--samples", f["rouge"], "--metric", "exact", "--model", MODEL],
             dict(samples=f["rouge"], metric="exact", model_dir=MODEL), ValueError),
            ("a field without samples", ["--model", MODEL, "--data", DATA, "--metric", "exact",
                                         "-n", "2", "--text-field", "x"],
             dict(model_dir=MODEL, data=DATA, metric="exact", n=2, text_field="x"), ValueError),
            ("judge without --judge", ["--samples", f["rouge"], "--metric", "judge"],
             dict(samples=f["rouge"], metric="judge"), ValueError),
            ("a missing reference", ["--samples", f["bare"], "--metric", "exact"],
             dict(samples=f["bare"], metric="exact"), ValueError),
            ("a missing file", ["--samples", os.path.join(WORK, "nope.jsonl"), "--metric",
                                "exact"],
             dict(samples=os.path.join(WORK, "nope.jsonl"), metric="exact"), OSError)):
        rc, msg = cli_fail(["eval"] + args + ["--out", out])
        C.check(f"eval samples, {tag}: the CLI refuses it", rc == 2 and msg, f"{rc} {msg}")
        C.raises(f"eval samples, {tag}: raises the CLI's message", exc,
                 lambda: leakbound.eval(out=out, **kw), msg)
    C.check("eval samples: the refusals wrote nothing", not os.path.exists(out))


CHILD = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
import leakbound
print("started", flush=True)
t = time.time()
try:
    leakbound.sample(sys.argv[2], ["Tell me about the author %d" % i for i in range(4000)],
                     n=64, seed=1, max_new_tokens=64, threads=1)
    print("finished", flush=True)
except KeyboardInterrupt:
    print("KeyboardInterrupt after %.1f s" % (time.time() - t), flush=True)
    sys.exit(3)
"""


def check_interrupt():
    p = subprocess.Popen([sys.executable, "-c", CHILD, os.path.join(SRC, "python"), MODEL],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=dict(os.environ))
    first = p.stdout.readline()
    time.sleep(2.0)
    t = time.time()
    p.send_signal(signal.SIGINT)
    try:
        out, err = p.communicate(timeout=30 if SANITIZED else 10)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        C.check("SIGINT: the child ended", False, "still running 10 s after SIGINT")
        return
    took = time.time() - t
    C.check("SIGINT: KeyboardInterrupt, promptly", first.startswith("started") and p.returncode == 3
            and "KeyboardInterrupt" in out and took < 5, f"rc {p.returncode} in {took:.1f} s: "
            f"{out!r} {err[-1500:]!r}")


def main():
    check_sample()
    check_sample_file()
    cli_out, mat, gr, ids = check_eval()
    if hasattr(leakbound, "load_samples"):
        check_load_samples(cli_out, mat, gr, ids)
    else:
        C.check("load_samples exists", False)
    check_judge()
    check_eval_samples()
    check_errors()
    check_interrupt()
    C.finish()


if __name__ == "__main__":
    main()
