"""Oracle test of leakbound init / finetune / unlearn end to end.

usage: train_cli.py GROUP    (GROUP: init, loss, resume, errors)
- init: for llama, phi and gpt2, the written folder has exactly the tensor names and shapes HF's
  modules use (model_ref.random_weights lists them for the same config), HF's config keys, the
  tokenizer copied; matrices ~ N(0, 0.02) (sample std within 5%), norm weights 1, biases 0;
  the model loads and runs in the PyTorch reference.
- loss: the first logged step of finetune (and of unlearn gd / npo with entropy) equals the
  PyTorch loss of the same data encoded independently here (docs/training.md: byte tokenizer, "Question:
  q\\nAnswer: a" + EOS, prompt and padding unsupervised; one batch holding every example, a
  one-example retain set so the pairing is fixed) within 1e-5 relative.
- resume: a run killed with SIGKILL after a checkpoint and resumed with --resume ends with a
  model.safetensors byte-identical to the uninterrupted run's, and the same logged losses; a
  checkpoint records the sha256 of the forget and retain files (= hashlib's), and resuming
  with another seed, or with a forget or retain file of the same length but other content,
  is refused naming what differs.
- errors: bad flags and inputs exit 2 with a message naming the problem; no output model.
"""
import hashlib
import json
import os
import signal
import struct
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model_ref  # noqa: E402
import sample_common as sc  # noqa: E402
import train_common as tc  # noqa: E402

CLI = os.environ["LB_CLI"]
WORK = os.path.join(os.environ.get("LB_WORK", "/tmp/lb_work"), "train_cli")
EOS = 256
SANITIZED = bool(os.environ.get("LB_SANITIZED"))


def run(args, check=True, **kw):
    p = subprocess.run([CLI] + args, capture_output=True, text=True, **kw)
    if check and p.returncode != 0:
        raise SystemExit("FAIL: leakbound %s -> %d\n%s" % (" ".join(args), p.returncode,
                                                          p.stderr))
    return p


def write_data(folder, n_f=6, n_r=1, seed=3):
    gen = torch.Generator().manual_seed(seed)
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa".split()

    def item(i):
        w = [words[int(torch.randint(0, len(words), (1,), generator=gen))] for _ in range(4)]
        return {"question": "Who is %s %d?" % (w[0], i), "answer": " ".join(w[1:])}
    f = [item(i) for i in range(n_f)]
    r = [item(100 + i) for i in range(n_r)]
    for name, items in (("forget.jsonl", f), ("retain.jsonl", r)):
        with open(os.path.join(folder, name), "w") as fh:
            for it in items:
                fh.write(json.dumps(it) + "\n")
    return f, r


def encode(items, T):
    """The TOFU encoding of docs/training.md with the byte tokenizer (one id per UTF-8 byte, no special tokens added)."""
    tokens, labels, lens = [], [], []
    for it in items:
        prompt = ("Question: " + it["question"] + "\n").encode()
        full = prompt + ("Answer: " + it["answer"]).encode()
        ids = (list(full) + [EOS])[:T]
        n = len(ids)
        lab = [-100 if t < len(prompt) else ids[t] for t in range(n)]
        tokens.append(ids + [EOS] * (T - n))
        labels.append(lab + [-100] * (T - n))
        lens.append(n)
    return {"tokens": tokens, "labels": labels, "lens": lens}


def load_W(folder):
    W = tc.read_safetensors(os.path.join(folder, "model.safetensors"))
    with open(os.path.join(folder, "config.json")) as f:
        return json.load(f), W


def log_rows(folder):
    with open(os.path.join(folder, "train_log.csv")) as f:
        lines = f.read().splitlines()
    head = lines[0].split(",")
    return [dict(zip(head, map(float, ln.split(",")))) for ln in lines[1:]]


