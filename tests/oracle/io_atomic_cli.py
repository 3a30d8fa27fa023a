#!/usr/bin/python3
"""Commands that write several files (eval) on a full disk (issue 11 #6).

A full disk is simulated without root: the file-size limit (RLIMIT_FSIZE, with SIGXFSZ ignored
in the child so that write() returns EFBIG) is set between the sizes of the small files and of
the large one, so a run fails part-way, after some files are complete. Each case checks:
- exit 1 (an I/O failure, not the bad-input status 2), the failing file and the reason
  (strerror) in the message;
- the output folder byte-for-byte as before (a fresh one: absent), no temporary folder left
  beside it;
- a good run afterwards replaces the set and keeps what it does not own (notes).
"""
import errno
import json
import os
import resource
import shutil
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sample_common as sc  # noqa: E402

CLI = os.environ["LB_CLI"]
FAILURES = []
EFBIG = os.strerror(errno.EFBIG)


def check(ok, msg):
    if not ok:
        FAILURES.append(msg)
        print("FAIL: " + msg)


def limited(nbytes):
    def pre():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, nbytes))
    return pre


def run(args, limit=None, stdout=subprocess.PIPE):
    return subprocess.run([CLI] + args, stdout=stdout, stderr=subprocess.PIPE, text=True,
                          preexec_fn=limited(limit) if limit else None, check=False)


def snapshot(d):
    """{relative path: bytes} of every file under d; None when d is absent."""
    if not os.path.exists(d):
        return None
    out = {}
    for root, _, files in os.walk(d):
        for f in files:
            p = os.path.join(root, f)
            out[os.path.relpath(p, d)] = open(p, "rb").read()
    return out


def leftovers(d):
    parent, base = os.path.split(d.rstrip("/"))
    return [n for n in os.listdir(parent) if n.startswith("." + base + ".")]


def sizes(d):
    return {n: os.path.getsize(os.path.join(d, n)) for n in os.listdir(d)
            if os.path.isfile(os.path.join(d, n))}


def failed_cleanly(tag, p, out, before, want_file):
    check(p.returncode == 1, f"{tag}: exit {p.returncode}, want 1 ({p.stderr.strip()})")
    check(EFBIG in p.stderr and want_file in p.stderr,
          f"{tag}: message {p.stderr.strip()!r} lacks {want_file!r} and {EFBIG!r}")
    after = snapshot(out)
    check(after == before, f"{tag}: output folder changed by a failed run: "
          f"{sorted(before or [])} -> {sorted(after or [])}")
    check(not leftovers(out), f"{tag}: temporary folder left: {leftovers(out)}")


def check_eval(work):
    m = os.path.join(work, "abc")
    bias = [-30.0] * 260
    for ch, b in ((" ", 0.6), ("a", 1.0), ("b", 0.8), ("c", 0.2)):
        bias[ord(ch)] = b
    bias[sc.EOS] = -0.5
    sc.bias_model(m, bias)
    data = os.path.join(work, "qa.jsonl")
    with open(data, "w") as f:
        for i, a in enumerate(["a b", "b b a", "a a a", "c", "a b c a", "b"]):
            f.write(json.dumps({"id": f"q{i}", "question": f"Q{i}?", "answer": a}) + "\n")
    common = ["eval", "--model", m, "--data", data, "-n", "4", "--metric", "rougeL-recall",
              "--max-new-tokens", "6", "--quiet", "--template", "phi"]
    out = os.path.join(work, "eval_out")
    p = run(common + ["--seed", "1", "--out", out])
    check(p.returncode == 0, f"eval: first run exit {p.returncode} ({p.stderr.strip()})")
    sz = sizes(out)
    small = max(sz["samples.jsonl"], sz["report.json"], sz["report.md"])
    big = max(sz["density.svg"], sz["ecdf.svg"])
    # The limit lets samples.jsonl, report.json and report.md be written, not the plots.
    check(small * 1.3 + 512 < big, f"eval: the test needs plots larger than the other files {sz}")
    limit = int(small * 1.3) + 256
    with open(os.path.join(out, "notes.txt"), "w") as f:
        f.write("mine")
    before = snapshot(out)
    p = run(common + ["--seed", "2", "--out", out], limit=limit)
    failed_cleanly("eval (existing folder)", p, out, before, ".svg")
    fresh = os.path.join(work, "eval_fresh")
    p = run(common + ["--seed", "2", "--out", fresh], limit=limit)
    failed_cleanly("eval (fresh folder)", p, fresh, None, ".svg")
    p = run(common + ["--seed", "2", "--out", out])
    check(p.returncode == 0, f"eval: rerun exit {p.returncode} ({p.stderr.strip()})")
    after = snapshot(out)
    check(after["notes.txt"] == b"mine", "eval: a file of the user's was lost")
    check(after["samples.jsonl"] != before["samples.jsonl"], "eval: samples.jsonl not replaced")
    check(not leftovers(out), "eval: temporary folder left after a good run")
    print(f"eval: limit {limit} bytes (files {sz}): exit 1, folder unchanged; rerun replaces")


def main():
    work = sc.work_dir("io_atomic_cli")
    shutil.rmtree(work)
    os.makedirs(work)
    check_eval(work)
    if FAILURES:
        print(f"{len(FAILURES)} failure(s)")
        sys.exit(1)
    print("io_atomic_cli: all checks passed")


if __name__ == "__main__":
    main()
