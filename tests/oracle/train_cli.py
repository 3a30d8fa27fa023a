"""Oracle test of leakbound init / finetune / unlearn end to end.

usage: train_cli.py GROUP    (GROUP: init, loss, resume, dtype, errors)
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
- dtype: training from a BF16 (and an F16) checkpoint is training from its exact F32
  widening: finetune from each gives the same logged losses bit for bit, and its final
  model.safetensors, stored in the starting model's dtype (docs/training.md), holds exactly
  torch's round-to-nearest-even of the F32 run's weights. NPO from a BF16 checkpoint keeps its
  frozen reference in the file (the run reports every matrix byte read in place as BF16) and
  follows the F32 run within 1e-4 (the reference's products differ in summation order); its
  checkpoint-N is F32 (the master weights), and a run resumed from it ends byte-identical.
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


def read_typed(path):
    """{name: (safetensors dtype, tensor in that dtype)} read independently of leakbound."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    np_of = {"F32": "<f4", "F16": "<f2", "BF16": "<i2"}
    import numpy as np
    for name, h in header.items():
        if name == "__metadata__":
            continue
        a, b = h["data_offsets"]
        t = torch.from_numpy(np.frombuffer(data[a:b], dtype=np_of[h["dtype"]]).copy())
        if h["dtype"] == "BF16":
            t = t.view(torch.bfloat16)
        out[name] = (h["dtype"], t.reshape(h["shape"]))
    return out


def copy_as(src, dst, dtype):
    """src's folder with every tensor converted by torch to dtype (round to nearest even)."""
    os.makedirs(dst, exist_ok=True)
    for f in ("config.json", "tokenizer.json"):
        with open(os.path.join(src, f), "rb") as a, open(os.path.join(dst, f), "wb") as b:
            b.write(a.read())
    W = read_typed(os.path.join(src, "model.safetensors"))
    model_ref.write_safetensors(os.path.join(dst, "model.safetensors"),
                                [(n, t.to(model_ref.ST_DTYPES[dtype])) for n, (_, t) in W.items()])


