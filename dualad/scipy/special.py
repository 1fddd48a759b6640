"""``scipy.special`` for traced values: a drop-in for ``import scipy.special``.

SciPy's special functions are ufuncs, and dualad differentiates them through NumPy
dispatch (their rows are in the primitive table, dualad/rules/special.py): they are
re-exported unchanged. The Python-level functions that call ``np.asarray`` first
(``logsumexp``, ``softmax``, ``log_softmax``, ``polygamma``, ``multigammaln``, ``zeta``)
are written here with NumPy calls dualad differentiates, to scipy's signatures.
"""
import math

import numpy as np

from ._scipy import require_scipy

require_scipy("dualad.scipy.special")

from scipy.special import (  # noqa: E402  (ufuncs: their rows serve traced values)
    gamma, gammaln, loggamma, gammasgn, rgamma, digamma, psi, beta, betaln, gammainc, gammaincc,
    betainc, erf, erfc, erfi, erfcx, erfinv, erfcinv, dawsn, ndtr, log_ndtr, ndtri, stdtr,
    expit, logit, log_expit, xlogy, xlog1py, entr, rel_entr, kl_div, i0, i1, i0e, i1e, iv, ive,
    jv, yv, yn, kv, kve, j0, j1, y0, y1, k0, k1, k0e, k1e, exp1, expi, expn, spence, sinc, softplus)
import scipy.special as _scipy_special  # noqa: E402
from ..rules import special as _rows  # noqa: E402
from ..core import Box, NotDifferentiableError, primal  # noqa: E402

jn = jv
polygamma = _rows.polygamma     # scipy's is a Python function: the row itself

__all__ = [
    "gamma", "gammaln", "loggamma", "gammasgn", "rgamma", "digamma", "psi", "polygamma",
    "multigammaln", "beta", "betaln", "gammainc", "gammaincc", "betainc", "zeta", "erf", "erfc",
    "erfi", "erfcx", "erfinv", "erfcinv", "dawsn", "ndtr", "log_ndtr", "ndtri", "stdtr",
    "expit", "logit", "log_expit", "xlogy", "xlog1py", "entr", "rel_entr", "kl_div", "i0", "i1",
    "i0e", "i1e", "iv", "ive", "jv", "jn", "yv", "yn", "kv", "kve", "j0", "j1", "y0", "y1",
    "k0", "k1", "k0e", "k1e", "exp1", "expi", "expn", "spence", "sinc", "softplus", "logsumexp",
    "softmax", "log_softmax",
]


def _array(x):
    return x if isinstance(x, Box) else np.asarray(x)


def zeta(x, q=None, out=None):
    """The Riemann (``q=None``) or Hurwitz zeta function; differentiable in ``q``."""
    if out is not None:
        return _scipy_special.zeta(primal(x), primal(q), out=out)
    if q is None:
        if isinstance(x, Box):
            raise NotDifferentiableError(
                "scipy.special.zeta(x) with respect to x",
                hint="SciPy has no derivative of zeta in x; the Hurwitz zeta(x, q) is "
                     "differentiable in q.")
        return _scipy_special.zeta(x)
    return _rows.zeta(x, q)


def multigammaln(a, d):
    """log of the multivariate gamma function of dimension ``d`` (an int), as scipy."""
    d = int(d)
    if np.any(np.asarray(primal(a)) <= 0.5 * (d - 1)):
        raise ValueError(f"condition a ({primal(a)}) > 0.5 * (d-1) ({0.5 * (d - 1)}) not met")
    total = 0.25 * d * (d - 1) * math.log(math.pi)
    for j in range(d):
        total = total + _rows.gammaln(a - 0.5 * j)
    return total


def _shift(a, axis, b=None):
    """max(a) over ``axis`` (kept dims) of the entries with b != 0, as a constant (0 where
    it is not finite): logsumexp's value does not depend on it, so no derivative flows."""
    v = np.asarray(primal(a))
    if b is not None:
        v = np.where(np.asarray(primal(b)) != 0, v, -np.inf)
    m = np.max(v, axis=axis, keepdims=True) if v.size else np.zeros([1] * v.ndim)
    return np.where(np.isfinite(m), m, 0.0)


def _drop_axes(m, axis, nd):
    """The kept-dims array ``m`` with the reduced axes dropped."""
    axes = tuple(range(nd)) if axis is None else tuple(
        ax % nd for ax in ((axis,) if np.ndim(axis) == 0 else axis))
    return np.squeeze(m, axis=axes)


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """log(sum(b * exp(a))) over ``axis``, as scipy.special.logsumexp: entries with
    b == 0 are left out, a negative sum gives nan unless ``return_sign`` (then
    ``(log|sum|, sign)``)."""
    a = _array(a)
    if b is not None:
        b = _array(b)
        shape = np.broadcast_shapes(np.shape(primal(a)), np.shape(primal(b)))
        a, b = np.broadcast_to(a, shape), np.broadcast_to(b, shape)
        a = np.where(np.asarray(primal(b)) != 0, a, -np.inf)
    m = _shift(a, axis, b)
    e = np.exp(a - m)
    s = np.sum(e if b is None else b * e, axis=axis, keepdims=keepdims)
    if not keepdims:
        m = _drop_axes(m, axis, np.ndim(primal(a)))
    if return_sign:
        sign = np.sign(primal(s))
        with np.errstate(divide="ignore"):
            return np.log(np.abs(s)) + m, sign
    with np.errstate(invalid="ignore", divide="ignore"):     # nan / -inf as scipy
        return np.log(s) + m


def log_softmax(x, axis=None):
    """x - logsumexp(x) over ``axis``, as scipy.special.log_softmax."""
    x = _array(x)
    shifted = x - _shift(x, axis)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def softmax(x, axis=None):
    """exp(x) / sum(exp(x)) over ``axis``, as scipy.special.softmax."""
    x = _array(x)
    e = np.exp(x - _shift(x, axis))
    return e / np.sum(e, axis=axis, keepdims=True)
