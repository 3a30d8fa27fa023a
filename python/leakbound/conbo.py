"""A drop-in for conbo 0.1's `confidence_bounds` module: `from leakbound import conbo` replaces
`import conbo` (or `from conbo import confidence_bounds as conbo`) in existing notebooks.

The same function names, signatures, defaults and return tuples, and the same numbers: the
expectation and variance bounds are computed by leakbound's `--method conbo` C code (the
100-point grid built bit-for-bit as numpy.linspace builds it, the same Riemann sums, the same
quirks), checked against an independent numpy re-implementation of conbo 0.1; they agree with
conbo to rounding (|difference| below 1e-14: numpy sums the 99 grid terms pairwise, the C code in
order). The sample estimates (mean, variance) are computed with numpy exactly as conbo does.
1-D samples give numpy scalars, 2-D samples (rows = prompts, columns = samples) give one value
per row, computed in one call into C.

Differences from conbo, all on inputs conbo does not handle either:
- Scores outside [0, 1] or NaN raise ConboInputError, which is both a ValueError and an
  AssertionError (conbo asserts), with the C library's message naming row and sample.
- Only 1-D and 2-D samples; empty samples, alpha outside (0, 1] and stepsize outside
  [2, 2^20] raise ValueError (conbo returns NaN or garbage there, or runs for ever on a huge
  stepsize); so do empty samples and such an alpha in cdf_bounds and survival_bounds.

Where conbo is wrong: `variance_bounds` and `std_bounds` (upper) ignore the probability mass at
exactly 0, which is common for scores (ROUGE = 0, a keyword that did not leak). Their "upper"
bound can then fall below the true standard deviation: for a fair coin (sigma = 0.5) it is
about 0.44 at n = 1,024 and 0.39 at n = 10,000, wrong in every run. Use instead
`leakbound.bounds(samples, alpha=alpha)["M_sigma"]` (the default exact method; it holds with
probability >= 1 - alpha on the same two-sided DKW band, mass at 0 included; see
docs/bounds.md), and for the mean the exact Anderson bounds `["M_mu"]` / `["M_mu_lower"]`
(no grid).
"""
import ctypes

import numpy as np

from . import _lib
from ._bounds import as_scores

__all__ = ["binomial_bounds", "cdf_bounds", "survival_bounds", "expectation_bounds",
           "variance_bounds", "std_bounds", "ConboInputError"]

_EXPECTATION, _VARIANCE = 0, 1

# The finest grid accepted: LB_STATS_CONBO_MAX_STEPSIZE (include/leakbound/stats.h), which the C
# library enforces too (tests/python checks that the two agree). The grid walk is one C call
# that Ctrl-C cannot interrupt, O(stepsize + n) per row: 2^20 points take milliseconds a row.
CONBO_MAX_STEPSIZE = 1 << 20


class ConboInputError(ValueError, AssertionError):
    """Samples conbo would reject with its assertion (outside [0, 1], NaN). A ValueError, and an
    AssertionError so that code written for conbo keeps working."""


def _num_samples(samples):
    return samples.shape[1] if samples.ndim == 2 else len(samples)


def _rows(samples, alpha, stepsize, what):
    a = as_scores(samples, "samples")
    one = a.ndim == 1
    if one:
        a = a.reshape(1, -1)
    rows, n = a.shape
    if isinstance(stepsize, bool) or not isinstance(stepsize, (int, np.integer)):
        raise _lib.InputTypeError(f"stepsize: expected an integer >= 2, got {stepsize!r}")
    if stepsize < 2 or stepsize > CONBO_MAX_STEPSIZE:
        raise ValueError(f"stepsize must lie in [2, {CONBO_MAX_STEPSIZE}], got {stepsize}")
    threads = _lib.default_threads(rows, n)
    out = np.zeros(rows, dtype=_lib.INTERVAL_DTYPE)
    scratch = np.empty(max(n, 1) * threads, dtype=np.float64)
    err = _lib.Error()
    rc = _lib.conbo_rows(_lib.dptr(a), rows, n, float(alpha), int(stepsize), what,
                         _lib.dptr(scratch), threads, out.ctypes.data_as(ctypes.c_void_p),
                         ctypes.byref(err))
    if rc:
        msg = err.msg.decode("utf-8", "replace")
        if "outside [0, 1]" in msg:
            raise ConboInputError(msg)
        _lib.raise_for(rc, err)
    lo, hi = out["lower"], out["upper"]
    return (lo[0], hi[0]) if one else (lo, hi)


def _check_alpha(alpha):
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.integer, np.floating)):
        raise _lib.InputTypeError(f"alpha: expected a number in (0, 1], got {alpha!r}")
    if not 0 < alpha <= 1:
        raise ValueError(f"alpha must lie in (0, 1], got {alpha}")


