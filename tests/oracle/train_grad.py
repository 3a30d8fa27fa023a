"""Oracle test: leakbound's training gradients and AdamW trajectory against PyTorch.

usage: train_grad.py GROUP       (GROUP: grads_llama, grads_phi, grads_gpt2, grads_variants,
                                  grads_bf16, grads_f16, adamw, fd)
- grads_*: for finetune, GA, GD, NPO, each without and with entropy (docs/training.md), on a small
  random checkpoint, every parameter's gradient (driver_train, fp32) matches autograd through
  the float64 reference (train_common.py / model_ref.py) with relative error
  ||g - g_ref|| / ||g_ref|| <= 1e-3 per tensor; loss parts within 1e-5 relative.
- grads_bf16, grads_f16: the same on checkpoints stored in BF16 / F16 (each family; finetune
  and NPO with entropy): training widens them to fp32 master weights, the NPO reference reads
  them in place in the file's dtype; the reference here is autograd on the very values the file
  holds.
- adamw: 10 steps (gradient accumulation over 2 micro-batches, HF's linear warmup + decay,
  clipping at 1.0, weight decay on matrices) give torch.optim.AdamW's loss trajectory: every
  loss part (CE, entropy, NPO of forget and retain, all >= 0) within 1e-4 relative at every
  step, the signed total within 1e-4 * max(1, |loss|) (GA/GD totals cross zero).
- fd: central finite differences in float64 confirm the reference's autograd gradient of every
  objective (guards the oracle itself).
"""
import json
import os
import subprocess
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_common as tc  # noqa: E402

GRAD_TOL = 1e-3
LOSS_TOL = 1e-5
TRAJ_TOL = 1e-4
T = 12

FAMILIES = {
    "llama": tc.llama_cfg(),
    "phi": tc.phi_cfg(),
    "gpt2": tc.gpt2_cfg(),
    # Tied head + q/k/v biases (Qwen2), one kv head; GPT-2 untied with exact gelu; Phi with GQA
    # and a tied head.
    "qwen2_tied": tc.llama_cfg(architectures=["Qwen2ForCausalLM"], model_type="qwen2",
                               num_key_value_heads=1, tie_word_embeddings=True,
                               use_sliding_window=False),
    "gpt2_untied_gelu": tc.gpt2_cfg(tie_word_embeddings=False, activation_function="gelu"),
    "phi_gqa_tied": tc.phi_cfg(num_key_value_heads=2, tie_word_embeddings=True,
                               partial_rotary_factor=0.75),
    # Sliding window (8 < T, never past a sequence's padding) and head_dim != D / H.
    "mistral_window": tc.llama_cfg(architectures=["MistralForCausalLM"], model_type="mistral",
                                   sliding_window=8, head_dim=12, attention_bias=True),
}

OBJECTIVES = [
    {"method": "finetune"}, {"method": "finetune", "ent_f": 1.0},
    {"method": "ga"}, {"method": "ga", "ent_f": 1.0, "ent_r": -0.25},
    {"method": "gd", "lambda": 1.0}, {"method": "gd", "lambda": 0.7, "ent_f": 1.0, "ent_r": -0.25},
    {"method": "npo", "beta": 0.05, "lambda": 1.0},
    {"method": "npo", "beta": 0.5, "lambda": 1.0, "ent_f": 1.0, "ent_r": -0.25,
     "ent_answer": True},
]


def vocab(cfg):
    return cfg["vocab_size"]


def micro_batches(gen, V, n, B=3):
    return [{"forget": tc.random_batch(gen, B, T, V), "retain": tc.random_batch(gen, B, T, V)}
            for _ in range(n)]


