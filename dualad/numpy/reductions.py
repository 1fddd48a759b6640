"""Reductions and scans: prod, max/min, cumsum, cumprod (primitives of the table), and
var, std, ptp, diff, average, trace, the nan-variants (compositions).

Conventions at non-differentiable points (tested, and shown on the coverage page):
- max/min/amax/amin: tied maxima share the derivative equally (k ties get 1/k each),
  as in JAX and autograd; a NaN that propagates to the result takes the derivative.
- std: where the data are constant (zero variance) the derivative is 0, the convention
  of abs and of the norm at 0 (std is not differentiable there).
- prod, cumprod: exact with zeros in the data (products of the other factors, never a
  division by a zero entry).
"""
import builtins
import math

import numpy as np

from .. import rules as P
from ..core import Box, primal, shape_of, ndim_of, dtype_of
from ..core import NotDifferentiableError
from .basics import (astype, concatenate, mean as mean_, moveaxis, ravel, reshape, stack, sum
                     as sum_)
from .registry import (implements, no_out, norm_axes, refresh, UFUNC_METHODS, UFUNCS,
                       unsupported_kwargs)
from .shapes import (_atleast, _norm_axis, diagonal, reverse, sort, take, take_slice)


def _move_last(x, axis):
    """``x`` with ``axis`` moved to the end (a transpose; axis may be negative)."""
    nd = ndim_of(x)
    axis = axis % nd
    if axis == nd - 1:
        return x
    return P.transpose(x, axes=tuple(d for d in range(nd) if d != axis) + (axis,))


def _move_back(x, axis):
    """The inverse of ``_move_last``: the last axis of ``x`` goes back to ``axis``."""
    nd = ndim_of(x)
    axis = axis % nd
    if axis == nd - 1:
        return x
    order = list(range(nd - 1))
    order.insert(axis, nd - 1)
    return P.transpose(x, axes=tuple(order))


def _ones_column(x):
    """Ones shaped like ``x`` with the last axis of length 1 (a constant)."""
    return np.ones(shape_of(x)[:-1] + (1,), dtype=dtype_of(x))


# ------------------------------------------------------------------------------------
# cumsum: a linear scan; its transpose is the reversed scan
# ------------------------------------------------------------------------------------
def _cumsum_impl(x, axis):
    return np.cumsum(x, axis=axis)


def _cumsum_jvp(tangents, primals, out, axis):
    return cumsum_(tangents[0], axis=axis + 1)


def _rcumsum(g, axis):
    """Sums from the end: r[i] = sum_{k >= i} g[k] along ``axis``."""
    return reverse(cumsum_(reverse(g, axis), axis=axis), axis)


def _cumsum_vjp(i, g, primals, out, axis):
    return _rcumsum(g, axis)


cumsum_ = P.register(P.Primitive("cumsum", _cumsum_impl, _cumsum_jvp, _cumsum_vjp,
                                  depends="scan", depends_axes=P.axis_kw))


# ------------------------------------------------------------------------------------
# cumprod: y_k = prod_{j <= k} x_j
# ------------------------------------------------------------------------------------
def _cumprod_impl(x, axis):
    return np.cumprod(x, axis=axis)


def _has_zero(x):
    """Whether the division rule y * cumsum(t / x) is unsafe: zeros in x, or entries so
    small that t / x loses the accuracy of higher derivatives (their rounding error grows
    like eps / |x_i| relative to the data's scale). Then the exact O(n^2) rule is used."""
    v = np.abs(primal(x))
    if v.size == 0:
        return False
    return bool(np.min(v) < 1e-6 * max(1.0, float(np.max(v))))


def _cumprod_matrix(x, axis):
    """M[..., i, k] = prod_{j <= k, j != i} x_j for i <= k, else 0 (``axis`` moved last).

    dy_k = sum_i dx_i M[i, k] holds with zeros in x, where y * cumsum(dx / x) does not.
    O(n^2) memory along the axis, so it is used only when x has a zero.
    """
    xl = _move_last(x, axis)
    n = shape_of(xl)[-1]
    rows = P.broadcast_to(P.reshape(xl, shape=shape_of(xl)[:-1] + (1, n)),
                          shape=shape_of(xl)[:-1] + (n, n))
    eye = np.eye(n, dtype=bool)
    c = cumprod_(P.where(eye, 1.0, rows), axis=ndim_of(rows) - 1)
    return P.where(np.triu(np.ones((n, n), dtype=bool)), c, 0.0)


