"""Numerical utilities of NumPy on traced values: interp, polyval, convolve, correlate,
as compositions of the table's primitives.

Conventions: interp is piecewise linear, so at a knot it takes the slope of the segment to
the right (the one NumPy's search puts the point in; left of the first knot and right of
the last the value is constant: derivative 0 with respect to x).
"""
import numpy as np

from .. import rules as P
from ..core import Box, primal, shape_of, ndim_of, dtype_of
from ..core import NotDifferentiableError
from .basics import (ravel, reshape)
from .registry import (implements)


def _arr(x):
    return x if isinstance(x, Box) else np.asarray(x)


@implements(np.interp, convention="piecewise linear: at a knot, the slope of the segment "
                                  "to its right; outside the knots derivative 0 in x")
def interp(x, xp, fp, left=None, right=None, period=None):
    if period is not None:
        raise NotDifferentiableError("numpy.interp(..., period=...)")
    xp, fp = _arr(xp), _arr(fp)
    xv = np.asarray(primal(xp))
    if xv.ndim != 1 or ndim_of(fp) != 1:
        raise ValueError("Data points must be 1-D sequences")
    n = xv.shape[0]
    xq = primal(x)
    if n == 1:
        y = P.getitem(fp, idx=np.zeros(np.shape(xq), np.intp))
    else:
        j = np.clip(np.searchsorted(xv, xq, side="right") - 1, 0, n - 2)
        x0, x1 = P.getitem(xp, idx=j), P.getitem(xp, idx=j + 1)
        f0, f1 = P.getitem(fp, idx=j), P.getitem(fp, idx=j + 1)
        y = (f1 - f0) / (x1 - x0) * (x - x0) + f0
        y = P.where(xq == xv[-1], P.getitem(fp, idx=n - 1), y)
    y = P.where(xq < xv[0], P.getitem(fp, idx=0) if left is None else left, y)
    return P.where(xq > xv[-1], P.getitem(fp, idx=n - 1) if right is None else right, y)


@implements(np.polyval)
def polyval(p, x):
    p = _arr(p)
    if ndim_of(p) != 1:
        p = ravel(p)
    y = 0.0 * x if not isinstance(x, (int, float)) else 0.0
    for i in range(shape_of(p)[0]):
        y = y * x + P.getitem(p, idx=i)
    return y


def _correlate_full(a, v):
    """c[k] = sum_n a[n + k - (len(v) - 1)] v[n] for k = 0 .. len(a) + len(v) - 2."""
    n, m = shape_of(a)[0], shape_of(v)[0]
    # rows of a zero-padded copy of a: a gather with a zero sentinel at the end
    apad = P.concatenate(a, np.zeros(1, dtype=dtype_of(a)), axis=0)
    k = np.arange(n + m - 1)[:, None]
    j = np.arange(m)[None, :]
    idx = k + j - (m - 1)
    idx = np.where((idx >= 0) & (idx < n), idx, n)
    return P.matmul(P.getitem(apad, idx=idx), reshape(v, (m, 1)))[:, 0]


def _mode_slice(c, n, m, mode):
    if mode == "full":
        return c
    if mode == "same":
        length = max(n, m)
        start = (n + m - 1 - length) // 2
        return P.getitem(c, idx=slice(start, start + length))
    if mode == "valid":
        length = max(n, m) - min(n, m) + 1
        start = min(n, m) - 1
        return P.getitem(c, idx=slice(start, start + length))
    raise ValueError(f"mode must be one of 'valid', 'same', or 'full' (got {mode!r})")


@implements(np.correlate)
def correlate(a, v, mode="valid"):
    a, v = _arr(a), _arr(v)
    n, m = shape_of(a)[0], shape_of(v)[0]
    if dtype_of(v).kind == "c":
        v = P.conjugate(v)
    if m > n:   # NumPy swaps the operands and reverses the result
        c = _correlate_full(v, a)[::-1]
    else:
        c = _correlate_full(a, v)
    return _mode_slice(c, n, m, mode)


@implements(np.convolve)
def convolve(a, v, mode="full"):
    a, v = _arr(a), _arr(v)
    n, m = shape_of(a)[0], shape_of(v)[0]
    if n == 0 or m == 0:
        raise ValueError("v cannot be empty" if m == 0 else "a cannot be empty")
    c = _correlate_full(a, P.getitem(v, idx=slice(None, None, -1)))
    return _mode_slice(c, n, m, mode)