def check_init(work):
    ok = True
    sc.write_byte_tokenizer(work)
    tok = os.path.join(work, "tokenizer.json")
    for arch, size in (("llama", "L2-D32-H4-KV2-I48-T64"), ("phi", "L2-D32-H4-T64"),
                       ("gpt2", "L2-D32-H4-T64")):
        out = os.path.join(work, "init_" + arch)
        run(["init", "--arch", arch, "--size", size, "--tokenizer", tok, "--out", out,
             "--seed", "5"])
        cfg, W = load_W(out)
        want = dict(model_ref.random_weights(cfg, torch.Generator().manual_seed(0)))
        names_ok = set(W) == set(want) and all(W[n].shape == want[n].shape for n in W)
        mats = torch.cat([t.flatten() for n, t in W.items() if t.dim() == 2])
        std_ok = abs(float(mats.std()) - 0.02) < 0.001 and abs(float(mats.mean())) < 0.001
        vec_ok = all(bool((t == (1.0 if "weight" in n else 0.0)).all())
                     for n, t in W.items() if t.dim() == 1)
        tok_ok = open(os.path.join(out, "tokenizer.json")).read() == open(tok).read()
        cfg_ok = cfg["vocab_size"] == 257 and cfg["eos_token_id"] == EOS
        logits = model_ref.reference_forward(cfg, W, [1, 2, 3])
        run_ok = bool(torch.isfinite(logits).all()) and logits.shape == (3, 257)
        good = names_ok and std_ok and vec_ok and tok_ok and cfg_ok and run_ok
        ok = ok and good
        print("init %s: names/shapes %s, N(0,0.02) %s (std %.5f), norms/biases %s, tokenizer %s,"
              " config %s, runs %s" % (arch, names_ok, std_ok, float(mats.std()), vec_ok, tok_ok,
                                       cfg_ok, run_ok))
    return ok


def check_loss(work):
    sc.write_byte_tokenizer(work)
    f, r = write_data(work)
    T = 48
    ok = True
    cases = [
        ("gpt2", "L2-D32-H4-T64", "finetune", ["--data", os.path.join(work, "forget.jsonl")],
         {"method": "finetune", "ent_f": 0.0}, ["--entropy", "0"]),
        ("llama", "L2-D32-H4-KV2-I48-T64", "unlearn",
         ["--forget", os.path.join(work, "forget.jsonl"), "--retain",
          os.path.join(work, "retain.jsonl"), "--method", "gd", "--lambda", "0.5"],
         {"method": "gd", "lambda": 0.5, "ent_f": 1.0, "ent_r": -0.25}, ["--entropy", "1,-0.25"]),
        ("phi", "L2-D32-H4-T64", "unlearn",
         ["--forget", os.path.join(work, "forget.jsonl"), "--retain",
          os.path.join(work, "retain.jsonl"), "--method", "npo", "--beta", "0.1"],
         {"method": "npo", "beta": 0.1, "ent_f": 0.5, "ent_r": -0.25, "ent_answer": True},
         ["--entropy", "0.5,-0.25", "--entropy-positions", "answer"]),
    ]
    for arch, size, cmd, data_args, spec, ent_args in cases:
        m = os.path.join(work, "loss_m_" + arch)
        run(["init", "--arch", arch, "--size", size, "--tokenizer",
             os.path.join(work, "tokenizer.json"), "--out", m, "--seed", "9"])
        cfg, W = load_W(m)
        out = os.path.join(work, "loss_o_" + arch)
        run([cmd, "--model", m, "--out", out, "--epochs", "1", "--batch-size", str(len(f)),
             "--grad-accum", "1", "--max-length", str(T), "--lr", "1e-3", "--warmup", "0"]
            + data_args + ent_args)
        got = log_rows(out)[0]
        fb = encode(f, T)
        micro = [{"forget": fb, "retain": encode(r * len(f), T)}]
        W = {k: v.clone().requires_grad_(False) for k, v in W.items()}

        def ref_nll(batch):
            lg = tc.logits_of(cfg, W, batch["tokens"], batch["lens"])
            return tc.parts_of(lg, batch["labels"], False)[1]
        with torch.no_grad():
            loss, parts, _ = tc.objective(cfg, W, spec, micro, ref_nll)
        names = ["ce_forget", "entropy_forget", "npo", "ce_retain", "entropy_retain"]
        errs = [abs(got[n] - p) / max(abs(p), 1e-12) for n, p in zip(names, parts) if p != 0]
        errs.append(abs(got["loss"] - float(loss)) / max(1.0, abs(float(loss))))
        good = max(errs) <= 1e-5
        ok = ok and good
        print("loss %s %s: step-1 loss %.7f vs torch %.7f, worst part rel err %.1e%s"
              % (arch, cmd, got["loss"], float(loss), max(errs), "" if good else "  FAIL"))
    return ok


