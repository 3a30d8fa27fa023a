#!/usr/bin/env python3
"""`mpirun -np K leakbound sample|eval` against one process (docs/scaling.md).

  check_mpi.py CASE HAVE_MPI     CASE: eval | eval_few | sample_resume | failure | mismatch |
                                       exit_status

Every run uses the same argv (its own working folder, the same relative --out/-o), so the
outputs must match byte for byte: samples.jsonl, report.md and the SVGs whole; report.json
whole as parsed JSON except "eval"."ranks" (asserted to be K, and 1 for the plain run) — the
provenance (argv, hashes, version) included. Exit 77 (ctest SKIP) when mpirun is absent or
the program was built without MPI.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

CLI = os.environ["LB_CLI"]
SRC = os.environ["LB_SOURCE_DIR"]
SKIP = 77
MODEL = os.path.join(SRC, "examples/default/model")
DATA = os.path.join(SRC, "examples/default/forget.jsonl")
EVAL_FILES = ["samples.jsonl", "report.md", "density.svg", "ecdf.svg", "ed.svg"]

ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1",
           # one thread a rank: 3 ranks share 2 cores; no warnings about the container's network
           OMP_NUM_THREADS="1", OMPI_MCA_btl="self,vader", OMPI_MCA_btl_vader_single_copy_mechanism="none")
# OpenMPI's own allocations at exit are not ours: suppress them (libmpi, its runtime and its
# mca_* plugins only) when the program runs under AddressSanitizer. The plugins stay loaded
# (no dlclose at MPI_Finalize) and stacks are unwound in full, so that LeakSanitizer can name
# the library an allocation came from: anything of ours is still reported.
ENV["OMPI_MCA_mca_base_component_disable_dlclose"] = "1"
ENV["ASAN_OPTIONS"] = ("fast_unwind_on_malloc=0:" + ENV.get("ASAN_OPTIONS", "")).rstrip(":")
ENV["LSAN_OPTIONS"] = ("suppressions=" + os.path.join(SRC, "tests/mpi/lsan.supp") + ":"
                       + ENV.get("LSAN_OPTIONS", "")).rstrip(":")


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def run(cwd, args, ranks=None, expect=0, mpmd=None):
    """Run the CLI in cwd, plain (ranks None) or under mpirun -np ranks. Returns stderr."""
    cmd = [CLI] + args
    if ranks is not None:
        cmd = ["mpirun", "--oversubscribe", "-np", str(ranks)] + cmd
    if mpmd is not None:
        cmd = ["mpirun", "--oversubscribe"] + mpmd
    # its own process group, so that a hung job is killed whole (mpirun and every rank)
    proc = subprocess.Popen(cmd, cwd=cwd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        fail(f"{' '.join(cmd)} (in {cwd}) hung (killed after 60 s)")
    p = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    ok = p.returncode == 0 if expect == 0 else p.returncode != 0
    if not ok:
        fail(f"{' '.join(cmd)} (in {cwd}) exited {p.returncode}, expected "
             f"{'0' if expect == 0 else 'non-zero'}\n{p.stdout}\n{p.stderr}")
    return p.stderr


def read(path, mode="rb"):
    with open(path, mode) as f:
        return f.read()


def compare_eval(ref, got, k):
    for f in EVAL_FILES:
        if read(os.path.join(ref, f)) != read(os.path.join(got, f)):
            fail(f"{got}/{f} differs from the single-process {ref}/{f} (K = {k})")
    a = json.loads(read(os.path.join(ref, "report.json")))
    b = json.loads(read(os.path.join(got, "report.json")))
    if a["eval"].pop("ranks") != 1 or b["eval"].pop("ranks") != k:
        fail(f"report.json: ranks should be 1 and {k}")
    if a != b:
        fail(f"{got}/report.json differs from {ref}/report.json beyond \"ranks\" (K = {k})")
    print(f"K = {k}: samples.jsonl, report.md, SVGs byte-identical; report.json identical but ranks")


def eval_case(tmp, limit, n):
    args = ["eval", "--model", MODEL, "--data", DATA, "--template", "phi", "--metric",
            "rougeL-recall", "--top-p", "0.9", "--max-new-tokens", "24", "-n", str(n),
            "--limit", str(limit), "--threads", "1", "--out", "out"]
    dirs = {}
    for k in (None, 2, 3):
        d = os.path.join(tmp, f"k{k or 1}")
        os.mkdir(d)
        err = run(d, args, ranks=k)
        dirs[k] = os.path.join(d, "out")
        if k == 3 and f"prompts {limit}/{limit}" not in err:
            fail(f"rank 0's progress does not cover the whole job:\n{err}")
    for k in (2, 3):
        compare_eval(dirs[None], dirs[k], k)


def sample_resume(tmp):
    args = ["sample", "--model", MODEL, "--data", DATA, "--template", "phi", "--top-p", "0.9",
            "--max-new-tokens", "24", "-n", "5", "--greedy-too", "--limit", "7", "--threads", "1",
            "-o", "s.jsonl"]
    ref = os.path.join(tmp, "ref")
    os.mkdir(ref)
    run(ref, args)
    want = read(os.path.join(ref, "s.jsonl"))
    lines = want.splitlines(keepends=True)
    if len(lines) != 7 * 6:
        fail(f"expected 42 lines, got {len(lines)}")
    for k in (2, 3):
        d = os.path.join(tmp, f"k{k}")
        os.mkdir(d)
        run(d, args, ranks=k)
        if read(os.path.join(d, "s.jsonl")) != want:
            fail(f"sample under mpirun -np {k} differs from one process")
        if read(os.path.join(d, "s.jsonl.settings.json")) != read(os.path.join(ref, "s.jsonl.settings.json")):
            fail(f"s.jsonl.settings.json under mpirun -np {k} differs")
    # An interrupted run: 3 complete groups and a torn 4th; resumed with K other than the
    # interrupted run's (2 here, made by 3 ranks) and by one process from an MPI-made file.
    for k, made_by in ((2, 3), (3, 1), (None, 2)):
        d = os.path.join(tmp, f"resume{k}-{made_by}")
        os.mkdir(d)
        shutil.copy(os.path.join(ref if made_by == 1 else os.path.join(tmp, f"k{made_by}"),
                                 "s.jsonl.settings.json"), d)
        with open(os.path.join(d, "s.jsonl"), "wb") as f:
            f.write(b"".join(lines[:3 * 6 + 2]) + lines[3 * 6 + 2][:10])
        err = run(d, args + ["--resume"], ranks=k)
        if "3 of 7 questions already complete" not in err:
            fail(f"resume with K = {k}: rank 0 did not report the complete groups:\n{err}")
        if read(os.path.join(d, "s.jsonl")) != want:
            fail(f"--resume under K = {k} (file made by K = {made_by}) differs from one run")
        print(f"--resume with K = {k or 1} of a file interrupted under K = {made_by}: identical")
    # A resume whose settings differ is refused on rank 0, and no rank samples.
    d = os.path.join(tmp, "resume-bad")
    os.mkdir(d)
    shutil.copy(os.path.join(ref, "s.jsonl.settings.json"), d)
    shutil.copy(os.path.join(ref, "s.jsonl"), d)
    bad = [a if a != "0.9" else "0.8" for a in args]
    err = run(d, bad + ["--resume"], ranks=2, expect=1)
    if "setting 'top_p' differs" not in err:
        fail(f"a resume with another --top-p under MPI: {err}")


def failure(tmp):
    """A rank that fails stops the job: its message on rank 0's stderr, non-zero exit, the old
    output folder untouched (eval) — at setup (MPMD: a bad model on rank 1's 'node') and during
    the run (rank 1's share has a question too long for the model's context)."""
    args = ["eval", "--data", DATA, "--template", "phi", "--metric", "rougeL-recall",
            "--max-new-tokens", "8", "-n", "4", "--limit", "4", "--threads", "1", "--out", "out"]
    d = os.path.join(tmp, "setup")
    os.makedirs(os.path.join(d, "out"))
    with open(os.path.join(d, "out", "report.md"), "w") as f:
        f.write("an earlier complete run\n")
    bad = os.path.join(tmp, "no-such-model")
    err = run(d, [], mpmd=["-np", "1", CLI] + args + ["--model", MODEL, ":", "-np", "1", CLI]
              + args + ["--model", bad], expect=1)
    rank0 = [l for l in err.splitlines() if l.startswith("leakbound eval: rank 1 of 2: ")]
    if not rank0 or bad not in rank0[0]:
        fail(f"rank 1's setup error is not on rank 0's stderr:\n{err}")
    if sorted(os.listdir(os.path.join(d, "out"))) != ["report.md"] or \
            sorted(os.listdir(d)) != ["out"]:
        fail(f"a failed MPI run left files behind: {os.listdir(d)} {os.listdir(os.path.join(d, 'out'))}")
    print("setup failure on rank 1:", rank0[0])

    # Rank 1 gets question 1 (p mod 2); it is longer than the context (80 positions).
    data = os.path.join(tmp, "long.jsonl")
    items = [json.loads(l) for l in read(DATA, "r").splitlines()[:4]]
    items[1]["id"] = "too-long"
    items[1]["question"] = " ".join(["Which author wrote the longest question?"] * 20)
    with open(data, "w") as f:
        f.write("".join(json.dumps(i) + "\n" for i in items))
    largs = [a if a != DATA else data for a in args] + ["--model", MODEL]
    one = os.path.join(tmp, "one")
    os.mkdir(one)
    err1 = run(one, largs, expect=1)
    msg = [l for l in err1.splitlines() if "too-long" in l]
    if not msg:
        fail(f"one process: no error naming the long question:\n{err1}")
    msg = msg[0].split("leakbound eval: ", 1)[1]
    for k in (2, 3):
        d = os.path.join(tmp, f"run{k}")
        os.makedirs(os.path.join(d, "out"))
        err = run(d, largs, ranks=k, expect=1)
        want = f"leakbound eval: rank 1 of {k}: {msg}"
        if want not in err.splitlines():
            fail(f"K = {k}: expected the line\n  {want}\non stderr:\n{err}")
        if os.listdir(os.path.join(d, "out")) or sorted(os.listdir(d)) != ["out"]:
            fail(f"K = {k}: a failed run left output: {os.listdir(d)}")
        print(f"K = {k}: run failure on rank 1:", want)


def mismatch(tmp):
    """Ranks that load different inputs stop before sampling, exit 2, rank 0 naming both: two
    model folders that differ in one weight byte (MPMD), then two --data files with the same
    questions in another order."""
    other = os.path.join(tmp, "other-model")
    shutil.copytree(MODEL, other)
    with open(os.path.join(other, "model.safetensors"), "r+b") as f:
        f.seek(-1, 2)
        b = f.read(1)
        f.seek(-1, 2)
        f.write(bytes([b[0] ^ 1]))
    args = ["eval", "--data", DATA, "--template", "phi", "--metric", "rougeL-recall",
            "--max-new-tokens", "4", "-n", "2", "--limit", "2", "--threads", "1", "--out", "out"]
    d = os.path.join(tmp, "models")
    os.mkdir(d)
    p = subprocess.run(["mpirun", "--oversubscribe", "-np", "1", CLI] + args + ["--model", MODEL, ":",
                        "-np", "1", CLI] + args + ["--model", other], cwd=d, env=ENV,
                       capture_output=True, text=True, timeout=60)
    line = [l for l in p.stderr.splitlines() if l.startswith("leakbound eval: rank 1 of 2: its model")]
    if p.returncode != 2 or not line or MODEL not in line[0] or other not in line[0]:
        fail(f"two models: exit {p.returncode}, expected 2 and a line naming both folders:\n{p.stderr}")
    if os.listdir(d):
        fail(f"two models: output written: {os.listdir(d)}")
    print("two models:", line[0])
    data2 = os.path.join(tmp, "reordered.jsonl")
    lines = read(DATA, "r").splitlines(keepends=True)
    with open(data2, "w") as f:
        f.write("".join([lines[1], lines[0]] + lines[2:]))
    sargs = ["sample", "--model", MODEL, "--template", "phi", "-n", "2", "--max-new-tokens", "4",
             "--limit", "2", "--threads", "1", "-o", "s.jsonl"]
    p = subprocess.run(["mpirun", "--oversubscribe", "-np", "1", CLI] + sargs + ["--data", DATA, ":",
                        "-np", "1", CLI] + sargs + ["--data", data2], cwd=d, env=ENV,
                       capture_output=True, text=True, timeout=60)
    line = [l for l in p.stderr.splitlines() if l.startswith("leakbound sample: rank 1 of 2: its data")]
    if p.returncode != 2 or not line or DATA not in line[0] or data2 not in line[0]:
        fail(f"two data files: exit {p.returncode}, expected 2 and a line naming both:\n{p.stderr}")
    print("two data files:", line[0])


def exit_status(tmp):
    """A runtime failure (rank 0 cannot create its output folder: exit 1) gives mpirun the same
    exit status on every run, whichever rank exits first (before: 1 or 2 at random)."""
    d = os.path.join(tmp, "st")
    os.mkdir(d)
    open(os.path.join(d, "afile"), "w").close()
    args = ["eval", "--model", MODEL, "--data", DATA, "--template", "phi", "--metric",
            "rougeL-recall", "--max-new-tokens", "4", "-n", "2", "--limit", "2", "--threads", "1",
            "--quiet", "--out", "afile/out"]
    got = []
    for k in (2, 2, 2, 2, 2, 2, 3, 3):
        p = subprocess.run(["mpirun", "--oversubscribe", "-np", str(k), CLI] + args, cwd=d, env=ENV,
                           capture_output=True, text=True, timeout=60)
        got.append(p.returncode)
    if set(got) != {1}:
        fail(f"exit statuses of 8 identical failing runs: {got}, expected 1 every time")
    print("exit statuses of 8 identical failing runs:", got)


def main():
    case, have_mpi = sys.argv[1], sys.argv[2]
    if have_mpi not in ("1", "ON", "TRUE"):
        print("SKIP: leakbound was built without MPI (-DLB_MPI=OFF or MPI not found)")
        return SKIP
    if not shutil.which("mpirun"):
        print("SKIP: mpirun is not installed (Debian openmpi-bin)")
        return SKIP
    with tempfile.TemporaryDirectory(prefix=f"lb-mpi-{case}-") as tmp:
        if case == "eval":
            eval_case(tmp, limit=5, n=8)           # more questions than ranks
        elif case == "eval_few":
            eval_case(tmp, limit=2, n=7)           # fewer questions than ranks (K = 3)
        elif case == "sample_resume":
            sample_resume(tmp)
        elif case == "failure":
            failure(tmp)
        elif case == "mismatch":
            mismatch(tmp)
        elif case == "exit_status":
            exit_status(tmp)
        else:
            fail("unknown case " + case)
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
