#!/usr/bin/python3
"""Oracle for `leakbound inspect` and `leakbound generate` on a small random GPT-2 checkpoint.

- The checkpoint (config.json + safetensors, HF layout) and a byte-level BPE tokenizer.json are
  written here; the model's reference is model_ref.py (PyTorch, float64, whole-sequence forward).
- generate --greedy --ids must give the reference's greedy ids (compared up to the first step
  whose top-2 margin is too small to decide in fp32); EOS from generation_config.json (a list)
  stops generation after the EOS token; --top-k 1 sampling equals greedy; a seed repeats.
- Streamed text must equal decode(ids) computed here (bytes of the byte-level tokens, UTF-8
  decoded with replacement, the special token skipped), so held-back partial UTF-8 characters
  are checked; the random model emits plenty of invalid UTF-8.
- generate --seed S --id ID equals `sample -n 1 --seed S` of the question PROMPT with id ID
  (text and token count; three seeds/keys, the default key "0" included; and on a BF16 file),
  and --greedy equals
  sample's greedy answer: one sampler, one Philox key.
- inspect --json reports the config's sizes and the parameter count summed from the file.
- Broken folders give exit 2 and a message naming the file.
"""
import json
import os
import shutil
import subprocess
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model_ref  # noqa: E402
from sample_common import bytes_to_unicode  # noqa: E402

CLI = os.environ["LB_CLI"]
WORK = os.path.join(os.environ["LB_WORK"], "cli_inspect_generate")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


MERGES = [(b" ", b"t"), (b"h", b"e"), (b"t", b"h")]
EOT_ID = 259
V = 260


def tokenizer_json():
    bu = bytes_to_unicode()
    enc = lambda bs: "".join(bu[b] for b in bs)  # noqa: E731
    vocab = {enc(bytes([b])): b for b in range(256)}
    for i, (a, b) in enumerate(MERGES):
        vocab[enc(a + b)] = 256 + i
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": EOT_ID, "content": "<|endoftext|>", "single_word": False,
                          "lstrip": False, "rstrip": False, "normalized": True, "special": True}],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                          "use_regex": True},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False,
                           "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                    "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": "", "end_of_word_suffix": "", "fuse_unk": False,
                  "byte_fallback": False, "vocab": vocab,
                  "merges": [enc(a) + " " + enc(b) for a, b in MERGES]},
    }


def decode(ids):
    out = b""
    for i in ids:
        if i < 256:
            out += bytes([i])
        elif i < EOT_ID:
            a, b = MERGES[i - 256]
            out += a + b
    return out.decode("utf-8", errors="replace")


CFG = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": V,
       "n_embd": 32, "n_layer": 2, "n_head": 4, "n_positions": 64, "n_ctx": 64, "n_inner": None,
       "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5, "bos_token_id": EOT_ID,
       "eos_token_id": EOT_ID, "tie_word_embeddings": False}
PROMPT = "abc xyz"            # no merge applies: ids are the bytes
PROMPT_IDS = list(PROMPT.encode())


def make_model(folder, dtype="F32"):
    gen = torch.Generator().manual_seed(5)
    named = model_ref.random_weights(CFG, gen)
    # An untied random head keeps greedy output varied (a tied one repeats the last token).
    file_t, W = model_ref.to_file_dtypes(named, lambda n, t: dtype)
    model_ref.write_checkpoint(folder, CFG, file_t)
    with open(os.path.join(folder, "tokenizer.json"), "w") as f:
        json.dump(tokenizer_json(), f, ensure_ascii=False)
    return file_t, W


def reference_greedy(W, steps):
    ids, out, decided = list(PROMPT_IDS), [], steps
    for s in range(steps):
        logits = model_ref.reference_forward(CFG, W, ids)[-1]
        top = torch.topk(logits, 2).values
        if decided == steps and (top[0] - top[1]) < 1e-4 * logits.abs().max():
            decided = s  # fp32 may legitimately pick the other one from here on
        t = int(torch.argmax(logits))
        out.append(t)
        ids.append(t)
    return out, decided


