"""Shape, joining, splitting and indexing functions of NumPy on traced values.

Everything here is a composition of the table's structural primitives (reshape,
transpose, broadcast_to, concatenate, getitem, scatter_add, where), so both modes and
every order come for free. The patterns:

- rearranging without copying values twice: slices (``getitem`` with basic indices, whose
  VJP writes into a slice), ``broadcast_to`` + ``reshape`` (tile, repeat);
- rearranging by an index map: the NumPy function itself is applied to an array of
  element numbers (``np.arange(size).reshape(shape)``), and the result is a gather
  ``ravel(a)[index_map]`` (pad's reflect/edge/wrap modes, delete, irregular repeat).
  Repeated indices accumulate in the VJP (``scatter_add``).
"""
import builtins
import math

import numpy as np

from .. import rules as P
from ..core import Box, primal, shape_of, ndim_of, dtype_of
from ..core import InPlaceError, NotDifferentiableError
from .basics import (astype, broadcast_to, concatenate, constant_of, moveaxis, ravel, reshape,
                     stack, swapaxes, transpose)
from .registry import (FUNCTIONS, implements, no_out, unsupported_kwargs)


# ------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------
def _norm_axis(axis, nd):
    axis = int(axis)
    if not -nd <= axis < nd:
        raise np.exceptions.AxisError(axis, nd)
    return axis % nd


def axis_slice(nd, axis, sl):
    """An index selecting ``sl`` along ``axis`` of an nd-array (everything elsewhere)."""
    return (slice(None),) * axis + (sl,)


def take_slice(a, axis, sl):
    """``a`` sliced along one axis (a basic index: the VJP writes into the slice)."""
    nd = ndim_of(a)
    axis = _norm_axis(axis, nd)
    if sl == slice(None):
        return a
    return P.getitem(a, idx=axis_slice(nd, axis, sl))


def reverse(a, axis):
    """``a`` reversed along ``axis``."""
    if shape_of(a)[axis] <= 1:
        return a
    return take_slice(a, axis, slice(None, None, -1))


def _as_array(a):
    """Python scalars and lists as arrays; boxes and arrays as they are."""
    if isinstance(a, Box) or isinstance(a, np.ndarray):
        return a
    if isinstance(a, (list, tuple)):
        if builtins.any(isinstance(x, Box) for x in a):
            return stack([_as_array(x) for x in a])
        return np.asarray(a)
    return np.asarray(a)


def gather(a, index_map):
    """``ravel(a)[index_map]``: the elements of ``a`` at the flat positions given."""
    return P.getitem(ravel(a), idx=np.asarray(index_map, dtype=np.intp))


def element_numbers(shape):
    return np.arange(math.prod(shape), dtype=np.intp).reshape(shape)


# ------------------------------------------------------------------------------------
# Dimensions
# ------------------------------------------------------------------------------------
def _atleast(a, nd):
    a = _as_array(a)
    shape = shape_of(a)
    if len(shape) >= nd:
        return a
    if nd == 1:
        return reshape(a, (1,))
    if nd == 2:
        return reshape(a, (1,) * (2 - len(shape)) + shape)
    # atleast_3d: (N,) -> (1, N, 1); (M, N) -> (M, N, 1); () -> (1, 1, 1)
    if len(shape) == 0:
        return reshape(a, (1, 1, 1))
    if len(shape) == 1:
        return reshape(a, (1,) + shape + (1,))
    return reshape(a, shape + (1,))


def _atleast_fn(nd):
    def fn(*arys):
        res = [_atleast(a, nd) for a in arys]
        return res[0] if len(res) == 1 else tuple(res)
    fn.__name__ = f"atleast_{nd}d"
    return fn


atleast_1d = implements(np.atleast_1d)(_atleast_fn(1))
atleast_2d = implements(np.atleast_2d)(_atleast_fn(2))
atleast_3d = implements(np.atleast_3d)(_atleast_fn(3))


@implements(np.copy)
def copy(a, order="K", subok=False):
    """A copy is the value itself: boxes are never written in place."""
    return a


@implements(np.permute_dims, np.matrix_transpose)
def _permute(a, axes=None):
    return transpose(a, axes)


def matrix_transpose(x):
    return swapaxes(x, -1, -2)


FUNCTIONS[np.matrix_transpose] = matrix_transpose


