#!/usr/bin/python3
"""Shared helpers for the report oracles: parse an SVG with xml.etree, check the root, recover
each panel's data coordinates from its tick marks and labels, and compare what a plot draws
with what numpy/scipy compute from the same data. Everything is compared in pixel space after
mapping the expected data values through the axes recovered from the ticks."""
import math
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET

import numpy as np

NS = "{http://www.w3.org/2000/svg}"
PX_TOL = 0.003  # coordinates are printed with 3 decimals
FAILURES = []


def fail(msg):
    FAILURES.append(msg)
    print("FAIL: " + msg)


def check(cond, msg):
    if not cond:
        fail(msg)
    return cond


def cls(el):
    return el.get("class", "")


def parse(path):
    """Parse; check the root <svg> (namespace, viewBox matching width/height)."""
    try:
        tree = ET.parse(path)
    except ET.ParseError as e:
        fail(f"{path}: not well-formed XML: {e}")
        return None
    root = tree.getroot()
    check(root.tag == NS + "svg", f"{path}: root is {root.tag}, not svg")
    try:
        w, h = float(root.get("width")), float(root.get("height"))
        vb = [float(v) for v in root.get("viewBox").split()]
    except (TypeError, ValueError):
        fail(f"{path}: width/height/viewBox missing or not numbers")
        return None
    check(vb == [0, 0, w, h], f"{path}: viewBox {vb} vs {w}x{h}")
    render(path)
    check(w > 0 and h > 0, f"{path}: empty size")
    # Every drawn coordinate lies on the canvas.
    for el in root.iter():
        for a in ("x", "y", "x1", "x2", "y1", "y2", "cx", "cy"):
            v = el.get(a)
            if v is not None:
                f = float(v)
                check(-1 <= f <= (w if "x" in a else h) + 1, f"{path}: {el.tag} {a}={v} off canvas")
        if el.get("points"):
            for x, y in points(el):
                check(-1 <= x <= w + 1 and -1 <= y <= h + 1, f"{path}: point {x},{y} off canvas")
    return root


RSVG = shutil.which("rsvg-convert")


def render(path):
    """A real renderer (librsvg, from scripts/packages.extra) must accept the document."""
    if not check(RSVG is not None, "rsvg-convert not found: run scripts/setup.sh (librsvg2-bin)"):
        return
    png = path + ".png"
    p = subprocess.run([RSVG, "-o", png, path], capture_output=True, text=True, check=False)
    check(p.returncode == 0 and os.path.exists(png) and os.path.getsize(png) > 0,
          f"{path}: rsvg-convert failed: {p.stderr.strip()}")
    if os.path.exists(png):
        os.unlink(png)


def points(el):
    out = []
    for pair in el.get("points").split():
        x, y = pair.split(",")
        out.append((float(x), float(y)))
    return out


def panels(root):
    return [g for g in root.iter(NS + "g") if cls(g) == "panel"]


class Axis:
    """The linear map of one axis, fitted from its ticks (pixel position vs label value)."""

    def __init__(self, panel, which, where):
        lines = [e for e in panel.iter(NS + "line") if cls(e) == which + "tick"]
        labels = [e for e in panel.iter(NS + "text") if cls(e) == which + "tick-label"]
        check(len(lines) == len(labels) and len(lines) >= 2, f"{where}: {which} ticks/labels")
        coord = "x1" if which == "x" else "y1"
        self.px = np.array([float(e.get(coord)) for e in lines])
        self.val = np.array([float(e.text) for e in labels])
        steps = np.diff(self.val)
        check(np.allclose(steps, steps[0], rtol=1e-9, atol=1e-12), f"{where}: {which} ticks not evenly spaced")
        # Labels are decimal strings, so a step of 0.1 can come back as 0.0999…: snap the exponent.
        mant = steps[0] / 10 ** math.floor(math.log10(steps[0]) + 1e-9)
        check(any(abs(mant - m) < 1e-9 for m in (1, 2, 5)), f"{where}: {which} step {steps[0]} not nice")
        b, a = np.polyfit(self.val, self.px, 1)
        self.a, self.b = a, b
        resid = np.abs(self.px - (a + b * self.val)).max()
        check(resid < PX_TOL, f"{where}: {which} ticks not linear (residual {resid})")
        self.lo, self.hi = self.val[0], self.val[-1]

    def map(self, v):
        return self.a + self.b * np.asarray(v, dtype=float)


def close(got, want, where, tol=PX_TOL):
    got, want = np.asarray(got, float), np.asarray(want, float)
    if not check(got.shape == want.shape, f"{where}: shape {got.shape} vs {want.shape}"):
        return False
    err = np.abs(got - want).max() if got.size else 0.0
    return check(err <= tol, f"{where}: off by {err:.4g} px")


def bars(panel):
    return [e for e in panel.iter(NS + "rect") if cls(e) == "bar"]


