#!/usr/bin/python3
"""python/leakbound's error paths: NaN, scores outside [0, 1], empty arrays, wrong dtype and
shape, bad options, bad texts and reports, a library that cannot be found. Each raises
ValueError (InputTypeError, a TypeError and a ValueError, for a wrong dtype; OSError for files)
with the C library's message where the C library found the problem, and the library neither
prints nor exits: the process survives every error with nothing on stdout or stderr."""
import os
import subprocess
import sys

import numpy as np

from python_common import Checks, leakbound, SRC, sub_env, work_dir

C = Checks("python error paths")
cb = leakbound.conbo
ok = np.full((2, 8), 0.5)


def bounds_errors():
    x = np.full(8, 0.5)
    for label, bad, needle in (("nan", np.nan, "sample 3: score nan is outside [0, 1]"),
                               ("above 1", 1.5, "score 1.5 is outside"),
                               ("negative", -0.25, "score -0.25 is outside"),
                               ("inf", np.inf, "score inf is outside")):
        y = x.copy()
        y[3] = bad
        C.raises(f"bounds 1-D {label}", ValueError, lambda: leakbound.bounds(y), needle)
        z = np.full((4, 8), 0.5)
        z[2, 5] = bad
        z[3, 0] = bad
        C.raises(f"bounds 2-D {label} names the first row", ValueError,
                 lambda: leakbound.bounds(z), "row 2, sample 5")
    C.raises("bounds empty 1-D", ValueError, lambda: leakbound.bounds(np.array([])),
             "at least one score")
    C.raises("bounds (3, 0)", ValueError, lambda: leakbound.bounds(np.zeros((3, 0))),
             "at least one score")
    C.check("bounds (0, 5) -> []", leakbound.bounds(np.zeros((0, 5))) == [])
    C.raises("bounds 0-d", ValueError, lambda: leakbound.bounds(np.float64(0.5)), "1-D or 2-D")
    C.raises("bounds 3-D", ValueError, lambda: leakbound.bounds(np.zeros((2, 2, 2))), "shape")
    for dt in (np.complex128, object, "U3", "datetime64[s]"):
        arr = np.zeros(4, dtype=dt) if dt != "U3" else np.array(["0.5", "1", "0"])
        C.raises(f"bounds dtype {dt} is a TypeError", TypeError, lambda: leakbound.bounds(arr),
                 "dtype")
        C.raises(f"bounds dtype {dt} is a ValueError", ValueError, lambda: leakbound.bounds(arr))
    C.raises("bounds ragged list", ValueError, lambda: leakbound.bounds([[0.1], [0.1, 0.2]]))
    for kw, needle in (({"alpha": 0.0}, "alpha must lie in (0, 0.5]"),
                       ({"alpha": 0.6}, "alpha must lie in (0, 0.5]"),
                       ({"alpha": float("nan")}, "alpha"),
                       ({"method": "bogus"}, "expected exact or conbo"),
                       ({"thresholds": (1.5,)}, "thresholds[0]: expected a number in [0, 1]"),
                       ({"thresholds": (0.5, float("nan"))}, "thresholds[1]"),
                       ({"thresholds": (0.5, 0.5000001)}, "same key \"0.5\""),
                       ({"ed_lambda": -1.0}, "ed_lambda"),
                       ({"queries": 0}, "queries: expected an integer >= 1"),
                       ({"leak_at": 0}, "leak_at"),
                       ({"leak_threshold": 2.0}, "leak_threshold"),
                       ({"ids": ["a"]}, "ids: expected 2 ids"),
                       ({"threads": 0}, "threads")):
        C.raises(f"bounds {kw}", ValueError, lambda: leakbound.bounds(ok, **kw), needle)
    C.raises("bounds queries=1.5 is a TypeError", TypeError,
             lambda: leakbound.bounds(ok, queries=1.5))


