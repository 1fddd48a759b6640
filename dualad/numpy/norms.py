"""numpy.linalg.norm, matrix_norm and vector_norm: compositions of the table's rows and
the decompositions (the 2-norm and nuclear norm through svd), with the conventions at 0
and at ties described on the coverage page."""

import numpy as np

from .. import rules as P
from ..core import dtype_of, ndim_of, primal, shape_of
from .basics import moveaxis, ravel, reshape
from .basics import sum as sum_
from .basics import transpose
from .decompositions import svd
from .linalg import inv
from .reductions import amax, amin, safe_sqrt
from .registry import COMPLEX_UFUNCS, FUNCTIONS, implements, value_only


# ------------------------------------------------------------------------------------
# norms
# ------------------------------------------------------------------------------------
def _abs(x):
    if dtype_of(x).kind == "c":
        return COMPLEX_UFUNCS[np.absolute](x)
    return P.absolute(x)


def _abs2(x):
    if dtype_of(x).kind == "c":
        re, im = P.real(x), P.imag(x)
        return re * re + im * im
    return x * x


def _vector_norm(x, ord, axis, keepdims):
    if ord is None or ord == 2:
        return safe_sqrt(sum_(_abs2(x), axis=axis, keepdims=keepdims))
    if ord == np.inf:
        return amax(_abs(x), axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return amin(_abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:
        return np.sum(primal(x) != 0, axis=axis, keepdims=keepdims).astype(
            np.result_type(dtype_of(x).type(0).real.dtype, np.float32)
            if dtype_of(x).kind in "fc" else np.float64)
    if ord == 1:
        return sum_(_abs(x), axis=axis, keepdims=keepdims)
    if isinstance(ord, str):
        raise ValueError(f"Invalid norm order '{ord}' for vectors")
    ord = float(ord)
    s = sum_(P.power(_abs(x), ord), axis=axis, keepdims=keepdims)
    pos = primal(s) > 0
    if np.all(pos):
        return P.power(s, 1.0 / ord)
    return P.where(pos, P.power(P.where(pos, s, 1.0), 1.0 / ord), 0.0)


def _matrix_norm(x, ord, axes, keepdims):
    r_ax, c_ax = axes
    nd = ndim_of(x)
    if ord in (None, "fro", "f"):
        r = safe_sqrt(sum_(_abs2(x), axis=(r_ax, c_ax)))
    elif ord in ("nuc", 2, -2):
        s = svd(moveaxis(x, (r_ax, c_ax), (-2, -1)), compute_uv=False)
        r = (sum_(s, axis=-1) if ord == "nuc" else
             amax(s, axis=-1) if ord == 2 else amin(s, axis=-1))
    elif ord in (1, -1):
        c = sum_(_abs(x), axis=r_ax)
        c_ax2 = c_ax - 1 if c_ax > r_ax else c_ax
        r = amax(c, axis=c_ax2) if ord == 1 else amin(c, axis=c_ax2)
    elif ord in (np.inf, -np.inf):
        c = sum_(_abs(x), axis=c_ax)
        r_ax2 = r_ax - 1 if r_ax > c_ax else r_ax
        r = amax(c, axis=r_ax2) if ord == np.inf else amin(c, axis=r_ax2)
    else:
        raise ValueError("Invalid norm order for matrices.")
    if keepdims:
        shape = list(shape_of(x))
        shape[r_ax] = shape[c_ax] = 1
        r = reshape(r, tuple(shape))
    return r


_NORM = ("2-norm and Frobenius norm of a zero vector/matrix: derivative 0; "
         "inf/-inf/1-norms: ties split like max/min, abs'(0) = 0; matrix 2-norm and "
         "nuclear norm via singular values (distinct ones)")


@implements(np.linalg.norm, convention=_NORM)
def norm(x, ord=None, axis=None, keepdims=False):
    nd = ndim_of(x)
    if axis is None:
        if ord is None:
            r = safe_sqrt(sum_(_abs2(ravel(x))))
            return reshape(r, (1,) * nd) if keepdims else r
        axis = tuple(range(nd))
    if isinstance(axis, (int, np.integer)):
        axis = (int(axis),)
    axis = tuple(int(a) % nd for a in axis)
    if len(axis) == 1:
        return _vector_norm(x, ord, axis, keepdims)
    if len(axis) == 2:
        return _matrix_norm(x, ord, axis, keepdims)
    raise ValueError("Improper number of dimensions to norm.")


@implements(np.linalg.vector_norm, convention=_NORM)
def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    if axis is None:
        r = _vector_norm(ravel(x), ord, (0,), False)
        return reshape(r, (1,) * ndim_of(x)) if keepdims else r
    if isinstance(axis, tuple) and len(axis) > 1:
        nd = ndim_of(x)
        axis = tuple(a % nd for a in axis)
        rest = [d for d in range(nd) if d not in axis]
        y = reshape(transpose(x, rest + list(axis)),
                    tuple(shape_of(x)[d] for d in rest) + (-1,))
        r = _vector_norm(y, ord, (len(rest),), False)
        if keepdims:
            r = reshape(r, tuple(1 if d in axis else n for d, n in enumerate(shape_of(x))))
        return r
    return _vector_norm(x, ord, (int(axis) % ndim_of(x),), keepdims)


@implements(np.linalg.matrix_norm, convention=_NORM)
def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    nd = ndim_of(x)
    return _matrix_norm(x, ord, (nd - 2, nd - 1), keepdims)


@implements(np.linalg.cond)
def cond(x, p=None):
    if p is None or p in (2, -2):
        s = svd(x, compute_uv=False)
        return (amax(s, axis=-1) / amin(s, axis=-1) if p != -2
                else amin(s, axis=-1) / amax(s, axis=-1))
    return norm(x, p, axis=(-2, -1)) * norm(inv(x), p, axis=(-2, -1))


FUNCTIONS[np.linalg.matrix_rank] = value_only(np.linalg.matrix_rank)
