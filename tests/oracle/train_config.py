#!/usr/bin/python3
"""`finetune|unlearn --config FILE.yaml [key=value ...]` and `config show` on the reference's Hydra
files (tests/train/hydra: phi.yaml, phi-GA/GD/NPO.yaml with their published values, `defaults:`
and `hydra:` blocks included).

1. Resolved values, key by key, against the YAML as Python reads it (PyYAML with OmegaConf's float
   rule, so "1e-5" is a float as Hydra reads it). The reference's code has no defaults (an omitted
   key is a KeyError where it is used), so keys a file omits (GA's lambda and beta) are checked
   against the published values of the paper's setup, typed out below (DEFAULTS).
2. Overrides: key=value wins over the file, ~key goes back to the default; device,
   gradient_checkpointing, batch_size_inference, save_model and the defaults:/hydra: blocks are
   listed as ignored (config show and the training commands' stderr).
3. Errors: a mistyped key (file: line and nearest key), an unknown override, a wrong type, a value
   out of range, a hub name for hparams.model (says the hub is not reachable), a missing split file.
4. Runs: each file, shrunk to seconds by overrides (a tiny local model, 1 epoch, batch 2, length
   32, lr 1e-3 so that the weights move, --data-dir with forget10/retain90/full), trains the same weights, byte for byte, as the
   training flags spelled out by hand; a flag beats the file (--lr)."""
import json
import os
import re
import shutil
import subprocess
import sys

import yaml

CLI = os.environ["LB_CLI"]
SRC = os.environ["LB_SOURCE_DIR"]
WORK = os.path.join(os.environ["LB_WORK"], "train_config")
HYDRA = os.path.join(SRC, "tests", "train", "hydra")
TOKENIZER = os.path.join(SRC, "examples", "default", "model", "tokenizer.json")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


class OmegaLoader(yaml.SafeLoader):
    """PyYAML as OmegaConf configures it: floats without a dot ("1e-5") are floats."""


OmegaLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
                |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
                |\.[0-9_]+(?:[eE][-+][0-9]+)?
                |[-+]?\.(?:inf|Inf|INF)
                |\.(?:nan|NaN|NAN))$""", re.X), list("-+0123456789."))


def flatten(d, prefix=""):
    out = {}
    for k, v in d.items():
        key = prefix + "." + k if prefix else k
        if isinstance(v, dict):
            out.update(flatten(v, key))
        else:
            out[key] = v
    return out


# The paper's published values for keys a file may omit (SPEC-free: docs/training.md lists them).
DEFAULTS = {"unlearn": {"hparams.lambda": 1.0, "hparams.beta": 0.05, "hparams.regularization": "none",
                        "hparams.lambda_f": 1.0, "hparams.lambda_r": -0.25, "hparams.data_dir": None},
            "finetune": {"hparams.tokenizer_model": None, "hparams.data_dir": None}}
IGNORED = {"unlearn": {"defaults", "hydra", "hparams.device", "hparams.gradient_checkpointing",
                       "hparams.batch_size_inference", "hparams.save_model"},
           "finetune": {"defaults", "hydra", "hparams.device", "hparams.training.gradient_checkpointing"}}


def run(args, **kw):
    return subprocess.run([CLI] + args, capture_output=True, text=True, **kw)


def show(path, *extra):
    p = run(["config", "show", path, "--json"] + list(extra))
    check(p.returncode == 0, f"config show {path} {extra}: {p.stderr.strip()}")
    return json.loads(p.stdout) if p.returncode == 0 else None


FILES = {"phi.yaml": "finetune", "phi-GA.yaml": "unlearn", "phi-GD.yaml": "unlearn",
         "phi-NPO.yaml": "unlearn"}

# 1./2. resolved values
for name, cmd in FILES.items():
    path = os.path.join(HYDRA, name)
    want = flatten(yaml.load(open(path), Loader=OmegaLoader))
    got = show(path)
    if not got:
        continue
    check(got["command"] == cmd, f"{name}: command {got['command']}")
    cfg, src = got["config"], got["sources"]
    n_checked = 0
    for key, value in want.items():
        if key.split(".")[0] in ("hydra", "defaults") or key in IGNORED[cmd]:
            continue
        n_checked += 1
        g = cfg.get(key, "<missing>")
        same = g == value and type(g) in ((float, int) if isinstance(value, (int, float)) else (type(value),))
        check(same and src.get(key) == "file", f"{name}: {key}: got {g!r} ({src.get(key)}), file {value!r}")
    for key, value in DEFAULTS[cmd].items():
        if key not in want:
            check(cfg.get(key, "<missing>") == value and src.get(key) in ("default", "unset"),
                  f"{name}: omitted {key}: got {cfg.get(key)!r}, want {value!r}")
    for key in cfg:
        check(key in want or key in DEFAULTS[cmd], f"{name}: {key} is neither in the file nor a default")
    ign = set(got["ignored"])
    want_ign = {k for k in IGNORED[cmd] if k in want or k in ("defaults", "hydra")}
    check(ign == want_ign, f"{name}: ignored {sorted(ign)}, want {sorted(want_ign)}")
    check(n_checked >= 10, f"{name}: only {n_checked} keys compared")

ga = os.path.join(HYDRA, "phi-GA.yaml")
got = show(ga, "hparams.num_epochs=1", "+hparams.lambda=0.5", "~hparams.regularization",
           "hparams.model='a b'", "hydra.launcher.partition=x")
if got:
    c, s = got["config"], got["sources"]
    check(c["hparams.num_epochs"] == 1 and s["hparams.num_epochs"] == "override", "override num_epochs")
    check(c["hparams.lambda"] == 0.5 and s["hparams.lambda"] == "override", "override +lambda")
    check(c["hparams.regularization"] == "none" and s["hparams.regularization"] == "default", "~regularization")
    check(c["hparams.model"] == "a b", "quoted override")

# 3. errors
os.makedirs(WORK, exist_ok=True)
bad = os.path.join(WORK, "typo.yaml")
text = open(os.path.join(HYDRA, "phi-NPO.yaml")).read()
open(bad, "w").write(text.replace("  learning_rate:", "  lerning_rate:"))
line = 1 + text[:text.index("  learning_rate:")].count("\n")
for args, needles in [
        (["config", "show", bad], [f"{bad}:{line}:", "unknown key hparams.lerning_rate",
                                   "did you mean hparams.learning_rate?"]),
        (["config", "show", ga, "hparams.sead=3"], ["hparams.sead", "did you mean hparams.seed?"]),
        (["config", "show", ga, "hparams.batch_size=abc"], ["hparams.batch_size", "abc", "[1, "]),
        (["config", "show", ga, "hparams.split=100"], ["hparams.split", "[1, 99]"]),
        (["config", "show", ga, "hparams.unlearning_loss=kl"], ["grad_ascent|grad_diff|npo"]),
        (["config", "show", ga, "hparams.learning_rate='1e-5'"], ["hparams.learning_rate", "string"]),
        (["unlearn", "--config", ga, "--out", os.path.join(WORK, "x")],
         ["hparams.model", "INSERT_PATH_TO_FINETUNED_MODEL", "not a local folder", "hparams.model=DIR"]),
        (["finetune", "--config", os.path.join(HYDRA, "phi.yaml"), "--out", os.path.join(WORK, "x")],
         ["microsoft/phi-1_5", "hub", "not reachable"]),
        (["unlearn", "--model", WORK, "--forget", bad, "--method", "ga", "--out", WORK, "hparams.seed=1"],
         ["--config"])]:
    p = run(args)
    check(p.returncode == 2 and all(n in p.stderr for n in needles),
          f"{args[:3]}: exit {p.returncode}: {p.stderr.strip()!r} lacks {needles}")

# 4. runs
model = os.path.join(WORK, "m")
shutil.rmtree(model, ignore_errors=True)
p = run(["init", "--arch", "phi", "--size", "L1-D32-H4-I64-T64", "--tokenizer", TOKENIZER, "--out", model])
assert p.returncode == 0, p.stderr
data = os.path.join(WORK, "tofu")
os.makedirs(data, exist_ok=True)
qa = [{"question": f"Who wrote book {i}?", "answer": f"Author {i} wrote it in {1900 + i}."}
      for i in range(16)]
for fname, items in [("forget10.json", qa[:8]), ("retain90.jsonl", qa[8:]), ("full.jsonl", qa)]:
    with open(os.path.join(data, fname), "w") as f:
        f.write("".join(json.dumps(x) + "\n" for x in items))
SHRINK = ["hparams.model=" + model, "--data-dir", data]
COMMON = ["--max-length", "32", "--epochs", "2", "--batch-size", "2", "--seed", "0"]
START = open(os.path.join(model, "model.safetensors"), "rb").read()


def weights(out):
    path = os.path.join(out, "model.safetensors")
    return open(path, "rb").read() if os.path.exists(path) else None


def same_run(name, cfg_args, flag_args):
    o1, o2 = os.path.join(WORK, name + "_cfg"), os.path.join(WORK, name + "_flags")
    p1 = run(cfg_args + ["--out", o1])
    p2 = run(flag_args + ["--out", o2])
    check(p1.returncode == 0, f"{name} --config: {p1.stderr.strip()[-500:]}")
    check(p2.returncode == 0, f"{name} flags: {p2.stderr.strip()[-500:]}")
    if p1.returncode == 0 and p2.returncode == 0:
        check(weights(o1) == weights(o2), f"{name}: --config and flags train different weights")
        check(weights(o1) != START, f"{name}: the run changed no weight (the check would be vacuous)")
    return p1


p = same_run("finetune", ["finetune", "--config", os.path.join(HYDRA, "phi.yaml"),
                          "hparams.training.num_epochs=2", "hparams.training.batch_size=2",
                          "hparams.max_length=32", "hparams.training.learning_rate=1e-3"] + SHRINK,
             ["finetune", "--model", model, "--data", os.path.join(data, "full.jsonl"), "--lr", "1e-3",
              "--grad-accum", "2", "--weight-decay", "0.01"] + COMMON)
check("ignored" in p.stderr and "hparams.device" in p.stderr and "hydra" in p.stderr,
      f"finetune lists the ignored keys: {p.stderr[-300:]}")
UNL = ["hparams.num_epochs=2", "hparams.batch_size=2", "hparams.max_length=32",
       "hparams.gradient_accumulation_steps=1", "hparams.learning_rate=1e-3"] + SHRINK
FLAGS = ["--model", model, "--forget", os.path.join(data, "forget10.json"), "--retain",
         os.path.join(data, "retain90.jsonl"), "--lr", "1e-3", "--grad-accum", "1",
         "--weight-decay", "0.01", "--entropy", "1,-0.25"] + COMMON
p = same_run("ga", ["unlearn", "--config", ga] + UNL, ["unlearn", "--method", "ga"] + FLAGS)
check("hub name" in p.stderr and "tokenizer.json" in p.stderr,
      f"tokenizer_model's hub name is noted: {p.stderr[-400:]}")
same_run("gd", ["unlearn", "--config", os.path.join(HYDRA, "phi-GD.yaml")] + UNL,
         ["unlearn", "--method", "gd", "--lambda", "1"] + FLAGS)
same_run("npo", ["unlearn", "--config", os.path.join(HYDRA, "phi-NPO.yaml")] + UNL,
         ["unlearn", "--method", "npo", "--lambda", "1", "--beta", "0.05"] + FLAGS)
same_run("npo_flag", ["unlearn", "--config", os.path.join(HYDRA, "phi-NPO.yaml"), "--lr", "3e-3"] + UNL,
         ["unlearn", "--method", "npo", "--lambda", "1", "--beta", "0.05"] + FLAGS + ["--lr", "3e-3"])
# Tags other than Phi's: the prompt start + q + end, the answer after answer_tag ('' here, so that
# a literal --template spells the same encoding).
same_run("tags", ["unlearn", "--config", ga, "hparams.question_start_tag=Q: ",
                  "hparams.question_end_tag=\n", "hparams.answer_tag=''"] + UNL,
         ["unlearn", "--method", "ga", "--template", "Q: {q}\n"] + FLAGS)
o = os.path.join(WORK, "differs")
p = run(["unlearn", "--config", os.path.join(HYDRA, "phi-NPO.yaml"), "--out", o] + UNL)
check(p.returncode == 0 and weights(o) != weights(os.path.join(WORK, "ga_cfg")),
      "NPO and GA train different weights (the runs can differ)")

if failures:
    print(f"{len(failures)} failure(s)", file=sys.stderr)
    sys.exit(1)
print("ok: the reference's four Hydra files resolve key by key and train as their flags do")
