#!/usr/bin/python3
"""`leakbound data fictitious` read back with Python's json and hashed with hashlib:
same seed -> byte-identical files (sha256), other seed -> different files; each file is JSON
Lines in TOFU layout; forgetNN = the last round(N*NN/100) authors of full (>= 1) and retainMM the
others, in full's order; holdout authors are not in full; answers are 10-40 words, the
paraphrase differs from the answer, 3-5 distinct perturbed answers differ from it. Also the
CLI's errors (bad flags exit 2) and `data show` on the result."""
import hashlib
import json
import os
import shutil
import subprocess
import sys

CLI = os.environ["LB_CLI"]
WORK = os.path.join(os.environ["LB_WORK"], "data_fictitious")
SPLITS = ["full", "forget01", "forget05", "forget10", "retain99", "retain95", "retain90", "holdout"]
fails = []


def check(cond, msg):
    if not cond:
        fails.append(msg)


def gen(sub, seed, n):
    d = os.path.join(WORK, sub)
    p = subprocess.run([CLI, "data", "fictitious", "--seed", str(seed), "--authors", str(n), "--out", d],
                       capture_output=True, text=True)
    check(p.returncode == 0, f"fictitious {seed} {n}: rc {p.returncode}: {p.stderr}")
    return d


def digests(d):
    return [hashlib.sha256(open(os.path.join(d, s + ".jsonl"), "rb").read()).hexdigest() for s in SPLITS]


def load(d, split):
    with open(os.path.join(d, split + ".jsonl"), encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def authors(items):
    out = []
    for it in items:
        if not out or out[-1] != it["author"]:
            out.append(it["author"])
    return out


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    n = 40
    a, b, c = gen("a", 5, n), gen("b", 5, n), gen("c", 6, n)
    check(digests(a) == digests(b), "same seed gave different bytes")
    check(all(x != y for x, y in zip(digests(a), digests(c))), "another seed gave an identical file")
    full, hold = load(a, "full"), load(a, "holdout")
    fa = authors(full)
    check(len(fa) == n and len(set(fa)) == n, f"full has {len(fa)} authors")
    per = len(full) // n
    check(len(full) == per * n and 15 <= per <= 25, f"{len(full)} items for {n} authors")
    check(len(authors(hold)) == max(1, round(n * 0.10)), "holdout size")
    check(not set(authors(hold)) & set(fa), "holdout authors appear in full")
    for pct in (1, 5, 10):
        k = max(1, int(n * pct / 100 + 0.5))
        f, r = load(a, "forget%02d" % pct), load(a, "retain%02d" % (100 - pct))
        check(f == full[len(full) - k * per:], f"forget{pct:02d} is not the last {k} authors")
        check(r == full[:len(full) - k * per], f"retain{100 - pct} is not the complement")
        check(not set(authors(f)) & set(authors(r)), "forget and retain share an author")
    ids = set()
    for it in full + hold:
        check(set(it) == {"question", "answer", "paraphrased_answer", "perturbed_answer", "author", "id"},
              f"keys {sorted(it)}")
        check(it["id"] not in ids, f"duplicate id {it['id']}")
        ids.add(it["id"])
        check(it["question"].endswith("?"), f"question {it['question']!r}")
        check(10 <= len(it["answer"].split()) <= 40, f"answer length: {it['answer']!r}")
        check(it["paraphrased_answer"] != it["answer"], f"paraphrase equals answer: {it['answer']!r}")
        pa = it["perturbed_answer"]
        check(3 <= len(pa) <= 5 and len(set(pa)) == len(pa) and it["answer"] not in pa, f"perturbed {pa!r}")
        check(it["author"] in it["answer"] or it["author"] in it["question"], f"author not named: {it!r}")

    # The CLI: usage errors exit 2 without writing; show renders prompts.
    for args in (["--authors", "0", "--out", WORK + "/x"], ["--seed", "-1", "--out", WORK + "/x"], []):
        p = subprocess.run([CLI, "data", "fictitious"] + args, capture_output=True, text=True)
        check(p.returncode == 2 and "leakbound data" in p.stderr, f"fictitious {args}: rc {p.returncode}")
    check(not os.path.exists(WORK + "/x"), "a failed run created its output folder")
    p = subprocess.run([CLI, "data", "show", os.path.join(a, "forget01.jsonl"), "--template", "phi", "-n", "2"],
                       capture_output=True, text=True)
    q0 = json.dumps("Question: " + load(a, "forget01")[0]["question"] + "\n", ensure_ascii=False)
    check(p.returncode == 0 and q0 in p.stdout, f"show: rc {p.returncode}, missing {q0} in {p.stdout[:300]!r}")
    p = subprocess.run([CLI, "data", "show", os.path.join(a, "nope.jsonl")], capture_output=True, text=True)
    check(p.returncode == 2 and "nope.jsonl" in p.stderr and not p.stdout, "show of a missing file")
    p = subprocess.run([CLI, "data", "--help"], capture_output=True, text=True)
    check(p.returncode == 0 and "fictitious" in p.stdout and "show" in p.stdout, "data --help")

    if fails:
        for f in fails[:20]:
            print("FAIL", f)
        print(f"{len(fails)} failures")
        return 1
    print(f"fictitious: {len(full)} + {len(hold)} items, deterministic, splits and structure verified")
    return 0


if __name__ == "__main__":
    sys.exit(main())