def run_driver(folder, spec, out):
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "spec.json")
    with open(path, "w") as f:
        json.dump(spec, f)
    p = subprocess.run([os.path.join(os.environ["LB_DRIVERS"], "driver_train"), folder, path,
                        out], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("driver_train failed (%d): %s" % (p.returncode, p.stderr))
    with open(os.path.join(out, "result.json")) as f:
        return json.load(f)


def ref_nll_fn(cfg, W0):
    def fn(batch):
        with torch.no_grad():
            lg = tc.logits_of(cfg, W0, batch["tokens"], batch["lens"])
            return tc.parts_of(lg, batch["labels"], False)[1]
    return fn


def grads_case(fam, work, objectives, seed, dtype="F32"):
    cfg = FAMILIES[fam]
    folder = os.path.join(work, "m_%s_%s" % (fam, dtype))
    W = tc.make_model(folder, cfg, seed, dtype)
    W0 = {k: v.detach().clone() for k, v in W.items()}
    gen = torch.Generator().manual_seed(seed + 1)
    ok = True
    for i, obj in enumerate(objectives):
        micro = micro_batches(gen, vocab(cfg), 2 if i % 2 else 1)
        spec = dict(obj, T=T, micro=micro, steps=0)
        out = os.path.join(work, "o_%s_%s_%d" % (fam, dtype, i))
        res = run_driver(folder, spec, out)
        got = tc.read_safetensors(os.path.join(out, "grads.safetensors"))
        for v in W.values():
            v.grad = None
        loss, parts, _ = tc.objective(cfg, W, spec, micro, ref_nll_fn(cfg, W0))
        loss.backward()
        worst, where = 0.0, ""
        names = set(got)
        want_names = {n for n in W if not (n == "lm_head.weight" and n not in got)}
        if names != want_names:
            print("%s %s: tensors differ: %s" % (fam, obj, sorted(names ^ want_names)))
            ok = False
            continue
        for n, g in got.items():
            ref = W[n].grad
            rel = float((g - ref).norm() / ref.norm().clamp(min=1e-30))
            if rel > worst:
                worst, where = rel, n
        perr = max(abs(a - b) / max(abs(b), 1e-12) for a, b in zip(res["parts"], parts)
                   if b != 0.0)
        good = worst <= GRAD_TOL and perr <= LOSS_TOL
        if obj["method"] == "npo":
            # The frozen reference keeps every matrix in the file, in its dtype (the tied
            # head once); only vectors are widened to fp32.
            mats = {n: v for n, v in W.items() if v.dim() == 2}
            size = {"F32": 4, "F16": 2, "BF16": 2}[dtype]
            want_mapped = sum(v.numel() for v in mats.values()) * size
            want_widened = sum(v.numel() for n, v in W.items() if v.dim() == 1) * 4
            if (res["ref_mapped_bytes"], res["ref_widened_bytes"]) != (want_mapped, want_widened):
                print("%s %s NPO reference: %d bytes mapped, %d widened; want %d, %d  FAIL"
                      % (fam, dtype, res["ref_mapped_bytes"], res["ref_widened_bytes"],
                         want_mapped, want_widened))
                good = False
        ok = ok and good
        print("%s %s %-70s worst grad rel err %.2e (%s), loss parts rel err %.1e%s"
              % (fam, dtype, json.dumps(obj), worst, where, perr, "" if good else "  FAIL"))
    return ok


def adamw_case(fam, obj, work, seed, steps=10, lr=2e-3, warmup=3, wd=0.01):
    cfg = FAMILIES[fam]
    folder = os.path.join(work, "a_" + fam)
    W = tc.make_model(folder, cfg, seed)
    W0 = {k: v.detach().clone() for k, v in W.items()}
    gen = torch.Generator().manual_seed(seed + 7)
    micro = micro_batches(gen, vocab(cfg), 2, B=2)
    spec = dict(obj, T=T, micro=micro, steps=steps, lr=lr, warmup=warmup, total=steps, wd=wd,
                clip=1.0)
    res = run_driver(folder, spec, os.path.join(work, "ao_" + fam))
    params = list(W.values())
    decay = [v for v in params if v.dim() == 2]
    nodecay = [v for v in params if v.dim() != 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": wd},
                             {"params": nodecay, "weight_decay": 0.0}], lr=lr,
                            betas=(0.9, 0.999), eps=1e-8)

    def factor(step):   # transformers.get_linear_schedule_with_warmup
        if step < warmup:
            return step / max(1, warmup)
        return max(0.0, (steps - step) / max(1, steps - warmup))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
    want, want_parts = [], []
    for _ in range(steps):
        opt.zero_grad()
        loss, _, avg = tc.objective(cfg, W, spec, micro, ref_nll_fn(cfg, W0))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        want.append(float(loss))
        want_parts.append(avg)
    # Every loss part (each >= 0) within TRAJ_TOL relative; the signed total (GA/GD cross
    # zero) within TRAJ_TOL * max(1, |loss|).
    errs = [abs(a - b) / max(1.0, abs(b)) for a, b in zip(res["loss"], want)]
    for got_p, want_p in zip(res["step_parts"], want_parts):
        errs += [abs(a - b) / abs(b) for a, b in zip(got_p, want_p) if b != 0.0]
    good = len(res["loss"]) == steps and max(errs) <= TRAJ_TOL
    print("%s %s: losses %s vs %s, max rel err %.2e%s"
          % (fam, json.dumps(obj), ["%.6f" % x for x in res["loss"]],
             ["%.6f" % x for x in want], max(errs), "" if good else "  FAIL"))
    return good


