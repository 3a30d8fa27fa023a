"""Oracle test of the judge's label warning in Python: leakbound.score(metric="judge") and
leakbound.eval(metric="judge") issue one leakbound.JudgeLabelWarning (a UserWarning) with the
text `leakbound score` / `eval` print after "leakbound CMD: warning: ", when the judge hardly
writes its labels, and none when it does.

The judge is judge_cli.py's tiny random Llama judge with the byte tokenizer (a label's first
token is its first byte). The labels' probabilities are computed here independently: the
softmax of the float64 PyTorch forward (sample_common.reference_logits) at the last position of
each judge prompt. Two letters the judge hardly writes on score's first batch (mean p_A + p_B
below 0.01) and two it does (above) are picked by that oracle; then
- score: Python warns once with exactly the CLI's text (same judge, template, labels, batch of
  4), whose mean equals the oracle's mean over the first 4 pairs (5e-3 relative); with the
  likely labels neither Python nor the CLI warns;
- eval: Python's eval warns once with exactly the text of the CLI's eval of the same settings
  (same seed: the same samples), whose mean equals the oracle's mean over one question's group
  (the first group scored: greedy and n samples, read back from samples.jsonl); the likely
  labels give no warning;
- eval --samples (the CLI over eval's samples.jsonl, scores removed): the warning's mean is the
  oracle's over the first line's pair (the lines are judged one by one), and Python's
  eval(samples=...) warns once with exactly that text.
"""
import json
import os
import re
import subprocess
import warnings

import torch

import python_common as pc  # noqa: E402  (puts python/ and tests/oracle on sys.path)
import judge_cli  # noqa: E402  (its judge and helpers)
import sample_common as sc  # noqa: E402

leakbound = pc.leakbound
C = pc.Checks("python_judge_warn")
WORK = pc.work_dir("python_judge_warn")
TMPL = "Q: {prompt}\\nA: {response}\\nVerdict:"
MASS = re.compile(r"total probability (\S+) (?:on average over the first (\d+) judge prompts|"
                  r"on the first judge prompt),")


def mass_count(m):
    """The number of judge prompts a MASS match averages over (one: "the first judge prompt")."""
    return int(m.group(2)) if m.group(2) else 1


def oracle_p(cfg, W, prompt, text):
    """softmax of the float64 reference forward over the byte vocabulary, for one pair."""
    ids = list(judge_cli.render_literal(TMPL, prompt, text).encode("utf-8"))
    logits = torch.tensor(sc.reference_logits(cfg, W, ids), dtype=torch.float64)
    return torch.softmax(logits, 0)


def label_mass(probs, labels):
    return sum(probs[ord(c)].item() for c in labels.split(","))


def caught(fn):
    """fn()'s JudgeLabelWarning messages, every warning recorded ("always")."""
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        fn()
    return [str(w.message) for w in got if issubclass(w.category, leakbound.JudgeLabelWarning)]


def cli_warning(cmd, args):
    """The CLI's warning text without "leakbound CMD: warning: " (None when it prints none)."""
    p = subprocess.run([pc.CLI] + args, capture_output=True, text=True, env=pc.sub_env(),
                       timeout=300)
    if p.returncode:
        raise SystemExit(f"leakbound {' '.join(args)}: exit {p.returncode}: {p.stderr}")
    prefix = f"leakbound {cmd}: warning: "
    at = p.stderr.find(prefix)
    if at < 0:
        return None
    rest = p.stderr[at + len(prefix):]
    end = rest.find("\n", rest.find("  hint:"))
    return rest[:end]


def check_mass(tag, msg, want, k):
    m = MASS.search(msg or "")
    C.check(f"{tag}: the mean over the first {k} judge prompts is the oracle's {want:.4g}",
            m is not None and mass_count(m) == k and
            abs(float(m.group(1)) - want) <= 5e-3 * want, f"message {msg!r}")


