"""Reference ROUGE: rouge-score 0.1.2's tokenizer and scoring (rouge_scorer.py, scoring.py,
tokenize.py) restated on top of Debian's nltk PorterStemmer, because Debian ships no
python3-rouge-score. Plus the keyword and exact-match definitions of docs/evaluation.md.
Used by the text oracles and by bench/score."""
import collections
import re

from nltk.stem import porter

NON_ALPHANUM_RE = re.compile(r"[^a-z0-9]+")
SPACES_RE = re.compile(r"\s+")
VALID_TOKEN_RE = re.compile(r"^[a-z0-9]+$")
_STEMMER = porter.PorterStemmer()


def tokenize(text, stemmer=_STEMMER):
    text = text.lower()
    text = NON_ALPHANUM_RE.sub(" ", text)
    tokens = SPACES_RE.split(text)
    if stemmer:
        tokens = [stemmer.stem(x) if len(x) > 3 else x for x in tokens]
    return [x for x in tokens if VALID_TOKEN_RE.match(x)]


def fmeasure(precision, recall):
    if precision + recall > 0:
        return 2 * precision * recall / (precision + recall)
    return 0.0


def _lcs_table(ref, can):
    rows, cols = len(ref), len(can)
    t = [[0] * (cols + 1) for _ in range(rows + 1)]
    for i in range(1, rows + 1):
        for j in range(1, cols + 1):
            if ref[i - 1] == can[j - 1]:
                t[i][j] = t[i - 1][j - 1] + 1
            else:
                t[i][j] = max(t[i - 1][j], t[i][j - 1])
    return t


def score_lcs(target_tokens, prediction_tokens):
    if not target_tokens or not prediction_tokens:
        return (0, 0, 0)
    lcs = _lcs_table(target_tokens, prediction_tokens)[-1][-1]
    p = lcs / len(prediction_tokens)
    r = lcs / len(target_tokens)
    return (p, r, fmeasure(p, r))


def score_ngrams(target_tokens, prediction_tokens, n=1):
    def grams(tokens):
        c = collections.Counter()
        for g in (tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)):
            c[g] += 1
        return c
    t, pr = grams(target_tokens), grams(prediction_tokens)
    inter = sum(min(t[g], pr[g]) for g in t)
    p = inter / max(sum(pr.values()), 1)
    r = inter / max(sum(t.values()), 1)
    return (p, r, fmeasure(p, r))


def rouge(metric, target, prediction):
    """(precision, recall, fmeasure) of rougeL or rouge1, target = reference text."""
    tt, pt = tokenize(target), tokenize(prediction)
    return score_lcs(tt, pt) if metric == "rougeL" else score_ngrams(tt, pt)


def keyword_leak(text, keywords):
    if isinstance(keywords, str):
        keywords = keywords.split(",")
    low = text.lower()
    return int(any(k.strip() and k.strip().lower() in low for k in keywords))


def keyword_leak_word(text, keywords):
    """Word mode (leakbound's default): an occurrence with no letter or digit right before or
    after it. [^\\W_] is a letter or digit (\\w without the underscore)."""
    if isinstance(keywords, str):
        keywords = keywords.split(",")
    low = text.lower()
    return int(any(k.strip() and re.search(r"(?<![^\W_])" + re.escape(k.strip().lower()) + r"(?![^\W_])", low)
                   for k in keywords))


def exact(a, b):
    return int(tokenize(a) == tokenize(b))
