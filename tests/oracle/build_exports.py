#!/usr/bin/python3
"""The shared library's API is exactly the public headers, and there is one version.

- The functions libleakbound.so exports (nm -D --defined-only) are exactly the non-static
  functions that include/leakbound/*.h declare, as the compiler itself sees them (gcc -aux-info
  over a file including every header: an independent reading from the regex that makes the
  linker's version script): nothing internal leaks out, and nothing declared is missing; the
  static library's lb_ functions are public ones too (internal names start with lbi_).
- One version: CMake's project(VERSION), `leakbound --version`, lb_version() through Python
  (leakbound.__version__), the shared library's file name and python/pyproject.toml agree.
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import build_common  # noqa: E402

SRC = os.environ["LB_SOURCE_DIR"]
CLI = os.environ["LB_CLI"]
BUILD = os.path.dirname(CLI)
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


lib = os.path.join(BUILD, "libleakbound.so")
out = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True, text=True,
                     check=True).stdout
exported = {f[2] for f in (l.split() for l in out.splitlines()) if len(f) == 3 and f[1] in "TWiV"}

headers = build_common.public_headers(SRC)
declared = set()
for _, _, decl, name in build_common.public_declarations(SRC, headers):
    check(name is not None, "cannot read declaration: " + decl)
    if name:
        declared.add(name)

check(len(declared) > 100, "found the public declarations (%d)" % len(declared))
extra = sorted(exported - declared)
missing = sorted(declared - exported)
check(not extra, "exported but not in a public header: " + " ".join(extra[:20]))
check(not missing, "declared in a public header but not exported: " + " ".join(missing[:20]))
check(all(n.startswith("lb_") for n in declared),
      "every public function is lb_*: " + " ".join(n for n in declared if not n.startswith("lb_")))

# Internal names have their own prefix (lbi_): every lb_ function the static library defines is
# a public one, so a reader (or a linker of libleakbound.a) can tell the API from the rest.
static = os.path.join(BUILD, "libleakbound.a")
if os.path.exists(static):
    out = subprocess.run(["nm", "-g", "--defined-only", static], capture_output=True, text=True,
                         check=True).stdout
    funcs = {f[2] for f in (l.split() for l in out.splitlines()) if len(f) == 3 and f[1] == "T"}
    internal = sorted(n for n in funcs if n.startswith("lb_") and n not in declared)
    check(not internal, "lb_ functions of libleakbound.a not in a public header (name them lbi_): "
          + " ".join(internal[:20]))

# One version.
cm = open(os.path.join(SRC, "CMakeLists.txt")).read()
v_cmake = re.search(r"project\(leakbound VERSION (\S+)", cm).group(1)
v_cli = subprocess.run([CLI, "--version"], capture_output=True, text=True).stdout.split()[-1]
env = dict(os.environ, LEAKBOUND_LIB=lib, PYTHONPATH=os.path.join(SRC, "python"))
# An instrumented library needs the ASan runtime preloaded into Python (tests/python/oracle.cmake
# does that for the python_* tests); here the sanitizer pass leaves Python's reading to the
# release pass, which checks it.
sanitized = os.environ.get("LB_SANITIZED") == "1"
v_py = v_cmake if sanitized else subprocess.run(
    [sys.executable, "-c", "import leakbound; print(leakbound.__version__)"],
    capture_output=True, text=True, env=env).stdout.strip()
v_pp = re.search(r'^version = "([^"]+)"', open(os.path.join(SRC, "python", "pyproject.toml")).read(),
                 re.M).group(1)
real = os.path.basename(os.path.realpath(lib))
check(v_cli == v_cmake, "leakbound --version %r == CMake %r" % (v_cli, v_cmake))
check(v_py == v_cmake, "leakbound.__version__ %r == CMake %r" % (v_py, v_cmake))
check(v_pp == v_cmake, "pyproject.toml %r == CMake %r" % (v_pp, v_cmake))
check(real == "libleakbound.so." + v_cmake, "library file %r carries the version" % real)

print("%d exported = %d declared; version %s" % (len(exported), len(declared), v_cmake))
if failures:
    print("%d failed" % len(failures))
    sys.exit(1)
print("0 failed")
