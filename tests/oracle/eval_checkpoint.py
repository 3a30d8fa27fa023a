#!/usr/bin/python3
"""lb_eval_checkpoint (the evaluation finetune/unlearn --eval-every call): its numbers against an
independent computation.

A tiny llama (byte tokenizer) fine-tuned a little on 4 question/answer pairs, so that its greedy
and sampled answers score between 0 and 1. driver_eval_checkpoint calls lb_eval_checkpoint with
-n 0 (greedy only) and -n 4; `leakbound eval -n 4` with the same settings writes samples.jsonl.
1. greedy: the mean over the questions of ROUGE-L recall (rouge-score's definition,
   text_rouge_ref.py) of each greedy answer (sample -1) against its reference, after removing a
   leading "Answer:" as eval does with the phi template, recomputed here from the texts; equal
   for -n 0 and -n 4 (to 1e-12).
2. sampled: the mean of the 4 x P sampled answers' ROUGE-L recall recomputed the same way.
3. M_mu: the mean of report.json's per-question M_mu (eval's own bounds of the same samples).
4. rouge1-f as the metric: greedy against rouge1 F recomputed here.
5. lb_eval_check_data: an item without an answer, a missing file and an empty file are refused
   naming the file (and the item's line); keywords need keywords.
"""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sample_common as sc  # noqa: E402
import text_rouge_ref as rr  # noqa: E402

CLI = os.environ["LB_CLI"]
DRIVER = os.path.join(os.environ["LB_DRIVERS"], "driver_eval_checkpoint")
WORK = os.path.join(os.environ.get("LB_WORK", "/tmp/lb_work"), "eval_checkpoint")
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def run(cmd, expect=0):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != expect:
        raise SystemExit(f"FAIL: {' '.join(cmd)} -> {p.returncode} (want {expect})\n{p.stderr}")
    return p


def stripped(t):
    b = t.lstrip(" \t\r\n")
    return b[len("Answer:"):] if b.startswith("Answer:") else t


def close(a, b, what):
    if a is None or abs(a - b) > 1e-12:
        fail(f"{what}: lb_eval_checkpoint {a!r}, independent {b!r}")


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    sc.write_byte_tokenizer(WORK)
    m0, m = os.path.join(WORK, "m0"), os.path.join(WORK, "m")
    run([CLI, "init", "--arch", "llama", "--size", "L2-D48-H4-KV2-I96-T96", "--tokenizer",
         os.path.join(WORK, "tokenizer.json"), "--out", m0, "--seed", "3"])
    data = os.path.join(WORK, "qa.jsonl")
    qa = [("Who wrote Foo?", "Ann Lee"), ("Where is Bar?", "in Oslo"), ("What is Baz?", "a red cat"),
          ("When was Qux?", "in May")]
    with open(data, "w") as f:
        for q, a in qa:
            f.write(json.dumps({"question": q, "answer": a}) + "\n")
    run([CLI, "finetune", "--model", m0, "--out", m, "--data", data, "--epochs", "20", "--batch-size", "1",
         "--grad-accum", "1", "--max-length", "48", "--lr", "3e-3", "--warmup", "0", "--seed", "1", "--quiet"])

    def ck(n, metric="rougeL-recall"):
        p = run([DRIVER, "run", m, data, "phi", metric, str(n), "12"])
        return json.loads(p.stdout)

    ev = os.path.join(WORK, "eval")
    run([CLI, "eval", "--model", m, "--data", data, "--template", "phi", "-n", "4", "--metric",
         "rougeL-recall", "--max-new-tokens", "12", "--out", ev, "--quiet"])
    rows = [json.loads(line) for line in open(os.path.join(ev, "samples.jsonl"))]
    ref = {str(i): a for i, (_, a) in enumerate(qa)}

    def score(r, metric, which):
        return rr.rouge(metric, ref[r["id"]], stripped(r["text"]))[which]

    greedy = [score(r, "rougeL", 1) for r in rows if r["sample"] == -1]
    sampled = [score(r, "rougeL", 1) for r in rows if r["sample"] >= 0]
    if len(greedy) != 4 or len(sampled) != 16:
        fail(f"eval's samples.jsonl: {len(greedy)} greedy, {len(sampled)} sampled lines")
    g_ref, s_ref = sum(greedy) / len(greedy), sum(sampled) / len(sampled)
    rep = json.load(open(os.path.join(ev, "report.json")))
    mu_ref = sum(p["M_mu"] for p in rep["prompts"]) / len(rep["prompts"])
    c0, c4 = ck(0), ck(4)
    print(f"greedy {greedy} -> {g_ref:.4f}; sampled mean {s_ref:.4f}; M_mu mean {mu_ref:.4f}")
    print(f"lb_eval_checkpoint -n 0: {c0}\nlb_eval_checkpoint -n 4: {c4}")
    if not 0 < g_ref < 1 or not 0 < s_ref < 1:
        fail(f"the model's scores do not test the means: greedy {greedy}, sampled mean {s_ref}")
    for c in (c0, c4):
        close(c["greedy"], g_ref, f"greedy (n={c['n']})")
        if c["n_items"] != 4:
            fail(f"n_items {c['n_items']}")
    if c0["sampled"] is not None or c0["M_mu"] is not None or c0["n"] != 0:
        fail(f"-n 0 reports sampled numbers: {c0}")
    close(c4["sampled"], s_ref, "sampled mean")
    close(c4["M_mu"], mu_ref, "M_mu mean")
    # another metric: rouge1 F
    g1 = [rr.rouge("rouge1", ref[r["id"]], stripped(r["text"]))[2] for r in rows if r["sample"] == -1]
    close(ck(0, "rouge1-f")["greedy"], sum(g1) / len(g1), "greedy rouge1-f")

    # lb_eval_check_data
    noans, empty, kw = (os.path.join(WORK, f) for f in ("noans.jsonl", "empty.jsonl", "kw.jsonl"))
    with open(noans, "w") as f:
        f.write(json.dumps({"question": "a", "answer": "b"}) + "\n" + json.dumps({"id": "x", "question": "c"}) + "\n")
    open(empty, "w").close()
    with open(kw, "w") as f:
        f.write(json.dumps({"question": "a", "keywords": ["k"]}) + "\n")
    for args, needles in [((noans, "rougeL-recall"), ["noans.jsonl", "item 'x'", "line 2", "no answer"]),
                          ((empty, "rougeL-recall"), ["empty.jsonl"]),
                          ((os.path.join(WORK, "nope.jsonl"), "exact"), ["nope.jsonl"]),
                          ((data, "keywords"), ["qa.jsonl", "no keywords"])]:
        p = run([DRIVER, "check", *args], expect=2)
        if not all(n in p.stderr for n in needles):
            fail(f"check {args}: message {p.stderr!r} lacks {needles}")
    for args in [(data, "rougeL-recall"), (kw, "keywords"), (noans, "judge")]:
        if run([DRIVER, "check", *args]).stdout.strip() != "ok":
            fail(f"check {args} refused")
    # a check over data without answers fails with the item named, before any sampling
    p = run([DRIVER, "run", m, noans, "phi", "rougeL-recall", "0", "4"], expect=2)
    if "'x'" not in p.stderr:
        fail(f"lb_eval_checkpoint on {noans}: {p.stderr!r}")
    print(f"{len(failures) == 0 and 1 or 0} passed, {len(failures) and 1 or 0} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