def check_bars(panel, x, y, heights, bins, where):
    """Bars: bins equal bins on [first x tick, last x tick] (numpy.linspace edges), tops at
    `heights` (already computed by numpy for those edges)."""
    bs = bars(panel)
    if not check(len(bs) == bins, f"{where}: {len(bs)} bars, want {bins}"):
        return
    edges = np.linspace(x.lo, x.hi, bins + 1)
    left = [float(b.get("x")) for b in bs]
    right = [float(b.get("x")) + float(b.get("width")) for b in bs]
    top = [float(b.get("y")) for b in bs]
    bottom = [float(b.get("y")) + float(b.get("height")) for b in bs]
    close(left, x.map(edges[:-1]), where + " bar left edges", 2 * PX_TOL)
    close(right, x.map(edges[1:]), where + " bar right edges", 2 * PX_TOL)
    close(top, y.map(heights), where + " bar heights", 2 * PX_TOL)
    close(bottom, y.map(np.zeros(bins)), where + " bar bottoms", 2 * PX_TOL)


def one(panel, tag, klass):
    els = [e for e in panel.iter(NS + tag) if cls(e) == klass]
    return els


def check_density_panel(panel, values, greedy, bins, where, x_range01=True):
    x, y = Axis(panel, "x", where), Axis(panel, "y", where)
    values = np.asarray(values, float)
    if x_range01:
        check(x.lo == 0 and x.hi == 1, f"{where}: x axis {x.lo}..{x.hi}, want 0..1")
    check(x.lo <= values.min() and values.max() <= x.hi, f"{where}: data outside the x axis")
    dens, _ = np.histogram(values, bins=bins, range=(x.lo, x.hi), density=True)
    check_bars(panel, x, y, dens, bins, where)
    kde = one(panel, "polyline", "kde")
    if len(values) >= 2 and np.var(values) > 0:
        from scipy.stats import gaussian_kde
        if check(len(kde) == 1, f"{where}: {len(kde)} KDE lines, want 1"):
            pts = np.array(points(kde[0]))
            grid = np.linspace(x.lo, x.hi, len(pts))
            close(pts[:, 0], x.map(grid), where + " KDE x")
            close(pts[:, 1], y.map(gaussian_kde(values)(grid)), where + " KDE y")
            check(y.hi >= gaussian_kde(values)(grid).max(), f"{where}: KDE above the y axis")
    else:
        check(len(kde) == 0, f"{where}: a KDE drawn for degenerate data")
    check(y.hi >= dens.max(), f"{where}: bars above the y axis")
    check_greedy(panel, x, y, greedy, where)


def check_greedy(panel, x, y, greedy, where):
    gl = one(panel, "line", "greedy")
    if greedy is None or (isinstance(greedy, float) and math.isnan(greedy)):
        check(len(gl) == 0, f"{where}: a greedy line without a greedy score")
        return
    if check(len(gl) == 1, f"{where}: {len(gl)} greedy lines, want 1"):
        g = gl[0]
        close([float(g.get("x1")), float(g.get("x2"))], x.map([greedy, greedy]), where + " greedy x")
        close(sorted([float(g.get("y1")), float(g.get("y2"))]), sorted(y.map([y.lo, y.hi])),
              where + " greedy spans the plot")


def check_ecdf_panel(panel, values, greedy, alpha, where):
    x, y = Axis(panel, "x", where), Axis(panel, "y", where)
    check(y.lo == 0 and y.hi == 1, f"{where}: y axis {y.lo}..{y.hi}, want 0..1")
    v = np.sort(np.asarray(values, float))
    n = len(v)
    u = np.unique(v)
    F = np.searchsorted(v, u, side="right") / n  # share of samples <= u
    Fprev = np.concatenate([[0.0], F[:-1]])
    step_x = np.concatenate([[x.lo], np.repeat(u, 2), [x.hi]])
    step_y = np.concatenate([[0.0], np.column_stack([Fprev, F]).ravel(), [1.0]])
    line = one(panel, "polyline", "ecdf")
    if check(len(line) == 1, f"{where}: {len(line)} ECDF lines"):
        pts = np.array(points(line[0]))
        close(pts[:, 0], x.map(step_x), where + " ECDF steps x")
        close(pts[:, 1], y.map(step_y), where + " ECDF steps y")
    eps = math.sqrt(math.log(2 / alpha) / (2 * n))
    band = one(panel, "polygon", "dkw-band")
    if check(len(band) == 1, f"{where}: {len(band)} DKW bands"):
        pts = np.array(points(band[0]))
        m = len(step_x)
        if check(len(pts) == 2 * m, f"{where}: band has {len(pts)} points, want {2 * m}"):
            close(pts[:m, 0], x.map(step_x), where + " band upper x")
            close(pts[:m, 1], y.map(np.minimum(step_y + eps, 1)), where + " band upper y")
            close(pts[m:, 0], x.map(step_x[::-1]), where + " band lower x")
            close(pts[m:, 1], y.map(np.maximum(step_y[::-1] - eps, 0)), where + " band lower y")
    check_greedy(panel, x, y, greedy, where)
    return eps


def check_histogram(root, values, bins, where):
    ps = panels(root)
    if not check(len(ps) == 1, f"{where}: {len(ps)} panels"):
        return
    x, y = Axis(ps[0], "x", where), Axis(ps[0], "y", where)
    values = np.asarray(values, float)
    counts, _ = np.histogram(values, bins=bins, range=(x.lo, x.hi))
    check(counts.sum() == len(values), f"{where}: {len(values) - counts.sum()} values outside the axis")
    check(y.lo == 0 and y.hi >= counts.max(), f"{where}: y axis {y.lo}..{y.hi}")
    check_bars(ps[0], x, y, counts, bins, where)


def texts(root, klass):
    return ["".join(e.itertext()) for e in root.iter() if cls(e) == klass]
