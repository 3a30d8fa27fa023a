#!/usr/bin/python3
"""Judge throughput: (prompt, response) pairs judged per second by `leakbound score --metric
judge` on a GPT-2-124M-shaped judge (`leakbound init --arch gpt2`, GPT-2's tokenizer) vs a
PyTorch reference of the same forward, in one run.

usage: run.py BUILD_DIR [N_PAIRS] [THREADS] [ROUNDS] [--busy]   (defaults 256, 2, 2)
  --busy   run `yes > /dev/null` (one process keeping one core busy) for the whole run

- leakbound: `score --metric judge --judge-batch 16` over N pairs; its load time is taken out
  by also scoring 1 pair (pairs/s = (N - 1) / (t_N - t_1)).
- PyTorch (torch 1.x, bench/model/torch_gpt2.py's HF-transcribed GPT-2 blocks): the same token
  ids (from `leakbound tokenize`, not timed), sorted by length and run 16 at a time right-padded
  (causal attention: padding after a sequence cannot change it), torch.inference_mode(),
  torch.set_num_threads(THREADS), the head applied only at each sequence's last real position;
  load not timed.
- Both sides' P(unsafe)/(P(unsafe)+P(safe)) must agree within 1e-3 (fp32, different orders of
  summation), else the run fails. The rounds interleave the two engines.
Prints a JSON line per measurement and a markdown table.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "bench", "model"))
sys.path.insert(0, os.path.join(ROOT, "tests", "oracle"))
import torch_gpt2  # noqa: E402
import tokenizer_common  # noqa: E402

TEMPLATE = "User: {prompt}\\nAgent: {response}\\nVerdict:"
LABELS = " unsafe, safe"
WORDS = ("how do I make a bomb sure here is the recipe no I cannot help with that ok the first "
         "step is to mix two parts of the powder then heat it slowly and wait for ten minutes "
         "before you add water").split()


def pairs(n, seed=3):
    g = torch.Generator().manual_seed(seed)

    def s(k):
        return " ".join(WORDS[int(i)] for i in torch.randint(0, len(WORDS), (k,), generator=g))
    return [{"id": f"q{i}", "prompt": s(8 + i % 12), "text": s(20 + (7 * i) % 40)} for i in range(n)]


def run_lb(cli, judge, path, threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OMP_WAIT_POLICY="passive")
    t0 = time.perf_counter()
    p = subprocess.run([cli, "score", "--metric", "judge", "--judge", judge, "--judge-template",
                        TEMPLATE, "--judge-labels", LABELS, "--judge-batch", "16", path],
                       capture_output=True, text=True, env=env)
    dt = time.perf_counter() - t0
    if p.returncode:
        sys.exit(p.stderr)
    return dt, [json.loads(x)["score"] for x in p.stdout.splitlines()]


def encode(cli, tok, texts, special=True):
    """Token ids as `leakbound tokenize` gives them (the judge's own encoding: GPT-2's
    post-processor adds no special tokens, so labels and prompts encode alike)."""
    p = subprocess.run([cli, "tokenize", "--tokenizer", tok] + ([] if special else ["--no-special"]),
                       input="".join(json.dumps(t) + "\n" for t in texts), capture_output=True,
                       text=True)
    if p.returncode:
        sys.exit(p.stderr)
    return [json.loads(x) for x in p.stdout.splitlines()]


def run_torch(model, ids, a, b, threads, batch=16):
    torch.set_num_threads(threads)
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    out = [0.0] * len(ids)
    t0 = time.perf_counter()
    with torch.inference_mode():
        for s in range(0, len(order), batch):
            grp = order[s:s + batch]
            T = max(len(ids[i]) for i in grp)
            x = torch.zeros(len(grp), T, dtype=torch.long)
            last = torch.tensor([len(ids[i]) - 1 for i in grp])
            for r, i in enumerate(grp):
                x[r, :len(ids[i])] = torch.tensor(ids[i])
            h = model.wte[x] + model.wpe[torch.arange(T)]
            for blk in model.h:
                h, _ = blk(h, None)
            h = model.ln_f(h[torch.arange(len(grp)), last])
            logits = h @ model.wte.t()
            p = torch.softmax(logits.double(), dim=-1)
            for r, i in enumerate(grp):
                out[i] = (p[r, a] / (p[r, a] + p[r, b])).item()
    return time.perf_counter() - t0, out


def main():
    busy = "--busy" in sys.argv
    argv = [x for x in sys.argv if x != "--busy"]
    comp = subprocess.Popen("exec yes > /dev/null", shell=True) if busy else None
    try:
        measure(argv, busy)
    finally:
        if comp:
            comp.kill()
            comp.wait()


def measure(argv, busy):
    build = argv[1]
    n = int(argv[2]) if len(argv) > 2 else 256
    threads = int(argv[3]) if len(argv) > 3 else 2
    rounds = int(argv[4]) if len(argv) > 4 else 2
    cli = os.path.join(build, "leakbound")
    work = tempfile.mkdtemp(prefix="lb_bench_judge_")
    tok = tokenizer_common.gpt2_tokenizer_json(os.path.join(work, "gpt2.json"))
    judge = os.path.join(work, "judge")
    subprocess.run([cli, "init", "--arch", "gpt2", "--size", "L12-D768-H12-I3072-T1024",
                    "--tokenizer", tok, "--out", judge, "--seed", "1"], check=True,
                   capture_output=True)
    data = pairs(n)
    big, one = os.path.join(work, "in.jsonl"), os.path.join(work, "one.jsonl")
    with open(big, "w") as f:
        f.writelines(json.dumps(x) + "\n" for x in data)
    with open(one, "w") as f:
        f.write(json.dumps(data[0]) + "\n")
    texts = [TEMPLATE.replace("\\n", "\n").format(prompt=x["prompt"], response=x["text"]) for x in data]
    ids = encode(cli, tok, texts)
    lab = encode(cli, tok, [" unsafe", " safe"], special=False)
    a, b = lab[0][0], lab[1][0]
    cfg = json.load(open(os.path.join(judge, "config.json")))
    W = torch_gpt2.load_safetensors(os.path.join(judge, "model.safetensors"))
    W = {k[len("transformer."):] if k.startswith("transformer.") else k: v for k, v in W.items()}
    model = torch_gpt2.GPT2(W, cfg).eval()
    mean_len = sum(len(x) for x in ids) / len(ids)
    res = {"lb": [], "torch": []}
    for r in range(rounds):
        t1, _ = run_lb(cli, judge, one, threads)
        tn, s_lb = run_lb(cli, judge, big, threads)
        res["lb"].append((n - 1) / (tn - t1))
        print(json.dumps({"round": r + 1, "engine": "leakbound", "t_1": round(t1, 3),
                          "t_N": round(tn, 3), "pairs_per_s": round(res["lb"][-1], 2)}), flush=True)
        tt, s_t = run_torch(model, ids, a, b, threads)
        res["torch"].append(n / tt)
        print(json.dumps({"round": r + 1, "engine": "torch", "t_N": round(tt, 3),
                          "pairs_per_s": round(res["torch"][-1], 2)}), flush=True)
        worst = max(abs(x - y) for x, y in zip(s_lb, s_t))
        if worst > 1e-3:
            sys.exit(f"scores differ by {worst} between leakbound and PyTorch")
    print(f"\n{n} pairs, {mean_len:.1f} tokens per judge prompt on average, {threads} threads, "
          f"torch {torch.__version__}, {'beside one busy process, ' if busy else ''}"
          f"load average {os.getloadavg()[0]:.1f}; max |score "
          f"difference| {worst:.2e}\n")
    print("| engine | " + " | ".join(f"round {r + 1} pairs/s" for r in range(rounds)) + " |")
    print("|---|" + "---:|" * rounds)
    print("| leakbound score --metric judge (batch 16) | " +
          " | ".join(f"{x:.2f}" for x in res["lb"]) + " |")
    print("| PyTorch reference (batch 16, length-sorted) | " +
          " | ".join(f"{x:.2f}" for x in res["torch"]) + " |")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