def fd_case(fam, work, seed):
    """Central differences on a few elements of every tensor kind, float64."""
    cfg = dict(FAMILIES[fam])
    W = tc.make_model(os.path.join(work, "fd_" + fam), cfg, seed)
    W0 = {k: v.detach().clone() for k, v in W.items()}
    gen = torch.Generator().manual_seed(seed + 3)
    micro = micro_batches(gen, vocab(cfg), 1, B=2)
    ok = True
    for obj in (OBJECTIVES[5], OBJECTIVES[7]):
        spec = dict(obj, T=T, micro=micro)
        for v in W.values():
            v.grad = None
        loss = tc.objective(cfg, W, spec, micro, ref_nll_fn(cfg, W0))[0]
        loss.backward()
        worst = 0.0
        with torch.no_grad():
            for name, v in W.items():
                flat = v.view(-1)
                idx = torch.randint(0, flat.numel(), (2,), generator=gen).tolist()
                for j in idx:
                    h = 1e-5
                    old = float(flat[j])
                    flat[j] = old + h
                    lp = float(tc.objective(cfg, W, spec, micro, ref_nll_fn(cfg, W0))[0])
                    flat[j] = old - h
                    lm = float(tc.objective(cfg, W, spec, micro, ref_nll_fn(cfg, W0))[0])
                    flat[j] = old
                    fd = (lp - lm) / (2 * h)
                    an = float(v.grad.view(-1)[j])
                    err = abs(fd - an) / max(abs(an), 1e-3)
                    worst = max(worst, err)
        good = worst <= 1e-5
        ok = ok and good
        print("fd %s %s: worst |fd - autograd| / max(|autograd|, 1e-3) = %.2e%s"
              % (fam, json.dumps(obj), worst, "" if good else "  FAIL"))
    return ok


def main():
    work = os.path.join(os.environ.get("LB_WORK", "/tmp/lb_train_work"), "train_grad")
    os.makedirs(work, exist_ok=True)
    torch.set_num_threads(1)
    group = sys.argv[1]
    if group in ("grads_llama", "grads_phi", "grads_gpt2"):
        ok = grads_case(group[6:], work, OBJECTIVES, 11)
    elif group == "grads_variants":
        ok = all([grads_case(f, work, [OBJECTIVES[i]], 20 + i)
                  for f, i in (("qwen2_tied", 7), ("gpt2_untied_gelu", 5),
                               ("phi_gqa_tied", 3), ("mistral_window", 6))])
    elif group in ("grads_bf16", "grads_f16"):
        dt = group[6:].upper()
        ok = all([grads_case(f, work, [OBJECTIVES[1], OBJECTIVES[7]], 50 + i, dt)
                  for i, f in enumerate(("llama", "phi", "gpt2", "phi_gqa_tied"))])
    elif group == "adamw":
        ok = all([adamw_case("llama", OBJECTIVES[5], work, 31),
                  adamw_case("phi", OBJECTIVES[7], work, 32),
                  adamw_case("gpt2", OBJECTIVES[1], work, 33)])
    elif group == "fd":
        ok = all([fd_case(f, work, 40) for f in ("llama", "phi", "gpt2")])
    else:
        sys.exit("unknown group " + group)
    if not ok:
        print("FAILED")
        sys.exit(1)


if __name__ == "__main__":
    main()
