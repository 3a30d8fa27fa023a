"""`leakbound tofu` against an independent PyTorch/scipy recomputation of every definition
(docs/tofu.md) on tiny GPT-2 checkpoints with a byte tokenizer (token = byte, EOS 256):

- TOFU's collator: labels = bytes of "Question: q\\nAnswer: a" after the question part, plus
  EOS when shorter than max_length; a longer text is cut with no EOS (counted);
- per item (items.jsonl, 1e-5 relative): avg_nll, probability, truth ratio, exact
  memorisation, extraction strength (open-unlearning's loop, edge case included), MIA scores
  (loss, zlib, min-k 0.4, min-k++), the greedy answer and its ROUGE-L recall;
- per split: the aggregates (closer-to-1 on forget, true-better elsewhere);
- run: MIA AUCs (rank AUC, ties averaged, forget = 0, holdout = 1), forget quality =
  scipy.stats.ks_2samp p-value against the retain model's forget truth ratios (--retain-model
  and --reference give the same), privleak, model utility = scipy.stats.hmean;
- lb_stats_ks_2samp and lb_stats_auc through ctypes against scipy on random samples (ties,
  unequal and equal sizes);
- bad input: item without perturbed answers, empty perturbed list, retain model with another
  tokenizer, a question filling --max-length: exit 2 naming the item or file, OUT untouched.
"""
import ctypes
import json
import math
import os
import shutil
import subprocess
import sys
import zlib

import numpy as np
import scipy.stats
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model_ref  # noqa: E402
import sample_common as sc  # noqa: E402
import text_rouge_ref  # noqa: E402
import train_common as tc  # noqa: E402

CLI = os.environ.get("LB_CLI", "")
EOS = sc.EOS
MAXNEW = 24
fails = []


def fail(msg):
    fails.append(msg)
    print("FAIL: " + msg)


def close(a, b, rel=1e-5, abs_=1e-9):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= max(abs_, rel * max(abs(a), abs(b)))


# ---------------------------------------------------------------- data
rng = np.random.default_rng(7)
WORDS = ("the author wrote many books about dragons rivers in north city born year mother "
         "father teacher doctor award novel poems quiet storm light garden old new").split()


def sentence(n):
    return " ".join(rng.choice(WORDS, size=n)).capitalize() + "."


def items(prefix, n, long_answer=None):
    out = []
    for i in range(n):
        out.append({"id": f"{prefix}-{i}", "question": sentence(4) + "?",
                    "answer": sentence(int(rng.integers(3, 8))),
                    "paraphrased_answer": sentence(int(rng.integers(3, 8))),
                    "perturbed_answer": [sentence(int(rng.integers(3, 8))) for _ in range(3)]})
    if long_answer:
        out[long_answer]["answer"] = sentence(40)  # > 128 bytes: cut at max_length
    return out


