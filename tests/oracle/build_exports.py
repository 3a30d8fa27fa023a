#!/usr/bin/python3
"""The shared library's API is exactly the public headers, each declaration marked LB_API, and
there is one version.

- The functions libleakbound.so exports (nm -D --defined-only) are exactly the non-static
  functions that include/leakbound/*.h declare, as the compiler itself sees them (gcc -aux-info
  over a file including every header), and the data objects it exports are exactly the extern
  objects the headers declare (that file preprocessed, gcc -E); it exports nothing else: nothing
  internal, nothing of the toolchain (cmake/leakbound.map), nothing declared missing.
- Each of those declarations opens with LB_API in the header's text (the export set is decided
  by that mark and hidden visibility, so an unmarked declaration would be missing from the .so).
- The static library's lb_ functions and data are public ones too (internal names start lbi_).
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
syms = [f for f in (l.split() for l in out.splitlines()) if len(f) == 3]
FUNC = "TWi"  # text, weak, indirect function
exported = {f[2] for f in syms if f[1] in FUNC}
exported_data = {f[2] for f in syms if f[1] not in FUNC}

headers = build_common.public_headers(SRC)
text = {os.path.realpath(h): open(h, encoding="utf-8").read().split("\n") for h in headers}
declared = set()
marks = []  # (header, line, name) of every public declaration, for the LB_API check
for path, lineno, decl, name in build_common.public_declarations(SRC, headers):
    check(name is not None, "cannot read declaration: " + decl)
    if name:
        declared.add(name)
        marks.append((path, lineno, name))
declared_data = set()
for path, lineno, decl, name in build_common.public_data(SRC, headers):
    check(name is not None, "%s:%d: neither a function, an extern object nor a type: %s" %
          (os.path.basename(path), lineno, decl))
    if name:
        declared_data.add(name)
        marks.append((path, lineno, name))

check(len(declared) > 100, "found the public declarations (%d)" % len(declared))
check(len(declared_data) >= 2, "found the public data objects (%d)" % len(declared_data))
extra = sorted(exported - declared)
missing = sorted(declared - exported)
check(not extra, "exported but not in a public header: " + " ".join(extra[:20]))
check(not missing, "declared in a public header but not exported: " + " ".join(missing[:20]))
extra = sorted(exported_data - declared_data)
missing = sorted(declared_data - exported_data)
check(not extra, "data exported but not declared extern in a public header: " +
      " ".join(extra[:20]))
check(not missing, "data declared extern in a public header but not exported: " +
      " ".join(missing[:20]))
public = declared | declared_data
check(all(n.startswith("lb_") for n in public),
      "every public name is lb_*: " + " ".join(n for n in public if not n.startswith("lb_")))

# The mark in the text: each public declaration opens with LB_API (independent of nm: a reader of
# the header sees what is exported).
for path, lineno, name in marks:
    where = "%s:%d: %s" % (os.path.basename(path), lineno, name)
    start = build_common.declaration_start(text[path], lineno, name)
    check(start is not None, where + ": declaration not found on its line")
    if start is not None:
        check(re.match(r"\s*LB_API\s", text[path][start]) is not None,
              where + ": the declaration does not open with LB_API")

# Internal names have their own prefix (lbi_): every lb_ function the static library defines is
# a public one, so a reader (or a linker of libleakbound.a) can tell the API from the rest.
static = os.path.join(BUILD, "libleakbound.a")
if os.path.exists(static):
    out = subprocess.run(["nm", "-g", "--defined-only", static], capture_output=True, text=True,
                         check=True).stdout
    names = {f[2] for f in (l.split() for l in out.splitlines()) if len(f) == 3}
    internal = sorted(n for n in names if n.startswith("lb_") and n not in public)
    check(not internal, "lb_ symbols of libleakbound.a not in a public header (name them lbi_): "
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

print("%d functions and %d data objects exported = %d and %d declared LB_API; version %s" %
      (len(exported), len(exported_data), len(declared), len(declared_data), v_cmake))
if failures:
    print("%d failed" % len(failures))
    sys.exit(1)
print("0 failed")