def _cumprod_jvp(tangents, primals, out, axis):
    (t,) = tangents
    x = primals[0]
    if not _has_zero(x):
        return out * cumsum_(t / x, axis=axis + 1)
    m = _cumprod_matrix(x, axis)                       # (..., n, n)
    tl = _move_last(t, axis + 1)                        # (k, ..., n)
    s = shape_of(tl)
    r = P.sum_(P.reshape(tl, shape=s + (1,)) * m, axis=(len(s) - 1,))
    return _move_back(r, axis + 1)


def _cumprod_vjp(i, g, primals, out, axis):
    x = primals[0]
    if not _has_zero(x):
        return _rcumsum(g * out, axis) / x
    m = _cumprod_matrix(x, axis)
    gl = _move_last(g, axis)
    s = shape_of(gl)
    r = P.sum_(P.reshape(gl, shape=s[:-1] + (1, s[-1])) * m, axis=(len(s),))
    return _move_back(r, axis)


cumprod_ = P.register(P.Primitive("cumprod", _cumprod_impl, _cumprod_jvp, _cumprod_vjp,
                                   depends="scan", depends_axes=P.axis_kw))


# ------------------------------------------------------------------------------------
# prod over the last axis: the derivative is the product of the other factors
# ------------------------------------------------------------------------------------
def _others(x):
    """prod_{j != i} x_j along the last axis, from exclusive products on both sides
    (no division, so zeros are fine)."""
    n = shape_of(x)[-1]
    if n == 1:
        return _ones_column(x)
    one = _ones_column(x)
    last = ndim_of(x) - 1
    left = cumprod_(P.concatenate(one, take_slice(x, -1, slice(0, n - 1)), axis=last),
                    axis=last)
    right = reverse(cumprod_(reverse(P.concatenate(take_slice(x, -1, slice(1, n)), one,
                                                   axis=last), last), axis=last), last)
    return left * right


def _prod_impl(x):
    return np.prod(x, axis=-1)


def _prod_jvp(tangents, primals, out):
    (t,) = tangents
    return P.sum_(t * _others(primals[0]), axis=(ndim_of(t) - 1,))


def _prod_vjp(i, g, primals, out):
    x = primals[0]
    return P.reshape(g, shape=shape_of(g) + (1,)) * _others(x)


prod_last = P.register(P.Primitive("prod", _prod_impl, _prod_jvp, _prod_vjp,
                                    depends="reduce", depends_axes=P.last_axes(1)))


def _gather_axes(a, axes):
    """``a`` with the reduced ``axes`` moved to the end and merged into one."""
    nd = ndim_of(a)
    kept = [d for d in range(nd) if d not in axes]
    shape = shape_of(a)
    if list(axes) != list(range(nd - len(axes), nd)):
        a = P.transpose(a, axes=tuple(kept) + tuple(axes))
    n = math.prod(shape[d] for d in axes)
    new = tuple(shape[d] for d in kept) + (n,)
    return a if shape_of(a) == new else P.reshape(a, shape=new)


def _keep(r, shape, axes, keepdims):
    if not keepdims:
        return r
    return reshape(r, tuple(1 if d in axes else n for d, n in enumerate(shape)))


@implements(np.prod)
def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    no_out("numpy.prod", out)
    unsupported_kwargs("numpy.prod", {"where": where})
    if isinstance(a, (list, tuple)):
        a = stack(a)
    shape = shape_of(a)
    axes = norm_axes(axis, len(shape))
    if not axes:
        r = a
    elif math.prod(shape[d] for d in axes) == 0:
        r = np.ones(tuple(n for d, n in enumerate(shape) if d not in axes),
                    dtype=dtype_of(a))
    else:
        r = prod_last(_gather_axes(a, axes))
    r = _keep(r, shape, axes, keepdims)
    if initial is not None:
        r = r * initial
    return r if dtype is None else astype(r, dtype)


