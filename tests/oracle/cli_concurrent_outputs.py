#!/usr/bin/python3
"""Two runs into one output, runs killed midway, stranded files (docs/guarantees.md).

- race: OUT holds thousands of the user's files; two `eval --samples s.jsonl --out OUT` start
  at once, trial after trial (half of the trials with --wait on both). After each trial every
  user file is there with its bytes, OUT holds eval's complete set (six files, samples.jsonl
  whole, report.json parses), no temporary folder is left; each run exits 0 or is refused with
  exit 2 naming OUT and --wait (with --wait: both exit 0).
- stranded: staging folders that an older version's killed commit left beside OUT (with the
  user's files moved into them) are recovered by the next run: the files go back, the folders go.
- kill -9 at random moments of `eval` runs: no user file ever leaves OUT; the next run leaves no
  temporary folder.
- SIGTERM / SIGINT during `finetune`: the process dies of the signal, its temporary folder is
  removed, OUT is not created.
- `sample -o FILE` twice at once: the second is refused (exit 2, FILE and --wait named) and FILE
  is the first run's, whole; with --wait the second waits and FILE is byte for byte what the
  second run makes alone.
- `demo` failing midway and killed midway (kill -9 and SIGTERM) into a folder holding an earlier
  report and a user's file: the folder is left byte for byte as it was.
Under the sanitizers (LB_SANITIZED=1) fewer files and trials.
"""
import glob
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

CLI = os.environ["LB_CLI"]
SANITIZED = os.environ.get("LB_SANITIZED") == "1"
WORK = os.path.join(os.environ.get("LB_WORK", "/tmp/lb_work"), "concurrent_outputs")
os.makedirs(WORK, exist_ok=True)
FAILURES = []
EVAL_FILES = ["samples.jsonl", "report.json", "report.md", "density.svg", "ecdf.svg", "ed.svg"]
N_USER = 300 if SANITIZED else 3000
RACE_SECONDS = 3.0 if SANITIZED else 10.0
KILL_SECONDS = 1.5 if SANITIZED else 3.5
rng = random.Random(24)


def check(ok, msg):
    if not ok:
        FAILURES.append(msg)
        print("FAIL: " + msg, flush=True)
    return ok


def fresh(name):
    p = os.path.join(WORK, name)
    shutil.rmtree(p, ignore_errors=True)
    for q in glob.glob(os.path.join(WORK, "." + name + ".*")):
        shutil.rmtree(q, ignore_errors=True) if os.path.isdir(q) else os.unlink(q)
    return p


def staging(out):
    """Temporary folders of out left beside it (the lock file ".<name>.lock" stays by design)."""
    parent, base = os.path.split(out)
    return sorted(n for n in os.listdir(parent)
                  if n.startswith("." + base + ".") and n != "." + base + ".lock")


def snapshot(d):
    """{relative path: bytes or 'link->target'} of everything under d."""
    if not os.path.exists(d):
        return None
    out = {}
    for root, dirs, files in os.walk(d):
        for f in files + dirs:
            p = os.path.join(root, f)
            rel = os.path.relpath(p, d)
            if os.path.islink(p):
                out[rel] = "link->" + os.readlink(p)
            elif os.path.isfile(p):
                out[rel] = open(p, "rb").read()
            else:
                out[rel] = "dir"
    return out


def user_files(out, n):
    for i in range(n):
        with open(os.path.join(out, f"user-{i}.txt"), "w") as f:
            f.write(f"note {i}\n")


def missing_user_files(out, n):
    bad = 0
    for i in range(n):
        try:
            ok = open(os.path.join(out, f"user-{i}.txt")).read() == f"note {i}\n"
        except OSError:
            ok = False
        bad += not ok
    return bad


def samples_file(path, n_ids=20, n=8):
    with open(path, "w") as f:
        for q in range(n_ids):
            ref = f"the capital of country {q} is city {q}"
            f.write(json.dumps({"id": f"q{q}", "sample": -1, "text": f"city {q}", "reference": ref}) + "\n")
            for k in range(n):
                f.write(json.dumps({"id": f"q{q}", "sample": k, "text": f"maybe city {k}",
                                    "reference": ref}) + "\n")
    return n_ids * (n + 1)


def eval_cmd(s, out, wait=False):
    return [CLI, "eval", "--samples", s, "--metric", "rougeL-recall", "--out", out, "--threads", "1"] + \
        (["--wait"] if wait else [])