@implements(np.rollaxis)
def rollaxis(a, axis, start=0):
    nd = ndim_of(a)
    axis = _norm_axis(axis, nd)
    start = start + nd if start < 0 else start
    order = list(range(nd))
    order.remove(axis)
    order.insert(start if start <= axis else start - 1, axis)
    return transpose(a, order)


# ------------------------------------------------------------------------------------
# Joining
# ------------------------------------------------------------------------------------
@implements(np.hstack)
def hstack(tup, *, dtype=None, casting="same_kind"):
    arrs = [_atleast(a, 1) for a in tup]
    return concatenate(arrs, axis=0 if ndim_of(arrs[0]) == 1 else 1, dtype=dtype,
                       casting=casting)


@implements(np.vstack, np.row_stack)
def vstack(tup, *, dtype=None, casting="same_kind"):
    return concatenate([_atleast(a, 2) for a in tup], axis=0, dtype=dtype, casting=casting)


@implements(np.dstack)
def dstack(tup):
    return concatenate([_atleast(a, 3) for a in tup], axis=2)


@implements(np.column_stack)
def column_stack(tup):
    arrs = []
    for a in tup:
        a = _as_array(a)
        if ndim_of(a) < 2:
            a = reshape(a, (-1, 1))
        arrs.append(a)
    return concatenate(arrs, axis=1)


@implements(np.append)
def append(arr, values, axis=None):
    arr, values = _as_array(arr), _as_array(values)
    if axis is None:
        return concatenate([ravel(arr), ravel(values)], axis=0)
    return concatenate([arr, values], axis=axis)


@implements(np.block)
def block(arrays):
    def depth(x):
        return 1 + depth(x[0]) if isinstance(x, list) else 0

    d = depth(arrays)

    def build(x, level):
        if not isinstance(x, list):
            return x
        parts = [build(y, level + 1) for y in x]
        nd = builtins.max(builtins.max(ndim_of(p) for p in parts), d)
        parts = [reshape(p, (1,) * (nd - ndim_of(p)) + shape_of(p)) for p in parts]
        return concatenate(parts, axis=-(d - level))

    return build(arrays, 0)


@implements(np.unstack)
def unstack(x, /, *, axis=0):
    return tuple(P.getitem(x, idx=axis_slice(ndim_of(x), _norm_axis(axis, ndim_of(x)), i))
                 for i in range(shape_of(x)[axis]))