def check_resume(work):
    sc.write_byte_tokenizer(work)
    write_data(work, n_f=8 if SANITIZED else 24, n_r=10)
    m = os.path.join(work, "res_m")
    run(["init", "--arch", "llama", "--size", "L2-D32-H4-KV2-I48-T64", "--tokenizer",
         os.path.join(work, "tokenizer.json"), "--out", m])
    common = ["unlearn", "--model", m, "--forget", os.path.join(work, "forget.jsonl"),
              "--retain", os.path.join(work, "retain.jsonl"), "--method", "npo",
              "--entropy", "1,-0.25", "--epochs", "3", "--batch-size", "2", "--grad-accum", "2",
              "--max-length", "48", "--lr", "2e-3", "--seed", "7"]
    full = os.path.join(work, "res_full")
    run(common + ["--out", full])
    part = os.path.join(work, "res_part")
    if os.path.exists(part):
        subprocess.run(["rm", "-rf", part])
    p = subprocess.Popen([CLI] + common + ["--out", part, "--save-every", "2"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and p.poll() is None:
        if os.path.isdir(os.path.join(part, "checkpoint-4")):
            break
        time.sleep(0.005)
    killed = p.poll() is None
    if killed:
        p.send_signal(signal.SIGKILL)
    p.wait()
    cks = sorted((int(d.split("-")[1]), d) for d in os.listdir(part)
                 if d.startswith("checkpoint-") and not d.endswith(".tmp"))
    if not cks:
        print("resume: no checkpoint written")
        return False
    last = os.path.join(part, cks[-1][1])
    if os.path.exists(os.path.join(part, "model.safetensors")):
        os.remove(os.path.join(part, "model.safetensors"))
    run(common + ["--out", part, "--save-every", "2", "--resume", last])
    a = open(os.path.join(full, "model.safetensors"), "rb").read()
    b = open(os.path.join(part, "model.safetensors"), "rb").read()
    la = [(r["step"], r["loss"], r["grad_norm"]) for r in log_rows(full)]
    lb = [(r["step"], r["loss"], r["grad_norm"]) for r in log_rows(part)]
    good = a == b and la == lb
    print("resume: killed %s at %s, resumed from %s: model bytes identical %s, logs identical %s"
          " (%d steps)" % ("(SIGKILL)" if killed else "(already done)", cks[-1][1], last,
                           a == b, la == lb, len(la)))
    # A checkpoint of another run is refused.
    bad = run(common[:-2] + ["--seed", "8", "--out", part, "--resume", last], check=False)
    refused = bad.returncode == 2 and "another run" in bad.stderr
    print("resume with other options refused: %s" % refused)
    # The checkpoint's fingerprint holds the data files' sha256 ...
    with open(os.path.join(last, "optimizer.safetensors"), "rb") as fh:
        n = struct.unpack("<Q", fh.read(8))[0]
        fp = json.loads(fh.read(n))["__metadata__"]["fingerprint"]
    hashes = {k: hashlib.sha256(open(os.path.join(work, k + ".jsonl"), "rb").read()).hexdigest()
              for k in ("forget", "retain")}
    recorded = ("data=%s" % hashes["forget"]) in fp.split() and \
        ("retain=%s" % hashes["retain"]) in fp.split()
    print("fingerprint records the forget/retain sha256 (hashlib): %s" % recorded)
    # ... so the same number of items with other content is another run.
    for key, flag in (("data", "--forget"), ("retain", "--retain")):
        src = os.path.join(work, flag[2:] + ".jsonl")
        alt = os.path.join(work, flag[2:] + "_alt.jsonl")
        with open(src) as fh, open(alt, "w") as out:
            lines = fh.read().splitlines()
            lines[0] = lines[0].replace("Who is", "Who was")
            out.write("\n".join(lines) + "\n")
        argv = list(common)
        argv[argv.index(flag) + 1] = alt
        bad = run(argv + ["--out", part, "--resume", last], check=False)
        ok = bad.returncode == 2 and ("it has %s=%s" % (key, hashes[flag[2:]])) in bad.stderr
        print("resume with another %s file of the same length refused, naming it: %s" % (flag, ok))
        refused = refused and ok
    return good and refused and recorded


def check_errors(work):
    sc.write_byte_tokenizer(work)
    write_data(work)
    m = os.path.join(work, "err_m")
    run(["init", "--arch", "gpt2", "--size", "L1-D16-H2-T32", "--tokenizer",
         os.path.join(work, "tokenizer.json"), "--out", m])
    fj = os.path.join(work, "forget.jsonl")
    bad_json = os.path.join(work, "bad.jsonl")
    with open(bad_json, "w") as fh:
        fh.write('{"question": "q", "answer": "a"}\n{"question": 3}\n')
    cases = [
        (["init", "--arch", "bert", "--tokenizer", "x", "--out", "y"], "--arch"),
        (["init", "--arch", "llama", "--size", "L2-D30-H4", "--tokenizer",
          os.path.join(work, "tokenizer.json"), "--out", os.path.join(work, "e1")], "heads"),
        (["init", "--arch", "gpt2", "--size", "L2-Q4", "--tokenizer",
          os.path.join(work, "tokenizer.json"), "--out", os.path.join(work, "e2")], "Q"),
        (["unlearn", "--model", m, "--forget", fj, "--out", os.path.join(work, "e3")],
         "--method"),
        (["unlearn", "--model", m, "--forget", fj, "--method", "gd", "--out",
          os.path.join(work, "e4")], "--retain"),
        (["unlearn", "--model", m, "--forget", fj, "--retain", fj, "--method", "npo", "--entropy",
          "x,1", "--out", os.path.join(work, "e5")], "--entropy"),
        (["finetune", "--model", m, "--data", bad_json, "--out", os.path.join(work, "e6")],
         "bad.jsonl:2"),
        (["finetune", "--model", m, "--data", os.path.join(work, "nope.jsonl"), "--out",
          os.path.join(work, "e7")], "nope.jsonl"),
        (["finetune", "--model", os.path.join(work, "nomodel"), "--data", fj, "--out",
          os.path.join(work, "e8")], "nomodel"),
        (["finetune", "--model", m, "--data", fj, "--out", os.path.join(work, "e9"), "--lr",
          "-1"], "--lr"),
    ]
    ok = True
    for args, needle in cases:
        p = run(args, check=False)
        out = args[args.index("--out") + 1] if "--out" in args else None
        no_model = out is None or not os.path.exists(os.path.join(out, "model.safetensors"))
        good = p.returncode == 2 and needle in p.stderr and no_model
        ok = ok and good
        print("%-60s exit %d: %s%s" % (" ".join(a if len(a) < 20 else ".." + a[-14:]
                                                 for a in args[:6]),
                                        p.returncode, p.stderr.strip()[:110],
                                        "" if good else "  FAIL"))
    for cmd in ("init", "finetune", "unlearn"):
        p = run([cmd, "--help"], check=False)
        good = p.returncode == 0 and "usage: leakbound " + cmd in p.stdout
        ok = ok and good
    return ok


def main():
    os.makedirs(WORK, exist_ok=True)
    torch.set_num_threads(1)
    g = sys.argv[1]
    work = os.path.join(WORK, g)
    os.makedirs(work, exist_ok=True)
    ok = {"init": check_init, "loss": check_loss, "resume": check_resume,
          "errors": check_errors}[g](work)
    if not ok:
        print("FAILED")
        sys.exit(1)


if __name__ == "__main__":
    main()
