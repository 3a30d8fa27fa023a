#!/usr/bin/python3
"""lb_io_json_number (the number parser behind `bound`'s fast reader) against Python's float(),
which rounds correctly: the same IEEE-754 bits for every valid token, the token's length by the
RFC 8259 grammar, and the stated declines. Tokens: random decimals of 1-25 significant digits over
the whole exponent range, Python's shortest repr of random doubles and of k/m fractions, decimal
midpoints between neighbouring doubles (the hardest rounding cases) and their neighbours, and
malformed tokens."""
import os
import random
import re
import struct
import subprocess
import sys
from decimal import Decimal, getcontext
from fractions import Fraction

DRIVER = os.path.join(os.environ["LB_DRIVERS"], "driver_jsonnum")
LB_EFORMAT, LB_EUNSUPPORTED = -4, -5
INT = re.compile(r"-?(0|[1-9][0-9]*)")
getcontext().prec = 800


def expected(tok):
    """(rc, is_integer, consumed, bits) by the grammar and float()."""
    m = INT.match(tok)
    if not m:
        return (LB_EFORMAT,)
    p, integer = m.end(), True
    if p < len(tok) and tok[p] == ".":
        f = re.compile(r"[0-9]+").match(tok, p + 1)
        if not f:
            return (LB_EFORMAT,)
        p, integer = f.end(), False
    if p < len(tok) and tok[p] in "eE":
        e = re.compile(r"[+-]?[0-9]+").match(tok, p + 1)
        if not e or not e.group(0).lstrip("+-"):
            return (LB_EFORMAT,)
        p, integer = e.end(), False
    t = tok[:p]
    digits = m.group(0).lstrip("-")
    if integer and digits != "0" and len(digits) >= 19:
        return (LB_EUNSUPPORTED,)
    v = float(t)
    if p >= 128 or v in (float("inf"), float("-inf")):
        return (LB_EUNSUPPORTED,)
    return (0, int(integer), p, struct.unpack("<Q", struct.pack("<d", v))[0])


def tokens(rng):
    out = ["0", "-0", "1", "0.0", "-0.0", "1.0", "0.5", "1e0", "1E+2", "1e-2", "9007199254740993",
           "0.30000000000000004", "2.2250738585072011e-308", "4.9e-324", "2e-324", "1e-400",
           "1.7976931348623157e308", "1.7976931348623159e308", "1e309", "123456789012345678",
           "1234567890123456789", "-922337203685477580", "0.1e22", "1e22", "1e23", "9007199254740992e22",
           "01", "-", "", "1.", ".5", "1e", "1e+", "+1", "Infinity", "NaN", "-a", "1.5.3", "1ee2",
           "0x10", "1.5x", "2,", "0]", "7}", "1e5 ", "0." + "0" * 200 + "1", "1" * 130 + ".0"]
    for _ in range(20000):  # random decimals
        nd = rng.randint(1, 25)
        ds = str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(nd - 1))
        cut = rng.randint(0, nd)
        s = (ds[:cut] or "0") + ("." + ds[cut:] if cut < nd else "")
        if s.startswith("0") and len(s) > 1 and s[1] != ".":
            s = s.lstrip("0") or "0"
        if rng.random() < 0.5:
            s += rng.choice("eE") + rng.choice(["", "+", "-"]) + str(rng.randint(0, 330))
        out.append(("-" if rng.random() < 0.2 else "") + s)
    for _ in range(10000):  # shortest repr of random doubles and of fractions
        out.append(repr(rng.random()))
        m = rng.randint(1, 60)
        out.append(repr(rng.randint(0, m) / m))
        out.append(repr(struct.unpack("<d", struct.pack("<Q", rng.getrandbits(63)))[0]))
    for _ in range(3000):  # midpoints between neighbours, exactly and just beside
        x = struct.unpack("<d", struct.pack("<Q", rng.randint(1, (2047 << 52) - 2)))[0]
        bits = struct.unpack("<Q", struct.pack("<d", x))[0]
        y = struct.unpack("<d", struct.pack("<Q", bits + 1))[0]
        mid = (Fraction(x) + Fraction(y)) / 2
        d = Decimal(mid.numerator) / Decimal(mid.denominator)
        s = format(d, "e")
        if len(s) < 120:
            out.append(s)
        for nd in (16, 17, 18, 19, 20, 25):
            out.append(format(d, f".{nd}e"))
    for _ in range(2000):  # ROUGE-like fractions as Python prints them
        m = rng.randint(1, 400)
        out.append(repr(Fraction(rng.randint(0, m), m).__float__()))
    return out


def main():
    toks = tokens(random.Random(20261202))
    p = subprocess.run([DRIVER], input="\n".join(toks) + "\n", capture_output=True, text=True,
                       check=True)
    got = p.stdout.splitlines()
    assert len(got) == len(toks), (len(got), len(toks))
    bad = 0
    counts = {0: 0, LB_EFORMAT: 0, LB_EUNSUPPORTED: 0}
    for tok, line in zip(toks, got):
        f = line.split()
        rc = int(f[0])
        want = expected(tok)
        have = (rc,) if rc else (0, int(f[1]), int(f[2]), int(f[3], 16))
        counts[want[0]] += 1
        if have != want:
            bad += 1
            if bad <= 20:
                print(f"FAIL {tok[:80]!r}: got {have}, want {want}")
    print(f"{len(toks)} tokens: {counts[0]} values, {counts[LB_EFORMAT]} malformed, "
          f"{counts[LB_EUNSUPPORTED]} declined; {bad} mismatches")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
