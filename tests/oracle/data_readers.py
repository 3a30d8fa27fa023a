#!/usr/bin/python3
"""Dataset readers (src/data) against Python's csv and json modules.

Random tricky files are built here, record by record, so the line each item starts on is known
from the construction: CSVs written by csv.writer (minimal or full quoting, CRLF or LF, BOM or
not, blank lines between records, embedded commas/quotes/newlines, unicode, shuffled and extra
columns, header names in any case); JSON arrays (compact or indented) and JSON Lines with
escapes, U+2028, nulls, integer and string ids, extra fields. Each file is read by
tests/data/driver_data (the C reader, printed as JSONL) and by csv/json here; every field of
every item must agree exactly. Malformed files must fail with the file and the right line."""
import csv
import io
import json
import os
import random
import subprocess
import sys

DRIVER = os.path.join(os.environ["LB_DRIVERS"], "driver_data")
WORK = os.path.join(os.environ["LB_WORK"], "data_readers")
SMALL = os.environ.get("LB_SANITIZED") == "1"
os.makedirs(WORK, exist_ok=True)
rng = random.Random(20261127)
failures = []

PIECES = ["a", "b", "Harry", "Potter", " ", "  ", ",", ", ", "\"", "\"\"", "\n", "\r\n", "é", "✓",
          "\t", "x y", "'", "{q}", "\\", "Hogwarts"]


def rand_text(lo=0, hi=8):
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(lo, hi)))


def rand_question():
    q = rand_text(1, 8)
    while q == "":
        q = rand_text(1, 8)
    return q


def run(path, fmt=None):
    args = [DRIVER, "load", path] + ([fmt] if fmt else [])
    p = subprocess.run(args, capture_output=True)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8", "replace")


def compare(name, want, got_text):
    got = [json.loads(l) for l in got_text.splitlines()]
    if len(got) != len(want):
        failures.append(f"{name}: {len(got)} items, want {len(want)}")
        return
    for i, (w, g) in enumerate(zip(want, got)):
        for k, v in w.items():
            if g.get(k) != v:
                failures.append(f"{name}: item {i} field {k}: got {g.get(k)!r}, want {v!r}")
                return


def keywords(s):
    # docs/evaluation.md: comma-separated, trimmed, empty ones dropped.
    return [k.strip() for k in s.split(",") if k.strip()]


def make_csv(idx):
    cols = ["Question", "Key Words"]
    if rng.random() < 0.7:
        cols.append("Answer")
    if rng.random() < 0.3:
        cols.append("id")
    cols += ["extra%d" % i for i in range(rng.randint(0, 2))]
    rng.shuffle(cols)
    header = [c.upper() if rng.random() < 0.2 else (" " + c + " " if rng.random() < 0.2 else c) for c in cols]
    term = rng.choice(["\n", "\r\n"])
    quoting = rng.choice([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])
    n = rng.randint(0, 12)
    rows = []
    for r in range(n):
        row = {}
        for c in cols:
            row[c] = rand_question() if c == "Question" else ("id%d" % r if c == "id" and rng.random() < 0.8
                                                              else rand_text(0, 6))
        rows.append(row)

    def enc(fields):
        b = io.StringIO()
        csv.writer(b, lineterminator=term, quoting=quoting).writerow(fields)
        return b.getvalue()

    text = "\ufeff" if rng.random() < 0.3 else ""
    text += enc(header)
    want = []
    for r, row in enumerate(rows):
        while rng.random() < 0.15:
            text += term  # blank lines between records are skipped
        line = 1 + text.count("\n")
        rec = enc([row[c] for c in cols])
        if r == n - 1 and rng.random() < 0.3:
            rec = rec[: -len(term)]  # no final newline
        text += rec
        w = {"question": row["Question"], "keywords": keywords(row["Key Words"]), "line": line,
             "answer": row["Answer"] if "Answer" in cols else None,
             "id": row["id"] if "id" in cols and row["id"] != "" else str(r)}
        want.append(w)
    path = os.path.join(WORK, "hp%d.csv" % idx)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    # Python's own reading of the same bytes must agree with what was built (checks the oracle).
    with open(path, encoding="utf-8-sig", newline="") as f:
        recs = [x for x in csv.reader(f) if x]
    assert [x[cols.index("Question")] for x in recs[1:]] == [w["question"] for w in want], path
    rc, out, err = run(path)
    if rc != 0:
        failures.append(f"{path}: driver failed: {err.strip()}")
    else:
        compare(path, want, out)


