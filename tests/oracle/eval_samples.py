#!/usr/bin/python3
"""`leakbound eval --samples FILE`: generations made elsewhere, scored, bounded and reported.

1. `eval` (the bundled default: a real model, real sampling) and then `eval --samples` on its
   own samples.jsonl give the same report numbers, field by field, bit for bit.
2. The same answers written in other shapes — one per line with "sample": -1 for the greedy
   answer, vLLM (`outputs: [{text}]`, the greedy answer in --greedy-field), OpenAI-style
   (`choices: [{text}]`), HF (a list of strings) — give the same numbers again.
3. The bounds of the --samples report against the numpy/scipy reference (stats_ref.py) on the
   scores of its samples.jsonl, and those scores against `leakbound score` on the same lines.
4. Keywords with integer ids (the HP layout): ids stay integers, M_bin, no greedy (null).
5. The report records the file (path, sha256 by hashlib, also when read from a pipe) and no
   sampling setting.
6. Malformed input: exit 2, a message naming FILE:LINE, no output folder; duplicated samples
   (the file concatenated twice, a repeated (id, "sample"), a repeated vLLM line), one id as an
   integer and a string (1 and "1"; "q1" and 7 are fine, as in `bound`), one id with two
   references, an empty keyword list, a greedy line with two answers, a --greedy-field no line
   has. --allow-duplicates counts repeats (n doubles) and keeps one copy of a repeated greedy
   answer of the same text (as `bound` keeps one of the same score).
7. --data FILE (TOFU JSONL, HP CSV) joins references/keywords by id: the same numbers as the
   lines carrying them; ids in one file only, or a different reference, are errors.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stats_ref as ref  # noqa: E402

CLI = os.environ["LB_CLI"]
failures = []
NUM = ("n", "mean", "std", "max", "M_mu", "M_mu_lower", "M_sigma", "ED", "M_gen", "M_bin",
       "P_ge", "queries", "leak_at", "greedy")


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def run(args):
    return subprocess.run([CLI] + args, capture_output=True, text=True)


def numbers(rep):
    return ([{k: p.get(k) for k in ("id",) + NUM} for p in rep["prompts"]], rep["summary"])


def same_numbers(a, b, tag):
    pa, sa = numbers(a)
    pb, sb = numbers(b)
    if len(pa) != len(pb):
        fail(f"{tag}: {len(pb)} prompts, want {len(pa)}")
        return
    for x, y in zip(pa, pb):
        for k in x:
            if x[k] != y[k]:
                fail(f"{tag}: prompt {x['id']} {k}: {y[k]!r}, want {x[k]!r}")
    if sa != sb:
        fail(f"{tag}: summary differs: {sb} vs {sa}")


def eval_samples(path, out, extra, metric="rougeL-recall"):
    r = run(["eval", "--samples", path, "--metric", metric, "--strip-prefix", "Answer:",
             "--out", out] + extra)
    if r.returncode != 0:
        fail(f"eval --samples {os.path.basename(path)} {extra}: exit {r.returncode}: {r.stderr}")
        return None
    return json.load(open(os.path.join(out, "report.json")))


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for o in rows:
            f.write(json.dumps(o, ensure_ascii=False) + "\n")


def check_against_ref(rep, out, tag):
    """Bounds recomputed with numpy/scipy on the scores of samples.jsonl; the scores against
    `leakbound score` on the same lines without their score."""
    lines = [json.loads(l) for l in open(os.path.join(out, "samples.jsonl"), encoding="utf-8")]
    a, lam = rep["alpha"], rep["ed_lambda"]
    for p in rep["prompts"]:
        x = np.array([l["score"] for l in lines if l["id"] == p["id"] and l["sample"] >= 0])
        e1 = ref.eps_one_sided(len(x), a)
        want = {"n": len(x), "mean": x.mean(), "max": x.max(),
                "M_mu": ref.anderson_upper(x, e1), "M_mu_lower": ref.anderson_lower(x, e1),
                "M_sigma": ref.sigma_exact(x, a)}
        want["ED"] = want["M_mu"] + lam * want["M_sigma"]
        for k, v in want.items():
            if abs(p[k] - v) > 1e-9:
                fail(f"{tag}: prompt {p['id']} {k} = {p[k]}, scipy reference {v}")
        g = [l["score"] for l in lines if l["id"] == p["id"] and l["sample"] == -1]
        if (g[0] if g else None) != p["greedy"]:
            fail(f"{tag}: prompt {p['id']} greedy {p['greedy']} vs samples.jsonl {g}")
    bare = os.path.join(out, "..", os.path.basename(out) + "-bare.jsonl")
    write_jsonl(bare, [{k: v for k, v in l.items() if k != "score"} for l in lines])
    r = run(["score", "--metric", rep["eval"]["metric"], "--strip-prefix", "Answer:", bare])
    got = [json.loads(l)["score"] for l in r.stdout.splitlines()]
    if r.returncode or got != [l["score"] for l in lines]:
        fail(f"{tag}: samples.jsonl scores differ from `leakbound score` ({r.stderr})")


def main():
    n = 4 if os.environ.get("LB_SANITIZED") else 8
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        env.pop("LEAKBOUND_DEFAULT_DIR", None)
        e1 = os.path.join(tmp, "e1")
        r = subprocess.run([CLI, "eval", "-n", str(n), "--limit", "6", "--out", e1, "--quiet"],
                           capture_output=True, text=True, env=env)
        if r.returncode:
            fail(f"eval: exit {r.returncode}: {r.stderr}")
            return
        base = json.load(open(os.path.join(e1, "report.json")))
        own = os.path.join(e1, "samples.jsonl")

        # 1. its own samples.jsonl
        rep = eval_samples(own, os.path.join(tmp, "e2"), [])
        if rep:
            same_numbers(base, rep, "own samples.jsonl")
            ev = rep["eval"]
            sha = hashlib.sha256(open(own, "rb").read()).hexdigest()
            if ev.get("samples_from") != "file" or ev.get("samples_file") != own or \
                    ev.get("samples_sha256") != sha:
                fail(f"eval block does not record the file and its sha256: {ev}")
            for k in ("seed", "temperature", "top_k", "top_p", "max_new_tokens", "max_length",
                      "template", "rng", "min_p"):
                if k in ev:
                    fail(f"eval block claims a sampling setting it did not use: {k}")
            if "model" in rep["provenance"] or "data" in rep["provenance"]:
                fail(f"provenance names a model/data: {rep['provenance']}")
            md = open(os.path.join(tmp, "e2", "report.md")).read()
            if sha not in md or "top-p" in md:
                fail("report.md: names the file's sha256, no sampling settings")
            check_against_ref(rep, os.path.join(tmp, "e2"), "own samples.jsonl")

        lines = [json.loads(l) for l in open(own, encoding="utf-8")]
        ids = []
        for l in lines:
            if l["id"] not in ids:
                ids.append(l["id"])
        grp = {i: [l for l in lines if l["id"] == i] for i in ids}
        greedy = {i: next(l for l in grp[i] if l["sample"] == -1) for i in ids}
        samp = {i: sorted((l for l in grp[i] if l["sample"] >= 0), key=lambda l: l["sample"])
                for i in ids}

        # 2. other shapes of the same answers
        plain = [{"id": i, "text": greedy[i]["text"], "reference": greedy[i]["reference"],
                  "sample": -1} for i in ids]
        plain += [{"id": i, "text": l["text"], "reference": l["reference"]} for i in ids
                  for l in samp[i]]
        vllm = [{"request_id": i, "prompt": greedy[i]["prompt"],
                 "outputs": [{"index": k, "text": l["text"], "finish_reason": "stop"}
                             for k, l in enumerate(samp[i])],
                 "greedy": [{"index": 0, "text": greedy[i]["text"]}],
                 "reference": greedy[i]["reference"]} for i in ids]
        openai = [{"id": i, "object": "text_completion",
                   "choices": [{"index": k, "text": l["text"], "logprobs": None}
                               for k, l in enumerate(samp[i])],
                   "greedy": greedy[i]["text"], "reference": greedy[i]["reference"]}
                  for i in ids]
        hf = [{"id": i, "generations": [l["text"] for l in samp[i]], "answer": greedy[i]["reference"]}
              for i in ids]
        hf += [{"id": i, "generations": greedy[i]["text"], "answer": greedy[i]["reference"],
                "sample": -1} for i in ids]
        # the greedy answer as a one-answer array on its own "sample": -1 line (HF, vLLM)
        hf1 = [o for o in hf if "sample" not in o]
        hf1 += [{"id": i, "sample": -1, "generations": [greedy[i]["text"]],
                 "answer": greedy[i]["reference"]} for i in ids]
        vllm1 = [{k: v for k, v in o.items() if k != "greedy"} for o in vllm]
        vllm1 += [{"request_id": i, "sample": -1, "outputs": [{"index": 0, "text": greedy[i]["text"]}],
                   "reference": greedy[i]["reference"]} for i in ids]
        shapes = [("plain", plain, []),
                  ("hf-greedy-array", hf1, ["--text-field", "generations", "--reference-field",
                                            "answer"]),
                  ("vllm-greedy-line", vllm1, ["--text-field", "outputs", "--id-field",
                                               "request_id"]),
                  ("vllm", vllm, ["--text-field", "outputs", "--id-field", "request_id",
                                  "--greedy-field", "greedy"]),
                  ("openai", openai, ["--text-field", "choices", "--greedy-field", "greedy"]),
                  ("hf", hf, ["--text-field", "generations", "--reference-field", "answer"])]
        for name, rows, extra in shapes:
            p = os.path.join(tmp, name + ".jsonl")
            write_jsonl(p, rows)
            rep = eval_samples(p, os.path.join(tmp, "o-" + name), extra)
            if rep:
                same_numbers(base, rep, name)
        # without the greedy answers: the same bounds, greedy null
        p = os.path.join(tmp, "nogreedy.jsonl")
        write_jsonl(p, [{k: v for k, v in o.items() if k != "greedy"} for o in openai])
        rep = eval_samples(p, os.path.join(tmp, "o-ng"), ["--text-field", "choices"])
        if rep:
            if any(q["greedy"] is not None for q in rep["prompts"]):
                fail("no greedy answer: greedy should be null")
            for q in rep["prompts"]:
                q["greedy"] = next(b["greedy"] for b in base["prompts"] if b["id"] == q["id"])
            same_numbers(base, rep, "no greedy")

        # 4. keywords, integer ids, a comma-separated keyword string
        rng = np.random.default_rng(3)
        words = ["Hogwarts", "wrong", "Ron", "tomorrow", "Tom", "house", "Dumbledore"]
        kw_rows = []
        for q in range(5):
            texts = [" ".join(rng.choice(words, size=3)) for _ in range(16)]
            kw_rows.append({"id": 100 + q, "outputs": [{"text": t} for t in texts],
                            "keywords": "Ron, Dumbledore" if q % 2 else ["Tom", "Hogwarts"]})
        p = os.path.join(tmp, "kw.jsonl")
        write_jsonl(p, kw_rows)
        out = os.path.join(tmp, "o-kw")
        r = run(["eval", "--samples", p, "--metric", "keywords", "--text-field", "outputs",
                 "--out", out])
        rep_kw = None
        if r.returncode:
            fail(f"keywords: exit {r.returncode}: {r.stderr}")
        else:
            rep = rep_kw = json.load(open(os.path.join(out, "report.json")))
            if [q["id"] for q in rep["prompts"]] != [100 + q for q in range(5)]:
                fail(f"keywords: ids {[q['id'] for q in rep['prompts']]} (integers, in file order)")
            if any("M_bin" not in q or q["greedy"] is not None for q in rep["prompts"]):
                fail("keywords: M_bin on every prompt, greedy null")
            if rep["eval"].get("keyword_match") != "word":
                fail("keywords: keyword_match recorded")
            check_kw(rep, out)

        # 5. read from a pipe: the same numbers, the sha256 of the bytes piped
        with open(own, "rb") as f:
            r = subprocess.run([CLI, "eval", "--samples", "/dev/stdin", "--metric", "rougeL-recall",
                                "--strip-prefix", "Answer:", "--out", os.path.join(tmp, "o-pipe")],
                               input=f.read(), capture_output=True)
        if r.returncode:
            fail(f"piped --samples: exit {r.returncode}: {r.stderr.decode()}")
        else:
            rep = json.load(open(os.path.join(tmp, "o-pipe", "report.json")))
            same_numbers(base, rep, "piped")
            if rep["eval"]["samples_sha256"] != hashlib.sha256(open(own, "rb").read()).hexdigest():
                fail(f"piped: samples_sha256 {rep['eval']['samples_sha256']} is not the bytes'")

        # 6. malformed input, duplicates
        errors(tmp, own)
        duplicates(tmp, own, base, vllm)

        # 7. --data joins references and keywords by id
        join(tmp, base, plain, kw_rows, rep_kw)
    print(f"{0 if failures else 1} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


def check_kw(rep, out):
    import re
    lines = [json.loads(l) for l in open(os.path.join(out, "samples.jsonl"))]
    a = rep["alpha"]
    for p in rep["prompts"]:
        mine = [l for l in lines if l["id"] == p["id"]]
        kws = mine[0]["keywords"]
        kws = [k.strip() for k in kws.split(",")] if isinstance(kws, str) else kws
        x = [float(any(re.search(r"(?<![^\W_])" + re.escape(k) + r"(?![^\W_])", l["text"], re.I)
                       for k in kws if k)) for l in mine]
        if x != [l["score"] for l in mine]:
            fail(f"keywords: prompt {p['id']}: scores {[l['score'] for l in mine]}, re says {x}")
        if abs(p["M_bin"] - ref.cp_upper(int(sum(x)), len(x), a)) > 1e-9:
            fail(f"keywords: prompt {p['id']}: M_bin {p['M_bin']} vs scipy")


def errors(tmp, own):
    good = {"id": "a", "text": "x y", "reference": "x"}
    cases = [
        ("malformed JSON", [good, "{\"id\": \"a\", \"text\": "], [], ":2:"),
        ("not an object", [good, "[1, 2]"], [], ":2:"),
        ("missing id", [good, {"text": "x", "reference": "x"}], [], ":2:"),
        ("id not a string", [good, {"id": 1.5, "text": "x", "reference": "x"}], [], ":2:"),
        ("missing text", [good, {"id": "a", "reference": "x"}], [], ":2:"),
        ("text a number", [good, {"id": "a", "text": 3, "reference": "x"}], [], ":2:"),
        ("array item", [{"id": "a", "outputs": ["x"], "reference": "x"},
                        {"id": "a", "outputs": [{"text": "x"}, {"tex": "y"}],
                               "reference": "x"}], ["--text-field", "outputs"], "item 1"),
        ("missing reference", [good, {"id": "a", "text": "x"}], [], ":2:"),
        ("bad sample", [good, {"id": "a", "text": "x", "reference": "x", "sample": "one"}], [], ":2:"),
        ("two greedy", [good, {"id": "a", "text": "x", "reference": "x", "sample": -1},
                        {"id": "a", "text": "x", "reference": "x", "sample": -1}], [], ":3:"),
        ("greedy field", [good, {"id": "a", "text": "x", "reference": "x", "g": 5}],
         ["--greedy-field", "g"], ":2:"),
        ("unequal n", [good, good, {"id": "b", "text": "x", "reference": "x"}], [], "same number"),
        ("only greedy", [good, {"id": "b", "text": "x", "reference": "x", "sample": -1}], [],
         ":2:"),
        ("greedy array of two", [good, {"id": "a", "sample": -1, "text": ["x", "y"],
                                        "reference": "x"}], [], ":2: a greedy line"),
        ("vllm greedy of two", [{"id": "a", "outputs": [{"text": "x"}], "reference": "x"},
                                {"id": "a", "sample": -1, "outputs": [{"text": "x"}, {"text": "y"}],
                                 "reference": "x"}], ["--text-field", "outputs"], ":2: a greedy line"),
        ("sample index on an array", [{"id": "a", "outputs": ["x"], "reference": "x", "sample": 0}],
         ["--text-field", "outputs"], ":1:"),
        ("empty outputs", [{"id": "a", "outputs": [], "reference": "x"}],
         ["--text-field", "outputs"], ":1: id 'a' has no answer"),
        ("greedy field on no line", [good, good], ["--greedy-field", "greedy"], '"greedy"'),
        ("same id and sample", [{"id": "a", "text": "x", "reference": "x", "sample": 0},
                                {"id": "b", "text": "x", "reference": "x", "sample": 0},
                                {"id": "b", "text": "x", "reference": "x", "sample": 1},
                                {"id": "a", "text": "y", "reference": "x", "sample": 0}], [],
         ":4: this id and \"sample\" are already on line 1"),
        ("identical vllm lines", [{"id": "a", "outputs": ["x", "y"], "reference": "x"},
                                  {"id": "b", "outputs": ["x", "y"], "reference": "x"},
                                  {"id": "b", "outputs": ["z", "y"], "reference": "x"},
                                  {"id": "a", "outputs": ["x", "y"], "reference": "x"}],
         ["--text-field", "outputs"], ":4: the same bytes as line 1"),
        ("mixed id types", [{"id": 1, "text": "x", "reference": "x"},
                            {"id": "1", "text": "x", "reference": "x"}], [],
         ":2: id \"1\" is a string, but line 1's id 1 is an integer"),
        ("mixed id types, later", [{"id": "a", "text": "x", "reference": "x"},
                                   {"id": 7, "text": "x", "reference": "x"},
                                   {"id": "7", "text": "x", "reference": "x"}], [],
         ":3: id \"7\" is a string, but line 2's id 7 is an integer"),
        ("two references", [good, {"id": "b", "text": "x", "reference": "x"},
                            {"id": "b", "text": "y", "reference": "x"},
                            {"id": "a", "text": "x", "reference": "z"}], [],
         ":4: id 'a': field \"reference\" differs from the one on line 1"),
        ("two keyword lists", [{"id": "a", "text": "x", "keywords": "Ron, Tom"},
                               {"id": "a", "text": "y", "keywords": ["Ron", "Tom"]},
                               {"id": "a", "text": "z", "keywords": ["Ron"]}],
         ["--metric", "keywords"], ":3: id 'a': field \"keywords\" differs from the one on line 1"),
        ("empty keyword list", [{"id": "a", "text": "x", "keywords": []}], ["--metric", "keywords"],
         ":1: field \"keywords\" holds no keyword"),
        ("blank keyword string", [{"id": "a", "text": "x", "keywords": " , "}],
         ["--metric", "keywords"], ":1: field \"keywords\" holds no keyword"),
        ("empty", [], [], "no samples"),
    ]
    for i, (label, rows, extra, want) in enumerate(cases):
        p = os.path.join(tmp, f"bad{i}.jsonl")
        with open(p, "w") as f:
            for o in rows:
                f.write((o if isinstance(o, str) else json.dumps(o)) + "\n")
        out = os.path.join(tmp, f"bad-out{i}")
        r = run(["eval", "--samples", p, "--metric", "rougeL-recall", "--out", out] + extra)
        if r.returncode != 2 or want not in r.stderr or \
                not r.stderr.startswith("leakbound eval: " + p) or "Traceback" in r.stderr:
            fail(f"{label}: exit {r.returncode}, stderr {r.stderr!r} (want 2, '{p}' and '{want}')")
        if os.path.exists(out):
            fail(f"{label}: an output folder was left")
    # ids of both types that differ are two questions, as `bound` reads them
    p = os.path.join(tmp, "two-types.jsonl")
    write_jsonl(p, [{"id": "q1", "text": "x", "reference": "x"}, {"id": 7, "text": "y", "reference": "x"}])
    out = os.path.join(tmp, "o-two-types")
    r = run(["eval", "--samples", p, "--metric", "rougeL-recall", "--out", out])
    if r.returncode:
        fail(f"ids \"q1\" and 7: exit {r.returncode}: {r.stderr}")
    elif [q["id"] for q in json.load(open(os.path.join(out, "report.json")))["prompts"]] != ["q1", 7]:
        fail("ids \"q1\" and 7: report ids")
    out = os.path.join(tmp, "bad-flags")
    for label, args in [("sampling flag", ["--temperature", "0.5"]), ("model", ["--model", tmp]),
                        ("-n", ["-n", "4"]), ("judge", ["--metric", "judge"]),
                        ("threshold of an earlier key",
                         ["--threshold", "0.5", "--threshold", "0.50"])]:
        r = run(["eval", "--samples", own, "--metric", "rougeL-recall", "--out", out] + args)
        if r.returncode != 2 or "leakbound eval: " not in r.stderr:
            fail(f"{label} with --samples: exit {r.returncode}, {r.stderr!r}")
    r = run(["eval", "--text-field", "x", "--metric", "rougeL-recall", "--out", out])
    if r.returncode != 2 or "--samples" not in r.stderr:
        fail(f"--text-field without --samples: exit {r.returncode}, {r.stderr!r}")
    r = run(["eval", "--samples", os.path.join(tmp, "nope.jsonl"), "--metric", "exact", "--out", out])
    if r.returncode != 2 or "nope.jsonl" not in r.stderr:
        fail(f"missing file: exit {r.returncode}, {r.stderr!r}")
    if os.path.exists(out):
        fail("bad flags: an output folder was left")


def duplicates(tmp, own, base, vllm):
    """The file concatenated twice (leakbound's own samples.jsonl, a vLLM dump): refused, naming
    the first repeated line and its original; --allow-duplicates counts every line (n doubles)."""
    # without greedy answers (a second greedy answer is refused on its own)
    own_s = [l for l in open(own, encoding="utf-8") if json.loads(l)["sample"] >= 0]
    vllm_s = [json.dumps({k: v for k, v in o.items() if k != "greedy"}) + "\n" for o in vllm]
    for name, lines, extra in [("own", own_s, []),
                               ("vllm", vllm_s, ["--text-field", "outputs", "--id-field",
                                                 "request_id"])]:
        p = os.path.join(tmp, f"twice-{name}.jsonl")
        body = "".join(lines)
        first = len(lines) + 1
        with open(p, "w", encoding="utf-8") as f:
            f.write(body + body)
        out = os.path.join(tmp, f"o-twice-{name}")
        r = run(["eval", "--samples", p, "--metric", "rougeL-recall", "--out", out] + extra)
        if r.returncode != 2 or f"{p}:{first}:" not in r.stderr or "line 1" not in r.stderr \
                or os.path.exists(out):
            fail(f"{name} twice: exit {r.returncode}, {r.stderr!r} (want 2 naming {p}:{first} "
                 "and line 1, no output)")
    # --allow-duplicates: unnumbered lines repeated (the sample index would make them a
    # conflict, the greedy line a second greedy answer): every line counted
    p = os.path.join(tmp, "twice-plain.jsonl")
    rows = [{k: v for k, v in json.loads(l).items() if k not in ("sample", "score")}
            for l in open(own, encoding="utf-8") if json.loads(l)["sample"] >= 0]
    write_jsonl(p, rows + rows)
    out = os.path.join(tmp, "o-twice-plain")
    r = run(["eval", "--samples", p, "--metric", "rougeL-recall", "--strip-prefix", "Answer:",
             "--out", out, "--allow-duplicates"])
    if r.returncode:
        fail(f"--allow-duplicates: exit {r.returncode}: {r.stderr}")
    else:
        rep = json.load(open(os.path.join(out, "report.json")))
        for q, b in zip(rep["prompts"], base["prompts"]):
            if q["n"] != 2 * b["n"] or abs(q["mean"] - b["mean"]) > 1e-12:
                fail(f"--allow-duplicates: prompt {q['id']} n {q['n']} mean {q['mean']}, want "
                     f"{2 * b['n']} and {b['mean']}")
        check_against_ref(rep, out, "--allow-duplicates")
    # --allow-duplicates on the file with its greedy lines, concatenated twice: each sample
    # counted twice, the repeated greedy answer (the same text) kept once, as `bound` keeps a
    # repeated greedy line of the same score; a greedy answer of another text is still refused.
    p = os.path.join(tmp, "twice-greedy.jsonl")
    rows = [{k: v for k, v in json.loads(l).items() if k != "score"}
            for l in open(own, encoding="utf-8")]
    write_jsonl(p, rows + rows)
    out = os.path.join(tmp, "o-twice-greedy")
    r = run(["eval", "--samples", p, "--metric", "rougeL-recall", "--strip-prefix", "Answer:",
             "--out", out, "--allow-duplicates"])
    if r.returncode:
        fail(f"--allow-duplicates, greedy lines repeated: exit {r.returncode}: {r.stderr}")
    else:
        rep = json.load(open(os.path.join(out, "report.json")))
        for q, b in zip(rep["prompts"], base["prompts"]):
            if q["n"] != 2 * b["n"] or abs(q["mean"] - b["mean"]) > 1e-12 or \
                    q["greedy"] != b["greedy"]:
                fail(f"--allow-duplicates, greedy repeated: prompt {q['id']} n {q['n']} mean "
                     f"{q['mean']} greedy {q['greedy']}, want {2 * b['n']}, {b['mean']}, "
                     f"{b['greedy']}")
        check_against_ref(rep, out, "--allow-duplicates, greedy repeated")
        # what eval writes keeps one greedy line: `bound` reads it without --allow-duplicates
        bound = run(["bound", os.path.join(out, "samples.jsonl")])
        if bound.returncode:
            fail(f"bound on eval's samples.jsonl: exit {bound.returncode}: {bound.stderr}")
    g = next(k for k, o in enumerate(rows) if o["sample"] == -1)
    other = dict(rows[g], text=rows[g]["text"] + " and more")
    write_jsonl(p, rows + [other])
    r = run(["eval", "--samples", p, "--metric", "rougeL-recall", "--out", out + "-2",
             "--allow-duplicates"])
    want = f"{p}:{len(rows) + 1}: a second greedy answer for id '{rows[g]['id']}' (the first " \
           f"is on line {g + 1}, with another text)"
    if r.returncode != 2 or want not in r.stderr:
        fail(f"--allow-duplicates, another greedy text: exit {r.returncode}, {r.stderr!r}")
    # without it, a vLLM file with the same line twice for one request is refused (item 10)
    p = os.path.join(tmp, "dup-sample.jsonl")
    rows = [json.loads(l) for l in open(own, encoding="utf-8")]
    first = {}
    for k, o in enumerate(rows):
        if o["sample"] == 0:
            first.setdefault(o["id"], k + 1)
    # every id's sample 0 once more, with another answer (n stays equal over ids)
    rows += [dict(rows[k - 1], text="another answer") for k in first.values()]
    write_jsonl(p, rows)
    r = run(["eval", "--samples", p, "--metric", "rougeL-recall", "--out", os.path.join(tmp, "o-ds")])
    want = f"{p}:{len(rows) - len(first) + 1}: this id and \"sample\" are already on line " \
           f"{list(first.values())[0]}:"
    if r.returncode != 2 or want not in r.stderr:
        fail(f"repeated (id, sample): exit {r.returncode}, {r.stderr!r}")


def join(tmp, base, plain, kw_rows, rep_kw):
    """--data: references from a TOFU JSONL file, keywords from an HP CSV (no id column: the
    row number from 0), joined by id: the numbers of the lines that carried them."""
    ids = [q["id"] for q in base["prompts"]]
    refs = {o["id"]: o["reference"] for o in plain}
    data = os.path.join(tmp, "join.jsonl")
    write_jsonl(data, [{"id": i, "question": f"q {i}", "answer": refs[i]} for i in reversed(ids)])
    bare = os.path.join(tmp, "join-samples.jsonl")
    write_jsonl(bare, [{k: v for k, v in o.items() if k != "reference"} for o in plain])
    out = os.path.join(tmp, "o-join")
    rep = eval_samples(bare, out, ["--data", data])
    if rep:
        same_numbers(base, rep, "--data jsonl")
        if [q["question"] for q in rep["prompts"]] != [f"q {i}" for i in ids]:
            fail("--data: the questions come from the data set")
        if rep["provenance"].get("data") != data or rep["provenance"].get("data_sha256") != \
                hashlib.sha256(open(data, "rb").read()).hexdigest():
            fail(f"--data: provenance {rep['provenance']}")
        got = [json.loads(l) for l in open(os.path.join(out, "samples.jsonl"))]
        if any(l["reference"] != refs[l["id"]] for l in got):
            fail("--data: samples.jsonl lines carry the joined reference")
    # HP CSV, integer ids 0..4 = the rows
    csv = os.path.join(tmp, "hp.csv")
    with open(csv, "w", encoding="utf-8") as f:
        f.write("Question,Key Words\n")
        for q, o in enumerate(kw_rows):
            kws = o["keywords"] if isinstance(o["keywords"], str) else ", ".join(o["keywords"])
            f.write(f'"Question {q}?","{kws}"\n')
    rows = [{"id": q, "outputs": o["outputs"]} for q, o in enumerate(kw_rows)]
    p = os.path.join(tmp, "kw-bare.jsonl")
    write_jsonl(p, rows)
    out = os.path.join(tmp, "o-join-kw")
    r = run(["eval", "--samples", p, "--metric", "keywords", "--text-field", "outputs",
             "--data", csv, "--out", out])
    if r.returncode:
        fail(f"--data csv: exit {r.returncode}: {r.stderr}")
    elif rep_kw:
        rep = json.load(open(os.path.join(out, "report.json")))
        for a, b in zip(rep["prompts"], rep_kw["prompts"]):
            if any(a[k] != b[k] for k in NUM):
                fail(f"--data csv: prompt {a['id']} differs from in-line keywords")
        if [q["id"] for q in rep["prompts"]] != list(range(5)):
            fail(f"--data csv: ids {[q['id'] for q in rep['prompts']]}")
    # ids in one file only; a line's own reference that differs from the item's
    cases = [("id only in samples", [{"id": "zz", "text": "x"}], "id 'zz' is not in --data"),
             ("id only in data", [], "has no line here"),
             ("reference differs", [{"id": ids[0], "text": "x", "reference": "not it"}],
              "differs from the item's in --data")]
    for label, more, want in cases:
        keep = plain if label != "id only in data" else [o for o in plain if o["id"] != ids[-1]]
        p = os.path.join(tmp, f"join-bad-{len(more)}-{label[:2]}.jsonl")
        write_jsonl(p, [{k: v for k, v in o.items() if k != "reference"} for o in keep] + more)
        out = os.path.join(tmp, "o-join-bad")
        r = run(["eval", "--samples", p, "--metric", "rougeL-recall", "--data", data, "--out", out])
        if r.returncode != 2 or want not in r.stderr or os.path.exists(out):
            fail(f"--data, {label}: exit {r.returncode}, {r.stderr!r} (want 2 and '{want}')")


if __name__ == "__main__":
    main()
