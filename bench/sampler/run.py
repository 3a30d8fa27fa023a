#!/usr/bin/python3
"""Sampler benchmark: many samples of one prompt on a GPT-2-124M-shaped random
checkpoint (fp32), all in the same run on the same weights and threads:
  (a) leakbound's batched sampler (prefill once, forked continuations decoded as one batch);
  (b) the same engine one sequence at a time (--batch 1; fewer samples, its rate is flat);
  (c) PyTorch (Debian torch) batched with a KV cache, as HF generate(num_return_sequences=N);
  and the OpenBLAS sgemm rate on the layer's GEMM shapes at M = batch, for FLOP utilisation.
With --llamacpp also (d): llama.cpp through node-llama-cpp@3.21.1 (bench/sampler/llamacpp/, `npm ci`
there first) on the same weights exported to GGUF f32 (export_gguf.py), N parallel sequences,
measured right after a fresh (a) run at the same n so their ratio comes from one run. With
--replay LOG --llamacpp, only that (a)/(d) pair is measured; the other rows come from LOG.

usage: /usr/bin/python3 bench/sampler/run.py [--build build] [--threads 2] [--n 1024]
         [--n-single 4] [--new 64] [--prompt 32] [--batch 256] [--rounds 1] [--no-update]
         [--replay LOG] [--llamacpp]
Replaces the `sampler` section of bench/RESULTS.md. The per-run measurements go to stderr as
"round R NAME: {...}" lines; --replay LOG re-renders the section from such a log (same flags
as the run that wrote it) without measuring again.
"""
import ast
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import benchlib  # noqa: E402
from benchlib import sh  # noqa: E402


def build(build_dir, out):
    return benchlib.build(build_dir, out, os.path.join(HERE, "bench_sampler.c"), "bench_sampler")


def tokenizer_path():
    """GPT-2's tokenizer.json when the tokenizer benchmark has fetched it, else a byte-level
    one (decoding cost only; the ids the model samples are the same either way)."""
    p = os.path.join(ROOT, "bench", "work", "tokenizers", "gpt2.json")
    if os.path.exists(p):
        return p
    sys.path.insert(0, os.path.join(ROOT, "tests", "oracle"))
    import sample_common
    d = os.path.join(ROOT, "bench", "work", "sampler-tokenizer")
    os.makedirs(d, exist_ok=True)
    sample_common.write_byte_tokenizer(d)
    return os.path.join(d, "tokenizer.json")


def flops_per_token(cfg, ctx):
    """Matmul FLOPs of one decode token at context ctx: four GEMMs per layer, attention scores
    and weighted sum, the tied head."""
    D, L, V = cfg["n_embd"], cfg["n_layer"], cfg["vocab_size"]
    return 2 * L * 12 * D * D + 2 * 2 * L * D * ctx + 2 * D * V


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--n", type=int, default=1024)
    ap.add_argument("--n-single", type=int, default=4)
    ap.add_argument("--new", type=int, default=64)
    ap.add_argument("--prompt", type=int, default=32)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--no-update", action="store_true")
    ap.add_argument("--replay")
    ap.add_argument("--llamacpp", action="store_true")
    ap.add_argument("--llamacpp-timeout", type=float, default=1800,
                    help="seconds after which (d) is stopped and reported as a bound")
    a = ap.parse_args()
    model = os.path.join(ROOT, "bench", "work", "gpt2-124m")
    if not os.path.exists(os.path.join(model, "model.safetensors")):
        sh(["/usr/bin/python3", os.path.join(ROOT, "bench", "model", "make_gpt2.py"), model])
    tmp = tempfile.mkdtemp(prefix="lb_bench_sampler_")
    batch = min(a.batch, a.n)
    if a.replay:
        measured = []
        for line in open(a.replay):
            if line.startswith("round ") and ": {" in line:
                head, res = line.split(": ", 1)
                _, r, name = head.split()
                measured.append((int(r), name, ast.literal_eval(res.strip()), None))
            elif line.startswith(("load ", "load_d ")):
                measured.append((0, line.split()[0], None, float(line.split()[1])))
    else:
        measured = measure(a, model, tmp, batch)
    if a.llamacpp and a.replay and not any(n == "llamacpp" for _, n, _, _ in measured):
        measured += measure(a, model, tmp, batch, only_d=True)
    render(a, model, tmp, batch, measured)