def _samples(samples):
    s = np.asarray(samples)
    if s.dtype.kind not in "biuf":
        raise _lib.InputTypeError(f"samples: expected real numbers, got dtype {s.dtype}")
    return s


def binomial_bounds(samples: np.ndarray, alpha=0.01):
    """Two-sided Clopper-Pearson bounds on a success probability: (lower, upper) of
    statsmodels' proportion_confint(samples.sum(-1), n, alpha, method="beta"), as conbo. 1-D:
    one trial per entry; 2-D: one row per binomial. If only one bound is used, pass 2 * alpha."""
    s = _samples(samples)
    if s.ndim not in (1, 2):
        raise ValueError(f"samples: expected a 1-D or 2-D array, got shape {s.shape}")
    n = _num_samples(s)
    counts = np.atleast_1d(s.sum(-1)).astype(np.float64)
    lo = np.empty(counts.shape)
    hi = np.empty(counts.shape)
    err = _lib.Error()
    a, b = ctypes.c_double(), ctypes.c_double()
    for i, c in enumerate(counts.tolist()):
        rc = _lib.cp_interval(c, n, float(alpha), ctypes.byref(a), ctypes.byref(b),
                              ctypes.byref(err))
        if rc:
            _lib.raise_for(rc, err)
        lo[i], hi[i] = a.value, b.value
    return (lo[0], hi[0]) if s.ndim == 1 else (lo, hi)


def cdf_bounds(samples: np.ndarray, x: np.ndarray, alpha=0.01):
    """Empirical CDF at the points x with its two-sided DKW band: (cdf, cdf_lower, cdf_upper),
    eps = sqrt(log(2/alpha) / (2n)), squeezed as conbo squeezes them. If only one bound is
    used, pass 2 * alpha."""
    s = _samples(samples)
    if s.ndim not in (1, 2):
        raise ValueError(f"samples: expected a 1-D or 2-D array, got shape {s.shape}")
    xs = np.asarray(x, dtype=np.float64).reshape(-1)
    num = _num_samples(s)
    if num == 0:
        raise ValueError(f"samples: expected at least one sample, got shape {s.shape}")
    _check_alpha(alpha)
    eps = np.sqrt(np.log(2 / alpha) / (2 * num))
    rows = np.sort(np.atleast_2d(s).astype(np.float64, copy=False), axis=-1)
    counts = np.empty((rows.shape[0], xs.size))
    for r in range(rows.shape[0]):
        counts[r] = np.searchsorted(rows[r], xs, side="right")
    counts[:, np.isnan(xs)] = 0.0  # (samples <= nan) is all False
    # (samples <= t).mean(-1): a count of exact ones over n, so equal to count / n
    cdf = (counts / num).squeeze()
    return cdf, np.maximum(cdf - eps, 0), np.minimum(cdf + eps, 1)


def survival_bounds(samples: np.ndarray, x: np.ndarray, alpha=0.01):
    """Survival function 1 - CDF at x with its DKW band: (survival, lower, upper)."""
    cdf, cdf_lower, cdf_upper = cdf_bounds(samples, x, alpha)
    return 1 - cdf, 1 - cdf_upper, 1 - cdf_lower


def expectation_bounds(samples: np.ndarray, alpha=0.01, stepsize=100):
    """conbo's distribution-free bounds on E[X] for X in [0, 1] (Anderson's CDF band on a
    `stepsize`-point grid): (sample mean, lower, upper). If only one bound is used, pass
    2 * alpha. Exact (grid-free) bounds: leakbound.bounds(...)["M_mu"], ["M_mu_lower"]."""
    s = _samples(samples)
    lo, hi = _rows(s, alpha, stepsize, _EXPECTATION)
    return s.mean(-1), lo, hi


def variance_bounds(samples: np.ndarray, alpha=0.01, stepsize=100):
    """conbo's bounds on Var[X]: (sample variance, lower, upper). Do not pass 2 * alpha for
    one bound. The upper bound ignores mass at 0 and can be too small (see the module
    docstring); the valid one is leakbound.bounds(samples, alpha=alpha)["M_sigma"] ** 2."""
    s = _samples(samples)
    lo, hi = _rows(s, alpha, stepsize, _VARIANCE)
    sample_variance = (s ** 2).mean(-1) - s.mean(-1) ** 2
    sample_variance = np.maximum(sample_variance, 0)
    return sample_variance, lo, hi


def std_bounds(samples: np.ndarray, alpha=0.01, stepsize=100):
    """conbo's bounds on the standard deviation: the square roots of variance_bounds (NaN, with
    numpy's warning, where the upper variance bound is negative). The upper bound ignores mass
    at 0 and can be too small; use leakbound.bounds(samples, alpha=alpha)["M_sigma"]."""
    sample_variance, var_lower, var_upper = variance_bounds(samples, alpha, stepsize)
    return np.sqrt(sample_variance), np.sqrt(var_lower), np.sqrt(var_upper)
