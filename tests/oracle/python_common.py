"""Shared by the python_*.py oracles: import python/leakbound from the source tree (the
library comes from LEAKBOUND_LIB, set by tests/python/oracle.cmake), run the CLI, count
checks."""
import json
import os
import subprocess
import sys

SRC = os.environ.get("LB_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(SRC, "python"))
sys.path.insert(1, os.path.dirname(os.path.abspath(__file__)))

import leakbound  # noqa: E402

CLI = os.environ.get("LB_CLI", os.path.join(SRC, "build", "leakbound"))
SANITIZED = bool(os.environ.get("LB_SANITIZED")) or "LD_PRELOAD" in os.environ


def work_dir(name):
    d = os.path.join(os.environ.get("LB_WORK", "/tmp/lb-work"), name)
    os.makedirs(d, exist_ok=True)
    return d


def sub_env(**extra):
    """The environment for programs this test starts: without the ASan preload meant for
    Python (an instrumented CLI brings its own runtime), with leak checks as test.sh sets."""
    env = dict(os.environ)
    if env.pop("LD_PRELOAD", None) is not None:
        env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=1"
    env.update(extra)
    return env


def cli(args, stdin=None):
    p = subprocess.run([CLI] + args, input=stdin, capture_output=True, text=True, env=sub_env())
    if p.returncode:
        raise SystemExit(f"leakbound {' '.join(args)}: exit {p.returncode}: {p.stderr}")
    return p.stdout


class Checks:
    def __init__(self, title):
        self.title = title
        self.passed = 0
        self.failed = []

    def check(self, name, cond, detail=""):
        if cond:
            self.passed += 1
        else:
            self.failed.append(name)
            print(f"FAIL: {name} {detail}"[:2000])
        return cond

    def raises(self, name, exc, fn, needle=None):
        try:
            fn()
        except exc as e:
            ok = needle is None or needle in str(e)
            return self.check(name, ok, f"message {str(e)!r} lacks {needle!r}")
        except Exception as e:  # noqa: BLE001 - the wrong kind is the failure reported
            return self.check(name, False, f"raised {type(e).__name__}: {e}")
        return self.check(name, False, f"raised nothing, want {exc}")

    def finish(self):
        print(f"{self.title}: {self.passed} passed, {len(self.failed)} failed")
        sys.exit(1 if self.failed else 0)


def jsonl(path, objs):
    with open(path, "w", encoding="utf-8") as f:
        for o in objs:
            f.write(json.dumps(o, ensure_ascii=False) + "\n")
    return path
