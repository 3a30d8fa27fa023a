#!/usr/bin/python3
"""Module dependencies as the build states them vs as the objects need them.

- For every lb_module(NAME DEPS...) of the top-level CMakeLists.txt, the modules whose global
  symbols liblb_NAME.a leaves undefined (nm -u), mapped to the module defining each (nm
  --defined-only over all module libraries), must be exactly DEPS (core counted like any other).
- No file of src/<module>/ includes a quoted header that is not in its own folder (another
  module's private header); public headers are included as "leakbound/<name>.h".
- src/cli/cli.h declares no weak symbol (a missing subcommand file must fail the link).
"""
import os
import re
import subprocess
import sys

SRC = os.environ["LB_SOURCE_DIR"]
BUILD = os.path.dirname(os.environ["LB_CLI"])
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def nm(args, lib):
    out = subprocess.run(["nm", *args, lib], capture_output=True, text=True, check=True).stdout
    return {line.split()[-1] for line in out.splitlines() if len(line.split()) >= 2}


def main():
    cm = open(os.path.join(SRC, "CMakeLists.txt")).read()
    declared = {}
    for m in re.finditer(r"^lb_module\(([a-z_]+)((?: [a-z_]+)*)\)", cm, re.M):
        declared[m.group(1)] = set(m.group(2).split())
    check(len(declared) >= 10, f"found only {len(declared)} lb_module lines")
    libs = {name: os.path.join(BUILD, f"liblb_{name}.a") for name in declared}
    owner = {}
    for name, lib in libs.items():
        for sym in nm(["-g", "--defined-only"], lib):
            owner[sym] = name
    for name, lib in libs.items():
        need = {owner[s] for s in nm(["-u"], lib) if s in owner} - {name}
        check(need == declared[name],
              f"lb_module({name}) lists {sorted(declared[name])}, its objects need {sorted(need)}")
    for name in declared:
        folder = os.path.join(SRC, "src", name)
        for f in sorted(os.listdir(folder)):
            if not f.endswith((".c", ".h")):
                continue
            for inc in re.findall(r'#include "([^"]+)"', open(os.path.join(folder, f)).read()):
                ok = inc.startswith("leakbound/") or os.path.exists(os.path.join(folder, inc))
                check(ok and "/" not in inc.replace("leakbound/", "", 1),
                      f"src/{name}/{f} includes \"{inc}\" (another module's private header)")
    cli_h = open(os.path.join(SRC, "src", "cli", "cli.h")).read()
    check("weak" not in re.sub(r"/\*.*?\*/", "", cli_h, flags=re.S), "src/cli/cli.h declares weak symbols")
    if failures:
        sys.exit(f"{len(failures)} failure(s)")
    print(f"build_module_deps: {len(declared)} modules, dependencies exact, no private header crossed")


if __name__ == "__main__":
    main()
