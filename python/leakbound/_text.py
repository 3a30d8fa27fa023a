"""leakbound.score and leakbound.rouge: the text module (ROUGE exactly as rouge-score 0.1.2
with the NLTK Porter stemmer, keyword leaks, exact match), as `leakbound score` computes it."""
import ctypes
from collections import namedtuple

import numpy as np

from . import _lib

Score = namedtuple("Score", ["precision", "recall", "fmeasure"])

METRICS = {"rougeL-recall": 0, "rougeL-f": 1, "rouge1-recall": 2, "rouge1-f": 3, "exact": 4,
           "keywords": None}
_MATCH = {"word": 0, "substring": 1}
_DETAIL = np.dtype([("precision", np.float64), ("recall", np.float64),
                    ("fmeasure", np.float64)])


def _text(name, i, v):
    if not isinstance(v, str):
        raise _lib.InputTypeError(f"{name}[{i}]: expected a str, got {type(v).__name__}")
    return v.encode("utf-8")  # a lone surrogate raises UnicodeEncodeError (a ValueError)


def _pack(name, items):
    """UTF-8 bytes back to back, and (len+1) offsets."""
    enc = [_text(name, i, v) for i, v in enumerate(items)]
    off = np.zeros(len(enc) + 1, dtype=np.uintp)
    np.cumsum([len(b) for b in enc], out=off[1:])
    return b"".join(enc), off


def _strip(text, prefixes):
    """`--strip-prefix`: without leading blanks (space, tab, CR, LF) and the first prefix that
    follows them, when one does; else unchanged."""
    t = text.lstrip(" \t\r\n")
    for p in prefixes:
        if p and t.startswith(p):
            return t[len(p):]
    return text


def _listlike(name, v):
    if isinstance(v, (str, bytes)):
        raise _lib.InputTypeError(f"{name}: expected a list (or array) of str, got one "
                                  f"{type(v).__name__}")
    if isinstance(v, np.ndarray) and v.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D sequence, got shape {v.shape}")
    return list(v)


def score(texts, references, metric="rougeL-recall", keyword_match="word", strip_prefix=(),
          detail=False):
    """Score each text against its reference, as `leakbound score --metric METRIC
    [--keyword-match M] [--strip-prefix S ...]` scores JSONL lines {"text", "reference"} (or
    {"text", "keywords"}): one call into C for the whole list.

    texts: a sequence of str. references: a sequence of str of the same length; for
    metric="keywords" each is a list of keywords or one comma-separated str.
    metric: rougeL-recall (default), rougeL-f, rouge1-recall, rouge1-f, keywords, exact.
    keyword_match: "word" (default) or "substring". strip_prefix: str or sequence of str, as
    --strip-prefix (each text is scored without a leading one, after leading blanks).
    Returns a float64 array of the scores; with detail=True and a ROUGE metric, a structured
    array with fields score, precision, recall, fmeasure (the CLI's added fields).
    """
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r} (rougeL-recall, rougeL-f, rouge1-recall, "
                         "rouge1-f, keywords, exact)")
    if keyword_match not in _MATCH:
        raise ValueError(f"keyword_match: expected word or substring, got {keyword_match!r}")
    if isinstance(strip_prefix, str):
        strip_prefix = (strip_prefix,)
    prefixes = [p for p in strip_prefix]
    for p in prefixes:
        if not isinstance(p, str):
            raise _lib.InputTypeError(f"strip_prefix: expected str, got {type(p).__name__}")
    texts = _listlike("texts", texts)
    references = _listlike("references", references)
    if len(texts) != len(references):
        raise ValueError(f"texts and references differ in length ({len(texts)} vs "
                         f"{len(references)})")
    if prefixes:
        texts = [_strip(t, prefixes) if isinstance(t, str) else t for t in texts]
    n = len(texts)
    tbuf, toff = _pack("texts", texts)
    scores = np.zeros(n, dtype=np.float64)
    err = _lib.Error()
    scorer = _lib.scorers.get(_MATCH[keyword_match])
    if metric == "keywords":
        kws, item = [], np.zeros(n + 1, dtype=np.uintp)
        for i, r in enumerate(references):
            if isinstance(r, str):
                ks = r.split(",")  # the C side trims each, as for a comma-separated field
            elif isinstance(r, (list, tuple, np.ndarray)):
                ks = list(r)
            else:
                raise _lib.InputTypeError(f"references[{i}]: expected a list of keywords or a "
                                          f"comma-separated str, got {type(r).__name__}")
            for k in ks:
                if not isinstance(k, str):
                    raise _lib.InputTypeError(f"references[{i}]: keyword {k!r} is not a str")
            kws.extend(ks)
            item[i + 1] = len(kws)
        kbuf, koff = _pack("keywords", kws)
        rc = _lib.keywords_pairs(scorer, tbuf, _lib.sptr(toff), n, kbuf, _lib.sptr(koff),
                                 _lib.sptr(item), _lib.dptr(scores), ctypes.byref(err))
        det = None
    else:
        rbuf, roff = _pack("references", references)
        det = np.zeros(n, dtype=_DETAIL)
        rc = _lib.score_pairs(scorer, METRICS[metric], tbuf, _lib.sptr(toff), rbuf,
                              _lib.sptr(roff), n, _lib.dptr(scores),
                              det.ctypes.data_as(ctypes.c_void_p), ctypes.byref(err))
    if rc:
        _lib.raise_for(rc, err)
    if detail and det is not None and metric != "exact":
        out = np.zeros(n, dtype=[("score", np.float64)] + _DETAIL.descr)
        out["score"] = scores
        for f in ("precision", "recall", "fmeasure"):
            out[f] = det[f]
        return out
    return scores


def rouge(text, reference):
    """ROUGE-L and ROUGE-1 of one generated text against its reference, as rouge-score 0.1.2's
    RougeScorer(["rougeL", "rouge1"], use_stemmer=True).score(reference, text):
    {"rougeL": Score(precision, recall, fmeasure), "rouge1": Score(...)}."""
    out = {}
    for key, metric in (("rougeL", "rougeL-f"), ("rouge1", "rouge1-f")):
        d = score([text], [reference], metric=metric, detail=True)[0]
        out[key] = Score(float(d["precision"]), float(d["recall"]), float(d["fmeasure"]))
    return out
