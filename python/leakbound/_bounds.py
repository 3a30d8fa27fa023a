"""leakbound.bounds: every bound of `leakbound bound`, for one prompt or a matrix of prompts."""
import ctypes
import math

import numpy as np

from . import _lib

_METHODS = {"exact": 0, "conbo": 1}
_FIELDS = ("mean", "std", "max", "M_mu", "M_mu_lower", "M_sigma", "ED")


def as_scores(scores, name="scores", ndims=(1, 2)):
    """scores as a fresh C-contiguous float64 array (the C code sorts it in place): real
    (bool, integer or floating) dtypes only, 1-D or 2-D."""
    a = np.asarray(scores)
    if a.dtype.kind not in "biuf":
        raise _lib.InputTypeError(f"{name}: expected real numbers (a float, int or bool array), "
                                  f"got dtype {a.dtype}")
    if a.ndim not in ndims:
        want = " or ".join(f"{d}-D" for d in ndims)
        raise ValueError(f"{name}: expected a {want} array, got shape {a.shape}")
    return np.array(a, dtype=np.float64, order="C", copy=True)


def _threshold_keys(thresholds):
    keys = []
    for t in thresholds:
        if not isinstance(t, (int, float, np.integer, np.floating)) or isinstance(t, bool):
            raise _lib.InputTypeError(f"thresholds: expected numbers, got {t!r}")
        key = "%g" % float(t)
        if key in keys:
            raise ValueError(f"thresholds: {t!r} has the same key \"{key}\" as an earlier "
                             "threshold")
        keys.append(key)
    return keys


def _count(name, v, default):
    if v is None:
        return default
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise _lib.InputTypeError(f"{name}: expected an integer >= 1, got {v!r}")
    if v < 1:
        raise ValueError(f"{name}: expected an integer >= 1, got {v!r}")
    return int(v)


def _num(v):
    return v if math.isfinite(v) else None  # JSON has no NaN: the CLI writes null


def bounds(scores, alpha=0.01, method="exact", thresholds=(0.5,), ed_lambda=2.0, queries=None,
           leak_at=1, leak_threshold=1.0, ids=None, threads=None):
    """Every bound of `leakbound bound` on sampled scores in [0, 1].

    scores: a 1-D array (one prompt's n samples) -> one dict; a 2-D array (prompts x samples)
    -> a list of dicts, one per row, computed in one call into the C library (rows spread over
    `threads` threads; default: one per 2^16 scores, at most the CPUs this process may use).
    Each dict has exactly the keys
    and values of one prompt of `leakbound bound --alpha A --method M --threshold t ...
    --ed-lambda L --queries k --leak-at j --leak-threshold x`'s JSON: id, n, mean, std, max,
    M_mu, M_mu_lower, M_sigma, ED, M_gen {"%g" % t: ...}, M_bin (0/1 data only), P_ge, queries,
    leak_at; a value that is not a number (conbo's square root of a negative) is None, as the
    CLI writes null. id is ids[i] when given (one per row), else the row index.

    queries: k of the several-queries bound (None: 1, the CLI's default).
    Raises ValueError (with the C library's message) for NaN or scores outside [0, 1], an
    empty prompt, a bad option; InputTypeError (a TypeError and a ValueError) for a non-real
    dtype.
    """
    a = as_scores(scores)
    one = a.ndim == 1
    if one:
        a = a.reshape(1, -1)
    rows, n = a.shape
    if method not in _METHODS:
        raise ValueError(f"method: expected exact or conbo, got {method!r}")
    keys = _threshold_keys(thresholds)
    th = np.array([float(t) for t in thresholds], dtype=np.float64)
    if ids is not None:
        ids = list(ids)
        if len(ids) != rows:
            raise ValueError(f"ids: expected {rows} ids (one per row), got {len(ids)}")
    opt = _lib.Options(alpha=float(alpha), method=_METHODS[method], ed_lambda=float(ed_lambda),
                       thresholds=_lib.dptr(th), n_thresholds=len(th),
                       queries_k=_count("queries", queries, 1),
                       leak_at_k=_count("leak_at", leak_at, 1),
                       leak_threshold=float(leak_threshold))
    threads = _lib.default_threads(rows, n) if threads is None else _count("threads", threads, 1)
    out = np.zeros(rows, dtype=_lib.PROMPT_DTYPE)
    gen = np.zeros((rows, len(th)), dtype=np.float64)
    pge = np.zeros((rows, len(th)), dtype=np.float64)
    scratch = np.empty(max(n, 1) * threads, dtype=np.float64)
    err = _lib.Error()
    rc = _lib.rows_bounds(_lib.dptr(a), rows, n, _lib.dptr(scratch), threads, ctypes.byref(opt),
                          out.ctypes.data_as(ctypes.c_void_p), _lib.dptr(gen), _lib.dptr(pge),
                          ctypes.byref(err))
    if rc:
        _lib.raise_for(rc, err)
    res = _dicts(out, gen, pge, keys, ids)
    return res[0] if one else res


def _dicts(out, gen, pge, keys, ids):
    cols = {f: out[f].tolist() for f in _FIELDS + ("M_bin", "queries", "leak_at")}
    ns = out["n"].tolist()
    binary = out["binary"].tolist()
    gen_l, pge_l = gen.tolist(), pge.tolist()
    res = []
    for i in range(len(ns)):
        d = {"id": ids[i] if ids is not None else i, "n": ns[i]}
        for f in _FIELDS:
            d[f] = _num(cols[f][i])
        d["M_gen"] = {k: _num(v) for k, v in zip(keys, gen_l[i])}
        if binary[i]:
            d["M_bin"] = _num(cols["M_bin"][i])
        d["P_ge"] = {k: _num(v) for k, v in zip(keys, pge_l[i])}
        d["queries"] = _num(cols["queries"][i])
        d["leak_at"] = _num(cols["leak_at"][i])
        res.append(d)
    return res