def make_lenient_csv(idx):
    """The Harry Potter Q&A layout as people write it: every field quoted, blanks between a comma
    and the opening quote (Python's skipinitialspace=True is the oracle) and, in some files,
    blanks after a closing quote (the oracle is Python's reading of the same file without them,
    which the construction guarantees is otherwise identical)."""
    cols = ["Question", "Affirmative Response", "Key Words"]
    rng.shuffle(cols)
    term = rng.choice(["\n", "\r\n"])
    trailing = rng.random() < 0.5
    n = rng.randint(1, 10)
    rows = [{c: rand_question() if c == "Question" else rand_text(0, 6) for c in cols} for _ in range(n)]

    def quote(v):
        return '"' + v.replace('"', '""') + '"'

    def enc(fields, blanks):
        out = []
        for i, v in enumerate(fields):
            before = " " * rng.choice([0, 0, 1, 2]) if blanks else ""
            after = " " * rng.choice([0, 0, 1, 3]) if blanks and trailing else ""
            out.append((before if i else before if rng.random() < 0.3 else "") + quote(v) + after)
        return ",".join(out) + term

    text, plain = "", ""
    for r, fields in enumerate([cols] + [[row[c] for c in cols] for row in rows]):
        rec = enc(fields, True)
        text += rec
        plain += enc(fields, False)
    # The physical lines where blanks were added (the records' lines match one to one).
    lenient_lines = [i + 1 for i, (a, b) in enumerate(zip(text.split("\n"), plain.split("\n"))) if a != b]
    path = os.path.join(WORK, "hpqa%d.csv" % idx)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    # Oracle: Python reads the blank-before-quote file (skipinitialspace) and the plain one alike.
    py_plain = [x for x in csv.reader(io.StringIO(plain, newline=""), strict=True) if x]
    if not trailing:
        py = [x for x in csv.reader(io.StringIO(text, newline=""), skipinitialspace=True, strict=True) if x]
        assert py == py_plain, path
    want = []
    line = 2
    for r, rec in enumerate(py_plain[1:]):
        d = dict(zip(py_plain[0], rec))
        want.append({"question": d["Question"], "prefix": d["Affirmative Response"],
                     "keywords": keywords(d["Key Words"]), "answer": None, "id": str(r), "line": line})
        line += 1 + sum(v.count("\n") for v in rec)
    rc, out, err = run(path)
    if rc != 0:
        failures.append(f"{path}: driver failed: {err.strip()}")
        return
    compare(path, want, out)
    # The reader reports the leniency: how many lines, and the first.
    got = [l for l in err.splitlines() if l.startswith("lenient ")]
    exp = ["lenient %d %d" % (len(lenient_lines), lenient_lines[0])] if lenient_lines else []
    if got != exp:
        failures.append(f"{path}: leniency report {got}, want {exp}")


def rand_item(r):
    it = {"question": rand_question(), "answer": rand_text(0, 6)}
    if rng.random() < 0.6:
        it["paraphrased_answer"] = rand_text(0, 5) + "\u2028"
    if rng.random() < 0.6:
        it["perturbed_answer"] = [rand_text(0, 4) for _ in range(rng.randint(0, 5))]
    if rng.random() < 0.3:
        it["keywords"] = [rand_text(1, 3) for _ in range(rng.randint(0, 3))]
    if rng.random() < 0.3:
        it["author"] = rand_text(1, 3)
    if rng.random() < 0.3:
        it["id"] = rng.choice([rng.randint(-5, 10**12), "s-%d" % r])
    if rng.random() < 0.3:
        it["extra"] = {"nested": [1, None, "x"]}
    keys = list(it)
    rng.shuffle(keys)
    return {k: it[k] for k in keys}


def expected(it, r, line):
    w = {"question": it["question"], "answer": it["answer"],
         "paraphrased_answer": it.get("paraphrased_answer"),
         "perturbed_answer": it.get("perturbed_answer", []),
         "keywords": it.get("keywords", []), "author": it.get("author"), "line": line,
         "id": str(it["id"]) if "id" in it else str(r)}
    return w