def conbo_errors():
    y = np.array([0.1, 0.2, np.nan])
    for fn in (cb.expectation_bounds, cb.variance_bounds, cb.std_bounds):
        C.raises(f"{fn.__name__} nan: ValueError", ValueError, lambda: fn(y), "outside [0, 1]")
        C.raises(f"{fn.__name__} nan: AssertionError (as conbo)", AssertionError, lambda: fn(y))
        C.raises(f"{fn.__name__} 1.5", ValueError, lambda: fn(np.array([1.5])), "outside")
        C.raises(f"{fn.__name__} empty", ValueError, lambda: fn(np.array([])), "at least one")
        C.raises(f"{fn.__name__} 3-D", ValueError, lambda: fn(np.zeros((1, 1, 1))), "shape")
        C.raises(f"{fn.__name__} str dtype", TypeError, lambda: fn(np.array(["a"])), "dtype")
        C.raises(f"{fn.__name__} stepsize 1", ValueError, lambda: fn(ok, 0.01, 1), "stepsize")
        C.raises(f"{fn.__name__} alpha 0", ValueError, lambda: fn(ok, 0.0), "alpha")
    C.raises("binomial_bounds alpha 1", ValueError, lambda: cb.binomial_bounds(ok, 1.0), "alpha")
    C.raises("binomial_bounds nan", ValueError,
             lambda: cb.binomial_bounds(np.array([1.0, np.nan])), "successes")
    C.raises("cdf_bounds 3-D", ValueError, lambda: cb.cdf_bounds(np.zeros((1, 1, 1)), [0.5]))


