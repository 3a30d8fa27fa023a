"""leakbound.score and leakbound.rouge: the text module (ROUGE exactly as rouge-score 0.1.2
with the NLTK Porter stemmer, keyword leaks, exact match), as `leakbound score` computes it."""
import ctypes
import os
import warnings
from collections import namedtuple

import numpy as np

from . import _lib

Score = namedtuple("Score", ["precision", "recall", "fmeasure"])

METRICS = tuple(_lib.METRIC_NAMES)  # the library's one table (lb_metric_name)
_MATCH = {"word": 0, "substring": 1}
_DETAIL = np.dtype([("precision", np.float64), ("recall", np.float64),
                    ("fmeasure", np.float64)])


def _text(name, i, v):
    if not isinstance(v, str):
        raise _lib.InputTypeError(f"{name}[{i}]: expected a str, got {type(v).__name__}")
    return v.encode("utf-8")  # a lone surrogate raises UnicodeEncodeError (a ValueError)


def _listlike(name, v):
    if isinstance(v, (str, bytes)):
        raise _lib.InputTypeError(f"{name}: expected a list (or array) of str, got one "
                                  f"{type(v).__name__}")
    if isinstance(v, np.ndarray) and v.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D sequence, got shape {v.shape}")
    return list(v)


def _judge(folder, template, labels, batch, tokenizer=None):
    """lb_judge_open, freed by the caller (judge_free)."""
    if not isinstance(folder, (str, os.PathLike)):
        raise _lib.InputTypeError(f"judge: expected a folder path, got {type(folder).__name__}")
    for name, v in (("judge_template", template), ("judge_labels", labels),
                    ("judge_tokenizer", tokenizer)):
        if v is not None and not isinstance(v, (str, os.PathLike) if name == "judge_tokenizer" else str):
            raise _lib.InputTypeError(f"{name}: expected a str, got {type(v).__name__}")
    if batch is not None and (isinstance(batch, bool) or not isinstance(batch, int) or
                              not 1 <= batch <= 4096):
        raise ValueError(f"judge_batch: expected an integer in [1, 4096], got {batch!r}")
    jo = _lib.JudgeOpts(template.encode("utf-8") if template is not None else None,
                        labels.encode("utf-8") if labels is not None else None, batch or 0, 0,
                        os.fsencode(tokenizer) if tokenizer is not None else None)
    h, err = ctypes.c_void_p(), _lib.Error()
    rc = _lib.judge_open(os.fsencode(folder), ctypes.byref(jo), ctypes.byref(h),
                         ctypes.byref(err))
    if rc:
        _lib.raise_for(rc, err)
    return h


