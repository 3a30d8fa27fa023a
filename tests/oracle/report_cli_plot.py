#!/usr/bin/python3
"""`leakbound plot` end to end: scores JSONL (string and integer ids, greedy lines with
"sample": -1) -> `leakbound bound` -> report.json -> `leakbound plot`. density.svg and ecdf.svg
must show exactly the chosen prompts' scores (numpy histogram / ECDF / scipy KDE, DKW margin
at the report's alpha), ed.svg the histogram of every prompt's ED from the report. Every error
path exits 2 with the file (and line) in the message and writes no file."""
import json
import math
import os
import shutil
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_common as rc  # noqa: E402
from report_common import check  # noqa: E402

CLI = os.environ["LB_CLI"]
WORK = os.path.join(os.environ["LB_WORK"], "report_cli_plot")
shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
SMALL = os.environ.get("LB_SANITIZED") == "1"
rng = np.random.default_rng(7)
N_PROMPTS, N_SAMPLES = (9, 64) if SMALL else (25, 256)


def run(*args, stdin=None):
    p = subprocess.run([CLI] + list(args), input=stdin, capture_output=True, text=True, check=False)
    return p.returncode, p.stdout, p.stderr


def write(name, text):
    path = os.path.join(WORK, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


# ---- inputs: per prompt a score distribution, a greedy line, samples in interleaved order ----------

ids = [i if i % 3 == 0 else f"q{i} <&\"'>" for i in range(N_PROMPTS)]
scores = {}
greedy = {}
for i, pid in enumerate(ids):
    kind = i % 4
    if kind == 0:
        v = rng.beta(1 + i / 5, 3, N_SAMPLES)
    elif kind == 1:
        v = rng.integers(0, 11, N_SAMPLES) / 10.0  # ROUGE-like ties on bin edges
    elif kind == 2:
        v = (rng.random(N_SAMPLES) < 0.1).astype(float)  # binary
    else:
        v = np.clip(rng.normal(0.6, 0.2, N_SAMPLES), 0, 1)
    scores[i] = v
    greedy[i] = float(rng.integers(0, 101)) / 100.0
lines = []
for i, pid in enumerate(ids):
    lines.append({"id": pid, "sample": -1, "text": "greedy", "score": greedy[i]})
# Chunks of 32 as "scores" arrays and single "score" lines, interleaved across prompts so
# that one prompt's lines are not adjacent.
for j in range(0, N_SAMPLES, 64):
    for i in range(N_PROMPTS):
        lines.append({"id": ids[i], "scores": scores[i][j:j + 32].tolist()})
        lines += [{"id": ids[i], "sample": j + k, "score": float(scores[i][j + k])} for k in range(32, 64)]
scores_path = write("scores.jsonl", "".join(json.dumps(x) + "\n" for x in lines))
samples_only = "".join(json.dumps(x) + "\n" for x in lines if x.get("sample") != -1)
code, out, err = run("bound", "--alpha", "0.05", stdin=samples_only)
check(code == 0, f"bound failed: {err}")
report = json.loads(out)
report_path = write("report.json", out)
ED = np.array([p["ED"] for p in report["prompts"]], dtype=float)
doc_ids = [p["id"] for p in report["prompts"]]
check(doc_ids == ids, "bound: prompts out of order")


def label(pid):
    return f"prompt {pid}"


def check_outputs(outdir, chosen, alpha, bins, greedy_of, where):
    root = rc.parse(os.path.join(outdir, "density.svg"))
    if root is not None:
        ps = rc.panels(root)
        if check(len(ps) == len(chosen), f"{where}: density has {len(ps)} panels, want {len(chosen)}"):
            check(rc.texts(root, "panel-label") == [label(ids[i]) for i in chosen],
                  f"{where}: density labels {rc.texts(root, 'panel-label')}")
            for p, i in zip(ps, chosen):
                rc.check_density_panel(p, scores[i], greedy_of(i), bins, f"{where} density {ids[i]}")
    root = rc.parse(os.path.join(outdir, "ecdf.svg"))
    if root is not None:
        ps = rc.panels(root)
        if check(len(ps) == len(chosen), f"{where}: ecdf has {len(ps)} panels"):
            for p, i in zip(ps, chosen):
                rc.check_ecdf_panel(p, scores[i], greedy_of(i), alpha, f"{where} ecdf {ids[i]}")
        check(any(f"{100 * (1 - alpha):g}%" in t for t in
                  ("".join(e.itertext()) for e in root.iter(rc.NS + "text"))), f"{where}: band level not shown")
    root = rc.parse(os.path.join(outdir, "ed.svg"))
    if root is not None:
        rc.check_histogram(root, ED, bins, f"{where} ed")
    check(sorted(os.listdir(outdir)) == ["density.svg", "ecdf.svg", "ed.svg"],
          f"{where}: files {sorted(os.listdir(outdir))}")


# Default: the 4 highest ED, shown in report order; greedy from the scores' sample -1 lines.
out1 = os.path.join(WORK, "out1", "nested")
os.makedirs(os.path.dirname(out1))
code, out, err = run("plot", "--bound", report_path, "--scores", scores_path, "--out", out1)
check(code == 0 and out == "", f"plot default: exit {code}: {err}")
top = sorted(sorted(range(N_PROMPTS), key=lambda i: -ED[i])[:4])
check_outputs(out1, top, 0.05, 20, lambda i: greedy[i], "default")

# Explicit prompts (integer and string ids, in the order given), --alpha, --bins; greedy from
# the report when the scores have no greedy line; stdin for the scores.
rep2 = json.loads(open(report_path).read())
for i, p in enumerate(rep2["prompts"]):
    p["greedy"] = greedy[i]
report2 = write("report2.json", json.dumps(rep2))
chosen = [3, 1, 2, 0, 7]
sel = ",".join(str(ids[i]) for i in chosen)
out2 = os.path.join(WORK, "out2")
code, out, err = run("plot", "--bound", report2, "--scores", "-", "--out", out2, "--prompts", sel,
                     "--alpha", "0.2", "--bins", "13", stdin=samples_only)
check(code == 0, f"plot --prompts: exit {code}: {err}")
check_outputs(out2, chosen, 0.2, 13, lambda i: greedy[i], "explicit")

# No greedy anywhere: no greedy line.
out3 = os.path.join(WORK, "out3")
code, out, err = run("plot", "--bound", report_path, "--scores", "-", "--out", out3, "--prompts", "0,q1 <&\"'>",
                     stdin=samples_only)
check(code == 0, f"plot no greedy: exit {code}: {err}")
check_outputs(out3, [0, 1], 0.05, 20, lambda i: None, "no greedy")

# A repeated (id, sample) pair is kept (lb_scores_read with LB_SCORES_ALLOW_DUPLICATES, the
# greedy line repeated with the same score counted once): a plot shows what the file holds.
out4 = os.path.join(WORK, "out4")
twice = write("twice.jsonl", open(scores_path).read() * 2)
code, out, err = run("plot", "--bound", report_path, "--scores", twice, "--out", out4, "--prompts", "0,q1 <&\"'>")
check(code == 0, f"plot twice: exit {code}: {err}")
root = rc.parse(os.path.join(out4, "density.svg"))
if root is not None:
    for p, i in zip(rc.panels(root), [0, 1]):
        rc.check_density_panel(p, np.concatenate([scores[i], scores[i]]), greedy[i], 20, f"twice density {ids[i]}")

# --help
code, out, err = run("plot", "--help")
check(code == 0 and "--bound" in out and "density.svg" in out, "plot --help")

# ---- errors: exit 2, file and line named, nothing written ------------------------------------------------

good_scores = open(scores_path).read().split("\n")
BAD = []
for name, line, want in [
    ("malformed", '{"id": 0, "score": 0.5', ":3:"),
    ("above 1", '{"id": 0, "score": 1.5}', ":3: field \"score\" = 1.5 is outside [0, 1]"),
    ("nan", '{"id": 0, "score": NaN}', ":3:"),
    ("bad in array", '{"id": 0, "scores": [0.1, -1]}', ":3: \"scores\"[1] = -1 is outside [0, 1]"),
    ("no id", '{"score": 0.5}', ":3: missing field \"id\""),
    ("float id", '{"id": 1.5, "score": 0.5}', ":3: field \"id\" must be a string or an integer"),
    ("both", '{"id": 0, "score": 0.5, "scores": [0.1]}', ":3: both \"score\" and \"scores\" given"),
    ("greedy array", '{"id": 0, "sample": -1, "scores": [0.1, 0.2]}', ":3: a greedy line (\"sample\": -1) holds one score"),
    # read by lb_scores_read, as `bound` reads it: these were accepted by plot's own reader before
    ("empty array", '{"id": 0, "scores": []}', ":3: field \"scores\" is empty"),
    ("bad sample", '{"id": 0, "sample": "x", "score": 0.5}', ":3: field \"sample\" must be an integer"),
    ("second greedy", '{"id": 0, "sample": -1, "score": 0.123}', ":3: id 0 has a second greedy answer"),
]:
    text = "\n".join(good_scores[:2] + [line] + good_scores[2:])
    BAD.append((name, ["--bound", report_path, "--scores", write(f"bad_{len(BAD)}.jsonl", text)], want))
bad_doc = write("bad_doc.json", '{"prompts": [\n {"id": 0, "ED": 1,}]}')
BAD += [
    ("report syntax", ["--bound", bad_doc, "--scores", scores_path], "bad_doc.json:2:"),
    ("report no prompts", ["--bound", write("np.json", '{"alpha": 0.01}'), "--scores", scores_path],
     "no \"prompts\""),
    ("report empty", ["--bound", write("e.json", '{"prompts": []}'), "--scores", scores_path], "is empty"),
    ("report ED string", ["--bound", write("eds.json", '{"prompts": [{"id": 0, "ED": "x"}]}'),
                          "--scores", scores_path], "prompts[0].ED"),
    ("report id", ["--bound", write("idb.json", '{"prompts": [{"id": [1], "ED": 1}]}'),
                   "--scores", scores_path], "prompts[0].id"),
    ("report greedy", ["--bound", write("gb.json", '{"prompts": [{"id": 0, "ED": 1, "greedy": 2}]}'),
                       "--scores", scores_path], "prompts[0].greedy"),
    # ED beyond what an axis can span: named with its file and field before any plot is drawn
    # (density.svg and ecdf.svg were written, then ed.svg failed naming neither).
    ("report ED huge", ["--bound", write("edh.json", '{"prompts": [{"id": 0, "ED": 0.5}, '
                                                     '{"id": 3, "ED": 1e308}]}'),
                        "--scores", scores_path, "--prompts", "0"], "edh.json: prompts[1].ED"),
    ("report missing", ["--bound", os.path.join(WORK, "nope.json"), "--scores", scores_path], "nope.json"),
    ("scores missing", ["--bound", report_path, "--scores", os.path.join(WORK, "nope.jsonl")], "nope.jsonl"),
    ("unknown prompt", ["--bound", report_path, "--scores", scores_path, "--prompts", "0,zz"],
     "no prompt 'zz'"),
    ("no scores for prompt", ["--bound", write("extra.json", json.dumps(
        {"prompts": [{"id": "ghost", "ED": 1.0}]})), "--scores", scores_path],
     "no sampled scores for prompt 'ghost'"),
    ("bad alpha", ["--bound", report_path, "--scores", scores_path, "--alpha", "1"], "--alpha"),
    ("bad bins", ["--bound", report_path, "--scores", scores_path, "--bins", "0"], "--bins"),
    ("missing flag", ["--bound", report_path, "--scores", scores_path], "required"),
    ("both stdin", ["--bound", "-", "--scores", "-"], "both read stdin"),
    ("unknown flag", ["--bound", report_path, "--scores", scores_path, "--what"], "unknown option"),
]
for k, (name, args, want) in enumerate(BAD):
    outdir = os.path.join(WORK, f"bad_out_{k}")
    if "--out" not in args and name != "missing flag":
        args = args + ["--out", outdir]
    code, out, err = run("plot", *args)
    check(code == 2, f"error '{name}': exit {code}, want 2 ({err.strip()})")
    check(want in err, f"error '{name}': message {err.strip()!r} lacks {want!r}")
    check(not os.path.exists(outdir) or not os.listdir(outdir), f"error '{name}': files written")

# ---- a failed write leaves the previous complete set untouched --------------------------------------
# The file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored so write() returns EFBIG) makes the first SVG
# fail part-way, as a full disk would: exit 1, the file and the reason named, DIR as before, no
# temporary folder left beside it; other files in DIR are kept by a good run.
import resource  # noqa: E402
import signal  # noqa: E402

keep = os.path.join(WORK, "keep_out")
code, out, err = run("plot", "--bound", report_path, "--scores", scores_path, "--out", keep)
check(code == 0, f"keep: first run exit {code} ({err.strip()})")
write(os.path.join("keep_out", "notes.txt"), "mine")
before = {n: open(os.path.join(keep, n), "rb").read() for n in os.listdir(keep)}


def small_files():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))


