#!/usr/bin/python3
"""One CLI dialect (src/cli/cli.h): every subcommand, with

- an unknown option: exit 2, stderr exactly "leakbound CMD: unknown option '--no-such-flag'"
  and "Try 'leakbound CMD --help'." (no usage dump); one a letter away from an option (the
  middle letter of the table's valued option dropped) adds "(did you mean '--X'?)"; an
  abbreviation of several options names them;
- an option without its value: exit 2, "leakbound CMD: option '--X' needs a value" + the hint;
- a missing required input: exit 2, "leakbound CMD: <message>" + the hint;
- --threads 0 on every command that computes: exit 2, a --threads message + the hint;
- --help: exit 0, ending with the exit-status rule.

The commands come from `leakbound --help`; one missing from the table below fails the test, so
a new subcommand cannot drift from the dialect.
"""
import os
import re
import subprocess
import sys

CLI = os.environ["LB_CLI"]
EXIT_RULE = "Exit status: 0 success; 2 bad usage or bad input"
failures = []

# command words -> (an option that takes a value, the args of a missing required input or None
# when the command has none, whether it computes: --threads)
TABLE = {
    "score": ("--metric", [], True),
    "bound": ("--alpha", None, True),
    "tokenize": ("--tokenizer", [], True),
    "tokenizer": (None, [], False),
    "tokenizer train": ("--out", [], True),
    "inspect": ("--model", [], False),
    "generate": ("--prompt", ["--prompt", "x"], True),
    "data": (None, [], False),
    "data show": ("--template", [], False),
    "data fictitious": ("--out", [], False),
    "sample": ("--model", [], True),
    "eval": ("--metric", ["--model", "m"], True),
    "plot": ("--scores", [], False),
    "init": ("--arch", [], False),
    "finetune": ("--model", [], True),
    "unlearn": ("--model", [], True),
    "demo": ("--out", None, True),
    "config": (None, [], False),
    "config show": ("--for", [], False),
    "tofu": ("--model", [], True),
}
HELPLESS = {"tokenizer", "data", "config"}  # command groups: their actions have the options


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def run(words, args):
    return subprocess.run([CLI] + words + args, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=60)


def usage_error(words, args, first, tag):
    """exit 2; stderr: exactly "leakbound CMD: ..." (matching first) and the hint."""
    r = run(words, args)
    cmd = words[0]
    lines = r.stderr.splitlines()
    if r.returncode != 2:
        fail(f"{tag}: exit {r.returncode}, want 2 ({r.stderr!r})")
    if len(lines) != 2 or not lines[0].startswith(f"leakbound {cmd}: ") or \
            not re.search(first, lines[0]) or lines[1] != f"Try 'leakbound {cmd} --help'.":
        fail(f"{tag}: stderr {r.stderr!r}, want 'leakbound {cmd}: {first}' and the hint")
    if r.stdout:
        fail(f"{tag}: wrote to stdout")


def main():
    r = run(["--help"], [])
    listed = re.findall(r"^  (\w+) ", r.stdout, re.M)
    if r.returncode or len(listed) < 10:
        fail(f"leakbound --help lists {listed}")
    groups = {w.split()[0] for w in TABLE}
    for c in listed:
        if c not in groups:
            fail(f"subcommand '{c}' is not in tests/oracle/cli_dialect.py's table: add it")
    for words, (valued, missing, computes) in TABLE.items():
        w = words.split()
        if w[0] not in listed:
            fail(f"'{words}' in the table but not in leakbound --help")
            continue
        usage_error(w, ["--no-such-flag"], r"unknown option '--no-such-flag'$", f"{words} unknown")
        if valued:
            # a letter dropped from the middle: the nearest option is suggested
            k = 2 + (len(valued) - 2) // 2
            typo = valued[:k] + valued[k + 1:]
            usage_error(w, [typo, "x"], re.escape(f"unknown option '{typo}' (did you mean "
                                                  f"'{valued}'?)") + "$", f"{words} {typo}")
            usage_error(w, [valued], f"option '{valued}' needs a value$", f"{words} {valued}")
        if missing is not None:
            usage_error(w, missing, r".", f"{words}: missing input")
        if computes:
            usage_error(w, ["--threads", "0"], r"--threads", f"{words} --threads 0")
        if words not in HELPLESS:
            h = run(w, ["--help"])
            if h.returncode != 0 or EXIT_RULE not in h.stdout:
                fail(f"{words} --help: exit {h.returncode}, exit rule missing")
    # an abbreviation of several options names them
    usage_error(["score"], ["--judge-t", "x"], re.escape("option '--judge-t' is ambiguous: "
                                                         "--judge-template, --judge-threshold, "
                                                         "--judge-tokenizer") + "$",
                "score --judge-t")
    r = run(["no-such-command"], [])
    if r.returncode != 2 or r.stderr != ("leakbound: unknown command 'no-such-command'\n"
                                         "Try 'leakbound --help'.\n"):
        fail(f"unknown command: exit {r.returncode}, {r.stderr!r}")
    print(f"{0 if failures else 1} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
