#!/usr/bin/python3
"""`leakbound score` CLI contract: every bad-input path exits 2 with a message naming the file
and line and leaves stdout empty; --help; stdin and "-"; --reference-field; clashing "score"
fields replaced in place; fields and order kept byte for byte; output order across batches
and threads (9,000+ lines, an error past the first batch still writes nothing)."""
import json
import os
import subprocess
import sys

from text_common import work_dir

CLI = os.environ["LB_CLI"]
FAILS = []


def run(args, stdin=None, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([CLI, "score"] + args, input=stdin, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=e)


def check(name, cond, detail=""):
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else f": {detail}"))
    if not cond:
        FAILS.append(name)


def write(name, text):
    path = os.path.join(work_dir("cli_score"), name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def expect_error(name, content, needle, metric="rougeL-recall", extra=()):
    path = write(name + ".jsonl", content)
    r = run(["--metric", metric, *extra, path])
    err = r.stderr.decode()
    check(name, r.returncode == 2 and r.stdout == b"" and needle.format(path=path) in err,
          f"rc={r.returncode} stdout={r.stdout[:80]!r} stderr={err!r}")


def main():
    good = '{"text": "a b", "reference": "a"}\n'
    expect_error("malformed", good * 2 + '{"text": "a", "reference": }\n', "{path}:3:")
    expect_error("not_object", good + '["text"]\n', "{path}:2: expected a JSON object")
    expect_error("missing_text", good + good + '{"reference": "x"}\n', '{path}:3: missing field "text"')
    expect_error("missing_ref", '{"text": "x"}\n', '{path}:1: missing field "reference"')
    expect_error("text_not_string", '{"text": 3, "reference": "x"}\n', '{path}:1: field "text" is not a string')
    expect_error("ref_not_string", '\n\n{"text": "x", "reference": null}\n', '{path}:3: field "reference" is not a string')
    expect_error("kw_item", '{"text": "x", "keywords": ["a", 1]}\n', '{path}:1: field "keywords", item 1', "keywords")
    expect_error("kw_type", '{"text": "x", "keywords": {"a": 1}}\n', '{path}:1: field "keywords" must be', "keywords")
    expect_error("duplicate_key", good + '{"text": "a", "reference": "b", "text": "c"}\n',
                 "{path}:2:", "exact")
    expect_error("duplicate_key_named", '{"text": "a", "reference": "b", "reference": "c"}\n',
                 "duplicate object key near '\"reference\"'", "exact")
    expect_error("empty", "", "{path}: empty input", "exact")
    expect_error("blank_only", "\n  \n\t\n", "{path}: empty input", "exact")
    expect_error("renamed_missing", good, '{path}:1: missing field "answer"', "rouge1-f",
                 ["--reference-field", "answer"])
    # Usage errors.
    for name, args in [("no_metric", []), ("bad_metric", ["--metric", "bleu"]),
                       ("two_inputs", ["--metric", "exact", "a", "b"]),
                       ("bad_option", ["--metric", "exact", "--frobnicate"]),
                       ("no_file", ["--metric", "exact", os.path.join(work_dir("cli_score"), "nope.jsonl")])]:
        r = run(args, stdin=b"")
        check(name, r.returncode == 2 and r.stdout == b"" and r.stderr, f"rc={r.returncode}")
    r = run(["--help"])
    check("help", r.returncode == 0 and b"--metric" in r.stdout)

    # stdin, "-", --reference-field, key order and bytes preserved, clash replaced in place.
    src = ('{"id": 7, "x": 1.10, "text": "The Cats ran", "meta": {"k": [1, 2]}, "answer": "cat"}\n'
           '{"answer": "dog", "text": "dogs \\u00e9", "score": "old", "z": 0}\n')
    for args in (["--reference-field", "answer"], ["--reference-field", "answer", "-"]):
        r = run(["--metric", "rougeL-f", *args], stdin=src.encode())
        lines = r.stdout.decode().split("\n")
        ok = r.returncode == 0 and len(lines) == 3 and lines[2] == ""
        if ok:
            first = lines[0]
            ok = first.startswith(src.split("\n")[0][:-1] + ',"score":')
            o2 = json.loads(lines[1])
            ok = ok and list(o2) == ["answer", "text", "score", "z", "precision", "recall", "fmeasure"]
            ok = ok and o2["score"] == 1.0 and o2["z"] == 0
        check("stdin_fields " + " ".join(args), ok, repr(r.stdout[:300]) + r.stderr.decode())

    # Many lines: order across batches and threads; an error past the first batch.
    n = 9000
    rows = [{"i": i, "text": " ".join(["w%d" % (i % 7)] * (1 + i % 5)), "reference": "w%d" % (i % 3)}
            for i in range(n)]
    path = write("many.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    r = run(["--metric", "rouge1-recall", path], env={"OMP_NUM_THREADS": "2"})
    out = [json.loads(l) for l in r.stdout.decode().splitlines()]
    ok = r.returncode == 0 and [o["i"] for o in out] == list(range(n))
    ok = ok and all(o["score"] == (1.0 if (o["i"] % 7) == (o["i"] % 3) else 0.0) for o in out)
    check("order_many", ok, r.stderr.decode())
    bad = rows[:8500] + [{"i": "x"}] + rows[8500:]
    path = write("many_bad.jsonl", "".join(json.dumps(r) + "\n" for r in bad))
    r = run(["--metric", "rouge1-recall", path], env={"OMP_NUM_THREADS": "2"})
    check("error_late", r.returncode == 2 and r.stdout == b"" and
          f'{path}:8501: missing field "text"' in r.stderr.decode(), r.stderr.decode())

    strip_prefix()
    other_shapes()
    if FAILS:
        sys.exit("failed: " + ", ".join(FAILS))


def other_shapes():
    """Generations made elsewhere: a vLLM dump (outputs: [{"text"}]), an OpenAI-style one
    (choices: [{"text"}]) and an HF list of strings score exactly as the same samples written
    one per line (ids and scores in the same order); malformed shapes name file and line."""
    qs = [("q1", "Paris is the capital", ["Paris is the capital", " the capital is Paris", "Rome"]),
          ("q2", "Harry Potter", ["harry", "", "Potter Harry Potter"]),
          (7, "Ron", ["wrong", "Ron's", "Ron"])]
    flat = "".join(json.dumps({"id": i, "text": t, "reference": ref}) + "\n" for i, ref, ts in qs for t in ts)
    vllm = "".join(json.dumps({"request_id": i, "prompt": "Q", "reference": ref,
                               "outputs": [{"index": k, "text": t, "token_ids": [1]} for k, t in enumerate(ts)]}) + "\n"
                   for i, ref, ts in qs)
    openai = "".join(json.dumps({"id": i, "object": "text_completion", "reference": ref,
                                 "choices": [{"index": k, "text": t, "finish_reason": "stop"}
                                             for k, t in enumerate(ts)]}) + "\n" for i, ref, ts in qs)
    hf = "".join(json.dumps({"id": i, "reference": ref, "generations": ts}) + "\n" for i, ref, ts in qs)
    for m in ("rougeL-recall", "rouge1-f", "exact"):
        base = run(["--metric", m], stdin=flat.encode())
        want = [(o["id"], o["score"]) for o in map(json.loads, base.stdout.decode().splitlines())]
        for name, src, args in (("vllm", vllm, ["--text-field", "outputs", "--id-field", "request_id"]),
                                ("openai", openai, ["--text-field", "choices"]),
                                ("hf", hf, ["--text-field", "generations"])):
            r = run(["--metric", m, *args], stdin=src.encode())
            got = [json.loads(l) for l in r.stdout.decode().splitlines()]
            ok = r.returncode == 0 and [(o["id"], o["score"]) for o in got] == want and len(want) == 9
            ok = ok and [o["sample"] for o in got] == [0, 1, 2] * 3
            check(f"shape {name} {m}", ok, r.stderr.decode() + repr(got[:2]))
    kw = "".join(json.dumps({"id": i, "kw": [ref.split()[0]], "choices": [{"text": t} for t in ts]}) + "\n"
                 for i, ref, ts in qs)
    kflat = "".join(json.dumps({"id": i, "text": t, "keywords": [ref.split()[0]]}) + "\n"
                    for i, ref, ts in qs for t in ts)
    r = run(["--metric", "keywords", "--text-field", "choices", "--keywords-field", "kw"], stdin=kw.encode())
    b = run(["--metric", "keywords"], stdin=kflat.encode())
    sc = lambda x: [json.loads(l)["score"] for l in x.stdout.decode().splitlines()]
    check("shape keywords", r.returncode == 0 and sc(r) == sc(b) and len(sc(b)) == 9, r.stderr.decode())
    # Malformed shapes.
    expect_error("shape_item", '{"id": 1, "reference": "x", "outputs": [{"text": "a"}, {"txt": "b"}]}\n',
                 '{path}:1: field "outputs", item 1: expected a string or an object', "exact",
                 ["--text-field", "outputs"])
    expect_error("shape_num", '{"id": 1, "reference": "x", "outputs": ["a", 3]}\n',
                 '{path}:1: field "outputs", item 1', "exact", ["--text-field", "outputs"])
    expect_error("shape_noid", '{"reference": "x", "outputs": ["a"]}\n',
                 '{path}:1: missing field "request_id"', "exact",
                 ["--text-field", "outputs", "--id-field", "request_id"])
    expect_error("shape_badid", '{"id": [1], "reference": "x", "outputs": ["a"]}\n',
                 '{path}:1: field "id" must be a string or an integer', "exact", ["--text-field", "outputs"])
    expect_error("shape_noref", '{"id": 1, "outputs": ["a"]}\n', '{path}:1: missing field "reference"',
                 "exact", ["--text-field", "outputs"])
    expect_error("shape_obj", '{"id": 1, "reference": "x", "outputs": {"text": "a"}}\n',
                 '{path}:1: field "outputs" is not a string', "exact", ["--text-field", "outputs"])
    # An empty array gives no line; the others still come out.
    r = run(["--metric", "exact", "--text-field", "o"],
            stdin=b'{"id": 1, "reference": "a", "o": []}\n{"id": 2, "reference": "a", "o": ["a"]}\n')
    check("shape empty array", r.returncode == 0 and r.stdout.decode().count("\n") == 1, r.stderr.decode())


def strip_prefix():
    """--strip-prefix: the score is that of the text without the leading tag (after blanks),
    computed here by removing it in Python and scoring the result without the flag; the
    output keeps the raw text. eval strips "Answer:" by default with --template phi, and its
    scores are those `score --strip-prefix Answer:` gives on its own samples.jsonl."""
    texts = [" Answer: Paris is", "Answer:Paris", "\n\tAnswer: x Paris", "A: Answer: Paris",
             "Paris Answer:", "answer: Paris", "Q: Paris"]
    tags = ["Answer:", "Q:"]
    rows = [{"text": t, "reference": "Paris is"} for t in texts]

    def stripped(t):
        b = t.lstrip(" \t\r\n")
        for g in tags:
            if b.startswith(g):
                return b[len(g):]
        return t

    src = "".join(json.dumps(r) + "\n" for r in rows).encode()
    exp_src = "".join(json.dumps({"text": stripped(r["text"]), "reference": r["reference"]}) + "\n"
                      for r in rows).encode()
    for m in ("rougeL-f", "exact"):
        r = run(["--metric", m, "--strip-prefix", "Answer:", "--strip-prefix", "Q:"], stdin=src)
        e = run(["--metric", m], stdin=exp_src)
        got = [json.loads(l) for l in r.stdout.decode().splitlines()]
        want = [json.loads(l) for l in e.stdout.decode().splitlines()]
        ok = r.returncode == 0 and len(got) == len(rows)
        ok = ok and [g["score"] for g in got] == [w["score"] for w in want]
        ok = ok and [g["text"] for g in got] == texts
        check("strip_prefix " + m, ok, r.stderr.decode())
    # Without the flag (or with '') nothing is stripped: "Answer:Paris" is not an exact match.
    r = run(["--metric", "exact", "--strip-prefix", ""], stdin=src)
    got = [json.loads(l)["score"] for l in r.stdout.decode().splitlines()]
    check("strip_prefix off", r.returncode == 0 and got[1] == 0, repr(got))

    # eval on the bundled default (phi): stripped by default, recorded, raw text kept.
    out = {}
    for name, extra in (("on", []), ("off", ["--strip-prefix", ""])):
        d = os.path.join(work_dir("cli_score"), "eval_" + name)
        p = subprocess.run([CLI, "eval", "-n", "2", "--limit", "4", "--metric", "rougeL-f", "--quiet",
                            "--max-new-tokens", "24", "--out", d, *extra], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        if p.returncode != 0:
            check("eval strip " + name, False, p.stderr.decode())
            return
        rep = json.load(open(os.path.join(d, "report.json")))
        lines = open(os.path.join(d, "samples.jsonl"), encoding="utf-8").read()
        out[name] = (rep, [json.loads(l) for l in lines.splitlines()], lines)
    rep, samples, lines = out["on"]
    check("eval strip recorded", rep["eval"].get("strip_prefix") == ["Answer:"] and
          out["off"][0]["eval"].get("strip_prefix") == [], repr(rep["eval"]))
    check("eval raw text kept", any(s["text"].lstrip().startswith("Answer:") for s in samples))
    for name, flags in (("on", ["--strip-prefix", "Answer:"]), ("off", [])):
        rep, samples, lines = out[name]
        r = run(["--metric", "rougeL-f", *flags], stdin=lines.encode())
        rescored = [json.loads(l)["score"] for l in r.stdout.decode().splitlines()]
        check("eval strip " + name + " = score", r.returncode == 0 and
              all(abs(a - s["score"]) < 1e-12 for a, s in zip(rescored, samples)), r.stderr.decode())
    check("eval strip changes scores", [s["score"] for s in out["on"][1]] != [s["score"] for s in out["off"][1]])


if __name__ == "__main__":
    main()
