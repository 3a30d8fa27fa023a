#!/usr/bin/python3
"""leakbound_run.json, the run record of a finetune/unlearn output folder (docs/training.md,
'Run record'), checked against what this script knows independently: the command line it ran,
the documented defaults, hashlib's sha256 of the data files, the documented model hash of the
source folder (sample_common.model_sha256), the step count from the schedule's arithmetic
(ceil(ceil(n / batch) / accum) steps per epoch). `inspect` shows the record (text and --json),
and `eval` on the trained folder links to it in report.json's provenance ("model_run": the
record's sha256 and key fields)."""
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sample_common as sc  # noqa: E402

from provenance_common import CLI, DATA, MODEL, ROOT, check  # noqa: E402
import provenance_common  # noqa: E402


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def version():
    import re
    return re.search(r"project\(leakbound VERSION ([0-9.]+)", open(os.path.join(ROOT, "CMakeLists.txt")).read()).group(1)


def one(d, command, flags, data_roles, n, epochs, batch, accum, expect_cfg):
    out = os.path.join(d, command + "-out")
    argv = [CLI, command, "--model", MODEL, *flags, "--epochs", str(epochs), "--batch-size", str(batch),
            "--grad-accum", str(accum), "--max-length", "32", "--seed", "7", "--threads", "1", "--out", out]
    p = subprocess.run(argv, capture_output=True, text=True, cwd=d)
    check(f"{command} exits 0", p.returncode == 0, p.stderr)
    path = os.path.join(out, "leakbound_run.json")
    if not os.path.exists(path):
        check(f"{command}: {path} exists", False, os.listdir(out) if os.path.isdir(out) else "no folder")
        return None
    rec = json.load(open(path))
    steps = math.ceil(math.ceil(n / batch) / accum) * epochs
    want = {"format": "leakbound run 1", "leakbound_version": version(), "argv": argv,
            "model_sha256": sc.model_sha256(MODEL),
            "data_sha256": {role: sha(os.path.join(d, f)) for role, f in data_roles.items()},
            "seed": 7, "threads": 1, "total_steps": steps, "final_step": steps, "kept_step": steps,
            "log": "train_log.csv", "loss_curve": "loss.svg"}
    for k, v in want.items():
        check(f"{command}: {k}", rec.get(k) == v, f"{rec.get(k)!r} != {v!r}")
    for k in ("log", "loss_curve"):
        check(f"{command}: the {k} file {rec.get(k)} is in the folder",
              os.path.exists(os.path.join(out, str(rec.get(k)))))
    cfg = rec.get("config", {})
    base = {"command": command, "model": MODEL, "out": out, "resume": None, "template": "phi",
            "epochs": epochs, "batch_size": batch, "grad_accum": accum, "max_length": 32,
            "warmup": math.ceil(math.ceil(n / batch) / accum),  # default: one epoch of steps
            "weight_decay": 0.01, "max_grad_norm": 1.0, "seed": 7, "save_every": 0, "lambda": 1.0,
            "beta": 0.05, "entropy_forget": 0.0, "entropy_retain": 0.0, "entropy_positions": "all"}
    base.update(expect_cfg)
    check(f"{command}: config is flat (no nested values)",
          all(not isinstance(v, (dict, list)) for v in cfg.values()), cfg)
    check(f"{command}: config keys", set(cfg) == set(base), f"{sorted(cfg)} vs {sorted(base)}")
    for k, v in base.items():
        ok = cfg.get(k) == v if not isinstance(v, float) else abs(cfg.get(k, 1e300) - v) <= 1e-15 * abs(v)
        check(f"{command}: config[{k!r}] = {v!r}", ok, f"got {cfg.get(k)!r}")
    return out, rec


def main():
    lines = open(DATA, "rb").read().splitlines(keepends=True)
    with tempfile.TemporaryDirectory() as d:
        open(os.path.join(d, "f.jsonl"), "wb").write(b"".join(lines[:5]))
        open(os.path.join(d, "r.jsonl"), "wb").write(b"".join(lines[5:8]))
        u = one(d, "unlearn", ["--forget", "f.jsonl", "--retain", "r.jsonl", "--method", "gd", "--lambda", "0.5"],
                {"forget": "f.jsonl", "retain": "r.jsonl"}, 5, 2, 2, 1,
                {"method": "gd", "forget": "f.jsonl", "retain": "r.jsonl", "lr": 1e-5, "lambda": 0.5})
        one(d, "finetune", ["--data", "f.jsonl", "--lr", "3e-5"], {"data": "f.jsonl"}, 5, 1, 2, 2,
            {"method": "finetune", "data": "f.jsonl", "lr": 3e-5})
        if u:
            out, rec = u
            p = subprocess.run([CLI, "inspect", out], capture_output=True, text=True)
            line = [x for x in p.stdout.splitlines() if x.startswith("training run:")]
            check("inspect shows the run (command, method, source hash, data hashes, kept step)",
                  p.returncode == 0 and line and "unlearn gd" in line[0] and rec["model_sha256"][:12] in line[0]
                  and rec["data_sha256"]["forget"][:12] in line[0] and "kept step 6" in line[0],
                  p.stdout + p.stderr)
            p = subprocess.run([CLI, "inspect", out, "--json"], capture_output=True, text=True)
            check("inspect --json: \"run\" is the record", p.returncode == 0 and json.loads(p.stdout).get("run") == rec,
                  p.stderr)
            ev = os.path.join(d, "ev")
            p = subprocess.run([CLI, "eval", "--model", out, "--data", DATA, "--template", "phi", "--metric",
                                "rougeL-recall", "-n", "2", "--max-new-tokens", "4", "--limit", "2",
                                "--threads", "1", "--quiet", "--out", ev], capture_output=True, text=True)
            prov = json.load(open(os.path.join(ev, "report.json")))["provenance"] if p.returncode == 0 else {}
            mr = prov.get("model_run", {})
            check("eval's provenance links the record (its sha256, source model, data, steps)",
                  mr.get("sha256") == sha(os.path.join(out, "leakbound_run.json")) and
                  mr.get("model_sha256") == rec["model_sha256"] and mr.get("data_sha256") == rec["data_sha256"]
                  and mr.get("kept_step") == 6 and mr.get("method") == "gd" and
                  prov.get("model_sha256") == sc.model_sha256(out), f"{p.stderr} {prov}")
            # a broken record is named, not ignored
            open(os.path.join(out, "leakbound_run.json"), "w").write("{broken")
            p = subprocess.run([CLI, "inspect", out], capture_output=True, text=True)
            check("inspect: a malformed record exits 2 naming the file",
                  p.returncode == 2 and "leakbound_run.json" in p.stderr, p.stderr)
    return provenance_common.status()


if __name__ == "__main__":
    sys.exit(main())
