#!/usr/bin/python3
"""leakbound.bound_file(path, **flags): `leakbound bound [flags] path` in-process. Its JSON text
equals the CLI's stdout byte for byte (the CLI's argv passed for the provenance), the dict is
that document, its own argv is the equivalent command, the table is the CLI's table; bad flags
and bad input raise with the CLI's message (stderr's first line without "leakbound bound: ").
A few numbers are also checked against scipy/numpy directly (the mean, and M_bin as the
Clopper-Pearson bound, scipy's beta quantile)."""
import json
import os
import subprocess

import numpy as np
from scipy import stats

from python_common import CLI, Checks, jsonl, leakbound, sub_env, work_dir

C = Checks("python bound_file")
W = work_dir("python_bound_file")


def run_cli(args):
    p = subprocess.run([CLI, "bound"] + args, capture_output=True, text=True, env=sub_env())
    return p.returncode, p.stdout, p.stderr


def make_scores():
    rng = np.random.default_rng(7)
    lines = []
    for p in range(9):
        pid = p if p % 3 == 0 else f"q{p}"      # integer and string ids
        n = 10 + 7 * p                          # ragged
        binary = p % 2 == 0
        for j in range(n):
            v = float(rng.integers(0, 2)) if binary else round(float(rng.random()), 4)
            lines.append({"id": pid, "score": v, "sample": j})
        lines.append({"id": pid, "score": 0.25, "sample": -1})
    rng.shuffle(lines)
    return jsonl(os.path.join(W, "scores.jsonl"), lines), lines


def kw_of(args):
    """CLI flags -> bound_file keywords (strings, as the CLI reads them)."""
    kw, i = {}, 0
    while i < len(args):
        name = args[i][2:].replace("-", "_")
        if name == "allow_duplicates":
            kw[name] = True
            i += 1
            continue
        if name == "threshold":
            kw.setdefault("threshold", []).append(args[i + 1])
        else:
            kw[name] = args[i + 1]
        i += 2
    return kw


def same_text(path, lines):
    cases = [[], ["--method", "conbo"],
             ["--alpha", "0.05", "--threshold", "0.25", "--threshold", "0.9", "--ed-lambda", "1",
              "--queries", "4", "--leak-at", "3", "--leak-threshold", "0.8",
              "--report-above", "0.3"],
             ["--method", "conbo", "--alpha", "0.2", "--threshold", "0", "--threshold", "1"]]
    for args in cases:
        rc, out, err = run_cli(args + [path])
        C.check(f"cli {args} ran", rc == 0, err)
        got = leakbound.bound_file(path, argv=[CLI, "bound"] + args + [path], text=True,
                                   **kw_of(args))
        C.check(f"bound_file {args}: text == CLI stdout", got == out,
                f"\n{got[:300]}\n{out[:300]}")
        doc = leakbound.bound_file(path, **kw_of(args))
        want = json.loads(out)
        C.check(f"bound_file {args}: own argv is the equivalent command",
                doc["provenance"]["argv"] == ["leakbound", "bound"] + args + [path],
                str(doc["provenance"]["argv"]))
        doc["provenance"].pop("argv")
        want["provenance"].pop("argv")
        C.check(f"bound_file {args}: dict == CLI document (but argv)", doc == want)
    # the table, and --allow-duplicates on a file concatenated twice
    rc, out, _ = run_cli(["--format", "table", path])
    C.check("table == CLI table", leakbound.bound_file(path, format="table") == out)
    dup = os.path.join(W, "dup.jsonl")
    with open(path) as f, open(dup, "w") as g:
        g.write(f.read() * 2)
    rc, out, _ = run_cli(["--allow-duplicates", dup])
    C.check("allow_duplicates: text == CLI stdout",
            leakbound.bound_file(dup, allow_duplicates=True, text=True,
                                 argv=[CLI, "bound", "--allow-duplicates", dup]) == out)
    # numbers against scipy/numpy: each prompt's mean and, for 0/1 prompts, M_bin
    doc = leakbound.bound_file(path, alpha="0.05")
    by = {}
    for o in lines:
        if o["sample"] >= 0:
            by.setdefault(o["id"], []).append(o["score"])
    for p in doc["prompts"]:
        x = np.array(by[p["id"]])
        C.check(f"prompt {p['id']}: mean (numpy)", abs(p["mean"] - x.mean()) < 1e-12)
        if "M_bin" in p:
            k, n = int(x.sum()), len(x)
            cp = 1.0 if k == n else stats.beta.ppf(0.95, k + 1, n - k)
            C.check(f"prompt {p['id']}: M_bin (scipy beta)", abs(p["M_bin"] - cp) < 1e-9,
                    f"{p['M_bin']} vs {cp}")


def errors(path):
    bad = jsonl(os.path.join(W, "bad.jsonl"), [{"id": "a", "score": 0.5}, {"id": "a",
                                                                             "score": 1.5}])
    for args, kw in ((["--threshold", "0.5", "--threshold", "0.50"],
                      {"threshold": ["0.5", "0.50"]}),
                     (["--alpha", "0.6"], {"alpha": "0.6"}),
                     (["--alpha", "0"], {"alpha": 0}),
                     (["--method", "bogus"], {"method": "bogus"}),
                     (["--queries", "0"], {"queries": 0}),
                     (["--report-above", "1.5"], {"report_above": 1.5}),
                     (["--format", "csv"], {"format": "csv"})):
        rc, out, err = run_cli(args + [path])
        msg = err.splitlines()[0].removeprefix("leakbound bound: ")
        C.check(f"cli {args}: exit 2", rc == 2 and out == "", err)
        C.raises(f"bound_file {kw} raises the CLI's message", ValueError,
                 lambda: leakbound.bound_file(path, **kw), msg)
    rc, _, err = run_cli([bad])
    msg = err.splitlines()[0].removeprefix("leakbound bound: ")
    C.check("cli bad line: exit 2", rc == 2, err)
    C.raises("bound_file bad line: the CLI's message", ValueError,
             lambda: leakbound.bound_file(bad), msg)
    C.raises("bound_file missing file: OSError", OSError,
             lambda: leakbound.bound_file(os.path.join(W, "none.jsonl")), "none.jsonl")
    C.raises("bound_file unknown flag", ValueError,
             lambda: leakbound.bound_file(path, bogus=1), "unknown option 'bogus'")
    C.raises("bound_file path type", TypeError, lambda: leakbound.bound_file(3))


def main():
    path, lines = make_scores()
    same_text(path, lines)
    errors(path)
    C.finish()


main()