# ------------------------------------------------------------------------------------
# Splitting
# ------------------------------------------------------------------------------------
@implements(np.array_split)
def array_split(ary, indices_or_sections, axis=0):
    n = shape_of(ary)[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError("number sections must be larger than 0.")
        each, extra = divmod(n, sections)
        sizes = [each + 1] * extra + [each] * (sections - extra)
        bounds = np.concatenate([[0], np.cumsum(sizes)]).tolist()
    else:
        bounds = [0] + [int(i) for i in indices_or_sections] + [n]
    return [take_slice(ary, axis, slice(lo, hi)) for lo, hi in zip(bounds[:-1], bounds[1:])]


@implements(np.split)
def split(ary, indices_or_sections, axis=0):
    if isinstance(indices_or_sections, (int, np.integer)):
        if shape_of(ary)[axis] % int(indices_or_sections):
            raise ValueError("array split does not result in an equal division")
    return array_split(ary, indices_or_sections, axis)


@implements(np.hsplit)
def hsplit(ary, indices_or_sections):
    return split(ary, indices_or_sections, axis=1 if ndim_of(ary) > 1 else 0)


@implements(np.vsplit)
def vsplit(ary, indices_or_sections):
    return split(ary, indices_or_sections, axis=0)


@implements(np.dsplit)
def dsplit(ary, indices_or_sections):
    return split(ary, indices_or_sections, axis=2)


# ------------------------------------------------------------------------------------
# Repeating, flipping, rolling
# ------------------------------------------------------------------------------------
@implements(np.tile)
def tile(A, reps):
    A = _as_array(A)
    reps = (int(reps),) if np.ndim(reps) == 0 else tuple(int(r) for r in reps)
    shape = shape_of(A)
    nd = builtins.max(len(shape), len(reps))
    shape = (1,) * (nd - len(shape)) + shape
    reps = (1,) * (nd - len(reps)) + reps
    a = reshape(A, tuple(s for n in shape for s in (1, n)))
    a = P.broadcast_to(a, shape=tuple(s for r, n in zip(reps, shape) for s in (r, n))) \
        if builtins.any(r != 1 for r in reps) else a
    return reshape(a, tuple(r * n for r, n in zip(reps, shape)))


@implements(np.repeat)
def repeat(a, repeats, axis=None):
    a = _as_array(a)
    if axis is None:
        a, axis = ravel(a), 0
    nd = ndim_of(a)
    axis = _norm_axis(axis, nd)
    shape = shape_of(a)
    if np.ndim(repeats) == 0 or np.size(repeats) == 1:
        r = int(np.reshape(repeats, -1)[0]) if np.ndim(repeats) else int(repeats)
        b = reshape(a, shape[:axis + 1] + (1,) + shape[axis + 1:])
        b = P.broadcast_to(b, shape=shape[:axis + 1] + (r,) + shape[axis + 1:])
        return reshape(b, shape[:axis] + (shape[axis] * r,) + shape[axis + 1:])
    idx = np.repeat(np.arange(shape[axis]), repeats)
    return P.getitem(a, idx=axis_slice(nd, axis, idx))


@implements(np.flip)
def flip(m, axis=None):
    nd = ndim_of(m)
    axes = range(nd) if axis is None else [_norm_axis(x, nd) for x in np.atleast_1d(axis)]
    idx = [slice(None)] * nd
    for ax in axes:
        idx[ax] = slice(None, None, -1)
    return P.getitem(m, idx=tuple(idx)) if nd else m


@implements(np.fliplr)
def fliplr(m):
    if ndim_of(m) < 2:
        raise ValueError("Input must be >= 2-d.")
    return flip(m, 1)


@implements(np.flipud)
def flipud(m):
    if ndim_of(m) < 1:
        raise ValueError("Input must be >= 1-d.")
    return flip(m, 0)


@implements(np.rot90)
def rot90(m, k=1, axes=(0, 1)):
    k = int(k) % 4
    a0, a1 = axes
    if k == 0:
        return m
    if k == 2:
        return flip(flip(m, a0), a1)
    if k == 1:
        return swapaxes(flip(m, a1), a0, a1)
    return flip(swapaxes(m, a0, a1), a1)


@implements(np.roll)
def roll(a, shift, axis=None):
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), shape_of(a))
    nd = ndim_of(a)
    shifts, axes = np.broadcast_arrays(np.atleast_1d(shift), np.atleast_1d(axis))
    total = {}
    for s, ax in zip(shifts.tolist(), axes.tolist()):
        ax = _norm_axis(ax, nd)
        total[ax] = total.get(ax, 0) + int(s)
    for ax, s in total.items():
        n = shape_of(a)[ax]
        s = s % n if n else 0
        if s:
            a = concatenate([take_slice(a, ax, slice(n - s, None)),
                             take_slice(a, ax, slice(0, n - s))], axis=ax)
    return a


# ------------------------------------------------------------------------------------
# Padding
# ------------------------------------------------------------------------------------
_PAD_GATHER_MODES = {"edge", "reflect", "symmetric", "wrap"}


@implements(np.pad)
def pad(array, pad_width, mode="constant", **kwargs):
    array = _as_array(array)
    shape = shape_of(array)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.intp), (len(shape), 2))
    if callable(mode) or mode not in _PAD_GATHER_MODES | {"constant"}:
        raise NotDifferentiableError(
            f"numpy.pad(..., mode={mode!r})",
            hint="Supported modes on traced values: 'constant', 'edge', 'reflect', "
                 "'symmetric' and 'wrap'.")
    if mode == "constant":
        cv = kwargs.pop("constant_values", 0)
        unsupported_kwargs("numpy.pad", kwargs)
        new = tuple(int(n + lo + hi) for n, (lo, hi) in zip(shape, widths))
        inner = tuple(slice(int(lo), int(lo) + n) for n, (lo, _) in zip(shape, widths))
        body = P.scatter_add(array, idx=inner, shape=new)
        if isinstance(cv, Box) or (isinstance(cv, (list, tuple)) and builtins.any(
                isinstance(c, Box) for c in np.ravel(np.asarray(cv, dtype=object)))):
            raise NotDifferentiableError(
                "numpy.pad(..., constant_values=<traced value>)",
                hint="Pad with a plain constant and add the traced value times a mask.")
        if np.any(np.asarray(cv) != 0):
            fill = np.pad(np.zeros(shape, dtype=dtype_of(body)), widths, "constant",
                          constant_values=cv)
            body = body + fill
        return body
    index = np.pad(element_numbers(shape), widths, mode, **kwargs)
    return gather(array, index)


