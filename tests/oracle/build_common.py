"""Shared by build_contracts.py and build_exports.py: the public headers and the functions they
declare, as the compiler itself reads them (gcc -aux-info over one file that includes every
include/leakbound/*.h), an independent reading from the regex that makes the linker's version
script."""
import glob
import os
import re
import subprocess
import tempfile


def public_headers(src):
    """The public headers, sorted."""
    return sorted(glob.glob(os.path.join(src, "include", "leakbound", "*.h")))


def public_declarations(src, headers):
    """Every non-static function declaration in headers as gcc sees it: (real path of the
    header, line, declaration text, function name or None when the text does not read as one)."""
    heads = {os.path.realpath(h) for h in headers}
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        tu = os.path.join(tmp, "all.c")
        aux = os.path.join(tmp, "aux.txt")
        with open(tu, "w") as f:
            for h in headers:
                f.write('#include "leakbound/%s"\n' % os.path.basename(h))
        cflags = subprocess.run(["pkg-config", "--cflags", "jansson"], capture_output=True,
                                text=True).stdout.split()
        subprocess.run(["gcc", "-std=c11", "-fsyntax-only", "-I", os.path.join(src, "include"),
                        *cflags, "-aux-info", aux, tu], check=True)
        for line in open(aux):
            m = re.match(r"/\* (\S+):(\d+):\w+ \*/ (.*)", line)
            if not m:
                continue
            path = os.path.realpath(m.group(1))
            if path not in heads or m.group(3).startswith("static"):
                continue
            name = re.search(r"(\w+) \(", m.group(3))
            out.append((path, int(m.group(2)), m.group(3), name.group(1) if name else None))
    return out