# ------------------------------------------------------------------------------------
# max / min: the derivative goes to the maximal entries, shared equally between ties
# ------------------------------------------------------------------------------------
def _chooser_weights(x, out, axes, keepdims):
    xv, ov = primal(x), primal(out)
    if not keepdims:
        ov = np.expand_dims(ov, axes)
    hit = (xv == ov) | (np.isnan(xv) & np.isnan(ov))
    w = hit / np.sum(hit, axis=axes, keepdims=True)
    return w.astype(np.result_type(dtype_of(x), np.float32) if dtype_of(x).kind == "f"
                    else np.float64)


def _chooser(name, fn):
    def impl(x, axis, keepdims):
        return fn(x, axis=axis, keepdims=keepdims)

    def jvp(tangents, primals, out, axis, keepdims):
        (t,) = tangents
        w = _chooser_weights(primals[0], out, axis, keepdims)
        return P.sum_(t * w, axis=tuple(a + 1 for a in axis), keepdims=keepdims)

    def vjp(i, g, primals, out, axis, keepdims):
        x = primals[0]
        shape = shape_of(x)
        w = _chooser_weights(x, out, axis, keepdims)
        if not keepdims:
            g = P.reshape(g, shape=tuple(1 if d in axis else n for d, n in enumerate(shape)))
        return g * w

    return P.register(P.Primitive(name, impl, jvp, vjp, depends="reduce",
                                  depends_axes=P.axis_kw))


amax_ = _chooser("max", np.max)
amin_ = _chooser("min", np.min)

_TIES = "tied extremes share the derivative equally (1/k each for k ties)"


def _extreme(prim, name):
    def fn(a, axis=None, out=None, keepdims=False, initial=None, where=None):
        no_out(f"numpy.{name}", out)
        unsupported_kwargs(f"numpy.{name}", {"where": where})
        if isinstance(a, (list, tuple)):
            a = stack(a)
        shape = shape_of(a)
        axes = norm_axes(axis, len(shape))
        r = a if not axes else prim(a, axis=axes, keepdims=bool(keepdims))
        if initial is not None:
            pick = P.maximum if prim is amax_ else P.minimum
            r = pick(r, initial)
        return r
    fn.__name__ = name
    return fn


amax = implements(np.max, np.amax, convention=_TIES)(_extreme(amax_, "max"))
amin = implements(np.min, np.amin, convention=_TIES)(_extreme(amin_, "min"))


@implements(np.ptp, convention=_TIES)
def ptp(a, axis=None, out=None, keepdims=False):
    no_out("numpy.ptp", out)
    return amax(a, axis=axis, keepdims=keepdims) - amin(a, axis=axis, keepdims=keepdims)


# ------------------------------------------------------------------------------------
# Scans as NumPy calls them
# ------------------------------------------------------------------------------------
@implements(np.cumsum)
def cumsum(a, axis=None, dtype=None, out=None):
    no_out("numpy.cumsum", out)
    if axis is None:
        a, axis = ravel(a), 0
    if ndim_of(a) == 0:
        a = reshape(a, (1,))
    r = cumsum_(a, axis=_norm_axis(axis, ndim_of(a)))
    return r if dtype is None else astype(r, dtype)


@implements(np.cumprod)
def cumprod(a, axis=None, dtype=None, out=None):
    no_out("numpy.cumprod", out)
    if axis is None:
        a, axis = ravel(a), 0
    if ndim_of(a) == 0:
        a = reshape(a, (1,))
    r = cumprod_(a, axis=_norm_axis(axis, ndim_of(a)))
    return r if dtype is None else astype(r, dtype)


def _include_initial(fn, a, axis, dtype, out, include_initial):
    no_out(f"numpy.{fn.__name__}", out)
    if axis is None:
        if ndim_of(a) > 1:
            raise ValueError("axis must be specified for arrays with more than one dimension")
        axis = 0
    r = fn(a, axis=axis, dtype=dtype)
    if include_initial:
        nd = ndim_of(r)
        shape = list(shape_of(r))
        shape[_norm_axis(axis, nd)] = 1
        init = np.zeros if fn is cumsum else np.ones
        r = concatenate([init(tuple(shape), dtype=dtype_of(r)), r], axis=axis)
    return r