# ------------------------------------------------------------------------------------
# Triangles and diagonals
# ------------------------------------------------------------------------------------
def _tri_mask(shape, k, lower):
    n, m = shape[-2:]
    mask = np.tri(n, m, k=k, dtype=bool)
    return mask if lower else ~np.tri(n, m, k=k - 1, dtype=bool)


@implements(np.tril)
def tril(m, k=0):
    if ndim_of(m) < 2:
        raise NotDifferentiableError("numpy.tril of an array with fewer than 2 dimensions")
    return P.where(_tri_mask(shape_of(m), int(k), True), m, 0.0)


@implements(np.triu)
def triu(m, k=0):
    if ndim_of(m) < 2:
        raise NotDifferentiableError("numpy.triu of an array with fewer than 2 dimensions")
    return P.where(_tri_mask(shape_of(m), int(k), False), m, 0.0)


def _diag_positions(n, m, offset):
    """Row and column numbers of the diagonal ``offset`` of an n x m matrix."""
    length = builtins.max(0, builtins.min(n + builtins.min(offset, 0),
                                          m - builtins.max(offset, 0)))
    rows = np.arange(length) + builtins.max(-offset, 0)
    return rows, rows + offset


@implements(np.diagonal)
def diagonal(a, offset=0, axis1=0, axis2=1):
    nd = ndim_of(a)
    if nd < 2:
        raise ValueError("diag requires an array of at least two dimensions")
    a = moveaxis(a, (axis1, axis2), (-2, -1))
    n, m = shape_of(a)[-2:]
    rows, cols = _diag_positions(n, m, int(offset))
    return P.getitem(a, idx=(Ellipsis, rows, cols))


@implements(np.diag)
def diag(v, k=0):
    v = _as_array(v)
    nd = ndim_of(v)
    if nd == 2:
        return diagonal(v, k)
    if nd != 1:
        raise ValueError("Input must be 1- or 2-d.")
    k = int(k)
    n = shape_of(v)[0] + abs(k)
    rows, cols = _diag_positions(n, n, k)
    return P.scatter_add(v, idx=(rows, cols), shape=(n, n))


@implements(np.diagflat)
def diagflat(v, k=0):
    return diag(ravel(_as_array(v)), k)


# ------------------------------------------------------------------------------------
# Taking elements
# ------------------------------------------------------------------------------------
# Index arrays are taken with np.asanyarray: one computed from traced values keeps its
# ndarray subclass (dualad.sparse marks them, to refuse a global pattern that depends on
# the values).
def _index_mode(indices, n, mode):
    indices = np.asanyarray(indices)
    if mode == "wrap":
        return indices % n
    if mode == "clip":
        return np.clip(indices, 0, n - 1)
    return indices


@implements(np.take)
def take(a, indices, axis=None, out=None, mode="raise"):
    no_out("numpy.take", out)
    a = _as_array(a)
    if isinstance(indices, Box):
        indices = primal(indices)
    if axis is None:
        a, axis = ravel(a), 0
    nd = ndim_of(a)
    axis = _norm_axis(axis, nd)
    idx = _index_mode(indices, shape_of(a)[axis], mode)
    if idx.ndim == 0:
        idx = int(idx)
    return P.getitem(a, idx=axis_slice(nd, axis, idx))


def _along_axis_index(shape, indices, axis):
    nd = len(shape)
    idx = []
    for d in range(nd):
        if d == axis:
            idx.append(np.asanyarray(indices))
        else:
            s = [1] * nd
            s[d] = shape[d]
            idx.append(np.arange(shape[d]).reshape(s))
    return tuple(idx)


@implements(np.take_along_axis)
def take_along_axis(arr, indices, axis=-1):
    indices = np.asanyarray(primal(indices))
    if axis is None:
        arr, axis = ravel(arr), 0
    axis = _norm_axis(axis, ndim_of(arr))
    idx = _along_axis_index(shape_of(arr), indices, axis)
    return P.getitem(arr, idx=idx)