def write_jsonl(path, rows):
    with open(path, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")


# ---------------------------------------------------------------- the reference
def collate(q, a, maxlen):
    """TOFU's collator on byte ids: (input ids, number of question tokens, labels)."""
    qpart = ("Question: " + q + "\n").encode()
    full = list(qpart + ("Answer: " + a).encode())
    nq = len(qpart)
    trunc = len(full) > maxlen
    full = full[:maxlen]
    labels = full[nq:] + ([EOS] if len(full) < maxlen else [])
    return full, nq, labels, trunc


def logprobs(cfg, W, full, nq, labels):
    """log-softmax rows that predict each label (float64) and the labels."""
    inp = full if len(full) == nq + len(labels) - 1 or True else full
    logits = model_ref.reference_forward(cfg, W, inp).double()
    lsm = torch.log_softmax(logits, dim=-1)
    rows = lsm[nq - 1: nq - 1 + len(labels)]
    return rows, torch.tensor(labels)


def per_item(cfg, W, it, maxlen, role):
    full, nq, labels, trunc = collate(it["question"], it["answer"], maxlen)
    rows, lab = logprobs(cfg, W, full, nq, labels)
    tok_lp = rows.gather(1, lab[:, None])[:, 0]
    avg = float(-tok_lp.mean())
    r = {"labels": len(labels), "truncated": trunc, "avg_nll": avg, "probability": math.exp(-avg)}

    def avg_of(ans):
        f2, nq2, l2, _ = collate(it["question"], ans, maxlen)
        rw, lb = logprobs(cfg, W, f2, nq2, l2)
        return float(-rw.gather(1, lb[:, None])[:, 0].mean())

    correct = avg if role == "utility" else avg_of(it["paraphrased_answer"])
    wrong = np.mean([avg_of(p) for p in it["perturbed_answer"]])
    r["truth_ratio"] = math.exp(-wrong) / (math.exp(-correct) + 1e-10)
    # open-unlearning's tokenwise_* drop the last label (the EOS prediction)
    rows_k, lab_k = rows[:-1], lab[:-1]
    m = len(lab_k)
    preds = rows_k.argmax(dim=-1)
    if m == 0:
        r["exact_memorization"], es = None, 0.0
    else:
        r["exact_memorization"] = float((preds == lab_k).sum()) / m
        for k in range(m):
            if torch.equal(preds[k:], lab_k[k:]):
                break
        es = 1 - k / m
    r["extraction_strength"] = es
    # near-ties make argmax fragile between fp32 and float64: record the smallest margin
    top2 = rows_k.topk(2, dim=-1).values if m else torch.zeros(0, 2)
    r["_margin"] = float((top2[:, 0] - top2[:, 1]).min()) if m else 1.0
    lp = rows_k.gather(1, lab_k[:, None])[:, 0].numpy() if m else np.zeros(0)
    nk = max(1, int(m * 0.4))
    r["min_k"] = -float(np.mean(np.sort(lp)[:nk])) if m else 0.0
    if m:
        p = rows_k.exp()
        mu = (p * rows_k).sum(-1)
        sigma = torch.clamp((p * rows_k ** 2).sum(-1) - mu ** 2, min=1e-6)
        z = ((torch.tensor(lp) - mu) / sigma.sqrt()).numpy()
        r["min_k_plus_plus"] = -float(np.mean(np.sort(z)[:nk]))
    else:
        r["min_k_plus_plus"] = 0.0
    text = bytes(b for b in labels if b != EOS).decode("utf-8", "replace")
    r["zlib"] = avg / len(zlib.compress(text.encode("utf-8")))
    r["loss"] = avg
    return r


def greedy(cfg, W, q, maxlen):
    ids = list(("Question: " + q + "\n").encode())
    out, margin = [], 1e9
    for _ in range(MAXNEW):
        if len(ids) >= maxlen:
            break
        lg = model_ref.reference_forward(cfg, W, ids)[-1].double()
        t2 = lg.topk(2).values
        margin = min(margin, float(t2[0] - t2[1]))
        t = int(lg.argmax())
        out.append(t)
        if t == EOS:
            break
        ids.append(t)
    text = bytes(b for b in out if b < 256).decode("utf-8", "replace")
    return text, margin


def rank_auc(scores, labels):
    s = np.asarray(scores, dtype=float)
    lab = np.asarray(labels)
    r = scipy.stats.rankdata(s)  # ties averaged
    n1, n0 = int(lab.sum()), int((1 - lab).sum())
    return (r[lab == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)


def run(args, expect=0):
    p = subprocess.run([CLI, "tofu", "--quiet"] + args, capture_output=True, text=True)
    if p.returncode != expect:
        fail(f"tofu {' '.join(args)}: exit {p.returncode}, expected {expect}: {p.stderr}")
    return p


# ---------------------------------------------------------------- KS and AUC via ctypes
def check_stats_lib():
    lib_path = os.path.join(os.path.dirname(CLI), "libleakbound.so")
    lib = ctypes.CDLL(lib_path)
    lib.lb_stats_ks_2samp.argtypes = [ctypes.POINTER(ctypes.c_double), ctypes.c_size_t,
                                      ctypes.POINTER(ctypes.c_double), ctypes.c_size_t,
                                      ctypes.POINTER(ctypes.c_double),
                                      ctypes.POINTER(ctypes.c_double),
                                      ctypes.POINTER(ctypes.c_int), ctypes.c_char_p]
    lib.lb_stats_auc.argtypes = [ctypes.POINTER(ctypes.c_double), ctypes.POINTER(ctypes.c_int),
                                 ctypes.c_size_t, ctypes.POINTER(ctypes.c_double), ctypes.c_char_p]
    err = ctypes.create_string_buffer(2048)
    r = np.random.default_rng(3)
    n_checked = 0
    sizes = [(1, 1), (1, 5), (3, 3), (5, 7), (10, 10), (40, 40), (40, 37), (100, 13), (400, 400),
             (400, 390), (7, 300), (1000, 999), (2, 2000)]
    for n1, n2 in sizes:
        for trial in range(6):
            if trial % 3 == 0:   # ties
                x, y = r.integers(0, 5, n1).astype(float), r.integers(0, 5, n2).astype(float)
            elif trial % 3 == 1:
                x, y = r.normal(0, 1, n1), r.normal(0.3, 1.2, n2)
            else:
                x, y = r.exponential(1, n1), r.exponential(1, n2)
            d, p, ex = ctypes.c_double(), ctypes.c_double(), ctypes.c_int()
            xa = (ctypes.c_double * n1)(*x)
            ya = (ctypes.c_double * n2)(*y)
            rc = lib.lb_stats_ks_2samp(xa, n1, ya, n2, ctypes.byref(d), ctypes.byref(p),
                                       ctypes.byref(ex), err)
            ref = scipy.stats.ks_2samp(x, y)
            if rc != 0 or not close(d.value, ref.statistic, 1e-12, 1e-14) or \
                    not close(p.value, ref.pvalue, 1e-9, 1e-15):
                fail(f"ks_2samp n={n1},{n2} trial {trial}: ours D={d.value} p={p.value}, scipy "
                     f"D={ref.statistic} p={ref.pvalue}")
            n_checked += 1
            lab = np.array([0] * n1 + [1] * n2)
            if n1 and n2:
                s = np.concatenate([x, y])
                auc = ctypes.c_double()
                rc = lib.lb_stats_auc((ctypes.c_double * len(s))(*s),
                                      (ctypes.c_int * len(lab))(*lab.tolist()), len(s),
                                      ctypes.byref(auc), err)
                if rc != 0 or not close(auc.value, rank_auc(s, lab), 1e-12, 1e-14):
                    fail(f"auc n={n1},{n2}: {auc.value} vs {rank_auc(s, lab)}")
    print(f"ks_2samp and AUC: {n_checked} cases against scipy")


# ---------------------------------------------------------------- main
def main():
    if not CLI:
        print("LB_CLI not set")
        sys.exit(1)
    if os.environ.get("LB_SANITIZED") == "1":
        print("sanitized build: the ctypes checks of lb_stats_ks_2samp/lb_stats_auc are skipped "
              "(an ASan library cannot be loaded into python); the CLI runs still check them")
    else:
        check_stats_lib()
    wd = sc.work_dir("tofu")
    m1, m2, m3 = (os.path.join(wd, n) for n in ("model", "retain_model", "other_tok"))
    for d in (m1, m2, m3):
        os.makedirs(d, exist_ok=True)
    base = os.path.join(wd, "base")
    os.makedirs(base, exist_ok=True)
    cfg, _ = sc.gpt2_model(base, seed=11, logit_scale=1.0)
    cfg2 = cfg
    sc.gpt2_model(m3, seed=13)
    with open(os.path.join(m3, "tokenizer.json")) as f:   # another tokenizer: one token renamed
        tj = json.load(f)
    tj["added_tokens"][0]["content"] = "<|end|>"
    with open(os.path.join(m3, "tokenizer.json"), "w") as f:
        json.dump(tj, f)
    maxlen = cfg["n_positions"]
    F, R, H, U = (os.path.join(wd, n + ".jsonl") for n in ("forget", "retain", "holdout", "util"))
    data = {"forget": items("f", 12, long_answer=3), "retain": items("r", 9),
            "holdout": items("h", 10), "world": items("w", 5)}
    for k in data["world"]:
        del k["paraphrased_answer"]
    # a text of exactly max_length tokens: not truncated, but no EOS label (TOFU's collator)
    it = data["forget"][5]
    need = maxlen - len(("Question: " + it["question"] + "\nAnswer: ").encode())
    it["answer"] = sentence(40)[:need - 1] + "."
    write_jsonl(F, data["forget"])
    write_jsonl(R, data["retain"])
    write_jsonl(H, data["holdout"])
    write_jsonl(U, data["world"])
    # As TOFU: the evaluated model is fine-tuned on forget + retain, the retain model on retain
    # only, from the same base, so that memorisation, ROUGE and the MIA have something to see.
    T = os.path.join(wd, "train.jsonl")
    write_jsonl(T, data["forget"] + data["retain"] + data["world"])
    RW = os.path.join(wd, "retain_world.jsonl")
    write_jsonl(RW, data["retain"] + data["world"])
    for folder, train in ((m1, T), (m2, RW)):
        shutil.rmtree(folder, ignore_errors=True)
        p = subprocess.run([CLI, "finetune", "--model", base, "--data", train, "--out", folder,
                            "--epochs", "40", "--lr", "5e-3", "--batch-size", "8",
                            "--grad-accum", "1", "--max-length", "128", "--warmup", "5"],
                           capture_output=True, text=True)
        if p.returncode != 0:
            print("FAIL: finetune: " + p.stderr)
            sys.exit(1)
    W = tc.read_safetensors(os.path.join(m1, "model.safetensors"))
    W2 = tc.read_safetensors(os.path.join(m2, "model.safetensors"))
    out = os.path.join(wd, "out")
    shutil.rmtree(out, ignore_errors=True)
    run(["--model", m1, "--forget", F, "--retain", R, "--holdout", H, "--utility", "world=" + U,
         "--retain-model", m2, "--max-new-tokens", str(MAXNEW), "--batch-tokens", "300",
         "--out", out])
    doc = json.load(open(os.path.join(out, "tofu.json")))
    lines = [json.loads(l) for l in open(os.path.join(out, "items.jsonl"))]
    got = {(l["split"], l["id"]): l for l in lines}
    if len(lines) != sum(len(v) for v in data.values()):
        fail(f"items.jsonl has {len(lines)} lines")
    refs = {}
    n_cmp = 0
    for split, rows in data.items():
        role = "utility" if split == "world" else split
        refs[split] = []
        for it in rows:
            r = per_item(cfg, W, it, maxlen, role)
            refs[split].append(r)
            g = got.get((split, it["id"]))
            if g is None:
                fail(f"{split}/{it['id']} missing")
                continue
            for k in ("labels", "truncated"):
                if g[k] != r[k]:
                    fail(f"{split}/{it['id']} {k}: {g[k]} vs {r[k]}")
            for k in ("avg_nll", "probability", "truth_ratio"):
                n_cmp += 1
                if not close(g[k], r[k]):
                    fail(f"{split}/{it['id']} {k}: {g[k]} vs {r[k]}")
            if r["_margin"] > 1e-4:
                for k in ("exact_memorization", "extraction_strength"):
                    n_cmp += 1
                    if not close(g[k], r[k]):
                        fail(f"{split}/{it['id']} {k}: {g[k]} vs {r[k]}")
            if split in ("forget", "holdout"):
                for k in ("loss", "zlib", "min_k", "min_k_plus_plus"):
                    n_cmp += 1
                    if not close(g["mia"][k], r[k], 1e-5, 1e-7):
                        fail(f"{split}/{it['id']} mia {k}: {g['mia'][k]} vs {r[k]}")
            text, margin = greedy(cfg, W, it["question"], maxlen)
            if margin > 1e-4 and g["generation"] != text:
                fail(f"{split}/{it['id']} greedy: {g['generation']!r} vs {text!r}")
            stripped = g["generation"].lstrip(" \t\r\n")
            if stripped.startswith("Answer:"):
                stripped = stripped[len("Answer:"):]
            rr = text_rouge_ref.rouge("rougeL", it["answer"], stripped)[1]
            n_cmp += 1
            if not close(g["rougeL_recall"], rr):
                fail(f"{split}/{it['id']} rougeL_recall {g['rougeL_recall']} vs {rr}")
    if not (doc["splits"]["retain"]["exact_memorization"] > 0.5 and
            doc["splits"]["retain"]["rougeL_recall"] > 0.3):
        fail(f"the fine-tuned model shows no memorisation: {doc['splits']['retain']}")
    f5 = got[("forget", "f-5")]
    if f5["truncated"] or f5["labels"] != maxlen - len(("Question: " + data["forget"][5]["question"]
                                                        + "\n").encode()):
        fail(f"a text of exactly max_length: {f5['labels']} labels, truncated {f5['truncated']}")
    if doc["splits"]["forget"]["truncated"] != 1 or not got[("forget", "f-3")]["truncated"]:
        fail("the long forget answer is not counted as truncated")
    # split aggregates
    for split in data:
        s = doc["splits"][split]
        rs = refs[split]
        tr = np.array([r["truth_ratio"] for r in rs])
        agg = np.mean(np.minimum(tr, 1 / (tr + 1e-10))) if split == "forget" else \
            np.mean(np.maximum(0, 1 - tr))
        for k, v in (("probability", np.mean([r["probability"] for r in rs])), ("truth_ratio", agg)):
            if not close(s[k], float(v)):
                fail(f"{split} {k}: {s[k]} vs {v}")
    # MIA
    for k in ("loss", "zlib", "min_k", "min_k_plus_plus"):
        sc_ = [r[k] for r in refs["forget"]] + [r[k] for r in refs["holdout"]]
        lab = [0] * len(refs["forget"]) + [1] * len(refs["holdout"])
        a = rank_auc(sc_, lab)
        if not close(doc["mia"][k], a, 1e-9):
            fail(f"mia {k} AUC: {doc['mia'][k]} vs {a}")
    # forget quality against the retain model
    rtr = [per_item(cfg2, W2, it, maxlen, "forget")["truth_ratio"] for it in data["forget"]]
    ftr = [r["truth_ratio"] for r in refs["forget"]]
    fq = scipy.stats.ks_2samp(ftr, rtr).pvalue
    if not close(doc["forget_quality"], fq, 1e-9):
        fail(f"forget_quality {doc['forget_quality']} vs scipy {fq}")
    rmk = rank_auc([per_item(cfg2, W2, it, maxlen, "forget")["min_k"] for it in data["forget"]] +
                   [per_item(cfg2, W2, it, maxlen, "holdout")["min_k"] for it in data["holdout"]],
                   [0] * 12 + [1] * 10)
    pl = ((1 - doc["mia"]["min_k"]) - (1 - rmk)) / ((1 - rmk) + 1e-10) * 100
    if not close(doc["privleak"], pl, 1e-6, 1e-9):
        fail(f"privleak {doc['privleak']} vs {pl}")
    # model utility: retain (prob, rouge, tr) and world (normalised prob, rouge, tr)
    def norm_prob(it):
        p = per_item(cfg, W, it, maxlen, "utility")["probability"]
        pw = 0.0
        for a in it["perturbed_answer"]:
            f2, nq2, l2, _ = collate(it["question"], a, maxlen)
            rw, lb = logprobs(cfg, W, f2, nq2, l2)
            pw += math.exp(float(rw.gather(1, lb[:, None])[:, 0].mean()))
        return p / (p + pw + 1e-10)
    vals = [doc["splits"]["retain"]["probability"], doc["splits"]["retain"]["rougeL_recall"],
            doc["splits"]["retain"]["truth_ratio"],
            float(np.mean([norm_prob(it) for it in data["world"]])),
            doc["splits"]["world"]["rougeL_recall"], doc["splits"]["world"]["truth_ratio"]]
    mu = scipy.stats.hmean(vals) if min(vals) > 0 else 0.0
    if not close(doc["model_utility"], mu, 1e-5):
        fail(f"model_utility {doc['model_utility']} vs {mu} from {vals}")
    if "provenance" not in doc or "model_sha256" not in doc["provenance"]:
        fail("tofu.json has no provenance block")
    # --reference: the retain model's own run gives the same forget quality
    rout = os.path.join(wd, "retain_out")
    run(["--model", m2, "--forget", F, "--holdout", H, "--max-new-tokens", "4", "--out", rout])
    out2 = os.path.join(wd, "out_ref")
    run(["--model", m1, "--forget", F, "--holdout", H, "--reference",
         os.path.join(rout, "tofu.json"), "--max-new-tokens", "4", "--out", out2])
    d2 = json.load(open(os.path.join(out2, "tofu.json")))
    if not close(d2["forget_quality"], doc["forget_quality"], 1e-12) or \
            not close(d2["privleak"], doc["privleak"], 1e-9):
        fail(f"--reference: forget_quality {d2['forget_quality']} privleak {d2['privleak']} vs "
             f"--retain-model {doc['forget_quality']} {doc['privleak']}")
    # without a retain model: nulls with reasons
    out3 = os.path.join(wd, "out_noref")
    run(["--model", m1, "--forget", F, "--max-new-tokens", "4", "--out", out3])
    d3 = json.load(open(os.path.join(out3, "tofu.json")))
    for k in ("forget_quality", "model_utility", "mia", "privleak"):
        if d3[k] is not None or not d3.get("why_" + k):
            fail(f"without retain/holdout: {k} = {d3[k]!r}, why = {d3.get('why_' + k)!r}")

    # ---------------------------------------------------------------- bad input
    bad_dir = os.path.join(wd, "bad")
    os.makedirs(bad_dir, exist_ok=True)
    rows = items("b", 4)
    nopert = [dict(r) for r in rows]
    del nopert[2]["perturbed_answer"]
    empty = [dict(r) for r in rows]
    empty[1]["perturbed_answer"] = []
    noans = [dict(r) for r in rows]
    del noans[3]["answer"]
    lonely = os.path.join(bad_dir, "lonely")
    os.makedirs(lonely, exist_ok=True)
    with open(os.path.join(lonely, "tofu.json"), "w") as f:
        f.write("{}")
    cases = [("no_pert", nopert, [], "b-2"), ("empty_pert", empty, [], "b-1"),
             ("no_answer", noans, [], "b-3"),
             ("ref_without_items", rows, ["--reference", os.path.join(lonely, "tofu.json")],
              "items.jsonl"),
             ("utility_usage", rows, ["--utility", "nameonly"], "NAME=FILE"),
             ("other_tok", rows, ["--retain-model", m3], "tokenizer"),
             ("question_fills", rows, ["--max-length", "12"], "--max-length"),
             ("mia_no_holdout", rows, ["--metrics", "mia"], "--metrics mia needs --holdout FILE")]
    for name, rws, extra, needle in cases:
        path = os.path.join(bad_dir, name + ".jsonl")
        write_jsonl(path, rws)
        o = os.path.join(bad_dir, "out_" + name)
        shutil.rmtree(o, ignore_errors=True)
        p = run(["--model", m1, "--forget", path, "--out", o] + extra, expect=2)
        if needle not in p.stderr or not p.stderr.startswith("leakbound tofu: "):
            fail(f"{name}: message lacks {needle!r}: {p.stderr!r}")
        if os.path.exists(o):
            fail(f"{name}: {o} was written")
    # --metrics without the truth ratio accepts the item lacking perturbed answers
    o = os.path.join(bad_dir, "out_metrics")
    run(["--model", m1, "--forget", os.path.join(bad_dir, "no_pert.jsonl"), "--metrics",
         "probability,memorization", "--out", o])
    d4 = json.load(open(os.path.join(o, "tofu.json")))
    if d4["splits"]["forget"]["truth_ratio"] is not None:
        fail("--metrics probability,memorization still computed a truth ratio")

    if fails:
        print(f"tofu_oracle: {len(fails)} failures")
        sys.exit(1)
    print(f"tofu_oracle: {n_cmp} per-item values within 1e-5 relative; aggregates, AUCs, forget "
          f"quality, privleak, model utility and {len(cases)} bad inputs ok")


if __name__ == "__main__":
    main()
