"""Oracle test of Python's progress= callback and LEAKBOUND_ISA in the Python package.

- progress=: leakbound.sample(4 prompts, n=3, greedy_too=True) and leakbound.eval(3 questions,
  n=4) call it with dicts whose "done" never decreases and whose "total" is always
  questions x (n + greedy) (16 and 15: counted here from the arguments, the oracle), ending
  with done == total and eta_s == 0; "rate" is done / seconds and, before the end, "eta_s" is
  seconds x (total - done) / done (recomputed here from the dict's own counts).
- Stopping: a callback returning True stops eval (leakbound.Cancelled) and OUT, an earlier
  run's folder, keeps its files byte for byte with nothing left beside it; a callback that
  raises stops the run with its exception.
- LEAKBOUND_ISA: a bad value fails `import leakbound` with an ImportError whose text is the
  CLI's stderr line for the same value; LEAKBOUND_ISA=scalar gives samples.jsonl bytes (texts
  and scores) equal to the CLI's under the same variable, and both reports' provenance name the
  scalar path.
"""
import json
import math
import os
import shutil
import subprocess
import sys

import python_common as pc  # noqa: E402  (puts python/ and tests/oracle on sys.path)

leakbound = pc.leakbound
C = pc.Checks("python_progress")
WORK = pc.work_dir("python_progress")
DEF = os.path.join(pc.SRC, "examples", "default")
MODEL = os.path.join(DEF, "model")
DATA = os.path.join(DEF, "forget.jsonl")
PROMPTS = ["Who wrote the book?", "Where was the author born?", "What is the genre?",
           "Name one award."]


def check_calls(name, calls, total):
    C.check(f"{name}: called", len(calls) >= 1)
    if not calls:
        return
    C.check(f"{name}: the dict's keys", all({"done", "total", "rate", "eta_s", "seconds"}
                                             <= set(d) for d in calls), f"{calls[0]}")
    C.check(f"{name}: total is questions x (n + greedy) = {total} every call",
            all(d["total"] == total for d in calls), f"{sorted({d['total'] for d in calls})}")
    dones = [d["done"] for d in calls]
    C.check(f"{name}: done never decreases", all(a <= b for a, b in zip(dones, dones[1:])),
            f"{dones[:20]}")
    C.check(f"{name}: ends with done == total, eta_s 0", calls[-1]["done"] == total and
            calls[-1]["eta_s"] == 0, f"{calls[-1]}")
    bad = []
    for d in calls:
        t = d["seconds"]
        if t <= 0:
            continue
        rate = d["done"] / t
        eta = t * (d["total"] - d["done"]) / d["done"] if d["done"] else 0
        if not (math.isclose(d["rate"], rate, rel_tol=1e-9, abs_tol=1e-9) and
                math.isclose(d["eta_s"], eta, rel_tol=1e-9, abs_tol=1e-9)):
            bad.append(d)
    C.check(f"{name}: rate = done / seconds, eta_s = seconds x left / done", not bad,
            f"{bad[:2]}")


def snapshot(d):
    return {n: open(os.path.join(d, n), "rb").read() for n in sorted(os.listdir(d))}


def check_progress():
    calls = []
    leakbound.sample(MODEL, PROMPTS, n=3, greedy_too=True, seed=5, max_new_tokens=12,
                     template="phi", threads=1, batch=2, progress=calls.append)
    check_calls("sample", calls, len(PROMPTS) * (3 + 1))

    out = os.path.join(WORK, "eval-out")
    shutil.rmtree(out, ignore_errors=True)
    calls = []
    kw = dict(n=4, limit=3, metric="rougeL-recall", seed=5, max_new_tokens=12, threads=1,
              batch=2, template="phi")
    leakbound.eval(MODEL, DATA, out=out, progress=calls.append, **kw)
    check_calls("eval", calls, 3 * (4 + 1))

    # returning True: Cancelled, out untouched
    before, entries = snapshot(out), sorted(os.listdir(WORK))
    seen = []

    def stop(d):
        seen.append(d)
        return True
    C.raises("eval: progress returning True raises leakbound.Cancelled", leakbound.Cancelled,
             lambda: leakbound.eval(MODEL, DATA, out=out, progress=stop, **kw))
    C.check("eval: stopped at the first call", len(seen) == 1, f"{len(seen)} calls")
    C.check("eval: stopped: out keeps the earlier run's files byte for byte",
            snapshot(out) == before)
    C.check("eval: stopped: nothing left beside out", sorted(os.listdir(WORK)) == entries,
            f"{sorted(os.listdir(WORK))}")

    class Mine(Exception):
        pass

    def boom(d):
        raise Mine("from the callback")
    C.raises("sample: progress raising stops the run with its exception", Mine,
             lambda: leakbound.sample(MODEL, PROMPTS, n=2, progress=boom), "from the callback")
    C.raises("sample: progress not callable", ValueError,
             lambda: leakbound.sample(MODEL, PROMPTS, n=2, progress=3), "progress")