def make_json(idx, lines_format):
    n = rng.randint(0, 10)
    items = [rand_item(r) for r in range(n)]
    want = []
    ascii_only = rng.random() < 0.5
    if lines_format:
        text = ""
        for r, it in enumerate(items):
            while rng.random() < 0.2:
                text += rng.choice(["\n", "  \n", "\r\n"])
            want.append(expected(it, r, 1 + text.count("\n")))
            text += json.dumps(it, ensure_ascii=ascii_only) + rng.choice(["\n", "\r\n"])
        name = "t%d.jsonl" % idx
    else:
        indent = rng.choice([None, 1, 2])
        text = "[" + rng.choice(["", "\n", " \n\n"])
        for r, it in enumerate(items):
            if r:
                text += "," + rng.choice(["", "\n", " "])
            want.append(expected(it, r, 1 + text.count("\n")))
            text += json.dumps(it, ensure_ascii=ascii_only, indent=indent)
        text += rng.choice(["]", "\n]\n", "] \n"])
        name = "a%d.json" % idx
        assert json.loads(text) == items
    path = os.path.join(WORK, name)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    rc, out, err = run(path)
    if rc != 0:
        failures.append(f"{path}: driver failed: {err.strip()}")
    else:
        compare(path, want, out)


def expect_fail(name, text, line):
    path = os.path.join(WORK, name)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    rc, out, err = run(path)
    where = "%s:%d" % (path, line)
    if rc != 2 or out or where not in err:
        failures.append(f"{name}: rc {rc}, stderr {err.strip()!r}, want exit 2 naming {where}")


def malformed():
    for k in range(12 if not SMALL else 4):
        # An unterminated quote opened in record k+1: reported where the quote opens.
        rows = [[rand_question(), rand_text()] for _ in range(k + 2)]
        b = io.StringIO()
        w = csv.writer(b, lineterminator="\n", quoting=csv.QUOTE_ALL)
        w.writerow(["Question", "Key Words"])
        for r in rows[:-1]:
            w.writerow(r)
        line = 1 + b.getvalue().count("\n")
        text = b.getvalue() + '"' + rows[-1][0].replace('"', '""') + "\n,more"
        try:
            list(csv.reader(io.StringIO(text, newline=""), strict=True))
            failures.append("oracle: python accepted an unterminated quote")
        except csv.Error:
            pass
        expect_fail("unterminated%d.csv" % k, text, line)
        # A malformed JSON line among good ones.
        good = [json.dumps(rand_item(r)) for r in range(k + 1)]
        bad_at = rng.randint(0, len(good))
        lines = good[:bad_at] + ['{"question": "q", "answer": }'] + good[bad_at:]
        expect_fail("bad%d.jsonl" % k, "\n".join(lines) + "\n", bad_at + 1)
        # A missing question in an indented JSON array ("answer" may be absent: prompt-only sets).
        items = [rand_item(r) for r in range(k + 1)]
        del items[-1]["question"]
        text = "[\n" + ",\n".join(json.dumps(it) for it in items) + "\n]\n"
        expect_fail("noquestion%d.json" % k, text, len(items) + 1)


def lenient_malformed():
    """Blanks are skipped only next to a quote: a closing quote followed by blanks and more text,
    or a quote after text in an unquoted field, is still an error (Python strict agrees, except
    on the quote inside an unquoted field, which Python keeps and RFC 4180 forbids)."""
    cases = [("Question,Key Words\n\"q\", \"k\" x\n", 2, True),
             ("Question,Key Words\nq1,k\n \"q\"  \"k\",k\n", 3, True),
             ("Question,Key Words\nq1, a \"b\"\n", 2, False),
             ("Question,Key Words\n\"q\",  \"open\nstill open\n", 2, True)]
    for i, (text, line, py_rejects) in enumerate(cases):
        try:
            list(csv.reader(io.StringIO(text, newline=""), skipinitialspace=True, strict=True))
            if py_rejects:
                failures.append(f"oracle: python accepted lenient-malformed case {i}")
        except csv.Error:
            pass
        expect_fail("lenbad%d.csv" % i, text, line)


def main():
    n = 25 if SMALL else 80
    for i in range(n):
        make_csv(i)
        make_lenient_csv(i)
        make_json(i, lines_format=False)
        make_json(i, lines_format=True)
    malformed()
    lenient_malformed()
    if failures:
        for f in failures[:30]:
            print("FAIL", f)
        print(f"{len(failures)} failures")
        return 1
    print(f"data readers: {4 * n} random files and the malformed cases agree with csv/json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
