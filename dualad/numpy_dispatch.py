"""NumPy on traced values: operators, ``__array_ufunc__`` and ``__array_function__``.

Plain ``import numpy as np`` code runs unchanged on Duals and Tracers: NumPy hands every
ufunc and array function that meets a box to the tables below (NEP 13 and NEP 18), which
map it to primitives or to short compositions of primitives. Anything not in the tables
raises ``NotDifferentiableError`` naming the NumPy function.
"""
import builtins
import math

import numpy as np

from . import primitives as P
from .core import Box, primal, shape_of, ndim_of, dtype_of
from .errors import ConcretizationError, InPlaceError, NotDifferentiableError

# ------------------------------------------------------------------------------------
# Compositions of primitives (the NumPy signatures users call)
# ------------------------------------------------------------------------------------


def _no_out(name, out):
    if out is not None:
        raise InPlaceError(f"{name}(..., out=...)")


def _axes(axis, nd):
    return P._norm_axes(axis, nd)


def sum(a, axis=None, dtype=None, out=None, keepdims=False, **kw):
    _no_out("np.sum", out)
    _unsupported_kwargs("np.sum", kw)
    if isinstance(a, (list, tuple)):
        a = stack(a)
    r = P.sum_(a, axis=axis if axis is None else _axes(axis, ndim_of(a)), keepdims=keepdims)
    return r if dtype is None else astype(r, dtype)


def mean(a, axis=None, dtype=None, out=None, keepdims=False, **kw):
    _no_out("np.mean", out)
    _unsupported_kwargs("np.mean", kw)
    shape = shape_of(a)
    count = math.prod(shape[d] for d in _axes(axis, len(shape)))
    return sum(a, axis=axis, dtype=dtype, keepdims=keepdims) / float(count)


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


def ravel(a, order="C"):
    return reshape(a, (-1,), order=order)


def transpose(a, axes=None):
    nd = ndim_of(a)
    axes = tuple(range(nd))[::-1] if axes is None else tuple(int(x) % nd for x in axes)
    return a if axes == tuple(range(nd)) else P.transpose(a, axes=axes)


def swapaxes(a, axis1, axis2):
    nd = ndim_of(a)
    order = list(range(nd))
    order[axis1 % nd], order[axis2 % nd] = order[axis2 % nd], order[axis1 % nd]
    return transpose(a, order)


