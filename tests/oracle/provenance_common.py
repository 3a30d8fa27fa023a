"""Shared by cli_provenance.py and train_run_record.py (provenance and the run record): the CLI
and the bundled default's model and data, one check() that prints each verdict and collects the
failures, and the exit status from them."""
import os

CLI = os.environ["LB_CLI"]
ROOT = os.environ["LB_SOURCE_DIR"]
MODEL = os.path.join(ROOT, "examples", "default", "model")
DATA = os.path.join(ROOT, "examples", "default", "forget.jsonl")
failures = []


def check(label, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + label)
    if not ok:
        failures.append(f"{label}: {detail}")


def status():
    """1 after printing the failures, else 0 after OK."""
    if failures:
        print("\n".join(failures))
        return 1
    print("OK")
    return 0
