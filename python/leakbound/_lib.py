"""Finding and loading libleakbound.so with ctypes, and turning its errors into exceptions.

Search order: $LEAKBOUND_LIB (a path to the library file) wins; then the build folder of the
checkout this package sits in (<repo>/build/libleakbound.so, when run from a checkout); then the
installed library (the dynamic linker's search path, then the usual install prefixes).
"""
import ctypes
import os
import threading

import numpy as np

SONAME = "libleakbound.so.0"

# lb_error_t codes (include/leakbound/core.h)
LB_EINVAL, LB_EIO, LB_ENOMEM, LB_EFORMAT, LB_EUNSUPPORTED = -1, -2, -3, -4, -5


class InputTypeError(TypeError, ValueError):
    """An argument of the wrong type or dtype. A TypeError, and also a ValueError so that
    `except ValueError` catches every problem with the input."""


class JudgeLabelWarning(UserWarning):
    """The judge puts hardly any probability on its two labels (their mean p_A + p_B over the
    first batch is below 0.01): the scores say nothing about the answers. The message is the
    CLI's warning (`leakbound score: warning: ...` without that prefix), hint included."""


class DataWarning(UserWarning):
    """The Harry Potter CSV data set has blanks around quoted fields, which RFC 4180 does not
    allow: they were skipped. The message is the CLI's warning (`leakbound eval: warning: ...`
    without that prefix): the file, its first such line and how many lines."""


class Cancelled(Exception):
    """The run was stopped by the caller's progress callback returning True (the library's
    LB_ECANCELED); what the run writes is left untouched, as after Ctrl-C."""


class Error(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("msg", ctypes.c_char * 1024)]


def raise_for(rc, err):
    """Raise the exception for a negative return code, with the C library's message."""
    msg = err.msg.decode("utf-8", "replace")
    if rc == LB_EIO:
        raise OSError(msg)
    if rc == LB_ENOMEM:
        raise MemoryError(msg)
    raise ValueError(msg)


def _candidates():
    env = os.environ.get("LEAKBOUND_LIB")
    if env:
        return [env], True
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))  # <repo>/python/leakbound -> <repo>
    out = []
    if os.path.exists(os.path.join(repo, "CMakeLists.txt")):
        out.append(os.path.join(repo, "build", SONAME))
        out.append(os.path.join(repo, "build", "libleakbound.so"))
    out.append(SONAME)  # the dynamic linker's own search: LD_LIBRARY_PATH, ld.so.cache
    for prefix in ("/usr/local", "/usr", os.path.expanduser("~/.local")):
        for libdir in ("lib", "lib64", "lib/x86_64-linux-gnu", "lib/aarch64-linux-gnu"):
            out.append(os.path.join(prefix, libdir, SONAME))
    return out, False


def _load():
    paths, forced = _candidates()
    tried = []
    for p in paths:
        if os.sep in p and not os.path.exists(p):
            tried.append(f"{p} (not there)")
            continue
        try:
            return ctypes.CDLL(p), p
        except OSError as e:
            tried.append(f"{p} ({e})")
            if forced:
                break
    raise OSError("leakbound: cannot load libleakbound.so; tried " + "; ".join(tried) +
                  ". Build it (cmake --build build) or set LEAKBOUND_LIB=/path/libleakbound.so")


lib, path = _load()

# The binary interface this binding is written for: LB_ABI_VERSION (include/leakbound/core.h).
ABI_VERSION = 1


def _check_abi(lib, path):
    """Refuse a library that is not libleakbound, or one built for another interface, before any
    of its functions is called (a wrong LEAKBOUND_LIB would otherwise fail at the first missing
    symbol with an AttributeError, or crash on a changed struct)."""
    try:
        abi = lib.lb_abi_version
        ver = lib.lb_version
    except AttributeError:
        raise OSError(f"leakbound: {path} is not libleakbound (it has no lb_abi_version "
                      "symbol); point LEAKBOUND_LIB at libleakbound.so from this release's "
                      "build (build/libleakbound.so) or unset it") from None
    abi.restype, abi.argtypes = ctypes.c_int, []
    ver.restype, ver.argtypes = ctypes.c_char_p, []
    found = abi()
    if found != ABI_VERSION:
        release = (ver() or b"?").decode("ascii", "replace")
        raise OSError(f"leakbound: {path} is libleakbound {release} with binary interface "
                      f"{found}, but this package needs interface {ABI_VERSION}; use the "
                      "library built from the same release as the package")
    return ver().decode("ascii", "replace")