def moveaxis(a, source, destination):
    nd = ndim_of(a)
    src = [s % nd for s in np.atleast_1d(source)]
    dst = [d % nd for d in np.atleast_1d(destination)]
    order = [n for n in range(nd) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(a, order)


def expand_dims(a, axis):
    shape = list(shape_of(a))
    nd = len(shape) + len(np.atleast_1d(axis))
    for ax in sorted(int(x) % nd for x in np.atleast_1d(axis)):
        shape.insert(ax, 1)
    return reshape(a, tuple(shape))


def squeeze(a, axis=None):
    shape = shape_of(a)
    axes = [d for d, n in enumerate(shape) if n == 1] if axis is None else _axes(axis, len(shape))
    for d in axes:
        if shape[d] != 1:
            raise ValueError("cannot select an axis to squeeze out which has size not equal to one")
    return reshape(a, tuple(n for d, n in enumerate(shape) if d not in axes))


def broadcast_to(a, shape, subok=False):
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return a if shape_of(a) == shape else P.broadcast_to(a, shape=shape)


def concatenate(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    _no_out("np.concatenate", out)
    arrays = list(arrays)
    if axis is None:
        arrays, axis = [ravel(x) for x in arrays], 0
    return P.concatenate(*arrays, axis=axis)


def stack(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    _no_out("np.stack", out)
    arrays = list(arrays)
    if not arrays:
        raise ValueError("need at least one array to stack")
    return concatenate([expand_dims(x, axis) for x in arrays], axis=axis)


def where(condition, x=None, y=None):
    if x is None and y is None:
        return np.nonzero(primal(condition))
    return P.where(primal(condition), x, y)


def matmul(a, b):
    """``a @ b`` with NumPy's rules for 1-D operands, on the >= 2-D matmul primitive."""
    na, nb = ndim_of(a), ndim_of(b)
    if na == 0 or nb == 0:
        raise ValueError("matmul: Input operand does not have enough dimensions")
    if P._is_vector_product(a, b):      # matrix-vector, vector-matrix, dot: one primitive
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


def dot(a, b, out=None):
    _no_out("np.dot", out)
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


def _plain(fn):
    """A function of the values only (shapes, zeros, comparisons): no derivative flows."""
    def run(*args, **kw):
        args = [primal(a) if not isinstance(a, (list, tuple)) else type(a)(primal(x) for x in a)
                for a in args]
        return fn(*args, **{k: primal(v) for k, v in kw.items()})
    run.value_only = True     # the coverage page lists these apart
    return run


def _unsupported_kwargs(name, kw):
    for k, v in kw.items():
        if v is not np._NoValue and v is not None:
            raise NotDifferentiableError(f"{name}(..., {k}=...)",
                                         hint=f"The argument {k!r} is not supported on traced "
                                              "values.")


# ------------------------------------------------------------------------------------
# The dispatch tables
# ------------------------------------------------------------------------------------
# Every primitive whose implementation is a NumPy ufunc serves that ufunc; an elementwise
# primitive implemented by a NumPy function that is not a ufunc (np.sinc) serves that
# function. The table follows the primitive table: entries declared later (in other
# modules, or by users) are picked up on the next call (``_refresh``).
UFUNCS = {}
EXTRA_UFUNCS = {np.matmul: matmul, np.positive: lambda x: x}
_seen = [0]

# Piecewise-constant or boolean ufuncs: evaluated on the values, derivative zero.
ZERO_DERIVATIVE_UFUNCS = {
    np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
    np.sign, np.floor, np.ceil, np.trunc, np.rint, np.isnan, np.isinf, np.isfinite,
    np.signbit, np.logical_and, np.logical_or, np.logical_not, np.logical_xor,
    np.floor_divide, np.heaviside, np.spacing, np.isnat,
}

FUNCTIONS = {
    np.sum: sum, np.mean: mean, np.reshape: reshape, np.ravel: ravel,
    np.transpose: transpose, np.swapaxes: swapaxes, np.moveaxis: moveaxis,
    np.expand_dims: expand_dims, np.squeeze: squeeze, np.broadcast_to: broadcast_to,
    np.concatenate: concatenate, np.stack: stack, np.where: where, np.dot: dot,
    np.astype: lambda x, dtype, /, *, copy=True, device=None: astype(x, dtype),
}
# Functions of the values only: shapes, zeros, comparisons, index searches.
FUNCTIONS.update({fn: _plain(fn) for fn in (
    np.shape, np.ndim, np.size, np.zeros_like, np.ones_like, np.empty_like, np.full_like,
    np.result_type, np.iscomplexobj, np.isrealobj, np.isscalar, np.argmax, np.argmin,
    np.argsort, np.nonzero, np.allclose, np.isclose, np.array_equal, np.any, np.all,
    np.count_nonzero)})
_table_functions = set()   # FUNCTIONS entries that come from the primitive table

# The documented convention at non-differentiable points of compositions (the table's
# elementwise entries carry theirs in ``kink``): NumPy function -> text.
CONVENTIONS = {}


def _refresh():
    """Bring UFUNCS (and table-served FUNCTIONS) up to date with the primitive table."""
    if len(P.TABLE) == _seen[0]:
        return
    UFUNCS.clear()
    for p in P.TABLE.values():
        if isinstance(p.impl, np.ufunc):
            UFUNCS.setdefault(p.impl, p)
        elif isinstance(p, P.Elementwise) and (p.impl not in FUNCTIONS
                                                or p.impl in _table_functions):
            if getattr(np, getattr(p.impl, "__name__", ""), None) is p.impl:
                FUNCTIONS[p.impl] = p
                _table_functions.add(p.impl)
    UFUNCS.update(EXTRA_UFUNCS)
    _seen[0] = len(P.TABLE)


def implements(*np_functions, convention=None):
    """Register ``fn`` as the implementation of NumPy functions on traced values.

    ``convention`` documents the derivative chosen at non-differentiable points; it shows
    on the coverage page.
    """
    def register(fn):
        for f in np_functions:
            FUNCTIONS[f] = fn
            if convention:
                CONVENTIONS[f] = convention
        return fn
    return register


def ufunc_name(ufunc, method="__call__"):
    return f"numpy.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")


def array_ufunc(self, ufunc, method, *inputs, **kwargs):
    out = kwargs.pop("out", None)
    if out is not None and builtins.any(o is not None for o in out):
        raise InPlaceError(f"{ufunc_name(ufunc, method)}(..., out=...)")
    if method == "__call__":
        if ufunc in ZERO_DERIVATIVE_UFUNCS:
            return ufunc(*(primal(x) for x in inputs), **kwargs)
        _refresh()
        fn = COMPLEX_UFUNCS.get(ufunc)
        if fn is None or not _any_complex(inputs):
            fn = UFUNCS.get(ufunc)
        if fn is not None:
            if kwargs and ufunc in EXTRA_UFUNCS and ufunc is not np.positive:
                return fn(*inputs, **kwargs)   # gufuncs with axis= (np.vecdot)
            if kwargs:
                raise NotDifferentiableError(
                    f"{ufunc_name(ufunc)}(..., {', '.join(kwargs)}=...)",
                    hint="Keyword arguments of ufuncs (where=, dtype=, ...) are not "
                         "supported on traced values; apply np.where or .astype afterwards.")
            return fn(*inputs)
    elif method in UFUNC_METHODS:
        fn = UFUNC_METHODS[method].get(ufunc)
        if fn is not None:
            return fn(ufunc, *inputs, **kwargs)
    elif method == "at":
        raise InPlaceError(f"{ufunc_name(ufunc, method)}(...)")
    raise NotDifferentiableError(ufunc_name(ufunc, method))


def _any_complex(xs):
    return builtins.any(dtype_of(x).kind == "c" for x in xs if not isinstance(x, (str, type)))


# Ufuncs whose rule differs on complex operands (abs of a complex number is not holomorphic):
# ufunc -> function used when an operand is complex. Filled by the modules that own them.
COMPLEX_UFUNCS = {}

# ufunc.reduce / .accumulate / .outer on traced values: method -> {ufunc: fn(ufunc, ...)}.
UFUNC_METHODS = {"reduce": {}, "accumulate": {}, "outer": {}, "reduceat": {}}


def array_function(self, func, types, args, kwargs):
    _refresh()
    fn = FUNCTIONS.get(func)
    if fn is None:
        mod = getattr(func, "__module__", "numpy") or "numpy"
        name = mod.replace("numpy.linalg._linalg", "numpy.linalg").replace(
            "numpy._core.fromnumeric", "numpy").replace("numpy._core", "numpy")
        if not name.startswith("numpy"):
            name = "numpy"
        raise NotDifferentiableError(f"{name}.{func.__name__}")
    return fn(*args, **kwargs)


# ------------------------------------------------------------------------------------
# Operators and array methods on boxes
# ------------------------------------------------------------------------------------
def _refuse(what):
    def method(self, *a, **k):
        raise ConcretizationError(what)
    return method


def _setitem(self, idx, value):
    raise InPlaceError("x[...] = value")


def _getitem(self, idx):
    return P.getitem(self, idx=idx)


def _compare(ufunc):
    return lambda self, other: ufunc(primal(self), primal(other))


def _install():
    B = Box
    B.__array_ufunc__ = array_ufunc
    B.__array_function__ = array_function
    B.__add__ = lambda s, o: P.add(s, o)
    B.__radd__ = lambda s, o: P.add(o, s)
    B.__sub__ = lambda s, o: P.subtract(s, o)
    B.__rsub__ = lambda s, o: P.subtract(o, s)
    B.__mul__ = lambda s, o: P.multiply(s, o)
    B.__rmul__ = lambda s, o: P.multiply(o, s)
    B.__truediv__ = lambda s, o: P.divide(s, o)
    B.__rtruediv__ = lambda s, o: P.divide(o, s)
    B.__pow__ = lambda s, o: P.power(s, o)
    B.__rpow__ = lambda s, o: P.power(o, s)
    B.__matmul__ = lambda s, o: matmul(s, o)
    B.__rmatmul__ = lambda s, o: matmul(o, s)
    B.__neg__ = lambda s: P.negative(s)
    B.__pos__ = lambda s: s
    B.__abs__ = lambda s: P.absolute(s)
    B.__floordiv__ = lambda s, o: np.floor_divide(primal(s), primal(o))
    B.__lt__ = _compare(np.less)
    B.__le__ = _compare(np.less_equal)
    B.__gt__ = _compare(np.greater)
    B.__ge__ = _compare(np.greater_equal)
    B.__eq__ = _compare(np.equal)
    B.__ne__ = _compare(np.not_equal)
    B.__hash__ = object.__hash__
    B.__getitem__ = _getitem
    B.__setitem__ = _setitem
    B.__float__ = _refuse("float()")
    B.__int__ = _refuse("int()")
    B.__complex__ = _refuse("complex()")
    B.__index__ = _refuse("using it as an index (operator.index)")
    B.__array__ = _refuse("np.asarray() / np.array() (conversion to a plain ndarray)")
    B.item = _refuse(".item()")
    B.tolist = _refuse(".tolist()")
    B.T = property(lambda s: transpose(s))
    B.reshape = lambda s, *shape, order="C": reshape(
        s, shape[0] if len(shape) == 1 else shape, order=order)
    B.ravel = ravel
    B.flatten = ravel
    B.transpose = lambda s, *axes: transpose(
        s, None if not axes else (axes[0] if len(axes) == 1 else axes))
    B.squeeze = squeeze
    B.sum = sum
    B.mean = mean
    B.dot = dot
    B.astype = astype
    B.swapaxes = swapaxes


_install()

# ------------------------------------------------------------------------------------
# The rest of NumPy's surface, one module per idea; each registers into FUNCTIONS and
# declares its primitives in the same table.
# ------------------------------------------------------------------------------------
from . import shapes as _shapes, reductions as _reductions  # noqa: E402,F401
from . import complexnum as _complexnum, linalg as _linalg, fft as _fft  # noqa: E402,F401
from . import numeric as _numeric  # noqa: E402,F401

# Piecewise-constant functions and index searches: evaluated on the values, no derivative.
FUNCTIONS.update({fn: _plain(fn) for fn in (
    np.round, np.around, np.fix, np.argwhere, np.flatnonzero, np.searchsorted,
    np.digitize, np.argpartition, np.lexsort, np.isneginf, np.isposinf, np.iscomplex,
    np.isreal, np.array_equiv, np.isin, np.shares_memory, np.may_share_memory)})


def _method(fn):
    def method(self, *args, **kw):
        return fn(self, *args, **kw)
    method.__name__ = fn.__name__
    return method


def _refuse_in_place(name, fix):
    def method(self, *a, **k):
        raise InPlaceError(f"x.{name}(...) ({fix})")
    return method


def _iterate(self):
    if not self.shape:
        raise TypeError("iteration over a 0-d traced value")
    for i in range(self.shape[0]):
        yield P.getitem(self, idx=i)


def _install_methods():
    """ndarray methods on boxes, each one the NumPy function of the same name."""
    B = Box
    for name, fn in {
        "prod": np.prod, "max": np.max, "min": np.min, "std": np.std, "var": np.var,
        "cumsum": np.cumsum, "cumprod": np.cumprod,
        "diagonal": np.diagonal, "repeat": np.repeat, "take": np.take, "clip": np.clip,
        "round": np.round, "argmax": np.argmax, "argmin": np.argmin,
        "argsort": np.argsort, "nonzero": np.nonzero, "all": np.all, "any": np.any,
        "copy": np.copy, "compress": np.compress, "conj": np.conjugate,
        "conjugate": np.conjugate, "searchsorted": np.searchsorted, "trace": np.trace,
    }.items():
        setattr(B, name, _method(fn))
    for name, fix in {
        "sort": "use y = np.sort(x)", "fill": "use np.full_like(x, value)",
        "put": "use np.where", "partition": "use y = np.partition(x, kth)",
        "resize": "use np.reshape or np.resize", "itemset": "use np.where",
        "setfield": "build a new array",
    }.items():
        setattr(B, name, _refuse_in_place(name, fix))
    B.__iter__ = _iterate
    B.__mod__ = lambda s, o: np.remainder(s, o)
    B.__rmod__ = lambda s, o: np.remainder(o, s)
    B.__abs__ = lambda s: (COMPLEX_UFUNCS[np.absolute](s) if dtype_of(s).kind == "c"
                           else P.absolute(s))
    B.__round__ = lambda s, ndigits=None: (round(primal(s)) if ndigits is None
                                          else round(primal(s), ndigits))


_install_methods()


# ------------------------------------------------------------------------------------
# Elementwise compositions
# ------------------------------------------------------------------------------------
@implements(np.clip, convention="clip(x, lo, hi) = minimum(maximum(x, lo), hi): at x == lo "
                                "or x == hi the derivative is split 1/2 : 1/2 between x "
                                "and the bound")
def clip(a, a_min=np._NoValue, a_max=np._NoValue, out=None, *, min=np._NoValue,
         max=np._NoValue, **kw):
    _no_out("numpy.clip", out)
    _unsupported_kwargs("numpy.clip", kw)
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
