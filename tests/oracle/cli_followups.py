#!/usr/bin/python3
"""Command-line follow-ups, one mode per argument:

- quiet: `finetune --quiet` and `unlearn --quiet` succeed with nothing on stderr (the same runs
  without it print step lines), and the model they write is the same as without --quiet.
- modelfolder: a model folder without config.json, a folder that does not exist and a file
  given as the folder: exit 2 from inspect, generate and sample, the message naming the path,
  what is missing and what a model folder must hold.
- outlock: `data fictitious --out DIR` and `tokenizer train --out FILE` take the output's lock
  (".<name>.lock" beside it, flock): while this script holds it, a run is refused at once
  (exit 2, naming the output and --wait) and writes nothing; with --wait it waits, then writes;
  two `data fictitious` runs with different seeds at once, trial after trial (with --wait), leave
  DIR's eight files all from one seed (compared with each seed's own output), the user's file
  kept, no temporary folder; `data fictitious` still creates missing parent folders.
- boundhash: `bound`'s provenance "data_sha256" is hashlib's SHA-256 of the bytes it read: from
  a regular file, from stdin ("-") and from a named pipe path (/dev/fd/N), where the file
  cannot be read again.
- tokprov: a model folder without tokenizer.json, loaded with --tokenizer FILE: eval's
  model_sha256 equals that of a folder holding the same file as tokenizer.json (the hash covers
  the tokenizer loaded, under the same framing), another --tokenizer gives another hash, and
  report.json's provenance names the tokenizer file; `sample --resume` with another
  --tokenizer is refused (exit 2, naming model_sha256), with the same one it continues;
  `finetune --tokenizer` records the same source model_sha256 in leakbound_run.json.
- scorekw: `score --metric keywords` on a line whose keyword list is empty ([], "", " , ",
  ["", "  "]) exits 2 naming the file and line (from a file and from stdin, also under
  --keywords-field); a list with one real keyword still scores (the leak computed here).
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys

CLI = os.environ["LB_CLI"]
ROOT = os.environ["LB_SOURCE_DIR"]
WORK = os.path.join(os.environ.get("LB_WORK", "/tmp/lb_work"), "cli_followups")
failures = []


def check(label, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + label, flush=True)
    if not ok:
        failures.append(f"{label}: {detail}")
    return ok


def run(args, stdin=None, cwd=None):
    return subprocess.run([CLI] + args, input=stdin, capture_output=True, cwd=cwd)


def fresh(name):
    d = os.path.join(WORK, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def tiny_inputs(d):
    """A fictitious data set, a tokenizer trained on it and a tiny Llama."""
    for args in (["data", "fictitious", "--authors", "2", "--out", os.path.join(d, "data")],
                 ["tokenizer", "train", "--vocab-size", "300", "--out", os.path.join(d, "tok.json"),
                  os.path.join(d, "data", "full.jsonl")],
                 ["init", "--arch", "llama", "--size", "L1-D16-H2-KV1-I32-T64", "--tokenizer",
                  os.path.join(d, "tok.json"), "--out", os.path.join(d, "model")]):
        p = run(args)
        if p.returncode:
            sys.exit(f"setup {args[0]} failed: {p.stderr.decode()}")
    return os.path.join(d, "model"), os.path.join(d, "data")


def mode_quiet():
    d = fresh("quiet")
    model, data = tiny_inputs(d)
    common = ["--max-length", "48", "--batch-size", "4", "--epochs", "1", "--threads", "1"]
    cmds = {"finetune": ["finetune", "--model", model, "--data", os.path.join(data, "full.jsonl")],
            "unlearn": ["unlearn", "--model", model, "--forget", os.path.join(data, "forget10.jsonl"),
                        "--retain", os.path.join(data, "retain90.jsonl"), "--method", "gd"]}
    for name, args in cmds.items():
        loud = run(args + common + ["--out", os.path.join(d, name + "_loud")])
        quiet = run(args + common + ["--out", os.path.join(d, name + "_quiet"), "--quiet"])
        check(f"{name}: runs without --quiet print step lines",
              loud.returncode == 0 and b"step " in loud.stderr, loud.stderr.decode()[-300:])
        check(f"{name} --quiet: exit 0, nothing on stderr",
              quiet.returncode == 0 and quiet.stderr == b"", quiet.stderr.decode()[-300:])
        if loud.returncode == 0 and quiet.returncode == 0:
            a = sha(os.path.join(d, name + "_loud", "model.safetensors"))
            b = sha(os.path.join(d, name + "_quiet", "model.safetensors"))
            check(f"{name} --quiet: the same model as without it", a == b, f"{a} != {b}")


def mode_modelfolder():
    d = fresh("modelfolder")
    model, data = tiny_inputs(d)
    nocfg = os.path.join(d, "nocfg")
    shutil.copytree(model, nocfg)
    os.unlink(os.path.join(nocfg, "config.json"))
    cases = {nocfg: [os.path.join(nocfg, "config.json"), "missing", "no config.json"],
             os.path.join(d, "absent"): [os.path.join(d, "absent"), "no such model folder"],
             os.path.join(d, "tok.json"): [os.path.join(d, "tok.json"), "not a folder"]}
    holds = ["a model folder holds config.json", "model.safetensors", "tokenizer.json", "--tokenizer"]
    q = os.path.join(data, "forget01.jsonl")
    for folder, want in cases.items():
        for args in (["inspect", folder], ["generate", folder, "--prompt", "hi", "--max-new-tokens", "2"],
                     ["sample", "--model", folder, "--data", q, "-n", "1", "-o", os.path.join(d, "s.jsonl")]):
            p = run(args)
            msg = p.stderr.decode()
            check(f"{args[0]} {os.path.basename(folder)}: exit 2 naming what is missing and what a "
                  "model folder holds", p.returncode == 2 and all(w in msg for w in want + holds),
                  f"exit {p.returncode}: {msg.strip()}")


def mode_scorekw():
    d = fresh("scorekw")
    good = {"id": "a", "sample": 0, "text": "the Paris answer", "keywords": ["paris"]}
    for empty in ([], "", " , ", ["", "  "]):
        for field in ("keywords", "kw"):
            bad = {"id": "b", "sample": 0, "text": "anything at all", field: empty}
            g = dict(good)
            if field != "keywords":
                g[field] = g.pop("keywords")
            body = (json.dumps(g) + "\n" + json.dumps(bad) + "\n").encode()
            path = os.path.join(d, "s.jsonl")
            open(path, "wb").write(body)
            extra = [] if field == "keywords" else ["--keywords-field", field]
            for src, args, stdin in (("file", [path], None), ("stdin", [], body)):
                p = run(["score", "--metric", "keywords", *extra, *args], stdin=stdin)
                name = path if src == "file" else "<stdin>"
                msg = p.stderr.decode()
                check(f"score {json.dumps(empty)} in \"{field}\" ({src}): exit 2 naming {name}:2",
                      p.returncode == 2 and f"{name}:2" in msg and "keyword" in msg,
                      f"exit {p.returncode}: {msg.strip()} / stdout {p.stdout[:200]!r}")
    # one real keyword among blanks: scored, 1 when it occurs as a word, else 0
    for kw, text, want in ((["", " paris "], "the Paris answer", 1.0), ("x, ,paris", "no", 0.0)):
        line = json.dumps({"id": "c", "sample": 0, "text": text, "keywords": kw}) + "\n"
        p = run(["score", "--metric", "keywords"], stdin=line.encode())
        ok = p.returncode == 0
        got = json.loads(p.stdout.decode().splitlines()[0]) if ok else {}
        check(f"score {json.dumps(kw)}: scored {want}", ok and got.get("score") == want, f"exit {p.returncode}: {p.stderr.decode()} {p.stdout[:200]!r}")


def hold_lock(out):
    import fcntl
    parent, base = os.path.split(out.rstrip("/"))
    fd = os.open(os.path.join(parent, "." + base + ".lock"), os.O_RDONLY | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def tree(d):
    return {n: open(os.path.join(d, n), "rb").read() for n in sorted(os.listdir(d))}


def mode_outlock():
    import time
    d = fresh("outlock")
    model, data = tiny_inputs(d)
    corpus = os.path.join(data, "full.jsonl")
    outs = {"data": (os.path.join(d, "fict"),
                     lambda o, *x: ["data", "fictitious", "--authors", "3", "--seed", "5", "--out", o, *x]),
            "tokenizer": (os.path.join(d, "tok2.json"),
                          lambda o, *x: ["tokenizer", "train", "--vocab-size", "300", "--out", o, corpus, *x])}
    for name, (out, cmd) in outs.items():
        fd = hold_lock(out)
        p = run(cmd(out))
        msg = p.stderr.decode()
        check(f"{name}: refused while another run holds the lock (exit 2, output and --wait named)",
              p.returncode == 2 and out in msg and "--wait" in msg and not os.path.exists(out),
              f"exit {p.returncode}: {msg.strip()}; exists {os.path.exists(out)}")
        w = subprocess.Popen([CLI] + cmd(out, "--wait"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(1.0)
        waited = w.poll() is None and not os.path.exists(out)
        os.close(fd)
        err = w.communicate(timeout=120)[1]
        check(f"{name} --wait: waits for the lock, then writes", waited and w.returncode == 0 and
              os.path.exists(out), f"waited {waited}, exit {w.returncode}: {err.decode().strip()}")
    # two seeds at once: DIR holds one seed's set, never a mix
    ref = {}
    for seed in (1, 2):
        o = os.path.join(d, f"ref{seed}")
        run(["data", "fictitious", "--authors", "40", "--seed", str(seed), "--out", o])
        ref[seed] = tree(o)
    out = os.path.join(d, "race")
    for trial in range(12):
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        open(os.path.join(out, "mine.txt"), "w").write("user file")
        ps = [subprocess.Popen([CLI, "data", "fictitious", "--authors", "40", "--seed", str(seed),
                                "--out", out, "--wait"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
              for seed in (1, 2)]
        codes = [(p.wait(timeout=120), p.stderr.read().decode()) for p in ps]
        got = tree(out)
        user = got.pop("mine.txt", None)
        left = [n for n in os.listdir(d) if n.startswith(".race.") and n != ".race.lock"]
        ok = all(c == 0 for c, _ in codes) and got in (ref[1], ref[2]) and user == b"user file" and not left
        if not check(f"race trial {trial}: one seed's whole set, user file kept, no temporary folder",
                     ok, f"{codes}, mixed: {[n for n in got if got[n] != ref[1].get(n)]} vs seed 1, "
                     f"user {user!r}, left {left}"):
            break
    # parents still created
    deep = os.path.join(d, "p", "q", "r")
    p = run(["data", "fictitious", "--authors", "2", "--out", deep])
    check("data fictitious creates missing parents", p.returncode == 0 and
          os.path.isfile(os.path.join(deep, "full.jsonl")), p.stderr.decode())


def mode_boundhash():
    import random
    rng = random.Random(3)
    body = "".join(json.dumps({"id": f"q{i}", "scores": [round(rng.random(), 3) for _ in range(5)]}) + "\n"
                   for i in range(200)).encode()
    want = hashlib.sha256(body).hexdigest()
    d = fresh("boundhash")
    path = os.path.join(d, "s.jsonl")
    open(path, "wb").write(body)
    got = {}
    p = run(["bound", path])
    got["file"] = p
    got["stdin"] = run(["bound", "-"], stdin=body)
    r, w = os.pipe()
    proc = subprocess.Popen([CLI, "bound", f"/dev/fd/{r}"], pass_fds=(r,), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    os.close(r)
    with os.fdopen(w, "wb") as f:
        f.write(body)
    out, err = proc.communicate(timeout=60)
    got["pipe path"] = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    for name, p in got.items():
        sha = None
        if p.returncode == 0:
            sha = json.loads(p.stdout)["provenance"].get("data_sha256")
        check(f"bound from a {name}: data_sha256 is the hash of the bytes read", sha == want,
              f"exit {p.returncode}: {p.stderr.decode().strip()}; got {sha}, want {want}")


def mode_tokprov():
    d = fresh("tokprov")
    model, data = tiny_inputs(d)
    bare = os.path.join(d, "bare")
    shutil.copytree(model, bare)
    os.unlink(os.path.join(bare, "tokenizer.json"))
    tok_a = os.path.join(d, "tok.json")  # the model's own (init copied it)
    tok_b = os.path.join(d, "tokB.json")
    p = run(["tokenizer", "train", "--vocab-size", "300", "--min-frequency", "1", "--out", tok_b,
             os.path.join(data, "retain90.jsonl")])
    check("setup: a second tokenizer", p.returncode == 0 and open(tok_a, "rb").read() != open(tok_b, "rb").read(),
          p.stderr.decode())
    q = os.path.join(data, "forget01.jsonl")

    def ev(folder, tag, *extra):
        out = os.path.join(d, "ev_" + tag)
        p = run(["eval", "--model", folder, "--data", q, "-n", "2", "--limit", "2", "--max-new-tokens", "3",
                 "--metric", "rougeL-recall", "--threads", "1", "--quiet", "--out", out, *extra])
        if p.returncode:
            check(f"eval {tag} runs", False, p.stderr.decode())
            return {}
        return json.load(open(os.path.join(out, "report.json")))["provenance"]

    own, with_a, with_b = ev(model, "own"), ev(bare, "a", "--tokenizer", tok_a), ev(bare, "b", "--tokenizer", tok_b)
    check("--tokenizer FILE: model_sha256 = the folder holding that file as tokenizer.json",
          own.get("model_sha256") and own.get("model_sha256") == with_a.get("model_sha256"),
          f"{own.get('model_sha256')} vs {with_a.get('model_sha256')}")
    check("another --tokenizer: another model_sha256",
          with_b.get("model_sha256") and with_b.get("model_sha256") != with_a.get("model_sha256"), str(with_b))
    check("provenance names the tokenizer loaded", with_a.get("tokenizer") == tok_a and
          with_b.get("tokenizer") == tok_b and "tokenizer" not in own, f"{with_a} {with_b} {own}")
    out = os.path.join(d, "s.jsonl")
    base = ["sample", "--model", bare, "--data", q, "-n", "2", "--max-new-tokens", "3", "--threads", "1",
            "--quiet", "-o", out]
    p = run(base + ["--tokenizer", tok_a, "--limit", "1"])
    check("sample with --tokenizer A", p.returncode == 0, p.stderr.decode())
    p = run(base + ["--tokenizer", tok_b, "--resume"])
    msg = p.stderr.decode()
    check("sample --resume with another --tokenizer: refused, naming model_sha256",
          p.returncode == 2 and "model_sha256" in msg, f"exit {p.returncode}: {msg.strip()}")
    p = run(base + ["--tokenizer", tok_a, "--resume"])
    check("sample --resume with the same --tokenizer continues", p.returncode == 0, p.stderr.decode())
    ft = os.path.join(d, "ft")
    p = run(["finetune", "--model", bare, "--tokenizer", tok_b, "--data", q, "--epochs", "1",
             "--max-length", "32", "--batch-size", "2", "--threads", "1", "--quiet", "--out", ft])
    rec = json.load(open(os.path.join(ft, "leakbound_run.json"))) if p.returncode == 0 else {}
    check("finetune --tokenizer: leakbound_run.json's model_sha256 covers the tokenizer loaded",
          rec.get("model_sha256") == with_b.get("model_sha256"),
          f"exit {p.returncode}: {p.stderr.decode()}; {rec.get('model_sha256')} vs {with_b.get('model_sha256')}")


def mode_outparents():
    """--help says an output folder is created if needed: missing parents are created too
    (eval, plot, init), and a parent that is a file is a clear error naming it."""
    d = fresh("outparents")
    s = os.path.join(d, "s.jsonl")
    with open(s, "w") as f:
        f.write('{"id":"q1","sample":0,"text":"Paris","reference":"Paris"}\n'
                '{"id":"q1","sample":1,"text":"Rome","reference":"Paris"}\n')
    out = os.path.join(d, "a", "b", "c")
    p = run(["eval", "--samples", s, "--metric", "rougeL-recall", "--out", out])
    check("eval --out a/b/c with a/ missing: exit 0 and the report written",
          p.returncode == 0 and os.path.isfile(os.path.join(out, "report.json")), p.stderr.decode())
    p = run(["plot", os.path.join(out, "report.json"), "--out", os.path.join(d, "p", "q", "plots")])
    check("plot --out p/q/plots with p/ missing: exit 0",
          p.returncode == 0 and os.path.isdir(os.path.join(d, "p", "q", "plots")), p.stderr.decode())
    open(os.path.join(d, "file"), "w").close()
    p = run(["eval", "--samples", s, "--metric", "rougeL-recall", "--out",
             os.path.join(d, "file", "sub", "out")])
    check("a parent that is a file: exit 1 naming it",
          p.returncode == 1 and b"cannot create its parent folder" in p.stderr, p.stderr.decode())


MODES = {"tokprov": mode_tokprov, "boundhash": mode_boundhash, "outlock": mode_outlock, "quiet": mode_quiet, "modelfolder": mode_modelfolder, "scorekw": mode_scorekw,
         "outparents": mode_outparents}

if __name__ == "__main__":
    os.makedirs(WORK, exist_ok=True)
    for m in sys.argv[1:] or MODES:
        MODES[m]()
    if failures:
        print("\n".join(failures))
        sys.exit(1)