version = _check_abi(lib, path)  # the library's one version string (lb_version)

c_double_p = ctypes.POINTER(ctypes.c_double)
c_size_p = ctypes.POINTER(ctypes.c_size_t)
c_err_p = ctypes.POINTER(Error)


def _force_isa(lib):
    """LEAKBOUND_ISA (scalar|avx2|avx512): the kernels' instruction-set path, forced as the CLI
    forces it (lb_model_isa_force, before any product runs), so that Python and the CLI compute
    with the same kernels. A bad value fails the import with the CLI's message."""
    isa = os.environ.get("LEAKBOUND_ISA")
    if not isa:
        return
    f = lib.lb_model_isa_force
    f.restype, f.argtypes = ctypes.c_int, [ctypes.c_char_p, c_err_p]
    err = Error()
    if f(isa.encode("utf-8", "surrogateescape"), ctypes.byref(err)):
        raise ImportError(f"leakbound: LEAKBOUND_ISA={isa}: "
                          f"{err.msg.decode('utf-8', 'replace')}")


_force_isa(lib)


def _sig(name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


class Options(ctypes.Structure):
    """lb_stats_options_t"""
    _fields_ = [("alpha", ctypes.c_double), ("method", ctypes.c_int),
                ("ed_lambda", ctypes.c_double), ("thresholds", c_double_p),
                ("n_thresholds", ctypes.c_size_t), ("queries_k", ctypes.c_long),
                ("leak_at_k", ctypes.c_long), ("leak_threshold", ctypes.c_double)]


class Prompt(ctypes.Structure):
    """lb_stats_prompt_t (its layout is also given as PROMPT_DTYPE for numpy)."""
    _fields_ = [("n", ctypes.c_size_t), ("mean", ctypes.c_double), ("std", ctypes.c_double),
                ("max", ctypes.c_double), ("M_mu", ctypes.c_double),
                ("M_mu_lower", ctypes.c_double), ("M_sigma", ctypes.c_double),
                ("ED", ctypes.c_double), ("binary", ctypes.c_int), ("M_bin", ctypes.c_double),
                ("M_gen", c_double_p), ("P_ge", c_double_p), ("n_leaking", ctypes.c_size_t),
                ("queries", ctypes.c_double), ("leak_at", ctypes.c_double)]


def _dtype_of(struct):
    ct = {ctypes.c_size_t: np.uintp, ctypes.c_double: np.float64, ctypes.c_int: np.intc,
          ctypes.c_long: np.int_, c_double_p: np.uintp}
    fields = [(name, ct[t]) for name, t in struct._fields_]
    dt = np.dtype(fields, align=True)
    if dt.itemsize != ctypes.sizeof(struct):
        raise ImportError(f"leakbound: {struct.__name__} layout mismatch "
                          f"({dt.itemsize} vs {ctypes.sizeof(struct)} bytes)")
    return dt


PROMPT_DTYPE = _dtype_of(Prompt)
INTERVAL_DTYPE = np.dtype([("estimate", np.float64), ("lower", np.float64),
                           ("upper", np.float64)], align=True)

rows_bounds = _sig("lb_stats_rows_bounds", ctypes.c_int, c_double_p, ctypes.c_size_t,
                   ctypes.c_size_t, c_double_p, ctypes.c_int, ctypes.POINTER(Options),
                   ctypes.c_void_p, c_double_p, c_double_p, c_err_p)
conbo_rows = _sig("lb_stats_conbo_rows", ctypes.c_int, c_double_p, ctypes.c_size_t,
                  ctypes.c_size_t, ctypes.c_double, ctypes.c_size_t, ctypes.c_int, c_double_p,
                  ctypes.c_int, ctypes.c_void_p, c_err_p)
cp_interval = _sig("lb_stats_cp_interval", ctypes.c_int, ctypes.c_double, ctypes.c_size_t,
                   ctypes.c_double, c_double_p, c_double_p, c_err_p)

scorer_new = _sig("lb_text_scorer_new", ctypes.c_int, ctypes.POINTER(ctypes.c_void_p), c_err_p)
scorer_free = _sig("lb_text_scorer_free", None, ctypes.c_void_p)
scorer_set_match = _sig("lb_text_scorer_set_keyword_match", None, ctypes.c_void_p, ctypes.c_int)
score_pairs = _sig("lb_text_score_pairs", ctypes.c_int, ctypes.c_void_p, ctypes.c_int,
                   ctypes.c_char_p, c_size_p, ctypes.c_char_p, c_size_p, ctypes.c_size_t,
                   c_double_p, ctypes.c_void_p, c_err_p)
keywords_pairs = _sig("lb_text_keywords_pairs", ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p,
                      c_size_p, ctypes.c_size_t, ctypes.c_char_p, c_size_p, c_size_p,
                      c_double_p, c_err_p)


def dptr(a):
    return a.ctypes.data_as(c_double_p)


def sptr(a):
    return a.ctypes.data_as(c_size_p)


def default_threads(rows, n=1):
    """Threads for rows x n scores: the CPUs this process may use, but one thread per 2^16
    scores at most (starting a team costs more than small inputs take)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, rows, (rows * max(n, 1)) >> 16))


class _Scorers(threading.local):
    """One text scorer per Python thread (a scorer is not thread-safe), kept for reuse and
    freed when the thread's state goes away."""

    def get(self, keyword_match):
        s = getattr(self, "scorer", None)
        if s is None:
            p = ctypes.c_void_p()
            err = Error()
            rc = scorer_new(ctypes.byref(p), ctypes.byref(err))
            if rc:
                raise_for(rc, err)
            self.scorer = s = _Scorer(p)
        scorer_set_match(s.ptr, keyword_match)
        return s.ptr


class _Scorer:
    def __init__(self, p):
        self.ptr = p

    def __del__(self, free=scorer_free):
        if self.ptr:
            free(self.ptr)
            self.ptr = None


scorers = _Scorers()


# leakbound/score.h: the metric table and the one scoring dispatch.
metric_name = _sig("lb_metric_name", ctypes.c_char_p, ctypes.c_int)
# Every metric name, in enum order, read from the library's one table.
METRIC_NAMES = []
while metric_name(len(METRIC_NAMES)) is not None:
    METRIC_NAMES.append(metric_name(len(METRIC_NAMES)).decode("ascii"))


class ScoreOpts(ctypes.Structure):
    """lb_score_opts_t"""
    _fields_ = [("strip", ctypes.c_char_p * 16), ("n_strip", ctypes.c_int),
                ("keyword_match", ctypes.c_int), ("judge_threshold", ctypes.c_double),
                ("judge", ctypes.c_void_p)]


class ScoreItem(ctypes.Structure):
    """lb_score_item_t"""
    _fields_ = [("text", ctypes.c_char_p), ("text_len", ctypes.c_size_t),
                ("ref", ctypes.c_char_p), ("ref_len", ctypes.c_size_t),
                ("kw", ctypes.POINTER(ctypes.c_char_p)), ("kw_len", c_size_p),
                ("n_kw", ctypes.c_size_t)]


class JudgeOpts(ctypes.Structure):
    """lb_judge_opts_t"""
    _fields_ = [("tmpl", ctypes.c_char_p), ("labels", ctypes.c_char_p),
                ("batch", ctypes.c_int), ("max_tokens", ctypes.c_int),
                ("tokenizer", ctypes.c_char_p)]


score_opts_default = _sig("lb_score_opts_default", ScoreOpts)
score_batch = _sig("lb_score_batch", ctypes.c_int, ctypes.POINTER(ScoreOpts), ctypes.c_int,
                   ctypes.c_void_p, ctypes.POINTER(ScoreItem), ctypes.c_size_t, c_double_p,
                   c_double_p, c_err_p)
judge_open = _sig("lb_judge_open", ctypes.c_int, ctypes.c_char_p, ctypes.POINTER(JudgeOpts),
                  ctypes.POINTER(ctypes.c_void_p), c_err_p)
judge_free = _sig("lb_judge_free", None, ctypes.c_void_p)
_mass_warning = _sig("lb_judge_mass_warning", ctypes.c_long, ctypes.c_void_p, ctypes.c_char_p,
                     ctypes.c_size_t)


def judge_warning(h):
    """The open judge h's label warning (lb_judge_mass_warning) once it has scored, or None."""
    buf = ctypes.create_string_buffer(1024)
    n = _mass_warning(h, buf, len(buf))
    if n <= 0:
        return None
    if n >= len(buf):
        buf = ctypes.create_string_buffer(n + 1)
        _mass_warning(h, buf, n + 1)
    return buf.value.decode("utf-8", "replace")