def complete_eval(out, n_lines):
    for f in EVAL_FILES:
        if not os.path.isfile(os.path.join(out, f)):
            return f"{f} missing"
    lines = open(os.path.join(out, "samples.jsonl")).read().splitlines()
    if len(lines) != n_lines:
        return f"samples.jsonl has {len(lines)} lines, want {n_lines}"
    try:
        json.load(open(os.path.join(out, "report.json")))
    except ValueError as e:
        return f"report.json: {e}"
    return None


def refused_ok(p, err, name):
    return p.returncode == 2 and "another leakbound run is writing" in err and name in err \
        and "--wait" in err


def check_race(s, n_lines):
    out = fresh("race")
    os.makedirs(out)
    user_files(out, N_USER)
    t0, trials, refused = time.time(), 0, 0
    while trials < 4 or time.time() - t0 < RACE_SECONDS:
        wait = trials % 2 == 1
        procs = [subprocess.Popen(eval_cmd(s, out, wait), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
        errs = [p.communicate()[1] for p in procs]
        trials += 1
        tag = f"race trial {trials}{' (--wait)' if wait else ''}"
        for p, e in zip(procs, errs):
            if p.returncode == 0:
                continue
            if not wait and refused_ok(p, e, out):
                refused += 1
                continue
            check(False, f"{tag}: exit {p.returncode}: {e.strip()}")
        check(any(p.returncode == 0 for p in procs), f"{tag}: no run succeeded")
        lost = missing_user_files(out, N_USER)
        if not check(lost == 0, f"{tag}: {lost} of {N_USER} user files lost"):
            break
        bad = complete_eval(out, n_lines)
        check(bad is None, f"{tag}: output incomplete: {bad}")
        check(not staging(out), f"{tag}: temporary folders left: {staging(out)}")
        if FAILURES:
            break
    print(f"race: {trials} trials of two evals into a folder of {N_USER} user files "
          f"({refused} refused), {time.time() - t0:.1f}s", flush=True)
    return out


def check_stranded(s, n_lines):
    """An older version's carry, killed: the user's files sit in .out.tmp-<pid> / .out.old-<pid>."""
    out = fresh("stranded")
    os.makedirs(out)
    user_files(out, 10)
    parent = os.path.dirname(out)
    st1, st2 = os.path.join(parent, ".stranded.tmp-4242"), os.path.join(parent, ".stranded.old-4243")
    os.makedirs(st1)
    os.makedirs(st2)
    for i in range(50):
        open(os.path.join(st1, f"carried-{i}.txt"), "w").write(f"carried {i}\n")
    open(os.path.join(st1, "report.json"), "w").write("{half")
    open(os.path.join(st2, "aside.txt"), "w").write("aside\n")
    p = subprocess.run(eval_cmd(s, out), capture_output=True, text=True)
    check(p.returncode == 0, f"stranded: exit {p.returncode}: {p.stderr.strip()}")
    back = sum(os.path.isfile(os.path.join(out, f"carried-{i}.txt")) and
               open(os.path.join(out, f"carried-{i}.txt")).read() == f"carried {i}\n" for i in range(50))
    check(back == 50, f"stranded: {back} of 50 stranded user files back in the folder")
    check(os.path.isfile(os.path.join(out, "aside.txt")), "stranded: aside.txt not recovered")
    check(missing_user_files(out, 10) == 0, "stranded: user files lost")
    check(not staging(out), f"stranded: stale temporary folders left: {staging(out)}")
    check(complete_eval(out, n_lines) is None, f"stranded: output incomplete: {complete_eval(out, n_lines)}")
    print("stranded: an older version's staging folders recovered (51 files back) and removed", flush=True)


def check_kill9(s, n_lines, out):
    """out: the race's folder, with its user files (made again where the race lost some)."""
    user_files(out, N_USER)
    t0, kills = time.time(), 0
    while kills < 3 or time.time() - t0 < KILL_SECONDS:
        p = subprocess.Popen(eval_cmd(s, out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.0, 0.5))
        p.send_signal(signal.SIGKILL)
        p.wait()
        kills += 1
        lost = missing_user_files(out, N_USER)
        if not check(lost == 0, f"kill -9 #{kills}: {lost} of {N_USER} user files not in the folder"):
            break
    p = subprocess.run(eval_cmd(s, out), capture_output=True, text=True)
    check(p.returncode == 0, f"kill -9: the next run: exit {p.returncode}: {p.stderr.strip()}")
    check(missing_user_files(out, N_USER) == 0, "kill -9: user files lost after the next run")
    check(not staging(out), f"kill -9: temporary folders left after the next run: {staging(out)}")
    check(complete_eval(out, n_lines) is None, f"kill -9: output incomplete: {complete_eval(out, n_lines)}")
    print(f"kill -9: {kills} evals killed at random moments; every user file stayed", flush=True)


def run_ok(args, tag):
    p = subprocess.run([CLI] + args, capture_output=True, text=True)
    if p.returncode != 0:
        print(f"FAIL: {tag}: exit {p.returncode}: {p.stderr.strip()}")
        sys.exit(1)
    return p


def tiny_training_inputs():
    d = os.path.join(WORK, "train_in")
    if not os.path.isfile(os.path.join(d, "model", "config.json")):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        run_ok(["data", "fictitious", "--authors", "2", "--out", os.path.join(d, "data")], "data")
        run_ok(["tokenizer", "train", "--vocab-size", "300", "--out", os.path.join(d, "tok.json"),
                os.path.join(d, "data", "full.jsonl")], "tokenizer")
        run_ok(["init", "--arch", "llama", "--size", "L1-D16-H2-KV1-I32-T64", "--tokenizer",
                os.path.join(d, "tok.json"), "--out", os.path.join(d, "model")], "init")
    return os.path.join(d, "model"), os.path.join(d, "data", "full.jsonl")


def wait_for(pred, timeout, proc=None):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if pred():
            return True
        if proc is not None and proc.poll() is not None:
            return False
        time.sleep(0.005)
    return False


def check_signals():
    model, data = tiny_training_inputs()
    for sig in (signal.SIGTERM, signal.SIGINT):
        out = fresh(f"ft_{sig.name}")
        p = subprocess.Popen([CLI, "finetune", "--model", model, "--data", data, "--out", out,
                              "--epochs", "1000", "--max-length", "32", "--batch-size", "2",
                              "--threads", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True)
        # once its temporary folder holds a file, the run is well under way
        started = wait_for(lambda: any(os.listdir(os.path.join(WORK, n))
                                       for n in staging(out) if os.path.isdir(os.path.join(WORK, n))),
                           30, p)
        check(started, f"{sig.name}: finetune made no temporary folder ({p.poll()})")
        p.send_signal(sig)
        err = p.communicate(timeout=60)[1]
        check(p.returncode == -sig, f"{sig.name}: finetune ended with {p.returncode}, want death "
              f"by the signal ({err.strip()[-200:]})")
        check(not staging(out), f"{sig.name}: temporary folder left: {staging(out)}")
        check(not os.path.exists(out), f"{sig.name}: {out} was created by an interrupted run")
    print("SIGTERM/SIGINT: finetune's temporary folder removed, the process dies of the signal",
          flush=True)


def check_sample():
    import sample_common as sc  # torch: imported only here
    d = os.path.join(WORK, "sample")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    model = os.path.join(d, "g2")
    os.makedirs(model)
    sc.gpt2_model(model)
    data = os.path.join(d, "q.jsonl")
    n_q, n = 6, (40 if SANITIZED else 150)
    with open(data, "w") as f:
        for i in range(n_q):
            f.write(json.dumps({"id": f"q{i}", "question": f"question {i}", "answer": "a"}) + "\n")
    out = os.path.join(d, "s.jsonl")

    def cmd(seed, wait=False, o=out):
        return [CLI, "sample", "--model", model, "--data", data, "-n", str(n), "--seed", str(seed),
                "--max-new-tokens", "24", "--threads", "1", "--quiet", "-o", o] + \
            (["--wait"] if wait else [])

    def lines_of(path):
        text = open(path, encoding="utf-8").read()
        ls = text.split("\n")
        return ls[:-1] if ls and ls[-1] == "" else ls, text.endswith("\n") or not text

    # refused: the second run may not touch FILE
    a = subprocess.Popen(cmd(1), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: os.path.exists(out + ".settings.json"), 30, a)
    b = subprocess.run(cmd(2), capture_output=True, text=True)
    a_err = a.communicate()[1]
    check(a.returncode == 0, f"sample: the first run: exit {a.returncode}: {a_err.strip()}")
    check(refused_ok(b, b.stderr, out), f"sample: the second run into the same -o: exit "
          f"{b.returncode}, want 2 with a message naming {out} and --wait: {b.stderr.strip()}")
    lines, whole = lines_of(out)
    check(whole, "sample: FILE ends in a torn line")
    try:
        seeds = {json.loads(l)["id"] for l in lines}
        check(len(lines) == n_q * n and len(seeds) == n_q,
              f"sample: {len(lines)} lines for {n_q} x {n}")
    except ValueError as e:
        check(False, f"sample: a line of FILE is not JSON ({e})")
    st = json.load(open(out + ".settings.json"))
    check(st.get("seed") == 1, f"sample: settings of seed {st.get('seed')}, want the first run's 1")
    # --wait: the second waits, then FILE is what it makes alone
    a = subprocess.Popen(cmd(3), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: os.path.exists(out + ".settings.json") and
             json.load(open(out + ".settings.json")).get("seed") == 3, 30, a)
    b = subprocess.run(cmd(4, wait=True), capture_output=True, text=True)
    a.communicate()
    check(a.returncode == 0 and b.returncode == 0,
          f"sample --wait: exits {a.returncode}, {b.returncode}: {b.stderr.strip()}")
    alone = os.path.join(d, "alone.jsonl")
    run_ok(cmd(4, o=alone)[1:], "sample alone")
    check(open(out, "rb").read() == open(alone, "rb").read(),
          "sample --wait: FILE differs from the second run's own output")
    check(json.load(open(out + ".settings.json")).get("seed") == 4, "sample --wait: settings not the second run's")
    print(f"sample -o: a second writer refused (FILE whole: {n_q} x {n} lines, first run's "
          "settings); with --wait FILE = the second run's output byte for byte", flush=True)


def old_demo_folder(name):
    out = fresh(name)
    os.makedirs(out)
    open(os.path.join(out, "demo.md"), "w").write("# the earlier report\n")
    open(os.path.join(out, "demo.json"), "w").write('{"seed": 7}\n')
    open(os.path.join(out, "notes.txt"), "w").write("the user's\n")
    return out, snapshot(out)


def demo_cmd(out, authors):
    return [CLI, "demo", "--out", out, "--authors", str(authors), "--finetune-epochs", "1", "-n", "2",
            "--unlearn-epochs", "1", "--threads", "1"]


def check_demo():
    # failing midway: with one author the retain set is empty and the retain eval fails
    out, before = old_demo_folder("demo_fail")
    p = subprocess.run(demo_cmd(out, 1), capture_output=True, text=True)
    if p.returncode != 0:
        check(snapshot(out) == before, f"demo failing midway (exit {p.returncode}) changed the folder: "
              f"{sorted(set(snapshot(out) or {}) ^ set(before))[:8]}")
    else:  # it completed: the report is then the new one throughout
        check(json.load(open(os.path.join(out, "demo.json"))).get("seed") != 7, "demo: old demo.json kept")
    # killed midway: kill -9 and SIGTERM once the first model exists
    for sig in (signal.SIGKILL, signal.SIGTERM):
        out, before = old_demo_folder(f"demo_{sig.name}")
        p = subprocess.Popen(demo_cmd(out, 2), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True)
        parent = os.path.dirname(out)
        made = wait_for(lambda: glob.glob(os.path.join(parent, "." + os.path.basename(out) + ".tmp-*",
                                                       "models", "init", "config.json")) or
                        os.path.exists(os.path.join(out, "models", "init", "config.json")), 60, p)
        check(made, f"demo ({sig.name}): the first model never appeared")
        p.send_signal(sig)
        p.communicate(timeout=60)
        after = snapshot(out)
        check(after == before, f"demo killed midway ({sig.name}) changed the folder: "
              f"{sorted(set(after or {}) ^ set(before))[:8]}")
        if sig == signal.SIGTERM:
            check(not staging(out), f"demo (SIGTERM): temporary folder left: {staging(out)}")
    print("demo: failing midway, kill -9 and SIGTERM midway leave the folder as it was", flush=True)


def main():
    s = os.path.join(WORK, "s.jsonl")
    n_lines = samples_file(s)
    race_out = []
    for part in (lambda: check_stranded(s, n_lines), lambda: race_out.append(check_race(s, n_lines)),
                 lambda: check_kill9(s, n_lines, race_out[0]), check_signals, check_sample,
                 check_demo):
        t0, before = time.time(), len(FAILURES)
        part()
        print(f"  ({'ok' if len(FAILURES) == before else 'FAILED'}, {time.time() - t0:.1f}s)",
              flush=True)
    if FAILURES:
        print(f"{len(FAILURES)} failure(s)")
        sys.exit(1)
    print("all concurrent-output checks passed")


if __name__ == "__main__":
    main()
