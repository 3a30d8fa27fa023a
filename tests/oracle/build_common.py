"""Shared by build_contracts.py and build_exports.py: the public headers, the functions they
declare as the compiler itself reads them (gcc -aux-info over one file that includes every
include/leakbound/*.h) and the data objects they declare extern (the same file preprocessed by
gcc -E: macros expanded, conditionals resolved), and the first line of a declaration in the
header's own text."""
import glob
import os
import re
import subprocess
import tempfile


def public_headers(src):
    """The public headers, sorted."""
    return sorted(glob.glob(os.path.join(src, "include", "leakbound", "*.h")))


def _all_headers_tu(tmp, headers):
    tu = os.path.join(tmp, "all.c")
    with open(tu, "w") as f:
        for h in headers:
            f.write('#include "leakbound/%s"\n' % os.path.basename(h))
    return tu


def _cflags(src):
    return ["-std=c11", "-I", os.path.join(src, "include"),
            *subprocess.run(["pkg-config", "--cflags", "jansson"], capture_output=True,
                            text=True).stdout.split()]


def public_declarations(src, headers):
    """Every non-static function declaration in headers as gcc sees it: (real path of the
    header, line, declaration text, function name or None when the text does not read as one)."""
    heads = {os.path.realpath(h) for h in headers}
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        tu = _all_headers_tu(tmp, headers)
        aux = os.path.join(tmp, "aux.txt")
        subprocess.run(["gcc", "-fsyntax-only", *_cflags(src), "-aux-info", aux, tu], check=True)
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


def _statements(text):
    """File-scope statements of preprocessed C text: (offset of the first character, text).
    String and character literals are blanked first; struct/enum bodies and function bodies
    (static inline helpers) stay inside their statement."""
    masked = re.sub(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'',
                    lambda m: m.group(0)[0] + " " * (len(m.group(0)) - 2) + m.group(0)[-1], text)
    out, depth, start, body = [], 0, None, False
    for i, c in enumerate(masked):
        if c.isspace():
            continue
        if start is None:
            start = i
        if c == "{":
            if depth == 0:
                body = masked[start:i].rstrip().endswith(")")
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0 and body:
                out.append((start, masked[start:i + 1]))
                start, body = None, False
        elif c == ";" and depth == 0:
            out.append((start, masked[start:i + 1]))
            start = None
    return out


def public_data(src, headers):
    """Every extern data object declared at file scope in headers, as gcc -E leaves the text
    (macros expanded, LB_API as its attribute): (real path of the header, line of the
    declaration's start, declaration text, object name or None when the text does not read as
    one). File-scope statements of the headers that are neither declarations of functions or
    extern data nor typedefs, type definitions or static helpers come back with name None."""
    heads = {os.path.realpath(h) for h in headers}
    with tempfile.TemporaryDirectory() as tmp:
        tu = _all_headers_tu(tmp, headers)
        pre = subprocess.run(["gcc", "-E", *_cflags(src), tu], capture_output=True, text=True,
                             check=True).stdout
    # One text without the line markers, and where each of its lines came from.
    lines, origin = [], []
    path, line = None, 0
    for l in pre.split("\n"):
        m = re.match(r'# (\d+) "([^"]+)"', l)
        if m:
            line, path = int(m.group(1)), os.path.realpath(m.group(2))
            continue
        lines.append(l)
        origin.append((path, line))
        line += 1
    text = "\n".join(lines)
    out = []
    for start, stmt in _statements(text):
        where = origin[text.count("\n", 0, start)]
        if where[0] not in heads:
            continue
        s = " ".join(stmt.split())
        bare = s
        while True:  # attributes removed: __attribute__((...)) with its nested parentheses
            m = re.search(r"__attribute__\s*\(\(", bare)
            if not m:
                break
            depth, j = 0, m.end() - 2
            for j in range(m.end() - 2, len(bare)):
                depth += {"(": 1, ")": -1}.get(bare[j], 0)
                if depth == 0:
                    break
            bare = (bare[:m.start()] + bare[j + 1:]).strip()
        if re.match(r"(typedef|static|_Static_assert)\b", bare) or \
                (re.match(r"(struct|union|enum)\b", bare) and "{" in bare):
            continue
        pointer = re.match(r"[^(]*\(\s*\*\s*(\w+)\s*\)\s*\(", bare)  # a function pointer object
        if "(" in bare and not pointer:
            continue  # a function declaration: public_declarations reads those
        name = None
        if bare.startswith("extern ") and "=" not in bare and "{" not in bare:
            m = pointer or re.search(r"(\w+)\s*(?:\[[^\]]*\]\s*)*;$", bare)
            name = m.group(1) if m else None
        out.append((where[0], where[1], s, name))
    return out


def declaration_start(lines, lineno, name):
    """0-based index of the first line of the declaration of name that the compiler places at
    lineno (1-based) in a header's lines, or None: the line naming it at or above lineno, then up
    over the lines that continue the same declaration (no blank, comment end, ';', '{', '}' or
    directive between)."""
    i = next((k for k in range(lineno - 1, max(lineno - 6, -1), -1)
              if k < len(lines) and re.search(r"\b%s\b" % re.escape(name), lines[k])), None)
    if i is None:
        return None
    while i > 0:
        prev = lines[i - 1].strip()
        if not prev or prev.endswith(("*/", ";", "{", "}")) or prev.startswith(("#", "//")):
            break
        i -= 1
    return i
