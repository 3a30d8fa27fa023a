#!/usr/bin/python3
"""Every public header states its contract, and so does every public function.

- Each include/leakbound/*.h opens with a comment block that holds the module's "Contract".
- Each non-static function the headers declare, as the compiler itself reads them (gcc
  -aux-info over a file including every header, as build_exports does), has a comment ending
  on the line directly above its declaration.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import build_common  # noqa: E402

SRC = os.environ["LB_SOURCE_DIR"]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


headers = build_common.public_headers(SRC)
check(len(headers) > 10, "found the public headers (%d)" % len(headers))
text = {os.path.realpath(h): open(h, encoding="utf-8").read().split("\n") for h in headers}

for h in headers:
    lines = text[os.path.realpath(h)]
    first = next((i for i, l in enumerate(lines) if l.strip()), None)
    ok = first is not None and lines[first].startswith("/*")
    block = []
    for l in lines[first or 0:]:
        block.append(l)
        if "*/" in l:
            break
    check(ok and any("Contract" in l for l in block),
          "%s: does not open with a comment block holding the module's Contract" %
          os.path.basename(h))

decls = []
for path, lineno, decl, name in build_common.public_declarations(SRC, headers):
    check(name is not None, "cannot read declaration: " + decl)
    if name:
        decls.append((path, lineno, name))

check(len(decls) > 100, "found the public declarations (%d)" % len(decls))
for path, lineno, name in decls:
    lines = text[path]
    # the declaration's first line: the one naming the function at or above gcc's line
    start = next((i for i in range(lineno - 1, max(lineno - 6, -1), -1)
                  if re.search(r"\b%s\(" % name, lines[i])), None)
    where = "%s:%d: %s" % (os.path.basename(path), lineno, name)
    check(start is not None, where + ": declaration not found on its line")
    if start is None:
        continue
    above = start - 1
    check(above >= 0 and lines[above].rstrip().endswith("*/"),
          where + ": no contract comment directly above the declaration")

if failures:
    print("%d problem(s)" % len(failures), file=sys.stderr)
    sys.exit(1)
print("ok: %d headers, %d public functions, each with its contract" % (len(headers), len(decls)))
