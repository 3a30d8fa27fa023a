#!/usr/bin/python3
"""lb_io_json_load_file (the reader of every model-folder JSON file) against Python's json, which
reads every valid JSON number: an integer that fits in 64 bits stays that exact integer; a bigger
one is the correctly rounded double (Python's float(int)); a real beyond the double range (Python:
inf) is +-DBL_MAX; everything else, strings that look like numbers included, is unchanged.

1. Hugging Face's "model_max_length": 1000000000000000019884624838656 and the 64-bit edges.
2. Random documents: nested objects and lists of integers of 1..400 digits, reals with big and
   small exponents, and strings holding digits, quotes and escapes.
3. Malformed JSON is still an error with jansson's position (line and column)."""
import json
import os
import random
import subprocess
import sys
import tempfile

DRIVER = os.path.join(os.environ["LB_DRIVERS"], "driver_io")
DBL_MAX = sys.float_info.max
rng = random.Random(2222)
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def expected(v):
    """Python's reading of a document, mapped to what the C reader promises."""
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int):
        if -2**63 <= v < 2**63:
            return v
        try:
            return float(v)
        except OverflowError:  # beyond the double range: as a real that overflows
            return DBL_MAX if v > 0 else -DBL_MAX
    if isinstance(v, float):
        return v if v == v and abs(v) != float("inf") else (DBL_MAX if v > 0 else -DBL_MAX)
    if isinstance(v, list):
        return [expected(x) for x in v]
    return {k: expected(x) for k, x in v.items()}


def same(a, b):
    """Equal with types: an int must come back an int, a float a float with the same bits."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def run(text):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        f.write(text)
    try:
        p = subprocess.run([DRIVER, "json", f.name], capture_output=True, text=True)
    finally:
        os.unlink(f.name)
    return p


def roundtrip(text, what):
    want = expected(json.loads(text))
    p = run(text)
    check(p.returncode == 0, f"{what}: exit {p.returncode}: {p.stderr.strip()}")
    if p.returncode == 0:
        got = json.loads(p.stdout)
        check(same(got, want), f"{what}: got {p.stdout.strip()[:300]} want {want!r:.300}")


# 1. Known values
roundtrip('{"model_max_length": 1000000000000000019884624838656}', "HF model_max_length")
for v in ["9223372036854775807", "-9223372036854775808", "9223372036854775808",
          "-9223372036854775809", "18446744073709551616", "1e308", "1e309", "-1e400",
          "123456789012345678901234567890e-10", "1" + "0" * 400, "-" + "9" * 500, "1e-400", "-0",
          "0.1", "2.5E+3"]:
    roundtrip('{"x": %s, "y": [%s], "s": "%s"}' % (v, v, v), f"value {v}")
roundtrip('"a \\" 99999999999999999999999 \\\\"', "digits in a string with escapes")
roundtrip('[1e999999999999999999999, 99999999999999999999999999999999999]', "huge exponent")


# 2. Random documents
def rand_number():
    k = rng.randrange(5)
    if k == 0:
        return str(rng.randrange(-10**6, 10**6))
    if k == 1:
        n = rng.randrange(1, 400)
        return rng.choice(["", "-"]) + str(rng.randrange(1, 10)) + "".join(
            str(rng.randrange(10)) for _ in range(n - 1))
    if k == 2:
        return str(rng.choice([-1, 1]) * rng.randrange(2**62, 2**64))
    if k == 3:
        return "%s%d.%de%s%d" % (rng.choice(["", "-"]), rng.randrange(10), rng.randrange(10**6),
                                 rng.choice(["", "+", "-"]), rng.randrange(0, 800))
    return repr(rng.uniform(-1e6, 1e6))


def rand_string():
    parts = ["abc", "123456789012345678901234567890", "\\\"", "\\\\", "-5", "1e999", " ", "é"]
    return '"' + "".join(rng.choice(parts) for _ in range(rng.randrange(5))) + '"'


def rand_value(depth):
    k = rng.randrange(6 if depth < 4 else 3)
    if k == 0:
        return rand_number()
    if k == 1:
        return rand_string()
    if k == 2:
        return rng.choice(["true", "false", "null", rand_number()])
    if k in (3, 4):
        items = [rand_value(depth + 1) for _ in range(rng.randrange(5))]
        return "[" + rng.choice([",", ", ", ",\n  "]).join(items) + "]"
    items = [rand_string() + ":" + rand_value(depth + 1) for _ in range(rng.randrange(5))]
    return "{" + ",\n".join(items) + "}"


n_docs = 0
for i in range(300):
    doc = rand_value(0)
    try:
        json.loads(doc)
    except ValueError:
        continue  # duplicate keys etc. are fine; only skip what Python itself rejects
    n_docs += 1
    roundtrip(doc, f"random document {i}: {doc[:200]!r}")
check(n_docs > 250, f"only {n_docs} random documents")

# 3. Malformed JSON keeps jansson's error and position
p = run('{"a": 1,\n "b": 99999999999999999999999999999 x}')
check(p.returncode == 2 and p.stderr.startswith("2:"), f"malformed: {p.returncode} {p.stderr!r}")
p = run('{"a": 1}\n{"b": 2}')
check(p.returncode == 2, "two documents are rejected")

if failures:
    print(f"{len(failures)} failure(s)", file=sys.stderr)
    sys.exit(1)
print(f"ok: {n_docs} random documents and the known values read as Python's json reads them")
