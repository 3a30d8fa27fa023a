#!/usr/bin/python3
"""Teacher-forced TOFU metrics: items per second of `leakbound tofu --metrics
probability,truth_ratio,memorization,mia` (forget + holdout: answer NLL and probability, truth
ratio over the paraphrased and perturbed answers, exact memorisation, extraction strength,
loss/zlib/min-k/min-k++ scores and AUCs) vs a batched PyTorch implementation of the same
metrics, on a GPT-2-124M-shaped model (`leakbound init --arch gpt2`, GPT-2's tokenizer), in
one run.

usage: run.py BUILD_DIR [N_ITEMS] [THREADS] [ROUNDS]   (defaults 40, 2, 2)

- Data: `leakbound data fictitious` (forget10 and holdout, the first N items of each: 3-5
  perturbed answers per item, as TOFU has 5).
- leakbound: the CLI end to end; its load time is taken out by also running 1 item per split
  (items/s = 2 (N - 1) / (t_N - t_1)).
- PyTorch (torch 1.x, bench/model/torch_gpt2.py's HF-transcribed GPT-2 blocks): the same token
  ids (from `leakbound tokenize`, not timed), every sequence (answer, paraphrase, perturbed)
  sorted by length and run 16 at a time right-padded (causal attention: padding after a
  sequence cannot change it), torch.inference_mode(), torch.set_num_threads(THREADS), the head
  applied only at the positions that predict a label, log_softmax over them; EM/ES/min-k/
  min-k++ as open-unlearning computes them; load and tokenization not timed.
- Both sides' per-item avg_nll must agree within 1e-3 relative, else the run fails. The rounds
  interleave the two engines. Prints a JSON line per measurement and a markdown table.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zlib

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "bench", "model"))
sys.path.insert(0, os.path.join(ROOT, "tests", "oracle"))
import torch_gpt2  # noqa: E402
import tokenizer_common  # noqa: E402

METRICS = "probability,truth_ratio,memorization,mia"


def run_lb(cli, model, forget, holdout, out, threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OMP_WAIT_POLICY="passive")
    t0 = time.perf_counter()
    p = subprocess.run([cli, "tofu", "--quiet", "--model", model, "--forget", forget, "--holdout",
                        holdout, "--metrics", METRICS, "--out", out], capture_output=True,
                       text=True, env=env)
    dt = time.perf_counter() - t0
    if p.returncode:
        sys.exit(p.stderr)
    items = [json.loads(x) for x in open(os.path.join(out, "items.jsonl"))]
    return dt, {(x["split"], x["id"]): x["avg_nll"] for x in items}


def encode(cli, tok, texts):
    p = subprocess.run([cli, "tokenize", "--tokenizer", tok],
                       input="".join(json.dumps(t) + "\n" for t in texts), capture_output=True,
                       text=True)
    if p.returncode:
        sys.exit(p.stderr)
    return [json.loads(x) for x in p.stdout.splitlines()]


def sequences(cli, tok, rows, split, eos):
    """TOFU collator on every (question, answer) pair of the split: (key, kind, ids, nq, labels)."""
    qparts = ["Question: " + r["question"] + "\n" for r in rows]
    texts, meta = [], []
    for i, r in enumerate(rows):
        for kind, a in [("ref", r["answer"]), ("para", r["paraphrased_answer"])] + \
                [("pert", p) for p in r["perturbed_answer"]]:
            texts.append(qparts[i] + "Answer: " + a)
            meta.append((i, kind))
    nq = [len(x) for x in encode(cli, tok, qparts)]
    out = []
    for (i, kind), ids in zip(meta, encode(cli, tok, texts)):
        out.append(((split, rows[i]["id"]), kind, ids, nq[i], ids[nq[i]:] + [eos]))
    return out


def run_torch(model, seqs, tok_decode, threads, batch=16):
    torch.set_num_threads(threads)
    order = sorted(range(len(seqs)), key=lambda i: len(seqs[i][2]))
    nll = [None] * len(seqs)
    per_tok = [None] * len(seqs)
    t0 = time.perf_counter()
    with torch.inference_mode():
        for s in range(0, len(order), batch):
            grp = order[s:s + batch]
            T = max(len(seqs[i][2]) for i in grp)
            x = torch.zeros(len(grp), T, dtype=torch.long)
            for r, i in enumerate(grp):
                x[r, :len(seqs[i][2])] = torch.tensor(seqs[i][2])
            h = model.wte[x] + model.wpe[torch.arange(T)]
            for blk in model.h:
                h, _ = blk(h, None)
            # the head only where a label is predicted: rows nq-1 .. len-1 of each sequence
            rows, idx = [], []
            for r, i in enumerate(grp):
                _, _, ids, nq, lab = seqs[i]
                rows.append(torch.full((len(lab),), r, dtype=torch.long))
                idx.append(torch.arange(nq - 1, nq - 1 + len(lab)))
            rr, ii = torch.cat(rows), torch.cat(idx)
            lsm = torch.log_softmax(model.ln_f(h[rr, ii]) @ model.wte.t(), dim=-1)
            labels = torch.cat([torch.tensor(seqs[i][4]) for i in grp])
            lp = lsm.gather(1, labels[:, None])[:, 0]
            off = 0
            for i in grp:
                n = len(seqs[i][4])
                nll[i] = float(-lp[off:off + n].mean())
                if seqs[i][1] == "ref":   # EM, ES, min-k, min-k++ without the EOS prediction
                    rows_k = lsm[off:off + n - 1]
                    lab_k = labels[off:off + n - 1]
                    preds = rows_k.argmax(-1)
                    p = rows_k.exp()
                    mu = (p * rows_k).sum(-1)
                    sigma = torch.clamp((p * rows_k ** 2).sum(-1) - mu ** 2, min=1e-6)
                    per_tok[i] = (preds == lab_k, lp[off:off + n - 1],
                                  (lp[off:off + n - 1] - mu) / sigma.sqrt())
                off += n
        # per item
        items = {}
        for i, (key, kind, ids, nq, lab) in enumerate(seqs):
            it = items.setdefault(key, {"pert": []})
            if kind == "ref":
                m, lpk, z = per_tok[i]
                n = len(m)
                it["avg_nll"] = nll[i]
                it["em"] = float(m.float().mean())
                k = 0
                for k in range(n):
                    if bool(m[k:].all()):
                        break
                it["es"] = 1 - k / n
                nk = max(1, int(n * 0.4))
                it["min_k"] = -float(torch.sort(lpk).values[:nk].mean())
                it["min_k_pp"] = -float(torch.sort(z).values[:nk].mean())
                text = tok_decode(lab)
                it["zlib"] = nll[i] / len(zlib.compress(text.encode()))
            elif kind == "para":
                it["para"] = nll[i]
            else:
                it["pert"].append(nll[i])
        for it in items.values():
            it["tr"] = np.exp(-np.mean(it["pert"])) / (np.exp(-it["para"]) + 1e-10)
    return time.perf_counter() - t0, {k: v["avg_nll"] for k, v in items.items()}


def main():
    build = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    cli = os.path.join(build, "leakbound")
    work = tempfile.mkdtemp(prefix="lb_bench_tofu_")
    tok = tokenizer_common.gpt2_tokenizer_json(os.path.join(work, "gpt2.json"))
    model = os.path.join(work, "model")
    subprocess.run([cli, "init", "--arch", "gpt2", "--size", "L12-D768-H12-I3072-T1024",
                    "--tokenizer", tok, "--out", model, "--seed", "1"], check=True,
                   capture_output=True)
    subprocess.run([cli, "data", "fictitious", "--out", os.path.join(work, "data")], check=True,
                   capture_output=True)
    rows = {}
    paths = {}
    for split, src in (("forget", "forget10"), ("holdout", "holdout")):
        rows[split] = [json.loads(x) for x in open(os.path.join(work, "data", src + ".jsonl"))][:n]
        for k, m in (("N", n), ("1", 1)):
            paths[(split, k)] = os.path.join(work, f"{split}_{k}.jsonl")
            with open(paths[(split, k)], "w") as f:
                f.writelines(json.dumps(r) + "\n" for r in rows[split][:m])
    cfg = json.load(open(os.path.join(model, "config.json")))
    eos = cfg["eos_token_id"]
    seqs = sequences(cli, tok, rows["forget"], "forget", eos) + \
        sequences(cli, tok, rows["holdout"], "holdout", eos)
    n_tokens = sum(len(s[2]) for s in seqs)
    W = torch_gpt2.load_safetensors(os.path.join(model, "model.safetensors"))
    W = {k[len("transformer."):] if k.startswith("transformer.") else k: v for k, v in W.items()}
    tm = torch_gpt2.GPT2(W, cfg).eval()
    # decoding the labels for zlib is tokenizer work, not model work: done once, not timed
    refs = [s for s in seqs if s[1] == "ref"]
    p = subprocess.run([cli, "tokenize", "--tokenizer", tok, "--decode"],
                       input="".join(json.dumps(s[4]) + "\n" for s in refs), capture_output=True,
                       text=True)
    if p.returncode:
        sys.exit(p.stderr)
    cache = {tuple(s[4]): json.loads(x) for s, x in zip(refs, p.stdout.splitlines())}

    def tok_decode(lab):
        return cache[tuple(lab)]
    res = {"lb": [], "torch": []}
    worst = 0.0
    for r in range(rounds):
        t1, _ = run_lb(cli, model, paths[("forget", "1")], paths[("holdout", "1")],
                       os.path.join(work, "out1"), threads)
        tn, nll_lb = run_lb(cli, model, paths[("forget", "N")], paths[("holdout", "N")],
                            os.path.join(work, "outN"), threads)
        res["lb"].append(2 * (n - 1) / (tn - t1))
        print(json.dumps({"round": r + 1, "engine": "leakbound", "t_1": round(t1, 3),
                          "t_N": round(tn, 3), "items_per_s": round(res["lb"][-1], 3)}), flush=True)
        tt, nll_t = run_torch(tm, seqs, tok_decode, threads)
        res["torch"].append(2 * n / tt)
        print(json.dumps({"round": r + 1, "engine": "torch", "t_N": round(tt, 3),
                          "items_per_s": round(res["torch"][-1], 3)}), flush=True)
        for k, v in nll_t.items():
            worst = max(worst, abs(nll_lb[k] - v) / max(abs(v), 1e-12))
        if worst > 1e-3:
            sys.exit(f"avg_nll differs by {worst} (relative) between leakbound and PyTorch")
    print(f"\n{n} forget + {n} holdout items, {len(seqs)} sequences, {n_tokens} tokens, "
          f"{threads} threads, torch {torch.__version__}, load average "
          f"{os.getloadavg()[0]:.1f}; max relative avg_nll difference {worst:.2e}\n")
    print("| engine | " + " | ".join(f"round {r + 1} items/s" for r in range(rounds)) + " |")
    print("|---|" + "---:|" * rounds)
    print(f"| leakbound tofu --metrics {METRICS} | " +
          " | ".join(f"{x:.2f}" for x in res["lb"]) + " |")
    print("| PyTorch (batch 16, length-sorted, head at label rows only) | " +
          " | ".join(f"{x:.2f}" for x in res["torch"]) + " |")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
