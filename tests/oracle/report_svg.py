#!/usr/bin/python3
"""The report module's SVG plots and tables (through tests/report/driver_report) against
numpy/scipy: every SVG parses with xml.etree (root <svg>, viewBox = width/height); bars match
numpy.histogram (same bins; density=True for the score densities), the KDE line matches
scipy.stats.gaussian_kde, ECDF steps match numpy's empirical CDF and the band the DKW margin
sqrt(ln(2/alpha)/(2n)), line charts put every point where its data says, all to 0.003-0.006 px
after mapping through the axes recovered from the tick labels. Text with < & and quotes
round-trips through the XML parser; markdown tables round-trip through a GFM cell splitter.
Bad input (NaN, inf, empty) exits 2 and leaves no file."""
import json
import math
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_common as rc  # noqa: E402
from report_common import check, fail  # noqa: E402

DRIVER = os.path.join(os.environ["LB_DRIVERS"], "driver_report")
WORK = os.path.join(os.environ["LB_WORK"], "report_svg")
os.makedirs(WORK, exist_ok=True)
SMALL = os.environ.get("LB_SANITIZED") == "1"
rng = np.random.default_rng(20261127)


def drive(name, spec):
    """Run the driver on spec (out path filled in); returns (rc, stderr, out path)."""
    out = os.path.join(WORK, name)
    if os.path.exists(out):
        os.unlink(out)
    spec = dict(spec, out=out)
    sp = os.path.join(WORK, name + ".json")
    with open(sp, "w", encoding="utf-8") as f:
        json.dump(spec, f)
    p = subprocess.run([DRIVER, sp], capture_output=True, text=True, check=False)
    return p.returncode, p.stderr, out


def ok(name, spec):
    code, err, out = drive(name, spec)
    if not check(code == 0, f"{name}: driver exit {code}: {err.strip()}"):
        return None
    return rc.parse(out)


# ---- data sets ------------------------------------------------------------------------------

N = 200 if SMALL else 1000