def check_dtype(work):
    sc.write_byte_tokenizer(work)
    write_data(work, n_f=8, n_r=4)
    m32 = os.path.join(work, "dt_init")
    run(["init", "--arch", "llama", "--size", "L2-D32-H4-KV2-I48-T64", "--tokenizer",
         os.path.join(work, "tokenizer.json"), "--out", m32, "--seed", "5"])
    ok = True
    for dt in ("BF16", "F16"):
        m16, mw = os.path.join(work, "dt_" + dt), os.path.join(work, "dt_%s_widened" % dt)
        copy_as(m32, m16, dt)
        copy_as(m16, mw, "F32")   # exact widening
        args = ["--epochs", "2", "--batch-size", "2", "--max-length", "48", "--lr", "2e-3",
                "--seed", "7"]
        ft = ["finetune", "--data", os.path.join(work, "forget.jsonl")] + args
        run(ft + ["--model", m16, "--out", m16 + "_ft"])
        run(ft + ["--model", mw, "--out", mw + "_ft"])
        a = read_typed(os.path.join(m16 + "_ft", "model.safetensors"))
        b = read_typed(os.path.join(mw + "_ft", "model.safetensors"))
        dtypes = {d for d, _ in a.values()} == {dt} and {d for d, _ in b.values()} == {"F32"}
        same = dtypes and set(a) == set(b) and all(
            torch.equal(a[n][1].view(torch.int16), b[n][1].to(model_ref.ST_DTYPES[dt])
                        .view(torch.int16)) for n in a)
        la = [(r["step"], r["loss"], r["grad_norm"]) for r in log_rows(m16 + "_ft")]
        lw = [(r["step"], r["loss"], r["grad_norm"]) for r in log_rows(mw + "_ft")]
        good = dtypes and same and la == lw and len(la) > 0
        ok = ok and good
        print("finetune from %s vs from its F32 widening: output %s (the F32 run's %s), weights"
              " = torch's rounding of the F32 run's: %s, %d logged steps identical: %s%s"
              % (dt, sorted({d for d, _ in a.values()}), sorted({d for d, _ in b.values()}),
                 same, len(la), la == lw, "" if good else "  FAIL"))
    # NPO from BF16: the reference stays BF16, in the file.
    m16, mw = os.path.join(work, "dt_BF16"), os.path.join(work, "dt_BF16_widened")
    un = ["unlearn", "--forget", os.path.join(work, "forget.jsonl"), "--retain",
          os.path.join(work, "retain.jsonl"), "--method", "npo", "--entropy", "1,-0.25",
          "--epochs", "2", "--batch-size", "2", "--max-length", "48", "--lr", "2e-3", "--seed",
          "7", "--grad-accum", "1", "--save-every", "2"]
    p16 = run(un + ["--model", m16, "--out", m16 + "_npo"])
    run(un + ["--model", mw, "--out", mw + "_npo"])
    W = read_typed(os.path.join(m16, "model.safetensors"))
    mat_mb = sum(t.numel() * 2 for _, t in W.values() if t.dim() == 2) / 1e6
    vec_mb = sum(t.numel() * 4 for _, t in W.values() if t.dim() == 1) / 1e6
    line = "NPO reference: %.3g MB of BF16 matrices read in place from the file, %.3g MB " \
           "widened to fp32" % (mat_mb, vec_mb)
    resident = line in p16.stderr
    la = log_rows(m16 + "_npo")
    lw = log_rows(mw + "_npo")
    errs = [abs(x[k] - y[k]) / max(1.0, abs(y[k])) for x, y in zip(la, lw)
            for k in ("loss", "ce_forget", "npo", "ce_retain", "grad_norm")]
    close = len(la) == len(lw) > 0 and max(errs) <= 1e-4
    a = read_typed(os.path.join(m16 + "_npo", "model.safetensors"))
    b = read_typed(os.path.join(mw + "_npo", "model.safetensors"))
    # At most one BF16 step apart from the rounding of the F32 run's weights.
    worst = 0 if {d for d, _ in a.values()} == {"BF16"} else 99
    for n in (a if worst == 0 else ()):
        ia = a[n][1].view(torch.int16).to(torch.int32)
        ib = b[n][1].to(torch.bfloat16).view(torch.int16).to(torch.int32)
        worst = max(worst, int((ia - ib).abs().max()))
    out_ok = {d for d, _ in a.values()} == {"BF16"} and worst <= 1
    ck = read_typed(os.path.join(m16 + "_npo", "checkpoint-2", "model.safetensors"))
    ck_f32 = {d for d, _ in ck.values()} == {"F32"}
    res = os.path.join(work, "dt_BF16_npo_resumed")
    run(un + ["--model", m16, "--out", res, "--resume",
              os.path.join(m16 + "_npo", "checkpoint-2")])
    resumed = open(os.path.join(res, "model.safetensors"), "rb").read() == \
        open(os.path.join(m16 + "_npo", "model.safetensors"), "rb").read()
    good = resident and close and out_ok and ck_f32 and resumed
    print("npo from BF16: '%s' reported: %s; %d steps within %.1e of the F32 widening's run: %s;"
          " output BF16 within %d BF16 step(s) of its rounding: %s; checkpoint-2 F32: %s; resumed"
          " from it byte-identical: %s%s" % (line, resident, len(la), max(errs) if errs else -1,
                                            close, worst, out_ok, ck_f32, resumed,
                                            "" if good else "  FAIL"))
    if not resident:
        print(p16.stderr[:600])
    return ok and good


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
          "dtype": check_dtype, "errors": check_errors}[g](work)
    if not ok:
        print("FAILED")
        sys.exit(1)


if __name__ == "__main__":
    main()
