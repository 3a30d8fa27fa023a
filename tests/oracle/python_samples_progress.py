"""Oracle test of `eval --samples`'s progress and the lenient-CSV data warning, CLI and Python.

- The data warning: a Harry Potter CSV written here with blanks around quoted fields on known
  lines (the oracle is the construction: the first such line and their count, as
  data_readers.py's); `leakbound eval --samples --data`, `leakbound eval` and `leakbound
  sample` with --quiet print exactly "leakbound CMD: warning: PATH:LINE: blanks around a quoted
  field skipped (not RFC 4180; N lines)" and nothing else; Python's eval (samples= and a model
  run) issues one leakbound.DataWarning (a UserWarning) with exactly the text after
  "leakbound CMD: warning: "; a CSV without blanks gives no warning anywhere.
- Progress: `eval --samples` without --quiet ends with a progress line whose line and answer
  counts are the file's and whose MB are its size; with --quiet there is none.
- Ctrl-C: SIGINT to a child Python process in eval(samples=BIG, out=OUT) raises
  KeyboardInterrupt promptly, and OUT (an earlier run's folder) keeps its files byte for
  byte, with no temporary folder left beside it.
"""
import json
import os
import re
import signal
import subprocess
import sys
import time
import warnings

import python_common as pc  # noqa: E402  (puts python/ and tests/oracle on sys.path)

leakbound = pc.leakbound
C = pc.Checks("python_samples_progress")
WORK = pc.work_dir("python_samples_progress")
MODEL = os.path.join(pc.SRC, "examples", "default", "model")
ROWS = [("Who is Harry's best friend?", "Ron", "Harry's best friend is Ron Weasley"),
        ("Where does Harry live?", "Privet Drive", "Harry lives at four Privet Drive"),
        ("What is Harry's owl called?", "Hedwig", "Harry's owl is called Hedwig"),
        ("Who teaches potions?", "Snape", "Potions is taught by Severus Snape"),
        ("What is Harry's house?", "Gryffindor", "Harry is in Gryffindor house")]


def hp_csv(name, blank_rows):
    """ROWS as a Harry Potter CSV, every field quoted, blanks around the quotes of the rows in
    blank_rows (0-based); returns the path and the physical lines with blanks."""
    path = os.path.join(WORK, name)
    lines, lenient = ['"Question","Key Words","Affirmative Response"'], []
    for r, row in enumerate(ROWS):
        quoted = ['"%s"' % v for v in row]
        if r in blank_rows:
            lines.append(quoted[0] + " ,  " + quoted[1] + ", " + quoted[2] + "  ")
            lenient.append(len(lines))
        else:
            lines.append(",".join(quoted))
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return path, lenient


def expected(path, lenient):
    n = len(lenient)
    return (f"{path}:{lenient[0]}: blanks around a quoted field skipped (not RFC 4180; {n} "
            f"line{'' if n == 1 else 's'})") if lenient else None


def samples_file():
    """Three answers per item, by the CSV's ids (the row numbers), with the reference."""
    rows = [{"id": str(i), "reference": a, "text": " ".join(a.split()[:j + 2])}
            for i, (_, _, a) in enumerate(ROWS) for j in range(3)]
    return pc.jsonl(os.path.join(WORK, "answers.jsonl"), rows)


def run(args):
    return subprocess.run([pc.CLI] + args, capture_output=True, text=True, env=pc.sub_env())


