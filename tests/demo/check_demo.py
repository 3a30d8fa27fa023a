"""`leakbound demo --quick`: runs the whole pipeline and checks its report for structure and
sanity (issue 6 §5) — never for hard-coded values.

- exit 0; demo.md holds the table (a header and one row per model) and the fine-tuning line;
- demo.json: 7 rows (fine-tuned + GA/GD/NPO ± entropy), every number finite, scores in [0, 1],
  greedy in [0, 1], bounds >= sample means (M_mu >= sampled mean, per question too), ED = M_mu +
  2 M_sigma;
- every aggregate is recomputed here from the per-model samples.jsonl / report.json (greedy mean
  from the greedy lines, leak share from the per-question maxima, sample means) and must agree;
- demo_forget.svg has one panel per model.
Under the sanitizers (LB_SANITIZED=1) the run is shrunk (fewer authors, epochs and samples).
"""
import json
import math
import os
import re
import subprocess
import sys
import time
from collections import defaultdict

CLI = os.environ.get("LB_CLI", "leakbound")
WORK = os.environ.get("LB_WORK", "/tmp/lb_demo_work")
SANITIZED = os.environ.get("LB_SANITIZED") == "1"


def fail(msg):
    print("FAIL:", msg, file=sys.stderr)
    sys.exit(1)


def close(a, b, tol=1e-9):
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def main():
    out = os.path.join(WORK, "demo", "quick")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    cmd = [CLI, "demo", "--quick", "--out", out]
    if SANITIZED:
        cmd += ["--authors", "2", "--finetune-epochs", "3", "-n", "4"]
    t0 = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True)
    secs = time.time() - t0
    if r.returncode:
        fail(f"demo exited {r.returncode}: {r.stderr[-2000:]}")
    print(f"demo --quick: {secs:.0f}s wall")
    doc = json.load(open(os.path.join(out, "demo.json")))
    rows = doc["rows"]
    names = [x["name"] for x in rows]
    if len(rows) != 7 or [x["method"] for x in rows] != [None, "ga", "ga", "gd", "gd", "npo", "npo"] \
            or [x["entropy"] for x in rows] != [False, False, True, False, True, False, True]:
        fail(f"want the fine-tuned model and GA/GD/NPO each without and with entropy, got {names}")
    n = doc["n"]
    thr = doc["leak_threshold"]
    if not (0 <= doc["finetune_greedy_forget"] <= 1):
        fail("finetune greedy score outside [0, 1]")
    for row in rows:
        tag = row["name"]
        for k, v in row.items():
            if isinstance(v, float) and not math.isfinite(v):
                fail(f"{tag}: {k} is not finite")
        for k in ("greedy_forget", "sampled_mean", "sampled_max", "leak_share", "retain_greedy", "retain_mean"):
            if not (0 <= row[k] <= 1):
                fail(f"{tag}: {k} = {row[k]} outside [0, 1]")
        if row["M_mu"] < row["sampled_mean"] - 1e-12:
            fail(f"{tag}: bound M_mu {row['M_mu']} below the sampled mean {row['sampled_mean']}")
        if row["sampled_max"] < row["sampled_mean"] - 1e-12:
            fail(f"{tag}: sampled max below sampled mean")
        if not close(row["ED"], row["M_mu"] + 2 * row["M_sigma"], 1e-9):
            fail(f"{tag}: ED != M_mu + 2 M_sigma")
        # recompute from the eval's own files
        for part, keys in (("forget", ("greedy_forget", "sampled_mean", "sampled_max", "leak_share")),
                           ("retain", ("retain_greedy", "retain_mean", None, None))):
            d = os.path.join(out, "eval", row["dir"], part)
            greedy, samples = {}, defaultdict(list)
            for line in open(os.path.join(d, "samples.jsonl")):
                o = json.loads(line)
                if o["sample"] < 0:
                    greedy[o["id"]] = o["score"]
                else:
                    samples[o["id"]].append(o["score"])
            if set(greedy) != set(samples) or any(len(v) != n for v in samples.values()):
                fail(f"{tag}/{part}: want one greedy and {n} sampled answers per question")
            q = sorted(samples)
            g = sum(greedy[i] for i in q) / len(q)
            mean = sum(sum(samples[i]) / n for i in q) / len(q)
            mx = sum(max(samples[i]) for i in q) / len(q)
            share = sum(max(samples[i]) >= thr for i in q) / len(q)
            for key, want in zip(keys, (g, mean, mx, share)):
                if key and not close(row[key], want, 1e-9):
                    fail(f"{tag}/{part}: {key} = {row[key]}, recomputed {want}")
            rep = json.load(open(os.path.join(d, "report.json")))
            for p in rep["prompts"]:
                if p["M_mu"] < p["mean"] - 1e-12 or not (0 <= p["greedy"] <= 1):
                    fail(f"{tag}/{part}: question {p['id']}: M_mu below its mean or greedy outside [0, 1]")
            if part == "forget" and row["forget_questions"] != len(q):
                fail(f"{tag}: forget_questions {row['forget_questions']} != {len(q)}")
    md = open(os.path.join(out, "demo.md"), encoding="utf-8").read()
    table = [l for l in md.split("\n") if l.startswith("|")]
    if len(table) != 2 + len(rows) or "greedy forget" not in table[0] or "M\\_mu" not in table[0]:
        fail(f"demo.md: want a table with a header, a rule and {len(rows)} rows")
    if not re.search(r"greedy ROUGE-L recall on forget10 [0-9.]+ \(target", md):
        fail("demo.md: the fine-tuning result is missing")
    svg = open(os.path.join(out, "demo_forget.svg"), encoding="utf-8").read()
    panels = svg.count('class="panel"')
    if panels != len(rows):
        fail(f"demo_forget.svg: want {len(rows)} panels, got {panels}")
    print(f"demo report: {len(rows)} models, n {n}, finetune greedy {doc['finetune_greedy_forget']:.3f}; "
          "all aggregates recomputed and consistent")
    print("OK")


if __name__ == "__main__":
    main()
