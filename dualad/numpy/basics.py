"""NumPy's everyday functions on traced values: sums and means, reshapes and transposes,
joining, where, matrix products, casts, clip: short compositions of the table's rows."""
import math

import numpy as np

from .. import rules as P
from ..core import (Box, NotDifferentiableError, decision_operand, dtype_of, ndim_of, primal,
                    shape_of)
from .registry import (EXTRA_UFUNCS, FUNCTIONS, implements, invalidate, no_out, norm_axes,
                       unsupported_kwargs)


@implements(np.sum)
def sum(a, axis=None, dtype=None, out=None, keepdims=False, **kw):
    no_out("np.sum", out)
    unsupported_kwargs("np.sum", kw)
    if isinstance(a, (list, tuple)):
        a = stack(a)
    r = P.sum_(a, axis=axis if axis is None else norm_axes(axis, ndim_of(a)), keepdims=keepdims)
    return r if dtype is None else astype(r, dtype)


@implements(np.mean)
def mean(a, axis=None, dtype=None, out=None, keepdims=False, **kw):
    no_out("np.mean", out)
    unsupported_kwargs("np.mean", kw)
    shape = shape_of(a)
    count = math.prod(shape[d] for d in norm_axes(axis, len(shape)))
    return sum(a, axis=axis, dtype=dtype, keepdims=keepdims) / float(count)


