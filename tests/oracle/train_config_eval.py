#!/usr/bin/python3
"""`eval --config FILE.yaml` and `tofu --config FILE.yaml` on the reference's Hydra files
(tests/train/hydra): the file runs exactly as the flags it stands for, spelled out by hand
(byte-identical samples.jsonl / items.jsonl and the same settings); a flag beats the file; the
training keys are listed as ignored; unknown keys, bad values and a hub model name are errors
naming the file, the line or the key; `config show --for eval|tofu` lists the flags."""
import json
import os
import shutil
import subprocess
import sys

CLI = os.environ["LB_CLI"]
SRC = os.environ["LB_SOURCE_DIR"]
WORK = os.path.join(os.environ["LB_WORK"], "train_config_eval")
HYDRA = os.path.join(SRC, "tests", "train", "hydra")
DEFAULT = os.path.join(SRC, "examples", "default")
MODEL = os.path.join(DEFAULT, "model")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def run(args):
    return subprocess.run([CLI] + args, capture_output=True, text=True)


def read(path):
    with open(path, "rb") as f:
        return f.read()


shutil.rmtree(WORK, ignore_errors=True)
DATA = os.path.join(WORK, "tofu")
os.makedirs(DATA)
shutil.copy(os.path.join(DEFAULT, "forget.jsonl"), os.path.join(DATA, "forget10.jsonl"))
shutil.copy(os.path.join(DEFAULT, "retain.jsonl"), os.path.join(DATA, "retain90.jsonl"))
NPO = os.path.join(HYDRA, "phi-NPO.yaml")
out = lambda name: os.path.join(WORK, name)
SMALL = ["--metric", "rougeL-recall", "--limit", "3", "--max-new-tokens", "6", "--quiet"]

# 1. eval: the file + overrides == the flags it stands for (max_length 256 and seed 0 from the
#    file; num_samples, top_p, temperature from the sampling demo's keys).
ov = ["hparams.model=" + MODEL, "hparams.num_samples=4", "hparams.top_p=0.9", "hparams.temperature=0.7"]
p = run(["eval", "--config", NPO] + ov + ["--data-dir", DATA, "--out", out("e_cfg")] + SMALL)
check(p.returncode == 0, f"eval --config: rc {p.returncode}: {p.stderr}")
check("ignored (they do not apply to eval)" in p.stderr and "hparams.learning_rate" in p.stderr
      and "hparams.unlearning_loss" in p.stderr, f"eval --config lists the training keys as ignored: {p.stderr}")
check("microsoft/phi-1_5" in p.stderr and "tokenizer.json" in p.stderr,
      f"eval --config: the hub tokenizer_model falls back to the model's own, with a note: {p.stderr}")
q = run(["eval", "--model", MODEL, "--template", "phi", "--max-length", "256", "--seed", "0", "-n", "4",
         "--top-p", "0.9", "--temperature", "0.7", "--data", os.path.join(DATA, "forget10.jsonl"),
         "--out", out("e_flags")] + SMALL)
check(q.returncode == 0, f"eval by hand: {q.stderr}")
if p.returncode == 0 and q.returncode == 0:
    check(read(out("e_cfg/samples.jsonl")) == read(out("e_flags/samples.jsonl")),
          "eval --config samples.jsonl == the flags spelled out")
    a = json.load(open(out("e_cfg/report.json")))["eval"]
    b = json.load(open(out("e_flags/report.json")))["eval"]
    check(a == b, f"eval --config settings == the flags': {a} vs {b}")
    lines = [json.loads(x) for x in open(out("e_cfg/samples.jsonl"))]
    check(sum(1 for x in lines if x.get("sample", -1) >= 0) == 3 * 4, "num_samples=4 -> 4 per question")

