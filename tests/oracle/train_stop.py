#!/usr/bin/python3
"""`finetune|unlearn --eval-every K --eval-data FILE --stop-when RULE`: greedy checks and the stop rule.

A tiny llama (byte tokenizer) is fine-tuned on 4 short question/answer pairs with a high learning
rate, so its greedy ROUGE-L recall on them rises from ~0 within a few steps.
1. finetune --eval-every 2 --stop-when 'greedy>=X', X between the first and the best check: the
   run ends at the first check meeting the rule; eval_log.csv has a row per check (step,greedy,
   stop), steps K, 2K, ... up to the kept one, stop = 1 exactly on the last row; train_log.csv
   ends at that step; `leakbound eval -n 1` of the output folder (an independent greedy
   evaluation, report.json's per-question greedy scores averaged here) equals eval_log.csv's
   greedy at the kept step; loss.svg draws both series.
2. A rule no check meets ('greedy>=1' on a model that stays far below): the final step N is
   checked (its row is in eval_log.csv although N is not a multiple of K) and is the output (N,
   not N - 1): train_log.csv ends at N and eval of the output gives the last row's greedy.
3. unlearn --method ga from the fine-tuned model with 'greedy<=Y': stops at the first check <= Y.
4. Bad flags exit 2 naming the flag; an --eval-data file eval would refuse (missing, an item
   without an answer) fails before any training.
"""
import csv
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sample_common as sc  # noqa: E402

CLI = os.environ["LB_CLI"]
WORK = os.path.join(os.environ.get("LB_WORK", "/tmp/lb_work"), "train_stop")
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def run(args, expect=0):
    p = subprocess.run([CLI] + args, capture_output=True, text=True)
    if p.returncode != expect:
        raise SystemExit(f"FAIL: leakbound {' '.join(args)} -> {p.returncode} (want {expect})\n{p.stderr}")
    return p


def eval_log(out):
    with open(os.path.join(out, "eval_log.csv")) as f:
        rows = list(csv.reader(f))
    if rows[0] != ["step", "greedy", "stop"]:
        fail(f"{out}: eval_log.csv header {rows[0]}")
    return [(int(r[0]), float(r[1]), int(r[2])) for r in rows[1:]]


def last_train_step(out):
    with open(os.path.join(out, "train_log.csv")) as f:
        return int(list(csv.reader(f))[-1][0])


def greedy_of(model, data, tag):
    """An independent greedy evaluation of a model folder: eval -n 1, mean of its greedy scores."""
    out = os.path.join(WORK, "indep_" + tag)
    shutil.rmtree(out, ignore_errors=True)
    run(["eval", "--model", model, "--data", data, "--template", "phi", "-n", "1", "--metric",
         "rougeL-recall", "--max-new-tokens", "12", "--out", out, "--quiet"])
    g = [p["greedy"] for p in json.load(open(os.path.join(out, "report.json")))["prompts"]]
    return sum(g) / len(g)