def limit_errors():
    """Inputs that used to hang, crash through RecursionError/ZeroDivisionError or return NaN:
    each now raises a ValueError that says what is allowed."""
    # First in a child, with a deadline: before the limit, 2^62 ran for ever, deaf to Ctrl-C
    # (the checks in this process follow only when the child came back).
    code = ("import numpy as np, leakbound\n"
            "try: leakbound.conbo.expectation_bounds(np.full(4, 0.5), stepsize=2**62)\n"
            "except ValueError as e: print('ValueError', e)\n")
    env = dict(os.environ, PYTHONPATH=os.path.join(SRC, "python"))
    try:
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env=env, timeout=20)
        returned = C.check("stepsize 2^62 returns at once", "ValueError stepsize" in p.stdout,
                           p.stdout + p.stderr[-300:])
    except subprocess.TimeoutExpired:
        returned = C.check("stepsize 2^62 returns at once", False, "still running after 20 s")
    big = getattr(cb, "CONBO_MAX_STEPSIZE", 1 << 20)
    for fn in (cb.expectation_bounds, cb.variance_bounds, cb.std_bounds):
        if not returned:
            break
        C.raises(f"{fn.__name__} stepsize 2^62", ValueError, lambda: fn(ok, 0.01, 2 ** 62),
                 f"[2, {big}]")
        C.raises(f"{fn.__name__} stepsize 2^70", ValueError, lambda: fn(ok, 0.01, 2 ** 70),
                 "stepsize")
    # The largest grid runs, in well under a second for one small row.
    lo_hi = cb.expectation_bounds(np.array([0.25, 0.5]), 0.05, big)
    C.check("expectation_bounds at the largest stepsize", np.all(np.isfinite(lo_hi)), lo_hi)
    # The Python limit is the C library's: the C call refuses one more, accepts the limit.
    import ctypes
    from leakbound import _lib
    a = np.array([[0.5, 0.25]])
    out = np.zeros(1, dtype=_lib.INTERVAL_DTYPE)
    scratch = np.empty(2)
    for step, want in ((big, 0), (big + 1, _lib.LB_EINVAL)):
        err = _lib.Error()
        rc = _lib.conbo_rows(_lib.dptr(a), 1, 2, 0.05, step, 0, _lib.dptr(scratch), 1,
                             out.ctypes.data_as(ctypes.c_void_p), ctypes.byref(err))
        C.check(f"C conbo_rows stepsize {step}: rc {want}", rc == want, err.msg)

    for fn in (cb.cdf_bounds, cb.survival_bounds):
        C.raises(f"{fn.__name__} empty", ValueError, lambda: fn(np.array([]), [0.5]),
                 "at least one sample")
        C.raises(f"{fn.__name__} empty rows", ValueError, lambda: fn(np.zeros((2, 0)), [0.5]),
                 "at least one sample")
        for alpha in (0, 0.0, -0.1, 1.5, float("nan")):
            C.raises(f"{fn.__name__} alpha {alpha}", ValueError,
                     lambda: fn(ok, [0.5], alpha), "alpha must lie in (0, 1]")
        C.raises(f"{fn.__name__} alpha str", TypeError, lambda: fn(ok, [0.5], "0.1"), "alpha")
    c, lo, hi = cb.cdf_bounds(np.array([0.0, 1.0]), [0.5], 1.0)
    eps = np.sqrt(np.log(2.0) / 4)
    C.check("cdf_bounds alpha 1 still works", (c, lo, hi) == (0.5, 0.5 - eps, 0.5 + eps),
            (c, lo, hi))

    d = work_dir("python_errors")
    bad = os.path.join(d, "limits.json")
    with open(bad, "w") as f:
        f.write('{"prompts": [' + "[" * 100000 + "]" * 100000 + "]}")
    C.raises("load_report deep nesting", ValueError, lambda: leakbound.load_report(bad),
             "nested too deeply")
    for const in ("NaN", "Infinity", "-Infinity"):
        with open(bad, "w") as f:
            f.write('{"alpha": 0.01, "prompts": [{"id": "q1", "M_mu": ' + const + '}]}')
        C.raises(f"load_report {const}", ValueError, lambda: leakbound.load_report(bad),
                 f"{const} is not JSON")

    # LEAKBOUND_LIB naming another library: a clear OSError naming it, no AttributeError.
    other = next((p for p in ("/lib/x86_64-linux-gnu/libm.so.6", "/lib/aarch64-linux-gnu/libm.so.6",
                              "/usr/lib64/libm.so.6") if os.path.exists(p)), None)
    if C.check("a libm.so.6 to point LEAKBOUND_LIB at", other is not None):
        env2 = dict(sub_env(), PYTHONPATH=os.path.join(SRC, "python"), LEAKBOUND_LIB=other)
        p = subprocess.run([sys.executable, "-c", "import leakbound"], capture_output=True,
                           text=True, env=env2)
        C.check("LEAKBOUND_LIB another library: OSError naming it", p.returncode != 0 and
                "OSError" in p.stderr and f"{other} is not libleakbound" in p.stderr and
                "AttributeError" not in p.stderr, p.stderr[-400:])

    class Fake:  # a libleakbound of another interface revision
        def __init__(self):
            self.lb_abi_version = lambda: getattr(_lib, "ABI_VERSION", 1) + 1
            self.lb_version = lambda: b"9.9.9"
    C.raises("library of another ABI", OSError,
             lambda: _lib._check_abi(Fake(), "/x/lib.so"), "libleakbound 9.9.9 with binary")
    C.check("this build's library: its version", getattr(_lib, "version", None) ==
            leakbound.__version__, (getattr(_lib, "version", None), leakbound.__version__))


def text_errors():
    C.raises("score length mismatch", ValueError, lambda: leakbound.score(["a"], ["a", "b"]),
             "differ in length")
    C.raises("score unknown metric", ValueError, lambda: leakbound.score(["a"], ["a"], "bleu"),
             "unknown metric 'bleu'")
    C.raises("score keyword_match", ValueError,
             lambda: leakbound.score(["a"], ["a"], keyword_match="fuzzy"), "word or substring")
    C.raises("score non-str text", TypeError, lambda: leakbound.score([1], ["a"]), "texts[0]")
    C.raises("score bytes text", ValueError, lambda: leakbound.score([b"a"], ["a"]), "texts[0]")
    C.raises("score one str for texts", TypeError, lambda: leakbound.score("abc", "abc"))
    C.raises("score lone surrogate", ValueError, lambda: leakbound.score(["a\udc80"], ["a"]))
    C.raises("score keywords not a list", TypeError,
             lambda: leakbound.score(["a"], [3], metric="keywords"), "references[0]")
    C.raises("score keyword not a str", TypeError,
             lambda: leakbound.score(["a"], [["a", 3]], metric="keywords"), "keyword 3")
    C.check("score of nothing", leakbound.score([], []).shape == (0,))
    C.raises("rouge non-str", TypeError, lambda: leakbound.rouge(None, "a"))


