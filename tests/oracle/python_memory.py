#!/usr/bin/python3
"""No memory growth over 10,000 calls of each python/leakbound function (errors included):
the resident set size after 10,000 more calls stays within 1 MiB (a leak of 100 bytes a call would show) of what it was after a
1,000-call warm-up. Under the sanitizers (ASan's quarantine holds freed memory) the calls still
run, for ASan's checks, and the RSS limit is not applied."""
import gc

import numpy as np

from python_common import Checks, leakbound, SANITIZED

C = Checks("python memory")
CALLS = 10_000
LIMIT = 1 << 20
PAGE = 4096


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def calls():
    rng = np.random.default_rng(5)
    one = rng.random(64)
    two = rng.random((8, 32))
    binary = (rng.random(64) < 0.3).astype(float)
    bad = np.array([0.5, np.nan])
    texts, refs = ["Paris is the capital of France"] * 4, ["the capital is Paris"] * 4

    def err():
        try:
            leakbound.bounds(bad)
        except ValueError:
            pass

    return {
        "bounds 1-D": lambda: leakbound.bounds(one, thresholds=(0.5, 0.9)),
        "bounds 2-D": lambda: leakbound.bounds(two, method="conbo"),
        "bounds error": err,
        "conbo.expectation_bounds": lambda: leakbound.conbo.expectation_bounds(two),
        "conbo.std_bounds": lambda: leakbound.conbo.std_bounds(one),
        "conbo.binomial_bounds": lambda: leakbound.conbo.binomial_bounds(binary),
        "conbo.cdf_bounds": lambda: leakbound.conbo.cdf_bounds(two, [0.2, 0.8]),
        "score": lambda: leakbound.score(texts, refs, detail=True),
        "score keywords": lambda: leakbound.score(texts, [["Paris", "Rome"]] * 4,
                                                  metric="keywords"),
        "rouge": lambda: leakbound.rouge(texts[0], refs[0]),
    }


def main():
    for name, fn in calls().items():
        for _ in range(1000):
            fn()
        gc.collect()
        before = rss()
        n = CALLS // 10 if SANITIZED else CALLS
        for _ in range(n):
            fn()
        gc.collect()
        grew = rss() - before
        print(f"{name:26s} {n} calls: RSS {before / 2**20:.1f} MiB, grew {grew / 1024:.0f} KiB")
        if not SANITIZED:
            C.check(f"{name}: RSS grows < 1 MiB over {n} calls", grew < LIMIT, f"grew {grew} B")
    C.finish()


if __name__ == "__main__":
    main()
