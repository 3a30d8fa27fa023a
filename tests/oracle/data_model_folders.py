#!/usr/bin/python3
"""Real Hugging Face model-folder files load (tests/data/hf: Llama-3, Llama-2, Phi-1.5, GPT-2's
config.json, generation_config.json and tokenizer_config.json; Llama-3's and Llama-2's carry
"model_max_length": 1000000000000000019884624838656, which jansson alone refuses).

1. Chat templates read from the folders render as jinja2 renders them (configured as transformers
   renders chat templates), with the files' own bos/eos tokens; Phi and GPT-2 have none: the
   message says so (the file was read).
2. `inspect` on each real folder (no weights) gets past config.json and generation_config.json:
   its error names the missing weights.
3. A tiny model per family (`init`) whose config.json is the real one with only the sizes and
   token ids shrunk, plus an unused field holding HF's big integer, and the real
   tokenizer_config.json and generation_config.json beside it: `inspect --json` reports every
   size as Python's json reads it from the file.
4. A used field holding a number out of its range (config.json, generation_config.json,
   tokenizer.json) is an error naming the file, the field, the value and the range."""
import json
import os
import shutil
import subprocess
import sys

from jinja2.sandbox import ImmutableSandboxedEnvironment

SRC = os.environ["LB_SOURCE_DIR"]
CLI = os.environ["LB_CLI"]
DRIVER = os.path.join(os.environ["LB_DRIVERS"], "driver_data")
WORK = os.path.join(os.environ["LB_WORK"], "data_model_folders")
HF = os.path.join(SRC, "tests", "data", "hf")
TOKENIZER = os.path.join(SRC, "examples", "default", "model", "tokenizer.json")
BIG = "1000000000000000019884624838656"
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def raise_exception(msg):
    raise ValueError(msg)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
env.globals["raise_exception"] = raise_exception


def token(v):
    return v.get("content") if isinstance(v, dict) else v


QUESTIONS = ["What is the capital of Norvania?", "  padded \n", "ünïcödé ✓", ""]
shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)

# 1. chat templates
for fam in ["llama3", "llama2", "phi", "gpt2"]:
    folder = os.path.join(HF, fam)
    cfg = json.load(open(os.path.join(folder, "tokenizer_config.json")))
    p = subprocess.run([DRIVER, "chatdir", folder], input=json.dumps(QUESTIONS),
                       capture_output=True, text=True)
    if "chat_template" in cfg:
        check(p.returncode == 0, f"{fam}: chat template: {p.stderr.strip()}")
        if p.returncode == 0:
            got = json.loads(p.stdout)
            tpl = env.from_string(cfg["chat_template"])
            for q, g in zip(QUESTIONS, got):
                want = tpl.render(messages=[{"role": "user", "content": q}],
                                  bos_token=token(cfg.get("bos_token")) or "",
                                  eos_token=token(cfg.get("eos_token")) or "",
                                  add_generation_prompt=True)
                check(g == want, f"{fam}: {q!r}: got {g!r}, jinja2 {want!r}")
    else:
        check(p.returncode == 2 and "no \"chat_template\"" in p.stderr,
              f"{fam}: without a chat template: {p.returncode} {p.stderr.strip()}")

# 2. inspect on the real folders: config.json and generation_config.json pass
for fam in ["llama3", "llama2", "phi", "gpt2"]:
    p = subprocess.run([CLI, "inspect", os.path.join(HF, fam)], capture_output=True, text=True)
    check(p.returncode == 2 and "model.safetensors" in p.stderr and "config.json" not in p.stderr,
          f"{fam}: inspect without weights: {p.returncode} {p.stderr.strip()}")

# 3. tiny models with the real files, sizes shrunk
ARCH = {"llama3": "llama", "llama2": "llama", "phi": "phi", "gpt2": "gpt2"}


def write_with_big(path, obj, key="leakbound_test_unused"):
    """obj as JSON with one more field holding HF's big integer literally."""
    text = json.dumps(obj, indent=2)
    text = text[:-2] + ',\n  "%s": %s\n}\n' % (key, BIG)
    json.loads(text)
    with open(path, "w") as f:
        f.write(text)


