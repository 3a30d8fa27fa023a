#!/usr/bin/python3
"""Installation: `cmake --install` puts libleakbound.so (versioned: .so -> .so.0 -> .so.0.1.0,
SONAME libleakbound.so.0) beside libleakbound.a; a program linked with `pkg-config --libs
leakbound` runs against the installed shared library; python/leakbound loads it through
LEAKBOUND_LIB and, pip-installed offline (`pip install --no-build-isolation --no-index`, into
a venv with the system's numpy and with --target), through the dynamic linker; and
`PYTHONPATH=python python3 -c "import leakbound"` from the checkout uses build/."""
import os
import shutil
import subprocess
import sys
import tempfile

from python_common import Checks, SRC, sub_env

C = Checks("python install")
BUILD = os.path.dirname(os.environ["LB_CLI"])
# the test program, shared with the other install oracle
PROG = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "install", "cp_upper.c")).read()
USE = ("import numpy as np, leakbound, sys\n"
       "d = leakbound.bounds(np.array([0.0, 0.5, 1.0, 1.0]))\n"
       "assert d['n'] == 4 and d['max'] == 1.0, d\n"
       "sys.stdout.write(leakbound.__file__ + '\\n' + leakbound.library_path)\n")


def run(cmd, env=None, cwd=None):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env or sub_env(), cwd=cwd)
    C.check(" ".join(cmd)[:120], p.returncode == 0, p.stderr[-1500:] + p.stdout[-500:])
    return p.stdout


def py_env(**kw):
    """For Python children: the ASan preload stays (they load the instrumented library)."""
    env = {k: v for k, v in os.environ.items() if k not in ("LEAKBOUND_LIB", "PYTHONPATH")}
    env.update(kw)
    return env


def main():
    with tempfile.TemporaryDirectory() as tmp:
        prefix = os.path.join(tmp, "prefix")
        run(["cmake", "--install", BUILD, "--prefix", prefix])
        libdir = next(os.path.join(r, "") for r, _, fs in os.walk(prefix) if "libleakbound.a" in fs)
        real = os.path.join(libdir, "libleakbound.so.0.1.0")
        C.check("libleakbound.a installed", os.path.isfile(os.path.join(libdir, "libleakbound.a")))
        C.check("libleakbound.so.0.1.0 installed", os.path.isfile(real) and not os.path.islink(real))
        C.check("libleakbound.so.0 -> .so.0.1.0",
                os.path.realpath(os.path.join(libdir, "libleakbound.so.0")) == os.path.realpath(real))
        C.check("libleakbound.so -> .so.0",
                os.readlink(os.path.join(libdir, "libleakbound.so")) == "libleakbound.so.0")
        dyn = run(["readelf", "-d", real])
        C.check("SONAME libleakbound.so.0", "Library soname: [libleakbound.so.0]" in dyn, dyn[:300])

        # a program linked the plain (shared) way with pkg-config
        pcdir = os.path.join(libdir, "pkgconfig")
        env = sub_env(PKG_CONFIG_PATH=pcdir)
        flags = run(["pkg-config", "--cflags", "--libs", "leakbound"], env=env).split()
        C.check("leakbound.pc lists -lleakbound", "-lleakbound" in flags, str(flags))
        src, exe = os.path.join(tmp, "t.c"), os.path.join(tmp, "t")
        with open(src, "w") as f:
            f.write(PROG)
        san = ["-fsanitize=address,undefined"] if "LD_PRELOAD" in os.environ or \
            os.environ.get("LB_SANITIZED") else []
        run(["cc", src, "-o", exe] + san + flags)
        out = run([exe])
        from scipy.stats import beta
        C.check("program runs on the shared library",
                out.strip() and abs(float(out) - beta.ppf(0.99, 6, 123)) <= 1e-10, out)
        ldd = run(["ldd", exe])
        C.check("program uses the installed libleakbound.so.0",
                any("libleakbound.so.0" in l and os.path.realpath(libdir) in os.path.realpath(
                    l.split("=>")[-1].split()[0]) for l in ldd.splitlines() if "=>" in l), ldd)

        # Python over the installed library, named by LEAKBOUND_LIB
        out = run([sys.executable, "-c", USE],
                  env=py_env(PYTHONPATH=os.path.join(SRC, "python"),
                             LEAKBOUND_LIB=os.path.join(libdir, "libleakbound.so.0")))
        C.check("LEAKBOUND_LIB wins", out.endswith(os.path.join(libdir, "libleakbound.so.0")), out)

        # pip install ./python offline, from a copy (pip builds in the source folder)
        copy = os.path.join(tmp, "python")
        shutil.copytree(os.path.join(SRC, "python"), copy,
                        ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
        site = os.path.join(tmp, "site")
        run([sys.executable, "-m", "pip", "install", "-q", "--no-build-isolation", "--no-index",
             "--no-deps", "--target", site, copy], env=py_env())
        out = run([sys.executable, "-c", USE], cwd=tmp,
                  env=py_env(PYTHONPATH=site, LD_LIBRARY_PATH=libdir))
        C.check("pip --target: package from site/, library by its soname",
                out.startswith(site) and out.endswith("libleakbound.so.0"), out)
        venv = os.path.join(tmp, "venv")
        run([sys.executable, "-m", "venv", "--system-site-packages", venv], env=py_env())
        run([os.path.join(venv, "bin", "pip"), "install", "-q", "--no-build-isolation",
             "--no-index", copy], env=py_env())
        out = run([os.path.join(venv, "bin", "python"), "-c", USE], cwd=tmp,
                  env=py_env(LD_LIBRARY_PATH=libdir))
        C.check("pip install in a venv with the system's numpy", out.startswith(venv), out)

    # from the checkout: PYTHONPATH=python, the library from build/
    if os.path.exists(os.path.join(SRC, "build", "libleakbound.so.0")):
        out = run([sys.executable, "-c", USE], cwd=SRC, env=py_env(PYTHONPATH="python"))
        C.check("checkout: PYTHONPATH=python uses build/",
                out.endswith(os.path.join(SRC, "build", "libleakbound.so.0")), out)
    else:
        print("note: no build/libleakbound.so.0 in the checkout; that case is not checked")
    C.finish()


if __name__ == "__main__":
    main()