@implements(np.sort, convention="at ties, each sorted output takes the derivative of the "
                                "input that np.argsort puts there (stable order)")
def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    if order is not None:
        raise NotDifferentiableError("numpy.sort(..., order=...)")
    if axis is None:
        a, axis = ravel(a), -1
    idx = np.argsort(primal(a), axis=axis, kind="stable" if kind is None else kind)
    return take_along_axis(a, idx, axis)


@implements(np.partition, convention="as np.sort: each output takes the derivative of the "
                                     "input np.argpartition puts there")
def partition(a, kth, axis=-1, kind="introselect", order=None):
    if order is not None:
        raise NotDifferentiableError("numpy.partition(..., order=...)")
    if axis is None:
        a, axis = ravel(a), -1
    idx = np.argpartition(primal(a), kth, axis=axis, kind=kind)
    return take_along_axis(a, idx, axis)


@implements(np.delete)
def delete(arr, obj, axis=None):
    if axis is None:
        arr, axis = ravel(arr), 0
    nd = ndim_of(arr)
    axis = _norm_axis(axis, nd)
    keep = np.delete(np.arange(shape_of(arr)[axis]), obj)
    return P.getitem(arr, idx=axis_slice(nd, axis, keep))


@implements(np.compress)
def compress(condition, a, axis=None, out=None):
    no_out("numpy.compress", out)
    if axis is None:
        a, axis = ravel(a), 0
    nd = ndim_of(a)
    axis = _norm_axis(axis, nd)
    keep = np.nonzero(np.asanyarray(primal(condition), dtype=bool))[0]
    return P.getitem(a, idx=axis_slice(nd, axis, keep))


@implements(np.extract)
def extract(condition, arr):
    return P.getitem(ravel(arr), idx=np.nonzero(np.ravel(primal(condition)))[0])


@implements(np.select, convention="the derivative of the chosen entry (first true condition)")
def select(condlist, choicelist, default=0):
    if len(condlist) != len(choicelist):
        raise ValueError("list of cases must be same length as list of conditions")
    result = default
    for cond, choice in zip(reversed(list(condlist)), reversed(list(choicelist))):
        result = P.where(np.asarray(primal(cond), dtype=bool), choice, result)
    return result


@implements(np.choose)
def choose(a, choices, out=None, mode="raise"):
    no_out("numpy.choose", out)
    a = np.asarray(primal(a))
    choices = list(choices)
    if mode == "wrap":
        a = a % len(choices)
    elif mode == "clip":
        a = np.clip(a, 0, len(choices) - 1)
    result = choices[-1]
    for i in range(len(choices) - 2, -1, -1):
        result = P.where(a == i, choices[i], result)
    return result


# ------------------------------------------------------------------------------------
# Building arrays from traced values
# ------------------------------------------------------------------------------------
@implements(np.full_like)
def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, **kw):
    shape = shape_of(a) if shape is None else tuple(np.atleast_1d(shape))
    dtype = dtype_of(a) if dtype is None else np.dtype(dtype)
    if not isinstance(fill_value, Box):
        return constant_of(a, np.full(shape, fill_value, dtype=dtype))
    return broadcast_to(astype(fill_value, dtype), shape)


@implements(np.meshgrid)
def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    nd = len(xi)
    xs = [ravel(_as_array(x)) for x in xi]
    shapes = [[1] * nd for _ in xs]
    for i in range(nd):
        shapes[i][i] = shape_of(xs[i])[0]
    if indexing == "xy" and nd > 1:
        for s in shapes:
            s[0], s[1] = s[1], s[0]
    out = [reshape(x, tuple(s)) for x, s in zip(xs, shapes)]
    if sparse:
        return tuple(out)
    full = tuple(np.broadcast_shapes(*(tuple(s) for s in shapes)))
    return tuple(P.broadcast_to(o, shape=full) if shape_of(o) != full else o for o in out)


