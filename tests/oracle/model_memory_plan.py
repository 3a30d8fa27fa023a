#!/usr/bin/python3
"""Memory plan: `inspect` and `sample` state the planned memory, and `sample`, `generate`,
`finetune` and `unlearn` refuse a plan above the memory available, before allocating it.

A 1-layer Llama made by `leakbound init`, its config set to 2^21 positions (RoPE: no position table, so the
weights stay tiny) needs 256 bytes of KV cache per token; sampling 1,000 answers per question
with up to 2,000,000 new tokens and --kv-budget 100000G plans terabytes of KV cache: refused
with exit 1, a message naming the plan and the available memory, and no output file. The same
model with 8 new tokens prints its plan and runs. inspect --json's plan is checked against the
config: KV bytes per token = 2 x layers x kv heads x head dim x 4, the full-context KV = that x
positions, mapped weights = the safetensors' matrix bytes (F32 used in place, not copied).
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

CLI = os.environ["LB_CLI"]
SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT = os.path.join(SRC, "examples", "default")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def matrix_bytes(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        hdr = json.loads(f.read(n))
    return sum(v["data_offsets"][1] - v["data_offsets"][0] for k, v in hdr.items()
               if k != "__metadata__" and len(v["shape"]) == 2)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        model = os.path.join(tmp, "m")
        r = subprocess.run([CLI, "init", "--arch", "llama", "--size", "L1-D64-H4-KV2-I128-T256",
                            "--tokenizer", os.path.join(DEFAULT, "model", "tokenizer.json"),
                            "--out", model], capture_output=True, text=True)
        check(r.returncode == 0, f"init: {r.stderr}")
        cpath = os.path.join(model, "config.json")
        cfg = json.load(open(cpath))
        cfg["max_position_embeddings"] = 1 << 21   # RoPE: no tensor depends on it
        json.dump(cfg, open(cpath, "w"))
        r = subprocess.run([CLI, "inspect", "--model", model, "--json"], capture_output=True,
                           text=True)
        check(r.returncode == 0, f"inspect: {r.stderr}")
        plan = json.loads(r.stdout)["memory_plan"]
        cfg = json.load(open(os.path.join(model, "config.json")))
        hd = cfg["hidden_size"] // cfg["num_attention_heads"]
        per_tok = 2 * cfg["num_hidden_layers"] * cfg["num_key_value_heads"] * hd * 4
        check(plan["kv_bytes_per_token"] == per_tok, f"KV per token {plan['kv_bytes_per_token']}"
              f" != {per_tok}")
        check(plan["kv_bytes_full_context"] == per_tok * cfg["max_position_embeddings"],
              "KV at the full context")
        check(plan["weights_mapped_bytes"] == matrix_bytes(os.path.join(model, "model.safetensors")),
              f"mapped weights {plan['weights_mapped_bytes']} != the file's matrices")
        check(plan["weights_copied_bytes"] < plan["weights_mapped_bytes"] // 10,
              "F32 matrices are not copied")
        want_fits = (plan["total_bytes"] <= plan["available_bytes"]
                     if plan["available_bytes"] > 0 else None)
        check("fits" in plan and plan["fits"] == want_fits,
              f"memory_plan.fits {plan.get('fits', 'missing')} != {want_fits}")
        r = subprocess.run([CLI, "inspect", "--model", model], capture_output=True, text=True)
        check("memory plan:" in r.stdout, "inspect's text shows the memory plan")
        check(("DOES NOT FIT" in r.stdout) == (want_fits is False),
              "inspect's text says DOES NOT FIT exactly when memory_plan.fits is false")

        data = os.path.join(DEFAULT, "forget.jsonl")
        out = os.path.join(tmp, "s.jsonl")
        r = subprocess.run([CLI, "sample", "--model", model, "--data", data, "--limit", "2",
                            "-n", "1000", "--max-new-tokens", "2000000", "--kv-budget",
                            "100000G", "--out", out], capture_output=True, text=True, timeout=60)
        check(r.returncode == 1, f"oversized plan: exit {r.returncode} (want 1): {r.stderr}")
        check("the memory plan needs" in r.stderr and "available" in r.stderr and
              "--kv-budget" in r.stderr, f"oversized plan message: {r.stderr}")
        check(not os.path.exists(out), "nothing written for a refused plan")
        r = subprocess.run([CLI, "sample", "--model", model, "--data", data, "--limit", "2",
                            "-n", "2", "--max-new-tokens", "8", "--out", out],
                           capture_output=True, text=True, timeout=120)
        check(r.returncode == 0, f"small plan runs: {r.stderr}")
        check("memory plan" in r.stderr and "mapped from the file" in r.stderr,
              f"sample prints its plan: {r.stderr}")
        r = subprocess.run([CLI, "sample", "--model", model, "--data", data, "--limit", "2",
                            "-n", "2", "--max-new-tokens", "8", "--out", out, "--quiet"],
                           capture_output=True, text=True, timeout=120)
        check(r.returncode == 0 and r.stderr == "", f"--quiet prints nothing, not even the plan: {r.stderr!r}")
        # generate: the sampler's plan for its one sequence (lb_sampler_mem_plan), checked as
        # sample's. 32 layers x 4 KV heads x 64 x 4 B x 2 = 64 KiB of KV cache per token; the
        # sampler's 2 sequences (batch + prompt in flight) x (2,000,000 new tokens + the
        # prompt's 1 or 2) = 262.14 GB: refused
        # with exit 1 before the cache exists, nothing on stdout; a small request runs.
        deep = os.path.join(tmp, "deep")
        r = subprocess.run([CLI, "init", "--arch", "llama", "--size", "L32-D256-H4-KV4-I128-T256",
                            "--tokenizer", os.path.join(DEFAULT, "model", "tokenizer.json"),
                            "--out", deep], capture_output=True, text=True)
        check(r.returncode == 0, f"init deep: {r.stderr}")
        cpath = os.path.join(deep, "config.json")
        cfg = json.load(open(cpath))
        cfg["max_position_embeddings"] = 1 << 21
        json.dump(cfg, open(cpath, "w"))
        kv = 2 * 32 * 4 * 64 * 4 * 2 * (2000000 + 2)
        r = subprocess.run([CLI, "generate", deep, "--prompt", "hi", "--max-new-tokens", "2000000",
                            "--kv-budget", "100000G"], capture_output=True, text=True, timeout=60)
        check(r.returncode == 1 and r.stdout == "" and
              f"generate: the memory plan needs" in r.stderr and f"KV cache {kv / 1e9:.2f} GB" in r.stderr
              and "available" in r.stderr and "--kv-budget" in r.stderr,
              f"generate oversized plan: exit {r.returncode}: {r.stderr!r} {r.stdout[:80]!r}")
        r = subprocess.run([CLI, "generate", deep, "--prompt", "hi", "--max-new-tokens", "3",
                            "--kv-budget", "64M"], capture_output=True, text=True, timeout=60)
        check(r.returncode == 0 and r.stdout.endswith("\n"), f"generate small plan runs: {r.stderr}")
        r = subprocess.run([CLI, "generate", deep, "--prompt", "hi", "--kv-budget", "lots"],
                           capture_output=True, text=True, timeout=60)
        check(r.returncode == 2 and "--kv-budget" in r.stderr and "lots" in r.stderr,
              f"generate --kv-budget lots: {r.returncode} {r.stderr}")
        # finetune and unlearn: the trainer's plan (weights + its arena for batch x length
        # tokens) through the same check; 64 x 2,000,000 tokens plan petabytes: exit 1 with the
        # plan named, and no output folder.
        for cmd, extra in (("finetune", ["--data", data]),
                           ("unlearn", ["--forget", data, "--method", "ga"])):
            out_dir = os.path.join(tmp, cmd)
            r = subprocess.run([CLI, cmd, "--model", model, "--out", out_dir, "--epochs", "1",
                                "--max-length", "2000000", "--batch-size", "64"] + extra,
                               capture_output=True, text=True, timeout=120)
            check(r.returncode == 1 and "train: batch 64 x length 2000000: the memory plan needs"
                  in r.stderr and "available" in r.stderr and "--batch-size" in r.stderr,
                  f"{cmd} oversized plan: exit {r.returncode}: {r.stderr}")
            check(not os.path.exists(out_dir), f"{cmd}: nothing written for a refused plan")
    if failures:
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