def report_errors():
    d = work_dir("python_errors")
    C.raises("load_report missing file", OSError,
             lambda: leakbound.load_report(os.path.join(d, "nope.json")), "nope.json")
    C.raises("load_report a folder", OSError, lambda: leakbound.load_report(d))
    bad = os.path.join(d, "bad.json")
    with open(bad, "w") as f:
        f.write('{"alpha": 0.01,\n "prompts": [1,}\n')
    C.raises("load_report malformed", ValueError, lambda: leakbound.load_report(bad),
             "bad.json:2:")
    with open(bad, "w") as f:
        f.write('{"alpha": 0.01}\n')
    C.raises("load_report not a report", ValueError, lambda: leakbound.load_report(bad),
             "\"prompts\"")
    with open(bad, "wb") as f:
        f.write(b'{"prompts": ["\xff"]}')
    C.raises("load_report not UTF-8", ValueError, lambda: leakbound.load_report(bad))


def quiet_and_alive():
    """Errors in a child process: it prints nothing and carries on."""
    code = ("import numpy as np, leakbound\n"
            "for x in (np.array([np.nan]), np.array([]), np.array([2.0])):\n"
            "    try: leakbound.bounds(x)\n"
            "    except ValueError: pass\n"
            "    try: leakbound.conbo.std_bounds(x)\n"
            "    except ValueError: pass\n"
            "try: leakbound.bounds(np.full(3, 0.5), alpha=7)\n"
            "except ValueError: pass\n"
            "import sys; sys.stdout.write('alive')\n")
    env = dict(os.environ, PYTHONPATH=os.path.join(SRC, "python"))
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    C.check("errors: no exit, nothing printed", p.returncode == 0 and p.stdout == "alive" and
            p.stderr == "", f"rc {p.returncode} out {p.stdout!r} err {p.stderr!r}")
    # nor can it: the shared library imports no printing or exiting function
    nm = subprocess.run(["nm", "-D", "--undefined-only", leakbound.library_path],
                        capture_output=True, text=True, env=sub_env())
    names = {line.split()[-1].split("@")[0] for line in nm.stdout.splitlines() if line.strip()}
    banned = {"printf", "vprintf", "puts", "putchar", "perror", "exit", "_exit", "abort",
              "stderr", "__printf_chk", "__fprintf_chk", "psignal", "err", "errx", "warn", "warnx"}
    C.check("libleakbound.so imports no printing/exiting function", nm.returncode == 0 and
            not (names & banned), f"{sorted(names & banned)}")
    # a library that cannot be loaded: OSError naming what was tried
    env2 = dict(sub_env(), PYTHONPATH=os.path.join(SRC, "python"),
                LEAKBOUND_LIB="/nonexistent/libleakbound.so")
    p = subprocess.run([sys.executable, "-c", "import leakbound"], capture_output=True,
                       text=True, env=env2)
    C.check("LEAKBOUND_LIB wrong: OSError naming it", p.returncode != 0 and "OSError" in p.stderr
            and "/nonexistent/libleakbound.so" in p.stderr, p.stderr[-300:])


def main():
    bounds_errors()
    conbo_errors()
    limit_errors()
    text_errors()
    report_errors()
    quiet_and_alive()
    C.finish()


if __name__ == "__main__":
    main()