@implements(np.cumulative_sum)
def cumulative_sum(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
    return _include_initial(cumsum, x, axis, dtype, out, include_initial)


@implements(np.cumulative_prod)
def cumulative_prod(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
    return _include_initial(cumprod, x, axis, dtype, out, include_initial)


@implements(np.diff)
def diff(a, n=1, axis=-1, prepend=np._NoValue, append=np._NoValue):
    nd = ndim_of(a)
    if nd == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    axis = _norm_axis(axis, nd)
    parts = []
    for extra, at_end in ((prepend, False), (append, True)):
        if extra is np._NoValue:
            continue
        if ndim_of(extra) == 0:
            shape = list(shape_of(a))
            shape[axis] = 1
            extra = P.broadcast_to(extra, shape=tuple(shape)) if isinstance(extra, Box) \
                else np.broadcast_to(extra, tuple(shape))
        parts.append((at_end, extra))
    if parts:
        a = concatenate([e for end, e in parts if not end] + [a]
                        + [e for end, e in parts if end], axis=axis)
    for _ in range(int(n)):
        m = shape_of(a)[axis]
        a = take_slice(a, axis, slice(1, m)) - take_slice(a, axis, slice(0, m - 1))
    return a


# ------------------------------------------------------------------------------------
# Moments
# ------------------------------------------------------------------------------------
def _abs2(d):
    if dtype_of(d).kind == "c":
        re, im = P.real(d), P.imag(d)
        return re * re + im * im
    return d * d


@implements(np.var)
def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
        mean=None, correction=None):
    no_out("numpy.var", out)
    unsupported_kwargs("numpy.var", {"where": where, "mean": mean})
    if correction is not None:
        ddof = correction
    shape = shape_of(a)
    axes = norm_axes(axis, len(shape))
    n = math.prod(shape[d] for d in axes)
    m = mean_(a, axis=axes, keepdims=True)
    r = sum_(_abs2(a - m), axis=axes, keepdims=keepdims) / float(builtins.max(n - ddof, 0))
    return r if dtype is None else astype(r, dtype)


def safe_sqrt(v):
    """sqrt(v) with derivative 0 where v == 0 (instead of an infinite one)."""
    pos = primal(v) > 0
    if np.all(pos):
        return P.sqrt(v)
    return P.where(pos, P.sqrt(P.where(pos, v, 1.0)), 0.0)


@implements(np.std, convention="derivative 0 where the data are constant (zero variance)")
def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
        mean=None, correction=None):
    return safe_sqrt(var(a, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims,
                         where=where, mean=mean, correction=correction))


@implements(np.average)
def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    if weights is None:
        r = mean_(a, axis=axis, keepdims=keepdims)
        if not returned:
            return r
        shape = shape_of(a)
        count = math.prod(shape[d] for d in norm_axes(axis, len(shape)))
        return r, np.full(shape_of(r), float(count), dtype=dtype_of(r))
    shape = shape_of(a)
    if shape_of(weights) != shape:
        if axis is None or ndim_of(weights) != 1:
            raise TypeError("Axis must be specified when shapes of a and weights differ.")
        ax = _norm_axis(axis, len(shape))
        weights = reshape(weights, tuple(n if d == ax else 1 for d, n in enumerate(shape)))
        weights = P.broadcast_to(weights, shape=shape) if isinstance(weights, Box) \
            else np.broadcast_to(weights, shape)
    scl = sum_(weights, axis=axis, keepdims=keepdims)
    if np.any(primal(scl) == 0.0):
        raise ZeroDivisionError("Weights sum to zero, can't be normalized")
    r = sum_(a * weights, axis=axis, keepdims=keepdims) / scl
    return (r, scl) if returned else r


@implements(np.trace)
def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    no_out("numpy.trace", out)
    r = sum_(diagonal(a, offset, axis1, axis2), axis=-1)
    return r if dtype is None else astype(r, dtype)


# ------------------------------------------------------------------------------------
# nan-variants: NaNs replaced by the neutral element (no derivative flows to them)
# ------------------------------------------------------------------------------------
def _nan_to(a, value):
    isnan = np.isnan(primal(a))
    return a if not np.any(isnan) else P.where(isnan, value, a)