@implements(np.reshape)
def reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    shape = newshape if shape is None else shape
    if order != "C":
        raise NotDifferentiableError("numpy.reshape with order != 'C'")
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    shape = tuple(int(s) for s in shape)
    if -1 in shape:
        known = math.prod(s for s in shape if s != -1)
        total = math.prod(shape_of(a))
        shape = tuple(total // known if s == -1 else s for s in shape)
    return a if shape == shape_of(a) else P.reshape(a, shape=shape)


@implements(np.ravel)
def ravel(a, order="C"):
    return reshape(a, (-1,), order=order)


@implements(np.transpose)
def transpose(a, axes=None):
    nd = ndim_of(a)
    axes = tuple(range(nd))[::-1] if axes is None else tuple(int(x) % nd for x in axes)
    return a if axes == tuple(range(nd)) else P.transpose(a, axes=axes)


@implements(np.swapaxes)
def swapaxes(a, axis1, axis2):
    nd = ndim_of(a)
    order = list(range(nd))
    order[axis1 % nd], order[axis2 % nd] = order[axis2 % nd], order[axis1 % nd]
    return transpose(a, order)


@implements(np.moveaxis)
def moveaxis(a, source, destination):
    nd = ndim_of(a)
    src = [s % nd for s in np.atleast_1d(source)]
    dst = [d % nd for d in np.atleast_1d(destination)]
    order = [n for n in range(nd) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(a, order)


@implements(np.expand_dims)
def expand_dims(a, axis):
    shape = list(shape_of(a))
    nd = len(shape) + len(np.atleast_1d(axis))
    for ax in sorted(int(x) % nd for x in np.atleast_1d(axis)):
        shape.insert(ax, 1)
    return reshape(a, tuple(shape))


@implements(np.squeeze)
def squeeze(a, axis=None):
    shape = shape_of(a)
    axes = [d for d, n in enumerate(shape) if n == 1] if axis is None else norm_axes(axis, len(shape))
    for d in axes:
        if shape[d] != 1:
            raise ValueError("cannot select an axis to squeeze out which has size not equal to one")
    return reshape(a, tuple(n for d, n in enumerate(shape) if d not in axes))


@implements(np.broadcast_to)
def broadcast_to(a, shape, subok=False):
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return a if shape_of(a) == shape else P.broadcast_to(a, shape=shape)


@implements(np.concatenate)
def concatenate(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    no_out("np.concatenate", out)
    arrays = list(arrays)
    if axis is None:
        arrays, axis = [ravel(x) for x in arrays], 0
    return _as_dtype(P.concatenate(*arrays, axis=axis), arrays, dtype, casting)


def _as_dtype(joined, arrays, dtype, casting):
    """``joined`` in the ``dtype=`` of a joining function, refused as NumPy refuses a
    cast that ``casting`` does not allow."""
    if dtype is None:
        return joined
    dtype = np.dtype(dtype)
    have = np.result_type(*[dtype_of(a) for a in arrays])
    if not np.can_cast(have, dtype, casting=casting):
        raise TypeError(f"Cannot cast array data from {have!r} to {dtype!r} according to "
                        f"the rule {casting!r}")
    return joined if dtype_of(joined) == dtype else astype(joined, dtype)


@implements(np.stack)
def stack(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    no_out("np.stack", out)
    arrays = list(arrays)
    if not arrays:
        raise ValueError("need at least one array to stack")
    return concatenate([expand_dims(x, axis) for x in arrays], axis=axis, dtype=dtype,
                       casting=casting)


@implements(np.where)
def where(condition, x=None, y=None):
    if x is None and y is None:
        return np.nonzero(decision_operand(condition))
    return P.where(decision_operand(condition), x, y)


def matmul(a, b):
    """``a @ b`` with NumPy's rules for 1-D operands, on the >= 2-D matmul primitive."""
    na, nb = ndim_of(a), ndim_of(b)
    if na == 0 or nb == 0:
        raise ValueError("matmul: Input operand does not have enough dimensions")
    if P.is_vector_product(a, b):      # matrix-vector, vector-matrix, dot: one primitive
        return P.matmul(a, b)
    a2 = reshape(a, (1,) + shape_of(a)) if na == 1 else a
    b2 = reshape(b, shape_of(b) + (1,)) if nb == 1 else b
    out = P.matmul(a2, b2)
    shape = shape_of(out)
    if na == 1 and nb == 1:
        return reshape(out, ())
    if na == 1:
        return reshape(out, shape[:-2] + shape[-1:])
    if nb == 1:
        return reshape(out, shape[:-1])
    return out


@implements(np.dot)
def dot(a, b, out=None):
    no_out("np.dot", out)
    na, nb = ndim_of(a), ndim_of(b)
    if na == 0 or nb == 0:
        r = a * b   # np.dot takes Python scalars as float64 arrays (not weakly typed)
        want = np.result_type(np.asarray(primal(a)).dtype, np.asarray(primal(b)).dtype)
        return r if dtype_of(r) == want else astype(r, want)
    if nb <= 2:
        return matmul(a, b)
    # N-D: contract the last axis of a with the second-to-last of b.
    bm = moveaxis(b, -2, 0)
    rest = shape_of(bm)[1:]
    r = matmul(reshape(a, (-1, shape_of(a)[-1])), reshape(bm, (shape_of(bm)[0], -1)))
    return reshape(r, shape_of(a)[:-1] + rest)


def astype(a, dtype, **kw):
    dtype = np.dtype(dtype)
    if dtype.kind not in "fc":
        return primal(a).astype(dtype) if hasattr(primal(a), "astype") else dtype.type(primal(a))
    return a if dtype_of(a) == dtype else P.cast(a, dtype=dtype)



FUNCTIONS[np.astype] = lambda x, dtype, /, *, copy=True, device=None: astype(x, dtype)
EXTRA_UFUNCS[np.matmul] = matmul
invalidate()


# ------------------------------------------------------------------------------------
# Elementwise compositions
# ------------------------------------------------------------------------------------
@implements(np.clip, convention="clip(x, lo, hi) = minimum(maximum(x, lo), hi): at x == lo "
                                "or x == hi the derivative is split 1/2 : 1/2 between x "
                                "and the bound")
def clip(a, a_min=np._NoValue, a_max=np._NoValue, out=None, *, min=np._NoValue,
         max=np._NoValue, **kw):
    no_out("numpy.clip", out)
    unsupported_kwargs("numpy.clip", kw)
    lo = min if a_min is np._NoValue else a_min
    hi = max if a_max is np._NoValue else a_max
    r = a
    if lo is not np._NoValue and lo is not None:
        r = P.maximum(r, lo)
    if hi is not np._NoValue and hi is not None:
        r = P.minimum(r, hi)
    return r


@implements(np.nan_to_num, convention="replaced entries (NaN, +-inf) have derivative 0")
def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    v = primal(x)
    finite = np.isfinite(v)
    if np.all(finite):
        return x
    return P.where(finite, x, np.nan_to_num(v, nan=nan, posinf=posinf, neginf=neginf))


# --- arrays made like a traced array: writable, so writes into them are recorded -------
def constant_of(a, value):
    """``value`` (a plain array made like ``a``) as a box of a's trace with a zero
    derivative when ``a`` is traced, so ``out[i] = ...`` on it is recorded (a plain array
    could not hold a traced value); else ``value``."""
    if isinstance(a, Box) and isinstance(value, np.ndarray) and value.dtype.kind in "fc":
        return a._trace.constant(np.asarray(value), a)     # a plain ndarray inside
    return value


def _constant_like(fn):
    def run(a, *args, **kw):
        return constant_of(a, fn(primal(a), *args, **{k: primal(v) for k, v in kw.items()}))
    run.__name__ = fn.__name__
    return run


for _fn in (np.zeros_like, np.ones_like, np.empty_like):
    implements(_fn)(_constant_like(_fn))