# 2. a flag beats the file (and its override): -n 2 over hparams.num_samples=4
p = run(["eval", "--config", NPO] + ov + ["--data-dir", DATA, "-n", "2", "--out", out("e_n2")] + SMALL)
check(p.returncode == 0, f"eval --config -n 2: {p.stderr}")
if p.returncode == 0:
    lines = [json.loads(x) for x in open(out("e_n2/samples.jsonl"))]
    check(sum(1 for x in lines if x.get("sample", -1) >= 0) == 3 * 2, "-n 2 beats hparams.num_samples")

# 3. other tags: a literal template (the llama2 demo's tags), same bytes as --template by hand;
#    a literal's answer_tag is stripped before scoring (--strip-prefix)
lit = ov + ["hparams.question_start_tag='[INST] '", "hparams.question_end_tag=' [/INST]'", "~hparams.answer_tag"]
p = run(["eval", "--config", NPO] + lit + ["--data-dir", DATA, "--out", out("e_lit")] + SMALL)
q = run(["eval", "--model", MODEL, "--template", "[INST] {q} [/INST]", "--max-length", "256", "--seed", "0",
         "-n", "4", "--top-p", "0.9", "--temperature", "0.7", "--data", os.path.join(DATA, "forget10.jsonl"),
         "--out", out("e_lit_flags")] + SMALL)
check(p.returncode == 0 and q.returncode == 0, f"literal tags: {p.stderr} {q.stderr}")
if p.returncode == 0 and q.returncode == 0:
    check(read(out("e_lit/samples.jsonl")) == read(out("e_lit_flags/samples.jsonl")),
          "tags -> literal template: samples.jsonl == --template '[INST] {q} [/INST]'")
p = run(["config", "show", NPO, "--for", "eval", "--json", "hparams.model=" + MODEL,
         "hparams.question_start_tag=Q{x}\\: ", "hparams.answer_tag='A: '"])
check(p.returncode == 0, f"config show --for eval: {p.stderr}")
if p.returncode == 0:
    doc = json.loads(p.stdout)
    f = doc["flags"]
    pairs = dict(zip(f[0::2], f[1::2]))
    check(pairs.get("--template") == "Q{{x}}\\\\: {q}\n", f"braces and backslashes escaped: {pairs}")
    check(pairs.get("--strip-prefix") == "A:", f"answer_tag -> --strip-prefix 'A:': {pairs}")
    check(pairs.get("--max-length") == "256" and pairs.get("--seed") == "0", f"flags: {pairs}")
    check("hparams.learning_rate" in doc["ignored"] and "hparams.seed" not in doc["ignored"],
          f"eval ignores the training keys: {doc['ignored']}")
p = run(["config", "show", NPO, "--for", "tofu", "--json"])
check(p.returncode == 0, f"config show --for tofu: {p.stderr}")
if p.returncode == 0:
    doc = json.loads(p.stdout)
    for k in ("hparams.seed", "hparams.learning_rate", "hparams.num_samples"):
        check(k in doc["ignored"] or k not in open(NPO).read(), f"tofu ignores {k}: {doc['ignored']}")
    check("hparams.seed" in doc["ignored"], "tofu ignores hparams.seed (greedy answers)")

# 4. tofu: the file == --model --template phi --max-length 256 --forget forget10 --retain retain90
GA = os.path.join(HYDRA, "phi-GA.yaml")
p = run(["tofu", "--config", GA, "hparams.model=" + MODEL, "--data-dir", DATA, "--max-new-tokens", "6",
         "--quiet", "--out", out("t_cfg")])
q = run(["tofu", "--model", MODEL, "--template", "phi", "--max-length", "256", "--forget",
         os.path.join(DATA, "forget10.jsonl"), "--retain", os.path.join(DATA, "retain90.jsonl"),
         "--max-new-tokens", "6", "--quiet", "--out", out("t_flags")])