p = subprocess.run([CLI, "plot", "--bound", report_path, "--scores", scores_path, "--out", keep,
                    "--prompts", "0"], capture_output=True, text=True, preexec_fn=small_files, check=False)
check(p.returncode == 1, f"keep: write failure exit {p.returncode}, want 1 ({p.stderr.strip()})")
check(os.strerror(27) in p.stderr and ".svg" in p.stderr,
      f"keep: message {p.stderr.strip()!r} lacks the file and the reason")
after = {n: open(os.path.join(keep, n), "rb").read() for n in os.listdir(keep)}
check(after == before, f"keep: DIR changed by a failed run: {sorted(before)} -> {sorted(after)}")
# (.keep_out.lock, the folder's lock file, stays by design: docs/guarantees.md)
check(not [n for n in os.listdir(WORK) if n.startswith(".keep_out") and n != ".keep_out.lock"],
      "keep: temporary folder left")
code, out, err = run("plot", "--bound", report_path, "--scores", scores_path, "--out", keep,
                     "--prompts", "0")
check(code == 0, f"keep: second run exit {code} ({err.strip()})")
check(open(os.path.join(keep, "notes.txt")).read() == "mine", "keep: a file of the user's was lost")
check(open(os.path.join(keep, "density.svg"), "rb").read() != before["density.svg"],
      "keep: density.svg not replaced by the second run")

if rc.FAILURES:
    print(f"{len(rc.FAILURES)} failure(s)")
    sys.exit(1)
print("report_cli_plot: all checks passed")