def score(texts, references, metric="rougeL-recall", keyword_match="word", strip_prefix=(),
          detail=False, judge=None, judge_template=None, judge_labels=None,
          judge_threshold=None, judge_batch=None, judge_tokenizer=None):
    """Score each text against its reference, as `leakbound score --metric METRIC
    [--keyword-match M] [--strip-prefix S ...] [--judge DIR ...]` scores JSONL lines {"text",
    "reference"} (or {"text", "keywords"}, or {"text", "question"} for the judge): one call
    into C (lb_score_batch, the dispatch the CLI uses) for the whole list.

    texts: a sequence of str. references: a sequence of str of the same length; for
    metric="keywords" each is a list of keywords or one comma-separated str; for
    metric="judge" each is the user turn (the question) the text answers.
    metric: one of leakbound.METRICS (rougeL-recall (default), rougeL-f, rouge1-recall,
    rouge1-f, keywords, exact, judge). keyword_match: "word" (default) or "substring".
    strip_prefix: str or sequence of str, as --strip-prefix (each text is scored without a
    leading one, after leading blanks).
    judge: the judge model folder (required for metric="judge"), with judge_template,
    judge_labels ("A,B"), judge_threshold (score >= t -> 1, else 0), judge_batch and
    judge_tokenizer (a tokenizer.json or the folder holding it) as the --judge-* flags. When
    the judge hardly writes its labels (mean p_A + p_B over its first batch below 0.01) a
    leakbound.JudgeLabelWarning with the CLI's warning text is issued (warnings.warn, once).
    Returns a float64 array of the scores; with detail=True and a ROUGE metric, a structured
    array with fields score, precision, recall, fmeasure; with detail=True and the judge
    (without a threshold), fields score, p_label_a, p_label_b (the CLI's added fields).
    """
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r} ({', '.join(METRICS)})")
    if keyword_match not in _MATCH:
        raise ValueError(f"keyword_match: expected word or substring, got {keyword_match!r}")
    if isinstance(strip_prefix, str):
        strip_prefix = (strip_prefix,)
    prefixes = [p for p in strip_prefix]
    for p in prefixes:
        if not isinstance(p, str):
            raise _lib.InputTypeError(f"strip_prefix: expected str, got {type(p).__name__}")
    if len(prefixes) > 16:
        raise ValueError("strip_prefix: at most 16 strings")
    if metric == "judge" and judge is None:
        raise ValueError("metric='judge' needs judge=DIR (the judge model folder)")
    if judge_threshold is not None and not 0 <= judge_threshold <= 1:
        raise ValueError(f"judge_threshold: expected a number in [0, 1], got {judge_threshold!r}")
    texts = _listlike("texts", texts)
    references = _listlike("references", references)
    if len(texts) != len(references):
        raise ValueError(f"texts and references differ in length ({len(texts)} vs "
                         f"{len(references)})")
    n = len(texts)
    items = (_lib.ScoreItem * max(n, 1))()
    keep = []  # the encoded strings and keyword tables, alive during the call
    for i, t in enumerate(texts):
        tb = _text("texts", i, t)
        r = references[i]
        it = items[i]
        it.text, it.text_len = tb, len(tb)
        keep.append(tb)
        if metric == "keywords" and not isinstance(r, str):
            if not isinstance(r, (list, tuple, np.ndarray)):
                raise _lib.InputTypeError(f"references[{i}]: expected a list of keywords or a "
                                          f"comma-separated str, got {type(r).__name__}")
            ks = list(r)
            for k in ks:
                if not isinstance(k, str):
                    raise _lib.InputTypeError(f"references[{i}]: keyword {k!r} is not a str")
            kb = [_text("keywords", i, k) for k in ks]
            arr = (ctypes.c_char_p * max(len(kb), 1))(*kb)
            lens = (ctypes.c_size_t * max(len(kb), 1))(*[len(b) for b in kb])
            keep += [kb, arr, lens]
            it.kw = ctypes.cast(arr, ctypes.POINTER(ctypes.c_char_p))
            it.kw_len = ctypes.cast(lens, _lib.c_size_p)
            it.n_kw = len(kb)
        else:
            rb = _text("references", i, r)
            if metric == "judge" and b"\0" in rb:
                raise ValueError(f"references[{i}]: holds a NUL character, which the judge "
                                 "cannot read")
            it.ref, it.ref_len = rb, len(rb)
            keep.append(rb)
    opts = _lib.score_opts_default()
    enc = [p.encode("utf-8") for p in prefixes]
    for k, b in enumerate(enc):
        opts.strip[k] = b
    opts.n_strip = len(enc)
    opts.keyword_match = _MATCH[keyword_match]
    if judge_threshold is not None:
        opts.judge_threshold = float(judge_threshold)
    scores = np.zeros(n, dtype=np.float64)
    det = np.zeros((n, 3), dtype=np.float64)
    err = _lib.Error()
    h = warning = None
    try:
        if metric == "judge":
            h = _judge(judge, judge_template, judge_labels, judge_batch, judge_tokenizer)
            opts.judge = h
            scorer = None
        else:
            scorer = _lib.scorers.get(_MATCH[keyword_match])
        rc = _lib.score_batch(ctypes.byref(opts), METRICS.index(metric), scorer, items, n,
                              _lib.dptr(scores), _lib.dptr(det), ctypes.byref(err)) if n else 0
        if h is not None:
            warning = _lib.judge_warning(h)
    finally:
        if h is not None:
            _lib.judge_free(h)
    if warning is not None:  # the CLI's label warning, once per call
        warnings.warn(warning, _lib.JudgeLabelWarning, stacklevel=2)
    if rc:
        _lib.raise_for(rc, err)
    if detail and metric.startswith("rouge"):
        out = np.zeros(n, dtype=[("score", np.float64)] + _DETAIL.descr)
        out["score"] = scores
        for k, f in enumerate(("precision", "recall", "fmeasure")):
            out[f] = det[:, k]
        return out
    if detail and metric == "judge" and judge_threshold is None:
        out = np.zeros(n, dtype=[("score", np.float64), ("p_label_a", np.float64),
                                 ("p_label_b", np.float64)])
        out["score"] = scores
        out["p_label_a"] = det[:, 0]
        out["p_label_b"] = det[:, 1]
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
