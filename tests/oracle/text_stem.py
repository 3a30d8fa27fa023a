#!/usr/bin/python3
"""The C Porter stemmer against nltk.stem.porter.PorterStemmer() (NLTK_EXTENSIONS mode) on
every word of /usr/share/dict/american-english, as given (capitals, apostrophes, accented
letters), plus the irregular forms, their capitalised forms, a few hand-picked edge cases and
100,000 seeded random words built from the suffixes the rules test (y runs, doubled
consonants, NLTK's "*d" quirk, non-ASCII letters)."""
import random
import sys

from nltk.stem.porter import PorterStemmer

from text_common import report, run_driver

WORDLIST = "/usr/share/dict/american-english"


def main():
    with open(WORDLIST, encoding="utf-8") as f:
        words = [w.rstrip("\n") for w in f if w.rstrip("\n")]
    if len(words) < 50000:
        sys.exit(f"{WORDLIST}: only {len(words)} words")
    extra = ["skies", "Skies", "dying", "DYING", "news", "innings", "howe", "succeed",
             "a", "I", "İ", "İİİ", "ΣΑΣ", "İnnings", "", "yyyy", "syzygy", "ab*ding",
             "généralement", "caresses", "ponies", "ties", "feed", "agreed", "plastered",
             "motoring", "conflated", "hopping", "failing", "filing", "happy", "sky",
             "relational", "conditional", "digitizer", "radically", "callousness",
             "triplicate", "electrical", "hopeful", "goodness", "revival", "adoption",
             "controlling", "rolling", "generalli", "analogousli", "geologi", "xies", "ied",
             "spied", "died", "ﬁnished", "K-9s", "KELVIN", "\u212aelvin"]
    words += extra
    rng = random.Random(5)
    alpha = "aeiouyyyssllzzddbtcgnmrpwx*'\u0130\u03a3\u00e9"
    suffixes = ["ies", "ied", "eed", "ing", "ed", "s", "sses", "ational", "tional", "alli",
                "logi", "bli", "fulli", "ement", "ion", "ll", "e", "y", "at", "bl", "iz", "*d",
                "izer", "iveness", "icate", "ative", "ness", "ous", "ism", "able"]
    for _ in range(100000):
        w = "".join(rng.choice(alpha) for _ in range(rng.randrange(0, 7)))
        w += "".join(rng.choice(suffixes) for _ in range(rng.randrange(0, 3)))
        words.append(w.upper() if rng.random() < 0.2 else w)
    stemmer = PorterStemmer()
    got = run_driver("stem", words)
    bad = []
    for w, g in zip(words, got):
        want = stemmer.stem(w)
        if g.decode("utf-8", "replace") != want:
            bad.append((w, want, g))
    report("stem", bad, len(words))


if __name__ == "__main__":
    main()
