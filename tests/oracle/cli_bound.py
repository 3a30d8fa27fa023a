#!/usr/bin/python3
"""`leakbound bound` end to end: every error path (exit 2, the message names the
file and line, nothing on stdout), and the output document's structure and numbers against the
numpy/scipy reference in stats_ref.py on a few generated files (1e-9 absolute), including the
table format."""
import json
import math
import os
import random
import hashlib
import re
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stats_ref as ref  # noqa: E402

CLI = os.environ["LB_CLI"]
# The version as CMakeLists.txt's project() states it (the one place it is defined).
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "CMakeLists.txt")) as _f:
    VERSION = re.search(r"project\(leakbound VERSION ([0-9.]+)", _f.read()).group(1)
WORK = os.path.join(os.environ["LB_WORK"], "cli_bound")
os.makedirs(WORK, exist_ok=True)
FAILURES = []


def fail(msg):
    FAILURES.append(msg)
    print("FAIL: " + msg)


def run(args, stdin=None):
    p = subprocess.run([CLI, "bound"] + args, input=stdin, capture_output=True, text=True,
                       check=False)
    return p.returncode, p.stdout, p.stderr


def write(name, text):
    path = os.path.join(WORK, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


# ---- error paths --------------------------------------------------------------------------

GOOD = '{"id": "q1", "score": 0.5}\n{"id": 2, "scores": [0, 1]}\n'
BAD_LINES = [
    ("malformed", '{"id": "q1", "score": 0.5', 3),
    ("nan", '{"id": "q1", "score": NaN}', 3),
    ("overflow", '{"id": "q1", "score": 1e999}', 3),
    ("above1", '{"id": "q1", "score": 1.5}', 3),
    ("negative", '{"id": "q1", "score": -0.1}', 3),
    ("string score", '{"id": "q1", "score": "0.5"}', 3),
    ("null score", '{"id": "q1", "score": null}', 3),
    ("bool score", '{"id": "q1", "score": true}', 3),
    ("bad element", '{"id": "q1", "scores": [0.1, 0.2, 7]}', 3),
    ("string element", '{"id": "q1", "scores": [0.1, "x"]}', 3),
    ("scores not array", '{"id": "q1", "scores": 0.5}', 3),
    ("scores empty", '{"id": "q1", "scores": []}', 3),
    ("missing id", '{"score": 0.5}', 3),
    ("float id", '{"id": 1.5, "score": 0.5}', 3),
    ("null id", '{"id": null, "score": 0.5}', 3),
    ("array id", '{"id": [1], "score": 0.5}', 3),
    ("missing score", '{"id": "q1", "text": "hello"}', 3),
    ("both", '{"id": "q1", "score": 0.5, "scores": [0.5]}', 3),
    ("not object", '[1, 2, 3]', 3),
    ("number line", '0.5', 3),
    ("duplicate key", '{"id": "q1", "score": 0.5, "score": 0.9}', 3),
]


def check_error(label, args, want_in_msg, stdin=None):
    rc, out, err = run(args, stdin)
    if rc != 2:
        fail(f"{label}: exit {rc}, want 2 (stderr: {err.strip()})")
    if out:
        fail(f"{label}: stdout not empty: {out[:80]!r}")
    if want_in_msg and want_in_msg not in err:
        fail(f"{label}: message {err.strip()!r} does not name {want_in_msg!r}")


def error_paths():
    for label, line, lineno in BAD_LINES:
        path = write(f"bad_{label.replace(' ', '_')}.jsonl", GOOD + line + "\n" + GOOD)
        check_error(label, [path], f"{path}:{lineno}:")
    # Blank lines and CRLF count as lines.
    path = write("bad_after_blank.jsonl", GOOD + "\n  \n" + '{"id": "x", "score": 2}\r\n')
    check_error("line numbers count blank lines", [path], f"{path}:5:")
    # Many good lines first: the first bad line is named even when parsed in parallel.
    many = "".join(f'{{"id": {i}, "score": 0.25}}\n' for i in range(70000))
    path = write("bad_late.jsonl", many + '{"id": 1, "score": 3}\n' + many + '{"id": 1, "score": 4}\n')
    check_error("first bad line of many", [path], f"{path}:70001:")
    check_error("stdin", ["-"], "<stdin>:3:", stdin=GOOD + '{"id": 1, "score": 9}\n')
    check_error("empty file", [write("empty.jsonl", "")], os.path.join(WORK, "empty.jsonl"))
    check_error("blank file", [write("blank.jsonl", "\n \n\n")], os.path.join(WORK, "blank.jsonl"))
    check_error("empty stdin", [], "<stdin>", stdin="")
    check_error("missing file", [os.path.join(WORK, "nope.jsonl")], "nope.jsonl")
    check_error("duplicate key named", [write("dup.jsonl", GOOD + '{"id": 1, "id": 2, "score": 0.5}\n')],
                "duplicate object key near '\"id\"'")
    check_error("directory", [WORK], WORK + ": is a directory")
    good = write("good.jsonl", GOOD)
    for label, args in [
        ("alpha 0", ["--alpha", "0"]), ("alpha 0.7", ["--alpha", "0.7"]),
        ("alpha text", ["--alpha", "abc"]), ("alpha nan", ["--alpha", "nan"]),
        ("method", ["--method", "bayes"]), ("threshold 1.5", ["--threshold", "1.5"]),
        ("threshold twice", ["--threshold", "0.5", "--threshold", "0.50"]),
        ("queries 0", ["--queries", "0"]), ("leak-at -1", ["--leak-at", "-1"]),
        ("leak-at text", ["--leak-at", "3x"]), ("leak-threshold 2", ["--leak-threshold", "2"]),
        ("ed-lambda -1", ["--ed-lambda", "-1"]), ("format", ["--format", "xml"]),
        ("report-above", ["--report-above", "-0.5"]), ("unknown flag", ["--bogus"]),
        ("missing value", ["--alpha"]),
    ]:
        check_error("flag " + label, args + [good], "")
    check_error("two inputs", [good, good], "")
    rc, out, _ = run(["--help"])
    if rc != 0 or "usage: leakbound bound" not in out:
        fail("--help")


# ---- the document against the reference ------------------------------------------------------

def expected_prompt(x, a, method, lam, ths, qk, lk, lt):
    x = np.asarray(x, dtype=float)
    n = len(x)
    e1 = ref.eps_one_sided(n, a)
    if method == "conbo":
        _, mlo, mhi = ref.conbo_expectation(x, 2 * a)
        sig = ref.conbo_std(x, a)[2]
    else:
        mhi, mlo = ref.anderson_upper(x, e1), ref.anderson_lower(x, e1)
        sig = ref.sigma_exact(x, a)
    c = int(np.sum(x >= lt))
    d = {"n": n, "mean": x.mean(), "std": x.std(), "max": x.max(), "M_mu": mhi,
         "M_mu_lower": mlo, "M_sigma": sig, "ED": mhi + lam * sig,
         "M_gen": {f"{t:g}": ref.dkw_tail(x, e1, t) for t in ths}}
    if np.all((x == 0) | (x == 1)):
        d["M_bin"] = ref.cp_upper(int(x.sum()), n, a)
    d["P_ge"] = {f"{t:g}": ref.cp_upper(int(np.sum(x >= t)), n, a) for t in ths}
    d["queries"] = ref.queries(ref.cp_upper(c, n, a), qk)
    d["leak_at"] = float(ref.leak_at_k_exact(n, c, lk))
    return d


def compare(label, got, want, path=""):
    if isinstance(want, dict):
        if not isinstance(got, dict) or list(got.keys()) != list(want.keys()):
            fail(f"{label}{path}: keys {list(got.keys()) if isinstance(got, dict) else got} "
                 f"!= {list(want.keys())}")
            return
        for k in want:
            compare(label, got[k], want[k], f"{path}.{k}")
    elif isinstance(want, (int, np.integer)) and not isinstance(want, bool) and path.endswith(".n"):
        if type(got) is not int or got != want:
            fail(f"{label}{path}: {got!r} != {want!r} (an integer)")
    else:
        if got is None or abs(float(got) - float(want)) > 1e-9:
            fail(f"{label}{path}: {got!r} != {float(want)!r}")


def check_document(label, path, prompts, args, a=0.01, method="exact", lam=2.0, ths=(), qk=1,
                   lk=1, lt=1.0, above=0.1):
    rc, out, err = run(args + [path])
    if rc != 0:
        fail(f"{label}: exit {rc}: {err}")
        return None
    doc = json.loads(out)
    if list(doc.keys())[:2] != ["alpha", "method"] or "prompts" not in doc or "summary" not in doc:
        fail(f"{label}: top-level keys {list(doc.keys())}")
    if doc["alpha"] != a or doc["method"] != method:
        fail(f"{label}: alpha/method {doc['alpha']} {doc['method']}")
    # Provenance: the version CMake defines, the whole command line, the input's sha256.
    pv = doc.get("provenance", {})
    with open(path, "rb") as fh:
        want_sha = hashlib.sha256(fh.read()).hexdigest()
    if pv.get("argv") != [CLI, "bound"] + args + [path] or pv.get("data") != path or \
            pv.get("data_sha256") != want_sha or pv.get("leakbound_version") != VERSION or \
            "model" in pv:
        fail(f"{label}: provenance {pv} (want sha256 {want_sha}, version {VERSION})")
    ids = [p["id"] for p in doc["prompts"]]
    want_ids = list(prompts.keys())
    if [json.dumps(i) for i in ids] != [json.dumps(i[1]) for i in want_ids]:
        fail(f"{label}: ids {ids[:10]} != {[i[1] for i in want_ids][:10]} (order of first appearance, types kept)")
        return doc
    wants = []
    for (key, pid), p in zip(want_ids, doc["prompts"]):
        w = {"id": pid}
        w.update(expected_prompt(prompts[(key, pid)], a, method, lam, ths, qk, lk, lt))
        wants.append(w)
        g = dict(p)
        if g.get("id") != pid or type(g.get("id")) is not type(pid):
            fail(f"{label}: id {g.get('id')!r} != {pid!r}")
        g.pop("id", None)
        w2 = dict(w)
        w2.pop("id")
        compare(f"{label} prompt {pid!r}", g, w2)
    # Summary: mean of each numeric field over prompts, nested dicts per key.
    fields = ["n", "mean", "std", "max", "M_mu", "M_mu_lower", "M_sigma", "ED"]
    s_want = {f: float(np.mean([w[f] for w in wants])) for f in fields}
    s_want["M_gen"] = {f"{t:g}": float(np.mean([w["M_gen"][f"{t:g}"] for w in wants])) for t in ths}
    binary = [w for w in wants if "M_bin" in w]
    if binary:
        s_want["M_bin"] = float(np.mean([w["M_bin"] for w in binary]))
    s_want["P_ge"] = {f"{t:g}": float(np.mean([w["P_ge"][f"{t:g}"] for w in wants])) for t in ths}
    s_want["queries"] = float(np.mean([w["queries"] for w in wants]))
    s_want["leak_at"] = float(np.mean([w["leak_at"] for w in wants]))
    s_want["n_prompts"] = len(wants)
    if binary:
        s_want["share_M_bin_above"] = float(np.mean([w["M_bin"] > above for w in binary]))
        s_want["report_above"] = above
        s_want["n_binary_prompts"] = len(binary)
    compare(f"{label} summary", doc["summary"], s_want)
    return doc


def add(prompts, pid, vals):
    key = (type(pid).__name__, pid)
    prompts.setdefault(key, []).extend(vals)


def documents():
    rng = random.Random(4242)
    # 1. binary, one score per line, ids interleaved, "01" and 1 distinct (the string of an
    #    integer's digits, "1" beside 1, is refused: cli_bound_samples.py).
    prompts, lines = {}, []
    for pid in ["01", 1, "alpha", 42, "ünïcode ✓"]:
        prompts[(type(pid).__name__, pid)] = []
    rows = []
    for (_, pid) in list(prompts.keys()):
        p = rng.random() * 0.3
        rows += [(pid, float(rng.random() < p)) for _ in range(rng.randint(20, 200))]
    first = {}
    for pid, _ in rows:
        first.setdefault((type(pid).__name__, pid), None)
    rng.shuffle(rows)
    prompts = {}
    for pid, v in rows:
        add(prompts, pid, [v])
        lines.append(json.dumps({"id": pid, "score": int(v) if rng.random() < 0.5 else v}))
    path = write("doc_binary.jsonl", "\n".join(lines) + "\n")
    check_document("binary", path, prompts, ["--threshold", "0.5", "--threshold", "0.25",
                                               "--queries", "5", "--leak-at", "3"],
                   ths=(0.5, 0.25), qk=5, lk=3)
    # Table: one row per prompt plus the mean row; numbers are the JSON ones rounded.
    rc, out, err = run(["--format", "table", "--threshold", "0.5", path])
    rows_t = out.splitlines()
    if rc != 0 or len(rows_t) != len(prompts) + 4:
        fail(f"table: exit {rc}, {len(rows_t)} lines for {len(prompts)} prompts: {err}")
    else:
        doc = json.loads(run(["--threshold", "0.5", path])[1])
        for line, p in zip(rows_t[2:], doc["prompts"]):
            cells = line.split()
            want = f"{p['M_mu']:.4f}"
            if want not in cells or f"{p['ED']:.4f}" not in cells:
                fail(f"table row for {p['id']!r} lacks M_mu {want}: {line!r}")
        if not rows_t[-2].startswith("mean"):
            fail(f"table: no mean row: {rows_t[-2]!r}")

    # 2. continuous data, "scores" arrays split over several lines, conbo method.
    prompts, lines = {}, []
    for i in range(30):
        pid = f"p{i}" if i % 3 else i
        if i == 4:
            pid = "long id " + "z" * 400  # longer than the reader's inline key buffer
        n = rng.choice([1, 5, 64, 128, 300])
        xs = [0.0 if rng.random() < 0.6 else rng.random() for _ in range(n)]
        if i % 7 == 0:
            xs = [round(v, 1) for v in xs]
        cut = rng.randint(0, n)
        for part in (xs[:cut], xs[cut:]):
            if part:
                lines.append(json.dumps({"id": pid, "scores": part, "text": "ignored"}))
        add(prompts, pid, xs)
    path = write("doc_conbo.jsonl", "\n".join(lines) + "\n")
    args = ["--method", "conbo", "--alpha", "0.05", "--ed-lambda", "1.5", "--leak-threshold",
            "0.5", "--threshold", "0.1", "--threshold", "0.9", "--leak-at", "4", "--queries", "2"]
    common = dict(a=0.05, lam=1.5, ths=(0.1, 0.9), qk=2, lk=4, lt=0.5)
    check_document("conbo", path, prompts, args, method="conbo", **common)
    check_document("exact, same file", path, prompts, args[2:], **common)

    # 3. mixed binary / continuous prompts, defaults, report-above.
    prompts, lines = {}, []
    for i in range(12):
        xs = [float(rng.random() < 0.05) for _ in range(128)] if i % 2 else \
            [rng.random() ** 3 for _ in range(100)]
        lines.append(json.dumps({"id": i, "scores": xs}))
        add(prompts, i, xs)
    path = write("doc_mixed.jsonl", "\r\n".join(lines) + "\r\n\r\n")
    check_document("mixed", path, prompts, ["--report-above", "0.2"], above=0.2)

    # 4. many ids, one line each, shuffled (hash map growth), read from stdin.
    prompts, lines = {}, []
    rows = [(f"id-{i % 12000}", rng.random()) for i in range(36000)]
    rng.shuffle(rows)
    for pid, v in rows:
        add(prompts, pid, [v])
        lines.append(json.dumps({"id": pid, "score": v}))
    p = subprocess.run([CLI, "bound", "-"], input="\n".join(lines), capture_output=True, text=True)
    if p.returncode != 0:
        fail(f"many ids: exit {p.returncode}: {p.stderr}")
    else:
        doc = json.loads(p.stdout)
        got = {q["id"]: (q["n"], q["mean"]) for q in doc["prompts"]}
        if [q["id"] for q in doc["prompts"]] != [k[1] for k in prompts]:
            fail("many ids: order of first appearance")
        pv = doc.get("provenance", {})
        want_sha = hashlib.sha256("\n".join(lines).encode()).hexdigest()  # the bytes read
        if pv.get("data") != "-" or pv.get("data_sha256") != want_sha:
            fail(f"many ids: stdin provenance {pv}")
        for (_, pid), xs in prompts.items():
            n, m = got.get(pid, (0, 0))
            if n != len(xs) or abs(m - float(np.mean(xs))) > 1e-12:
                fail(f"many ids: {pid}: n {n} mean {m} vs {len(xs)} {np.mean(xs)}")
                break
        if doc["summary"]["n_prompts"] != 12000:
            fail("many ids: n_prompts")


# ---- the fast reader against the full JSON parser --------------------------------------------

def fmt_score(rng, v):
    """v written as JSON writers do, and as hand-made files do."""
    k = rng.randrange(6)
    if v in (0.0, 1.0) and k < 2:
        return rng.choice(["0", "-0", "0.0", "0e0"]) if v == 0.0 else rng.choice(["1", "1.0", "1E0", "10e-1"])
    if k == 2:
        return f"{v:.17g}"
    if k == 3:
        return f"{v:.6e}"
    if k == 4:
        return f"{v:.3f}"
    return repr(v)


def fast_vs_full():
    """Lines in every shape `bound` reads: the fast reader takes the plain ones and jansson the rest
    (escapes, non-ASCII, nested fields, 19-digit integers). The same file with a nested field added
    to every line (so that jansson reads all of it) must give byte-identical output in both formats,
    and the numbers must match the reference on what Python's json module reads."""
    rng = random.Random(99)
    ids = [0, -7, 123456789012345678, "q1", "q\\u0031", "é", "a b", "", "tab\\t", 5, "x" * 300]
    lines = []
    for _ in range(4000):
        pid = rng.choice(ids)
        id_txt = pid if isinstance(pid, str) else None
        fields = [f'"id":{rng.choice(["", " "])}' + (f'"{id_txt}"' if id_txt is not None else str(pid))]
        n = rng.choice([1, 1, 3, 17, 200])
        vals = [rng.choice([0.0, 1.0, rng.random(), rng.randint(0, 7) / 7, rng.random() * 1e-6])
                for _ in range(n)]
        if n == 1 and rng.random() < 0.5:
            fields.append('"score": ' + fmt_score(rng, vals[0]))
        else:
            sep = rng.choice([",", ", ", " ,\t"])
            fields.append('"scores":' + rng.choice(["", " "]) + "[" + rng.choice(["", " "]) +
                          sep.join(fmt_score(rng, v) for v in vals) + rng.choice(["", " "]) + "]")
        fields += rng.sample(['"k": 3', '"text": "plain"', '"raw": "esc\\"aped"', '"ok": true',
                              '"none": null', '"f": false', '"t": "ünï"', '"neg": -1.5e-3',
                              '"big": 1234567890123456789'], rng.randint(0, 3))
        rng.shuffle(fields)
        if rng.random() < 0.01:  # a nested value: jansson reads this line in both files
            fields.append('"nested": {"a": [1, 2]}')
        lines.append(rng.choice(["", " "]) + "{" + ",".join(fields) + "}" + rng.choice(["", " ", "\r"]))
    text = "\n".join(lines) + "\n"
    mixed = write("fast_mixed.jsonl", text)
    full = write("fast_full.jsonl", "\n".join(l.rstrip()[:-1] + ', "zz": [0]}' for l in lines) + "\n")
    for fmt in (["--format", "json"], ["--format", "table"]):
        args = ["--threshold", "0.5"] + fmt
        r1, o1, e1 = run(args + [mixed])
        r2, o2, e2 = run(args + [full])
        if r1 or r2:
            fail(f"fast vs full {fmt}: exits {r1} {r2}: {e1} {e2}")
            continue
        if fmt[1] == "json":  # all but the provenance (it names the input file) byte for byte
            d1, d2 = json.loads(o1), json.loads(o2)
            d1.pop("provenance"), d2.pop("provenance")
            o1, o2 = json.dumps(d1), json.dumps(d2)
        if o1 != o2:
            fail(f"fast vs full {fmt}: outputs differ")
    prompts = {}
    for line in lines:
        o = json.loads(line)
        add(prompts, o["id"], o["scores"] if "scores" in o else [o["score"]])
    check_document("fast reader mix", mixed, {k: [float(v) for v in vs] for k, vs in prompts.items()},
                   ["--threshold", "0.5"], ths=(0.5,))


def main():
    error_paths()
    documents()
    fast_vs_full()
    if FAILURES:
        print(f"{len(FAILURES)} failures")
        sys.exit(1)
    print("cli_bound: all error paths and documents match")


if __name__ == "__main__":
    main()