@implements(np.nansum)
def nansum(a, axis=None, dtype=None, out=None, keepdims=False, **kw):
    return sum_(_nan_to(a, 0.0), axis=axis, dtype=dtype, out=out, keepdims=keepdims, **kw)


@implements(np.nanprod)
def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, **kw):
    unsupported_kwargs("numpy.nanprod", kw)
    return prod(_nan_to(a, 1.0), axis=axis, dtype=dtype, out=out, keepdims=keepdims)


@implements(np.nanmean)
def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, **kw):
    unsupported_kwargs("numpy.nanmean", kw)
    count = np.sum(~np.isnan(primal(a)), axis=axis, keepdims=keepdims).astype(
        np.result_type(dtype_of(a), np.float32))
    return nansum(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims) / count


@implements(np.nanmax, convention=_TIES)
def nanmax(a, axis=None, out=None, keepdims=False, **kw):
    unsupported_kwargs("numpy.nanmax", kw)
    return amax(_nan_to(a, -np.inf), axis=axis, out=out, keepdims=keepdims)


@implements(np.nanmin, convention=_TIES)
def nanmin(a, axis=None, out=None, keepdims=False, **kw):
    unsupported_kwargs("numpy.nanmin", kw)
    return amin(_nan_to(a, np.inf), axis=axis, out=out, keepdims=keepdims)


@implements(np.nancumsum)
def nancumsum(a, axis=None, dtype=None, out=None):
    return cumsum(_nan_to(a, 0.0), axis=axis, dtype=dtype, out=out)


@implements(np.nancumprod)
def nancumprod(a, axis=None, dtype=None, out=None):
    return cumprod(_nan_to(a, 1.0), axis=axis, dtype=dtype, out=out)


@implements(np.trapezoid)
def trapezoid(y, x=None, dx=1.0, axis=-1):
    nd = ndim_of(y)
    axis = _norm_axis(axis, nd)
    n = shape_of(y)[axis]
    if x is None:
        d = dx
    else:
        if ndim_of(x) == 1:
            d = diff(x)
            shape = [1] * nd
            shape[axis] = n - 1
            d = reshape(d, tuple(shape))
        else:
            d = diff(x, axis=axis)
    avg = (take_slice(y, axis, slice(1, n)) + take_slice(y, axis, slice(0, n - 1))) / 2.0
    return sum_(d * avg, axis=axis)


# ------------------------------------------------------------------------------------
# ufunc methods: np.add.reduce, np.multiply.accumulate, np.subtract.outer, ...
# ------------------------------------------------------------------------------------
def _reduce_with(fn):
    def reduce(ufunc, a, axis=0, dtype=None, out=None, keepdims=False, **kw):
        no_out(f"numpy.{ufunc.__name__}.reduce", out)
        unsupported_kwargs(f"numpy.{ufunc.__name__}.reduce", kw)
        r = fn(a, axis=axis, keepdims=keepdims)
        return r if dtype is None else astype(r, dtype)
    return reduce


def _accumulate_with(fn):
    def accumulate(ufunc, a, axis=0, dtype=None, out=None):
        return fn(a, axis=axis, dtype=dtype, out=out)
    return accumulate


UFUNC_METHODS["reduce"].update({
    np.add: _reduce_with(sum_), np.multiply: _reduce_with(prod),
    np.maximum: _reduce_with(amax), np.minimum: _reduce_with(amin),
})
UFUNC_METHODS["accumulate"].update({np.add: _accumulate_with(cumsum),
                                    np.multiply: _accumulate_with(cumprod)})


def _outer(ufunc, a, b, **kw):
    """ufunc.outer(a, b) = ufunc(a[..., None, ...], b) for any elementwise ufunc."""
    refresh()
    fn = UFUNCS.get(ufunc)
    if fn is None or kw:
        raise NotDifferentiableError(f"numpy.{ufunc.__name__}.outer")
    a2 = reshape(a, shape_of(a) + (1,) * ndim_of(b))
    return fn(a2, b)


class _OuterTable(dict):
    def get(self, ufunc, default=None):
        return _outer


UFUNC_METHODS["outer"] = _OuterTable()


