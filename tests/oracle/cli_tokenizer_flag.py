#!/usr/bin/python3
"""`--tokenizer FILE|DIR` on every command that loads a model (generate, inspect, sample, eval,
finetune, unlearn), for a model folder without tokenizer.json (the reference loads phi-1_5's
tokenizer apart from its models).

- Without the flag each command fails with exit 2, "cannot open" and the hint naming
  --tokenizer.
- With --tokenizer DIR and --tokenizer DIR/tokenizer.json each gives byte for byte what it gives
  when the same tokenizer.json lies in the model folder (generate's ids, sample's JSON Lines,
  eval's report, the trained weights); the chat template comes from the tokenizer folder's
  tokenizer_config.json when the model folder has none.
- finetune/unlearn copy the tokenizer (and its tokenizer_config.json) into --out, so the output
  is a complete model folder (generate runs on it without the flag)."""
import json
import os
import shutil
import subprocess
import sys

CLI = os.environ["LB_CLI"]
SRC = os.environ["LB_SOURCE_DIR"]
WORK = os.path.join(os.environ["LB_WORK"], "cli_tokenizer_flag")
TOKENIZER = os.path.join(SRC, "examples", "default", "model", "tokenizer.json")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def run(args):
    return subprocess.run([CLI] + args, capture_output=True)


shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
full = os.path.join(WORK, "full")      # model + tokenizer.json + tokenizer_config.json
bare = os.path.join(WORK, "bare")      # the same model, no tokenizer files
tokdir = os.path.join(WORK, "tok")     # the tokenizer files alone
p = run(["init", "--arch", "llama", "--size", "L1-D32-H4-KV2-I48-T64", "--tokenizer", TOKENIZER,
         "--out", full])
assert p.returncode == 0, p.stderr
CHAT = ("{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}{{ eos_token }}{% endfor %}"
        "{% if add_generation_prompt %}<|assistant|>{% endif %}")
with open(os.path.join(full, "tokenizer_config.json"), "w") as f:
    json.dump({"chat_template": CHAT, "eos_token": "<|endoftext|>",
               "model_max_length": 10**30}, f)
shutil.copytree(full, bare)
os.makedirs(tokdir)
for name in ("tokenizer.json", "tokenizer_config.json"):
    os.unlink(os.path.join(bare, name))
    shutil.copy(os.path.join(full, name), tokdir)
data = os.path.join(WORK, "qa.jsonl")
with open(data, "w") as f:
    for i in range(6):
        f.write(json.dumps({"id": str(i), "question": f"What is fact {i}?",
                            "answer": f"Fact {i} is the {i}th thing."}) + "\n")

TOK_FLAGS = [["--tokenizer", tokdir], ["--tokenizer", os.path.join(tokdir, "tokenizer.json")]]


def outputs(folder, names):
    return {n: open(os.path.join(folder, n), "rb").read() for n in names}


def case(name, args_for, compare):
    """args_for(model, out) -> argv; compare(out) -> comparable result."""
    out0 = os.path.join(WORK, name + "_full")
    p = run(args_for(full, out0))
    check(p.returncode == 0, f"{name} with the folder's tokenizer: {p.stderr.decode()[-400:]}")
    want = compare(out0, p)
    out1 = os.path.join(WORK, name + "_none")
    p = run(args_for(bare, out1))
    err = p.stderr.decode()
    if name == "inspect":  # describes the folder: no tokenizer is a fact, not an error
        check(p.returncode == 0 and json.loads(p.stdout)["tokenizer"] is None,
              f"inspect without a tokenizer: exit {p.returncode}: {err.strip()[-400:]}")
    else:
        check(p.returncode == 2 and "cannot open" in err and "--tokenizer FILE|DIR" in err
              and os.path.join(bare, "tokenizer.json") in err,
              f"{name} without a tokenizer: exit {p.returncode}: {err.strip()[-400:]}")
    for k, flags in enumerate(TOK_FLAGS):
        out = os.path.join(WORK, f"{name}_flag{k}")
        p = run(args_for(bare, out) + flags)
        check(p.returncode == 0, f"{name} {flags}: {p.stderr.decode()[-400:]}")
        if p.returncode == 0:
            check(compare(out, p) == want, f"{name} {flags}: differs from the folder's tokenizer")


case("generate", lambda m, o: ["generate", m, "--prompt", "What is", "--greedy", "--ids",
                                "--max-new-tokens", "8"], lambda o, p: p.stdout)
case("inspect", lambda m, o: ["inspect", m, "--json"],
     lambda o, p: {k: v for k, v in json.loads(p.stdout).items()
                   if k not in ("model", "memory_plan")})
case("sample", lambda m, o: ["sample", "--model", m, "--data", data, "-n", "3", "--seed", "5",
                              "--max-new-tokens", "6", "--template", "chat", "-o", o],
     lambda o, p: [{k: v for k, v in json.loads(l).items() if k != "model"}
                   for l in open(o).read().splitlines()])


def report(o, p):
    r = json.load(open(os.path.join(o, "report.json")))
    return r.get("prompts", r.get("items")), r.get("summary")


case("eval", lambda m, o: ["eval", "--model", m, "--data", data, "-n", "4", "--seed", "3",
                            "--max-new-tokens", "6", "--metric", "rougeL-recall", "--out", o],
     report)
TRAIN = ["--max-length", "32", "--batch-size", "2", "--grad-accum", "1", "--epochs", "1",
         "--seed", "1", "--lr", "1e-3"]
case("finetune", lambda m, o: ["finetune", "--model", m, "--data", data, "--out", o] + TRAIN,
     lambda o, p: outputs(o, ["model.safetensors", "tokenizer.json", "tokenizer_config.json"]))
case("unlearn", lambda m, o: ["unlearn", "--model", m, "--forget", data, "--retain", data,
                               "--method", "gd", "--out", o] + TRAIN,
     lambda o, p: outputs(o, ["model.safetensors", "tokenizer.json", "tokenizer_config.json"]))
p = run(["generate", os.path.join(WORK, "finetune_flag0"), "--prompt", "What", "--greedy",
         "--max-new-tokens", "2"])
check(p.returncode == 0, f"generate on finetune's output: {p.stderr.decode()[-300:]}")

if failures:
    print(f"{len(failures)} failure(s)", file=sys.stderr)
    sys.exit(1)
print("ok: --tokenizer DIR|FILE gives what the folder's own tokenizer gives, on 6 commands")