def check_run(out, data, k, total, rule, tag):
    rows = eval_log(out)
    op, x = rule[6:8], float(rule[8:])
    met = [(s, g) for s, g, _ in rows if (g <= x if op == "<=" else g >= x)]
    kept = met[0][0] if met else total
    want_steps = [s for s in range(k, kept + 1, k)]
    if not want_steps or want_steps[-1] != kept:
        want_steps.append(kept)
    if [r[0] for r in rows] != want_steps:
        fail(f"{tag}: eval_log.csv steps {[r[0] for r in rows]}, want {want_steps}")
    if [r[2] for r in rows] != [int(bool(met) and r[0] == kept) if r[0] == kept else 0 for r in rows]:
        fail(f"{tag}: eval_log.csv stop column {[r[2] for r in rows]}")
    if last_train_step(out) != kept:
        fail(f"{tag}: train_log.csv ends at step {last_train_step(out)}, the kept step is {kept}")
    g = greedy_of(out, data, tag)
    if g != rows[-1][1]:
        fail(f"{tag}: eval of the output gives greedy {g!r}, eval_log.csv says {rows[-1][1]!r} at step {kept}")
    svg = ET.parse(os.path.join(out, "loss.svg")).getroot()
    series = [e for e in svg.iter("{http://www.w3.org/2000/svg}polyline") if "series" in (e.get("class") or "")]
    if len(series) != 2:
        fail(f"{tag}: loss.svg has {len(series)} series, want loss and greedy")
    if any(n.startswith(".check") or ("check-" in n and not n.startswith("checkpoint-")) for n in os.listdir(out)):
        fail(f"{tag}: a check folder was left in {out}: {os.listdir(out)}")
    print(f"{tag}: checks {[(s, round(g, 4)) for s, g, _ in rows]}, kept step {kept} of {total}, "
          f"independent eval {g:.4f}")
    return rows, kept


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    sc.write_byte_tokenizer(WORK)
    m = os.path.join(WORK, "m0")
    run(["init", "--arch", "llama", "--size", "L2-D48-H4-KV2-I96-T96", "--tokenizer",
         os.path.join(WORK, "tokenizer.json"), "--out", m, "--seed", "3"])
    data = os.path.join(WORK, "qa.jsonl")
    qa = [("Who wrote Foo?", "Ann Lee"), ("Where is Bar?", "in Oslo"), ("What is Baz?", "a red cat"),
          ("When was Qux?", "in May")]
    with open(data, "w") as f:
        for q, a in qa:
            f.write(json.dumps({"question": q, "answer": a}) + "\n")
    common = ["--data", data, "--batch-size", "1", "--grad-accum", "1", "--max-length", "48",
              "--lr", "3e-3", "--warmup", "0", "--seed", "1", "--eval-data", data,
              "--eval-max-new-tokens", "12"]
    # a probe run: every check, no rule, to choose the thresholds from its trajectory
    probe = os.path.join(WORK, "probe")
    run(["finetune", "--model", m, "--out", probe, "--epochs", "25", "--eval-every", "10"] + common)
    pr = eval_log(probe)
    gs = [g for _, g, _ in pr]
    print(f"probe: {[(s, round(g, 4)) for s, g, _ in pr]}")
    if [s for s, _, _ in pr] != list(range(10, 101, 10)):
        fail(f"probe: steps {[s for s, _, _ in pr]}")
    if max(gs) - gs[0] < 0.2:
        fail(f"the model does not learn enough to test the rule: {gs}")
        return
    # 1. the rule is met midway
    x = (gs[0] + max(gs)) / 2
    rule = f"greedy>={x:.6f}"
    out = os.path.join(WORK, "ft")
    p = run(["finetune", "--model", m, "--out", out, "--epochs", "25", "--eval-every", "7",
             "--stop-when", rule] + common)
    rows, kept = check_run(out, data, 7, 100, rule, "finetune stop")
    if kept >= 100 or "stop rule met" not in p.stderr or f"check after step {kept}:" not in p.stderr:
        fail(f"finetune stop: kept {kept}; stderr tail {p.stderr[-300:]!r}")
    # 2. never met: the final step (24, not a multiple of 5) is checked and kept
    out2 = os.path.join(WORK, "ft_never")
    p = run(["finetune", "--model", m, "--out", out2, "--epochs", "6", "--eval-every", "5",
             "--stop-when", "greedy>=1"] + common)
    rows2, kept2 = check_run(out2, data, 5, 24, "greedy>=1", "never met")
    if any(g >= 1 for _, g, _ in rows2):
        fail(f"never met: the data reached the rule: {rows2}")
    elif kept2 != 24 or "not met" not in p.stderr:
        fail(f"never met: kept {kept2}, want the final step 24")
    # 3. unlearn from the fine-tuned probe model down to a greedy level
    hi = pr[-1][1]
    y = hi / 2
    rule3 = f"greedy<={y:.6f}"
    out3 = os.path.join(WORK, "ul")
    run(["unlearn", "--model", probe, "--forget", data, "--method", "ga", "--out", out3, "--epochs", "5",
         "--batch-size", "1", "--grad-accum", "1", "--max-length", "48", "--lr", "3e-3", "--warmup", "0",
         "--eval-every", "2", "--eval-data", data, "--eval-max-new-tokens", "12", "--stop-when", rule3])
    check_run(out3, data, 2, 20, rule3, "unlearn stop")
    # 4. bad flags
    bad = os.path.join(WORK, "bad")
    noans = os.path.join(WORK, "noans.jsonl")
    with open(noans, "w") as f:
        f.write(json.dumps({"question": "Who?"}) + "\n")
    for args, needle in [(["--eval-every", "1", "--eval-data", noans], "has no answer"),
                         (["--eval-every", "1", "--eval-data", os.path.join(WORK, "nope.jsonl")], "nope.jsonl"),(["--eval-every", "2"], "--eval-data"), (["--eval-data", data], "--eval-every"),
                         (["--stop-when", "greedy<=0.5"], "--eval-every"),
                         (["--eval-every", "1", "--eval-data", data, "--stop-when", "loss<1"], "--stop-when"),
                         (["--eval-every", "1", "--eval-data", data, "--stop-when", "greedy<=2"], "[0, 1]"),
                         (["--eval-every", "1", "--eval-data", data, "--eval-metric", "judge"], "--eval-metric"),
                         (["--eval-every", "0", "--eval-data", data], "--eval-every")]:
        p = run(["finetune", "--model", m, "--data", data, "--out", bad] + args, expect=2)
        if needle not in p.stderr or not p.stderr.startswith("leakbound finetune: ") or os.path.exists(bad):
            fail(f"{args}: {p.stderr!r}")
    print(f"{0 if failures else 1} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
