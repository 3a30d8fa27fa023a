#!/usr/bin/python3
"""Training benchmark: one step (forward + backward + AdamW, clipping) of
leakbound vs PyTorch on a GPT-2-124M-shaped and a Llama-shaped checkpoint of similar size at
B = 4, T = 64, same machine, same threads, same run; FLOP utilisation 6 * params * tokens / step
time against the sgemm rate measured in the same run (bench/model/sgemm.c at M = B*T).

usage: /usr/bin/python3 bench/train/run.py [--build build] [--threads 2] [--rounds 2]
                                           [--batch 4 --seq 64 --steps 3] [--no-update]
Builds bench_train.c against <build>/libleakbound.a (OpenBLAS linked before GSL's cblas),
writes the checkpoints into bench/work/ if absent, runs sgemm, ours and PyTorch ROUNDS times
interleaved and keeps each one's best. Replaces the `train` section of bench/RESULTS.md.
"""
import argparse
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import benchlib  # noqa: E402
from benchlib import sh  # noqa: E402


def build(build_dir, out):
    return benchlib.build(build_dir, out, os.path.join(HERE, "bench_train.c"), "bench_train")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--seq", type=int, default=64)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--no-update", action="store_true")
    a = ap.parse_args()
    work = os.path.join(ROOT, "bench", "work")
    models = {"GPT-2-124M": os.path.join(work, "gpt2-124m"),
              "Llama-125M (GQA 12/4, SwiGLU 2048, V 32000)": os.path.join(work, "llama-125m")}
    if not os.path.exists(os.path.join(models["GPT-2-124M"], "model.safetensors")):
        sh(["/usr/bin/python3", os.path.join(ROOT, "bench", "model", "make_gpt2.py"),
            models["GPT-2-124M"]])
    llama = models["Llama-125M (GQA 12/4, SwiGLU 2048, V 32000)"]
    if not os.path.exists(os.path.join(llama, "model.safetensors")):
        sh(["/usr/bin/python3", os.path.join(HERE, "make_llama.py"), llama])
    tmp = tempfile.mkdtemp(prefix="lb_bench_train_")
    sg, lb = build(a.build, tmp)
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads), OPENBLAS_NUM_THREADS=str(a.threads))
    args = [str(x) for x in (a.batch, a.seq, a.steps)]
    best, loads, torch_v = {}, [], "?"
    for r in range(a.rounds):
        loads.append(os.getloadavg()[0])
        res = json.loads(sh([sg, str(a.batch * a.seq)], env).strip().splitlines()[-1])
        best["sgemm"] = max(best.get("sgemm", 0), res["gflops_nn"], res["gflops_nt"])
        for name, folder in models.items():
            for who, cmd in (("ours", [lb, folder, *args]),
                             ("torch", ["/usr/bin/python3", os.path.join(HERE, "torch_train.py"),
                                        folder, *args])):
                res = json.loads(sh(cmd, env).strip().splitlines()[-1])
                print(f"round {r + 1} {name} {who}: {res}", file=sys.stderr)
                torch_v = res.get("torch", torch_v)
                k = (name, who)
                if k not in best or res["step_s"] < best[k]["step_s"]:
                    best[k] = res
    cpu = "?"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    tokens = a.batch * a.seq
    cmd = (f"/usr/bin/python3 bench/train/run.py --build {os.path.relpath(a.build, ROOT)} "
           f"--threads {a.threads} --rounds {a.rounds} --batch {a.batch} --seq {a.seq} "
           f"--steps {a.steps}")
    rows = []
    for name in models:
        o, t = best[(name, "ours")], best[(name, "torch")]
        flops = 6.0 * o["params"] * tokens
        rows.append(f"| {name} | {o['params'] / 1e6:.1f} M | {o['step_s']:.3f} | "
                    f"{t['step_s']:.3f} | {o['step_s'] / t['step_s']:.2f}x | "
                    f"{flops / o['step_s'] / 1e9:.1f} ({100 * flops / o['step_s'] / 1e9 / best['sgemm']:.0f}%) | "
                    f"{flops / t['step_s'] / 1e9:.1f} ({100 * flops / t['step_s'] / 1e9 / best['sgemm']:.0f}%) |")
    md = f"""## Training step: forward + backward + AdamW, fp32 (`bench/train/`)

Command: `{cmd}`
Machine: {cpu}, {os.cpu_count()} cores, {a.threads} threads for everyone (OMP_NUM_THREADS /
OPENBLAS_NUM_THREADS / torch.set_num_threads); load average at the rounds' starts:
{', '.join(f'{x:.1f}' for x in loads)} (shared machine; best step of {a.steps} after a warm-up,
best of {a.rounds} rounds). Peer: PyTorch {torch_v} (Debian, OpenBLAS), the same models written
batched as modeling_gpt2.py / modeling_llama.py (eager attention), torch.optim.AdamW,
clip_grad_norm_(1.0). Batch {a.batch} x {a.seq} tokens, every position supervised.

| model | params | leakbound step (s) | PyTorch step (s) | ours / PyTorch (goal <= 1.0x) | leakbound GFLOP/s (vs sgemm) | PyTorch GFLOP/s (vs sgemm) |
|---|---:|---:|---:|---:|---:|---:|
{chr(10).join(rows)}

FLOPs per step: 6 x params x tokens (forward 2, backward 4; attention not counted). sgemm
(OpenBLAS, {a.threads} threads) on one GPT-2 layer's GEMM shapes at M = {tokens}:
{best['sgemm']:.1f} GFLOP/s, the utilisation's denominator.
"""
    print(md)
    if not a.no_update:
        f = os.path.join(tmp, "train.md")
        with open(f, "w") as fh:
            fh.write(md)
        sh(["/usr/bin/python3", os.path.join(ROOT, "bench", "update_results.py"), "train", f])


if __name__ == "__main__":
    main()
