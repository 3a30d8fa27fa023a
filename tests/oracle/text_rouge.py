#!/usr/bin/python3
"""`leakbound score` against the Python reference (text_rouge_ref.py: rouge-score 0.1.2 on
NLTK's stemmer) on 12,000 generated pairs (3,000 under the sanitizers), for every metric:
rougeL/rouge1 precision, recall and F within 1e-12 (and counted bit-exact), the score field
per metric, keywords and exact match exactly; every input field kept, in order."""
import json
import os
import subprocess
import sys
from functools import lru_cache

import text_rouge_ref as ref
from text_common import sanitized, work_dir
from text_pairs import rows

# The reference tokeniser re-stems each token; stemming is a pure function, so memoise it
# to keep the oracle fast (results identical).
ref._STEMMER.stem = lru_cache(maxsize=None)(ref._STEMMER.stem)

METRICS = ["rougeL-recall", "rougeL-f", "rouge1-recall", "rouge1-f", "keywords", "keywords-substring",
           "exact"]


def main():
    n = 3000 if sanitized() else 12000
    data = rows(n, seed=20241003)
    # `score` refuses a keyword list with no keyword in it (it would score 0 for every answer;
    # tests/oracle/cli_followups.py checks that): such generated rows get one keyword instead.
    for r in data:
        kw = r["keywords"]
        blank = " \t\n\r\v\f"
        if isinstance(kw, str):
            empty = not kw.strip(blank + ",")
        else:
            empty = not any(isinstance(k, str) and k.strip(blank) for k in kw)
        if empty:
            r["keywords"] = ["zqxj"]
    path = os.path.join(work_dir("text_rouge"), "text_rouge_in.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for r in data:
            f.write(json.dumps(r, ensure_ascii=bool(r["id"] % 2)) + "\n")
    toks = [(ref.tokenize(r["text"]), ref.tokenize(r["reference"])) for r in data]
    want = {}
    for (pt, tt) in toks:
        want.setdefault("rougeL", []).append(ref.score_lcs(tt, pt))
        want.setdefault("rouge1", []).append(ref.score_ngrams(tt, pt))
    bad, exact_bits, compared = [], 0, 0
    for m in METRICS:
        args = ["--metric", "keywords", "--keyword-match", "substring"] if m == "keywords-substring" \
            else ["--metric", m]
        res = subprocess.run([os.environ["LB_CLI"], "score", *args, path],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if res.returncode != 0:
            sys.exit(f"{m}: exit {res.returncode}: {res.stderr.decode()}")
        lines = res.stdout.decode("utf-8").split("\n")
        if lines[-1] != "" or len(lines) - 1 != n:
            sys.exit(f"{m}: {len(lines) - 1} output lines for {n}")
        for r, line, (pt, tt) in zip(data, lines, toks):
            o = json.loads(line)
            added = ["score"] + (["precision", "recall", "fmeasure"] if m.startswith("rouge") else []) + \
                (["keyword_match"] if m.startswith("keywords") else [])
            if list(o.keys()) != list(r.keys()) + added or any(o[k] != r[k] for k in r):
                bad.append((m, r["id"], "fields not preserved", line[:200]))
                continue
            if m.startswith("rouge"):
                p, rc, f = want[m.split("-")[0]][r["id"]]
                exp = {"precision": p, "recall": rc, "fmeasure": f,
                       "score": rc if m.endswith("recall") else f}
            elif m == "keywords":
                exp = {"score": ref.keyword_leak_word(r["text"], r["keywords"])}
                if o["keyword_match"] != "word":
                    bad.append((m, r["id"], "keyword_match", o["keyword_match"]))
            elif m == "keywords-substring":
                exp = {"score": ref.keyword_leak(r["text"], r["keywords"])}
                if o["keyword_match"] != "substring":
                    bad.append((m, r["id"], "keyword_match", o["keyword_match"]))
            else:
                exp = {"score": int(pt == tt)}
            for k, v in exp.items():
                compared += 1
                if abs(o[k] - v) > 1e-12:
                    bad.append((m, r["id"], k, o[k], v, ascii(r["text"])[:80],
                                ascii(r["reference"])[:80]))
                elif o[k] == v:
                    exact_bits += 1
    for b in bad[:20]:
        print("MISMATCH", b)
    n_exact = sum(int(pt == tt) for pt, tt in toks)
    n_leak = sum(ref.keyword_leak(r["text"], r["keywords"]) for r in data)
    n_word = sum(ref.keyword_leak_word(r["text"], r["keywords"]) for r in data)
    print(f"{n} pairs x {len(METRICS)} metrics: {compared - len(bad)}/{compared} values within "
          f"1e-12, {exact_bits} bit-identical; {n_exact} exact matches, {n_leak} keyword leaks "
          f"({n_word} on word boundaries)")
    # Both kinds of row must occur: word leaks, and substring-only ones that word mode rejects.
    if bad or n_exact < n // 20 or n_word < n // 20 or n_leak - n_word < n // 100:
        sys.exit(1)


if __name__ == "__main__":
    main()
