#!/usr/bin/python3
"""Oracle for `leakbound eval`: the pipeline against the commands it stands for.

- samples.jsonl: greedy + n lines per question, in order; each "score" equals what
  `leakbound score --metric M` gives for the same line (itself checked against rouge-score);
- report.json: its bound fields equal `leakbound bound` run on the sampled scores (same alpha,
  method, thresholds), prompt by prompt and in the summary; "greedy" is the score of the
  sample -1 line; "question" and the "eval" settings are present;
- sanity: every number finite, M_mu_lower <= mean <= M_mu, max >= mean, ED = M_mu + L M_sigma,
  M_bin present exactly for binary metrics;
- report.md: overall and per-question tables with the documented columns, one row per question;
- plots: density.svg / ecdf.svg / ed.svg are XML with the report module's classes (one panel per
  plotted question, the greedy marker, the DKW band, histogram bars);
- keywords (CSV, binary, conbo method), adaptive temperature labelling, and error exits.
"""
import hashlib
import json
import os
import re
import xml.etree.ElementTree as ET

import numpy as np

import sample_common as sc

FIELDS = ["n", "mean", "std", "max", "M_mu", "M_mu_lower", "M_sigma", "ED", "queries", "leak_at"]


def model(d):
    bias = np.full(260, -30.0, dtype=np.float32)
    for ch, b in ((" ", 0.6), ("a", 1.0), ("b", 0.8), ("c", 0.2)):
        bias[ord(ch)] = b
    bias[sc.EOS] = -0.5
    path = os.path.join(d, "abc")
    sc.bias_model(path, [float(x) for x in bias])
    return path


def close(a, b, tol=1e-12):
    if a is None or b is None:
        return a is b
    return abs(a - b) <= tol * max(1.0, abs(b))


def compare_to_bound(out, args_bound, tag):
    rep = json.load(open(os.path.join(out, "report.json")))
    lines = [json.loads(l) for l in open(os.path.join(out, "samples.jsonl"), encoding="utf-8")]
    inp = os.path.join(out, "scores_for_bound.jsonl")
    with open(inp, "w") as f:
        for l in lines:
            if l["sample"] >= 0:
                f.write(json.dumps({"id": l["id"], "score": l["score"]}) + "\n")
    b = json.loads(sc.run_cli(["bound"] + args_bound + [inp]).stdout)
    if len(b["prompts"]) != len(rep["prompts"]):
        sc.fail(f"{tag}: {len(rep['prompts'])} prompts in report.json, bound has {len(b['prompts'])}")
    for k in ("alpha", "method", "ed_lambda"):
        if rep[k] != b[k]:
            sc.fail(f"{tag}: report.json {k}={rep[k]} vs bound {b[k]}")
    for pr, pb in zip(rep["prompts"], b["prompts"]):
        for k in FIELDS + ["M_bin"]:
            if (k in pr) != (k in pb) or (k in pr and not close(pr[k], pb[k])):
                sc.fail(f"{tag}: prompt {pr['id']} {k}: eval {pr.get(k)} vs bound {pb.get(k)}")
        for k in ("M_gen", "P_ge"):
            for t in pb[k]:
                if not close(pr[k][t], pb[k][t]):
                    sc.fail(f"{tag}: prompt {pr['id']} {k}[{t}]: {pr[k][t]} vs {pb[k][t]}")
    for k, v in b["summary"].items():
        if isinstance(v, dict):
            continue
        if not close(rep["summary"][k], v):
            sc.fail(f"{tag}: summary {k}: {rep['summary'][k]} vs bound {v}")
    return rep, lines


def check_scores(out, metric, tag):
    lines_path = os.path.join(out, "samples.jsonl")
    stripped = os.path.join(out, "unscored.jsonl")
    with open(lines_path, encoding="utf-8") as f, open(stripped, "w", encoding="utf-8") as g:
        for l in f:
            o = json.loads(l)
            del o["score"]
            g.write(json.dumps(o, ensure_ascii=False) + "\n")
    ref = [json.loads(l)["score"] for l in sc.run_cli(["score", "--metric", metric, stripped]).stdout.splitlines()]
    got = [json.loads(l)["score"] for l in open(lines_path, encoding="utf-8")]
    if ref != got:
        bad = next(i for i, (x, y) in enumerate(zip(ref, got)) if x != y)
        sc.fail(f"{tag}: samples.jsonl line {bad + 1} score {got[bad]}, leakbound score says {ref[bad]}")