def gguf_path(model):
    """The checkpoint as GGUF f32 for (d), exported once next to it."""
    g = model.rstrip("/") + ".gguf"
    st = os.path.join(model, "model.safetensors")
    if not os.path.exists(g) or os.path.getmtime(g) < os.path.getmtime(st):
        tj = os.path.join(ROOT, "bench", "work", "tokenizers", "gpt2.json")
        if not os.path.exists(tj):
            sys.exit(f"(d) needs GPT-2's tokenizer.json at {tj} for the GGUF vocabulary")
        sh(["/usr/bin/python3", os.path.join(HERE, "export_gguf.py"), model, tj, g])
    return g


def measure(a, model, tmp, batch, only_d=False):
    tok = tokenizer_path()
    sg, lb = build(a.build, tmp)
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads), OPENBLAS_NUM_THREADS=str(a.threads))
    out = []
    d_runs = {}
    if a.llamacpp:
        d_runs = {
            "ours_d": [lb, model, tok, str(a.n), str(a.new), str(batch), str(a.prompt)],
            "llamacpp": ["node", os.path.join(HERE, "llamacpp", "sample.mjs"), "bench", gguf_path(model),
                         str(a.n), str(a.new), str(a.prompt), str(a.threads)],
        }
    runs = {
        "sgemm": [sg, str(batch)],
        "ours": [lb, model, tok, str(a.n), str(a.new), str(batch), str(a.prompt)],
        "single": [lb, model, tok, str(a.n_single), str(a.new), "1", str(a.prompt)],
        "torch": ["/usr/bin/python3", os.path.join(HERE, "torch_sampler.py"), model, str(a.n),
                  str(a.new), str(a.prompt)],
    }
    if only_d:
        runs = {}
    runs.update(d_runs)
    for r in range(a.rounds):
        load = os.getloadavg()[0]
        print(f"{'load_d' if only_d else 'load'} {load}", file=sys.stderr)
        out.append((0, "load_d" if only_d else "load", None, load))
        for name, cmd in runs.items():
            if name == "llamacpp":
                try:
                    p = subprocess.run(cmd, capture_output=True, text=True, env=env,
                                       timeout=a.llamacpp_timeout)
                except subprocess.TimeoutExpired:
                    res = {"timed_out_s": a.llamacpp_timeout, "tokens": a.n * a.new}
                else:
                    if p.returncode != 0:
                        sys.exit(f"{' '.join(cmd)} failed:\n{p.stderr}")
                    res = json.loads(p.stdout.strip().splitlines()[-1])
                print(f"round {r + 1} {name}: {res}", file=sys.stderr)
                out.append((r + 1, name, res, None))
                continue
            res = json.loads(sh(cmd, env).strip().splitlines()[-1])
            print(f"round {r + 1} {name}: {res}", file=sys.stderr)
            out.append((r + 1, name, res, None))
    return out