@implements(np.linspace)
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0,
             *, device=None):
    num = int(num)
    div = (num - 1) if endpoint else num
    start, stop = _as_array(start), _as_array(stop)
    delta = stop - start
    nd = builtins.max(ndim_of(start), ndim_of(stop))
    dt = np.result_type(dtype_of(start), dtype_of(stop), float(num))
    frac = np.arange(num, dtype=dt).reshape((num,) + (1,) * nd)
    step = delta / float(div) if div > 0 else delta * np.nan
    y = start + frac * step if div > 0 else start + frac * delta
    if endpoint and num > 1:
        last = stop if shape_of(stop) == shape_of(y)[1:] else P.broadcast_to(
            stop, shape=shape_of(y)[1:])
        y = concatenate([take_slice(y, 0, slice(0, num - 1)),
                         reshape(last, (1,) + shape_of(y)[1:])], axis=0)
    if axis != 0:
        y = moveaxis(y, 0, axis)
    if dtype is not None:
        y = astype(y, dtype)
    return (y, step) if retstep else y


# ------------------------------------------------------------------------------------
# In-place functions: a clear error naming the out-of-place way
# ------------------------------------------------------------------------------------
def _in_place(name, fix):
    def fn(*args, **kw):
        raise InPlaceError(f"{name} ({fix})")
    fn.__name__ = name
    fn.in_place = fix         # the coverage page lists these apart
    return fn


for _f, _fix in [
    (np.put, "use x = np.where(mask, values, x) or build x with np.concatenate"),
    (np.put_along_axis, "use np.where with a mask built from the indices"),
    (np.place, "use x = np.where(mask, values, x)"),
    (np.putmask, "use x = np.where(mask, values, x)"),
    (np.copyto, "np.full(shape, traced) also lands here: use np.broadcast_to(value, shape) "
                "or value * np.ones(shape)"),
    (np.fill_diagonal, "add np.diag(values) or use np.where(np.eye(n, dtype=bool), v, x)"),
]:
    implements(_f)(_in_place(f"numpy.{_f.__name__}", _fix))


@implements(np.broadcast_arrays)
def broadcast_arrays(*args, subok=False):
    shape = np.broadcast_shapes(*(shape_of(a) for a in args))
    return tuple(a if shape_of(a) == shape else (
        P.broadcast_to(a, shape=shape) if isinstance(a, Box) else np.broadcast_to(a, shape))
        for a in args)


@implements(np.resize)
def resize(a, new_shape):
    new_shape = (int(new_shape),) if np.ndim(new_shape) == 0 else tuple(new_shape)
    return gather(a, np.resize(element_numbers(shape_of(a)), new_shape))


@implements(np.vander)
def vander(x, N=None, increasing=False):
    n = shape_of(x)[0]
    N = n if N is None else int(N)
    powers = np.arange(N) if increasing else np.arange(N - 1, -1, -1)
    cols = [P.power(x, float(k)) if k > 1 else (x if k == 1 else P.power(x, 0.0))
            for k in powers]
    return stack(cols, axis=1)


@implements(np.logspace)
def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    y = linspace(start, stop, num=num, endpoint=endpoint, axis=axis)
    r = P.power(np.asarray(base) if not isinstance(base, Box) else base, y)
    if dtype is not None:
        r = astype(r, dtype)
    return r


@implements(np.insert)
def insert(arr, obj, values, axis=None):
    """Element numbers of arr and of values (negative) go through np.insert itself; the
    result is a gather from the concatenation of both."""
    if axis is None:
        arr, axis = ravel(arr), 0
    nd = ndim_of(arr)
    axis = _norm_axis(axis, nd)
    nums = element_numbers(shape_of(arr))
    values = _as_array(values)
    if dtype_of(values) != dtype_of(arr):     # NumPy casts the values to arr's dtype
        values = astype(values, dtype_of(arr)) if isinstance(values, Box) else \
            values.astype(dtype_of(arr))
    vshape = np.insert(np.zeros(shape_of(arr)), obj, np.zeros(shape_of(values)), axis=axis)
    marker = -1 - np.arange(math.prod(shape_of(values))).reshape(shape_of(values)) \
        if shape_of(values) else np.array(-1)
    index = np.insert(nums, obj, marker, axis=axis)
    if index.shape != vshape.shape:
        raise NotDifferentiableError("numpy.insert with these values")
    size = math.prod(shape_of(arr))
    pool = concatenate([ravel(arr), ravel(values)], axis=0)
    return P.getitem(pool, idx=np.where(index >= 0, index, size - 1 - index))
