#!/usr/bin/python3
"""The sweep behind the demo's design (docs/demo.md): unlearn with checkpoints, pick the first checkpoint whose mean greedy forget
ROUGE-L recall <= target, evaluate it with n samples, print metrics."""
import json, os, subprocess, sys, glob, argparse
from collections import defaultdict
CLI = os.environ.get("LB_CLI", os.path.join(os.path.dirname(__file__), "..", "..", "build", "leakbound"))
ap = argparse.ArgumentParser()
# usage: bench/demo/sweep.py --demo DEMO_DIR --method ga|gd|npo [--entropy LF,LR --positions all|answer]
#        [--lr X --epochs N --bs B --target G -n N] --tag NAME
# DEMO_DIR: a `leakbound demo` folder (its data/ and models/finetuned are reused). Prints one line:
# the chosen step, greedy forget, sampled mean, mean M_mu, leak share, hidden-leak share and retain
# greedy (20 retain questions, 32 samples), with the demo's stop rule (first step <= target).
ap.add_argument("--demo", required=True)
ap.add_argument("--method", required=True)
ap.add_argument("--entropy", default=None)
ap.add_argument("--positions", default="all")
ap.add_argument("--lr", default="5e-4")
ap.add_argument("--epochs", default="10")
ap.add_argument("--target", type=float, default=0.45)
ap.add_argument("-n", default="128")
ap.add_argument("--tag", required=True)
ap.add_argument("--seed", default="0")
ap.add_argument("--bs", default="8")
ap.add_argument("--work", default="demo-sweep")
a = ap.parse_args()
D = a.demo; W = os.path.join(a.work, a.tag)
os.makedirs(W, exist_ok=True)
def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode: print(r.stderr[-3000:]); sys.exit(1)
    return r
m = f"{W}/model"
cmd = [CLI, "unlearn", "--model", f"{D}/models/finetuned", "--forget", f"{D}/data/forget10.jsonl",
       "--retain", f"{D}/data/retain90.jsonl", "--method", a.method, "--out", m, "--epochs", a.epochs,
       "--lr", a.lr, "--batch-size", a.bs, "--grad-accum", "1", "--max-length", "72", "--warmup", "0",
       "--seed", a.seed, "--save-every", "1"]
if a.entropy: cmd += ["--entropy", a.entropy, "--entropy-positions", a.positions]
run(cmd)
cks = sorted(glob.glob(f"{m}/checkpoint-*"), key=lambda p: int(p.rsplit("-", 1)[1]))
def ev(model, data, out, n, limit=None, ats=False):
    c = [CLI, "eval", "--model", model, "--data", data, "--template", "phi", "-n", str(n), "--metric", "rougeL-recall",
         "--temperature", "1", "--top-p", "0.9", "--top-k", "0", "--max-new-tokens", "56", "--seed", a.seed, "--out", out, "--quiet"]
    if limit: c += ["--limit", str(limit)]
    if ats: c += ["--adaptive-temperature"]
    run(c)
    g, s = {}, defaultdict(list)
    for line in open(f"{out}/samples.jsonl"):
        o = json.loads(line)
        (g.__setitem__(o["id"], o["score"]) if o["sample"] < 0 else s[o["id"]].append(o["score"]))
    rep = json.load(open(f"{out}/report.json"))
    mmu = {p["id"]: p["M_mu"] for p in rep["prompts"]}
    return g, s, mmu
pick = None
for ck in cks:
    g, s, _ = ev(ck, f"{D}/data/forget10.jsonl", f"{W}/g", 1)
    gm = sum(g.values()) / len(g)
    if gm <= a.target:
        pick = ck; break
if pick is None: pick = cks[-1]
step = int(pick.rsplit("-", 1)[1])
g, s, mmu = ev(pick, f"{D}/data/forget10.jsonl", f"{W}/forget", a.n)
q = sorted(g)
gm = sum(g[i] for i in q) / len(q)
mx = [max(s[i]) for i in q]
leak = sum(x >= 0.9 for x in mx) / len(q)
hidden = sum(g[i] < 0.5 and max(s[i]) >= 0.9 for i in q) / len(q)
mm = sum(mmu.values()) / len(mmu)
sm = sum(sum(s[i]) / len(s[i]) for i in q) / len(q)
rg, rs, _ = ev(pick, f"{D}/data/retain90.jsonl", f"{W}/retain", 32, limit=20)
rgm = sum(rg.values()) / len(rg)
print(f"{a.tag:28s} step {step:3d}/{len(cks)} greedy {gm:.3f} mean {sm:.3f} M_mu {mm:.3f} leak {leak:.2f} hidden {hidden:.2f} retain {rgm:.3f}")