def render(a, model, tmp, batch, measured):
    best, loads, loads_d = {}, [], []
    for r, name, res, load in measured:
        if name in ("load", "load_d"):
            (loads if name == "load" else loads_d).append(load)
            continue
        if name == "sgemm":
            b = best.setdefault(name, dict(res))
            for k in ("gflops_nn", "gflops_nt"):
                b[k] = max(b[k], res[k])
        elif name == "llamacpp" and "timed_out_s" in res:
            if name not in best:
                best[name] = res
        elif name not in best or "timed_out_s" in best[name] or res["tok_s"] > best[name]["tok_s"]:
            best[name] = res
    cfg = json.load(open(os.path.join(model, "config.json")))
    fpt = flops_per_token(cfg, a.prompt + a.new / 2)
    sgemm = max(best["sgemm"]["gflops_nn"], best["sgemm"]["gflops_nt"])
    o, s, t = best["ours"], best["single"], best["torch"]
    util = lambda x: fpt * x["tok_s"] / 1e9 / sgemm * 100  # noqa: E731
    cpu = "?"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    replayed = (f" (measurements logged to `{os.path.relpath(a.replay, ROOT)}`, this section "
                f"rendered from it with `--replay`)") if a.replay else ""
    reduced = "" if a.n >= 1024 else (
        f"\nn is reduced from the issue's 1,024 to {a.n}: on this shared 2-core machine the PyTorch peer\n"
        f"alone runs for tens of minutes at n = {a.n}.")
    cmd = (f"/usr/bin/python3 bench/sampler/run.py --build {os.path.relpath(a.build, ROOT)} "
           f"--threads {a.threads} --n {a.n} --n-single {a.n_single} --new {a.new} "
           f"--prompt {a.prompt} --batch {a.batch} --rounds {a.rounds}")
    md = f"""## Sampler: many samples of one prompt, GPT-2-124M shape, fp32 (`bench/sampler/`)

Command: `{cmd}`{replayed}
Machine: {cpu}, {os.cpu_count()} cores, {a.threads} threads for everyone; load average at the
start of each round: {", ".join(f"{x:.1f}" for x in loads)} (the machine is shared: absolute
rates move with it, the ratios of one run less so).
Workload: one prompt of {a.prompt} tokens, n = {a.n} samples x {a.new} new tokens (no EOS, T = 1,
top-k 50), random GPT-2-124M-shaped weights (`bench/model/make_gpt2.py`).{reduced}

| | tokens/s | seconds | vs (a) | FLOP utilisation vs sgemm |
|---|---:|---:|---:|---:|
| (a) leakbound sampler, batch {batch}, n = {a.n} | {o['tok_s']:.1f} | {o['seconds']:.1f} | 1.00 | {util(o):.0f}% |
| (b) same engine, one sequence at a time, n = {a.n_single} | {s['tok_s']:.1f} | {s['seconds']:.1f} | {s['tok_s'] / o['tok_s']:.3f} | {util(s):.0f}% |
| (c) PyTorch {t['torch']}, batched + KV cache (HF generate style), n = {a.n} | {t['tok_s']:.1f} | {t['seconds']:.1f} | {t['tok_s'] / o['tok_s']:.3f} | {util(t):.0f}% |

- (a) / (b) = **{o['tok_s'] / s['tok_s']:.1f}x** (goal >= 5x); (a) / (c) = **{o['tok_s'] / t['tok_s']:.2f}x**
  (goal >= 2x).
- FLOP utilisation: {fpt / 1e9:.3f} GFLOP per generated token (GEMMs, attention at the mean
  context {a.prompt + a.new / 2:.0f}, head) x tokens/s, over the OpenBLAS sgemm rate measured in
  this run on one layer's GEMM shapes at M = {batch}: {sgemm:.1f} GFLOP/s.
- (b) runs fewer samples: one sequence at a time costs the same per token whatever n is (each
  step streams all weights once), so its rate extrapolates; the full n would take
  ~{a.n * a.new / s['tok_s'] / 60:.0f} minutes.
- (c) prefills the prompt n times (generate expands the inputs before the first forward); (a)
  prefills it once and forks the n sequences off its KV cache.
"""
    if "llamacpp" in best and "timed_out_s" in best["llamacpp"]:
        od, d = best["ours_d"], best["llamacpp"]
        dcmd = cmd + " --llamacpp" + (f" --replay {os.path.relpath(a.replay, ROOT)}" if a.replay else "")
        bound = d["tokens"] / d["timed_out_s"]
        md += f"""
### (d) llama.cpp, node-llama-cpp@3.21.1, measured in the same run as a fresh (a)

Command: `{dcmd}` (bench/sampler/llamacpp: `npm ci` first; weights exported by
`bench/sampler/export_gguf.py` to GGUF f32). Load average at the start:
{", ".join(f"{x:.1f}" for x in (loads_d or loads))}.

| | tokens/s | seconds | vs (a) |
|---|---:|---:|---:|
| (a) leakbound sampler, batch {batch}, n = {a.n} (same run as (d)) | {od['tok_s']:.1f} | {od['seconds']:.1f} | 1.00 |
| (d) llama.cpp via node-llama-cpp 3.21.1, {a.n} parallel sequences, n = {a.n} | < {bound:.1f} | > {d['timed_out_s']:.0f} (stopped) | < {bound / od['tok_s']:.3f} |

- (d) had not finished its {d['tokens']} tokens after {d['timed_out_s']:.0f} s and was stopped, so its rate is below
  {bound:.1f} tokens/s and (a) / (d) > **{od['tok_s'] / bound:.1f}x** (goal >= 1x).
- (d) setup: one context with `sequences: {a.n}`, batch size {max(512, a.n)}, {a.threads} threads, flash
  attention on, KV cache f16 (node-llama-cpp's default), T = 1, top-k 50, top-p 1, min-p 0, EOS
  yielded and generation continued; each sequence prefills the prompt itself (node-llama-cpp
  cannot fork a KV cache). At n = 16 x 16 new tokens the same script ran at ~58 tokens/s; without
  flash attention it was ~30x slower, since llama.cpp's CPU attention then visits every cell of
  the shared KV cache (all sequences, masked) for every token.
- GGUF check: greedy ids of "The quick brown fox jumps over the lazy dog" from
  `leakbound generate --greedy --ids` and from llama.cpp on the GGUF agree for 16 of 16 tokens;
  for a second prompt they part at token 2, where PyTorch's top-2 logits differ by 0.0008
  (random weights make near ties; llama.cpp keeps K/V in f16).
"""
    elif "llamacpp" in best:
        od, d = best["ours_d"], best["llamacpp"]
        dcmd = cmd + " --llamacpp" + (f" --replay {os.path.relpath(a.replay, ROOT)}" if a.replay else "")
        md += f"""
### (d) llama.cpp, node-llama-cpp@3.21.1, measured in the same run as a fresh (a)

Command: `{dcmd}` (bench/sampler/llamacpp: `npm ci` first; weights exported by
`bench/sampler/export_gguf.py` to GGUF f32). Load average at the start:
{", ".join(f"{x:.1f}" for x in (loads_d or loads))}.

| | tokens/s | seconds | vs (a) |
|---|---:|---:|---:|
| (a) leakbound sampler, batch {batch}, n = {a.n} (same run as (d)) | {od['tok_s']:.1f} | {od['seconds']:.1f} | 1.00 |
| (d) llama.cpp (tag {d['llama_cpp']}) via node-llama-cpp {d['node_llama_cpp']}, {d['sequences']} parallel sequences, n = {a.n} | {d['tok_s']:.1f} | {d['seconds']:.1f} | {d['tok_s'] / od['tok_s']:.3f} |

(No FLOP utilisation here: the sgemm rate above was measured at another load. Absolute rates
differ from the table above with the machine's load; compare (d) only with this (a).)

- (a) / (d) = **{od['tok_s'] / d['tok_s']:.2f}x** (goal >= 1x). The llama.cpp tag is the one
  node-llama-cpp's prebuilt binaries record (`llama/llama.cpp.info.json`); they ran on the CPU.
- (d): one context with `sequences: {d['sequences']}`, batch size {d['batch_size']}, {d['threads']} threads,
  flash attention on, KV cache f16 (node-llama-cpp's default); all sequences evaluate
  concurrently so their tokens share each llama_decode; T = 1, top-k 50, top-p 1, min-p 0 (the
  sampler of (a)); EOS is yielded and generation goes on, so every sequence makes {a.new} tokens.
  node-llama-cpp cannot fork a KV cache, so each sequence prefills the {a.prompt}-token prompt itself
  (as (c) does). Without flash attention llama.cpp's CPU attention visits every cell of the shared
  KV cache for every token (all sequences, masked): ~30x slower at n = 16 here.
- GGUF check: greedy ids of "The quick brown fox jumps over the lazy dog" from
  `leakbound generate --greedy --ids` and from llama.cpp on the GGUF agree for 16 of 16 tokens;
  for a second prompt they part at token 2, where PyTorch's top-2 logits differ by 0.0008
  (random weights make near ties; llama.cpp keeps K/V in f16).
"""
    else:
        md += """- (d) llama.cpp via node-llama-cpp@3.21.1: not measured in this run (`--llamacpp`).
"""
    print(md)
    if not a.no_update:
        path = os.path.join(tmp, "sampler.md")
        with open(path, "w") as f:
            f.write(md)
        sh(["/usr/bin/python3", os.path.join(ROOT, "bench", "update_results.py"), "sampler", path])


if __name__ == "__main__":
    main()
