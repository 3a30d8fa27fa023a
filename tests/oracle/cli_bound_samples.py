#!/usr/bin/python3
"""`leakbound bound` on numbered answers (the "sample" field `sample` and `score` write): a
"sample": -1 line is the greedy answer, reported as the prompt's "greedy" and not counted in n
(before, `sample --greedy-too | score | bound` counted it as one more sample); a repeated
(id, sample) pair is refused with the file and line (a file concatenated twice doubled n and
tightened every bound) unless --allow-duplicates; a second greedy line, a greedy answer without
samples, a bad "sample" value and one id written as an integer and as a string are errors. Each case runs on lines the fast reader takes and
on lines only jansson's path takes (an escaped string), which must agree. n, mean and max are
checked against numpy, and every bound against `bound` on the file without its greedy lines."""
import json
import os
import subprocess
import sys

import numpy as np

CLI = os.environ["LB_CLI"]
WORK = os.path.join(os.environ["LB_WORK"], "cli_bound_samples")
os.makedirs(WORK, exist_ok=True)
FAILURES = []


def fail(msg):
    FAILURES.append(msg)
    print("FAIL: " + msg)


def run(args, path):
    p = subprocess.run([CLI, "bound"] + args + [path], capture_output=True, text=True, check=False)
    return p.returncode, p.stdout, p.stderr


def write(name, lines):
    path = os.path.join(WORK, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(json.dumps(l) + "\n" for l in lines))
    return path


rng = np.random.default_rng(5)
ids = ["q1", 7, "q3"]
n = 9
lines, samples, greedy = [], {}, {}
for k, i in enumerate(ids):
    g = float(rng.integers(0, 21) / 20)
    greedy[i] = g
    lines.append({"id": i, "sample": -1, "text": "greedy", "score": g})
    samples[i] = []
    for s in range(n):
        v = float(rng.integers(0, 21) / 20)
        samples[i].append(v)
        lines.append({"id": i, "sample": s, "text": "t", "score": v})

for variant in ("fast", "jansson"):
    ls = [dict(l) for l in lines]
    if variant == "jansson":  # an escaped quote sends every line to jansson's path
        for l in ls:
            l["text"] = 'say "x"'
    tag = variant
    path = write(f"{variant}.jsonl", ls)
    rc, out, err = run([], path)
    if rc != 0:
        fail(f"{tag}: exit {rc}: {err}")
        continue
    doc = json.loads(out)
    plain = write(f"{variant}_nogreedy.jsonl", [l for l in ls if l["sample"] != -1])
    rc2, out2, _ = run([], plain)
    ref = json.loads(out2)
    for p, pr in zip(doc["prompts"], ref["prompts"]):
        i = p["id"]
        x = np.array(samples[i])
        if p["n"] != n:
            fail(f"{tag}: id {i}: n {p['n']}, expected {n} (the greedy line is not a sample)")
        if p.get("greedy") != greedy[i]:
            fail(f"{tag}: id {i}: greedy {p.get('greedy')} vs the -1 line's {greedy[i]}")
        if abs(p["mean"] - x.mean()) > 1e-12 or p["max"] != x.max():
            fail(f"{tag}: id {i}: mean/max {p['mean']}/{p['max']} vs numpy {x.mean()}/{x.max()}")
        q = dict(p)
        q.pop("greedy", None)
        if q != pr:
            fail(f"{tag}: id {i}: bounds differ from bound on the samples alone: {q} vs {pr}")
    # "sample" numbers one answer; on a line of several scores it is only checked.
    multi = write(f"{variant}_multi.jsonl", [{"id": "m", "sample": 0, "scores": [0.25, 0.5], "t": ls[0]["text"]},
                                             {"id": "m", "sample": 0, "scores": [0.75, 1.0], "t": ls[0]["text"]}])
    rc, out, err = run([], multi)
    if rc != 0 or json.loads(out)["prompts"][0]["n"] != 4:
        fail(f"{tag}: lines of several scores with a \"sample\": exit {rc}, {err}")
    if doc["summary"] != ref["summary"]:
        fail(f"{tag}: summary differs from bound on the samples alone")

    # The same file twice: refused, naming the line of the first repeat; allowed on request.
    twice = write(f"{variant}_twice.jsonl", ls + ls)
    rc, out, err = run([], twice)
    first_repeat = len(ls) + 1  # its greedy line (allowed only with the same score)
    if rc != 2 or out or f"{twice}:{first_repeat}:" not in err:
        fail(f"{tag}: concatenated file: exit {rc}, stderr {err!r} (expected line {first_repeat})")
    nog = [l for l in ls if l["sample"] != -1]
    twice2 = write(f"{variant}_twice_nogreedy.jsonl", nog + nog)
    rc, out, err = run([], twice2)
    if rc != 2 or "sample 0 again (first on line 1)" not in err or "--allow-duplicates" not in err:
        fail(f"{tag}: repeated pairs: exit {rc}, stderr {err!r}")
    rc, out, err = run(["--allow-duplicates"], twice)
    if rc != 0:
        fail(f"{tag}: --allow-duplicates: exit {rc}: {err}")
    else:
        d2 = json.loads(out)
        for p in d2["prompts"]:
            x = np.array(samples[p["id"]] * 2)
            if p["n"] != 2 * n or abs(p["mean"] - x.mean()) > 1e-12 or p["greedy"] != greedy[p["id"]]:
                fail(f"{tag}: --allow-duplicates: id {p['id']}: n {p['n']}, greedy {p.get('greedy')}")

    # Errors, each with file and line.
    cases = [
        ("second greedy", ls[:2] + [dict(ls[0], score=1.0 - ls[0]["score"] if ls[0]["score"] != 0.5 else 1.0)],
         3, "second greedy answer"),
        ("greedy only", [ls[0]] + ls[n + 1:], 1, "greedy answer (\"sample\": -1) but no sampled score"),
        ("bad sample", [dict(ls[1], sample="0")], 1, "field \"sample\" must be an integer >= 0, or -1"),
        ("below -1", [dict(ls[1], sample=-2)], 1, "field \"sample\" must be an integer >= 0, or -1"),
        ("greedy with scores", [{"id": "q", "sample": -1, "scores": [0.1, 0.2]}], 1,
         "greedy line (\"sample\": -1) holds one score, got 2"),
        # one id as an integer and as a string: refused as `eval --samples` refuses it (ids of
        # both types that differ, "q1" and 7 above, are fine)
        ("mixed id types", [dict(ls[1], id=1), dict(ls[2], id="q"), dict(ls[3], id="1")], 3,
         "id '1' is a string, but line 1's id 1 is an integer"),
        ("mixed id types, int second", [dict(ls[1], id="-12"), dict(ls[2], id=-12)], 2,
         "id -12 is an integer, but line 1's id '-12' is a string"),
    ]
    for name, body, line, msg in cases:
        path = write(f"{variant}_{name.replace(' ', '_')}.jsonl", body)
        for extra in ([], ["--allow-duplicates"]):
            rc, out, err = run(extra, path)
            if rc != 2 or out or f"{path}:{line}:" not in err or msg not in err:
                fail(f"{tag}: {name} {extra}: exit {rc}, stdout {len(out)} bytes, stderr {err!r}")

if FAILURES:
    print(f"{len(FAILURES)} failure(s)")
    sys.exit(1)
print("ok: greedy lines kept apart, repeated pairs refused, errors named (fast and jansson paths)")
