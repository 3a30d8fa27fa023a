#!/usr/bin/python3
"""Commands that write several files (eval, init, finetune, unlearn) on a full disk, and a
command that prints (inspect) into a full stdout.

A full disk is simulated without root: the file-size limit (RLIMIT_FSIZE, with SIGXFSZ ignored
in the child so that write() returns EFBIG) is set between the sizes of the small files and of
the large one, so a run fails part-way, after some files are complete. Each case checks:
- exit 1 (an I/O failure, not the bad-input status 2), the failing file and the reason
  (strerror) in the message;
- the output folder byte-for-byte as before (a fresh one: absent), no temporary folder left
  beside it;
- a good run afterwards replaces the set and keeps what it does not own (checkpoints, notes).
stdout: `inspect > /dev/full` exits 1 with a message naming stdout and the reason.
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


def check_train(work):
    sc.write_byte_tokenizer(work)
    tok = os.path.join(work, "tokenizer.json")
    data = os.path.join(work, "ft.jsonl")
    with open(data, "w") as f:
        for i in range(6):
            f.write(json.dumps({"question": f"q{i}?", "answer": "ab" * (i + 1)}) + "\n")
    init = ["init", "--arch", "gpt2", "--size", "L1-D16-H2-T64", "--tokenizer", tok]
    # init: config.json and tokenizer.json are small, model.safetensors is not.
    fresh = os.path.join(work, "init_fresh")
    p = run(init + ["--out", fresh], limit=8192)
    failed_cleanly("init (fresh folder)", p, fresh, None, "model.safetensors")
    m = os.path.join(work, "m")
    p = run(init + ["--out", m])
    check(p.returncode == 0, f"init: exit {p.returncode} ({p.stderr.strip()})")
    before = snapshot(m)
    p = run(init + ["--seed", "3", "--out", m], limit=8192)
    failed_cleanly("init (existing folder)", p, m, before, "model.safetensors")

    ft = ["finetune", "--model", m, "--data", data, "--epochs", "2", "--batch-size", "2",
          "--grad-accum", "1", "--max-length", "24"]
    out = os.path.join(work, "ft_out")
    p = run(ft + ["--out", out])
    check(p.returncode == 0, f"finetune: exit {p.returncode} ({p.stderr.strip()})")
    sz = sizes(out)
    limit = sz["model.safetensors"] // 2
    check(max(sz["train_log.csv"], sz["config.json"], sz["tokenizer.json"]) < limit,
          f"finetune: the test needs a model larger than the other files {sz}")
    before = snapshot(out)
    p = run(ft + ["--lr", "1e-3", "--out", out], limit=limit)
    failed_cleanly("finetune (existing folder)", p, out, before, "model.safetensors")
    p = run(ft + ["--out", os.path.join(work, "ft_fresh")], limit=limit)
    failed_cleanly("finetune (fresh folder)", p, os.path.join(work, "ft_fresh"), None,
                   "model.safetensors")
    un = ["unlearn", "--model", m, "--forget", data, "--method", "ga", "--epochs", "1",
          "--batch-size", "2", "--grad-accum", "1", "--max-length", "24", "--out", out]
    p = run(un, limit=limit)
    failed_cleanly("unlearn (existing folder)", p, out, before, "model.safetensors")

    # --resume: checkpoints go straight to DIR (a killed run leaves them, and no model), the
    # resumed run's commit keeps them beside the new model, and its log holds every step.
    res = os.path.join(work, "ft_resume")
    p = run(ft + ["--out", res, "--save-every", "2", "--stop-after", "3"])
    check(p.returncode == 0, f"resume: stopped run exit {p.returncode} ({p.stderr.strip()})")
    check(sorted(os.listdir(res)) == ["checkpoint-2"],
          f"resume: a stopped run left {sorted(os.listdir(res))}, want only checkpoint-2")
    p = run(ft + ["--out", res, "--save-every", "2", "--resume", os.path.join(res, "checkpoint-2")])
    check(p.returncode == 0, f"resume: resumed run exit {p.returncode} ({p.stderr.strip()})")
    names = sorted(os.listdir(res))
    check("model.safetensors" in names and "checkpoint-2" in names and "checkpoint-4" in names,
          f"resume: folder after the resumed run: {names}")
    steps = [l.split(",")[0] for l in open(os.path.join(res, "train_log.csv")).read().split("\n")[1:] if l]
    check(steps == [str(i) for i in range(1, 7)], f"resume: train_log.csv steps {steps}")
    full = snapshot(out)
    check(full["model.safetensors"] == open(os.path.join(res, "model.safetensors"), "rb").read(),
          "resume: the resumed model differs from the uninterrupted run's")
    check(not leftovers(res), "resume: temporary folder left")
    print(f"init/finetune/unlearn: limit {limit} bytes (files {sz}): exit 1, folder unchanged; "
          "resume keeps checkpoints")


def check_stdout(work):
    m = os.path.join(work, "abc")
    with open("/dev/full", "w") as full:
        p = run(["inspect", "--model", m], stdout=full)
    want = os.strerror(errno.ENOSPC)
    check(p.returncode == 1 and "stdout" in p.stderr and want in p.stderr,
          f"inspect > /dev/full: exit {p.returncode}, message {p.stderr.strip()!r}")
    print(f"inspect > /dev/full: exit {p.returncode}: {p.stderr.strip()}")
    # every other command's stdout too (checked once, in main): help texts and data summaries
    for args in (["tokenize", "--help"], ["bound", "--help"], ["tokenizer", "--help"]):
        with open("/dev/full", "w") as full:
            p = run(args, stdout=full)
        check(p.returncode == 1 and "stdout" in p.stderr and want in p.stderr,
              f"{' '.join(args)} > /dev/full: exit {p.returncode}, message {p.stderr.strip()!r}")
    print("tokenize/bound/tokenizer --help > /dev/full: exit 1 with the reason")


def main():
    work = sc.work_dir("cli_atomic_outputs")
    shutil.rmtree(work)
    os.makedirs(work)
    check_eval(work)
    check_train(work)
    check_stdout(work)
    if FAILURES:
        print(f"{len(FAILURES)} failure(s)")
        sys.exit(1)
    print("cli_atomic_outputs: all checks passed")


if __name__ == "__main__":
    main()