# ------------------------------------------------------------------------------------
# Order statistics (through np.sort) and finite differences of data
# ------------------------------------------------------------------------------------
_ORDER = ("through np.sort: at ties each order statistic takes the derivative of the "
          "input the stable argsort puts there")


def _quantile_sorted(s, q, axis):
    """Linear interpolation (NumPy's default method) in data ``s`` sorted along ``axis``."""
    n = shape_of(s)[axis]
    q = np.asarray(q, dtype=np.float64)
    pos = q * (n - 1)
    lo = np.floor(pos).astype(np.intp)
    hi = np.minimum(lo + 1, n - 1)
    frac = (pos - lo).astype(np.result_type(dtype_of(s), np.float32))
    a, b = take(s, lo, axis=axis), take(s, hi, axis=axis)
    if q.ndim:
        a, b = moveaxis(a, axis, 0), moveaxis(b, axis, 0)
        frac = frac.reshape(frac.shape + (1,) * (ndim_of(a) - frac.ndim))
    # NumPy's lerp: a + (b - a) t, written from the nearer end for t >= 1/2
    return P.where(frac >= 0.5, b - (b - a) * (1.0 - frac), a + (b - a) * frac)


@implements(np.quantile, convention=_ORDER)
def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
             keepdims=False, *, weights=None, interpolation=None):
    no_out("numpy.quantile", out)
    if method != "linear" or interpolation is not None or weights is not None:
        raise NotDifferentiableError(f"numpy.quantile(..., method={method!r})",
                                     hint="Only the default method='linear' is supported.")
    orig = shape_of(a)
    axes = tuple(range(len(orig))) if axis is None else norm_axes(axis, len(orig))
    if len(axes) == 1:
        ax = axes[0]
    else:
        a = _gather_axes(a, axes) if orig else reshape(a, (1,))
        ax = ndim_of(a) - 1
    r = _quantile_sorted(sort(a, axis=ax), primal(q), ax)
    if keepdims:
        kept = tuple(1 if d in axes else n for d, n in enumerate(orig))
        r = reshape(r, np.shape(primal(q)) + kept)
    return _numpys_dtype(r, np.quantile, r, primal(q))


def _numpys_dtype(r, fn, a, *args):
    """``r`` in the dtype NumPy's ``fn`` gives for data of a's dtype (probed on one zero)."""
    want = fn(np.zeros(1, dtype=dtype_of(a)), *args).dtype
    return r if dtype_of(r) == want else astype(r, want)


@implements(np.percentile, convention=_ORDER)
def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
               keepdims=False, *, weights=None, interpolation=None):
    r = quantile(a, np.asarray(primal(q)) / 100.0, axis=axis, out=out, method=method,
                 keepdims=keepdims, weights=weights, interpolation=interpolation)
    return _numpys_dtype(r, np.percentile, a, primal(q))


@implements(np.median, convention=_ORDER)
def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    return _numpys_dtype(quantile(a, 0.5, axis=axis, out=out, keepdims=keepdims), np.median, a)


@implements(np.gradient)
def gradient(f, *varargs, axis=None, edge_order=1):
    nd = ndim_of(f)
    axes = list(range(nd)) if axis is None else [
        _norm_axis(x, nd) for x in np.atleast_1d(axis)]
    if len(varargs) == 0:
        spacing = [1.0] * len(axes)
    elif len(varargs) == 1 and np.ndim(varargs[0]) == 0:
        spacing = [varargs[0]] * len(axes)
    else:
        spacing = list(varargs)
    if len(spacing) != len(axes) or builtins.any(np.ndim(h) != 0 for h in spacing):
        raise NotDifferentiableError(
            "numpy.gradient with coordinate arrays",
            hint="Only scalar (uniform) spacings are supported.")
    out = []
    for ax, h in zip(axes, spacing):
        n = shape_of(f)[ax]
        if n < edge_order + 1:
            raise ValueError("Shape of array too small to calculate a numerical gradient, "
                             "at least (edge_order + 1) elements are required.")
        s = lambda lo, hi: take_slice(f, ax, slice(lo, hi))    # noqa: E731
        interior = (s(2, n) - s(0, n - 2)) / (2.0 * h) if n > 2 else None
        if edge_order == 1:
            first = (s(1, 2) - s(0, 1)) / h
            last = (s(n - 1, n) - s(n - 2, n - 1)) / h
        else:
            first = (-1.5 * s(0, 1) + 2.0 * s(1, 2) - 0.5 * s(2, 3)) / h
            last = (0.5 * s(n - 3, n - 2) - 2.0 * s(n - 2, n - 1) + 1.5 * s(n - 1, n)) / h
        parts = [first] + ([interior] if interior is not None else []) + [last]
        out.append(concatenate(parts, axis=ax))
    return out[0] if len(out) == 1 else tuple(out)