def sanity(rep, lines, n, lam, binary, tag):
    greedy = {l["id"]: l["score"] for l in lines if l["sample"] == -1}
    ids = []
    for l in lines:
        if not ids or ids[-1] != l["id"]:
            ids.append(l["id"])
    for i, pid in enumerate(ids):
        grp = [l["sample"] for l in lines if l["id"] == pid]
        if grp != list(range(-1, n)):
            sc.fail(f"{tag}: samples of {pid}: {grp[:5]}...")
    for p in rep["prompts"]:
        for k in FIELDS:
            if p[k] is None or not np.isfinite(p[k]):
                sc.fail(f"{tag}: {p['id']} {k} = {p[k]}")
        if not (p["M_mu_lower"] - 1e-12 <= p["mean"] <= p["M_mu"] + 1e-12 and p["max"] >= p["mean"] - 1e-12):
            sc.fail(f"{tag}: {p['id']}: bounds do not bracket the mean: {p}")
        if not close(p["ED"], p["M_mu"] + lam * p["M_sigma"], 1e-9) or p["n"] != n:
            sc.fail(f"{tag}: {p['id']}: ED or n wrong")
        is_bin = all(l["score"] in (0.0, 1.0) for l in lines if l["id"] == p["id"] and l["sample"] >= 0)
        if binary and not is_bin:
            sc.fail(f"{tag}: {p['id']}: a binary metric gave non-binary scores")
        if ("M_bin" in p) != is_bin or (is_bin and p["M_bin"] < p["mean"] - 1e-12):
            sc.fail(f"{tag}: {p['id']}: M_bin presence/value")
        if p["greedy"] != greedy[p["id"]] or not p["question"]:
            sc.fail(f"{tag}: {p['id']}: greedy {p['greedy']} vs line {greedy[p['id']]}")
    if [p["id"] for p in rep["prompts"]] != ids:
        sc.fail(f"{tag}: prompt order differs from the data")


def check_md_svg(out, n_q, binary, n_plot, tag, n_thr=1):
    md = open(os.path.join(out, "report.md"), encoding="utf-8").read()
    head = "| greedy |" if True else ""
    cols = ["greedy", "mean", "max", "M\\_mu", "M\\_sigma", "ED"] + (["M\\_bin"] if binary else [])
    rows = [l for l in md.splitlines() if l.startswith("|")]
    header_rows = [r for r in rows if "greedy" in r]
    if len(header_rows) != 2 or any(c not in header_rows[0] for c in cols) or \
            (not binary and "M\\_bin" in header_rows[0]):
        sc.fail(f"{tag}: report.md headers {header_rows}")
    # overall (header, rule, mean), per question, the leak shares (2 rows), M_gen/P_ge per threshold
    if len(rows) != 2 * 2 + 1 + n_q + 4 + 2 + n_thr:
        sc.fail(f"{tag}: report.md has {len(rows)} table rows, want {11 + n_q + n_thr}")
    ns = {"s": "http://www.w3.org/2000/svg"}

    def cls(root, tagname, c):
        return [e for e in root.iter("{http://www.w3.org/2000/svg}" + tagname)
                if c in (e.get("class") or "").split()]
    den = ET.parse(os.path.join(out, "density.svg")).getroot()
    ecdf = ET.parse(os.path.join(out, "ecdf.svg")).getroot()
    ed = ET.parse(os.path.join(out, "ed.svg")).getroot()
    if len(cls(den, "g", "panel")) != n_plot or len(cls(den, "line", "greedy")) != n_plot or \
            not cls(den, "rect", "bar"):
        sc.fail(f"{tag}: density.svg panels/greedy markers/bars")
    if len(cls(ecdf, "g", "panel")) != n_plot or len(cls(ecdf, "polygon", "dkw-band")) != n_plot or \
            len(cls(ecdf, "polyline", "ecdf")) != n_plot:
        sc.fail(f"{tag}: ecdf.svg panels/bands")
    if not cls(ed, "rect", "bar"):
        sc.fail(f"{tag}: ed.svg has no bars")
    del ns, head


