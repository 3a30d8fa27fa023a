#!/usr/bin/python3
"""Deterministic benchmark input for `leakbound bound`: PROMPTS lines {"id", "scores": [N]}.

Score mix per prompt, to look like real runs: 50% ROUGE-recall-like fractions k/m with many
zeros, 25% binary leak indicators, 25% continuous scores printed with 17 digits.
usage: gen_input.py OUT.jsonl [PROMPTS=10000] [N=1024]"""
import json
import sys

import numpy as np


def main():
    out = sys.argv[1]
    prompts = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 1024
    rng = np.random.default_rng(2026)
    with open(out, "w", encoding="utf-8") as f:
        for i in range(prompts):
            kind = i % 4
            if kind in (0, 1):
                m = int(rng.integers(5, 40))
                x = rng.integers(0, m + 1, n) / m
                x[rng.random(n) < rng.random()] = 0.0
            elif kind == 2:
                x = (rng.random(n) < rng.random() * 0.2).astype(float)
            else:
                x = rng.beta(2, 5, n)
            vals = [int(v) if kind == 2 else float(v) for v in x]
            f.write(json.dumps({"id": f"q{i}" if i % 2 else i, "scores": vals}) + "\n")


if __name__ == "__main__":
    main()