CHILD = r"""
import sys
sys.path.insert(0, sys.argv[1])
import leakbound
leakbound.eval(sys.argv[2], sys.argv[3], out=sys.argv[4], n=3, limit=3,
               metric="rougeL-recall", seed=9, max_new_tokens=10, threads=1, template="phi")
"""


def check_isa():
    env = dict(os.environ, LEAKBOUND_ISA="bogus")
    p = subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
                        "import leakbound", os.path.join(pc.SRC, "python")],
                       capture_output=True, text=True, env=env)
    q = subprocess.run([pc.CLI, "eval", "--help"], capture_output=True, text=True,
                       env=pc.sub_env(LEAKBOUND_ISA="bogus"))
    cli_line = q.stderr.strip().splitlines()[-1] if q.stderr.strip() else ""
    got = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ""
    C.check("LEAKBOUND_ISA=bogus: the CLI refuses it (exit 2)",
            q.returncode == 2 and "LEAKBOUND_ISA=bogus" in cli_line, f"{q.returncode} {q.stderr!r}")
    C.check("LEAKBOUND_ISA=bogus: import leakbound fails with the CLI's message",
            p.returncode != 0 and got == "ImportError: " + cli_line,
            f"rc {p.returncode}: {got!r} vs {cli_line!r}")

    py_out, cli_out = os.path.join(WORK, "isa-py"), os.path.join(WORK, "isa-cli")
    for d in (py_out, cli_out):
        shutil.rmtree(d, ignore_errors=True)
    env = dict(os.environ, LEAKBOUND_ISA="scalar")
    p = subprocess.run([sys.executable, "-c", CHILD, os.path.join(pc.SRC, "python"), MODEL,
                        DATA, py_out], capture_output=True, text=True, env=env)
    C.check("LEAKBOUND_ISA=scalar: Python's eval runs", p.returncode == 0, p.stderr[-1500:])
    q = subprocess.run([pc.CLI, "eval", "--model", MODEL, "--data", DATA, "--out", cli_out,
                        "-n", "3", "--limit", "3", "--metric", "rougeL-recall", "--seed", "9",
                        "--max-new-tokens", "10", "--threads", "1", "--template", "phi",
                        "--quiet"], capture_output=True, text=True,
                       env=pc.sub_env(LEAKBOUND_ISA="scalar"))
    C.check("LEAKBOUND_ISA=scalar: the CLI's eval runs", q.returncode == 0, q.stderr[-1500:])
    if p.returncode or q.returncode:
        return

    def read(d, n):
        with open(os.path.join(d, n), "rb") as f:
            return f.read()
    C.check("LEAKBOUND_ISA=scalar: samples.jsonl (texts, scores) bit-identical to the CLI's",
            read(py_out, "samples.jsonl") == read(cli_out, "samples.jsonl"))
    isas = [json.loads(read(d, "report.json"))["provenance"].get("isa")
            for d in (py_out, cli_out)]
    C.check("LEAKBOUND_ISA=scalar: both reports name the scalar path", isas ==
            ["scalar", "scalar"], f"{isas}")


def main():
    check_progress()
    check_isa()
    C.finish()


if __name__ == "__main__":
    main()
