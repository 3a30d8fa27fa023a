"""Shared by the bench/*/run.py scripts: run a command, and build a benchmark program against
a build folder's libleakbound.a together with the sgemm probe (bench/model/sgemm.c)."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sh(cmd, env=None):
    """Run cmd; its stdout, or exit with its stderr when it fails."""
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{p.stderr}")
    return p.stdout


def build(build_dir, out, src, name):
    """Compile the sgemm probe and src (linked with build_dir/libleakbound.a) into out/.
    OpenBLAS comes first on the link line so cblas_* binds to it, not to GSL's CBLAS.
    Returns (sgemm path, program path)."""
    libs = sh(["pkg-config", "--libs", "openblas", "jansson", "libutf8proc", "libpcre2-8",
               "gsl", "nettle", "yaml-0.1", "zlib"]).split()
    cflags = sh(["pkg-config", "--cflags", "openblas"]).split()
    sg, lb = os.path.join(out, "sgemm"), os.path.join(out, name)
    sh(["cc", "-O3", "-march=native", *cflags, "-o", sg,
        os.path.join(ROOT, "bench", "model", "sgemm.c"), *libs])
    sh(["cc", "-O3", "-march=native", "-fopenmp", "-I", os.path.join(ROOT, "include"), "-o", lb,
        src, os.path.join(build_dir, "libleakbound.a"), *libs, "-lcsv", "-lm"])
    return sg, lb
