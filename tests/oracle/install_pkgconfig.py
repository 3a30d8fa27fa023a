#!/usr/bin/python3
"""`cmake --install` + pkg-config: a program built only from the installed headers, library and
leakbound.pc computes a Clopper-Pearson bound equal to scipy's, and the installed `leakbound`
finds its bundled default under share/leakbound/default. Nothing installed needs a BLAS: the
library calls no cblas_*/BLAS symbol, leakbound.pc does not require one and the shared library
does not load one (products run on leakbound's own fixed-order GEMM, docs/reproducibility.md)."""
import os
import subprocess
import sys
import tempfile

from scipy.stats import beta

BUILD = os.path.dirname(os.environ["LB_CLI"])
# the test program, shared with the other install oracle
PROG = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "install", "cp_upper.c")).read()


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode:
        sys.exit(f"FAIL: {' '.join(cmd)}: {r.stderr}")
    return r.stdout


def main():
    with tempfile.TemporaryDirectory() as tmp:
        prefix = os.path.join(tmp, "prefix")
        run(["cmake", "--install", BUILD, "--prefix", prefix])
        src = os.path.join(tmp, "t.c")
        open(src, "w").write(PROG)
        env = dict(os.environ)
        libdirs = [d for d in os.listdir(prefix) if d.startswith("lib")]
        pcdirs = [os.path.join(prefix, d, "pkgconfig") for d in libdirs] + \
                 [os.path.join(prefix, "lib", d, "pkgconfig") for d in
                  (os.listdir(os.path.join(prefix, "lib")) if os.path.isdir(os.path.join(prefix, "lib")) else [])]
        env["PKG_CONFIG_PATH"] = ":".join(p for p in pcdirs if os.path.isdir(p))
        flags = run(["pkg-config", "--cflags", "--libs", "--static", "leakbound"], env=env).split()
        exe = os.path.join(tmp, "t")
        # The sanitizer pass installs an instrumented library: link the sanitizers' runtimes too.
        san = ["-fsanitize=address,undefined"] if os.environ.get("LB_SANITIZED") else []
        run(["cc", src, "-o", exe] + san + flags)
        got = float(run([exe]))
        want = beta.ppf(0.99, 6, 123)
        ok = abs(got - want) <= 1e-10
        print(f"installed library: CP(5/128, 0.01) = {got!r}, scipy {want!r}: {'ok' if ok else 'FAIL'}")
        out = os.path.join(tmp, "ev")
        r = subprocess.run([os.path.join(prefix, "bin", "leakbound"), "eval", "-n", "2", "--limit", "1",
                            "--out", out, "--quiet"], capture_output=True, text=True,
                           env={k: v for k, v in os.environ.items() if k != "LEAKBOUND_DEFAULT_DIR"})
        ok2 = r.returncode == 0 and "share/leakbound/default" in r.stderr and \
            os.path.exists(os.path.join(out, "report.json"))
        print(f"installed leakbound eval on share/leakbound/default: {'ok' if ok2 else 'FAIL ' + r.stderr}")
        ok3 = no_blas(prefix, env)
        passed = int(ok) + int(ok2) + int(ok3)
        print(f"{passed} passed, {3 - passed} failed")
        sys.exit(0 if passed == 3 else 1)


def no_blas(prefix, env):
    """True when neither the installed libraries nor leakbound.pc bring in a BLAS."""
    bad = []
    pc = run(["pkg-config", "--print-requires", "--print-requires-private", "leakbound"], env=env)
    bad += [f"leakbound.pc requires {m}" for m in pc.split() if "blas" in m.lower()]
    libs = [os.path.join(r, f) for r, _, fs in os.walk(prefix) for f in fs
            if f.startswith("libleakbound.") and (f.endswith(".a") or ".so" in f)]
    for lib in libs:
        if lib.endswith(".a"):
            und = run(["nm", "-u", lib]).split()
            bad += [f"{lib} calls {s}" for s in set(und)
                    if s.startswith(("cblas_", "openblas_", "goto_")) or s in ("sgemm_", "dgemm_")]
        elif not os.path.islink(lib):
            needed = run(["readelf", "-d", lib])
            bad += [f"{lib} needs {ln.split('[')[-1].rstrip(']')}" for ln in needed.splitlines()
                    if "NEEDED" in ln and "blas" in ln.lower()]
    print(f"no BLAS in {len(libs)} installed libraries and leakbound.pc: "
          f"{'ok' if libs and not bad else 'FAIL ' + '; '.join(bad or ['no library installed'])}")
    return bool(libs) and not bad


if __name__ == "__main__":
    main()