check(p.returncode == 0 and q.returncode == 0, f"tofu --config: {p.returncode} {p.stderr} / {q.stderr}")
if p.returncode == 0 and q.returncode == 0:
    check(read(out("t_cfg/items.jsonl")) == read(out("t_flags/items.jsonl")), "tofu items.jsonl equal")
    a, b = json.load(open(out("t_cfg/tofu.json"))), json.load(open(out("t_flags/tofu.json")))
    check(a["splits"] == b["splits"] and a.get("settings") == b.get("settings"),
          "tofu --config splits and settings == the flags'")
    check("ignored (they do not apply to tofu)" in p.stderr, f"tofu lists ignored keys: {p.stderr}")
p = run(["tofu", "--config", GA, "hparams.model=" + MODEL, "--data-dir", DATA, "--max-length", "40",
         "--max-new-tokens", "6", "--quiet", "--out", out("t_ml")])
check(p.returncode == 0 and json.load(open(out("t_ml/tofu.json")))["settings"]["max_length"] == 40,
      f"tofu: --max-length 40 beats the file's 256: {p.stderr}")

# 5. errors: exit 2 naming the file, line, key
bad = os.path.join(WORK, "bad.yaml")
with open(bad, "w") as f:
    f.write("hparams:\n  model: m\n  top_q: 0.9\n")
for cmd in ("eval", "tofu"):
    p = run([cmd, "--config", bad, "--out", out("x")])
    check(p.returncode == 2 and "bad.yaml:3: unknown key hparams.top_q" in p.stderr,
          f"{cmd}: unknown key in the file: {p.returncode} {p.stderr}")
    p = run([cmd, "--config", NPO, "hparams.modle=" + MODEL, "--out", out("x")])
    check(p.returncode == 2 and "hparams.modle" in p.stderr and "did you mean hparams.model" in p.stderr,
          f"{cmd}: unknown override: {p.stderr}")
    p = run([cmd, "--config", NPO, "--data-dir", DATA, "--out", out("x")])
    check(p.returncode == 2 and "INSERT_PATH_TO_FINETUNED_MODEL" in p.stderr and "hparams.model" in p.stderr
          and "phi-NPO.yaml:7" in p.stderr, f"{cmd}: the file's model is not a folder: {p.stderr}")
    p = run([cmd, "--config", NPO, "hparams.model=microsoft/phi-1_5", "--data-dir", DATA, "--out", out("x")])
    check(p.returncode == 2 and "hub" in p.stderr, f"{cmd}: hub model name: {p.stderr}")
    p = run([cmd, "--config", NPO, "hparams.model=" + MODEL, "--out", out("x")])
    check(p.returncode == 2 and "--data-dir" in p.stderr and "forget10" in p.stderr,
          f"{cmd}: split without data_dir: {p.stderr}")
    check(not os.path.exists(out("x")), f"{cmd}: nothing written on an error")
p = run(["eval", "--config", NPO, "hparams.model=" + MODEL, "hparams.top_p=1.5", "--data-dir", DATA,
         "--out", out("x")])
check(p.returncode == 2 and "hparams.top_p" in p.stderr and "(0, 1]" in p.stderr, f"top_p range: {p.stderr}")
p = run(["eval", "--config", NPO, "hparams.model=" + MODEL, "--samples", "s.jsonl", "--out", out("x")])
check(p.returncode == 2 and "--samples" in p.stderr, f"--config with --samples refused: {p.stderr}")
p = run(["tofu", "--config", NPO, "hparams.model=" + MODEL, "hparams.tokenizer_model=" + DATA,
         "--data-dir", DATA, "--out", out("x")])
check(p.returncode == 2 and "tokenizer_model" in p.stderr, f"tofu: a local tokenizer_model: {p.stderr}")
# finetune/unlearn keep their own tables: eval's sampling keys are unknown there
p = run(["config", "show", NPO, "hparams.top_p=0.9"])
check(p.returncode == 2 and "hparams.top_p" in p.stderr, f"unlearn: top_p unknown: {p.stderr}")

print(f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
