#!/usr/bin/python3
"""The default thread count on a shared machine (src/core/threads.c, lb_core_default_threads):
all cores minus the other processes runnable at start (procs_running of /proc/stat, here a
stand-in file named by LB_PROC_STAT), at least 1; OMP_NUM_THREADS and --threads override it; an
unreadable file means all cores. Observed on `sample`'s memory-plan line ("; N threads"). The
expected counts are computed here from the stand-in file and the CPUs this process may use.
The library's eval job applies the same rule: checked here through Python's leakbound.sample
(skipped in a sanitizer build) and from C in tests/eval/test_eval_job_threads.c."""
import os
import re
import subprocess
import sys
import tempfile

CLI = os.environ["LB_CLI"]
ROOT = os.environ["LB_SOURCE_DIR"]
MODEL = os.path.join(ROOT, "examples", "default", "model")
DATA = os.path.join(ROOT, "examples", "default", "forget.jsonl")
NCPU = len(os.sched_getaffinity(0))
failures = []


def threads(env_extra, args=()):
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "LB_PROC_STAT")}
    env.update(env_extra)
    with tempfile.TemporaryDirectory() as d:
        p = subprocess.run([CLI, "sample", "--model", MODEL, "--data", DATA, "--limit", "1", "-n", "1",
                            "--max-new-tokens", "2", "-o", os.path.join(d, "s.jsonl"), *args],
                           capture_output=True, text=True, env=env)
    m = re.search(r"; (\d+) threads?(?:; kernels \w+)?\n", p.stderr)
    if p.returncode != 0 or not m:
        failures.append(f"{env_extra} {args}: exit {p.returncode}, stderr {p.stderr!r}")
        return None
    return int(m.group(1))


def stat_file(d, running):
    path = os.path.join(d, f"stat_{running}")
    with open(path, "w") as f:
        f.write("cpu  1 2 3 4\nintr 5\nctxt 6\nbtime 7\nprocesses 8\n"
                f"procs_running {running}\nprocs_blocked 0\n")
    return path


def check(label, got, want):
    print(f"{label}: {got} (want {want})")
    if got != want:
        failures.append(f"{label}: {got} threads, want {want}")


PY_PROBE = """
import ctypes, json, sys
sys.path.insert(0, sys.argv[1])
import leakbound
gomp = ctypes.CDLL("libgomp.so.1")
gomp.omp_set_num_threads(int(sys.argv[4]))
leakbound.sample(sys.argv[2], ["Who wrote it?"], n=1, max_new_tokens=2, **json.loads(sys.argv[3]))
print(gomp.omp_get_max_threads())
"""


def py_threads(env_extra, kw="{}"):
    """The calling thread's OpenMP count after Python's leakbound.sample (the library's eval job
    sets it at load, as the CLI does at start), from NCPU + 3 before the call."""
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "LB_PROC_STAT")}
    env["LEAKBOUND_LIB"] = os.path.join(os.path.dirname(CLI), "libleakbound.so")
    env.update(env_extra)
    p = subprocess.run(["/usr/bin/python3", "-c", PY_PROBE, os.path.join(ROOT, "python"), MODEL, kw,
                        str(NCPU + 3)], capture_output=True, text=True, env=env)
    if p.returncode != 0 or not p.stdout.strip().isdigit():
        failures.append(f"python {env_extra} {kw}: exit {p.returncode}, "
                        f"stderr {p.stderr[-2000:]!r}")
        return None
    return int(p.stdout.strip())


def main():
    with tempfile.TemporaryDirectory() as d:
        for running in (1, 2, 3, NCPU, NCPU + 1, NCPU + 5):
            want = max(1, NCPU - (running - 1))
            check(f"procs_running {running}", threads({"LB_PROC_STAT": stat_file(d, running)}), want)
        busy = stat_file(d, NCPU + 5)
        check("OMP_NUM_THREADS=3 beside busy ones", threads({"LB_PROC_STAT": busy, "OMP_NUM_THREADS": "3"}), 3)
        check("--threads 2 beside busy ones", threads({"LB_PROC_STAT": busy}, ["--threads", "2"]), 2)
        check("unreadable stat file", threads({"LB_PROC_STAT": os.path.join(d, "nope")}), NCPU)
        check("stat file without procs_running",
              threads({"LB_PROC_STAT": os.path.join(ROOT, "README.md")}), NCPU)
        # Python's leakbound.sample without threads: the same rule (lb_core_default_threads in
        # the eval job); not in a sanitizer build (Python would need the ASan runtime preloaded)
        if not os.environ.get("LB_SANITIZED") and "LD_PRELOAD" not in os.environ:
            for running in (1, NCPU + 5):
                want = max(1, NCPU - (running - 1))
                check(f"python, procs_running {running}",
                      py_threads({"LB_PROC_STAT": stat_file(d, running)}), want)
            check("python, OMP_NUM_THREADS=3 beside busy ones",
                  py_threads({"LB_PROC_STAT": busy, "OMP_NUM_THREADS": "3"}), NCPU + 3)
            check("python, threads=2 beside busy ones",
                  py_threads({"LB_PROC_STAT": busy}, '{"threads": 2}'), 2)
    if failures:
        print("\n".join("FAIL: " + f for f in failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
