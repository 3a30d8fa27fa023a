"""Seeded generator of (text, reference, keywords) rows that stress rouge-score's tokeniser:
words from wamerican in random case, punctuation, digits, accented and non-Latin letters,
the special lowercase cases (İ, Kelvin sign, capital sigma), odd whitespace, apostrophes,
empty strings, repeated words, and texts that equal their reference up to case/punctuation.
Used by the text and cli_score oracles and by bench/score (plain mode)."""
import random

WORDLIST = "/usr/share/dict/american-english"
ODD = ["İstanbul", "\u212aelvin", "ΟΔΟΣ", "naïve", "straße", "東京", "🙂", "café", "x²",
       "Ⅻ", "ǅ", "ﬁne", "İİ", "K9", "3.14", "1,000", "n't", "O'Neil", "—", "\u0130nning"]
PUNCT = [",", ".", "!", "?", ";", ":", "'", '"', "(", ")", "-", "/", "…", "«", "»"]
SPACE = [" ", " ", " ", " ", "  ", "\t", "\n", "\u00a0", "\u2028", "\u3000"]


def load_words():
    with open(WORDLIST, encoding="utf-8") as f:
        return [w.strip() for w in f if w.strip()]


def _word(rng, words):
    r = rng.random()
    if r < 0.08:
        return rng.choice(ODD)
    if r < 0.12:
        return str(rng.randrange(0, 10 ** rng.randrange(1, 6)))
    w = rng.choice(words)
    r = rng.random()
    if r < 0.1:
        w = w.upper()
    elif r < 0.25:
        w = w.capitalize()
    return w


def _text(rng, words, vocab, n):
    parts = []
    for _ in range(n):
        w = rng.choice(vocab) if vocab and rng.random() < 0.5 else _word(rng, words)
        if rng.random() < 0.15:
            w += rng.choice(PUNCT)
        if rng.random() < 0.05:
            w = rng.choice(PUNCT) + w
        parts.append(w)
        parts.append(rng.choice(SPACE))
    return "".join(parts[:-1]) if parts else ""


def _perturb(rng, s):
    out = []
    for ch in s:
        r = rng.random()
        if r < 0.1:
            out.append(ch.upper())
        elif r < 0.13 and not ch.isalnum():
            out.append(rng.choice(PUNCT + SPACE))
        else:
            out.append(ch)
    return "".join(out)


def rows(n, seed=1234, words=None):
    rng = random.Random(seed)
    words = words or load_words()
    out = []
    for i in range(n):
        kind = rng.random()
        vocab = [_word(rng, words) for _ in range(rng.randrange(1, 8))]
        ref = _text(rng, words, vocab, rng.choice([0, 1, 2, 3, 5, 8, 13, 20, 30, 40]))
        if kind < 0.05:
            text = ""
        elif kind < 0.15:
            text = _perturb(rng, ref)
        elif kind < 0.2:
            text = ref
        else:
            text = _text(rng, words, vocab, rng.choice([0, 1, 2, 4, 7, 12, 20, 30, 40, 60]))
        kws = [rng.choice(vocab + [" ", "", "  x  "]) for _ in range(rng.randrange(0, 4))]
        kws = [(" " * rng.randrange(0, 2)) + k + (" " * rng.randrange(0, 2)) for k in kws]
        if rng.random() < 0.3:
            kws = ",".join(kws)
        out.append({"id": i, "text": text, "reference": ref, "keywords": kws})
    return out


def plain_rows(n, seed, words, lo=20, hi=40):
    """Benchmark rows: lowercase-ish prose of lo..hi words on both sides (drawn in bulk:
    a million rows take seconds, not minutes)."""
    rng = random.Random(seed)
    lens = [rng.randrange(lo, hi + 1) for _ in range(2 * n)]
    pool = rng.choices(words, k=sum(lens))
    out, k = [], 0
    for i in range(n):
        a, b = lens[2 * i], lens[2 * i + 1]
        ref = " ".join(pool[k:k + a])
        text = " ".join(pool[k + a:k + a + b])
        k += a + b
        out.append({"id": i, "text": text, "reference": ref})
    return out
