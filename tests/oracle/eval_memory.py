#!/usr/bin/python3
"""`eval --samples`: peak memory per question stays small (report.md's tables are streamed).

Two runs of `eval --samples` on generated files of N1 and N2 questions (2 sampled answers and a
greedy one each); the peak resident set size of each run (os.wait4's ru_maxrss) gives the growth
per question, (rss2 - rss1) / (N2 - N1). With every table cell of report.md held in a 4 KiB
buffer it was ~33 KiB per question; the bound is 10 KiB (scores, bounds, the report.json
document and the streamed report.md stay well below). Skipped under the sanitizers (their
shadow memory makes RSS meaningless).
"""
import json
import os
import re
import subprocess
import sys
import tempfile

CLI = os.environ["LB_CLI"]
N1, N2 = 1000, 11000
BOUND_KIB = 10.0


def write_samples(path, nq):
    words = ["alpha", "beta", "gamma", "delta", "eps", "zeta"]
    ref = " ".join(words)
    with open(path, "w") as f:
        for q in range(nq):
            base = {"id": f"q{q}", "reference": ref, "prompt": f"What is question number {q}?"}
            f.write(json.dumps(dict(base, text=" ".join(words[: q % 6 + 1]), sample=-1)) + "\n")
            for i in range(2):
                f.write(json.dumps(dict(base, text=" ".join(words[(q + i) % 3:]))) + "\n")


def peak_kib(args):
    p = subprocess.Popen([CLI] + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        print(f"FAIL: {' '.join(args)}: {err.decode()[-2000:]}")
        sys.exit(1)
    return ru.ru_maxrss  # KiB on Linux


def main():
    if os.environ.get("LB_SANITIZED"):
        print("skipped under the sanitizers")
        return
    with tempfile.TemporaryDirectory() as tmp:
        rss = []
        for nq in (N1, N2):
            path = os.path.join(tmp, f"s{nq}.jsonl")
            write_samples(path, nq)
            out = os.path.join(tmp, f"o{nq}")
            rss.append(peak_kib(["eval", "--samples", path, "--metric", "rougeL-recall", "--out", out]))
            rows = sum(1 for l in open(os.path.join(out, "report.md")) if re.match(r"\| q\d", l))
            if rows != nq:
                print(f"FAIL: report.md has {rows} question rows, want {nq}")
                sys.exit(1)
        per_q = (rss[1] - rss[0]) / (N2 - N1)
        print(f"peak RSS {rss[0]} KiB at {N1} questions, {rss[1]} KiB at {N2}: {per_q:.2f} KiB per question "
              f"(bound {BOUND_KIB})")
        if per_q > BOUND_KIB:
            print(f"FAIL: {per_q:.2f} KiB per question > {BOUND_KIB}")
            sys.exit(1)
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
