#!/usr/bin/python3
"""leakbound's sampler against its peers in one run, interleaved round by round, on a quiet
machine or beside one busy competing process:
  leakbound   bench_sampler.c: the batched sampler (prefill once, n rows forked off its KV cache)
  torch_kv    torch_sampler_kv.py: the competent PyTorch peer (prefill once, shared prompt K/V,
              preallocated per-sample cache, one addmm per projection, top-k from topk())
  llamacpp    llama.cpp through node-llama-cpp (bench/sampler/llamacpp: `npm ci` there first),
              n parallel sequences on the same weights as GGUF f32 (optional: --llamacpp)
Workload: one PROMPT-token prompt, n samples x NEW tokens, T = 1, top-k 50, THREADS threads each
(OMP_WAIT_POLICY=passive for all), a GPT-2-124M-shaped random checkpoint
(bench/model/make_gpt2.py). Loading is not timed for any engine.

usage: /usr/bin/python3 bench/sampler/peers.py --model DIR [--build build] [--n 128,1024]
         [--new 64] [--prompt 32] [--threads 2] [--rounds 2] [--busy] [--llamacpp]
         [--llamacpp-max-n 128] [--torch-chunk 128] [--no-update]
--busy runs `yes > /dev/null` (one process keeping one core busy) for the whole run. The section
`sampler-peers-quiet` or `sampler-peers-busy` of bench/RESULTS.md is replaced."""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import run as srun  # noqa: E402  (build, tokenizer, GGUF export)


def once(cmd, env, timeout=None):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{p.stderr}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--build", default="build")
    ap.add_argument("--n", default="128,1024")
    ap.add_argument("--new", type=int, default=64)
    ap.add_argument("--prompt", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--busy", action="store_true")
    ap.add_argument("--torch-chunk", type=int, default=128,
                    help="the PyTorch peer decodes at most this many rows at once (default 128)")
    ap.add_argument("--llamacpp", action="store_true")
    ap.add_argument("--llamacpp-max-n", type=int, default=128)
    ap.add_argument("--no-update", action="store_true")
    ap.add_argument("--section", default=None,
                    help="RESULTS.md section to replace (default sampler-peers-quiet/-busy)")
    a = ap.parse_args()
    ns = [int(x) for x in a.n.split(",")]
    tmp = tempfile.mkdtemp()
    _, lb = srun.build(a.build, tmp)
    tok = srun.tokenizer_path()
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads), OPENBLAS_NUM_THREADS=str(a.threads),
               OMP_WAIT_POLICY="passive")
    gguf = srun.gguf_path(a.model) if a.llamacpp else None
    comp = subprocess.Popen("exec yes > /dev/null", shell=True) if a.busy else None
    res, loads = {}, []
    try:
        for r in range(a.rounds):
            for n in ns:
                loads.append(os.getloadavg()[0])
                engines = {
                    "leakbound": [lb, a.model, tok, str(n), str(a.new), str(n), str(a.prompt)],
                    "torch_kv": ["/usr/bin/python3", os.path.join(HERE, "torch_sampler_kv.py"),
                                 a.model, str(n), str(a.new), str(a.prompt), str(a.torch_chunk)],
                }
                if a.llamacpp and n <= a.llamacpp_max_n:
                    engines["llamacpp"] = ["node", os.path.join(HERE, "llamacpp", "sample.mjs"),
                                           "bench", gguf, str(n), str(a.new), str(a.prompt),
                                           str(a.threads)]
                for name, cmd in engines.items():
                    out = once(cmd, env)
                    res.setdefault((n, name), []).append(out["tok_s"])
                    print(f"round {r + 1} n={n} {name}: {out}", file=sys.stderr, flush=True)
    finally:
        if comp:
            comp.kill()
            comp.wait()
    loads.append(os.getloadavg()[0])
    cond = "busy" if a.busy else "quiet"
    cmd = (f"/usr/bin/python3 bench/sampler/peers.py --model {a.model} --build {a.build} --n {a.n} "
           f"--new {a.new} --prompt {a.prompt} --threads {a.threads} --rounds {a.rounds}"
           + (" --busy" if a.busy else "") + (" --llamacpp" if a.llamacpp else "")
           + f" --torch-chunk {a.torch_chunk}"
           + (f" --section {a.section}" if a.section else ""))
    md = [f"### {'Beside one busy process (`yes > /dev/null`)' if a.busy else 'Quiet machine'}", "",
          f"Command: `{cmd}`; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
          f"load averages before each measurement and at the end: "
          + ", ".join(f"{x:.1f}" for x in loads) + ".", "",
          "| n | engine | tokens/s per round | best | leakbound / engine (best) |",
          "|---:|---|---|---:|---:|"]
    for n in ns:
        base = max(res[(n, "leakbound")])
        for name in ("leakbound", "torch_kv", "llamacpp"):
            if (n, name) not in res:
                continue
            v = res[(n, name)]
            md.append(f"| {n:,} | {name} | {', '.join(f'{x:.1f}' for x in v)} | {max(v):.1f} | "
                      + ("1.00" if name == "leakbound" else f"**{base / max(v):.2f}x**") + " |")
    print("\n".join(md))
    if not a.no_update:
        with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False, encoding="utf-8") as f:
            f.write("\n".join(md) + "\n")
        subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "bench", "update_results.py"),
                        a.section or f"sampler-peers-{cond}", f.name], check=True)
        os.unlink(f.name)


if __name__ == "__main__":
    main()
