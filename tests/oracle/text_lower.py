#!/usr/bin/python3
"""Python's str.lower() and rouge-score tokenisation against the C text module over EVERY
code point (surrogates excepted: UTF-8 cannot carry them):
  - chr(c).lower(), byte for byte;
  - the rouge tokens of "ab" + chr(c) + "cd" (which code points end up as [a-z0-9]);
  - capital sigma next to c (Final_Sigma's cased / case-ignorable tests): chr(c) + "Σ",
    "A" + chr(c) + "Σ", "AΣ" + chr(c);
  - str.strip() whitespace, through the keyword API: keyword chr(c) + "ab" + chr(c) against
    the text "xaby".
Under LB_SANITIZED every 5th code point (all of the first 0x3000) keeps the run short."""
import sys
import unicodedata

from text_common import report, run_driver, sanitized
from text_rouge_ref import keyword_leak, tokenize


def code_points():
    step = 5 if sanitized() else 1
    return [c for c in range(0x110000)
            if not 0xD800 <= c <= 0xDFFF and (c < 0x3000 or c % step == 0)]


FAILED = []


def check(name, mode, items, want):
    got = run_driver(mode, items)
    bad = [(ascii(i), ascii(w), g) for i, w, g in zip(items, want, got) if g != w]
    try:
        report(name, bad, len(items))
    except SystemExit:
        FAILED.append(name)


def main():
    cps = code_points()
    chars = [chr(c) for c in cps]
    check("lower", "lower", chars, [ch.lower().encode() for ch in chars])
    items = ["ab" + ch + "cd" for ch in chars]
    check("tokens", "tokens", items, [" ".join(tokenize(s)).encode() for s in items])
    # Python 3.11 knows Unicode 14, utf8proc 2.8 knows 15: a code point that Python has as
    # unassigned (Cn) but Unicode 15 made a lowercase letter is cased for us, not for Python.
    # The per-code-point lowercase above holds for those too; the context checks leave them out.
    known = [ch for ch in chars if unicodedata.category(ch) != "Cn"]
    for pat in ("{}\u03a3", "A{}\u03a3", "A\u03a3{}"):
        items = [pat.format(ch) for ch in known]
        check("sigma " + ascii(pat), "lower", items, [s.lower().encode() for s in items])
    items = [ch + "ab" + ch + "\0xaby" for ch in chars]
    check("strip", "keyword", items,
          [str(keyword_leak("xaby", [ch + "ab" + ch])).encode() for ch in chars])
    # Longer mixed strings: Greek words, sigma runs, combining marks, special cases.
    texts = ["ΟΔΟΣ", "ΟΔΟΣ ΣΑΣ", "Σ", "ΣΣ", "ΑΣ.", "Α'Σ'", "ὈΔΥΣΣΕΎΣ", "AΣ\u0301B", "İSTANBUL",
             "\u212aELVIN", "Straße", "ǅemal", "ΑΣ\U0001d400", "x\u0345Σ"]
    check("strings", "lower", texts, [t.lower().encode() for t in texts])
    if FAILED:
        sys.exit("failed: " + ", ".join(FAILED))


if __name__ == "__main__":
    main()