def run(*args):
    return subprocess.run([CLI, *args], capture_output=True)


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    d = os.path.join(WORK, "gpt2")
    os.makedirs(d)
    file_t, W = make_model(d)
    steps = 40
    ref, decided = reference_greedy(W, steps)
    check(decided >= 20, f"reference greedy undecided from step {decided}")

    p = run("generate", "--model", d, "--prompt", PROMPT, "--greedy", "--max-new-tokens", str(steps), "--ids")
    check(p.returncode == 0, f"generate --ids: rc={p.returncode} {p.stderr!r}")
    got = json.loads(p.stdout) if p.returncode == 0 else []
    check(got[:decided] == ref[:decided], f"greedy ids {got} != reference {ref} (first {decided})")
    check(len(got) == steps or EOT_ID in got, f"greedy stopped early without EOS: {got}")

    p = run("generate", "--model", d, "--prompt", PROMPT, "--greedy", "--max-new-tokens", str(steps))
    check(p.returncode == 0, f"generate text: rc={p.returncode} {p.stderr!r}")
    text = p.stdout.decode("utf-8", errors="strict")
    check(text == decode(got) + "\n", f"streamed text {text!r} != decode {decode(got)!r}")
    check(len(set(got)) > 5 and any(i >= 128 for i in got), f"greedy output too plain to test streaming: {got}")

    # EOS from generation_config.json (a list, overriding config.json's).
    stop_at = min(5, decided - 1)
    eos = ref[stop_at]
    with open(os.path.join(d, "generation_config.json"), "w") as f:
        json.dump({"eos_token_id": [EOT_ID, eos], "max_new_tokens": 30}, f)
    p = run("generate", "--model", d, "--prompt", PROMPT, "--greedy", "--ids")
    want = ref[:ref.index(eos) + 1]
    check(p.returncode == 0 and json.loads(p.stdout) == want,
          f"EOS stop: got {p.stdout!r} want {want} ({p.stderr!r})")
    # max_new_tokens from generation_config.json, with no EOS hit.
    with open(os.path.join(d, "generation_config.json"), "w") as f:
        json.dump({"eos_token_id": EOT_ID, "max_new_tokens": 7}, f)
    p = run("generate", "--model", d, "--prompt", PROMPT, "--greedy", "--ids")
    check(p.returncode == 0 and json.loads(p.stdout) == ref[:7] if decided >= 7 else True,
          f"generation_config max_new_tokens: {p.stdout!r}")
    os.remove(os.path.join(d, "generation_config.json"))

    # Sampling: top-k 1 is greedy; a seed repeats; T and top-p are accepted.
    p = run("generate", "--model", d, "--prompt", PROMPT, "--top-k", "1", "--max-new-tokens", "15",
            "--seed", "3", "--ids")
    check(p.returncode == 0 and json.loads(p.stdout)[:min(15, decided)] == ref[:min(15, decided)],
          f"top-k 1 sampling != greedy: {p.stdout!r} {p.stderr!r}")
    a = run("generate", "--model", d, "--prompt", PROMPT, "--temperature", "1.3", "--top-p", "0.9",
            "--max-new-tokens", "20", "--seed", "11", "--ids")
    b = run("generate", "--model", d, "--prompt", PROMPT, "--temperature", "1.3", "--top-p", "0.9",
            "--max-new-tokens", "20", "--seed", "11", "--ids")
    check(a.returncode == 0 and a.stdout == b.stdout, f"seeded sampling not repeatable: {a.stdout!r} {b.stdout!r}")
    c = run("generate", "--model", d, "--prompt", PROMPT, "--temperature", "1.3", "--top-p", "0.9",
            "--max-new-tokens", "20", "--seed", "11")
    check(c.returncode == 0 and c.stdout.decode() == decode(json.loads(a.stdout)) + "\n",
          f"sampled text {c.stdout!r} != decode of sampled ids")

    # generate draws through the sampler: with --seed S --id ID it gives the text and tokens of
    # `sample -n 1 --seed S` for the question PROMPT with id ID (template raw); --greedy gives
    # sample's greedy answer; without --id, the key is "0", the id of an item without one.
    def sample_one(item, *args, model=d):
        data = os.path.join(WORK, "one.jsonl")
        with open(data, "w") as f:
            f.write(json.dumps(item) + "\n")
        out = os.path.join(WORK, "one_samples.jsonl")
        p = run("sample", "--model", model, "--data", data, "-o", out, "--quiet", *args)
        check(p.returncode == 0, f"sample {args}: rc={p.returncode} {p.stderr!r}")
        with open(out) as f:
            return [json.loads(line) for line in f]
    warp = ["--temperature", "1.5", "--top-k", "0", "--top-p", "0.95", "--max-new-tokens", "24"]
    for seed, key in ((11, "q-7"), (12, "other"), (13, None)):
        item = {"question": PROMPT, "answer": "x"}
        if key is not None:
            item["id"] = key
        rows = sample_one(item, "-n", "1", "--seed", str(seed), *warp)
        gen = ["generate", "--model", d, "--prompt", PROMPT, "--seed", str(seed), *warp]
        if key is not None:
            gen += ["--id", key]
        g_txt = run(*gen)
        g_ids = run(*gen, "--ids")
        check(len(rows) == 1 and g_txt.stdout.decode() == rows[0]["text"] + "\n",
              f"seed {seed} id {key}: generate {g_txt.stdout!r} != sample {rows[0]['text']!r}")
        check(g_ids.returncode == 0 and len(json.loads(g_ids.stdout)) == rows[0]["tokens"] and
              g_txt.stdout.decode() == decode(json.loads(g_ids.stdout)) + "\n",
              f"seed {seed} id {key}: generate ids {g_ids.stdout!r}, sample {rows[0]['tokens']} tokens")
    # A BF16 file: both read its matrices in place (widened inside the GEMM).
    d16 = os.path.join(WORK, "gpt2_bf16")
    os.makedirs(d16)
    make_model(d16, "BF16")
    rows = sample_one({"id": "b", "question": PROMPT, "answer": "x"}, "-n", "1", "--seed", "5",
                      *warp, model=d16)
    g = run("generate", "--model", d16, "--prompt", PROMPT, "--seed", "5", "--id", "b", *warp)
    check(g.returncode == 0 and g.stdout.decode() == rows[0]["text"] + "\n",
          f"BF16: generate {g.stdout!r} != sample {rows[0]['text']!r}")
    rows = sample_one({"id": "g", "question": PROMPT, "answer": "x"}, "-n", "0", "--greedy-too",
                      "--max-new-tokens", "12")
    p = run("generate", "--model", d, "--prompt", PROMPT, "--greedy", "--max-new-tokens", "12")
    check(p.returncode == 0 and p.stdout.decode() == rows[0]["text"] + "\n",
          f"generate --greedy {p.stdout!r} != sample's greedy {rows[0]['text']!r}")
    p = run("generate", "--help")
    check(b"Philox" in p.stdout and b"(seed S, id --id, sample 0, step t)" in p.stdout,
          "generate --help names the Philox key")

    # Streaming across seeds until a valid multi-byte character appears: its lead byte decodes
    # to U+FFFD on its own, so printing eagerly would corrupt the text.
    multibyte = 0
    for seed in range(1, 13):
        args = ["generate", "--model", d, "--prompt", PROMPT, "--temperature", "1.5", "--top-k", "0",
                "--max-new-tokens", "48", "--seed", str(seed)]
        ids = json.loads(run(*args, "--ids").stdout)
        txt = run(*args).stdout.decode()
        check(txt == decode(ids) + "\n", f"seed {seed}: streamed {txt!r} != {decode(ids)!r}")
        multibyte += sum(1 for ch in txt if ord(ch) > 127 and ch != "\ufffd")
    check(multibyte > 0, "no multi-byte character was generated: streaming hold-back untested")

    # Bad usage and bad folders.
    for args in (["--prompt", "x"], ["--model", d, "--prompt", "x", "--top-p", "0"],
                 ["--model", d, "--prompt", "x", "--greedy", "--temperature", "2"],
                 ["--model", d, "--prompt", "x", "--temperature", "-1"]):
        p = run("generate", *args)
        check(p.returncode == 2, f"generate {args}: rc {p.returncode}")
    p = run("generate", "--help")
    check(p.returncode == 0 and b"--top-p" in p.stdout, "generate --help")

    # inspect
    p = run("inspect", "--model", d, "--json")
    check(p.returncode == 0, f"inspect --json: {p.stderr!r}")
    info = json.loads(p.stdout) if p.returncode == 0 else {}
    nparams = sum(t.numel() for _, t in file_t)
    want = {"architecture": "GPT2LMHeadModel", "model_type": "gpt2", "parameters": nparams,
            "dtype": "F32", "tensor_dtypes": {"F32": len(file_t)}, "context_length": 64,
            "layers": 2, "heads": 4, "kv_heads": 4, "head_dim": 8, "hidden_size": 32,
            "intermediate_size": 128, "vocab_size": V, "tie_word_embeddings": False,
            "eos_token_ids": [EOT_ID]}
    for k, v in want.items():
        check(info.get(k) == v, f"inspect {k}: {info.get(k)!r} != {v!r}")
    check("260" in (info.get("tokenizer") or ""), f"inspect tokenizer: {info.get('tokenizer')!r}")
    p = run("inspect", "--model", d)
    check(p.returncode == 0 and b"GPT2LMHeadModel" in p.stdout and str(nparams).encode() in p.stdout,
          f"inspect text: {p.stdout!r}")

    bad = os.path.join(WORK, "broken")
    shutil.copytree(d, bad)
    st = os.path.join(bad, "model.safetensors")
    with open(st, "r+b") as f:
        f.truncate(os.path.getsize(st) - 100)
    for cmd in (["inspect", "--model", bad], ["generate", "--model", bad, "--prompt", "x"]):
        p = run(*cmd)
        check(p.returncode == 2 and b"model.safetensors" in p.stderr and p.stdout == b"",
              f"{cmd[0]} on truncated checkpoint: rc={p.returncode} {p.stderr!r}")
    os.remove(os.path.join(bad, "config.json"))
    p = run("inspect", "--model", bad)
    check(p.returncode == 2 and b"config.json" in p.stderr, f"inspect without config: {p.stderr!r}")

    if failures:
        sys.exit(f"{len(failures)} failure(s)")
    print(f"cli_inspect_generate: all checks passed (greedy decided for {decided} steps)")


if __name__ == "__main__":
    main()