def sha256_of(paths):
    h = hashlib.sha256()
    for p in paths:
        with open(p, "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def check_provenance(rep, argv, model_dir, data, tag):
    """report.json's provenance: the version of CMakeLists.txt's project(), the command line, and
    the model folder's model_sha256 (sc.model_sha256: hashlib over the files a load reads) and
    hashlib's sha256 of the data file."""
    pv = rep.get("provenance", {})
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    with open(os.path.join(root, "CMakeLists.txt")) as f:
        version = re.search(r"project\(leakbound VERSION ([0-9.]+)", f.read()).group(1)
    want = {"leakbound_version": version, "model": model_dir, "model_sha256": sc.model_sha256(model_dir),
            "data": data, "data_sha256": sha256_of([data])}
    for k, v in want.items():
        if pv.get(k) != v:
            sc.fail(f"{tag}: provenance {k} = {pv.get(k)!r}, want {v!r}")
    if argv is not None and pv.get("argv") != argv:
        sc.fail(f"{tag}: provenance argv {pv.get('argv')} != {argv}")


def main():
    d = sc.work_dir("sample_eval")
    m = model(d)
    n = 40 if sc.SANITIZED else 120
    data = os.path.join(d, "qa.jsonl")
    answers = ["a b", "b b a", "a a a", "c", "a b c a", "b", "a c", "b a b a"]
    with open(data, "w") as f:
        for i, a in enumerate(answers):
            f.write(json.dumps({"id": f"q{i}", "question": f"Q{i}?", "answer": a}) + "\n")
    out = os.path.join(d, "out_rouge")
    eval_args = ["eval", "--model", m, "--data", data, "-n", str(n), "--metric", "rougeL-recall",
                 "--max-new-tokens", "8", "--threshold", "0.5", "--threshold", "0.9",
                 "--ed-lambda", "1.5", "--seed", "4", "--out", out, "--quiet", "--template", "phi"]
    sc.run_cli(eval_args)
    check_scores(out, "rougeL-recall", "rougeL")
    rep, lines = compare_to_bound(out, ["--alpha", "0.01", "--method", "exact", "--threshold", "0.5",
                                        "--threshold", "0.9", "--ed-lambda", "1.5", "--leak-threshold", "0.9"],
                                  "rougeL")
    sanity(rep, lines, n, 1.5, False, "rougeL")
    if rep["eval"]["metric"] != "rougeL-recall" or rep["eval"]["n"] != n or \
            "adaptive_temperature" in rep["eval"]:
        sc.fail(f"rougeL: eval settings {rep['eval']}")
    if not any(0 < p["mean"] < 1 for p in rep["prompts"]):
        sc.fail("rougeL: every mean is 0 or 1: the test data does not exercise the bounds")
    check_provenance(rep, [sc.CLI] + eval_args, m, data, "rougeL")
    ev = rep["eval"]
    if ev.get("max_new_tokens") != 8 or "max_length" in ev or "min_p" in ev:
        sc.fail(f"rougeL: only the limit in force is recorded: {ev}")
    check_md_svg(out, len(answers), any("M_bin" in p for p in rep["prompts"]), 6, "rougeL", 2)
    print(f"eval rougeL-recall: {len(answers)} questions x (1 + {n}): scores = score, bounds = bound")

    # Keywords from CSV: binary scores, conbo method, adaptive temperature label.
    csv = os.path.join(d, "hp.csv")
    with open(csv, "w") as f:
        f.write("Question,Key Words\nWho?,\"bb, ca\"\nWhat?,aaa\nWhere?,\"c c\"\n")
    out2 = os.path.join(d, "out_kw")
    sc.run_cli(["eval", "--model", m, "--data", csv, "-n", str(n), "--metric", "keywords",
                "--method", "conbo", "--alpha", "0.05", "--max-new-tokens", "6", "--out", out2,
                "--quiet", "--adaptive-temperature", "--confidence", "entropy",
                "--confidence-threshold", "0.99", "--plot-prompts", "2", "--verbose"])
    check_scores(out2, "keywords", "keywords")
    rep2, lines2 = compare_to_bound(out2, ["--alpha", "0.05", "--method", "conbo", "--threshold", "0.5"],
                                    "keywords")
    sanity(rep2, lines2, n, 2.0, True, "keywords")
    check_provenance(rep2, None, m, csv, "keywords")
    lab = rep2["eval"].get("adaptive_temperature", {}).get("label", "")
    if "reconstructed" not in lab or "reconstructed rule" not in open(os.path.join(out2, "report.md")).read():
        sc.fail("adaptive temperature is not labelled as a reconstruction")
    if any("temperatures" not in l for l in lines2):
        sc.fail("--verbose: temperatures missing")
    check_md_svg(out2, 3, True, 2, "keywords")
    print("eval keywords (CSV, conbo, adaptive): scores = score, bounds = bound, M_bin present")

    # Errors: exit 2, nothing half-written.
    bad_out = os.path.join(d, "out_bad")
    for args, needle in [
        (["--model", m, "--data", data, "-n", "5", "--out", bad_out], "--metric"),
        (["--model", m, "--data", data, "-n", "0", "--metric", "exact", "--out", bad_out], "-n"),
        (["--model", m, "--data", data, "-n", "5", "--metric", "keywords", "--out", bad_out], "keywords"),
        (["--model", m, "--data", csv, "-n", "5", "--metric", "rougeL-f", "--out", bad_out], "answer"),
        (["--model", m, "--data", data, "-n", "5", "--metric", "exact", "--alpha", "0.7",
          "--out", bad_out], "--alpha"),
    ]:
        p = sc.run_cli(["eval"] + args + ["--quiet"], check=False)
        if p.returncode != 2 or needle not in p.stderr:
            sc.fail(f"eval {args}: exit {p.returncode}, {p.stderr!r} (want 2, {needle!r})")
        if os.path.exists(os.path.join(bad_out, "report.json")) or \
                os.path.exists(os.path.join(bad_out, "samples.jsonl")):
            sc.fail(f"eval {args}: left output behind")
    if "--metric" not in sc.run_cli(["eval", "--help"]).stdout:
        sc.fail("eval --help")
    print("eval errors: exit 2, no output files")
    print("OK")


if __name__ == "__main__":
    main()