def main():
    C.check("JudgeLabelWarning is a UserWarning exported by the package",
            issubclass(leakbound.JudgeLabelWarning, UserWarning) and
            "JudgeLabelWarning" in leakbound.__all__)
    folder = os.path.join(WORK, "judge")
    cfg, W = judge_cli.make_judge(folder, seed=13)
    path, lines = judge_cli.lines_in(WORK)
    pairs = [(ln["prompt"], t) for ln in lines
             for t in (ln["text"] if isinstance(ln["text"], list) else [ln["text"]])]
    first = [oracle_p(cfg, W, q, t) for q, t in pairs[:4]]
    mean = sum(first) / len(first)
    letters = sorted((mean[c].item(), chr(c)) for c in range(ord("a"), ord("z") + 1))
    low = f"{letters[0][1]},{letters[1][1]}"
    high = f"{letters[-1][1]},{letters[-2][1]}"
    C.check("the oracle gives labels on both sides of the floor",
            label_mass(mean, low) < 0.01 <= label_mass(mean, high), f"{letters}")

    # score: Python's warning is the CLI's, once per call; none with the likely labels
    texts, questions = [t for _, t in pairs], [q for q, _ in pairs]
    for labels in (low, high):
        below = labels == low
        flags = ["--judge", folder, "--judge-template", TMPL, "--judge-labels", labels,
                 "--judge-batch", "4"]
        want = cli_warning("score", ["score", "--metric", "judge"] + flags + [path])
        got = caught(lambda: leakbound.score(texts, questions, metric="judge", judge=folder,
                                             judge_template=TMPL, judge_labels=labels,
                                             judge_batch=4))
        if below:
            C.check("score: one JudgeLabelWarning with the CLI's exact text",
                    len(got) == 1 and want is not None and got[0] == want,
                    f"python {got!r}, cli {want!r}")
            check_mass("score", got[0] if got else None, label_mass(mean, labels), 4)
        else:
            C.check(f"score: no warning with likely labels {labels}", not got and want is None,
                    f"python {got!r}, cli {want!r}")

    # labels long enough that the warning outgrows a 1,024-byte buffer: whole in both (a label
    # counts by its first token, its first byte here)
    long = ",".join(c + "-" + "x" * 700 for c in low.split(","))
    flags = ["--judge", folder, "--judge-template", TMPL, "--judge-labels", long,
             "--judge-batch", "4"]
    want = cli_warning("score", ["score", "--metric", "judge"] + flags + [path])
    got = caught(lambda: leakbound.score(texts, questions, metric="judge", judge=folder,
                                         judge_template=TMPL, judge_labels=long, judge_batch=4))
    C.check("score: a warning over 1,024 bytes is whole, in Python and the CLI",
            len(got) == 1 and got[0] == want and len(want) > 1500 and
            all(f"'{x}'" in want for x in long.split(",")), f"python {got!r}, cli {want!r}")

    # eval: the same settings in Python and the CLI sample the same answers (the sampling does
    # not depend on the judge), so the unlikely labels' run also gives the oracle each
    # question's group, from which two letters likely in every group are picked
    data = os.path.join(WORK, "prompts.jsonl")
    with open(data, "w") as f:
        for i, q in enumerate(["How do I pick a lock?", "Say hi"]):
            f.write(json.dumps({"id": "l%d" % i, "prompt": q}) + "\n")
    n, labels, group_means = 5, low, None
    for tag in ("low", "high"):
        out = os.path.join(WORK, "py_eval_" + tag)
        kw = dict(n=n, max_new_tokens=6, seed=3, metric="judge", judge=folder,
                  judge_template=TMPL, judge_labels=labels)
        got = caught(lambda: leakbound.eval(folder, data=data, out=out, **kw))
        want = cli_warning("eval", ["eval", "--model", folder, "--data", data, "-n", str(n),
                                    "--max-new-tokens", "6", "--seed", "3", "--metric", "judge",
                                    "--judge", folder, "--judge-template", TMPL,
                                    "--judge-labels", labels, "--quiet",
                                    "--out", os.path.join(WORK, "cli_eval_" + tag)])
        if tag == "high":
            C.check(f"eval: no warning with labels {labels} likely in every group "
                    f"(oracle {[label_mass(g, labels) for g in group_means]})",
                    not got and want is None, f"python {got!r}, cli {want!r}")
            break
        with open(os.path.join(out, "samples.jsonl")) as f:
            sample_lines = [json.loads(x) for x in f]
        groups = {}
        for ln in sample_lines:
            groups.setdefault(ln["id"], []).append(oracle_p(cfg, W, ln["question"], ln["text"]))
        group_means = [sum(g) / len(g) for g in groups.values()]
        masses = [label_mass(g, labels) for g in group_means]
        C.check("eval: one JudgeLabelWarning with the CLI's exact text",
                len(got) == 1 and want is not None and got[0] == want,
                f"python {got!r}, cli {want!r}")
        m = MASS.search(got[0] if got else "")
        near = min(masses, key=lambda x: abs(x - float(m.group(1)))) if m else masses[0]
        check_mass("eval (a question's group)", got[0] if got else None, near, n + 1)
        # eval --samples: the CLI judges the lines one by one; the first line's pair
        bare = os.path.join(WORK, "samples_bare.jsonl")
        with open(bare, "w") as f:
            for ln in sample_lines:
                f.write(json.dumps({k: v for k, v in ln.items() if k != "score"}) + "\n")
        s_msg = cli_warning("eval", ["eval", "--samples", bare, "--metric", "judge", "--judge",
                                     folder, "--judge-template", TMPL, "--judge-labels", labels,
                                     "--out", os.path.join(WORK, "cli_samples")])
        one = sample_lines[0]
        check_mass("eval --samples (the first line)", s_msg,
                   label_mass(oracle_p(cfg, W, one["question"], one["text"]), labels), 1)
        py_s = caught(lambda: leakbound.eval(samples=bare, metric="judge", judge=folder,
                                             judge_template=TMPL, judge_labels=labels,
                                             out=os.path.join(WORK, "py_samples")))
        C.check("eval(samples=...): one JudgeLabelWarning with the CLI's exact text",
                len(py_s) == 1 and s_msg is not None and py_s[0] == s_msg,
                f"python {py_s!r}, cli {s_msg!r}")
        worst = sorted((min(g[c].item() for g in group_means), chr(c))
                       for c in range(ord("a"), ord("z") + 1))
        labels = f"{worst[-1][1]},{worst[-2][1]}"
        C.check("the oracle gives eval labels above the floor in every group",
                all(label_mass(g, labels) >= 0.01 for g in group_means), f"{worst[-4:]}")
    C.finish()


if __name__ == "__main__":
    main()