for fam, arch in ARCH.items():
    tiny = os.path.join(WORK, fam)
    p = subprocess.run([CLI, "init", "--arch", arch, "--size", "L1-D32-H4-I64-T48" if arch == "gpt2" else "L1-D32-H4-KV2-I64-T48",
                        "--tokenizer", TOKENIZER, "--out", tiny], capture_output=True, text=True)
    check(p.returncode == 0, f"{fam}: init: {p.stderr.strip()}")
    if p.returncode:
        continue
    made = json.load(open(os.path.join(tiny, "config.json")))
    real = json.load(open(os.path.join(HF, fam, "config.json")))
    merged = dict(real)
    merged.update({k: v for k, v in made.items() if isinstance(v, int) and not isinstance(v, bool)})
    if fam == "gpt2":
        merged["n_ctx"] = made.get("n_positions", merged["n_ctx"])
    write_with_big(os.path.join(tiny, "config.json"), merged, "model_max_length")
    gen = json.load(open(os.path.join(HF, fam, "generation_config.json")))
    for k in ("bos_token_id", "eos_token_id"):
        if k in gen:
            gen[k] = merged["eos_token_id"] if k == "eos_token_id" else merged.get(k)
    write_with_big(os.path.join(tiny, "generation_config.json"), gen)
    shutil.copy(os.path.join(HF, fam, "tokenizer_config.json"), tiny)
    tok = json.load(open(os.path.join(tiny, "tokenizer.json")))
    text = json.dumps(tok)
    text = text[:-1] + ', "leakbound_test_unused": %s}' % BIG
    open(os.path.join(tiny, "tokenizer.json"), "w").write(text)
    p = subprocess.run([CLI, "inspect", tiny, "--json"], capture_output=True, text=True)
    check(p.returncode == 0, f"{fam}: inspect tiny: {p.stderr.strip()}")
    if p.returncode:
        continue
    got = json.loads(p.stdout)
    cfg = json.loads(open(os.path.join(tiny, "config.json")).read())
    hid = cfg.get("hidden_size", cfg.get("n_embd"))
    want = {"vocab_size": cfg["vocab_size"], "hidden_size": hid,
            "layers": cfg.get("num_hidden_layers", cfg.get("n_layer")),
            "heads": cfg.get("num_attention_heads", cfg.get("n_head")),
            "context_length": cfg.get("max_position_embeddings", cfg.get("n_positions"))}
    if arch == "llama":
        want["kv_heads"] = cfg["num_key_value_heads"]
        want["rope_theta"] = cfg.get("rope_theta", 10000.0)
    if "rope_theta" in cfg:
        want["rope_theta"] = cfg["rope_theta"]
    if arch == "phi":
        want["rotary_dim"] = int(cfg["partial_rotary_factor"] * hid // cfg["num_attention_heads"])
    g_eos = gen.get("eos_token_id", cfg.get("eos_token_id"))
    want["eos_token_ids"] = g_eos if isinstance(g_eos, list) else [g_eos]
    want["architecture"] = cfg["architectures"][0]
    for k, v in want.items():
        check(got.get(k) == v, f"{fam}: inspect {k}: got {got.get(k)!r}, file says {v!r}")

# 4. used fields out of range
base = os.path.join(WORK, "llama3")


def broken(name, fname, mutate, needles):
    d = os.path.join(WORK, "bad_" + name)
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(base, d)
    path = os.path.join(d, fname)
    text = open(path).read()
    new = mutate(text)
    check(new != text, f"{name}: the mutation applies")
    open(path, "w").write(new)
    p = subprocess.run([CLI, "inspect", d], capture_output=True, text=True)
    ok = p.returncode == 2 and all(n in p.stderr for n in [path] + needles)
    check(ok, f"{name}: got exit {p.returncode}: {p.stderr.strip()!r}, want {needles}")


if os.path.isdir(base):
    broken("max_pos", "config.json",
           lambda t: t.replace('"max_position_embeddings": 48', '"max_position_embeddings": ' + BIG),
           ['"max_position_embeddings"', "1e+30", "[1, 2097152]"])
    broken("gen_max_length", "generation_config.json",
           lambda t: t.replace('"max_length": 4096', '"max_length": ' + BIG),
           ['"max_length"', "1e+30", "[0, 9223372036854775807]"])
    broken("gen_eos", "generation_config.json",
           lambda t: t.replace('"eos_token_id": ', '"eos_token_id": [1, %s], "x": ' % BIG),
           ["eos_token_id[1]", "1e+30", "[0, 2147483647]"])
    broken("gen_eos_2_63", "generation_config.json",
           lambda t: t.replace('"eos_token_id": ', '"eos_token_id": 4294967296, "x": '),
           ["eos_token_id", "4294967296", "[0, 2147483647]"])
    broken("tok_id", "tokenizer.json",
           lambda t: t.replace('"added_tokens": [{"id": 0', '"added_tokens": [{"id": ' + BIG),
           ["added_tokens[0]", "1e+30", "[0, "])
else:
    check(False, "the llama3 tiny model exists")

if failures:
    print(f"{len(failures)} failure(s)", file=sys.stderr)
    sys.exit(1)
print("ok: real Llama-3, Llama-2, Phi-1.5 and GPT-2 folder files load; templates render as jinja2")
