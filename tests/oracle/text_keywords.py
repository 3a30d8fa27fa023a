#!/usr/bin/python3
"""Keyword matching on word boundaries (the default of `leakbound score --metric keywords`)
against Python's re: a keyword leaks when re.search("(?<![^\\W_])" + re.escape(kw) +
"(?![^\\W_])", text) finds it in the lowercased strings ([^\\W_]: a letter or digit).
  - every code point c (surrogates excepted; Python's unassigned ones left out, as its Unicode
    is older than utf8proc's) on both sides of a keyword: "ab" + chr(c) and chr(c) + "ab";
  - chr(c) itself as the keyword (NUL excepted: the driver's separator), between blanks and
    between letters;
  - seeded random texts and phrases (keywords of several words, punctuation, digits, "_",
    combining marks, capitals and non-ASCII letters), in word and substring mode.
Under LB_SANITIZED every 5th code point (all of the first 0x3000) keeps the run short."""
import random
import re
import sys
import unicodedata

from text_common import report, run_driver, sanitized
from text_rouge_ref import keyword_leak, keyword_leak_word

FAILED = []


def check(name, mode, items, want):
    got = run_driver(mode, items)
    bad = [(ascii(i), w, g) for i, w, g in zip(items, want, got) if g != w]
    try:
        report(name, bad, len(items))
    except SystemExit:
        FAILED.append(name)


def words(kw, text):
    return str(keyword_leak_word(text, [kw])).encode()


def main():
    step = 5 if sanitized() else 1
    chars = [chr(c) for c in range(0x110000)
             if not 0xD800 <= c <= 0xDFFF and (c < 0x3000 or c % step == 0)
             and unicodedata.category(chr(c)) != "Cn"]
    items, want = [], []
    for ch in chars:
        for text in ("ab" + ch, ch + "ab", " " + ch + "ab" + ch + " "):
            items.append("ab\0" + text)
            want.append(words("ab", text))
        for text in ((" x" + ch + "y ", "x" + ch + "y", " " + ch + " ") if ch != "\0" else ()):
            items.append(ch + "\0" + text)
            want.append(words(ch, text))
    check("boundaries", "keyword-word", items, want)

    rng = random.Random(20261128)
    pieces = ["ron", "Ron", "RON", "wrong", "tom", "tomorrow", "Tom's", " ", "  ", "-", "_", "2",
              "é", "É", "\u0301", "İ", "ß", "Ⅰ", "!", "'", "\n", "hermione granger", "Hermione",
              "granger", ",", "ΣΑΣ", "σ", "日本", "x"]
    kws = ["Ron", "tom", "Hermione Granger", "granger", "-", "_", "2", "é", "i", "σ", "日本",
           "ron_", "ron's", " tom ", "x"]
    items, want_w, want_s = [], [], []
    for _ in range(4000 if sanitized() else 20000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        kw = rng.choice(kws)
        items.append(kw + "\0" + text)
        want_w.append(words(kw, text))
        want_s.append(str(keyword_leak(text, [kw])).encode())
    check("random word", "keyword-word", items, want_w)
    check("random substring", "keyword", items, want_s)
    n_w, n_s = want_w.count(b"1"), want_s.count(b"1")
    print(f"random: {n_w} word leaks, {n_s} substring leaks")
    if not 0 < n_w < n_s:
        FAILED.append("random cases do not separate the modes")
    if FAILED:
        sys.exit("failed: " + ", ".join(FAILED))


if __name__ == "__main__":
    main()
