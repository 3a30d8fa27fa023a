"""Same seed, same bytes, for the quick demo itself: `leakbound demo --quick`, run twice under
different thread counts, gives identical demo.json rows (and the rest of demo.json) once the
timings ("seconds") and the provenance (argv and paths) are left out.

The first run is the one oracle.demo_quick makes (tests/demo/check_demo.py runs it with
--threads 2 into LB_WORK/demo/quick; CTest runs that test first, as this one requires its
output); this test runs the same command line again with another --threads (1 where the first
used more) into LB_WORK/demo/quick-threads and compares. A differing row fails the test, naming
the row and its first differing fields. Under the sanitizers (LB_SANITIZED=1) it is skipped: the
instrumented demo_quick run is shrunk and a second one would take longer than CI allows, and
oracle.demo_determinism already compares smaller demos across thread counts in the release pass.
"""
import json
import os
import shutil
import subprocess
import sys
import time

CLI = os.environ.get("LB_CLI", "leakbound")
WORK = os.environ.get("LB_WORK", "/tmp/lb_demo_work")


def fail(msg):
    print("FAIL:", msg, file=sys.stderr)
    sys.exit(1)


def strip(o):
    """demo.json minus timings and provenance."""
    if isinstance(o, dict):
        return {k: strip(v) for k, v in o.items() if k not in ("seconds", "provenance")}
    if isinstance(o, list):
        return [strip(v) for v in o]
    return o


def threads_of(argv):
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            return int(argv[i + 1])
        if a.startswith("--threads="):
            return int(a.split("=", 1)[1])
    return None


def main():
    if os.environ.get("LB_SANITIZED") == "1":
        print("skipped under the sanitizers (the release pass compares the two runs)")
        return
    first = os.environ.get("LB_DEMO_DIR") or os.path.join(WORK, "demo", "quick")
    try:
        a = json.load(open(os.path.join(first, "demo.json")))
    except (OSError, ValueError) as e:
        fail(f"{first}/demo.json: {e} (oracle.demo_quick makes it; run that test first)")
    argv = a["provenance"]["argv"]
    t1 = threads_of(argv)
    if t1 is None:
        fail(f"{first}/demo.json: its run named no --threads, so its thread count is unknown: {argv}")
    t2 = 1 if t1 != 1 else 2
    # The same command line, another output folder and thread count.
    args, skip = [], False
    for x in argv[1:]:
        if skip:
            skip = False
            continue
        if x in ("--out", "--threads"):
            skip = True
            continue
        if x.startswith(("--out=", "--threads=")):
            continue
        args.append(x)
    out = os.path.join(WORK, "demo", "quick-threads")
    shutil.rmtree(out, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    t0 = time.time()
    r = subprocess.run([CLI] + args + ["--out", out, "--threads", str(t2)], capture_output=True,
                       text=True, env=env)
    if r.returncode:
        fail(f"demo {' '.join(args)} --threads {t2} exited {r.returncode}: {r.stderr[-2000:]}")
    print(f"demo {' '.join(args)} --threads {t2}: {time.time() - t0:.0f}s wall")
    b = json.load(open(os.path.join(out, "demo.json")))
    if b["provenance"]["argv"][1:] == argv[1:]:
        fail("the second run repeated the first's argv")
    ra, rb = strip(a["rows"]), strip(b["rows"])
    if len(ra) != len(rb) or len(ra) < 2:
        fail(f"{len(ra)} rows at --threads {t1}, {len(rb)} at --threads {t2}")
    bad = 0
    for x, y in zip(ra, rb):
        keys = sorted(k for k in set(x) | set(y) if x.get(k) != y.get(k))
        if keys:
            bad += 1
            print(f"row {x.get('name')}: differs in {keys[:6]}: "
                  f"{[(k, x.get(k), y.get(k)) for k in keys[:2]]}", file=sys.stderr)
    if bad:
        fail(f"{bad} of {len(ra)} demo.json rows differ between --threads {t1} and --threads {t2}")
    rest_a = {k: v for k, v in strip(a).items() if k != "rows"}
    rest_b = {k: v for k, v in strip(b).items() if k != "rows"}
    diff = sorted(k for k in set(rest_a) | set(rest_b) if rest_a.get(k) != rest_b.get(k))
    if diff:
        fail(f"demo.json differs outside the rows between --threads {t1} and {t2}: {diff}")
    print(f"ok: demo.json identical at --threads {t1} and {t2} ({len(ra)} rows; "
          f"seconds and provenance left out)")


if __name__ == "__main__":
    main()
