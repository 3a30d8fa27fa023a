"""conbo 0.1's confidence_bounds re-implemented in vectorised numpy, 1-D or 2-D samples (rows
= distributions, columns = samples), from its documented behaviour: DKW band with
eps = sqrt(log(2/alpha) / (2n)) on the grid linspace(0, 1, stepsize), Riemann sums for the
mean, the variance bounds of Schuchardt et al. (ICLR 2023) with conbo's quirks (the mean
bounds inside on the default grid, same alpha, unclipped brackets, only the lower variance
floored). Independent of leakbound: the oracle for leakbound.conbo on 2-D input (stats_ref.py
has the 1-D one) and the "conbo in numpy" of bench/python."""
import numpy as np
from scipy.stats import beta as beta_dist


def _n(x):
    return x.shape[-1]


def _cdf(x, points):
    """share of samples <= each point: (..., len(points)); one pass over the data per point."""
    return np.stack([(x <= p).mean(-1) for p in points], axis=-1)


def cdf_bounds(x, points, alpha=0.01):
    x = np.asarray(x)
    eps = np.sqrt(np.log(2 / alpha) / (2 * _n(x)))
    c = _cdf(x, np.asarray(points, dtype=float).reshape(-1)).squeeze()
    return c, np.maximum(c - eps, 0), np.minimum(c + eps, 1)


def survival_bounds(x, points, alpha=0.01):
    c, lo, hi = cdf_bounds(x, points, alpha)
    return 1 - c, 1 - hi, 1 - lo


def expectation_bounds(x, alpha=0.01, stepsize=100):
    x = np.asarray(x)
    grid = np.linspace(0, 1, stepsize)
    eps = np.sqrt(np.log(2 / alpha) / (2 * _n(x)))
    c = _cdf(x, grid)
    widths = grid[1:] - grid[:-1]
    lower = 1 - (np.minimum(c + eps, 1)[..., 1:] * widths).sum(-1)
    upper = 1 - (np.maximum(c - eps, 0)[..., :-1] * widths).sum(-1)
    return x.mean(-1), lower, upper


def variance_bounds(x, alpha=0.01, stepsize=100):
    x = np.asarray(x)
    _, m_lo, m_hi = expectation_bounds(x, alpha)  # default grid, same alpha: conbo's quirk
    grid = np.linspace(0, 1, stepsize)
    a, b = grid[:-1], grid[1:]
    m_lo, m_hi = np.asarray(m_lo)[..., None], np.asarray(m_hi)[..., None]
    sq = np.stack([(a - m_lo) ** 2, (a - m_hi) ** 2, (b - m_lo) ** 2, (b - m_hi) ** 2])
    top, bot = sq.max(0), sq.min(0)
    eps = np.sqrt(np.log(2 / alpha) / (2 * _n(x)))
    c = _cdf(x, grid)
    d = top[..., :-1] - top[..., 1:]
    v_hi = ((c[..., 1:-1] + np.where(d > 0, eps, -eps)) * d).sum(-1) + top[..., -1] - \
        top[..., 0] * np.maximum(c[..., 0] - eps, 0)
    d = bot[..., :-1] - bot[..., 1:]
    v_lo = ((c[..., 1:-1] - np.where(d > 0, eps, -eps)) * d).sum(-1) + bot[..., -1] - \
        bot[..., 0] * np.minimum(c[..., 0] + eps, 1)
    var = np.maximum((x ** 2).mean(-1) - x.mean(-1) ** 2, 0)
    return var, np.maximum(v_lo, 0), v_hi


def std_bounds(x, alpha=0.01, stepsize=100):
    v, lo, hi = variance_bounds(x, alpha, stepsize)
    with np.errstate(invalid="ignore"):
        return np.sqrt(v), np.sqrt(lo), np.sqrt(hi)


def binomial_bounds(x, alpha=0.01):
    """Two-sided Clopper-Pearson from scipy's Beta quantiles (statsmodels' method="beta")."""
    x = np.asarray(x)
    k, n = x.sum(-1), _n(x)
    with np.errstate(invalid="ignore"):
        lo = np.where(k == 0, 0.0, beta_dist.ppf(alpha / 2, k, n - k + 1))
        hi = np.where(k == n, 1.0, beta_dist.isf(alpha / 2, k + 1, n - k))
    return (lo[()], hi[()]) if x.ndim == 1 else (lo, hi)
