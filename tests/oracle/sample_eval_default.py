#!/usr/bin/python3
"""`leakbound eval` with no --model/--data runs on the bundled default.

Checks: it finds examples/default from the build folder, applies the documented defaults
(phi template, rougeL-recall, top-p 0.9, 56 new tokens), writes a sane report (bounds above
sample means, greedy scores in [0, 1], every value finite), and that an explicit but missing
default folder is a clear error (exit 2, nothing written).
"""
import json
import math
import os
import subprocess
import sys
import tempfile

CLI = os.environ["LB_CLI"]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def main():
    n = 4 if os.environ.get("LB_SANITIZED") else 16
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "ev")
        env = dict(os.environ)
        env.pop("LEAKBOUND_DEFAULT_DIR", None)
        r = subprocess.run([CLI, "eval", "-n", str(n), "--limit", "5", "--out", out, "--quiet"],
                           capture_output=True, text=True, env=env)
        check(r.returncode == 0, f"default eval exit {r.returncode}: {r.stderr}")
        check("bundled default" in r.stderr, "stderr names the bundled default")
        rep = json.load(open(os.path.join(out, "report.json")))
        ev = rep["eval"]
        check(ev["template"] == "phi", f"template {ev['template']}")
        check(ev["metric"] == "rougeL-recall", "metric")
        check(ev["top_p"] == 0.9 and ev["max_new_tokens"] == 56, "sampling defaults")
        check(len(rep["prompts"]) == 5, "5 prompts (--limit)")
        for p in rep["prompts"]:
            vals = [p[k] for k in ("mean", "std", "max", "M_mu", "M_mu_lower", "M_sigma", "ED")]
            check(all(math.isfinite(v) for v in vals), f"{p['id']}: finite")
            check(p["n"] == n, f"{p['id']}: n")
            check(0 <= p["greedy"] <= 1, f"{p['id']}: greedy in [0,1]")
            check(p["M_mu"] >= p["mean"] - 1e-12 >= p["M_mu_lower"] - 2e-12, f"{p['id']}: bounds bracket mean")
            check(abs(p["ED"] - (p["M_mu"] + 2 * p["M_sigma"])) < 1e-12, f"{p['id']}: ED")
        lines = [json.loads(x) for x in open(os.path.join(out, "samples.jsonl"))]
        check(len(lines) == 5 * (n + 1), "greedy + n samples per prompt")
        check(all(x["prompt"].startswith("Question: ") for x in lines), "phi template applied")

        bad = os.path.join(tmp, "none")
        env["LEAKBOUND_DEFAULT_DIR"] = os.path.join(tmp, "missing")
        r = subprocess.run([CLI, "eval", "-n", "2", "--out", bad], capture_output=True, text=True,
                           env=env)
        check(r.returncode == 2, f"missing default: exit {r.returncode}")
        check("LEAKBOUND_DEFAULT_DIR" in r.stderr, "missing default: message says how to fix")
        check(not os.path.exists(bad), "missing default: nothing written")
    print(f"{0 if failures else 1} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