@implements(np.nanvar)
def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
           mean=None, correction=None):
    no_out("numpy.nanvar", out)
    unsupported_kwargs("numpy.nanvar", {"where": where, "mean": mean})
    if correction is not None:
        ddof = correction
    ok = ~np.isnan(primal(a))
    count = np.sum(ok, axis=axis, keepdims=True).astype(np.result_type(dtype_of(a),
                                                                       np.float32))
    m = nansum(a, axis=axis, keepdims=True) / count
    d = P.where(ok, a - m, 0.0)
    r = sum_(_abs2(d), axis=axis, keepdims=keepdims) / np.maximum(
        count if keepdims else np.squeeze(count, axis=norm_axes(axis, ndim_of(a)))
        - ddof, 0)
    return r if dtype is None else astype(r, dtype)


@implements(np.nanstd, convention="derivative 0 where the data are constant (zero variance)")
def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
           mean=None, correction=None):
    return safe_sqrt(nanvar(a, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims,
                            where=where, mean=mean, correction=correction))


@implements(np.cov)
def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, *,
        dtype=None):
    if fweights is not None or aweights is not None:
        raise NotDifferentiableError("numpy.cov(..., fweights/aweights=...)")
    x = _atleast(m, 2)
    if not rowvar and ndim_of(x) > 1 and shape_of(x)[0] != 1:
        x = P.transpose(x, axes=(1, 0))
    if y is not None:
        yy = _atleast(y, 2)
        if not rowvar and shape_of(yy)[0] != 1:
            yy = P.transpose(yy, axes=(1, 0))
        x = concatenate([x, yy], axis=0)
    if ddof is None:
        ddof = 0 if bias else 1
    n = shape_of(x)[1]
    xc = x - mean_(x, axis=1, keepdims=True)
    xt = P.transpose(xc, axes=(1, 0))
    if dtype_of(xt).kind == "c":
        xt = P.conjugate(xt)
    c = P.matmul(xc, xt) / float(n - ddof)
    c = reshape(c, ()) if shape_of(c) == (1, 1) else c
    want = np.result_type(dtype_of(m), np.float64) if dtype is None else np.dtype(dtype)
    return c if dtype_of(c) == want else astype(c, want)


@implements(np.corrcoef)
def corrcoef(x, y=None, rowvar=True, *, dtype=None):
    c = cov(x, y, rowvar, dtype=dtype)
    if ndim_of(c) == 0:
        return c / c
    d = P.sqrt(diagonal(c))
    n = shape_of(d)[0]
    c = c / P.reshape(d, shape=(n, 1))
    c = c / P.reshape(d, shape=(1, n))
    return P.maximum(P.minimum(c, 1.0), -1.0) if dtype_of(c).kind != "c" else c


@implements(np.ediff1d)
def ediff1d(ary, to_end=None, to_begin=None):
    d = diff(ravel(ary))

    def edge(e):       # NumPy casts to_begin/to_end to ary's dtype
        e = ravel(e if isinstance(e, Box) else np.asarray(e))
        return e if dtype_of(e) == dtype_of(d) else astype(e, dtype_of(d))
    parts = ([edge(to_begin)] if to_begin is not None else []) + [d] + (
        [edge(to_end)] if to_end is not None else [])
    return concatenate(parts) if len(parts) > 1 else d


@implements(np.unwrap, convention="the added multiples of the period are constants: "
                                  "derivative 1")
def unwrap(p, discont=None, axis=-1, *, period=2 * np.pi):
    v = primal(p)
    return p + (np.unwrap(v, discont=discont, axis=axis, period=period) - v)
