"""leakbound.bounds: every bound of `leakbound bound`, for one prompt or a matrix of prompts."""
import ctypes
import json
import math
import os

import numpy as np

from . import _lib

_stats_default = _lib._sig("lb_stats_options_default", None, ctypes.POINTER(_lib.Options))
_stats_set = _lib._sig("lb_stats_options_set", ctypes.c_int, ctypes.POINTER(_lib.Options),
                       ctypes.c_char_p, ctypes.c_char_p, _lib.c_err_p)
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


def bounds(scores, alpha=None, method=None, thresholds=(0.5,), ed_lambda=None, queries=None,
           leak_at=None, leak_threshold=None, ids=None, threads=None):
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

    alpha, method, ed_lambda, queries (k of the several-queries bound), leak_at,
    leak_threshold: None takes the CLI's default (lb_stats_options_default: 0.01, "exact", 2,
    1, 1, 1.0); method is checked by the C library with the CLI's rule and message.
    Raises ValueError (with the C library's message) for NaN or scores outside [0, 1], an
    empty prompt, a bad option; InputTypeError (a TypeError and a ValueError) for a non-real
    dtype.
    """
    a = as_scores(scores)
    one = a.ndim == 1
    if one:
        a = a.reshape(1, -1)
    rows, n = a.shape
    opt, err = _lib.Options(), _lib.Error()
    _stats_default(ctypes.byref(opt))
    if method is not None:
        if not isinstance(method, str):
            raise _lib.InputTypeError(f"method: expected exact or conbo, got {method!r}")
        if _stats_set(ctypes.byref(opt), b"method", method.encode("utf-8"), ctypes.byref(err)):
            _lib.raise_for(_lib.LB_EINVAL, err)
    keys = _threshold_keys(thresholds)
    th = np.array([float(t) for t in thresholds], dtype=np.float64)
    if ids is not None:
        ids = list(ids)
        if len(ids) != rows:
            raise ValueError(f"ids: expected {rows} ids (one per row), got {len(ids)}")
    # Python's own checks below are of Python types only (bool is no count); the ranges are
    # the C library's (lb_stats_rows_bounds).
    if alpha is not None:
        opt.alpha = float(alpha)
    if ed_lambda is not None:
        opt.ed_lambda = float(ed_lambda)
    if leak_threshold is not None:
        opt.leak_threshold = float(leak_threshold)
    opt.queries_k = _count("queries", queries, opt.queries_k)
    opt.leak_at_k = _count("leak_at", leak_at, opt.leak_at_k)
    opt.thresholds, opt.n_thresholds = _lib.dptr(th), len(th)
    threads = _lib.default_threads(rows, n) if threads is None else _count("threads", threads, 1)
    out = np.zeros(rows, dtype=_lib.PROMPT_DTYPE)
    gen = np.zeros((rows, len(th)), dtype=np.float64)
    pge = np.zeros((rows, len(th)), dtype=np.float64)
    scratch = np.empty(max(n, 1) * threads, dtype=np.float64)
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


# `leakbound bound FILE` in-process: lb_report_bound_opts_default/set and lb_eval_bound_file.
_WRITE = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t,
                          _lib.c_err_p)
_bound_c = []


def _bound_fns():
    if not _bound_c:
        _bound_c.extend([
            _lib._sig("lb_report_bound_opts_size", ctypes.c_size_t),
            _lib._sig("lb_report_bound_opts_default", None, ctypes.c_void_p),
            _lib._sig("lb_report_bound_opts_set", ctypes.c_int, ctypes.c_void_p,
                      ctypes.c_char_p, ctypes.c_char_p, _lib.c_err_p),
            _lib._sig("lb_eval_bound_file", ctypes.c_int, ctypes.c_int,
                      ctypes.POINTER(ctypes.c_char_p), ctypes.c_char_p, ctypes.c_void_p,
                      ctypes.c_int, _WRITE, ctypes.c_void_p, ctypes.POINTER(ctypes.c_int),
                      _lib.c_err_p)])
    return _bound_c


def _flag_text(name, v):
    """A flag's value as the CLI reads it: str as is, a number in decimal (repr keeps every bit
    of a float)."""
    if isinstance(v, str):
        return v
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise _lib.InputTypeError(f"{name}: expected a number or str, got {type(v).__name__}")
    return repr(float(v)) if isinstance(v, (float, np.floating)) else str(int(v))


def bound_file(path, argv=None, text=False, threads=None, **flags):
    """`leakbound bound [flags] PATH` in-process, by the same C code (lb_eval_bound_file): the
    scores file read as the CLI reads it, every prompt bounded, and the JSON document (with
    its provenance) returned as a dict, or with text=True as the exact text the CLI writes to
    stdout (format="table": the table, always as text).

    flags: the CLI's flags with underscores, each checked by the C library with the CLI's rule
    and message (ValueError): alpha, method, threshold (a number, or a list for several;
    thresholds also works), ed_lambda, queries, leak_at, leak_threshold, report_above, format
    ("json" or "table"), allow_duplicates=True. Values are numbers or str. threads: OpenMP
    threads (default: the CPUs this process may use; the numbers do not depend on it).
    argv: the command line the provenance records (default: the equivalent `leakbound bound
    ...` command). A bad input line raises ValueError naming FILE:LINE as the CLI does, a
    missing file OSError."""
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise _lib.InputTypeError(f"path: expected a file path, got {type(path).__name__}")
    size, default, set_flag, run = _bound_fns()
    opts = ctypes.create_string_buffer(size())
    default(opts)
    err = _lib.Error()
    cmd = ["leakbound", "bound"]
    for k, v in flags.items():
        if v is None or v is False:
            continue
        flag = "threshold" if k == "thresholds" else k.replace("_", "-")
        many = k in ("threshold", "thresholds") and not isinstance(v, (str, int, float,
                                                                       np.number))
        for x in (v if many else [v]):
            s = None if x is True else _flag_text(k, x)
            rc = set_flag(opts, flag.encode("utf-8"), None if s is None else s.encode("utf-8"),
                          ctypes.byref(err))
            if rc:
                _lib.raise_for(rc, err)
            cmd += ["--" + flag] + ([] if s is None else [s])
    if threads is None:
        threads = _lib.default_threads(1 << 30)
    else:
        threads = _count("threads", threads, 1)
        cmd += ["--threads", str(threads)]
    fpath = os.fsdecode(path)
    cmd.append(fpath)
    if argv is not None:
        cmd = [os.fsdecode(a) if isinstance(a, (bytes, os.PathLike)) else str(a) for a in argv]
    arr = (ctypes.c_char_p * max(len(cmd), 1))(*[os.fsencode(a) for a in cmd])
    out = []

    def write(ctx, buf, n, e):
        out.append(ctypes.string_at(buf, n))
        return 0

    cb = _WRITE(write)
    read_failed = ctypes.c_int()
    rc = run(len(cmd), arr, os.fsencode(fpath), opts, threads, cb, None,
             ctypes.byref(read_failed), ctypes.byref(err))
    if rc:
        _lib.raise_for(rc, err)
    doc = b"".join(out).decode("utf-8")
    if text or not doc.startswith("{"):
        return doc
    return json.loads(doc)