def rouge_like(n):
    """Scores on a grid k/20 with mass at 0 and 1: every value sits on a bin edge."""
    v = rng.integers(0, 21, n) / 20.0
    v[: n // 5] = 0.0
    v[n // 5: n // 4] = 1.0
    return rng.permutation(v)


DATASETS = {
    "beta": rng.beta(2, 5, N),
    "beta_small": rng.beta(0.5, 0.5, 37),
    "grid": rouge_like(N),
    "tenths": np.round(rng.random(N), 1),
    "one": np.array([0.4]),
    "equal": np.full(7, 0.25),
    "zeros_ones": np.array([0.0] * 60 + [1.0] * 4),
}


# ---- density --------------------------------------------------------------------------------

for bins in (20, 7, 50):
    names = list(DATASETS)
    greedy = [float(rng.random()) if i % 3 else None for i in range(len(names))]
    panels = [{"label": f"p {nm}", "values": DATASETS[nm].tolist(), "greedy": greedy[i]}
              for i, nm in enumerate(names)]
    root = ok(f"density_{bins}.svg", {"kind": "density", "bins": bins, "panels": panels,
                                      "title": "densities", "columns": 3})
    if root is None:
        continue
    ps = rc.panels(root)
    if check(len(ps) == len(names), f"density: {len(ps)} panels, want {len(names)}"):
        for i, nm in enumerate(names):
            rc.check_density_panel(ps[i], DATASETS[nm], greedy[i], bins, f"density bins={bins} {nm}")
    check(rc.texts(root, "panel-label") == [f"p {nm}" for nm in names], "density: panel labels")

# Values outside [0, 1] get a nice axis around them (and the greedy score is on it).
wide = rng.normal(3.0, 2.0, 300)
root = ok("density_wide.svg", {"kind": "density", "panels": [{"label": "w", "values": wide.tolist(),
                                                             "greedy": 9.5}]})
if root is not None:
    p = rc.panels(root)[0]
    rc.check_density_panel(p, wide, 9.5, 20, "density wide", x_range01=False)
    x = rc.Axis(p, "x", "density wide")
    check(x.lo <= wide.min() and x.hi >= 9.5, "density wide: axis misses the data or greedy")

# ---- ECDF + DKW band ----------------------------------------------------------------------------

for alpha in (0.01, 0.1):
    names = list(DATASETS)
    greedy = [0.5 if i % 2 else None for i in range(len(names))]
    panels = [{"label": nm, "values": DATASETS[nm].tolist(), "greedy": greedy[i]}
              for i, nm in enumerate(names)]
    root = ok(f"ecdf_{alpha}.svg", {"kind": "ecdf", "alpha": alpha, "panels": panels})
    if root is None:
        continue
    ps = rc.panels(root)
    if check(len(ps) == len(names), f"ecdf: {len(ps)} panels"):
        for i, nm in enumerate(names):
            rc.check_ecdf_panel(ps[i], DATASETS[nm], greedy[i], alpha, f"ecdf alpha={alpha} {nm}")

# ---- histogram over prompts ---------------------------------------------------------------------

HIST = {
    "ed": rng.uniform(0.3, 1.6, 150),
    "ed_grid": np.round(rng.uniform(0, 2, 400), 2),
    "single": np.array([2.5]),
    "same": np.full(5, 0.7),
    "negative": rng.normal(-50, 10, 80),
    "huge": rng.uniform(1e6, 3e7, 50),
    "tiny": rng.uniform(1e-7, 3e-7, 50),
    "huge_equal": np.full(3, 1e20),
    "near_equal": np.array([1.0, 1.0 + 1e-13, 1.0]),
}
for nm, v in HIST.items():
    for bins in (20, 9):
        root = ok(f"hist_{nm}_{bins}.svg", {"kind": "histogram", "values": v.tolist(), "bins": bins,
                                            "legend": "ED", "xlabel": "ED"})
        if root is not None:
            rc.check_histogram(root, v, bins, f"histogram {nm} bins={bins}")

# ---- line chart -------------------------------------------------------------------------------------

steps = np.arange(0, 500, 10, dtype=float)
series = [
    {"label": "train", "x": steps.tolist(), "y": (3 * np.exp(-steps / 150) + 0.2).tolist()},
    {"label": "eval", "x": steps[::5].tolist(), "y": (3.2 * np.exp(-steps[::5] / 170) + 0.3).tolist()},
    {"label": "one point", "x": [250.0], "y": [-0.5]},
]
root = ok("lines.svg", {"kind": "lines", "series": series, "title": "loss", "xlabel": "step",
                        "ylabel": "loss"})
if root is not None:
    p = rc.panels(root)[0]
    x, y = rc.Axis(p, "x", "lines"), rc.Axis(p, "y", "lines")
    lines = rc.one(p, "polyline", "series")
    if check(len(lines) == 3, f"lines: {len(lines)} series"):
        for s, el in zip(series, lines):
            pts = np.array(rc.points(el))
            rc.close(pts[:, 0], x.map(s["x"]), f"lines {s['label']} x")
            rc.close(pts[:, 1], y.map(s["y"]), f"lines {s['label']} y")
    legend = [t for t in (("".join(e.itertext())) for e in p.iter(rc.NS + "text")) if t in
              ("train", "eval", "one point")]
    check(legend == ["train", "eval", "one point"], f"lines: legend {legend}")

# ---- escaping -----------------------------------------------------------------------------------------

NASTY = "a < b && c > \"d\" 'e' </svg> <!-- x --> ]]> \u00e9\u4e2d"
root = ok("escape.svg", {"kind": "density", "title": NASTY, "xlabel": NASTY, "ylabel": NASTY,
                         "panels": [{"label": NASTY, "values": [0.1, 0.5]}]})
if root is not None:
    check(rc.texts(root, "title") == [NASTY], f"escape: title {rc.texts(root, 'title')}")
    check(rc.texts(root, "xlabel") == [NASTY], "escape: xlabel")
    check(rc.texts(root, "ylabel") == [NASTY], "escape: ylabel")
    check(rc.texts(root, "panel-label") == [NASTY], "escape: panel label")
    check(root.find(rc.NS + "title").text == NASTY, "escape: <title>")
root = ok("escape_ctrl.svg", {"kind": "lines", "series": [{"label": "tab\there\u0001\u0008bell",
                                                          "x": [0, 1], "y": [1, 0]}]})
if root is not None:
    got = [t for t in ("".join(e.itertext()) for e in root.iter(rc.NS + "text")) if "bell" in t]
    check(got == ["tab\there\ufffd\ufffdbell"], f"escape: control characters became {got}")

# ---- bad input: exit 2, a message naming the place, no file -------------------------------------------

BAD = [
    ("nan value", {"kind": "density", "panels": [{"label": "ok", "values": [0.1]},
                                                 {"label": "q7", "values": [0.2, "nan"]}]},
     "panel 2 ('q7'): value 1 is NaN"),
    ("inf value", {"kind": "ecdf", "alpha": 0.01, "panels": [{"label": "z", "values": ["inf"]}]},
     "value 0 is infinite"),
    ("inf greedy", {"kind": "density", "panels": [{"label": "g", "values": [0.1], "greedy": "-inf"}]},
     "greedy"),
    ("empty panel", {"kind": "density", "panels": [{"label": "e", "values": []}]}, "no values"),
    ("no panels", {"kind": "ecdf", "alpha": 0.01, "panels": []}, "no panels"),
    ("bad alpha", {"kind": "ecdf", "alpha": 0, "panels": [{"values": [0.1]}]}, "alpha"),
    ("hist nan", {"kind": "histogram", "values": [1, 2, "nan"]}, "value 2 is NaN"),
    ("hist empty", {"kind": "histogram", "values": []}, "no values"),
    ("lines inf", {"kind": "lines", "series": [{"label": "L", "x": [0, "inf"], "y": [1, 2]}]},
     "series 1 ('L') x: value 1 is infinite"),
    ("lines empty", {"kind": "lines", "series": [{"label": "L", "x": [], "y": []}]}, "no points"),
    ("too many bins", {"kind": "histogram", "values": [1], "bins": 10001}, "bins"),
]
for name, spec, want in BAD:
    code, err, out = drive("bad.svg", spec)
    check(code == 2, f"bad input '{name}': exit {code}, want 2")
    check(want in err, f"bad input '{name}': message {err.strip()!r} lacks {want!r}")
    check(not os.path.exists(out), f"bad input '{name}': a file was written")
leftovers = [f for f in os.listdir(WORK) if ".tmp." in f]
check(not leftovers, f"temporary files left behind: {leftovers}")

# ---- markdown tables round-trip through a GFM cell splitter ----------------------------------------------


def gfm_cells(line):
    """Split a GFM table row on unescaped pipes and undo backslash escapes (CommonMark: a
    backslash before ASCII punctuation is a literal)."""
    assert line.startswith("|") and line.endswith("|"), line
    cells, cur, i = [], "", 1
    while i < len(line) - 1:
        c = line[i]
        if c == "\\" and i + 1 < len(line) - 1:
            nxt = line[i + 1]
            cur += nxt if nxt in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~" else c + nxt
            i += 2
            continue
        if c == "|":
            cells.append(cur.strip())
            cur = ""
        else:
            cur += c
        i += 1
    cells.append(cur.strip())
    return cells


ALPHABET = list("ab|\\*_`[]<>&#! x-:") + ["\u00e9", "\n", "\t", " "]
for trial in range(30):
    ncols = int(rng.integers(1, 5))
    aligns = [str(rng.choice(["left", "right", "center"])) for _ in range(ncols)]
    headers = ["".join(rng.choice(ALPHABET, int(rng.integers(1, 6)))) for _ in range(ncols)]
    rows = []
    for _ in range(int(rng.integers(0, 6))):
        row = []
        for c in range(ncols):
            if rng.random() < 0.3:
                row.append(float(rng.normal()) * 10 ** int(rng.integers(-3, 4)))
            else:
                row.append("".join(rng.choice(ALPHABET, int(rng.integers(0, 12)))))
        rows.append(row)
    code, err, out = drive("table.md", {"kind": "table", "format": "markdown", "rows": rows,
                                        "columns": [{"header": h, "align": a, "format": "%.3e"}
                                                    for h, a in zip(headers, aligns)]})
    if not check(code == 0, f"table {trial}: exit {code}: {err}"):
        continue
    lines = open(out, encoding="utf-8").read().split("\n")
    check(lines[-1] == "" and len(lines) == len(rows) + 3, f"table {trial}: {len(lines)} lines")
    lines = lines[:-1]

    def shown(v):
        if isinstance(v, float):
            return "%.3e" % v
        return "".join(" " if ord(ch) < 32 else ch for ch in v).strip()

    check(gfm_cells(lines[0]) == [shown(h) for h in headers], f"table {trial}: header {lines[0]!r}")
    rule = gfm_cells(lines[1])
    want_rule = {"left": (":", "-"), "right": ("-", ":"), "center": (":", ":")}
    check(len(rule) == ncols and all(r[0] == want_rule[a][0] and r[-1] == want_rule[a][1]
                                     and set(r[1:-1]) == {"-"} for r, a in zip(rule, aligns)),
          f"table {trial}: rule {lines[1]!r}")
    for r, line in zip(rows, lines[2:]):
        check(gfm_cells(line) == [shown(v) for v in r], f"table {trial}: row {line!r} vs {r!r}")
    widths = {len(line) for line in lines}
    check(len(widths) == 1 or any(ord(ch) > 127 for ch in "".join(lines)),
          f"table {trial}: rows of different widths {widths}")

if rc.FAILURES:
    print(f"{len(rc.FAILURES)} failure(s)")
    sys.exit(1)
print("report_svg: all checks passed")