def py_warnings(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        fn()
    return [(x.category, str(x.message)) for x in w]


def check_data_warning():
    C.check("DataWarning is exported and a UserWarning",
            issubclass(getattr(leakbound, "DataWarning", type(None)), UserWarning) and
            "DataWarning" in leakbound.__all__)
    answers = samples_file()
    for name, blank_rows in (("three.csv", (0, 2, 3)), ("one.csv", (4,)), ("plain.csv", ())):
        csv, lenient = hp_csv(name, blank_rows)
        text = expected(csv, lenient)
        tag = f"{name} ({len(lenient)} lenient lines)"
        out = os.path.join(WORK, "out-" + name)
        cases = [
            ("eval --samples --data", "eval",
             ["eval", "--samples", answers, "--data", csv, "--metric", "keywords", "--out",
              out + "-cli-samples", "--quiet"],
             lambda: leakbound.eval(samples=answers, data=csv, metric="keywords",
                                    out=out + "-py-samples")),
            ("eval", "eval",
             ["eval", "--model", MODEL, "--data", csv, "-n", "2", "--max-new-tokens", "4",
              "--metric", "keywords", "--out", out + "-cli-eval", "--quiet"],
             lambda: leakbound.eval(MODEL, data=csv, n=2, max_new_tokens=4, metric="keywords",
                                    out=out + "-py-eval")),
            ("sample", "sample",
             ["sample", "--model", MODEL, "--data", csv, "-n", "2", "--max-new-tokens", "4",
              "-o", out + "-cli-sample.jsonl", "--quiet"], None)]
        for what, cmd, args, py in cases:
            p = run(args)
            want = f"leakbound {cmd}: warning: {text}\n" if text else ""
            C.check(f"{tag}: `{what} --quiet` prints exactly the warning", p.returncode == 0 and
                    p.stderr == want, f"exit {p.returncode}, {p.stderr!r}, want {want!r}")
            if py is None:
                continue
            got = py_warnings(py)
            C.check(f"{tag}: Python's {what} warns as the CLI",
                    got == ([(leakbound.DataWarning, text)] if text else []),
                    f"{got}, want {text!r}")


PROGRESS = re.compile(r"leakbound eval: samples ([0-9.]+ [kMG]B) of ([0-9.]+ [kMG]B), (\d+) lines, "
                      r"(\d+) answers, [0-9]+ lines/s, elapsed \d+s$")


def size_text(b):
    """The progress line's byte count: kB below a megabyte, else MB (below a gigabyte)."""
    return "%.1f kB" % (b / 1e3) if b < 1e6 else "%.1f MB" % (b / 1e6) if b < 1e9 else \
        "%.2f GB" % (b / 1e9)


def check_progress_line():
    answers = samples_file()
    size = os.path.getsize(answers)
    with open(answers, encoding="utf-8") as f:
        n_lines = sum(1 for _ in f)
    p = run(["eval", "--samples", answers, "--metric", "rougeL-recall", "--out",
             os.path.join(WORK, "out-progress")])
    last = p.stderr.splitlines()[-1] if p.stderr else ""
    m = PROGRESS.match(last)
    C.check("eval --samples: a last progress line (elapsed)", p.returncode == 0 and m,
            f"exit {p.returncode}, {p.stderr!r}")
    if m:
        C.check("eval --samples: its lines, answers and bytes are the file's",
                int(m.group(3)) == n_lines and int(m.group(4)) == n_lines and
                m.group(1) == m.group(2) == size_text(size), last)
    q = run(["eval", "--samples", answers, "--metric", "rougeL-recall", "--out",
             os.path.join(WORK, "out-progress-quiet"), "--quiet"])
    C.check("eval --samples --quiet: no progress line", q.returncode == 0 and q.stderr == "",
            repr(q.stderr))


CHILD = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
import leakbound
print("started", flush=True)
t = time.time()
try:
    leakbound.eval(samples=sys.argv[2], metric="rougeL-recall", out=sys.argv[3])
    print("finished after %.1f s" % (time.time() - t), flush=True)
except KeyboardInterrupt:
    print("KeyboardInterrupt after %.1f s" % (time.time() - t), flush=True)
    sys.exit(3)
"""


def snapshot(d):
    return {n: open(os.path.join(d, n), "rb").read() for n in sorted(os.listdir(d))}


def check_interrupt():
    """SIGINT 1.5 s into eval(samples=BIG) (500,000 lines: several seconds of scoring)."""
    big = os.path.join(WORK, "big.jsonl")
    with open(big, "w", encoding="utf-8") as f:
        for i in range(500000):
            f.write('{"id": "q%d", "reference": "the quick brown fox jumps over the lazy dog '
                    'number %d", "text": "a quick fox jumped over %d dogs"}\n'
                    % (i % 1000, i % 1000, i))
    parent = os.path.join(WORK, "interrupt")
    out = os.path.join(parent, "out")
    os.makedirs(parent, exist_ok=True)
    # an earlier run's folder
    leakbound.eval(samples=samples_file(), metric="rougeL-recall", out=out)
    before, entries = snapshot(out), sorted(os.listdir(parent))
    p = subprocess.Popen([sys.executable, "-c", CHILD, os.path.join(pc.SRC, "python"), big, out],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=dict(os.environ))
    first = p.stdout.readline()
    time.sleep(1.5)
    t = time.time()
    p.send_signal(signal.SIGINT)
    try:
        got, err = p.communicate(timeout=30 if pc.SANITIZED else 10)
    except subprocess.TimeoutExpired:
        p.kill()
        got, err = p.communicate()
        C.check("SIGINT in eval(samples=): the child ended", False, "still running after SIGINT")
        return
    took = time.time() - t
    C.check("SIGINT in eval(samples=): KeyboardInterrupt, promptly",
            first.startswith("started") and p.returncode == 3 and "KeyboardInterrupt" in got and
            took < 5, f"rc {p.returncode} in {took:.1f} s: {got!r} {err[-1500:]!r}")
    C.check("SIGINT in eval(samples=): out keeps the earlier run's files byte for byte",
            snapshot(out) == before)
    C.check("SIGINT in eval(samples=): no temporary folder left beside out",
            sorted(os.listdir(parent)) == entries, f"{sorted(os.listdir(parent))}")


def main():
    check_data_warning()
    check_progress_line()
    check_interrupt()
    C.finish()


if __name__ == "__main__":
    main()
